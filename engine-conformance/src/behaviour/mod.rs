//! Embedder behaviour suite: what every backend must do, written once.
//!
//! Each public function is one self-contained scenario, generic over
//! [`Engine`]. It takes `make`, a way to build the engine under test from a
//! [`Config`], and panics (through `assert!`) when the backend does not behave
//! as the API promises. Expected values are derived from the WebAssembly text
//! written next to each test, never from what a backend happens to return.
//!
//! Where a backend may legitimately lack a feature, the test asks
//! [`Engine::features`] / [`Engine::support`] and then requires the typed
//! [`Error::Unsupported`](wasm_run_api::Error::Unsupported) (or a compile
//! error for a module that needs the feature) — a test never silently skips.
//!
//! Backends run the whole suite with [`behaviour_tests!`](crate::behaviour_tests):
//!
//! ```ignore
//! wasm_run_conformance::behaviour_tests!(wasmtime, |c| wasm_run::Wasmtime::new(c));
//! ```
//!
//! which expands to a module with one `#[test]` per behaviour, or call
//! [`run_all`] / single functions by hand.
//!
//! One file per topic: engine and features; modules; host functions; linking
//! and instances; calls; values; host errors; memories, tables and globals;
//! traps; fuel; resource limits; module variants.

use wasm_run_api::{Config, Engine, Result};

// `pub(crate)`: the matrix probes build their result slots with
// `helpers::result_slots` too.
pub(crate) mod helpers;

mod asyncs;
mod calls;
mod determinism;
mod engine;
mod errors;
mod fuel;
mod globals;
mod host_funcs;
mod limiter;
mod limits;
mod linking;
mod memory;
mod modules;
mod serialization;
mod stops;
mod tables;
mod traps;
mod values;
mod variants;

#[cfg(test)]
mod self_check;

pub use asyncs::{
    async_calls, async_completions, async_fuel_yields, async_guests_interleave, async_reentry,
    async_yields,
};
pub use calls::{
    call_dynamic, call_typed, call_unchecked_agrees, func_types, handles_wrong_store,
    wrong_store_references,
};
pub use determinism::nan_canonicalization;
pub use engine::{engine_feature_config, engine_feature_probes, engine_identity};
pub use errors::{host_error, host_faults_nested, host_panic};
pub use fuel::{fuel, fuel_disabled, resumable_fuel};
pub use globals::global_ops;
pub use host_funcs::{
    caller_memory_and_exports, host_defined_items, host_func_typed, host_func_untyped, host_state,
    linker_get_each, store_extensions,
};
pub use limiter::{limiter_bounds_host_memory, limiter_policy, limiter_table_grow_in_wasm};
pub use limits::{
    deep_recursion_by_default, huge_declarations_are_limit_errors, limit_instances, limit_memory,
    limit_memory_and_table_counts, limit_table, limit_wasm_stack, pooling_allocation,
};
pub use linking::{
    export_keys, instance_exports_listing, instance_new_ordered_imports, instance_pre,
    link_duplicate_definitions, link_error_incompatible, link_error_missing, link_instance_exports,
    start_function,
};
pub use memory::memory_ops;
pub use modules::{
    compilation_modes, module_from_file, module_import_export_types,
    module_memory64_and_shared_types, module_text_and_binary, module_validation_errors,
};
pub use serialization::{module_cache, module_serialization};
pub use stops::{
    deadline_stops_runaway, deadline_waits_for_host, deadline_with_fuel,
    interrupt_from_another_thread,
};
pub use tables::table_ops;
pub use traps::{trap_stack_overflow, traps};
pub use values::{
    typed_wide, values_externref, values_funcref, values_gc_refs_and_tags, values_i64_range,
    values_nan_payloads, values_v128,
};
pub use variants::module_variants;

// ---------------------------------------------------------------------------
// The list of behaviours and the macros generated from it
// ---------------------------------------------------------------------------

/// Calls the macro named in brackets with `$args` and the list of every
/// behaviour function, so the test macro and [`run_all`] cannot drift apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasm_run_behaviours {
    // Every behaviour.
    ([$($callback:tt)*] $args:tt) => {
        $crate::__wasm_run_behaviours!([$($callback)*] $args local [
            async_calls
            async_guests_interleave
            async_yields
            async_fuel_yields
            async_reentry
            async_completions
        ]);
    };
    // The behaviours that stores which are not `Send` can run (all but the
    // async ones), followed by `$more`.
    ([$($callback:tt)*] $args:tt local [$($more:ident)*]) => {
        $($callback)*! { $args [
            engine_identity
            engine_feature_config
            engine_feature_probes
            module_text_and_binary
            module_validation_errors
            module_import_export_types
            module_memory64_and_shared_types
            module_from_file
            host_func_typed
            host_func_untyped
            host_state
            store_extensions
            linker_get_each
            caller_memory_and_exports
            host_defined_items
            link_instance_exports
            link_error_missing
            link_error_incompatible
            link_duplicate_definitions
            start_function
            instance_new_ordered_imports
            instance_exports_listing
            export_keys
            instance_pre
            call_dynamic
            call_unchecked_agrees
            call_typed
            values_i64_range
            values_nan_payloads
            values_v128
            values_gc_refs_and_tags
            typed_wide
            values_funcref
            values_externref
            func_types
            handles_wrong_store
            wrong_store_references
            host_error
            host_panic
            host_faults_nested
            memory_ops
            table_ops
            global_ops
            traps
            trap_stack_overflow
            fuel
            fuel_disabled
            resumable_fuel
            deadline_stops_runaway
            deadline_waits_for_host
            deadline_with_fuel
            interrupt_from_another_thread
            nan_canonicalization
            limit_memory
            limit_table
            huge_declarations_are_limit_errors
            limit_instances
            limit_memory_and_table_counts
            limit_wasm_stack
            deep_recursion_by_default
            pooling_allocation
            limiter_policy
            limiter_table_grow_in_wasm
            limiter_bounds_host_memory
            module_variants
            compilation_modes
            module_serialization
            module_cache
            $($more)*
        ] }
    };
}

/// Expands to `mod $modname { ... }` with one `#[test]` per behaviour
/// function of [`behaviour`](crate::behaviour), each calling it with `$make`.
///
/// `$make` is any expression usable as `impl Fn(&Config) -> Result<E>` (a
/// closure or a function such as `Wasmtime::new`); it is evaluated afresh in
/// every test. Attributes before the module name (e.g.
/// `#[cfg(feature = "wasmi")]`) are put on the generated module, which
/// `use`s everything from the surrounding module.
///
/// `local_stores` after `$make` is for an engine whose stores are not
/// `Send` (a backend used outside wasm-run's list, which requires `Send`
/// stores; tinywasm's own stores are not, the backend's are): the async
/// behaviours, which need `Send` stores, are
/// left out (such an engine answers `Support::Unsupported` for
/// `Feature::Async`, which `engine_feature_config` checks against its
/// probe).
///
/// An optional `expected_failures = [name, ...]` (or `= expr`, a
/// `Vec<&'static str>` such as
/// [`expected_failures_of`](crate::behaviour::expected_failures_of)'s) is the backend's
/// expected-failure baseline: those behaviours must fail (panic), and a listed
/// behaviour that passes fails its test so the baseline is kept honest (see
/// [`run_with_baseline`](crate::behaviour::run_with_baseline)). The module
/// also gets a test checking that every listed name is a behaviour.
///
/// ```ignore
/// use wasm_run::{Engine, Wasmi, Wasmtime};
/// wasm_run_conformance::behaviour_tests!(wasmtime, Wasmtime::new);
/// wasm_run_conformance::behaviour_tests!(
///     #[cfg(feature = "wasmi")]
///     wasmi,
///     |c| Wasmi::new(c),
///     expected_failures = [limit_instances],
/// );
/// ```
#[macro_export]
macro_rules! behaviour_tests {
    (
        $(#[$attr:meta])* $modname:ident, $make:expr, local_stores
        $(, expected_failures = [$($fail:ident),* $(,)?])? $(,)?
    ) => {
        $crate::__wasm_run_behaviours!(
            [$crate::__wasm_run_behaviour_tests_mod]
            { behaviour, $(#[$attr])* $modname, $make, (vec![$($(stringify!($fail)),*)?]) }
            local []
        );
    };
    (
        $(#[$attr:meta])* $modname:ident, $make:expr
        $(, expected_failures = [$($fail:ident),* $(,)?])? $(,)?
    ) => {
        $crate::__wasm_run_behaviours!(
            [$crate::__wasm_run_behaviour_tests_mod]
            { behaviour, $(#[$attr])* $modname, $make, (vec![$($(stringify!($fail)),*)?]) }
        );
    };
    (
        $(#[$attr:meta])* $modname:ident, $make:expr, expected_failures = $fails:expr $(,)?
    ) => {
        $crate::__wasm_run_behaviours!(
            [$crate::__wasm_run_behaviour_tests_mod]
            { behaviour, $(#[$attr])* $modname, $make, ($fails) }
        );
    };
}

/// Implementation detail of [`behaviour_tests!`](crate::behaviour_tests) and
/// [`wasi_tests!`](crate::wasi_tests): the test module of suite `$suite` (a
/// module of this crate with the behaviour functions and `check_baseline`).
#[doc(hidden)]
#[macro_export]
macro_rules! __wasm_run_behaviour_tests_mod {
    ({ $suite:ident, $(#[$attr:meta])* $modname:ident, $make:expr, ($fails:expr) } [ $($name:ident)* ]) => {
        $(#[$attr])*
        mod $modname {
            #[allow(unused_imports)]
            use super::*;

            fn expected_failures() -> ::std::vec::Vec<&'static str> {
                $fails
            }

            $(
                #[test]
                fn $name() {
                    $crate::behaviour::run_with_baseline(stringify!($name), &expected_failures(), || {
                        $crate::$suite::$name($make)
                    });
                }
            )*

            #[test]
            fn expected_failures_are_behaviours() {
                $crate::$suite::check_baseline(&expected_failures());
            }
        }
    };
}

/// The behaviours `backend` is expected to fail, from a baseline text with
/// one `backend behaviour` pair per line (`#` starts a comment), e.g. the
/// workspace's `engine-conformance/tests/behaviour-baseline.txt`: for
/// `expected_failures = ...` in [`behaviour_tests!`](crate::behaviour_tests)
/// when the backends come from a list.
///
/// ```
/// let text = "# why\ntinywasm limiter_table_grow_in_wasm\n";
/// assert_eq!(
///     wasm_run_conformance::behaviour::expected_failures_of(text, "tinywasm"),
///     ["limiter_table_grow_in_wasm"]
/// );
/// assert!(wasm_run_conformance::behaviour::expected_failures_of(text, "wasmi").is_empty());
/// ```
pub fn expected_failures_of(baseline: &'static str, backend: &str) -> Vec<&'static str> {
    baseline
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| l.split_once(char::is_whitespace))
        .filter(|(b, _)| *b == backend)
        .map(|(_, name)| name.trim())
        .collect()
}

/// Runs the behaviour `name` through `run`, honouring an expected-failure
/// baseline: if `name` is in `expected_failures` the behaviour must fail (its
/// panic is caught and the test passes) and passing is itself a failure
/// ("remove it from the baseline"); otherwise `run` runs as is.
pub fn run_with_baseline(name: &str, expected_failures: &[&str], run: impl FnOnce()) {
    if expected_failures.contains(&name) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
        assert!(
            outcome.is_err(),
            "`{name}` is listed as an expected failure but passes now: remove it from the baseline"
        );
    } else {
        run();
    }
}

/// Panics unless every entry of an expected-failure baseline names a
/// behaviour (see [`NAMES`]).
pub fn check_baseline(expected_failures: &[&str]) {
    check_names(NAMES, expected_failures, "behaviour");
}

/// Panics unless every entry of `expected_failures` is one of `names` (the
/// behaviours of a suite, called `what` in the message).
pub(crate) fn check_names(names: &[&str], expected_failures: &[&str], what: &str) {
    for name in expected_failures {
        assert!(
            names.contains(name),
            "`{name}` in the expected failures is not a {what}"
        );
    }
}

macro_rules! define_run_all {
    ({} [ $($name:ident)* ]) => {
        /// Names of every behaviour function, in the order [`run_all`] runs
        /// them (and `behaviour_tests!` generates tests for them).
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Runs every behaviour in sequence, stopping at the first failure
        /// (a panic). Prefer [`behaviour_tests!`](crate::behaviour_tests),
        /// which reports each behaviour as its own test.
        pub fn run_all<E: Engine>(make: impl Fn(&Config) -> Result<E>)
        where
            // The async behaviours run calls as `Send` futures.
            E::Store<()>: Send,
            E::Linker<()>: Sync,
        {
            $( $name(&make); )*
        }
    };
}

crate::__wasm_run_behaviours!([define_run_all] {});
