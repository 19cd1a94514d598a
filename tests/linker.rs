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
