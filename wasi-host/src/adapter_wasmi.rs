//! wasmi has no WASI of its own in wasm-run: wasm-run's implementation
//! ([`crate::WasiHost::WasmRun`], the default) serves it. Asking for the
//! engine's ([`crate::WasiHost::Engine`]) is a typed error.

crate::no_engine_wasi!(wasm_run_wasmi::Wasmi);
