//! The linker: named definitions (host functions, host-created items, exports of
//! other instances) that satisfy a module's imports.

use crate::Engine;
use crate::backend::{InstancePreBackend, LinkerBackend, StoreId};
use crate::error::{Error, LinkError, Result};
use crate::host::{HostFunc, UntypedHostFunc, guard};
use crate::instance::{Extern, Instance};
use crate::module::Module;
use crate::store::Store;
use crate::types::{ExternType, FuncType};
use crate::val::WasmTyList;
use std::collections::{HashMap, HashSet};

/// Definitions for imports, and instantiation from them.
///
/// Host functions defined here are not tied to a store: one linker can
/// instantiate modules in many stores.
///
/// The linker keeps its own record of the names defined in it, so a second
/// definition of a name is [`LinkError::Duplicate`] on every backend, decided
/// here rather than read from an engine's message.
pub struct Linker<E: Engine, T: 'static> {
    pub(crate) inner: E::Linker<T>,
    defined: HashSet<(Box<str>, Box<str>)>,
    /// The types of the definitions made through this linker (not of those
    /// only noted), for [`Linker::instantiate_pre`]'s check.
    types: HashMap<(Box<str>, Box<str>), ExternType>,
    /// The stores that own items defined here (usually none or one): only
    /// they can instantiate from this linker.
    pub(crate) owners: Vec<StoreId>,
    shadowing: bool,
    /// Whether the engine has [`Feature::Async`](crate::Feature::Async) on
    /// (else the backend's name, for the refusal of async definitions).
    pub(crate) async_off: Option<&'static str>,
}

impl<E: Engine, T: 'static> Linker<E, T> {
    /// An empty linker for `engine`.
    pub fn new(engine: &E) -> Self {
        let async_off = (!engine.features().contains(crate::Feature::Async)).then(|| engine.name());
        Linker {
            inner: engine.linker(),
            defined: HashSet::new(),
            types: HashMap::new(),
            owners: Vec::new(),
            shadowing: false,
            async_off,
        }
    }

    /// Records `module::name` as defined, or refuses a second definition
    /// when shadowing is off. Returns whether the name is new, so a failed
    /// definition can be forgotten again.
    fn claim(&mut self, module: &str, name: &str) -> Result<bool> {
        let new = self.defined.insert((module.into(), name.into()));
        if !new && !self.shadowing {
            return Err(LinkError::Duplicate {
                module: module.into(),
                name: name.into(),
            }
            .into());
        }
        Ok(new)
    }

    /// Runs the backend definition of `module::name` under [`Linker::claim`].
    pub(crate) fn defining(
        &mut self,
        module: &str,
        name: &str,
        ty: ExternType,
        define: impl FnOnce(&mut E::Linker<T>) -> Result<()>,
    ) -> Result<()> {
        let new = self.claim(module, name)?;
        let result = guard(|| define(&mut self.inner));
        if result.is_err() {
            if new {
                self.defined.remove(&(module.into(), name.into()));
            }
        } else {
            self.types.insert((module.into(), name.into()), ty);
        }
        result
    }

    /// Whether `module::name` has been defined through this linker (or noted
    /// with [`Linker::note_backend_definitions`]).
    pub fn is_defined(&self, module: &str, name: &str) -> bool {
        self.defined.contains(&(module.into(), name.into()))
    }

    /// Whether later definitions may replace earlier ones
    /// ([`Linker::allow_shadowing`]).
    pub fn shadowing_allowed(&self) -> bool {
        self.shadowing
    }

    /// Records names that were defined directly on the backend linker (through
    /// [`Linker::backend_mut`], as WASI adapters do), so that defining one of
    /// them again through this linker is [`LinkError::Duplicate`] too.
    pub fn note_backend_definitions<'n>(
        &mut self,
        module: &str,
        names: impl IntoIterator<Item = &'n str>,
    ) {
        for name in names {
            self.defined.insert((module.into(), name.into()));
        }
    }
}

impl<E: Engine, T: 'static> Linker<E, T> {
    /// Checks that `store` owns `item` and remembers `store` as an owner of
    /// items of this linker.
    fn own(&mut self, store: &Store<E, T>, item: &Extern<E>) -> Result<()> {
        match item.store_id() {
            Some(owner) if owner != store.id() => Err(Error::WrongStore),
            Some(owner) => {
                if !self.owners.contains(&owner) {
                    self.owners.push(owner);
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Defines `module::name` as a typed host function, e.g.
    /// `|caller: Caller<'_, E, T>, a: i32, b: i64| -> Result<f32> { .. }`.
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] with [`LinkError::Duplicate`] if `module::name` is already
    ///   defined through this linker (or noted with
    ///   [`Linker::note_backend_definitions`]) and shadowing is off.
    /// - [`Error::Link`] with [`LinkError::Other`] if the engine refuses the
    ///   definition.
    pub fn func_wrap<P: WasmTyList, R: WasmTyList>(
        &mut self,
        module: &str,
        name: &str,
        f: impl HostFunc<E, T, P, R>,
    ) -> Result<&mut Self> {
        let ty = ExternType::Func(FuncType::new(P::types(), R::types()));
        self.defining(module, name, ty, |l| l.func_wrap(module, name, f))?;
        Ok(self)
    }

    /// Defines `module::name` as an untyped host function of type `ty`.
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] with [`LinkError::Duplicate`] if `module::name` is already
    ///   defined through this linker (or noted with
    ///   [`Linker::note_backend_definitions`]) and shadowing is off.
    /// - [`Error::Unsupported`] if the backend cannot represent a type of `ty`: on
    ///   wasmi, a reference type other than nullable `funcref` and `externref`.
    /// - [`Error::Link`] with [`LinkError::Other`] if the engine refuses the
    ///   definition.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl UntypedHostFunc<E, T>,
    ) -> Result<&mut Self> {
        let ext = ExternType::Func(ty.clone());
        self.defining(module, name, ext, |l| l.func_new(module, name, ty, f))?;
        Ok(self)
    }

    /// Defines `module::name` as an item (memory, table, global, function)
    /// owned by `store`.
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] with [`LinkError::Duplicate`] if `module::name` is already
    ///   defined through this linker (or noted with
    ///   [`Linker::note_backend_definitions`]) and shadowing is off.
    /// - [`Error::WrongStore`] if `item` belongs to a different store than
    ///   `store` (checked by wasm-run, the same on every backend).
    /// - [`Error::Link`] with [`LinkError::Other`] if the engine refuses the
    ///   definition for another reason.
    pub fn define(
        &mut self,
        store: &Store<E, T>,
        module: &str,
        name: &str,
        item: impl Into<Extern<E>>,
    ) -> Result<&mut Self> {
        let item = item.into();
        self.own(store, &item)?;
        let ty = item.ty(store);
        self.defining(module, name, ty, |l| {
            l.define(store.backend(), module, name, item)
        })?;
        Ok(self)
    }

    /// Defines every export of `instance` under the module name `module`.
    ///
    /// # Errors
    ///
    /// The errors of [`Linker::define`], for the first export that cannot be
    /// defined; the exports before it stay defined.
    ///
    /// [`Error::WrongStore`] if `instance` belongs to a different store than
    /// `store`; nothing is defined then.
    pub fn instance(
        &mut self,
        store: &mut Store<E, T>,
        module: &str,
        instance: &Instance<E>,
    ) -> Result<&mut Self> {
        if instance.store_id() != store.id() {
            return Err(Error::WrongStore);
        }
        for (name, item) in guard(|| Ok(instance.exports(&mut *store)))? {
            self.own(store, &item)?;
            let ty = item.ty(&*store);
            self.defining(module, &name, ty, |l| {
                l.define(store.backend(), module, &name, item)
            })?;
        }
        Ok(self)
    }

    /// Defines every function import of `module` that this linker does not
    /// define yet as a host function that traps when called
    /// ([`TrapCode::Unreachable`](crate::TrapCode::Unreachable), the message
    /// naming the import), as wasmtime's linker method of the same name does:
    /// a program whose optional imports are missing can run as long as it
    /// does not call them. Imports of other kinds stay undefined.
    ///
    /// # Errors
    ///
    /// The errors of [`Linker::func_new`], for the first import that cannot
    /// be defined (the ones before it stay defined).
    pub fn define_unknown_imports_as_traps(&mut self, module: &Module<E>) -> Result<&mut Self> {
        for (import, ty) in self.unknown_functions(module) {
            let what = format!("{}::{}", import.0, import.1);
            self.func_new(
                &import.0,
                &import.1,
                ty,
                move |_: crate::Caller<'_, E, T>, _: &[crate::Val<E>], _: &mut [crate::Val<E>]| {
                    Err(Error::trap(
                        crate::TrapCode::Unreachable,
                        format!("unknown import `{what}` was called"),
                    ))
                },
            )?;
        }
        Ok(self)
    }

    /// Defines every function import of `module` that this linker does not
    /// define yet as a host function that does nothing and returns the zero
    /// value of each result (0, +0.0, null), as wasmtime's linker method of
    /// the same name does. Imports of other kinds stay undefined.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if such an import returns a type without a default
    ///   value (a non-nullable reference); nothing is defined then.
    /// - The errors of [`Linker::func_new`], for the first import that cannot
    ///   be defined (the ones before it stay defined).
    pub fn define_unknown_imports_as_default_values(
        &mut self,
        module: &Module<E>,
    ) -> Result<&mut Self> {
        let mut stubs = Vec::new();
        for (import, ty) in self.unknown_functions(module) {
            let zeros = ty
                .results()
                .iter()
                .map(|t| {
                    crate::Val::<E>::default_for(t).ok_or_else(|| {
                        Error::Type(format!(
                            "`{}::{}` returns {t}, which has no default value",
                            import.0, import.1
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            stubs.push((import, ty, zeros));
        }
        for (import, ty, zeros) in stubs {
            self.func_new(
                &import.0,
                &import.1,
                ty,
                move |_: crate::Caller<'_, E, T>,
                      _: &[crate::Val<E>],
                      results: &mut [crate::Val<E>]| {
                    results.copy_from_slice(&zeros);
                    Ok(())
                },
            )?;
        }
        Ok(self)
    }

    /// The function imports of `module` not defined here, each once.
    fn unknown_functions(&self, module: &Module<E>) -> Vec<((String, String), FuncType)> {
        let mut seen = HashSet::new();
        module
            .imports()
            .iter()
            .filter_map(|i| match &i.ty {
                ExternType::Func(ty) if !self.is_defined(&i.module, &i.name) => {
                    let key = (i.module.clone(), i.name.clone());
                    seen.insert(key.clone()).then(|| (key, ty.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Lets later definitions replace earlier ones of the same name (off by
    /// default: a second definition is [`LinkError::Duplicate`]).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.shadowing = allow;
        self.inner.allow_shadowing(allow);
        self
    }

    /// The definition of `module::name`, if any.
    ///
    /// # Panics
    ///
    /// Panics if `store` belongs to another engine than the linker: always on
    /// wasmi, and on wasmtime when the definition is a host function. (With
    /// `AnyEngine`, a store of another backend gives `None`.)
    pub fn get(&self, store: &mut Store<E, T>, module: &str, name: &str) -> Option<Extern<E>> {
        self.inner.get(store.backend_mut(), module, name)
    }

    /// Every definition of this linker, made for `store` as
    /// [`Linker::get`] makes it, given to `visit` with its module and name,
    /// in no particular order: a faster way than one [`Linker::get`] per
    /// name to take many host functions into a store (on wasmtime, no name
    /// is looked up). (The behaviour suite's `linker_get_each` shows it on every
    /// backend.)
    ///
    /// # Panics
    ///
    /// As [`Linker::get`], if `store` belongs to another engine than the
    /// linker.
    pub fn get_each(&self, store: &mut Store<E, T>, mut visit: impl FnMut(&str, &str, Extern<E>)) {
        if self.inner.get_each(store.backend_mut(), &mut visit) {
            return;
        }
        for (module, name) in &self.defined {
            if let Some(item) = self.inner.get(store.backend_mut(), module, name) {
                visit(module, name, item);
            }
        }
    }

    /// Instantiates `module` in `store`, running its start function.
    ///
    /// A missing import or one of the wrong type is a [`LinkError`] naming the
    /// import's module and field and the expected and found types.
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] with [`LinkError::Missing`] for the first import
    ///   without a definition, [`LinkError::Incompatible`] for the first one
    ///   defined with the wrong type, or [`LinkError::Other`] if the engine
    ///   refuses the imports for another reason.
    /// - [`Error::WrongStore`] if an item defined here belongs to a different
    ///   store than `store` (the linker remembers the owners of its items), or
    ///   `store` or `module` belongs to another engine than the linker.
    /// - [`Error::ResourceLimit`] if the store's limits (instances, memories,
    ///   tables, their sizes) refuse the instance.
    /// - [`Error::Trap`] if an active segment does not fit or the start function
    ///   traps; errors of host functions the start function calls, unchanged
    ///   ([`Error::HostPanic`] if one panics).
    /// - [`Error::Engine`] for anything else the engine reports.
    pub fn instantiate(&self, store: &mut Store<E, T>, module: &Module<E>) -> Result<Instance<E>> {
        let id = store.id();
        if self.owners.iter().any(|&owner| owner != id) {
            return Err(Error::WrongStore);
        }
        match guard(|| {
            self.inner
                .instantiate(store.backend_mut(), module.as_native())
        }) {
            Ok(native) => Ok(Instance::from_native(native, module, id)),
            Err(err @ (Error::Link(_) | Error::Engine(_))) => {
                Err(guard(|| Ok(self.diagnose(store, module)))
                    .ok()
                    .flatten()
                    .unwrap_or(err))
            }
            Err(err) => Err(err),
        }
    }

    /// Resolves and type-checks `module`'s imports against this linker's
    /// definitions once; [`InstancePre::instantiate`] then makes instances in
    /// any store (of this engine) without doing it again. Later changes to
    /// the linker do not affect it. On wasmtime this is wasmtime's own
    /// `InstancePre` (the fastest way to instantiate); on wasmi, which has no
    /// store-independent equivalent, it keeps a snapshot of the definitions
    /// and resolves names at each instantiation.
    ///
    /// # Errors
    ///
    /// - [`Error::Link`] with [`LinkError::Missing`] for the first import
    ///   defined nowhere in this linker, [`LinkError::Incompatible`] for the
    ///   first one defined with the wrong type (checked here, the same on
    ///   every backend), or [`LinkError::Other`] if the engine refuses the
    ///   definitions for another reason.
    /// - [`Error::WrongStore`] if `module` belongs to another engine.
    pub fn instantiate_pre(&self, module: &Module<E>) -> Result<InstancePre<E, T>> {
        for import in module.imports() {
            let key: (Box<str>, Box<str>) =
                (import.module.as_str().into(), import.name.as_str().into());
            // Defined but not through this linker (noted names): the engine
            // checks those.
            let found = match self.types.get(&key) {
                None if self.defined.contains(&key) => continue,
                found => found.cloned(),
            };
            if let Some(e) = import_error(import, found) {
                return Err(e);
            }
        }
        let native = guard(|| self.inner.instantiate_pre(module.as_native()))?;
        Ok(InstancePre {
            native,
            module: module.clone(),
            owners: self.owners.clone(),
        })
    }

    /// Finds the first import that is missing or of the wrong type, so the
    /// error says which and why the same way on every backend.
    pub(crate) fn diagnose(&self, store: &mut Store<E, T>, module: &Module<E>) -> Option<Error> {
        module.imports().iter().find_map(|import| {
            let found = self
                .get(store, &import.module, &import.name)
                .map(|item| item.ty(&*store));
            import_error(import, found)
        })
    }

    /// The backend linker (escape hatch).
    pub fn backend_mut(&mut self) -> &mut E::Linker<T> {
        &mut self.inner
    }
}

/// A module whose imports a [`Linker`] resolved once
/// ([`Linker::instantiate_pre`]); cheap to clone, and reusable for any number
/// of instances in stores of the same engine.
pub struct InstancePre<E: Engine, T: 'static> {
    native: E::InstancePre<T>,
    module: Module<E>,
    /// Stores that own items of the linker: the only ones it can serve.
    owners: Vec<StoreId>,
}

impl<E: Engine, T: 'static> Clone for InstancePre<E, T> {
    fn clone(&self) -> Self {
        InstancePre {
            native: self.native.clone(),
            module: self.module.clone(),
            owners: self.owners.clone(),
        }
    }
}

impl<E: Engine, T: 'static> std::fmt::Debug for InstancePre<E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePre")
            .field("module", &self.module)
            .finish_non_exhaustive()
    }
}

impl<E: Engine, T: 'static> InstancePre<E, T> {
    /// Makes an instance in `store`, running the start function.
    ///
    /// # Errors
    ///
    /// - [`Error::WrongStore`] if the linker held items of another store, or
    ///   `store` belongs to another engine.
    /// - [`Error::ResourceLimit`] if the store's limits refuse the instance.
    /// - [`Error::Trap`] if an active segment does not fit or the start
    ///   function traps; errors of host functions it calls, unchanged.
    /// - [`Error::Engine`] for anything else the engine reports.
    pub fn instantiate(&self, store: &mut Store<E, T>) -> Result<Instance<E>> {
        let id = store.id();
        if self.owners.iter().any(|&owner| owner != id) {
            return Err(Error::WrongStore);
        }
        let native = guard(|| self.native.instantiate(store.backend_mut()))?;
        Ok(Instance::from_native(native, &self.module, id))
    }

    /// The module.
    pub fn module(&self) -> &Module<E> {
        &self.module
    }

    /// The backend's pre-instantiated module (escape hatch).
    pub fn as_native(&self) -> &E::InstancePre<T> {
        &self.native
    }
}

/// What is wrong with satisfying `import` with an item of type `found`
/// (`None`: nothing defined): [`LinkError::Missing`],
/// [`LinkError::Incompatible`], or nothing.
fn import_error(import: &crate::types::ImportType, found: Option<ExternType>) -> Option<Error> {
    match found {
        None => Some(
            LinkError::Missing {
                module: import.module.clone(),
                name: import.name.clone(),
                expected: import.ty.clone(),
            }
            .into(),
        ),
        Some(found) if !found.matches(&import.ty) => Some(
            LinkError::Incompatible {
                module: import.module.clone(),
                name: import.name.clone(),
                expected: import.ty.clone(),
                found,
            }
            .into(),
        ),
        Some(_) => None,
    }
}
