//! `wasm-run run --invoke FUNC --parallel ARGS_FILE`, run as a user runs it.
//! Compares the two backends, so it needs both compiled in.
#![cfg(all(feature = "wasmtime", feature = "wasmi"))]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    format!(
        "{}/../tests/fixtures/parallel/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn args_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-run-cli-parallel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `wasm-run` with `args`, feeding `stdin`.
fn wasm_run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasm-run"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasm-run");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "wasm-run panicked: {stderr}");
    out
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn one_line_per_argument_set_in_input_order_on_every_engine() {
    let mut text = String::from("# n\n");
    for n in 1..=300 {
        text += &format!("{}\n", n * 7919);
    }
    let file = args_file("collatz.txt", &text);
    let file = file.to_str().unwrap();
    let mut outputs = Vec::new();
    for engine in ["wasmtime", "wasmi"] {
        let out = wasm_run(
            &[
                "run",
                "--engine",
                engine,
                "--invoke",
                "collatz",
                "--parallel",
                file,
                &fixture("compute.wat"),
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{engine}: {out:?}");
        let got = lines(&out);
        assert_eq!(got.len(), 300, "{engine}");
        outputs.push(got);
    }
    assert_eq!(outputs[0], outputs[1], "both engines agree");
    // Spot-check against `--invoke` without --parallel (one call).
    for (i, n) in [(0, 7919), (299, 300 * 7919)] {
        let single = wasm_run(
            &[
                "run",
                "--invoke",
                "collatz",
                &fixture("compute.wat"),
                &n.to_string(),
            ],
            "",
        );
        assert_eq!(lines(&single), [outputs[0][i].clone()]);
    }
}

#[test]
fn failed_calls_print_errors_and_exit_1() {
    let file = args_file("div.txt", "84 2\n1 0\n# skipped\nx 1\n9 3\n5\n");
    let out = wasm_run(
        &[
            "run",
            "--invoke",
            "div",
            "--parallel",
            file.to_str().unwrap(),
            &fixture("compute.wat"),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got[0], "42");
    assert!(
        got[1].starts_with("error:") && got[1].contains("divide by zero"),
        "{got:?}"
    );
    assert!(got[2].starts_with("error: line 4:"), "{got:?}");
    assert_eq!(got[3], "3");
    assert!(got[4].starts_with("error: line 6:"), "{got:?}");
}

#[test]
fn shared_memory_module_from_stdin_and_refused_on_wasmi() {
    // Atomic increments on one shared memory, arguments from stdin.
    let stdin = "5000\n".repeat(8);
    for module in ["shared.wat", "atomics.wasm"] {
        let out = wasm_run(
            &[
                "run",
                "--invoke",
                "bump",
                "--parallel",
                "-",
                &fixture(module),
            ],
            &stdin,
        );
        assert_eq!(out.status.code(), Some(0), "{module}: {out:?}");
        assert_eq!(lines(&out), vec!["5000"; 8]);
        // wasmi has no threads: a typed refusal, nothing printed on stdout.
        let out = wasm_run(
            &[
                "run",
                "--engine",
                "wasmi",
                "--invoke",
                "bump",
                "--parallel",
                "-",
                &fixture(module),
            ],
            &stdin,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("threads is not supported by the wasmi engine"),
            "{stderr}"
        );
    }
}

#[test]
fn producer_consumer_pairs_finish() {
    // Consumers first, then their producers: each call gets its own thread.
    let mut stdin = String::new();
    for ch in 0..4 {
        stdin += &format!("{ch} 300 -1\n");
    }
    for ch in 0..4 {
        stdin += &format!("{} 300 -1\n", -1 - ch);
    }
    let out = wasm_run(
        &[
            "run",
            "--invoke",
            "pipe",
            "--parallel",
            "-",
            &fixture("shared.wat"),
        ],
        &stdin,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let got = lines(&out);
    assert_eq!(got[..4], vec!["45150"; 4]);
    assert_eq!(got[4..], vec!["300"; 4]);
}

#[test]
fn fuel_is_per_call_and_other_imports_are_refused() {
    let out = wasm_run(
        &[
            "run",
            "--fuel",
            "10000",
            "--invoke",
            "spin",
            "--parallel",
            "-",
            &fixture("compute.wat"),
        ],
        "10\n100000000\n20\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 3);
    assert!(got[1].contains("all fuel consumed"), "{got:?}");
    assert!(
        !got[0].starts_with("error") && !got[2].starts_with("error"),
        "{got:?}"
    );

    let wat = args_file(
        "imports.wat",
        r#"(module (import "host" "f" (func)) (func (export "g")))"#,
    );
    let out = wasm_run(
        &[
            "run",
            "--invoke",
            "g",
            "--parallel",
            "-",
            wat.to_str().unwrap(),
        ],
        "\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("host::f"), "{stderr}");
}
