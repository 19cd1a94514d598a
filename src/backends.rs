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
//!    engine type's name, the crate, and whether its stores are `Send`;
//! 3. one cargo feature of that name in the facade's `Cargo.toml`, enabling
//!    the crate (and `wasm-run-wasi?/<name>` for its WASI adapter).
//!
//! [`AnyEngine`]: crate::AnyEngine
//! [`AnyEngine::by_name`]: crate::AnyEngine::by_name
//! [`BACKENDS`]: crate::BACKENDS
//! [`for_each_backend!`]: crate::for_each_backend

/// Calls `$m!` with `[$]` (for macros that define macros) and the list of
/// backends, one per line: `name "feature" EngineType crate stores`, where
/// `stores` is `send` or `local` (stores that are not `Send`: async calls on
/// `AnyEngine` answer `Unsupported` for that backend, and with its feature
/// on `AnyEngine`'s stores are not `Send`). The first compiled-in one is
/// the default.
macro_rules! with_backends {
    ($m:ident) => {
        $m! { [$]
            wasmtime "wasmtime" Wasmtime wasm_run_wasmtime send,
            wasmi "wasmi" Wasmi wasm_run_wasmi send,
            tinywasm "tinywasm" Tinywasm wasm_run_tinywasm local,
        }
    };
}

pub(crate) use with_backends;
