//! The backend contract (the "HAL"): what an engine implements so that every
//! public type of this crate works on it.
//!
//! Users never call these traits directly; the public handle types
//! ([`crate::Func`], [`crate::Memory`], ...) and [`crate::Store`] forward to them.
//! Every method is generic or associated, so a call through the public API is
//! monomorphised into a direct call of the engine.

/// Helpers for backend implementations (not for users of the API): panic
/// guards, value-buffer conversion, the raw slot traits of typed calls and
/// the store-limits builder shared by the backends.
pub use crate::asyncs::{
    CallFuture, InstanceFuture, YieldClock, complete_async_host, finish_async_host,
    start_async_host, sync_call_of_async_host, yield_now,
};
pub use crate::build_store_limits;
pub use crate::definitions::{Definitions, typed_as_untyped};
pub use crate::host::{
    ForeignContext, Shared, ValBuf, call_untyped, catch_host_panic, convert_call,
    convert_call_inout, default_results, foreign_context, guard, panic_message,
};
pub use crate::info::validate_for;
pub use crate::interrupt::{Waker, Watch, deadline_after};
pub use crate::limiter::{HostLimiter, Verdict};
pub use crate::skeleton::{EngineBase, HostRef, StoreData};
pub use crate::val::{ListVisitor, SlotsIn, SlotsOut, TyVisitor};

use crate::asyncs::AsyncHostFunc;
use crate::error::Result;
use crate::feature::{Config, Feature, FeatureSet, Support};
use crate::handles::AnyRefKind;
use crate::host::{HostFunc, UntypedHostFunc};
use crate::instance::Extern;
use crate::types::*;
use crate::val::{Val, WasmTyList};
use std::any::Any;
use std::fmt::Debug;

/// Identifies a store. Every handle remembers the id of the store that owns
/// it, and the public API compares ids before it hands a handle to the
/// engine, so a handle used with the wrong store is [`crate::Error::WrongStore`]
/// (or a panic with wasm-run's own message, for methods without `Result`)
/// on every backend, instead of whatever the engine does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreId(std::num::NonZeroU64);

impl StoreId {
    /// A new id, different from every id made before in this process
    /// (backends call it once per store).
    pub fn fresh() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // 2^64 stores cannot be made in a process lifetime; never zero anyway.
        StoreId(std::num::NonZeroU64::new(n).unwrap_or(std::num::NonZeroU64::MAX))
    }
    /// The id as a number (for display and foreign-language bindings).
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

/// The type of handles a backend does not have (e.g. exception tags on an
/// engine without exceptions): no value of it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Never {}

/// A WebAssembly engine: the root of a backend.
pub trait Engine: Clone + Send + Sync + Sized + 'static {
    /// A compiled module.
    type Module: Clone + Send + Sync + 'static;
    /// A store owning instances and the host state `T`.
    type Store<T: 'static>: StoreBackend<Self, Data = T>;
    /// The context a host function is called with.
    type Caller<'a, T: 'static>: CallerBackend<Self, Data = T>;
    /// Import definitions and instantiation.
    type Linker<T: 'static>: LinkerBackend<Self, T>;
    /// A module with its imports resolved by a linker, ready to instantiate.
    type InstancePre<T: 'static>: InstancePreBackend<Self, T>;
    /// An instance handle.
    type Instance: Copy + Debug + Send + Sync + 'static;
    /// A function handle.
    type Func: Copy + Debug + Send + Sync + 'static;
    /// A memory handle.
    type Memory: Copy + Debug + Send + Sync + 'static;
    /// A table handle.
    type Table: Copy + Debug + Send + Sync + 'static;
    /// A global handle.
    type Global: Copy + Debug + Send + Sync + 'static;
    /// A non-null external reference handle.
    type ExternRef: Copy + Debug + Send + Sync + 'static;
    /// An exception tag handle ([`Never`] on backends without exceptions).
    type Tag: Copy + Debug + Send + Sync + 'static;
    /// A non-null GC reference of the `any` hierarchy ([`Never`] without GC).
    type AnyRef: Copy + Debug + Send + Sync + 'static;
    /// A non-null exception reference ([`Never`] without exceptions).
    type ExnRef: Copy + Debug + Send + Sync + 'static;
    /// A memory shared between threads and stores ([`Never`] without threads).
    type SharedMemory: SharedMemoryBackend;
    /// A call paused because it ran out of fuel ([`Never`] on backends
    /// without resumable fuel).
    type PausedCall: PausedCallBackend;

    /// Creates the engine. Explicitly enabled features the backend cannot do
    /// are an [`crate::Error::Unsupported`] error.
    fn new(config: &Config) -> Result<Self>;
    /// The backend's name, e.g. `"wasmtime"`: what the contract's default
    /// answers name in [`crate::Error::Unsupported`]. (A backend that stands
    /// for several, as `AnyEngine` does, names itself here and answers
    /// [`Engine::name`] with the chosen one.)
    const NAME: &'static str;
    /// The name of the backend this engine runs on, e.g. `"wasmtime"`
    /// ([`Engine::NAME`] unless the engine stands for several backends).
    fn name(&self) -> &'static str {
        Self::NAME
    }
    /// Version of the underlying engine crate.
    fn version(&self) -> &'static str;
    /// What the backend can do at all, regardless of configuration.
    fn support(&self, feature: Feature) -> Support;
    /// What every engine keeps of its creation (configuration, features,
    /// interrupt waker): the one accessor a backend writes for
    /// [`Engine::features`], [`Engine::config`] and
    /// [`Engine::interrupt_waker`].
    fn base(&self) -> &EngineBase;
    /// What this engine, as configured, has enabled.
    fn features(&self) -> FeatureSet {
        self.base().features()
    }
    /// The configuration the engine was created with.
    fn config(&self) -> &Config {
        self.base().config()
    }
    /// Compiles a binary module.
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module>;
    /// Validates a binary module without compiling it.
    fn validate(&self, wasm: &[u8]) -> Result<()>;
    /// A new store holding `data`, with the configured limits applied.
    fn store<T: 'static>(&self, data: T) -> Self::Store<T>;
    /// A new, empty linker.
    fn linker<T: 'static>(&self) -> Self::Linker<T>;
    /// Creates a shared memory (type has `shared: true`), owned by no store.
    /// Optional (the threads proposal): the default answers
    /// [`crate::Error::Unsupported`] for [`Feature::Threads`], for backends
    /// whose `SharedMemory` is [`Never`].
    fn shared_memory_new(&self, ty: MemoryType) -> Result<Self::SharedMemory> {
        let _ = ty;
        Err(crate::Error::unsupported(Feature::Threads, self.name()))
    }
    /// The backend engine itself, for crates layered over the API that use
    /// a backend's own facilities where it has them (wasm-run-component
    /// reaches wasmtime's native component model through it). A backend
    /// answers itself (the default); an engine that dispatches to backends,
    /// such as `AnyEngine`, answers the backend it runs on.
    fn backend(&self) -> &dyn std::any::Any {
        self
    }
    /// Whether the backend's own instantiation refuses imports whose types
    /// do not match the module's before anything of the module runs (the
    /// default: no). When it does, [`crate::Instance::new`] leaves the check
    /// to it and compares the types itself only to describe a refusal as
    /// [`crate::LinkError::Incompatible`], the same on every backend.
    fn checks_import_types(&self) -> bool {
        false
    }
    /// The export `name` of `module` found once, for
    /// [`ContextBackend::instance_export_by_key`] (see
    /// [`crate::ExportKey`]); `None` (the default): the backend looks names
    /// up.
    fn module_export_key(
        &self,
        module: &Self::Module,
        name: &str,
    ) -> Option<Box<dyn std::any::Any + Send + Sync>> {
        let _ = (module, name);
        None
    }
    /// A compiled module as the backend's own type (see [`Engine::backend`]):
    /// a backend answers the module itself (the default); `AnyEngine`
    /// answers the module of the backend it runs on.
    fn backend_module<'m>(&self, module: &'m Self::Module) -> &'m dyn std::any::Any {
        module
    }
    /// The engine's own serialised form of a compiled module. The default
    /// answers [`crate::Error::Unsupported`] for
    /// [`Feature::ModuleSerialization`].
    fn serialize(&self, module: &Self::Module) -> Result<Vec<u8>> {
        let _ = module;
        Err(crate::Error::unsupported(
            Feature::ModuleSerialization,
            self.name(),
        ))
    }
    /// Loads what [`Engine::serialize`] produced.
    ///
    /// # Safety
    ///
    /// `bytes` must come from [`Engine::serialize`] of an engine with the same
    /// version and configuration (the API's checked envelope ensures that
    /// before calling this); engines may run the code in them unchecked.
    unsafe fn deserialize(&self, bytes: &[u8]) -> Result<Self::Module> {
        let _ = bytes;
        Err(crate::Error::unsupported(
            Feature::ModuleSerialization,
            self.name(),
        ))
    }
    /// The engine's [`Waker`] for [`crate::InterruptHandle`]s; the same `Arc`
    /// every time. [`crate::Error::Unsupported`] unless
    /// [`Feature::Interrupt`] is enabled.
    fn interrupt_waker(&self) -> Result<Waker> {
        self.base().interrupt_waker(self.name())
    }
}

/// Why [`SharedMemoryBackend::atomic_wait32`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitResult {
    /// Woken by a notify.
    Ok,
    /// The value was not the expected one.
    Mismatch,
    /// The timeout passed.
    TimedOut,
}

/// A memory shared between threads: usable without a store, from any thread.
///
/// # Safety
///
/// [`crate::SharedMemory`] reads and writes the memory through raw
/// pointers (as atomics) after checking offsets against
/// [`data_size`](SharedMemoryBackend::data_size), so an implementation
/// promises that, for as long as any clone of the value exists:
///
/// - [`data_ptr`](SharedMemoryBackend::data_ptr) is non-null, aligned to
///   the page size (at least 4 bytes), and valid for reads and writes of
///   `data_size()` bytes from any thread (wasm and other threads may access
///   them concurrently: the backend's memory is made for atomic access);
/// - the region never moves and is never unmapped or shrunk: growing only
///   makes more of it accessible, and `data_size()` never decreases.
pub unsafe trait SharedMemoryBackend: Clone + Debug + Send + Sync + 'static {
    /// The memory's type (`minimum` is the current size in pages).
    fn ty(&self) -> MemoryType;
    /// Current size in bytes.
    fn data_size(&self) -> usize;
    /// Start of the memory. Other threads may write it at any time: access
    /// only through atomics or while no wasm runs.
    fn data_ptr(&self) -> *mut u8;
    /// Grows by `delta` pages, returning the old size in pages.
    fn grow(&self, delta: u64) -> Result<u64>;
    /// `memory.atomic.notify`: wakes up to `count` waiters at `addr`.
    fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32>;
    /// `memory.atomic.wait32`: waits while the `u32` at `addr` is `expected`.
    fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<std::time::Duration>,
    ) -> Result<WaitResult>;
}

// SAFETY: no value of `Never` exists, so no method is ever called.
unsafe impl SharedMemoryBackend for Never {
    fn ty(&self) -> MemoryType {
        match *self {}
    }
    fn data_size(&self) -> usize {
        match *self {}
    }
    fn data_ptr(&self) -> *mut u8 {
        match *self {}
    }
    fn grow(&self, _: u64) -> Result<u64> {
        match *self {}
    }
    fn atomic_notify(&self, _: u64, _: u32) -> Result<u32> {
        match *self {}
    }
    fn atomic_wait32(&self, _: u64, _: u32, _: Option<std::time::Duration>) -> Result<WaitResult> {
        match *self {}
    }
}

/// A call paused for lack of fuel, waiting to be resumed.
pub trait PausedCallBackend: Debug + Send + 'static {
    /// The fuel the next step needs (at least); resuming with less pauses
    /// again at once.
    fn required_fuel(&self) -> u64;
}

impl PausedCallBackend for Never {
    fn required_fuel(&self) -> u64 {
        match *self {}
    }
}

/// The GC proposal's reference operations on a store or caller: optional
/// (see [`ContextBackend::gc_refs`]); a backend without GC references
/// implements nothing of it.
pub trait GcRefsBackend<E: Engine> {
    /// What a GC reference points to.
    fn anyref_kind(&self, r: &E::AnyRef) -> AnyRefKind;
    /// An `i31ref` holding the low 31 bits of `value`.
    fn anyref_from_i31(&mut self, value: u32) -> Result<E::AnyRef>;
    /// `any.convert_extern`: a host reference seen as `anyref`.
    fn anyref_from_extern(&mut self, r: E::ExternRef) -> Result<E::AnyRef>;
    /// `extern.convert_any`: an `anyref` seen as `externref`.
    fn externref_from_any(&mut self, r: E::AnyRef) -> Result<E::ExternRef>;
}

/// The exception-handling proposal's tag operations on a store or caller:
/// optional (see [`ContextBackend::tags`]).
pub trait TagsBackend<E: Engine> {
    /// Type of an exception tag.
    fn tag_ty(&self, t: &E::Tag) -> TagType;
}

/// Operations available wherever a store is reachable: on a store and inside a
/// host function.
pub trait ContextBackend<E: Engine> {
    /// The user's host state.
    type Data: 'static;

    /// The id of the store (a caller answers its store's id). Every handle
    /// the backend makes in this context carries it.
    fn store_id(&self) -> StoreId;
    /// The host state.
    fn data(&self) -> &Self::Data;
    /// The host state, mutably.
    fn data_mut(&mut self) -> &mut Self::Data;
    /// Fuel left; `Unsupported` when fuel is off.
    fn get_fuel(&self) -> Result<u64>;
    /// Sets the fuel left; `Unsupported` when fuel is off.
    fn set_fuel(&mut self, fuel: u64) -> Result<()>;
    /// The store's [`Watch`] (deadline and interrupt state), for a backend
    /// that stops guests by looking at it between slices of a call (wasmi,
    /// tinywasm): with it, the deadline and interrupt methods below are
    /// provided. `None` (the default): the store has neither enabled, or
    /// the backend overrides those methods (wasmtime's epochs).
    fn watch(&self) -> Option<&Watch> {
        None
    }
    /// The store's [`Watch`], mutably (see [`ContextBackend::watch`]).
    fn watch_mut(&mut self) -> Option<&mut Watch> {
        None
    }
    /// The store's [`crate::Extensions`] (a backend whose store data is a
    /// [`StoreData`] answers [`StoreData::extensions_mut`]). `None` (the
    /// default): the backend keeps none, and libraries that would keep
    /// per-store values there take a slower route.
    fn extensions_mut(&mut self) -> Option<&mut crate::Extensions> {
        None
    }
    /// Sets (`Some`) or clears the instant after which running wasm stops with
    /// [`crate::TrapCode::Deadline`]; `Unsupported` unless
    /// [`Feature::Deadline`] is enabled. Provided through
    /// [`ContextBackend::watch_mut`].
    fn set_deadline(&mut self, at: Option<std::time::Instant>) -> Result<()> {
        Watch::require(self.watch_mut(), Feature::Deadline, E::NAME)?.set_deadline(at);
        Ok(())
    }
    /// The store's interrupt handle; `Unsupported` unless
    /// [`Feature::Interrupt`] is enabled. Provided through
    /// [`ContextBackend::watch`].
    fn interrupt_handle(&self) -> Result<crate::InterruptHandle> {
        Ok(Watch::require(self.watch(), Feature::Interrupt, E::NAME)?
            .handle()
            .clone())
    }
    /// Sets the store's [`crate::ResourceLimiter`], asked after the fixed
    /// limits before every memory and table growth.
    fn set_limiter(&mut self, limiter: Box<dyn crate::ResourceLimiter>);
    /// Makes the store use `handle`; `Unsupported` unless
    /// [`Feature::Interrupt`] is enabled, [`crate::Error::WrongStore`] if the
    /// handle belongs to another engine. Provided through
    /// [`ContextBackend::watch_mut`].
    fn set_interrupt_handle(&mut self, handle: crate::InterruptHandle) -> Result<()> {
        Watch::require(self.watch_mut(), Feature::Interrupt, E::NAME)?.set_handle(handle)
    }
    /// Whether the call running in this context must stop now: the trap
    /// of a past deadline or of a pending interrupt (which it consumes),
    /// `Ok` otherwise. Host functions that wait (a WASI sleep) ask between
    /// slices of their wait. Provided through [`ContextBackend::watch_mut`]
    /// (`Ok` without a watch: nothing to stop for).
    ///
    /// # Errors
    ///
    /// [`crate::Error::Trap`] with [`crate::TrapCode::Deadline`] or
    /// [`crate::TrapCode::Interrupt`].
    fn check_stop(&mut self) -> Result<()> {
        match self.watch_mut() {
            Some(w) => w.check(),
            None => Ok(()),
        }
    }

    /// Type of a function.
    fn func_ty(&self, f: &E::Func) -> FuncType;
    /// Calls a function with dynamically typed values. The backend checks the
    /// arity and types of `params` and the length of `results` (the engines do
    /// this anyway) and answers a mismatch with [`crate::Error::Type`].
    fn func_call(&mut self, f: &E::Func, params: &[Val<E>], results: &mut [Val<E>]) -> Result<()>;
    /// Calls a function so that running out of fuel pauses the call (`Some`)
    /// instead of trapping; the same checks as [`ContextBackend::func_call`].
    /// `results` is written only when the call finishes (`None`). The
    /// default answers [`crate::Error::Unsupported`] for
    /// [`Feature::ResumableFuel`].
    fn func_call_resumable(
        &mut self,
        f: &E::Func,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<Option<E::PausedCall>> {
        let _ = (f, params, results);
        Err(crate::Error::unsupported(Feature::ResumableFuel, E::NAME))
    }
    /// Resumes a paused call (of this store): `None` when it finished and
    /// wrote `results`, `Some` when it ran out of fuel again.
    fn resume_call(
        &mut self,
        call: E::PausedCall,
        results: &mut [Val<E>],
    ) -> Result<Option<E::PausedCall>> {
        let _ = (call, results);
        Err(crate::Error::unsupported(Feature::ResumableFuel, E::NAME))
    }
    /// The backend's store, when this context is a store (not a host
    /// function's caller), for crates layered over the API that drive a
    /// backend's own facilities (see [`Engine::backend`]). The default is
    /// `None`; a backend whose layered users need it answers its store type,
    /// and a dispatching engine answers its backend's answer.
    fn backend_store(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
    /// Calls `f` without the engine's own type check, where the engine has a
    /// faster unchecked path (wasmtime's raw calls); the default is
    /// [`ContextBackend::func_call`].
    ///
    /// # Safety
    ///
    /// All of `params` and `results` are numbers (`I32`, `I64`, `F32`,
    /// `F64`), `f`'s parameter types are exactly the types of `params` and
    /// its result types exactly the types of the values `results` holds on
    /// entry.
    unsafe fn func_call_unchecked(
        &mut self,
        f: &E::Func,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        self.func_call(f, params, results)
    }
    /// Calls a function whose type has been checked to be `P -> R`.
    fn func_call_typed<P: WasmTyList, R: WasmTyList>(
        &mut self,
        f: &E::Func,
        params: P,
    ) -> Result<R>;
    /// Creates a host function owned by this store.
    fn func_new<F>(&mut self, ty: FuncType, f: F) -> Result<E::Func>
    where
        F: UntypedHostFunc<E, Self::Data>;
    /// Creates a typed host function owned by this store.
    fn func_wrap<P, R, F>(&mut self, f: F) -> Result<E::Func>
    where
        P: WasmTyList,
        R: WasmTyList,
        F: HostFunc<E, Self::Data, P, R>;

    /// Creates a memory owned by this store.
    fn memory_new(&mut self, ty: MemoryType) -> Result<E::Memory>;
    /// Type of a memory (with its current size as minimum).
    fn memory_ty(&self, m: &E::Memory) -> MemoryType;
    /// The bytes of a memory.
    fn memory_data<'a>(&'a self, m: &E::Memory) -> &'a [u8];
    /// The bytes of a memory, mutably.
    fn memory_data_mut<'a>(&'a mut self, m: &E::Memory) -> &'a mut [u8];
    /// Grows a memory by `delta` pages, returning the old size in pages.
    fn memory_grow(&mut self, m: &E::Memory, delta: u64) -> Result<u64>;

    /// Creates a table owned by this store.
    fn table_new(&mut self, ty: TableType, init: Val<E>) -> Result<E::Table>;
    /// Type of a table (with its current size as minimum).
    fn table_ty(&self, t: &E::Table) -> TableType;
    /// Current number of elements.
    fn table_size(&self, t: &E::Table) -> u64;
    /// Grows a table, returning the old size.
    fn table_grow(&mut self, t: &E::Table, delta: u64, init: Val<E>) -> Result<u64>;
    /// Element at `index`, `None` when out of bounds.
    fn table_get(&mut self, t: &E::Table, index: u64) -> Option<Val<E>>;
    /// Sets the element at `index`.
    fn table_set(&mut self, t: &E::Table, index: u64, val: Val<E>) -> Result<()>;

    /// Creates a global owned by this store.
    fn global_new(&mut self, ty: GlobalType, val: Val<E>) -> Result<E::Global>;
    /// Type of a global.
    fn global_ty(&self, g: &E::Global) -> GlobalType;
    /// Value of a global.
    fn global_get(&mut self, g: &E::Global) -> Val<E>;
    /// Sets a mutable global (type already checked).
    fn global_set(&mut self, g: &E::Global, val: Val<E>) -> Result<()>;

    /// Wraps a host value into an external reference.
    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<E::ExternRef>;
    /// The host value behind an external reference.
    fn externref_data<'a>(&'a self, r: &E::ExternRef) -> Option<&'a (dyn Any + Send + Sync)>;

    /// The GC proposal's reference operations ([`GcRefsBackend`]), on a
    /// backend that has them. Optional: the default (`None`) is for backends
    /// whose `AnyRef` is [`Never`], and makes the API answer
    /// [`crate::Error::Unsupported`] for [`Feature::Gc`]. A backend whose
    /// `AnyRef` has values must answer `Some` here and in
    /// [`ContextBackend::gc_refs_mut`].
    fn gc_refs(&self) -> Option<&dyn GcRefsBackend<E>> {
        None
    }
    /// [`ContextBackend::gc_refs`], mutably.
    fn gc_refs_mut(&mut self) -> Option<&mut dyn GcRefsBackend<E>> {
        None
    }
    /// The exception-tag operations ([`TagsBackend`]), on a backend that has
    /// them. Optional: the default (`None`) is for backends whose `Tag` is
    /// [`Never`]; a backend whose `Tag` has values must answer `Some`.
    fn tags(&self) -> Option<&dyn TagsBackend<E>> {
        None
    }

    /// Instantiates `module` with imports given in the module's import order.
    fn instantiate(&mut self, module: &E::Module, imports: &[Extern<E>]) -> Result<E::Instance>;
    /// One export of an instance.
    fn instance_export(&mut self, instance: &E::Instance, name: &str) -> Option<Extern<E>>;
    /// The export of `instance` that `key` (what
    /// [`Engine::module_export_key`] answered for its module) stands for,
    /// named `name`. The default looks the name up.
    fn instance_export_by_key(
        &mut self,
        instance: &E::Instance,
        key: &(dyn Any + Send + Sync),
        name: &str,
    ) -> Option<Extern<E>> {
        let _ = key;
        self.instance_export(instance, name)
    }
}

/// A store.
pub trait StoreBackend<E: Engine>: ContextBackend<E> {
    /// Consumes the store, returning the host state.
    fn into_data(self) -> Self::Data;
    /// Sets when async calls of this store give control back to the
    /// executor ([`crate::Store::set_yield_policy`]); on error the policy is
    /// unchanged. The default answers [`crate::Error::Unsupported`] for
    /// [`Feature::Async`].
    fn set_yield_policy(&mut self, policy: crate::YieldPolicy) -> Result<()> {
        let _ = policy;
        Err(crate::Error::unsupported(Feature::Async, E::NAME))
    }
    /// Calls a function as a future (the same checks as
    /// [`ContextBackend::func_call`]): async host functions on the way
    /// suspend the call while their futures wait. Dropping the future
    /// abandons the call. The default answers [`crate::Error::Unsupported`]
    /// for [`Feature::Async`].
    fn func_call_async<'a>(
        &'a mut self,
        f: &'a E::Func,
        params: &'a [Val<E>],
        results: &'a mut [Val<E>],
    ) -> CallFuture<'a>
    where
        Self: Send,
        Self::Data: Send,
    {
        let _ = (f, params, results);
        Box::pin(std::future::ready(Err(crate::Error::unsupported(
            Feature::Async,
            E::NAME,
        ))))
    }
}

/// The context of a host function call.
pub trait CallerBackend<E: Engine>: ContextBackend<E> {
    /// An export of the instance that called the host function.
    fn get_export(&mut self, name: &str) -> Option<Extern<E>>;
}

/// A module whose imports a linker resolved ([`LinkerBackend::instantiate_pre`]).
pub trait InstancePreBackend<E: Engine, T: 'static>: Clone + Send + Sync + 'static {
    /// Instantiates in `store`, running the start function.
    fn instantiate(&self, store: &mut E::Store<T>) -> Result<E::Instance>;
}

/// A linker: named definitions to satisfy imports.
pub trait LinkerBackend<E: Engine, T: 'static> {
    /// Defines `module::name` as an existing item of `store`.
    fn define(
        &mut self,
        store: &E::Store<T>,
        module: &str,
        name: &str,
        item: Extern<E>,
    ) -> Result<()>;
    /// Defines `module::name` as a typed host function.
    fn func_wrap<P, R, F>(&mut self, module: &str, name: &str, f: F) -> Result<()>
    where
        P: WasmTyList,
        R: WasmTyList,
        F: HostFunc<E, T, P, R>;
    /// Defines `module::name` as an untyped host function of type `ty`.
    fn func_new<F>(&mut self, module: &str, name: &str, ty: FuncType, f: F) -> Result<()>
    where
        F: UntypedHostFunc<E, T>;
    /// The definition of `module::name`, if any (host functions are created in
    /// `store` on demand).
    fn get(&self, store: &mut E::Store<T>, module: &str, name: &str) -> Option<Extern<E>>;
    /// Every definition, made for `store` as [`LinkerBackend::get`] makes
    /// it, given to `visit` with its module and name in any order; `false`
    /// (the default) when the backend has no faster way than one `get` per
    /// name, which the API then does.
    fn get_each(
        &self,
        store: &mut E::Store<T>,
        visit: &mut dyn FnMut(&str, &str, Extern<E>),
    ) -> bool {
        let _ = (store, visit);
        false
    }
    /// Instantiates `module` in `store` from the definitions.
    fn instantiate(&self, store: &mut E::Store<T>, module: &E::Module) -> Result<E::Instance>;
    /// Resolves and type-checks `module`'s imports against the definitions
    /// once, for fast instantiation in many stores.
    fn instantiate_pre(&self, module: &E::Module) -> Result<E::InstancePre<T>>;
    /// Allows later definitions to replace earlier ones.
    fn allow_shadowing(&mut self, allow: bool);
    /// Instantiates `module` in `store` as a future, for stores whose host
    /// functions include async ones (wasmtime requires it then). The
    /// default instantiates synchronously (a start function that reaches
    /// an async host function fails).
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut E::Store<T>,
        module: &'a E::Module,
    ) -> InstanceFuture<'a, E>
    where
        Self: Sync,
        T: Send,
        E::Store<T>: Send,
    {
        Box::pin(std::future::ready(self.instantiate(store, module)))
    }
    /// Defines `module::name` as an async host function of type `ty`. The
    /// default answers [`crate::Error::Unsupported`] for [`Feature::Async`].
    fn func_new_async<F>(&mut self, module: &str, name: &str, ty: FuncType, f: F) -> Result<()>
    where
        F: AsyncHostFunc<E, T>,
        T: Send,
    {
        let _ = (module, name, ty, f);
        Err(crate::Error::unsupported(Feature::Async, E::NAME))
    }
}
