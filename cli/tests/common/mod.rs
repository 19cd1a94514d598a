//! Helpers shared by the CLI's subprocess tests.
#![allow(dead_code)] // each test crate uses a part

use std::process::{Command, Output};

/// The `wasm-run` binary under test, with its module cache in a directory
/// of this test process (not the user's cache).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasm-run"));
    c.env(
        "WASM_RUN_CACHE_DIR",
        std::env::temp_dir().join(format!("wasm-run-cli-tests-{}", std::process::id())),
    );
    c
}

/// Runs `wasm-run ARGS`; fails the test if the process panicked.
pub fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("spawn wasm-run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "wasm-run panicked: {stderr}");
    out
}

/// Process output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The backends this build of the CLI has (the facade's list).
pub fn backends() -> Vec<&'static str> {
    wasm_run::BACKENDS.to_vec()
}

/// Sends SIGINT (Ctrl-C) to `child`.
pub fn sigint(child: &std::process::Child) {
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
}
