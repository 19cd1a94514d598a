#![cfg(all(feature = "wasmtime", feature = "wasmi"))]
//! The linker's own record of defined names: a definition the backend
//! refuses does not take the name.

use wasm_run::{
    AnyEngine, Config, Error, Global, GlobalType, LinkError, Linker, Mutability, Store, Val,
    ValType,
};

#[test]
fn a_refused_definition_does_not_take_the_name() {
    let wasmtime = AnyEngine::by_name("wasmtime", &Config::new()).unwrap();
    let wasmi = AnyEngine::by_name("wasmi", &Config::new()).unwrap();
    let ty = GlobalType::new(ValType::I32, Mutability::Const);
    let mut store = Store::new(&wasmtime, ());
    let mut foreign_store = Store::new(&wasmi, ());
    let good = Global::new(&mut store, ty, Val::I32(1)).unwrap();
    let foreign = Global::new(&mut foreign_store, ty, Val::I32(2)).unwrap();
    let mut linker = Linker::new(&wasmtime);
    // A handle of another backend is refused by the backend...
    assert!(matches!(
        linker.define(&store, "env", "g", foreign).map(|_| ()),
        Err(Error::WrongStore)
    ));
    // ...and the name is still free.
    linker.define(&store, "env", "g", good).unwrap();
    // Now it is taken.
    match linker.define(&store, "env", "g", good).map(|_| ()) {
        Err(Error::Link(link)) => assert!(matches!(*link, LinkError::Duplicate { .. })),
        other => panic!("expected Duplicate, got {other:?}"),
    }
}

/// A typed reference exported by one instance and imported by another:
/// the two modules number the same function type differently (and the
/// engine reports a live global's concrete type without a module index),
/// so the API's import check leaves concrete types to the engine, which
/// accepts the same structure and refuses another.
#[test]
fn typed_references_link_across_instances_by_structure() {
    use wasm_run::{Instance, Module};
    let engine = AnyEngine::by_name("wasmtime", &Config::new()).unwrap();
    let exporter = Module::new(
        &engine,
        r#"(module
            (type $f (func (param i32)))
            (global (export "g") (mut (ref $f)) (ref.func $x))
            (func $x (param i32))
            (elem declare func $x))"#,
    )
    .unwrap();
    // `$f` is type 1 here (type 0 is another one).
    let importer = |param: &str| {
        Module::new(
            &engine,
            format!(
                r#"(module
                    (type (func (result i64)))
                    (type $f (func (param {param})))
                    (import "a" "g" (global (mut (ref $f)))))"#
            ),
        )
        .unwrap()
    };
    let mut store = Store::new(&engine, ());
    let a = Instance::new(&mut store, &exporter, &[]).unwrap();
    let g = a.get_export(&mut store, "g").unwrap();
    Instance::new(&mut store, &importer("i32"), std::slice::from_ref(&g)).unwrap();
    // Another structure is refused (by the engine), as a typed error.
    let e = Instance::new(&mut store, &importer("f64"), &[g]).unwrap_err();
    assert!(matches!(e, Error::Link(_)), "{e:?}");
}
