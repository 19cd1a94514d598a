//! WASI preview 1: the configuration, and a one-call run of a command.

use crate::engine::{Engine, Module};
use crate::errors::{WasmRunError, not_picklable, to_py, type_error, value_error, wasi_to_py};
use crate::interrupt::RunIn;
use crate::store::HostState;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::HashMap;
use std::sync::Mutex;
use wasm_run::wasi::{Capture, DirPerms, Output, WasiCtx, WasiError};
use wasm_run::{AnyEngine, Config, Engine as _};

/// Where a WASI stream goes, from its Python spelling.
fn output(spec: Option<&Bound<'_, PyAny>>, which: &str) -> PyResult<(Output, Option<Capture>)> {
    let Some(spec) = spec else {
        return Ok((Output::Discard, None));
    };
    if spec.is_none() {
        return Ok((Output::Discard, None));
    }
    if let Ok(word) = spec.extract::<String>() {
        return match word.as_str() {
            "capture" => {
                let c = Capture::new();
                Ok((Output::Capture(c.clone()), Some(c)))
            }
            "inherit" => Ok((Output::Inherit, None)),
            "discard" => Ok((Output::Discard, None)),
            other => Err(value_error(format!(
                "{which}: `{other}` is not one of \"capture\", \"inherit\", \"discard\" (or a callable)"
            ))),
        };
    }
    if spec.is_callable() {
        // Made per context by `Inner::config` (each store its own sink).
        return Ok((Output::Discard, None));
    }
    Err(type_error(format!(
        "{which}: expected \"capture\", \"inherit\", \"discard\", None or a callable"
    )))
}

struct Inner {
    config: wasm_run::wasi::WasiConfig,
    stdout: Option<Capture>,
    stderr: Option<Capture>,
    /// Callables receiving stdout/stderr chunks.
    stdout_fn: Option<Py<PyAny>>,
    stderr_fn: Option<Py<PyAny>>,
}

/// A stream to the Python callable `f`: one per context, so two stores
/// writing at once (or one writing from the other's callback) never
/// share its lock.
fn stream(f: &Py<PyAny>) -> Output {
    let f = Python::attach(|py| f.clone_ref(py));
    Output::stream(move |chunk: &[u8]| {
        Python::attach(|py| {
            if let Err(e) = f.call1(py, (PyBytes::new(py, chunk),)) {
                // The guest's write succeeded; the callback's error is
                // reported as Python reports unraisable ones.
                e.write_unraisable(py, None);
            }
        });
    })
}

impl Inner {
    /// The configuration with fresh streams to the callables.
    fn config(&self) -> std::borrow::Cow<'_, wasm_run::wasi::WasiConfig> {
        if self.stdout_fn.is_none() && self.stderr_fn.is_none() {
            return std::borrow::Cow::Borrowed(&self.config);
        }
        let mut config = self.config.clone();
        if let Some(f) = &self.stdout_fn {
            config.stdout(stream(f));
        }
        if let Some(f) = &self.stderr_fn {
            config.stderr(stream(f));
        }
        std::borrow::Cow::Owned(config)
    }
}

/// What a WASI program sees: `WasiConfig(args=None, env=None, stdin=None,
/// stdout=None, stderr=None, preopens=None, inherit_env=False)`.
///
/// `args` includes the program name (`argv[0]`); `env` is a dict;
/// `stdin` is bytes; `stdout`/`stderr` are `"capture"` (read them back with
/// `stdout_bytes`/`stderr_bytes`), `"inherit"`, `"discard"`/`None`, or a
/// callable receiving each chunk as bytes; `preopens` is a list of
/// `(host_dir, guest_path)` or `(host_dir, guest_path, "ro")`.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct WasiConfig {
    inner: Mutex<Inner>,
}

impl WasiConfig {
    /// The WASI context of this configuration for `engine`.
    pub(crate) fn context(&self, engine: &AnyEngine) -> PyResult<WasiCtx<AnyEngine>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        WasiCtx::new(engine, &inner.config()).map_err(wasi_to_py)
    }

    /// The preview 2 state of this configuration.
    pub(crate) fn p2(&self) -> PyResult<wasm_run::wasi::p2::WasiP2> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        wasm_run::wasi::p2::WasiP2::new(&inner.config()).map_err(wasi_to_py)
    }

    /// The preview 2 state of the default configuration.
    pub(crate) fn empty_p2() -> PyResult<wasm_run::wasi::p2::WasiP2> {
        wasm_run::wasi::p2::WasiP2::new(&wasm_run::wasi::WasiConfig::new()).map_err(wasi_to_py)
    }

    /// The context of the default configuration.
    pub(crate) fn empty_context(engine: &AnyEngine) -> PyResult<WasiCtx<AnyEngine>> {
        WasiCtx::new(engine, &wasm_run::wasi::WasiConfig::new()).map_err(wasi_to_py)
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn perms(mode: Option<&str>) -> PyResult<DirPerms> {
    match mode {
        None | Some("rw") => Ok(DirPerms::ReadWrite),
        Some("ro") => Ok(DirPerms::ReadOnly),
        Some(other) => Err(value_error(format!(
            "a preopen's mode is \"ro\" or \"rw\", not `{other}`"
        ))),
    }
}

#[pymethods]
impl WasiConfig {
    #[new]
    #[pyo3(signature = (args=None, env=None, stdin=None, stdout=None, stderr=None, preopens=None, inherit_env=false))]
    fn new(
        args: Option<Vec<String>>,
        env: Option<HashMap<String, String>>,
        stdin: Option<Vec<u8>>,
        stdout: Option<&Bound<'_, PyAny>>,
        stderr: Option<&Bound<'_, PyAny>>,
        preopens: Option<Vec<Bound<'_, PyAny>>>,
        inherit_env: bool,
    ) -> PyResult<Self> {
        let mut config = wasm_run::wasi::WasiConfig::new();
        config.args(args.unwrap_or_default());
        if inherit_env {
            config.inherit_env();
        }
        let mut env: Vec<(String, String)> = env.unwrap_or_default().into_iter().collect();
        env.sort();
        for (k, v) in env {
            config.env(k, v);
        }
        config.stdin_bytes(stdin.unwrap_or_default());
        let (stdout_spec, stderr_spec) = (stdout, stderr);
        let (out, stdout) = output(stdout, "stdout")?;
        let (err, stderr) = output(stderr, "stderr")?;
        config.stdout(out).stderr(err);
        for p in preopens.unwrap_or_default() {
            let (host, guest, mode): (std::path::PathBuf, String, Option<String>) =
                if let Ok((h, g)) = p.extract::<(std::path::PathBuf, String)>() {
                    (h, g, None)
                } else {
                    p.extract().map_err(|_| {
                        type_error(
                            "a preopen is (host_dir, guest_path) or (host_dir, guest_path, \"ro\")",
                        )
                    })?
                };
            config.preopen_dir(host, guest, perms(mode.as_deref())?);
        }
        // Report a bad configuration now rather than at the first run.
        config.validate().map_err(wasi_to_py)?;
        let callable = |spec: Option<&Bound<'_, PyAny>>| {
            spec.filter(|s| s.is_callable()).map(|s| s.clone().unbind())
        };
        Ok(WasiConfig {
            inner: Mutex::new(Inner {
                config,
                stdout,
                stderr,
                stdout_fn: callable(stdout_spec),
                stderr_fn: callable(stderr_spec),
            }),
        })
    }

    /// Makes `host_dir` visible to the program as `guest_path`, read-only
    /// if `read_only`. Raises `WasmRunError` if it is not a directory.
    #[pyo3(signature = (host_dir, guest_path, read_only=false))]
    fn preopen_dir(
        &self,
        host_dir: std::path::PathBuf,
        guest_path: String,
        read_only: bool,
    ) -> PyResult<()> {
        self.with(|i| {
            let perms = if read_only {
                DirPerms::ReadOnly
            } else {
                DirPerms::ReadWrite
            };
            let mut next = i.config.clone();
            next.preopen_dir(host_dir, guest_path, perms);
            next.validate().map_err(wasi_to_py)?;
            i.config = next;
            Ok(())
        })
    }

    /// What the program wrote to stdout so far (with `stdout="capture"`).
    #[getter]
    fn stdout_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.with(|i| match &i.stdout {
            Some(c) => Ok(PyBytes::new(py, &c.contents())),
            None => Err(WasmRunError::new_err(
                "stdout is not captured (stdout=\"capture\")",
            )),
        })
    }

    /// What the program wrote to stderr so far (with `stderr="capture"`).
    #[getter]
    fn stderr_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.with(|i| match &i.stderr {
            Some(c) => Ok(PyBytes::new(py, &c.contents())),
            None => Err(WasmRunError::new_err(
                "stderr is not captured (stderr=\"capture\")",
            )),
        })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("WasiConfig"))
    }
}

/// A failure of a WASI step as the error of a guest call.
fn flatten(e: WasiError) -> wasm_run::Error {
    match e {
        WasiError::Wasm(e) => e,
        other => wasm_run::Error::engine(other.to_string()),
    }
}

/// Runs a WASI command, a module (preview 1) or a component (preview 2,
/// exporting `wasi:cli/run`): `run_wasi(wasm, args=None, env=None,
/// stdin=None, engine=None, preopens=None, fuel=None, timeout=None)`
/// returns `(status, stdout, stderr)` with the output captured. `fuel`
/// (an engine made with `fuel=True`) and `timeout` (seconds) bound the
/// run: running out raises `Trap`. Ctrl-C stops the program with
/// `KeyboardInterrupt`.
#[pyfunction]
#[pyo3(signature = (wasm, args=None, env=None, stdin=None, engine=None, preopens=None, fuel=None, timeout=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_wasi<'py>(
    py: Python<'py>,
    wasm: &Bound<'py, PyAny>,
    args: Option<Vec<String>>,
    env: Option<HashMap<String, String>>,
    stdin: Option<Vec<u8>>,
    engine: Option<&Engine>,
    preopens: Option<Vec<Bound<'py, PyAny>>>,
    fuel: Option<u64>,
    timeout: Option<f64>,
) -> PyResult<(i32, Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let engine = match engine {
        Some(e) => e.inner.clone(),
        None => {
            let mut config = Config::new();
            if timeout.is_some() {
                config.enable(wasm_run::Feature::Deadline);
            }
            config.enable(wasm_run::Feature::Interrupt);
            AnyEngine::new(&config).map_err(to_py)?
        }
    };
    let bytes = crate::engine::module_bytes(wasm)?;
    let capture = pyo3::types::PyString::new(py, "capture").into_any();
    let config = WasiConfig::new(
        args,
        env,
        stdin,
        Some(&capture),
        Some(&capture),
        preopens,
        false,
    )?;
    let is_component = wasm_run::component::is_component(&bytes)
        || bytes.trim_ascii_start().starts_with(b"(component");
    let mut store = wasm_run::Store::new(
        &engine,
        HostState {
            data: py.None(),
            wasi: None,
            p2: None,
        },
    );
    if let Some(fuel) = fuel {
        store.set_fuel(fuel).map_err(to_py)?;
    }
    if let Some(seconds) = timeout {
        let timeout = std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|e| value_error(e.to_string()))?;
        store.set_deadline(timeout).map_err(to_py)?;
    }
    let status = if is_component {
        let component = py
            .detach(|| wasm_run::component::Component::new(&engine, &bytes))
            .map_err(to_py)?;
        store.data_mut().p2 = Some(config.p2()?);
        let mut linker = wasm_run::component::Linker::new(&engine);
        wasm_run::wasi::p2::add_to_linker(&mut linker).map_err(to_py)?;
        let (linker, component) = (&linker, &component);
        store.run(py, |s| {
            let instance = match linker.instantiate(s, component) {
                Err(wasm_run::Error::Exit(code)) => return Ok(wasm_run::wasi::ExitStatus(code)),
                other => other?,
            };
            wasm_run::wasi::p2::call_run(s, component, &instance).map_err(flatten)
        })?
    } else {
        let module = Module::compile(py, &engine, wasm)?;
        store.data_mut().wasi = Some(config.context(&engine)?);
        let mut linker = wasm_run::Linker::new(&engine);
        wasm_run::wasi::add_to_linker(&mut linker).map_err(wasi_to_py)?;
        let (linker, module) = (&linker, &module.inner);
        store.run(py, |s| {
            let instance = wasm_run::wasi::instantiate(linker, s, module).map_err(flatten)?;
            wasm_run::wasi::run_start(s, &instance).map_err(flatten)
        })?
    };
    Ok((
        status.code(),
        config.stdout_bytes(py)?,
        config.stderr_bytes(py)?,
    ))
}
