//! Engine-neutral API of **wasm-run**: the traits a WebAssembly backend
//! implements and the types every user touches.
//!
//! Programs are written once, generic over `E: Engine`, and run unchanged on any
//! backend (`wasm-run-wasmtime`, `wasm-run-wasmi`, or the facade's run-time
//! selected `AnyEngine`). All dispatch is static: a call through this API
//! compiles to a direct call into the engine.
//!
//! ```
//! use wasm_run_api::{Caller, Engine, Linker, Module, Result, Store};
//!
//! /// Works on every backend.
//! fn add_one<E: Engine>(engine: &E) -> Result<i32> {
//!     let module = Module::new(engine, r#"
//!         (module
//!           (import "host" "offset" (func $offset (result i32)))
//!           (func (export "add") (param i32) (result i32)
//!             local.get 0
//!             call $offset
//!             i32.add))
//!     "#)?;
//!     let mut store = Store::new(engine, 1_i32);
//!     let mut linker = Linker::new(engine);
//!     linker.func_wrap("host", "offset", |caller: Caller<'_, E, i32>| Ok(*caller.data()))?;
//!     let instance = linker.instantiate(&mut store, &module)?;
//!     let add = instance.get_typed_func::<i32, i32>(&mut store, "add")?;
//!     add.call(&mut store, 41)
//! }
//! // The facade crate `wasm-run` runs this on real backends, e.g.
//! // `add_one(&wasm_run::Wasmi::new(&Config::new())?)` returns 42.
//! ```
//!
//! Layout: [`Engine`] and the `*Backend` traits in [`backend`] are the contract
//! for backends; [`Store`], [`Module`], [`Linker`], [`Instance`], [`Func`],
//! [`TypedFunc`], [`Memory`], [`Table`], [`Global`] and [`Val`] are what users
//! use; [`Config`]/[`Feature`] describe what an engine should and can do;
//! [`Error`]/[`TrapCode`] are the one error vocabulary.

#![warn(missing_docs)]

mod asyncs;
pub mod backend;
mod cache;
mod definitions;
mod error;
mod extensions;
mod feature;
mod handles;
mod host;
mod info;
mod instance;
mod interrupt;
mod limiter;
mod linker;
mod module;
mod resumable;
mod shared_memory;
mod skeleton;
mod store;
mod types;
mod val;

pub use asyncs::{
    AsyncDone, AsyncFn, AsyncHostFunc, AsyncHostFuture, AsyncThenFn, Completion, HostFuture,
    YieldFn, YieldPolicy,
};
pub use backend::{Engine, StoreId, WaitResult};
pub use cache::{CacheOutcome, ModuleCache};
pub use error::{EngineError, Error, LinkError, Result, TrapCode, TrapFrame, TrapFrames};
pub use extensions::Extensions;
pub use feature::{
    Compilation, Config, Feature, FeatureSet, Limits, Pooling, Support, UnknownFeature,
};
pub use handles::{
    AnyRef, AnyRefKind, ExnRef, ExternRef, Func, Global, Memory, Table, Tag, TypedFunc,
};
pub use host::{HostFunc, UntypedHostFunc};
pub use info::{ModuleInfo, is_binary, to_binary};

/// Conversions from the types of `wasmparser` (the version this crate
/// depends on, 0.263) to wasm-run's, for crates that read binaries with it
/// (the component crate reads core module types inside components).
pub mod wasmparser_types {
    pub use crate::info::{func_type, global_type, memory_type, ref_type, table_type, val_type};
}
pub use instance::{Extern, Instance};
pub use interrupt::InterruptHandle;
pub use limiter::{MaxMemoryBytes, ResourceLimiter};
pub use linker::{InstancePre, Linker};
pub use module::{ExportKey, Module, ModuleVariants, Variant};
pub use resumable::{CallProgress, PausedCall};
pub use shared_memory::SharedMemory;
pub use store::{AsContext, AsContextMut, Caller, Store};
pub use types::*;
pub use val::{V128, Val, WasmTy, WasmTyList};
