//! `AnyEngine`'s context (store or caller), store, caller and linker:
//! each operation matches once on the backend and runs it there.

use super::*;

/// The context operations, once for stores and callers alike.
impl<K: ContextKind> ContextBackend<AnyEngine> for AnyContext<K> {
    type Data = K::T;

    fn store_id(&self) -> StoreId {
        each!(self, AnyContext, c, B => c.store_id())
    }
    fn data(&self) -> &K::T {
        each!(self, AnyContext, c, B => c.data())
    }
    fn data_mut(&mut self) -> &mut K::T {
        each!(self, AnyContext, c, B => c.data_mut())
    }
    fn get_fuel(&self) -> Result<u64> {
        each!(self, AnyContext, c, B => c.get_fuel())
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        each!(self, AnyContext, c, B => c.set_fuel(fuel))
    }
    fn set_deadline(&mut self, at: Option<std::time::Instant>) -> Result<()> {
        each!(self, AnyContext, c, B => c.set_deadline(at))
    }
    fn check_stop(&mut self) -> Result<()> {
        each!(self, AnyContext, c, B => c.check_stop())
    }
    fn extensions_mut(&mut self) -> Option<&mut wasm_run_api::Extensions> {
        each!(self, AnyContext, c, B => c.extensions_mut())
    }
    fn set_limiter(&mut self, limiter: Box<dyn wasm_run_api::ResourceLimiter>) {
        each!(self, AnyContext, c, B => c.set_limiter(limiter))
    }
    fn backend_store(&mut self) -> Option<&mut dyn Any> {
        each!(self, AnyContext, c, B => c.backend_store())
    }
    fn func_call_resumable(
        &mut self,
        f: &AnyFunc,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> Result<Option<AnyPausedCall>> {
        each!(self, AnyContext, c, B => {
            let f = B::func_down(f).ok_or_else(mismatch)?;
            let mut paused = None;
            convert_call(params, results, Val::I32(0), val_down, |v| Ok(val_up(v)), |ps, rs| {
                paused = c.func_call_resumable(&f, ps, rs)?;
                Ok(())
            })?;
            Ok(paused.map(B::paused_up))
        })
    }
    // The wasmtime arm cannot be reached: wasmtime never pauses a call.
    #[allow(unreachable_code)]
    fn resume_call(
        &mut self,
        call: AnyPausedCall,
        results: &mut [Val<AnyEngine>],
    ) -> Result<Option<AnyPausedCall>> {
        each!(self, AnyContext, c, B => {
            let call = B::paused_down(call).ok_or_else(mismatch)?;
            let mut paused = None;
            convert_call(&[], results, Val::I32(0), val_down, |v| Ok(val_up(v)), |_, rs| {
                paused = c.resume_call(call, rs)?;
                Ok(())
            })?;
            Ok(paused.map(B::paused_up))
        })
    }
    fn interrupt_handle(&self) -> Result<InterruptHandle> {
        each!(self, AnyContext, c, B => c.interrupt_handle())
    }
    fn set_interrupt_handle(&mut self, handle: InterruptHandle) -> Result<()> {
        each!(self, AnyContext, c, B => c.set_interrupt_handle(handle))
    }
    fn func_ty(&self, f: &AnyFunc) -> FuncType {
        each!(self, AnyContext, c, B => c.func_ty(&down::<_, B>(B::func_down(f))))
    }
    #[inline]
    fn func_call(
        &mut self,
        f: &AnyFunc,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> Result<()> {
        each!(self, AnyContext, c, B => call_dyn::<B, _>(c, f, params, results))
    }
    unsafe fn func_call_unchecked(
        &mut self,
        f: &AnyFunc,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> Result<()> {
        // SAFETY: forwarded from the caller.
        each!(self, AnyContext, c, B => unsafe { call_dyn_unchecked::<B, _>(c, f, params, results) })
    }
    #[inline]
    fn func_call_typed<P: WasmTyList, R: WasmTyList>(
        &mut self,
        f: &AnyFunc,
        params: P,
    ) -> Result<R> {
        each!(self, AnyContext, c, B => c.func_call_typed::<P, R>(&B::func_down(f).ok_or_else(mismatch)?, params))
    }
    fn func_new<F: UntypedHostFunc<AnyEngine, K::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<AnyFunc> {
        each!(self, AnyContext, c, B => c.func_new(ty, Adapt(f)).map(B::func_up))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<AnyEngine, K::T, P, R>>(
        &mut self,
        f: F,
    ) -> Result<AnyFunc> {
        each!(self, AnyContext, c, B => c.func_wrap::<P, R, _>(Adapt(f)).map(B::func_up))
    }
    fn memory_new(&mut self, ty: MemoryType) -> Result<AnyMemory> {
        each!(self, AnyContext, c, B => c.memory_new(ty).map(B::memory_up))
    }
    fn memory_ty(&self, m: &AnyMemory) -> MemoryType {
        each!(self, AnyContext, c, B => c.memory_ty(&down::<_, B>(B::memory_down(m))))
    }
    fn memory_data<'a>(&'a self, m: &AnyMemory) -> &'a [u8] {
        each!(self, AnyContext, c, B => c.memory_data(&down::<_, B>(B::memory_down(m))))
    }
    fn memory_data_mut<'a>(&'a mut self, m: &AnyMemory) -> &'a mut [u8] {
        each!(self, AnyContext, c, B => c.memory_data_mut(&down::<_, B>(B::memory_down(m))))
    }
    fn memory_grow(&mut self, m: &AnyMemory, delta: u64) -> Result<u64> {
        each!(self, AnyContext, c, B => c.memory_grow(&B::memory_down(m).ok_or_else(mismatch)?, delta))
    }
    fn table_new(&mut self, ty: TableType, init: Val<AnyEngine>) -> Result<AnyTable> {
        each!(self, AnyContext, c, B => c.table_new(ty, val_down(&init)?).map(B::table_up))
    }
    fn table_ty(&self, t: &AnyTable) -> TableType {
        each!(self, AnyContext, c, B => c.table_ty(&down::<_, B>(B::table_down(t))))
    }
    fn table_size(&self, t: &AnyTable) -> u64 {
        each!(self, AnyContext, c, B => c.table_size(&down::<_, B>(B::table_down(t))))
    }
    fn table_grow(&mut self, t: &AnyTable, delta: u64, init: Val<AnyEngine>) -> Result<u64> {
        each!(self, AnyContext, c, B => c.table_grow(&B::table_down(t).ok_or_else(mismatch)?, delta, val_down(&init)?))
    }
    fn table_get(&mut self, t: &AnyTable, index: u64) -> Option<Val<AnyEngine>> {
        each!(self, AnyContext, c, B => c.table_get(&down::<_, B>(B::table_down(t)), index).map(|v| val_up(&v)))
    }
    fn table_set(&mut self, t: &AnyTable, index: u64, v: Val<AnyEngine>) -> Result<()> {
        each!(self, AnyContext, c, B => c.table_set(&B::table_down(t).ok_or_else(mismatch)?, index, val_down(&v)?))
    }
    fn global_new(&mut self, ty: GlobalType, v: Val<AnyEngine>) -> Result<AnyGlobal> {
        each!(self, AnyContext, c, B => c.global_new(ty, val_down(&v)?).map(B::global_up))
    }
    fn global_ty(&self, g: &AnyGlobal) -> GlobalType {
        each!(self, AnyContext, c, B => c.global_ty(&down::<_, B>(B::global_down(g))))
    }
    fn global_get(&mut self, g: &AnyGlobal) -> Val<AnyEngine> {
        each!(self, AnyContext, c, B => val_up(&c.global_get(&down::<_, B>(B::global_down(g)))))
    }
    fn global_set(&mut self, g: &AnyGlobal, v: Val<AnyEngine>) -> Result<()> {
        each!(self, AnyContext, c, B => c.global_set(&B::global_down(g).ok_or_else(mismatch)?, val_down(&v)?))
    }
    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<AnyExternRef> {
        each!(self, AnyContext, c, B => c.externref_new(value).map(B::externref_up))
    }
    fn externref_data<'a>(&'a self, r: &AnyExternRef) -> Option<&'a (dyn Any + Send + Sync)> {
        each!(self, AnyContext, c, B => c.externref_data(&B::externref_down(r)?))
    }
    fn gc_refs(&self) -> Option<&dyn GcRefsBackend<AnyEngine>> {
        Some(self)
    }
    fn gc_refs_mut(&mut self) -> Option<&mut dyn GcRefsBackend<AnyEngine>> {
        Some(self)
    }
    fn tags(&self) -> Option<&dyn TagsBackend<AnyEngine>> {
        Some(self)
    }
    fn instantiate(
        &mut self,
        module: &AnyModule,
        imports: &[Extern<AnyEngine>],
    ) -> Result<AnyInstance> {
        each!(self, AnyContext, c, B => instantiate_with::<B, _>(c, module, imports))
    }
    fn instance_export(&mut self, instance: &AnyInstance, name: &str) -> Option<Extern<AnyEngine>> {
        each!(self, AnyContext, c, B => c.instance_export(&B::instance_down(instance)?, name).map(extern_up))
    }
    fn instance_export_by_key(
        &mut self,
        instance: &AnyInstance,
        key: &(dyn Any + Send + Sync),
        name: &str,
    ) -> Option<Extern<AnyEngine>> {
        each!(self, AnyContext, c, B => c.instance_export_by_key(&B::instance_down(instance)?, key, name).map(extern_up))
    }
}

/// The GC reference operations of the backend the context runs on (the
/// typed `Unsupported` of one without them).
impl<K: ContextKind> GcRefsBackend<AnyEngine> for AnyContext<K> {
    // A backend without GC references has no `AnyRef` values: its arm
    // cannot be reached.
    #[allow(unreachable_code, unused_variables)]
    fn anyref_kind(&self, r: &AnyAnyRef) -> AnyRefKind {
        each!(self, AnyContext, c, B => {
            let r = down::<_, B>(B::anyref_down(r));
            c.gc_refs().map_or_else(|| foreign_handle(), |g| g.anyref_kind(&r))
        })
    }
    fn anyref_from_i31(&mut self, value: u32) -> Result<AnyAnyRef> {
        each!(self, AnyContext, c, B => gc_of::<B, _>(c)?.anyref_from_i31(value).map(B::anyref_up))
    }
    fn anyref_from_extern(&mut self, r: AnyExternRef) -> Result<AnyAnyRef> {
        each!(self, AnyContext, c, B => {
            let r = B::externref_down(&r).ok_or_else(mismatch)?;
            gc_of::<B, _>(c)?.anyref_from_extern(r).map(B::anyref_up)
        })
    }
    fn externref_from_any(&mut self, r: AnyAnyRef) -> Result<AnyExternRef> {
        each!(self, AnyContext, c, B => {
            let r = B::anyref_down(&r).ok_or_else(mismatch)?;
            gc_of::<B, _>(c)?.externref_from_any(r).map(B::externref_up)
        })
    }
}

/// The GC reference operations of backend `B`'s context `c`, or its typed
/// `Unsupported`.
fn gc_of<B: Engine, C: ContextBackend<B>>(c: &mut C) -> Result<&mut dyn GcRefsBackend<B>> {
    c.gc_refs_mut()
        .ok_or(Error::unsupported(Feature::Gc, B::NAME))
}

/// The tag operations of the backend the context runs on.
impl<K: ContextKind> TagsBackend<AnyEngine> for AnyContext<K> {
    // A backend without exceptions has no `Tag` values: its arm cannot be
    // reached.
    #[allow(unreachable_code, unused_variables)]
    fn tag_ty(&self, t: &AnyTag) -> TagType {
        each!(self, AnyContext, c, B => {
            let t = down::<_, B>(B::tag_down(t));
            c.tags().map_or_else(|| foreign_handle(), |g| g.tag_ty(&t))
        })
    }
}

impl<T: 'static> StoreBackend<AnyEngine> for AnyStore<T> {
    fn into_data(self) -> T {
        each!(self, AnyContext, s, B => s.into_data())
    }
    fn set_yield_policy(&mut self, policy: wasm_run_api::YieldPolicy) -> Result<()> {
        each!(self, AnyContext, s, B => s.set_yield_policy(policy))
    }
    fn func_call_async<'a>(
        &'a mut self,
        f: &'a AnyFunc,
        params: &'a [Val<AnyEngine>],
        results: &'a mut [Val<AnyEngine>],
    ) -> CallFuture<'a>
    where
        Self: Send,
        T: Send,
    {
        Box::pin(async move {
            each!(self, AnyContext, s, B => {
                let f = B::func_down(f).ok_or_else(mismatch)?;
                let ps: Vec<Val<B>> = params.iter().map(val_down).collect::<Result<_>>()?;
                let mut rs: Vec<Val<B>> = vec![Val::I32(0); results.len()];
                s.func_call_async(&f, &ps, &mut rs).await?;
                for (slot, v) in results.iter_mut().zip(&rs) {
                    *slot = val_up(v);
                }
                Ok(())
            })
        })
    }
}

impl<T: 'static> CallerBackend<AnyEngine> for AnyCaller<'_, T> {
    fn get_export(&mut self, name: &str) -> Option<Extern<AnyEngine>> {
        each!(self, AnyContext, c, B => c.get_export(name).map(extern_up))
    }
}

impl<T: 'static> LinkerBackend<AnyEngine, T> for AnyLinker<T> {
    fn define(
        &mut self,
        store: &AnyStore<T>,
        module: &str,
        name: &str,
        item: Extern<AnyEngine>,
    ) -> Result<()> {
        each!(self, AnyLinker, l, B => l.define(B::store_down(store).ok_or_else(mismatch)?, module, name, extern_down(&item)?))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<AnyEngine, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        each!(self, AnyLinker, l, B => l.func_wrap::<P, R, _>(module, name, Adapt(f)))
    }
    fn func_new<F: UntypedHostFunc<AnyEngine, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        each!(self, AnyLinker, l, B => l.func_new(module, name, ty, Adapt(f)))
    }
    fn get(&self, store: &mut AnyStore<T>, module: &str, name: &str) -> Option<Extern<AnyEngine>> {
        each!(self, AnyLinker, l, B => l.get(B::store_down_mut(store)?, module, name).map(extern_up))
    }
    fn get_each(
        &self,
        store: &mut AnyStore<T>,
        visit: &mut dyn FnMut(&str, &str, Extern<AnyEngine>),
    ) -> bool {
        each!(self, AnyLinker, l, B => match B::store_down_mut(store) {
            Some(s) => l.get_each(s, &mut |m: &str, n: &str, e| visit(m, n, extern_up(e))),
            None => true,
        })
    }
    fn instantiate(&self, store: &mut AnyStore<T>, module: &AnyModule) -> Result<AnyInstance> {
        each!(self, AnyLinker, l, B => {
            let s = B::store_down_mut(store).ok_or_else(mismatch)?;
            l.instantiate(s, B::module_down(module).ok_or_else(mismatch)?).map(B::instance_up)
        })
    }
    fn instantiate_pre(&self, module: &AnyModule) -> Result<AnyInstancePre<T>> {
        each!(self, AnyLinker, l, B => l.instantiate_pre(B::module_down(module).ok_or_else(mismatch)?).map(B::instance_pre_up))
    }
    fn allow_shadowing(&mut self, allow: bool) {
        each!(self, AnyLinker, l, B => l.allow_shadowing(allow))
    }
    fn func_new_async<F: wasm_run_api::AsyncHostFunc<AnyEngine, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()>
    where
        T: Send,
    {
        each!(self, AnyLinker, l, B => l.func_new_async(module, name, ty, Adapt(f)))
    }
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut AnyStore<T>,
        module: &'a AnyModule,
    ) -> InstanceFuture<'a, AnyEngine>
    where
        Self: Sync,
        T: Send,
        AnyStore<T>: Send,
    {
        Box::pin(async move {
            each!(self, AnyLinker, l, B => {
                let s = B::store_down_mut(store).ok_or_else(mismatch)?;
                let m = B::module_down(module).ok_or_else(mismatch)?;
                l.instantiate_async(s, m).await.map(B::instance_up)
            })
        })
    }
}
