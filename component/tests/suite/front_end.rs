//! The front end of components: loading and validating, the world with its
//! WIT types and their WIT text, bad input, and WAVE values.

use wasm_run_api::{Config, Engine, Error, Feature};
use wasm_run_component::{Component, ItemType, Type, TypeDef, Val};
use wasm_run_wasmi::Wasmi;

fn engine() -> Wasmi {
    Wasmi::new(&Config::new()).unwrap()
}

/// A component importing an interface with a resource, and exporting
/// functions over most value types.
const WORLD: &str = r#"(component
  (import "wasi:demo/store@0.1.0" (instance $store
    (export "blob" (type $blob (sub resource)))
    (export "open" (func (param "name" string) (result (own $blob))))
    (export "size" (func (param "b" (borrow $blob)) (result u64)))))
  (import "log" (func (param "msg" string)))
  (type $point-def (record (field "x" s32) (field "y" s32)))
  (type $shape (variant (case "circle" f64) (case "dot")))
  (type $color (enum "red" "green"))
  (type $perms (flags "read" "write"))
  (export $point "point" (type $point-def))
  (core module $m
    (func (export "f") (param i32 i32 i32 i32) (result f32) f32.const 0))
  (core instance $i (instantiate $m))
  (func (export "dist") (param "p" $point) (param "q" (tuple u8 char)) (result f32)
    (canon lift (core func $i "f")))
)"#;

#[test]
fn implements_names_follow_the_config() {
    let text = r#"(component
      (import "primary" (implements "wasi:keyvalue/store") (instance))
      (import "backup" (implements "wasi:keyvalue/store") (instance)))"#;
    let c = Component::new(&engine(), text).unwrap();
    assert_eq!(c.world().imports().len(), 2);
    let off = Wasmi::new(Config::new().component_model_implements(false)).unwrap();
    match Component::new(&off, text) {
        Err(Error::Compile { message, .. }) => {
            assert!(message.contains("cm-implements"), "{message}");
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
}

#[test]
fn wasmtime_restrictions_follow_the_config() {
    let restricted = [
        (
            "(component (import \"x\" (component)))",
            "root-level component imports",
        ),
        (
            "(component (component (export \"x\")))",
            "exporting a component from the root component",
        ),
        (
            "(component (import \"f\" (func $f)) (export \"f\" (func $f)))",
            "component export `f` is a reexport of an imported function",
        ),
        (
            "(component (import \"i\" (instance $i (export \"g\" (func))))
               (alias export $i \"g\" (func $g)) (export \"h\" (func $g)))",
            "component export `h` is a reexport of an imported function",
        ),
        (
            "(component (import \"i\" (instance $i (export \"g\" (func)))) (export \"j\" (instance $i)))",
            "component export `j` is a reexport of an imported function",
        ),
        (
            "(component (import \"f\" (func $f)) (instance $k (export \"f\" (func $f)))
               (export \"k\" (instance $k)))",
            "component export `k` is a reexport of an imported function",
        ),
    ];
    let strict = Wasmi::new(Config::new().component_model_wasmtime_restrictions(true)).unwrap();
    for (text, message) in restricted {
        Component::new(&engine(), text).unwrap_or_else(|e| panic!("{text}: {e}"));
        match Component::new(&strict, text) {
            Err(Error::Compile { message: m, .. }) => assert!(m.contains(message), "{m}"),
            other => panic!("{text}: expected a compile error, got {other:?}"),
        }
    }
    // What wasmtime loads still loads: a lifted function exported (twice,
    // and in an instance), imports used but not exported.
    let fine = r#"(component
      (import "i" (instance $i (export "g" (func))))
      (core module $m (func (export "f")))
      (core instance $c (instantiate $m))
      (func $f (canon lift (core func $c "f")))
      (export $e "f" (func $f))
      (export "f2" (func $e))
      (instance $k (export "f" (func $f)))
      (export "k" (instance $k)))"#;
    Component::new(&strict, fine).unwrap();
    // wasmtime itself agrees on both sides.
    let native = crate::common::native_engine();
    Component::new(&native, fine).unwrap();
    for (text, _) in restricted {
        assert!(Component::new(&native, text).is_err(), "{text}");
    }
}

#[test]
fn world_is_reflected_and_prints_as_wit() {
    let c = Component::new(&engine(), WORLD).unwrap();
    let world = c.world();
    assert_eq!(world.imports().len(), 2);
    assert_eq!(world.exports().len(), 2);
    let Some(ItemType::Instance(items)) = world.import("wasi:demo/store@0.1.0") else {
        panic!("the interface import: {:?}", world.imports());
    };
    let names: Vec<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["blob", "open", "size"]);
    let ItemType::Type(TypeDef::Resource(blob)) = &items[0].1 else {
        panic!("blob is a resource: {:?}", items[0].1)
    };
    assert_eq!(blob.name(), Some("blob"));
    let ItemType::Func(open) = &items[1].1 else {
        panic!()
    };
    assert_eq!(open.result(), Some(&Type::Own(blob.clone())));
    let ItemType::Func(size) = &items[2].1 else {
        panic!()
    };
    assert_eq!(size.params()[0].1, Type::Borrow(blob.clone()));
    let ItemType::Func(dist) = world.export("dist").unwrap() else {
        panic!()
    };
    assert_eq!(dist.params()[1].1.to_string(), "tuple<u8, char>");
    assert_eq!(
        world.to_string(),
        "world root {
  import wasi:demo/store@0.1.0: interface {
    resource blob;
    open: func(name: string) -> blob;
    size: func(b: borrow<blob>) -> u64;
  }
  import log: func(msg: string);
  type point = record { x: s32, y: s32 };
  export dist: func(p: record { x: s32, y: s32 }, q: tuple<u8, char>) -> f32;
}
"
    );
}

#[test]
fn types_print_as_wit() {
    let c = Component::new(
        &engine(),
        r#"(component
  (core module $m (func (export "f") (param i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (type $v (variant (case "a" u32) (case "b") (case "type" string)))
  (type $r (result (list u8) (error string)))
  (type $r2 (result))
  (type $r3 (result (error u8)))
  (type $o (option (option bool)))
  (type $e (enum "x" "y"))
  (type $f (flags "a" "b" "c"))
  (export "v" (type $v))
  (export "r" (type $r))
  (export "r2" (type $r2))
  (export "r3" (type $r3))
  (export "o" (type $o))
  (export "e" (type $e))
  (export "f" (type $f))
)"#,
    )
    .unwrap();
    let text = |name: &str| match c.world().export(name) {
        Some(ItemType::Type(TypeDef::Value(t))) => t.to_string(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(text("v"), "variant { a(u32), b, %type(string) }");
    assert_eq!(text("r"), "result<list<u8>, string>");
    assert_eq!(text("r2"), "result");
    assert_eq!(text("r3"), "result<_, u8>");
    assert_eq!(text("o"), "option<option<bool>>");
    assert_eq!(text("e"), "enum { x, y }");
    assert_eq!(text("f"), "flags { a, b, c }");
}

#[test]
fn bad_input_is_a_typed_error() {
    let e = engine();
    // A core module is not a component.
    let err = Component::new(&e, "(module)").unwrap_err();
    assert!(
        matches!(&err, Error::Compile { message, .. } if message.contains("core module")),
        "{err}"
    );
    // Junk, a truncated component, and an invalid one, with offsets.
    for bytes in [
        &b"\0asm\x0d\x00\x01\x00\xff"[..],
        &b"\0asm\x0d\x00\x01"[..],
        &b"not wasm at all"[..],
    ] {
        let err = Component::new(&e, bytes).unwrap_err();
        assert!(matches!(err, Error::Compile { .. }), "{bytes:?}: {err}");
    }
    let invalid = r#"(component (core module $m) (core instance $i (instantiate $m))
        (func (export "f") (canon lift (core func $i "missing"))))"#;
    let err = Component::new(&e, invalid).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Compile {
                offset: Some(_),
                ..
            }
        ),
        "{err}"
    );
    // Every prefix of a valid component is a typed answer (a prefix that
    // ends between sections is a smaller valid component), never a panic.
    let full = wat::parse_str(WORLD).unwrap();
    let mut refused = 0;
    for len in 0..full.len() {
        match Component::new(&e, &full[..len]) {
            Ok(_) => {}
            Err(Error::Compile { .. }) => refused += 1,
            Err(other) => panic!("a prefix of {len} bytes: {other}"),
        }
    }
    assert!(refused > full.len() * 9 / 10, "{refused} of {}", full.len());
    assert!(Component::new(&e, &full[..full.len() - 1]).is_err());
}

#[test]
fn async_components_are_unsupported() {
    let e = engine();
    for wat in [
        // An async function type.
        r#"(component (type (func async)))"#,
        // A stream.
        r#"(component (type (stream u8)))"#,
        // error-context.
        r#"(component (type (list error-context)))"#,
    ] {
        let err = Component::new(&e, wat).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Unsupported {
                    feature: Feature::ComponentModelAsync,
                    ..
                }
            ),
            "{wat}: {err}"
        );
    }
}

fn record_type() -> Type {
    let c = Component::new(
        &engine(),
        r#"(component
  (type $r (record (field "name" string) (field "size" u64) (field "tags" (list string))
     (field "note" (option string))))
  (export "r" (type $r)))"#,
    )
    .unwrap();
    match c.world().export("r") {
        Some(ItemType::Type(TypeDef::Value(t))) => t.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wave_values_print_and_parse_back() {
    let cases: Vec<(Type, &str)> = vec![
        (Type::Bool, "true"),
        (Type::S8, "-128"),
        (Type::U64, "18446744073709551615"),
        (Type::S64, "-9223372036854775808"),
        (Type::F32, "1.5"),
        (Type::F64, "-0.25"),
        (Type::F64, "nan"),
        (Type::F32, "-inf"),
        (Type::Char, "'x'"),
        (Type::Char, "'\\''"),
        (Type::Char, "'\\u{7}'"),
        (Type::String, "\"a \\\"quoted\\\" line\\n\\ttab \u{e9}\""),
        (Type::List(Type::U8.into()), "[1, 2, 3]"),
        (Type::List(Type::U8.into()), "[]"),
        (
            Type::Tuple(vec![Type::U8, Type::String].into()),
            "(7, \"seven\")",
        ),
        (
            Type::Option(Type::Option(Type::U8.into()).into()),
            "some(none)",
        ),
        (Type::Result((Some(Type::U8), None).into()), "ok(1)"),
        (Type::Result((Some(Type::U8), None).into()), "err"),
        (
            Type::Result((None, Some(Type::String)).into()),
            "err(\"no\")",
        ),
        (
            Type::Variant(vec![("a".into(), Some(Type::U8)), ("none".into(), None)].into()),
            "%none",
        ),
        (
            Type::Variant(vec![("a".into(), Some(Type::U8)), ("b".into(), None)].into()),
            "a(3)",
        ),
        (Type::Enum(vec!["red".into(), "ok".into()].into()), "%ok"),
        (
            Type::Flags(vec!["read".into(), "write".into(), "exec".into()].into()),
            "{read, exec}",
        ),
        (Type::Flags(vec!["read".into()].into()), "{}"),
        (
            record_type(),
            "{name: \"f\", size: 3, tags: [\"a\", \"b\"], note: some(\"n\")}",
        ),
    ];
    for (ty, text) in cases {
        let v = Val::parse(&ty, text).unwrap_or_else(|e| panic!("{ty}: {text}: {e}"));
        assert!(v.has_type(&ty), "{v:?} is not a {ty}");
        assert_eq!(v.to_string(), text, "printing {v:?}");
        assert_eq!(Val::parse(&ty, &v.to_string()).unwrap(), v);
    }
    // Spaces, trailing commas and left-out option fields are accepted.
    let v = Val::parse(
        &record_type(),
        " { size : 3 , name: \"f\", tags: [ \"a\", ], } ",
    )
    .unwrap();
    assert_eq!(
        v.to_string(),
        "{name: \"f\", size: 3, tags: [\"a\"], note: none}"
    );
    // NaN keeps its bits through equality.
    assert_eq!(Val::F32(f32::NAN), Val::F32(f32::NAN));
    assert_ne!(Val::F32(0.0), Val::F32(-0.0));
}

#[test]
fn bad_wave_text_is_a_type_error() {
    let rec = record_type();
    for (ty, text) in [
        (Type::U8, "256"),
        (Type::U8, "-1"),
        (Type::S32, "1.5"),
        (Type::Bool, "yes"),
        (Type::F64, "infinity"),
        (Type::Char, "'ab'"),
        (Type::Char, "''"),
        (Type::String, "\"unterminated"),
        (Type::String, "\"bad \\q escape\""),
        (Type::String, "\"\\u{d800}\""),
        (Type::List(Type::U8.into()), "[1, 2"),
        (Type::Tuple(vec![Type::U8, Type::U8].into()), "(1)"),
        (Type::Option(Type::U8.into()), "some"),
        (Type::Result((None, None).into()), "ok(1)"),
        (Type::Enum(vec!["a".into()].into()), "b"),
        (Type::Flags(vec!["a".into()].into()), "{a, b}"),
        (rec.clone(), "{name: \"f\"}"),
        (rec.clone(), "{name: \"f\", size: 1, tags: [], bogus: 1}"),
        (rec, "{name: \"f\", name: \"g\", size: 1, tags: []}"),
        (Type::U8, "1 2"),
        (Type::U8, ""),
    ] {
        match Val::parse(&ty, text) {
            Err(Error::Type(m)) => assert!(m.contains("WAVE"), "{m}"),
            other => panic!("{ty}: {text:?} gave {other:?}"),
        }
    }
}

/// `Val::Bytes` is a `list<u8>`: typed as one, printed as one, equal to
/// the same list of `U8`s (and not to another).
#[test]
fn bytes_are_a_list_of_u8() {
    let ty = Type::List(std::sync::Arc::new(Type::U8));
    let bytes = Val::Bytes(vec![1, 2, 255]);
    let list = Val::List(vec![Val::U8(1), Val::U8(2), Val::U8(255)]);
    assert!(bytes.has_type(&ty));
    assert!(!bytes.has_type(&Type::List(std::sync::Arc::new(Type::U16))));
    assert_eq!(bytes.to_string(), "[1, 2, 255]");
    assert_eq!(bytes.to_string(), list.to_string());
    assert_eq!(bytes, list);
    assert_eq!(list, bytes);
    assert_ne!(bytes, Val::Bytes(vec![1, 2]));
    assert_ne!(bytes, Val::List(vec![Val::U8(1), Val::U8(2), Val::U8(0)]));
    assert_eq!(Val::parse(&ty, "[1, 2, 255]").unwrap(), bytes);
}

/// What the portable path cannot do yet says what it is: a component that
/// imports a component loads (its world shows the import) and
/// instantiating it is `Unsupported` naming the construct.
#[test]
fn unsupported_constructs_are_named() {
    let e = engine();
    let c = Component::new(&e, r#"(component (import "inner" (component)))"#).unwrap();
    let mut store = wasm_run_api::Store::new(&e, ());
    let err = wasm_run_component::Linker::new(&e)
        .instantiate(&mut store, &c)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                feature: Feature::ComponentModel,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("components and values)"), "{err}");
}
