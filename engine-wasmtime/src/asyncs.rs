//! Async calls and async host functions on wasmtime: its own machinery
//! (`Func::call_async` runs the guest on a fiber; an async host function's
//! future suspends the fiber).

use super::*;
use wasm_run_api::backend::{
    CallFuture, InstanceFuture, complete_async_host, finish_async_host, start_async_host,
    sync_call_of_async_host,
};
use wasm_run_api::{AsyncHostFunc, Val};

impl<T: 'static> WasmtimeStore<T> {
    /// [`StoreBackend::func_call_async`] on wasmtime.
    pub(crate) fn call_async<'a>(
        &'a mut self,
        f: &'a wt::Func,
        params: &'a [Val<Wasmtime>],
        results: &'a mut [Val<Wasmtime>],
    ) -> CallFuture<'a>
    where
        T: Send,
    {
        Box::pin(async move {
            let id = self.native_data().store_id();
            // The guest runs on the fiber's stack: no native-stack check.
            self.begin_watch()?;
            self.native_data_mut().asyncs.on_fiber = true;
            if let Some(stops) = &mut self.native_data_mut().stops
                && let Some(at) = stops.yields.start()
            {
                stops.ticker.tick_at(at);
            }
            // Small buffers: the future holds them across its awaits, and
            // a large future costs a copy every time it moves.
            let ps: AsyncBuf<wt::Val> = params.iter().map(val).collect();
            let mut rs: AsyncBuf<wt::Val> = smallvec::smallvec![wt::Val::I32(0); results.len()];
            let r = f.call_async(self.cx_mut(), &ps, &mut rs).await;
            self.native_data_mut().asyncs.on_fiber = false;
            if let Some(stops) = &mut self.native_data_mut().stops {
                stops.yields.stop();
            }
            r.map_err(call_error)?;
            for (slot, v) in results.iter_mut().zip(&rs) {
                *slot = from_val(v, id)?;
            }
            Ok(())
        })
    }
}

/// Values kept across an await.
type AsyncBuf<V> = smallvec::SmallVec<[V; 4]>;

/// A store's async state (in its `StoreData`).
#[derive(Default)]
pub(crate) struct AsyncState {
    /// Whether wasmtime's fuel yields were turned on (`set_yield_policy`).
    pub(crate) fuel_yields: bool,
    /// Whether wasmtime requires async calls in this store (it has async
    /// host functions or fuel yields; wasmtime's flag is not public).
    pub(crate) async_only: bool,
    /// Whether an async call of this store may be running (its guest on
    /// wasmtime's fiber): set when one starts, cleared when it ends or at
    /// the next call from the store itself (a dropped call's future).
    pub(crate) on_fiber: bool,
}

/// What wasmtime's async host functions return.
type NativeFuture<'a> = Box<dyn std::future::Future<Output = wt::Result<()>> + Send + 'a>;

/// An async host function as a wasmtime one: the synchronous part with the
/// caller, then the future (which holds no borrow of the store), then the
/// results written back.
pub(crate) fn async_host<T: Send + 'static, F: AsyncHostFunc<Wasmtime, T>>(
    ty: FuncType,
    f: F,
) -> impl for<'a> Fn(wt::Caller<'a, StoreData<T>>, &'a [wt::Val], &'a mut [wt::Val]) -> NativeFuture<'a>
+ Send
+ Sync
+ 'static {
    let ty = std::sync::Arc::new(ty);
    move |mut caller, params, results| {
        let id = caller.data().store_id();
        let ty = ty.clone();
        // The synchronous part borrows the caller; the future keeps it for
        // the completion.
        let started = params
            .iter()
            .map(|v| from_val(v, id))
            .collect::<Result<ValBuf<_>>>()
            .and_then(|params| {
                let lent = host::CallerKind::Lent(&mut caller);
                let lent = Caller::from_backend(WasmtimeContext(NativeCaller { caller: lent }));
                start_async_host(&f, lent, &params)
            });
        Box::new(async move {
            let done = finish_async_host(started.map_err(host_error)?)
                .await
                .map_err(host_error)?;
            let caller = &mut caller;
            let completion = move || {
                let caller = caller;
                let store = host::CallerKind::Store(wt::AsContextMut::as_context_mut(caller));
                Caller::from_backend(WasmtimeContext(NativeCaller { caller: store }))
            };
            let out = complete_async_host(done, completion, &ty).map_err(host_error)?;
            for (slot, v) in results.iter_mut().zip(&out) {
                *slot = val(v);
            }
            Ok(())
        })
    }
}

impl<T: 'static> WasmtimeLinker<T> {
    /// [`LinkerBackend::func_new_async`] on wasmtime.
    pub(crate) fn new_async<F: AsyncHostFunc<Wasmtime, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()>
    where
        T: Send,
    {
        let native = func_type(&self.engine, &ty);
        self.linker
            .func_new_async(module, name, native, async_host(ty, f))
            .map_err(|e| define_error(module, name, e))?;
        self.has_async = true;
        Ok(())
    }
}

impl<T: Send + 'static> WasmtimeLinker<T> {
    /// [`LinkerBackend::instantiate_async`] on wasmtime.
    pub(crate) fn instantiate_async_native<'a>(
        &'a self,
        store: &'a mut WasmtimeStore<T>,
        module: &'a wt::Module,
    ) -> InstanceFuture<'a, Wasmtime> {
        Box::pin(async move {
            store.begin_watch()?;
            let data = store.native_data_mut();
            data.asyncs.on_fiber = true;
            data.asyncs.async_only |= self.has_async;
            let store = &mut store.0.store;
            same_engine(module, store.engine())?;
            store.data_mut().limits.admit(module)?;
            let r = self
                .linker
                .instantiate_async(&mut *store, module)
                .await
                .map_err(instantiate_error);
            store.data_mut().asyncs.on_fiber = false;
            store.data_mut().limits.admitted(module, r)
        })
    }
}

/// What running code does at an epoch change that did not stop it: an
/// async call whose yield is due gives the executor a turn; otherwise it
/// continues.
pub(crate) fn after_epoch(stops: &mut StoreStops) -> wt::UpdateDeadline {
    match stops.yields.due() {
        // wasmtime counts the next deadline from the epoch at resumption, so
        // the tick that brings the next yield is asked for then (one asked
        // for now may be spent while other stores run).
        Some(_) => {
            let ticker = stops.ticker.clone();
            let every = stops.yields.interval().unwrap_or_default();
            wt::UpdateDeadline::YieldCustom(1, {
                let yielded = stops.yields.yield_future();
                Box::pin(async move {
                    yielded.await;
                    ticker.tick_at(std::time::Instant::now() + every);
                })
            })
        }
        None => {
            // Not due yet: the epoch must move again at the next yield
            // instant.
            if let Some(next) = stops.yields.next() {
                stops.ticker.tick_at(next);
            }
            wt::UpdateDeadline::Continue(1)
        }
    }
}

/// [`StoreBackend::set_yield_policy`] on wasmtime: time through the epoch
/// callback ([`after_epoch`]), fuel through wasmtime's own
/// `fuel_async_yield_interval` (which makes the store take async calls
/// only, and yields its own way).
pub(crate) fn set_yield_policy<T: 'static>(
    store: &mut WasmtimeStore<T>,
    policy: wasm_run_api::YieldPolicy,
) -> Result<()> {
    if policy.interval().is_some() && store.native_data().stops.is_none() {
        return Err(Error::unsupported(Feature::Deadline, Wasmtime::NAME));
    }
    let fuel = store.cx().get_fuel().is_ok();
    if policy.fuel_interval().is_some() && !fuel {
        return Err(Error::unsupported(Feature::Fuel, Wasmtime::NAME));
    }
    // wasmtime makes a store async-only whenever this is called, even to
    // clear it: only when a fuel interval is or was set.
    if fuel && (policy.fuel_interval().is_some() || store.native_data().asyncs.fuel_yields) {
        store
            .cx_mut()
            .fuel_async_yield_interval(policy.fuel_interval())
            .map_err(error)?;
        let data = store.native_data_mut();
        data.asyncs.fuel_yields = policy.fuel_interval().is_some();
        // wasmtime's async-only flag stays once set.
        data.asyncs.async_only = true;
    }
    if let Some(stops) = &mut store.native_data_mut().stops {
        stops.yields.set(policy);
    }
    Ok(())
}

/// wasm-run's own check before a synchronous call (or instantiation), as
/// wasmtime makes it in `Func::call` but not in the raw `call_unchecked`
/// that wasm-run's typed calls use: a store that requires async calls takes
/// none, and a host function running inside an async call (on wasmtime's
/// fiber) cannot make one — the epoch yield or an async host function
/// would suspend the fiber inside a synchronous frame.
///
/// With `on_fiber`, a call from a host function inside an async call is
/// allowed (in a store that requires async calls too: it runs on the
/// fiber): for wasm-run's own calls whose native frames are all `Send`
/// (the component layer's `realloc` and `post-return` through
/// `func_call_unchecked`), so that a suspension of the fiber inside them
/// cannot carry `!Send` data to another thread.
#[inline(always)]
pub(crate) fn check_sync_call<C: NativeContext>(
    data: &mut AsyncState,
    on_fiber: bool,
) -> Result<()> {
    // The common case (no async in this store, or none running) reads two
    // flags and writes nothing.
    if !(data.async_only | data.on_fiber) {
        return Ok(());
    }
    check_sync_call_slow::<C>(data, on_fiber)
}

#[cold]
fn check_sync_call_slow<C: NativeContext>(data: &mut AsyncState, on_fiber: bool) -> Result<()> {
    if on_fiber && !C::TOP && data.on_fiber {
        return Ok(());
    }
    if data.async_only {
        return Err(Error::Type(
            "this store takes async calls only (it has async host functions or fuel yields): \
             use call_async / instantiate_async"
                .into(),
        ));
    }
    if C::TOP {
        // No future holds the store: an async call's is gone.
        data.on_fiber = false;
    } else {
        return Err(Error::Type(
            "a synchronous call from a host function inside an async call: \
             wasmtime cannot run it on the call's fiber (on wasmtime, a host function \
             cannot call back into wasm during call_async)"
                .into(),
        ));
    }
    Ok(())
}

/// What wasmtime 48's refusal of a synchronous call or instantiation in a
/// store with async host functions says (it has no type of its own): the
/// test below fails when wasmtime changes it.
const SYNC_REFUSED: &str = "requires that `*_async` functions are used";

/// wasmtime's refusal of a synchronous call or instantiation in a store
/// that has async host functions, as the API's error.
pub(crate) fn sync_refusal(e: Error) -> Error {
    match &e {
        Error::Engine(text) if text.contains(SYNC_REFUSED) => sync_call_of_async_host(),
        _ => e,
    }
}

#[cfg(test)]
mod message_tests {
    /// A synchronous instantiation in a store whose linker has an async
    /// host function: wasmtime's refusal still contains `SYNC_REFUSED`.
    #[test]
    fn wasmtime_still_refuses_sync_calls_in_these_words() {
        let engine = wasmtime::Engine::default();
        let module =
            wasmtime::Module::new(&engine, r#"(module (import "h" "f" (func)) (start 0))"#)
                .expect("module");
        let mut linker = wasmtime::Linker::new(&engine);
        linker
            .func_wrap_async("h", "f", |_: wasmtime::Caller<'_, ()>, (): ()| {
                Box::new(async {})
            })
            .expect("define");
        let mut store = wasmtime::Store::new(&engine, ());
        let e = linker
            .instantiate(&mut store, &module)
            .expect_err("refused");
        assert!(
            format!("{e:#}").contains(super::SYNC_REFUSED),
            "wasmtime's message changed: `{e:#}` (update SYNC_REFUSED)"
        );
    }
}
