//! Stores, the caller of a host function, and the context argument that
//! accepts either (`Memory.read(store_or_caller, ...)`).

use crate::errors::{WasmRunError, to_py, value_error};
use crate::wasi::WasiConfig;
use pyo3::prelude::*;
use std::ptr::NonNull;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::thread::ThreadId;
use wasm_run::AnyEngine;
use wasm_run::wasi::p2::{WasiP2, WasiView};
use wasm_run::wasi::{HasWasi, WasiCtx};

/// wasm-run's store as this package uses it.
pub(crate) type WStore = wasm_run::Store<AnyEngine, HostState>;
/// wasm-run's caller as this package uses it (the lifetime is erased while a
/// [`Caller`] object points at it: see there).
pub(crate) type WCaller<'a> = wasm_run::Caller<'a, AnyEngine, HostState>;

/// What a store holds for Python: the user's `data` and, once WASI is
/// configured or linked, the WASI context.
pub(crate) struct HostState {
    pub(crate) data: Py<PyAny>,
    pub(crate) wasi: Option<WasiCtx<AnyEngine>>,
    /// WASI preview 2 for components (from the same `WasiConfig`).
    pub(crate) p2: Option<WasiP2>,
}

impl WasiView for HostState {
    fn wasi_p2(&mut self) -> &mut WasiP2 {
        // As for preview 1: `ComponentLinker.instantiate` gives the store a
        // default context before any WASI function can run.
        self.p2
            .as_mut()
            .expect("a store running WASI functions has a WASI context")
    }
}

impl HasWasi<AnyEngine> for HostState {
    fn wasi(&mut self) -> &mut WasiCtx<AnyEngine> {
        // `Linker.instantiate` gives the store a context (the default
        // configuration) before a module that imports WASI can run, and
        // `Store.set_wasi` only replaces it: WASI functions never run in a
        // store without one.
        self.wasi
            .as_mut()
            .expect("a store running WASI functions has a WASI context")
    }
}

/// A store: instances and their memories, fuel, deadline. One thread at a
/// time: using it while a call runs in it (from another thread, or from a
/// host function of that call) raises `WasmRunError`.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Store {
    /// `None` once closed.
    pub(crate) inner: Mutex<Option<WStore>>,
    pub(crate) engine: AnyEngine,
    /// How many memory views of this store are alive (`crate::view`).
    pub(crate) views: AtomicUsize,
}

impl Store {
    /// The store, if no call runs in it and it is not closed.
    ///
    /// # Errors
    ///
    /// `WasmRunError` while a call runs in it, or once it is closed.
    pub(crate) fn lock(&self) -> PyResult<StoreGuard<'_>> {
        let guard = match self.inner.try_lock() {
            Ok(guard) => guard,
            // Guest calls and host functions never unwind through the
            // lock (wasm-run catches panics there) and handles are checked
            // against their store before use, so a poisoned lock's state
            // is consistent.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(WasmRunError::new_err(
                    "the store is in use: a call is running in it (on another thread, or this is a host function of that call: use its Caller)",
                ));
            }
        };
        if guard.is_none() {
            return Err(WasmRunError::new_err("the store is closed"));
        }
        Ok(StoreGuard(guard))
    }
}

/// Exclusive access to an open store.
pub(crate) struct StoreGuard<'a>(MutexGuard<'a, Option<WStore>>);

impl std::ops::Deref for StoreGuard<'_> {
    type Target = WStore;
    fn deref(&self) -> &WStore {
        self.0.as_ref().expect("checked by Store::lock")
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut WStore {
        self.0.as_mut().expect("checked by Store::lock")
    }
}

#[pymethods]
impl Store {
    /// `Store(engine, data=None)`.
    #[new]
    #[pyo3(signature = (engine, data=None))]
    fn new(py: Python<'_>, engine: &crate::engine::Engine, data: Option<Py<PyAny>>) -> Self {
        let data = data.unwrap_or_else(|| py.None());
        Store {
            inner: Mutex::new(Some(wasm_run::Store::new(
                &engine.inner,
                HostState {
                    data,
                    wasi: None,
                    p2: None,
                },
            ))),
            engine: engine.inner.clone(),
            views: AtomicUsize::new(0),
        }
    }

    /// The user's data given to the constructor.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.lock()?.data().data.clone_ref(py))
    }

    /// The fuel left (engines made with `fuel=True`).
    #[getter]
    fn get_fuel(&self) -> PyResult<u64> {
        self.lock()?.get_fuel().map_err(to_py)
    }

    /// Sets the fuel left.
    #[setter]
    fn set_fuel(&self, fuel: u64) -> PyResult<()> {
        self.lock()?.set_fuel(fuel).map_err(to_py)
    }

    /// Stops calls that run longer than `seconds` from now with a `Trap`
    /// whose code is `"deadline"`.
    fn set_deadline(&self, seconds: f64) -> PyResult<()> {
        let timeout = std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|e| value_error(e.to_string()))?;
        self.lock()?.set_deadline(timeout).map_err(to_py)
    }

    /// Removes the deadline.
    fn clear_deadline(&self) -> PyResult<()> {
        self.lock()?.clear_deadline().map_err(to_py)
    }

    /// A handle that interrupts calls running in this store, from any
    /// thread.
    fn interrupt_handle(&self) -> PyResult<InterruptHandle> {
        let inner = self.lock()?.interrupt_handle().map_err(to_py)?;
        Ok(InterruptHandle { inner })
    }

    /// Gives the store the WASI context of `config` (arguments,
    /// environment, preopened directories, stdio) for the WASI modules
    /// (preview 1) and components (preview 2) instantiated in it through a
    /// linker with `define_wasi()`.
    ///
    /// Raises `WasmRunError` for a configuration that cannot be used (a
    /// preopened directory that does not exist, ...).
    fn set_wasi(&self, config: &WasiConfig) -> PyResult<()> {
        let ctx = config.context(&self.engine)?;
        let p2 = config.p2()?;
        let mut guard = self.lock()?;
        let data = guard.data_mut();
        data.wasi = Some(ctx);
        data.p2 = Some(p2);
        Ok(())
    }

    /// Frees the store now: its instances, memories and data. Every later
    /// use of it (or of what it holds) raises `WasmRunError`. Raises while
    /// a call runs in it or a memory view of it is alive. Closing twice is
    /// allowed.
    fn close(&self) -> PyResult<()> {
        self.check_no_views()?;
        let closed = match self.lock() {
            Ok(mut guard) => guard.0.take(),
            Err(_) if self.is_closed() => None,
            Err(e) => return Err(e),
        };
        drop(closed);
        Ok(())
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.is_closed()
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(crate::errors::not_picklable("Store"))
    }
}

impl Store {
    fn is_closed(&self) -> bool {
        match self.inner.try_lock() {
            Ok(guard) => guard.is_none(),
            Err(TryLockError::Poisoned(p)) => p.into_inner().is_none(),
            Err(TryLockError::WouldBlock) => false,
        }
    }
}

/// Interrupts calls running in a store (`Store.interrupt_handle()`).
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct InterruptHandle {
    pub(crate) inner: wasm_run::InterruptHandle,
}

#[pymethods]
impl InterruptHandle {
    /// Stops the running call (a `Trap` with code `"interrupt"`), or the
    /// next one if none runs.
    fn interrupt(&self) {
        self.inner.interrupt();
    }
}

/// The pointer behind a [`Caller`] while its host function runs.
struct CallerPtr(NonNull<WCaller<'static>>);

// SAFETY: the pointer is only dereferenced on the thread that created it
// (`Caller::slot` checks `thread` first) and only while the host function
// it was made for runs (`Caller::invalidate` clears it before the function
// returns); moving the wrapper between threads dereferences nothing.
unsafe impl Send for CallerPtr {}

/// The caller of a host function defined with `access_caller=True`: the
/// calling instance's exports (`get`) and the store's `data`. Pass it where
/// a store is expected (`memory.read(caller, ...)`, `func(caller, ...)`)
/// while the host function runs; afterwards it raises `WasmRunError`.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Caller {
    ptr: Mutex<Option<CallerPtr>>,
    thread: ThreadId,
}

impl Caller {
    /// A caller object for `caller`, valid until [`Caller::invalidate`].
    ///
    /// # Safety
    ///
    /// `caller` must stay alive and untouched by anything else until
    /// `invalidate` is called on the result, which must happen before
    /// `caller` is used again or dropped.
    pub(crate) unsafe fn new(caller: &mut WCaller<'_>) -> Self {
        let ptr = NonNull::from(caller).cast::<WCaller<'static>>();
        Caller {
            ptr: Mutex::new(Some(CallerPtr(ptr))),
            thread: std::thread::current().id(),
        }
    }

    /// Ends the host function's access: every later use raises.
    pub(crate) fn invalidate(&self) {
        let mut slot = match self.ptr.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = None;
    }

    /// The caller, while its host function runs, on its thread, and not
    /// in use already.
    fn slot(&self) -> PyResult<CallerGuard<'_>> {
        if std::thread::current().id() != self.thread {
            return Err(WasmRunError::new_err(
                "a Caller can only be used on the thread of its host function",
            ));
        }
        let guard = match self.ptr.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(WasmRunError::new_err(
                    "the Caller is in use: a call made through it is running",
                ));
            }
        };
        if guard.is_none() {
            return Err(WasmRunError::new_err(
                "the Caller is no longer valid: its host function has returned",
            ));
        }
        Ok(CallerGuard(guard))
    }
}

/// Exclusive access to a valid caller.
pub(crate) struct CallerGuard<'a>(MutexGuard<'a, Option<CallerPtr>>);

impl std::ops::Deref for CallerGuard<'_> {
    type Target = WCaller<'static>;
    fn deref(&self) -> &Self::Target {
        let ptr = self.0.as_ref().expect("checked by Caller::slot").0;
        // SAFETY: `Caller::slot` made this guard on the caller's thread while
        // the pointer was set, and the host function that owns the caller is
        // suspended in Python code until `invalidate`, which needs this lock:
        // the caller is alive and this guard's borrow is the only one.
        unsafe { ptr.as_ref() }
    }
}

impl std::ops::DerefMut for CallerGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        let mut ptr = self.0.as_ref().expect("checked by Caller::slot").0;
        // SAFETY: as in `deref`; the guard is borrowed mutably, so this is
        // the only reference.
        unsafe { ptr.as_mut() }
    }
}

#[pymethods]
impl Caller {
    /// The export `name` of the calling instance (a `Func`, `Memory`,
    /// `Global` or `Table`), or `None`.
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Option<Py<PyAny>>> {
        let mut caller = self.slot()?;
        match caller.get_export(name) {
            Some(item) => crate::instance::extern_to_py(py, &mut *caller, item),
            None => Ok(None),
        }
    }

    /// The store's data.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.slot()?.data().data.clone_ref(py))
    }

    /// The fuel left (engines made with `fuel=True`).
    #[getter]
    fn get_fuel(&self) -> PyResult<u64> {
        self.slot()?.get_fuel().map_err(to_py)
    }

    /// Sets the fuel left.
    #[setter]
    fn set_fuel(&self, fuel: u64) -> PyResult<()> {
        self.slot()?.set_fuel(fuel).map_err(to_py)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(crate::errors::not_picklable("Caller"))
    }
}

/// A store or a caller, locked for one operation.
pub(crate) enum Ctx<'a> {
    Store(StoreGuard<'a>),
    Caller(CallerGuard<'a>),
}

impl<'a> Ctx<'a> {
    /// `obj` (a `Store` or a `Caller`) locked for one operation.
    ///
    /// # Errors
    ///
    /// `TypeError` for anything else; `WasmRunError` for a store in use or
    /// a caller that is no longer valid.
    pub(crate) fn of(obj: &'a Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(store) = obj.cast::<Store>() {
            return Ok(Ctx::Store(store.get().lock()?));
        }
        if let Ok(caller) = obj.cast::<Caller>() {
            return Ok(Ctx::Caller(caller.get().slot()?));
        }
        Err(crate::errors::type_error(format!(
            "expected a Store or a Caller, got {}",
            obj.get_type().name()?
        )))
    }
}

impl<'a> Ctx<'a> {
    /// `obj` locked for one operation on a handle of store `owner`
    /// (wasm-run's handle methods assume their own store).
    ///
    /// # Errors
    ///
    /// Those of [`Ctx::of`]; `WasmRunError` if `owner` is not `obj`'s
    /// store.
    pub(crate) fn owning(obj: &'a Bound<'_, PyAny>, owner: wasm_run::StoreId) -> PyResult<Self> {
        let ctx = Ctx::of(obj)?;
        ctx.owns(owner)?;
        Ok(ctx)
    }

    /// Refuses a handle of another store.
    fn owns(&self, owner: wasm_run::StoreId) -> PyResult<()> {
        use wasm_run::AsContext;
        use wasm_run::backend::ContextBackend;
        let id = match self {
            Ctx::Store(guard) => guard.id(),
            Ctx::Caller(guard) => (**guard).ctx().store_id(),
        };
        if id == owner {
            Ok(())
        } else {
            Err(WasmRunError::new_err(
                "this object belongs to another store than the one given",
            ))
        }
    }
}

/// Runs `$body` with `$c` bound to the store or caller of `$ctx` (a
/// [`Ctx`]), as `&mut` of its own type: wasm-run's functions take either.
macro_rules! with_ctx {
    ($ctx:expr, $c:ident => $body:expr) => {
        match $ctx {
            $crate::store::Ctx::Store(ref mut guard) => {
                let $c: &mut $crate::store::WStore = &mut **guard;
                $body
            }
            $crate::store::Ctx::Caller(ref mut guard) => {
                let $c: &mut $crate::store::WCaller<'static> = &mut **guard;
                $body
            }
        }
    };
}
pub(crate) use with_ctx;
