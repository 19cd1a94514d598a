//! Linkers and host functions written in Python.

use crate::engine::{Engine, Module};
use crate::errors::{WasmRunError, not_picklable, to_py, type_error, wasi_to_py};
use crate::instance::{Instance, py_to_extern};
use crate::interrupt::RunIn;
use crate::store::{Caller, HostState, Store, WCaller};
use crate::values::{from_val, to_val, val_types};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockWriteGuard, TryLockError};
use wasm_run::{AnyEngine, FuncType, Val, ValType};

/// A Python callable as a host function of type `ty`: it receives the
/// arguments (after the `Caller` if `access_caller`) and returns `None`, one
/// value, or a sequence of values. An exception it raises stops the guest;
/// the call raises `WasmRunError` with it as the cause (`KeyboardInterrupt`
/// and other `BaseException`s that are not `Exception`s leave as they are).
pub(crate) fn host_func(
    func: Py<PyAny>,
    ty: &FuncType,
    access_caller: bool,
) -> impl Fn(WCaller<'_>, &[Val<AnyEngine>], &mut [Val<AnyEngine>]) -> wasm_run::Result<()>
+ Send
+ Sync
+ 'static {
    let results: Vec<ValType> = ty.results().to_vec();
    move |mut caller, args, out| {
        Python::attach(|py| -> PyResult<()> {
            let mut py_args = args
                .iter()
                .map(|v| from_val(py, &caller, v))
                .collect::<PyResult<Vec<_>>>()?;
            let returned = if access_caller {
                // SAFETY: `caller` is not used until `invalidate` below,
                // which runs whatever the Python function does.
                let obj = Py::new(py, unsafe { Caller::new(&mut caller) })?;
                py_args.insert(0, obj.clone_ref(py).into_any());
                let returned = PyTuple::new(py, py_args).and_then(|a| func.call1(py, a));
                obj.get().invalidate();
                returned?
            } else {
                func.call1(py, PyTuple::new(py, py_args)?)?
            };
            let returned = returned.bind(py);
            match results.len() {
                0 if returned.is_none() => Ok(()),
                0 => Err(type_error(format!(
                    "the host function has no results but returned a {}",
                    returned.get_type().name()?
                ))),
                1 => {
                    out[0] = to_val(&mut caller, &results[0], returned, || {
                        "the host function's result".into()
                    })?;
                    Ok(())
                }
                n => {
                    let values: Vec<Bound<'_, PyAny>> = returned.extract().map_err(|_| {
                        type_error(format!(
                            "the host function has {n} results: return a sequence of {n} values"
                        ))
                    })?;
                    if values.len() != n {
                        return Err(type_error(format!(
                            "the host function returned {} values, expected {n}",
                            values.len()
                        )));
                    }
                    for (i, ((slot, ty), v)) in
                        out.iter_mut().zip(&results).zip(&values).enumerate()
                    {
                        *slot = to_val(&mut caller, ty, v, || {
                            format!("the host function's result {}", i + 1)
                        })?;
                    }
                    Ok(())
                }
            }
        })
        .map_err(wasm_run::Error::host)
    }
}

/// Defines imports and instantiates modules.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Linker {
    /// Read while instantiating (guest code runs then, and may use this
    /// linker again); written only with `try_write`, so a definition made
    /// while an instantiation runs is an error, never a deadlock.
    inner: RwLock<wasm_run::Linker<AnyEngine, HostState>>,
    engine: AnyEngine,
    /// `define_wasi` was called: stores get a default WASI context.
    wasi: AtomicBool,
}

impl Linker {
    /// The linker, to define something in it.
    ///
    /// # Errors
    ///
    /// `WasmRunError` while an instantiation with it runs.
    fn lock(&self) -> PyResult<RwLockWriteGuard<'_, wasm_run::Linker<AnyEngine, HostState>>> {
        match self.inner.try_write() {
            Ok(guard) => Ok(guard),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(WasmRunError::new_err(
                "the linker is in use: an instantiation with it is running",
            )),
        }
    }
}

#[pymethods]
impl Linker {
    /// `Linker(engine)`.
    #[new]
    fn new(engine: &Engine) -> Self {
        Linker {
            inner: RwLock::new(wasm_run::Linker::new(&engine.inner)),
            engine: engine.inner.clone(),
            wasi: AtomicBool::new(false),
        }
    }

    /// Defines `module.name` as a host function of type `params -> results`
    /// (lists of value type names) calling `func(*args)`, or
    /// `func(caller, *args)` with `access_caller=True`. It returns `None`,
    /// one value, or a sequence of values; an exception it raises stops the
    /// guest and is the `__cause__` of the call's `WasmRunError`.
    #[pyo3(signature = (module, name, params, results, func, *, access_caller=false))]
    fn define_func(
        &self,
        module: &str,
        name: &str,
        params: Vec<String>,
        results: Vec<String>,
        func: Py<PyAny>,
        access_caller: bool,
    ) -> PyResult<()> {
        let ty = FuncType::new(val_types(&params)?, val_types(&results)?);
        let host = host_func(func, &ty, access_caller);
        self.lock()?
            .func_new(module, name, ty, host)
            .map_err(to_py)?;
        Ok(())
    }

    /// Defines `module.name` as `item` (a `Func`, `Memory`, `Global` or
    /// `Table` of `store`).
    fn define(
        &self,
        store: &Store,
        module: &str,
        name: &str,
        item: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let item = py_to_extern(item)?;
        let guard = store.lock()?;
        self.lock()?
            .define(&guard, module, name, item)
            .map_err(to_py)?;
        Ok(())
    }

    /// Defines every export of `instance` under the module name `name`.
    fn define_instance(&self, store: &Store, name: &str, instance: &Instance) -> PyResult<()> {
        let mut guard = store.lock()?;
        self.lock()?
            .instance(&mut guard, name, &instance.inner)
            .map_err(to_py)?;
        Ok(())
    }

    /// Defines WASI preview 1 (`wasi_snapshot_preview1`); each store gets
    /// its context from `Store.set_wasi(WasiConfig(...))`, or an empty one
    /// (no arguments, no files, output discarded).
    fn define_wasi(&self) -> PyResult<()> {
        wasm_run::wasi::add_to_linker(&mut *self.lock()?).map_err(wasi_to_py)?;
        self.wasi.store(true, Ordering::Release);
        Ok(())
    }

    /// Instantiates `module` in `store` with this linker's definitions
    /// (running its start function). Raises `LinkError` for a missing or
    /// mistyped import.
    fn instantiate(&self, py: Python<'_>, store: &Store, module: &Module) -> PyResult<Instance> {
        store.check_no_views()?;
        // Definitions take the write side only briefly and never wait, so
        // this read cannot wait for long.
        let linker = self.inner.read().unwrap_or_else(|p| p.into_inner());
        let mut guard = store.lock()?;
        if self.wasi.load(Ordering::Acquire) && guard.data().wasi.is_none() {
            let ctx = crate::wasi::WasiConfig::empty_context(&self.engine)?;
            guard.data_mut().wasi = Some(ctx);
        }
        let linker: &wasm_run::Linker<AnyEngine, HostState> = &linker;
        let inner = guard.run(py, |s| linker.instantiate(s, &module.inner))?;
        Ok(Instance { inner })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Linker"))
    }
}
