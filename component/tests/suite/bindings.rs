//! `bindgen!` and `#[derive(ComponentType)]`: typed bindings generated from
//! the C fixtures' WIT worlds (records/variants/enums/flags/options/results,
//! a resource in an exported interface) and from an inline world with host
//! imports, called on every path (wasmi, wasmtime, wasmtime's own component
//! model). The expected values are computed here independently of the
//! components.

use crate::common;

use sha2::Digest as _;
use wasm_run_api::{Engine, Error, Result, Store, TrapCode};
use wasm_run_component::{
    Component, ComponentType, HostResourceType, Instance, Linker, Resource, Type, Val,
};

mod records {
    wasm_run_component::bindgen!({ path: "../tests/fixtures/component/c/records.wit" });
}
mod hash {
    wasm_run_component::bindgen!({ path: "../tests/fixtures/component/c/hash.wit", world: "hash" });
}
mod host {
    wasm_run_component::bindgen!({
        inline: "
            package example:host@0.1.0;
            interface math { sum: func(xs: list<u32>) -> u64; }
            world host {
                import greet: func(name: string) -> string;
                import math;
                export run: func(name: string) -> string;
                export total: func(xs: list<u32>) -> u64;
            }
        ",
    });
}

/// Host resources as typed handles: the blobs fixture's world, its `blob`
/// a `Resource<blobs::Blob>` (a marker type `bindgen!` makes).
mod blobs_world {
    wasm_run_component::bindgen!({
        path: "../tests/fixtures/component/blobs.wit",
        world: "blobs-world",
    });
}
/// Part of the same world, `blob` mapped to a type of ours (`with`).
mod blobs_with {
    wasm_run_component::bindgen!({
        path: "../tests/fixtures/component/blobs.wit",
        world: "blobs-keep",
        with: { "example:host/blobs/blob": crate::bindings::MyBlob },
    });
}

/// Maps and fixed-length lists as Rust types: the echo fixture's exports.
mod shapes {
    wasm_run_component::bindgen!({
        inline: "
            package example:shapes;
            world shapes {
                export add-pair: func(v: list<u32, 2>) -> u32;
                export count-map: func(v: map<u8, bool>) -> u32;
            }
        ",
    });
}

fn map_and_fixed_list_bindings<E: Engine>(engine: &E) {
    let (mut store, _, instance) = common::instantiate(engine, common::fixture_text("echo.wat"));
    let s = shapes::Shapes::new(&instance).unwrap();
    let pair: [u32; 2] = [40, 2];
    assert_eq!(s.call_add_pair(&mut store, pair).unwrap(), 42);
    let map: std::collections::HashMap<u8, bool> = (0..9).map(|i| (i, i % 2 == 0)).collect();
    assert_eq!(s.call_count_map(&mut store, map).unwrap(), 9);
}

fn c(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component/c")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn records_bindings<E: Engine>(engine: &E) {
    use records::{Color, Item, Perms, Point, Records, Shape};
    let component = Component::new(engine, c("records.wasm")).unwrap();
    let mut store = Store::new(engine, ());
    let r = Records::instantiate(&mut store, &component, &Linker::new(engine)).unwrap();
    let s = &mut store;
    assert_eq!(r.call_area(&mut *s, Shape::Circle(2)).unwrap(), 12);
    assert_eq!(r.call_area(&mut *s, Shape::Rect((3, 5))).unwrap(), 15);
    assert_eq!(r.call_area(&mut *s, Shape::Dot).unwrap(), 0);
    let item = Item {
        name: "böx".into(),
        color: Color::Green,
        perms: Perms {
            read: true,
            write: false,
            exec: true,
        },
        at: Some(Point { x: 1, y: -2 }),
        tags: vec!["a".into(), "𝄞".into()],
    };
    assert_eq!(
        r.call_describe(&mut *s, item.clone()).unwrap(),
        "böx (green) [r-x] @1,-2 #a #𝄞"
    );
    let renamed = r.call_rename(&mut *s, item.clone(), "new".into()).unwrap();
    assert_eq!(
        renamed,
        Item {
            name: "new".into(),
            at: Some(Point { x: 2, y: -1 }),
            tags: vec!["𝄞".into(), "a".into()],
            ..item
        }
    );
    assert_eq!(
        r.call_parse_color(&mut *s, "blue".into()).unwrap(),
        Ok(Color::Blue)
    );
    assert_eq!(
        r.call_parse_color(&mut *s, "mauve".into()).unwrap(),
        Err("unknown color `mauve`".to_string())
    );
    let read = Perms {
        read: true,
        ..Perms::default()
    };
    let write = Perms {
        write: true,
        ..Perms::default()
    };
    assert_eq!(
        r.call_grant(&mut *s, read, write).unwrap(),
        Perms {
            read: true,
            write: true,
            exec: false
        }
    );
    let pts = vec![
        Point { x: 9, y: 9 },
        Point { x: 1, y: 1 },
        Point { x: -1, y: -1 },
    ];
    assert_eq!(
        r.call_nearest(&mut *s, pts, Point { x: 0, y: 0 }).unwrap(),
        Some(1)
    );
    assert_eq!(
        r.call_nearest(&mut *s, vec![], Point { x: 0, y: 0 })
            .unwrap(),
        None
    );
    assert_eq!(r.call_checked_div(&mut *s, 7, 2).unwrap(), Ok(3));
    assert_eq!(
        r.call_checked_div(&mut *s, 7, 0).unwrap(),
        Err("division by zero".to_string())
    );
}

fn hash_bindings<E: Engine>(engine: &E) {
    let component = Component::new(engine, c("hash.wasm")).unwrap();
    let mut store = Store::new(engine, ());
    let instance: Instance<E> = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let h = hash::Hash::new(&instance).unwrap();
    let api = h.sha256();
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    let want: Vec<u8> = sha2::Sha256::digest(&data).to_vec();
    assert_eq!(api.call_digest(&mut store, data.clone()).unwrap(), want);
    let hasher = api.call_hasher_new(&mut store).unwrap();
    for chunk in data.chunks(77) {
        api.call_hasher_update(&mut store, hasher.clone(), chunk.to_vec())
            .unwrap();
    }
    assert_eq!(
        api.call_hasher_finish(&mut store, hasher.clone()).unwrap(),
        want
    );
    assert_eq!(api.call_live(&mut store).unwrap(), 1);
    instance.drop_resource(&mut store, hasher).unwrap();
    assert_eq!(api.call_live(&mut store).unwrap(), 0);
}

struct Greeter {
    greeted: Vec<String>,
}

impl host::HostImports for Greeter {
    fn greet(&mut self, name: String) -> Result<String> {
        self.greeted.push(name.clone());
        Ok(format!("Hello, {name}!"))
    }
}

impl host::math::Host for Greeter {
    fn sum(&mut self, xs: Vec<u32>) -> Result<u64> {
        Ok(xs.iter().map(|&x| u64::from(x)).sum())
    }
}

fn host_bindings<E: Engine>(engine: &E) {
    let component = Component::new(engine, common::fixture_text("host.wat")).unwrap();
    let mut linker = Linker::<E, Greeter>::new(engine);
    host::add_to_linker(&mut linker, |g: &mut Greeter| g).unwrap();
    host::math::add_to_linker(&mut linker, |g: &mut Greeter| g).unwrap();
    let mut store = Store::new(engine, Greeter { greeted: vec![] });
    let h = host::Host::instantiate(&mut store, &component, &linker).unwrap();
    assert_eq!(
        h.call_run(&mut store, "wörld".into()).unwrap(),
        "Hello, wörld!"
    );
    assert_eq!(h.call_total(&mut store, (1..=100).collect()).unwrap(), 5050);
    assert_eq!(store.data().greeted, ["wörld"]);
    // Defining the same interface twice is a link error.
    let e = host::math::add_to_linker(&mut linker, |g: &mut Greeter| g).unwrap_err();
    assert!(matches!(e, Error::Link(_)), "{e}");
}

/// The host's blobs (sizes by rep; `None` once dropped) behind the typed
/// `blob` of `bindgen!`.
#[derive(Default)]
struct Blobs {
    sizes: Vec<Option<u32>>,
    /// Whether `size` got an owned handle (it must get a borrow).
    size_got_owned: bool,
}

impl blobs_world::blobs::Host for Blobs {
    fn drop_blob(&mut self, blob: Resource<blobs_world::blobs::Blob>) -> Result<()> {
        self.sizes[blob.rep() as usize] = None;
        Ok(())
    }
    fn blob_new(&mut self, size: u32) -> Result<Resource<blobs_world::blobs::Blob>> {
        self.sizes.push(Some(size));
        Ok(Resource::new_own(self.sizes.len() as u32 - 1))
    }
    fn blob_size(&mut self, blob: Resource<blobs_world::blobs::Blob>) -> Result<u32> {
        self.size_got_owned |= blob.owned();
        Ok(self.sizes[blob.rep() as usize].expect("a live blob"))
    }
}

/// `bindgen!`'s typed host resources: the guest makes, measures and drops
/// blobs through the `Host` trait (the drop method gets the handle); the
/// host passes its own in owned and lent; a borrow the guest keeps traps;
/// a handle of another Rust type is refused when the call checks it.
fn typed_host_resources<E: Engine>(engine: &E) {
    use blobs_world::blobs::Blob;
    let component = Component::new(engine, common::fixture_text("blobs.wat")).unwrap();
    let mut linker = Linker::<E, Blobs>::new(engine);
    let types = blobs_world::blobs::add_to_linker(&mut linker, |b: &mut Blobs| b).unwrap();
    assert_eq!(types.blob, HostResourceType::of::<Blob>());
    let mut store = Store::new(engine, Blobs::default());
    let w = blobs_world::BlobsWorld::instantiate(&mut store, &component, &linker).unwrap();
    assert_eq!(w.call_make_and_measure(&mut store, 77).unwrap(), 77);
    assert_eq!(store.data().sizes, [None], "the guest dropped it");
    assert!(!store.data().size_got_owned);
    store.data_mut().sizes.push(Some(5));
    let back: Resource<Blob> = w.call_keep(&mut store, Resource::new_own(1)).unwrap();
    assert_eq!((back.rep(), back.owned()), (1, true));
    assert_eq!(
        w.call_measure(&mut store, Resource::new_borrow(back.rep()))
            .unwrap(),
        5
    );
    let e = w
        .call_leak_borrow(&mut store, Resource::new_borrow(1))
        .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::InvalidHandle), "{e}");
    let mut store = Store::new(engine, Blobs::default());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let stranger = Val::Resource(Resource::<u8>::new_own(0).into());
    let mut out = [Val::Bool(false)];
    let e = instance
        .get_func("keep")
        .unwrap()
        .call(&mut store, &[stranger], &mut out)
        .unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
}

/// `with` keys may leave out the package's version (an unused key is a
/// compile error, so this compiling is the test).
mod blobs_versioned {
    wasm_run_component::bindgen!({
        inline: "
            package example:host@0.1.0;
            interface blobs { resource blob; }
            world w { import blobs; use blobs.{blob}; export keep: func(b: blob) -> blob; }
        ",
        with: { "example:host/blobs/blob": crate::bindings::MyBlob },
    });
}

/// A type of ours standing for `blob` (`bindgen!`'s `with`).
pub struct MyBlob;

impl blobs_with::blobs::Host for Vec<u32> {
    fn drop_blob(&mut self, _: Resource<MyBlob>) -> Result<()> {
        Ok(())
    }
    fn blob_new(&mut self, size: u32) -> Result<Resource<MyBlob>> {
        self.push(size);
        Ok(Resource::new_own(self.len() as u32 - 1))
    }
    fn blob_size(&mut self, blob: Resource<MyBlob>) -> Result<u32> {
        Ok(self[blob.rep() as usize])
    }
}

fn host_resources_with<E: Engine>(engine: &E) {
    let component = Component::new(engine, common::fixture_text("blobs.wat")).unwrap();
    let mut linker = Linker::<E, Vec<u32>>::new(engine);
    let types = blobs_with::blobs::add_to_linker(&mut linker, |v: &mut Vec<u32>| v).unwrap();
    assert_eq!(types.blob, HostResourceType::of::<MyBlob>());
    let mut store = Store::new(engine, vec![]);
    let w = blobs_with::BlobsKeep::instantiate(&mut store, &component, &linker).unwrap();
    let mine: Resource<MyBlob> = Resource::new_own(3);
    assert_eq!(w.call_keep(&mut store, mine).unwrap().rep(), 3);
}

/// Bindings for a world the component does not match: the export they
/// expect and the component lacks is `Error::MissingExport`, named.
fn mismatched_bindings<E: Engine>(engine: &E) {
    let component = Component::new(engine, c("text.wasm")).unwrap();
    let mut store = Store::new(engine, ());
    let e = records::Records::instantiate(&mut store, &component, &Linker::new(engine))
        .err()
        .expect("the text component is not the records world");
    assert!(
        matches!(&e, Error::MissingExport(m) if m.contains("area")),
        "{e}"
    );
}

on_every_backend!(
    records_bindings,
    hash_bindings,
    host_bindings,
    mismatched_bindings,
    map_and_fixed_list_bindings,
    typed_host_resources,
    host_resources_with
);

/// The derive, by hand: names, type checks and round trips.
#[test]
fn derive_component_type() {
    #[derive(ComponentType, Debug, Clone, PartialEq)]
    #[component(crate = wasm_run_component)]
    struct Rec {
        first_name: String,
        #[component(name = "n")]
        count: u32,
    }
    #[derive(ComponentType, Debug, Clone, Copy, PartialEq)]
    #[component(crate = wasm_run_component)]
    enum Level {
        Low,
        VeryHigh,
    }
    #[derive(ComponentType, Debug, Clone, PartialEq)]
    #[component(crate = wasm_run_component)]
    enum Msg {
        Quit,
        Say(String),
        Move(Option<(i32, i32)>),
    }
    #[derive(ComponentType, Debug, Clone, Copy, PartialEq)]
    #[component(crate = wasm_run_component, flags)]
    struct Mode {
        read: bool,
        write_all: bool,
    }
    let rec_ty = Type::Record(
        vec![
            ("first-name".to_string(), Type::String),
            ("n".to_string(), Type::U32),
        ]
        .into(),
    );
    assert!(Rec::typecheck(&rec_ty));
    assert!(!Rec::typecheck(&Type::Record(
        vec![
            ("n".to_string(), Type::U32),
            ("first-name".to_string(), Type::String)
        ]
        .into()
    )));
    let r = Rec {
        first_name: "ä".into(),
        count: 3,
    };
    let v = r.clone().into_val();
    assert!(v.has_type(&rec_ty));
    assert_eq!(v.to_string(), "{first-name: \"ä\", n: 3}");
    assert_eq!(Rec::from_val(v).unwrap(), r);
    assert!(Rec::from_val(Val::U32(1)).is_err());

    assert!(Level::typecheck(&Type::Enum(
        vec!["low".into(), "very-high".into()].into()
    )));
    assert_eq!(Level::VeryHigh.into_val(), Val::Enum("very-high".into()));
    assert_eq!(
        Level::from_val(Val::Enum("low".into())).unwrap(),
        Level::Low
    );
    assert!(Level::from_val(Val::Enum("medium".into())).is_err());

    let msg_ty = Type::Variant(
        vec![
            ("quit".to_string(), None),
            ("say".to_string(), Some(Type::String)),
            (
                "move".to_string(),
                Some(Type::Option(
                    Type::Tuple(vec![Type::S32, Type::S32].into()).into(),
                )),
            ),
        ]
        .into(),
    );
    assert!(Msg::typecheck(&msg_ty));
    for m in [
        Msg::Quit,
        Msg::Say("hi".into()),
        Msg::Move(Some((1, -1))),
        Msg::Move(None),
    ] {
        let v = m.clone().into_val();
        assert!(v.has_type(&msg_ty), "{v}");
        assert_eq!(Val::parse(&msg_ty, &v.to_string()).unwrap(), v);
        assert_eq!(Msg::from_val(v).unwrap(), m);
    }

    let flags_ty = Type::Flags(vec!["read".into(), "write-all".into()].into());
    assert!(Mode::typecheck(&flags_ty));
    let m = Mode {
        read: false,
        write_all: true,
    };
    assert_eq!(m.into_val(), Val::Flags(vec!["write-all".into()]));
    assert_eq!(Mode::from_val(m.into_val()).unwrap(), m);
}
