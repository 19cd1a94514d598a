//! Execution control inside component calls, on every backend: a deadline
//! stops an endless loop in a component export, fuel runs out, and a
//! memory limit makes lowering a large list a trap (the guest's realloc
//! cannot grow its memory), not a host allocation failure.

use std::time::Duration;
use wasm_run_api::{Config, Engine, Feature, Store, TrapCode};
use wasm_run_component::{Component, Linker, Val};

fn fixture() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/component/echo.wat"),
    )
    .unwrap()
}

fn instance<E: Engine>(engine: &E) -> (Store<E, ()>, wasm_run_component::Instance<E>) {
    let component = Component::new(engine, fixture()).unwrap();
    let mut store = Store::new(engine, ());
    if engine.config().fuel_enabled() {
        store.set_fuel(u64::MAX / 2).unwrap();
    }
    let instance = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    (store, instance)
}

fn deadline_stops_a_loop<E: Engine>(make: fn(&Config) -> E) {
    let mut config = Config::new();
    config.enable(Feature::Deadline);
    let engine = make(&config);
    let (mut store, instance) = instance(&engine);
    store.set_deadline(Duration::from_millis(50)).unwrap();
    let e = instance
        .get_func("spin")
        .unwrap()
        .call(&mut store, &[], &mut [])
        .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::Deadline), "{e}");
}

fn fuel_runs_out<E: Engine>(make: fn(&Config) -> E) {
    let mut config = Config::new();
    config.fuel(true);
    let engine = make(&config);
    let (mut store, instance) = instance(&engine);
    store.set_fuel(10_000).unwrap();
    let e = instance
        .get_func("spin")
        .unwrap()
        .call(&mut store, &[], &mut [])
        .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::OutOfFuel), "{e}");
}

fn memory_limit_is_a_trap<E: Engine>(make: fn(&Config) -> E) {
    let mut config = Config::new();
    config.max_memory_bytes(2 * 65536);
    let engine = make(&config);
    let (mut store, instance) = instance(&engine);
    let f = instance.get_func("count-bytes").unwrap();
    let mut out = [Val::U32(0)];
    // Fits: 60 KiB.
    f.call(
        &mut store,
        &[Val::List(vec![Val::U8(1); 60 * 1024])],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], Val::U32(60 * 1024));
    // Does not: the guest's realloc cannot grow past 2 pages, and the
    // pointer it returns is outside its memory.
    let e = f
        .call(
            &mut store,
            &[Val::List(vec![Val::U8(1); 300 * 1024])],
            &mut out,
        )
        .unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds), "{e}");
}

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod wasmi {
            $(#[test] fn $test() { super::$test(|c| <wasm_run_wasmi::Wasmi as wasm_run_api::Engine>::new(c).unwrap()); })*
        }
        mod wasmtime {
            $(#[test] fn $test() { super::$test(|c| <wasm_run_wasmtime::Wasmtime as wasm_run_api::Engine>::new(c).unwrap()); })*
        }
        mod native {
            $(#[test] fn $test() { super::$test(|c| <wasm_run_wasmtime::Wasmtime as wasm_run_api::Engine>::new(c.clone().native_components(true)).unwrap()); })*
        }
    };
}

on_every_backend!(deadline_stops_a_loop, fuel_runs_out, memory_limit_is_a_trap);
