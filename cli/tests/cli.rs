//! The `wasm-run` binary, tested as a user runs it: as a subprocess.

mod common;

use common::{bin, run};
use std::path::PathBuf;
use std::process::Output;

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/fib.wat").to_string()
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
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "fib",
            &example(),
            "10000000",
        ]);
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
        assert_eq!(stdout(&o), format!("{}\n", fib(10_000_000)), "{engine}");
    }
}

// ------------------------------------------------------------ WASI programs

fn wasi_fixture(name: &str) -> String {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine-conformance/fixtures/wasi/"
    );
    let wasm = format!("{dir}{name}.wasm");
    if std::path::Path::new(&wasm).exists() {
        wasm
    } else {
        format!("{dir}{name}.wat")
    }
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasm-run");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn readme_example_greets() {
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hello.wasm");
    let o = run(&["run", hello, "wasm-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Hello, wasm-run!\n");
    let o = run(&["run", "--env", "GREETING=Hi", hello, "Ada", "Grace"]);
    assert_eq!(stdout(&o), "Hi, Ada!\nHi, Grace!\n");
}

#[test]
fn wasi_exit_code_is_the_process_exit_code() {
    for engine in wasm_run::BACKENDS {
        for code in [0, 1, 42] {
            let o = run(&[
                "run",
                "--engine",
                engine,
                &wasi_fixture("exit"),
                &code.to_string(),
            ]);
            assert_eq!(o.status.code(), Some(code), "{engine}: {}", stderr(&o));
            assert_eq!(stdout(&o), format!("exiting with {code}\n"), "{engine}");
            assert_eq!(stderr(&o), "", "{engine}");
        }
    }
}

#[test]
fn wasi_stdio_is_inherited() {
    for engine in wasm_run::BACKENDS {
        let o = run(&["run", "--engine", engine, &wasi_fixture("hello")]);
        assert!(o.status.success(), "{engine}");
        assert_eq!(stdout(&o), "Hello, world!\n", "{engine}");
        assert_eq!(stderr(&o), "Hello, stderr!\n", "{engine}");

        let input: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let o = run_with_stdin(&["run", "--engine", engine, &wasi_fixture("cat")], &input);
        assert!(o.status.success(), "{engine}");
        assert_eq!(o.stdout, input, "{engine}");
        assert_eq!(stderr(&o), "50000 bytes\n", "{engine}");
    }
}

#[test]
fn wasi_args_and_env() {
    for engine in wasm_run::BACKENDS {
        let file = wasi_fixture("echo");
        let o = run(&[
            "run", "--engine", engine, "--env", "A=1", "--env", "B=x=y", &file, "one", "--two",
            "-3",
        ]);
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "argc=4\nargv[0]={file}\nargv[1]=one\nargv[2]=--two\nargv[3]=-3\n\
                 env[0]=A=1\nenv[1]=B=x=y\nenvc=2\n"
            ),
            "{engine}"
        );
    }
}

#[test]
fn wasi_dir_is_preopened() {
    for engine in wasm_run::BACKENDS {
        let dir =
            std::env::temp_dir().join(format!("wasm-run-cli-dir-{}-{engine}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let spec = format!("{}::/sandbox", dir.display());
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--dir",
            &spec,
            &wasi_fixture("files"),
        ]);
        assert!(o.status.success(), "{engine}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).ends_with("readdir /sandbox: dir kept.txt\ndone\n"),
            "{engine}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("kept.txt")).unwrap(),
            "kept by the guest\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("dir/nested.txt")).unwrap(),
            "nested\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();

        // Without a preopen the program cannot touch the file system.
        let o = run(&["run", "--engine", engine, &wasi_fixture("files")]);
        assert_eq!(o.status.code(), Some(1), "{engine}");
        assert_eq!(stdout(&o), "FAIL create: ENOTCAPABLE\n", "{engine}");
    }
}

#[test]
fn wasi_trap_prints_the_trap_and_exits_134() {
    for engine in wasm_run::BACKENDS {
        let o = run(&["run", "--engine", engine, &wasi_fixture("exit"), "trap"]);
        assert_eq!(o.status.code(), Some(134), "{engine}");
        assert_eq!(stdout(&o), "about to trap\n", "{engine}");
        assert_eq!(stderr(&o), "error: wasm trap: unreachable\n", "{engine}");

        let o = run(&[
            "run",
            "--engine",
            engine,
            "--fuel",
            "100",
            &wasi_fixture("hello"),
        ]);
        assert_eq!(o.status.code(), Some(134), "{engine}");
        assert_eq!(stdout(&o), "", "{engine}");
        assert_eq!(
            stderr(&o),
            "error: wasm trap: all fuel consumed\n",
            "{engine}"
        );
        let o = run(&[
            "run",
            "--engine",
            engine,
            "--fuel",
            "10000000",
            &wasi_fixture("hello"),
        ]);
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
    }
}

#[test]
fn wasi_invoke_after_initialize() {
    for engine in wasm_run::BACKENDS {
        let reactor = wasi_fixture("reactor");
        let o = run(&[
            "run", "--engine", engine, "--invoke", "add", &reactor, "2", "-5",
        ]);
        assert_eq!(stdout(&o), "-3\n", "{engine}: {}", stderr(&o));
        let o = run(&["run", "--engine", engine, "--invoke", "greet", &reactor]);
        assert_eq!(
            stdout(&o),
            "hello from the reactor (initialized=1)\n",
            "{engine}"
        );
        let o = run(&["run", "--engine", engine, "--invoke", "quit", &reactor, "7"]);
        assert_eq!(o.status.code(), Some(7), "{engine}");
        assert_eq!(stdout(&o), "quitting with 7\n", "{engine}");
    }
}

#[test]
fn wasi_bad_input_fails_before_the_program_starts() {
    let file = temp_file("not-a-dir.txt", b"x");
    let hello = wasi_fixture("hello");
    let file_dir = format!("{}::/x", file.display());
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["run", "--dir", "/nonexistent/dir", &hello],
            "error: preopened directory `/nonexistent/dir` does not exist\n".into(),
        ),
        (
            vec!["run", "--dir", &file_dir, &hello],
            format!(
                "error: preopened directory `{}` is not a directory\n",
                file.display()
            ),
        ),
        (
            vec!["run", "--env", "NO_EQUALS", &hello],
            "error: invalid environment entry `NO_EQUALS`: expected KEY=VALUE\n".into(),
        ),
    ];
    let bad_import = wasi_fixture("bad_import");
    let mut cases = cases;
    cases.push((
        vec!["run", &bad_import],
        "error: the module imports `wasi_snapshot_preview1::fd_frobnicate`, which is not a WASI preview 1 function\n".into(),
    ));
    for engine in wasm_run::BACKENDS {
        for (args, expect) in &cases {
            let mut args = args.clone();
            args.splice(1..1, ["--engine", engine]);
            let o = run(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}");
            assert_eq!(stdout(&o), "", "{args:?}: the program ran");
            assert_eq!(&stderr(&o), expect, "{args:?}");
        }
    }
}

/// The most frequent words of `text` the way `wordfreq` defines them
/// (ASCII letters, optionally one apostrophe followed by letters; lower-cased;
/// by count descending, then word), computed here independently.
fn word_counts(text: &str, n: usize) -> String {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    let mut total = 0;
    for line in text.lines() {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'\'' && b[i + 1].is_ascii_alphabetic() {
                i += 1;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
            *counts
                .entry(line[start..i].to_ascii_lowercase())
                .or_default() += 1;
            total += 1;
        }
    }
    let mut all: Vec<(String, usize)> = counts.iter().map(|(w, c)| (w.clone(), *c)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out: String = all
        .iter()
        .take(n)
        .map(|(w, c)| format!("{c} {w}\n"))
        .collect();
    out.push_str(&format!("total {total} distinct {}\n", counts.len()));
    out
}

/// A real C++ program (libc++ iostream, regex and containers; ~290 KB of
/// wasm, the module of the compile and cache benches) reads stdin and
/// prints the same word counts on every engine.
#[test]
fn real_cpp_program_counts_words_on_every_engine() {
    let wordfreq = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/programs/wordfreq.wasm"
    );
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "The quick brown fox {} jumps over the lazy dog's back; it's line {i}.\n",
            ["again", "twice", "once"][i % 3]
        ));
    }
    let expected = word_counts(&text, 5);
    assert!(expected.starts_with("400 the\n"), "{expected}");
    for engine in common::backends() {
        let o = run_with_stdin(&["run", "--engine", engine, wordfreq, "5"], text.as_bytes());
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
        assert_eq!(stdout(&o), expected, "{engine}");
        let o = run_with_stdin(&["run", "--engine", engine, wordfreq, "x"], b"");
        assert_eq!(o.status.code(), Some(2), "{engine}: a bad argument");
        assert!(
            stderr(&o).contains("N must be a non-negative number"),
            "{engine}: {}",
            stderr(&o)
        );
    }
}

/// A module that makes wasmi 2.0.0's translator panic (a store whose address
/// and value are the same local, offset >= 65536; tests/engine_bugs.rs) is an
/// error with exit code 1 on wasmi, not a crash (exit 101); wasmtime runs it.
#[test]
fn engine_panic_is_an_error_not_a_crash() {
    let wat = temp_file(
        "store_same.wat",
        br#"(module (memory 3)
  (func (export "f") (param i32) (result i32) (local i32)
    local.get 0 i32.const 1 i32.add local.tee 1
    local.get 1
    i32.store offset=100000
    local.get 1 i32.load offset=100000))"#,
    );
    let wat = wat.to_str().unwrap();
    for engine in &common::backends() {
        // Not `run`: wasmi's panic message reaches stderr (Rust's panic hook)
        // before wasm-run turns the panic into an error.
        let o = bin()
            .args(["run", "--engine", engine, "--invoke", "f", wat, "4"])
            .output()
            .unwrap();
        if *engine == "wasmi" {
            assert_eq!(o.status.code(), Some(1), "wasmi: {}", stderr(&o));
            assert!(
                stderr(&o)
                    .contains("error: engine panicked: internal error: entered unreachable code"),
                "wasmi: {}",
                stderr(&o)
            );
        } else {
            assert!(o.status.success(), "{engine}: {}", stderr(&o));
            assert_eq!(stdout(&o).trim(), "5", "{engine}");
        }
    }
}
