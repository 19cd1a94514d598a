//! WASI on [`AnyEngine`]: the adapter of whichever backend was chosen at run
//! time, so that code generic over [`WasiEngine`] runs on `AnyEngine` too.

use crate::any::{AnyEngine, AnyLinker};
use wasm_run_wasi::{WasiEngine, WasiError, WasiSetup};

#[cfg(feature = "wasmi")]
use wasm_run_wasmi::Wasmi;
#[cfg(feature = "wasmtime")]
use wasm_run_wasmtime::Wasmtime;

/// The native WASI context of the backend an [`AnyEngine`] is.
#[non_exhaustive]
// One per store, reached on every WASI call: boxing the larger context would
// add an indirection and save nothing.
#[allow(clippy::large_enum_variant)]
pub enum AnyWasiNative {
    /// wasmtime-wasi's preview 1 context.
    #[cfg(feature = "wasmtime")]
    Wasmtime(<Wasmtime as WasiEngine>::WasiNative),
    /// wasi-common's context (wasmi_wasi).
    #[cfg(feature = "wasmi")]
    Wasmi(<Wasmi as WasiEngine>::WasiNative),
}

/// A context of one backend reached a store of another. `wasi::instantiate`
/// refuses that with `WasiError::EngineMismatch` before anything runs; this
/// only fires for code that links by hand. The wording makes the API's guard
/// report it as `Error::WrongStore`.
#[cold]
#[track_caller]
fn mismatch() -> ! {
    panic!("wasm-run: a WASI context of one engine was used in a store of another engine")
}

impl WasiEngine for AnyEngine {
    type WasiNative = AnyWasiNative;

    fn build_native(&self, setup: &WasiSetup) -> Result<AnyWasiNative, WasiError> {
        match self {
            #[cfg(feature = "wasmtime")]
            AnyEngine::Wasmtime(e) => e.build_native(setup).map(AnyWasiNative::Wasmtime),
            #[cfg(feature = "wasmi")]
            AnyEngine::Wasmi(e) => e.build_native(setup).map(AnyWasiNative::Wasmi),
        }
    }

    fn add_native<T, G>(linker: &mut AnyLinker<T>, get: G) -> Result<(), WasiError>
    where
        T: Send + 'static,
        G: Fn(&mut T) -> &mut AnyWasiNative + Copy + Send + Sync + 'static,
    {
        match linker {
            #[cfg(feature = "wasmtime")]
            AnyLinker::Wasmtime(l) => Wasmtime::add_native(l, move |t: &mut T| {
                #[allow(unreachable_patterns)]
                match get(t) {
                    AnyWasiNative::Wasmtime(ctx) => ctx,
                    _ => mismatch(),
                }
            }),
            #[cfg(feature = "wasmi")]
            AnyLinker::Wasmi(l) => Wasmi::add_native(l, move |t: &mut T| {
                #[allow(unreachable_patterns)]
                match get(t) {
                    AnyWasiNative::Wasmi(ctx) => ctx,
                    _ => mismatch(),
                }
            }),
        }
    }
}
