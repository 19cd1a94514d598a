//! The WASI behaviour suite of `wasi-host` on `AnyEngine`, once per
//! compiled-in backend: generic WASI code runs on the run-time selected
//! engine with the very same results.

#![cfg(feature = "wasi")]

use wasm_run::wasi;

#[path = "../wasi-host/tests/suite/mod.rs"]
mod suite;

#[cfg(feature = "wasmtime")]
mod any_wasmtime {
    use wasm_run::{AnyEngine, Config};
    crate::suite::wasi_suite!(AnyEngine::by_name("wasmtime", &Config::new()).unwrap());
}

#[cfg(feature = "wasmi")]
mod any_wasmi {
    use wasm_run::{AnyEngine, Config};
    crate::suite::wasi_suite!(AnyEngine::by_name("wasmi", &Config::new()).unwrap());
}

/// A context built for one backend in a store of another is refused before
/// the program runs (and, linked by hand, is an error rather than a crash).
#[cfg(all(feature = "wasmtime", feature = "wasmi"))]
#[test]
fn context_of_another_engine_is_refused() {
    use wasm_run::wasi::{WasiConfig, WasiCtx, WasiError, add_to_linker, instantiate};
    use wasm_run::{AnyEngine, Config, Error, Linker, Store};
    let wasmtime = AnyEngine::by_name("wasmtime", &Config::new()).unwrap();
    let wasmi = AnyEngine::by_name("wasmi", &Config::new()).unwrap();
    let module = suite::module(&wasmtime, "hello");
    let ctx = WasiCtx::new(&wasmi, &WasiConfig::new()).unwrap();
    let mut store = Store::new(&wasmtime, ctx);
    let mut linker = Linker::new(&wasmtime);
    add_to_linker(&mut linker).unwrap();
    let err = instantiate(&linker, &mut store, &module).unwrap_err();
    assert!(
        matches!(
            err,
            WasiError::EngineMismatch {
                ctx: "wasmi",
                store: "wasmtime"
            }
        ),
        "{err}"
    );

    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert!(matches!(err, Error::WrongStore), "{err}");
}
