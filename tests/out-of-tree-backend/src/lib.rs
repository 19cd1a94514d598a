//! A backend crate outside the wasm-run workspace (its own `[workspace]`),
//! depending on the published crates only by name: it proves that
//! `wasm_run_conformance::behaviour_tests!` runs the shared behaviour suite
//! for an engine type wasm-run does not know. The wasmi backend stands in
//! for that engine here, to keep the check small.

pub use wasm_run_wasmi::Wasmi as MyEngine;
