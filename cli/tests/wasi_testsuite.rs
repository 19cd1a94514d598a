//! The official WASI preview 1 test suite (WebAssembly/wasi-testsuite)
//! through `wasm-run run`, as a subprocess, on every backend of this build.
//!
//! The suite's programs are not part of this repository: `scripts/wasi-testsuite`
//! fetches its prebuilt branch (`prod/testsuite-base`) into
//! `target/wasi-testsuite` and runs this test with `WASI_TESTSUITE` set to it.
//! Without `WASI_TESTSUITE` the test prints why it did nothing and passes, so
//! that `cargo test --workspace` needs no network.
//!
//! Each `*.wasm` of `tests/{c,rust,assemblyscript}/testsuite/wasm32-wasip1`
//! runs with the arguments, environment and root directory of its `.json`
//! specification (the suite's legacy form: `args`, `env`, `root`,
//! `exit_code`, `stdout`, `stderr`); the exit code must match, and stdout and
//! stderr must begin with the expected text where one is given, as the
//! suite's own runner checks. The root directory is copied to a fresh
//! directory for every run, so runs do not see each other's files and the
//! suite stays untouched.
//!
//! With `WASI_TESTSUITE_P2` set, the programs are the same made command
//! components with wasmtime 48's preview 1 command adapter (`scripts/
//! wasi-testsuite --p2` makes them), so they run through wasm-run's own WASI
//! preview 2 host; the programs in [`P2_EXPECTED_FAILURES`] fail there (and
//! with wasmtime-wasi's preview 2 host the same way).

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Programs that fail as command components, on every backend, and with
/// wasmtime-wasi's own preview 2 host too (measured: the same four): limits
/// of the preview 1 adapter route, not of the host.
const P2_EXPECTED_FAILURES: &[(&str, &str)] = &[
    (
        "assemblyscript/testsuite/wasm32-wasip1/args_get-multiple-arguments.wasm",
        "the adapter's own state check fails (\"assertion failed at adapter line 2858\")",
    ),
    (
        "assemblyscript/testsuite/wasm32-wasip1/environ_get-multiple-variables.wasm",
        "the adapter's own state check fails (\"assertion failed at adapter line 2858\")",
    ),
    (
        "assemblyscript/testsuite/wasm32-wasip1/fd_write-to-invalid-fd.wasm",
        "the adapter answers a write to an unknown descriptor differently from preview 1",
    ),
    (
        "assemblyscript/testsuite/wasm32-wasip1/proc_exit-failure.wasm",
        "WASI 0.2's exit carries success or failure only: 33 becomes 1",
    ),
];

/// Programs whose output depends on the guest's randomness (a Rust
/// `HashMap` printed in its seeded iteration order): the differential check
/// compares their stdout as a multiset of bytes.
const RANDOM_ORDER: &[&str] = &["rust/testsuite/wasm32-wasip1/poll_oneoff_stdio.wasm"];

/// Whether `wasm` is a component binary (layer 1 in its header).
fn is_component(wasm: &Path) -> bool {
    std::fs::read(wasm).is_ok_and(|b| b.get(4..8) == Some(&[0x0d, 0x00, 0x01, 0x00]))
}

/// The suite's test programs, sorted.
fn programs(suite: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lang in ["c", "rust", "assemblyscript"] {
        let dir = suite
            .join("tests")
            .join(lang)
            .join("testsuite/wasm32-wasip1");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!(
                "{} is not a wasi-testsuite checkout: no {}",
                suite.display(),
                dir.display()
            );
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "wasm") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Copies `from` to `to` recursively, keeping symbolic links as links and
/// leaving out the suite's `*.cleanup` leftovers.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name.to_string_lossy().ends_with(".cleanup") {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ty = e.file_type().unwrap();
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if ty.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// What one run did: its exit status, stdout, stderr and the files left in
/// its root directory (path, then the contents, `<dir>` or `-> target`).
#[derive(Debug, PartialEq)]
struct Observed {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    files: Vec<(String, String)>,
}

/// The tree under `dir`, sorted.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.strip_prefix(root).unwrap().display().to_string();
            let Ok(ty) = e.file_type() else { continue };
            if ty.is_symlink() {
                let target = std::fs::read_link(&p).map(|t| t.display().to_string());
                out.push((name, format!("-> {}", target.unwrap_or_default())));
            } else if ty.is_dir() {
                out.push((name, "<dir>".into()));
                walk(root, &p, out);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Runs one program on `engine`: what it did, and `Err` saying what did
/// not match its specification.
fn run_one(
    engine: &str,
    options: &[&str],
    wasm: &Path,
    scratch: &Path,
) -> (Option<Observed>, Result<(), String>) {
    let spec: Value = match std::fs::read_to_string(wasm.with_extension("json")) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(spec) => spec,
            Err(e) => return (None, Err(format!("bad spec: {e}"))),
        },
        Err(_) => Value::Object(Default::default()),
    };
    if spec.get("operations").is_some() {
        return (
            None,
            Err("operation-based specifications are not supported by this runner".into()),
        );
    }
    let mut cmd = common::bin();
    cmd.args(["run", "--engine", engine]);
    // wasmtime-wasi's preview 2 reference runs without wasm-run's controls.
    if !options.contains(&"engine-wasi") || !is_component(wasm) {
        cmd.args(["--timeout", "60s"]);
    }
    cmd.args(options);
    if let Some(env) = spec.get("env").and_then(Value::as_object) {
        for (k, v) in env {
            cmd.arg("--env")
                .arg(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    if let Some(root) = spec.get("root").and_then(Value::as_str) {
        let _ = std::fs::remove_dir_all(scratch);
        copy_tree(&wasm.parent().unwrap().join(root), scratch);
        cmd.arg("--dir").arg(format!("{}::/", scratch.display()));
    }
    cmd.arg(wasm).arg("--");
    if let Some(args) = spec.get("args").and_then(Value::as_array) {
        cmd.args(args.iter().map(|a| a.as_str().unwrap_or_default()));
    }
    let out = match cmd.stdin(Stdio::piped()).output() {
        Ok(out) => out,
        Err(e) => return (None, Err(format!("spawn: {e}"))),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let observed = Observed {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: stderr.clone().into_owned(),
        files: if spec.get("root").is_some() {
            snapshot(scratch)
        } else {
            Vec::new()
        },
    };
    let mut wrong = Vec::new();
    let want = spec.get("exit_code").and_then(Value::as_i64).unwrap_or(0);
    if out.status.code().map(i64::from) != Some(want) {
        wrong.push(format!(
            "exit status {:?}, expected {want}",
            out.status.code()
        ));
    }
    for (name, got) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some(want) = spec.get(name).and_then(Value::as_str)
            && !got.starts_with(want.as_bytes())
        {
            wrong.push(format!(
                "{name} {:?}, expected {want:?}",
                String::from_utf8_lossy(got)
            ));
        }
    }
    let verdict = if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n    stderr: {}",
            wrong.join("; "),
            stderr.trim()
        ))
    };
    (Some(observed), verdict)
}

#[test]
fn official_wasi_testsuite_passes_on_every_backend() {
    let Some(suite) = std::env::var_os("WASI_TESTSUITE") else {
        println!(
            "skipped: WASI_TESTSUITE is not set (scripts/wasi-testsuite fetches the suite and runs this test)"
        );
        return;
    };
    let suite = PathBuf::from(suite);
    let programs = programs(&suite);
    assert!(
        programs.len() >= 50,
        "only {} programs in {}",
        programs.len(),
        suite.display()
    );
    let scratch =
        std::env::temp_dir().join(format!("wasm-run-wasi-testsuite-{}", std::process::id()));
    let mut failures = Vec::new();
    let p2 = std::env::var_os("WASI_TESTSUITE_P2").is_some();
    // wasm-run's WASI on every backend, and wasmtime-wasi (`-W
    // engine-wasi`: its preview 1, or its preview 2 on wasmtime's own
    // component model), the reference.
    let mut runs: Vec<(&str, &[&str])> = common::backends().iter().map(|e| (*e, &[][..])).collect();
    if common::backends().contains(&"wasmtime") {
        if p2 {
            // The CLI runs components on wasmtime's own component model;
            // wasm-run's portable one on wasmtime too.
            runs.push(("wasmtime", &["-W", "native-components=n"][..]));
        }
        runs.push(("wasmtime", &["-W", "engine-wasi"][..]));
    }
    // Every run's observations, by program, for the differential check.
    let mut seen: Vec<Vec<(String, Option<Observed>)>> =
        programs.iter().map(|_| Vec::new()).collect();
    let run_count = runs.len();
    for (engine, options) in runs {
        let label = if options.is_empty() {
            engine.to_string()
        } else {
            format!("{engine} {}", options.join(" "))
        };
        let mut passed = 0;
        for (i, wasm) in programs.iter().enumerate() {
            let (observed, verdict) = run_one(engine, options, wasm, &scratch);
            seen[i].push((label.clone(), observed));
            match verdict {
                Ok(()) => passed += 1,
                Err(why) => failures.push(format!(
                    "{label}: {}: {why}",
                    wasm.strip_prefix(&suite).unwrap_or(wasm).display()
                )),
            }
        }
        println!("{label}: {passed} of {} programs passed", programs.len());
    }
    // Differential: every run of a program agrees with the first on exit
    // status, stdout, stderr and the files left in its directory.
    let mut disagreements = Vec::new();
    let unordered = |o: &Option<Observed>| {
        o.as_ref().map(|o| {
            let mut bytes = o.stdout.clone().into_bytes();
            bytes.sort_unstable();
            (o.status, bytes, o.stderr.clone(), o.files.clone())
        })
    };
    for (wasm, runs) in programs.iter().zip(&seen) {
        let Some((first, reference)) = runs.first() else {
            continue;
        };
        let random = RANDOM_ORDER.iter().any(|p| wasm.ends_with(p));
        for (label, observed) in &runs[1..] {
            let agree = if random {
                unordered(observed) == unordered(reference)
            } else {
                observed == reference
            };
            if !agree {
                disagreements.push(format!(
                    "{}: {label} {observed:?}\n  vs {first} {reference:?}",
                    wasm.strip_prefix(&suite).unwrap_or(wasm).display()
                ));
            }
        }
    }
    println!(
        "differential: {} programs x {} runs, {} disagreements",
        programs.len(),
        seen.first().map_or(0, Vec::len),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "the runs disagree:\n{}",
        disagreements.join("\n")
    );
    let _ = std::fs::remove_dir_all(&scratch);
    if p2 {
        // Exactly the expected failures, on every backend.
        let unexpected: Vec<&String> = failures
            .iter()
            .filter(|f| !P2_EXPECTED_FAILURES.iter().any(|(p, _)| f.contains(p)))
            .collect();
        assert!(
            unexpected.is_empty(),
            "unexpected failures:\n{unexpected:#?}"
        );
        for (program, why) in P2_EXPECTED_FAILURES {
            let n = failures.iter().filter(|f| f.contains(program)).count();
            assert_eq!(n, run_count, "{program} ({why}) now passes somewhere");
        }
        return;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
