//! What running a script produced: per-directive failures and skips, and
//! one report per file.

use std::fmt;
use wasm_run_api::Feature;

use crate::runner::Outcome;

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
    /// The file's path as given to [`run_wast`](crate::run_wast).
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
    /// An empty report for `path`: nothing run yet.
    pub fn new(path: &str) -> Self {
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

    pub(crate) fn record(&mut self, line: usize, directive: &'static str, outcome: Outcome) {
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

/// an ellipsis, for reports.
pub fn one_line(s: &str, max: usize) -> String {
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
