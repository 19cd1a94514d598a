//! The linker: named definitions (host functions, host-created items, exports of
//! other instances) that satisfy a module's imports.

use crate::Engine;
use crate::backend::LinkerBackend;
use crate::error::{Error, LinkError, Result};
use crate::handles::{Extern, Instance};
use crate::host::{HostFunc, UntypedHostFunc, guard};
use crate::module::Module;
use crate::store::Store;
use crate::types::FuncType;
use crate::val::WasmTyList;

/// Definitions for imports, and instantiation from them.
///
/// Host functions defined here are not tied to a store: one linker can
/// instantiate modules in many stores.
pub struct Linker<E: Engine, T: 'static> {
    inner: E::Linker<T>,
}

impl<E: Engine, T: 'static> Linker<E, T> {
    /// An empty linker for `engine`.
    pub fn new(engine: &E) -> Self {
        Linker {
            inner: engine.linker(),
        }
    }
}

impl<E: Engine, T: 'static> Linker<E, T> {
    /// Defines `module::name` as a typed host function, e.g.
    /// `|caller: Caller<'_, E, T>, a: i32, b: i64| -> Result<f32> { .. }`.
    pub fn func_wrap<P: WasmTyList, R: WasmTyList>(
        &mut self,
        module: &str,
        name: &str,
        f: impl HostFunc<E, T, P, R>,
    ) -> Result<&mut Self> {
        self.inner.func_wrap(module, name, f)?;
        Ok(self)
    }

    /// Defines `module::name` as an untyped host function of type `ty`.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl UntypedHostFunc<E, T>,
    ) -> Result<&mut Self> {
        self.inner.func_new(module, name, ty, f)?;
        Ok(self)
    }

    /// Defines `module::name` as an item (memory, table, global, function)
    /// owned by `store`.
    pub fn define(
        &mut self,
        store: &Store<E, T>,
        module: &str,
        name: &str,
        item: impl Into<Extern<E>>,
    ) -> Result<&mut Self> {
        let item = item.into();
        guard(|| self.inner.define(store.backend(), module, name, item))?;
        Ok(self)
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        store: &mut Store<E, T>,
        module: &str,
        instance: &Instance<E>,
    ) -> Result<&mut Self> {
        for (name, item) in instance.exports(&mut *store) {
            guard(|| self.inner.define(store.backend(), module, &name, item))?;
        }
        Ok(self)
    }

    /// Lets later definitions replace earlier ones of the same name (off by
    /// default: a second definition is [`LinkError::Duplicate`]).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.inner.allow_shadowing(allow);
        self
    }

    /// The definition of `module::name`, if any.
    pub fn get(&self, store: &mut Store<E, T>, module: &str, name: &str) -> Option<Extern<E>> {
        self.inner.get(store.backend_mut(), module, name)
    }

    /// Instantiates `module` in `store`, running its start function.
    ///
    /// A missing import or one of the wrong type is a [`LinkError`] naming the
    /// import's module and field and the expected and found types.
    pub fn instantiate(&self, store: &mut Store<E, T>, module: &Module<E>) -> Result<Instance<E>> {
        match guard(|| {
            self.inner
                .instantiate(store.backend_mut(), module.as_native())
        }) {
            Ok(native) => Ok(Instance::from_native(native, module)),
            Err(err @ (Error::Link(_) | Error::Engine(_))) => {
                Err(guard(|| Ok(self.diagnose(store, module)))
                    .ok()
                    .flatten()
                    .unwrap_or(err))
            }
            Err(err) => Err(err),
        }
    }

    /// Finds the first import that is missing or of the wrong type, so the
    /// error says which and why the same way on every backend.
    fn diagnose(&self, store: &mut Store<E, T>, module: &Module<E>) -> Option<Error> {
        for import in module.imports() {
            match self.get(store, &import.module, &import.name) {
                None => {
                    return Some(
                        LinkError::Missing {
                            module: import.module.clone(),
                            name: import.name.clone(),
                            expected: import.ty.clone(),
                        }
                        .into(),
                    );
                }
                Some(item) => {
                    let found = item.ty(&*store);
                    if !found.matches(&import.ty) {
                        return Some(
                            LinkError::Incompatible {
                                module: import.module.clone(),
                                name: import.name.clone(),
                                expected: import.ty.clone(),
                                found,
                            }
                            .into(),
                        );
                    }
                }
            }
        }
        None
    }

    /// The backend linker (escape hatch).
    pub fn backend_mut(&mut self) -> &mut E::Linker<T> {
        &mut self.inner
    }
}
