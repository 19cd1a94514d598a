//! WASI preview 2 (0.2.x) for components, written once over wasm-run's
//! component API: the same host on every backend (wasmi included), on the
//! portable component model and on wasmtime's own.
//!
//! What it serves: `wasi:cli` (environment, exit, stdin, stdout, stderr,
//! terminal-*), `wasi:io` (error, poll, streams over the standard streams
//! and files), `wasi:clocks` (monotonic with subscriptions, wall),
//! `wasi:random` (random, insecure, insecure-seed) and `wasi:filesystem`
//! (preopens, descriptors: read/write directly and through streams, stat,
//! set-times, directory listings, open-at with its flags, create, remove,
//! rename, link, symlink, readlink, metadata hashes), all from one
//! [`WasiConfig`]: arguments, environment, preopened directories read-only
//! or read-write, stdin bytes, stdout/stderr inherited, captured or
//! streamed, injected clocks and randomness. Paths are resolved beneath
//! their descriptor's directory by cap-std: `..`, absolute paths and
//! symlinks cannot lead out of a preopen, and a read-only preopen refuses
//! every change (`not-permitted`). `wasi:sockets` is present and denied
//! (a network exists; creating a socket or resolving a name answers
//! `access-denied`); `wasi:http` is present and denied too (a component
//! builds headers and requests, and sending one answers
//! `HTTP-request-denied`). Interfaces are defined at version 0.2.12 (the preview 1
//! adapters of wasmtime 48 import it); a component importing any other
//! 0.2.x version links to them (the linker matches semver).
//!
//! ```
//! use wasm_run_api::{Config, Engine};
//! use wasm_run_component::Component;
//! use wasm_run_wasi::{ExitStatus, WasiConfig, p2};
//!
//! /// Runs a command component with captured stdout, on any backend.
//! fn hello<E: Engine>(engine: &E, wasm: &[u8]) -> Result<(ExitStatus, String), wasm_run_wasi::WasiError> {
//!     let component = Component::new(engine, wasm)?;
//!     let mut config = WasiConfig::new();
//!     let stdout = config.capture_stdout();
//!     let status = p2::run_command(engine, &component, &config)?;
//!     Ok((status, stdout.to_string_lossy()))
//! }
//!
//! let wasm = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wasi/p2/hello.wasm"))?;
//! # #[cfg(feature = "wasmi")] {
//! let engine = wasm_run_wasmi::Wasmi::new(&Config::new())?;
//! assert_eq!(hello(&engine, &wasm)?, (ExitStatus(0), "Hello, world!\n".to_string()));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fs;
mod host;
mod http;
#[cfg(feature = "wasmtime")]
mod reference;
mod sockets;
mod table;

use wasm_run_api::{Engine, Error, Store};
use wasm_run_component::{Component, Instance, Linker, Val};

use crate::config::{WasiConfig, WasiSetup};
use crate::core::Core;
use crate::error::{ExitStatus, WasiError};
use crate::random::RandomSource;

pub use host::add_to_linker;
use table::Table;

/// The version the interfaces are defined at.
pub const VERSION: &str = "0.2.12";

/// The preview 2 state of one store: what the component sees, and the
/// resources it holds.
pub struct WasiP2 {
    core: Core,
    random: Box<dyn RandomSource>,
    table: Table,
}

impl std::fmt::Debug for WasiP2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiP2")
            .field("args", &self.core.args)
            .field("env", &self.core.env)
            .finish_non_exhaustive()
    }
}

impl WasiP2 {
    /// The state for `config`.
    ///
    /// # Errors
    ///
    /// What [`WasiConfig::validate`] refuses, and a preopened directory
    /// that cannot be opened.
    pub fn new(config: &WasiConfig) -> Result<Self, WasiError> {
        Self::from_setup(&config.validate()?)
    }

    /// The state for a validated configuration.
    ///
    /// # Errors
    ///
    /// A preopened directory that cannot be opened.
    pub fn from_setup(setup: &WasiSetup) -> Result<Self, WasiError> {
        Ok(WasiP2 {
            core: Core::from_setup(setup)?,
            random: setup.random.make(),
            table: Table::default(),
        })
    }
}

/// Host state that holds a [`WasiP2`]: what the functions of
/// [`add_to_linker`] reach through the store.
pub trait WasiView: 'static {
    /// The preview 2 state.
    fn wasi_p2(&mut self) -> &mut WasiP2;
}

impl WasiView for WasiP2 {
    fn wasi_p2(&mut self) -> &mut WasiP2 {
        self
    }
}

/// Ready-made host state for a component: a [`WasiP2`] next to your own
/// `data` (what [`run_command_with`] runs a command with).
#[derive(Debug)]
pub struct WasiP2State<U = ()> {
    /// The preview 2 state.
    pub wasi: WasiP2,
    /// Your host state.
    pub data: U,
}

impl<U> WasiP2State<U> {
    /// Pairs the preview 2 state with your data.
    pub fn new(wasi: WasiP2, data: U) -> Self {
        WasiP2State { wasi, data }
    }
}

impl<U: 'static> WasiView for WasiP2State<U> {
    fn wasi_p2(&mut self) -> &mut WasiP2 {
        &mut self.wasi
    }
}

/// The name of the `wasi:cli/run` interface `component` exports (any 0.2.x
/// version), if it is a command.
pub fn command_export<E: Engine>(component: &Component<E>) -> Option<String> {
    component
        .world()
        .exports()
        .iter()
        .map(|(name, _)| name)
        .find(|name| name.starts_with("wasi:cli/run@0.2."))
        .cloned()
}

/// Calls `wasi:cli/run`'s `run` of an instance of a command component.
///
/// # Errors
///
/// [`WasiError::NotACommand`] if the instance exports no `wasi:cli/run`;
/// traps and host errors as [`WasiError::Wasm`]. `exit` is not an error:
/// it is the status returned.
pub fn call_run<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    component: &Component<E>,
    instance: &Instance<E>,
) -> Result<ExitStatus, WasiError> {
    let run = run_export(component, instance)?;
    let mut out = [Val::Bool(false)];
    let results = usize::from(run.ty().result().is_some());
    let r = run.call(store, &[], &mut out[..results]);
    run_status(r, &out[..results])
}

/// [`call_run`] as a future ([`wasm_run_component::Func::call_async`]): the
/// store's yield policy, deadline and interrupts apply; dropping the future
/// stops the guest. WASI's own functions stay synchronous.
///
/// # Errors
///
/// Those of [`call_run`].
pub async fn call_run_async<E: Engine, T: Send + 'static>(
    store: &mut Store<E, T>,
    component: &Component<E>,
    instance: &Instance<E>,
) -> Result<ExitStatus, WasiError>
where
    E::Store<T>: Send,
{
    let run = run_export(component, instance)?;
    let mut out = [Val::Bool(false)];
    let results = usize::from(run.ty().result().is_some());
    let r = run.call_async(store, &[], &mut out[..results]).await;
    run_status(r, &out[..results])
}

/// The `run` function of a command component.
fn run_export<E: Engine>(
    component: &Component<E>,
    instance: &Instance<E>,
) -> Result<wasm_run_component::Func<E>, WasiError> {
    command_export(component)
        .and_then(|iface| instance.get_func(&format!("{iface}#run")))
        .ok_or(WasiError::NotACommand)
}

/// The exit status of a `run` call: its `result` (an `err` is 1) or its
/// `exit`.
fn run_status(r: Result<(), Error>, out: &[Val]) -> Result<ExitStatus, WasiError> {
    match ExitStatus::from_call(r)? {
        ExitStatus(0) => Ok(match out.first() {
            Some(Val::Result(Err(_))) => ExitStatus(1),
            _ => ExitStatus(0),
        }),
        status => Ok(status),
    }
}

/// Runs a command component (one that exports `wasi:cli/run`) with
/// `config`: a fresh store, a linker with preview 2, `run`.
///
/// The component runs on the component model its engine was configured
/// with. On wasmtime, an engine with `Config::native_components(true)`
/// sets a command up and runs it about a third faster than wasm-run's
/// portable component model (within 1.10× of wasmtime-wasi; `docs/WASI.md`
/// has the numbers), which is what `wasm-run run` uses there.
///
/// # Errors
///
/// A refused configuration, a link error (an import that is neither WASI
/// preview 2 nor defined), [`WasiError::NotACommand`], and traps.
pub fn run_command<E: Engine>(
    engine: &E,
    component: &Component<E>,
    config: &WasiConfig,
) -> Result<ExitStatus, WasiError> {
    if config.host() == crate::WasiHost::Engine {
        return engine_command(engine, component, config);
    }
    run_command_with(engine, component, config, (), |_| Ok(())).map(|(status, ())| status)
}

/// [`run_command`] for a command component that imports a few functions
/// of yours next to WASI: `imports` defines them in the linker (after
/// preview 2), the store's host state is a [`WasiP2State`] around `data`,
/// and `data` is handed back with the exit status, so the host can read
/// what its functions recorded. The component counterpart of
/// [`crate::run_command_with`].
///
/// ```
/// use wasm_run_api::{Config, Engine};
/// use wasm_run_component::{Component, Val};
/// use wasm_run_wasi::{ExitStatus, WasiConfig, p2};
///
/// // A command whose `run` reports 42 to its host, then succeeds.
/// let wat = r#"(component
///     (import "report" (func $report (param "n" u32)))
///     (core func $lowered (canon lower (func $report)))
///     (core module $m
///         (import "" "report" (func $report (param i32)))
///         (func (export "run") (result i32) i32.const 42 call $report i32.const 0))
///     (core instance $i (instantiate $m (with "" (instance (export "report" (func $lowered))))))
///     (func $run (result (result)) (canon lift (core func $i "run")))
///     (instance $cli (export "run" (func $run)))
///     (export "wasi:cli/run@0.2.0" (instance $cli)))"#;
/// # #[cfg(feature = "wasmi")] {
/// let engine = wasm_run_wasmi::Wasmi::new(&Config::new())?;
/// let component = Component::new(&engine, wat)?;
/// let (status, reported) = p2::run_command_with(
///     &engine,
///     &component,
///     &WasiConfig::new(),
///     Vec::new(),
///     |linker| {
///         linker.func_new("report", |cx, params, _results| {
///             if let [Val::U32(n)] = params {
///                 cx.data_mut().data.push(*n);
///             }
///             Ok(())
///         })?;
///         Ok(())
///     },
/// )?;
/// assert_eq!((status, reported), (ExitStatus(0), vec![42]));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Those of [`run_command`], and those `imports` returns (as
/// [`WasiError::Wasm`]). With the engine's own host
/// ([`crate::WasiHost::Engine`]), which cannot take imports of yours,
/// [`WasiError::Adapter`].
pub fn run_command_with<E: Engine, U: 'static>(
    engine: &E,
    component: &Component<E>,
    config: &WasiConfig,
    data: U,
    imports: impl FnOnce(&mut Linker<E, WasiP2State<U>>) -> Result<(), Error>,
) -> Result<(ExitStatus, U), WasiError> {
    if config.host() == crate::WasiHost::Engine {
        return Err(WasiError::Adapter {
            backend: "wasm-run",
            message: "the engine's own WASI preview 2 host (WasiHost::Engine) runs a command \
                      as it is, without imports of yours: use run_command, or wasm-run's \
                      host (WasiHost::WasmRun, the default)"
                .into(),
        });
    }
    let state = WasiP2State::new(WasiP2::new(config)?, data);
    let mut store = Store::new(engine, state);
    let status = match instantiate_command(&mut store, component, imports)? {
        Ok(instance) => call_run(&mut store, component, &instance)?,
        Err(exited) => exited,
    };
    Ok((status, store.into_data().data))
}

/// A command component instantiated in `store` with preview 2 and then
/// `imports` linked, or the exit status its start-up gave (`exit` called
/// while it was instantiated).
fn instantiate_command<E: Engine, T: WasiView>(
    store: &mut Store<E, T>,
    component: &Component<E>,
    imports: impl FnOnce(&mut Linker<E, T>) -> Result<(), Error>,
) -> Result<Result<Instance<E>, ExitStatus>, WasiError> {
    let mut linker = Linker::new(store.engine());
    add_to_linker(&mut linker)?;
    imports(&mut linker)?;
    match linker.instantiate(store, component) {
        Err(Error::Exit(code)) => Ok(Err(ExitStatus(code))),
        other => Ok(Ok(other?)),
    }
}

/// [`run_command`] as a future (see [`call_run_async`]), under the yield
/// policy `yields` (`YieldPolicy::new()` for none).
///
/// # Errors
///
/// Those of [`run_command`]; [`WasiError::Wasm`] with
/// [`Error::Unsupported`] for [`wasm_run_api::Feature::Async`] with the
/// engine's own host ([`crate::WasiHost::Engine`]).
pub async fn run_command_async<E: Engine>(
    engine: &E,
    component: &Component<E>,
    config: &WasiConfig,
    yields: wasm_run_api::YieldPolicy,
) -> Result<ExitStatus, WasiError>
where
    E::Store<WasiP2>: Send,
{
    if config.host() == crate::WasiHost::Engine {
        return Err(WasiError::Wasm(Error::unsupported(
            wasm_run_api::Feature::Async,
            "the engine's own WASI preview 2 (WasiHost::Engine)",
        )));
    }
    let mut store = Store::new(engine, WasiP2::new(config)?);
    if yields.is_on() {
        store.set_yield_policy(yields)?;
    }
    match instantiate_command(&mut store, component, |_| Ok(()))? {
        Ok(instance) => call_run_async(&mut store, component, &instance).await,
        Err(exited) => Ok(exited),
    }
}

/// [`run_command`] with the engine's own preview 2 host: wasmtime-wasi's on
/// wasmtime's component model; on any other backend,
/// [`WasiError::Adapter`].
fn engine_command<E: Engine>(
    engine: &E,
    component: &Component<E>,
    config: &WasiConfig,
) -> Result<ExitStatus, WasiError> {
    let setup = config.validate()?;
    #[cfg(feature = "wasmtime")]
    if let Some(wasmtime) = engine
        .backend()
        .downcast_ref::<wasm_run_wasmtime::Wasmtime>()
    {
        return reference::run_command(wasmtime, component.bytes(), &setup);
    }
    let _ = (engine, component, setup);
    Err(WasiError::Adapter {
        backend: "wasm-run",
        message: "this backend has no WASI preview 2 host of its own; wasm-run's \
                  (WasiHost::WasmRun, the default) serves it"
            .into(),
    })
}
