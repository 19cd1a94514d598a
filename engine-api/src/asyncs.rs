//! Async calls and async host functions: a guest's call is a future, and a
//! host function can await a future of its own while the guest waits, so
//! one thread (an async executor's) serves many guests.
//!
//! The borrow story: an async host function has a synchronous part, which
//! gets the [`Caller`] (the store, the calling instance's exports) and the
//! arguments, and returns a [`HostFuture`]: `Send + 'static`, so it holds
//! no borrow of the store (copy what it needs out of memory in the
//! synchronous part), and its output is the function's results. The
//! library depends on no async runtime; any executor drives the futures.

use crate::Engine;
use crate::error::{Error, Result};
use crate::host::{ForeignContext, panic_message};
use crate::store::Caller;
use crate::val::{Val, WasmTyList};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

/// What an async host function's synchronous part returns: a future that
/// holds no borrow of the store (`'static`), can move between threads
/// (`Send`), and gives the function's results (one value per result type,
/// checked when it finishes).
pub type HostFuture<E> = Pin<Box<dyn Future<Output = Result<Vec<Val<E>>>> + Send + 'static>>;

/// The future of an async call in the backend contract
/// ([`StoreBackend::func_call_async`](crate::backend::StoreBackend::func_call_async)).
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// The future of an async instantiation in the backend contract
/// ([`LinkerBackend::instantiate_async`](crate::backend::LinkerBackend::instantiate_async)).
pub type InstanceFuture<'a, E> =
    Pin<Box<dyn Future<Output = Result<<E as Engine>::Instance>> + Send + 'a>>;

/// A completion: what runs with the store once an async host function's
/// future is done ([`Linker::func_new_async_then`](crate::Linker::func_new_async_then)),
/// giving the function's results. Its [`Caller`] has no calling instance
/// (`get_export` answers `None`): take handles (a [`Memory`](crate::Memory),
/// a [`Func`](crate::Func)) in the synchronous part and use them here.
pub type Completion<E, T> =
    Box<dyn for<'a> FnOnce(Caller<'a, E, T>) -> Result<Vec<Val<E>>> + Send + 'static>;

/// How an async host function's future ends (backend contract).
pub enum AsyncDone<E: Engine, T: 'static> {
    /// Its results.
    Results(Vec<Val<E>>),
    /// A completion to run with the store, which gives the results.
    Complete(Completion<E, T>),
}

/// The future of an async host function in the backend contract.
pub type AsyncHostFuture<E, T> =
    Pin<Box<dyn Future<Output = Result<AsyncDone<E, T>>> + Send + 'static>>;

/// An async host function in the backend contract (see
/// [`Linker::func_new_async`](crate::Linker::func_new_async)): parameters as
/// [`Val`]s; the synchronous part returns the
/// future of its results. Users define one with
/// [`Linker::func_new_async`](crate::Linker::func_new_async) from a closure.
pub trait AsyncHostFunc<E: Engine, T: 'static>: Send + Sync + 'static {
    /// The synchronous part.
    ///
    /// # Errors
    ///
    /// Whatever the closure answers; it fails the guest's call.
    fn call(&self, caller: Caller<'_, E, T>, params: &[Val<E>]) -> Result<AsyncHostFuture<E, T>>;
}

/// A closure as an [`AsyncHostFunc`] (its future boxed).
pub struct AsyncFn<F>(pub F);

impl<E, T, F, Fut> AsyncHostFunc<E, T> for AsyncFn<F>
where
    E: Engine,
    T: 'static,
    F: Fn(Caller<'_, E, T>, &[Val<E>]) -> Result<Fut> + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<Val<E>>>> + Send + 'static,
{
    fn call(&self, caller: Caller<'_, E, T>, params: &[Val<E>]) -> Result<AsyncHostFuture<E, T>> {
        let fut = (self.0)(caller, params)?;
        Ok(Box::pin(async move { fut.await.map(AsyncDone::Results) }))
    }
}

/// A closure whose future ends in a completion, as an [`AsyncHostFunc`].
pub struct AsyncThenFn<F>(pub F);

impl<E, T, F, Fut, C> AsyncHostFunc<E, T> for AsyncThenFn<F>
where
    E: Engine,
    T: 'static,
    F: Fn(Caller<'_, E, T>, &[Val<E>]) -> Result<Fut> + Send + Sync + 'static,
    Fut: Future<Output = Result<C>> + Send + 'static,
    C: for<'a> FnOnce(Caller<'a, E, T>) -> Result<Vec<Val<E>>> + Send + 'static,
{
    fn call(&self, caller: Caller<'_, E, T>, params: &[Val<E>]) -> Result<AsyncHostFuture<E, T>> {
        let fut = (self.0)(caller, params)?;
        Ok(Box::pin(async move {
            let complete = fut.await?;
            Ok(AsyncDone::Complete(Box::new(complete) as Completion<E, T>))
        }))
    }
}

impl<E: Engine, T: 'static, F: AsyncHostFunc<E, T>> AsyncHostFunc<E, T> for crate::host::Shared<F> {
    fn call(&self, caller: Caller<'_, E, T>, params: &[Val<E>]) -> Result<AsyncHostFuture<E, T>> {
        self.0.call(caller, params)
    }
}

/// Runs `f`'s synchronous part, catching a panic as [`Error::HostPanic`].
///
/// # Errors
///
/// The closure's error, or [`Error::HostPanic`].
pub fn start_async_host<E: Engine, T: 'static>(
    f: &impl AsyncHostFunc<E, T>,
    caller: Caller<'_, E, T>,
    params: &[Val<E>],
) -> Result<AsyncHostFuture<E, T>> {
    crate::host::catch_host_panic(|| f.call(caller, params))
}

/// Polls `fut` to its end, a panic in it becoming [`Error::HostPanic`].
/// Then [`complete_async_host`].
///
/// # Errors
///
/// The future's error, or [`Error::HostPanic`].
pub async fn finish_async_host<E: Engine, T: 'static>(
    mut fut: AsyncHostFuture<E, T>,
) -> Result<AsyncDone<E, T>> {
    std::future::poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(payload) if payload.is::<ForeignContext>() => Poll::Ready(Err(Error::WrongStore)),
            Err(payload) => Poll::Ready(Err(Error::HostPanic(panic_message(payload)))),
        },
    )
    .await
}

/// The results of a finished async host function: its own, or its
/// completion's, run with the caller `caller` makes (one without a calling
/// instance, over the store); checked against `ty`.
///
/// # Errors
///
/// The completion's error, [`Error::HostPanic`] if it panics, or
/// [`Error::Type`] for results of the wrong number or types.
pub fn complete_async_host<'a, E: Engine, T: 'static>(
    done: AsyncDone<E, T>,
    caller: impl FnOnce() -> Caller<'a, E, T>,
    ty: &crate::FuncType,
) -> Result<Vec<Val<E>>> {
    let results = match done {
        AsyncDone::Results(results) => results,
        AsyncDone::Complete(complete) => crate::host::catch_host_panic(|| complete(caller()))?,
    };
    if results.len() != ty.results().len() {
        return Err(Error::Type(format!(
            "an async host function gave {} results, its type has {}",
            results.len(),
            ty.results().len()
        )));
    }
    for (i, (v, t)) in results.iter().zip(ty.results()).enumerate() {
        if !v.matches(t) {
            return Err(Error::Type(format!(
                "async host function result {i} is {}, expected {t}",
                v.ty()
            )));
        }
    }
    Ok(results)
}

/// The error for a synchronous call that reached an async host function.
pub fn sync_call_of_async_host() -> Error {
    Error::Type(
        "an async host function was called from a synchronous call (use Func::call_async)".into(),
    )
}

impl<E: Engine> crate::Func<E> {
    /// Calls the function as a future: async host functions on the way
    /// ([`Linker::func_new_async`](crate::Linker::func_new_async)) suspend
    /// the call while their futures wait, so the executor runs other tasks
    /// meanwhile. Executor-agnostic (tokio, async-std, a hand-made one).
    /// Dropping the future before it finishes abandons the call: the store
    /// stays usable, and what the guest had done to its instance until then
    /// (memory writes, globals) stays done.
    ///
    /// ```
    /// # use wasm_run_api::{Engine, Linker, Module, Store, Val, FuncType, ValType};
    /// # fn demo<E: Engine>(engine: &E) -> wasm_run_api::Result<()> where E::Store<()>: Send {
    /// let module = Module::new(engine, r#"(module
    ///     (import "host" "double" (func $d (param i32) (result i32)))
    ///     (func (export "run") (param i32) (result i32)
    ///         (i32.add (call $d (local.get 0)) (i32.const 1))))"#)?;
    /// let mut linker = Linker::new(engine);
    /// let ty = FuncType::new([ValType::I32], [ValType::I32]);
    /// linker.func_new_async("host", "double", ty, |_caller, params| {
    ///     let Some(Val::I32(x)) = params.first().cloned() else { unreachable!() };
    ///     // The future owns what it needs; it could await a timer or a socket.
    ///     Ok(async move { Ok(vec![Val::I32(x * 2)]) })
    /// })?;
    /// let mut store = Store::new(engine, ());
    /// let instance = linker.instantiate(&mut store, &module)?;
    /// let run = instance.get_func(&mut store, "run").unwrap();
    /// let mut out = [Val::I32(0)];
    /// // Any executor drives it; this one is a minimal block_on.
    /// block_on(run.call_async(&mut store, &[Val::I32(20)], &mut out))?;
    /// assert_eq!(out[0], Val::I32(41));
    /// # Ok(()) }
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Those of [`Func::call`](crate::Func::call); an async host function's
    /// error (from its synchronous part or its future) unchanged, and
    /// [`Error::HostPanic`] if either panics.
    pub async fn call_async<T: Send + 'static>(
        &self,
        store: &mut crate::Store<E, T>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()>
    where
        E::Store<T>: Send,
    {
        use crate::backend::{ContextBackend, StoreBackend};
        let engine = store.engine();
        if !engine.features().contains(crate::Feature::Async) {
            return Err(Error::unsupported(crate::Feature::Async, engine.name()));
        }
        let id = store.id();
        let f = self.native_in(id)?;
        crate::handles::check_vals_owner(params, id)?;
        let backend = store.backend_mut();
        match backend.func_call_async(&f, params, results).await {
            Err(Error::Engine(text)) => {
                let ty = backend.func_ty(&f);
                Err(crate::handles::check_call(&ty, params, results)
                    .err()
                    .unwrap_or(Error::Engine(text)))
            }
            other => other,
        }
    }
}

impl<E: Engine, T: Send + 'static> crate::Linker<E, T> {
    /// Defines `module::name` as an async host function of type `ty`: `f`
    /// is the synchronous part, with the caller and the arguments; its
    /// `Send + 'static` future (e.g. an `async move` block owning what it
    /// uses) gives the results. The future holds no borrow of the store:
    /// read what it needs (e.g. guest memory) in the synchronous part. See
    /// [`Func::call_async`](crate::Func::call_async) for an example. Only
    /// async calls may reach it: a synchronous call that does is
    /// [`Error::Type`].
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] with [`LinkError::Duplicate`](crate::LinkError::Duplicate)
    ///   if `module::name` is defined already and shadowing is off.
    /// - [`Error::Unsupported`] for [`Feature::Async`](crate::Feature::Async)
    ///   on a backend without async support.
    pub fn func_new_async<F, Fut>(
        &mut self,
        module: &str,
        name: &str,
        ty: crate::FuncType,
        f: F,
    ) -> Result<&mut Self>
    where
        F: Fn(Caller<'_, E, T>, &[Val<E>]) -> Result<Fut> + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Val<E>>>> + Send + 'static,
    {
        self.define_async(module, name, ty, AsyncFn(f))
    }

    /// Defines `module::name` as an async host function whose future ends
    /// in a synchronous **completion** with the store: `f` is the
    /// synchronous part (the caller and the arguments), its `Send + 'static`
    /// future does the waiting, and the closure the future gives runs once
    /// it is done, with a [`Caller`] over the store, and gives the results —
    /// the place to write what the future fetched into guest memory. The
    /// completion's caller has no calling instance (`get_export` answers
    /// `None`): take the handles it needs in the synchronous part.
    ///
    /// ```
    /// # use wasm_run_api::*;
    /// # fn define<E: Engine>(linker: &mut Linker<E, ()>) -> Result<()> {
    /// // `read(ptr, len) -> n`: fetch bytes, then copy them into the guest.
    /// let ty = FuncType::new([ValType::I32, ValType::I32], [ValType::I32]);
    /// linker.func_new_async_then("host", "read", ty, |mut caller, params| {
    ///     let memory = caller.get_memory("memory").ok_or(Error::host("no memory"))?;
    ///     let (ptr, len) = (params[0].i32().unwrap_or(0), params[1].i32().unwrap_or(0));
    ///     Ok(async move {
    ///         let data = b"fetched".to_vec(); // e.g. a socket read
    ///         Ok(move |mut cx: Caller<'_, E, ()>| {
    ///             let n = data.len().min(len.max(0) as usize);
    ///             memory.write(&mut cx, ptr as usize, &data[..n])?;
    ///             Ok(vec![Val::I32(n as i32)])
    ///         })
    ///     })
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Those of [`Linker::func_new_async`](crate::Linker::func_new_async).
    /// At run time, the completion's error fails the guest's call, its
    /// panic is [`Error::HostPanic`], and results of the wrong number or
    /// types are [`Error::Type`].
    pub fn func_new_async_then<F, Fut, C>(
        &mut self,
        module: &str,
        name: &str,
        ty: crate::FuncType,
        f: F,
    ) -> Result<&mut Self>
    where
        F: Fn(Caller<'_, E, T>, &[Val<E>]) -> Result<Fut> + Send + Sync + 'static,
        Fut: Future<Output = Result<C>> + Send + 'static,
        C: for<'a> FnOnce(Caller<'a, E, T>) -> Result<Vec<Val<E>>> + Send + 'static,
    {
        self.define_async(module, name, ty, AsyncThenFn(f))
    }

    fn define_async(
        &mut self,
        module: &str,
        name: &str,
        ty: crate::FuncType,
        f: impl AsyncHostFunc<E, T>,
    ) -> Result<&mut Self> {
        use crate::backend::LinkerBackend;
        if let Some(engine) = self.async_off {
            return Err(Error::Unsupported {
                feature: crate::Feature::Async,
                engine,
            });
        }
        let ext = crate::ExternType::Func(ty.clone());
        self.defining(module, name, ext, |l| l.func_new_async(module, name, ty, f))?;
        Ok(self)
    }

    /// Instantiates `module` in `store` like
    /// [`Linker::instantiate`](crate::Linker::instantiate), as a future: the
    /// way to instantiate when the linker has async host functions (on
    /// wasmtime a synchronous instantiation is refused then, and a start
    /// function may call them).
    ///
    /// # Errors
    ///
    /// Those of [`Linker::instantiate`](crate::Linker::instantiate).
    pub async fn instantiate_async(
        &self,
        store: &mut crate::Store<E, T>,
        module: &crate::Module<E>,
    ) -> Result<crate::Instance<E>>
    where
        E::Linker<T>: Sync,
        E::Store<T>: Send,
    {
        use crate::backend::LinkerBackend;
        let id = store.id();
        if self.owners.iter().any(|&owner| owner != id) {
            return Err(Error::WrongStore);
        }
        let r = self
            .inner
            .instantiate_async(store.backend_mut(), module.as_native())
            .await;
        match r {
            Ok(native) => Ok(crate::Instance::from_native(native, module, id)),
            Err(err @ (Error::Link(_) | Error::Engine(_))) => {
                Err(crate::host::guard(|| Ok(self.diagnose(store, module)))
                    .ok()
                    .flatten()
                    .unwrap_or(err))
            }
            Err(err) => Err(err),
        }
    }
}

impl<E: Engine, P: WasmTyList, R: WasmTyList> crate::TypedFunc<E, P, R> {
    /// Calls the function as a future, like
    /// [`Func::call_async`](crate::Func::call_async) with Rust values.
    ///
    /// # Errors
    ///
    /// Those of [`Func::call_async`](crate::Func::call_async).
    pub async fn call_async<T: Send + 'static>(
        &self,
        store: &mut crate::Store<E, T>,
        params: P,
    ) -> Result<R>
    where
        E::Store<T>: Send,
    {
        // Small buffers: this future holds them across its await.
        let mut ps: smallvec::SmallVec<[Val<E>; 4]> =
            smallvec::SmallVec::from_elem(Val::I32(0), P::LEN);
        params.store(&mut ps[..]);
        let mut rs: smallvec::SmallVec<[Val<E>; 4]> =
            smallvec::SmallVec::from_elem(Val::I32(0), R::LEN);
        self.func().call_async(store, &ps, &mut rs).await?;
        Ok(R::load(&rs[..]))
    }
}

impl<E: Engine, T: Send + 'static> crate::Linker<E, T> {
    /// Defines `module::name` as a typed async host function: `f` gets the
    /// caller and the arguments as Rust values (`P`, a number or a tuple of
    /// them) and returns a `Send + 'static` future of the results (`R`), as
    /// [`Linker::func_new_async`](crate::Linker::func_new_async) does with
    /// [`Val`]s.
    ///
    /// # Errors
    ///
    /// Those of [`Linker::func_new_async`](crate::Linker::func_new_async).
    pub fn func_wrap_async<P, R, F, Fut>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<&mut Self>
    where
        P: WasmTyList,
        R: WasmTyList,
        F: Fn(Caller<'_, E, T>, P) -> Result<Fut> + Send + Sync + 'static,
        Fut: Future<Output = Result<R>> + Send + 'static,
    {
        let ty = crate::FuncType::new(P::types(), R::types());
        self.func_new_async(module, name, ty, move |caller, params| {
            let fut = f(caller, P::load(params))?;
            Ok(async move { Ok(results_of(fut.await?)) })
        })
    }
}

impl<E: Engine, T: Send + 'static> crate::Linker<E, T> {
    /// [`Linker::func_new_async_then`](crate::Linker::func_new_async_then)
    /// with Rust values: `f` gets the arguments as `P`, and the completion
    /// its future gives returns `R`.
    ///
    /// # Errors
    ///
    /// Those of [`Linker::func_new_async_then`](crate::Linker::func_new_async_then).
    pub fn func_wrap_async_then<P, R, F, Fut, C>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<&mut Self>
    where
        P: WasmTyList,
        R: WasmTyList,
        F: Fn(Caller<'_, E, T>, P) -> Result<Fut> + Send + Sync + 'static,
        Fut: Future<Output = Result<C>> + Send + 'static,
        C: for<'a> FnOnce(Caller<'a, E, T>) -> Result<R> + Send + 'static,
    {
        let ty = crate::FuncType::new(P::types(), R::types());
        self.func_new_async_then(module, name, ty, move |caller, params| {
            let fut = f(caller, P::load(params))?;
            Ok(async move {
                let complete = fut.await?;
                Ok(move |caller: Caller<'_, E, T>| Ok(results_of(complete(caller)?)))
            })
        })
    }
}

/// A typed host function's results as [`Val`]s.
fn results_of<E: Engine, R: WasmTyList>(results: R) -> Vec<Val<E>> {
    let mut out = vec![Val::I32(0); R::LEN];
    results.store(&mut out[..]);
    out
}

/// How a yield gives the executor its turn (see [`YieldPolicy::yield_with`]).
pub type YieldFn = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// When a guest running under an async call gives control back to the
/// executor, and how ([`Store::set_yield_policy`](crate::Store::set_yield_policy)).
///
/// ```
/// # use std::time::Duration;
/// use wasm_run_api::YieldPolicy;
/// // At least every millisecond of running code, and every million units
/// // of fuel, through the executor's own yield.
/// let policy = YieldPolicy::new()
///     .every(Duration::from_millis(1))
///     .every_fuel(1_000_000)
///     .yield_with(|| async { /* e.g. tokio::task::yield_now().await */ });
/// assert_eq!(policy.interval(), Some(Duration::from_millis(1)));
/// assert_eq!(policy.fuel_interval(), Some(1_000_000));
/// ```
#[derive(Clone, Default)]
pub struct YieldPolicy {
    every: Option<std::time::Duration>,
    fuel: Option<u64>,
    with: Option<YieldFn>,
}

impl std::fmt::Debug for YieldPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YieldPolicy")
            .field("every", &self.every)
            .field("fuel", &self.fuel)
            .field("yield_with", &self.with.as_ref().map(|_| ".."))
            .finish()
    }
}

impl YieldPolicy {
    /// No yields (the default).
    pub fn new() -> Self {
        Self::default()
    }
    /// Yield at least every `every` of running guest code (needs
    /// [`Feature::Deadline`](crate::Feature::Deadline) or
    /// [`Feature::Interrupt`](crate::Feature::Interrupt) on: the machinery
    /// that gets control back from running code).
    pub fn every(mut self, every: std::time::Duration) -> Self {
        self.every = Some(every);
        self
    }
    /// Yield every `units` of fuel the guest consumes (needs fuel on:
    /// [`Config::fuel`](crate::Config::fuel)). Fuel does not count time spent
    /// in host functions; combine it with [`YieldPolicy::every`] for a bound
    /// in time too.
    pub fn every_fuel(mut self, units: u64) -> Self {
        self.fuel = Some(units.max(1));
        self
    }
    /// How a yield gives the executor its turn: by default a future that is
    /// pending once and wakes itself at once, which any executor understands.
    /// An executor may run self-waking tasks before it looks at its timers
    /// and sockets again — tokio's current-thread runtime does so for 61
    /// turns — so on tokio pass `|| tokio::task::yield_now()`, which lets
    /// the runtime poll its drivers first. (wasmtime's own fuel yields,
    /// which [`YieldPolicy::every_fuel`] uses there, always use the default.)
    pub fn yield_with<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.with = Some(Arc::new(move || Box::pin(f())));
        self
    }
    /// The time interval, if set.
    pub fn interval(&self) -> Option<std::time::Duration> {
        self.every
    }
    /// The fuel interval, if set.
    pub fn fuel_interval(&self) -> Option<u64> {
        self.fuel
    }
    /// Whether any yield is asked for.
    pub fn is_on(&self) -> bool {
        self.every.is_some() || self.fuel.is_some()
    }
}

/// When a guest running under an async call gives control back to the
/// executor ([`Store::set_yield_policy`](crate::Store::set_yield_policy)):
/// the per-store clock both backends keep (a backend helper).
#[derive(Debug, Default)]
pub struct YieldClock {
    policy: YieldPolicy,
    next: Option<std::time::Instant>,
    /// Fuel still to consume before the next fuel yield.
    fuel_left: u64,
    active: bool,
}

impl YieldClock {
    /// Sets the policy.
    pub fn set(&mut self, policy: YieldPolicy) {
        self.policy = policy;
    }
    /// The policy.
    pub fn policy(&self) -> &YieldPolicy {
        &self.policy
    }
    /// The time interval, if set.
    pub fn interval(&self) -> Option<std::time::Duration> {
        self.policy.every
    }
    /// An async call starts: the first instant to yield at, if any (a
    /// backend with a timer wakes the running code then).
    pub fn start(&mut self) -> Option<std::time::Instant> {
        self.active = true;
        self.next = self.policy.every.map(|e| std::time::Instant::now() + e);
        self.fuel_left = self.policy.fuel.unwrap_or(0);
        self.next
    }
    /// A synchronous call starts, or the async one ended: no yields.
    pub fn stop(&mut self) {
        self.active = false;
    }
    /// The instant of the next yield, while an async call runs.
    pub fn next(&self) -> Option<std::time::Instant> {
        if self.active { self.next } else { None }
    }
    /// Whether the running async call yields now by time; if so, the next
    /// instant to yield at.
    pub fn due(&mut self) -> Option<std::time::Instant> {
        if !self.active {
            return None;
        }
        let (every, next) = (self.policy.every?, self.next?);
        let now = std::time::Instant::now();
        if now < next {
            return None;
        }
        self.next = Some(now + every);
        self.next
    }
    /// For a backend that meters fuel itself: the running async call has
    /// consumed `units` more; whether its fuel yield is due (then the count
    /// starts again).
    pub fn consumed(&mut self, units: u64) -> bool {
        let Some(every) = self.policy.fuel.filter(|_| self.active) else {
            return false;
        };
        if units < self.fuel_left {
            self.fuel_left -= units;
            return false;
        }
        self.fuel_left = every;
        true
    }
    /// The future of one yield: the policy's own, or [`yield_now`].
    pub fn yield_future(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        match &self.policy.with {
            Some(f) => f(),
            None => Box::pin(yield_now()),
        }
    }
}

/// A future that is pending once (waking itself at once): gives the
/// executor a turn.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

impl<E: Engine, T: 'static> crate::Store<E, T> {
    /// Makes calls of this store made with
    /// [`Func::call_async`](crate::Func::call_async) give control back to
    /// the executor at least every `every` of running guest code (the call's
    /// future is pending once, then continues), so a long guest does not
    /// starve the other tasks of its thread; `None` turns it off (the
    /// default). Synchronous calls are not affected. Deadlines, interrupts
    /// and fuel keep working inside async calls. The same as
    /// [`Store::set_yield_policy`](crate::Store::set_yield_policy) with
    /// [`YieldPolicy::every`].
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for [`Feature::Deadline`](crate::Feature::Deadline)
    /// unless the engine has [`Feature::Deadline`](crate::Feature::Deadline)
    /// or [`Feature::Interrupt`](crate::Feature::Interrupt) on (the machinery
    /// that gets control back from running code), or for
    /// [`Feature::Async`](crate::Feature::Async) on a backend without async
    /// calls.
    pub fn set_yield_interval(&mut self, every: Option<std::time::Duration>) -> Result<()> {
        let policy = YieldPolicy::new();
        self.set_yield_policy(match every {
            Some(every) => policy.every(every),
            None => policy,
        })
    }
    /// Sets when async calls of this store give control back to the
    /// executor, by time and/or fuel, and how ([`YieldPolicy`]);
    /// `YieldPolicy::new()` turns yielding off.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for [`Feature::Deadline`](crate::Feature::Deadline)
    /// when the policy has a time interval and the engine has neither
    /// [`Feature::Deadline`](crate::Feature::Deadline) nor
    /// [`Feature::Interrupt`](crate::Feature::Interrupt) on; for
    /// [`Feature::Fuel`](crate::Feature::Fuel) when it has a fuel interval
    /// and fuel is off (on wasmi, a fuel interval needs
    /// [`Feature::Deadline`](crate::Feature::Deadline) or
    /// [`Feature::Interrupt`](crate::Feature::Interrupt) too: its fuel slices);
    /// for [`Feature::Async`](crate::Feature::Async) on a backend without
    /// async calls. On error the store's policy is unchanged.
    pub fn set_yield_policy(&mut self, policy: YieldPolicy) -> Result<()> {
        use crate::backend::StoreBackend;
        self.backend_mut().set_yield_policy(policy)
    }
}
