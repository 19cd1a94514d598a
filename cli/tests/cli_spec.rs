//! `wasm-run spec` and `wasm-run features --matrix`, run as a user runs them:
//! as subprocesses, on the fixtures in tests/fixtures/spec/.

mod common;

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_wasm-run"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("spawn wasm-run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "wasm-run panicked: {stderr}");
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const PASS: &str = "tests/fixtures/spec/pass.wast";
const FAIL: &str = "tests/fixtures/spec/fail.wast";

#[test]
fn a_passing_file_passes_on_every_backend() {
    for engine in wasm_run::BACKENDS {
        let out = run(&["spec", "--engine", engine, PASS]);
        assert_eq!(out.status.code(), Some(0), "{engine}: {out:?}");
        assert_eq!(
            stdout(&out),
            format!("PASS {PASS} (6 passed, 0 failed, 0 skipped)\n1 passed, 0 failed, 0 skipped\n"),
            "{engine}"
        );
    }
}

#[test]
fn a_wrong_assertion_fails_with_file_line_and_reason() {
    for engine in wasm_run::BACKENDS {
        let out = run(&["spec", "--engine", engine, FAIL, PASS]);
        assert_eq!(out.status.code(), Some(1), "{engine}: {out:?}");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                &format!("FAIL {FAIL} (2 passed, 2 failed, 0 skipped)")[..],
                &format!(
                    "{FAIL}:6: assert_return: wrong result: result 0: expected (i32.const 5), got I32(4)"
                ),
                &format!(
                    "{FAIL}:8: assert_trap: expected trap, returned: expected `unreachable`, returned [I32(1)]"
                ),
                &format!("PASS {PASS} (6 passed, 0 failed, 0 skipped)"),
                "1 passed, 1 failed, 0 skipped",
            ],
            "{engine}"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("1 file(s) failed"));
    }
}

#[test]
fn a_directory_is_searched_for_wast_files() {
    let out = run(&["spec", "tests/fixtures/spec"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    let heads: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL "))
        .collect();
    assert_eq!(
        heads,
        [
            "FAIL tests/fixtures/spec/fail.wast (2 passed, 2 failed, 0 skipped)",
            "PASS tests/fixtures/spec/more/simd.wast (2 passed, 0 failed, 0 skipped)",
            "PASS tests/fixtures/spec/pass.wast (6 passed, 0 failed, 0 skipped)",
        ]
    );
    assert_eq!(text.lines().last(), Some("2 passed, 1 failed, 0 skipped"));
}

#[test]
fn bad_input_is_a_one_line_error() {
    for args in [
        &["spec", "tests/fixtures/spec/missing.wast"][..],
        &["spec", "--engine", "nope", PASS],
        &["spec", "--enable", "no-such-feature", PASS],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    // A disabled feature the file needs makes it fail.
    let out = run(&["spec", "--disable", "simd", "tests/fixtures/spec/more"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

/// What `features --matrix` prints is the committed docs/FEATURES.md (which
/// has a column per backend, so both must be compiled in).
#[cfg(all(feature = "wasmtime", feature = "wasmi"))]
#[test]
fn features_matrix_prints_the_committed_table() {
    let out = run(&["features", "--matrix"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FEATURES.md"))
            .expect("docs/FEATURES.md");
    assert_eq!(
        stdout(&out),
        committed,
        "`wasm-run features --matrix` differs from docs/FEATURES.md; regenerate it with \
         `FEATURES_BLESS=1 cargo test -p wasm-run-conformance --test spec_suite`"
    );
}

#[cfg(feature = "wasmi")]
#[test]
fn features_matrix_json_for_one_backend() {
    let out = run(&["features", "--matrix", "--json", "--engine", "wasmi"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["engines"][0]["name"], "wasmi");
    assert_eq!(doc["engines"].as_array().map(Vec::len), Some(1));
    let rows = doc["rows"].as_array().expect("rows");
    let cell = |row: &str| {
        rows.iter()
            .find(|r| r["row"] == row)
            .unwrap_or_else(|| panic!("row {row}"))["cells"]["wasmi"]
            .clone()
    };
    assert_eq!(cell("multi_value")["status"], "supported");
    assert_eq!(cell("multi_value")["probe"], "passed");
    assert_eq!(cell("garbage_collection")["status"], "unsupported");
    assert!(cell("simd")["spec_ran"].as_u64().unwrap() > 50);
    assert_eq!(cell("deadline")["status"], "supported");
    assert_eq!(cell("interrupt")["probe"], "passed");
    assert_eq!(cell("nan_canonicalization")["status"], "unsupported");
    assert_eq!(rows.len(), wasm_run_conformance::matrix::Row::ALL.len());
}

/// Scripts written the way the engines' own suites are: `;;!` feature
/// headers, named modules imported by name, engine trap wording.
#[test]
fn engine_style_scripts() {
    let dir = "tests/fixtures/engine-suite";
    for engine in common::backends() {
        let out = run(&["spec", "--engine", engine, dir]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = |file: &str| {
            text.lines()
                .find(|l| {
                    ["PASS ", "FAIL ", "SKIP "].iter().any(|v| l.starts_with(v))
                        && l.contains(&format!("{dir}/{file} ("))
                })
                .unwrap_or_else(|| panic!("{engine}: no line for {file} in\n{text}"))
                .to_string()
        };
        // The header enables simd-less validation and engine trap wording.
        assert_eq!(
            line("engine_traps.wast"),
            format!("PASS {dir}/engine_traps.wast (5 passed, 0 failed, 0 skipped)"),
            "{engine}:\n{text}"
        );
        // A proposal outside the matrix skips the file; a bad header fails it.
        assert!(
            line("not_in_matrix.wast").starts_with("SKIP"),
            "{engine}:\n{text}"
        );
        assert!(
            line("bad_header.wast").starts_with("FAIL"),
            "{engine}:\n{text}"
        );
        assert!(
            text.contains("unknown option `no_such_option`"),
            "{engine}:\n{text}"
        );
        // gc is enabled by the header: runs on wasmtime, skipped (not failed)
        // where the backend has no gc.
        let gc = line("header_gc.wast");
        if engine == "wasmtime" {
            assert_eq!(
                gc,
                format!("PASS {dir}/header_gc.wast (4 passed, 0 failed, 0 skipped)"),
                "{text}"
            );
        } else {
            assert!(gc.starts_with("SKIP"), "{engine}: {gc}");
        }
        // `thread`/`wait`: two threads count to 12000 in a shared memory; a
        // third thread's wrong assertion is reported at its own line.
        let threads = line("threads_counter.wast");
        if engine == "wasmtime" {
            assert_eq!(
                threads,
                format!("FAIL {dir}/threads_counter.wast (16 passed, 1 failed, 0 skipped)"),
                "{text}"
            );
            assert!(
                text.contains(&format!("{dir}/threads_counter.wast:39: assert_return")),
                "{text}"
            );
        } else {
            assert!(threads.starts_with("SKIP"), "{engine}: {threads}");
        }
        assert_eq!(
            out.status.code(),
            Some(1),
            "{engine}: the bad header fails the run"
        );
    }
}
