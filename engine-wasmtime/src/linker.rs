//! The linker and pre-instantiation.

use super::*;

/// A wasmtime linker (see [`wasm_run_api::Linker`]).
pub struct WasmtimeLinker<T: 'static> {
    pub(crate) linker: wt::Linker<StoreData<T>>,
    pub(crate) engine: wt::Engine,
    /// Whether it defines async host functions (stores it instantiates in
    /// then take async calls only).
    pub(crate) has_async: bool,
}

impl<T: 'static> WasmtimeLinker<T> {
    /// The native linker (escape hatch).
    pub fn as_native(&mut self) -> &mut wt::Linker<StoreData<T>> {
        &mut self.linker
    }
}

/// A definition the engine refused. (A second definition of a name never
/// gets here: the API's `Linker` refuses it first, from its own record.)
pub(crate) fn define_error(_module: &str, _name: &str, e: wt::Error) -> Error {
    LinkError::Other(format!("{e:#}")).into()
}

impl<T: 'static> LinkerBackend<Wasmtime, T> for WasmtimeLinker<T> {
    fn define(
        &mut self,
        store: &WasmtimeStore<T>,
        module: &str,
        name: &str,
        item: Extern<Wasmtime>,
    ) -> Result<()> {
        self.linker
            .define(&store.0.store, module, name, to_extern(&item))
            .map(|_| ())
            .map_err(|e| define_error(module, name, e))
    }

    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmtime, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        let ty = func_type(&self.engine, &F::func_type());
        // SAFETY: as in `func_wrap` on the store.
        unsafe {
            self.linker
                .func_new_unchecked(module, name, ty, typed_host(f))
        }
        .map(|_| ())
        .map_err(|e| define_error(module, name, e))
    }

    fn func_new<F: UntypedHostFunc<Wasmtime, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        let native = func_type(&self.engine, &ty);
        let defined = if numeric(&ty) {
            // SAFETY: as in `func_new` on the store.
            unsafe {
                self.linker
                    .func_new_unchecked(module, name, native, untyped_host_raw(ty, f))
            }
        } else {
            self.linker
                .func_new(module, name, native, untyped_host(ty, f))
        };
        defined
            .map(|_| ())
            .map_err(|e| define_error(module, name, e))
    }

    fn get(
        &self,
        store: &mut WasmtimeStore<T>,
        module: &str,
        name: &str,
    ) -> Option<Extern<Wasmtime>> {
        let id = store.0.store.data().store_id();
        self.linker
            .get(&mut store.0.store, module, name)
            .ok()
            .and_then(|e| from_extern(e, id))
    }

    fn get_each(
        &self,
        store: &mut WasmtimeStore<T>,
        visit: &mut dyn FnMut(&str, &str, Extern<Wasmtime>),
    ) -> bool {
        let id = store.0.store.data().store_id();
        for (module, name, item) in self.linker.iter(&mut store.0.store) {
            if let Some(item) = from_extern(item, id) {
                visit(module, name, item);
            }
        }
        true
    }

    fn instantiate(
        &self,
        store: &mut WasmtimeStore<T>,
        module: &wt::Module,
    ) -> Result<wt::Instance> {
        store.begin()?;
        let store = &mut store.0.store;
        same_engine(module, store.engine())?;
        store.data_mut().limits.admit(module)?;
        let r = match self
            .linker
            .instantiate(&mut *store, module)
            .map_err(instantiate_error)
        {
            Err(Error::Engine(text)) => {
                let natives: Option<Vec<wt::Extern>> = module
                    .imports()
                    .map(|i| self.linker.get(&mut *store, i.module(), i.name()).ok())
                    .collect();
                let link = natives.and_then(|n| {
                    import_type_error(wt::AsContextMut::as_context_mut(&mut *store), module, &n)
                });
                Err(match link {
                    Some(link) => LinkError::Other(link).into(),
                    None => Error::Engine(text),
                })
            }
            other => other,
        };
        store.data_mut().limits.admitted(module, r)
    }

    fn instantiate_pre(&self, module: &wt::Module) -> Result<WasmtimeInstancePre<T>> {
        same_engine(module, &self.engine)?;
        self.linker
            .instantiate_pre(module)
            .map(WasmtimeInstancePre)
            .map_err(|e| match error(e) {
                Error::Engine(text) => LinkError::Other(text.into()).into(),
                other => other,
            })
    }

    fn allow_shadowing(&mut self, allow: bool) {
        self.linker.allow_shadowing(allow);
    }
    fn func_new_async<F: wasm_run_api::AsyncHostFunc<Wasmtime, T>>(
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
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut WasmtimeStore<T>,
        module: &'a wt::Module,
    ) -> wasm_run_api::backend::InstanceFuture<'a, Wasmtime>
    where
        Self: Sync,
        T: Send,
        WasmtimeStore<T>: Send,
    {
        self.instantiate_async_native(store, module)
    }
}

/// A module with its imports resolved (see [`wasm_run_api::InstancePre`]):
/// wasmtime's own `InstancePre`, so instantiating skips name resolution and
/// type checks.
pub struct WasmtimeInstancePre<T: 'static>(pub(crate) wt::InstancePre<StoreData<T>>);

impl<T: 'static> Clone for WasmtimeInstancePre<T> {
    fn clone(&self) -> Self {
        WasmtimeInstancePre(self.0.clone())
    }
}

impl<T: 'static> WasmtimeInstancePre<T> {
    /// The native `InstancePre` (escape hatch).
    pub fn as_native(&self) -> &wt::InstancePre<StoreData<T>> {
        &self.0
    }
}

impl<T: 'static> InstancePreBackend<Wasmtime, T> for WasmtimeInstancePre<T> {
    fn instantiate(&self, store: &mut WasmtimeStore<T>) -> Result<wt::Instance> {
        store.begin()?;
        let store = &mut store.0.store;
        let module = self.0.module();
        // wasmtime asserts this; refuse it instead.
        same_engine(module, store.engine())?;
        store.data_mut().limits.admit(module)?;
        let r = self.0.instantiate(&mut *store).map_err(instantiate_error);
        store.data_mut().limits.admitted(module, r)
    }
}
