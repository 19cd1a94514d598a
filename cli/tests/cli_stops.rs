//! `wasm-run run` keeping a guest in check, as a subprocess: `--timeout`,
//! wasmtime's `-W timeout/fuel/max-memory-size/max-wasm-stack`, their bad
//! values, and Ctrl-C (SIGINT) interrupting the guest.

mod common;
use common::{backends, bin, run, sigint, text};
use std::time::{Duration, Instant};

fn fixture() -> String {
    format!(
        "{}/../tests/fixtures/cli/runaway.wat",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A WASI command sleeping in the host (`poll_oneoff`, one minute) stops
/// at `--timeout`, not after its sleep.
#[test]
fn timeout_stops_a_guest_sleeping_in_wasi_on_every_backend() {
    let file = format!(
        "{}/../tests/fixtures/cli/sleeper.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    for engine in backends() {
        let start = Instant::now();
        let out = run(&["run", "--engine", engine, "--timeout", "300ms", &file]);
        let took = start.elapsed();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{engine}: {err}");
        assert!(err.contains("deadline"), "{engine}: {err}");
        assert!(
            took < Duration::from_secs(10),
            "{engine}: stopped after {took:?}"
        );
    }
}

#[test]
fn timeout_stops_an_infinite_loop_on_every_backend() {
    let file = fixture();
    for engine in backends() {
        for flag in [["--timeout", "300ms"], ["-W", "timeout=300ms"]] {
            let start = Instant::now();
            let out = run(&[
                "run", "--engine", engine, flag[0], flag[1], "--invoke", "loop", &file,
            ]);
            let took = start.elapsed();
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(134), "{engine} {flag:?}: {err}");
            assert!(
                err.starts_with("error: ") && err.contains("deadline"),
                "{engine}: {err}"
            );
            assert!(
                took >= Duration::from_millis(300),
                "{engine}: stopped after {took:?}"
            );
            // Generous: process start-up and compilation included.
            assert!(
                took < Duration::from_secs(10),
                "{engine}: stopped after {took:?}"
            );
        }
        // A guest that finishes in time is unaffected.
        let out = run(&[
            "run",
            "--engine",
            engine,
            "--timeout",
            "30s",
            "--invoke",
            "answer",
            &file,
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "42\n");
    }
}

#[test]
fn w_options_limit_fuel_memory_and_stack() {
    let file = fixture();
    for engine in backends() {
        let out = run(&[
            "run",
            "--engine",
            engine,
            "-W",
            "fuel=10000",
            "--invoke",
            "loop",
            &file,
        ]);
        assert_eq!(
            out.status.code(),
            Some(134),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("fuel"),
            "{engine}: {}",
            text(&out.stderr)
        );

        // 1 page exists; 2 more would make 192 KiB > 128 KiB: refused (-1).
        let grow = |limit: &str, pages: &str| {
            let out = run(&[
                "run", "--engine", engine, "-W", limit, "--invoke", "grow", &file, pages,
            ]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{engine}: {}",
                text(&out.stderr)
            );
            text(&out.stdout)
        };
        assert_eq!(grow("max-memory-size=128KiB", "2"), "-1\n", "{engine}");
        assert_eq!(grow("max-memory-size=128KiB", "1"), "1\n", "{engine}");
        assert_eq!(grow("max-memory-size=1M", "2"), "1\n", "{engine}");

        let out = run(&[
            "run",
            "--engine",
            engine,
            "-W",
            "max-wasm-stack=65536",
            "--invoke",
            "deep",
            &file,
            "0",
        ]);
        assert_eq!(
            out.status.code(),
            Some(134),
            "{engine}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("stack"),
            "{engine}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn bad_durations_and_sizes_name_the_flag() {
    let file = fixture();
    for (args, flag) in [
        (vec!["--timeout", "soon"], "--timeout"),
        (vec!["--timeout", "5parsecs"], "--timeout"),
        (vec!["-W", "timeout=-1s"], "-W timeout"),
        (vec!["-W", "fuel=lots"], "-W fuel"),
        (vec!["-W", "max-memory-size=12q"], "-W max-memory-size"),
        (vec!["-W", "max-wasm-stack=x"], "-W max-wasm-stack"),
        (vec!["-W", "bogus=1"], "bogus"),
    ] {
        let mut all = vec!["run"];
        all.extend(&args);
        all.extend(["--invoke", "answer", &file]);
        let out = run(&all);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(flag),
            "{args:?}: {err}"
        );
    }
    let out = run(&[
        "run", "--fuel", "5", "-W", "fuel=6", "--invoke", "answer", &file,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("disagree"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_interrupts_the_guest_cleanly() {
    let file = fixture();
    for engine in backends() {
        let child = bin()
            .args(["run", "--engine", engine, "--invoke", "loop", &file])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn wasm-run");
        // Time to start, compile, install the Ctrl-C handler and enter the
        // loop (generous: a loaded CI machine).
        std::thread::sleep(Duration::from_millis(2500));
        let sent = Instant::now();
        sigint(&child);
        let out = child.wait_with_output().expect("wait for wasm-run");
        let took = sent.elapsed();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{engine}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("interrupt"),
            "{engine}: {err}"
        );
        assert!(!err.contains("panicked"), "{engine}: {err}");
        assert!(
            took < Duration::from_secs(5),
            "{engine}: exited {took:?} after SIGINT"
        );
    }
    // `-W interruptible=n`: no interrupt checks, Ctrl-C ends the process.
    use std::os::unix::process::ExitStatusExt;
    let child = bin()
        .args(["run", "-W", "interruptible=n", "--invoke", "loop", &file])
        .spawn()
        .expect("spawn wasm-run");
    std::thread::sleep(Duration::from_millis(2500));
    sigint(&child);
    let out = child.wait_with_output().expect("wait for wasm-run");
    assert_eq!(out.status.signal(), Some(2), "{:?}", out.status);
}
