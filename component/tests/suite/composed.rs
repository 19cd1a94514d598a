//! Composed components, on every backend and against wasmtime's own
//! component model: a nested component instantiated by its parent, a
//! string transcoded between a UTF-8 and a UTF-16 component, an outer
//! alias of a core module, and a host function passed down as an
//! instantiation argument.

use crate::common;

use std::sync::{Arc, Mutex};
use wasm_run_api::{Engine, Store};
use wasm_run_component::{Component, Linker, Val};

const INPUT: &str = "héllo wörld 𝄞 abc";
const SHOUTED: &str = "HéLLO WöRLD 𝄞 ABC";

fn composed<E: Engine>(engine: &E) {
    let component = Component::new(engine, common::fixture_text("composed.wat")).unwrap();
    let logged: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut linker = Linker::<E, ()>::new(engine);
    let log = logged.clone();
    linker
        .func_new("log", move |_, args, _| {
            let Val::String(s) = &args[0] else { panic!() };
            log.lock().unwrap().push(s.clone());
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let mut out = [Val::Bool(false)];
    instance
        .get_func("run")
        .unwrap()
        .call(&mut store, &[Val::String(INPUT.into())], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::String(SHOUTED.into()));
    instance
        .get_func("seven")
        .unwrap()
        .call(&mut store, &[], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::U32(7));
    assert_eq!(*logged.lock().unwrap(), ["seven!"]);
}

on_every_backend!(composed);
