//! Parallel execution for **wasm-run**: call one exported WebAssembly function
//! with many argument sets at once, on [rayon]'s work-stealing pool, with the
//! module's shared memories shared by every worker.
//!
//! [`ParallelRun`] compiles a module once and runs it as often as you like:
//!
//! ```
//! use wasm_run_api::{Config, Engine, Val};
//! use wasm_run_parallel::ParallelRun;
//!
//! # fn main() -> wasm_run_api::Result<()> {
//! let engine = wasm_run_wasmi::Wasmi::new(&Config::new())?;
//! let run = ParallelRun::new(&engine, r#"
//!     (module
//!       (func (export "square") (param i64) (result i64)
//!         (i64.mul (local.get 0) (local.get 0))))
//! "#)?;
//! // Typed: one `P` per call, one `Result<R>` per call, in input order.
//! let squares = run.run_typed::<i64, i64>("square", &[1, 2, 3, 4])?;
//! assert_eq!(squares.into_iter().collect::<Result<Vec<_>, _>>()?, [1, 4, 9, 16]);
//! // Dynamic: numeric `Val`s in and out.
//! let out = run.run("square", &[vec![Val::I64(5)], vec![Val::I32(5)]])?;
//! assert_eq!(out[0].as_ref().unwrap(), &[Val::I64(25)]);
//! assert!(out[1].is_err(), "an i32 where an i64 is expected fails only this call");
//! # Ok(()) }
//! ```
//!
//! # What is shared and what is not
//!
//! Every worker has its own [`Store`] and its own instance of the module,
//! created the first time the worker takes a call and reused for its later
//! calls (as the original wasm_run's `runParallel` did). Globals, tables and
//! unshared memories are therefore per worker: a call must not expect to see
//! what another call left there. After a call fails, its worker drops that
//! instance and makes a fresh one for its next call, so a trap never leaves
//! half-updated state behind for other calls.
//!
//! **Shared memories are shared.** For every shared memory the module
//! *imports*, [`ParallelRun::new`] creates one [`SharedMemory`] (with the
//! imported type) that every instance of every worker imports; the host reads
//! and writes it before and after runs with [`ParallelRun::shared_memory`], or
//! provides its own with [`ParallelRun::define_shared_memory`]. Atomics and
//! `memory.atomic.wait`/`notify` work across workers. A shared memory the
//! module *defines* itself is per instance like any other memory.
//!
//! As WebAssembly prescribes, every instantiation (one per worker, plus one
//! after each failed call) writes the module's *active* data segments into
//! the memory, the shared one included. Keep data that calls change out of
//! them, or use passive segments initialised once, as clang's
//! `--shared-memory` output does (`__wasm_init_memory`).
//!
//! Host imports are defined per worker by [`ParallelRun::setup`] or
//! [`ParallelRun::func_wrap`]; host functions are `Send + Sync` closures, so
//! state shared between workers goes behind an `Arc` (each worker's store holds
//! its own host state `T`, made by the closure given to
//! [`ParallelRun::with_state`] on the worker's thread; `T` need not be `Send`).
//!
//! When the linker needs no store (host functions from
//! [`ParallelRun::func_wrap`] only: no [`ParallelRun::setup`] steps and no
//! shared memory), each run resolves and type-checks the imports once
//! ([`Linker::instantiate_pre`]) and every worker instantiates from that
//! (`InstancePre::instantiate`), which matters most for
//! [`Scheduling::ThreadPerCall`], where every call instantiates. Otherwise
//! each worker builds its own linker in its own store.
//!
//! # Scheduling
//!
//! [`Scheduling::Auto`] (the default) picks one of two policies per call of
//! [`ParallelRun::run`], after scanning the code that the called export can
//! reach through direct calls (an indirect call counts as reaching every
//! function):
//!
//! - **No `memory.atomic.wait` reachable → [`Scheduling::Pool`].** The calls
//!   run on the rayon pool ([`ParallelRun::pool`], else the current or global
//!   pool). At most one task per pool thread is started; each instantiates the
//!   module once and then claims argument sets from a shared counter in chunks
//!   that shrink towards the end of the run (guided self-scheduling), so idle
//!   workers keep taking work until none is left. A task that finds no work
//!   left instantiates nothing.
//! - **`memory.atomic.wait` reachable → [`Scheduling::ThreadPerCall`].** A call
//!   that waits may wait for another call of the same run (a consumer waiting
//!   for its producer). On a pool of `k` threads, `k` waiting calls would
//!   occupy every thread and the calls they wait for would never start: a
//!   deadlock. So every argument set gets its own OS thread; all threads are
//!   started before any call begins (if one cannot be started, no call runs and
//!   every result is that error), so every call can make progress. This costs
//!   one instantiation and one thread per argument set, so it suits runs of
//!   tens or hundreds of calls, not millions.
//!
//! Waits in the start function (as in clang's `__wasm_init_memory`, which
//! waits only while another instance initialises the memory) are not reached
//! from the export and do not force threads. The scan cannot see host
//! functions: if an import blocks the thread until another call does
//! something, choose [`Scheduling::ThreadPerCall`] explicitly. If you know the
//! waits only guard short critical sections (a lock whose holder is running),
//! [`Scheduling::Pool`] is safe and cheaper.
//!
//! # Backends
//!
//! Modules without shared memory run in parallel on every backend. A module
//! that imports a shared memory needs [`Feature::Threads`] and
//! [`Feature::SharedMemoryParallel`]; on an engine without them (wasmi) it is
//! refused with [`Error::Unsupported`] by [`ParallelRun::new`] (or already by
//! the engine's compiler) — before anything runs, never with a wrong result.
//!
//! # Values
//!
//! Reference values (`funcref`, `externref`, ...) belong to one store and
//! cannot travel between workers: functions whose parameters or results are
//! references are refused with [`Error::Type`] before anything runs, and a
//! reference in a dynamic argument set fails that call with [`Error::Type`].
//!
//! # Fuel
//!
//! [`ParallelRun::fuel_per_call`] gives every call (and every instantiation)
//! the same fuel budget; a call that runs out fails with
//! [`TrapCode::OutOfFuel`] and the others
//! are unaffected. It needs fuel enabled in the engine's [`Config`](wasm_run_api::Config)
//! ([`Error::Unsupported`] otherwise, before anything runs). With fuel enabled
//! but no budget set, workers start with unlimited fuel.

#![warn(missing_docs)]

mod scan;

/// The rayon this crate runs on, to build a pool for [`ParallelRun::pool`]
/// without depending on rayon yourself.
pub use rayon;

use rayon::ThreadPool;
use scan::Blocking;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;
use wasm_run_api::backend::{Shared, catch_host_panic};
use wasm_run_api::{
    Engine, Error, ExternType, Feature, Func, FuncType, HostFunc, Instance, InstancePre,
    InterruptHandle, Linker, Module, Result, SharedMemory, Store, TrapCode, Val, ValType,
    WasmTyList, to_binary,
};

/// How the calls of a run are spread over threads (see the crate docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheduling {
    /// [`Scheduling::Pool`], unless the called export can reach
    /// `memory.atomic.wait`; then [`Scheduling::ThreadPerCall`].
    #[default]
    Auto,
    /// On the rayon pool, one instance per worker, reused for its calls.
    Pool,
    /// Every argument set on its own OS thread, all started before any call
    /// begins: calls that wait for each other cannot deadlock.
    ThreadPerCall,
}

type StateFn<T> = dyn Fn() -> T + Send + Sync;
type SetupFn<E, T> = dyn Fn(&mut Linker<E, T>, &mut Store<E, T>) -> Result<()> + Send + Sync;
type LinkFn<E, T> = dyn Fn(&mut Linker<E, T>) -> Result<()> + Send + Sync;

/// A step that prepares a worker's linker: one that needs only the linker
/// (host functions) or one that needs the worker's store too.
enum Step<E: Engine, T: 'static> {
    Link(Arc<LinkFn<E, T>>),
    Setup(Arc<SetupFn<E, T>>),
}

impl<E: Engine, T: 'static> Clone for Step<E, T> {
    fn clone(&self) -> Self {
        match self {
            Step::Link(f) => Step::Link(f.clone()),
            Step::Setup(f) => Step::Setup(f.clone()),
        }
    }
}

/// One shared memory import and the memory that satisfies it.
struct SharedImport<E: Engine> {
    module: String,
    name: String,
    memory: SharedMemory<E>,
}

impl<E: Engine> Clone for SharedImport<E> {
    fn clone(&self) -> Self {
        SharedImport {
            module: self.module.clone(),
            name: self.name.clone(),
            memory: self.memory.clone(),
        }
    }
}

/// A compiled module ready to run one export over many argument sets in
/// parallel; see the [crate docs](crate) for what is shared and how calls are
/// scheduled.
///
/// `T` is the host state of each worker's store. The value is reusable: every
/// [`ParallelRun::run`] uses the same module, host imports and shared
/// memories.
pub struct ParallelRun<E: Engine, T: 'static = ()> {
    engine: E,
    module: Module<E>,
    blocking: Option<Arc<Blocking>>,
    state: Arc<StateFn<T>>,
    steps: Vec<Step<E, T>>,
    shared: Vec<SharedImport<E>>,
    fuel: Option<u64>,
    pool: Option<Arc<ThreadPool>>,
    scheduling: Scheduling,
    interrupt: Option<InterruptHandle>,
    deadline: Option<Duration>,
}

impl<E: Engine, T: 'static> Clone for ParallelRun<E, T> {
    fn clone(&self) -> Self {
        ParallelRun {
            engine: self.engine.clone(),
            module: self.module.clone(),
            blocking: self.blocking.clone(),
            state: self.state.clone(),
            steps: self.steps.clone(),
            shared: self.shared.clone(),
            fuel: self.fuel,
            pool: self.pool.clone(),
            scheduling: self.scheduling,
            interrupt: self.interrupt.clone(),
            deadline: self.deadline,
        }
    }
}

impl<E: Engine, T: 'static> std::fmt::Debug for ParallelRun<E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelRun")
            .field("engine", &self.engine.name())
            .field("module", &self.module)
            .field(
                "shared",
                &self
                    .shared
                    .iter()
                    .map(|s| format!("{}::{}", s.module, s.name))
                    .collect::<Vec<_>>(),
            )
            .field("fuel", &self.fuel)
            .field("scheduling", &self.scheduling)
            .finish_non_exhaustive()
    }
}

/// Calls `func` once per argument set on the global rayon pool: the one-line
/// form of [`ParallelRun::new`] + [`ParallelRun::run`] for modules without host
/// imports.
///
/// The outer error is about the whole run (module, export, engine); the inner
/// results are per call, in input order.
///
/// # Errors
///
/// The outer error: those of [`ParallelRun::new`] and [`ParallelRun::run`].
/// Each call's own error is in its inner `Result` (see [`ParallelRun::run`]).
pub fn run_parallel<E: Engine, A: AsRef<[Val<E>]> + Sync>(
    engine: &E,
    wasm: impl AsRef<[u8]>,
    func: &str,
    args: &[A],
) -> Result<Vec<Result<Vec<Val<E>>>>> {
    ParallelRun::new(engine, wasm)?.run(func, args)
}

impl<E: Engine> ParallelRun<E, ()> {
    /// Compiles `wasm` (binary or WAT) for parallel runs with no host state.
    ///
    /// A module that imports a shared memory gets one here (see
    /// [`ParallelRun::shared_memory`]); on an engine without threads that is
    /// an [`Error::Unsupported`].
    ///
    /// # Errors
    ///
    /// - The errors of [`Module::new`]: [`Error::Compile`] for bad text or an
    ///   invalid module, [`Error::Unsupported`] for a proposal the backend
    ///   cannot do.
    /// - [`Error::Unsupported`] for [`Feature::Threads`] or
    ///   [`Feature::SharedMemoryParallel`] if the module imports a shared
    ///   memory and the engine does not have that feature enabled.
    /// - The errors of [`SharedMemory::new`] for the type of such an import.
    pub fn new(engine: &E, wasm: impl AsRef<[u8]>) -> Result<Self> {
        Self::with_state(engine, wasm, || ())
    }

    /// Reads and compiles a `.wasm` or `.wat` file, like [`ParallelRun::new`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read; otherwise the errors of
    /// [`ParallelRun::new`].
    pub fn from_file(engine: &E, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::new(engine, bytes)
    }
}

impl<E: Engine, T: 'static> ParallelRun<E, T> {
    /// Like [`ParallelRun::new`], with `state` making the host state of each
    /// worker's store (called once per instantiation, on the worker's thread).
    ///
    /// # Errors
    ///
    /// The errors of [`ParallelRun::new`].
    pub fn with_state(
        engine: &E,
        wasm: impl AsRef<[u8]>,
        state: impl Fn() -> T + Send + Sync + 'static,
    ) -> Result<Self> {
        let wasm = to_binary(wasm.as_ref())?;
        let module = Module::new(engine, &*wasm)?;
        let mut shared = Vec::new();
        for import in module.imports() {
            if let ExternType::Memory(ty) = &import.ty
                && ty.shared
            {
                for feature in [Feature::Threads, Feature::SharedMemoryParallel] {
                    if !engine.features().contains(feature) {
                        return Err(Error::Unsupported {
                            feature,
                            engine: engine.name(),
                        });
                    }
                }
                shared.push(SharedImport {
                    module: import.module.clone(),
                    name: import.name.clone(),
                    memory: SharedMemory::new(engine, *ty)?,
                });
            }
        }
        Ok(ParallelRun {
            engine: engine.clone(),
            module,
            blocking: Blocking::scan(&wasm).map(Arc::new),
            state: Arc::new(state),
            steps: Vec::new(),
            shared,
            fuel: None,
            pool: None,
            scheduling: Scheduling::Auto,
            interrupt: if engine.features().contains(Feature::Interrupt) {
                Some(InterruptHandle::new(engine)?)
            } else {
                None
            },
            deadline: None,
        })
    }

    /// Adds a step that prepares each worker's linker and store before the
    /// module is instantiated: define host functions, globals, tables, set
    /// store data. Steps run in the order added, once per instantiation, on
    /// the worker's thread.
    pub fn setup(
        mut self,
        f: impl Fn(&mut Linker<E, T>, &mut Store<E, T>) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.steps.push(Step::Setup(Arc::new(f)));
        self
    }

    /// Defines `module::name` as a typed host function in every worker (the
    /// closure is shared by all workers, so it is `Send + Sync`).
    pub fn func_wrap<P: WasmTyList, R: WasmTyList>(
        mut self,
        module: &str,
        name: &str,
        f: impl HostFunc<E, T, P, R>,
    ) -> Self {
        let f = Shared(Arc::new(f));
        let (module, name) = (module.to_string(), name.to_string());
        self.steps.push(Step::Link(Arc::new(move |linker| {
            linker.func_wrap(&module, &name, f.clone())?;
            Ok(())
        })));
        self
    }

    /// The module pre-instantiated once for every worker
    /// ([`Linker::instantiate_pre`]), when its linker needs no store: no
    /// setup steps and no shared memories (those are defined per worker). An
    /// error here is left for each worker to report, as before.
    fn prepared(&self) -> Option<InstancePre<E, T>> {
        if !self.shared.is_empty() || self.steps.iter().any(|s| matches!(s, Step::Setup(_))) {
            return None;
        }
        let mut linker = Linker::new(&self.engine);
        for step in &self.steps {
            if let Step::Link(f) = step {
                catch_host_panic(|| f(&mut linker)).ok()?;
            }
        }
        linker.instantiate_pre(&self.module).ok()
    }

    /// Gives every call (and every instantiation) `fuel` units of fuel; see
    /// the crate docs.
    pub fn fuel_per_call(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Gives every call (and every instantiation) a wall-clock deadline of
    /// `timeout` from its start ([`Store::set_deadline`]); a call past it
    /// fails with [`TrapCode::Deadline`].
    /// Needs [`Feature::Deadline`] enabled in the engine's config (otherwise
    /// every call fails with [`Error::Unsupported`]).
    pub fn deadline_per_call(mut self, timeout: Duration) -> Self {
        self.deadline = Some(timeout);
        self
    }

    /// The handle that stops a whole run from any thread: the calls running
    /// when [`InterruptHandle::interrupt`] is called stop with
    /// [`TrapCode::Interrupt`], and the
    /// calls of that run that have not started yet fail with the same trap
    /// without running. Every worker's store uses this one handle; later runs
    /// are not affected.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for [`Feature::Interrupt`] unless it is enabled
    /// in the engine's config.
    pub fn interrupt_handle(&self) -> Result<InterruptHandle> {
        self.interrupt
            .clone()
            .ok_or(Error::unsupported(Feature::Interrupt, self.engine.name()))
    }

    /// Runs on `pool` instead of the current (or global) rayon pool.
    pub fn pool(mut self, pool: Arc<ThreadPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Chooses the scheduling policy (default [`Scheduling::Auto`]).
    pub fn scheduling(mut self, scheduling: Scheduling) -> Self {
        self.scheduling = scheduling;
        self
    }

    /// Uses `memory` for the shared memory import `module::name` instead of
    /// the one created by [`ParallelRun::new`]. An error if the module has no
    /// such import or `memory` does not fit its type.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if the module imports no shared memory `module::name`, or
    /// `memory`'s type does not match the import's.
    pub fn define_shared_memory(
        mut self,
        module: &str,
        name: &str,
        memory: SharedMemory<E>,
    ) -> Result<Self> {
        let Some(slot) = self
            .shared
            .iter_mut()
            .find(|s| s.module == module && s.name == name)
        else {
            return Err(Error::Type(format!(
                "the module imports no shared memory `{module}::{name}`"
            )));
        };
        let expected = self
            .module
            .imports()
            .iter()
            .find(|i| i.module == module && i.name == name)
            .map(|i| i.ty.clone());
        let found = ExternType::Memory(memory.ty());
        if let Some(expected) = expected
            && !found.matches(&expected)
        {
            return Err(Error::Type(format!(
                "shared memory for `{module}::{name}` is {found}, the module expects {expected}"
            )));
        }
        slot.memory = memory;
        Ok(self)
    }

    /// The shared memory that satisfies the import `module::name`: every
    /// worker of every run uses this one. Read and write it from the host
    /// before and after runs.
    pub fn shared_memory(&self, module: &str, name: &str) -> Option<&SharedMemory<E>> {
        self.shared
            .iter()
            .find(|s| s.module == module && s.name == name)
            .map(|s| &s.memory)
    }

    /// Every shared memory import as `(module, name, memory)`, in import order.
    pub fn shared_memories(&self) -> impl Iterator<Item = (&str, &str, &SharedMemory<E>)> {
        self.shared
            .iter()
            .map(|s| (s.module.as_str(), s.name.as_str(), &s.memory))
    }

    /// The compiled module.
    pub fn module(&self) -> &Module<E> {
        &self.module
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The policy a run of `func` uses: [`Scheduling::Pool`] or
    /// [`Scheduling::ThreadPerCall`] ([`Scheduling::Auto`] resolved).
    pub fn scheduling_for(&self, func: &str) -> Scheduling {
        match self.scheduling {
            Scheduling::Auto => match &self.blocking {
                Some(b) if !b.may_wait(func) => Scheduling::Pool,
                _ => Scheduling::ThreadPerCall,
            },
            other => other,
        }
    }

    /// Number of threads a pool-scheduled run uses at most.
    pub fn pool_threads(&self) -> usize {
        match &self.pool {
            Some(p) => p.current_num_threads(),
            None => rayon::current_num_threads(),
        }
    }

    /// Calls `func` once per argument set, in parallel; results in input
    /// order, each call's error its own.
    ///
    /// Arguments and results are numeric [`Val`]s. The outer error means
    /// nothing ran: `func` is not an exported function, its type has
    /// references, or fuel was asked for on an engine without fuel.
    ///
    /// # Errors
    ///
    /// The outer error (nothing ran):
    /// - [`Error::MissingExport`] if the module exports nothing named `func`.
    /// - [`Error::Type`] if `func` is not a function, or its parameters or
    ///   results include a reference type.
    /// - [`Error::Unsupported`] for [`Feature::Fuel`] if
    ///   [`ParallelRun::fuel_per_call`] was set on an engine without fuel enabled.
    ///
    /// An inner error fails only its call: [`Error::Type`] for an argument set
    /// of the wrong arity or types (or with a reference); any error of
    /// instantiating the module in the call's worker (a setup step's included,
    /// and [`Error::HostPanic`] if a setup step or the state closure panics) or
    /// of the call itself ([`Error::Trap`], a host function's error, ...);
    /// [`Error::Engine`] if the call panicked; and, for every call,
    /// [`Error::ResourceLimit`] if a thread-per-call run could not start all of
    /// its threads.
    pub fn run<A: AsRef<[Val<E>]> + Sync>(
        &self,
        func: &str,
        args: &[A],
    ) -> Result<Vec<Result<Vec<Val<E>>>>> {
        let ty = self.check(func)?;
        let resolve = |store: &mut Store<E, T>, instance: &Instance<E>| -> Result<Func<E>> {
            instance.get_func(store, func)
        };
        let call = |store: &mut Store<E, T>, f: Func<E>, i: usize| -> Result<Vec<Val<E>>> {
            let params = args[i].as_ref();
            check_args(params, ty.params())?;
            let mut results: Vec<Val<E>> = ty
                .results()
                .iter()
                .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
                .collect();
            f.call(store, params, &mut results)?;
            Ok(results)
        };
        Ok(self.execute(func, args.len(), &resolve, &call))
    }

    /// Calls `func` with type `P -> R` once per element of `args`, in
    /// parallel, through the typed fast path; results in input order.
    ///
    /// The outer error means nothing ran (see [`ParallelRun::run`]; a type
    /// other than `P -> R` is an [`Error::Type`] too).
    ///
    /// # Errors
    ///
    /// The outer error (nothing ran):
    /// - [`Error::MissingExport`] if the module exports nothing named `func`.
    /// - [`Error::Type`] if `func` is not a function, its parameters or
    ///   results include a reference type, or its type is not `P -> R`.
    /// - [`Error::Unsupported`] for [`Feature::Fuel`] if
    ///   [`ParallelRun::fuel_per_call`] was set on an engine without fuel enabled.
    ///
    /// An inner error fails only its call: any error of instantiating the
    /// module in the call's worker (a setup step's included, and
    /// [`Error::HostPanic`] if a setup step or the state closure panics) or of
    /// the call itself ([`Error::Trap`], a host function's error, ...);
    /// [`Error::Engine`] if the call panicked; and, for every call,
    /// [`Error::ResourceLimit`] if a thread-per-call run could not start all of
    /// its threads.
    pub fn run_typed<P: WasmTyList + Clone, R: WasmTyList>(
        &self,
        func: &str,
        args: &[P],
    ) -> Result<Vec<Result<R>>> {
        let ty = self.check(func)?;
        let want = FuncType::new(P::types(), R::types());
        if ty != want {
            return Err(Error::Type(format!("`{func}` is {ty}, not {want}")));
        }
        let resolve = |store: &mut Store<E, T>, instance: &Instance<E>| {
            instance.get_typed_func::<P, R>(store, func)
        };
        let call = |store: &mut Store<E, T>, f: wasm_run_api::TypedFunc<E, P, R>, i: usize| {
            f.call(store, args[i].clone())
        };
        Ok(self.execute(func, args.len(), &resolve, &call))
    }

    /// What must hold before anything runs; returns the function's type.
    fn check(&self, func: &str) -> Result<FuncType> {
        let ty = match self.module.info().export(func).map(|e| &e.ty) {
            Some(ExternType::Func(ty)) => ty.clone(),
            Some(other) => {
                return Err(Error::Type(format!(
                    "export `{func}` is not a function: {other}"
                )));
            }
            None => return Err(Error::MissingExport(func.into())),
        };
        if ty
            .params()
            .iter()
            .chain(ty.results())
            .any(|t| matches!(t, ValType::Ref(_)))
        {
            return Err(Error::Type(format!(
                "`{func}` is {ty}: parallel runs take and return numbers only \
                 (references belong to one store)"
            )));
        }
        if self.fuel.is_some() && !self.engine.features().contains(Feature::Fuel) {
            return Err(Error::unsupported(Feature::Fuel, self.engine.name()));
        }
        Ok(ty)
    }

    /// Runs `n` calls with the policy for `func`.
    fn execute<H, O, Res, Call>(
        &self,
        func: &str,
        n: usize,
        resolve: &Res,
        call: &Call,
    ) -> Vec<Result<O>>
    where
        H: Copy,
        O: Send + Sync,
        Res: Fn(&mut Store<E, T>, &Instance<E>) -> Result<H> + Sync,
        Call: Fn(&mut Store<E, T>, H, usize) -> Result<O> + Sync,
    {
        if n == 0 {
            return Vec::new();
        }
        // Interrupt requests from now on stop this run.
        let since = self.interrupt.as_ref().map(InterruptHandle::requests);
        let pre = self.prepared();
        let start = Start {
            since,
            pre: pre.as_ref(),
        };
        match self.scheduling_for(func) {
            Scheduling::ThreadPerCall => self.thread_per_call(n, start, resolve, call),
            _ => self.on_pool(n, start, resolve, call),
        }
    }

    fn on_pool<H, O, Res, Call>(
        &self,
        n: usize,
        start: Start<'_, E, T>,
        resolve: &Res,
        call: &Call,
    ) -> Vec<Result<O>>
    where
        H: Copy,
        O: Send + Sync,
        Res: Fn(&mut Store<E, T>, &Instance<E>) -> Result<H> + Sync,
        Call: Fn(&mut Store<E, T>, H, usize) -> Result<O> + Sync,
    {
        let slots: Vec<OnceLock<Result<O>>> = (0..n).map(|_| OnceLock::new()).collect();
        let next = AtomicUsize::new(0);
        let tasks = self.pool_threads().clamp(1, n);
        let work = || {
            let mut worker = Worker::new(self, start);
            while let Some(range) = claim(&next, n, tasks) {
                for i in range {
                    let _ = slots[i].set(worker.call(i, resolve, call));
                }
            }
        };
        let work = &work;
        match &self.pool {
            Some(pool) => pool.scope(|s| {
                for _ in 0..tasks {
                    s.spawn(move |_| work());
                }
            }),
            None => rayon::scope(|s| {
                for _ in 0..tasks {
                    s.spawn(move |_| work());
                }
            }),
        }
        slots
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .unwrap_or_else(|| Err(Error::Engine("the call did not run".into())))
            })
            .collect()
    }

    fn thread_per_call<H, O, Res, Call>(
        &self,
        n: usize,
        start: Start<'_, E, T>,
        resolve: &Res,
        call: &Call,
    ) -> Vec<Result<O>>
    where
        H: Copy,
        O: Send + Sync,
        Res: Fn(&mut Store<E, T>, &Instance<E>) -> Result<H> + Sync,
        Call: Fn(&mut Store<E, T>, H, usize) -> Result<O> + Sync,
    {
        // Threads run wasm on their own stack (wasmtime): leave room for the
        // configured wasm stack plus the host's frames.
        let stack = self
            .engine
            .config()
            .max_wasm_stack_bytes()
            .map(|b| b.saturating_add(1 << 20));
        let gate = Gate::default();
        std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(n);
            let mut failed = None;
            for i in 0..n {
                let mut builder =
                    std::thread::Builder::new().name(format!("wasm-run-parallel-{i}"));
                if let Some(bytes) = stack {
                    builder = builder.stack_size(bytes);
                }
                let gate = &gate;
                match builder.spawn_scoped(s, move || {
                    if !gate.pass() {
                        return None;
                    }
                    Some(Worker::new(self, start).call(i, resolve, call))
                }) {
                    Ok(handle) => handles.push(handle),
                    Err(e) => {
                        failed = Some((i, e.to_string()));
                        break;
                    }
                }
            }
            gate.open(failed.is_none());
            let mut results: Vec<Result<O>> = handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(Some(r)) => r,
                    Ok(None) => Err(not_started(&failed)),
                    Err(_) => Err(Error::Engine("the call's thread panicked".into())),
                })
                .collect();
            results.resize_with(n, || Err(not_started(&failed)));
            results
        })
    }
}

fn not_started(failed: &Option<(usize, String)>) -> Error {
    match failed {
        Some((i, why)) => Error::ResourceLimit(format!(
            "no call ran: the thread for argument set {i} could not be started ({why})"
        )),
        None => Error::Engine("the call did not run".into()),
    }
}

/// Claims the next range of argument sets: chunks of about a `2 × workers`-th
/// of what is left, at most 64, so that workers stay busy until the end.
fn claim(next: &AtomicUsize, n: usize, workers: usize) -> Option<Range<usize>> {
    let mut start = next.load(Ordering::Relaxed);
    loop {
        if start >= n {
            return None;
        }
        let chunk = ((n - start) / (2 * workers)).clamp(1, 64);
        match next.compare_exchange_weak(start, start + chunk, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return Some(start..start + chunk),
            Err(now) => start = now,
        }
    }
}

/// Holds thread-per-call threads until every one of them has been started.
#[derive(Default)]
struct Gate {
    state: Mutex<Option<bool>>,
    cv: Condvar,
}

impl Gate {
    /// Waits for [`Gate::open`]; whether to go on.
    fn pass(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(go) = *state {
                return go;
            }
            state = self.cv.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
    fn open(&self, go: bool) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Some(go);
        self.cv.notify_all();
    }
}

/// What every worker of one run starts from.
struct Start<'p, E: Engine, T: 'static> {
    /// The run's interrupt requests at its start.
    since: Option<u64>,
    /// The module pre-instantiated, when the linker needs no store.
    pre: Option<&'p InstancePre<E, T>>,
}

impl<E: Engine, T: 'static> Clone for Start<'_, E, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Engine, T: 'static> Copy for Start<'_, E, T> {}

/// One worker's store and instance, made on first use and after a failure.
struct Worker<'r, E: Engine, T: 'static, H> {
    run: &'r ParallelRun<E, T>,
    live: Option<(Store<E, T>, H)>,
    /// The run's interrupt requests at its start.
    since: Option<u64>,
    pre: Option<&'r InstancePre<E, T>>,
}

impl<'r, E: Engine, T: 'static, H: Copy> Worker<'r, E, T, H> {
    fn new(run: &'r ParallelRun<E, T>, start: Start<'r, E, T>) -> Self {
        Worker {
            run,
            live: None,
            since: start.since,
            pre: start.pre,
        }
    }

    /// Whether the run was interrupted since it began.
    fn interrupted(&self) -> bool {
        match (&self.run.interrupt, self.since) {
            (Some(handle), Some(since)) => handle.requests() != since,
            _ => false,
        }
    }

    fn instantiate(
        &self,
        resolve: &impl Fn(&mut Store<E, T>, &Instance<E>) -> Result<H>,
    ) -> Result<(Store<E, T>, H)> {
        let run = self.run;
        let data = catch_host_panic(|| Ok((run.state)()))?;
        let mut store = Store::new(&run.engine, data);
        if let Some(handle) = &run.interrupt {
            store.set_interrupt_handle(handle)?;
        }
        if let Some(timeout) = run.deadline {
            store.set_deadline(timeout)?;
        }
        if run.engine.features().contains(Feature::Fuel) {
            store.set_fuel(run.fuel.unwrap_or(u64::MAX))?;
        }
        let instance = match self.pre {
            Some(pre) => pre.instantiate(&mut store)?,
            None => {
                let mut linker = Linker::new(&run.engine);
                for s in &run.shared {
                    linker.define(&store, &s.module, &s.name, s.memory.clone())?;
                }
                for step in &run.steps {
                    match step {
                        Step::Link(f) => catch_host_panic(|| f(&mut linker))?,
                        Step::Setup(f) => catch_host_panic(|| f(&mut linker, &mut store))?,
                    }
                }
                linker.instantiate(&mut store, &run.module)?
            }
        };
        let handle = resolve(&mut store, &instance)?;
        Ok((store, handle))
    }

    /// Runs call `i`; a failed call discards the instance.
    fn call<O>(
        &mut self,
        i: usize,
        resolve: &impl Fn(&mut Store<E, T>, &Instance<E>) -> Result<H>,
        call: &impl Fn(&mut Store<E, T>, H, usize) -> Result<O>,
    ) -> Result<O> {
        if self.interrupted() {
            return Err(Error::trap(
                TrapCode::Interrupt,
                "the parallel run was interrupted before this call started",
            ));
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            let live = match self.live.take() {
                Some(live) => live,
                None => self.instantiate(resolve)?,
            };
            let (store, handle) = self.live.insert(live);
            if let Some(fuel) = self.run.fuel {
                store.set_fuel(fuel)?;
            }
            if let Some(timeout) = self.run.deadline {
                store.set_deadline(timeout)?;
            }
            call(store, *handle, i)
        }))
        .unwrap_or_else(|_| Err(Error::Engine("a parallel call panicked".into())));
        if result.is_err() {
            self.live = None;
        }
        result
    }
}

/// Checks one dynamic argument set: numbers of the right types only.
fn check_args<E: Engine>(params: &[Val<E>], tys: &[ValType]) -> Result<()> {
    if params.len() != tys.len() {
        return Err(Error::Type(format!(
            "expected {} arguments, got {}",
            tys.len(),
            params.len()
        )));
    }
    for (i, (v, t)) in params.iter().zip(tys).enumerate() {
        if matches!(v.ty(), ValType::Ref(_)) {
            return Err(Error::Type(format!(
                "argument {i} is a {}: parallel runs take numbers only \
                 (references belong to one store)",
                v.ty()
            )));
        }
        if !v.matches(t) {
            return Err(Error::Type(format!(
                "argument {i}: expected {t}, got {}",
                v.ty()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_run_api::{Caller, Config};
    use wasm_run_wasmi::Wasmi;

    const WAT: &str = r#"(module
      (import "host" "add" (func (param i32 i32) (result i32)))
      (func (export "f") (param i32) (result i32) (call 0 (local.get 0) (i32.const 1))))"#;

    #[test]
    fn only_store_free_linkers_are_pre_instantiated() {
        let engine = Wasmi::new(&Config::new()).unwrap();
        let run = ParallelRun::new(&engine, WAT).unwrap().func_wrap(
            "host",
            "add",
            |_: Caller<'_, Wasmi, ()>, a: i32, b: i32| Ok(a + b),
        );
        assert!(run.prepared().is_some(), "host functions only");
        let with_setup = run.clone().setup(|_, _| Ok(()));
        assert!(
            with_setup.prepared().is_none(),
            "a setup step needs a store"
        );
        let unresolved = ParallelRun::new(&engine, WAT).unwrap();
        assert!(unresolved.prepared().is_none(), "left to each worker");
    }
}
