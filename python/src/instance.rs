//! Instances and what they export: functions, memories, globals, tables.

use crate::engine::{FuncType, GlobalType, MemoryType, TableType};
use crate::errors::{not_picklable, to_py, type_error};
use crate::interrupt::RunIn;
use crate::store::{Ctx, Store, with_ctx};
use crate::values::{from_val, results_to_py, to_val, val_type};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use wasm_run::{AnyEngine, AsContextMut, Extern, Mutability, Val, ValType};

/// An export as its Python object (`None` for kinds the package does not
/// expose: tags and shared memories).
pub(crate) fn extern_to_py(
    py: Python<'_>,
    store: impl AsContextMut<AnyEngine>,
    item: Extern<AnyEngine>,
) -> PyResult<Option<Py<PyAny>>> {
    Ok(Some(match item {
        Extern::Func(f) => {
            let ty = f.ty(&store);
            Py::new(py, Func::of(f, &ty))?.into_any()
        }
        Extern::Memory(m) => Py::new(py, Memory { inner: m })?.into_any(),
        Extern::Global(g) => Py::new(py, Global { inner: g })?.into_any(),
        Extern::Table(t) => Py::new(py, Table { inner: t })?.into_any(),
        _ => return Ok(None),
    }))
}

/// A Python object given as an import or a linker definition, as wasm-run's
/// item.
pub(crate) fn py_to_extern(item: &Bound<'_, PyAny>) -> PyResult<Extern<AnyEngine>> {
    if let Ok(f) = item.cast::<Func>() {
        Ok(Extern::Func(f.get().inner))
    } else if let Ok(m) = item.cast::<Memory>() {
        Ok(Extern::Memory(m.get().inner))
    } else if let Ok(g) = item.cast::<Global>() {
        Ok(Extern::Global(g.get().inner))
    } else if let Ok(t) = item.cast::<Table>() {
        Ok(Extern::Table(t.get().inner))
    } else {
        Err(type_error(format!(
            "expected a Func, Memory, Global or Table, got {}",
            item.get_type().name()?
        )))
    }
}

/// Refuses to copy in or out of memory through a store while a view of it
/// is alive (Python code may be writing through the view on another
/// thread).
fn no_views(store: &Bound<'_, PyAny>, ctx: &Ctx<'_>) -> PyResult<()> {
    if let Ctx::Store(_) = ctx {
        store.cast::<Store>()?.get().check_no_views()?;
    }
    Ok(())
}

/// An instance of a module in a store.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Instance {
    pub(crate) inner: wasm_run::Instance<AnyEngine>,
}

#[pymethods]
impl Instance {
    /// The exports (`Func`, `Memory`, `Global`, `Table`) by name, as a dict.
    fn exports<'py>(
        &self,
        py: Python<'py>,
        store: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => {
            let dict = PyDict::new(py);
            for (name, item) in self.inner.exports(&mut *c) {
                if let Some(obj) = extern_to_py(py, &mut *c, item)? {
                    dict.set_item(name, obj)?;
                }
            }
            Ok(dict)
        })
    }

    /// The export `name`, or `None`.
    fn get(
        &self,
        py: Python<'_>,
        store: &Bound<'_, PyAny>,
        name: &str,
    ) -> PyResult<Option<Py<PyAny>>> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => match self.inner.get_export(&mut *c, name) {
            Some(item) => extern_to_py(py, &mut *c, item),
            None => Ok(None),
        })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Instance"))
    }
}

/// A function: an export, or a host function made with
/// `Func(store, FuncType, callable, access_caller=False)`. Call it as
/// `func(store, *args)` (`store` may be a `Caller` inside a host function).
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Func {
    pub(crate) inner: wasm_run::Func<AnyEngine>,
    ty: wasm_run::FuncType,
}

impl Func {
    pub(crate) fn of(inner: wasm_run::Func<AnyEngine>, ty: &wasm_run::FuncType) -> Self {
        Func {
            inner,
            ty: ty.clone(),
        }
    }
}

#[pymethods]
impl Func {
    /// A host function of type `ty` calling `func(*args)` (with the
    /// `Caller` first when `access_caller` is true); see
    /// `Linker.define_func` for what it may return and raise.
    #[new]
    #[pyo3(signature = (store, ty, func, access_caller=false))]
    fn new(store: &Store, ty: &FuncType, func: Py<PyAny>, access_caller: bool) -> PyResult<Self> {
        let ty = ty.to_wasm()?;
        let host = crate::linker::host_func(func, &ty, access_caller);
        let mut guard = store.lock()?;
        let inner = wasm_run::Func::new(&mut *guard, ty.clone(), host).map_err(to_py)?;
        Ok(Func { inner, ty })
    }

    /// The function's type.
    #[getter(r#type)]
    fn ty(&self) -> FuncType {
        FuncType::of(&self.ty)
    }

    /// Calls the function in `store`: `None`, one value or a tuple.
    #[pyo3(signature = (store, *args))]
    fn __call__(
        &self,
        py: Python<'_>,
        store: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<Py<PyAny>> {
        let params = self.ty.params();
        if args.len() != params.len() {
            return Err(type_error(format!(
                "the function takes {} arguments ({}), {} given",
                params.len(),
                params
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                args.len()
            )));
        }
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        no_views(store, &ctx)?;
        with_ctx!(ctx, c => {
            let mut vals = Vec::with_capacity(params.len());
            for (i, (ty, arg)) in params.iter().zip(args.iter()).enumerate() {
                vals.push(to_val(&mut *c, ty, &arg, || format!("argument {}", i + 1))?);
            }
            let mut results = vec![Val::I32(0); self.ty.results().len()];
            let f = self.inner;
            c.run(py, |c| f.call(c, &vals, &mut results))?;
            results_to_py(py, &*c, &results)
        })
    }

    fn __repr__(&self) -> String {
        format!("<wasm_run.Func {}>", self.ty)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Func"))
    }
}

/// A linear memory: an export, or `Memory(store, minimum, maximum=None)`
/// (sizes in pages of 64 KiB).
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Memory {
    pub(crate) inner: wasm_run::Memory<AnyEngine>,
}

/// `[start, stop)` within `len` bytes, checked.
fn span(start: usize, stop: Option<usize>, len: usize) -> PyResult<(usize, usize)> {
    let stop = stop.unwrap_or(len);
    if start > stop || stop > len {
        return Err(pyo3::exceptions::PyIndexError::new_err(format!(
            "bytes {start}..{stop} are outside the memory of {len} bytes"
        )));
    }
    Ok((start, stop))
}

#[pymethods]
impl Memory {
    #[new]
    #[pyo3(signature = (store, minimum, maximum=None))]
    fn new(store: &Store, minimum: u64, maximum: Option<u64>) -> PyResult<Self> {
        let mut guard = store.lock()?;
        let ty = wasm_run::MemoryType::new(minimum, maximum);
        let inner = wasm_run::Memory::new(&mut *guard, ty).map_err(to_py)?;
        Ok(Memory { inner })
    }

    /// The memory's type.
    fn r#type(&self, store: &Bound<'_, PyAny>) -> PyResult<MemoryType> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        Ok(with_ctx!(ctx, c => MemoryType::of(&self.inner.ty(&*c))))
    }

    /// The size in pages.
    fn size(&self, store: &Bound<'_, PyAny>) -> PyResult<u64> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        Ok(with_ctx!(ctx, c => self.inner.size(&*c)))
    }

    /// The size in bytes.
    fn data_len(&self, store: &Bound<'_, PyAny>) -> PyResult<usize> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        Ok(with_ctx!(ctx, c => self.inner.data_size(&*c)))
    }

    /// Grows the memory by `delta` pages; returns the previous size.
    /// Raises `WasmRunError` past the maximum or the engine's limits.
    fn grow(&self, store: &Bound<'_, PyAny>, delta: u64) -> PyResult<u64> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        no_views(store, &ctx)?;
        with_ctx!(ctx, c => self.inner.grow(&mut *c, delta).map_err(to_py))
    }

    /// The bytes `[start, stop)` (to the end by default), copied.
    #[pyo3(signature = (store, start=0, stop=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        store: &Bound<'py, PyAny>,
        start: usize,
        stop: Option<usize>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        no_views(store, &ctx)?;
        with_ctx!(ctx, c => {
            let data = self.inner.data(&*c);
            let (start, stop) = span(start, stop, data.len())?;
            Ok(PyBytes::new(py, &data[start..stop]))
        })
    }

    /// Writes `value` (bytes-like) at `start`; returns the bytes written.
    #[pyo3(signature = (store, value, start=0))]
    fn write(
        &self,
        store: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        start: usize,
    ) -> PyResult<usize> {
        // bytes without a copy; other bytes-like objects copied first (a
        // view of this very memory could overlap the destination).
        let copied;
        let value: &[u8] = match value.cast::<PyBytes>() {
            Ok(b) => b.as_bytes(),
            Err(_) => {
                copied = value
                    .extract::<Vec<u8>>()
                    .map_err(|_| type_error("the value to write is bytes-like"))?;
                &copied
            }
        };
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        no_views(store, &ctx)?;
        with_ctx!(ctx, c => {
            let data = self.inner.data_mut(&mut *c);
            let stop = start.saturating_add(value.len());
            let (start, stop) = span(start, Some(stop), data.len())?;
            data[start..stop].copy_from_slice(value);
            Ok(value.len())
        })
    }

    /// The memory as a writable `memoryview`, without copying.
    ///
    /// Running code may grow (and so move) a memory, so while a view of a
    /// store's memory is alive, calls and instantiations in that store raise
    /// `WasmRunError`: use it as `with memory.view(store) as view: ...`, or
    /// call `view.release()` (views sliced from it keep it alive too). The
    /// view has the memory's size when it was made.
    fn view<'py>(&self, py: Python<'py>, store: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let Ok(owner) = store.cast::<Store>() else {
            return Err(type_error(
                "memory views are made from a Store (in a host function, use read and write with the Caller)",
            ));
        };
        let (ptr, len) = {
            let mut guard = owner.get().lock()?;
            if guard.id() != self.inner.store_id() {
                return Err(crate::errors::WasmRunError::new_err(
                    "this object belongs to another store than the one given",
                ));
            }
            let data = self.inner.data_mut(&mut *guard);
            (data.as_mut_ptr() as usize, data.len())
        };
        crate::view::pinned_view(py, owner, ptr, len)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Memory"))
    }
}

/// A global: an export, or `Global(store, content, value, mutable=False)`.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Global {
    pub(crate) inner: wasm_run::Global<AnyEngine>,
}

#[pymethods]
impl Global {
    #[new]
    #[pyo3(signature = (store, content, value, mutable=false))]
    fn new(
        store: &Store,
        content: &str,
        value: &Bound<'_, PyAny>,
        mutable: bool,
    ) -> PyResult<Self> {
        let content = val_type(content)?;
        let mutability = if mutable {
            Mutability::Var
        } else {
            Mutability::Const
        };
        let mut guard = store.lock()?;
        let val = to_val(&mut *guard, &content, value, || "the value".into())?;
        let ty = wasm_run::GlobalType::new(content, mutability);
        let inner = wasm_run::Global::new(&mut *guard, ty, val).map_err(to_py)?;
        Ok(Global { inner })
    }

    /// The global's type.
    fn r#type(&self, store: &Bound<'_, PyAny>) -> PyResult<GlobalType> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        Ok(with_ctx!(ctx, c => GlobalType::of(&self.inner.ty(&*c))))
    }

    /// The current value.
    fn value(&self, py: Python<'_>, store: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => {
            let v = self.inner.get(&mut *c);
            from_val(py, &*c, &v)
        })
    }

    /// Sets the value (`WasmRunError` for an immutable global).
    fn set_value(&self, store: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => {
            let ty = self.inner.ty(&*c);
            let v = to_val(&mut *c, &ty.content, value, || "the value".into())?;
            self.inner.set(&mut *c, v).map_err(to_py)
        })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Global"))
    }
}

/// A table: an export, or `Table(store, element, minimum, maximum=None,
/// init=None)` with `element` `"funcref"` or `"externref"`.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Table {
    pub(crate) inner: wasm_run::Table<AnyEngine>,
}

impl Table {
    fn element(&self, store: impl wasm_run::AsContext<AnyEngine>) -> ValType {
        ValType::Ref(self.inner.ty(store).element)
    }
}

#[pymethods]
impl Table {
    #[new]
    #[pyo3(signature = (store, element, minimum, maximum=None, init=None))]
    fn new(
        store: &Store,
        element: &str,
        minimum: u64,
        maximum: Option<u64>,
        init: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let ValType::Ref(element) = val_type(element)? else {
            return Err(type_error("a table's element type is funcref or externref"));
        };
        let mut guard = store.lock()?;
        let init = match init {
            Some(v) => to_val(&mut *guard, &ValType::Ref(element), v, || "init".into())?,
            None => Val::default_for(&ValType::Ref(element))
                .ok_or_else(|| type_error("this element type needs an init value"))?,
        };
        let ty = wasm_run::TableType::new(element, minimum, maximum);
        let inner = wasm_run::Table::new(&mut *guard, ty, init).map_err(to_py)?;
        Ok(Table { inner })
    }

    /// The table's type.
    fn r#type(&self, store: &Bound<'_, PyAny>) -> PyResult<TableType> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        Ok(with_ctx!(ctx, c => TableType::of(&self.inner.ty(&*c))))
    }

    /// The number of elements.
    fn size(&self, store: &Bound<'_, PyAny>) -> PyResult<u64> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        Ok(with_ctx!(ctx, c => self.inner.size(&*c)))
    }

    /// The element at `index` (`IndexError` past the end).
    fn get(&self, py: Python<'_>, store: &Bound<'_, PyAny>, index: u64) -> PyResult<Py<PyAny>> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => match self.inner.get(&mut *c, index) {
            Some(v) => from_val(py, &*c, &v),
            None => Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "table index {index} out of bounds"
            ))),
        })
    }

    /// Sets the element at `index`.
    fn set(&self, store: &Bound<'_, PyAny>, index: u64, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => {
            let ty = self.element(&*c);
            let v = to_val(&mut *c, &ty, value, || "the value".into())?;
            self.inner.set(&mut *c, index, v).map_err(to_py)
        })
    }

    /// Grows the table by `delta` elements set to `init` (null by
    /// default); returns the previous size.
    #[pyo3(signature = (store, delta, init=None))]
    fn grow(
        &self,
        store: &Bound<'_, PyAny>,
        delta: u64,
        init: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let mut ctx = Ctx::owning(store, self.inner.store_id())?;
        with_ctx!(ctx, c => {
            let ty = self.element(&*c);
            let init = match init {
                Some(v) => to_val(&mut *c, &ty, v, || "init".into())?,
                None => Val::default_for(&ty).ok_or_else(|| type_error("this element type needs an init value"))?,
            };
            self.inner.grow(&mut *c, delta, init).map_err(to_py)
        })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Table"))
    }
}
