//! The feature matrix, measured: which WebAssembly proposals and embedder
//! capabilities each backend supports *through wasm-run's API*.
//!
//! Each [`Row`] is one line of the table of the original `wasm_run` package
//! plus the proposals and embedder capabilities wasm-run adds. A cell is
//! measured, never taken from what a backend claims:
//!
//! 1. a backend that refuses the row's [`Feature`] ([`Support::Unsupported`])
//!    is **unsupported**;
//! 2. otherwise the row's *probe* runs: small modules exercising the feature,
//!    compiled, instantiated and called through the public API on an engine
//!    with the feature enabled, their results checked (a probe that gets
//!    [`Error::Unsupported`] or, for rows without a [`Feature`], a compile
//!    error, means **unsupported**);
//! 3. the row's *spec files* (suite paths starting with one of
//!    [`Row::spec_prefixes`]) are looked up in a [`SuiteReport`] of that
//!    backend: a file passes when no directive fails, or when every failure is
//!    listed in the backend's [`Baseline`] as an [`OUTDATED_TEST`](crate::baseline::OUTDATED_TEST) (the test
//!    predates the spec, the backend is right);
//! 4. the cell is **supported** when the probe passed and every spec file that
//!    ran passed; **partial** with the probe's verdict and the pass ratio
//!    otherwise; **n/a** when a backend claims a feature this crate has no way
//!    to measure.
//!
//! Rows that need more than the core API take their probe from the caller
//! through [`Hooks`]: WASI preview 1 is measured by [`wasi_p1_probe`]
//! (`Hooks::with_wasi`, for engines `wasm-run-wasi` supports); without a
//! hook the row is unsupported, never claimed.
//!
//! [`Matrix::to_markdown`] renders `docs/FEATURES.md`; [`Matrix::to_json`]
//! the same data for programs. [`measure`] builds one backend's column.

use wasm_run_api::{Config, Engine, Error, Feature, Result, Support};

use crate::baseline::Baseline;
use crate::suite::SuiteReport;

mod probes;
mod report;
mod rows;

pub use probes::{Hooks, ProbeError, ProbeFn, ProbeOutcome, async_probe, wasi_p1_probe};
pub use rows::{Row, RowKind};

use probes::probe;

/// The verdict of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Probe and spec files pass.
    Supported,
    /// Something works, something does not.
    Partial,
    /// The backend cannot do it.
    Unsupported,
    /// The backend claims it but nothing here can measure it.
    NotApplicable,
}

/// One cell: a row on one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The row.
    pub row: Row,
    /// The verdict.
    pub status: Status,
    /// The backend supports it but only when enabled in [`Config`].
    pub opt_in: bool,
    /// What the probe found.
    pub probe: ProbeOutcome,
    /// Related spec files that passed.
    pub spec_passed: usize,
    /// Related spec files that ran (files skipped whole are not counted).
    pub spec_ran: usize,
    /// Related spec files that failed, in path order.
    pub failing_files: Vec<String>,
    /// Why the cell is not supported, for people (empty when it is).
    pub why: String,
}

impl Cell {
    /// The cell as the table shows it, e.g. `supported (opt-in)` or
    /// `partial (28/30 spec files)`.
    pub fn text(&self) -> String {
        match self.status {
            Status::Supported if self.opt_in => "supported (opt-in)".into(),
            Status::Supported => "supported".into(),
            Status::Unsupported => "unsupported".into(),
            Status::NotApplicable => "n/a".into(),
            Status::Partial => {
                let mut parts = Vec::new();
                if matches!(self.probe, ProbeOutcome::Error(_)) {
                    parts.push("probe failed".to_string());
                }
                if self.spec_ran > 0 {
                    parts.push(format!("{}/{} spec files", self.spec_passed, self.spec_ran));
                }
                format!("partial ({})", parts.join("; "))
            }
        }
    }
}

/// One backend's column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The backend's name.
    pub engine: String,
    /// The backend's version.
    pub version: String,
    /// One cell per [`Row::ALL`], in order.
    pub cells: Vec<Cell>,
}

/// The whole matrix: one column per backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The columns, in backend order.
    pub columns: Vec<Column>,
}

/// Measures every row on the backend built by `make`.
///
/// `suite` is a run of (at least) the rows' spec files on this backend, e.g.
/// from [`crate::suite::run_suite`] with [`related_to_matrix`] as the filter;
/// `baseline` is the backend's [`Baseline`] (its [`OUTDATED_TEST`](crate::baseline::OUTDATED_TEST) entries do
/// not count against the backend). Run it on a thread with a large stack, as
/// the suite.
pub fn measure<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    suite: &SuiteReport,
    baseline: &Baseline,
    hooks: &Hooks<E>,
) -> Result<Column> {
    let engine = make(&Config::new())?;
    let cells = Row::ALL
        .iter()
        .map(|&row| cell(row, &engine, make, suite, baseline, hooks))
        .collect();
    Ok(Column {
        engine: engine.name().to_string(),
        version: engine.version().to_string(),
        cells,
    })
}

/// Stack size of the threads [`measure_backends`] runs the suite on (see
/// [`crate::suite::run_suite`] for why it must be large).
pub const SUITE_STACK: usize = 512 << 20;

/// Measures every backend in `names`, each on its own thread (in parallel,
/// with a [`SUITE_STACK`] stack): runs the spec files the rows need
/// ([`related_to_matrix`]) on engines `make(name, config)` builds, then
/// [`measure`]s the column with the backend's committed [`Baseline`].
pub fn measure_backends<E: Engine>(
    names: &[&'static str],
    make: fn(&str, &Config) -> Result<E>,
    hooks: Hooks<E>,
) -> Result<Matrix> {
    let threads: Vec<_> = names
        .iter()
        .map(|&name| {
            std::thread::Builder::new()
                .name(format!("matrix-{name}"))
                .stack_size(SUITE_STACK)
                .spawn(move || -> Result<Column> {
                    let make = move |c: &Config| make(name, c);
                    let suite = crate::suite::run_suite(&make, &related_to_matrix);
                    let baseline = Baseline::committed(name)
                        .map_err(|e| Error::engine(format!("{name} baseline: {e}")))?;
                    measure(&make, &suite, &baseline, &hooks)
                })
                .map_err(|e| Error::engine(format!("cannot start a thread: {e}")))
        })
        .collect::<Result<_>>()?;
    let columns = threads
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap_or_else(|_| Err(Error::Engine("a matrix thread panicked".into())))
        })
        .collect::<Result<_>>()?;
    Ok(Matrix { columns })
}

/// Whether a suite path belongs to some row (a filter for
/// [`crate::suite::run_suite`] that runs only what [`measure`] needs).
pub fn related_to_matrix(path: &str) -> bool {
    Row::ALL
        .iter()
        .any(|r| r.spec_prefixes().iter().any(|p| path.starts_with(p)))
}

fn cell<E: Engine>(
    row: Row,
    engine: &E,
    make: &dyn Fn(&Config) -> Result<E>,
    suite: &SuiteReport,
    baseline: &Baseline,
    hooks: &Hooks<E>,
) -> Cell {
    let support = row.feature().map(|f| engine.support(f));
    let mut cell = Cell {
        row,
        status: Status::Unsupported,
        opt_in: support == Some(Support::OptIn),
        probe: ProbeOutcome::None,
        spec_passed: 0,
        spec_ran: 0,
        failing_files: Vec::new(),
        why: String::new(),
    };
    // WASI and components come from separate crates written over the API,
    // not from the backend's own claim.
    if !matches!(
        row,
        Row::WasiP1 | Row::ComponentModel | Row::ComponentModelNative
    ) && support == Some(Support::Unsupported)
    {
        cell.why = format!(
            "{} does not support {} (it answers Support::Unsupported)",
            engine.name(),
            row.feature().map_or("", Feature::name)
        );
        return cell;
    }
    cell.probe = match probe(row, make, hooks) {
        Some(Ok(())) => ProbeOutcome::Passed,
        Some(Err(e)) => ProbeOutcome::Error(e),
        None => ProbeOutcome::None,
    };
    if let ProbeOutcome::Error(ProbeError::Unsupported(why)) = &cell.probe {
        cell.why = why.clone();
        return cell;
    }
    for file in &suite.files {
        if !row.spec_prefixes().iter().any(|p| file.path.starts_with(p)) || file.is_skipped() {
            continue;
        }
        cell.spec_ran += 1;
        if file.is_passed() || baseline.only_outdated_failures(file) {
            cell.spec_passed += 1;
        } else {
            cell.failing_files.push(file.path.to_string());
        }
    }
    // Components: the component-model suite runs once fetched
    // (scripts/component-testsuite); its committed baseline says which of
    // its files fail on this backend (wasmtime's own component model behind
    // wasm-run's API ran as `wasmtime-native`).
    let suite_name = match row {
        Row::ComponentModel => Some(engine.name().to_string()),
        Row::ComponentModelNative => Some(format!("{}-native", engine.name())),
        _ => None,
    };
    if let Some(suite_name) = suite_name {
        let failing = crate::baseline::component_failing_files(&suite_name);
        cell.spec_ran = failing.total;
        cell.spec_passed = failing.total.saturating_sub(failing.files.len());
        cell.failing_files = failing.files;
    }
    let spec_ok = cell.spec_passed == cell.spec_ran;
    cell.status = match (&cell.probe, spec_ok) {
        (ProbeOutcome::Passed, true) => Status::Supported,
        (ProbeOutcome::None, true) if cell.spec_ran > 0 => Status::Supported,
        (ProbeOutcome::None, true) => match row {
            Row::WasiP1 => {
                cell.why =
                    "not measured: no WASI probe was supplied (matrix::Hooks::wasi_p1)".into();
                Status::Unsupported
            }
            Row::Async => {
                cell.why =
                    "not measured: no async probe was supplied (matrix::Hooks::async_calls)".into();
                Status::Unsupported
            }
            Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
                cell.why = "wasm-run provides no host implementation".into();
                Status::Unsupported
            }
            _ => {
                cell.why = format!("{} claims it, but there is no probe", engine.name());
                Status::NotApplicable
            }
        },
        _ => Status::Partial,
    };
    if cell.status == Status::Partial {
        let mut why = Vec::new();
        if let ProbeOutcome::Error(ProbeError::Failed(e)) = &cell.probe {
            why.push(format!("probe: {e}"));
        }
        if !cell.failing_files.is_empty() {
            why.push(format!(
                "failing spec files: {}",
                cell.failing_files.join(", ")
            ));
        }
        cell.why = why.join("; ");
    }
    cell
}

impl Matrix {
    /// The cell of `row` in the column of `engine`.
    pub fn cell(&self, engine: &str, row: Row) -> Option<&Cell> {
        self.columns
            .iter()
            .find(|c| c.engine == engine)
            .and_then(|c| c.cells.iter().find(|x| x.row == row))
    }
}
