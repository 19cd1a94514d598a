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
mod func;
mod host;
mod instance;
mod keys;
mod module_check;
#[cfg(feature = "native")]
mod native;
#[cfg(feature = "native")]
mod native_bytes;
mod plan;
mod pre;
mod resources;
mod shared;
mod strings;
mod translate;
mod typed;
mod types;
mod val;
mod wave;

pub use component::{Component, World, embeds_world, has_native_component_model, is_component};
pub use func::Func;
pub use host::{HostContext, HostDtor, HostFunc};
pub use instance::{Instance, Linker, LinkerInstance};
pub use pre::InstancePre;
pub use resources::{HostResourceType, Resource, ResourceAny};
pub use typed::{ComponentParams, ComponentResults, ComponentType, TypedFunc};
pub use types::{FuncType, ItemType, ResourceType, Type, TypeDef};
pub use val::Val;

/// Implements [`ComponentType`] for a Rust struct or enum: a WIT `record`
/// (named fields), `flags` (`#[component(flags)]`, `bool` fields), `enum`
/// (unit cases) or `variant` (cases with at most one value;
/// `#[component(variant)]` for an all-unit one). WIT names are the Rust
/// names in kebab case, or `#[component(name = "...")]`. The generated code
/// names this crate `::wasm_run::component` (the facade); with a direct
/// dependency on `wasm-run-component`, add `#[component(crate =
/// wasm_run_component)]`.
///
/// ```
/// use wasm_run_component::{ComponentType, Type, Val};
///
/// #[derive(ComponentType, Debug, PartialEq)]
/// #[component(crate = wasm_run_component)]
/// struct Point {
///     x: i32,
///     y_pos: i32,
/// }
///
/// #[derive(ComponentType, Debug, PartialEq)]
/// #[component(crate = wasm_run_component)]
/// enum Shape {
///     Dot,
///     Circle(u32),
/// }
///
/// let v = Point { x: 1, y_pos: -2 }.into_val();
/// assert_eq!(v.to_string(), "{x: 1, y-pos: -2}");
/// assert_eq!(Point::from_val(v)?, Point { x: 1, y_pos: -2 });
/// assert_eq!(Shape::Circle(3).into_val().to_string(), "circle(3)");
/// # Ok::<(), wasm_run_api::Error>(())
/// ```
#[cfg(feature = "macros")]
pub use wasm_run_component_macro::ComponentType;

/// Rust bindings for a WIT world: its types (records, variants, enums and
/// flags with [`ComponentType`], aliases), a struct named after the world
/// with a typed `call_<name>` method per exported function (an exported
/// interface is an accessor with its own), and for each imported interface
/// a module with a `Host` trait and `add_to_linker`.
///
/// Resources: a resource of an imported interface (or of the world) is the
/// host's: `bindgen!` makes an empty `enum` standing for it (or uses the
/// type `with` names), its handles are [`Resource<R>`](Resource), and the
/// `Host` trait gets a `drop_<resource>` method called when a component
/// drops its handle (`add_to_linker` defines it as
/// [`HostResourceType::of::<R>()`](HostResourceType::of)). A resource of an
/// exported interface is a component's, its handles [`ResourceAny`]s.
///
/// Options: `path` (a `.wit` file or directory, relative to the crate's
/// `Cargo.toml`) or `inline` (WIT text); `world` (needed when the package
/// has several); `with: { "ns:pkg/interface/resource": path::To::Type }`
/// (the package's version may be left out) to make a Rust type of yours
/// stand for a host resource: the path is used inside the generated
/// modules, so write it from the crate root (`crate::...`). A `with` entry
/// that names no imported resource is a compile error:
///
/// ```compile_fail
/// wasm_run_component::bindgen!({
///     inline: "package a:b; interface i { resource r; } world w { import i; }",
///     with: { "a:b/i/nope": u8 },
/// });
/// ```
///
/// A world with a host resource:
///
/// ```
/// mod bindings {
///     wasm_run_component::bindgen!({
///         inline: "
///             package example:demo;
///             interface counters {
///                 resource counter { constructor(start: u32); next: func() -> u32; }
///             }
///             world run { import counters; export run: func() -> u32; }
///         ",
///     });
/// }
/// use bindings::counters::{self, Counter};
/// use wasm_run_component::Resource;
/// # use wasm_run_api::{Engine, Store};
/// # fn main() -> wasm_run_api::Result<()> {
/// # let engine = wasm_run_wasmi::Wasmi::new(&wasm_run_api::Config::new())?;
///
/// // The host's counters, by representation.
/// struct Host(Vec<u32>);
/// impl counters::Host for Host {
///     fn counter_new(&mut self, start: u32) -> wasm_run_api::Result<Resource<Counter>> {
///         self.0.push(start);
///         Ok(Resource::new_own(self.0.len() as u32 - 1))
///     }
///     fn counter_next(&mut self, c: Resource<Counter>) -> wasm_run_api::Result<u32> {
///         let n = &mut self.0[c.rep() as usize];
///         *n += 1;
///         Ok(*n)
///     }
///     fn drop_counter(&mut self, c: Resource<Counter>) -> wasm_run_api::Result<()> {
///         self.0[c.rep() as usize] = u32::MAX; // gone
///         Ok(())
///     }
/// }
/// // A guest that makes a counter from 40, steps it twice and drops it.
/// let component = wasm_run_component::Component::new(&engine, r#"(component
///     (import "example:demo/counters" (instance $c
///         (export "counter" (type $t (sub resource)))
///         (export "[constructor]counter" (func (param "start" u32) (result (own $t))))
///         (export "[method]counter.next" (func (param "self" (borrow $t)) (result u32)))))
///     (alias export $c "counter" (type $t))
///     (alias export $c "[constructor]counter" (func $new))
///     (alias export $c "[method]counter.next" (func $next))
///     (core func $new (canon lower (func $new)))
///     (core func $next (canon lower (func $next)))
///     (core func $drop (canon resource.drop $t))
///     (core module $m
///         (import "" "new" (func $new (param i32) (result i32)))
///         (import "" "next" (func $next (param i32) (result i32)))
///         (import "" "drop" (func $drop (param i32)))
///         (func (export "run") (result i32) (local $h i32)
///             (local.set $h (call $new (i32.const 40)))
///             (drop (call $next (local.get $h)))
///             (call $next (local.get $h))
///             (call $drop (local.get $h))))
///     (core instance $i (instantiate $m (with "" (instance
///         (export "new" (func $new)) (export "next" (func $next))
///         (export "drop" (func $drop))))))
///     (func (export "run") (result u32) (canon lift (core func $i "run"))))"#)?;
/// let mut linker = wasm_run_component::Linker::new(&engine);
/// counters::add_to_linker(&mut linker, |h: &mut Host| h)?;
/// let mut store = Store::new(&engine, Host(Vec::new()));
/// let world = bindings::Run::instantiate(&mut store, &component, &linker)?;
/// assert_eq!(world.call_run(&mut store)?, 42);
/// assert_eq!(store.data().0, [u32::MAX], "the guest dropped it");
/// # Ok(()) }
/// ```
///
/// A world with records and an imported interface:
///
/// ```
/// mod bindings {
///     wasm_run_component::bindgen!({
///         inline: "
///             package example:demo;
///             interface log { log: func(line: string); }
///             world calc {
///                 import log;
///                 record pair { a: u32, b: u32 }
///                 export add: func(p: pair) -> u32;
///             }
///         ",
///     });
/// }
/// use bindings::{Calc, Pair, log};
/// # use wasm_run_api::{Engine, Store};
/// # fn main() -> wasm_run_api::Result<()> {
/// # let engine = wasm_run_wasmi::Wasmi::new(&wasm_run_api::Config::new())?;
/// let component = wasm_run_component::Component::new(&engine, r#"(component
///     (import "example:demo/log" (instance
///         (export "log" (func (param "line" string)))))
///     (core module $m (func (export "add") (param i32 i32) (result i32)
///         local.get 0 local.get 1 i32.add))
///     (core instance $i (instantiate $m))
///     (type $pair (record (field "a" u32) (field "b" u32)))
///     (export $p "pair" (type $pair))
///     (func (export "add") (param "p" $p) (result u32)
///         (canon lift (core func $i "add"))))"#)?;
///
/// struct Host(Vec<String>);
/// impl log::Host for Host {
///     fn log(&mut self, line: String) -> wasm_run_api::Result<()> {
///         self.0.push(line);
///         Ok(())
///     }
/// }
/// let mut linker = wasm_run_component::Linker::new(&engine);
/// log::add_to_linker(&mut linker, |h: &mut Host| h)?;
/// let mut store = Store::new(&engine, Host(Vec::new()));
/// let calc = Calc::instantiate(&mut store, &component, &linker)?;
/// assert_eq!(calc.call_add(&mut store, Pair { a: 40, b: 2 })?, 42);
/// # Ok(()) }
/// ```
#[cfg(feature = "macros")]
#[macro_export]
macro_rules! bindgen {
    ($($input:tt)*) => {
        $crate::__macro::bindgen_inner!($crate; $($input)*);
    };
}

/// What the macros' generated code uses. Not part of the API.
#[doc(hidden)]
pub mod __macro {
    pub use wasm_run_api::{AsContextMut, Engine, Error, Result, Store};
    #[cfg(feature = "macros")]
    pub use wasm_run_component_macro::bindgen_inner;

    use crate::{ComponentType, FuncType, Val};

    /// The error for a value that is not of the Rust type `rust`.
    pub fn mismatch(val: &Val, rust: &str) -> Error {
        Error::Type(format!("{val} does not convert to {rust}"))
    }

    /// The next record field, which must be `name`.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if it is missing, named otherwise, or does not
    /// convert.
    pub fn field<T: ComponentType>(
        fields: &mut impl Iterator<Item = (String, Val)>,
        name: &str,
    ) -> Result<T> {
        match fields.next() {
            Some((n, v)) if n == name => T::from_val(v),
            Some((n, _)) => Err(Error::Type(format!(
                "record field `{n}` where `{name}` was expected"
            ))),
            None => Err(Error::Type(format!("record field `{name}` is missing"))),
        }
    }

    /// The error for an export the bindings expect and the instance lacks.
    pub fn missing_export(name: &str) -> Error {
        Error::MissingExport(name.into())
    }

    /// The error for an export of another type than the bindings'.
    pub fn wrong_type(name: &str, ty: &FuncType) -> Error {
        Error::Type(format!(
            "the export `{name}` has type {ty}, not the bindings' type"
        ))
    }
}
