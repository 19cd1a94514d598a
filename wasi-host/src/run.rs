//! Running WASI programs: commands (`_start`) and reactors (`_initialize`,
//! then exports), with every check done before the guest runs.

use crate::config::WasiConfig;
use crate::ctx::{HasWasi, WasiCtx, WasiEngine, WasiState, add_to_linker_for};
use crate::error::{ExitStatus, WasiError};
use crate::imports::{WASI_MODULE, check_module};
use wasm_run_api::backend::guard;
use wasm_run_api::{Error, Instance, LinkError, Linker, Module, Store};

/// What kind of WASI program a module is, from its exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgramKind {
    /// Exports `_start`: runs once, like a process.
    Command,
    /// Exports `_initialize`: initialised once, then its exports are called.
    Reactor,
    /// Neither: a plain module whose exports are called directly.
    Library,
}

impl ProgramKind {
    /// The kind of `module`.
    pub fn of<E: wasm_run_api::Engine>(module: &Module<E>) -> ProgramKind {
        let exports = |name: &str| module.exports().iter().any(|e| e.name == name);
        if exports("_start") {
            ProgramKind::Command
        } else if exports("_initialize") {
            ProgramKind::Reactor
        } else {
            ProgramKind::Library
        }
    }
}

/// Instantiates a WASI module after checking, before anything runs, that its
/// WASI imports exist with the right types, that it exports its memory, and
/// that the store's WASI context was built for the store's engine.
///
/// # Errors
///
/// - The errors of [`check_module`], found first.
/// - [`WasiError::EngineMismatch`] if the store's WASI context is an
///   engine's own ([`crate::WasiHost::Engine`]) and was built for another
///   backend than the store's (engines are compared by name); wasm-run's own
///   contexts serve every engine.
/// - [`WasiError::Wasm`] with the error of [`Linker::instantiate`], e.g. a
///   [`LinkError`] naming a missing or mistyped import, a trap of the start
///   function, or [`Error::Exit`] if the start function calls `proc_exit`.
pub fn instantiate<E: WasiEngine, T: HasWasi<E>>(
    linker: &Linker<E, T>,
    store: &mut Store<E, T>,
    module: &Module<E>,
) -> Result<Instance<E>, WasiError> {
    precheck(store, module)?;
    let r = linker.instantiate(store, module);
    instantiated(linker, store, module, r)
}

/// [`instantiate`] as a future ([`Linker::instantiate_async`]): the way to
/// instantiate when the linker has async host functions of yours.
///
/// # Errors
///
/// Those of [`instantiate`].
pub async fn instantiate_async<E: WasiEngine, T: HasWasi<E> + Send>(
    linker: &Linker<E, T>,
    store: &mut Store<E, T>,
    module: &Module<E>,
) -> Result<Instance<E>, WasiError>
where
    E::Linker<T>: Sync,
    E::Store<T>: Send,
{
    precheck(store, module)?;
    let r = linker.instantiate_async(store, module).await;
    instantiated(linker, store, module, r)
}

/// The checks [`instantiate`] makes before anything runs.
fn precheck<E: WasiEngine, T: HasWasi<E>>(
    store: &mut Store<E, T>,
    module: &Module<E>,
) -> Result<(), WasiError> {
    check_module(module)?;
    // wasm-run's own contexts serve any engine; an engine's is its own.
    let wasi = store.data_mut().wasi();
    let (ctx, host) = (wasi.engine_name(), wasi.host());
    let engine = store.engine().name();
    if host == crate::ctx::WasiHost::Engine && ctx != engine {
        return Err(WasiError::EngineMismatch { ctx, store: engine });
    }
    Ok(())
}

/// An instantiation's result, a link error diagnosed again with WASI's
/// names.
fn instantiated<E: WasiEngine, T: HasWasi<E>>(
    linker: &Linker<E, T>,
    store: &mut Store<E, T>,
    module: &Module<E>,
    r: Result<Instance<E>, Error>,
) -> Result<Instance<E>, WasiError> {
    match r {
        Ok(instance) => Ok(instance),
        Err(Error::Link(link)) => Err(WasiError::Wasm(
            rediagnose(linker, store, module, &link).unwrap_or(Error::Link(link)),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A linker cannot always see the functions an adapter defined natively (the
/// wasmi backend's `Linker::get` does not), so its diagnosis of a failed
/// instantiation may name a WASI function as missing when the culprit is
/// another import. When WASI was added to `linker` (our own `proc_exit` is
/// visible), look again at the other imports only.
fn rediagnose<E: WasiEngine, T: HasWasi<E>>(
    linker: &Linker<E, T>,
    store: &mut Store<E, T>,
    module: &Module<E>,
    link: &LinkError,
) -> Option<Error> {
    let LinkError::Missing { module: m, .. } = link else {
        return None;
    };
    if m != WASI_MODULE || linker.get(store, WASI_MODULE, "proc_exit").is_none() {
        return None;
    }
    for import in module.imports().iter().filter(|i| i.module != WASI_MODULE) {
        let error = match linker.get(store, &import.module, &import.name) {
            None => LinkError::Missing {
                module: import.module.clone(),
                name: import.name.clone(),
                expected: import.ty.clone(),
            },
            Some(item) => {
                let found = item.ty(&*store);
                if found.matches(&import.ty) {
                    continue;
                }
                LinkError::Incompatible {
                    module: import.module.clone(),
                    name: import.name.clone(),
                    expected: import.ty.clone(),
                    found,
                }
            }
        };
        return Some(error.into());
    }
    None
}

/// Runs a command's `_start`. Returning normally is [`ExitStatus`] 0,
/// `proc_exit(n)` is `n` (both `Ok`); a trap or another failure is an error.
///
/// # Errors
///
/// - [`WasiError::NotACommand`] if the instance has no `_start` function of type
///   `() -> ()`.
/// - [`WasiError::Wasm`] for every other failure of the call: a trap, a host
///   function's error, [`Error::HostPanic`] (also when the context's stdout
///   or stderr callback panicked during the run, whatever the guest did
///   after its write failed with `EIO`). A `proc_exit` status outside
///   `0..126` arrives as [`Error::Host`] holding
///   [`WasiError::InvalidExitStatus`].
/// - [`WasiError::Wasm`] with [`Error::WrongStore`] if `instance` belongs to a
///   different store than `store`.
pub fn run_start<E: WasiEngine, T: HasWasi<E>>(
    store: &mut Store<E, T>,
    instance: &Instance<E>,
) -> Result<ExitStatus, WasiError> {
    let start = start_of(store, instance)?;
    let result = start.call(&mut *store, ());
    output_panic(store)?;
    Ok(ExitStatus::from_call(result)?)
}

/// [`run_start`] as a future ([`wasm_run_api::TypedFunc::call_async`]): the
/// store's yield policy, deadline and interrupts apply while it runs, and
/// async host functions of yours may suspend it. WASI's own functions stay
/// synchronous (a guest's sleep or blocking read holds the thread while it
/// waits).
///
/// # Errors
///
/// Those of [`run_start`].
pub async fn run_start_async<E: WasiEngine, T: HasWasi<E> + Send>(
    store: &mut Store<E, T>,
    instance: &Instance<E>,
) -> Result<ExitStatus, WasiError>
where
    E::Store<T>: Send,
{
    let start = start_of(store, instance)?;
    let result = start.call_async(&mut *store, ()).await;
    output_panic(store)?;
    Ok(ExitStatus::from_call(result)?)
}

/// A command's `_start`.
fn start_of<E: WasiEngine, T: HasWasi<E>>(
    store: &mut Store<E, T>,
    instance: &Instance<E>,
) -> Result<wasm_run_api::TypedFunc<E, (), ()>, WasiError> {
    match instance.get_typed_func::<(), ()>(&mut *store, "_start") {
        Ok(start) => Ok(start),
        Err(Error::Type(_) | Error::MissingExport(_)) => Err(WasiError::NotACommand),
        Err(e) => Err(e.into()),
    }
}

/// A panic of the context's output callback during the run (the guest saw
/// `EIO`) as the run's error.
fn output_panic<E: WasiEngine, T: HasWasi<E>>(store: &mut Store<E, T>) -> Result<(), Error> {
    match store.data_mut().wasi().take_output_panic() {
        Some(message) => Err(Error::HostPanic(message)),
        None => Ok(()),
    }
}

/// Initialises a reactor by calling its `_initialize` export, if it has one
/// (a no-op otherwise). Call exports afterwards; a `proc_exit` inside one is
/// [`wasm_run_api::Error::Exit`], which [`ExitStatus::from_call`] turns into
/// a status.
///
/// # Errors
///
/// - [`WasiError::Wasm`] with [`Error::Type`] if `_initialize` is not a function
///   of type `() -> ()`.
/// - [`WasiError::Wasm`] for a failure of the call: a trap, a host function's
///   error, [`Error::HostPanic`] (also when the context's stdout or stderr
///   callback panicked meanwhile), or [`Error::Exit`] if it calls `proc_exit`
///   (with any status, 0 included).
/// - [`WasiError::Wasm`] with [`Error::WrongStore`] if `instance` belongs to a
///   different store than `store`.
pub fn initialize<E: WasiEngine, T: HasWasi<E>>(
    store: &mut Store<E, T>,
    instance: &Instance<E>,
) -> Result<(), WasiError> {
    if guard(|| Ok(instance.get_export(&mut *store, "_initialize").is_none()))? {
        return Ok(());
    }
    let init = instance.get_typed_func::<(), ()>(&mut *store, "_initialize")?;
    let result = init.call(&mut *store, ());
    output_panic(store)?;
    result?;
    Ok(())
}

/// Runs a WASI command in one call: builds the context from `config`, links
/// WASI, instantiates and runs `_start` in a fresh store.
///
/// For a few imports of your own next to WASI, [`run_command_with`]; for
/// fuel, limits or several calls, the steps: [`WasiCtx::new`],
/// [`crate::add_to_linker`], [`instantiate`], [`run_start`].
///
/// # Errors
///
/// The errors of [`WasiCtx::new`], [`crate::add_to_linker`], [`instantiate`] and
/// [`run_start`], from the first step that fails.
pub fn run_command<E: WasiEngine>(
    engine: &E,
    module: &Module<E>,
    config: &WasiConfig,
) -> Result<ExitStatus, WasiError> {
    run_command_with(engine, module, config, (), |_| Ok(())).map(|(status, ())| status)
}

/// [`run_command`] for a program that imports a few functions of yours next
/// to WASI: `imports` defines them in the linker (after WASI), the store's
/// host state is a [`WasiState`] around `data`, and the state is handed back
/// with the exit status, so the host can read what its functions recorded.
///
/// # Errors
///
/// The errors of [`run_command`], and those `imports` returns (as
/// [`WasiError::Wasm`]).
pub fn run_command_with<E: WasiEngine, U: Send + 'static>(
    engine: &E,
    module: &Module<E>,
    config: &WasiConfig,
    data: U,
    imports: impl FnOnce(&mut Linker<E, WasiState<E, U>>) -> Result<(), Error>,
) -> Result<(ExitStatus, U), WasiError> {
    let (mut store, linker) = command_setup(engine, config, data, imports)?;
    let instance = instantiate(&linker, &mut store, module)?;
    let status = run_start(&mut store, &instance)?;
    Ok((status, store.into_data().data))
}

/// The store and linker of a one-call run: the context from `config`
/// around `data`, WASI linked, then `imports`.
#[allow(clippy::type_complexity)]
fn command_setup<E: WasiEngine, U: Send + 'static>(
    engine: &E,
    config: &WasiConfig,
    data: U,
    imports: impl FnOnce(&mut Linker<E, WasiState<E, U>>) -> Result<(), Error>,
) -> Result<(Store<E, WasiState<E, U>>, Linker<E, WasiState<E, U>>), WasiError> {
    let ctx = WasiCtx::new(engine, config)?;
    let host = ctx.host();
    let store = Store::new(engine, WasiState::new(ctx, data));
    let mut linker = Linker::new(engine);
    add_to_linker_for(&mut linker, host)?;
    imports(&mut linker)?;
    Ok((store, linker))
}

/// [`run_command`] as a future: instantiates with
/// [`Linker::instantiate_async`] and runs `_start` with
/// [`run_start_async`], so that the program shares its thread with the
/// executor's other tasks (with a yield policy, see `yields`) and
/// `tokio::time::timeout` or dropping the future stops it.
///
/// # Errors
///
/// Those of [`run_command`].
pub async fn run_command_async<E: WasiEngine>(
    engine: &E,
    module: &Module<E>,
    config: &WasiConfig,
    yields: wasm_run_api::YieldPolicy,
) -> Result<ExitStatus, WasiError>
where
    E::Linker<WasiState<E, ()>>: Sync,
    E::Store<WasiState<E, ()>>: Send,
{
    run_command_with_async(engine, module, config, (), yields, |_| Ok(()))
        .await
        .map(|(status, ())| status)
}

/// [`run_command_with`] as a future (see [`run_command_async`]); the
/// `imports` may include async host functions.
///
/// # Errors
///
/// Those of [`run_command_with`], and [`wasm_run_api::Store::set_yield_policy`]'s.
pub async fn run_command_with_async<E: WasiEngine, U: Send + 'static>(
    engine: &E,
    module: &Module<E>,
    config: &WasiConfig,
    data: U,
    yields: wasm_run_api::YieldPolicy,
    imports: impl FnOnce(&mut Linker<E, WasiState<E, U>>) -> Result<(), Error>,
) -> Result<(ExitStatus, U), WasiError>
where
    E::Linker<WasiState<E, U>>: Sync,
    E::Store<WasiState<E, U>>: Send,
{
    let (mut store, linker) = command_setup(engine, config, data, imports)?;
    if yields.is_on() {
        store.set_yield_policy(yields)?;
    }
    let instance = instantiate_async(&linker, &mut store, module).await?;
    let status = run_start_async(&mut store, &instance).await?;
    Ok((status, store.into_data().data))
}
