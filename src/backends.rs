//! The one list of backends.
//!
//! Everything that names the backends one by one — the [`AnyEngine`]
//! enums and their dispatch, [`BACKENDS`], [`AnyEngine::by_name`], WASI on
//! `AnyEngine` and [`for_each_backend!`], with which test suites instantiate
//! themselves per backend — is generated from the list in
//! `with_backends!` below. Adding a backend is:
//!
//! 1. a crate implementing the traits of `wasm_run_api::backend`, whose engine
//!    type implements `wasm_run_wasi::WasiEngine` if it has WASI;
//! 2. one line in this list: the module-style name, the cargo feature, the
//!    engine type's name and the crate;
//! 3. one cargo feature of that name in the facade's `Cargo.toml`, enabling
//!    the crate (and `wasm-run-wasi?/<name>` for its WASI adapter).
//!
//! [`AnyEngine`]: crate::AnyEngine
//! [`AnyEngine::by_name`]: crate::AnyEngine::by_name
//! [`BACKENDS`]: crate::BACKENDS
//! [`for_each_backend!`]: crate::for_each_backend

/// Calls `$m!` with `[$]` (for macros that define macros) and the list of
/// backends, one per line: `name "feature" EngineType crate`. The first
/// compiled-in one is the default.
macro_rules! with_backends {
    ($m:ident) => {
        $m! { [$]
            wasmtime "wasmtime" Wasmtime wasm_run_wasmtime,
            wasmi "wasmi" Wasmi wasm_run_wasmi,
        }
    };
}

pub(crate) use with_backends;
