//! **wasm-run**: one Rust API over several WebAssembly engines.
//!
//! Write a program once against this API and run it on
//! [wasmtime](https://docs.rs/wasmtime) (Cranelift JIT: fastest, every
//! proposal, threads) or [wasmi](https://docs.rs/wasmi) (interpreter: small,
//! fast to start, runs where a JIT cannot), chosen by cargo feature (static
//! dispatch, zero cost) or at run time with [`AnyEngine`].
//!
//! ```
//! use wasm_run::{AnyEngine, Caller, Config, Engine, Linker, Module, Result, Store};
//!
//! /// Runs unchanged on every backend.
//! fn run<E: Engine>(engine: &E) -> Result<i64> {
//!     let module = Module::new(engine, r#"
//!         (module
//!           (import "host" "scale" (func $scale (param i64) (result i64)))
//!           (func (export "run") (param i64) (result i64)
//!             (call $scale (i64.add (local.get 0) (i64.const 1)))))
//!     "#)?;
//!     let mut store = Store::new(engine, 10_i64);
//!     let mut linker = Linker::new(engine);
//!     linker.func_wrap("host", "scale", |caller: Caller<'_, E, i64>, x: i64| Ok(x * *caller.data()))?;
//!     let instance = linker.instantiate(&mut store, &module)?;
//!     let run = instance.get_typed_func::<i64, i64>(&mut store, "run")?;
//!     run.call(&mut store, 4)
//! }
//!
//! # #[cfg(all(feature = "wasmtime", feature = "wasmi"))] {
//! assert_eq!(run(&wasm_run::Wasmtime::new(&Config::new())?)?, 50);
//! assert_eq!(run(&wasm_run::Wasmi::new(&Config::new())?)?, 50);
//! # }
//! assert_eq!(run(&AnyEngine::by_name(AnyEngine::DEFAULT, &Config::new())?)?, 50);
//! # Ok::<(), wasm_run::Error>(())
//! ```
//!
//! Cargo features: `wasmtime` and `wasmi` select the backends (both on by
//! default; `tinywasm`, a third, small interpreter, is off by default),
//! `wasi` adds WASI preview 1 ([`wasi`], on by default, also for
//! [`AnyEngine`]), `parallel` adds parallel runs over rayon with shared memories
//! ([`parallel`], on by default). The `wasm-run` command-line tool is its own
//! package (`wasm-run-cli`); this crate carries no CLI or test-suite code.

#![warn(missing_docs)]

pub mod any;
#[cfg(feature = "wasi")]
mod any_wasi;
mod backend_list;

pub use any::{AnyEngine, BACKENDS};
#[cfg(feature = "wasi")]
pub use any_wasi::AnyWasiNative;
pub use wasm_run_api::*;
/// WebAssembly components on every backend (the `wasm-run-component`
/// crate): `Component::new`, the WIT world of a component, component values
/// and their WAVE text.
#[cfg(feature = "component")]
pub use wasm_run_component as component;
/// Parallel runs (the `wasm-run-parallel` crate): one exported function over
/// many argument sets on rayon, per-worker instances, shared memories shared.
#[cfg(feature = "parallel")]
pub use wasm_run_parallel as parallel;
/// WASI preview 1 on every backend (the `wasm-run-wasi` crate): `WasiConfig`,
/// captured or streamed stdio, sandboxed directories, exit status.
#[cfg(feature = "wasi")]
pub use wasm_run_wasi as wasi;

// `Wasmtime`, `Wasmi`, ... and `backends::{wasmtime, wasmi, ...}`, from the
// list in `backend_list.rs`.
backend_list::with_backends!(reexport_backends);
use backend_list::reexport_backends;

/// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
