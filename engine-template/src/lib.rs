//! The template backend of wasm-run: a backend that runs nothing, kept
//! compiling and tested as the documented starting point for a new one (as
//! wgpu-hal's `empty` backend is for wgpu). Every method of the backend
//! contract (`wasm_run_api::backend`) is implemented here, and each one's
//! doc comment says what a real backend must do there.
//!
//! ```
//! use wasm_run_api::{Config, Engine, Error, Linker, Module, Store};
//! use wasm_run_template::Template;
//!
//! let engine = Template::new(&Config::new())?;
//! // Validation, compilation and reflection are real...
//! let module = Module::new(&engine, r#"(module (func (export "answer") (result i32) i32.const 42))"#)?;
//! assert_eq!(module.exports()[0].name, "answer");
//! // ...running anything is `Unsupported`, naming this backend.
//! let mut store = Store::new(&engine, ());
//! match Linker::new(&engine).instantiate(&mut store, &module) {
//!     Err(Error::Unsupported { engine: "template", .. }) => {}
//!     other => panic!("expected Unsupported, got {other:?}"),
//! }
//! # Ok::<(), wasm_run_api::Error>(())
//! ```
//!
//! # What the template really does
//!
//! - [`Engine::validate`] and [`Engine::compile`] run wasm-run's own
//!   validator ([`wasm_run_api::backend::validate_for`]) with the engine's
//!   proposals; a compiled module keeps its bytes and its declarations
//!   ([`ModuleInfo`]). Every core proposal that validator knows is
//!   [`Support::Default`]: what `support` says is what `Module::new`
//!   accepts, which is what the suite's feature probes measure.
//! - Reflection ([`Feature::TypeReflection`]) is the API's own, the same on
//!   every backend.
//! - Stores hold the user's data; linkers record host functions and refuse a
//!   second definition of a name unless shadowing is allowed.
//!
//! Everything else answers [`Error::Unsupported`] with `engine: "template"`,
//! and its `feature` is always one that [`support`] calls
//! [`Support::Unsupported`]: the embedder feature asked for where there is
//! one (fuel, deadline, interrupt, async, resumable fuel, module
//! serialisation), and [`RUNTIME`] ([`Feature::Execution`]) for the core
//! run-time (instances, calls, host functions, memories, tables, globals,
//! references, shared memories).
//!
//! # Starting a backend from this crate
//!
//! 1. Copy `engine-template/` to `engine-foo/`; rename the package, the
//!    engine type and [`Engine::NAME`].
//! 2. Give [`Engine`]'s associated types your engine's types. A handle type
//!    your engine lacks stays [`Never`], and then `support` answers
//!    `Unsupported` for the proposal that needs it (shared memories for
//!    threads, tags and exception references for exceptions, `anyref`s for
//!    GC). The template, which runs no proposal at all, answers `Default`
//!    for every proposal it compiles: change [`support`] first.
//! 3. Work down the doc comments, replacing each `Unsupported` answer (and
//!    every use of [`RUNTIME`]) as you implement the operation. Methods the
//!    traits provide (serialisation, async, resumable fuel, the unchecked
//!    call) are left to their defaults here: override them only when your
//!    engine has the feature.
//! 4. Keep `tests/behaviour.rs`: the shared behaviour suite with this
//!    backend's expected failures, a list that shrinks as you go (a listed
//!    behaviour that passes fails its test).
//! 5. Then follow the steps of "Adding a backend" in `docs/ARCHITECTURE.md`
//!    (the backend list, the facade's feature, the baselines).

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod store;

pub use store::{CallerParts, Parts, StoreParts, TemplateContext};

use std::sync::Arc;
#[cfg(doc)]
use wasm_run_api::LinkError;
use wasm_run_api::backend::{
    Definitions, Engine, EngineBase, InstancePreBackend, LinkerBackend, Never, typed_as_untyped,
};
use wasm_run_api::{
    Config, Error, Extern, Feature, FuncType, HostFunc, Limits, ModuleInfo, Result, Support,
    UntypedHostFunc, WasmTyList,
};

/// The feature the template names in [`Error::Unsupported`] for the core
/// run-time: instantiating, calling, making host functions, memories,
/// tables, globals, references and shared memories.
///
/// It is [`Feature::Execution`], which [`support`] calls `Unsupported`: the
/// feature every real backend has, so a refusal reads "execution is not
/// supported by the template engine". A real backend replaces each use of
/// it by doing the operation, or by the feature its engine lacks for that
/// operation (`Threads` for shared memories, `Gc` for `anyref`s, as wasmi
/// does), and answers `Default` for `Execution` in [`support`].
pub const RUNTIME: Feature = Feature::Execution;

/// The template's answer to every run-time operation: `Unsupported` for
/// [`RUNTIME`].
pub(crate) fn runs_nothing<T>() -> Result<T> {
    lacks(RUNTIME)
}

/// `Unsupported` for `feature`, which the template does not have.
pub(crate) fn lacks<T>(feature: Feature) -> Result<T> {
    Err(Error::Unsupported {
        feature,
        engine: Template::NAME,
    })
}

/// The template engine: validates and compiles, runs nothing.
#[derive(Debug, Clone)]
pub struct Template {
    /// What the engine was created with, and the features on as
    /// [`Config::resolve`] settled them ([`Engine::config`] and
    /// [`Engine::features`] answer them).
    base: EngineBase,
}

// WASI comes from wasm-run's implementation (over the API, nothing to write).
#[cfg(feature = "wasi")]
wasm_run_wasi::no_engine_wasi!(Template);

/// What the template can do at all (what [`Engine::support`] answers).
///
/// A real backend answers, for every [`Feature`]: [`Support::Default`] for
/// what is on unless the [`Config`] disables it, [`Support::OptIn`] for what
/// works only when enabled (fuel, usually), [`Support::Unsupported`] for
/// what it cannot do. `engine_identity` in the behaviour suite requires
/// multi-value and bulk memory to be `Default`, and
/// `engine_feature_probes` measures each proposal with a module that needs
/// it.
///
/// The template: every core proposal its validator knows, and
/// [`Feature::TypeReflection`]; not components (it compiles core modules
/// only), and no embedder feature, which all need the run-time. For
/// proposals this measures compilation only (the template runs none): a
/// backend that runs code answers `Unsupported` for a proposal whose
/// handles it has as [`Never`] (threads, exceptions, GC), as wasmi does.
pub fn support(feature: Feature) -> Support {
    use Feature::*;
    match feature {
        MultiValue | BulkMemory | ReferenceTypes | MutableGlobal | SaturatingFloatToInt
        | SignExtension | ExtendedConst | Floats | Simd | RelaxedSimd | Threads | MultiMemory
        | Memory64 | TailCall | Exceptions | Gc | FunctionReferences | CustomPageSizes
        | WideArithmetic => Support::Default,
        TypeReflection => Support::Default,
        // `Execution` too: the template runs nothing (see `RUNTIME`).
        _ => Support::Unsupported,
    }
}

/// A compiled module: its bytes and declarations (a real backend keeps its
/// engine's compiled module here, and whatever identifies the engine that
/// made it, to answer [`Error::WrongStore`] for a module of another engine).
#[derive(Debug, Clone)]
pub struct TemplateModule {
    wasm: Arc<[u8]>,
    info: Arc<ModuleInfo>,
}

impl TemplateModule {
    /// The module's binary, as compiled.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The module's name, imports and exports, from wasm-run's shared
    /// parser ([`ModuleInfo::parse_for`], the one `Module::new` uses, so
    /// that every backend describes a module identically).
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }
}

impl Engine for Template {
    type Module = TemplateModule;
    type Store<T: 'static> = TemplateContext<StoreParts<T>>;
    type Caller<'a, T: 'static> = TemplateContext<CallerParts<'a, T>>;
    type Linker<T: 'static> = TemplateLinker<T>;
    // The template makes no handle, so every handle type is `Never`. A real
    // backend names its engine's types here (small `Copy` values, often
    // indices into its store), keeping `Never` only for what it lacks.
    // `InstancePre` is `Never` too, through the implementation of
    // `InstancePreBackend<Template, T>` for `Never` at the end of this file
    // (allowed by the orphan rule: `Template` is local).
    type InstancePre<T: 'static> = Never;
    type Instance = Never;
    type Func = Never;
    type Memory = Never;
    type Table = Never;
    type Global = Never;
    type ExternRef = Never;
    type Tag = Never;
    type AnyRef = Never;
    type ExnRef = Never;
    type SharedMemory = Never;
    type PausedCall = Never;

    /// The name every `Unsupported` error of this backend carries, and the
    /// name `AnyEngine::by_name` would know it by.
    const NAME: &'static str = "template";

    /// Creates the engine.
    ///
    /// Contract: settle the features with [`Config::resolve`] (`NAME` and
    /// [`support`]): a feature explicitly enabled that the backend cannot do
    /// is [`Error::Unsupported`] for it, and one enabled without what it
    /// builds on is [`Error::Engine`]. Settings that need a feature the
    /// backend lacks are refused the same way: resource limits other than
    /// the default (or none) are `Unsupported` for [`Feature::Limits`] on a
    /// backend without it; a pool ([`Config::pooling`]) enables
    /// [`Feature::PoolingAllocation`], so `resolve` refuses it. Settings
    /// documented as applying only where a feature is on (the call depth,
    /// the compilation mode) are ignored without it.
    fn new(config: &Config) -> Result<Self> {
        let features = config.resolve(Self::NAME, support)?;
        let limits = config.resource_limits();
        if *limits != Limits::default() && *limits != Limits::NONE {
            return lacks(Feature::Limits);
        }
        Ok(Template {
            base: EngineBase::new(config, features),
        })
    }

    /// Contract: the version of the engine crate the backend wraps (the
    /// template wraps none: its own).
    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Contract: what the backend can do at all, whatever the
    /// configuration; the same answer as the function given to
    /// [`Config::resolve`] in [`Engine::new`].
    fn support(&self, feature: Feature) -> Support {
        support(feature)
    }

    /// Contract: what the engine keeps of its creation. Provided over it:
    /// `features` (what this engine has on, as [`Config::resolve`] settled
    /// it: the API reads it for validation, reflection and
    /// `Linker::func_new_async`, so it must be what the engine really does),
    /// `config` (the configuration the engine was created with, unchanged)
    /// and `interrupt_waker` (the engine's one
    /// [`Waker`](wasm_run_api::backend::Waker), called when an interrupt is
    /// requested; the typed `Unsupported` unless interrupts are on).
    fn base(&self) -> &EngineBase {
        &self.base
    }

    /// Compiles a binary module (the API turned text into binary first).
    ///
    /// Contract: a malformed or invalid module is [`Error::Compile`] (the
    /// API adds the byte offset where the backend gives none, and turns it
    /// into `Unsupported` when the module needs a proposal `support` calls
    /// `Unsupported`). An engine whose validator has a fixed set of
    /// proposals runs [`validate_for`](wasm_run_api::backend::validate_for)
    /// first, so that a proposal disabled in the `Config` is refused too.
    /// The API parses imports and exports itself afterwards: the backend
    /// only compiles.
    fn compile(&self, wasm: &[u8]) -> Result<TemplateModule> {
        wasm_run_api::backend::validate_for(wasm, self.features())?;
        let info = ModuleInfo::parse_for(wasm, self.features())?;
        Ok(TemplateModule {
            wasm: Arc::from(wasm),
            info: Arc::new(info),
        })
    }

    /// Contract: the same verdict as [`Engine::compile`], without keeping
    /// anything (the same errors, for the same modules).
    fn validate(&self, wasm: &[u8]) -> Result<()> {
        self.compile(wasm).map(drop)
    }

    /// A new store holding `data`.
    ///
    /// Contract: infallible; applies the configured limits and fuel (none
    /// left until `set_fuel`), draws a fresh [`StoreId`](wasm_run_api::StoreId)
    /// that every handle made in it carries, and should be `Send` when `T`
    /// is (the async behaviours and `wasm-run-parallel` move stores between
    /// threads).
    fn store<T: 'static>(&self, data: T) -> TemplateContext<StoreParts<T>> {
        TemplateContext::new_store(data)
    }

    /// Contract: an empty linker, shadowing off.
    fn linker<T: 'static>(&self) -> TemplateLinker<T> {
        TemplateLinker {
            defs: Definitions::new(),
        }
    }

    // `shared_memory_new` is optional (the threads proposal): its default
    // answers `Unsupported` for `Feature::Threads`, for backends whose
    // `SharedMemory` is `Never`. A backend with threads returns a memory
    // whose `SharedMemoryBackend` promises hold (see its safety section).

    // Provided, and left so: `name` (`NAME`); `backend` and
    // `backend_module` (the engine and the module themselves, for crates
    // layered over the API); `checks_import_types` (`false`: the API
    // compares import types itself); `serialize` and the `unsafe`
    // `deserialize` (`Unsupported` for `Feature::ModuleSerialization`).
}

/// A host function defined in a linker: what a real backend makes in each
/// store that links it (on demand, the first time).
pub struct HostDefinition<T: 'static> {
    /// Its type.
    pub ty: FuncType,
    /// The closure, shared by every store that links it.
    pub func: Arc<dyn UntypedHostFunc<Template, T>>,
}

/// The template's linker: records host function definitions (with the
/// contract's duplicate rule, kept by [`Definitions`]).
pub struct TemplateLinker<T: 'static> {
    defs: Definitions<HostDefinition<T>>,
}

impl<T: 'static> TemplateLinker<T> {
    /// The host function defined as `module::name`, if any.
    pub fn host_definition(&self, module: &str, name: &str) -> Option<&HostDefinition<T>> {
        self.defs.get(module, name)
    }

    /// Records a definition, refusing a second one of the same name unless
    /// shadowing is allowed (see [`LinkerBackend::allow_shadowing`]).
    fn insert(&mut self, module: &str, name: &str, def: HostDefinition<T>) -> Result<()> {
        self.defs.insert(module, name, def)
    }
}

impl<T: 'static> LinkerBackend<Template, T> for TemplateLinker<T> {
    /// Defines `module::name` as an item of `store`.
    ///
    /// Contract: [`LinkError::Duplicate`] for a name defined before unless
    /// shadowing is allowed (the API's `Linker` checks names it defined
    /// itself; a backend must too, for definitions made on it directly, as
    /// WASI adapters do); [`Error::WrongStore`] for an item of another
    /// store. The template has no items: no value of `item` exists.
    fn define(
        &mut self,
        store: &TemplateContext<StoreParts<T>>,
        module: &str,
        name: &str,
        item: Extern<Template>,
    ) -> Result<()> {
        let _ = (store, module, name);
        match item {
            Extern::Func(f) => match *f.as_native() {},
            Extern::Memory(m) => match *m.as_native() {},
            Extern::Table(t) => match *t.as_native() {},
            Extern::Global(g) => match *g.as_native() {},
            Extern::Tag(t) => match *t.as_native() {},
            Extern::SharedMemory(m) => match *m.as_native() {},
        }
    }

    /// Defines `module::name` as a typed host function.
    ///
    /// Contract: as [`LinkerBackend::func_new`] with the type `P -> R`.
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Template, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        self.func_new(module, name, F::func_type(), typed_as_untyped(f))
    }

    /// Defines `module::name` as a host function of type `ty`.
    ///
    /// Contract: [`LinkError::Duplicate`] as for `define`;
    /// [`Error::Unsupported`] for a type the engine cannot represent (wasmi:
    /// references other than nullable `funcref` and `externref`), checked
    /// here rather than at instantiation. The function is not tied to a
    /// store: a real backend makes it in each store that links it.
    fn func_new<F: UntypedHostFunc<Template, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        let func = Arc::new(f);
        self.insert(module, name, HostDefinition { ty, func })
    }

    /// The definition of `module::name`, if any.
    ///
    /// Contract: the item, with host functions made in `store` on demand
    /// (the same function for the same definition each time); `None` when
    /// nothing is defined. The template cannot make functions: `None`.
    fn get(
        &self,
        store: &mut TemplateContext<StoreParts<T>>,
        module: &str,
        name: &str,
    ) -> Option<Extern<Template>> {
        let _ = (store, module, name);
        None
    }

    /// Instantiates `module` in `store` from the definitions, running its
    /// start function.
    ///
    /// Contract: a missing or mistyped import is an [`Error::Link`] (or
    /// [`Error::Engine`]): the API then finds which import and why itself,
    /// the same on every backend, by asking [`LinkerBackend::get`] for each
    /// import (so `get` must give every definition, or the diagnosis names
    /// a defined import as missing). [`Error::WrongStore`] for a definition of
    /// another store or a module of another engine;
    /// [`Error::ResourceLimit`] when the store's limits refuse it; a trap of
    /// the start function as [`Error::Trap`]. The template: [`RUNTIME`].
    fn instantiate(
        &self,
        store: &mut TemplateContext<StoreParts<T>>,
        module: &TemplateModule,
    ) -> Result<Never> {
        let _ = (store, module);
        runs_nothing()
    }

    /// Resolves `module`'s imports against the definitions once.
    ///
    /// Contract: the API has already checked that every import is defined
    /// with a matching type; the backend refuses what its engine refuses
    /// ([`LinkError::Other`]) and keeps what it needs to instantiate in any
    /// store of the engine (later definitions do not change it). The
    /// template: [`RUNTIME`].
    fn instantiate_pre(&self, module: &TemplateModule) -> Result<Never> {
        let _ = module;
        runs_nothing()
    }

    /// Contract: with `true`, a later definition of a name replaces the
    /// earlier one instead of being [`LinkError::Duplicate`].
    fn allow_shadowing(&mut self, allow: bool) {
        self.defs.allow_shadowing(allow);
    }

    // `instantiate_async` (provided: instantiates synchronously) and
    // `func_new_async` (provided: `Unsupported` for `Feature::Async`):
    // override them only with async calls.
}

impl<T: 'static> InstancePreBackend<Template, T> for Never {
    /// Instantiates in `store`, running the start function.
    ///
    /// Contract: the errors of [`LinkerBackend::instantiate`] except the
    /// link errors, already excluded. The template makes no `InstancePre`.
    fn instantiate(&self, store: &mut TemplateContext<StoreParts<T>>) -> Result<Never> {
        let _ = store;
        match *self {}
    }
}
