//! A WebAssembly spec-test (`.wast`) runner, generic over
//! [`wasm_run_api::Engine`], for any wasm-run backend.
//!
//! The runner reads a script with the `wast` crate and executes every
//! directive through the public wasm-run API only (`Module::new`, `Linker`,
//! `Store`, `Func::call`, `Val`, `Error`, `TrapCode`), so it measures the
//! abstraction, not the engines underneath. The `wasm-run spec` command and
//! the conformance suite (`wasm-run-conformance`) are built on it.
//!
//! * [`run_wast`] runs one script and returns a [`FileReport`]: counts of
//!   passed, failed and skipped directives, and each failure with its line and
//!   reason.
//! * [`files`] finds `.wast` files on disk and runs each with the feature
//!   profile its own `;;! key = value` header ([`Header`], the engines' test
//!   suites' convention) or, without one, its path asks for.
//! * [`config_for`] is the feature profile of a file of the official suite.
//!
//! ```
//! use wasm_run_api::{Config, Engine, Error, Result};
//! use wasm_run_wast::{FileStatus, run_wast};
//!
//! /// Works on any backend, given a function that builds one from a configuration.
//! fn check<E: Engine>(make: &dyn Fn(&Config) -> Result<E>) {
//!     let script = r#"
//!         (module (func (export "add") (param i32 i32) (result i32)
//!             (i32.add (local.get 0) (local.get 1))))
//!         (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
//!         (assert_trap (module (func $boom unreachable) (start $boom)) "unreachable")
//!     "#;
//!     let report = run_wast(make, &Config::new(), "add.wast", script);
//!     assert_eq!(report.status, FileStatus::Ran);
//!     assert_eq!((report.passed, report.failed), (3, 0), "{report}");
//! }
//! check(&|c| wasm_run_wasmi::Wasmi::new(c));
//! ```
//!
//! Conventions, following the spec interpreter:
//!
//! * one `Store` per file; every instance of the file lives in it, and one
//!   `Linker` (with shadowing allowed) holds the `spectest` host module and
//!   every `register`ed instance;
//! * integers compare exactly, floats bit-exactly, `nan:canonical` and
//!   `nan:arithmetic` as the spec defines them (per lane for `v128`);
//! * a value the API's `Val` cannot represent makes the directive **fail**
//!   with category `unrepresentable value`;
//! * a module needing a proposal the backend cannot do at all
//!   (`Error::Unsupported`) is **skipped**, and so is every directive that
//!   uses it; when the engine cannot even be built with the file's features
//!   the whole file is skipped ([`FileStatus::Unsupported`]);
//! * a panic while running a directive is caught and counted as a failure;
//! * as in the engines' own runners, a module with a `$name` is importable
//!   under that name by later modules, and trap messages may use an engine's
//!   wording (see [`trap_codes_for`]; an unknown wording passes when the
//!   engine's error message contains it).

#![warn(missing_docs)]

mod component;
pub mod files;
mod profile;
mod report;
mod run;
mod runner;
mod spectest;
mod threads;
mod traps;
mod values;

pub use profile::{
    Header, config_for, disabled_features, proposal_not_in_matrix, required_features,
};
pub use report::{Failure, FileReport, FileStatus, Skip, SpecOutcome, one_line};
pub use run::{TrapCodesFn, run_wast, run_wast_with_trap_codes};
pub use spectest::define_spectest;
pub use traps::trap_codes_for;
