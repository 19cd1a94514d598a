//! Host functions: wasm-run's closures as wasmtime host functions (untyped,
//! untyped over raw slots for numeric types, typed).

use super::*;

pub(crate) fn untyped_host<T: 'static, F: UntypedHostFunc<Wasmtime, T>>(
    ty: FuncType,
    f: F,
) -> impl Fn(wt::Caller<'_, StoreData<T>>, &[wt::Val], &mut [wt::Val]) -> wt::Result<()>
+ Send
+ Sync
+ 'static {
    move |caller, params, results| {
        let id = caller.data().id;
        let caller = Caller::from_backend(WasmtimeContext(NativeCaller { caller }));
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
        let caller = Caller::from_backend(WasmtimeContext(NativeCaller { caller }));
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
                Caller::from_backend(WasmtimeContext(NativeCaller { caller })),
                params,
            )
            .map_err(host_error)?;
        results.store(&mut Raw(raw));
        Ok(())
    }
}
