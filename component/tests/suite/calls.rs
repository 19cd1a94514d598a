//! Instantiating components and calling them through the canonical ABI,
//! on every backend (wasmi and wasmtime, the portable path): echoes of
//! every value type through memory and flat values, host imports, typed
//! errors for bad arguments, and the canonical ABI's traps.

use crate::common;

use wasm_run_api::{Engine, Error, LinkError, Store, TrapCode};
use wasm_run_component::{Component, Instance, ItemType, Linker, Type, TypeDef, Val};

use common::fixture_text as fixture;

use common::call;

fn echo<E: Engine>(engine: &E) -> (Store<E, ()>, Component<E>, Instance<E>) {
    common::instantiate(engine, fixture("echo.wat"))
}

fn exported_type<E: Engine>(c: &Component<E>, name: &str) -> Type {
    match c.world().export(name) {
        Some(ItemType::Type(TypeDef::Value(t))) => t.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn pad() -> Val {
    Val::Tuple((0..16).map(|i| Val::U64(i * 1_000_000_007)).collect())
}

fn echoes_every_type<E: Engine>(engine: &E) {
    let (mut store, c, instance) = echo(engine);
    let r = call(&mut store, &instance, "add", &[Val::U32(40), Val::U32(2)]).unwrap();
    assert_eq!(r, Some(Val::U32(42)));
    let wave =
        |ty: &Type, text: &str| Val::parse(ty, text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let point = exported_type(&c, "point");
    let shape = exported_type(&c, "shape");
    let perms = exported_type(&c, "perms");
    let color = exported_type(&c, "color");
    let bytes: Vec<Val> = (0..65536u32)
        .map(|i| Val::U8((i * 7 % 251) as u8))
        .collect();
    let cases: Vec<(&str, Val)> = vec![
        ("echo-u32", Val::U32(u32::MAX)),
        ("echo-s8", Val::S8(-128)),
        ("echo-bool", Val::Bool(true)),
        ("echo-char", Val::Char('\u{10ffff}')),
        ("echo-u64", Val::U64(u64::MAX - 1)),
        ("echo-f32", Val::F32(-1.5)),
        ("echo-color", wave(&color, "blue")),
        (
            "echo-string",
            Val::String("héllo, wörld — ünïcode ✓".into()),
        ),
        ("echo-string", Val::String(String::new())),
        (
            "echo-string16",
            Val::String("utf-16: é ✓ 𝄞 (astral)".into()),
        ),
        (
            "echo-string-compact",
            Val::String("latin-1 only: café".into()),
        ),
        (
            "echo-string-compact",
            Val::String("needs utf-16: 𝄞 ✓".into()),
        ),
        ("echo-bytes", Val::List(bytes)),
        ("echo-point", wave(&point, "{x: -7, y: 2.5, label: \"p\"}")),
        (
            "echo-shapes",
            wave(
                &Type::List(shape.clone().into()),
                "[circle(1.25), rect((3, 18446744073709551615)), none, circle(-0)]",
            ),
        ),
        (
            "echo-option",
            wave(
                &Type::Option(Type::Tuple(vec![Type::U8, Type::String].into()).into()),
                "some((9, \"nine\"))",
            ),
        ),
        (
            "echo-option",
            wave(
                &Type::Option(Type::Tuple(vec![Type::U8, Type::String].into()).into()),
                "none",
            ),
        ),
        (
            "echo-result",
            wave(
                &Type::Result((Some(Type::List(Type::U16.into())), Some(Type::Char)).into()),
                "ok([1, 65535])",
            ),
        ),
        (
            "echo-result",
            wave(
                &Type::Result((Some(Type::List(Type::U16.into())), Some(Type::Char)).into()),
                "err('x')",
            ),
        ),
        (
            "echo-map",
            wave(
                &Type::Map((Type::String, Type::FixedList(Type::U32.into(), 2)).into()),
                "[(\"a\", [1, 2]), (\"\", [4294967295, 0]), (\"a\", [3, 4])]",
            ),
        ),
        (
            "echo-map",
            wave(
                &Type::Map((Type::String, Type::FixedList(Type::U32.into(), 2)).into()),
                "[]",
            ),
        ),
        (
            "echo-fixed",
            wave(
                &Type::FixedList(point.clone().into(), 3),
                "[{x: 1, y: 0.5, label: \"a\"}, {x: -2, y: -1, label: \"\"}, {x: 3, y: 2, label: \"c\"}]",
            ),
        ),
        (
            "echo-fixed-bytes",
            wave(&Type::FixedList(Type::U8.into(), 5), "[1, 2, 3, 254, 255]"),
        ),
        ("echo-perms", wave(&perms, "{f0, f7, f16, f19}")),
        ("echo-perms", wave(&perms, "{}")),
        (
            "echo-flagged",
            wave(
                &Type::Tuple(vec![perms.clone(), color.clone(), Type::String].into()),
                "({f1, f19}, green, \"flags\")",
            ),
        ),
    ];
    for (name, v) in cases {
        let f = instance.get_func(name).unwrap();
        let args = if f.ty().params().len() == 2 {
            vec![v.clone(), pad()]
        } else {
            vec![v.clone()]
        };
        let got =
            call(&mut store, &instance, name, &args).unwrap_or_else(|e| panic!("{name}({v}): {e}"));
        assert_eq!(got.as_ref(), Some(&v), "{name}: {v}");
    }
    // A NaN's payload crosses unchanged (as on wasmtime's own path).
    let nan = call(
        &mut store,
        &instance,
        "echo-f32",
        &[Val::F32(f32::from_bits(0x7fc0_1234))],
    )
    .unwrap();
    assert_eq!(nan, Some(Val::F32(f32::from_bits(0x7fc0_1234))));
    // Flat lowering of a list (two core values, through realloc).
    let n = call(
        &mut store,
        &instance,
        "count-bytes",
        &[Val::List(vec![Val::U8(1); 1000])],
    )
    .unwrap();
    assert_eq!(n, Some(Val::U32(1000)));
}

fn typed_functions<E: Engine>(engine: &E) {
    let (mut store, _, instance) = echo(engine);
    let f = |name: &str| instance.get_func(name).unwrap();
    let add = f("add").typed::<(u32, u32), (u32,)>().unwrap();
    assert_eq!(add.call(&mut store, (40, 2)).unwrap(), (42,));
    let count = f("count-bytes").typed::<(Vec<u8>,), (u32,)>().unwrap();
    assert_eq!(count.call(&mut store, (vec![7; 300],)).unwrap(), (300,));
    let color = f("echo-u64").typed::<(u64,), (u64,)>().unwrap();
    assert_eq!(color.call(&mut store, (u64::MAX,)).unwrap(), (u64::MAX,));
    let ch = f("echo-char").typed::<(char,), (char,)>().unwrap();
    assert_eq!(ch.call(&mut store, ('𝄞',)).unwrap(), ('𝄞',));
    let pair = f("add-pair").typed::<([u32; 2],), (u32,)>().unwrap();
    assert_eq!(pair.call(&mut store, ([40, 2],)).unwrap(), (42,));
    let map = f("count-map");
    let mut counted = |m: std::collections::BTreeMap<u8, bool>| {
        use wasm_run_component::ComponentType;
        let mut out = [Val::U32(0)];
        map.call(&mut store, &[m.into_val()], &mut out).unwrap();
        out
    };
    let m = std::collections::BTreeMap::from([(1, true), (2, false), (3, true)]);
    assert_eq!(counted(m), [Val::U32(3)]);
    let bad = f("bad-char").typed::<(), (char,)>().unwrap();
    assert!(bad.call(&mut store, ()).is_err());
    // Wrong Rust types are refused once, when the typed function is made.
    for e in [
        f("add").typed::<(u32,), (u32,)>().err(),
        f("add").typed::<(u32, i32), (u32,)>().err(),
        f("add").typed::<(u32, u32), ()>().err(),
        f("add").typed::<(u32, u32), (String,)>().err(),
        f("count-bytes").typed::<(Vec<u16>,), (u32,)>().err(),
    ] {
        assert!(matches!(e, Some(Error::Type(_))), "{e:?}");
    }
}

fn typed_results_and_options<E: Engine>(engine: &E) {
    let (mut store, _, instance) = echo(engine);
    let pad = Val::Tuple((0..16).map(Val::U64).collect());
    // The echo functions take a 16-field pad tuple, which has no Rust
    // tuple here; check the value types through `ComponentType` directly.
    use wasm_run_component::ComponentType;
    let opt = Some((9u8, "nine".to_string()));
    let ty = instance.get_func("echo-option").unwrap().ty().params()[0]
        .1
        .clone();
    assert!(<Option<(u8, String)>>::typecheck(&ty));
    let mut out = [Val::Bool(false)];
    instance
        .get_func("echo-option")
        .unwrap()
        .call(&mut store, &[opt.clone().into_val(), pad.clone()], &mut out)
        .unwrap();
    let [v] = out;
    assert_eq!(<Option<(u8, String)>>::from_val(v).unwrap(), opt);
    let r: Result<Vec<u16>, char> = Err('x');
    let rty = instance.get_func("echo-result").unwrap().ty().params()[0]
        .1
        .clone();
    assert!(<Result<Vec<u16>, char>>::typecheck(&rty));
    assert!(!<Result<Vec<u16>, u32>>::typecheck(&rty));
    let mut out = [Val::Bool(false)];
    instance
        .get_func("echo-result")
        .unwrap()
        .call(&mut store, &[r.clone().into_val(), pad], &mut out)
        .unwrap();
    let [v] = out;
    assert_eq!(<Result<Vec<u16>, char>>::from_val(v).unwrap(), r);
    // A side without a payload is `()`.
    let unit_ok = Type::Result((None, Some(Type::String)).into());
    assert!(<Result<(), String>>::typecheck(&unit_ok));
    assert!(!<Result<u8, String>>::typecheck(&unit_ok));
    for r in [Ok(()), Err("no".to_string())] {
        let v = r.clone().into_val();
        assert!(v.has_type(&unit_ok), "{v}");
        assert_eq!(<Result<(), String>>::from_val(v).unwrap(), r);
    }
}

fn bad_arguments_are_type_errors<E: Engine>(engine: &E) {
    let (mut store, _, instance) = echo(engine);
    let add = instance.get_func("add").unwrap();
    assert_eq!(add.ty().to_string(), "func(a: u32, b: u32) -> u32");
    let mut out = [Val::U32(0)];
    for (args, what) in [
        (vec![Val::U32(1)], "too few"),
        (vec![Val::U32(1), Val::U32(2), Val::U32(3)], "too many"),
        (vec![Val::U32(1), Val::S32(2)], "wrong type"),
    ] {
        let e = add.call(&mut store, &args, &mut out).unwrap_err();
        assert!(matches!(e, Error::Type(_)), "{what}: {e}");
    }
    let e = add
        .call(&mut store, &[Val::U32(1), Val::U32(2)], &mut [])
        .unwrap_err();
    assert!(matches!(e, Error::Type(_)), "no result slot: {e}");
    // A fixed-length list of another length; a map with a wrong key.
    let pair = instance.get_func("add-pair").unwrap();
    assert_eq!(pair.ty().to_string(), "func(v: list<u32, 2>) -> u32");
    let three = Val::List(vec![Val::U32(1); 3]);
    let e = pair.call(&mut store, &[three], &mut out).unwrap_err();
    assert!(matches!(e, Error::Type(_)), "three items: {e}");
    let count = instance.get_func("count-map").unwrap();
    assert_eq!(count.ty().to_string(), "func(v: map<u8, bool>) -> u32");
    let bad = Val::Map(vec![(Val::U32(1), Val::Bool(true))]);
    let e = count.call(&mut store, &[bad], &mut out).unwrap_err();
    assert!(matches!(e, Error::Type(_)), "u32 key: {e}");
    // Another store of the same engine.
    let mut other = Store::new(engine, ());
    let e = add
        .call(&mut other, &[Val::U32(1), Val::U32(2)], &mut out)
        .unwrap_err();
    assert!(matches!(e, Error::WrongStore), "{e}");
}

fn lifting_traps<E: Engine>(engine: &E) {
    let (mut store, _, instance) = echo(engine);
    for (name, code) in [
        ("bad-utf8", TrapCode::InvalidEncoding),
        ("out-of-bounds", TrapCode::MemoryOutOfBounds),
        ("unaligned", TrapCode::UnalignedPointer),
        ("bad-char", TrapCode::InvalidChar),
        ("bad-enum", TrapCode::InvalidDiscriminant),
    ] {
        let e = call(&mut store, &instance, name, &[]).unwrap_err();
        assert_eq!(e.trap_code(), Some(code), "{name}: {e}");
    }
    // The instance still works afterwards.
    let r = call(&mut store, &instance, "add", &[Val::U32(1), Val::U32(2)]).unwrap();
    assert_eq!(r, Some(Val::U32(3)));
}

fn host_imports<E: Engine>(engine: &E) {
    let component = Component::new(engine, fixture("host.wat")).unwrap();
    let mut store = Store::new(engine, ());
    // Nothing defined: the missing import is named.
    let e = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap_err();
    assert!(
        matches!(&e, Error::Link(l) if matches!(**l, LinkError::Other(ref m) if m.contains("greet"))),
        "{e}"
    );
    let mut linker = Linker::<E, ()>::new(engine);
    linker
        .func_new("greet", |_, args, results| {
            let Val::String(name) = &args[0] else {
                panic!("greet got {args:?}")
            };
            results[0] = Val::String(format!("Hello, {name}!"));
            Ok(())
        })
        .unwrap();
    linker
        .instance("example:host/math@0.1.0")
        .unwrap()
        .func_new("sum", |_, args, results| {
            let Val::List(xs) = &args[0] else { panic!() };
            let total = xs
                .iter()
                .map(|x| match x {
                    Val::U32(x) => u64::from(*x),
                    _ => panic!(),
                })
                .sum();
            results[0] = Val::U64(total);
            Ok(())
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let mut out = [Val::Bool(false)];
    let run = instance.get_func("run").unwrap();
    run.call(&mut store, &[Val::String("wörld".into())], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::String("Hello, wörld!".into()));
    let total = instance.get_func("total").unwrap();
    let xs: Vec<Val> = (1..=1000).map(Val::U32).collect();
    total.call(&mut store, &[Val::List(xs)], &mut out).unwrap();
    assert_eq!(out[0], Val::U64(500_500));
    // A host function that returns the wrong type is a type error.
    let mut bad = Linker::<E, ()>::new(engine);
    bad.func_new("greet", |_, _, results| {
        results[0] = Val::U32(1);
        Ok(())
    })
    .unwrap();
    bad.instance("example:host/math@0.1.0")
        .unwrap()
        .func_new("sum", |_, _, _| Err(Error::host("no sums today")))
        .unwrap();
    let instance = bad.instantiate(&mut store, &component).unwrap();
    let e = instance
        .get_func("run")
        .unwrap()
        .call(&mut store, &[Val::String("x".into())], &mut out)
        .unwrap_err();
    assert!(matches!(e, Error::Type(_)), "{e}");
    // A fresh store: on wasmtime's own component model, after a call
    // failed no instance of its store can be entered again.
    let mut store = Store::new(engine, ());
    let instance = bad.instantiate(&mut store, &component).unwrap();
    let e = instance
        .get_func("total")
        .unwrap()
        .call(&mut store, &[Val::List(vec![])], &mut out)
        .unwrap_err();
    assert!(e.to_string().contains("no sums today"), "{e}");
}

/// Core modules a component exports: `Instance::get_module` hands them
/// back as wasm-run modules, usable like any other, on every path
/// (wasmtime's own component model included).
fn exported_core_modules<E: Engine>(engine: &E) {
    let text = r#"(component
        (core module $m (func (export "seven") (result i32) i32.const 7))
        (core module $n (global (export "g") i32 i32.const 1))
        (export "m" (core module $m))
        (export "n" (core module $n))
    )"#;
    let (mut store, _, instance) = common::instantiate(engine, text);
    assert_eq!(instance.module_names(), ["m", "n"]);
    assert!(instance.get_module("missing").is_none());
    let m = instance.get_module("m").expect("module m");
    let names: Vec<&str> = m.exports().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["seven"]);
    let core = wasm_run_api::Instance::new(&mut store, &m, &[]).unwrap();
    let seven = core.get_typed_func::<(), i32>(&mut store, "seven").unwrap();
    assert_eq!(seven.call(&mut store, ()).unwrap(), 7);
    // A module of an import, exported again: the linker's module.
    let text = r#"(component
        (import "src" (instance $src
            (export "m" (core module (export "seven" (func (result i32)))))))
        (export "again" (core module $src "m"))
    )"#;
    let component = Component::new(engine, text).unwrap();
    let mut linker = Linker::<E, ()>::new(engine);
    linker.instance("src").unwrap().module("m", &m).unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let again = instance.get_module("again").expect("module again");
    let core = wasm_run_api::Instance::new(&mut store, &again, &[]).unwrap();
    let seven = core.get_typed_func::<(), i32>(&mut store, "seven").unwrap();
    assert_eq!(seven.call(&mut store, ()).unwrap(), 7);
}

/// 64-bit memories in canonical options (`cm64`): the component loads on
/// every path (its world is there) and instantiating it is a typed
/// `Unsupported` (wasmtime 48's own host calls would read 32-bit pointers).
fn memory64_options<E: Engine>(engine: &E) {
    let text = r#"(component
        (core module $m
            (memory (export "mem") i64 1)
            ;; The result's (ptr, len) as two i64s at 0, the bytes at 16.
            (data (i64.const 0) "\10\00\00\00\00\00\00\00\04\00\00\00\00\00\00\00hi64")
            (func (export "get") (result i64) i64.const 0))
        (core instance $i (instantiate $m))
        (alias core export $i "mem" (core memory $mem))
        (func (export "get") (result string) (canon lift (core func $i "get") (memory $mem)))
    )"#;
    let component = Component::new(engine, text).unwrap();
    assert!(component.uses_memory64_options());
    assert!(
        component
            .world()
            .to_string()
            .contains("get: func() -> string")
    );
    let (_, echo, _) = echo(engine);
    assert!(!echo.uses_memory64_options());
    // Other uses of the `cm64` addition stay invalid.
    let e = Component::new(engine, "(component (type (resource (rep i64))))").unwrap_err();
    assert!(matches!(e, Error::Compile { .. }), "{e}");
    let mut store = Store::new(engine, ());
    let linker = Linker::<E, ()>::new(engine);
    let Err(e) = linker.instantiate(&mut store, &component) else {
        panic!("instantiated a component with 64-bit canonical memories")
    };
    assert!(
        matches!(
            e,
            Error::Unsupported {
                feature: wasm_run_api::Feature::Memory64,
                ..
            }
        ),
        "{e}"
    );
}

/// An outer alias of count 0 names the component's own module or
/// component (the spec allows it; `alias.wast`, `nested.wast`).
fn outer_aliases_to_self<E: Engine>(engine: &E) {
    let text = r#"(component $C
        (core module $m (func (export "seven") (result i32) i32.const 7))
        (alias outer $C $m (core module $again))
        (core instance $i (instantiate $again))
        (component $c (core module (export "inner")))
        (alias outer $C $c (component $c2))
        (instance $j (instantiate $c2))
        (export "again" (core module $again))
        (func (export "seven") (result u32) (canon lift (core func $i "seven")))
    )"#;
    let (mut store, _, instance) = common::instantiate(engine, text);
    let r = call(&mut store, &instance, "seven", &[]).unwrap();
    assert_eq!(r, Some(Val::U32(7)));
    let again = instance.get_module("again").expect("module again");
    assert_eq!(again.exports()[0].name, "seven");
}

on_every_backend!(
    outer_aliases_to_self,
    memory64_options,
    exported_core_modules,
    reentrance_traps,
    typed_results_and_options,
    typed_functions,
    echoes_every_type,
    bad_arguments_are_type_errors,
    lifting_traps,
    host_imports,
    pre_instantiation,
    versioned_imports_match_semver
);

/// `Linker::instantiate_pre` resolves the imports once (a missing one is
/// its error); each `InstancePre::instantiate` makes an independent
/// instance in its own store; a store of another engine is refused.
fn pre_instantiation<E: Engine>(engine: &E) {
    let component = Component::new(engine, fixture("host.wat")).unwrap();
    let Err(e) = Linker::<E, u32>::new(engine).instantiate_pre(&component) else {
        panic!("linked ahead without its imports")
    };
    assert!(
        matches!(&e, Error::Link(l) if matches!(**l, LinkError::Other(ref m) if m.contains("greet"))),
        "{e}"
    );
    let mut linker = Linker::<E, u32>::new(engine);
    linker
        .func_new("greet", |cx, args, results| {
            let Val::String(name) = &args[0] else {
                panic!("greet got {args:?}")
            };
            *cx.data_mut() += 1;
            results[0] = Val::String(format!("{name} #{}", cx.data()));
            Ok(())
        })
        .unwrap();
    linker
        .instance("example:host/math@0.1.0")
        .unwrap()
        .func_new("sum", |_, _, results| {
            results[0] = Val::U64(7);
            Ok(())
        })
        .unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    assert_eq!(
        pre.component().world().to_string(),
        component.world().to_string()
    );
    let mut out = [Val::Bool(false)];
    for start in [10, 20] {
        let mut store = Store::new(engine, start);
        let instance = pre.instantiate(&mut store).unwrap();
        let run = instance.get_func("run").unwrap();
        for n in 1..=2 {
            run.call(&mut store, &[Val::String("x".into())], &mut out)
                .unwrap();
            assert_eq!(out[0], Val::String(format!("x #{}", start + n)));
        }
    }
    // The same pre-instantiation in a store of another engine.
    let other = E::new(engine.config()).unwrap();
    let mut store = Store::new(&other, 0);
    let e = pre.instantiate(&mut store).unwrap_err();
    assert!(matches!(e, Error::WrongStore), "{e}");
}

/// An import of a versioned interface is satisfied by the highest
/// semver-compatible version the linker defines (0.2.x for 0.2.1), never
/// by an incompatible one.
fn versioned_imports_match_semver<E: Engine>(engine: &E) {
    let wat = |version: &str| {
        format!(
            r#"(component
              (import "test:demo/api@{version}" (instance $api
                (export "version" (func (result u32)))))
              (alias export $api "version" (func $f))
              (core func $g (canon lower (func $f)))
              (core module $m
                (import "" "v" (func $v (result i32)))
                (func (export "run") (result i32) call $v))
              (core instance $i (instantiate $m (with "" (instance (export "v" (func $g))))))
              (func (export "run") (result u32) (canon lift (core func $i "run"))))"#
        )
    };
    let mut linker = Linker::<E, ()>::new(engine);
    for (version, answer) in [("0.2.0", 20), ("0.2.5", 25), ("0.3.0", 30), ("1.4.0", 140)] {
        linker
            .instance(&format!("test:demo/api@{version}"))
            .unwrap()
            .func_new("version", move |_, _, out| {
                out[0] = Val::U32(answer);
                Ok(())
            })
            .unwrap();
    }
    for (import, answer) in [
        ("0.2.0", 20),
        ("0.2.1", 25),
        ("0.2.9", 25),
        ("0.3.2", 30),
        ("1.0.0", 140),
        ("1.9.1", 140),
    ] {
        let c = Component::new(engine, wat(import)).unwrap();
        let mut store = Store::new(engine, ());
        let instance = linker.instantiate(&mut store, &c).unwrap();
        let got = call(&mut store, &instance, "run", &[]).unwrap();
        assert_eq!(got, Some(Val::U32(answer)), "import @{import}");
    }
    for import in ["0.1.0", "0.4.0", "2.0.0", "0.2.1-rc"] {
        let c = Component::new(engine, wat(import)).unwrap();
        let mut store = Store::new(engine, ());
        let e = linker.instantiate(&mut store, &c).unwrap_err();
        assert!(matches!(e, Error::Link(_)), "import @{import}: {e}");
    }
}

/// The reentrance rule: a component that calls its own export (lowered
/// back into itself) traps with `CannotEnterComponent`, from an export and
/// from a core start function during instantiation; the instance is usable
/// again after the trap on the portable path.
fn reentrance_traps<E: Engine>(engine: &E) {
    let wat = r#"(component
        (core module $m (func (export "") ))
        (core instance $m (instantiate $m))
        (func $f1 (canon lift (core func $m "")))
        (core func $f2 (canon lower (func $f1)))
        (core module $caller
            (import "" "" (func $f))
            (func (export "outer") call $f))
        (core instance $c (instantiate $caller (with "" (instance (export "" (func $f2))))))
        (func (export "outer") (canon lift (core func $c "outer")))
        (func (export "inner") (canon lift (core func $m ""))))"#;
    let component = Component::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let e = instance
        .get_func("outer")
        .unwrap()
        .call(&mut store, &[], &mut [])
        .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::CannotEnterComponent), "{e}");
    let started = r#"(component
        (core module $m (func (export "")))
        (core instance $m (instantiate $m))
        (func $f1 (canon lift (core func $m "")))
        (core func $f2 (canon lower (func $f1)))
        (core module $m2 (import "" "" (func $f)) (func $start call $f) (start $start))
        (core instance (instantiate $m2 (with "" (instance (export "" (func $f2)))))))"#;
    let component = Component::new(engine, started).unwrap();
    let mut store = Store::new(engine, ());
    let e = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::CannotEnterComponent), "{e}");
}
