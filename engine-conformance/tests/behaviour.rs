//! Runs the behaviour suite against every backend: each one statically, and
//! the run-time selected `AnyEngine` over each.
//!
//! `expected_failures` is each backend's baseline of known conformance bugs.
//! A listed behaviour must still fail; once it passes its test fails too, as
//! a reminder to shrink the list.

use wasm_run::{AnyEngine, Engine, Wasmi, Wasmtime};

// Known wasmtime-backend gaps (see each behaviour's doc for the promise):
// - engine_feature_config / engine_feature_probes: `Config::disable(Simd)`
//   fails ("cannot disable the simd proposal but enable the relaxed simd
//   proposal"); disabling a proposal must also disable what depends on it.
// - limit_memory / limit_table: a memory/table starting above the configured
//   limit fails instantiation with `Error::Engine`, not `Error::ResourceLimit`.
// - handles_wrong_store: a handle used with a foreign store panics inside
//   wasmtime instead of returning `Error::WrongStore`.
macro_rules! wasmtime_baseline {
    ($modname:ident, $make:expr) => {
        wasm_run_conformance::behaviour_tests!($modname, $make, expected_failures = [],);
    };
}

// Known wasmi-backend gaps:
// - host_func_typed / func_types / link_error_missing / link_error_incompatible:
//   `Linker::get` returns `None` for host functions defined with `func_wrap`,
//   so `Linker::get` fails and the API's link diagnosis reports a defined
//   import as `Missing`.
// - engine_feature_probes: a module using only typed function references is
//   reported as `Unsupported { feature: Gc }` (engine-api `missing_feature`
//   tries gc before function-references).
// - limit_instances: too many instances is `Error::Link(Other)`, not
//   `Error::ResourceLimit`.
// - handles_wrong_store: a handle used with a foreign store panics inside
//   wasmi instead of returning `Error::WrongStore`.
macro_rules! wasmi_baseline {
    ($modname:ident, $make:expr) => {
        wasm_run_conformance::behaviour_tests!($modname, $make, expected_failures = [],);
    };
}

wasmtime_baseline!(wasmtime, Wasmtime::new);
wasmi_baseline!(wasmi, Wasmi::new);
wasmtime_baseline!(any_wasmtime, |c| AnyEngine::by_name("wasmtime", c));
wasmi_baseline!(any_wasmi, |c| AnyEngine::by_name("wasmi", c));
