//! Host functions of `AnyEngine` run as a backend's (`Adapt`), and calls
//! and instantiations through a backend's context.

use super::*;

/// Adapts a host function written for [`AnyEngine`] to backend `B`.
pub(super) struct Adapt<F>(pub(super) F);

impl<B, T, P, R, F> HostFunc<B, T, P, R> for Adapt<F>
where
    B: Member,
    T: 'static,
    P: WasmTyList,
    R: WasmTyList,
    F: HostFunc<AnyEngine, T, P, R>,
{
    #[inline]
    fn call(&self, caller: Caller<'_, B, T>, params: P) -> Result<R> {
        self.0.call(
            Caller::from_backend(B::caller_up(caller.into_backend())),
            params,
        )
    }
}

impl<B, T, F> UntypedHostFunc<B, T> for Adapt<F>
where
    B: Member,
    T: 'static,
    F: UntypedHostFunc<AnyEngine, T>,
{
    fn call(
        &self,
        caller: Caller<'_, B, T>,
        params: &[Val<B>],
        results: &mut [Val<B>],
    ) -> Result<()> {
        let caller = Caller::from_backend(B::caller_up(caller.into_backend()));
        convert_call_inout(
            params,
            results,
            Val::I32(0),
            |v| Ok(val_up(v)),
            val_down,
            |ps, rs| self.0.call(caller, ps, rs),
        )
    }
}

impl<B, T, F> wasm_run_api::AsyncHostFunc<B, T> for Adapt<F>
where
    B: Member,
    T: 'static,
    F: wasm_run_api::AsyncHostFunc<AnyEngine, T>,
{
    fn call(&self, caller: Caller<'_, B, T>, params: &[Val<B>]) -> Result<AsyncHostFuture<B, T>> {
        let caller = Caller::from_backend(B::caller_up(caller.into_backend()));
        let params: Vec<Val<AnyEngine>> = params.iter().map(val_up).collect();
        let fut = self.0.call(caller, &params)?;
        Ok(Box::pin(async move {
            Ok(match fut.await? {
                AsyncDone::Results(out) => {
                    AsyncDone::Results(out.iter().map(val_down).collect::<Result<_>>()?)
                }
                AsyncDone::Complete(complete) => {
                    AsyncDone::Complete(Box::new(move |caller: Caller<'_, B, T>| {
                        let caller = Caller::from_backend(B::caller_up(caller.into_backend()));
                        complete(caller)?.iter().map(val_down).collect()
                    }))
                }
            })
        }))
    }
}

// Generic bodies of the context operations, written once for every member.

pub(super) fn call_dyn<B: Member, C: ContextBackend<B>>(
    c: &mut C,
    f: &AnyFunc,
    params: &[Val<AnyEngine>],
    results: &mut [Val<AnyEngine>],
) -> Result<()> {
    let f = B::func_down(f).ok_or_else(mismatch)?;
    convert_call(
        params,
        results,
        Val::I32(0),
        val_down,
        |v| Ok(val_up(v)),
        |ps, rs| c.func_call(&f, ps, rs),
    )
}

/// As [`call_dyn`], without the type check.
///
/// # Safety
///
/// As [`ContextBackend::func_call_unchecked`].
pub(super) unsafe fn call_dyn_unchecked<B: Member, C: ContextBackend<B>>(
    c: &mut C,
    f: &AnyFunc,
    params: &[Val<AnyEngine>],
    results: &mut [Val<AnyEngine>],
) -> Result<()> {
    let f = B::func_down(f).ok_or_else(mismatch)?;
    let ps = params
        .iter()
        .map(val_down)
        .collect::<Result<SmallVec<[Val<B>; 16]>>>()?;
    // The results keep their kinds: the backend reads them.
    let mut rs = results
        .iter()
        .map(val_down)
        .collect::<Result<SmallVec<[Val<B>; 4]>>>()?;
    // SAFETY: forwarded from the caller, the values converted kind for kind.
    unsafe { c.func_call_unchecked(&f, &ps, &mut rs)? };
    for (r, v) in results.iter_mut().zip(&rs) {
        *r = val_up(v);
    }
    Ok(())
}

pub(super) fn instantiate_with<B: Member, C: ContextBackend<B>>(
    c: &mut C,
    module: &AnyModule,
    imports: &[Extern<AnyEngine>],
) -> Result<AnyInstance> {
    let m = B::module_down(module).ok_or_else(mismatch)?;
    let natives = imports
        .iter()
        .map(extern_down::<B>)
        .collect::<Result<Vec<_>>>()?;
    c.instantiate(m, &natives).map(B::instance_up)
}
