//! What backends whose engines cannot hold a linker's definitions keep
//! themselves (tinywasm, the template): named definitions with wasm-run's
//! duplicate rule, and typed host functions turned into untyped ones.

use crate::backend::Engine;
use crate::error::{LinkError, Result};
use crate::host::{HostFunc, UntypedHostFunc};
use crate::store::Caller;
use crate::val::{Val, WasmTyList};
use std::collections::HashMap;

/// A linker's named definitions kept by the backend: one per
/// `module::name`; a second is [`LinkError::Duplicate`] unless shadowing is
/// allowed ([`LinkerBackend::allow_shadowing`](crate::backend::LinkerBackend::allow_shadowing)).
///
/// ```
/// use wasm_run_api::backend::Definitions;
/// let mut defs = Definitions::new();
/// defs.insert("env", "f", 1).unwrap();
/// assert!(defs.insert("env", "f", 2).is_err());
/// defs.allow_shadowing(true);
/// defs.insert("env", "f", 3).unwrap();
/// assert_eq!(defs.get("env", "f"), Some(&3));
/// ```
#[derive(Debug, Clone)]
pub struct Definitions<D> {
    defs: HashMap<(String, String), D>,
    shadowing: bool,
}

impl<D> Default for Definitions<D> {
    fn default() -> Self {
        Definitions {
            defs: HashMap::new(),
            shadowing: false,
        }
    }
}

impl<D> Definitions<D> {
    /// No definitions, shadowing off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines `module::name` as `def`.
    ///
    /// # Errors
    ///
    /// [`LinkError::Duplicate`] when the name is defined and shadowing is
    /// off (the earlier definition stays).
    pub fn insert(&mut self, module: &str, name: &str, def: D) -> Result<()> {
        let key = (module.to_string(), name.to_string());
        if !self.shadowing && self.defs.contains_key(&key) {
            return Err(LinkError::Duplicate {
                module: module.into(),
                name: name.into(),
            }
            .into());
        }
        self.defs.insert(key, def);
        Ok(())
    }

    /// The definition of `module::name`, if any.
    pub fn get(&self, module: &str, name: &str) -> Option<&D> {
        self.defs.get(&(module.to_string(), name.to_string()))
    }

    /// Allows later definitions to replace earlier ones.
    pub fn allow_shadowing(&mut self, allow: bool) {
        self.shadowing = allow;
    }
}

/// A typed host function as an untyped one, through the slot path every
/// backend can use (`P::load` reads the parameters, `R::store` writes the
/// results), for backends that keep host functions untyped.
pub fn typed_as_untyped<E: Engine, T: 'static, P: WasmTyList, R: WasmTyList>(
    f: impl HostFunc<E, T, P, R>,
) -> impl UntypedHostFunc<E, T> {
    move |caller: Caller<'_, E, T>, params: &[Val<E>], results: &mut [Val<E>]| {
        let r = f.invoke(caller, P::load(params))?;
        r.store(results);
        Ok(())
    }
}
