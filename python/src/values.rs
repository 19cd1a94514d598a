//! Python values as wasm values and back.
//!
//! `i32` accepts the signed and the unsigned range and answers signed (as
//! wasmtime-py does), likewise `i64`; `f32`/`f64` are floats (ints are
//! accepted); `v128` is an int of 128 bits; `funcref` is a `Func` or
//! `None`; `externref` is any Python object or `None` (the object itself
//! comes back). A float keeps its NaN payload for `f64`; for exact bits of
//! either width pass `wasm_run.F32Bits(n)`/`F64Bits(n)`.

use crate::errors::{Unsupported, WasmRunError, type_error, value_error};
use crate::instance::Func;
use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::PyInt;
use wasm_run::{AnyEngine, AsContext, AsContextMut, ExternRef, HeapType, V128, Val, ValType};

/// A value type by its text name.
///
/// # Errors
///
/// `ValueError` for an unknown name.
pub(crate) fn val_type(name: &str) -> PyResult<ValType> {
    Ok(match name {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        "v128" => ValType::V128,
        "funcref" => ValType::FUNCREF,
        "externref" => ValType::EXTERNREF,
        other => {
            return Err(value_error(format!(
                "unknown value type `{other}` (expected i32, i64, f32, f64, v128, funcref or externref)"
            )));
        }
    })
}

/// Value types from their names.
pub(crate) fn val_types(names: &[String]) -> PyResult<Vec<ValType>> {
    names.iter().map(|n| val_type(n)).collect()
}

/// The exact bits of an `f32` (`F32Bits(0x7fc00001)` is a NaN with a
/// payload). Accepted wherever an `f32` is.
#[pyclass(frozen, module = "wasm_run", eq, hash)]
#[derive(PartialEq, Hash)]
pub(crate) struct F32Bits {
    /// The bits.
    #[pyo3(get)]
    bits: u32,
}

#[pymethods]
impl F32Bits {
    #[new]
    fn new(bits: u32) -> Self {
        F32Bits { bits }
    }
    fn __repr__(&self) -> String {
        format!("F32Bits({:#010x})", self.bits)
    }
}

/// The exact bits of an `f64`. Accepted wherever an `f64` is.
#[pyclass(frozen, module = "wasm_run", eq, hash)]
#[derive(PartialEq, Hash)]
pub(crate) struct F64Bits {
    /// The bits.
    #[pyo3(get)]
    bits: u64,
}

#[pymethods]
impl F64Bits {
    #[new]
    fn new(bits: u64) -> Self {
        F64Bits { bits }
    }
    fn __repr__(&self) -> String {
        format!("F64Bits({:#018x})", self.bits)
    }
}

/// An int of Python as `T`: `wrong` if it is not an int, `too_big` if it
/// does not fit.
fn int<'py, T: FromPyObjectOwned<'py>>(
    v: &Bound<'py, PyAny>,
    wrong: impl FnOnce() -> PyErr,
    too_big: impl FnOnce() -> PyErr,
) -> PyResult<T> {
    if !v.is_instance_of::<PyInt>() {
        return Err(wrong());
    }
    v.extract::<T>().map_err(|_| too_big())
}

fn out_of_range(ty: &str, what: &str) -> PyErr {
    PyOverflowError::new_err(format!("{what}: out of range for {ty}"))
}

/// A Python value as a wasm value of type `ty`; `what` names it in errors
/// ("argument 2", "result 1").
///
/// # Errors
///
/// `TypeError` for a value of the wrong kind, `OverflowError` for an int
/// out of range, `Unsupported` for a type the package cannot convert.
pub(crate) fn to_val(
    store: impl AsContextMut<AnyEngine>,
    ty: &ValType,
    v: &Bound<'_, PyAny>,
    what: impl Fn() -> String,
) -> PyResult<Val<AnyEngine>> {
    let wrong = |expected: &str| -> PyErr {
        let got = v
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into());
        type_error(format!("{}: expected {expected}, got {got}", what()))
    };
    Ok(match ty {
        ValType::I32 => {
            let n: i64 = int(v, || wrong("an int (i32)"), || out_of_range("i32", &what()))?;
            if !(i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&n) {
                return Err(out_of_range("i32", &what()));
            }
            Val::I32(n as i32)
        }
        ValType::I64 => {
            let n: i128 = int(v, || wrong("an int (i64)"), || out_of_range("i64", &what()))?;
            if !(i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&n) {
                return Err(out_of_range("i64", &what()));
            }
            Val::I64(n as i64)
        }
        ValType::F32 => match v.cast::<F32Bits>() {
            Ok(bits) => Val::F32(bits.get().bits),
            Err(_) => Val::f32(v.extract::<f64>().map_err(|_| wrong("a float (f32)"))? as f32),
        },
        ValType::F64 => match v.cast::<F64Bits>() {
            Ok(bits) => Val::F64(bits.get().bits),
            Err(_) => Val::f64(v.extract::<f64>().map_err(|_| wrong("a float (f64)"))?),
        },
        ValType::V128 => {
            let n: u128 = match v.extract::<u128>() {
                Ok(n) => n,
                Err(_) => int::<i128>(
                    v,
                    || wrong("an int (v128)"),
                    || out_of_range("v128", &what()),
                )? as u128,
            };
            Val::V128(V128(n))
        }
        ValType::Ref(r) if r.heap == HeapType::Func => {
            if v.is_none() {
                Val::FuncRef(None)
            } else {
                let f = v
                    .cast::<Func>()
                    .map_err(|_| wrong("a Func or None (funcref)"))?;
                Val::FuncRef(Some(f.get().inner))
            }
        }
        ValType::Ref(r) if r.heap == HeapType::Extern => {
            if v.is_none() {
                Val::ExternRef(None)
            } else {
                let r = ExternRef::new(store, v.clone().unbind()).map_err(crate::errors::to_py)?;
                Val::ExternRef(Some(r))
            }
        }
        other => {
            return Err(Unsupported::new_err(format!(
                "{}: values of type {other} cannot be converted from Python",
                what()
            )));
        }
    })
}

/// A wasm value as a Python value (`i32`/`i64` as signed ints).
///
/// # Errors
///
/// `Unsupported` for GC and exception references; `WasmRunError` for an
/// `externref` that was not made from a Python object.
pub(crate) fn from_val(
    py: Python<'_>,
    store: impl AsContext<AnyEngine>,
    v: &Val<AnyEngine>,
) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Val::I32(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::I64(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::F32(bits) => f64::from(f32::from_bits(*bits))
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        Val::F64(bits) => f64::from_bits(*bits).into_pyobject(py)?.into_any().unbind(),
        Val::V128(v) => v.0.into_pyobject(py)?.into_any().unbind(),
        Val::FuncRef(None) | Val::ExternRef(None) => py.None(),
        Val::FuncRef(Some(f)) => {
            let ty = f.ty(&store);
            Py::new(py, Func::of(*f, &ty))?.into_any()
        }
        Val::ExternRef(Some(r)) => match r.data(&store).and_then(|d| d.downcast_ref::<Py<PyAny>>())
        {
            Some(obj) => obj.clone_ref(py),
            None => {
                return Err(WasmRunError::new_err(
                    "an externref that holds no Python object (made by the host outside Python)",
                ));
            }
        },
        _ => {
            return Err(Unsupported::new_err(
                "GC and exception references cannot be converted to Python",
            ));
        }
    })
}

/// The results of a call as Python: `None`, one value, or a tuple.
pub(crate) fn results_to_py(
    py: Python<'_>,
    store: impl AsContext<AnyEngine>,
    results: &[Val<AnyEngine>],
) -> PyResult<Py<PyAny>> {
    match results {
        [] => Ok(py.None()),
        [one] => from_val(py, &store, one),
        many => {
            let values = many
                .iter()
                .map(|v| from_val(py, &store, v))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(pyo3::types::PyTuple::new(py, values)?.into_any().unbind())
        }
    }
}
