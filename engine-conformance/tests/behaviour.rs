//! Runs the behaviour suite against every backend: each one statically, and
//! the run-time selected `AnyEngine` over each.
//!
//! `expected_failures` is each backend's baseline of known conformance bugs.
//! A listed behaviour must still fail; once it passes its test fails too, as
//! a reminder to shrink the list.

use wasm_run::{AnyEngine, Engine};

// One test module per backend compiled into the facade (from its one backend
// list), run statically and through `AnyEngine`. `expected_failures` is each
// backend's baseline of known conformance bugs: none today.
macro_rules! backend {
    ($name:ident, $B:ty) => {
        wasm_run_conformance::behaviour_tests!($name, <$B as Engine>::new, expected_failures = [],);
    };
}
macro_rules! any_backend {
    ($name:ident, $B:ty) => {
        wasm_run_conformance::behaviour_tests!(
            $name,
            |c| AnyEngine::by_name(stringify!($name), c),
            expected_failures = [],
        );
    };
}

wasm_run::for_each_backend!(backend);
mod any {
    use super::*;
    wasm_run::for_each_backend!(any_backend);
}
