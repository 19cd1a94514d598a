//! Runs the behaviour suite and the WASI behaviour suite against every
//! backend: each one statically, and the run-time selected `AnyEngine` over
//! each.
//!
//! Each backend's expected failures (known conformance gaps) are in
//! `behaviour-baseline.txt`, keyed by the backend's name. A listed behaviour
//! must still fail; once it passes its test fails too, as a reminder to
//! shrink the list.

use wasm_run::{AnyEngine, Engine};
use wasm_run_conformance::behaviour::expected_failures_of;

const BASELINE: &str = include_str!("behaviour-baseline.txt");

// One test module per backend compiled into the facade (from its one backend
// list), run statically and through `AnyEngine`.
macro_rules! backend {
    ($name:ident, $B:ty) => {
        wasm_run_conformance::behaviour_tests!(
            $name,
            <$B as Engine>::new,
            expected_failures = expected_failures_of(BASELINE, stringify!($name)),
        );
    };
}
macro_rules! any_backend {
    ($name:ident, $B:ty) => {
        wasm_run_conformance::behaviour_tests!(
            $name,
            |c| AnyEngine::by_name(stringify!($name), c),
            expected_failures = expected_failures_of(BASELINE, stringify!($name)),
        );
    };
}

wasm_run::for_each_backend!(backend);
mod any {
    use super::*;
    wasm_run::for_each_backend!(any_backend);
}

/// The WASI behaviour suite likewise (in this test binary rather than one
/// of its own: every binary links all three engines).
#[path = "behaviour/wasi.rs"]
mod wasi;
