//! The component-model conformance tests through wasm-run's portable
//! component model on every backend, and through wasmtime's own component
//! model behind wasm-run's API (`wasmtime-native`), checked against the
//! committed baselines (`engine-conformance/baseline/components-<engine>.txt`).
//!
//! The tests are not committed: `scripts/component-testsuite` fetches the
//! `test/` directory of WebAssembly/component-model (the commit wasmtime 48
//! tests with) and wasmtime 48's `tests/misc_testsuite/component-model` into
//! `target/component-testsuite`, and runs this test with
//! `COMPONENT_TESTSUITE` set to it. Without it the test prints why it did
//! nothing and passes, so that `cargo test --workspace` needs no network.
//!
//! Run: the non-async files (the `async/` directories are the async
//! additions, which wasm-run does not run yet), each with its `;;!` header.
//! Left out, with the reason printed: [`EXCLUDED`].
//!
//! `COMPONENT_BLESS=1` rewrites the baselines from this run (keeping
//! reasons; new failures are marked `unreviewed:` and fail the test until a
//! person gives them a reason).

use std::path::{Path, PathBuf};

use wasm_run::{Config, Engine, Result};
use wasm_run_conformance::baseline::Baseline;
use wasm_run_conformance::spec::SuiteReport;
use wasm_run_wast::{FileReport, FileStatus, Header, run_wast};

/// Files not run, and why.
const EXCLUDED: &[(&str, &str)] = &[(
    "wasmtime-misc/big-strings.wast",
    "passes strings of up to 4 GiB between components: wasm-run's \
     component-to-component calls copy a string through the host, so the \
     file needs gigabytes and minutes (wasmtime transcodes in place and its \
     harness marks the file `hogs_memory`)",
)];

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "async") {
                continue;
            }
            collect(&p, root, out);
        } else if rel.ends_with(".wast") && !EXCLUDED.iter().any(|(f, _)| *f == rel) {
            out.push((rel, p));
        }
    }
}

fn run_files<E: Engine>(
    engine: &str,
    make: &dyn Fn(&Config) -> Result<E>,
    files: &[(String, PathBuf)],
) -> SuiteReport {
    let mut reports = Vec::with_capacity(files.len());
    for (name, path) in files {
        let source = std::fs::read_to_string(path).unwrap();
        let whole = |status| FileReport {
            status,
            ..FileReport::new(name)
        };
        // wasmtime's own test files test wasmtime's behaviour: they run
        // with its load-time restrictions, as wasmtime's runner has them.
        let wasmtime_file = name.starts_with("wasmtime-misc/") || name.contains("/wasmtime/");
        let config = |mut c: Config| {
            c.component_model_wasmtime_restrictions(wasmtime_file);
            c
        };
        let report = match Header::parse(&source) {
            Some(Err(e)) => whole(FileStatus::SetupError(format!("bad `;;!` header: {e}"))),
            Some(Ok(h)) if h.not_in_matrix.is_some() => {
                whole(FileStatus::NotInMatrix(h.not_in_matrix.unwrap_or_default()))
            }
            Some(Ok(h)) => run_wast(&make, &config(h.config(&[])), name, &source),
            None => run_wast(&make, &config(Config::new()), name, &source),
        };
        reports.push(report);
    }
    SuiteReport {
        engine: engine.into(),
        files: reports,
    }
}

/// Runs the files on backend `$name` into `$out`, and again as
/// `<name>-native` with the backend's own component model behind wasm-run's
/// API where it has one (wasmtime's: `Config::native_components`).
macro_rules! run_backend {
    ($name:ident, $B:ty, $files:ident, $out:ident) => {
        let name = stringify!($name);
        $out.push(run_files(name, &<$B as Engine>::new, &$files));
        let native = |c: &Config| <$B as Engine>::new(c.clone().native_components(true));
        let has_native = native(&Config::new()).is_ok_and(|e| {
            !matches!(
                wasm_run_component::Component::new(&e, "(component)"),
                Err(wasm_run::Error::Unsupported { .. })
            )
        });
        if has_native {
            $out.push(run_files(&format!("{name}-native"), &native, &$files));
        }
    };
}

fn baseline_path(engine: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("baseline")
        .join(format!("components-{engine}.txt"))
}

const HEADER: &str = "\
# Component-model conformance baseline of ENGINE (`wasmtime-native` is
# wasmtime's own component model behind wasm-run's API; the others run
# wasm-run's portable component model): WebAssembly/component-model `test/`
# at the commit wasmtime 48 uses and wasmtime 48's
# tests/misc_testsuite/component-model, without the async files
# (scripts/component-testsuite fetches and runs them).
#
# Every directive expected to fail, every file expected to be skipped, and how
# many directives are skipped in files that run:
# engine-conformance/tests/spec_suite/components.rs fails on any difference. Regenerate
# with COMPONENT_BLESS=1 scripts/component-testsuite (reasons are kept; new
# failures are marked `unreviewed:`). Format: see src/baseline.rs.
";

fn check(report: &SuiteReport) -> std::result::Result<(), String> {
    let engine = report.engine.as_str();
    let path = baseline_path(engine);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut expected = Baseline::parse(&text).map_err(|e| format!("{}: {e:?}", path.display()))?;
    if std::env::var_os("COMPONENT_BLESS").is_some() {
        expected = expected.bless(report);
        // The spec suite's header, replaced by this suite's.
        let body: String = expected
            .render(engine)
            .lines()
            .skip_while(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let ran = report.files.len() - report.files_skipped();
        std::fs::write(
            &path,
            format!(
                "{}# files run: {ran}\n{body}",
                HEADER.replace("ENGINE", engine)
            ),
        )
        .map_err(|e| e.to_string())?;
        eprintln!("component suite: blessed {}", path.display());
    }
    let cmp = expected.compare(report);
    let unreviewed = expected.unreviewed();
    if !cmp.is_clean() {
        return Err(format!("{engine}: differs from the baseline\n{cmp}"));
    }
    if !unreviewed.is_empty() {
        return Err(format!(
            "{engine}: {} baseline entries are unreviewed",
            unreviewed.len()
        ));
    }
    Ok(())
}

#[test]
fn component_model_suite_matches_the_baselines() {
    let Some(root) = std::env::var_os("COMPONENT_TESTSUITE") else {
        println!(
            "skipped: COMPONENT_TESTSUITE is not set (scripts/component-testsuite fetches the tests and runs this test)"
        );
        return;
    };
    let root = PathBuf::from(root);
    let mut files = Vec::new();
    for sub in ["component-model", "wasmtime-misc"] {
        collect(&root.join(sub), &root, &mut files);
    }
    assert!(!files.is_empty(), "no .wast files under {}", root.display());
    for (file, why) in EXCLUDED {
        eprintln!("component suite: not run: {file}: {why}");
    }
    let mut reports = Vec::new();
    wasm_run::for_each_backend!(run_backend, files, reports);
    let mut problems = Vec::new();
    for r in &reports {
        eprintln!(
            "component suite on {}: {} files: {} passed, {} failed, {} skipped; directives: {} passed, {} failed, {} skipped",
            r.engine,
            r.files.len(),
            r.files_passed(),
            r.files_failed(),
            r.files_skipped(),
            r.directives_passed(),
            r.directives_failed(),
            r.directives_skipped(),
        );
        if std::env::var_os("COMPONENT_VERBOSE").is_some() {
            for f in r.files.iter().filter(|f| f.failed > 0) {
                eprintln!("{f}");
            }
            for f in &r.files {
                for s in &f.skips {
                    eprintln!(
                        "  skipped {}:{} {}: {}",
                        f.path, s.line, s.directive, s.reason
                    );
                }
            }
        }
        if let Err(e) = check(r) {
            problems.push(e);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
