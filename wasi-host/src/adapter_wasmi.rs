//! wasmi has no WASI of its own in wasm-run: wasm-run's implementation
//! ([`crate::WasiHost::WasmRun`], the default) serves it. Asking for the
//! engine's ([`crate::WasiHost::Engine`]) is a typed error.

use crate::config::WasiSetup;
use crate::ctx::{NoEngineWasi, WasiEngine};
use crate::error::WasiError;
use wasm_run_wasmi::{Wasmi, WasmiLinker};

impl WasiEngine for Wasmi {
    type WasiNative = NoEngineWasi;

    fn build_native(&self, _: &WasiSetup) -> Result<NoEngineWasi, WasiError> {
        Err(NoEngineWasi::error("wasmi"))
    }

    fn add_native<T, G>(_: &mut WasmiLinker<T>, _: G) -> Result<(), WasiError>
    where
        T: Send + 'static,
        G: Fn(&mut T) -> &mut NoEngineWasi + Copy + Send + Sync + 'static,
    {
        Err(NoEngineWasi::error("wasmi"))
    }
}
