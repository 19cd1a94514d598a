//! The shared behaviour suite on this crate's engine, as any backend outside
//! the repository would run it.

use wasm_run_api::Engine;

wasm_run_conformance::behaviour_tests!(mine, my_backend::MyEngine::new, expected_failures = [],);
