//! WebAssembly components on every wasm-run backend.
//!
//! Written once over wasm-run's core API (`Module`, `Instance`, `Func`,
//! `Memory`), so every backend runs components — wasmi, which has no
//! component model of its own, included. This crate is being built in
//! slices (see docs/COMPONENTS.md). What is here now:
//!
//! - [`Component::new`]: a component from its binary or text format,
//!   validated; components that use the async additions (async functions,
//!   `future`, `stream`, `error-context`) are refused with
//!   [`Error::Unsupported`](wasm_run_api::Error::Unsupported) for
//!   [`Feature::ComponentModelAsync`](wasm_run_api::Feature::ComponentModelAsync).
//! - [`Component::world`]: the imports and exports with their WIT types
//!   ([`World`], printable as WIT).
//! - [`Linker`]: host functions for the imports (at the root and in
//!   interfaces), [`Linker::instantiate`]: the instance graph (core modules,
//!   core instances, aliases, `canon lift`/`canon lower`, exports, nested
//!   components with their arguments and outer aliases), and
//!   [`Func::call`] with [`Val`]s through wasm-run's own canonical ABI
//!   (every value type; UTF-8, UTF-16 and Latin-1+UTF-16
//!   strings; parameters and results through memory past the flat limits;
//!   `realloc` and `post-return`; the lifting traps as typed
//!   [`TrapCode`](wasm_run_api::TrapCode)s).
//! - Resources the component defines and resources the host defines
//!   ([`LinkerInstance::resource`], [`HostResourceType`]): per-instance
//!   handle tables,
//!   `resource.new/rep/drop`, `own`/`borrow` handles as [`ResourceAny`]
//!   values, destructors (run by the guest's `resource.drop` or the host's
//!   [`Instance::drop_resource`]), typed handle traps.
//! - [`Val`]: component values with their WAVE text form ([`Val::parse`],
//!   `Display`); [`TypedFunc`] for calls with Rust types (`bool`, integers,
//!   floats, `char`, `String`, `Vec`, `Option`, `Result`, tuples), checked
//!   once by [`Func::typed`].
//!
//! ```
//! use wasm_run_component::{Component, ItemType, Linker, Type, Val};
//! # use wasm_run_api::Engine;
//! # fn main() -> wasm_run_api::Result<()> {
//! # let engine = wasm_run_wasmi::Wasmi::new(&wasm_run_api::Config::new())?;
//! # let engine = &engine;
//! let component = Component::new(engine, r#"(component
//!     (core module $m (func (export "add") (param i32 i32) (result i32)
//!         local.get 0 local.get 1 i32.add))
//!     (core instance $i (instantiate $m))
//!     (func (export "add") (param "a" u32) (param "b" u32) (result u32)
//!         (canon lift (core func $i "add"))))"#)?;
//! let world = component.world();
//! assert_eq!(world.to_string(), "world root {\n  export add: func(a: u32, b: u32) -> u32;\n}\n");
//! let Some(ItemType::Func(add)) = world.export("add") else { unreachable!() };
//! assert_eq!(add.params()[0].1, Type::U32);
//!
//! let mut store = wasm_run_api::Store::new(engine, ());
//! let instance = Linker::new(engine).instantiate(&mut store, &component)?;
//! let add = instance.get_func("add").expect("exported");
//! let mut result = [Val::U32(0)];
//! add.call(&mut store, &[Val::parse(&Type::U32, "40")?, Val::U32(2)], &mut result)?;
//! assert_eq!(result[0].to_string(), "42");
//! # Ok(()) }
//! ```

mod abi;
mod builtins;
mod component;
mod embedded;
mod host;
mod instance;
mod module_check;
#[cfg(feature = "native")]
mod native;
mod plan;
mod resources;
mod translate;
mod typed;
mod types;
mod val;
mod wave;

pub use component::{Component, World, embeds_world, is_component};
pub use host::{HostContext, HostDtor, HostFunc};
pub use instance::{Func, Instance, Linker, LinkerInstance};
pub use resources::{HostResourceType, ResourceAny};
pub use typed::{ComponentParams, ComponentResults, ComponentType, TypedFunc};
pub use types::{FuncType, ItemType, ResourceType, Type, TypeDef};
pub use val::Val;
