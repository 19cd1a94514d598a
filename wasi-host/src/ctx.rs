//! The backend contract ([`WasiEngine`]), the per-store WASI state
//! ([`WasiCtx`]) and how it sits inside the user's host state ([`HasWasi`],
//! [`WasiState`]), and the backend-neutral part of linking.

use crate::config::{WasiConfig, WasiSetup};
use crate::error::WasiError;
use crate::imports::WASI_MODULE;
use crate::random::RandomSource;
use std::fmt;
use wasm_run_api::{Caller, Engine, Error, LinkError, Linker, Result};

/// A backend wasm-run's WASI runs on, with the hook to the engine's own WASI
/// crate where it has one ([`WasiHost::Engine`]). Implemented for `Wasmtime`
/// (wasmtime-wasi) and `Wasmi` (none: [`NoEngineWasi`]) behind the cargo
/// features of the same names, and for the facade's `AnyEngine`; a backend
/// without a WASI crate implements it with [`NoEngineWasi`] and gets
/// wasm-run's WASI.
///
/// Users call [`add_to_linker`] and [`WasiCtx::new`]; the two methods here are
/// what an adapter provides.
pub trait WasiEngine: Engine {
    /// The adapter's own context (e.g. `wasmtime_wasi::p1::WasiP1Ctx`).
    type WasiNative: Send + 'static;

    /// Builds the adapter's context from a validated configuration.
    fn build_native(&self, setup: &WasiSetup) -> Result<Self::WasiNative, WasiError>;

    /// Defines the adapter's WASI functions in a backend linker; `get` finds
    /// the context in the host state.
    fn add_native<T, G>(linker: &mut Self::Linker<T>, get: G) -> Result<(), WasiError>
    where
        T: Send + 'static,
        G: Fn(&mut T) -> &mut Self::WasiNative + Copy + Send + Sync + 'static;
}

/// The WASI state of one store: wasm-run's own preview 1 state (the
/// default, [`WasiHost::WasmRun`]) or the engine adapter's context
/// ([`WasiHost::Engine`]), plus what both share (the random source). Keep it
/// in your host state and expose it through [`HasWasi`], or use
/// [`WasiState`].
pub struct WasiCtx<E: WasiEngine> {
    host: Host<E::WasiNative>,
    random: Box<dyn RandomSource>,
    engine: &'static str,
    output_panic: crate::stdio::OutputPanic,
}

/// The engine context of a backend without a WASI of its own (wasmi, and
/// backends added later): it has no values, and asking for
/// [`WasiHost::Engine`] on such a backend is [`WasiError::Adapter`].
#[derive(Debug)]
pub enum NoEngineWasi {}

impl NoEngineWasi {
    /// The error of asking `backend` for a WASI of its own.
    pub fn error(backend: &'static str) -> WasiError {
        WasiError::Adapter {
            backend,
            message: "this backend has no WASI implementation of its own; \
                      wasm-run's (WasiHost::WasmRun, the default) serves it"
                .into(),
        }
    }
}

/// Implements [`WasiEngine`] with [`NoEngineWasi`] for the engine type
/// `$engine` (a backend without a WASI of its own, served by wasm-run's):
/// one line in a backend crate, e.g.
/// `wasm_run_wasi::no_engine_wasi!(Tinywasm);`.
#[macro_export]
macro_rules! no_engine_wasi {
    ($engine:ty) => {
        impl $crate::WasiEngine for $engine {
            type WasiNative = $crate::NoEngineWasi;

            fn build_native(
                &self,
                _: &$crate::WasiSetup,
            ) -> ::std::result::Result<$crate::NoEngineWasi, $crate::WasiError> {
                ::std::result::Result::Err($crate::NoEngineWasi::error(
                    <$engine as $crate::__api::Engine>::NAME,
                ))
            }

            fn add_native<T, G>(
                _: &mut <$engine as $crate::__api::Engine>::Linker<T>,
                _: G,
            ) -> ::std::result::Result<(), $crate::WasiError>
            where
                T: Send + 'static,
                G: Fn(&mut T) -> &mut $crate::NoEngineWasi + Copy + Send + Sync + 'static,
            {
                ::std::result::Result::Err($crate::NoEngineWasi::error(
                    <$engine as $crate::__api::Engine>::NAME,
                ))
            }
        }
    };
}

/// Which implementation serves a context.
enum Host<N> {
    WasmRun(Box<crate::p1::P1>),
    Engine(N),
}

/// Which implementation of WASI preview 1 serves a program: wasm-run's
/// own (the default: the same on every backend, over the same host core as
/// preview 2) or the engine's WASI crate (wasmtime-wasi on wasmtime, kept as
/// a reference; other backends have none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WasiHost {
    /// wasm-run's implementation ([`add_to_linker`]).
    #[default]
    WasmRun,
    /// The engine's own WASI crate ([`add_engine_wasi_to_linker`]).
    Engine,
}

impl<E: WasiEngine> fmt::Debug for WasiCtx<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiCtx")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl<E: WasiEngine> WasiCtx<E> {
    /// Validates `config` and builds the context for `engine`. Every
    /// configuration error (missing preopen, malformed environment entry, ...)
    /// is reported here, before any program runs.
    ///
    /// # Errors
    ///
    /// The errors of [`WasiConfig::validate`]; then
    /// [`WasiError::PreopenOpen`] if the backend cannot open a preopened
    /// directory, [`WasiError::Adapter`] if the backend adapter refuses the setup
    /// otherwise (on wasmi: an argument, environment entry or preopen its context
    /// cannot take).
    pub fn new(engine: &E, config: &WasiConfig) -> Result<Self, WasiError> {
        Self::from_setup(engine, &config.validate()?)
    }

    /// Builds the context from an already validated configuration.
    ///
    /// # Errors
    ///
    /// [`WasiError::PreopenOpen`] if the backend cannot open a preopened
    /// directory, [`WasiError::Adapter`] if the backend adapter refuses the setup
    /// otherwise (on wasmi: an argument, environment entry or preopen its context
    /// cannot take).
    pub fn from_setup(engine: &E, setup: &WasiSetup) -> Result<Self, WasiError> {
        let output_panic = crate::stdio::OutputPanic::default();
        let watched;
        let setup = if setup.has_callbacks() {
            watched = setup.watched(&output_panic);
            &watched
        } else {
            setup
        };
        let host = match setup.host {
            WasiHost::WasmRun => Host::WasmRun(Box::new(crate::p1::P1::new(
                crate::core::Core::from_setup(setup)?,
            ))),
            WasiHost::Engine => Host::Engine(engine.build_native(setup)?),
        };
        Ok(WasiCtx {
            host,
            random: setup.random.make(),
            engine: engine.name(),
            output_panic,
        })
    }

    /// The first panic of this context's stdout or stderr callback
    /// ([`crate::Output::Stream`]) since the last call, as text naming the
    /// stream; `None` if there was none. The guest's write got `EIO`;
    /// [`crate::run_start`] (and so [`crate::run_command`]) turns it into an
    /// [`Error::HostPanic`](wasm_run_api::Error::HostPanic) after the run.
    pub fn take_output_panic(&mut self) -> Option<String> {
        self.output_panic.take()
    }

    /// Name of the engine the context was built for.
    pub fn engine_name(&self) -> &'static str {
        self.engine
    }

    /// Which implementation serves this context.
    pub fn host(&self) -> WasiHost {
        match self.host {
            Host::WasmRun(_) => WasiHost::WasmRun,
            Host::Engine(_) => WasiHost::Engine,
        }
    }

    /// The engine adapter's context (escape hatch); `None` unless the
    /// context was built for [`WasiHost::Engine`].
    pub fn native(&self) -> Option<&E::WasiNative> {
        match &self.host {
            Host::Engine(n) => Some(n),
            Host::WasmRun(_) => None,
        }
    }

    /// The engine adapter's context, mutably (escape hatch); `None` unless
    /// the context was built for [`WasiHost::Engine`].
    pub fn native_mut(&mut self) -> Option<&mut E::WasiNative> {
        match &mut self.host {
            Host::Engine(n) => Some(n),
            Host::WasmRun(_) => None,
        }
    }

    /// wasm-run's preview 1 state, if it serves this context.
    pub(crate) fn portable_mut(&mut self) -> Option<&mut crate::p1::P1> {
        match &mut self.host {
            Host::WasmRun(p) => Some(p),
            Host::Engine(_) => None,
        }
    }

    /// Replaces the source of `random_get` for this context.
    pub fn set_random(&mut self, source: impl RandomSource + 'static) {
        self.random = Box::new(source);
    }
}

/// Host state that carries a [`WasiCtx`]: how the WASI functions find their
/// context next to the user's own data.
///
/// ```
/// use wasm_run_wasi::{HasWasi, WasiCtx, WasiEngine};
/// struct MyState<E: WasiEngine> {
///     wasi: WasiCtx<E>,
///     calls: u32,
/// }
/// impl<E: WasiEngine> HasWasi<E> for MyState<E> {
///     fn wasi(&mut self) -> &mut WasiCtx<E> {
///         &mut self.wasi
///     }
/// }
/// ```
pub trait HasWasi<E: WasiEngine>: Send + 'static {
    /// The WASI context.
    fn wasi(&mut self) -> &mut WasiCtx<E>;
}

impl<E: WasiEngine> HasWasi<E> for WasiCtx<E> {
    fn wasi(&mut self) -> &mut WasiCtx<E> {
        self
    }
}

/// Ready-made host state: a [`WasiCtx`] next to your own `data`.
pub struct WasiState<E: WasiEngine, U = ()> {
    /// The WASI context.
    pub wasi: WasiCtx<E>,
    /// Your host state.
    pub data: U,
}

impl<E: WasiEngine, U> WasiState<E, U> {
    /// Pairs a context with your data.
    pub fn new(wasi: WasiCtx<E>, data: U) -> Self {
        WasiState { wasi, data }
    }
}

impl<E: WasiEngine, U: Send + 'static> HasWasi<E> for WasiState<E, U> {
    fn wasi(&mut self) -> &mut WasiCtx<E> {
        &mut self.wasi
    }
}

fn project<E: WasiEngine, T: HasWasi<E>>(state: &mut T) -> &mut E::WasiNative {
    match &mut state.wasi().host {
        Host::Engine(n) => n,
        // The getter cannot fail: the API's guard turns this panic into an
        // error of the call.
        Host::WasmRun(_) => wasm_run_api::backend::foreign_context(
            "a context of wasm-run's WASI (WasiHost::WasmRun) reached the engine's WASI \
             functions: link with add_to_linker, or build the context with WasiHost::Engine",
        ),
    }
}

/// Defines every WASI preview 1 function in `linker` — wasm-run's own
/// implementation, the same on every backend — for host state `T` that
/// carries a [`WasiCtx`] built for [`WasiHost::WasmRun`] (the default).
/// Define your own imports before or after; they coexist.
///
/// `proc_exit(n)` unwinds the guest with [`Error::Exit`]`(n)` (see
/// [`crate::ExitStatus::from_call`]), and `random_get` draws from the
/// context's [`RandomSource`].
///
/// A `wasi_snapshot_preview1` function already defined in `linker` is a
/// duplicate-definition error unless shadowing was allowed.
///
/// # Errors
///
/// [`WasiError::Wasm`] with [`LinkError::Duplicate`] if a
/// `wasi_snapshot_preview1` function is already defined in `linker` and
/// shadowing is off.
pub fn add_to_linker<E: WasiEngine, T: HasWasi<E>>(
    linker: &mut Linker<E, T>,
) -> Result<(), WasiError> {
    refuse_duplicates(linker)?;
    crate::p1::define(linker)?;
    define_shared(linker)
}

/// Defines the engine's own WASI preview 1 functions in `linker`
/// ([`WasiHost::Engine`]: wasmtime-wasi on wasmtime), for contexts built
/// with that choice; wasm-run's `proc_exit` and `random_get` replace the
/// adapter's (linker shadowing is on for a moment, off afterwards).
///
/// # Errors
///
/// - [`WasiError::Wasm`] with [`LinkError::Duplicate`] as [`add_to_linker`].
/// - [`WasiError::Adapter`] if the backend has no WASI of its own, or its
///   adapter cannot define its functions (the message is the adapter's).
pub fn add_engine_wasi_to_linker<E: WasiEngine, T: HasWasi<E>>(
    linker: &mut Linker<E, T>,
) -> Result<(), WasiError> {
    refuse_duplicates(linker)?;
    E::add_native(linker.backend_mut(), project::<E, T>)?;
    linker.note_backend_definitions(WASI_MODULE, crate::imports::function_names());
    linker.allow_shadowing(true);
    let shared = define_shared(linker);
    linker.allow_shadowing(false);
    shared
}

/// Links WASI as `host` says: [`add_to_linker`] or
/// [`add_engine_wasi_to_linker`].
///
/// # Errors
///
/// Those of the function called.
pub fn add_to_linker_for<E: WasiEngine, T: HasWasi<E>>(
    linker: &mut Linker<E, T>,
    host: WasiHost,
) -> Result<(), WasiError> {
    match host {
        WasiHost::WasmRun => add_to_linker(linker),
        WasiHost::Engine => add_engine_wasi_to_linker(linker),
    }
}

fn refuse_duplicates<E: WasiEngine, T: HasWasi<E>>(linker: &Linker<E, T>) -> Result<(), WasiError> {
    if !linker.shadowing_allowed() {
        let defined = crate::imports::function_names().find(|n| linker.is_defined(WASI_MODULE, n));
        if let Some(name) = defined {
            return Err(WasiError::Wasm(
                LinkError::Duplicate {
                    module: WASI_MODULE.into(),
                    name: name.into(),
                }
                .into(),
            ));
        }
    }
    Ok(())
}

/// WASI errno values used by the shared functions.
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_FAULT: i32 = 21;
const ERRNO_IO: i32 = 29;

fn define_shared<E: WasiEngine, T: HasWasi<E>>(linker: &mut Linker<E, T>) -> Result<(), WasiError> {
    linker.func_wrap(
        WASI_MODULE,
        "proc_exit",
        |_: Caller<'_, E, T>, status: i32| -> Result<()> { Err(exit_error(status)) },
    )?;
    linker.func_wrap(
        WASI_MODULE,
        "random_get",
        |mut caller: Caller<'_, E, T>, ptr: i32, len: i32| -> Result<i32> {
            random_get(&mut caller, ptr as u32, len as u32)
        },
    )?;
    Ok(())
}

/// `proc_exit(status)`: WASI exit codes are `0..126`, as both adapters
/// enforce; others are an error rather than an exit.
fn exit_error(status: i32) -> Error {
    match u32::try_from(status) {
        Ok(code) if code < 126 => Error::Exit(status),
        _ => Error::host(WasiError::InvalidExitStatus(status as u32)),
    }
}

/// `random_get(buf, len)`: fills guest memory from the context's source.
fn random_get<E: WasiEngine, T: HasWasi<E>>(
    caller: &mut Caller<'_, E, T>,
    ptr: u32,
    len: u32,
) -> Result<i32> {
    let memory = caller
        .get_memory("memory")
        .ok_or_else(|| Error::host(WasiError::MissingMemory))?;
    let start = ptr as usize;
    let Some(end) = start.checked_add(len as usize) else {
        return Ok(ERRNO_FAULT);
    };
    if end > memory.data_size(&*caller) {
        return Ok(ERRNO_FAULT);
    }
    let mut chunk = [0u8; 256];
    let mut at = start;
    while at < end {
        let n = (end - at).min(chunk.len());
        if caller
            .data_mut()
            .wasi()
            .random
            .fill(&mut chunk[..n])
            .is_err()
        {
            return Ok(ERRNO_IO);
        }
        memory.data_mut(caller)[at..at + n].copy_from_slice(&chunk[..n]);
        at += n;
    }
    Ok(ERRNO_SUCCESS)
}
