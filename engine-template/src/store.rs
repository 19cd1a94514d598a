//! Stores and callers: the operations reachable from a store, and from a
//! host function while it runs.
//!
//! As on the other backends, a store and a caller are one generic type,
//! [`TemplateContext<P>`], so that [`ContextBackend`] is implemented once:
//! `P` is [`StoreParts`] for a store and [`CallerParts`] for a caller, and
//! [`Parts`] says how the user's data and the store's id are reached from
//! either. The template never runs a host function, so no caller exists.

use crate::{Template, TemplateModule, lacks, runs_nothing};
use std::any::Any;
use std::marker::PhantomData;
use wasm_run_api::backend::{CallerBackend, ContextBackend, Never, StoreBackend, StoreData};
use wasm_run_api::{
    Extern, Feature, FuncType, GlobalType, HostFunc, MemoryType, ResourceLimiter, Result, StoreId,
    TableType, UntypedHostFunc, Val, WasmTyList,
};
// What the doc comments link to.
#[cfg(doc)]
use {crate::RUNTIME, wasm_run_api::Error};

/// A store or a caller of the template backend (see the module docs).
pub struct TemplateContext<P>(P);

/// The parts of a store: the user's data and the store's id, in the
/// [`StoreData`] every backend uses. A real backend keeps its engine's store
/// here, with a `StoreData<T, YourState>` as that store's data: `YourState`
/// holds what wasm-run adds to the engine (fuel, a
/// [`Watch`](wasm_run_api::backend::Watch) for deadlines and interrupts,
/// the resource limiter); the template has none (`()`).
pub struct StoreParts<T: 'static> {
    data: StoreData<T, ()>,
}

/// The parts of a host function's context. A real backend keeps its
/// engine's caller here (borrowing the store); the template never calls a
/// host function, so no value of this type exists.
pub enum CallerParts<'a, T: 'static> {
    /// Uninhabited: [`Never`] cannot be made.
    Never(Never, PhantomData<&'a mut T>),
}

mod sealed {
    pub trait Sealed {}
    impl<T: 'static> Sealed for super::StoreParts<T> {}
    impl<T: 'static> Sealed for super::CallerParts<'_, T> {}
}

/// What a store ([`StoreParts`]) and a caller ([`CallerParts`]) have in
/// common; implemented by those two only.
pub trait Parts: sealed::Sealed {
    /// The user's host state.
    type T: 'static;
    /// The user's host state.
    fn data(&self) -> &Self::T;
    /// The user's host state, mutably.
    fn data_mut(&mut self) -> &mut Self::T;
    /// The id of the store (a caller's is its store's).
    fn store_id(&self) -> StoreId;
    /// The store's extensions (a caller's are its store's).
    fn extensions_mut(&mut self) -> &mut wasm_run_api::Extensions;
}

impl<T: 'static> Parts for StoreParts<T> {
    type T = T;
    fn data(&self) -> &T {
        self.data.user()
    }
    fn data_mut(&mut self) -> &mut T {
        self.data.user_mut()
    }
    fn store_id(&self) -> StoreId {
        self.data.store_id()
    }
    fn extensions_mut(&mut self) -> &mut wasm_run_api::Extensions {
        self.data.extensions_mut()
    }
}

impl<T: 'static> Parts for CallerParts<'_, T> {
    type T = T;
    fn data(&self) -> &T {
        match *self {
            CallerParts::Never(never, _) => match never {},
        }
    }
    fn data_mut(&mut self) -> &mut T {
        match *self {
            CallerParts::Never(never, _) => match never {},
        }
    }
    fn store_id(&self) -> StoreId {
        match *self {
            CallerParts::Never(never, _) => match never {},
        }
    }
    fn extensions_mut(&mut self) -> &mut wasm_run_api::Extensions {
        match *self {
            CallerParts::Never(never, _) => match never {},
        }
    }
}

impl<T: 'static> TemplateContext<StoreParts<T>> {
    /// A store holding `data`, with a fresh id.
    pub(crate) fn new_store(data: T) -> Self {
        TemplateContext(StoreParts {
            data: StoreData::new(data, ()),
        })
    }
}

impl<P: Parts> ContextBackend<Template> for TemplateContext<P> {
    type Data = P::T;

    /// Contract: the id drawn when the store was made
    /// ([`StoreId::fresh`]); a caller answers its store's. Every handle
    /// the backend makes in this context carries it, so that the API can
    /// answer [`Error::WrongStore`] for a handle of another store.
    fn store_id(&self) -> StoreId {
        self.0.store_id()
    }

    /// Contract: the user's data given to [`Engine::store`](wasm_run_api::Engine::store).
    fn data(&self) -> &P::T {
        self.0.data()
    }

    /// Contract: the user's data, mutably.
    fn data_mut(&mut self) -> &mut P::T {
        self.0.data_mut()
    }

    /// Contract: the store's [`wasm_run_api::Extensions`], kept with the
    /// store's data (a caller answers its store's). `None` would make
    /// libraries that keep per-store values take a slower route.
    fn extensions_mut(&mut self) -> Option<&mut wasm_run_api::Extensions> {
        Some(self.0.extensions_mut())
    }

    /// Contract: the fuel left; [`Error::Unsupported`] for [`Feature::Fuel`]
    /// when fuel is off in the engine's features.
    fn get_fuel(&self) -> Result<u64> {
        lacks(Feature::Fuel)
    }

    /// Contract: sets the fuel left (a call that uses it up traps with
    /// [`TrapCode::OutOfFuel`](wasm_run_api::TrapCode::OutOfFuel));
    /// [`Error::Unsupported`] for [`Feature::Fuel`] when fuel is off.
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        let _ = fuel;
        lacks(Feature::Fuel)
    }

    // Deadlines and interrupts (`set_deadline`, `interrupt_handle`,
    // `set_interrupt_handle`, `check_stop`): provided by the contract
    // through `watch`/`watch_mut`, which answer `None` here, so each
    // answers `Unsupported` for its feature (and `check_stop` `Ok`). A
    // backend that can get control back while wasm runs (fuel slices,
    // resumable calls) keeps a `Watch` per store, created when
    // `Feature::Deadline` or `Feature::Interrupt` is on, returns it from
    // `watch`/`watch_mut`, and looks at it (`Watch::check`) between slices
    // and at every entry into wasm; one with its own mechanism (wasmtime's
    // epochs) overrides the four methods instead.

    /// Contract: keeps `limiter` and asks it, after the fixed limits,
    /// before every memory and table growth (and creation), in wasm and
    /// from the host; a refusal makes `memory.grow` return -1 and the
    /// host's growth [`Error::ResourceLimit`]. Infallible. The template
    /// grows nothing, so nothing would ask it: it is dropped.
    fn set_limiter(&mut self, limiter: Box<dyn ResourceLimiter>) {
        drop(limiter);
    }

    /// Contract: the function's type. Infallible: the API has checked that
    /// the handle belongs to this store.
    fn func_ty(&self, f: &Never) -> FuncType {
        match *f {}
    }

    /// Calls `f` with dynamically typed values.
    ///
    /// Contract: [`Error::Type`] when the arity or types of `params` or the
    /// number of `results` do not match `f`'s type; otherwise the call's
    /// trap ([`Error::Trap`] with the [`TrapCode`](wasm_run_api::TrapCode)
    /// mapped from the engine's), or a host function's error unchanged
    /// ([`Error::HostPanic`] for a panic). An entry into wasm from a store
    /// asks `Watch::begin` first.
    fn func_call(
        &mut self,
        f: &Never,
        params: &[Val<Template>],
        results: &mut [Val<Template>],
    ) -> Result<()> {
        let _ = (params, results);
        match *f {}
    }

    // `func_call_resumable` and `resume_call`: the provided answer is
    // `Unsupported` for `Feature::ResumableFuel`; override them only with
    // resumable fuel. `func_call_unchecked` (the only `unsafe` method) is
    // provided as `func_call`: override it only where the engine has a
    // faster unchecked path. `backend_store`: `None` unless crates layered
    // over the API need your engine's store.

    /// Calls `f`, whose type the API has checked to be `Ps -> Rs`.
    ///
    /// Contract: the errors of [`ContextBackend::func_call`] except the type
    /// errors; the fast path of typed calls (the parameters and results go
    /// through [`WasmTyList`]'s slots, see `SlotsIn`/`SlotsOut`).
    fn func_call_typed<Ps: WasmTyList, Rs: WasmTyList>(
        &mut self,
        f: &Never,
        params: Ps,
    ) -> Result<Rs> {
        let _ = params;
        match *f {}
    }

    /// Creates a host function of type `ty` owned by this store.
    ///
    /// Contract: [`Error::Unsupported`] for a type the engine cannot
    /// represent. When it is called, the backend hands the closure a
    /// [`Caller`](wasm_run_api::Caller) made from its caller type, and
    /// checks (through [`UntypedHostFunc::invoke`]) the results it wrote.
    /// The template: [`RUNTIME`].
    fn func_new<F: UntypedHostFunc<Template, P::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<Never> {
        let _ = (ty, f);
        runs_nothing()
    }

    /// Creates a typed host function owned by this store.
    ///
    /// Contract: as [`ContextBackend::func_new`] with the type `Ps -> Rs`
    /// ([`HostFunc::func_type`]). The template: [`RUNTIME`].
    fn func_wrap<Ps: WasmTyList, Rs: WasmTyList, F: HostFunc<Template, P::T, Ps, Rs>>(
        &mut self,
        f: F,
    ) -> Result<Never> {
        let _ = f;
        runs_nothing()
    }

    /// Creates a memory owned by this store.
    ///
    /// Contract: [`Error::ResourceLimit`] when the store's limits or its
    /// limiter refuse it, or it is larger than the engine can make;
    /// [`Error::Unsupported`] for a type needing a proposal the engine
    /// lacks (64-bit indices, custom page sizes). The template:
    /// [`RUNTIME`].
    fn memory_new(&mut self, ty: MemoryType) -> Result<Never> {
        let _ = ty;
        runs_nothing()
    }

    /// Contract: the memory's type with its current size in pages as the
    /// minimum.
    fn memory_ty(&self, m: &Never) -> MemoryType {
        match *m {}
    }

    /// Contract: the memory's bytes, all of its current size.
    fn memory_data<'a>(&'a self, m: &Never) -> &'a [u8] {
        match *m {}
    }

    /// Contract: the memory's bytes, mutably.
    fn memory_data_mut<'a>(&'a mut self, m: &Never) -> &'a mut [u8] {
        match *m {}
    }

    /// Grows a memory by `delta` pages, answering the old size in pages.
    ///
    /// Contract: [`Error::Access`] past the memory's own maximum (or what
    /// the engine can address), [`Error::ResourceLimit`] when the limits or
    /// the limiter refuse it; the memory is unchanged then.
    fn memory_grow(&mut self, m: &Never, delta: u64) -> Result<u64> {
        let _ = delta;
        match *m {}
    }

    /// Creates a table owned by this store, every element `init`.
    ///
    /// Contract: [`Error::Type`] when `init` does not match the element
    /// type; [`Error::ResourceLimit`] as for memories (the default limits
    /// cap a table at 10 million elements). The template: [`RUNTIME`].
    fn table_new(&mut self, ty: TableType, init: Val<Template>) -> Result<Never> {
        let _ = (ty, init);
        runs_nothing()
    }

    /// Contract: the table's type with its current size as the minimum.
    fn table_ty(&self, t: &Never) -> TableType {
        match *t {}
    }

    /// Contract: the current number of elements.
    fn table_size(&self, t: &Never) -> u64 {
        match *t {}
    }

    /// Grows a table by `delta` elements set to `init`, answering the old
    /// size.
    ///
    /// Contract: as [`ContextBackend::memory_grow`] ([`Error::Access`] past
    /// the maximum, [`Error::ResourceLimit`] when refused).
    fn table_grow(&mut self, t: &Never, delta: u64, init: Val<Template>) -> Result<u64> {
        let _ = (delta, init);
        match *t {}
    }

    /// Contract: the element at `index`, `None` out of bounds.
    fn table_get(&mut self, t: &Never, index: u64) -> Option<Val<Template>> {
        let _ = index;
        match *t {}
    }

    /// Sets the element at `index`.
    ///
    /// Contract: a trap with
    /// [`TrapCode::TableOutOfBounds`](wasm_run_api::TrapCode::TableOutOfBounds)
    /// out of bounds; [`Error::Type`] for a value of the wrong type.
    fn table_set(&mut self, t: &Never, index: u64, val: Val<Template>) -> Result<()> {
        let _ = (index, val);
        match *t {}
    }

    /// Creates a global owned by this store.
    ///
    /// Contract: [`Error::Type`] when `val` does not match `ty`'s content
    /// type. The template: [`RUNTIME`].
    fn global_new(&mut self, ty: GlobalType, val: Val<Template>) -> Result<Never> {
        let _ = (ty, val);
        runs_nothing()
    }

    /// Contract: the global's type.
    fn global_ty(&self, g: &Never) -> GlobalType {
        match *g {}
    }

    /// Contract: the global's value.
    fn global_get(&mut self, g: &Never) -> Val<Template> {
        match *g {}
    }

    /// Sets a mutable global (the API has checked the mutability and the
    /// type).
    ///
    /// Contract: [`Error::Access`] if the engine refuses anyway.
    fn global_set(&mut self, g: &Never, val: Val<Template>) -> Result<()> {
        let _ = val;
        match *g {}
    }

    /// Wraps a host value into an external reference owned by this store.
    ///
    /// Contract: [`Error::ResourceLimit`] when the store cannot hold more.
    /// The template: [`RUNTIME`].
    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<Never> {
        let _ = value;
        runs_nothing()
    }

    /// Contract: the host value behind the reference, `None` for a
    /// reference that wasm made (`any.convert_extern`'s).
    fn externref_data<'a>(&'a self, r: &Never) -> Option<&'a (dyn Any + Send + Sync)> {
        match *r {}
    }

    // The optional proposals (GC references, exception tags) are not
    // written here: `ContextBackend::gc_refs`/`tags` answer `None` by
    // default, for backends whose `AnyRef`/`Tag` are `Never`. A backend
    // with them implements `GcRefsBackend`/`TagsBackend` for its context
    // and answers `Some(self)` there.

    /// Instantiates `module` with `imports`, given in the module's import
    /// order, running its start function.
    ///
    /// Contract: [`Error::WrongStore`] for a module of another engine;
    /// [`LinkError`](wasm_run_api::LinkError) for imports the engine
    /// refuses (the API names the import; see
    /// [`Engine::checks_import_types`](wasm_run_api::Engine::checks_import_types));
    /// [`Error::ResourceLimit`] when the limits refuse it; a trap of an
    /// active segment or of the start function as [`Error::Trap`]. The
    /// start function is an entry into wasm: fuel, deadlines and
    /// interrupts apply. The template: [`RUNTIME`].
    fn instantiate(
        &mut self,
        module: &TemplateModule,
        imports: &[Extern<Template>],
    ) -> Result<Never> {
        let _ = (module, imports);
        runs_nothing()
    }

    /// Contract: the export `name` of the instance, `None` if there is
    /// none; handles carry this store's id.
    fn instance_export(&mut self, instance: &Never, name: &str) -> Option<Extern<Template>> {
        let _ = name;
        match *instance {}
    }
}

impl<T: 'static> StoreBackend<Template> for TemplateContext<StoreParts<T>> {
    /// Contract: consumes the store and gives back the user's data (the
    /// engine's store dropped first).
    fn into_data(self) -> T {
        self.0.data.into_user()
    }

    // `set_yield_policy` and `func_call_async`: the provided answers are
    // `Unsupported` for `Feature::Async`; override them only with async
    // calls (see engine-wasmi's, which runs calls in fuel slices).
}

impl<T: 'static> CallerBackend<Template> for TemplateContext<CallerParts<'_, T>> {
    /// Contract: the export `name` of the instance whose code called the
    /// host function; `None` when there is none, or when the host function
    /// was called directly by the host (no calling instance).
    fn get_export(&mut self, name: &str) -> Option<Extern<Template>> {
        let _ = name;
        match self.0 {
            CallerParts::Never(never, _) => match never {},
        }
    }
}
