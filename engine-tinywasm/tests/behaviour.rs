//! The shared behaviour suite on tinywasm (its stores are not `Send`: the
//! async behaviours are left out).

use wasm_run_api::Engine;

wasm_run_conformance::behaviour_tests!(
    tinywasm,
    wasm_run_tinywasm::Tinywasm::new,
    local_stores,
    // No resource limiter yet (tinywasm's memory factory can carry one:
    // the next step).
    expected_failures = [limiter_policy, limiter_bounds_host_memory],
);
