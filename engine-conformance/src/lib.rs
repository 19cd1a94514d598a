//! Conformance suites for **wasm-run** backends.
//!
//! [`behaviour`] holds embedder behaviour tests written once, generic over
//! [`wasm_run_api::Engine`], and run against every backend through
//! [`behaviour_tests!`]:
//!
//! ```ignore
//! wasm_run_conformance::behaviour_tests!(wasmtime, |c| wasm_run::wasmtime::Wasmtime::new(c));
//! ```
//!
//! Each behaviour panics when the backend does not do what the API promises.
//! Where a backend may legitimately lack a feature, the behaviour requires the
//! typed `Error::Unsupported` (or a compile error for a module needing it),
//! so the feature matrix is measured rather than claimed.

#![warn(missing_docs)]

pub mod behaviour;
pub mod spec;
