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
//!    engine type's name and the crate. Its stores must be `Send` (as
//!    `AnyEngine`'s are promised to be; a backend over an engine whose own
//!    store is not makes its store `Send` the way wasm-run-tinywasm does,
//!    with the argument written on its `unsafe impl`);
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
            tinywasm "tinywasm" Tinywasm wasm_run_tinywasm,
        }
    };
}

pub(crate) use with_backends;

/// The engine types at the crate root, this module's re-exports of the
/// backend crates, and the error of a build without any backend.
macro_rules! reexport_backends {
    ([$d:tt] $($name:ident $feat:literal $Var:ident $krate:ident),* $(,)?) => {
        #[cfg(not(any($(feature = $feat),*)))]
        compile_error!(concat!(
            "wasm-run needs at least one backend: enable one of the features",
            $(" `", $feat, "`",)*
        ));
        $(
            #[cfg(feature = $feat)]
            #[doc = concat!("The `", $feat, "` backend's engine.")]
            pub use $krate::$Var;
        )*
        /// The backend crates compiled into this build, by backend name, for
        /// their native accessors: `wasm_run::backends::wasmtime` is the
        /// `wasm-run-wasmtime` crate (its engine type is also
        /// `wasm_run::Wasmtime`).
        pub mod backends {
            $(
                #[cfg(feature = $feat)]
                #[doc = concat!("The `", $feat, "` backend's crate.")]
                pub use ::$krate as $name;
            )*
        }
    };
}

pub(crate) use reexport_backends;
