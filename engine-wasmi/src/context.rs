//! Stores and callers: wasm-run's data in wasmi's store, the one
//! implementation of the context operations for both, and the store's and
//! caller's own operations.

use super::*;

/// Host state of every native store: the user's data and the store's id
/// (the part every backend has, written once in `wasm_run_api::backend`)
/// plus wasmi's own [`WasmiState`]. Its `user`/`user_mut` give the user's
/// host state to code that works with the native store (e.g. WASI adapters
/// registering native host functions).
pub type StoreData<T> = wasm_run_api::backend::StoreData<T, WasmiState>;

/// The wasmi backend's own state of a store: the limiter and, when
/// deadlines or interrupts are on, the fuel slicing.
pub struct WasmiState {
    pub(crate) limits: Limiter,
    pub(crate) slicing: Option<Slicing>,
}

/// Whether the engine runs calls in fuel slices (deadlines or interrupts on).
pub(crate) fn sliced(features: &FeatureSet) -> bool {
    features.contains(Feature::Deadline) || features.contains(Feature::Interrupt)
}

/// A store or a caller of this backend. `C` says how the native context is
/// reached ([`NativeStore`] or [`NativeCaller`]); the context operations
/// ([`ContextBackend`]) are implemented once, for every `C`, as wasmi itself
/// serves both through `StoreContextMut`.
pub struct WasmiContext<C>(pub(crate) C);

/// A wasmi store (see [`wasm_run_api::Store`]).
pub type WasmiStore<T> = WasmiContext<NativeStore<T>>;

/// A host function's view of the store (see [`wasm_run_api::Caller`]).
pub type WasmiCaller<'a, T> = WasmiContext<NativeCaller<'a, T>>;

/// The native parts of a [`WasmiStore`].
pub struct NativeStore<T: 'static> {
    pub(crate) store: wasmi::Store<StoreData<T>>,
}

/// The native parts of a [`WasmiCaller`].
pub struct NativeCaller<'a, T: 'static> {
    pub(crate) caller: asyncs::CallerKind<'a, T>,
}

impl<T> WasmiStore<T> {
    /// The native store (escape hatch).
    pub fn as_native(&mut self) -> &mut wasmi::Store<StoreData<T>> {
        &mut self.0.store
    }
}

impl<'a, T> WasmiCaller<'a, T> {
    /// The native caller (escape hatch): `None` in an async host function's
    /// completion.
    pub fn as_native(&mut self) -> Option<&mut wasmi::Caller<'a, StoreData<T>>> {
        match &mut self.0.caller {
            asyncs::CallerKind::Owned(c) => Some(c),
            asyncs::CallerKind::Store(_) => None,
        }
    }
}

pub(crate) fn to_extern(e: &Extern<Wasmi>) -> wasmi::Extern {
    match e {
        Extern::Func(f) => wasmi::Extern::Func(*f.as_native()),
        Extern::Memory(m) => wasmi::Extern::Memory(*m.as_native()),
        Extern::Table(t) => wasmi::Extern::Table(*t.as_native()),
        Extern::Global(g) => wasmi::Extern::Global(*g.as_native()),
        Extern::Tag(t) => match *t.as_native() {},
        Extern::SharedMemory(m) => match *m.as_native() {},
    }
}

pub(crate) fn from_extern(e: wasmi::Extern, id: StoreId) -> Extern<Wasmi> {
    match e {
        wasmi::Extern::Func(f) => Extern::Func(Func::from_native(f, id)),
        wasmi::Extern::Memory(m) => Extern::Memory(Memory::from_native(m, id)),
        wasmi::Extern::Table(t) => Extern::Table(Table::from_native(t, id)),
        wasmi::Extern::Global(g) => Extern::Global(Global::from_native(g, id)),
    }
}

/// How a [`WasmiContext`] reaches the native store context: implemented by
/// [`NativeStore`] and [`NativeCaller`], so that stores and callers share the
/// one [`ContextBackend`] implementation below.
pub trait NativeContext {
    /// User host state type.
    type T: 'static;
    /// Whether this is a store (calls from it begin at the host) rather than
    /// a caller (calls from a host function, inside a running call).
    const TOP: bool;
    /// Native context.
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<Self::T>>;
    /// Native context, mutably.
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<Self::T>>;
    /// The user's host state.
    fn user(&self) -> &Self::T {
        self.native_data().user()
    }
    /// The user's host state, mutably.
    fn user_mut(&mut self) -> &mut Self::T {
        self.native_data_mut().user_mut()
    }
    /// The native store data.
    fn native_data(&self) -> &StoreData<Self::T>;
    /// The native store data, mutably.
    fn native_data_mut(&mut self) -> &mut StoreData<Self::T>;
}

impl<C: NativeContext> WasmiContext<C> {
    /// `r`, or the error the user's limiter failed the operation with (wasmi
    /// reports that as a `GrowthOperationLimited` trap).
    #[inline(always)]
    pub(crate) fn limited<R>(&mut self, r: Result<R>) -> Result<R> {
        // A policy failure always fails the operation, so only the error
        // path looks (the success path stays free).
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(self
                .0
                .native_data_mut()
                .limits
                .host
                .take_failure()
                .unwrap_or(e)),
        }
    }
    /// `Unsupported` for resumable fuel unless the user enabled fuel.
    pub(crate) fn resumable_fuel(&self) -> Result<()> {
        self.get_fuel()
            .map(|_| ())
            .map_err(|_| Error::unsupported(Feature::ResumableFuel, Wasmi::NAME))
    }
    /// The end of a resumable step: results written if the call finished.
    pub(crate) fn finish(
        &self,
        paused: Option<wasmi::ResumableCallOutOfFuel>,
        native: &[wasmi::Val],
        results: &mut [Val<Wasmi>],
    ) -> Result<Option<WasmiPausedCall>> {
        if let Some(paused) = paused {
            return Ok(Some(WasmiPausedCall(paused)));
        }
        refs::check_native(self.cx(), native)?;
        let id = self.store_id();
        for (out, v) in results.iter_mut().zip(native) {
            *out = from_val(v, id);
        }
        Ok(None)
    }
    /// Calls `f`, in fuel slices when deadlines or interrupts are on.
    #[inline]
    pub(crate) fn run(
        &mut self,
        f: &wasmi::Func,
        ps: &[wasmi::Val],
        rs: &mut [wasmi::Val],
    ) -> Result<()> {
        let r = if self.cx().data().slicing.is_some() {
            slicing::call(self.cx_mut(), C::TOP, f, ps, rs)
        } else {
            f.call(self.cx_mut(), ps, rs).map_err(error)
        };
        self.limited(r)
    }
    pub(crate) fn cx(&self) -> wasmi::StoreContext<'_, StoreData<C::T>> {
        self.0.cx()
    }
    pub(crate) fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<C::T>> {
        self.0.cx_mut()
    }
}

impl<T: 'static> NativeContext for NativeStore<T> {
    type T = T;
    const TOP: bool = true;
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<T>> {
        wasmi::AsContext::as_context(&self.store)
    }
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<T>> {
        wasmi::AsContextMut::as_context_mut(&mut self.store)
    }
    fn native_data(&self) -> &StoreData<T> {
        self.store.data()
    }
    fn native_data_mut(&mut self) -> &mut StoreData<T> {
        self.store.data_mut()
    }
}

impl<T: 'static> NativeContext for NativeCaller<'_, T> {
    type T = T;
    const TOP: bool = false;
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<T>> {
        self.caller.cx()
    }
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<T>> {
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
impl<C: NativeContext> ContextBackend<Wasmi> for WasmiContext<C> {
    type Data = C::T;

    fn store_id(&self) -> StoreId {
        self.cx().data().store_id()
    }
    fn data(&self) -> &C::T {
        self.0.user()
    }
    fn data_mut(&mut self) -> &mut C::T {
        self.0.user_mut()
    }
    fn get_fuel(&self) -> Result<u64> {
        let cx = self.cx();
        match &cx.data().slicing {
            Some(s) if s.user_fuel => Ok(slicing::get_fuel(&cx, s)),
            Some(_) => Err(Error::unsupported(Feature::Fuel, Wasmi::NAME)),
            None => cx
                .get_fuel()
                .map_err(|_| Error::unsupported(Feature::Fuel, Wasmi::NAME)),
        }
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        let mut cx = self.cx_mut();
        match &cx.data().slicing {
            Some(s) if s.user_fuel => {
                slicing::set_fuel(&mut cx, fuel);
                Ok(())
            }
            Some(_) => Err(Error::unsupported(Feature::Fuel, Wasmi::NAME)),
            None => cx
                .set_fuel(fuel)
                .map_err(|_| Error::unsupported(Feature::Fuel, Wasmi::NAME)),
        }
    }
    fn watch(&self) -> Option<&Watch> {
        self.0.native_data().slicing.as_ref().map(|s| &s.watch)
    }
    fn watch_mut(&mut self) -> Option<&mut Watch> {
        self.0
            .native_data_mut()
            .slicing
            .as_mut()
            .map(|s| &mut s.watch)
    }
    fn set_limiter(&mut self, limiter: Box<dyn wasm_run_api::ResourceLimiter>) {
        self.0.native_data_mut().limits.host.set(limiter);
    }
    fn extensions_mut(&mut self) -> Option<&mut wasm_run_api::Extensions> {
        Some(self.0.native_data_mut().extensions_mut())
    }

    fn func_ty(&self, f: &wasmi::Func) -> FuncType {
        from_func_type(&f.ty(self.cx()))
    }
    #[inline]
    fn func_call(
        &mut self,
        f: &wasmi::Func,
        params: &[Val<Wasmi>],
        results: &mut [Val<Wasmi>],
    ) -> Result<()> {
        let zero = wasmi::Val::I32(0);
        let id = self.store_id();
        convert_call(
            params,
            results,
            zero,
            |v| Ok(val(v)),
            |v| Ok(from_val(v, id)),
            |ps, rs| self.run(f, ps, rs),
        )?;
        refs::check(self.cx(), results)
    }
    fn func_call_resumable(
        &mut self,
        f: &wasmi::Func,
        params: &[Val<Wasmi>],
        results: &mut [Val<Wasmi>],
    ) -> Result<Option<WasmiPausedCall>> {
        self.resumable_fuel()?;
        let ps: ValBuf<wasmi::Val> = params.iter().map(val).collect();
        let mut rs: ValBuf<wasmi::Val> = smallvec::smallvec![wasmi::Val::I32(0); results.len()];
        let r = slicing::call_pausing(self.cx_mut(), C::TOP, f, &ps, &mut rs);
        let paused = self.limited(r)?;
        self.finish(paused, &rs, results)
    }
    fn resume_call(
        &mut self,
        call: WasmiPausedCall,
        results: &mut [Val<Wasmi>],
    ) -> Result<Option<WasmiPausedCall>> {
        let mut rs: ValBuf<wasmi::Val> = smallvec::smallvec![wasmi::Val::I32(0); results.len()];
        let r = slicing::resume(self.cx_mut(), C::TOP, call.0, &mut rs);
        let paused = self.limited(r)?;
        self.finish(paused, &rs, results)
    }
    #[inline]
    fn func_call_typed<P: WasmTyList, R: WasmTyList>(
        &mut self,
        f: &wasmi::Func,
        params: P,
    ) -> Result<R> {
        if self.cx().data().slicing.is_none() {
            // wasmi's typed call: no per-call type check or value conversion.
            let r = typed::call::<_, P, R>(self.cx_mut(), f, params).map_err(error);
            return self.limited(r);
        }
        let mut ps = zeros(P::LEN);
        params.store(&mut ValsMut(&mut ps));
        let mut rs = zeros(R::LEN);
        self.run(f, &ps, &mut rs)?;
        Ok(R::load(&Vals(&rs)))
    }
    fn func_new<F: UntypedHostFunc<Wasmi, C::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<wasmi::Func> {
        let native = func_type(&ty)?;
        Ok(wasmi::Func::new(
            self.cx_mut(),
            native,
            untyped_host(ty, Shared(Arc::new(f))),
        ))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmi, C::T, P, R>>(
        &mut self,
        f: F,
    ) -> Result<wasmi::Func> {
        Ok(typed::wrap(self.cx_mut(), typed_host(f)))
    }

    fn memory_new(&mut self, ty: MemoryType) -> Result<wasmi::Memory> {
        let r = wasmi::Memory::new(self.cx_mut(), memory_type(&ty)?).map_err(creation_error);
        self.limited(r)
    }
    fn memory_ty(&self, m: &wasmi::Memory) -> MemoryType {
        let native = m.ty(self.cx());
        let pages = m.size(self.cx());
        let bytes = m.data_size(self.cx()) as u64;
        let page_size_log2 = match bytes.checked_div(pages) {
            Some(size) if size.is_power_of_two() => size.trailing_zeros() as u8,
            _ => 16,
        };
        MemoryType {
            minimum: pages,
            maximum: native.maximum(),
            shared: false,
            memory64: native.is_64(),
            page_size_log2,
        }
    }
    fn memory_data<'a>(&'a self, m: &wasmi::Memory) -> &'a [u8] {
        m.data(self.cx())
    }
    fn memory_data_mut<'a>(&'a mut self, m: &wasmi::Memory) -> &'a mut [u8] {
        m.data_mut(self.cx_mut())
    }
    fn memory_grow(&mut self, m: &wasmi::Memory, delta: u64) -> Result<u64> {
        let r = m
            .grow(self.cx_mut(), delta)
            .map_err(|e| Error::Access(format!("memory.grow by {delta} pages failed: {e}")));
        self.limited(r)
    }

    fn table_new(&mut self, ty: TableType, init: Val<Wasmi>) -> Result<wasmi::Table> {
        let r = wasmi::Table::new(self.cx_mut(), table_type(&ty)?, to_ref(&init)?)
            .map_err(creation_error);
        self.limited(r)
    }
    fn table_ty(&self, t: &wasmi::Table) -> TableType {
        from_table_type(&t.ty(self.cx()))
    }
    fn table_size(&self, t: &wasmi::Table) -> u64 {
        t.size(self.cx())
    }
    fn table_grow(&mut self, t: &wasmi::Table, delta: u64, init: Val<Wasmi>) -> Result<u64> {
        let r = t
            .grow(self.cx_mut(), delta, to_ref(&init)?)
            .map_err(|e| Error::Access(format!("table.grow by {delta} failed: {e}")));
        self.limited(r)
    }
    fn table_get(&mut self, t: &wasmi::Table, index: u64) -> Option<Val<Wasmi>> {
        let id = self.store_id();
        t.get(self.cx(), index)
            .map(|r| refs::sanitize(self.cx(), from_ref(&r, id)))
    }
    fn table_set(&mut self, t: &wasmi::Table, index: u64, v: Val<Wasmi>) -> Result<()> {
        t.set(self.cx_mut(), index, to_ref(&v)?)
            .map_err(|e| Error::Access(e.to_string()))
    }

    fn global_new(&mut self, ty: GlobalType, v: Val<Wasmi>) -> Result<wasmi::Global> {
        val_type(&ty.content)?;
        Ok(wasmi::Global::new(
            self.cx_mut(),
            val(&v),
            mutability(ty.mutability),
        ))
    }
    fn global_ty(&self, g: &wasmi::Global) -> GlobalType {
        from_global_type(&g.ty(self.cx()))
    }
    fn global_get(&mut self, g: &wasmi::Global) -> Val<Wasmi> {
        refs::sanitize(self.cx(), from_val(&g.get(self.cx()), self.store_id()))
    }
    fn global_set(&mut self, g: &wasmi::Global, v: Val<Wasmi>) -> Result<()> {
        g.set(self.cx_mut(), val(&v))
            .map_err(|e| Error::Access(e.to_string()))
    }

    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<wasmi::ExternRef> {
        Ok(wasmi::ExternRef::new(self.cx_mut(), HostRef::new(value)))
    }
    fn externref_data<'a>(&'a self, r: &wasmi::ExternRef) -> Option<&'a (dyn Any + Send + Sync)> {
        HostRef::of(r.data(self.cx()))
    }

    fn instantiate(
        &mut self,
        module: &wasmi::Module,
        imports: &[Extern<Wasmi>],
    ) -> Result<wasmi::Instance> {
        // wasmi would accept a module of another engine here; refuse it.
        if !wasmi::Engine::same(module.engine(), self.cx().engine()) {
            return Err(Error::WrongStore);
        }
        // The API gives imports in the module's declaration order; wasmi
        // expects them grouped by kind (functions, tables, memories, globals:
        // the order of `wasmi::Module::imports`), each kind in declaration
        // order. The API checked each item against its import's type, so an
        // item's kind is its import's kind and a stable sort by kind gives
        // wasmi's order.
        let mut natives: Vec<wasmi::Extern> = imports.iter().map(to_extern).collect();
        natives.sort_by_key(|e| match e {
            wasmi::Extern::Func(_) => 0,
            wasmi::Extern::Table(_) => 1,
            wasmi::Extern::Memory(_) => 2,
            wasmi::Extern::Global(_) => 3,
        });
        let r = slicing::unsliced(self.cx_mut(), C::TOP, |cx| {
            wasmi::Instance::new(cx, module, &natives)
        });
        self.limited(r)
    }
    fn instance_export(&mut self, instance: &wasmi::Instance, name: &str) -> Option<Extern<Wasmi>> {
        let id = self.store_id();
        instance
            .get_export(self.cx(), name)
            .map(|e| from_extern(e, id))
    }
}

impl<T: 'static> StoreBackend<Wasmi> for WasmiStore<T> {
    fn into_data(self) -> T {
        self.0.store.into_data().into_user()
    }
    fn func_call_async<'a>(
        &'a mut self,
        f: &'a wasmi::Func,
        params: &'a [Val<Wasmi>],
        results: &'a mut [Val<Wasmi>],
    ) -> wasm_run_api::backend::CallFuture<'a>
    where
        T: Send,
    {
        self.call_async(f, params, results)
    }
    fn set_yield_policy(&mut self, policy: wasm_run_api::YieldPolicy) -> Result<()> {
        if policy.fuel_interval().is_some() && ContextBackend::get_fuel(self).is_err() {
            return Err(Error::unsupported(Feature::Fuel, Wasmi::NAME));
        }
        let slicing = self.0.native_data_mut().slicing.as_mut();
        // Both kinds of yield happen between fuel slices.
        let slicing = match slicing {
            Some(s) => s,
            None if !policy.is_on() => return Ok(()),
            None => {
                return Err(Error::unsupported(Feature::Deadline, Wasmi::NAME));
            }
        };
        slicing.yields.set(policy);
        Ok(())
    }
}

impl<T: 'static> CallerBackend<Wasmi> for WasmiCaller<'_, T> {
    fn get_export(&mut self, name: &str) -> Option<Extern<Wasmi>> {
        let id = self.0.caller.data().store_id();
        self.0.caller.export(name).map(|e| from_extern(e, id))
    }
}
