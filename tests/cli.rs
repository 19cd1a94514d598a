//! The `wasm-run` binary, tested as a user runs it: as a subprocess.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wasm-run"))
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fib.wat").to_string()
}

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("spawn wasm-run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "wasm-run panicked: {stderr}");
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-run-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Fibonacci computed here, to compare against what the guest prints.
fn fib(n: u32) -> i64 {
    let (mut a, mut b) = (0i64, 1i64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

#[test]
fn invoke_prints_results_on_every_engine() {
    for engine in wasm_run::BACKENDS {
        for n in [0u32, 1, 30, 90] {
            let o = run(&[
                "run",
                "--engine",
                engine,
                "--invoke",
                "fib",
                &example(),
                &n.to_string(),
            ]);
            assert!(o.status.success(), "{engine}: {}", stderr(&o));
            assert_eq!(stdout(&o), format!("{}\n", fib(n)), "{engine} fib({n})");
        }
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "fma",
            &example(),
            "1.5",
            "2",
            "-0.25",
        ]);
        assert_eq!(stdout(&o), "2.75\n");
    }
}

#[test]
fn default_engine_is_used_without_flag() {
    let o = run(&["run", "--invoke", "fib", &example(), "30"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "832040\n");
}

#[test]
fn trap_is_one_line_and_exit_134() {
    for engine in wasm_run::BACKENDS {
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "div",
            &example(),
            "1",
            "0",
        ]);
        assert_eq!(o.status.code(), Some(134), "{engine}");
        assert_eq!(stderr(&o), "error: wasm trap: integer divide by zero\n");
    }
}

#[test]
fn fuel_limits_the_run() {
    for engine in wasm_run::BACKENDS {
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--fuel",
            "100",
            "--invoke",
            "fib",
            &example(),
            "100000",
        ]);
        assert_eq!(o.status.code(), Some(134), "{engine}");
        assert!(stderr(&o).contains("fuel"), "{}", stderr(&o));
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--fuel",
            "100000",
            "--invoke",
            "fib",
            &example(),
            "10",
        ]);
        assert_eq!(stdout(&o), "55\n", "{engine}");
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let garbage = temp_file("garbage.wasm", b"\0asm\x01\0\0\0\xff\xff");
    let text = temp_file("bad.wat", b"(module (func (result i32) i64.const 0))");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "fib".into(),
                "/nonexistent/x.wasm".into(),
                "1".into(),
            ],
            "No such file",
        ),
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "fib".into(),
                garbage.display().to_string(),
            ],
            "compile error",
        ),
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "fib".into(),
                text.display().to_string(),
            ],
            "compile error",
        ),
        (
            vec!["run".into(), "--invoke".into(), "fib".into(), example()],
            "takes 1 argument",
        ),
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "fib".into(),
                example(),
                "1".into(),
                "2".into(),
            ],
            "takes 1 argument",
        ),
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "fib".into(),
                example(),
                "ten".into(),
            ],
            "cannot parse `ten` as i32",
        ),
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "fib".into(),
                example(),
                "99999999999".into(),
            ],
            "cannot parse",
        ),
        (
            vec!["run".into(), "--invoke".into(), "nope".into(), example()],
            "no export named `nope`",
        ),
        (
            vec![
                "run".into(),
                "--engine".into(),
                "v8".into(),
                "--invoke".into(),
                "fib".into(),
                example(),
                "1".into(),
            ],
            "unknown engine `v8`",
        ),
        (
            vec!["inspect".into(), garbage.display().to_string()],
            "compile error",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn inspect_text_and_json() {
    let o = run(&["inspect", &example()]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("module fib"));
    assert!(text.contains("  fib: func [i32] -> [i64]"), "{text}");
    assert!(text.contains("  memory: memory 1"), "{text}");

    let o = run(&["inspect", "--json", &example()]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["name"], "fib");
    assert_eq!(doc["imports"].as_array().unwrap().len(), 0);
    let exports = doc["exports"].as_array().unwrap();
    let names: Vec<&str> = exports
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["memory", "fib", "div", "fma"]);
    assert_eq!(exports[1]["type"]["params"], serde_json::json!(["i32"]));
    assert_eq!(exports[1]["type"]["results"], serde_json::json!(["i64"]));
    assert_eq!(exports[0]["type"]["minimum"], 1);
    assert_eq!(exports[0]["type"]["maximum"], serde_json::Value::Null);
}

#[test]
fn features_json_matches_the_library() {
    use wasm_run::{AnyEngine, Config, Engine, Feature};
    let o = run(&["features", "--json"]);
    assert!(o.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for name in wasm_run::BACKENDS {
        let engine = AnyEngine::by_name(name, &Config::new()).unwrap();
        for &f in Feature::ALL {
            let word = doc[name]["features"][f.name()].as_str().unwrap();
            let expect = if !engine.support(f).is_supported() {
                "unsupported"
            } else if engine.features().contains(f) {
                "enabled"
            } else {
                "opt-in"
            };
            assert_eq!(word, expect, "{name} {f}");
        }
    }
    let o = run(&["features", "--engine", "wasmi"]);
    assert!(stdout(&o).contains("wasmi 2.0"));
}

/// A long-running loop must not exhaust the native stack on any backend (wasmi
/// once did in builds with debug assertions: its dispatch relies on sibling
/// calls becoming jumps).
#[test]
fn long_loops_run_to_completion() {
    for engine in wasm_run::BACKENDS {
        let o = run(&["run", "--engine", engine, "--invoke", "fib", &example(), "10000000"]);
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
        assert_eq!(stdout(&o), format!("{}\n", fib(10_000_000)), "{engine}");
    }
}
