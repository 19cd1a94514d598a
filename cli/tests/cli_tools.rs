//! `validate`, `print`, `parse`, `--preload` and the unknown-imports policy
//! (`-W unknown-imports-trap=y`, `-W unknown-imports-default=y`), run as a
//! user runs them: the binary as a subprocess.

mod common;

use common::{backends, run, text};
use std::path::PathBuf;

fn fixture(rel: &str) -> String {
    format!("{}/../tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-run-cli-tools-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const BAD_TYPE: &str = "(module (func (result i32) (i64.const 1)))";

#[test]
fn validate_accepts_valid_modules_on_every_backend() {
    for engine in backends() {
        for file in ["examples/fib.wat", "examples/hello.wasm"] {
            let path = format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"));
            let out = run(&["validate", "--engine", engine, &path]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{engine} {file}: {}",
                text(&out.stderr)
            );
            assert!(
                text(&out.stdout).contains(&format!("valid ({engine}")),
                "{}",
                text(&out.stdout)
            );
        }
    }
}

#[test]
fn validate_rejects_an_invalid_module_with_its_offset() {
    let wasm = wat::parse_str(BAD_TYPE).unwrap();
    let path = temp("bad.wasm");
    std::fs::write(&path, &wasm).unwrap();
    for engine in backends() {
        let out = run(&["validate", "--engine", engine, path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let err = text(&out.stderr);
        assert!(err.starts_with("error: "), "{engine}: {err}");
        assert!(
            err.contains("invalid at offset 0x"),
            "{engine}: no offset in {err}"
        );
        assert!(err.contains("type mismatch"), "{engine}: {err}");
    }
}

#[test]
fn validate_respects_feature_switches() {
    // A SIMD module is valid by default and invalid with simd disabled.
    let path = temp("simd.wat");
    std::fs::write(
        &path,
        "(module (func (result v128) (v128.const i64x2 1 2)))",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    for engine in backends() {
        assert_eq!(
            run(&["validate", "--engine", engine, p]).status.code(),
            Some(0),
            "{engine}"
        );
        let off = run(&["validate", "--engine", engine, "--disable", "simd", p]);
        assert_eq!(
            off.status.code(),
            Some(1),
            "{engine}: {}",
            text(&off.stdout)
        );
    }
    let unknown = run(&["validate", "--enable", "no-such-feature", p]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("no-such-feature"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn validate_reports_unparsable_text_and_missing_files() {
    let path = temp("broken.wat");
    std::fs::write(&path, "(module (func $f (i32.add))").unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not parse"),
        "{}",
        text(&out.stderr)
    );
    let missing = run(&["validate", "/no/such/file.wasm"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("cannot read"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn parse_then_print_round_trips() {
    let wasm = temp("fib.wasm");
    let src = format!("{}/../examples/fib.wat", env!("CARGO_MANIFEST_DIR"));
    let out = run(&["parse", &src, "-o", wasm.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bytes = std::fs::read(&wasm).unwrap();
    assert_eq!(
        bytes,
        wat::parse_file(&src).unwrap(),
        "parse wrote other bytes than wat"
    );

    let printed = run(&["print", wasm.to_str().unwrap()]);
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed.stderr));
    let wat_text = text(&printed.stdout);
    assert!(wat_text.starts_with("(module"), "{wat_text}");
    assert!(wat_text.contains("(export \"fib\""), "{wat_text}");
    // The printed text means the same module.
    assert_eq!(wat::parse_str(&wat_text).unwrap(), bytes);

    // -o writes a file; the printed file runs like the original.
    let out_wat = temp("fib-printed.wat");
    assert_eq!(
        run(&[
            "print",
            wasm.to_str().unwrap(),
            "-o",
            out_wat.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let ran = run(&["run", "--invoke", "fib", out_wat.to_str().unwrap(), "10"]);
    assert_eq!(text(&ran.stdout).trim(), "55", "{}", text(&ran.stderr));
}

#[test]
fn print_rejects_garbage() {
    let path = temp("garbage.wasm");
    std::fs::write(&path, b"\0asm\x01\0\0\0\x99\x99").unwrap();
    let out = run(&["print", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot print"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn preload_satisfies_imports_from_another_module() {
    let program = fixture("cli/bench_program.wat");
    let preload = format!("bench={}", fixture("cli/bench.wat"));
    for engine in backends() {
        let out = run(&["run", "--engine", engine, "--preload", &preload, &program]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        // `end` of the preloaded module: one `start` call + 40; then the sum 0..1000.
        assert_eq!(text(&out.stdout), "41\n499500\n", "{engine}");
    }
}

#[test]
fn without_a_provider_the_import_is_a_link_error() {
    let program = fixture("cli/bench_program.wat");
    let out = run(&["run", &program]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bench::start"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unknown_imports_default_returns_zeros() {
    let program = fixture("cli/bench_program.wat");
    for engine in backends() {
        let out = run(&[
            "run",
            "--engine",
            engine,
            "-W",
            "unknown-imports-default=y",
            &program,
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "0\n499500\n", "{engine}");
    }
}

#[test]
fn unknown_imports_trap_traps_when_called() {
    let program = fixture("cli/bench_program.wat");
    for engine in backends() {
        let out = run(&[
            "run",
            "--engine",
            engine,
            "-W",
            "unknown-imports-trap=y",
            &program,
        ]);
        assert_eq!(
            out.status.code(),
            Some(134),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("trap"),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout),
            "",
            "{engine}: nothing ran past bench.start"
        );
    }
    // A stub that is never called does not stop the program: with the
    // preload providing `bench`, the trap policy changes nothing.
    let preload = format!("bench={}", fixture("cli/bench.wat"));
    let out = run(&[
        "run",
        "-W",
        "unknown-imports-trap=y",
        "--preload",
        &preload,
        &program,
    ]);
    assert_eq!(text(&out.stdout), "41\n499500\n", "{}", text(&out.stderr));
}

#[test]
fn bad_preload_and_w_options_are_clear_errors() {
    let program = fixture("cli/bench_program.wat");
    for (args, wanted) in [
        (vec!["--preload", "bench"], "NAME=FILE"),
        (vec!["--preload", "bench=/no/such.wat"], "/no/such.wat"),
        (vec!["-W", "no-such-option=y"], "unknown -W option"),
        (vec!["-W", "unknown-imports-trap=maybe"], "expected y or n"),
        (
            vec![
                "-W",
                "unknown-imports-trap=y",
                "-W",
                "unknown-imports-default=y",
            ],
            "exclude each other",
        ),
    ] {
        let mut all = vec!["run"];
        all.extend(&args);
        all.push(&program);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).contains(wanted),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}
