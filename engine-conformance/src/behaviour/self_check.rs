//! Self-checks of the suite (no backend needed): the test modules and
//! feature probes are valid, each probe needs its feature, the hand-written
//! reflection matches the text, and the helpers behave.

use wasm_run_api::Feature;

use super::NAMES;
use super::calls::{CALLS_WAT, FUNC_TYPES_WAT, WRONG_STORE_REFS_WAT, WRONG_STORE_WAT};
use super::engine::FEATURE_PROBES;
use super::errors::{HOST_ERROR_WAT, HOST_NESTED_WAT, HOST_PANIC_WAT};
use super::fuel::FUEL_WAT;
use super::globals::GLOBAL_WAT;
use super::helpers::TempDir;
use super::host_funcs::{
    CALLER_WAT, HOST_ITEMS_WAT, HOST_STATE_WAT, HOST_TYPED_WAT, HOST_UNTYPED_WAT,
};
use super::limits::{LIMIT_MEMORY_WAT, LIMIT_TABLE_WAT};
use super::linking::{
    EXPORTS_WAT, LINK_A_WAT, LINK_B_WAT, LINK_MISSING_WAT, ORDERED_IMPORTS_WAT, START_WAT,
    UNGROUPED_IMPORTS_WAT,
};
use super::memory::MEMORY_WAT;
use super::modules::{
    FROM_FILE_WAT, KINDS_WAT, MEMORY64_WAT, ROUND_TRIP_WAT, SHARED_MEMORY_WAT, kinds_expected,
};
use super::tables::TABLE_WAT;
use super::traps::{RECURSION_WAT, TRAPS_WAT};
use super::values::{EXTERNREF_WAT, FUNCREF_WAT, I64_WAT, NAN_WAT, TAG_WAT, V128_WAT, WIDE_WAT};
use super::variants::{VARIANT_BASELINE_WAT, VARIANT_THREADS_WAT};

/// Every module the suite compiles, by name.
const TEST_MODULES: &[(&str, &str)] = &[
    ("ROUND_TRIP_WAT", ROUND_TRIP_WAT),
    ("KINDS_WAT", KINDS_WAT),
    ("MEMORY64_WAT", MEMORY64_WAT),
    ("SHARED_MEMORY_WAT", SHARED_MEMORY_WAT),
    ("FROM_FILE_WAT", FROM_FILE_WAT),
    ("HOST_TYPED_WAT", HOST_TYPED_WAT),
    ("HOST_UNTYPED_WAT", HOST_UNTYPED_WAT),
    ("HOST_STATE_WAT", HOST_STATE_WAT),
    ("CALLER_WAT", CALLER_WAT),
    ("HOST_ITEMS_WAT", HOST_ITEMS_WAT),
    ("LINK_A_WAT", LINK_A_WAT),
    ("LINK_B_WAT", LINK_B_WAT),
    ("LINK_MISSING_WAT", LINK_MISSING_WAT),
    ("START_WAT", START_WAT),
    ("ORDERED_IMPORTS_WAT", ORDERED_IMPORTS_WAT),
    ("UNGROUPED_IMPORTS_WAT", UNGROUPED_IMPORTS_WAT),
    ("EXPORTS_WAT", EXPORTS_WAT),
    ("CALLS_WAT", CALLS_WAT),
    ("I64_WAT", I64_WAT),
    ("NAN_WAT", NAN_WAT),
    ("V128_WAT", V128_WAT),
    ("TAG_WAT", TAG_WAT),
    ("WIDE_WAT", WIDE_WAT),
    ("FUNCREF_WAT", FUNCREF_WAT),
    ("EXTERNREF_WAT", EXTERNREF_WAT),
    ("FUNC_TYPES_WAT", FUNC_TYPES_WAT),
    ("WRONG_STORE_WAT", WRONG_STORE_WAT),
    ("WRONG_STORE_REFS_WAT", WRONG_STORE_REFS_WAT),
    ("STOPS_WAT", super::stops::STOPS_WAT),
    ("NAN_WAT", super::determinism::NAN_WAT),
    ("LIMITER_WAT", super::limiter::LIMITER_WAT),
    ("ACKERMANN_WAT", super::limits::ACKERMANN_WAT),
    ("PRE_WAT", super::linking::PRE_WAT),
    ("SERIALIZE_WAT", super::serialization::SERIALIZE_WAT),
    ("HOST_ERROR_WAT", HOST_ERROR_WAT),
    ("HOST_PANIC_WAT", HOST_PANIC_WAT),
    ("HOST_NESTED_WAT", HOST_NESTED_WAT),
    ("MEMORY_WAT", MEMORY_WAT),
    ("TABLE_WAT", TABLE_WAT),
    ("GLOBAL_WAT", GLOBAL_WAT),
    ("TRAPS_WAT", TRAPS_WAT),
    ("RECURSION_WAT", RECURSION_WAT),
    ("FUEL_WAT", FUEL_WAT),
    ("LIMIT_MEMORY_WAT", LIMIT_MEMORY_WAT),
    ("LIMIT_TABLE_WAT", LIMIT_TABLE_WAT),
    ("VARIANT_THREADS_WAT", VARIANT_THREADS_WAT),
    ("VARIANT_BASELINE_WAT", VARIANT_BASELINE_WAT),
];

fn validate(name: &str, wat: &str) -> Vec<u8> {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&wasm)
        .unwrap_or_else(|e| panic!("{name} is invalid: {e}"));
    wasm
}

#[test]
fn test_modules_are_valid() {
    for (name, wat) in TEST_MODULES {
        validate(name, wat);
    }
    for (feature, wat) in FEATURE_PROBES {
        validate(feature.name(), wat);
    }
}

#[test]
fn feature_probes_need_their_feature() {
    for (feature, wat) in FEATURE_PROBES {
        let wasm = validate(feature.name(), wat);
        use wasmparser::WasmFeatures as W;
        // The 1.0 core without the two parts we also treat as features.
        let mvp = W::WASM1 & !(W::MUTABLE_GLOBAL | W::FLOATS);
        let result = wasmparser::Validator::new_with_features(mvp).validate_all(&wasm);
        assert!(
            result.is_err(),
            "the probe for {feature} validates without any proposal"
        );
    }
    let mut seen: Vec<Feature> = FEATURE_PROBES.iter().map(|(f, _)| *f).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), FEATURE_PROBES.len(), "a feature has two probes");
}

#[test]
fn expected_reflection_matches_the_text() {
    let info = wasm_run_api::ModuleInfo::parse(&validate("KINDS_WAT", KINDS_WAT)).unwrap();
    let (imports, exports) = kinds_expected();
    assert_eq!(info.imports, imports);
    assert_eq!(info.exports, exports);
    let info = wasm_run_api::ModuleInfo::parse(&validate("EXPORTS_WAT", EXPORTS_WAT)).unwrap();
    let names: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["f1", "mem", "glob", "tab", "f2", "f2_alias"]);
}

#[test]
fn behaviour_names_are_unique() {
    let mut names = NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), NAMES.len());
    assert!(NAMES.len() >= 40);
}

/// What `behaviour_tests!(…, local_stores)` generates tests for.
macro_rules! local_names {
    ({} [ $($name:ident)* ]) => {
        const LOCAL_NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}
crate::__wasm_run_behaviours!([local_names] {} local []);

#[test]
fn local_stores_leave_out_exactly_the_async_behaviours() {
    // Engines whose stores are not `Send` cannot run the async behaviours
    // (their calls are `Send` futures); they run every other one.
    let expected: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| !n.starts_with("async_"))
        .collect();
    assert_eq!(LOCAL_NAMES, expected);
    assert!(NAMES.len() > LOCAL_NAMES.len());
}

#[test]
fn temp_dirs_are_fresh_and_removed() {
    let a = TempDir::new("self-check");
    let b = TempDir::new("self-check");
    assert_ne!(a.path(), b.path());
    let file = a.write("x.wat", "(module)");
    assert!(file.exists());
    let dir = a.path().to_path_buf();
    drop(a);
    assert!(!dir.exists());
}
