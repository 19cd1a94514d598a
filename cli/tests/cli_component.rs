//! Components through the CLI, run as a subprocess: `inspect` prints the
//! WIT world (`--json` too), `validate` and `print` accept components, and
//! bad components are one-line errors with exit code 1.

mod common;

use common::{backends, bin, run, sigint, text};

fn fixture(rel: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    root.join(rel).to_string_lossy().into_owned()
}

#[test]
fn inspect_prints_the_wit_world() {
    let out = run(&["inspect", &fixture("component/shapes.wat")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "world root {
  import example:shapes/canvas@0.1.0: interface {
    resource surface;
    open: func(width: u32, height: u32) -> surface;
    fill: func(s: borrow<surface>, rgba: u32);
  }
  type point = record { x: s32, y: s32 };
  export area: func(w: u32, h: u32) -> u32;
  export is-origin: func(p: record { x: s32, y: s32 }) -> bool;
}
"
    );
    let out = run(&["inspect", "--json", &fixture("component/shapes.wat")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "component");
    assert_eq!(doc["exports"][1]["name"], "area");
    assert_eq!(doc["exports"][1]["type"], "func(w: u32, h: u32) -> u32");
    assert_eq!(doc["imports"][0]["kind"], "instance");
    assert_eq!(doc["imports"][0]["exports"][0]["kind"], "resource");
    assert!(doc["wit"].as_str().unwrap().starts_with("world root {"));
}

#[test]
fn validate_and_print_accept_components() {
    for engine in backends() {
        let out = run(&[
            "validate",
            "--engine",
            engine,
            &fixture("component/shapes.wat"),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("valid (component, "),
            "{}",
            text(&out.stdout)
        );
    }
    // A component wasmtime does not load (a root-level component import):
    // valid, unless the validation holds it to wasmtime's restrictions.
    let path = std::env::temp_dir().join(format!("wasm-run-restricted-{}.wat", std::process::id()));
    std::fs::write(&path, "(component (import \"x\" (component)))").unwrap();
    let file = path.to_string_lossy().into_owned();
    for engine in backends() {
        let out = run(&["validate", "--engine", engine, &file]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        let out = run(&[
            "validate",
            "--engine",
            engine,
            "--wasmtime-restrictions",
            &file,
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{engine}: {}",
            text(&out.stdout)
        );
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("root-level component imports"),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    std::fs::remove_file(&path).ok();
    let out = run(&["print", &fixture("component/shapes.wat")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("(component"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_components_are_one_line_errors() {
    let dir = std::env::temp_dir().join(format!("wasm-run-cli-component-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let full = wat::parse_file(fixture("component/shapes.wat")).unwrap();
    let cases = [
        ("truncated.wasm", full[..full.len() - 3].to_vec(), "invalid"),
        (
            "async.wat",
            b"(component (type (func async)))".to_vec(),
            "component-model-async is not supported",
        ),
        (
            "invalid.wat",
            b"(component (core module $m) (core instance $i (instantiate $m)) (func (export \"f\") (canon lift (core func $i \"nope\"))))".to_vec(),
            "invalid at offset",
        ),
    ];
    for (name, bytes, wanted) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        for command in ["validate", "inspect"] {
            let out = run(&[command, path.to_str().unwrap()]);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command} {name}: {err}");
            assert!(err.starts_with("error: "), "{command} {name}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{command} {name}: {err}");
            if command == "validate" {
                assert!(err.contains(wanted), "{command} {name}: {err}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_invoke_calls_a_component_export_with_wave() {
    let echo = fixture("component/echo.wat");
    // Every backend as the CLI picks (wasmtime: its own component model,
    // the others: the portable path), and wasmtime on the portable path.
    let mut paths: Vec<(&str, &[&str])> = backends().iter().map(|e| (*e, &[][..])).collect();
    if backends().contains(&"wasmtime") {
        paths.push(("wasmtime", &["-W", "native-components=n"]));
    }
    for (engine, native) in paths {
        let run = |extra: &[&str]| {
            let mut args = vec!["run", "--engine", engine];
            args.extend_from_slice(native);
            args.extend_from_slice(extra);
            run(&args)
        };
        for (invoke, printed) in [
            ("add(40, 2)", "42\n"),
            ("echo-color(green)", "green\n"),
            (
                "echo-point({x: -1, y: 0.5, label: \"é\"}, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16))",
                "{x: -1, y: 0.5, label: \"é\"}\n",
            ),
            ("spin", ""),
        ] {
            if invoke == "spin" {
                let out = run(&["--timeout", "100ms", "--invoke", invoke, &echo]);
                assert_eq!(
                    out.status.code(),
                    Some(134),
                    "{engine}: {}",
                    text(&out.stderr)
                );
                assert!(
                    text(&out.stderr).contains("deadline"),
                    "{}",
                    text(&out.stderr)
                );
                continue;
            }
            let out = run(&["--invoke", invoke, &echo]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{engine} {invoke}: {}",
                text(&out.stderr)
            );
            assert_eq!(text(&out.stdout), printed, "{engine} {invoke}");
        }
        // A canonical-ABI trap exits like a trap.
        let out = run(&["--invoke", "bad-char()", &echo]);
        assert_eq!(
            out.status.code(),
            Some(134),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "error: wasm trap: invalid char\n");
    }
    // A backend without a component model of its own refuses the native
    // path in one line.
    if backends().contains(&"wasmi") {
        let out = run(&[
            "run",
            "--engine",
            "wasmi",
            "-W",
            "native-components=y",
            "--invoke",
            "add(1, 2)",
            &echo,
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: ")
                && err.contains("native_components")
                && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn run_invoke_bad_input_is_a_one_line_error() {
    let echo = fixture("component/echo.wat");
    let host = fixture("component/host.wat");
    for (args, wanted) in [
        (
            vec!["--invoke", "nope()", &echo],
            "exports no function `nope`",
        ),
        (
            vec!["--invoke", "add(1)", &echo],
            "arguments for func(a: u32, b: u32) -> u32",
        ),
        (vec!["--invoke", "add(1, \"x\")", &echo], "WAVE"),
        (
            vec!["--invoke", "add(1, 2", &echo],
            "expected NAME(ARG, ...)",
        ),
        (vec![&echo], "not a command"),
        (vec!["--invoke", "add(1, 2)", &echo, "3"], "inside --invoke"),
        (vec!["--invoke", "run(\"x\")", &host], "import `greet`"),
    ] {
        let mut full = vec!["run"];
        full.extend(args.iter().copied());
        let out = run(&full);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(wanted),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

/// A core module carrying its WIT world (what wit-bindgen emits before
/// `wasm-tools component new`): `run --invoke` calls its WIT exports with
/// WAVE, and its WASI preview 1 imports get the CLI's WASI (stdout, exit
/// codes), on every backend; `inspect` prints its world and `validate`
/// checks it.
#[test]
fn core_modules_with_an_embedded_world_run_as_components() {
    let hello = fixture("component/embedded/hello.wasm");
    for engine in backends() {
        let invoke = |call: &str| run(&["run", "--engine", engine, "--invoke", call, &hello]);
        let out = invoke(r#"say("hi from wasi")"#);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "hi from wasi\n", "{engine}");
        let out = invoke(r#"shout("héllo, wörld")"#);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "\"HéLLO, WöRLD\"\n", "{engine}");
        // proc_exit inside a WIT export: the process exits with its code.
        let out = invoke("quit(7)");
        assert_eq!(
            out.status.code(),
            Some(7),
            "{engine}: {}",
            text(&out.stderr)
        );
        // A WAVE argument of the wrong type.
        let out = invoke("quit(\"x\")");
        assert_eq!(out.status.code(), Some(1), "{engine}");
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{}",
            text(&out.stderr)
        );

        let out = run(&["validate", "--engine", engine, &hello]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("valid (core module with a WIT world, "),
            "{}",
            text(&out.stdout)
        );
        // A WIT import nothing provides: named with its WIT type.
        let out = run(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "dropped()",
            &fixture("component/embedded/embedded.wasm"),
        ]);
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: ")
                && err.contains("test:embed/host#log")
                && err.contains("func(msg: string)")
                && err.lines().count() == 1,
            "{err}"
        );
    }
    let out = run(&["inspect", &hello]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "world root {\n  export say: func(msg: string);\n  export shout: func(msg: string) -> string;\n  export quit: func(code: u32);\n}\n"
    );
}

/// A command component (a WASI program made a component with the preview 1
/// command adapter) runs as `wasmtime run` runs it: arguments, `--env`,
/// stdin, stdout, stderr and the exit status, through wasm-run's WASI
/// preview 2 host on every backend and on wasmtime's own component model,
/// with `--dir` directories.
#[test]
fn run_runs_command_components_with_wasi_p2() {
    use std::io::Write;
    use std::process::Stdio;
    let echo = fixture("wasi/p2/echo.wasm");
    let mut engines: Vec<Vec<&str>> = backends()
        .into_iter()
        .map(|b| vec!["--engine", b])
        .collect();
    if backends().contains(&"wasmtime") {
        // (Without the option: wasmtime's own component model.)
        engines.push(vec!["--engine", "wasmtime", "-W", "native-components=n"]);
        // The reference: wasmtime-wasi's preview 2 host.
        engines.push(vec!["--engine", "wasmtime", "-W", "engine-wasi"]);
    }
    for engine in &engines {
        let mut args = vec!["run"];
        args.extend(engine.iter().copied());
        args.extend(["--env", "K=v w", &echo, "a", "b c"]);
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout),
            format!("argc=3\nargv[0]={echo}\nargv[1]=a\nargv[2]=b c\nenv[0]=K=v w\nenvc=1\n"),
            "{engine:?}"
        );
        let out = run(&[&["run"], &engine[..], &[&fixture("wasi/p2/hello.wasm")]].concat());
        assert_eq!(text(&out.stdout), "Hello, world!\n", "{engine:?}");
        assert_eq!(text(&out.stderr), "Hello, stderr!\n", "{engine:?}");
        let out = run(&[&["run"], &engine[..], &[&fixture("wasi/p2/exit.wasm"), "5"]].concat());
        // WASI 0.2's exit carries success or failure only.
        assert_eq!(out.status.code(), Some(1), "{engine:?}");
        assert_eq!(text(&out.stdout), "exiting with 5\n", "{engine:?}");
        let out = run(&[
            &["run"],
            &engine[..],
            &[&fixture("wasi/p2/exit.wasm"), "trap"],
        ]
        .concat());
        assert_eq!(out.status.code(), Some(134), "{engine:?}");
        let mut child = bin()
            .args([&["run"], &engine[..], &[&fixture("wasi/p2/cat.wasm")]].concat())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"piped \x00 bytes")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{engine:?}");
        assert_eq!(out.stdout, b"piped \x00 bytes", "{engine:?}");
        assert_eq!(text(&out.stderr), "13 bytes\n", "{engine:?}");
    }
    // `--dir HOST::GUEST`: the component's files land in the host directory.
    let dir = std::env::temp_dir().join(format!("wasm-run-cli-p2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = format!("{}::/sandbox", dir.display());
    let out = run(&[
        "run",
        "--engine",
        "wasmi",
        "--dir",
        &mapping,
        &fixture("wasi/p2/files.wasm"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("done\n"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("kept.txt")).unwrap(),
        "kept by the guest\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `-W engine-wasi` on a component runs wasmtime-wasi's preview 2 as it
/// is: wasm-run's controls and `--invoke` are refused, as is a backend
/// without a WASI host of its own.
#[test]
fn engine_wasi_components_refuse_what_they_cannot_do() {
    let hello = fixture("wasi/p2/hello.wasm");
    let refusals: &[&[&str]] = if backends().contains(&"wasmtime") {
        &[
            &["--timeout", "1s"],
            &["--fuel", "1000"],
            &["--invoke", "run()"],
        ]
    } else {
        &[]
    };
    for extra in refusals {
        let out = run(&[
            &["run", "--engine", "wasmtime", "-W", "engine-wasi"],
            *extra,
            &[&hello],
        ]
        .concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(
            text(&out.stderr).contains("engine-wasi"),
            "{extra:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{extra:?}");
    }
    if backends().contains(&"wasmi") {
        let out = run(&["run", "--engine", "wasmi", "-W", "engine-wasi", &hello]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("no WASI preview 2 host of its own"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// `--fuel` and Ctrl-C reach a component's guest on every path the CLI
/// runs components on: each backend as the CLI picks (wasmtime's own
/// component model on wasmtime) and wasm-run's portable one on wasmtime.
#[cfg(unix)]
#[test]
fn fuel_and_ctrl_c_stop_a_spinning_component_on_every_path() {
    use std::time::{Duration, Instant};
    let echo = fixture("component/echo.wat");
    let mut paths: Vec<Vec<&str>> = backends().iter().map(|b| vec!["--engine", *b]).collect();
    if backends().contains(&"wasmtime") {
        paths.push(vec!["--engine", "wasmtime", "-W", "native-components=n"]);
    }
    for path in &paths {
        let out = run(&[
            &["run"],
            &path[..],
            &["--fuel", "100000", "--invoke", "spin", &echo],
        ]
        .concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{path:?}: {err}");
        assert!(err.contains("fuel"), "{path:?}: {err}");
    }
    // Ctrl-C: every path spins at once, then each gets SIGINT.
    let children: Vec<_> = paths
        .iter()
        .map(|path| {
            bin()
                .args([&["run"], &path[..], &["--invoke", "spin", &echo]].concat())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn wasm-run")
        })
        .collect();
    // Time to start, compile and enter the loop (generous: a loaded machine).
    std::thread::sleep(Duration::from_millis(2500));
    let sent = Instant::now();
    for child in &children {
        sigint(child);
    }
    for (path, child) in paths.iter().zip(children) {
        let out = child.wait_with_output().expect("wait for wasm-run");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{path:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("interrupt") && !err.contains("panicked"),
            "{path:?}: {err}"
        );
        assert!(sent.elapsed() < Duration::from_secs(10), "{path:?}");
    }
}
