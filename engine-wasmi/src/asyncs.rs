//! Async calls and async host functions on wasmi, through its resumable
//! calls: an async host function's synchronous part runs inside the guest's
//! call and returns its future as a host error ([`Pending`]); wasmi hands
//! the suspended call back (`ResumableCall::HostTrap`), the async driver
//! awaits the future and resumes the call with its results. The guest sees
//! an ordinary call. Only the call the host started can be suspended: an
//! async host function reached from a synchronous call (including a call a
//! host function makes) fails that call with `Error::Type`.

use super::*;
use slicing::Outcome;
use std::sync::Mutex;
use wasm_run_api::backend::{
    CallFuture, complete_async_host, finish_async_host, start_async_host, sync_call_of_async_host,
};
use wasm_run_api::{AsyncHostFunc, AsyncHostFuture};

/// How a host function reaches the store.
pub(crate) enum CallerKind<'a, T: 'static> {
    /// wasmi's caller, a host function's own.
    Owned(wasmi::Caller<'a, StoreData<T>>),
    /// The store without a calling instance: an async host function's
    /// completion, which the async driver runs.
    Store(wasmi::StoreContextMut<'a, StoreData<T>>),
}

impl<'a, T: 'static> NativeCaller<'a, T> {
    pub(crate) fn owned(caller: wasmi::Caller<'a, StoreData<T>>) -> Self {
        NativeCaller {
            caller: CallerKind::Owned(caller),
        }
    }
}

impl<T: 'static> CallerKind<'_, T> {
    pub(crate) fn cx(&self) -> wasmi::StoreContext<'_, StoreData<T>> {
        match self {
            CallerKind::Owned(c) => wasmi::AsContext::as_context(c),
            CallerKind::Store(s) => wasmi::AsContext::as_context(s),
        }
    }
    pub(crate) fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<T>> {
        match self {
            CallerKind::Owned(c) => wasmi::AsContextMut::as_context_mut(c),
            CallerKind::Store(s) => wasmi::AsContextMut::as_context_mut(s),
        }
    }
    pub(crate) fn data(&self) -> &StoreData<T> {
        match self {
            CallerKind::Owned(c) => c.data(),
            CallerKind::Store(s) => s.data(),
        }
    }
    pub(crate) fn data_mut(&mut self) -> &mut StoreData<T> {
        match self {
            CallerKind::Owned(c) => c.data_mut(),
            CallerKind::Store(s) => s.data_mut(),
        }
    }
    /// An export of the calling instance (none in a completion).
    pub(crate) fn export(&mut self, name: &str) -> Option<wasmi::Extern> {
        match self {
            CallerKind::Owned(c) => c.get_export(name),
            CallerKind::Store(_) => None,
        }
    }
}

/// The suspension of a call by an async host function: its future and
/// type ([`Suspension`], type-erased: wasmi's errors are not generic),
/// carried to the driver as wasmi's host error.
pub(crate) struct Pending(Mutex<Option<Box<dyn std::any::Any + Send>>>);

type Suspension<T> = (AsyncHostFuture<Wasmi, T>, Arc<FuncType>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl std::fmt::Display for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&sync_call_of_async_host(), f)
    }
}

impl wasmi::errors::HostError for Pending {}

/// Whether wasmi's error is an async host function's suspension.
pub(crate) fn is_pending(e: &wasmi::Error) -> bool {
    e.downcast_ref::<Pending>().is_some()
}

/// An async host function as a wasmi one: the synchronous part with the
/// caller, then the suspension carrying the future.
pub(crate) fn async_host<T: 'static, F: AsyncHostFunc<Wasmi, T> + Clone>(
    ty: FuncType,
    f: F,
) -> impl NativeHost<T> + Clone {
    let ty = Arc::new(ty);
    move |caller, params, _results| {
        let id = caller.data().store_id();
        refs::check_native(&caller, params).map_err(host_error)?;
        let params: ValBuf<Val<Wasmi>> = params.iter().map(|v| from_val(v, id)).collect();
        let caller = Caller::from_backend(WasmiContext(NativeCaller::owned(caller)));
        let fut = start_async_host(&f, caller, &params).map_err(host_error)?;
        let suspension: Suspension<T> = (fut, ty.clone());
        Err(wasmi::Error::host(Pending(Mutex::new(Some(Box::new(
            suspension,
        ))))))
    }
}

/// The future and type a suspension carries.
fn take<T: 'static>(trap: &wasmi::ResumableCallHostTrap) -> Result<Suspension<T>> {
    trap.host_error()
        .downcast_ref::<Pending>()
        .and_then(|p| {
            p.0.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
        })
        .and_then(|s| s.downcast::<Suspension<T>>().ok())
        .map(|s| *s)
        .ok_or_else(|| Error::Engine("a suspended call without its future".into()))
}

impl<T: Send + 'static> WasmiStore<T> {
    /// [`StoreBackend::func_call_async`] on wasmi.
    pub(crate) fn call_async<'a>(
        &'a mut self,
        f: &'a wasmi::Func,
        params: &'a [Val<Wasmi>],
        results: &'a mut [Val<Wasmi>],
    ) -> CallFuture<'a> {
        Box::pin(async move {
            let id = self.store_id();
            let ps: ValBuf<wasmi::Val> = params.iter().map(val).collect();
            let mut rs: ValBuf<wasmi::Val> = smallvec::smallvec![wasmi::Val::I32(0); results.len()];
            let r = self.run_async(f, &ps, &mut rs).await;
            self.limited(r)?;
            for (slot, v) in results.iter_mut().zip(&rs) {
                *slot = from_val(v, id);
            }
            refs::check(self.cx(), results)
        })
    }

    /// Runs the call, awaiting the futures of the async host functions it
    /// reaches.
    async fn run_async(
        &mut self,
        f: &wasmi::Func,
        ps: &[wasmi::Val],
        rs: &mut [wasmi::Val],
    ) -> Result<()> {
        let mut outcome = {
            let mut cx = self.cx_mut();
            slicing::prepare(&mut cx, true)?;
            if let Some(s) = &mut cx.data_mut().slicing {
                s.yields.start();
            }
            let started = f.call_resumable(&mut cx, ps, rs).map_err(error)?;
            slicing::drive_until(&mut cx, started, rs, false, true)?
        };
        loop {
            match outcome {
                Outcome::Finished => return Ok(()),
                // Not asked for.
                Outcome::Paused(_) => return Err(slicing::out_of_fuel()),
                Outcome::Yielded(paused) => {
                    let yielded = match &self.cx().data().slicing {
                        Some(s) => s.yields.yield_future(),
                        None => Box::pin(wasm_run_api::backend::yield_now()),
                    };
                    yielded.await;
                    outcome = slicing::continue_sliced(&mut self.cx_mut(), paused, rs)?;
                }
                Outcome::Suspended(trap) => {
                    let (fut, ty) = take::<T>(&trap)?;
                    let done = finish_async_host(fut).await?;
                    let this = &mut *self;
                    let completion = move || {
                        let this = this;
                        let store = CallerKind::Store(this.cx_mut());
                        Caller::from_backend(WasmiContext(NativeCaller { caller: store }))
                    };
                    let out = complete_async_host(done, completion, &ty)?;
                    let inputs: ValBuf<wasmi::Val> = out.iter().map(val).collect();
                    let mut cx = self.cx_mut();
                    // The watch and the fuel slice, as before any run from
                    // the host (time passed while the future waited).
                    slicing::prepare(&mut cx, false)?;
                    let resumed = trap.resume(&mut cx, &inputs, rs).map_err(error)?;
                    outcome = slicing::drive_until(&mut cx, resumed, rs, false, true)?;
                }
            }
        }
    }
}

impl<T: 'static> WasmiLinker<T> {
    /// [`LinkerBackend::func_new_async`] on wasmi.
    pub(crate) fn new_async<F: AsyncHostFunc<Wasmi, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        let native = func_type(&ty)?;
        self.define_native(module, name, native, async_host(ty, Shared(Arc::new(f))))
    }
}
