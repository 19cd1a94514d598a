//! The WASI behaviour suite, written once and generic over the backend:
//! wasm-run's WASI (preview 1, over the API) on any engine that implements
//! [`WasiEngine`].
//!
//! Every program of the crate's `fixtures/wasi` (C programs built with
//! wasi-libc, committed with their sources) runs here with its stdout,
//! stderr, exit status and resulting files asserted exactly; the
//! expectations are literals, so every backend the suite runs on must
//! produce the very same results. A backend instantiates it from its own
//! tests with [`wasi_tests!`](crate::wasi_tests) (the fixtures ship with this
//! crate, so a backend outside wasm-run's repository runs it too):
//!
//! ```ignore
//! wasm_run_conformance::wasi_tests!(foo, wasm_run_foo::Foo::new);
//! ```

mod files;
pub use files::{TempDir, snapshot};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasm_run_api::{Caller, Config, Error, LinkError, Linker, Module, Result, Store, TrapCode};
use wasm_run_wasi::{
    Capture, DeterministicClock, DirPerms, ExitStatus, HasWasi, Output, ProgramKind, RandomSource,
    SeededRandom, WASI_MODULE, WasiConfig, WasiCtx, WasiEngine, WasiError, WasiState,
    add_to_linker, initialize, instantiate, run_command, run_command_with, run_start,
};

/// Calls the macro named in brackets with `$args` and the list of every
/// WASI behaviour, so the test macro and [`NAMES`] cannot drift apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasm_run_wasi_behaviours {
    ([$($callback:tt)*] $args:tt) => {
        $($callback)*! { $args [
            hello_on_stdout_and_stderr args_and_env_in_order inherited_env
            cat_copies_stdin empty_stdin streamed_output_arrives_in_order
            capture_is_readable_during_the_run files_in_a_preopened_dir
            read_only_preopen_refuses_writes escapes_fail_and_leave_the_host_untouched
            deterministic_clock_and_random real_clock_and_random exit_codes
            trap_is_an_error reactor_initialize_then_exports host_state_and_imports_coexist
            run_command_with_extra_imports missing_embedder_import_is_named
            bad_preopens_fail_before_start bad_env_and_strings_fail_before_start
            bad_imports_fail_before_start proc_exit_out_of_range_is_an_error
            random_get_bounds_and_seed linker_keeps_shadowing_off posix_edges_agree
            panicking_output_callback_is_an_error
        ]}
    };
}

macro_rules! define_names {
    ({} [ $($name:ident)* ]) => {
        /// Names of every WASI behaviour (what [`wasi_tests!`](crate::wasi_tests)
        /// generates tests for).
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}
crate::__wasm_run_wasi_behaviours!([define_names] {});

/// Generates a test module `$modname` running every WASI behaviour on the
/// engine made by `$make` (any expression usable as
/// `impl Fn(&Config) -> Result<E>`, evaluated afresh in every test, for an
/// engine implementing [`WasiEngine`]), as
/// [`behaviour_tests!`](crate::behaviour_tests) does for the core API; an
/// optional `expected_failures = [name, ...]` is the backend's baseline
/// (listed behaviours must fail, and one that passes fails its test).
///
/// ```ignore
/// wasm_run_conformance::wasi_tests!(wasmi, wasm_run::Wasmi::new);
/// ```
#[macro_export]
macro_rules! wasi_tests {
    (
        $(#[$attr:meta])* $modname:ident, $make:expr
        $(, expected_failures = [$($fail:ident),* $(,)?])? $(,)?
    ) => {
        $crate::__wasm_run_wasi_behaviours!(
            [$crate::__wasm_run_behaviour_tests_mod]
            { wasi, $(#[$attr])* $modname, $make, (vec![$($(stringify!($fail)),*)?]) }
        );
    };
}

/// Panics unless every entry of an expected-failure baseline names a WASI
/// behaviour (see [`NAMES`]).
pub fn check_baseline(expected_failures: &[&str]) {
    crate::behaviour::check_names(NAMES, expected_failures, "WASI behaviour");
}

/// The engine `make` builds with the default configuration, or a test
/// failure.
#[track_caller]
fn engine_of<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) -> E {
    match make(&Config::new()) {
        Ok(engine) => engine,
        Err(e) => panic!("creating an engine with the default configuration failed: {e}"),
    }
}

// ---------------------------------------------------------------- helpers

/// The directory of the WASI fixtures (shipped with this crate).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/wasi")
}

/// Compiles a fixture (`name.wasm`, or `name.wat`).
pub fn module<E: WasiEngine>(engine: &E, name: &str) -> Module<E> {
    let dir = fixtures();
    let path = [
        dir.join(format!("{name}.wasm")),
        dir.join(format!("{name}.wat")),
    ]
    .into_iter()
    .find(|p| p.exists())
    .unwrap_or_else(|| panic!("no fixture {name}"));
    Module::from_file(engine, path).unwrap()
}

/// What a run produced.
#[derive(Debug)]
pub struct Run {
    /// The exit status, or why the run failed.
    pub status: Result<ExitStatus, WasiError>,
    /// What the program wrote to stdout.
    pub stdout: Vec<u8>,
    /// What the program wrote to stderr.
    pub stderr: Vec<u8>,
}

impl Run {
    /// Stdout as text.
    ///
    /// # Panics
    ///
    /// If it is not UTF-8.
    pub fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).unwrap()
    }
    /// Stderr as text.
    ///
    /// # Panics
    ///
    /// If it is not UTF-8.
    pub fn stderr(&self) -> String {
        String::from_utf8(self.stderr.clone()).unwrap()
    }
    /// The exit code.
    ///
    /// # Panics
    ///
    /// If the run failed.
    pub fn exit(&self) -> i32 {
        match &self.status {
            Ok(s) => s.code(),
            Err(e) => panic!("run failed: {e}\nstdout: {}", self.stdout()),
        }
    }
}

/// Runs fixture `name` as a command with `argv[0]` = `name`, stdout and stderr
/// captured, after `configure`.
pub fn run<E: WasiEngine>(engine: &E, name: &str, configure: impl FnOnce(&mut WasiConfig)) -> Run {
    let mut config = WasiConfig::new();
    config.arg(name);
    let stdout = config.capture_stdout();
    let stderr = config.capture_stderr();
    configure(&mut config);
    let status = run_command(engine, &module(engine, name), &config);
    Run {
        status,
        stdout: stdout.contents(),
        stderr: stderr.contents(),
    }
}

fn lines(text: &[&str]) -> String {
    text.iter().map(|l| format!("{l}\n")).collect()
}

// ------------------------------------------------------------------ tests

/// `hello` writes its greeting to stdout and stderr, and exits 0.
pub fn hello_on_stdout_and_stderr<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "hello", |_| {});
    assert_eq!(r.exit(), 0);
    assert_eq!(r.stdout(), "Hello, world!\n");
    assert_eq!(r.stderr(), "Hello, stderr!\n");
}

/// `echo` sees its arguments and environment in the order given.
pub fn args_and_env_in_order<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "echo", |c| {
        c.args(["two words", "ünïcödé", ""])
            .env("A", "1")
            .env("B", "x=y")
            .env("EMPTY", "")
            .env_entry("C=3")
            .env("A", "override");
    });
    assert_eq!(r.exit(), 0);
    assert_eq!(
        r.stdout(),
        lines(&[
            "argc=4",
            "argv[0]=echo",
            "argv[1]=two words",
            "argv[2]=ünïcödé",
            "argv[3]=",
            "env[0]=A=override",
            "env[1]=B=x=y",
            "env[2]=EMPTY=",
            "env[3]=C=3",
            "envc=4",
        ])
    );
    assert_eq!(r.stderr(), "");
}

/// An inherited environment reaches the program (the host's variables).
pub fn inherited_env<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let host: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let r = run(engine, "echo", |c| {
        c.inherit_env().env("WASM_RUN_EXTRA", "yes");
    });
    let mut expect = String::from("argc=1\nargv[0]=echo\n");
    for (i, (k, v)) in host.iter().enumerate() {
        expect += &format!("env[{i}]={k}={v}\n");
    }
    expect += &format!(
        "env[{}]=WASM_RUN_EXTRA=yes\nenvc={}\n",
        host.len(),
        host.len() + 1
    );
    assert_eq!(r.exit(), 0);
    assert_eq!(r.stdout(), expect);
}

fn binary_input() -> Vec<u8> {
    (0..10_000u32).map(|i| (i * 7 % 256) as u8).collect()
}

/// `cat` copies 10,000 bytes of binary stdin to stdout unchanged.
pub fn cat_copies_stdin<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let input = binary_input();
    let r = run(engine, "cat", |c| {
        c.stdin_bytes(input.clone());
    });
    assert_eq!(r.exit(), 0);
    assert_eq!(r.stdout, input);
    assert_eq!(r.stderr(), "10000 bytes\n");
}

/// An empty stdin reads as end of file at once.
pub fn empty_stdin<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "cat", |_| {});
    assert_eq!(r.exit(), 0);
    assert_eq!(r.stdout(), "");
    assert_eq!(r.stderr(), "0 bytes\n");
}

/// Output streamed to a callback arrives whole and in order.
pub fn streamed_output_arrives_in_order<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let input = binary_input();
    let chunks = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let sink = chunks.clone();
    let r = run(engine, "cat", |c| {
        c.stdin_bytes(input.clone())
            .stdout(Output::stream(move |chunk| {
                sink.lock().unwrap().push(chunk.to_vec())
            }));
    });
    assert_eq!(r.exit(), 0);
    assert_eq!(r.stdout(), "", "streamed, not captured");
    let chunks = chunks.lock().unwrap();
    assert!(!chunks.is_empty());
    assert!(chunks.iter().all(|c| !c.is_empty()));
    assert_eq!(chunks.concat(), input);
    assert_eq!(r.stderr(), "10000 bytes\n");
}

/// A capture can be read (and taken) while the program runs, from a host function.
pub fn capture_is_readable_during_the_run<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    // The guest writes, then calls the host, which reads the capture.
    let module = Module::new(
        engine,
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write"
            (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "host" "peek" (func $peek))
          (memory (export "memory") 1)
          (data (i32.const 16) "so far")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 6))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (call $peek)))"#,
    )
    .unwrap();
    let mut config = WasiConfig::new();
    let out = config.capture_stdout();
    let ctx = WasiCtx::new(engine, &config).unwrap();
    let mut store = Store::new(engine, WasiState::new(ctx, String::new()));
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let seen = out.clone();
    linker
        .func_wrap(
            "host",
            "peek",
            move |mut c: Caller<'_, E, WasiState<E, String>>| {
                c.data_mut().data = seen.to_string_lossy();
                Ok(())
            },
        )
        .unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    assert_eq!(run_start(&mut store, &instance).unwrap(), ExitStatus(0));
    assert_eq!(store.data().data, "so far");
    assert_eq!(out.take(), b"so far");
}

/// `files` creates, writes, renames and removes files and directories in a read-write preopen; the host directory shows the result.
pub fn files_in_a_preopened_dir<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let dir = TempDir::new("files");
    let r = run(engine, "files", |c| {
        c.preopen_dir(dir.path(), "/sandbox", DirPerms::ReadWrite);
    });
    assert_eq!(r.stderr(), "");
    assert_eq!(
        r.stdout(),
        lines(&[
            "created a.txt",
            "read: hello",
            "after seek: world",
            "size by seek: 11",
            "stat: size=11 regular=1 dir=0",
            "renamed a.txt -> b.txt",
            "stat a.txt after rename: ENOENT",
            "readdir /sandbox: b.txt dir kept.txt",
            "readdir /sandbox/dir: nested.txt",
            "b.txt: Jello world",
            "unlink again: ENOENT",
            "rmdir non-empty: ENOTEMPTY",
            "readdir /sandbox: dir kept.txt",
            "done",
        ])
    );
    assert_eq!(r.exit(), 0);
    let files = snapshot(dir.path());
    let expect: BTreeMap<String, String> = [
        ("dir/", ""),
        ("dir/nested.txt", "nested\n"),
        ("kept.txt", "kept by the guest\n"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(files, expect);
}

/// A read-only preopen refuses every write, and the host directory is untouched.
pub fn read_only_preopen_refuses_writes<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let dir = TempDir::new("ro");
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("data.txt"), "data\n").unwrap();
    std::fs::write(dir.join("sub/inner.txt"), "inner\n").unwrap();
    let before = snapshot(dir.path());
    let r = run(engine, "readonly", |c| {
        c.preopen_dir(dir.path(), "/ro", DirPerms::ReadOnly);
    });
    assert_eq!(r.exit(), 0);
    assert_eq!(
        r.stdout(),
        lines(&[
            "read: data",
            "write to read-only fd: EBADF",
            "open for write: EPERM",
            "open for append: EPERM",
            "open with truncate: EPERM",
            "create: EPERM",
            "mkdir: EPERM",
            "unlink: EPERM",
            "rename: EPERM",
            "rmdir: EPERM",
            "symlink: EPERM",
            "open subdir file for write: EPERM",
            "open subdir file for read: OK",
        ])
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the read-only directory changed"
    );
}

/// The calls where wasi-common once answered differently from wasmtime-wasi
/// (found by the official WASI test suite): truncate with append, pwrite on
/// an append file, `sock_shutdown` on a non-socket and
/// `fd_fdstat_set_rights`. The fixture exits with the number of the first
/// step that went wrong.
/// Edge cases of the POSIX calls (`posix_edges.wat`) give the same answers on every engine.
pub fn posix_edges_agree<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let dir = TempDir::new("posix");
    std::fs::write(dir.join("f.txt"), "0123456789\n").unwrap();
    let r = run(engine, "posix_edges", |c| {
        c.preopen_dir(dir.path(), "/", DirPerms::ReadWrite);
    });
    assert_eq!(r.exit(), 0, "step {} of posix_edges.wat failed", r.exit());
    // "ab" twice appended, then pwrite("abc", 0): at offset 0 as POSIX says,
    // or at the end as Linux does with O_APPEND (the official suite accepts
    // both; the host's kernel decides, on every backend alike).
    let data = std::fs::read_to_string(dir.join("f.txt")).unwrap();
    assert!(data == "abcb" || data == "abababc", "{data:?}");
}

/// A stdout callback that panics: the guest's write fails (`EIO`), the
/// host process carries on, and the run is `Error::HostPanic` naming the
/// stream and the message (whatever the guest did after the failed write);
/// the engine runs the next program normally.
/// An output callback that panics makes the run an error, not an unwind through the guest.
pub fn panicking_output_callback_is_an_error<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let r = run(engine, "hello", |c| {
        c.stdout(Output::stream(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
            panic!("callback broke")
        }));
    });
    assert!(calls.load(Ordering::SeqCst) >= 1);
    match &r.status {
        Err(WasiError::Wasm(Error::HostPanic(m))) => {
            assert_eq!(m, "the stdout callback panicked: callback broke")
        }
        other => panic!("{other:?}"),
    }
    let again = run(engine, "hello", |_| {});
    assert_eq!(again.exit(), 0);
    assert!(!again.stdout().is_empty());
}

/// Every way out of a preopen (`..`, absolute paths, symlinks in and out, hard links, renames) fails, and nothing outside changes.
pub fn escapes_fail_and_leave_the_host_untouched<E: WasiEngine>(
    make: impl Fn(&Config) -> Result<E>,
) {
    let engine = &engine_of(make);
    let root = TempDir::new("escape");
    let sandbox = root.join("sandbox");
    let outside = root.join("outside");
    std::fs::create_dir(&sandbox).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret\n").unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside\n").unwrap();
    std::os::unix::fs::symlink("../outside/secret.txt", sandbox.join("link_out")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), sandbox.join("abs_link")).unwrap();
    std::os::unix::fs::symlink("../outside", sandbox.join("dir_link")).unwrap();
    let sentinel = outside.join("secret.txt");
    let modified = std::fs::metadata(&sentinel).unwrap().modified().unwrap();
    let before = snapshot(root.path());
    let tmp_escape = Path::new("/tmp/escaped.txt");
    let tmp_existed = tmp_escape.exists();

    let r = run(engine, "escape", |c| {
        c.preopen_dir(&sandbox, "/sandbox", DirPerms::ReadWrite);
    });
    assert_eq!(r.exit(), 0);
    assert_eq!(
        r.stdout(),
        lines(&[
            "read ../outside/secret.txt: EPERM",
            "create ../outside/new.txt: EPERM",
            "stat ../outside/secret.txt: EPERM",
            "unlink ../outside/secret.txt: EPERM",
            "mkdir ../outside/newdir: EPERM",
            "rename inside.txt to ../outside/moved.txt: EPERM",
            "libc open /etc/passwd: ENOTCAPABLE",
            "raw open ../outside/secret.txt: EPERM",
            "raw open /etc/passwd: EPERM",
            "raw create /tmp/escaped.txt: EPERM",
            "read via link_out: EPERM",
            "truncate via link_out: EPERM",
            "read via abs_link: EPERM",
            "read via dir_link/secret.txt: EPERM",
            "create via dir_link/new.txt: EPERM",
            "inside.txt still readable: inside",
        ])
    );
    assert_eq!(
        snapshot(root.path()),
        before,
        "the host file system changed"
    );
    assert_eq!(std::fs::read_to_string(&sentinel).unwrap(), "secret\n");
    assert_eq!(
        std::fs::metadata(&sentinel).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(tmp_escape.exists(), tmp_existed);
}

fn seeded_hex(seed: u64, skip: usize, len: usize) -> String {
    let mut bytes = vec![0u8; skip + len];
    SeededRandom::new(seed).fill(&mut bytes).unwrap();
    bytes[skip..].iter().map(|b| format!("{b:02x}")).collect()
}

/// Injected clocks and a seeded random source make a run reproducible.
pub fn deterministic_clock_and_random<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "clock_random", |c| {
        c.wall_clock(DeterministicClock::fixed(Duration::new(
            1_700_000_000,
            123_456_789,
        )))
        .monotonic_clock(DeterministicClock::new(
            Duration::from_secs(5),
            Duration::from_millis(1),
        ))
        .random_seed(42);
    });
    assert_eq!(r.exit(), 0);
    // The seeded generator is pinned (SplitMix64, bytes little-endian): the
    // same seed must give the same bytes in every release, on every backend.
    assert_eq!(seeded_hex(42, 0, 16), "956eeb2f2632d7bd03f166b233e3ef28");
    assert_eq!(
        r.stdout(),
        lines(&[
            "realtime: 1700000000.123456789",
            "monotonic: 5000000000 5001000000",
            "resolution: 0.000000001",
            "random a:956eeb2f2632d7bd03f166b233e3ef28",
            "random b:529f0f135767524794e34a0effe11c58",
            "check realtime after 2020: 1",
            "check monotonic non-decreasing: 1",
            "check random differs: 1",
        ])
    );
}

/// The real clocks advance and the real random source is not constant.
pub fn real_clock_and_random<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "clock_random", |_| {});
    assert_eq!(r.exit(), 0);
    let out = r.stdout();
    let checks: Vec<&str> = out.lines().skip(5).collect();
    assert_eq!(
        checks,
        [
            "check realtime after 2020: 1",
            "check monotonic non-decreasing: 1",
            "check random differs: 1",
        ],
        "{out}"
    );
    let again = run(engine, "clock_random", |_| {}).stdout();
    assert_ne!(
        out.lines().nth(3),
        again.lines().nth(3),
        "random bytes repeat"
    );
}

/// `proc_exit` codes come back as the exit status (0, 1, 42; 2 when `main`
/// returns it).
pub fn exit_codes<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    for code in [0, 1, 42] {
        let r = run(engine, "exit", |c| {
            c.arg(code.to_string());
        });
        assert_eq!(r.status.as_ref().unwrap(), &ExitStatus(code));
        assert_eq!(r.status.as_ref().unwrap().success(), code == 0);
        assert_eq!(r.stdout(), format!("exiting with {code}\n"));
        assert_eq!(r.stderr(), "");
    }
    // Returning from main with 2 goes through exit(2) too.
    let r = run(engine, "exit", |_| {});
    assert_eq!(r.exit(), 2);
    assert_eq!(r.stderr(), "usage: exit CODE|trap\n");
}

/// A trap in the program is an error, after the output written before it.
pub fn trap_is_an_error<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "exit", |c| {
        c.arg("trap");
    });
    let err = r.status.as_ref().unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable), "{err}");
    assert!(!err.is_setup_error());
    assert_eq!(r.stdout(), "about to trap\n");
}

/// A reactor is initialised once, then its exports are called with WASI working.
pub fn reactor_initialize_then_exports<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let module = module(engine, "reactor");
    assert_eq!(ProgramKind::of(&module), ProgramKind::Reactor);
    assert_eq!(
        ProgramKind::of(&self::module(engine, "hello")),
        ProgramKind::Command
    );
    let mut config = WasiConfig::new();
    let out = config.capture_stdout();
    assert!(matches!(
        run_command(engine, &module, &config),
        Err(WasiError::NotACommand)
    ));

    let ctx = WasiCtx::new(engine, &config).unwrap();
    let mut store = Store::new(engine, ctx);
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    initialize(&mut store, &instance).unwrap();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 5);
    let greet = instance
        .get_typed_func::<(), ()>(&mut store, "greet")
        .unwrap();
    greet.call(&mut store, ()).unwrap();
    assert_eq!(out.take(), b"hello from the reactor (initialized=1)\n");
    let quit = instance
        .get_typed_func::<i32, ()>(&mut store, "quit")
        .unwrap();
    let result = quit.call(&mut store, 42);
    assert!(matches!(result, Err(Error::Exit(42))), "{result:?}");
    assert_eq!(ExitStatus::from_call(result).unwrap(), ExitStatus(42));
    assert_eq!(out.take(), b"quitting with 42\n");
}

/// The user's own host state, next to WASI.
pub struct Counting<E: WasiEngine> {
    wasi: WasiCtx<E>,
    calls: u32,
}

impl<E: WasiEngine> HasWasi<E> for Counting<E> {
    fn wasi(&mut self) -> &mut WasiCtx<E> {
        &mut self.wasi
    }
}

/// The host's own state and imports live beside WASI in one store.
pub fn host_state_and_imports_coexist<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let module = module(engine, "host_import");
    let mut config = WasiConfig::new();
    let out = config.capture_stdout();
    let wasi = WasiCtx::new(engine, &config).unwrap();
    let mut store = Store::new(engine, Counting { wasi, calls: 0 });
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(
            "host",
            "twice",
            |mut c: Caller<'_, E, Counting<E>>, x: i32| {
                c.data_mut().calls += 1;
                Ok(x * 2)
            },
        )
        .unwrap();
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    assert_eq!(run_start(&mut store, &instance).unwrap(), ExitStatus(0));
    assert_eq!(store.data().calls, 3);
    assert_eq!(
        out.to_string_lossy(),
        lines(&["twice(1) = 2", "twice(2) = 4", "twice(3) = 6"])
    );
}

/// `run_command_with`: WASI plus the host's own imports in one call, with
/// the host state handed back.
/// `run_command_with` links the embedder's imports beside WASI.
pub fn run_command_with_extra_imports<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let module = module(engine, "host_import");
    let mut config = WasiConfig::new();
    let out = config.capture_stdout();
    let (status, calls) = run_command_with(engine, &module, &config, 0_u32, |linker| {
        linker.func_wrap(
            "host",
            "twice",
            |mut c: Caller<'_, E, WasiState<E, u32>>, x: i32| {
                c.data_mut().data += 1;
                Ok(x * 2)
            },
        )?;
        Ok(())
    })
    .unwrap();
    assert_eq!((status, calls), (ExitStatus(0), 3));
    assert_eq!(
        out.to_string_lossy(),
        lines(&["twice(1) = 2", "twice(2) = 4", "twice(3) = 6"])
    );
    // An error of the caller's own definitions comes back as it is.
    let err = run_command_with(engine, &module, &config, (), |linker| {
        linker.func_wrap(
            "wasi_snapshot_preview1",
            "fd_write",
            |_: Caller<'_, E, WasiState<E, ()>>| Ok(()),
        )?;
        Ok(())
    })
    .unwrap_err();
    assert!(
        matches!(&err, WasiError::Wasm(Error::Link(l)) if matches!(**l, LinkError::Duplicate { .. })),
        "{err}"
    );
}

/// A program importing something neither WASI nor the embedder defines fails before it starts, naming the import.
pub fn missing_embedder_import_is_named<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let module = module(engine, "host_import");
    let mut config = WasiConfig::new();
    let out = config.capture_stdout();
    let wasi = WasiCtx::new(engine, &config).unwrap();
    let mut store = Store::new(engine, wasi);
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let err = instantiate(&linker, &mut store, &module).unwrap_err();
    match &err {
        WasiError::Wasm(Error::Link(link)) => match &**link {
            LinkError::Missing { module, name, .. } => {
                assert_eq!((module.as_str(), name.as_str()), ("host", "twice"))
            }
            other => panic!("{other}"),
        },
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("host::twice"), "{err}");
    assert!(out.is_empty());

    // The same with WASI imports first: the diagnosis still names the
    // embedder's import, not a WASI function.
    let module = Module::new(
        engine,
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
          (import "host" "later" (func (param i64)))
          (memory (export "memory") 1)
          (func (export "_start")))"#,
    )
    .unwrap();
    let err = instantiate(&linker, &mut store, &module).unwrap_err();
    assert!(
        err.to_string().contains("missing import `host::later`"),
        "{err}"
    );
}

/// A preopen of a missing host directory or an invalid guest path fails before the program starts.
pub fn bad_preopens_fail_before_start<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let dir = TempDir::new("bad");
    let file = dir.join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let missing = dir.join("missing");

    let r = run(engine, "hello", |c| {
        c.preopen_dir(&missing, "/x", DirPerms::ReadWrite);
    });
    let err = r.status.unwrap_err();
    assert!(
        matches!(&err, WasiError::PreopenNotFound { host } if *host == missing),
        "{err}"
    );
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    assert!(err.is_setup_error());
    assert!(r.stdout.is_empty(), "the program ran");

    let r = run(engine, "hello", |c| {
        c.preopen_dir(&file, "/x", DirPerms::ReadOnly);
    });
    let err = r.status.unwrap_err();
    assert!(
        matches!(&err, WasiError::PreopenNotADirectory { host } if *host == file),
        "{err}"
    );
    assert!(err.to_string().contains("is not a directory"), "{err}");
    assert!(r.stdout.is_empty());

    let r = run(engine, "hello", |c| {
        c.preopen_dir(dir.path(), "", DirPerms::ReadOnly);
    });
    assert!(matches!(r.status, Err(WasiError::InvalidGuestPath { .. })));
}

/// Environment entries without `=`, with an empty name or `=` in the name,
/// and NUL bytes in values or arguments fail before the program starts.
pub fn bad_env_and_strings_fail_before_start<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let r = run(engine, "hello", |c| {
        c.env_entry("NO_EQUALS_SIGN");
    });
    let err = r.status.unwrap_err();
    assert!(
        matches!(&err, WasiError::InvalidEnv { entry, .. } if entry == "NO_EQUALS_SIGN"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "invalid environment entry `NO_EQUALS_SIGN`: expected KEY=VALUE"
    );
    assert!(r.stdout.is_empty());

    for (k, v) in [("", "x"), ("A=B", "x"), ("NUL", "a\0b")] {
        let r = run(engine, "hello", |c| {
            c.env(k, v);
        });
        assert!(
            matches!(
                r.status,
                Err(WasiError::InvalidEnv { .. } | WasiError::NulByte { .. })
            ),
            "{k}={v}: {:?}",
            r.status
        );
    }
    let r = run(engine, "hello", |c| {
        c.arg("a\0b");
    });
    assert!(matches!(
        r.status,
        Err(WasiError::NulByte {
            what: "argument",
            ..
        })
    ));
}

fn wat_error<E: WasiEngine>(engine: &E, wat: &str) -> WasiError {
    let module = Module::new(engine, wat).unwrap();
    let mut config = WasiConfig::new();
    let out = config.capture_stdout();
    let err = run_command(engine, &module, &config).unwrap_err();
    assert!(out.is_empty());
    assert!(err.is_setup_error(), "{err}");
    err
}

/// Unknown WASI functions, wrong signatures and a missing memory fail before the program starts.
pub fn bad_imports_fail_before_start<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let err = run(engine, "bad_import", |_| {}).status.unwrap_err();
    assert!(
        matches!(&err, WasiError::UnknownImport { module, name }
            if module == WASI_MODULE && name == "fd_frobnicate"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "the module imports `wasi_snapshot_preview1::fd_frobnicate`, which is not a WASI preview 1 function"
    );

    let err = wat_error(
        engine,
        r#"(module (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1) (func (export "_start")))"#,
    );
    assert!(matches!(err, WasiError::UnsupportedVersion { .. }), "{err}");

    let err = wat_error(
        engine,
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
             (memory (export "memory") 1) (func (export "_start")))"#,
    );
    assert!(
        matches!(err, WasiError::ImportType { ref name, .. } if name == "fd_write"),
        "{err}"
    );

    let err = wat_error(
        engine,
        r#"(module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
             (memory 1) (func (export "_start")))"#,
    );
    assert!(matches!(err, WasiError::MissingMemory), "{err}");
}

/// A `proc_exit` code out of range (200) is a typed error, not a silent
/// truncation.
pub fn proc_exit_out_of_range_is_an_error<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let module = Module::new(
        engine,
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $exit (i32.const 200))))"#,
    )
    .unwrap();
    let err = run_command(engine, &module, &WasiConfig::new()).unwrap_err();
    match &err {
        WasiError::Wasm(e) => assert!(
            matches!(
                e.host_error::<WasiError>(),
                Some(WasiError::InvalidExitStatus(200))
            ),
            "{e}"
        ),
        other => panic!("{other}"),
    }
}

/// `random_get` checks its bounds, and a seed fixes its bytes.
pub fn random_get_bounds_and_seed<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    let module = Module::new(
        engine,
        r#"(module (import "wasi_snapshot_preview1" "random_get" (func $rand (param i32 i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "get") (param i32 i32) (result i32)
               (call $rand (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let mut config = WasiConfig::new();
    config.random_seed(7);
    let ctx = WasiCtx::new(engine, &config).unwrap();
    let mut store = Store::new(engine, ctx);
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    let get = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "get")
        .unwrap();
    assert_eq!(get.call(&mut store, (65_530, 10)).unwrap(), 21, "EFAULT");
    assert_eq!(get.call(&mut store, (-1, 2)).unwrap(), 21, "EFAULT");
    assert_eq!(get.call(&mut store, (100, 1000)).unwrap(), 0);
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let mut expect = vec![0u8; 1000];
    SeededRandom::new(7).fill(&mut expect).unwrap();
    assert_eq!(&memory.data(&store)[100..1100], &expect[..]);
    assert_eq!(get.call(&mut store, (0, 0)).unwrap(), 0);
}

/// Adding WASI to a linker leaves shadowing off: a second definition is still an error.
pub fn linker_keeps_shadowing_off<E: WasiEngine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = &engine_of(make);
    // A WASI name defined before WASI is added is a duplicate too.
    let mut early: Linker<E, WasiCtx<E>> = Linker::new(engine);
    early
        .func_wrap(
            WASI_MODULE,
            "sched_yield",
            |_: Caller<'_, E, WasiCtx<E>>| Ok(0),
        )
        .unwrap();
    match add_to_linker(&mut early) {
        Err(WasiError::Wasm(Error::Link(link))) => assert!(
            matches!(*link, LinkError::Duplicate { ref name, .. } if name == "sched_yield"),
            "{link}"
        ),
        other => panic!("adding WASI over a defined WASI name: {other:?}"),
    }
    let mut linker: Linker<E, WasiCtx<E>> = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let again = linker.func_wrap(
        WASI_MODULE,
        "sched_yield",
        |_: Caller<'_, E, WasiCtx<E>>| Ok(0),
    );
    match again.map(|_| ()) {
        Err(Error::Link(link)) => assert!(
            matches!(*link, LinkError::Duplicate { .. }),
            "a second definition of a WASI function: {link}"
        ),
        other => panic!("a second definition must be LinkError::Duplicate, got {other:?}"),
    }
    // A configuration is reusable: two contexts from one config.
    let mut config = WasiConfig::new();
    let out: Capture = config.capture_stdout();
    for _ in 0..2 {
        let r = run_command(engine, &module(engine, "hello"), &config).unwrap();
        assert_eq!(r, ExitStatus(0));
    }
    assert_eq!(out.to_string_lossy(), "Hello, world!\nHello, world!\n");
}
