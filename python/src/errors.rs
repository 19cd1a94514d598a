//! The exception hierarchy and wasm-run's errors as Python exceptions.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyString;

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
pub(crate) fn to_py(e: wasm_run::Error) -> PyErr {
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
                    // `KeyboardInterrupt`, `SystemExit` and the like are not
                    // errors of the guest: they leave the call as they are.
                    if !original.is_instance_of::<PyException>(py) {
                        return *original;
                    }
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

/// A WASI run's error: the exit of the program, or its setup's failure.
pub(crate) fn wasi_to_py(e: wasm_run::wasi::WasiError) -> PyErr {
    match e {
        wasm_run::wasi::WasiError::Wasm(e) => to_py(e),
        other => WasmRunError::new_err(other.to_string()),
    }
}

/// A `ValueError` with `message`.
pub(crate) fn value_error(message: impl Into<String>) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(message.into())
}

/// A `TypeError` with `message`.
pub(crate) fn type_error(message: impl Into<String>) -> PyErr {
    pyo3::exceptions::PyTypeError::new_err(message.into())
}

/// The `TypeError` of pickling a handle: handles belong to one process's
/// engine and store; ship module bytes and make them again where needed.
pub(crate) fn not_picklable(what: &str) -> PyErr {
    type_error(format!(
        "cannot pickle a wasm_run.{what}: handles belong to one process; send the module's bytes and build the {what} where it is used"
    ))
}
