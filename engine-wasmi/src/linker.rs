//! The linker (host functions made once per store from their definitions)
//! and pre-instantiation.

use super::*;

/// A wasmi linker (see [`wasm_run_api::Linker`]).
pub struct WasmiLinker<T: 'static> {
    pub(crate) linker: wasmi::Linker<StoreData<T>>,
    /// wasmi's `Linker::get` only answers for items owned by a store; this
    /// remembers how to create each host function so `get` can answer for
    /// those too.
    /// By module name, then by name (looked up without allocating).
    pub(crate) hosts: HashMap<String, HashMap<String, MakeHost<T>>>,
}

pub(crate) type MakeHost<T> =
    Arc<dyn Fn(&mut wasmi::Store<StoreData<T>>) -> wasmi::Func + Send + Sync>;

impl<T: 'static> WasmiLinker<T> {
    /// The native linker (escape hatch).
    pub fn as_native(&mut self) -> &mut wasmi::Linker<StoreData<T>> {
        &mut self.linker
    }

    /// Defines `module::name` as the wasmi host function `host` of type
    /// `native`, in wasmi's linker and in `hosts` (for `get`, which makes
    /// it in a store).
    pub(crate) fn define_native(
        &mut self,
        module: &str,
        name: &str,
        native: wasmi::FuncType,
        host: impl NativeHost<T> + Clone,
    ) -> Result<()> {
        self.linker
            .func_new(module, name, native.clone(), host.clone())
            .map_err(|e| define_error(module, name, e))?;
        let make = move |s: &mut wasmi::Store<StoreData<T>>| {
            wasmi::Func::new(s, native.clone(), host.clone())
        };
        self.keep_host(module, name, Arc::new(make));
        Ok(())
    }

    /// Remembers how to make host function `module::name` in a store.
    fn keep_host(&mut self, module: &str, name: &str, make: MakeHost<T>) {
        self.hosts
            .entry(module.into())
            .or_default()
            .insert(name.into(), make);
    }
}

/// Creating a memory or a table from the host: a size the store's limiter
/// refused is [`Error::ResourceLimit`] (from wasmi's structured error), as at
/// instantiation; anything else maps as usual.
pub(crate) fn creation_error(e: wasmi::Error) -> Error {
    use wasmi::errors::{ErrorKind, MemoryError, TableError};
    match e.kind() {
        ErrorKind::Memory(
            MemoryError::ResourceLimiterDeniedAllocation | MemoryError::OutOfSystemMemory,
        )
        | ErrorKind::Table(
            TableError::ResourceLimiterDeniedAllocation | TableError::OutOfSystemMemory,
        ) => Error::ResourceLimit(e.to_string()),
        _ => error(e),
    }
}

/// A definition the engine refused. (A second definition of a name is
/// normally refused by the API's `Linker` first, from its own record; wasmi's
/// own duplicate error is mapped structurally for definitions made natively.)
pub(crate) fn define_error(module: &str, name: &str, e: wasmi::errors::LinkerError) -> Error {
    match e {
        wasmi::errors::LinkerError::DuplicateDefinition { .. } => {
            wasm_run_api::LinkError::Duplicate {
                module: module.into(),
                name: name.into(),
            }
            .into()
        }
        other => wasm_run_api::LinkError::Other(other.to_string()).into(),
    }
}

impl<T: 'static> LinkerBackend<Wasmi, T> for WasmiLinker<T> {
    fn define(
        &mut self,
        _store: &WasmiStore<T>,
        module: &str,
        name: &str,
        item: Extern<Wasmi>,
    ) -> Result<()> {
        self.linker
            .define(module, name, to_extern(&item))
            .map_err(|e| define_error(module, name, e))?;
        // A shadowing definition replaces a host function of the same name.
        if let Some(names) = self.hosts.get_mut(module) {
            names.remove(name);
        }
        Ok(())
    }

    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmi, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        let f = Shared(Arc::new(f));
        let define = typed::Define {
            linker: &mut self.linker,
            module,
            name,
        };
        typed::wrap(define, typed_host(f.clone())).map_err(|e| define_error(module, name, e))?;
        let make = move |s: &mut wasmi::Store<StoreData<T>>| typed::wrap(s, typed_host(f.clone()));
        self.keep_host(module, name, Arc::new(make));
        Ok(())
    }

    fn func_new<F: UntypedHostFunc<Wasmi, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        let native = func_type(&ty)?;
        self.define_native(module, name, native, untyped_host(ty, Shared(Arc::new(f))))
    }

    fn get(&self, store: &mut WasmiStore<T>, module: &str, name: &str) -> Option<Extern<Wasmi>> {
        let id = store.0.store.data().store_id();
        // A host function (the common case: no string is interned or
        // allocated), else an item a store owns.
        if let Some(make) = self.hosts.get(module).and_then(|names| names.get(name)) {
            return Some(Extern::Func(Func::from_native(
                make(&mut store.0.store),
                id,
            )));
        }
        let item = self.linker.get(&store.0.store, module, name)?;
        Some(from_extern(item, id))
    }

    fn instantiate(
        &self,
        store: &mut WasmiStore<T>,
        module: &wasmi::Module,
    ) -> Result<wasmi::Instance> {
        // As in `ContextBackend::instantiate`: wasmi would accept a module of
        // another engine and panic on first use.
        if !wasmi::Engine::same(module.engine(), store.0.store.engine()) {
            return Err(Error::WrongStore);
        }
        let linker = &self.linker;
        let r = slicing::unsliced(store.cx_mut(), true, |cx| {
            linker.instantiate_and_start(cx, module)
        });
        store.limited(r)
    }

    fn instantiate_pre(&self, module: &wasmi::Module) -> Result<WasmiInstancePre<T>> {
        if !wasmi::Engine::same(module.engine(), self.linker.engine()) {
            return Err(Error::WrongStore);
        }
        Ok(WasmiInstancePre {
            linker: Arc::new(self.linker.clone()),
            module: module.clone(),
        })
    }

    fn allow_shadowing(&mut self, allow: bool) {
        self.linker.allow_shadowing(allow);
    }
    fn func_new_async<F: wasm_run_api::AsyncHostFunc<Wasmi, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()>
    where
        T: Send,
    {
        self.new_async(module, name, ty, f)
    }
}

/// A module ready to instantiate (see [`wasm_run_api::InstancePre`]). wasmi
/// has no store-independent pre-instantiation (its `InstancePre` belongs to
/// one store), so this keeps a snapshot of the linker's definitions and
/// resolves the module's imports against it at each instantiation; the API's
/// `Linker::instantiate_pre` has checked beforehand that every import is
/// defined.
pub struct WasmiInstancePre<T: 'static> {
    pub(crate) linker: Arc<wasmi::Linker<StoreData<T>>>,
    pub(crate) module: wasmi::Module,
}

impl<T: 'static> Clone for WasmiInstancePre<T> {
    fn clone(&self) -> Self {
        WasmiInstancePre {
            linker: self.linker.clone(),
            module: self.module.clone(),
        }
    }
}

impl<T: 'static> InstancePreBackend<Wasmi, T> for WasmiInstancePre<T> {
    fn instantiate(&self, store: &mut WasmiStore<T>) -> Result<wasmi::Instance> {
        if !wasmi::Engine::same(self.module.engine(), store.0.store.engine()) {
            return Err(Error::WrongStore);
        }
        let (linker, module) = (&self.linker, &self.module);
        let r = slicing::unsliced(store.cx_mut(), true, |cx| {
            linker.instantiate_and_start(cx, module)
        });
        store.limited(r)
    }
}
