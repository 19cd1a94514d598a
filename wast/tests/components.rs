//! The runner's component directives on every backend, with a script
//! written here (tests/fixtures/component/wast/smoke.wast): components,
//! definitions and their instances, the `host` instance, component values
//! in and out, traps, invalid, malformed and unlinkable components. The
//! component-model suites themselves run in
//! engine-conformance/tests/spec_suite/components.rs once fetched.

use wasm_run_api::{Config, Engine};
use wasm_run_wast::{FileStatus, run_wast};

fn smoke<E: Engine>(make: &dyn Fn(&Config) -> wasm_run_api::Result<E>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component/wast/smoke.wast");
    let source = std::fs::read_to_string(&path).unwrap();
    let report = run_wast(make, &Config::new(), "smoke.wast", &source);
    assert_eq!(report.status, FileStatus::Ran, "{report}");
    assert_eq!(
        (report.failed, report.skipped),
        (0, 0),
        "{report}\n{:?}",
        report.skips
    );
    // Every directive of the script ran and passed.
    assert_eq!(report.passed, 26, "{report}");
}

#[test]
fn component_directives_on_wasmi() {
    smoke(&|c| wasm_run_wasmi::Wasmi::new(c));
}

#[test]
fn component_directives_on_wasmtime() {
    smoke(&|c| wasm_run_wasmtime::Wasmtime::new(c));
}

/// A wrong expectation fails (the comparison is real).
#[test]
fn a_wrong_component_result_fails() {
    let script = r#"
        (component
          (core module $m (func (export "f") (result i32) i32.const 7))
          (core instance $i (instantiate $m))
          (func (export "f") (result u32) (canon lift (core func $i "f"))))
        (assert_return (invoke "f") (u32.const 8))
        (assert_return (invoke "f") (u32.const 7))
        (assert_trap (invoke "f") "unreachable")
    "#;
    let report = run_wast(
        &|c| wasm_run_wasmi::Wasmi::new(c),
        &Config::new(),
        "wrong.wast",
        script,
    );
    assert_eq!((report.passed, report.failed), (2, 2), "{report}");
}
