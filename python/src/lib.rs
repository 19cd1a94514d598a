//! wasm-run for Python: the native module `wasm_run._native`, which the
//! `wasm_run` package re-exports (see `python/README.md`).
//!
//! Every engine of the build is reachable by name (`Engine("wasmi")`): the
//! classes wrap wasm-run's `AnyEngine`. A store is a `Mutex` around
//! wasm-run's store: a second thread using it while a call runs gets a
//! `WasmRunError` at once (`try_lock`), never a data race, and the GIL is
//! released while wasm runs (host functions take it back).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, TryLockError};
use wasm_run::{AnyEngine, Config, Engine as _, Feature, FuncType, Val, ValType};

create_exception!(
    wasm_run,
    WasmRunError,
    PyException,
    "Every error of wasm-run."
);
create_exception!(
    wasm_run,
    CompileError,
    WasmRunError,
    "A module that is malformed, invalid or not WebAssembly."
);
create_exception!(
    wasm_run,
    LinkError,
    WasmRunError,
    "Imports that could not be resolved (missing or of the wrong type)."
);
create_exception!(
    wasm_run,
    Trap,
    WasmRunError,
    "The guest trapped; `code` names the trap (e.g. \"unreachable\", \"out_of_fuel\", \"interrupt\", \"deadline\")."
);
create_exception!(
    wasm_run,
    ExitError,
    WasmRunError,
    "A WASI program exited with `status`."
);
create_exception!(
    wasm_run,
    Unsupported,
    WasmRunError,
    "The engine cannot do what was asked; `feature` and `engine` say what."
);

/// wasm-run's error as the Python exception of its kind.
fn to_py(e: wasm_run::Error) -> PyErr {
    Python::attach(|py| {
        let message = e.to_string();
        let (err, attrs): (PyErr, Vec<(&str, Py<PyAny>)>) = match e {
            wasm_run::Error::Compile { .. } => (CompileError::new_err(message), vec![]),
            wasm_run::Error::Link(_) => (LinkError::new_err(message), vec![]),
            wasm_run::Error::Trap { code, .. } => (
                Trap::new_err(message),
                vec![(
                    "code",
                    PyString::new(py, &snake_case(&format!("{code:?}")))
                        .into_any()
                        .unbind(),
                )],
            ),
            wasm_run::Error::Exit(status) => (
                ExitError::new_err(message),
                vec![(
                    "status",
                    status
                        .into_pyobject(py)
                        .map(|v| v.into_any().unbind())
                        .unwrap_or_else(|_| py.None()),
                )],
            ),
            wasm_run::Error::Unsupported { feature, engine } => (
                Unsupported::new_err(message),
                vec![
                    (
                        "feature",
                        PyString::new(py, feature.name()).into_any().unbind(),
                    ),
                    ("engine", PyString::new(py, engine).into_any().unbind()),
                ],
            ),
            wasm_run::Error::Host(inner) => match inner.downcast::<PyErr>() {
                // A Python exception raised in a host function: the call
                // fails with it as the cause.
                Ok(original) => {
                    let err = WasmRunError::new_err("a host function raised an exception");
                    err.set_cause(py, Some(*original));
                    (err, vec![])
                }
                Err(other) => (
                    WasmRunError::new_err(format!("host function failed: {other}")),
                    vec![],
                ),
            },
            _ => (WasmRunError::new_err(message), vec![]),
        };
        for (name, value) in attrs {
            // Setting an attribute on a fresh exception cannot fail short of
            // memory exhaustion; the exception is raised either way.
            let _ = err.value(py).setattr(name, value);
        }
        err
    })
}

/// `OutOfFuel` as `out_of_fuel`: a trap code's name as Python spells it.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn feature(name: &str) -> PyResult<Feature> {
    name.parse::<Feature>()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

fn val_type(name: &str) -> PyResult<ValType> {
    Ok(match name {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown value type `{other}` (expected i32, i64, f32 or f64)"
            )));
        }
    })
}

/// A Python value as a wasm value of type `ty`: ints for i32 (the signed
/// and the unsigned range) and i64, floats (or ints) for f32 and f64.
fn to_val(ty: &ValType, v: &Bound<'_, PyAny>) -> PyResult<Val<AnyEngine>> {
    let out_of_range =
        |what: &str| pyo3::exceptions::PyOverflowError::new_err(format!("{what} out of range"));
    Ok(match ty {
        ValType::I32 => {
            let n: i64 = v.extract()?;
            if !(i32::MIN as i64..=u32::MAX as i64).contains(&n) {
                return Err(out_of_range("i32"));
            }
            Val::I32(n as i32)
        }
        ValType::I64 => {
            let n: i128 = v.extract()?;
            if !(i64::MIN as i128..=u64::MAX as i128).contains(&n) {
                return Err(out_of_range("i64"));
            }
            Val::I64(n as i64)
        }
        ValType::F32 => Val::f32(v.extract::<f64>()? as f32),
        ValType::F64 => Val::f64(v.extract::<f64>()?),
        other => {
            return Err(Unsupported::new_err(format!(
                "values of type {other} are not supported by the Python package yet"
            )));
        }
    })
}

/// A wasm value as a Python value (i32/i64 as signed ints).
fn from_val(py: Python<'_>, v: &Val<AnyEngine>) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Val::I32(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::I64(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::F32(bits) => (f32::from_bits(*bits) as f64)
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        Val::F64(bits) => f64::from_bits(*bits).into_pyobject(py)?.into_any().unbind(),
        _ => {
            return Err(Unsupported::new_err(
                "values of this type are not supported by the Python package yet",
            ));
        }
    })
}

/// A WebAssembly engine: one of the backends of this build, by name.
#[pyclass(frozen, module = "wasm_run")]
struct Engine {
    inner: AnyEngine,
}

#[pymethods]
impl Engine {
    /// `Engine(name=None, *, fuel=False, interruptible=True, features=None,
    /// max_wasm_stack=None, max_memory_bytes=None)`. `name` picks the
    /// backend (`wasm_run.BACKENDS`), the default one when `None`.
    #[new]
    #[pyo3(signature = (name=None, *, fuel=false, interruptible=true, features=None, max_wasm_stack=None, max_memory_bytes=None))]
    fn new(
        name: Option<&str>,
        fuel: bool,
        interruptible: bool,
        features: Option<HashMap<String, bool>>,
        max_wasm_stack: Option<usize>,
        max_memory_bytes: Option<usize>,
    ) -> PyResult<Self> {
        let mut config = Config::new();
        config.fuel(fuel);
        if interruptible {
            config.enable(Feature::Interrupt).enable(Feature::Deadline);
        }
        for (name, on) in features.unwrap_or_default() {
            config.set(feature(&name)?, on);
        }
        if let Some(bytes) = max_wasm_stack {
            config.max_wasm_stack(bytes);
        }
        if let Some(bytes) = max_memory_bytes {
            config.max_memory_bytes(bytes);
        }
        let inner = match name {
            Some(name) => AnyEngine::by_name(name, &config),
            None => AnyEngine::new(&config),
        }
        .map_err(to_py)?;
        Ok(Engine { inner })
    }

    /// The backend this engine runs on.
    #[getter]
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// Whether this engine, as configured, has `feature` (e.g. `"simd"`).
    fn enabled(&self, feature_name: &str) -> PyResult<bool> {
        Ok(self.inner.features().contains(feature(feature_name)?))
    }
}

/// A compiled module.
#[pyclass(frozen, module = "wasm_run")]
struct Module {
    inner: wasm_run::Module<AnyEngine>,
}

#[pymethods]
impl Module {
    /// `Module(engine, wasm)`: `wasm` is the binary (`bytes`) or WAT text (`str`).
    #[new]
    fn new(py: Python<'_>, engine: &Engine, wasm: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes: Vec<u8> = if let Ok(b) = wasm.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if let Ok(s) = wasm.cast::<PyString>() {
            s.extract::<String>()?.into_bytes()
        } else {
            wasm.extract::<Vec<u8>>()?
        };
        let engine = engine.inner.clone();
        let inner = py
            .detach(|| wasm_run::Module::new(&engine, bytes))
            .map_err(to_py)?;
        Ok(Module { inner })
    }

    /// The imports, as `(module, name, type)` tuples of strings.
    #[getter]
    fn imports(&self) -> Vec<(String, String, String)> {
        self.inner
            .imports()
            .iter()
            .map(|i| (i.module.clone(), i.name.clone(), i.ty.to_string()))
            .collect()
    }

    /// The exports, as `(name, type)` tuples of strings.
    #[getter]
    fn exports(&self) -> Vec<(String, String)> {
        self.inner
            .exports()
            .iter()
            .map(|e| (e.name.clone(), e.ty.to_string()))
            .collect()
    }
}

/// What a store holds for Python: the user's `data`.
struct HostState {
    data: Py<PyAny>,
}

/// A store: instances and their memories, fuel, deadline. One thread at a
/// time: using it while a call runs in it (from another thread, or from a
/// host function of that call) raises `WasmRunError`.
#[pyclass(frozen, module = "wasm_run")]
struct Store {
    inner: Mutex<wasm_run::Store<AnyEngine, HostState>>,
}

impl Store {
    fn lock(&self) -> PyResult<MutexGuard<'_, wasm_run::Store<AnyEngine, HostState>>> {
        match self.inner.try_lock() {
            Ok(guard) => Ok(guard),
            // A panic never crosses a store operation (wasm-run catches
            // them), so the state behind a poisoned lock is consistent.
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(WasmRunError::new_err(
                "the store is in use: a call is running in it (on another thread, or this is a host function of that call)",
            )),
        }
    }
}

#[pymethods]
impl Store {
    /// `Store(engine, data=None)`.
    #[new]
    #[pyo3(signature = (engine, data=None))]
    fn new(py: Python<'_>, engine: &Engine, data: Option<Py<PyAny>>) -> Self {
        let data = data.unwrap_or_else(|| py.None());
        Store {
            inner: Mutex::new(wasm_run::Store::new(&engine.inner, HostState { data })),
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
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
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
}

/// Interrupts calls running in a store (`Store.interrupt_handle()`).
#[pyclass(frozen, module = "wasm_run")]
struct InterruptHandle {
    inner: wasm_run::InterruptHandle,
}

#[pymethods]
impl InterruptHandle {
    /// Stops the running call (a `Trap` with code `"interrupt"`), or the
    /// next one if none runs.
    fn interrupt(&self) {
        self.inner.interrupt();
    }
}

/// Defines imports and instantiates modules.
#[pyclass(frozen, module = "wasm_run")]
struct Linker {
    inner: Mutex<wasm_run::Linker<AnyEngine, HostState>>,
}

#[pymethods]
impl Linker {
    /// `Linker(engine)`.
    #[new]
    fn new(engine: &Engine) -> Self {
        Linker {
            inner: Mutex::new(wasm_run::Linker::new(&engine.inner)),
        }
    }

    /// Defines `module.name` as a host function of type `params -> results`
    /// (lists of `"i32"`, `"i64"`, `"f32"`, `"f64"`) calling `func(*args)`;
    /// it returns `None`, one value, or a sequence of values. An exception
    /// it raises stops the guest and is the cause of the call's
    /// `WasmRunError`.
    fn define_func(
        &self,
        module: &str,
        name: &str,
        params: Vec<String>,
        results: Vec<String>,
        func: Py<PyAny>,
    ) -> PyResult<()> {
        let params: Vec<ValType> = params
            .iter()
            .map(|p| val_type(p))
            .collect::<PyResult<_>>()?;
        let results: Vec<ValType> = results
            .iter()
            .map(|r| val_type(r))
            .collect::<PyResult<_>>()?;
        let ty = FuncType::new(params, results.clone());
        let host = move |_caller: wasm_run::Caller<'_, AnyEngine, HostState>,
                         args: &[Val<AnyEngine>],
                         out: &mut [Val<AnyEngine>]|
              -> wasm_run::Result<()> {
            Python::attach(|py| -> PyResult<()> {
                let args = args
                    .iter()
                    .map(|v| from_val(py, v))
                    .collect::<PyResult<Vec<_>>>()?;
                let returned = func.call1(py, PyTuple::new(py, args)?)?;
                let returned = returned.bind(py);
                match results.len() {
                    0 => Ok(()),
                    1 => {
                        out[0] = to_val(&results[0], returned)?;
                        Ok(())
                    }
                    n => {
                        let values: Vec<Bound<'_, PyAny>> = returned.extract()?;
                        if values.len() != n {
                            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                                "the host function returned {} values, expected {n}",
                                values.len()
                            )));
                        }
                        for ((slot, ty), v) in out.iter_mut().zip(&results).zip(&values) {
                            *slot = to_val(ty, v)?;
                        }
                        Ok(())
                    }
                }
            })
            .map_err(wasm_run::Error::host)
        };
        self.inner
            .lock()
            .map_err(|_| WasmRunError::new_err("the linker is unusable after a panic"))?
            .func_new(module, name, ty, host)
            .map_err(to_py)?;
        Ok(())
    }

    /// Instantiates `module` in `store` with this linker's definitions.
    fn instantiate(&self, py: Python<'_>, store: &Store, module: &Module) -> PyResult<Instance> {
        let linker = self
            .inner
            .lock()
            .map_err(|_| WasmRunError::new_err("the linker is unusable after a panic"))?;
        let mut guard = store.lock()?;
        // (The guard stays on this thread; the store itself is `Send`.)
        let store: &mut wasm_run::Store<AnyEngine, HostState> = &mut guard;
        let linker: &wasm_run::Linker<AnyEngine, HostState> = &linker;
        let inner = py
            .detach(move || linker.instantiate(store, &module.inner))
            .map_err(to_py)?;
        Ok(Instance { inner })
    }
}

/// An instance of a module in a store.
#[pyclass(frozen, module = "wasm_run")]
struct Instance {
    inner: wasm_run::Instance<AnyEngine>,
}

#[pymethods]
impl Instance {
    /// The exports (functions and memories) by name, as a dict.
    fn exports<'py>(&self, py: Python<'py>, store: &Store) -> PyResult<Bound<'py, PyDict>> {
        let mut guard = store.lock()?;
        let dict = PyDict::new(py);
        for (name, item) in self.inner.exports(&mut *guard) {
            match item {
                wasm_run::Extern::Func(f) => {
                    let ty = f.ty(&*guard);
                    dict.set_item(name, Func::of(f, &ty))?;
                }
                wasm_run::Extern::Memory(m) => dict.set_item(name, Memory { inner: m })?,
                _ => {}
            }
        }
        Ok(dict)
    }
}

/// An exported function; call it as `func(store, *args)`.
#[pyclass(frozen, module = "wasm_run")]
struct Func {
    inner: wasm_run::Func<AnyEngine>,
    params: Vec<ValType>,
    results: usize,
}

impl Func {
    fn of(inner: wasm_run::Func<AnyEngine>, ty: &FuncType) -> Self {
        Func {
            inner,
            params: ty.params().to_vec(),
            results: ty.results().len(),
        }
    }
}

#[pymethods]
impl Func {
    /// Calls the function in `store`: `None`, one value or a tuple.
    #[pyo3(signature = (store, *args))]
    fn __call__(
        &self,
        py: Python<'_>,
        store: &Store,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<Py<PyAny>> {
        if args.len() != self.params.len() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "the function takes {} arguments, {} given",
                self.params.len(),
                args.len()
            )));
        }
        let params = self
            .params
            .iter()
            .zip(args.iter())
            .map(|(ty, v)| to_val(ty, &v))
            .collect::<PyResult<Vec<_>>>()?;
        let mut results = vec![Val::I32(0); self.results];
        let mut guard = store.lock()?;
        let f = self.inner;
        let (store_ref, params_ref, results_ref) = (&mut *guard, &params, &mut results);
        py.detach(move || f.call(store_ref, params_ref, results_ref))
            .map_err(to_py)?;
        drop(guard);
        match results.len() {
            0 => Ok(py.None()),
            1 => from_val(py, &results[0]),
            _ => {
                let values = results
                    .iter()
                    .map(|v| from_val(py, v))
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyTuple::new(py, values)?.into_any().unbind())
            }
        }
    }
}

/// An exported linear memory.
#[pyclass(frozen, module = "wasm_run")]
struct Memory {
    inner: wasm_run::Memory<AnyEngine>,
}

#[pymethods]
impl Memory {
    /// `length` bytes from `offset`, as `bytes`.
    fn read<'py>(
        &self,
        py: Python<'py>,
        store: &Store,
        offset: usize,
        length: usize,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let guard = store.lock()?;
        let mut buf = vec![0u8; length];
        self.inner.read(&*guard, offset, &mut buf).map_err(to_py)?;
        Ok(PyBytes::new(py, &buf))
    }

    /// Writes `data` at `offset`.
    fn write(&self, store: &Store, offset: usize, data: &[u8]) -> PyResult<()> {
        let mut guard = store.lock()?;
        self.inner.write(&mut *guard, offset, data).map_err(to_py)
    }

    /// The size in bytes.
    fn data_len(&self, store: &Store) -> PyResult<usize> {
        Ok(self.inner.data_size(&*store.lock()?))
    }
}

/// Runs a WASI command module: `run_wasi(wasm, args=[], env={}, stdin=b"",
/// engine=None)` returns `(status, stdout, stderr)`.
#[pyfunction]
#[pyo3(signature = (wasm, args=None, env=None, stdin=None, engine=None))]
fn run_wasi<'py>(
    py: Python<'py>,
    wasm: &Bound<'py, PyAny>,
    args: Option<Vec<String>>,
    env: Option<HashMap<String, String>>,
    stdin: Option<Vec<u8>>,
    engine: Option<&Engine>,
) -> PyResult<(i32, Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let engine = match engine {
        Some(e) => e.inner.clone(),
        None => AnyEngine::new(&Config::new()).map_err(to_py)?,
    };
    let module = Module::new(
        py,
        &Engine {
            inner: engine.clone(),
        },
        wasm,
    )?
    .inner;
    let mut config = wasm_run::wasi::WasiConfig::new();
    config.args(args.unwrap_or_default());
    let mut env: Vec<(String, String)> = env.unwrap_or_default().into_iter().collect();
    env.sort();
    for (k, v) in env {
        config.env(k, v);
    }
    config.stdin_bytes(stdin.unwrap_or_default());
    let stdout = config.capture_stdout();
    let stderr = config.capture_stderr();
    let status = py
        .detach(|| wasm_run::wasi::run_command(&engine, &module, &config))
        .map_err(|e| match e {
            wasm_run::wasi::WasiError::Wasm(e) => to_py(e),
            other => WasmRunError::new_err(other.to_string()),
        })?;
    Ok((
        status.code(),
        PyBytes::new(py, &stdout.contents()),
        PyBytes::new(py, &stderr.contents()),
    ))
}

/// The native module.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Engine>()?;
    m.add_class::<Module>()?;
    m.add_class::<Store>()?;
    m.add_class::<InterruptHandle>()?;
    m.add_class::<Linker>()?;
    m.add_class::<Instance>()?;
    m.add_class::<Func>()?;
    m.add_class::<Memory>()?;
    m.add_function(wrap_pyfunction!(run_wasi, m)?)?;
    m.add("WasmRunError", py.get_type::<WasmRunError>())?;
    m.add("CompileError", py.get_type::<CompileError>())?;
    m.add("LinkError", py.get_type::<LinkError>())?;
    m.add("Trap", py.get_type::<Trap>())?;
    m.add("ExitError", py.get_type::<ExitError>())?;
    m.add("Unsupported", py.get_type::<Unsupported>())?;
    m.add("BACKENDS", wasm_run::BACKENDS.to_vec())?;
    Ok(())
}
