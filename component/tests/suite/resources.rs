//! Resources a component defines, used by the host, on every backend: a
//! constructor returning `own<counter>`, methods taking `borrow<counter>`,
//! an owned handle passed back in and dropped by the guest (its destructor
//! runs once), dropped by the host, and the handle traps (use after drop,
//! a forged handle); a handle of another instance is refused.

use crate::common;

use wasm_run_api::{Engine, Error, Store, TrapCode};
use wasm_run_component::{Component, HostResourceType, Instance, Linker, ResourceAny, Type, Val};

fn setup<E: Engine>(engine: &E) -> (Store<E, ()>, Component<E>, Instance<E>) {
    common::instantiate(engine, common::fixture_text("counter.wat"))
}

/// Calls a function that has a result.
fn call<E: Engine>(
    store: &mut Store<E, ()>,
    instance: &Instance<E>,
    name: &str,
    args: &[Val],
) -> Result<Val, Error> {
    common::call(store, instance, name, args).map(|v| v.expect("a result"))
}

fn resource(v: Val) -> ResourceAny {
    match v {
        Val::Resource(r) => r,
        other => panic!("not a resource: {other}"),
    }
}

fn counters<E: Engine>(engine: &E) {
    let (mut store, component, instance) = setup(engine);
    let world = component.world().to_string();
    assert!(
        world.contains("export [constructor]counter: func(start: u32) -> counter;"),
        "{world}"
    );
    assert!(
        world.contains("func(self: borrow<counter>, n: u32) -> u32"),
        "{world}"
    );

    let c = resource(
        call(
            &mut store,
            &instance,
            "[constructor]counter",
            &[Val::U32(10)],
        )
        .unwrap(),
    );
    assert!(c.owned());
    assert_eq!(c.ty().and_then(|t| t.name()), Some("counter"));
    let add = |store: &mut Store<E, ()>, c: &ResourceAny, n| {
        call(
            store,
            &instance,
            "[method]counter.add",
            &[Val::Resource(c.clone()), Val::U32(n)],
        )
    };
    assert_eq!(add(&mut store, &c, 5).unwrap(), Val::U32(15));
    assert_eq!(add(&mut store, &c, 7).unwrap(), Val::U32(22));
    let d = resource(
        call(
            &mut store,
            &instance,
            "[constructor]counter",
            &[Val::U32(100)],
        )
        .unwrap(),
    );
    assert_eq!(
        call(
            &mut store,
            &instance,
            "[method]counter.get",
            &[Val::Resource(d.clone())]
        )
        .unwrap(),
        Val::U32(100)
    );
    // An own handle through the guest and back.
    let d = resource(call(&mut store, &instance, "pass-through", &[Val::Resource(d)]).unwrap());
    assert_eq!(
        call(&mut store, &instance, "dropped", &[]).unwrap(),
        Val::U32(0)
    );
    // The guest consumes `c`: it reads it and drops it; the destructor runs.
    assert_eq!(
        call(
            &mut store,
            &instance,
            "consume",
            &[Val::Resource(c.clone())]
        )
        .unwrap(),
        Val::U32(22)
    );
    assert_eq!(
        call(&mut store, &instance, "dropped", &[]).unwrap(),
        Val::U32(1)
    );
    // `c` was moved into the guest: neither it nor a clone can be given
    // again, or dropped (no second destructor run).
    assert!(c.is_moved());
    let e = call(
        &mut store,
        &instance,
        "consume",
        &[Val::Resource(c.clone())],
    )
    .unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
    let e = instance.drop_resource(&mut store, c.clone()).unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
    // The host drops `d`: the destructor runs once more; a second drop
    // (of a clone) is refused.
    let d2 = d.clone();
    assert!(!d.is_moved());
    instance.drop_resource(&mut store, d).unwrap();
    assert!(d2.is_moved());
    let e = instance.drop_resource(&mut store, d2).unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
    assert_eq!(
        call(&mut store, &instance, "dropped", &[]).unwrap(),
        Val::U32(2)
    );

    // A value of another type where a counter is expected.
    let e = call(&mut store, &instance, "consume", &[Val::U32(3)]).unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
    let fresh = resource(
        call(
            &mut store,
            &instance,
            "[constructor]counter",
            &[Val::U32(1)],
        )
        .unwrap(),
    );
    assert!(Val::Resource(fresh.clone()).has_type(&Type::Own(fresh.ty().unwrap().clone())));
    // A counter of another instance of the same component is refused, both
    // as an argument and to drop.
    let (mut other_store, _, other) = setup(engine);
    let e = other
        .drop_resource(&mut other_store, fresh.clone())
        .unwrap_err();
    assert!(matches!(e, Error::Type(_) | Error::WrongStore), "{e}");
    let e = call(&mut other_store, &other, "consume", &[Val::Resource(fresh)]).unwrap_err();
    assert!(matches!(e, Error::Type(_) | Error::WrongStore), "{e}");

    // Handle traps inside the guest, each in a fresh instance (on wasmtime's
    // own component model, an instance that trapped cannot be entered
    // again).
    for (name, code) in [
        ("use-after-drop", TrapCode::InvalidHandle),
        ("forged-handle", TrapCode::InvalidHandle),
    ] {
        let (mut store, _, instance) = setup(engine);
        let e = call(&mut store, &instance, name, &[]).unwrap_err();
        assert_eq!(e.trap_code(), Some(code), "{name}: {e}");
    }
}

on_every_backend!(counters, host_resources, pre_instances);

/// The host's blobs: sizes by rep, `None` once dropped.
type Blobs = std::sync::Arc<std::sync::Mutex<Vec<Option<u32>>>>;

/// A linker defining `example:host/blobs` over a table of blobs: the
/// resource type (its destructor empties the blob's entry), the
/// constructor and the `size` method (which must get a borrow).
fn blob_linker<E: Engine>(engine: &E) -> (Linker<E, ()>, HostResourceType, Blobs) {
    let blobs = Blobs::default();
    let mut linker = Linker::<E, ()>::new(engine);
    let mut iface = linker.instance("example:host/blobs").unwrap();
    let dropped = blobs.clone();
    let blob = iface
        .resource("blob", move |_, rep| {
            dropped.lock().unwrap()[rep as usize] = None;
            Ok(())
        })
        .unwrap();
    let (made, ty) = (blobs.clone(), blob.clone());
    iface
        .func_new("[constructor]blob", move |_, args, results| {
            let Val::U32(size) = args[0] else { panic!() };
            let mut b = made.lock().unwrap();
            b.push(Some(size));
            results[0] = Val::Resource(ResourceAny::host(&ty, (b.len() - 1) as u32));
            Ok(())
        })
        .unwrap();
    let seen = blobs.clone();
    iface
        .func_new("[method]blob.size", move |_, args, results| {
            let Val::Resource(r) = &args[0] else { panic!() };
            assert!(!r.owned(), "a method gets a borrow");
            let size = seen.lock().unwrap()[r.rep() as usize].expect("a live blob");
            results[0] = Val::U32(size);
            Ok(())
        })
        .unwrap();
    (linker, blob, blobs)
}

/// Host-defined resources: the host's table of blobs behind a host
/// resource type, made and measured by the guest, dropped by it (the host
/// destructor runs), passed in owned and borrowed, and a borrow the guest
/// does not drop makes the call trap.
fn host_resources<E: Engine>(engine: &E) {
    let component = Component::new(engine, common::fixture_text("blobs.wat")).unwrap();
    let (linker, blob, blobs) = blob_linker(engine);
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    assert_eq!(
        call(&mut store, &instance, "make-and-measure", &[Val::U32(77)]).unwrap(),
        Val::U32(77)
    );
    assert_eq!(
        *blobs.lock().unwrap(),
        [None],
        "the guest dropped the blob: the host dtor ran"
    );
    // A host blob passed in owned comes back owned, the same blob.
    blobs.lock().unwrap().push(Some(5));
    let mine = ResourceAny::host(&blob, 1);
    let back = resource(call(&mut store, &instance, "keep", &[Val::Resource(mine)]).unwrap());
    assert!(back.owned());
    assert_eq!((back.host_type(), back.rep()), (Some(&blob), 1));
    // Borrowed: measured, and the guest drops its borrow handle (no dtor).
    assert_eq!(
        call(
            &mut store,
            &instance,
            "measure",
            &[Val::Resource(back.clone())]
        )
        .unwrap(),
        Val::U32(5)
    );
    assert_eq!(blobs.lock().unwrap()[1], Some(5));
    // A borrow the guest keeps past the call traps.
    let e = call(
        &mut store,
        &instance,
        "leak-borrow",
        &[Val::Resource(back.clone())],
    )
    .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::InvalidHandle), "{e}");
    // A resource of another host type is refused.
    let mut other = Linker::<E, ()>::new(engine);
    let stranger = other.root().resource("stranger", |_, _| Ok(())).unwrap();
    let e = call(
        &mut store,
        &instance,
        "keep",
        &[Val::Resource(ResourceAny::host(&stranger, 0))],
    )
    .unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
    // The import must be defined.
    let mut missing = Linker::<E, ()>::new(engine);
    missing
        .instance("example:host/blobs")
        .unwrap()
        .func_new("[constructor]blob", |_, _, _| Ok(()))
        .unwrap();
    let e = missing.instantiate(&mut store, &component).unwrap_err();
    assert!(e.to_string().contains("blob"), "{e}");
}

/// Instances of one `InstancePre` (whose lowered imports and resource
/// built-ins are made once and shared by the instances' stores) keep their
/// own state: guest-defined resources in two stores and twice in one
/// store (the second instance makes its own functions), host resources
/// likewise, with calls interleaved, a handle of one instance refused by
/// another, and a trap in one leaving the others working.
fn pre_instances<E: Engine>(engine: &E) {
    // Guest-defined resources (resource.new/rep/drop built-ins).
    let counter = Component::new(engine, common::fixture_text("counter.wat")).unwrap();
    let linker = Linker::<E, ()>::new(engine);
    let pre = linker.instantiate_pre(&counter).unwrap();
    let (mut a, mut b) = (Store::new(engine, ()), Store::new(engine, ()));
    let first = pre.instantiate(&mut a).unwrap();
    let second = pre.instantiate(&mut a).unwrap();
    let third = pre.instantiate(&mut b).unwrap();
    let make = |store: &mut Store<E, ()>, instance: &Instance<E>, start| {
        resource(call(store, instance, "[constructor]counter", &[Val::U32(start)]).unwrap())
    };
    let add = |store: &mut Store<E, ()>, instance: &Instance<E>, c: &ResourceAny, n| {
        call(
            store,
            instance,
            "[method]counter.add",
            &[Val::Resource(c.clone()), Val::U32(n)],
        )
    };
    let c1 = make(&mut a, &first, 1);
    let c2 = make(&mut a, &second, 100);
    let c3 = make(&mut b, &third, 1000);
    for round in 1..=3 {
        assert_eq!(add(&mut a, &first, &c1, 1).unwrap(), Val::U32(1 + round));
        assert_eq!(add(&mut b, &third, &c3, 1).unwrap(), Val::U32(1000 + round));
        assert_eq!(add(&mut a, &second, &c2, 1).unwrap(), Val::U32(100 + round));
    }
    // One instance's handle is not another's, in one store or two.
    assert!(add(&mut a, &second, &c1, 1).is_err());
    assert!(add(&mut b, &third, &c2, 1).is_err());
    assert_eq!(add(&mut a, &first, &c1, 0).unwrap(), Val::U32(4));

    // Host resources: the host's destructor runs for each instance's drops.
    let component = Component::new(engine, common::fixture_text("blobs.wat")).unwrap();
    let (linker, blob, blobs) = blob_linker(engine);
    let pre = linker.instantiate_pre(&component).unwrap();
    let (mut a, mut b) = (Store::new(engine, ()), Store::new(engine, ()));
    let instances = [
        pre.instantiate(&mut a).unwrap(),
        pre.instantiate(&mut b).unwrap(),
        pre.instantiate(&mut a).unwrap(),
    ];
    for (i, instance) in instances.iter().enumerate() {
        let store = if i == 1 { &mut b } else { &mut a };
        let size = 10 * (i as u32 + 1);
        assert_eq!(
            call(store, instance, "make-and-measure", &[Val::U32(size)]).unwrap(),
            Val::U32(size)
        );
    }
    assert_eq!(
        *blobs.lock().unwrap(),
        [None, None, None],
        "every blob dropped"
    );
    // A borrow kept past the call traps in the second store; the first
    // store's instances still work.
    blobs.lock().unwrap().push(Some(5));
    let e = call(
        &mut b,
        &instances[1],
        "leak-borrow",
        &[Val::Resource(ResourceAny::host(&blob, 3))],
    )
    .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::InvalidHandle), "{e}");
    for instance in [&instances[0], &instances[2]] {
        assert_eq!(
            call(&mut a, instance, "make-and-measure", &[Val::U32(6)]).unwrap(),
            Val::U32(6)
        );
    }
}
