//! WebAssembly components on every wasm-run backend.
//!
//! This crate is being built in slices (see the project's issue on
//! components). What is here now: loading and validating a component
//! ([`Component::new`], from its binary or text format), its world — the
//! imports and exports with their WIT types ([`World`], printable as WIT) —
//! and component values ([`Val`]) with their WAVE text form
//! ([`Val::parse`], `Display`). Components that use the async additions
//! (async functions, `future`, `stream`, `error-context`) are refused with
//! [`Error::Unsupported`](wasm_run_api::Error::Unsupported) for
//! [`Feature::ComponentModelAsync`](wasm_run_api::Feature::ComponentModelAsync).
//!
//! ```
//! use wasm_run_component::{Component, ItemType, Type, Val};
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
//! assert_eq!(Val::parse(&Type::U32, "42")?, Val::U32(42));
//! # Ok(()) }
//! ```

mod component;
mod translate;
mod types;
mod val;
mod wave;

pub use component::{Component, World, is_component};
pub use types::{FuncType, ItemType, ResourceType, Type, TypeDef};
pub use val::Val;
