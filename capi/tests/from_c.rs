//! The C API from C: `tests/c/capi_test.c`, compiled with the system C
//! compiler (found by the `cc` crate) against the header and the shared
//! library this build made, runs every check on every backend.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of this test binary (`target/debug/deps`), where `cargo
/// test` puts the shared library it builds with the tests (the copy in
/// `target/debug` is refreshed only by `cargo build`).
fn artifacts() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

fn shared_library() -> PathBuf {
    let dir = artifacts();
    let name = format!(
        "{}wasm_run_capi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// Builds the C test program (once per test process); its path.
pub fn build_c_test() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(compile_c_test).clone()
}

fn compile_c_test() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = shared_library();
    let out = artifacts().join("capi_test");
    let compiler = cc::Build::new()
        .target(env!("WR_CAPI_TARGET"))
        .host(env!("WR_CAPI_HOST"))
        .opt_level(0)
        .cargo_metadata(false)
        .try_get_compiler()
        .expect("a C compiler");
    let mut cmd = compiler.to_command();
    cmd.arg("-std=c99")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-pthread")
        .arg("-I")
        .arg(here.join("include"))
        .arg(here.join("tests/c/capi_test.c"))
        .arg("-o")
        .arg(&out)
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.parent().unwrap().display()));
    let status = cmd.status().expect("run the C compiler");
    assert!(
        status.success(),
        "compiling tests/c/capi_test.c failed: {cmd:?}"
    );
    out
}

/// The program's stdout, after checking that it succeeded and printed
/// `marker` (else the test fails with both streams).
fn succeeded(out: &std::process::Output, marker: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(marker),
        "{:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

fn hello() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/wasi/hello.wasm")
}

#[test]
fn c_program_passes_on_every_backend() {
    let exe = build_c_test();
    let out = Command::new(&exe).arg(hello()).output().unwrap();
    let stdout = succeeded(&out, "all checks passed");
    for backend in wasm_run::BACKENDS {
        assert!(
            stdout.contains(&format!("== {backend}")),
            "{backend} not tested:\n{stdout}"
        );
    }
}

/// Under valgrind when it is installed: no invalid reads or writes and no
/// leaks in the library (wasmtime's JIT needs `--smc-check`); skipped with
/// a printed reason otherwise.
#[test]
fn c_program_is_clean_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("skipped: valgrind is not installed");
        return;
    }
    let exe = build_c_test();
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--smc-check=all-non-file",
            "-q",
        ])
        .arg(&exe)
        .arg(hello())
        .output()
        .unwrap();
    succeeded(&out, "all checks passed");
}

/// The same ABI from Python's standard-library `ctypes`
/// (`tests/python/test_capi.py`), when `python3` is installed (skipped with
/// a printed reason otherwise).
#[test]
fn python_ctypes_uses_the_library() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/test_capi.py");
    let out = match Command::new("python3")
        .arg(&script)
        .arg(shared_library())
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("skipped: python3 cannot be run ({e})");
            return;
        }
    };
    let stdout = succeeded(&out, "python: ok");
    for backend in wasm_run::BACKENDS {
        assert!(
            stdout.contains(&format!("python: {backend} ok")),
            "{stdout}"
        );
    }
}
