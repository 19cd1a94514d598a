//! Linkers and pre-instantiation. tinywasm's own `Imports` hold store-bound
//! items, so the linker keeps host functions as closures and makes each one
//! in a store the first time that store links it.

use crate::convert;
use crate::store::StoreParts;
use crate::{Tinywasm, TinywasmContext, TinywasmInstance, TinywasmModule};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_run_api::backend::{
    ContextBackend, Definitions, InstancePreBackend, LinkerBackend, typed_as_untyped,
};
use wasm_run_api::{
    Caller, Error, Extern, ExternType, FuncType, HostFunc, LinkError, Result, UntypedHostFunc, Val,
    WasmTyList,
};

type Store<T> = TinywasmContext<StoreParts<T>>;

/// A host function of a linker, shared by every store that links it.
pub(crate) struct DynHost<T: 'static>(pub(crate) Arc<dyn UntypedHostFunc<Tinywasm, T>>);

impl<T: 'static> Clone for DynHost<T> {
    fn clone(&self) -> Self {
        DynHost(self.0.clone())
    }
}

impl<T: 'static> UntypedHostFunc<Tinywasm, T> for DynHost<T> {
    fn call(
        &self,
        caller: Caller<'_, Tinywasm, T>,
        params: &[Val<Tinywasm>],
        results: &mut [Val<Tinywasm>],
    ) -> Result<()> {
        self.0.call(caller, params, results)
    }
}

enum Def<T: 'static> {
    /// A host function: made in a store when first linked there (`id`
    /// identifies it in every store).
    Host {
        id: u64,
        ty: FuncType,
        f: DynHost<T>,
    },
    /// An item of one store.
    Item(Extern<Tinywasm>),
}

impl<T: 'static> Clone for Def<T> {
    fn clone(&self) -> Self {
        match self {
            Def::Host { id, ty, f } => Def::Host {
                id: *id,
                ty: ty.clone(),
                f: f.clone(),
            },
            Def::Item(e) => Def::Item(e.clone()),
        }
    }
}

/// The tinywasm backend's linker.
pub struct TinywasmLinker<T: 'static> {
    defs: Definitions<Def<T>>,
}

impl<T: 'static> Clone for TinywasmLinker<T> {
    fn clone(&self) -> Self {
        TinywasmLinker {
            defs: self.defs.clone(),
        }
    }
}

/// A module linked ahead: the linker's definitions and the module.
pub struct TinywasmInstancePre<T: 'static> {
    linker: Arc<TinywasmLinker<T>>,
    module: TinywasmModule,
}

impl<T: 'static> Clone for TinywasmInstancePre<T> {
    fn clone(&self) -> Self {
        TinywasmInstancePre {
            linker: self.linker.clone(),
            module: self.module.clone(),
        }
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<T: 'static> TinywasmLinker<T> {
    pub(crate) fn new() -> Self {
        TinywasmLinker {
            defs: Definitions::new(),
        }
    }

    fn insert(&mut self, module: &str, name: &str, def: Def<T>) -> Result<()> {
        self.defs.insert(module, name, def)
    }

    fn resolve(&self, store: &mut Store<T>, def: &Def<T>) -> Result<Extern<Tinywasm>> {
        match def {
            Def::Item(e) => {
                if e.store_id() != Some(store.store_id()) {
                    return Err(Error::WrongStore);
                }
                Ok(e.clone())
            }
            Def::Host { id, ty, f } => {
                let func = store.linked_func(*id, ty, f)?;
                Ok(Extern::Func(wasm_run_api::Func::from_native(
                    func,
                    store.store_id(),
                )))
            }
        }
    }

    fn imports(
        &self,
        store: &mut Store<T>,
        module: &TinywasmModule,
    ) -> Result<Vec<Extern<Tinywasm>>> {
        module
            .as_native()
            .imports()
            .map(|i| match self.defs.get(i.module, i.name) {
                Some(def) => self.resolve(store, def),
                None => Err(missing(&i)),
            })
            .collect()
    }
}

/// The link error for an import no definition satisfies.
fn missing(import: &tinywasm::types::ModuleImport<'_>) -> Error {
    use tinywasm::types::ImportType as I;
    let expected = match import.ty {
        I::Func(t) => ExternType::Func(convert::from_func_type(t)),
        I::Memory(t) => ExternType::Memory(convert::from_memory_type(
            t,
            (t.with_page_count_max(None) != *t).then(|| t.page_count_max()),
        )),
        I::Table(t) => ExternType::Table(convert::from_table_type(t)),
        I::Global(t) => ExternType::Global(convert::from_global_type(t)),
    };
    LinkError::Missing {
        module: import.module.into(),
        name: import.name.into(),
        expected,
    }
    .into()
}

impl<T: 'static> LinkerBackend<Tinywasm, T> for TinywasmLinker<T> {
    fn define(
        &mut self,
        store: &Store<T>,
        module: &str,
        name: &str,
        item: Extern<Tinywasm>,
    ) -> Result<()> {
        if item.store_id() != Some(store.store_id()) {
            return Err(Error::WrongStore);
        }
        self.insert(module, name, Def::Item(item))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Tinywasm, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        let ty = F::func_type();
        self.func_new(module, name, ty, typed_as_untyped(f))
    }
    fn func_new<F: UntypedHostFunc<Tinywasm, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        convert::func_type(&ty)?;
        self.insert(
            module,
            name,
            Def::Host {
                id: next_id(),
                ty,
                f: DynHost(Arc::new(f)),
            },
        )
    }
    fn get(&self, store: &mut Store<T>, module: &str, name: &str) -> Option<Extern<Tinywasm>> {
        let def = self.defs.get(module, name)?;
        self.resolve(store, def).ok()
    }
    fn instantiate(
        &self,
        store: &mut Store<T>,
        module: &TinywasmModule,
    ) -> Result<TinywasmInstance> {
        let imports = self.imports(store, module)?;
        store.instantiate(module, &imports)
    }
    fn instantiate_pre(&self, module: &TinywasmModule) -> Result<TinywasmInstancePre<T>> {
        if let Some(i) = module
            .as_native()
            .imports()
            .find(|i| self.defs.get(i.module, i.name).is_none())
        {
            return Err(missing(&i));
        }
        Ok(TinywasmInstancePre {
            linker: Arc::new(self.clone()),
            module: module.clone(),
        })
    }
    fn allow_shadowing(&mut self, allow: bool) {
        self.defs.allow_shadowing(allow);
    }
}

impl<T: 'static> InstancePreBackend<Tinywasm, T> for TinywasmInstancePre<T> {
    fn instantiate(&self, store: &mut Store<T>) -> Result<TinywasmInstance> {
        self.linker.instantiate(store, &self.module)
    }
}
