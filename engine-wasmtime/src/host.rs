//! Host functions: wasm-run's closures as wasmtime host functions (untyped,
//! untyped over raw slots for numeric types, typed).

use super::*;

/// How a host function reaches the store.
pub(crate) enum CallerKind<'a, T: 'static> {
    /// wasmtime's caller, a host function's own.
    Owned(wt::Caller<'a, StoreData<T>>),
    /// wasmtime's caller lent to an async host function's synchronous part
    /// (the caller stays with the function's future, for its completion).
    Lent(&'a mut (dyn Lend<T> + 'a)),
    /// The store without a calling instance: a completion.
    Store(wt::StoreContextMut<'a, StoreData<T>>),
}

/// A wasmtime caller behind a reference (any lifetime of its own).
pub(crate) trait Lend<T: 'static> {
    fn cx(&self) -> wt::StoreContext<'_, StoreData<T>>;
    fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<T>>;
    fn data(&self) -> &StoreData<T>;
    fn data_mut(&mut self) -> &mut StoreData<T>;
    fn export(&mut self, name: &str) -> Option<wt::Extern>;
}

impl<T: 'static> Lend<T> for wt::Caller<'_, StoreData<T>> {
    fn cx(&self) -> wt::StoreContext<'_, StoreData<T>> {
        wt::AsContext::as_context(self)
    }
    fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<T>> {
        wt::AsContextMut::as_context_mut(self)
    }
    fn data(&self) -> &StoreData<T> {
        wt::Caller::data(self)
    }
    fn data_mut(&mut self) -> &mut StoreData<T> {
        wt::Caller::data_mut(self)
    }
    fn export(&mut self, name: &str) -> Option<wt::Extern> {
        self.get_export(name)
    }
}

impl<'a, T: 'static> NativeCaller<'a, T> {
    pub(crate) fn owned(caller: wt::Caller<'a, StoreData<T>>) -> Self {
        NativeCaller {
            caller: CallerKind::Owned(caller),
        }
    }
}

impl<T: 'static> CallerKind<'_, T> {
    pub(crate) fn cx(&self) -> wt::StoreContext<'_, StoreData<T>> {
        match self {
            CallerKind::Owned(c) => wt::AsContext::as_context(c),
            CallerKind::Lent(c) => c.cx(),
            CallerKind::Store(s) => wt::AsContext::as_context(s),
        }
    }
    pub(crate) fn cx_mut(&mut self) -> wt::StoreContextMut<'_, StoreData<T>> {
        match self {
            CallerKind::Owned(c) => wt::AsContextMut::as_context_mut(c),
            CallerKind::Lent(c) => c.cx_mut(),
            CallerKind::Store(s) => wt::AsContextMut::as_context_mut(s),
        }
    }
    pub(crate) fn data(&self) -> &StoreData<T> {
        match self {
            CallerKind::Owned(c) => c.data(),
            CallerKind::Lent(c) => c.data(),
            CallerKind::Store(s) => s.data(),
        }
    }
    pub(crate) fn data_mut(&mut self) -> &mut StoreData<T> {
        match self {
            CallerKind::Owned(c) => c.data_mut(),
            CallerKind::Lent(c) => c.data_mut(),
            CallerKind::Store(s) => s.data_mut(),
        }
    }
    /// An export of the calling instance (none in a completion).
    pub(crate) fn export(&mut self, name: &str) -> Option<wt::Extern> {
        match self {
            CallerKind::Owned(c) => c.get_export(name),
            CallerKind::Lent(c) => c.export(name),
            CallerKind::Store(_) => None,
        }
    }
}

pub(crate) fn untyped_host<T: 'static, F: UntypedHostFunc<Wasmtime, T>>(
    ty: FuncType,
    f: F,
) -> impl Fn(wt::Caller<'_, StoreData<T>>, &[wt::Val], &mut [wt::Val]) -> wt::Result<()>
+ Send
+ Sync
+ 'static {
    move |caller, params, results| {
        let id = caller.data().store_id();
        let caller = Caller::from_backend(WasmtimeContext(NativeCaller::owned(caller)));
        call_untyped(
            &f,
            caller,
            &ty,
            params,
            results,
            |v| from_val(v, id),
            |v| Ok(val(v)),
        )
        .map_err(host_error)
    }
}

/// Whether every parameter and result of `ty` is a number or vector: then
/// an untyped host function can work on wasmtime's raw slots directly
/// ([`untyped_host_raw`]), without a store to convert references.
pub(crate) fn numeric(ty: &FuncType) -> bool {
    ty.params()
        .iter()
        .chain(ty.results())
        .all(|t| !matches!(t, wasm_run_api::ValType::Ref(_)))
}

/// An untyped host function over raw slots, for numeric types only: one
/// conversion each way instead of wasmtime's `Val`s and then ours.
pub(crate) fn untyped_host_raw<T: 'static, F: UntypedHostFunc<Wasmtime, T>>(
    ty: FuncType,
    f: F,
) -> impl Fn(wt::Caller<'_, StoreData<T>>, &mut [MaybeUninit<wt::ValRaw>]) -> wt::Result<()>
+ Send
+ Sync
+ 'static {
    move |caller, raw| {
        let caller = Caller::from_backend(WasmtimeContext(NativeCaller::owned(caller)));
        let mut slots = Raw(raw);
        let mut params: ValBuf<Val<Wasmtime>> = ValBuf::new();
        for (i, t) in ty.params().iter().enumerate() {
            params.push(slots.take(i, t));
        }
        let mut results: ValBuf<Val<Wasmtime>> = ValBuf::new();
        results.resize(ty.results().len(), Val::I32(0));
        default_results(ty.results(), &mut results);
        // Checks that every result has its declared (numeric) type.
        f.invoke(caller, &ty, &params, &mut results)
            .map_err(host_error)?;
        for (i, v) in results.iter().enumerate() {
            // `invoke` refused results of other types than numbers.
            slots.put(i, v);
        }
        Ok(())
    }
}

pub(crate) fn typed_host<
    T: 'static,
    P: WasmTyList,
    R: WasmTyList,
    F: HostFunc<Wasmtime, T, P, R>,
>(
    f: F,
) -> impl Fn(wt::Caller<'_, StoreData<T>>, &mut [MaybeUninit<wt::ValRaw>]) -> wt::Result<()>
+ Send
+ Sync
+ 'static {
    move |caller, raw| {
        let params = P::load(&Raw(raw));
        let results = f
            .invoke(
                Caller::from_backend(WasmtimeContext(NativeCaller::owned(caller))),
                params,
            )
            .map_err(host_error)?;
        results.store(&mut Raw(raw));
        Ok(())
    }
}
