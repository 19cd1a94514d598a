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
    BUILT
        .get_or_init(|| compile_c(&c_source("capi_test.c"), "capi_test"))
        .clone()
}

/// Builds the contract test program (once per test process); its path.
fn build_contract_test() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| compile_c(&c_source("contract_test.c"), "contract_test"))
        .clone()
}

fn c_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(name)
}

/// Compiles one C file against the header and the shared library, as
/// strictly as a careful C user would (`-std=c99 -Wall -Wextra -Werror`).
fn compile_c(source: &Path, name: &str) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = shared_library();
    let out = artifacts().join(name);
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
        .arg("-Wextra")
        .arg("-Werror")
        .arg("-pthread")
        .arg("-I")
        .arg(here.join("include"))
        .arg("-I")
        .arg(here.join("tests/c"))
        .arg(source)
        .arg("-o")
        .arg(&out)
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.parent().unwrap().display()));
    let status = cmd.status().expect("run the C compiler");
    assert!(
        status.success(),
        "compiling {} failed: {cmd:?}",
        source.display()
    );
    out
}

/// valgrind's suppressions for false positives outside wasm-run, shipped
/// with the C API (see the file's comments).
fn suppressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("valgrind.supp")
}

/// `program` under valgrind: no invalid reads or writes and no definite
/// leaks (wasmtime's JIT needs `--smc-check`), with the shipped
/// suppressions.
fn valgrind(program: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("valgrind")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--smc-check=all-non-file",
            "-q",
        ])
        .arg(format!("--suppressions={}", suppressions().display()))
        .arg(program)
        .args(args)
        .output()
        .unwrap()
}

fn has_valgrind() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok()
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine-conformance/fixtures/wasi/hello.wasm")
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
/// leaks in the library; skipped with a printed reason otherwise.
#[test]
fn c_program_is_clean_under_valgrind() {
    if !has_valgrind() {
        println!("skipped: valgrind is not installed");
        return;
    }
    let out = valgrind(&build_c_test(), &[hello().as_os_str()]);
    succeeded(&out, "all checks passed");
}

/// The contract checks (issue by issue: pending interrupts, wrong-store
/// handles, externref data, error kinds, WASI in a linker, ...) pass on
/// every backend, and the library prints nothing: the program writes to
/// stderr only when a check fails, so any stderr output is the library's.
#[test]
fn c_contract_holds_on_every_backend() {
    let exe = build_contract_test();
    let out = Command::new(&exe)
        .arg(hello())
        .arg(env!("CARGO_PKG_VERSION"))
        .output()
        .unwrap();
    let stdout = succeeded(&out, "all contract checks passed");
    assert!(
        out.stderr.is_empty(),
        "the library printed to stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for backend in wasm_run::BACKENDS {
        assert!(
            stdout.contains(&format!("== {backend}")),
            "{backend} not tested:\n{stdout}"
        );
    }
}

#[test]
fn c_contract_is_clean_under_valgrind() {
    if !has_valgrind() {
        println!("skipped: valgrind is not installed");
        return;
    }
    let version = std::ffi::OsString::from(env!("CARGO_PKG_VERSION"));
    let out = valgrind(
        &build_contract_test(),
        &[hello().as_os_str(), version.as_os_str()],
    );
    succeeded(&out, "all contract checks passed");
}

/// The complete example of `capi/README.md` compiles with `-Wall -Wextra
/// -Werror` and prints what its comment says.
#[test]
fn readme_example_compiles_cleanly_and_runs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("```c\n").expect("a C example in the README") + 5;
    let end = start + readme[start..].find("```").expect("the end of the example");
    let source = artifacts().join("readme_example.c");
    std::fs::write(&source, &readme[start..end]).unwrap();
    let exe = compile_c(&source, "readme_example");
    let out = Command::new(&exe).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "42\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
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
        .arg(env!("CARGO_PKG_VERSION"))
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("skipped: python3 cannot be run ({e})");
            return;
        }
    };
    let stdout = succeeded(&out, "python: ok");
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for backend in wasm_run::BACKENDS {
        assert!(
            stdout.contains(&format!("python: {backend} ok")),
            "{stdout}"
        );
    }
}
