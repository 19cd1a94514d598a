//! Instantiating a component over wasm-run's core API: the component
//! [`Linker`] with host functions, the instance graph walked step by step,
//! lifted exports ([`Func`]) and lowered imports.

use crate::abi::Options;
pub(crate) use crate::builtins::{LateOptions, Target, lower, resource_builtin};
use crate::component::Component;
pub(crate) use crate::func::{Func, Lifted};
use crate::module_check::check_module;
use crate::plan::{ComponentPlan, CoreSort, Sort, Step, not_yet};
use crate::resources::{HostResourceType, ResourceAny, Resources, TypeEntry};
use crate::shared::Slot;
use crate::val::Val;
use foldhash::{HashMap, HashMapExt as _};
use std::fmt;
use std::sync::Arc;
use wasm_run_api::{AsContextMut, Engine, Error, Extern, LinkError, Result, Store, Val as CoreVal};

use crate::host::{HostContext, HostDtor, HostFunc};

pub(crate) enum Def<E: Engine, T: 'static> {
    Func(HostFunc<T>),
    Module(wasm_run_api::Module<E>),
    Instance(Namespace<E, T>),
    Resource(HostResourceType, HostDtor<T>),
}

pub(crate) struct Namespace<E: Engine, T: 'static> {
    pub(crate) items: HashMap<String, Def<E, T>>,
}

impl<E: Engine, T: 'static> Namespace<E, T> {
    /// The definition for the import `name`: the one of that exact name,
    /// else — for a versioned interface name such as
    /// `wasi:cli/stdout@0.2.3` — the highest semver-compatible version
    /// defined (`@0.2.x` for `0.2.3`, `@1.x.y` for `1.4.0`), as wasmtime's
    /// linker matches them.
    pub(crate) fn get(&self, name: &str) -> Option<&Def<E, T>> {
        if let Some(def) = self.items.get(name) {
            return Some(def);
        }
        let (base, want) = versioned(name)?;
        self.items
            .iter()
            .filter_map(|(n, def)| {
                let (b, have) = versioned(n)?;
                (b == base && have.compatible(&want)).then_some((have, def))
            })
            .max_by_key(|(have, _)| *have)
            .map(|(_, def)| def)
    }

    /// The definition at `path`: each name but the last an instance, each
    /// looked up as [`Namespace::get`] does.
    pub(crate) fn get_path<'n>(
        &self,
        path: impl IntoIterator<Item = &'n str>,
    ) -> Option<&Def<E, T>> {
        let mut path = path.into_iter();
        let mut def = self.get(path.next()?)?;
        for name in path {
            match def {
                Def::Instance(ns) => def = ns.get(name)?,
                _ => return None,
            }
        }
        Some(def)
    }
}

/// A name's version after its last `@`, when it is `major.minor.patch`
/// without a pre-release or build part.
fn versioned(name: &str) -> Option<(&str, Version)> {
    let (base, version) = name.rsplit_once('@')?;
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let v = Version(parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some((base, v))
}

/// `major.minor.patch`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Version(u64, u64, u64);

impl Version {
    /// Semver compatibility: the same major version (from 1 on), the same
    /// minor version for 0.x, the same version for 0.0.x.
    fn compatible(&self, other: &Version) -> bool {
        match (self.0, self.1) {
            (0, 0) => self == other,
            (0, minor) => other.0 == 0 && other.1 == minor,
            (major, _) => other.0 == major,
        }
    }
}

impl<E: Engine, T: 'static> Default for Namespace<E, T> {
    fn default() -> Self {
        Namespace {
            items: HashMap::new(),
        }
    }
}

/// Host definitions for a component's imports: functions at the root and
/// in named instances (interfaces such as `wasi:cli/stdout@0.2.0`).
pub struct Linker<E: Engine, T: 'static> {
    pub(crate) root: Namespace<E, T>,
    core: wasm_run_api::Linker<E, T>,
}

/// The definitions of one instance (or of the root) of a [`Linker`].
pub struct LinkerInstance<'a, E: Engine, T: 'static> {
    ns: &'a mut Namespace<E, T>,
}

impl<E: Engine, T: 'static> Linker<E, T> {
    /// An empty linker.
    pub fn new(engine: &E) -> Self {
        Linker {
            root: Namespace::default(),
            core: wasm_run_api::Linker::new(engine),
        }
    }

    /// The core definitions: the imports of a core module with an embedded
    /// WIT world ([`embeds_world`](crate::embeds_world)) that are not part
    /// of its world, such as WASI preview 1
    /// (`wasm_run_wasi::add_to_linker(linker.core())`). Component binaries
    /// do not use them.
    pub fn core(&mut self) -> &mut wasm_run_api::Linker<E, T> {
        &mut self.core
    }

    /// The core definitions (see [`Linker::core`]).
    pub(crate) fn core_ref(&self) -> &wasm_run_api::Linker<E, T> {
        &self.core
    }

    /// The root's definitions (imports that are not in an instance).
    pub fn root(&mut self) -> LinkerInstance<'_, E, T> {
        LinkerInstance { ns: &mut self.root }
    }

    /// The definitions of the instance `name` (made if new).
    ///
    /// A versioned interface (`wasi:cli/stdout@0.2.6`) also satisfies
    /// imports of semver-compatible versions, as in wasmtime's linker: a
    /// component importing `@0.2.0` or `@0.2.9` gets the highest `0.2.x`
    /// defined (`1.x.y` for a `1.4.0` import), unless that exact version is
    /// defined too; `@0.3.0` or a pre-release needs its own definition.
    ///
    /// # Errors
    ///
    /// [`Error::Link`] if `name` is defined as a function.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, E, T>> {
        LinkerInstance { ns: &mut self.root }.into_instance(name)
    }

    /// Defines the root function `name` (see [`LinkerInstance::func_new`]).
    ///
    /// # Errors
    ///
    /// As [`LinkerInstance::func_new`].
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(&mut HostContext<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.root().func_new(name, f)?;
        Ok(self)
    }

    /// Instantiates `component` in `store`, its imports taken from this
    /// linker.
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] naming an import this linker does not define (or
    ///   defines as the wrong kind).
    /// - [`Error::Unsupported`] for a component whose canonical options use
    ///   64-bit memories ([`Component::uses_memory64_options`]).
    /// - The errors of instantiating the core modules (traps of their start
    ///   functions included), and [`Error::WrongStore`] for a store of
    ///   another engine.
    pub fn instantiate(
        &self,
        store: &mut Store<E, T>,
        component: &Component<E>,
    ) -> Result<Instance<E>> {
        // Made for one instance: no shared functions to make first.
        self.pre(component, false)?.instantiate(store)
    }
}

impl<'a, E: Engine, T: 'static> LinkerInstance<'a, E, T> {
    /// Defines function `name` as the host closure `f`, which gets the
    /// caller, the arguments (already checked against the import's type)
    /// and a result slot to fill with a value of the result type.
    ///
    /// # Errors
    ///
    /// [`Error::Link`] with [`LinkError::Duplicate`] if `name` is defined
    /// already.
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(&mut HostContext<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        if self.ns.items.contains_key(name) {
            return Err(LinkError::Duplicate {
                module: String::new(),
                name: name.into(),
            }
            .into());
        }
        self.ns.items.insert(name.into(), Def::Func(Arc::new(f)));
        Ok(self)
    }

    /// The definitions of the nested instance `name` (made if new).
    ///
    /// # Errors
    ///
    /// [`Error::Link`] if `name` is defined as a function.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, E, T>> {
        LinkerInstance { ns: &mut *self.ns }.into_instance(name)
    }

    /// Defines `name` as the core module `module`, for components that
    /// import a core module (and instantiate it themselves).
    ///
    /// # Errors
    ///
    /// [`Error::Link`] with [`LinkError::Duplicate`] if `name` is defined
    /// already.
    pub fn module(&mut self, name: &str, module: &wasm_run_api::Module<E>) -> Result<&mut Self> {
        if self.ns.items.contains_key(name) {
            return Err(LinkError::Duplicate {
                module: String::new(),
                name: name.into(),
            }
            .into());
        }
        self.ns
            .items
            .insert(name.into(), Def::Module(module.clone()));
        Ok(self)
    }

    /// Defines the resource type `name` for components that import it; the
    /// host makes its values with [`ResourceAny::host`] (the representation
    /// is the host's own number, e.g. an index into its table) and gets
    /// them back as arguments. `dtor` runs with the representation when a
    /// component drops an owned handle (the host keeps the resource's data
    /// and decides what dropping means).
    ///
    /// # Errors
    ///
    /// [`Error::Link`] with [`LinkError::Duplicate`] if `name` is defined
    /// already.
    pub fn resource(
        &mut self,
        name: &str,
        dtor: impl Fn(&mut HostContext<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<HostResourceType> {
        if self.ns.items.contains_key(name) {
            return Err(LinkError::Duplicate {
                module: String::new(),
                name: name.into(),
            }
            .into());
        }
        let ty = HostResourceType::new(name);
        self.ns
            .items
            .insert(name.into(), Def::Resource(ty.clone(), Arc::new(dtor)));
        Ok(ty)
    }

    /// Defines `name` as the existing host resource type `ty` (defined
    /// under another name, possibly in another instance), with its own
    /// destructor for handles a component drops through this import.
    ///
    /// # Errors
    ///
    /// [`Error::Link`] with [`LinkError::Duplicate`] if `name` is defined
    /// already.
    pub fn resource_of(
        &mut self,
        name: &str,
        ty: &HostResourceType,
        dtor: impl Fn(&mut HostContext<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        if self.ns.items.contains_key(name) {
            return Err(LinkError::Duplicate {
                module: String::new(),
                name: name.into(),
            }
            .into());
        }
        self.ns
            .items
            .insert(name.into(), Def::Resource(ty.clone(), Arc::new(dtor)));
        Ok(self)
    }

    fn into_instance(self, name: &str) -> Result<LinkerInstance<'a, E, T>> {
        let def = self
            .ns
            .items
            .entry(name.into())
            .or_insert_with(|| Def::Instance(Namespace::default()));
        match def {
            Def::Instance(ns) => Ok(LinkerInstance { ns }),
            _ => {
                Err(LinkError::Other(format!("`{name}` is defined, but not as an instance")).into())
            }
        }
    }
}

/// What an instance exports.
pub(crate) enum Exported<E: Engine> {
    Func(Func<E>),
    Module(wasm_run_api::Module<E>),
    Instance(Arc<HashMap<String, Exported<E>>>),
}

impl<E: Engine> Clone for Exported<E> {
    fn clone(&self) -> Self {
        match self {
            Exported::Func(f) => Exported::Func(f.clone()),
            Exported::Module(m) => Exported::Module(m.clone()),
            Exported::Instance(i) => Exported::Instance(i.clone()),
        }
    }
}

/// An instantiated component: its exported functions, at the root and in
/// exported instances (interfaces).
pub struct Instance<E: Engine> {
    pub(crate) exports: Arc<HashMap<String, Exported<E>>>,
    pub(crate) resources: Arc<Resources<E>>,
    /// The resource state of every instance nested in it (they define the
    /// resource types other instances refer to).
    pub(crate) tree: Arc<[Arc<Resources<E>>]>,
}

impl<E: Engine> Clone for Instance<E> {
    fn clone(&self) -> Self {
        Instance {
            exports: self.exports.clone(),
            resources: self.resources.clone(),
            tree: self.tree.clone(),
        }
    }
}

impl<E: Engine> fmt::Debug for Instance<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.exports.keys().collect();
        names.sort();
        f.debug_struct("Instance").field("exports", &names).finish()
    }
}

impl<E: Engine> Instance<E> {
    /// Drops a resource the host owns: runs its type's destructor (if it
    /// has one) with the resource's representation. A borrowed resource
    /// cannot be dropped.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `resource` is borrowed, or belongs to another
    ///   instance.
    /// - The destructor's errors (a trap).
    pub fn drop_resource(
        &self,
        mut store: impl AsContextMut<E>,
        resource: ResourceAny,
    ) -> Result<()> {
        #[cfg(feature = "native")]
        if let (
            crate::resources::Kind::Native {
                any, store: owner, ..
            },
            true,
        ) = (&resource.kind, resource.owned())
        {
            resource.take()?;
            return crate::native::drop_resource(store, *any, *owner);
        }
        let (Some(ty), true) = (resource.ty(), resource.owned()) else {
            return Err(Error::Type(
                "only an owned resource of a type this instance defines can be dropped here".into(),
            ));
        };
        let definer = std::iter::once(&self.resources)
            .chain(self.tree.iter())
            .find(|r| resource.instance() == Some(r.instance))
            .ok_or_else(|| Error::Type("a resource of another instance".into()))?;
        resource.take()?;
        match definer.dtor(ty.id)? {
            Some(dtor) => dtor.call(&mut store, &[CoreVal::I32(resource.rep as i32)], &mut []),
            None => Ok(()),
        }
    }

    /// The exported function `name`, or, with `interface#name` (for example
    /// `example:demo/api#run`), the function `name` of the exported
    /// instance `interface`.
    pub fn get_func(&self, name: &str) -> Option<Func<E>> {
        match self.export(name)? {
            Exported::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The export `name`, or `name` of the exported instance `interface`
    /// for `interface#name`.
    fn export(&self, name: &str) -> Option<Exported<E>> {
        let scope = match name.rsplit_once('#') {
            Some((outer, inner)) => match self.exports.get(outer)? {
                Exported::Instance(items) => items.get(inner),
                _ => None,
            },
            None => self.exports.get(name),
        };
        scope.cloned()
    }

    /// The core module the component exports as `name` (or, with
    /// `interface#name`, that an exported instance exports).
    pub fn get_module(&self, name: &str) -> Option<wasm_run_api::Module<E>> {
        match self.export(name)? {
            Exported::Module(m) => Some(m),
            _ => None,
        }
    }

    /// The names of the core modules the component exports at its root.
    pub fn module_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .exports
            .iter()
            .filter(|(_, e)| matches!(e, Exported::Module(_)))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }
}

/// A component-level item during instantiation.
pub(crate) enum Item<E: Engine, T: 'static> {
    /// A host function (its type is the lowering's: `Step::Lower` carries
    /// the shape).
    Host(HostFunc<T>),
    Lifted(Func<E>),
    /// An instance's items (shared: aliasing an instance does not copy it).
    Instance(Arc<HashMap<String, Item<E, T>>>),
    /// A core module.
    Module(wasm_run_api::Module<E>),
    /// A component (not instantiated).
    Component(ComponentItem<E>),
    /// A resource type: what it is at run time and who implements it.
    Resource(TypeEntry<E>),
    /// A type, or something without run-time state.
    Type,
}

impl<E: Engine, T: 'static> Clone for Item<E, T> {
    fn clone(&self) -> Self {
        match self {
            Item::Host(f) => Item::Host(f.clone()),
            Item::Lifted(f) => Item::Lifted(f.clone()),
            Item::Instance(m) => Item::Instance(m.clone()),
            Item::Module(m) => Item::Module(m.clone()),
            Item::Component(c) => Item::Component(c.clone()),
            Item::Resource(e) => Item::Resource(e.clone()),
            Item::Type => Item::Type,
        }
    }
}

enum CoreInstance<E: Engine> {
    Real(wasm_run_api::Instance<E>),
    /// Made of core items (`CoreFromExports`): the items in the order of
    /// that step's names (at this index of the plan's steps).
    Bag(usize, Vec<Extern<E>>),
}

struct Instantiation<'l, E: Engine, T: 'static> {
    linker: &'l Linker<E, T>,
    component: &'l Component<E>,
    core: [Vec<Option<Extern<E>>>; 5],
    core_instances: Vec<CoreInstance<E>>,
    funcs: Vec<Item<E, T>>,
    instances: Vec<Item<E, T>>,
    types: Vec<Item<E, T>>,
    /// The core module index space.
    modules: Vec<wasm_run_api::Module<E>>,
    components: Vec<ComponentItem<E>>,
    /// The enclosing components' modules and components, innermost first
    /// (for outer aliases).
    outer: Vec<Frame<E>>,
    /// A nested component's imports: its instantiation's arguments (the
    /// root's come from the linker).
    args: Option<HashMap<String, Item<E, T>>>,
    exports: HashMap<String, Item<E, T>>,
    resources: Arc<Resources<E>>,
    host_dtors: HashMap<u32, HostDtor<T>>,
    /// The resource states of the nested instances made so far.
    tree: Vec<Arc<Resources<E>>>,
    /// The root's imports resolved ahead (by [`InstancePre`]), in the
    /// order of its import steps; `None` for a nested component.
    root: Option<&'l crate::pre::RootImports<E, T>>,
    /// The root's import steps run so far.
    imported: usize,
    /// The pre-instantiation's shared functions, when this instance takes
    /// them (see [`crate::shared`]).
    shared: Option<crate::shared::Claimed<'l, E, T>>,
}

/// What outer aliases of a nested component can reach in an enclosing one.
struct Frame<E: Engine> {
    modules: Vec<wasm_run_api::Module<E>>,
    components: Vec<ComponentItem<E>>,
}

/// A component as an item: its plan and what its outer aliases reach (the
/// enclosing components' items when it was defined).
pub(crate) struct ComponentItem<E: Engine> {
    plan: Arc<ComponentPlan>,
    outer: Arc<[Frame<E>]>,
}

impl<E: Engine> Clone for ComponentItem<E> {
    fn clone(&self) -> Self {
        ComponentItem {
            plan: self.plan.clone(),
            outer: self.outer.clone(),
        }
    }
}

impl<E: Engine> Clone for Frame<E> {
    fn clone(&self) -> Self {
        Frame {
            modules: self.modules.clone(),
            components: self.components.clone(),
        }
    }
}

fn missing(name: &str, what: &str) -> Error {
    LinkError::Other(format!("the linker defines no {what} for import `{name}`")).into()
}

impl<'l, E: Engine, T: 'static> Instantiation<'l, E, T> {
    fn new(linker: &'l Linker<E, T>, component: &'l Component<E>) -> Self {
        Instantiation {
            linker,
            component,
            core: Default::default(),
            core_instances: Vec::new(),
            funcs: Vec::new(),
            instances: Vec::new(),
            types: Vec::new(),
            modules: Vec::new(),
            components: Vec::new(),
            outer: Vec::new(),
            args: None,
            exports: HashMap::new(),
            resources: Resources::new(),
            host_dtors: HashMap::new(),
            tree: Vec::new(),
            root: None,
            imported: 0,
            shared: None,
        }
    }

    /// Instantiates the root component.
    fn run_root(self, store: &mut Store<E, T>, plan: &ComponentPlan) -> Result<Instance<E>> {
        let resources = self.resources.clone();
        let (exports, tree) = self.run(store, plan)?;
        Ok(Instance {
            exports: Arc::new(
                exports
                    .iter()
                    .filter_map(|(n, i)| exported(i).map(|e| (n.clone(), e)))
                    .collect(),
            ),
            resources,
            tree: tree.into(),
        })
    }

    /// Takes the host resource type `def` for the component's imported
    /// resource type `ty` (import `name`).
    fn import_resource(&mut self, name: &str, ty: u32, def: Option<&Def<E, T>>) -> Result<()> {
        match def {
            Some(Def::Resource(host, dtor)) => {
                // An import bounded to equal an earlier one must be given
                // the same type.
                if let Ok(earlier) = self.resources.entry(ty)
                    && earlier.kind != crate::resources::Kind::Host(host.clone())
                {
                    return Err(LinkError::Other(format!(
                        "mismatched resource types: import `{name}` must be the same resource type as an earlier import"
                    ))
                    .into());
                }
                self.resources.import(ty, host.clone());
                self.host_dtors.insert(ty, dtor.clone());
                Ok(())
            }
            // A type import bounded to equal an earlier one (`(eq 0)`) is
            // that type: nothing more to define.
            None if self.resources.entry(ty).is_ok() => Ok(()),
            _ => Err(missing(name, "resource type")),
        }
    }

    /// The item for the imported instance `path` of type `types`, from the
    /// linker's namespace `ns` (nested instances included).
    fn import_instance(
        &mut self,
        path: &str,
        types: &[(String, crate::types::ItemType)],
        ns: &'l Namespace<E, T>,
    ) -> Result<Item<E, T>> {
        use crate::types::{ItemType, TypeDef};
        let mut items = HashMap::new();
        for (n, ty) in types {
            let item = match (ty, ns.get(n)) {
                (ItemType::Func(_), Some(Def::Func(f))) => Item::Host(f.clone()),
                (ItemType::Func(_), _) => return Err(missing(&format!("{path}#{n}"), "function")),
                (ItemType::Instance(inner), Some(Def::Instance(nested))) => {
                    self.import_instance(&format!("{path}#{n}"), inner, nested)?
                }
                (ItemType::Instance(inner), None)
                    if !inner.iter().any(|(_, t)| crate::types::needs_definition(t)) =>
                {
                    types_only(ty)
                }
                (ItemType::Instance(_), _) => {
                    return Err(missing(&format!("{path}#{n}"), "instance"));
                }
                (ItemType::Type(TypeDef::Resource(rt)), def) => {
                    self.import_resource(&format!("{path}#{n}"), rt.id, def)?;
                    Item::Resource(self.resources.export_entry(rt.id)?)
                }
                (ItemType::Type(_), _) => Item::Type,
                (ItemType::Module(want), Some(Def::Module(m))) => {
                    check_module(&format!("{path}#{n}"), want, m)?;
                    Item::Module(m.clone())
                }
                (ItemType::Module(_), _) => {
                    return Err(missing(&format!("{path}#{n}"), "core module"));
                }
                _ => return Err(not_yet("imports of components and values")),
            };
            items.insert(n.clone(), item);
        }
        Ok(Item::Instance(Arc::new(items)))
    }

    /// The item for the root's import `name` (of `sort`), from the
    /// linker.
    pub(crate) fn import_root(&mut self, name: &str, sort: Sort) -> Result<Item<E, T>> {
        let component = self.component;
        let def = self.linker.root.get(name);
        Ok(match (sort, def) {
            (Sort::Func, Some(Def::Func(f))) => Item::Host(f.clone()),
            (Sort::Instance, Some(Def::Instance(ns))) => {
                let Some(crate::types::ItemType::Instance(types)) = component.world().import(name)
                else {
                    return Err(missing(name, "instance"));
                };
                self.import_instance(name, types, ns)?
            }
            (Sort::Type, def) => {
                if let Some(crate::types::ItemType::Type(crate::types::TypeDef::Resource(rt))) =
                    component.world().import(name)
                {
                    self.import_resource(name, rt.id, def)?;
                    Item::Resource(self.resources.export_entry(rt.id)?)
                } else {
                    Item::Type
                }
            }
            (Sort::Module, Some(Def::Module(m))) => {
                if let Some(crate::types::ItemType::Module(want)) = component.world().import(name) {
                    check_module(name, want, m)?;
                }
                Item::Module(m.clone())
            }
            (Sort::Module, _) => return Err(missing(name, "core module")),
            (Sort::Func, _) => return Err(missing(name, "function")),
            // An instance of types only (no functions, no
            // resources) needs nothing at run time.
            (Sort::Instance, None)
                if component
                    .world()
                    .import(name)
                    .is_some_and(|t| !crate::types::needs_definition(t)) =>
            {
                match component.world().import(name) {
                    Some(t) => types_only(t),
                    None => Item::Type,
                }
            }
            (Sort::Instance, _) => return Err(missing(name, "instance")),
            _ => return Err(not_yet("imports of modules, components and values")),
        })
    }

    fn core(&self, sort: CoreSort, index: u32) -> Result<Extern<E>> {
        self.core[sort.slot()]
            .get(index as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| not_yet("a core item this version cannot make yet"))
    }

    /// The export `name` of core instance `instance`; `(step, at)` (the
    /// step's index, the lookup's in the step) finds the root's key found
    /// ahead, if any.
    fn core_export(
        &self,
        store: &mut Store<E, T>,
        plan: &ComponentPlan,
        instance: u32,
        name: &str,
        (step, at): (usize, usize),
    ) -> Option<Extern<E>> {
        match self.core_instances.get(instance as usize)? {
            CoreInstance::Real(i) => match self.root.and_then(|r| r.keys.as_ref()?.get(step, at)) {
                Some(key) => i.get_export_by_key(store, key),
                None => i.get_export(store, name),
            },
            CoreInstance::Bag(step, items) => items.get(plan.bag_position(*step, name)?).cloned(),
        }
    }

    fn core_func(&self, index: u32) -> Result<wasm_run_api::Func<E>> {
        match self.core(CoreSort::Func, index)? {
            Extern::Func(f) => Ok(f),
            _ => Err(Error::Type("a core item that is not a function".into())),
        }
    }

    fn space(&mut self, sort: Sort) -> Option<&mut Vec<Item<E, T>>> {
        match sort {
            Sort::Func => Some(&mut self.funcs),
            Sort::Instance => Some(&mut self.instances),
            Sort::Type => Some(&mut self.types),
            _ => None,
        }
    }

    /// Adds `item` to the index space of `sort`.
    fn push(&mut self, sort: Sort, item: Item<E, T>) -> Result<()> {
        match (sort, item) {
            (Sort::Module, Item::Module(m)) => {
                self.modules.push(m);
                Ok(())
            }
            (Sort::Module, _) => Err(Error::Type("an item that is not a core module".into())),
            (Sort::Component, Item::Component(c)) => {
                self.components.push(c);
                Ok(())
            }
            (Sort::Component, _) => Err(Error::Type("an item that is not a component".into())),
            (sort, item) => match self.space(sort) {
                Some(space) => {
                    space.push(item);
                    Ok(())
                }
                None => Err(not_yet("components and values as items")),
            },
        }
    }

    fn item(&self, sort: Sort, index: u32) -> Result<Item<E, T>> {
        if sort == Sort::Module {
            return self
                .modules
                .get(index as usize)
                .map(|m| Item::Module(m.clone()))
                .ok_or_else(|| Error::engine(format!("module {index} out of its space")));
        }
        if sort == Sort::Component {
            return self
                .components
                .get(index as usize)
                .map(|c| Item::Component(c.clone()))
                .ok_or_else(|| Error::engine(format!("component {index} out of its space")));
        }
        let space = match sort {
            Sort::Func => &self.funcs,
            Sort::Instance => &self.instances,
            Sort::Type => &self.types,
            _ => return Err(not_yet("modules, components and values as items")),
        };
        space
            .get(index as usize)
            .cloned()
            .ok_or_else(|| Error::engine(format!("index {index} out of its space")))
    }

    fn opts(&self, opts: &crate::plan::CanonOpts) -> Result<Options<E>> {
        let memory = match opts.memory {
            Some(i) => match self.core(CoreSort::Memory, i)? {
                Extern::Memory(m) => Some(m),
                _ => {
                    return Err(Error::Type(
                        "a canonical memory that is not a memory".into(),
                    ));
                }
            },
            None => None,
        };
        let realloc = opts.realloc.map(|i| self.core_func(i)).transpose()?;
        Ok(Options {
            memory,
            realloc,
            encoding: opts.encoding,
            resources: Some(self.resources.clone()),
        })
    }

    /// Sizes the index spaces for `plan`'s steps (counted once, when the
    /// plan was made), so that they do not grow while the steps run.
    fn reserve(&mut self, plan: &ComponentPlan) {
        let n = &plan.sizes;
        for (space, n) in self.core.iter_mut().zip(n.core) {
            space.reserve(n);
        }
        self.core_instances.reserve(n.core_instances);
        self.modules.reserve(n.modules);
        self.funcs.reserve(n.funcs);
        self.instances.reserve(n.instances);
        self.types.reserve(n.types);
    }

    /// Runs `plan`'s steps; the component's exports, and the resource
    /// states of the instances nested in it.
    #[allow(clippy::type_complexity)]
    fn run(
        mut self,
        store: &mut Store<E, T>,
        plan: &ComponentPlan,
    ) -> Result<(HashMap<String, Item<E, T>>, Vec<Arc<Resources<E>>>)> {
        let component = self.component;
        let modules = component.core_modules()?;
        // The instance is on the stack while it is instantiated (its core
        // start functions run): calls into it trap.
        let resources = self.resources.clone();
        let _entered = resources.enter()?;
        self.reserve(plan);
        for (at, step) in plan.steps.iter().enumerate() {
            match step {
                Step::Module(global) => {
                    let m = modules
                        .get(*global as usize)
                        .ok_or_else(|| not_yet("a core module this version did not record"))?;
                    self.modules.push(m.clone());
                }
                Step::Component(nested) => {
                    let mut outer = vec![Frame {
                        modules: self.modules.clone(),
                        components: self.components.clone(),
                    }];
                    outer.extend(self.outer.iter().cloned());
                    self.components.push(ComponentItem {
                        plan: nested.clone(),
                        outer: outer.into(),
                    });
                }
                Step::AliasOuter { sort, count, index } => {
                    // Count 0 is this component's own index space.
                    let (modules, components) = match count.checked_sub(1) {
                        None => (&self.modules, &self.components),
                        Some(up) => {
                            let frame = self
                                .outer
                                .get(up as usize)
                                .ok_or_else(|| not_yet("outer aliases past the root"))?;
                            (&frame.modules, &frame.components)
                        }
                    };
                    match sort {
                        Sort::Module => {
                            let m = modules
                                .get(*index as usize)
                                .cloned()
                                .ok_or_else(|| not_yet("an outer module"))?;
                            self.modules.push(m);
                        }
                        _ => {
                            let c = components
                                .get(*index as usize)
                                .cloned()
                                .ok_or_else(|| not_yet("an outer component"))?;
                            self.components.push(c);
                        }
                    }
                }
                Step::ComponentInstantiate {
                    component: index,
                    args,
                } => {
                    let nested = self
                        .components
                        .get(*index as usize)
                        .cloned()
                        .ok_or_else(|| not_yet("a component this version did not record"))?;
                    let mut items = HashMap::new();
                    for (name, sort, idx) in args {
                        items.insert(name.clone(), self.item(*sort, *idx)?);
                    }
                    let mut child = Instantiation::new(self.linker, component);
                    child.outer = nested.outer.to_vec();
                    child.args = Some(items);
                    self.tree.push(child.resources.clone());
                    let (exports, tree) = child.run(store, &nested.plan)?;
                    self.tree.extend(tree);
                    self.instances.push(Item::Instance(Arc::new(exports)));
                }
                Step::CoreInstantiate { module, args } => {
                    let module = self
                        .modules
                        .get(*module as usize)
                        .cloned()
                        .ok_or_else(|| not_yet("a core module this version did not record"))?;
                    let module = &module;
                    let mut imports = Vec::with_capacity(module.imports().len());
                    for (j, import) in module.imports().iter().enumerate() {
                        let (_, arg) = args
                            .iter()
                            .find(|(n, _)| *n == import.module)
                            .ok_or_else(|| missing(&import.module, "core instance"))?;
                        let item = self.core_export(store, plan, *arg, &import.name, (at, j));
                        imports.push(item.ok_or_else(|| {
                            Error::from(LinkError::Missing {
                                module: import.module.clone(),
                                name: import.name.clone(),
                                expected: import.ty.clone(),
                            })
                        })?);
                    }
                    let instance = wasm_run_api::Instance::new(&mut *store, module, &imports)?;
                    self.core_instances.push(CoreInstance::Real(instance));
                }
                Step::CoreFromExports(items) => {
                    let bag = items
                        .iter()
                        .map(|(_, sort, index)| self.core(*sort, *index))
                        .collect::<Result<Vec<_>>>()?;
                    self.core_instances.push(CoreInstance::Bag(at, bag));
                }
                Step::AliasCoreExport {
                    instance,
                    name,
                    sort,
                } => {
                    let item = self.core_export(store, plan, *instance, name, (at, 0));
                    self.core[sort.slot()].push(item);
                }
                Step::AliasExport {
                    instance,
                    name,
                    sort,
                    resource,
                } => {
                    // The one export, not a copy of the instance.
                    let item = match self.instances.get(*instance as usize) {
                        Some(Item::Instance(items)) => items
                            .get(name)
                            .cloned()
                            .ok_or_else(|| missing(name, "export"))?,
                        Some(_) => return Err(not_yet("aliases of this kind")),
                        None => {
                            return Err(Error::engine(format!(
                                "instance {instance} out of its space"
                            )));
                        }
                    };
                    if let (Some(id), Item::Resource(entry)) = (resource, &item) {
                        self.resources.import_entry(*id, entry.clone());
                    }
                    self.push(*sort, item)?;
                }
                Step::Lift {
                    core_func,
                    shape,
                    opts,
                } => {
                    let core = self.core_func(*core_func)?;
                    let options = self.opts(opts)?;
                    let post_return = opts.post_return.map(|i| self.core_func(i)).transpose()?;
                    self.funcs.push(Item::Lifted(Func::portable(Lifted {
                        core,
                        shape: shape.clone(),
                        opts: options,
                        post_return,
                    })));
                }
                Step::Lower { func, shape, opts } => {
                    let target = Target::of(self.item(Sort::Func, *func)?)?;
                    let slot = Slot::lower(target, shape.clone(), self.opts(opts)?);
                    let f = crate::shared::core_func(self.shared.as_mut(), store, slot)?;
                    self.core[CoreSort::Func.slot()].push(Some(Extern::Func(f)));
                }
                Step::Import {
                    name,
                    sort,
                    resources,
                } if self.args.is_some() => {
                    // A nested component's import: its argument.
                    let item = self
                        .args
                        .as_ref()
                        .and_then(|a| a.get(name))
                        .cloned()
                        .ok_or_else(|| missing(name, "argument"))?;
                    // The resource types in it are what the argument's are.
                    for (path, id) in resources {
                        let mut at = &item;
                        for p in path {
                            at = match at {
                                Item::Instance(items) => {
                                    items.get(p).ok_or_else(|| missing(p, "resource type"))?
                                }
                                _ => return Err(missing(p, "resource type")),
                            };
                        }
                        match at {
                            Item::Resource(entry) => {
                                self.resources.import_entry(*id, entry.clone())
                            }
                            _ => return Err(missing(name, "resource type")),
                        }
                    }
                    self.push(*sort, item)?;
                }
                Step::Import { name, sort, .. } => {
                    // The root's import: resolved by the pre-instantiation
                    // when it could be, else from the linker now.
                    let pre = self
                        .root
                        .and_then(|r| r.items.get(self.imported))
                        .cloned()
                        .flatten();
                    self.imported += 1;
                    let item = match pre {
                        Some(item) => item,
                        None => self.import_root(name, *sort)?,
                    };
                    self.push(*sort, item)?;
                }
                Step::Export {
                    name,
                    sort,
                    index,
                    resource,
                } => {
                    let item = self.item(*sort, *index)?;
                    if let (Some(id), Item::Resource(entry)) = (resource, &item) {
                        self.resources.import_entry(*id, entry.clone());
                    }
                    self.exports.insert(name.clone(), item.clone());
                    self.push(*sort, item)?;
                }
                Step::InstanceFromExports(items) => {
                    let mut map = HashMap::new();
                    for (name, sort, index) in items {
                        map.insert(name.clone(), self.item(*sort, *index)?);
                    }
                    self.instances.push(Item::Instance(Arc::new(map)));
                }
                Step::Type => self.types.push(Item::Type),
                Step::ResourceDef { ty, dtor } => {
                    let dtor = dtor.map(|i| self.core_func(i)).transpose()?;
                    self.resources.define(ty, dtor);
                    self.types
                        .push(Item::Resource(self.resources.export_entry(ty.id)?));
                }
                Step::ResourceBuiltin { op, ty } => {
                    // The root's imported destructors are the
                    // pre-instantiation's (not copied per instance).
                    let host_dtor = self
                        .host_dtors
                        .get(&ty.id)
                        .or_else(|| self.root.and_then(|r| r.host_dtors.get(&ty.id)))
                        .cloned();
                    let slot = Slot::Builtin {
                        op: *op,
                        ty: ty.id,
                        resources: self.resources.clone(),
                        host_dtor,
                    };
                    let f = crate::shared::core_func(self.shared.as_mut(), store, slot)?;
                    self.core[CoreSort::Func.slot()].push(Some(Extern::Func(f)));
                }
                Step::CoreType => {}
                Step::NotYet { what } => return Err(not_yet(what)),
            }
        }
        Ok((self.exports, self.tree))
    }
}

/// Resolves the root's imports of `component` (plan `plan`) against
/// `linker` ahead of any instantiation (see [`crate::InstancePre`]).
pub(crate) fn resolve_root<E: Engine, T: 'static>(
    linker: &Linker<E, T>,
    component: &Component<E>,
    plan: &ComponentPlan,
    share: bool,
) -> Result<crate::pre::RootImports<E, T>> {
    let mut scratch = Instantiation::new(linker, component);
    let mut items = Vec::new();
    for step in &plan.steps {
        if let Step::Import { name, sort, .. } = step {
            match scratch.import_root(name, *sort) {
                Ok(item) => items.push(Some(item)),
                // A type import bounded to equal a type an earlier step
                // brings: resolved when that step has run.
                Err(_) if *sort == Sort::Type && scratch.linker.root.get(name).is_none() => {
                    items.push(None)
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(crate::pre::RootImports {
        items,
        host_types: scratch.resources.host_imports(),
        host_dtors: scratch.host_dtors,
        shared: share
            .then(|| crate::shared::SharedFuncs::new(component.engine(), plan))
            .flatten(),
        keys: share.then(|| crate::keys::ExportKeys::new(component, plan)),
    })
}

/// Instantiates the root component `component` with its imports resolved
/// ahead (`root`).
pub(crate) fn instantiate_root<E: Engine, T: 'static>(
    linker: &Linker<E, T>,
    store: &mut Store<E, T>,
    component: &Component<E>,
    plan: &ComponentPlan,
    root: &crate::pre::RootImports<E, T>,
) -> Result<Instance<E>> {
    let mut run = Instantiation::new(linker, component);
    for (ty, host) in &root.host_types {
        run.resources.import(*ty, host.clone());
    }
    run.root = Some(root);
    run.shared = root.shared.as_ref().and_then(|s| s.claim(store));
    run.run_root(store, plan)
}

/// The item of an import that has only (non-resource) types in it.
fn types_only<E: Engine, T: 'static>(ty: &crate::types::ItemType) -> Item<E, T> {
    match ty {
        crate::types::ItemType::Instance(items) => Item::Instance(Arc::new(
            items
                .iter()
                .map(|(n, t)| (n.clone(), types_only(t)))
                .collect(),
        )),
        _ => Item::Type,
    }
}

/// The exported form of an item (functions and instances of them).
fn exported<E: Engine, T: 'static>(item: &Item<E, T>) -> Option<Exported<E>> {
    match item {
        Item::Lifted(f) => Some(Exported::Func(f.clone())),
        Item::Module(m) => Some(Exported::Module(m.clone())),
        Item::Instance(items) => Some(Exported::Instance(Arc::new(
            items
                .iter()
                .filter_map(|(n, i)| exported(i).map(|e| (n.clone(), e)))
                .collect(),
        ))),
        _ => None,
    }
}
