//! Imports and exports ([`Extern`]) and instances ([`Instance`]).

use crate::Engine;
use crate::backend::{ContextBackend, StoreId};
use crate::error::{Error, Result};
use crate::handles::{Func, Global, Memory, Table, Tag, TypedFunc, wrong_store};
use crate::host::guard;
use crate::info::ModuleInfo;
use crate::module::Module;
use crate::shared_memory::SharedMemory;
use crate::store::{AsContext, AsContextMut};
use crate::types::*;
use crate::val::WasmTyList;
use std::fmt;
use std::sync::Arc;

/// Anything an instance can import or export.
pub enum Extern<E: Engine> {
    /// A function.
    Func(Func<E>),
    /// A memory.
    Memory(Memory<E>),
    /// A table.
    Table(Table<E>),
    /// A global.
    Global(Global<E>),
    /// An exception tag.
    Tag(Tag<E>),
    /// A memory shared between threads.
    SharedMemory(SharedMemory<E>),
}

impl<E: Engine> Clone for Extern<E> {
    fn clone(&self) -> Self {
        match self {
            Extern::Func(x) => Extern::Func(*x),
            Extern::Memory(x) => Extern::Memory(*x),
            Extern::Table(x) => Extern::Table(*x),
            Extern::Global(x) => Extern::Global(*x),
            Extern::Tag(x) => Extern::Tag(*x),
            Extern::SharedMemory(x) => Extern::SharedMemory(x.clone()),
        }
    }
}
impl<E: Engine> fmt::Debug for Extern<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Extern::Func(x) => write!(f, "Func({x:?})"),
            Extern::Memory(x) => write!(f, "Memory({x:?})"),
            Extern::Table(x) => write!(f, "Table({x:?})"),
            Extern::Global(x) => write!(f, "Global({x:?})"),
            Extern::Tag(x) => write!(f, "Tag({x:?})"),
            Extern::SharedMemory(x) => write!(f, "SharedMemory({x:?})"),
        }
    }
}

impl<E: Engine> Extern<E> {
    /// The id of the store that owns the item; `None` for a [`SharedMemory`],
    /// which no store owns.
    pub fn store_id(&self) -> Option<StoreId> {
        match self {
            Extern::Func(x) => Some(x.store_id()),
            Extern::Memory(x) => Some(x.store_id()),
            Extern::Table(x) => Some(x.store_id()),
            Extern::Global(x) => Some(x.store_id()),
            Extern::Tag(x) => Some(x.store_id()),
            Extern::SharedMemory(_) => None,
        }
    }
    /// The item's type.
    ///
    /// # Panics
    ///
    /// Panics if the item (unless it is a [`SharedMemory`], which has no store)
    /// belongs to a different store than `store` (wasm-run compares store ids); use a
    /// handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> ExternType {
        match self {
            Extern::Func(x) => ExternType::Func(x.ty(store)),
            Extern::Memory(x) => ExternType::Memory(x.ty(store)),
            Extern::Table(x) => ExternType::Table(x.ty(store)),
            Extern::Global(x) => ExternType::Global(x.ty(store)),
            Extern::Tag(x) => ExternType::Tag(x.ty(store)),
            Extern::SharedMemory(x) => ExternType::Memory(x.ty()),
        }
    }
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func<E>> {
        if let Extern::Func(x) = self {
            Some(x)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory<E>> {
        if let Extern::Memory(x) = self {
            Some(x)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table<E>> {
        if let Extern::Table(x) = self {
            Some(x)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global<E>> {
        if let Extern::Global(x) = self {
            Some(x)
        } else {
            None
        }
    }
}

impl<E: Engine> From<Func<E>> for Extern<E> {
    fn from(x: Func<E>) -> Self {
        Extern::Func(x)
    }
}
impl<E: Engine> From<Memory<E>> for Extern<E> {
    fn from(x: Memory<E>) -> Self {
        Extern::Memory(x)
    }
}
impl<E: Engine> From<Table<E>> for Extern<E> {
    fn from(x: Table<E>) -> Self {
        Extern::Table(x)
    }
}
impl<E: Engine> From<SharedMemory<E>> for Extern<E> {
    fn from(x: SharedMemory<E>) -> Self {
        Extern::SharedMemory(x)
    }
}
impl<E: Engine> From<Tag<E>> for Extern<E> {
    fn from(x: Tag<E>) -> Self {
        Extern::Tag(x)
    }
}
impl<E: Engine> From<Global<E>> for Extern<E> {
    fn from(x: Global<E>) -> Self {
        Extern::Global(x)
    }
}

/// An instantiated module.
pub struct Instance<E: Engine> {
    native: E::Instance,
    store: StoreId,
    info: Arc<ModuleInfo>,
}

impl<E: Engine> Clone for Instance<E> {
    fn clone(&self) -> Self {
        Instance {
            native: self.native,
            store: self.store,
            info: self.info.clone(),
        }
    }
}
impl<E: Engine> fmt::Debug for Instance<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("native", &self.native)
            .finish()
    }
}

impl<E: Engine> Instance<E> {
    /// Wraps a backend instance of `module` owned by the store `store` (used
    /// by backends and the linker).
    pub fn from_native(native: E::Instance, module: &Module<E>, store: StoreId) -> Self {
        Instance {
            native,
            store,
            info: module.info_arc(),
        }
    }

    /// The id of the store that owns this instance.
    pub fn store_id(&self) -> StoreId {
        self.store
    }

    /// The same instance of another backend type (for adapters such as
    /// `AnyEngine`); the owner and the module stay the same.
    pub fn map_native<E2: Engine>(
        self,
        f: impl FnOnce(E::Instance) -> E2::Instance,
    ) -> Instance<E2> {
        Instance {
            native: f(self.native),
            store: self.store,
            info: self.info,
        }
    }

    #[track_caller]
    fn native_of(&self, store: StoreId) -> E::Instance {
        if self.store != store {
            wrong_store("Instance");
        }
        self.native
    }

    /// Instantiates `module` with `imports` given in the module's import order.
    /// Each import is checked first, so a mismatch names the import.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `imports` does not have one item per import of `module`.
    /// - [`Error::Link`] with
    ///   [`LinkError::Incompatible`](crate::LinkError::Incompatible) for the
    ///   first import given an item of the wrong type, or with
    ///   [`LinkError::Other`](crate::LinkError::Other) if the engine refuses the
    ///   imports for another reason.
    /// - [`Error::WrongStore`] if `module` was compiled by another engine than the
    ///   store's, or an import belongs to a different store (or backend).
    /// - [`Error::ResourceLimit`] if the store's limits (instances, memories,
    ///   tables, their sizes) refuse the instance.
    /// - [`Error::Trap`] if an active segment does not fit or the start function
    ///   traps; errors of host functions the start function calls, unchanged
    ///   ([`Error::HostPanic`] if one panics).
    /// - [`Error::Engine`] for anything else the engine reports.
    pub fn new(
        mut store: impl AsContextMut<E>,
        module: &Module<E>,
        imports: &[Extern<E>],
    ) -> Result<Self> {
        guard(|| Self::new_unguarded(&mut store, module, imports))
    }

    fn new_unguarded(
        mut store: impl AsContextMut<E>,
        module: &Module<E>,
        imports: &[Extern<E>],
    ) -> Result<Self> {
        let want = module.imports();
        if want.len() != imports.len() {
            return Err(Error::Type(format!(
                "module has {} imports, {} given",
                want.len(),
                imports.len()
            )));
        }
        let id = store.ctx().store_id();
        if imports
            .iter()
            .any(|x| x.store_id().is_some_and(|s| s != id))
        {
            return Err(Error::WrongStore);
        }
        let incompatible = |store: &mut _| {
            for (import, item) in want.iter().zip(imports) {
                let found = item.ty(&*store);
                if !found.matches(&import.ty) {
                    return Err(Error::from(crate::LinkError::Incompatible {
                        module: import.module.clone(),
                        name: import.name.clone(),
                        expected: import.ty.clone(),
                        found,
                    }));
                }
            }
            Ok(())
        };
        // A backend that checks the types itself is trusted to (computing
        // every import's type here costs as much as its own check); its
        // refusal is described the same way as ours.
        let checked = module.engine().checks_import_types();
        if !checked {
            incompatible(&mut store)?;
        }
        match guard(|| store.ctx_mut().instantiate(module.as_native(), imports)) {
            Ok(native) => Ok(Self::from_native(native, module, id)),
            Err(e) if checked => Err(incompatible(&mut store).err().unwrap_or(e)),
            Err(e) => Err(e),
        }
    }

    /// The backend instance.
    pub fn as_native(&self) -> &E::Instance {
        &self.native
    }

    /// The export called `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_export(&self, mut store: impl AsContextMut<E>, name: &str) -> Option<Extern<E>> {
        let native = self.native_of(store.ctx().store_id());
        store.ctx_mut().instance_export(&native, name)
    }

    /// The export `key` was found for ([`Module::export_key`]) without
    /// looking its name up again when this is an instance of the key's
    /// module (and the backend keeps keys: wasmtime); else by name, as
    /// [`Instance::get_export`].
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_export_by_key(
        &self,
        mut store: impl AsContextMut<E>,
        key: &crate::ExportKey,
    ) -> Option<Extern<E>> {
        let native = self.native_of(store.ctx().store_id());
        match &key.native {
            Some(k) if Arc::ptr_eq(&self.info, &key.info) => store
                .ctx_mut()
                .instance_export_by_key(&native, &**k, &key.name),
            _ => store.ctx_mut().instance_export(&native, &key.name),
        }
    }

    /// Every export, in the module's declaration order.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn exports(&self, mut store: impl AsContextMut<E>) -> Vec<(String, Extern<E>)> {
        let native = self.native_of(store.ctx().store_id());
        let ctx = store.ctx_mut();
        self.info
            .exports
            .iter()
            .filter_map(|e| {
                ctx.instance_export(&native, &e.name)
                    .map(|x| (e.name.clone(), x))
            })
            .collect()
    }

    /// Names and types of the exports (no store needed).
    pub fn export_types(&self) -> &[ExportType] {
        &self.info.exports
    }

    /// The exported function `name`, or an error naming what is there instead.
    ///
    /// # Errors
    ///
    /// [`Error::MissingExport`] if the instance has no export `name`,
    /// [`Error::Type`] if it is not a function.
    ///
    /// [`Error::WrongStore`] if the instance belongs to a different store than
    /// `store`.
    pub fn get_func(&self, store: impl AsContextMut<E>, name: &str) -> Result<Func<E>> {
        if self.store != store.ctx().store_id() {
            return Err(Error::WrongStore);
        }
        guard(|| match self.get_export(store, name) {
            Some(Extern::Func(f)) => Ok(f),
            Some(other) => Err(Error::Type(format!(
                "export `{name}` is not a function: {other:?}"
            ))),
            None => Err(Error::MissingExport(name.into())),
        })
    }

    /// The exported function `name` as a typed function.
    ///
    /// # Errors
    ///
    /// [`Error::MissingExport`] if the instance has no export `name`;
    /// [`Error::Type`] if it is not a function or its type is not `P -> R`.
    ///
    /// [`Error::WrongStore`] if the instance belongs to a different store than
    /// `store`.
    pub fn get_typed_func<P: WasmTyList, R: WasmTyList>(
        &self,
        mut store: impl AsContextMut<E>,
        name: &str,
    ) -> Result<TypedFunc<E, P, R>> {
        guard(|| {
            let f = self.get_func(&mut store, name)?;
            f.typed(&store)
        })
    }

    /// The exported memory `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_memory(&self, store: impl AsContextMut<E>, name: &str) -> Option<Memory<E>> {
        self.get_export(store, name).and_then(Extern::into_memory)
    }

    /// The exported table `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_table(&self, store: impl AsContextMut<E>, name: &str) -> Option<Table<E>> {
        self.get_export(store, name).and_then(Extern::into_table)
    }

    /// The exported global `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_global(&self, store: impl AsContextMut<E>, name: &str) -> Option<Global<E>> {
        self.get_export(store, name).and_then(Extern::into_global)
    }
}
