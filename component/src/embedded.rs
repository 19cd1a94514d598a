//! The second input form: a core module that carries its WIT world in a
//! `component-type` custom section, as `wit-bindgen` leaves it before
//! `wasm-tools component new`. Its WIT imports and exports follow the core
//! names `wit-component` reads (the "legacy" scheme): `$root` or the
//! interface name as the import module, `[export]<interface>` for the
//! resource built-ins of exported resources, `<interface>#<function>` for
//! exports, `cabi_post_<export>` for post-return, `cabi_realloc`,
//! `memory` and `_initialize`. Every other core import (WASI preview 1, for
//! one) comes from the component linker's core definitions
//! ([`Linker::core`](crate::Linker::core)).
//!
//! Instantiation wires this directly, with no adapter and no shim module:
//! the lowered imports read their memory and `realloc` from a cell filled
//! once the module is instantiated.

use crate::abi::{Encoding, Options};
use crate::component::{Component, World};
use crate::instance::{
    Def, Exported, Func, Instance, LateOptions, Lifted, Linker, Target, lower, resource_builtin,
};
use crate::plan::{ResourceOp, Shape};
use crate::resources::Resources;
use crate::translate::{Translate, TypeState, async_unsupported};
use crate::types::{ItemType, ResourceType, TypeDef};
use foldhash::{HashMap, HashMapExt as _};
use std::sync::{Arc, OnceLock};
use wasm_run_api::{
    Engine, Error, Extern, ExternType, FuncType as CoreFuncType, LinkError, Module, Result, Store,
    ValType,
};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// The prefix of the custom sections that carry a world.
const SECTION_PREFIX: &str = "component-type";
/// The custom section (inside the world's encoding) with the format
/// version and the string encoding.
const ENCODING_SECTION: &str = "wit-component-encoding";
/// The format version of that section that wasm-run reads.
const FORMAT_VERSION: u8 = 4;

/// What one import of the core module is.
#[derive(Debug)]
pub(crate) enum CoreImport {
    /// The world's import `func` (of instance `instance`, or at the root),
    /// lowered.
    Lower {
        instance: Option<String>,
        func: String,
        shape: Arc<Shape>,
    },
    /// A resource built-in (`[resource-new]`, `-rep]`, `-drop]`).
    Resource { op: ResourceOp, ty: ResourceType },
    /// Anything else: from the linker's core definitions.
    Core,
    /// A function from the linker's core definitions, through export
    /// `index` of the forwarder (see [`forwarder`]).
    CoreFunc(u32),
}

/// An exported function.
#[derive(Debug)]
pub(crate) struct ExportFunc {
    pub name: String,
    pub core: String,
    pub post_return: Option<String>,
    pub shape: Arc<Shape>,
}

/// One of the world's exports.
#[derive(Debug)]
pub(crate) enum Export {
    Func(ExportFunc),
    Instance(String, Vec<ExportFunc>),
}

/// Everything instantiation needs, computed once at load time.
#[derive(Debug)]
pub(crate) struct EmbeddedPlan {
    pub encoding: Encoding,
    /// One entry per core import, in order.
    pub imports: Vec<CoreImport>,
    pub exports: Vec<Export>,
    /// Resource types the module defines (its exported resources), with the
    /// core export of their destructor, if any.
    pub defined: Vec<(ResourceType, Option<String>)>,
    /// Imported resource types: the import that names them and their type.
    pub imported: Vec<(String, ResourceType)>,
    /// The core exports used as canonical options.
    pub memory: Option<String>,
    pub import_realloc: Option<String>,
    pub export_realloc: Option<String>,
    pub initialize: bool,
    /// The text of the forwarder module, if any core import is a function.
    pub forwarder: Option<String>,
}

/// A WAT string literal with every byte escaped.
fn wat_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 + 2);
    out.push('"');
    for b in s.bytes() {
        out.push_str(&format!("\\{b:02x}"));
    }
    out.push('"');
    out
}

/// A core module that imports `imports` (functions) and exports them as
/// `0`, `1`, ...: instantiated with the linker's core definitions, it gives
/// each as a function of the store, whichever way the backend defined it
/// (a WASI adapter defines its functions in the engine's own linker, where
/// only instantiation finds them on every backend).
fn forwarder<'a>(imports: impl Iterator<Item = (&'a str, &'a str, &'a CoreFuncType)>) -> String {
    use std::fmt::Write;
    let mut text = String::from("(module\n");
    let mut count = 0;
    for (module, name, ty) in imports {
        let _ = write!(
            text,
            "  (import {} {} (func",
            wat_string(module),
            wat_string(name)
        );
        for p in ty.params() {
            let _ = write!(text, " (param {p})");
        }
        for r in ty.results() {
            let _ = write!(text, " (result {r})");
        }
        text.push_str("))\n");
        count += 1;
    }
    for i in 0..count {
        let _ = writeln!(text, "  (export \"{i}\" (func {i}))");
    }
    text.push(')');
    text
}

fn malformed(message: impl Into<String>) -> Error {
    Error::Compile {
        message: message.into(),
        offset: None,
    }
}

/// Whether `binary` (a core module) carries a world.
pub(crate) fn has_world(binary: &[u8]) -> bool {
    world_sections(binary).next().is_some()
}

/// The payloads of the module's `component-type*` custom sections.
fn world_sections(binary: &[u8]) -> impl Iterator<Item = &[u8]> {
    Parser::new(0)
        .parse_all(binary)
        .map_while(|p| p.ok())
        .filter_map(|p| match p {
            Payload::CustomSection(s) if s.name().starts_with(SECTION_PREFIX) => Some(s.data()),
            _ => None,
        })
}

/// Decodes the worlds of `binary`'s sections into one (their union, as
/// `wit-component` makes it) and the string encoding they agree on.
fn decode_world(binary: &[u8], state: &mut TypeState) -> Result<(World, Encoding)> {
    let mut world = World::default();
    let mut encoding = None;
    for data in world_sections(binary) {
        let (part, enc) = decode_section(data, state)?;
        if encoding.is_some_and(|e| e != enc) {
            return Err(malformed(
                "the module's component-type sections disagree on the string encoding",
            ));
        }
        encoding = Some(enc);
        world.merge(part);
    }
    Ok((world, encoding.unwrap_or(Encoding::Utf8)))
}

/// One `component-type` section: a component that exports one component
/// type, itself exporting the world as a component type.
fn decode_section(data: &[u8], state: &mut TypeState) -> Result<(World, Encoding)> {
    let bad = |e: wasmparser::BinaryReaderError| {
        malformed(format!(
            "a component-type section is invalid: {}",
            e.message()
        ))
    };
    let features = WasmFeatures::default();
    let types = match Validator::new_with_features(features).validate_all(data) {
        Ok(types) => types,
        Err(e) => {
            let with_async = features
                .union(WasmFeatures::CM_ASYNC)
                .union(WasmFeatures::CM_ERROR_CONTEXT);
            if Validator::new_with_features(with_async)
                .validate_all(data)
                .is_ok()
            {
                return Err(async_unsupported());
            }
            return Err(bad(e));
        }
    };
    let mut encoding = Encoding::Utf8;
    let mut export = None;
    for payload in Parser::new(0).parse_all(data) {
        match payload.map_err(bad)? {
            Payload::CustomSection(s) if s.name() == ENCODING_SECTION => {
                encoding = match s.data() {
                    [FORMAT_VERSION, 0] => Encoding::Utf8,
                    [FORMAT_VERSION, 1] => Encoding::Utf16,
                    [FORMAT_VERSION, 2] => Encoding::Latin1Utf16,
                    [FORMAT_VERSION, b] => {
                        return Err(malformed(format!("unknown string encoding {b:#x}")));
                    }
                    [v, ..] => {
                        return Err(malformed(format!(
                            "component-type format {v} (wasm-run reads {FORMAT_VERSION})"
                        )));
                    }
                    [] => return Err(malformed("an empty wit-component-encoding section")),
                };
            }
            Payload::ComponentExportSection(reader) => {
                for e in reader {
                    export.get_or_insert(e.map_err(bad)?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    let types = types.as_ref();
    let no_world = || malformed("a component-type section that exports no world");
    let outer = export
        .and_then(|name| types.component_item_for_export(&name))
        .ok_or_else(no_world)?;
    let ComponentEntityType::Type {
        referenced: ComponentAnyTypeId::Component(outer),
        ..
    } = outer.ty
    else {
        return Err(no_world());
    };
    let Some(ComponentEntityType::Component(inner)) =
        types[outer].exports.values().next().map(|item| item.ty)
    else {
        return Err(no_world());
    };
    let ty = &types[inner];
    let mut t = Translate::new(types, state);
    for (name, item) in ty.imports.iter().chain(ty.exports.iter()) {
        t.collect_names(name, &item.ty);
    }
    let mut world = World::default();
    for (name, item) in &ty.imports {
        world.imports.push((name.clone(), t.item(&item.ty)?));
    }
    for (name, item) in &ty.exports {
        world.exports.push((name.clone(), t.item(&item.ty)?));
    }
    Ok((world, encoding))
}

/// The resource type `name` among `items`.
fn resource_in(items: &[(String, ItemType)], name: &str) -> Option<ResourceType> {
    items.iter().find_map(|(n, t)| match t {
        ItemType::Type(TypeDef::Resource(r)) if n == name => Some(r.clone()),
        _ => None,
    })
}

/// The items of the world's import or export `name` (`$root`: the
/// world's own items).
fn scope<'w>(items: &'w [(String, ItemType)], name: &str) -> Option<&'w [(String, ItemType)]> {
    if name == "$root" {
        return Some(items);
    }
    items.iter().find_map(|(n, t)| match t {
        ItemType::Instance(inner) if n == name => Some(&inner[..]),
        _ => None,
    })
}

fn resource_op(name: &str) -> Option<(ResourceOp, &str)> {
    [
        ("[resource-new]", ResourceOp::New),
        ("[resource-rep]", ResourceOp::Rep),
        ("[resource-drop]", ResourceOp::Drop),
    ]
    .into_iter()
    .find_map(|(prefix, op)| name.strip_prefix(prefix).map(|r| (op, r)))
}

/// Reads the world of `binary` (a core module), compiles the module, and
/// checks that its core imports and exports have the types the canonical
/// ABI gives the world's functions (so that calls through them are sound).
///
/// # Errors
///
/// [`Error::Compile`] if a section is malformed, or the module lacks an
/// export the world has or exports one with the wrong type; the module's
/// compile errors; [`Error::Unsupported`] for the async additions.
pub(crate) fn load<E: Engine>(
    engine: &E,
    binary: &[u8],
) -> Result<(World, Module<E>, EmbeddedPlan)> {
    let mut state = TypeState::default();
    let (world, encoding) = decode_world(binary, &mut state)?;
    let module = Module::new(engine, binary)?;
    let mut plan = EmbeddedPlan {
        encoding,
        imports: Vec::with_capacity(module.imports().len()),
        exports: Vec::new(),
        defined: Vec::new(),
        imported: Vec::new(),
        memory: None,
        import_realloc: None,
        export_realloc: None,
        initialize: false,
        forwarder: None,
    };
    for (name, item) in &world.imports {
        match item {
            ItemType::Type(TypeDef::Resource(r)) => plan.imported.push((name.clone(), r.clone())),
            ItemType::Instance(items) => {
                for (n, t) in items.iter() {
                    if let ItemType::Type(TypeDef::Resource(r)) = t {
                        plan.imported.push((format!("{name}#{n}"), r.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    for import in module.imports() {
        let (module_name, name) = (import.module.as_str(), import.name.as_str());
        let entry = if let Some(exported) = module_name.strip_prefix("[export]") {
            // Built-ins of a resource the module exports.
            match (resource_op(name), scope(&world.exports, exported)) {
                (Some((op, r)), Some(items)) => match resource_in(items, r) {
                    Some(ty) => CoreImport::Resource { op, ty },
                    None => CoreImport::Core,
                },
                _ => CoreImport::Core,
            }
        } else if let Some(items) = scope(&world.imports, module_name) {
            let instance = (module_name != "$root").then(|| module_name.to_string());
            match (resource_op(name), items.iter().find(|(n, _)| n == name)) {
                (Some((ResourceOp::Drop, r)), _) => match resource_in(items, r) {
                    Some(ty) => CoreImport::Resource {
                        op: ResourceOp::Drop,
                        ty,
                    },
                    None => CoreImport::Core,
                },
                (_, Some((_, ItemType::Func(f)))) => CoreImport::Lower {
                    instance,
                    func: name.to_string(),
                    shape: Shape::new(f.clone()),
                },
                _ => CoreImport::Core,
            }
        } else {
            CoreImport::Core
        };
        plan.imports.push(entry);
    }
    let mut forwarded = Vec::new();
    for (entry, import) in plan.imports.iter_mut().zip(module.imports()) {
        if let (CoreImport::Core, ExternType::Func(ty)) = (&*entry, &import.ty) {
            *entry = CoreImport::CoreFunc(forwarded.len() as u32);
            forwarded.push((import.module.as_str(), import.name.as_str(), ty));
        }
    }
    if !forwarded.is_empty() {
        plan.forwarder = Some(forwarder(forwarded.into_iter()));
    }
    let core_export = |name: &str| -> Option<&CoreFuncType> {
        module
            .exports()
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| match &e.ty {
                ExternType::Func(f) => Some(f),
                _ => None,
            })
    };
    let check = |name: &str, want: &CoreFuncType| -> Result<()> {
        match core_export(name) {
            Some(f) if f == want => Ok(()),
            Some(f) => Err(malformed(format!(
                "the core export `{name}` has type {f}, but the world needs {want}"
            ))),
            None => Err(malformed(format!(
                "the module does not export `{name}`, which the world needs"
            ))),
        }
    };
    let export_func =
        |name: &str, core: String, f: &crate::types::FuncType| -> Result<ExportFunc> {
            let shape = Shape::new(f.clone());
            check(&core, &shape.lifted_core_type())?;
            let post = format!("cabi_post_{core}");
            let post_return = match core_export(&post) {
                Some(_) => {
                    check(
                        &post,
                        &CoreFuncType::new(shape.lifted_core_type().results().to_vec(), []),
                    )?;
                    Some(post)
                }
                None => None,
            };
            Ok(ExportFunc {
                name: name.to_string(),
                core,
                post_return,
                shape,
            })
        };
    for (name, item) in &world.exports {
        match item {
            ItemType::Func(f) => {
                plan.exports
                    .push(Export::Func(export_func(name, name.clone(), f)?))
            }
            ItemType::Instance(items) => {
                let mut funcs = Vec::new();
                for (n, t) in items.iter() {
                    match t {
                        ItemType::Func(f) => funcs.push(export_func(n, format!("{name}#{n}"), f)?),
                        ItemType::Type(TypeDef::Resource(r)) => {
                            let dtor = format!("{name}#[dtor]{n}");
                            let dtor = match core_export(&dtor) {
                                Some(_) => {
                                    check(&dtor, &CoreFuncType::new([ValType::I32], []))?;
                                    Some(dtor)
                                }
                                None => None,
                            };
                            plan.defined.push((r.clone(), dtor));
                        }
                        _ => {}
                    }
                }
                plan.exports.push(Export::Instance(name.clone(), funcs));
            }
            _ => {}
        }
    }
    let realloc = CoreFuncType::new([ValType::I32; 4], [ValType::I32]);
    let optional = |names: &[&str]| -> Result<Option<String>> {
        for n in names {
            if core_export(n).is_some() {
                check(n, &realloc)?;
                return Ok(Some(n.to_string()));
            }
        }
        Ok(None)
    };
    plan.import_realloc = optional(&["cabi_import_realloc", "cabi_realloc"])?;
    plan.export_realloc = optional(&["cabi_export_realloc", "cabi_realloc"])?;
    plan.memory = module
        .exports()
        .iter()
        .find(|e| e.name == "memory" && matches!(e.ty, ExternType::Memory(_)))
        .map(|e| e.name.clone());
    if core_export("_initialize").is_some() {
        check("_initialize", &CoreFuncType::new([], []))?;
        plan.initialize = true;
    }
    Ok((world, module, plan))
}

/// Instantiates a core module with an embedded world: its WIT imports
/// lowered from `linker`'s functions and resources, its other imports from
/// `linker`'s core definitions, then its WIT exports lifted and
/// `_initialize` run.
pub(crate) fn instantiate<E: Engine, T: 'static>(
    linker: &Linker<E, T>,
    store: &mut Store<E, T>,
    component: &Component<E>,
    plan: &EmbeddedPlan,
) -> Result<Instance<E>> {
    let module = component
        .core_modules()?
        .first()
        .ok_or_else(|| Error::Engine("a component without its core module".into()))?;
    let resources = Resources::new();
    let mut host_dtors = HashMap::new();
    for (name, ty) in &plan.imported {
        let (instance, field) = match name.rsplit_once('#') {
            Some((i, n)) => (Some(i), n),
            None => (None, name.as_str()),
        };
        match linker.root.get_path(instance.into_iter().chain([field])) {
            Some(Def::Resource(host, dtor)) => {
                resources.import(ty.id, host.clone());
                host_dtors.insert(ty.id, dtor.clone());
            }
            _ => {
                return Err(LinkError::Other(format!(
                    "the linker defines no resource type for import `{name}`"
                ))
                .into());
            }
        }
    }
    // Destructors are set once the module exists (nothing can make a
    // resource before).
    for (ty, _) in &plan.defined {
        resources.define(ty, None);
    }
    let late: LateOptions<E> = Arc::new(OnceLock::new());
    // Instantiated at the first core function (after the WIT imports
    // before it were found).
    let mut forwarded = None;
    let mut imports = Vec::with_capacity(plan.imports.len());
    for (import, entry) in module.imports().iter().zip(&plan.imports) {
        let item = match entry {
            CoreImport::Lower {
                instance,
                func,
                shape,
            } => match linker
                .root
                .get_path(instance.as_deref().into_iter().chain([func.as_str()]))
            {
                Some(Def::Func(f)) => Extern::Func(lower(
                    store,
                    Target::Host(f.clone()),
                    shape.clone(),
                    late.clone(),
                )?),
                _ => {
                    let path = match instance {
                        Some(i) => format!("{i}#{func}"),
                        None => func.clone(),
                    };
                    return Err(LinkError::Other(format!(
                        "the linker defines no function for import `{path}`: {}",
                        shape.ty
                    ))
                    .into());
                }
            },
            CoreImport::Resource { op, ty } => Extern::Func(resource_builtin(
                store,
                *op,
                ty.id,
                resources.clone(),
                host_dtors.get(&ty.id).cloned(),
            )?),
            CoreImport::CoreFunc(index) => {
                if forwarded.is_none() {
                    let module = component
                        .core_modules()?
                        .get(1)
                        .ok_or_else(|| Error::Engine("a component without its forwarder".into()))?;
                    forwarded = Some(linker.core_ref().instantiate(store, module)?);
                }
                forwarded
                    .as_ref()
                    .and_then(|f| f.get_export(&mut *store, &index.to_string()))
                    .ok_or_else(|| Error::Engine("the forwarder lacks an export".into()))?
            }
            CoreImport::Core => linker
                .core_ref()
                .get(store, &import.module, &import.name)
                .ok_or_else(|| LinkError::Missing {
                    module: import.module.clone(),
                    name: import.name.clone(),
                    expected: import.ty.clone(),
                })?,
        };
        imports.push(item);
    }
    let instance = wasm_run_api::Instance::new(&mut *store, module, &imports)?;
    let func = |store: &mut Store<E, T>, name: &str| match instance.get_export(store, name) {
        Some(Extern::Func(f)) => Ok(f),
        _ => Err(Error::engine(format!("the core export `{name}` is gone"))),
    };
    let memory = match &plan.memory {
        Some(name) => match instance.get_export(&mut *store, name) {
            Some(Extern::Memory(m)) => Some(m),
            _ => None,
        },
        None => None,
    };
    let options = |store: &mut Store<E, T>, realloc: &Option<String>| -> Result<Options<E>> {
        Ok(Options {
            memory,
            realloc: realloc.as_deref().map(|n| func(store, n)).transpose()?,
            encoding: plan.encoding,
            resources: Some(resources.clone()),
        })
    };
    let import_options = options(store, &plan.import_realloc)?;
    let export_options = options(store, &plan.export_realloc)?;
    // Set once, here: nothing else has the cell.
    let _ = late.set(import_options);
    for (ty, dtor) in &plan.defined {
        let dtor = dtor.as_deref().map(|n| func(store, n)).transpose()?;
        resources.define(ty, dtor);
    }
    let lift = |store: &mut Store<E, T>, e: &ExportFunc| -> Result<Exported<E>> {
        Ok(Exported::Func(Func::portable(Lifted {
            core: func(store, &e.core)?,
            shape: e.shape.clone(),
            opts: export_options.clone(),
            post_return: e
                .post_return
                .as_deref()
                .map(|n| func(store, n))
                .transpose()?,
        })))
    };
    let mut exports = HashMap::with_capacity(plan.exports.len());
    for export in &plan.exports {
        match export {
            Export::Func(e) => {
                exports.insert(e.name.clone(), lift(store, e)?);
            }
            Export::Instance(name, funcs) => {
                let mut items = HashMap::with_capacity(funcs.len());
                for e in funcs {
                    items.insert(e.name.clone(), lift(store, e)?);
                }
                exports.insert(name.clone(), Exported::Instance(Arc::new(items)));
            }
        }
    }
    if plan.initialize {
        func(store, "_initialize")?.call(&mut *store, &[], &mut [])?;
    }
    Ok(Instance {
        exports: Arc::new(exports),
        resources,
        tree: Arc::new([]),
    })
}
