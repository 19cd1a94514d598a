//! Linking ahead: [`InstancePre`], a component whose imports were resolved
//! against a [`Linker`] once, instantiated as often as wanted (as
//! wasmtime's `InstancePre`).

use crate::component::{Body, Component};
use crate::host::HostDtor;
use crate::instance::{Instance, Item, Linker};
use crate::resources::HostResourceType;
use foldhash::HashMap;
use wasm_run_api::{Engine, Result, Store};

/// A component linked ahead with a [`Linker`]
/// ([`Linker::instantiate_pre`]): every import resolved and checked once,
/// so that each [`InstancePre::instantiate`] only makes the instance. On
/// the portable path the root's imports are resolved (versioned interface
/// names matched, imported instances assembled); on wasmtime's own
/// component model it holds wasmtime's pre-instantiation.
///
/// It borrows the linker: definitions cannot change while it exists.
///
/// ```
/// use wasm_run_api::{Config, Engine, Store};
/// use wasm_run_component::{Component, Linker, Val};
/// # fn main() -> wasm_run_api::Result<()> {
/// let engine = wasm_run_wasmi::Wasmi::new(&Config::new())?;
/// let component = Component::new(&engine, r#"(component
///     (import "double" (func $double (param "x" u32) (result u32)))
///     (core func $lowered (canon lower (func $double)))
///     (core module $m
///         (import "host" "double" (func $double (param i32) (result i32)))
///         (func (export "quad") (param i32) (result i32)
///             (call $double (call $double (local.get 0)))))
///     (core instance $host (export "double" (func $lowered)))
///     (core instance $i (instantiate $m (with "host" (instance $host))))
///     (func (export "quad") (param "x" u32) (result u32)
///         (canon lift (core func $i "quad"))))"#)?;
/// let mut linker = Linker::new(&engine);
/// linker.func_new("double", |_, args, results| {
///     let Val::U32(x) = args[0] else { unreachable!() };
///     results[0] = Val::U32(2 * x);
///     Ok(())
/// })?;
/// let pre = linker.instantiate_pre(&component)?;
/// for x in 1..4 {
///     let mut store = Store::new(&engine, ());
///     let instance = pre.instantiate(&mut store)?;
///     let quad = instance.get_func("quad").unwrap();
///     let mut out = [Val::U32(0)];
///     quad.call(&mut store, &[Val::U32(x)], &mut out)?;
///     assert_eq!(out[0], Val::U32(4 * x));
/// }
/// # Ok(()) }
/// ```
pub struct InstancePre<'l, E: Engine, T: 'static> {
    linker: &'l Linker<E, T>,
    component: Component<E>,
    body: PreBody<E, T>,
}

enum PreBody<E: Engine, T: 'static> {
    Graph(Box<RootImports<E, T>>),
    /// A core module with an embedded world: linked at instantiation.
    Embedded,
    #[cfg(feature = "native")]
    Native(crate::native::NativePre<E, T>),
}

/// The root's imports of a component binary, resolved ahead.
pub(crate) struct RootImports<E: Engine, T: 'static> {
    /// The item of each of the root's import steps, in order (`None`: left
    /// to the instantiation, for a type import that depends on an earlier
    /// step).
    pub(crate) items: Vec<Option<Item<E, T>>>,
    /// The host resource types the imports bring, by the component's type
    /// id.
    pub(crate) host_types: Vec<(u32, HostResourceType)>,
    /// Their destructors, by the same id.
    pub(crate) host_dtors: HashMap<u32, HostDtor<T>>,
    /// The root's lowered functions and resource built-ins, made once.
    pub(crate) shared: Option<crate::shared::SharedFuncs<E, T>>,
    /// The root's core export lookups found ahead.
    pub(crate) keys: Option<crate::keys::ExportKeys>,
}

impl<E: Engine, T: 'static> Linker<E, T> {
    /// Resolves `component`'s imports against this linker once (see
    /// [`InstancePre`]); [`InstancePre::instantiate`] then makes instances
    /// of it in any store of the engine.
    ///
    /// # Errors
    ///
    /// - [`wasm_run_api::Error::Link`] naming an import this linker does not
    ///   define (or defines as the wrong kind), as [`Linker::instantiate`]
    ///   reports it.
    /// - [`wasm_run_api::Error::Unsupported`] with
    ///   [`Feature::Memory64`](wasm_run_api::Feature::Memory64) for a
    ///   component whose canonical options use 64-bit memories
    ///   ([`Component::uses_memory64_options`]).
    pub fn instantiate_pre(&self, component: &Component<E>) -> Result<InstancePre<'_, E, T>> {
        self.pre(component, true)
    }

    /// [`Linker::instantiate_pre`]; `share`: whether the root's lowered
    /// functions and resource built-ins are made once, for many instances
    /// ([`crate::shared`]).
    pub(crate) fn pre(
        &self,
        component: &Component<E>,
        share: bool,
    ) -> Result<InstancePre<'_, E, T>> {
        let body = match component.body() {
            Body::Graph(_) if component.uses_memory64_options() => {
                return Err(wasm_run_api::Error::unsupported(
                    wasm_run_api::Feature::Memory64,
                    "wasm-run's component model (64-bit memories in canonical options)",
                ));
            }
            Body::Graph(plan) => PreBody::Graph(Box::new(crate::instance::resolve_root(
                self, component, plan, share,
            )?)),
            Body::Embedded(_) => PreBody::Embedded,
            #[cfg(feature = "native")]
            Body::Native(native) => PreBody::Native(crate::native::pre(self, component, native)?),
        };
        Ok(InstancePre {
            linker: self,
            component: component.clone(),
            body,
        })
    }
}

impl<E: Engine, T: 'static> InstancePre<'_, E, T> {
    /// The component.
    pub fn component(&self) -> &Component<E> {
        &self.component
    }

    /// Instantiates the component in `store`.
    ///
    /// # Errors
    ///
    /// As [`Linker::instantiate`]: the errors of instantiating the core
    /// modules (traps of their start functions included), what this
    /// version cannot instantiate ([`wasm_run_api::Error::Unsupported`]),
    /// and [`wasm_run_api::Error::WrongStore`] for a store of another
    /// engine.
    pub fn instantiate(&self, store: &mut Store<E, T>) -> Result<Instance<E>> {
        match (&self.body, self.component.body()) {
            (PreBody::Graph(root), Body::Graph(plan)) => {
                crate::instance::instantiate_root(self.linker, store, &self.component, plan, root)
            }
            #[cfg(feature = "native")]
            (PreBody::Native(native), _) => {
                crate::native::instantiate(native, store, &self.component)
            }
            (_, Body::Embedded(plan)) => {
                crate::embedded::instantiate(self.linker, store, &self.component, plan)
            }
            _ => Err(wasm_run_api::Error::Engine(
                "a pre-instantiation of another kind of component".into(),
            )),
        }
    }
}
