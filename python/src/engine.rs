//! Engines, modules, and the types of what modules import and export.

use crate::errors::{not_picklable, to_py, value_error};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::collections::HashMap;
use wasm_run::{AnyEngine, Config, Engine as _, ExternType, Feature, Mutability};

fn feature(name: &str) -> PyResult<Feature> {
    name.parse::<Feature>()
        .map_err(|e| value_error(e.to_string()))
}

/// A WebAssembly engine: one of the backends of this build, by name.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Engine {
    pub(crate) inner: AnyEngine,
}

#[pymethods]
impl Engine {
    /// `Engine(name=None, *, fuel=False, interruptible=True, features=None,
    /// max_wasm_stack=None, max_memory_bytes=None, max_table_elements=None,
    /// max_instances=None)`. `name` picks the backend
    /// (`wasm_run.BACKENDS`), the default one when `None`; `features` maps
    /// feature names (`"simd"`, `"threads"`, ...) to on/off.
    #[new]
    #[pyo3(signature = (name=None, *, fuel=false, interruptible=true, features=None, max_wasm_stack=None, max_memory_bytes=None, max_table_elements=None, max_instances=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: Option<&str>,
        fuel: bool,
        interruptible: bool,
        features: Option<HashMap<String, bool>>,
        max_wasm_stack: Option<usize>,
        max_memory_bytes: Option<usize>,
        max_table_elements: Option<usize>,
        max_instances: Option<usize>,
    ) -> PyResult<Self> {
        let mut config = Config::new();
        config.fuel(fuel);
        if interruptible {
            config.enable(Feature::Interrupt).enable(Feature::Deadline);
        }
        let mut features: Vec<(String, bool)> = features.unwrap_or_default().into_iter().collect();
        features.sort();
        for (name, on) in features {
            config.set(feature(&name)?, on);
        }
        if let Some(bytes) = max_wasm_stack {
            config.max_wasm_stack(bytes);
        }
        if let Some(bytes) = max_memory_bytes {
            config.max_memory_bytes(bytes);
        }
        if let Some(n) = max_table_elements {
            config.max_table_elements(n);
        }
        if let Some(n) = max_instances {
            config.max_instances(n);
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

    /// Whether this engine, as configured, has `feature_name` (e.g.
    /// `"simd"`).
    fn enabled(&self, feature_name: &str) -> PyResult<bool> {
        Ok(self.inner.features().contains(feature(feature_name)?))
    }

    fn __repr__(&self) -> String {
        format!("Engine({:?})", self.inner.name())
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Engine"))
    }
}

/// The bytes of a module given as `bytes`, a bytes-like object or WAT text.
pub(crate) fn module_bytes(wasm: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = wasm.cast::<PyBytes>() {
        Ok(b.as_bytes().to_vec())
    } else if let Ok(s) = wasm.cast::<PyString>() {
        Ok(s.extract::<String>()?.into_bytes())
    } else {
        wasm.extract::<Vec<u8>>().map_err(|_| {
            crate::errors::type_error("a module is bytes (the binary) or str (WAT text)")
        })
    }
}

/// A compiled module.
#[pyclass(frozen, module = "wasm_run")]
pub(crate) struct Module {
    pub(crate) inner: wasm_run::Module<AnyEngine>,
}

impl Module {
    pub(crate) fn compile(
        py: Python<'_>,
        engine: &AnyEngine,
        wasm: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let bytes = module_bytes(wasm)?;
        let inner = py
            .detach(|| wasm_run::Module::new(engine, bytes))
            .map_err(to_py)?;
        Ok(Module { inner })
    }
}

#[pymethods]
impl Module {
    /// `Module(engine, wasm)`: `wasm` is the binary (`bytes`) or WAT text
    /// (`str`). Raises `CompileError` for a malformed or invalid module.
    #[new]
    fn new(py: Python<'_>, engine: &Engine, wasm: &Bound<'_, PyAny>) -> PyResult<Self> {
        Module::compile(py, &engine.inner, wasm)
    }

    /// Whether `wasm` is a valid module for `engine`.
    #[staticmethod]
    fn validate(py: Python<'_>, engine: &Engine, wasm: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(Module::compile(py, &engine.inner, wasm).is_ok())
    }

    /// The imports, as `ImportType`s (`.module`, `.name`, `.type`).
    #[getter]
    fn imports(&self) -> Vec<ImportType> {
        self.inner
            .imports()
            .iter()
            .map(|i| ImportType {
                module: i.module.clone(),
                name: i.name.clone(),
                ty: extern_type(&i.ty),
            })
            .collect()
    }

    /// The exports, as `ExportType`s (`.name`, `.type`).
    #[getter]
    fn exports(&self) -> Vec<ExportType> {
        self.inner
            .exports()
            .iter()
            .map(|e| ExportType {
                name: e.name.clone(),
                ty: extern_type(&e.ty),
            })
            .collect()
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Module"))
    }
}

/// The type of an import or export: one of `FuncType`, `MemoryType`,
/// `GlobalType`, `TableType`, or its text for other kinds (tags).
fn extern_type(ty: &ExternType) -> TypeOf {
    match ty {
        ExternType::Func(f) => TypeOf::Func(FuncType::of(f)),
        ExternType::Memory(m) => TypeOf::Memory(MemoryType::of(m)),
        ExternType::Global(g) => TypeOf::Global(GlobalType::of(g)),
        ExternType::Table(t) => TypeOf::Table(TableType::of(t)),
        other => TypeOf::Other(other.to_string()),
    }
}

/// An import's or export's type, as Python receives it.
#[derive(Clone, IntoPyObject)]
pub(crate) enum TypeOf {
    Func(FuncType),
    Memory(MemoryType),
    Global(GlobalType),
    Table(TableType),
    Other(String),
}

/// One import of a module.
#[pyclass(frozen, module = "wasm_run", get_all)]
pub(crate) struct ImportType {
    /// The module name.
    module: String,
    /// The field name.
    name: String,
    /// The expected type.
    #[pyo3(name = "type")]
    ty: TypeOf,
}

#[pymethods]
impl ImportType {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let ty = self.ty.clone().into_pyobject(py)?.repr()?.to_string();
        Ok(format!(
            "ImportType({:?}, {:?}, {ty})",
            self.module, self.name
        ))
    }
}

/// One export of a module.
#[pyclass(frozen, module = "wasm_run", get_all)]
pub(crate) struct ExportType {
    /// The export name.
    name: String,
    /// Its type.
    #[pyo3(name = "type")]
    ty: TypeOf,
}

#[pymethods]
impl ExportType {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let ty = self.ty.clone().into_pyobject(py)?.repr()?.to_string();
        Ok(format!("ExportType({:?}, {ty})", self.name))
    }
}

/// A function type: `params` and `results` as lists of value type names
/// (`"i32"`, `"i64"`, `"f32"`, `"f64"`, `"v128"`, `"funcref"`,
/// `"externref"`).
#[pyclass(frozen, module = "wasm_run", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct FuncType {
    /// Parameter types.
    params: Vec<String>,
    /// Result types.
    results: Vec<String>,
}

impl FuncType {
    /// The wasm-run type.
    pub(crate) fn to_wasm(&self) -> PyResult<wasm_run::FuncType> {
        Ok(wasm_run::FuncType::new(
            crate::values::val_types(&self.params)?,
            crate::values::val_types(&self.results)?,
        ))
    }

    pub(crate) fn of(ty: &wasm_run::FuncType) -> Self {
        FuncType {
            params: ty.params().iter().map(|t| t.to_string()).collect(),
            results: ty.results().iter().map(|t| t.to_string()).collect(),
        }
    }
}

#[pymethods]
impl FuncType {
    /// `FuncType(params, results)`.
    #[new]
    fn new(params: Vec<String>, results: Vec<String>) -> PyResult<Self> {
        crate::values::val_types(&params)?;
        crate::values::val_types(&results)?;
        Ok(FuncType { params, results })
    }
    fn __repr__(&self) -> String {
        format!("FuncType({:?}, {:?})", self.params, self.results)
    }
}

/// A memory type: `minimum` and `maximum` (`None`: unbounded) in pages of
/// 64 KiB, `shared`, `memory64`.
#[pyclass(frozen, module = "wasm_run", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct MemoryType {
    /// Minimum size in pages.
    minimum: u64,
    /// Maximum size in pages.
    maximum: Option<u64>,
    /// Shared between threads.
    shared: bool,
    /// 64-bit addresses.
    memory64: bool,
}

impl MemoryType {
    pub(crate) fn of(ty: &wasm_run::MemoryType) -> Self {
        MemoryType {
            minimum: ty.minimum,
            maximum: ty.maximum,
            shared: ty.shared,
            memory64: ty.memory64,
        }
    }
}

#[pymethods]
impl MemoryType {
    fn __repr__(&self) -> String {
        format!(
            "MemoryType(minimum={}, maximum={}, shared={}, memory64={})",
            self.minimum,
            py_opt(self.maximum),
            py_bool(self.shared),
            py_bool(self.memory64)
        )
    }
}

/// A global type: the value type `content` and whether it is `mutable`.
#[pyclass(frozen, module = "wasm_run", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct GlobalType {
    /// The value type.
    content: String,
    /// Writable after instantiation.
    mutable: bool,
}

impl GlobalType {
    pub(crate) fn of(ty: &wasm_run::GlobalType) -> Self {
        GlobalType {
            content: ty.content.to_string(),
            mutable: ty.mutability == Mutability::Var,
        }
    }
}

#[pymethods]
impl GlobalType {
    fn __repr__(&self) -> String {
        format!(
            "GlobalType({:?}, mutable={})",
            self.content,
            py_bool(self.mutable)
        )
    }
}

/// A table type: the `element` reference type, `minimum` and `maximum`.
#[pyclass(frozen, module = "wasm_run", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct TableType {
    /// The element type (`"funcref"`, `"externref"`, ...).
    element: String,
    /// Minimum number of elements.
    minimum: u64,
    /// Maximum number of elements.
    maximum: Option<u64>,
}

impl TableType {
    pub(crate) fn of(ty: &wasm_run::TableType) -> Self {
        TableType {
            element: wasm_run::ValType::Ref(ty.element).to_string(),
            minimum: ty.minimum,
            maximum: ty.maximum,
        }
    }
}

#[pymethods]
impl TableType {
    fn __repr__(&self) -> String {
        format!(
            "TableType({:?}, minimum={}, maximum={})",
            self.element,
            self.minimum,
            py_opt(self.maximum)
        )
    }
}

fn py_opt(o: Option<u64>) -> String {
    o.map_or_else(|| "None".to_string(), |n| n.to_string())
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
