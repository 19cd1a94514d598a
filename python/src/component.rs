//! WebAssembly components: loading, the WIT world, and calls with Python
//! values mapped from WIT types.
//!
//! | WIT | Python |
//! |---|---|
//! | `bool` | `bool` |
//! | `s8` ... `u64` | `int` (range-checked) |
//! | `f32`, `f64` | `float` |
//! | `char` | `str` of one character |
//! | `string` | `str` |
//! | `list<u8>` | `bytes` (any bytes-like or list of ints going in) |
//! | `list<T>`, `list<T, N>` | `list` (any sequence going in) |
//! | `map<K, V>` | `dict` |
//! | `record` | `dict` by field name (a dataclass or any object with the fields as attributes, `-` spelled `_`, going in) |
//! | `tuple<...>` | `tuple` |
//! | `variant` | `Variant(case, value)` (a bare case name for a case without payload going in) |
//! | `enum` | `str` (an `enum.Enum` member going in: its value if a string, else its name) |
//! | `option<T>` | `None` or the value |
//! | `result<T, E>` | `Ok(value)` or `Err(value)` |
//! | `flags` | `set` of the names that are set |
//! | `own<R>`, `borrow<R>` | `Resource` |

use crate::engine::{Engine, module_bytes};
use crate::errors::{not_picklable, to_py, type_error};
use crate::interrupt::RunIn;
use crate::store::{HostState, Store};
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};
use std::sync::Mutex;
use wasm_run::AnyEngine;
use wasm_run::component::{self as wc, Type, Val};

/// A component: `Component(engine, wasm)` with the binary or WAT text.
/// Raises `CompileError` for a malformed or invalid one.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Component {
    inner: wc::Component<AnyEngine>,
}

#[pymethods]
impl Component {
    #[new]
    fn new(py: Python<'_>, engine: &Engine, wasm: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = module_bytes(wasm)?;
        let engine = engine.inner.clone();
        let inner = py
            .detach(|| wc::Component::new(&engine, bytes))
            .map_err(to_py)?;
        Ok(Component { inner })
    }

    /// The component's imports and exports as WIT text.
    #[getter]
    fn world(&self) -> String {
        self.inner.world().to_string()
    }

    /// The exported functions (`name` or `interface#name`) with their WIT
    /// types, as `(name, type)` pairs.
    #[getter]
    fn exports(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, item) in self.inner.world().exports() {
            match item {
                wc::ItemType::Func(f) => out.push((name.clone(), f.to_string())),
                wc::ItemType::Instance(items) => {
                    for (inner, item) in items.iter() {
                        if let wc::ItemType::Func(f) = item {
                            out.push((format!("{name}#{inner}"), f.to_string()));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn __repr__(&self) -> String {
        format!("<wasm_run.Component {} exports>", self.exports().len())
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Component"))
    }
}

/// Instantiates components: `ComponentLinker(engine)`, with host
/// functions in Python for the components' imports (`define_func`) and WASI
/// preview 2 (`define_wasi`).
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct ComponentLinker {
    engine: AnyEngine,
    defs: Mutex<Defs>,
}

#[derive(Default)]
struct Defs {
    /// `name` or `interface#name`, and the callable.
    funcs: Vec<(String, Py<PyAny>)>,
    wasi: bool,
}

/// The type of the imported function `name` (`f` or `interface#f`) of
/// `component`.
fn import_type(component: &wc::Component<AnyEngine>, name: &str) -> Option<wc::FuncType> {
    let imports = component.world().imports();
    let find = |items: &[(String, wc::ItemType)], name: &str| {
        items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    };
    match name.rsplit_once('#') {
        Some((iface, f)) => match find(imports, iface)? {
            wc::ItemType::Instance(items) => match find(&items, f)? {
                wc::ItemType::Func(ty) => Some(ty),
                _ => None,
            },
            _ => None,
        },
        None => match find(imports, name)? {
            wc::ItemType::Func(ty) => Some(ty),
            _ => None,
        },
    }
}

/// A Python callable as the host function of an import of type `ty`.
fn host_func(
    func: Py<PyAny>,
    ty: wc::FuncType,
) -> impl Fn(&mut wc::HostContext<'_, HostState>, &[Val], &mut [Val]) -> wasm_run::Result<()>
+ Send
+ Sync
+ 'static {
    move |_cx, args, out| {
        Python::attach(|py| -> PyResult<()> {
            let args = args
                .iter()
                .map(|v| from_val(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            let returned = func.call1(py, PyTuple::new(py, args)?)?;
            let returned = returned.bind(py);
            match ty.result() {
                Some(rty) => {
                    out[0] = to_val(py, rty, returned, "the host function's result")?;
                    Ok(())
                }
                None if returned.is_none() => Ok(()),
                None => Err(type_error(format!(
                    "the host function has no result but returned a {}",
                    kind(returned)
                ))),
            }
        })
        .map_err(wasm_run::Error::host)
    }
}

#[pymethods]
impl ComponentLinker {
    #[new]
    fn new(engine: &Engine) -> Self {
        ComponentLinker {
            engine: engine.inner.clone(),
            defs: Mutex::new(Defs::default()),
        }
    }

    /// Defines the imported function `name` (`"f"` at the root, or
    /// `"interface#f"`, e.g. `"example:app/log#write"`) as `func(*args)`:
    /// it receives Python values and returns its result as one, converted
    /// by the import's WIT type when a component is instantiated. An
    /// exception it raises stops the guest and is the `__cause__` of the
    /// call's `WasmRunError`.
    fn define_func(&self, name: String, func: Py<PyAny>) -> PyResult<()> {
        let mut defs = self.defs.lock().unwrap_or_else(|p| p.into_inner());
        if defs.funcs.iter().any(|(n, _)| *n == name) {
            return Err(crate::errors::LinkError::new_err(format!(
                "`{name}` is already defined"
            )));
        }
        defs.funcs.push((name, func));
        Ok(())
    }

    /// Defines WASI preview 2 (`wasi:cli`, `wasi:io`, `wasi:clocks`,
    /// `wasi:random`, `wasi:filesystem`; sockets and HTTP answer
    /// `access-denied`); each store gets its context from
    /// `Store.set_wasi(WasiConfig(...))`, or an empty one.
    fn define_wasi(&self) {
        self.defs.lock().unwrap_or_else(|p| p.into_inner()).wasi = true;
    }

    /// Instantiates `component` in `store`. Raises `LinkError` for an
    /// import this linker does not define, `ExitError` if WASI's `exit` is
    /// called while it starts.
    fn instantiate(
        &self,
        py: Python<'_>,
        store: &Store,
        component: &Component,
    ) -> PyResult<ComponentInstance> {
        store.check_no_views()?;
        let mut linker = wc::Linker::new(&self.engine);
        let wasi = {
            let defs = self.defs.lock().unwrap_or_else(|p| p.into_inner());
            if defs.wasi {
                wasm_run::wasi::p2::add_to_linker(&mut linker).map_err(to_py)?;
            }
            for (name, func) in &defs.funcs {
                // Imports the component does not have are not needed.
                let Some(ty) = import_type(&component.inner, name) else {
                    continue;
                };
                let host = host_func(func.clone_ref(py), ty);
                match name.rsplit_once('#') {
                    Some((iface, f)) => linker
                        .instance(iface)
                        .and_then(|mut i| i.func_new(f, host).map(drop)),
                    None => linker.func_new(name, host).map(drop),
                }
                .map_err(to_py)?;
            }
            defs.wasi
        };
        let mut guard = store.lock()?;
        if wasi && guard.data().p2.is_none() {
            guard.data_mut().p2 = Some(crate::wasi::WasiConfig::empty_p2()?);
        }
        let linker = &linker;
        let inner = guard.run(py, |s| linker.instantiate(s, &component.inner))?;
        Ok(ComponentInstance { inner })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("ComponentLinker"))
    }
}

/// An instance of a component.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct ComponentInstance {
    inner: wc::Instance<AnyEngine>,
}

#[pymethods]
impl ComponentInstance {
    /// The exported function `name` (or `interface#name`), or `None`.
    fn get_func(&self, name: &str) -> Option<ComponentFunc> {
        self.inner
            .get_func(name)
            .map(|inner| ComponentFunc { inner })
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("ComponentInstance"))
    }
}

/// An exported component function: `func(store, *args)` with Python values
/// for its WIT parameters; returns its result (or `None`).
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct ComponentFunc {
    inner: wc::Func<AnyEngine>,
}

#[pymethods]
impl ComponentFunc {
    /// The function's WIT type.
    #[getter(r#type)]
    fn ty(&self) -> String {
        self.inner.ty().to_string()
    }

    #[pyo3(signature = (store, *args))]
    fn __call__(
        &self,
        py: Python<'_>,
        store: &Store,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<Py<PyAny>> {
        let ty = self.inner.ty();
        let params = ty.params();
        if args.len() != params.len() {
            return Err(type_error(format!(
                "{ty} takes {} arguments, {} given",
                params.len(),
                args.len()
            )));
        }
        let vals = params
            .iter()
            .zip(args.iter())
            .map(|((name, ty), arg)| to_val(py, ty, &arg, name))
            .collect::<PyResult<Vec<_>>>()?;
        let mut results = match ty.result() {
            Some(_) => vec![Val::Bool(false)],
            None => vec![],
        };
        store.check_no_views()?;
        let mut guard = store.lock()?;
        let f = &self.inner;
        guard.run(py, |s| f.call(s, &vals, &mut results))?;
        drop(guard);
        match results.first() {
            Some(v) => from_val(py, v),
            None => Ok(py.None()),
        }
    }

    fn __repr__(&self) -> String {
        format!("<wasm_run.ComponentFunc {}>", self.inner.ty())
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("ComponentFunc"))
    }
}

/// The `ok` case of a WIT `result`.
#[pyclass(frozen, module = "wasm_run", name = "Ok")]
pub(crate) struct OkCase {
    /// The payload (`None` for a `result` without an ok type).
    #[pyo3(get)]
    value: Py<PyAny>,
}

#[pymethods]
impl OkCase {
    #[new]
    #[pyo3(signature = (value=None))]
    fn new(py: Python<'_>, value: Option<Py<PyAny>>) -> Self {
        OkCase {
            value: value.unwrap_or_else(|| py.None()),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Ok({})", self.value.bind(py).repr()?))
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<OkCase>() {
            Ok(o) => self.value.bind(py).eq(o.get().value.bind(py)),
            Err(_) => Ok(false),
        }
    }
}

/// The `err` case of a WIT `result`.
#[pyclass(frozen, module = "wasm_run", name = "Err")]
pub(crate) struct ErrCase {
    /// The payload (`None` for a `result` without an error type).
    #[pyo3(get)]
    value: Py<PyAny>,
}

#[pymethods]
impl ErrCase {
    #[new]
    #[pyo3(signature = (value=None))]
    fn new(py: Python<'_>, value: Option<Py<PyAny>>) -> Self {
        ErrCase {
            value: value.unwrap_or_else(|| py.None()),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Err({})", self.value.bind(py).repr()?))
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<ErrCase>() {
            Ok(o) => self.value.bind(py).eq(o.get().value.bind(py)),
            Err(_) => Ok(false),
        }
    }
}

/// A case of a WIT `variant`: its name and payload (`None` without one).
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Variant {
    /// The case's name.
    #[pyo3(get)]
    case: String,
    /// The payload.
    #[pyo3(get)]
    value: Py<PyAny>,
}

#[pymethods]
impl Variant {
    #[new]
    #[pyo3(signature = (case, value=None))]
    fn new(py: Python<'_>, case: String, value: Option<Py<PyAny>>) -> Self {
        Variant {
            case,
            value: value.unwrap_or_else(|| py.None()),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Variant({:?}, {})",
            self.case,
            self.value.bind(py).repr()?
        ))
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Variant>() {
            Ok(o) => {
                Ok(self.case == o.get().case && self.value.bind(py).eq(o.get().value.bind(py))?)
            }
            Err(_) => Ok(false),
        }
    }
}

/// A resource handle (`own<R>` or `borrow<R>`) a component returned.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Resource {
    inner: wc::ResourceAny,
}

#[pymethods]
impl Resource {
    fn __repr__(&self) -> String {
        format!("<wasm_run.Resource {}>", self.inner.rep())
    }
    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Resource"))
    }
}

fn kind(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An int of Python as `T` for `what`.
fn int<'py, T: pyo3::conversion::FromPyObjectOwned<'py>>(
    v: &Bound<'py, PyAny>,
    ty: &Type,
    what: &str,
) -> PyResult<T> {
    if !v.is_instance_of::<pyo3::types::PyInt>() || v.is_instance_of::<PyBool>() {
        return Err(type_error(format!(
            "{what}: expected an int ({ty}), got {}",
            kind(v)
        )));
    }
    v.extract::<T>()
        .map_err(|_| PyOverflowError::new_err(format!("{what}: out of range for {ty}")))
}

/// A Python value as a component value of type `ty`; `what` names it in
/// errors (the parameter, or a path into it).
fn to_val(py: Python<'_>, ty: &Type, v: &Bound<'_, PyAny>, what: &str) -> PyResult<Val> {
    let wrong = |expected: &str| {
        type_error(format!(
            "{what}: expected {expected} ({ty}), got {}",
            kind(v)
        ))
    };
    Ok(match ty {
        Type::Bool => Val::Bool(v.cast::<PyBool>().map_err(|_| wrong("a bool"))?.is_true()),
        Type::S8 => Val::S8(int(v, ty, what)?),
        Type::U8 => Val::U8(int(v, ty, what)?),
        Type::S16 => Val::S16(int(v, ty, what)?),
        Type::U16 => Val::U16(int(v, ty, what)?),
        Type::S32 => Val::S32(int(v, ty, what)?),
        Type::U32 => Val::U32(int(v, ty, what)?),
        Type::S64 => Val::S64(int(v, ty, what)?),
        Type::U64 => Val::U64(int(v, ty, what)?),
        Type::F32 => Val::F32(v.extract::<f64>().map_err(|_| wrong("a float"))? as f32),
        Type::F64 => Val::F64(v.extract::<f64>().map_err(|_| wrong("a float"))?),
        Type::Char => {
            let s: String = v.extract().map_err(|_| wrong("a str of one character"))?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(wrong("a str of one character")),
            }
        }
        Type::String => Val::String(
            v.cast::<PyString>()
                .map_err(|_| wrong("a str"))?
                .extract::<String>()?,
        ),
        Type::List(item) if **item == Type::U8 && !v.is_instance_of::<PyList>() => {
            Val::Bytes(v.extract::<Vec<u8>>().map_err(|_| wrong("bytes"))?)
        }
        Type::List(item) => Val::List(items(py, item, v, what, None)?),
        Type::FixedList(item, n) => Val::List(items(py, item, v, what, Some(*n as usize))?),
        Type::Map(kv) => {
            let dict = v.cast::<PyDict>().map_err(|_| wrong("a dict"))?;
            let mut pairs = Vec::with_capacity(dict.len());
            for (k, val) in dict.iter() {
                pairs.push((
                    to_val(py, &kv.0, &k, &format!("{what} key"))?,
                    to_val(py, &kv.1, &val, &format!("{what}[{}]", k.repr()?))?,
                ));
            }
            Val::Map(pairs)
        }
        Type::Record(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            let dict = v.cast::<PyDict>().ok();
            for (name, fty) in fields.iter() {
                let attr = name.replace('-', "_");
                let field = match dict {
                    Some(d) => d.get_item(name)?.or(d.get_item(&attr)?),
                    None => v.getattr(attr.as_str()).ok(),
                };
                let field = field.ok_or_else(|| {
                    type_error(format!("{what}: the record ({ty}) has no field `{name}`"))
                })?;
                out.push((
                    name.clone(),
                    to_val(py, fty, &field, &format!("{what}.{name}"))?,
                ));
            }
            Val::Record(out)
        }
        Type::Tuple(types) => {
            let values = items_any(v).ok_or_else(|| wrong("a tuple"))?;
            if values.len() != types.len() {
                return Err(wrong(&format!("a tuple of {}", types.len())));
            }
            Val::Tuple(
                types
                    .iter()
                    .zip(&values)
                    .enumerate()
                    .map(|(i, (t, x))| to_val(py, t, x, &format!("{what}[{i}]")))
                    .collect::<PyResult<_>>()?,
            )
        }
        Type::Variant(cases) => {
            let (case, payload) = if let Ok(var) = v.cast::<Variant>() {
                let var = var.get();
                (var.case.clone(), Some(var.value.bind(py).clone()))
            } else if let Ok(s) = v.extract::<String>() {
                (s, None)
            } else {
                return Err(wrong("a Variant"));
            };
            let Some((_, cty)) = cases.iter().find(|(n, _)| *n == case) else {
                return Err(type_error(format!(
                    "{what}: `{case}` is not a case of {ty}"
                )));
            };
            let payload = match (cty, payload) {
                (Some(t), Some(p)) => Some(Box::new(to_val(py, t, &p, &format!("{what}.{case}"))?)),
                (Some(_), None) => {
                    return Err(type_error(format!(
                        "{what}: the case `{case}` of {ty} has a payload"
                    )));
                }
                (None, _) => None,
            };
            Val::Variant(case, payload)
        }
        Type::Enum(cases) => {
            let name: String = match v.extract::<String>() {
                Ok(s) => s,
                Err(_) => match v.getattr("value").and_then(|x| x.extract::<String>()) {
                    Ok(s) => s,
                    Err(_) => v
                        .getattr("name")
                        .and_then(|x| x.extract::<String>())
                        .map_err(|_| wrong("a str or an enum.Enum member"))?,
                },
            };
            if !cases.contains(&name) {
                return Err(type_error(format!(
                    "{what}: `{name}` is not a case of {ty}"
                )));
            }
            Val::Enum(name)
        }
        Type::Option(t) => {
            if v.is_none() {
                Val::Option(None)
            } else {
                Val::Option(Some(Box::new(to_val(py, t, v, what)?)))
            }
        }
        Type::Result(sides) => {
            let (ok, side, payload) = if let Ok(o) = v.cast::<OkCase>() {
                (true, &sides.0, o.get().value.bind(py).clone())
            } else if let Ok(e) = v.cast::<ErrCase>() {
                (false, &sides.1, e.get().value.bind(py).clone())
            } else {
                return Err(wrong("Ok(...) or Err(...)"));
            };
            let payload = match side {
                Some(t) => Some(Box::new(to_val(py, t, &payload, what)?)),
                None => None,
            };
            Val::Result(if ok { Ok(payload) } else { Err(payload) })
        }
        Type::Flags(names) => {
            let set: Vec<String> = v
                .try_iter()
                .map_err(|_| wrong("a set of names"))?
                .map(|x| x.and_then(|x| x.extract::<String>()))
                .collect::<PyResult<_>>()
                .map_err(|_| wrong("a set of names"))?;
            for name in &set {
                if !names.contains(name) {
                    return Err(type_error(format!(
                        "{what}: `{name}` is not a flag of {ty}"
                    )));
                }
            }
            // In the type's order, each once.
            Val::Flags(names.iter().filter(|n| set.contains(n)).cloned().collect())
        }
        Type::Own(_) | Type::Borrow(_) => {
            let r = v.cast::<Resource>().map_err(|_| wrong("a Resource"))?;
            Val::Resource(r.get().inner.clone())
        }
        #[allow(unreachable_patterns)]
        other => {
            return Err(crate::errors::Unsupported::new_err(format!(
                "{what}: values of type {other} cannot be converted from Python"
            )));
        }
    })
}

/// The elements of a sequence (not a str).
fn items_any<'py>(v: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyAny>>> {
    if v.is_instance_of::<PyString>() {
        return None;
    }
    v.try_iter().ok()?.collect::<PyResult<Vec<_>>>().ok()
}

fn items(
    py: Python<'_>,
    item: &Type,
    v: &Bound<'_, PyAny>,
    what: &str,
    len: Option<usize>,
) -> PyResult<Vec<Val>> {
    let values = items_any(v)
        .ok_or_else(|| type_error(format!("{what}: expected a sequence, got {}", kind(v))))?;
    if let Some(n) = len
        && values.len() != n
    {
        return Err(type_error(format!(
            "{what}: expected {n} items, got {}",
            values.len()
        )));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, x)| to_val(py, item, x, &format!("{what}[{i}]")))
        .collect()
}

/// A component value as Python.
fn from_val(py: Python<'_>, v: &Val) -> PyResult<Py<PyAny>> {
    let obj = |x: Bound<'_, PyAny>| x.unbind();
    Ok(match v {
        Val::Bool(b) => obj(PyBool::new(py, *b).to_owned().into_any()),
        Val::S8(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::U8(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::S16(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::U16(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::S32(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::U32(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::S64(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::U64(n) => n.into_pyobject(py)?.into_any().unbind(),
        Val::F32(x) => f64::from(*x).into_pyobject(py)?.into_any().unbind(),
        Val::F64(x) => x.into_pyobject(py)?.into_any().unbind(),
        Val::Char(c) => obj(PyString::new(py, c.encode_utf8(&mut [0; 4])).into_any()),
        Val::String(s) => obj(PyString::new(py, s).into_any()),
        Val::Bytes(b) => obj(PyBytes::new(py, b).into_any()),
        Val::List(items) => {
            let values = items
                .iter()
                .map(|x| from_val(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            obj(PyList::new(py, values)?.into_any())
        }
        Val::Map(pairs) => {
            let dict = PyDict::new(py);
            for (k, x) in pairs {
                dict.set_item(from_val(py, k)?, from_val(py, x)?)?;
            }
            obj(dict.into_any())
        }
        Val::Record(fields) => {
            let dict = PyDict::new(py);
            for (name, x) in fields {
                dict.set_item(name, from_val(py, x)?)?;
            }
            obj(dict.into_any())
        }
        Val::Tuple(items) => {
            let values = items
                .iter()
                .map(|x| from_val(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            obj(PyTuple::new(py, values)?.into_any())
        }
        Val::Variant(case, payload) => {
            let value = match payload {
                Some(p) => from_val(py, p)?,
                None => py.None(),
            };
            Py::new(
                py,
                Variant {
                    case: case.clone(),
                    value,
                },
            )?
            .into_any()
        }
        Val::Enum(case) => obj(PyString::new(py, case).into_any()),
        Val::Option(None) => py.None(),
        Val::Option(Some(x)) => from_val(py, x)?,
        Val::Result(r) => {
            let payload = |p: &Option<Box<Val>>| match p {
                Some(x) => from_val(py, x),
                None => Ok(py.None()),
            };
            match r {
                Ok(p) => Py::new(py, OkCase { value: payload(p)? })?.into_any(),
                Err(p) => Py::new(py, ErrCase { value: payload(p)? })?.into_any(),
            }
        }
        Val::Flags(names) => {
            let set = pyo3::types::PySet::new(py, names)?;
            obj(set.into_any())
        }
        Val::Resource(r) => Py::new(py, Resource { inner: r.clone() })?.into_any(),
        #[allow(unreachable_patterns)]
        _ => {
            return Err(crate::errors::Unsupported::new_err(
                "this component value cannot be converted to Python",
            ));
        }
    })
}
