//! The WASI behaviour suite of `wasi-host` (`wasi-host/tests/suite`) on every
//! compiled-in backend, statically and through `AnyEngine`: generic WASI code
//! runs on the run-time selected engine with the very same results.

#![cfg(feature = "wasi")]

use wasm_run::wasi;

#[path = "../wasi-host/tests/suite/mod.rs"]
mod suite;

// Every backend compiled in (the facade's one backend list), statically and
// through `AnyEngine`.
macro_rules! backend {
    ($name:ident, $B:ty) => {
        mod $name {
            use wasm_run::{Config, Engine};
            crate::suite::wasi_suite!(<$B as Engine>::new(&Config::new()).unwrap());
            mod any {
                use wasm_run::{AnyEngine, Config};
                crate::suite::wasi_suite!(
                    AnyEngine::by_name(stringify!($name), &Config::new()).unwrap()
                );
            }
        }
    };
}
wasm_run::for_each_backend!(backend);

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

/// WASI preview 2 for components, over the same configuration.
#[cfg(all(feature = "component", feature = "wasmtime", feature = "wasmi"))]
#[path = "wasi/p2.rs"]
mod p2;
