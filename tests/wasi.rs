//! WASI across engines, through the facade: a context of one engine in a
//! store of another, preview 2 for components, the differential check
//! against wasmtime-wasi and hostile preview 1 guests. (The WASI behaviour
//! suite itself, `wasm_run_conformance::wasi`, runs on every backend from
//! `engine-conformance/tests/behaviour/wasi.rs`.)

#![cfg(feature = "wasi")]

/// Temporary directories and snapshots of what programs left in them: the
/// suite's own helpers, compiled in here.
#[cfg(all(feature = "component", feature = "wasmtime", feature = "wasmi"))]
#[path = "../engine-conformance/src/wasi/files.rs"]
#[allow(dead_code)]
mod files;

/// A WASI program of the suite's fixtures, compiled.
#[cfg(all(feature = "wasmtime", feature = "wasmi"))]
fn fixture<E: wasm_run::wasi::WasiEngine>(engine: &E, name: &str) -> wasm_run::Module<E> {
    let path = format!(
        "{}/engine-conformance/fixtures/wasi/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    wasm_run::Module::from_file(engine, &path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

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

    let module = fixture(&wasmtime, "hello");
    let mut config = WasiConfig::new();
    let stdout = config.capture_stdout();
    let ctx = WasiCtx::new(&wasmi, &config).unwrap();
    let mut store = Store::new(&wasmtime, ctx);
    let mut linker = Linker::new(&wasmtime);
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    assert_eq!(run_start(&mut store, &instance).unwrap().0, 0);
    assert_eq!(stdout.to_string_lossy(), "Hello, world!\n");

    let module = fixture(&wasmi, "hello");
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
