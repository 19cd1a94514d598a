//! WASI on [`AnyEngine`]: the adapter of whichever backend was chosen at run
//! time, so that code generic over [`WasiEngine`] runs on `AnyEngine` too.

use crate::any::{AnyEngine, AnyLinker};
use wasm_run_wasi::{WasiEngine, WasiError, WasiSetup};

/// A context of one backend reached a store of another. `wasi::instantiate`
/// refuses that with `WasiError::EngineMismatch` before anything runs; this
/// only fires for code that links by hand. The getter cannot return an error,
/// so it panics with the [`ForeignContext`](wasm_run_api::backend::ForeignContext)
/// payload, which the API's guard turns into `Error::WrongStore` by its type.
#[cold]
#[track_caller]
fn mismatch() -> ! {
    wasm_run_api::backend::foreign_context(
        "a WASI context of one engine was used in a store of another engine",
    )
}

/// [`AnyWasiNative`] and `WasiEngine for AnyEngine`, from the one backend list.
macro_rules! define_any_wasi {
    ([$d:tt] $($name:ident $feat:literal $Var:ident $krate:ident),* $(,)?) => {
        $(
            #[cfg(feature = $feat)]
            use $krate::$Var;
        )*

        /// The native WASI context of the backend an [`AnyEngine`] is.
        #[non_exhaustive]
        // One per store, reached on every WASI call: boxing the larger context
        // would add an indirection and save nothing.
        #[allow(clippy::large_enum_variant)]
        pub enum AnyWasiNative {
            $(
                #[doc = concat!("The ", $feat, " backend's WASI preview 1 context.")]
                #[cfg(feature = $feat)]
                $Var(<$Var as WasiEngine>::WasiNative),
            )*
        }

        impl WasiEngine for AnyEngine {
            type WasiNative = AnyWasiNative;

            fn build_native(&self, setup: &WasiSetup) -> Result<AnyWasiNative, WasiError> {
                match self {
                    $(
                        #[cfg(feature = $feat)]
                        AnyEngine::$Var(e) => e.build_native(setup).map(AnyWasiNative::$Var),
                    )*
                }
            }

            fn add_native<T, G>(linker: &mut AnyLinker<T>, get: G) -> Result<(), WasiError>
            where
                T: Send + 'static,
                G: Fn(&mut T) -> &mut AnyWasiNative + Copy + Send + Sync + 'static,
            {
                match linker {
                    $(
                        #[cfg(feature = $feat)]
                        AnyLinker::$Var(l) => $Var::add_native(l, move |t: &mut T| {
                            #[allow(unreachable_patterns)]
                            match get(t) {
                                AnyWasiNative::$Var(ctx) => ctx,
                                _ => mismatch(),
                            }
                        }),
                    )*
                }
            }
        }
    };
}

crate::backend_list::with_backends!(define_any_wasi);
