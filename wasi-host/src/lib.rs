//! WASI preview 1 for **wasm-run**: one configuration, every backend.
//!
//! A [`WasiConfig`] describes what a program sees — arguments, environment,
//! preopened directories (read-only or read-write), stdin, stdout/stderr
//! (inherited, captured into a [`Capture`], or streamed to a callback), clocks
//! and randomness. The backend adapters turn it into their native context:
//! [wasmtime-wasi](https://docs.rs/wasmtime-wasi) (`p1`) on `Wasmtime`,
//! [wasmi_wasi](https://docs.rs/wasmi_wasi) (wasi-common) on `Wasmi`, each
//! behind the cargo feature of the same name; the facade `wasm-run` adds
//! `AnyEngine`. Code written against [`WasiEngine`] runs on all of them.
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
//! # Backends: what is shared and what differs
//!
//! Shared code (this crate, not the adapters): validation, `proc_exit`,
//! `random_get`, capture buffers and callbacks, the import check. The
//! adapters only translate. Differences, measured by the behaviour tests:
//!
//! | | wasmtime (wasmtime-wasi p1) | wasmi (wasmi_wasi / wasi-common) |
//! |---|---|---|
//! | read-only preopens | native (`FsPerms::ReadOnly`) | added by this crate (wasi-common has none), same `EPERM` |
//! | injected clocks | yes | yes |
//! | injected randomness | yes (shared `random_get`) | yes (shared `random_get`) |
//! | stdout is a terminal (`isatty`) when inherited | as the host's | as the host's |
//! | `fd_fdstat_get` flags of stdout/stderr | none | `APPEND` (wasi-common's pipes) |
//! | `poll_oneoff` sleeps | real time | real time |
//! | trap messages | with a wasm backtrace | without |
//!
//! The errno of a refused escape from a preopen (`EPERM`; `ENOTCAPABLE` from
//! wasi-libc for absolute paths outside every preopen) and every other
//! observable result of the fixtures — stdout, stderr, exit status, files —
//! are identical on both (`tests/behaviour.rs`, `tests/suite`).
//!
//! `wasmtime-wasi`'s `p1` needs its `p2` half, which turns on wasmtime's
//! `component-model` and `async` cargo features wherever this crate's
//! `wasmtime` feature is on; `wasmi_wasi` 2.0 brings wasi-common 36 and its
//! cap-std 3 stack next to wasmtime-wasi's cap-std 4 (duplicates that only a
//! newer wasmi_wasi can remove).

#![warn(missing_docs)]
// Without a backend feature only the backend-neutral half is built (for
// adapters written elsewhere); the adapter hooks are then unused.
#![cfg_attr(not(any(feature = "wasmtime", feature = "wasmi")), allow(dead_code))]

mod clock;
mod config;
mod ctx;
mod error;
mod imports;
mod random;
mod run;
mod stdio;

#[cfg(feature = "p2")]
pub mod p2;

#[cfg(feature = "wasmi")]
mod adapter_wasmi;
#[cfg(feature = "wasmtime")]
mod adapter_wasmtime;

pub use clock::{DeterministicClock, MonotonicClock, WallClock};
pub use config::{DirPerms, Preopen, WasiConfig, WasiSetup};
pub use ctx::{HasWasi, WasiCtx, WasiEngine, WasiState, add_to_linker};
pub use error::{ExitStatus, WasiError};
pub use imports::{WASI_MODULE, check_module, function_names, function_type, uses_wasi};
pub use random::{OsRandom, RandomSource, SeededRandom};
pub use run::{ProgramKind, initialize, instantiate, run_command, run_command_with, run_start};
pub use stdio::{Capture, Output, OutputFn, Stdin};
