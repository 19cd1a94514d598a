//! Loading a component: decode, validate, reflect its world.

use crate::embedded::EmbeddedPlan;
use crate::plan::{ComponentPlan, ModuleOrigin, Step};
use crate::translate::{Translate, TypeState, async_unsupported};
use crate::types::{ItemType, write_item};
use std::fmt;
use std::sync::Arc;
use wasm_run_api::{Engine, Error, Module, Result};
use wasmparser::{Parser, Validator, WasmFeatures};

/// The imports and exports of a component with their types: its WIT world.
/// Prints as WIT (`world root { import ...; export ...; }`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct World {
    pub(crate) imports: Vec<(String, ItemType)>,
    pub(crate) exports: Vec<(String, ItemType)>,
}

impl World {
    /// Adds the items of `other` that this world does not have by name.
    pub(crate) fn merge(&mut self, other: World) {
        for (name, ty) in other.imports {
            if self.import(&name).is_none() {
                self.imports.push((name, ty));
            }
        }
        for (name, ty) in other.exports {
            if self.export(&name).is_none() {
                self.exports.push((name, ty));
            }
        }
    }

    /// The imports, in the component's order.
    pub fn imports(&self) -> &[(String, ItemType)] {
        &self.imports
    }
    /// The exports, in the component's order.
    pub fn exports(&self) -> &[(String, ItemType)] {
        &self.exports
    }
    /// The import named `name`.
    pub fn import(&self, name: &str) -> Option<&ItemType> {
        self.imports.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
    /// The export named `name`.
    pub fn export(&self, name: &str) -> Option<&ItemType> {
        self.exports.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "world root {{")?;
        for (name, ty) in &self.imports {
            write_item(f, 1, Some("import"), name, ty)?;
        }
        for (name, ty) in &self.exports {
            write_item(f, 1, Some("export"), name, ty)?;
        }
        writeln!(f, "}}")
    }
}

/// What a component is made of.
pub(crate) enum Body {
    /// A component binary: its root's instance graph.
    Graph(Arc<ComponentPlan>),
    /// A core module with its world in a custom section.
    Embedded(Arc<EmbeddedPlan>),
    /// A component binary compiled by wasmtime's own component model.
    #[cfg(feature = "native")]
    Native(Arc<crate::native::NativeComponent>),
}

/// A core module the root exports (see `Inner::exported_modules`).
#[cfg_attr(not(feature = "native"), allow(dead_code))]
pub(crate) enum ExportedModule<E: Engine> {
    /// One of the component's own, compiled.
    Own(Module<E>),
    /// A module of an import: the import's name, then the export names
    /// leading to it (the linker's definition, found when linking).
    Imported(Vec<String>),
}

struct Inner<E: Engine> {
    bytes: Box<[u8]>,
    world: World,
    body: Body,
    /// The root's core modules, compiled for the engine; `None` if one does
    /// not compile (its error is reported when the component is
    /// instantiated, so that reflection works for components the engine
    /// cannot run).
    modules: Option<Vec<Module<E>>>,
    module_ranges: Vec<std::ops::Range<usize>>,
    /// On wasmtime's own component model: the core modules the root
    /// exports whose origin is known before instantiation — its own,
    /// compiled as wasm-run modules, and its imports' (wasmtime's instances
    /// hand back wasmtime's modules, which are not wasm-run's).
    exported_modules: Vec<(String, ExportedModule<E>)>,
    /// Whether canonical options use 64-bit memories (`cm64`), which no
    /// path runs yet.
    memory64_options: bool,
}

/// A validated WebAssembly component for engine `E`: cheap to clone, and
/// usable from several threads.
pub struct Component<E: Engine> {
    engine: E,
    inner: Arc<Inner<E>>,
}

impl<E: Engine> Clone for Component<E> {
    fn clone(&self) -> Self {
        Component {
            engine: self.engine.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<E: Engine> fmt::Debug for Component<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Component")
            .field("engine", &self.engine.name())
            .field("bytes", &self.inner.bytes.len())
            .finish()
    }
}

/// Whether `engine` has a component model of its own in this build, which
/// [`Config::native_components`](wasm_run_api::Config::native_components)
/// would run components on: wasmtime (under `wasmtime` or `AnyEngine`) when
/// this crate's `native` feature is on; no other backend has one.
///
/// ```
/// use wasm_run_api::{Config, Engine};
/// use wasm_run_component::has_native_component_model;
/// # fn main() -> wasm_run_api::Result<()> {
/// let wasmi = wasm_run_wasmi::Wasmi::new(&Config::new())?;
/// let wasmtime = wasm_run_wasmtime::Wasmtime::new(&Config::new())?;
/// assert!(!has_native_component_model(&wasmi));
/// assert!(has_native_component_model(&wasmtime));
/// # Ok(())
/// # }
/// ```
pub fn has_native_component_model<E: Engine>(engine: &E) -> bool {
    #[cfg(feature = "native")]
    if crate::native::wasmtime_of(engine).is_some() {
        return true;
    }
    let _ = engine;
    false
}

/// The component compiled by the engine's own component model
/// ([`Config::native_components`](wasm_run_api::Config::native_components)).
fn native_component<E: Engine>(engine: &E, binary: &[u8]) -> Result<Body> {
    #[cfg(feature = "native")]
    if let Some(wasmtime) = crate::native::wasmtime_of(engine) {
        return crate::native::compile(wasmtime, binary).map(|c| Body::Native(Arc::new(c)));
    }
    let _ = binary;
    Err(Error::Unsupported {
        feature: wasm_run_api::Feature::ComponentModel,
        engine: match engine.name() {
            "wasmtime" => {
                "wasmtime (natively, in a build without wasm-run-component's `native` feature)"
            }
            "wasmi" => {
                "wasmi (natively: it has none; without native_components wasm-run's portable \
                 component model runs on it)"
            }
            _ => {
                "backend's own (it has none; without native_components wasm-run's portable \
                 component model runs on it)"
            }
        },
    })
}

/// The component-model additions wasm-run does not run yet.
const ASYNC: WasmFeatures = WasmFeatures::CM_ASYNC
    .union(WasmFeatures::CM_ASYNC_STACKFUL)
    .union(WasmFeatures::CM_MORE_ASYNC_BUILTINS)
    .union(WasmFeatures::CM_ERROR_CONTEXT)
    .union(WasmFeatures::CM_THREADING);

/// What wasm-run validates components with: wasmparser's defaults (which
/// include the core proposals; the engine refuses the ones it lacks when it
/// compiles the core modules) with maps and fixed-length lists, without the
/// async additions, and without `implements` names when the engine's config
/// turns them off.
fn features(config: &wasm_run_api::Config) -> WasmFeatures {
    let mut features = WasmFeatures::default()
        .difference(ASYNC)
        .union(WasmFeatures::CM_MAP)
        .union(WasmFeatures::CM_FIXED_LENGTH_LISTS);
    if !config.component_model_implements_enabled() {
        features.remove(WasmFeatures::CM_IMPLEMENTS);
    }
    features
}

impl<E: Engine> Component<E> {
    /// Loads a component from its binary or its text format (WAT).
    ///
    /// # Errors
    ///
    /// - [`Error::Compile`] (with the byte offset) if the bytes are not a
    ///   valid component, or are a core module; also (without an offset)
    ///   for what wasmtime refuses to load, when the engine's config asks
    ///   for its restrictions
    ///   ([`Config::component_model_wasmtime_restrictions`](wasm_run_api::Config::component_model_wasmtime_restrictions)).
    /// - [`Error::Unsupported`] with
    ///   [`Feature::ComponentModelAsync`](wasm_run_api::Feature::ComponentModelAsync)
    ///   if the component uses the async additions (async functions,
    ///   `future`, `stream`, `error-context`, task built-ins).
    pub fn new(engine: &E, bytes: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = bytes.as_ref();
        let binary = if bytes.starts_with(b"\0asm") {
            bytes.to_vec()
        } else {
            wat::parse_bytes(bytes)
                .map_err(|e| Error::Compile {
                    message: e.to_string(),
                    offset: None,
                })?
                .into_owned()
        };
        if Parser::is_core_wasm(&binary) && crate::embedded::has_world(&binary) {
            let (world, module, plan) = crate::embedded::load(engine, &binary)?;
            let len = binary.len();
            let mut modules = vec![module];
            if let Some(text) = &plan.forwarder {
                modules.push(Module::new(engine, text)?);
            }
            return Ok(Component {
                engine: engine.clone(),
                inner: Arc::new(Inner {
                    bytes: binary.into_boxed_slice(),
                    world,
                    body: Body::Embedded(Arc::new(plan)),
                    modules: Some(modules),
                    module_ranges: std::iter::once(0..len).collect(),
                    exported_modules: Vec::new(),
                    memory64_options: false,
                }),
            });
        }
        if !Parser::is_component(&binary) {
            return Err(Error::Compile {
                message: if Parser::is_core_wasm(&binary) {
                    "this is a core module without a WIT world, not a component (load it with Module::new)".into()
                } else {
                    "not a WebAssembly component (bad magic number or version)".into()
                },
                offset: Some(0),
            });
        }
        // One pass validates and records the steps of the instance graph
        // and the root's types (one validator for both, so resource types
        // agree).
        let mut state = TypeState::default();
        let features = features(engine.config());
        let mut memory64_options = false;
        let plan = match crate::plan::plan(&binary, features, &mut state) {
            Ok(plan) => plan,
            Err(e @ Error::Compile { .. }) => {
                let valid_with = |more: WasmFeatures| {
                    Validator::new_with_features(features.union(more))
                        .validate_all(&binary)
                        .is_ok()
                };
                // Valid with the async additions: say so, not "invalid".
                if valid_with(ASYNC) {
                    return Err(async_unsupported());
                }
                // Refused only for 64-bit memories in canonical options
                // (`cm64`; other uses of the addition, such as 64-bit
                // resource representations, stay invalid): loaded, for its
                // world, and refused when instantiated.
                let memory64 = matches!(&e, Error::Compile { message, .. }
                    if message.contains("64-bit memories require the `cm64` feature"));
                if !memory64 || !valid_with(WasmFeatures::CM64) {
                    return Err(e);
                }
                memory64_options = true;
                state = TypeState::default();
                crate::plan::plan(&binary, features.union(WasmFeatures::CM64), &mut state)?
            }
            Err(e) => return Err(e),
        };
        let types = &plan.types;
        // The root's imports and exports, in order, are its import and
        // export steps (the plan collected their resource names).
        let names = |import: bool| -> Vec<String> {
            plan.root
                .steps
                .iter()
                .filter_map(|s| match s {
                    Step::Import { name, .. } if import => Some(name.clone()),
                    Step::Export { name, .. } if !import => Some(name.clone()),
                    _ => None,
                })
                .collect()
        };
        let (import_names, export_names) = (names(true), names(false));
        let mut t = Translate::new(types.as_ref(), &mut state);
        let items = |names: &[String], import: bool| {
            names
                .iter()
                .filter_map(|n| {
                    let item = if import {
                        types.component_item_for_import(n)
                    } else {
                        types.component_item_for_export(n)
                    };
                    item.map(|i| (n.clone(), i.ty))
                })
                .collect::<Vec<_>>()
        };
        let imports = items(&import_names, true);
        let exports = items(&export_names, false);
        let mut world = World {
            imports: Vec::with_capacity(imports.len()),
            exports: Vec::with_capacity(exports.len()),
        };
        for (name, ty) in &imports {
            world.imports.push((name.clone(), t.item(ty)?));
        }
        for (name, ty) in &exports {
            world.exports.push((name.clone(), t.item(ty)?));
        }
        if engine
            .config()
            .component_model_wasmtime_restrictions_enabled()
        {
            let has_funcs = |name: &str| {
                world.export(name).is_some_and(|item| match item {
                    ItemType::Instance(items) => {
                        items.iter().any(|(_, i)| matches!(i, ItemType::Func(_)))
                    }
                    _ => false,
                })
            };
            if let Some(message) = plan.root.wasmtime_restriction(has_funcs) {
                return Err(Error::Compile {
                    message,
                    offset: None,
                });
            }
        }
        if engine.config().native_components_enabled() && !memory64_options {
            let native = native_component(engine, &binary)?;
            let exported_modules = plan
                .root
                .exported_modules()
                .into_iter()
                .map(|(name, origin)| {
                    Ok((
                        name,
                        match origin {
                            ModuleOrigin::Static(i) => {
                                let range = plan.modules[i as usize].clone();
                                ExportedModule::Own(Module::new(engine, &binary[range])?)
                            }
                            ModuleOrigin::Imported(path) => ExportedModule::Imported(path),
                        },
                    ))
                })
                .collect::<Result<_>>()?;
            return Ok(Component {
                engine: engine.clone(),
                inner: Arc::new(Inner {
                    bytes: binary.into_boxed_slice(),
                    world,
                    body: native,
                    modules: None,
                    module_ranges: Vec::new(),
                    exported_modules,
                    memory64_options,
                }),
            });
        }
        let modules = plan
            .modules
            .iter()
            .map(|range| Module::new(engine, &binary[range.clone()]))
            .collect::<Result<Vec<_>>>()
            .ok();
        Ok(Component {
            engine: engine.clone(),
            inner: Arc::new(Inner {
                bytes: binary.into_boxed_slice(),
                world,
                body: Body::Graph(plan.root),
                modules,
                module_ranges: plan.modules,
                exported_modules: Vec::new(),
                memory64_options,
            }),
        })
    }

    /// The root's exports of core modules whose origin is known before
    /// instantiation (only on wasmtime's own component model; see
    /// `Inner::exported_modules`).
    #[cfg_attr(not(feature = "native"), allow(dead_code))]
    pub(crate) fn exported_modules(&self) -> &[(String, ExportedModule<E>)] {
        &self.inner.exported_modules
    }

    /// Whether the component's canonical options use 64-bit memories (the
    /// component model's `cm64` addition): such a component loads (its
    /// world is there to inspect), and instantiating it is
    /// [`Error::Unsupported`] on every path — wasm-run's canonical ABI has
    /// 32-bit pointers, and wasmtime 48's own component model reads 32-bit
    /// pointers in calls between the host and such a component (its issue
    /// #4311), so neither runs it yet.
    pub fn uses_memory64_options(&self) -> bool {
        self.inner.memory64_options
    }

    /// Every core module of the binary (at any depth), compiled.
    pub(crate) fn core_modules(&self) -> Result<&[Module<E>]> {
        match &self.inner.modules {
            Some(modules) => Ok(modules),
            // Compiling again gives the error, typed as the engine gave it.
            None => {
                for range in &self.inner.module_ranges {
                    Module::new(&self.engine, &self.inner.bytes[range.clone()])?;
                }
                Err(Error::Engine(
                    "a core module of the component did not compile".into(),
                ))
            }
        }
    }

    /// What the component is made of.
    pub(crate) fn body(&self) -> &Body {
        &self.inner.body
    }

    /// The component's imports and exports with their types.
    pub fn world(&self) -> &World {
        &self.inner.world
    }

    /// The engine the component was loaded for.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The component's binary.
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }
}

/// Whether `bytes` are a component binary (as opposed to a core module or
/// anything else), from the header alone.
pub fn is_component(bytes: &[u8]) -> bool {
    Parser::is_component(bytes)
}

/// Whether `bytes` are a core module that carries a WIT world in a
/// `component-type` custom section (what `wit-bindgen` emits before
/// `wasm-tools component new`): [`Component::new`] loads it as a
/// component whose other core imports (WASI preview 1) come from
/// [`Linker::core`](crate::Linker::core).
pub fn embeds_world(bytes: &[u8]) -> bool {
    Parser::is_core_wasm(bytes) && crate::embedded::has_world(bytes)
}
