//! Stores and callers: wasm-run's data in wasmtime's store, the one
//! implementation of the context operations for both, the store's and
//! caller's own operations, and the errors of calls and instantiations.

use super::*;

/// The per-store parts: what the epoch callback consults.
pub(crate) struct StoreStops {
    pub(crate) watch: Watch,
    pub(crate) ticker: Arc<Ticker>,
    /// When async calls yield to the executor.
    pub(crate) yields: wasm_run_api::backend::YieldClock,
}

/// Host state of every native store: the user's data and the store's id
/// (the part every backend has, written once in `wasm_run_api::backend`)
/// plus wasmtime's own [`WasmtimeState`]. Its `user`/`user_mut` give the
/// user's host state to code that works with the native store (e.g. WASI
/// adapters registering native host functions).
pub type StoreData<T> = wasm_run_api::backend::StoreData<T, WasmtimeState>;

/// The wasmtime backend's own state of a store.
pub struct WasmtimeState {
    pub(crate) limits: Limiter,
    pub(crate) stops: Option<StoreStops>,
    pub(crate) stack_needed: usize,
    pub(crate) func_types: FuncTypes,
    /// What the store's async calls need to know.
    pub(crate) asyncs: asyncs::AsyncState,
}

impl WasmtimeState {
    /// Whether the running call must stop now (see
    /// [`wasm_run_api::Caller::check_stop`]), for code that holds the
    /// native store context.
    ///
    /// # Errors
    ///
    /// The trap of a past deadline or a pending interrupt.
    pub fn check_stop(&mut self) -> Result<()> {
        match self.stops.as_mut() {
            Some(s) => s.watch.check(),
            None => Ok(()),
        }
    }
}

/// A store or a caller of this backend. `C` says how the native context is
/// reached ([`NativeStore`] or [`NativeCaller`]); the context operations
/// ([`ContextBackend`]) are implemented once, for every `C`, as wasmtime
/// itself serves both through `StoreContextMut`.
pub struct WasmtimeContext<C>(pub(crate) C);

/// A wasmtime store (see [`wasm_run_api::Store`]).
pub type WasmtimeStore<T> = WasmtimeContext<NativeStore<T>>;

/// A host function's view of the store (see [`wasm_run_api::Caller`]).
pub type WasmtimeCaller<'a, T> = WasmtimeContext<NativeCaller<'a, T>>;

/// The native parts of a [`WasmtimeStore`].
pub struct NativeStore<T: 'static> {
    pub(crate) store: wt::Store<StoreData<T>>,
}

/// The native parts of a [`WasmtimeCaller`].
pub struct NativeCaller<'a, T: 'static> {
    pub(crate) caller: host::CallerKind<'a, T>,
}

impl<T> WasmtimeStore<T> {
    /// The native store (escape hatch). Its data is wasm-run's wrapper around
    /// your host state.
    pub fn as_native(&mut self) -> &mut wt::Store<StoreData<T>> {
        &mut self.0.store
    }
    /// Prepares a call into wasm made through the native API (wasmtime's
    /// component model, as wasm-run-component's native path does) as
    /// wasm-run's own calls are prepared: the native-stack check, and an
    /// interrupt requested before the call stops it.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`] with [`wasm_run_api::TrapCode::Interrupt`] for a
    /// pending interrupt; [`Error::ResourceLimit`] when the thread has too
    /// little native stack left for wasm.
    pub fn enter(&mut self) -> Result<()> {
        self.begin()
    }
}

impl<'a, T> WasmtimeCaller<'a, T> {
    /// The native caller (escape hatch): `None` in an async host function
    /// (its synchronous part and its completion).
    pub fn as_native(&mut self) -> Option<&mut wt::Caller<'a, StoreData<T>>> {
        match &mut self.0.caller {
            host::CallerKind::Owned(c) => Some(c),
            _ => None,
        }
    }
}

impl<C: NativeContext> WasmtimeContext<C> {
    /// Called before running wasm. A call from the host is refused on a
    /// thread with too little native stack left (see `stack`), and stopped
    /// by an interrupt request still pending (`Watch::begin`).
    #[inline(always)]
    pub(crate) fn begin(&mut self) -> Result<()> {
        self.begin_nested(false)
    }
    /// [`WasmtimeContext::begin`]; `on_fiber` allows a call from a host
    /// function running inside an async call (wasm-run's own code with
    /// `Send` frames only: `func_call_unchecked`'s contract).
    #[inline(always)]
    pub(crate) fn begin_nested(&mut self, on_fiber: bool) -> Result<()> {
        asyncs::check_sync_call::<C>(&mut self.native_data_mut().asyncs, on_fiber)?;
        if C::TOP {
            stack::check(self.native_data().stack_needed)?;
            // A synchronous call (an async one restarts the clock).
            self.begin_watch()?;
        }
        Ok(())
    }
    /// [`WasmtimeContext::begin`] without the native-stack check: for
    /// async entry points, whose guest runs on wasmtime's fiber stack.
    pub(crate) fn begin_watch(&mut self) -> Result<()> {
        if C::TOP
            && let Some(stops) = &mut self.native_data_mut().stops
        {
            stops.watch.begin()?;
            stops.yields.stop();
        }
        Ok(())
    }
    /// Runs `f` over raw slots (after [`WasmtimeContext::begin`]).
    ///
    /// # Safety
    ///
    /// `f` must have exactly the parameter and result types the caller
    /// wrote to and will read from `raw`, belong to this store, and `raw`
    /// must hold max(params, results) slots with the parameters written.
    #[inline(always)]
    pub(crate) unsafe fn call_raw(
        &mut self,
        f: &wt::Func,
        raw: &mut [MaybeUninit<wt::ValRaw>],
        on_fiber: bool,
    ) -> Result<()> {
        self.begin_nested(on_fiber)?;
        // SAFETY: guaranteed by the caller (see above).
        unsafe {
            f.call_unchecked(
                self.cx_mut(),
                raw as *mut [MaybeUninit<wt::ValRaw>] as *mut [wt::ValRaw],
            )
        }
        .map_err(call_error)
    }
    pub(crate) fn cx(&self) -> wt::StoreContext<'_, StoreData<C::T>> {
        self.0.cx()
    }
    pub(crate) fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<C::T>> {
        self.0.cx_mut()
    }
    pub(crate) fn native_data(&self) -> &StoreData<C::T> {
        self.0.native_data()
    }
    pub(crate) fn native_data_mut(&mut self) -> &mut StoreData<C::T> {
        self.0.native_data_mut()
    }
}

/// How a [`WasmtimeContext`] reaches the native store context: implemented by
/// [`NativeStore`] and [`NativeCaller`], so that stores and callers share the
/// one implementation of [`ContextBackend`] below.
pub trait NativeContext {
    /// User host state type.
    type T: 'static;
    /// Whether this is a store (calls from it begin at the host) rather than
    /// a caller (calls from a host function, inside a running call).
    const TOP: bool;
    /// Native context.
    fn cx(&self) -> wt::StoreContext<'_, StoreData<Self::T>>;
    /// Native context, mutably.
    fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<Self::T>>;
    /// Native store data.
    fn native_data(&self) -> &StoreData<Self::T>;
    /// Native store data, mutably.
    fn native_data_mut(&mut self) -> &mut StoreData<Self::T>;
    /// The whole context as `Any` when it is a store (see
    /// [`ContextBackend::backend_store`]).
    fn store_any(ctx: &mut WasmtimeContext<Self>) -> Option<&mut dyn std::any::Any>
    where
        Self: Sized,
    {
        let _ = ctx;
        None
    }
}

impl<T: 'static> NativeContext for NativeStore<T> {
    type T = T;
    const TOP: bool = true;
    fn cx(&self) -> wt::StoreContext<'_, StoreData<T>> {
        wt::AsContext::as_context(&self.store)
    }
    fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<T>> {
        wt::AsContextMut::as_context_mut(&mut self.store)
    }
    fn native_data(&self) -> &StoreData<T> {
        self.store.data()
    }
    fn native_data_mut(&mut self) -> &mut StoreData<T> {
        self.store.data_mut()
    }
    fn store_any(ctx: &mut WasmtimeContext<Self>) -> Option<&mut dyn std::any::Any> {
        Some(ctx)
    }
}

impl<T: 'static> NativeContext for NativeCaller<'_, T> {
    type T = T;
    const TOP: bool = false;
    fn cx(&self) -> wt::StoreContext<'_, StoreData<T>> {
        self.caller.cx()
    }
    fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<T>> {
        self.caller.cx_mut()
    }
    fn native_data(&self) -> &StoreData<T> {
        self.caller.data()
    }
    fn native_data_mut(&mut self) -> &mut StoreData<T> {
        self.caller.data_mut()
    }
}

/// The context operations, once for stores and callers alike.
impl<C: NativeContext> ContextBackend<Wasmtime> for WasmtimeContext<C> {
    type Data = C::T;

    fn store_id(&self) -> StoreId {
        self.native_data().store_id()
    }
    fn backend_store(&mut self) -> Option<&mut dyn std::any::Any> {
        C::store_any(self)
    }
    fn data(&self) -> &C::T {
        self.native_data().user()
    }
    fn data_mut(&mut self) -> &mut C::T {
        self.native_data_mut().user_mut()
    }
    fn get_fuel(&self) -> Result<u64> {
        self.cx()
            .get_fuel()
            .map_err(|_| Error::unsupported(Feature::Fuel, Wasmtime::NAME))
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.cx_mut()
            .set_fuel(fuel)
            .map_err(|_| Error::unsupported(Feature::Fuel, Wasmtime::NAME))
    }

    fn check_stop(&mut self) -> Result<()> {
        self.native_data_mut().check_stop()
    }
    fn extensions_mut(&mut self) -> Option<&mut wasm_run_api::Extensions> {
        Some(self.native_data_mut().extensions_mut())
    }
    fn set_deadline(&mut self, at: Option<std::time::Instant>) -> Result<()> {
        let data = self.native_data_mut();
        Watch::require(
            data.stops.as_mut().map(|s| &mut s.watch),
            Feature::Deadline,
            "wasmtime",
        )?
        .set_deadline(at);
        if let (Some(at), Some(stops)) = (at, &data.stops) {
            stops.ticker.tick_at(at);
        }
        Ok(())
    }
    fn interrupt_handle(&self) -> Result<InterruptHandle> {
        let watch = self.native_data().stops.as_ref().map(|s| &s.watch);
        Ok(Watch::require(watch, Feature::Interrupt, "wasmtime")?
            .handle()
            .clone())
    }
    fn set_interrupt_handle(&mut self, handle: InterruptHandle) -> Result<()> {
        let watch = self.native_data_mut().stops.as_mut().map(|s| &mut s.watch);
        Watch::require(watch, Feature::Interrupt, "wasmtime")?.set_handle(handle)
    }
    fn set_limiter(&mut self, limiter: Box<dyn wasm_run_api::ResourceLimiter>) {
        self.native_data_mut().limits.host.set(limiter);
    }

    /// wasmtime suspends a call only in async mode, where the suspended
    /// future holds the store: the host could not add fuel to it, and async
    /// support changes every call path. So no resumable calls here.
    fn func_call_resumable(
        &mut self,
        _: &wt::Func,
        _: &[Val<Wasmtime>],
        _: &mut [Val<Wasmtime>],
    ) -> Result<Option<Never>> {
        Err(Error::unsupported(Feature::ResumableFuel, Wasmtime::NAME))
    }
    fn resume_call(&mut self, call: Never, _: &mut [Val<Wasmtime>]) -> Result<Option<Never>> {
        match call {}
    }

    fn func_ty(&self, f: &wt::Func) -> FuncType {
        from_func_type(&f.ty(self.cx()))
    }
    #[inline]
    fn func_call(
        &mut self,
        f: &wt::Func,
        params: &[Val<Wasmtime>],
        results: &mut [Val<Wasmtime>],
    ) -> Result<()> {
        let id = self.native_data().store_id();
        self.begin()?;
        convert_call(
            params,
            results,
            wt::Val::I32(0),
            |v| Ok(val(v)),
            |v| from_val(v, id),
            |ps, rs| f.call(self.cx_mut(), ps, rs).map_err(call_error),
        )
    }
    #[inline]
    unsafe fn func_call_unchecked(
        &mut self,
        f: &wt::Func,
        params: &[Val<Wasmtime>],
        results: &mut [Val<Wasmtime>],
    ) -> Result<()> {
        let mut raw: SmallVec<[MaybeUninit<wt::ValRaw>; 16]> =
            smallvec::smallvec![MaybeUninit::uninit(); params.len().max(results.len())];
        let refused = || Error::Type("an unchecked call with a reference".into());
        let mut slots = Raw(&mut raw);
        for (i, v) in params.iter().enumerate() {
            if !slots.put(i, v) {
                return Err(refused());
            }
        }
        // SAFETY: the caller guarantees that `f` has exactly the parameter
        // types of `params` and the result types of `results` (numbers
        // only); the API checked that `f` belongs to this store; the buffer
        // holds max(params, results) slots with the parameters written.
        unsafe { self.call_raw(f, &mut raw, true) }?;
        // After the call wasmtime has written every result slot.
        let slots = Raw(&mut raw);
        for (i, r) in results.iter_mut().enumerate() {
            let ty = r.ty();
            if !ty.is_num() {
                return Err(refused());
            }
            *r = slots.take(i, &ty);
        }
        Ok(())
    }
    #[inline]
    fn func_call_typed<P: WasmTyList, R: WasmTyList>(
        &mut self,
        f: &wt::Func,
        params: P,
    ) -> Result<R> {
        let mut raw: SmallVec<[MaybeUninit<wt::ValRaw>; 16]> =
            smallvec::smallvec![MaybeUninit::uninit(); P::LEN.max(R::LEN)];
        params.store(&mut Raw(&mut raw));
        // SAFETY: `TypedFunc` is only created after checking that the function
        // has exactly the type `P -> R`, `TypedFunc::call` has checked that
        // the function belongs to this store (and wasmtime asserts it again),
        // and the buffer holds max(|P|, |R|) slots with the parameters
        // written.
        unsafe { self.call_raw(f, &mut raw, false) }?;
        Ok(R::load(&Raw(&mut raw)))
    }
    fn func_new<F: UntypedHostFunc<Wasmtime, C::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<wt::Func> {
        let cx = self.cx();
        let native = cx.data().func_types.get(cx.engine(), &ty);
        if numeric(&ty) {
            // SAFETY: the closure reads the parameters of `native` and writes
            // its results (all numbers) in wasmtime's raw representations,
            // after `invoke` checked each result's type.
            return Ok(unsafe {
                wt::Func::new_unchecked(self.cx_mut(), native, untyped_host_raw(ty, f))
            });
        }
        Ok(wt::Func::new(self.cx_mut(), native, untyped_host(ty, f)))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmtime, C::T, P, R>>(
        &mut self,
        f: F,
    ) -> Result<wt::Func> {
        let cx = self.cx();
        let native = cx.data().func_types.get(cx.engine(), &F::func_type());
        // SAFETY: the closure reads exactly the parameters of `native` and
        // writes exactly its results, with the representations wasmtime uses.
        Ok(unsafe { wt::Func::new_unchecked(self.cx_mut(), native, typed_host(f)) })
    }

    fn memory_new(&mut self, ty: MemoryType) -> Result<wt::Memory> {
        // (A shared type never gets here: `Memory::new` refuses it.)
        let ty = memory_type(&ty)?;
        self.native_data_mut().limits.watch();
        let r = wt::Memory::new(self.cx_mut(), ty).map_err(error);
        self.native_data_mut().limits.typed(r)
    }
    fn memory_ty(&self, m: &wt::Memory) -> MemoryType {
        from_memory_type(&m.ty(self.cx()))
    }
    fn memory_data<'a>(&'a self, m: &wt::Memory) -> &'a [u8] {
        m.data(self.cx())
    }
    fn memory_data_mut<'a>(&'a mut self, m: &wt::Memory) -> &'a mut [u8] {
        m.data_mut(self.cx_mut())
    }
    fn memory_grow(&mut self, m: &wt::Memory, delta: u64) -> Result<u64> {
        m.grow(self.cx_mut(), delta)
            .map_err(|e| match e.downcast::<Error>() {
                // A limiter's own failure, exactly.
                Ok(ours) => ours,
                Err(e) => Error::Access(format!("memory.grow by {delta} pages failed: {e:#}")),
            })
    }

    fn table_new(&mut self, ty: TableType, init: Val<Wasmtime>) -> Result<wt::Table> {
        let init = to_ref(&init)?;
        self.native_data_mut().limits.watch();
        let r = wt::Table::new(self.cx_mut(), table_type(&ty), init).map_err(error);
        self.native_data_mut().limits.typed(r)
    }
    fn table_ty(&self, t: &wt::Table) -> TableType {
        from_table_type(&t.ty(self.cx()))
    }
    fn table_size(&self, t: &wt::Table) -> u64 {
        t.size(self.cx())
    }
    fn table_grow(&mut self, t: &wt::Table, delta: u64, init: Val<Wasmtime>) -> Result<u64> {
        t.grow(self.cx_mut(), delta, to_ref(&init)?)
            .map_err(|e| match e.downcast::<Error>() {
                Ok(ours) => ours,
                Err(e) => Error::Access(format!("table.grow by {delta} failed: {e:#}")),
            })
    }
    fn table_get(&mut self, t: &wt::Table, index: u64) -> Option<Val<Wasmtime>> {
        let id = self.native_data().store_id();
        t.get(self.cx_mut(), index).and_then(|r| from_ref(&r, id))
    }
    fn table_set(&mut self, t: &wt::Table, index: u64, v: Val<Wasmtime>) -> Result<()> {
        t.set(self.cx_mut(), index, to_ref(&v)?)
            .map_err(|e| Error::Access(format!("{e:#}")))
    }

    fn global_new(&mut self, ty: GlobalType, v: Val<Wasmtime>) -> Result<wt::Global> {
        wt::Global::new(self.cx_mut(), global_type(&ty), val(&v)).map_err(error)
    }
    fn global_ty(&self, g: &wt::Global) -> GlobalType {
        from_global_type(&g.ty(self.cx()))
    }
    fn global_get(&mut self, g: &wt::Global) -> Val<Wasmtime> {
        let id = self.native_data().store_id();
        from_val(&g.get(self.cx_mut()), id).unwrap_or(Val::FuncRef(None))
    }
    fn global_set(&mut self, g: &wt::Global, v: Val<Wasmtime>) -> Result<()> {
        g.set(self.cx_mut(), val(&v))
            .map_err(|e| Error::Access(format!("{e:#}")))
    }

    fn externref_new(
        &mut self,
        value: Box<dyn Any + Send + Sync>,
    ) -> Result<wt::Rooted<wt::ExternRef>> {
        wt::ExternRef::new(self.cx_mut(), HostRef::new(value)).map_err(error)
    }
    fn externref_data<'a>(
        &'a self,
        r: &wt::Rooted<wt::ExternRef>,
    ) -> Option<&'a (dyn Any + Send + Sync)> {
        let data = r.data(self.cx()).ok()??;
        HostRef::of(data)
    }

    fn gc_refs(&self) -> Option<&dyn GcRefsBackend<Wasmtime>> {
        Some(self)
    }
    fn gc_refs_mut(&mut self) -> Option<&mut dyn GcRefsBackend<Wasmtime>> {
        Some(self)
    }
    fn tags(&self) -> Option<&dyn TagsBackend<Wasmtime>> {
        Some(self)
    }

    fn instantiate(
        &mut self,
        module: &wt::Module,
        imports: &[Extern<Wasmtime>],
    ) -> Result<wt::Instance> {
        let natives: Vec<wt::Extern> = imports.iter().map(to_extern).collect();
        same_engine(module, self.cx().engine())?;
        self.begin()?;
        self.native_data_mut().limits.admit(module)?;
        let r = match wt::Instance::new(self.cx_mut(), module, &natives).map_err(instantiate_error)
        {
            Err(Error::Engine(text)) => {
                Err(match import_type_error(self.cx_mut(), module, &natives) {
                    Some(link) => LinkError::Other(link).into(),
                    None => Error::Engine(text),
                })
            }
            other => other,
        };
        self.native_data_mut().limits.admitted(module, r)
    }
    fn instance_export(&mut self, instance: &wt::Instance, name: &str) -> Option<Extern<Wasmtime>> {
        let id = self.native_data().store_id();
        instance
            .get_export(self.cx_mut(), name)
            .and_then(|e| from_extern(e, id))
    }
    fn instance_export_by_key(
        &mut self,
        instance: &wt::Instance,
        key: &(dyn std::any::Any + Send + Sync),
        name: &str,
    ) -> Option<Extern<Wasmtime>> {
        let Some(export) = key.downcast_ref::<wt::ModuleExport>() else {
            return self.instance_export(instance, name);
        };
        let id = self.native_data().store_id();
        // `None` for an instance of another module than the key's.
        instance
            .get_module_export(self.cx_mut(), export)
            .and_then(|e| from_extern(e, id))
    }
}

/// A call wasmtime refused or that trapped. (Arguments of the wrong types
/// are found by the API's own check of the function type, on the error path
/// of `Func::call`.)
/// wasm-run's error for an error of a call made through the native API
/// (traps with their codes, as wasm-run's own calls report them).
pub fn native_call_error(e: wt::Error) -> Error {
    error(e)
}

pub(crate) fn call_error(e: wt::Error) -> Error {
    asyncs::sync_refusal(error(e))
}

/// An instantiation wasmtime refused. Link errors are named by the API's own
/// diagnosis of the imports (`Linker::instantiate`, `Instance::new`), a
/// module of another engine is refused before the call (`same_engine`), and
/// limits by the store's `Limiter`; what is left is the engine's own error.
pub(crate) fn instantiate_error(e: wt::Error) -> Error {
    asyncs::sync_refusal(error(e))
}

/// After `Instance::new` failed with an engine error (error path only):
/// whether `natives` fail wasmtime's own type check of `module`'s imports,
/// found by resolving them through a linker's `instantiate_pre`, which
/// type-checks without instantiating. `Some` is that check's message.
pub(crate) fn import_type_error<T>(
    mut cx: wt::StoreContextMut<'_, StoreData<T>>,
    module: &wt::Module,
    natives: &[wt::Extern],
) -> Option<String> {
    let mut linker = wt::Linker::new(cx.engine());
    linker.allow_shadowing(true);
    for (import, item) in module.imports().zip(natives) {
        linker
            .define(&mut cx, import.module(), import.name(), item.clone())
            .ok()?;
    }
    linker
        .instantiate_pre(module)
        .err()
        .map(|e| format!("{e:#}"))
}

/// A module compiled by another `Engine` cannot be instantiated in this
/// store: [`Error::WrongStore`], decided from the engines' identity.
pub(crate) fn same_engine(module: &wt::Module, engine: &wt::Engine) -> Result<()> {
    if wt::Engine::same(module.engine(), engine) {
        Ok(())
    } else {
        Err(Error::WrongStore)
    }
}

pub(crate) fn to_extern(e: &Extern<Wasmtime>) -> wt::Extern {
    match e {
        Extern::Func(f) => wt::Extern::Func(*f.as_native()),
        Extern::Memory(m) => wt::Extern::Memory(*m.as_native()),
        Extern::Table(t) => wt::Extern::Table(*t.as_native()),
        Extern::Global(g) => wt::Extern::Global(*g.as_native()),
        Extern::Tag(t) => wt::Extern::Tag(*t.as_native()),
        Extern::SharedMemory(m) => wt::Extern::SharedMemory(m.as_native().0.clone()),
    }
}

pub(crate) fn from_extern(e: wt::Extern, id: StoreId) -> Option<Extern<Wasmtime>> {
    Some(match e {
        wt::Extern::Func(f) => Extern::Func(Func::from_native(f, id)),
        wt::Extern::Memory(m) => Extern::Memory(Memory::from_native(m, id)),
        wt::Extern::Table(t) => Extern::Table(Table::from_native(t, id)),
        wt::Extern::Global(g) => Extern::Global(Global::from_native(g, id)),
        wt::Extern::Tag(t) => Extern::Tag(Tag::from_native(t, id)),
        wt::Extern::SharedMemory(m) => {
            Extern::SharedMemory(SharedMemory::from_native(WasmtimeSharedMemory(m)))
        }
    })
}

impl<T: 'static> StoreBackend<Wasmtime> for WasmtimeStore<T> {
    fn into_data(self) -> T {
        self.0.store.into_data().into_user()
    }
    fn func_call_async<'a>(
        &'a mut self,
        f: &'a wt::Func,
        params: &'a [Val<Wasmtime>],
        results: &'a mut [Val<Wasmtime>],
    ) -> wasm_run_api::backend::CallFuture<'a>
    where
        T: Send,
    {
        self.call_async(f, params, results)
    }
    fn set_yield_policy(&mut self, policy: wasm_run_api::YieldPolicy) -> Result<()> {
        asyncs::set_yield_policy(self, policy)
    }
}

impl<T: 'static> CallerBackend<Wasmtime> for WasmtimeCaller<'_, T> {
    fn get_export(&mut self, name: &str) -> Option<Extern<Wasmtime>> {
        let id = self.0.caller.data().store_id();
        self.0.caller.export(name).and_then(|e| from_extern(e, id))
    }
}
