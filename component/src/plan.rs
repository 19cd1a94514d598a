//! What a component's root does when it is instantiated, recorded once at
//! load time from its sections: the steps of its instance graph, each
//! adding one item to an index space.

use crate::abi::{self, Encoding};
use crate::translate::Translate;
use crate::translate::TypeState;
use crate::types::{FuncType, ResourceType, Type};
use std::ops::Range;
use std::sync::Arc;
use wasm_run_api::{Error, Feature, Result, ValType};
use wasmparser::component_types::ComponentAnyTypeId;
use wasmparser::types::Types;
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind, ComponentInstance,
    ComponentOuterAliasKind, ComponentType, ComponentTypeRef, ExternalKind,
    FuncValidatorAllocations, Instance, Parser, Payload, ValidPayload, Validator, WasmFeatures,
};

/// A core item's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoreSort {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

impl CoreSort {
    /// The sort's index space among the five (as [`SpaceSizes::core`]
    /// orders them).
    pub(crate) fn slot(self) -> usize {
        match self {
            CoreSort::Func => 0,
            CoreSort::Table => 1,
            CoreSort::Memory => 2,
            CoreSort::Global => 3,
            CoreSort::Tag => 4,
        }
    }

    fn of(kind: ExternalKind) -> CoreSort {
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => CoreSort::Func,
            ExternalKind::Table => CoreSort::Table,
            ExternalKind::Memory => CoreSort::Memory,
            ExternalKind::Global => CoreSort::Global,
            ExternalKind::Tag => CoreSort::Tag,
        }
    }
}

/// A component-level item's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    Module,
    Func,
    Value,
    Type,
    Instance,
    Component,
}

impl Sort {
    fn of(kind: ComponentExternalKind) -> Sort {
        match kind {
            ComponentExternalKind::Module => Sort::Module,
            ComponentExternalKind::Func => Sort::Func,
            ComponentExternalKind::Value => Sort::Value,
            ComponentExternalKind::Type => Sort::Type,
            ComponentExternalKind::Instance => Sort::Instance,
            ComponentExternalKind::Component => Sort::Component,
        }
    }
}

/// Canonical options by index (resolved against the index spaces when the
/// step runs).
#[derive(Debug, Clone)]
pub(crate) struct CanonOpts {
    pub memory: Option<u32>,
    pub realloc: Option<u32>,
    pub post_return: Option<u32>,
    pub encoding: Encoding,
}

fn canon_opts(options: &[CanonicalOption]) -> Result<CanonOpts> {
    let mut o = CanonOpts {
        memory: None,
        realloc: None,
        post_return: None,
        encoding: Encoding::Utf8,
    };
    for opt in options {
        match opt {
            CanonicalOption::UTF8 => o.encoding = Encoding::Utf8,
            CanonicalOption::UTF16 => o.encoding = Encoding::Utf16,
            CanonicalOption::CompactUTF16 => o.encoding = Encoding::Latin1Utf16,
            CanonicalOption::Memory(i) => o.memory = Some(*i),
            CanonicalOption::Realloc(i) => o.realloc = Some(*i),
            CanonicalOption::PostReturn(i) => o.post_return = Some(*i),
            CanonicalOption::Async | CanonicalOption::Callback(_) => {
                return Err(crate::translate::async_unsupported());
            }
            CanonicalOption::CoreType(_) | CanonicalOption::Gc => {
                return Err(not_yet("GC lowering"));
            }
        }
    }
    Ok(o)
}

/// The flat shape of a function type, computed once.
#[derive(Debug)]
pub(crate) struct Shape {
    pub ty: FuncType,
    /// The parameters as one tuple (for passing them through memory).
    pub params: Type,
    pub flat_params: Vec<ValType>,
    pub flat_results: Vec<ValType>,
    /// The core type of its lowering (computed once).
    lowered: wasm_run_api::FuncType,
}

impl Shape {
    pub(crate) fn new(ty: FuncType) -> Arc<Shape> {
        let params = Type::Tuple(ty.params().iter().map(|(_, t)| t.clone()).collect());
        let flat_params = abi::flat(&params);
        let flat_results = ty.result().map(abi::flat).unwrap_or_default();
        let mut shape = Shape {
            ty,
            params,
            flat_params,
            flat_results,
            lowered: wasm_run_api::FuncType::new([], []),
        };
        shape.lowered = shape.compute_lowered();
        Arc::new(shape)
    }
    pub(crate) fn params_in_memory(&self) -> bool {
        self.flat_params.len() > abi::MAX_FLAT_PARAMS
    }
    pub(crate) fn results_in_memory(&self) -> bool {
        self.flat_results.len() > abi::MAX_FLAT_RESULTS
    }
    /// The core type of the function that `canon lift` lifts: one `i32`
    /// pointer for parameters or results past the flat limits.
    pub(crate) fn lifted_core_type(&self) -> wasm_run_api::FuncType {
        let params = if self.params_in_memory() {
            vec![ValType::I32]
        } else {
            self.flat_params.clone()
        };
        let results = if self.results_in_memory() {
            vec![ValType::I32]
        } else {
            self.flat_results.clone()
        };
        wasm_run_api::FuncType::new(params, results)
    }
    /// The core type of the function that `canon lower` makes (computed
    /// once, when the shape is made).
    pub(crate) fn lowered_core_type(&self) -> wasm_run_api::FuncType {
        self.lowered.clone()
    }

    /// Results past the flat limit go through memory at a pointer the
    /// caller passes last.
    fn compute_lowered(&self) -> wasm_run_api::FuncType {
        let mut params = if self.params_in_memory() {
            vec![ValType::I32]
        } else {
            self.flat_params.clone()
        };
        let results = if self.results_in_memory() {
            params.push(ValType::I32);
            Vec::new()
        } else {
            self.flat_results.clone()
        };
        wasm_run_api::FuncType::new(params, results)
    }
}

/// One step of the root component's instance graph.
#[derive(Debug)]
pub(crate) enum Step {
    /// Instantiates core module `module` with the named core instances.
    CoreInstantiate {
        module: u32,
        args: Vec<(String, u32)>,
    },
    /// A core instance made of existing core items.
    CoreFromExports(Vec<(String, CoreSort, u32)>),
    /// A core item exported by a core instance.
    AliasCoreExport {
        instance: u32,
        name: String,
        sort: CoreSort,
    },
    /// An item exported by a component instance (`resource`: the static id
    /// of the resource type it is, for a type).
    AliasExport {
        instance: u32,
        name: String,
        sort: Sort,
        resource: Option<u32>,
    },
    /// A component function made by lifting core function `core_func`.
    Lift {
        core_func: u32,
        shape: Arc<Shape>,
        opts: CanonOpts,
    },
    /// A core function made by lowering component function `func`.
    Lower {
        func: u32,
        shape: Arc<Shape>,
        opts: CanonOpts,
    },
    /// An import: a function, an instance, a type (or something not
    /// supported yet); `resources`: the static ids of the resource types in
    /// it, by their path of export names (empty for the import itself).
    Import {
        name: String,
        sort: Sort,
        resources: Vec<(Vec<String>, u32)>,
    },
    /// An export, which also adds an item to its index space (`resource`:
    /// the static id of the new type index, for a resource type).
    Export {
        name: String,
        sort: Sort,
        index: u32,
        resource: Option<u32>,
    },
    /// A component instance made of existing items.
    InstanceFromExports(Vec<(String, Sort, u32)>),
    /// A type (no run-time effect beyond its index).
    Type,
    /// A core module: the index of its bytes among all of the binary's.
    Module(u32),
    /// A nested component.
    Component(Arc<ComponentPlan>),
    /// Instantiates nested component `component` with named items.
    ComponentInstantiate {
        component: u32,
        args: Vec<(String, Sort, u32)>,
    },
    /// A module or component of an enclosing component.
    AliasOuter { sort: Sort, count: u32, index: u32 },
    /// A resource type this component defines, with its destructor (a
    /// core function index).
    ResourceDef { ty: ResourceType, dtor: Option<u32> },
    /// `canon resource.new/rep/drop` of a resource type.
    ResourceBuiltin { op: ResourceOp, ty: ResourceType },
    /// A core type (no run-time effect).
    CoreType,
    /// Something this version does not run yet (a component start
    /// function): instantiation fails when it gets there.
    NotYet { what: &'static str },
}

/// What instantiation answers for a part of the component model this
/// version does not run yet (`what` names it for the reader of the code;
/// docs/COMPONENTS.md lists them).
pub(crate) fn not_yet(what: &'static str) -> Error {
    // `engine` names who refused and what ("component-model is not
    // supported by the wasm-run-component (imports of components and
    // values) engine"): one string per call site, made once (the set of
    // `what`s is this crate's literals, so the leak is bounded).
    static NAMES: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<&'static str, &'static str>>,
    > = std::sync::OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let engine = *names
        .entry(what)
        .or_insert_with(|| Box::leak(format!("wasm-run-component ({what})").into_boxed_str()));
    Error::Unsupported {
        feature: Feature::ComponentModel,
        engine,
    }
}

/// Which resource built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceOp {
    New,
    Rep,
    Drop,
}

/// The resource type at type index `index` of the component being read.
fn resource_at(t: &mut Translate<'_, '_>, index: u32) -> Result<ResourceType> {
    match t.types().component_any_type_at(index) {
        ComponentAnyTypeId::Resource(r) => Ok(t.resource(r.resource())),
        _ => Err(Error::Compile {
            message: format!("type {index} is not a resource"),
            offset: None,
        }),
    }
}

/// The static id of the type at `index`, if it is a resource type.
fn resource_id_at(t: &mut Translate<'_, '_>, index: u32) -> Option<u32> {
    match t.types().component_any_type_at(index) {
        ComponentAnyTypeId::Resource(r) => Some(t.resource(r.resource()).id),
        _ => None,
    }
}

/// The resource types in `ty` with their paths of export names.
fn resource_paths(
    ty: &crate::types::ItemType,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, u32)>,
) {
    use crate::types::{ItemType, TypeDef};
    match ty {
        ItemType::Type(TypeDef::Resource(r)) => out.push((path.clone(), r.id)),
        ItemType::Instance(items) => {
            for (name, t) in items.iter() {
                path.push(name.clone());
                resource_paths(t, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// One component's steps (the root's, or a nested component's).
#[derive(Debug)]
pub(crate) struct ComponentPlan {
    pub steps: Vec<Step>,
    /// How many items the steps add to each index space.
    pub sizes: SpaceSizes,
}

/// The number of items a component's steps add to each index space of its
/// instantiation (so that it sizes them once).
#[derive(Debug, Default)]
pub(crate) struct SpaceSizes {
    /// The core index spaces, by [`CoreSort::slot`].
    pub core: [usize; 5],
    pub core_instances: usize,
    pub modules: usize,
    pub funcs: usize,
    pub instances: usize,
    pub types: usize,
}

impl ComponentPlan {
    /// Where the item `name` is in the core instance made of core items at
    /// step `step` (`CoreFromExports`).
    pub(crate) fn bag_position(&self, step: usize, name: &str) -> Option<usize> {
        match self.steps.get(step) {
            Some(Step::CoreFromExports(names)) => names.iter().position(|(n, _, _)| n == name),
            _ => None,
        }
    }

    fn new(steps: Vec<Step>) -> Self {
        let mut n = SpaceSizes::default();
        for step in &steps {
            match step {
                Step::Module(_)
                | Step::AliasOuter {
                    sort: Sort::Module, ..
                } => n.modules += 1,
                Step::AliasCoreExport { sort, .. } => n.core[sort.slot()] += 1,
                Step::Lower { .. } | Step::ResourceBuiltin { .. } => {
                    n.core[CoreSort::Func.slot()] += 1
                }
                Step::CoreInstantiate { .. } | Step::CoreFromExports(_) => n.core_instances += 1,
                Step::Lift { .. } => n.funcs += 1,
                Step::ComponentInstantiate { .. } | Step::InstanceFromExports(_) => {
                    n.instances += 1
                }
                Step::Type | Step::ResourceDef { .. } => n.types += 1,
                Step::Import { sort, .. }
                | Step::AliasExport { sort, .. }
                | Step::Export { sort, .. } => match sort {
                    Sort::Func => n.funcs += 1,
                    Sort::Instance => n.instances += 1,
                    Sort::Type => n.types += 1,
                    _ => {}
                },
                _ => {}
            }
        }
        ComponentPlan { steps, sizes: n }
    }
}

/// The root's plan, the byte ranges of every core module (at any depth, in
/// binary order; `Step::Module` refers to them), and the root's types.
pub(crate) struct Plan {
    pub modules: Vec<Range<usize>>,
    pub root: Arc<ComponentPlan>,
    pub types: Types,
}

/// Validates `binary` with `features` and records its steps, translating
/// the types each step needs with the types of the component it is in, as
/// the validator knows them at that point (one pass for both).
///
/// # Errors
///
/// [`Error::Compile`] (with the offset) if the binary is not valid with
/// `features`; the errors of translating its types.
pub(crate) fn plan(binary: &[u8], features: WasmFeatures, state: &mut TypeState) -> Result<Plan> {
    let malformed = |e: wasmparser::BinaryReaderError| Error::Compile {
        message: e.message().to_string(),
        offset: usize::try_from(e.offset()).ok(),
    };
    let mut validator = Validator::new_with_features(features);
    let mut modules = Vec::new();
    // The steps of the components being read, innermost last.
    let mut stack: Vec<Vec<Step>> = vec![Vec::new()];
    let mut in_module = false;
    let mut last_types = None;
    // Function bodies are validated after the sections, as
    // `Validator::validate_all` does.
    let mut bodies = Vec::new();
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(binary) {
        let payload = payload.map_err(malformed)?;
        match validator.payload(&payload).map_err(malformed)? {
            ValidPayload::End(types) => last_types = Some(types),
            ValidPayload::Func(func, body) => bodies.push((func, body)),
            _ => {}
        }
        if in_module {
            if let Payload::End(_) = payload {
                in_module = false;
            }
            continue;
        }
        let types = || {
            validator
                .types(0)
                .ok_or_else(|| not_yet("types outside a component"))
        };
        match payload {
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                let (Ok(start), Ok(end)) = (
                    usize::try_from(unchecked_range.start),
                    usize::try_from(unchecked_range.end),
                ) else {
                    return Err(not_yet("modules beyond the address space"));
                };
                modules.push(start..end);
                current(&mut stack).push(Step::Module(modules.len() as u32 - 1));
                in_module = true;
            }
            Payload::ComponentSection { .. } => stack.push(Vec::new()),
            Payload::End(_) if stack.len() > 1 => {
                let steps = stack.pop().unwrap_or_default();
                current(&mut stack).push(Step::Component(Arc::new(ComponentPlan::new(steps))));
            }
            Payload::InstanceSection(reader) => {
                for instance in reader {
                    current(&mut stack).push(match instance.map_err(malformed)? {
                        Instance::Instantiate { module_index, args } => Step::CoreInstantiate {
                            module: module_index,
                            args: args.iter().map(|a| (a.name.to_string(), a.index)).collect(),
                        },
                        Instance::FromExports(exports) => Step::CoreFromExports(
                            exports
                                .iter()
                                .map(|e| (e.name.to_string(), CoreSort::of(e.kind), e.index))
                                .collect(),
                        ),
                    });
                }
            }
            Payload::CoreTypeSection(reader) => {
                for _ in 0..reader.count() {
                    current(&mut stack).push(Step::CoreType);
                }
            }
            Payload::ComponentTypeSection(reader) => {
                for ty in reader {
                    let step = match ty.map_err(malformed)? {
                        ComponentType::Resource { dtor, .. } => {
                            let index = type_count(current(&mut stack));
                            let mut t = Translate::new(types()?, state);
                            Step::ResourceDef {
                                ty: resource_at(&mut t, index)?,
                                dtor,
                            }
                        }
                        _ => Step::Type,
                    };
                    current(&mut stack).push(step);
                }
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(malformed)?;
                    let sort = match import.ty {
                        ComponentTypeRef::Module(_) => Sort::Module,
                        ComponentTypeRef::Func(_) => Sort::Func,
                        ComponentTypeRef::Value(_) => Sort::Value,
                        ComponentTypeRef::Type(_) => Sort::Type,
                        ComponentTypeRef::Instance(_) => Sort::Instance,
                        ComponentTypeRef::Component(_) => Sort::Component,
                    };
                    let types = types()?;
                    let mut resources = Vec::new();
                    if let Some(item) = types.component_item_for_import(import.name.name) {
                        let mut t = Translate::new(types, state);
                        t.collect_names(import.name.name, &item.ty);
                        resource_paths(&t.item(&item.ty)?, &mut Vec::new(), &mut resources);
                    }
                    current(&mut stack).push(Step::Import {
                        name: import.name.name.to_string(),
                        sort,
                        resources,
                    });
                }
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(malformed)?;
                    let types = types()?;
                    if let Some(item) = types.component_item_for_export(export.name.name) {
                        Translate::new(types, state).collect_names(export.name.name, &item.ty);
                    }
                    let sort = Sort::of(export.kind);
                    let resource = if sort == Sort::Type {
                        let index = type_count(current(&mut stack));
                        resource_id_at(&mut Translate::new(types, state), index)
                    } else {
                        None
                    };
                    current(&mut stack).push(Step::Export {
                        name: export.name.name.to_string(),
                        sort,
                        index: export.index,
                        resource,
                    });
                }
            }
            Payload::ComponentAliasSection(reader) => {
                for alias in reader {
                    let alias = alias.map_err(malformed)?;
                    let resource = match alias {
                        ComponentAlias::InstanceExport {
                            kind: ComponentExternalKind::Type,
                            ..
                        } => {
                            let index = type_count(current(&mut stack));
                            resource_id_at(&mut Translate::new(types()?, state), index)
                        }
                        _ => None,
                    };
                    current(&mut stack).push(match alias {
                        ComponentAlias::InstanceExport {
                            kind,
                            instance_index,
                            name,
                        } => Step::AliasExport {
                            instance: instance_index,
                            name: name.to_string(),
                            sort: Sort::of(kind),
                            resource,
                        },
                        ComponentAlias::CoreInstanceExport {
                            kind,
                            instance_index,
                            name,
                        } => Step::AliasCoreExport {
                            instance: instance_index,
                            name: name.to_string(),
                            sort: CoreSort::of(kind),
                        },
                        ComponentAlias::Outer { kind, count, index } => match kind {
                            ComponentOuterAliasKind::CoreType => Step::CoreType,
                            ComponentOuterAliasKind::Type => Step::Type,
                            ComponentOuterAliasKind::CoreModule => Step::AliasOuter {
                                sort: Sort::Module,
                                count,
                                index,
                            },
                            ComponentOuterAliasKind::Component => Step::AliasOuter {
                                sort: Sort::Component,
                                count,
                                index,
                            },
                        },
                    });
                }
            }
            Payload::ComponentCanonicalSection(reader) => {
                for canon in reader {
                    let canon = canon.map_err(malformed)?;
                    let types = types()?;
                    let mut t = Translate::new(types, state);
                    let step = match canon {
                        CanonicalFunction::Lift {
                            core_func_index,
                            type_index,
                            options,
                        } => {
                            let ComponentAnyTypeId::Func(id) =
                                types.component_any_type_at(type_index)
                            else {
                                return Err(Error::Compile {
                                    message: "canon lift of a non-function type".into(),
                                    offset: None,
                                });
                            };
                            Step::Lift {
                                core_func: core_func_index,
                                shape: t.func(id).map(Shape::new)?,
                                opts: canon_opts(&options)?,
                            }
                        }
                        CanonicalFunction::Lower {
                            func_index,
                            options,
                        } => Step::Lower {
                            func: func_index,
                            shape: t
                                .func(types.component_function_at(func_index))
                                .map(Shape::new)?,
                            opts: canon_opts(&options)?,
                        },
                        CanonicalFunction::ResourceNew { resource } => Step::ResourceBuiltin {
                            op: ResourceOp::New,
                            ty: resource_at(&mut t, resource)?,
                        },
                        CanonicalFunction::ResourceRep { resource } => Step::ResourceBuiltin {
                            op: ResourceOp::Rep,
                            ty: resource_at(&mut t, resource)?,
                        },
                        CanonicalFunction::ResourceDrop { resource } => Step::ResourceBuiltin {
                            op: ResourceOp::Drop,
                            ty: resource_at(&mut t, resource)?,
                        },
                        _ => return Err(crate::translate::async_unsupported()),
                    };
                    current(&mut stack).push(step);
                }
            }
            Payload::ComponentInstanceSection(reader) => {
                for instance in reader {
                    current(&mut stack).push(match instance.map_err(malformed)? {
                        ComponentInstance::Instantiate {
                            component_index,
                            args,
                        } => Step::ComponentInstantiate {
                            component: component_index,
                            args: args
                                .iter()
                                .map(|a| (a.name.to_string(), Sort::of(a.kind), a.index))
                                .collect(),
                        },
                        ComponentInstance::FromExports(exports) => Step::InstanceFromExports(
                            exports
                                .iter()
                                .map(|e| (e.name.name.to_string(), Sort::of(e.kind), e.index))
                                .collect(),
                        ),
                    });
                }
            }
            Payload::ComponentStartSection { .. } => {
                current(&mut stack).push(Step::NotYet {
                    what: "component start functions",
                });
            }
            _ => {}
        }
    }
    let mut allocs = FuncValidatorAllocations::default();
    for (func, body) in bodies {
        let mut v = func.into_validator(allocs);
        v.validate(&body).map_err(malformed)?;
        allocs = v.into_allocations();
    }
    let types = last_types.ok_or_else(|| not_yet("a component without an end"))?;
    let root = stack.pop().unwrap_or_default();
    Ok(Plan {
        modules,
        root: Arc::new(ComponentPlan::new(root)),
        types,
    })
}

fn current(stack: &mut [Vec<Step>]) -> &mut Vec<Step> {
    stack.last_mut().expect("the root is always on the stack")
}

/// How many items the root's type index space holds after `steps`.
fn type_count(steps: &[Step]) -> u32 {
    steps
        .iter()
        .filter(|s| match s {
            Step::Type | Step::ResourceDef { .. } => true,
            Step::Import { sort, .. }
            | Step::Export { sort, .. }
            | Step::AliasExport { sort, .. } => *sort == Sort::Type,
            _ => false,
        })
        .count() as u32
}

/// Where a core module the root exports comes from, as far as the plan
/// knows before instantiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModuleOrigin {
    /// One of the component's own modules (the index of its bytes among the
    /// binary's).
    Static(u32),
    /// An import: the import's name, then the export names that lead to the
    /// module inside it.
    Imported(Vec<String>),
}

impl ComponentPlan {
    /// The root's exports of core modules whose origin is known before
    /// instantiation — its own static modules and modules of its imports —
    /// by export name: what wasmtime's own component model does not hand
    /// back as wasm-run modules. Modules of instances the component makes
    /// itself are left out.
    pub(crate) fn exported_modules(&self) -> Vec<(String, ModuleOrigin)> {
        let modules = self.module_origins();
        self.steps
            .iter()
            .filter_map(|step| match step {
                Step::Export {
                    name,
                    sort: Sort::Module,
                    index,
                    ..
                } => {
                    let origin = modules.get(*index as usize)?.clone()?;
                    Some((name.clone(), origin))
                }
                _ => None,
            })
            .collect()
    }

    /// The root's core module index space as its steps fill it: each
    /// entry's origin where it is known before instantiation (its own
    /// static modules and modules of its imports; `None` for modules of
    /// instances it makes). Entries are only ever appended, so an index a
    /// step names finds the same entry here as at that step.
    pub(crate) fn module_origins(&self) -> Vec<Option<ModuleOrigin>> {
        // The component instance index space too: each entry's path from
        // an import, if it is one.
        let mut modules: Vec<Option<ModuleOrigin>> = Vec::new();
        let mut instances: Vec<Option<Vec<String>>> = Vec::new();
        for step in &self.steps {
            match step {
                Step::Module(i) => modules.push(Some(ModuleOrigin::Static(*i))),
                Step::Import { name, sort, .. } => match sort {
                    Sort::Module => modules.push(Some(ModuleOrigin::Imported(vec![name.clone()]))),
                    Sort::Instance => instances.push(Some(vec![name.clone()])),
                    _ => {}
                },
                Step::AliasExport {
                    instance,
                    name,
                    sort,
                    ..
                } => {
                    let path = instances.get(*instance as usize).cloned().flatten();
                    let path = path.map(|mut p| {
                        p.push(name.clone());
                        p
                    });
                    match sort {
                        Sort::Module => modules.push(path.map(ModuleOrigin::Imported)),
                        Sort::Instance => instances.push(path),
                        _ => {}
                    }
                }
                // Count 0: the root's own module index space.
                Step::AliasOuter { sort, count, index } if *sort == Sort::Module => {
                    let own = modules.get(*index as usize).cloned().flatten();
                    modules.push(if *count == 0 { own } else { None })
                }
                Step::ComponentInstantiate { .. } | Step::InstanceFromExports(_) => {
                    instances.push(None)
                }
                Step::Export { sort, index, .. } => match sort {
                    Sort::Module => {
                        let origin = modules.get(*index as usize).cloned().flatten();
                        modules.push(origin);
                    }
                    Sort::Instance => {
                        let same = instances.get(*index as usize).cloned().flatten();
                        instances.push(same);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        modules
    }
}

impl ComponentPlan {
    /// What wasmtime 48 refuses to load although the component model allows
    /// it (`Config::component_model_wasmtime_restrictions`): the message it
    /// gives for the first such item of the root. Imported functions are
    /// followed through the root's imports, aliases and instances made of
    /// exports, not through nested components they are passed to.
    /// `has_funcs` tells whether the root export of that name (an instance)
    /// has functions in its type.
    pub(crate) fn wasmtime_restriction(&self, has_funcs: impl Fn(&str) -> bool) -> Option<String> {
        // Whether each entry of the root's function and instance index
        // spaces is (or comes from) an import.
        let mut funcs: Vec<bool> = Vec::new();
        let mut instances: Vec<bool> = Vec::new();
        for step in &self.steps {
            match step {
                Step::Import { sort, .. } => match sort {
                    Sort::Component => {
                        return Some("root-level component imports are not supported".into());
                    }
                    Sort::Func => funcs.push(true),
                    Sort::Instance => instances.push(true),
                    _ => {}
                },
                Step::AliasExport { instance, sort, .. } => {
                    let imported = instances.get(*instance as usize).copied().unwrap_or(false);
                    match sort {
                        Sort::Func => funcs.push(imported),
                        Sort::Instance => instances.push(imported),
                        _ => {}
                    }
                }
                Step::Lift { .. } => funcs.push(false),
                Step::ComponentInstantiate { .. } => instances.push(false),
                Step::InstanceFromExports(items) => {
                    let imported = items.iter().any(|(_, sort, i)| {
                        let space = match sort {
                            Sort::Func => &funcs,
                            Sort::Instance => &instances,
                            _ => return false,
                        };
                        space.get(*i as usize).copied().unwrap_or(false)
                    });
                    instances.push(imported);
                }
                Step::Export {
                    name, sort, index, ..
                } => match sort {
                    Sort::Component => {
                        return Some(
                            "exporting a component from the root component is not supported".into(),
                        );
                    }
                    Sort::Func => {
                        let imported = funcs.get(*index as usize).copied().unwrap_or(false);
                        if imported {
                            return Some(format!(
                                "component export `{name}` is a reexport of an imported \
                                 function which is not implemented"
                            ));
                        }
                        funcs.push(false);
                    }
                    Sort::Instance => {
                        let imported = instances.get(*index as usize).copied().unwrap_or(false);
                        if imported && has_funcs(name) {
                            return Some(format!(
                                "component export `{name}` is a reexport of an imported \
                                 function which is not implemented (an instance with \
                                 imported functions)"
                            ));
                        }
                        instances.push(false);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        None
    }
}
