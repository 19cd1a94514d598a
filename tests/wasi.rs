//! The WASI behaviour suite (`wasm_run_conformance::wasi`, published with
//! its programs) on every compiled-in backend, statically and through
//! `AnyEngine`: generic WASI code runs on the run-time selected engine with
//! the very same results.

#![cfg(feature = "wasi")]

// Its helpers (fixtures, temporary directories, snapshots), for the tests
// below that compare two engines.
#[cfg(all(feature = "wasmtime", feature = "wasmi"))]
use wasm_run_conformance::wasi as suite;

// Every backend compiled in (the facade's one backend list), statically and
// through `AnyEngine`.
macro_rules! backend {
    ($name:ident, $B:ty) => {
        mod $name {
            wasm_run_conformance::wasi_tests!(engine, |c: &wasm_run::Config| {
                <$B as wasm_run::Engine>::new(c)
            });
            wasm_run_conformance::wasi_tests!(any, |c: &wasm_run::Config| {
                wasm_run::AnyEngine::by_name(stringify!($name), c)
            });
        }
    };
}
wasm_run::for_each_backend!(backend);

/// wasm-run's own WASI context serves any engine: one built for wasmi runs
/// a program in a wasmtime store. An engine's own context (wasmtime-wasi)
/// in a store of another engine is refused before the program runs (and,
/// linked by hand, is an error rather than a crash).
#[cfg(all(feature = "wasmtime", feature = "wasmi"))]
#[test]
fn context_of_another_engine() {
    use wasm_run::wasi::{
        WasiConfig, WasiCtx, WasiError, WasiHost, add_engine_wasi_to_linker, add_to_linker,
        instantiate, run_start,
    };
    use wasm_run::{AnyEngine, Config, Linker, Store};
    let wasmtime = AnyEngine::by_name("wasmtime", &Config::new()).unwrap();
    let wasmi = AnyEngine::by_name("wasmi", &Config::new()).unwrap();

    let module = suite::module(&wasmtime, "hello");
    let mut config = WasiConfig::new();
    let stdout = config.capture_stdout();
    let ctx = WasiCtx::new(&wasmi, &config).unwrap();
    let mut store = Store::new(&wasmtime, ctx);
    let mut linker = Linker::new(&wasmtime);
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    assert_eq!(run_start(&mut store, &instance).unwrap().0, 0);
    assert_eq!(stdout.to_string_lossy(), "Hello, world!\n");

    let module = suite::module(&wasmi, "hello");
    let ctx = WasiCtx::new(&wasmtime, WasiConfig::new().wasi_host(WasiHost::Engine)).unwrap();
    let mut store = Store::new(&wasmi, ctx);
    let mut linker = Linker::new(&wasmi);
    add_to_linker(&mut linker).unwrap();
    let err = instantiate(&linker, &mut store, &module).unwrap_err();
    assert!(
        matches!(
            err,
            WasiError::EngineMismatch {
                ctx: "wasmtime",
                store: "wasmi"
            }
        ),
        "{err}"
    );
    // Linked by hand: wasm-run's functions find no state of theirs.
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert!(
        err.to_string().contains("different implementations"),
        "{err}"
    );
    // wasmi has no WASI of its own.
    let mut linker = Linker::<AnyEngine, WasiCtx<AnyEngine>>::new(&wasmi);
    let err = add_engine_wasi_to_linker(&mut linker).unwrap_err();
    assert!(
        matches!(
            err,
            WasiError::Adapter {
                backend: "wasmi",
                ..
            }
        ),
        "{err}"
    );
}

/// WASI preview 2 for components, over the same configuration.
#[cfg(all(feature = "component", feature = "wasmtime", feature = "wasmi"))]
#[path = "wasi/p2.rs"]
mod p2;

/// wasm-run's WASI on wasmi and wasmtime against wasmtime-wasi (preview 1
/// and preview 2) on the same programs: output, exit status and files agree.
#[cfg(all(feature = "component", feature = "wasmtime", feature = "wasmi"))]
#[path = "wasi/differential.rs"]
mod differential;

/// A hostile preview 1 guest gets errnos, never a host panic.
#[cfg(all(feature = "wasmtime", feature = "wasmi"))]
#[path = "wasi/p1_hostile.rs"]
mod p1_hostile;
