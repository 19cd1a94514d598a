//! WASI for **wasm-run**, written once over its API: preview 1 for core
//! modules (this crate's root) and preview 2 for components ([`p2`]), the
//! same implementation on every backend.
//!
//! A [`WasiConfig`] describes what a program sees — arguments, environment,
//! preopened directories (read-only or read-write), stdin, stdout/stderr
//! (inherited, captured into a [`Capture`], or streamed to a callback), clocks
//! and randomness. Preview 1 and preview 2 are served by one host core over
//! cap-std (one sandbox, one filesystem model), through wasm-run's
//! `Linker` host functions, so a backend added later has WASI with nothing
//! to write. The engine's own WASI crate stays available where there is one
//! ([`WasiHost::Engine`]: wasmtime-wasi's `p1` on `Wasmtime`) as a reference;
//! the facade `wasm-run` adds `AnyEngine`. Code written against
//! [`WasiEngine`] runs on all of them.
//!
//! ```
//! use wasm_run_api::{Engine, Module};
//! use wasm_run_wasi::{ExitStatus, WasiConfig, WasiEngine, run_command};
//!
//! /// Runs a WASI command with captured stdout, on any backend.
//! fn hello<E: WasiEngine>(engine: &E) -> Result<(ExitStatus, String), wasm_run_wasi::WasiError> {
//!     let module = Module::new(engine, r#"
//!         (module
//!           (import "wasi_snapshot_preview1" "fd_write"
//!             (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!           (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!           (memory (export "memory") 1)
//!           (data (i32.const 16) "hi\n")
//!           (func (export "_start")
//!             (i32.store (i32.const 0) (i32.const 16))  ;; iovec.buf
//!             (i32.store (i32.const 4) (i32.const 3))   ;; iovec.len
//!             (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
//!             (call $exit (i32.const 7))))
//!     "#)?;
//!     let mut config = WasiConfig::new();
//!     let stdout = config.capture_stdout();
//!     let status = run_command(engine, &module, &config)?;
//!     Ok((status, stdout.to_string_lossy()))
//! }
//!
//! # #[cfg(feature = "wasmtime")] {
//! let engine = wasm_run_wasmtime::Wasmtime::new(&wasm_run_api::Config::new())?;
//! assert_eq!(hello(&engine)?, (ExitStatus(7), "hi\n".to_string()));
//! # }
//! # #[cfg(feature = "wasmi")] {
//! let engine = wasm_run_wasmi::Wasmi::new(&wasm_run_api::Config::new())?;
//! assert_eq!(hello(&engine)?, (ExitStatus(7), "hi\n".to_string()));
//! # }
//! # Ok::<(), wasm_run_wasi::WasiError>(())
//! ```
//!
//! # Host state
//!
//! The WASI state of a store is a [`WasiCtx`] inside the store's host state
//! `T`: use [`WasiState`] (a context plus your data) or implement [`HasWasi`]
//! for your own type. [`add_to_linker`] defines the WASI functions; define
//! your own imports in the same linker. For a command, [`instantiate`] then
//! [`run_start`]; for a reactor, [`instantiate`], [`initialize`], then call
//! its exports. [`run_command`] does all of it for the common case.
//!
//! # Exit status
//!
//! `proc_exit(n)` ends the program with [`ExitStatus`]`(n)`: [`run_start`]
//! returns `Ok(ExitStatus(n))` (0 included: it is success, not an error);
//! inside other calls it is [`wasm_run_api::Error::Exit`], which
//! [`ExitStatus::from_call`] maps the same way. Traps stay errors.
//!
//! # Errors before the program starts
//!
//! A preopen that does not exist or is not a directory, a malformed
//! environment entry, a NUL byte in a string ([`WasiConfig::validate`],
//! [`WasiCtx::new`]), an import of a function WASI does not have, of another
//! WASI version, or a missing `memory` export ([`check_module`], done by
//! [`instantiate`]) are typed [`WasiError`]s raised before any guest code runs.
//!
//! # Which implementation
//!
//! [`WasiHost::WasmRun`] (the default, [`add_to_linker`]) is wasm-run's
//! preview 1: the same functions on every backend, over the host core of
//! [`p2`]. Where preview 1 leaves an answer open it gives wasmtime-wasi's (the
//! errno of each refusal — `EPERM` for an escape from a preopen or a write in
//! a read-only one —, the rights `fd_fdstat_get` reports, `.` and `..` in
//! `fd_readdir`), and the official WASI test suite passes 72 of 72 through it
//! on wasmtime and on wasmi. [`WasiHost::Engine`]
//! ([`add_engine_wasi_to_linker`], or [`WasiConfig::wasi_host`] with
//! [`run_command`]) is the engine's crate: wasmtime-wasi on wasmtime; wasmi
//! and later backends have none ([`NoEngineWasi`]). The two differ in what
//! the behaviour tests cannot see (trap messages: wasmtime-wasi's carry a
//! wasm backtrace) and in cost (`docs/WASI.md` has the numbers).
//!
//! `wasmtime-wasi`'s `p1` needs its `p2` half, which turns on wasmtime's
//! `component-model` and `async` cargo features wherever this crate's
//! `wasmtime` feature is on.

#![warn(missing_docs)]
// Without a backend feature no adapter is built (backends written elsewhere
// implement `WasiEngine` themselves); the adapter hooks are then unused.
#![cfg_attr(not(any(feature = "wasmtime", feature = "wasmi")), allow(dead_code))]

mod clock;
mod config;
mod core;
mod ctx;
mod error;
mod fs;
mod imports;
mod p1;
mod random;
mod run;
mod stdio;

#[cfg(feature = "p2")]
pub mod p2;

/// The engine API, for [`no_engine_wasi!`].
#[doc(hidden)]
pub use wasm_run_api as __api;

#[cfg(feature = "wasmi")]
mod adapter_wasmi;
#[cfg(feature = "wasmtime")]
mod adapter_wasmtime;

pub use clock::{DeterministicClock, MonotonicClock, WallClock};
pub use config::{DirPerms, Preopen, WasiConfig, WasiSetup};
pub use ctx::{
    HasWasi, NoEngineWasi, WasiCtx, WasiEngine, WasiHost, WasiState, add_engine_wasi_to_linker,
    add_to_linker, add_to_linker_for,
};
pub use error::{ExitStatus, WasiError};
pub use imports::{WASI_MODULE, check_module, function_names, function_type, uses_wasi};
pub use random::{OsRandom, RandomSource, SeededRandom};
pub use run::{
    ProgramKind, initialize, instantiate, instantiate_async, run_command, run_command_async,
    run_command_with, run_command_with_async, run_start, run_start_async,
};
pub use stdio::{Capture, Output, OutputFn, Stdin};
