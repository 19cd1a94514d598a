//! Zero-copy memory views.
//!
//! The limited API of CPython 3.9 (this package's abi3 floor) cannot
//! export a buffer from an extension type, so a view is a `memoryview` of
//! a ctypes array placed over the memory's bytes. The array carries a
//! [`ViewPin`]: every view derived from it (slices, `cast`, numpy arrays
//! made with `frombuffer`) keeps the array and so the pin alive, and while
//! a pin is alive its store refuses to run code (which could grow and move
//! the memory) and the store itself cannot be freed (the pin owns a
//! reference to it).

use crate::errors::WasmRunError;
use crate::store::Store;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::atomic::Ordering;

/// Keeps a store from running code while a view of its memory is alive.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct ViewPin {
    store: Py<Store>,
    released: std::sync::atomic::AtomicBool,
}

#[pymethods]
impl ViewPin {
    /// Lets the store run code again (once; the finalizer calls it).
    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.store.get().views.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for ViewPin {
    fn drop(&mut self) {
        self.release();
    }
}

impl Store {
    /// Refuses to run code while a view of this store's memory is alive.
    ///
    /// # Errors
    ///
    /// `WasmRunError` if one is.
    pub(crate) fn check_no_views(&self) -> PyResult<()> {
        match self.views.load(Ordering::Acquire) {
            0 => Ok(()),
            n => Err(WasmRunError::new_err(format!(
                "{n} memory view(s) of this store are alive: running code could grow and move the memory, so release them first (`view.release()`, or make them with `with memory.view(store) as view:`)"
            ))),
        }
    }
}

/// A writable `memoryview` of the `len` bytes at `ptr`, which belong to a
/// memory of `store`.
///
/// The caller has just read `ptr` and `len` from the memory with the store
/// locked; the pin made here keeps them valid: while it lives the store
/// cannot run code (and so grow or move the memory) and is not freed.
pub(crate) fn pinned_view<'py>(
    py: Python<'py>,
    store: &Bound<'py, Store>,
    ptr: usize,
    len: usize,
) -> PyResult<Bound<'py, PyAny>> {
    store.get().views.fetch_add(1, Ordering::AcqRel);
    let pin = Py::new(
        py,
        ViewPin {
            store: store.clone().unbind(),
            released: std::sync::atomic::AtomicBool::new(false),
        },
    )?;
    let ctypes = py.import("ctypes")?;
    let array_type = ctypes.getattr("c_ubyte")?.call_method1("__mul__", (len,))?;
    let array = array_type.call_method1("from_address", (ptr,))?;
    // The pin lives in a finalizer of the array (not in an attribute that
    // Python code could delete): released when the array is freed, that
    // is when the last view derived from it is gone.
    let finalizer = py
        .import("weakref")?
        .getattr("finalize")?
        .call1((array.clone(), pin.getattr(py, "release")?))?;
    // At interpreter exit the store may already be gone: nothing to do.
    finalizer.setattr("atexit", false)?;
    let builtins = py.import("builtins")?;
    let view = builtins
        .getattr("memoryview")?
        .call1(PyTuple::new(py, [array])?)?;
    view.call_method1("cast", ("B",))
}
