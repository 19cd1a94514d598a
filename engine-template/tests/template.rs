//! What the template really does (compile, validate, reflect, keep data,
//! record definitions) and how it refuses the rest.

use wasm_run_api::backend::LinkerBackend;
use wasm_run_api::{
    Caller, Config, Engine, Error, ExternType, Feature, FuncType, Instance, LinkError, Linker,
    Module, Result, Store, Val, ValType,
};
use wasm_run_template::{RUNTIME, Template};

const ADD_WAT: &str = r#"
(module
  (import "host" "offset" (func $offset (result i32)))
  (func (export "add") (param i32) (result i32)
    local.get 0
    call $offset
    i32.add))
"#;

fn engine() -> Template {
    Template::new(&Config::new()).expect("the default config")
}

/// Asserts that `e` is the template's refusal to run: `Unsupported`
/// naming the template, for a feature it calls unsupported.
#[track_caller]
fn assert_runs_nothing(e: Error) {
    match e {
        Error::Unsupported { feature, engine } => {
            assert_eq!(engine, "template");
            assert_eq!(feature, RUNTIME);
            assert_eq!(feature, Feature::Execution);
            assert!(!wasm_run_template::support(feature).is_supported());
        }
        other => panic!("expected Unsupported, got {other} ({other:?})"),
    }
}

#[test]
fn compiles_valid_modules_and_reflects_them() {
    let engine = engine();
    let module = Module::new(&engine, ADD_WAT).expect("a valid module compiles");
    Module::validate(&engine, ADD_WAT).expect("and validates");
    assert_eq!(module.imports().len(), 1);
    assert_eq!(module.imports()[0].module, "host");
    assert_eq!(
        module.imports()[0].ty,
        ExternType::Func(FuncType::new([], [ValType::I32]))
    );
    assert_eq!(module.exports()[0].name, "add");
    assert_eq!(
        module.exports()[0].ty,
        ExternType::Func(FuncType::new([ValType::I32], [ValType::I32]))
    );
    // The backend module keeps the bytes and the same declarations.
    let native = module.as_native();
    assert_eq!(native.wasm(), module.wasm());
    assert_eq!(native.info(), module.info());
}

#[test]
fn invalid_modules_are_compile_errors() {
    let engine = engine();
    // The body leaves no i32 for the declared result.
    let wat = "(module (func (result i32)))";
    for result in [
        Module::new(&engine, wat).map(drop),
        Module::validate(&engine, wat),
    ] {
        match result {
            Err(Error::Compile { offset, .. }) => assert!(offset.is_some(), "no offset"),
            other => panic!("expected Error::Compile, got {other:?}"),
        }
    }
    // Not wasm at all.
    assert!(matches!(
        Module::new(&engine, b"\0asm\x01\0\0\0\xff"),
        Err(Error::Compile { .. })
    ));
}

#[test]
fn proposals_follow_the_config() {
    let simd = r#"(module (func (export "f") (result v128) v128.const i32x4 1 2 3 4))"#;
    Module::new(&engine(), simd).expect("simd is on by default");
    let mut config = Config::new();
    config.disable(Feature::Simd);
    let engine = Template::new(&config).expect("simd can be disabled");
    match Module::new(&engine, simd) {
        Err(Error::Compile { message, .. }) => assert!(message.contains("simd"), "{message}"),
        other => panic!("expected Error::Compile, got {other:?}"),
    }
    // Components are not core modules: Unsupported, not a compile error.
    match Module::new(&engine, "(component)") {
        Err(Error::Unsupported { feature, engine }) => {
            assert_eq!((feature, engine), (Feature::ComponentModel, "template"));
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn unsupported_config_is_refused() {
    let mut fuel = Config::new();
    fuel.fuel(true);
    assert!(matches!(
        Template::new(&fuel),
        Err(Error::Unsupported {
            feature: Feature::Fuel,
            engine: "template"
        })
    ));
    let mut limits = Config::new();
    limits.max_memory_bytes(1 << 20);
    assert!(matches!(
        Template::new(&limits),
        Err(Error::Unsupported {
            feature: Feature::Limits,
            engine: "template"
        })
    ));
    let mut execution = Config::new();
    execution.enable(Feature::Execution);
    assert!(matches!(
        Template::new(&execution),
        Err(Error::Unsupported {
            feature: Feature::Execution,
            engine: "template"
        })
    ));
    assert!(!engine().features().contains(Feature::Execution));
}

#[test]
fn instantiation_is_unsupported() {
    let engine = engine();
    let module = Module::new(&engine, ADD_WAT).expect("compiles");
    let mut store = Store::new(&engine, 1_i32);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "offset", |caller: Caller<'_, Template, i32>| {
            Ok(*caller.data())
        })
        .expect("a host function is recorded");
    assert_runs_nothing(linker.instantiate(&mut store, &module).unwrap_err());
    assert_runs_nothing(linker.instantiate_pre(&module).unwrap_err());
    let empty = Module::new(&engine, "(module)").expect("compiles");
    assert_runs_nothing(Instance::new(&mut store, &empty, &[]).unwrap_err());
    assert_runs_nothing(
        wasm_run_api::Memory::new(&mut store, wasm_run_api::MemoryType::new(1, None)).unwrap_err(),
    );
    assert_runs_nothing(
        wasm_run_api::Global::new(
            &mut store,
            wasm_run_api::GlobalType::new(ValType::I32, wasm_run_api::Mutability::Const),
            Val::I32(0),
        )
        .unwrap_err(),
    );
    assert!(matches!(
        store.get_fuel(),
        Err(Error::Unsupported {
            feature: Feature::Fuel,
            engine: "template"
        })
    ));
    assert!(matches!(
        engine.serialize(module.as_native()),
        Err(Error::Unsupported {
            feature: Feature::ModuleSerialization,
            ..
        })
    ));
}

#[test]
fn stores_keep_the_data() {
    let engine = engine();
    let mut store = Store::new(&engine, vec![1, 2]);
    store.data_mut().push(3);
    assert_eq!(store.data(), &[1, 2, 3]);
    assert_eq!(store.into_data(), [1, 2, 3]);
}

#[test]
fn duplicate_definitions_are_refused() {
    let engine = engine();
    let host = |_: Caller<'_, Template, ()>| -> Result<i32> { Ok(1) };

    // Through the API's linker (which keeps its own record of names).
    let mut linker = Linker::<Template, ()>::new(&engine);
    linker
        .func_wrap("env", "f", host)
        .expect("first definition");
    let e = linker.func_wrap("env", "f", host).map(drop).unwrap_err();
    match e {
        Error::Link(link) => assert_eq!(
            *link,
            LinkError::Duplicate {
                module: "env".into(),
                name: "f".into()
            }
        ),
        other => panic!("expected LinkError::Duplicate, got {other:?}"),
    }

    // The backend's own linker refuses too (WASI adapters define on it
    // directly), and records what it was given.
    let mut native = engine.linker::<()>();
    let ty = FuncType::new([ValType::I64], []);
    let noop = |_: Caller<'_, Template, ()>, _: &[Val<Template>], _: &mut [Val<Template>]| Ok(());
    native
        .func_new("env", "g", ty.clone(), noop)
        .expect("first definition");
    assert!(matches!(
        native.func_new("env", "g", ty.clone(), noop),
        Err(Error::Link(link)) if matches!(*link, LinkError::Duplicate { .. })
    ));
    assert_eq!(native.host_definition("env", "g").map(|d| &d.ty), Some(&ty));
    native.allow_shadowing(true);
    native
        .func_wrap("env", "g", host)
        .expect("shadowing replaces the definition");
    assert_eq!(
        native.host_definition("env", "g").map(|d| d.ty.clone()),
        Some(FuncType::new([], [ValType::I32]))
    );
}
