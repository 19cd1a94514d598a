//! WASI preview 2 (`wasm_run::wasi::p2`): the preview 1 fixtures made
//! command components with wasmtime 48's preview 1 command adapter
//! (`tests/fixtures/wasi/p2`, built by `tests/fixtures/component/build.sh`)
//! run through wasm-run's own preview 2 host on every backend and on
//! wasmtime's own component model, and print exactly what the same
//! programs print as preview 1 modules.

use std::time::Duration;

use wasm_run::component::{Component, Linker};
use wasm_run::wasi::p2::{self, WasiP2};
use wasm_run::wasi::{DeterministicClock, DirPerms, ExitStatus, WasiConfig, WasiError};
use wasm_run::{Config, Engine, Error, Module, Store};

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/wasi/p2/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a program printed and how it ended.
#[derive(Debug, PartialEq)]
pub(crate) struct Run {
    pub(crate) status: Result<ExitStatus, String>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn configure(c: &mut WasiConfig, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) {
    c.args(args.iter().copied());
    for (k, v) in env {
        c.env(*k, *v);
    }
    c.stdin_bytes(stdin.to_vec());
    c.wall_clock(DeterministicClock::fixed(Duration::new(1_700_000_000, 5)))
        .monotonic_clock(DeterministicClock::new(
            Duration::from_secs(5),
            Duration::from_millis(1),
        ))
        .random_seed(7);
}

/// The component `name` through the preview 2 host.
fn run_p2<E: Engine>(
    engine: &E,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
) -> Run {
    run_p2_with(engine, name, |c| configure(c, args, env, stdin))
}

/// Runs a program with a config `set` fills, stdout and stderr captured.
fn captured(
    set: impl FnOnce(&mut WasiConfig),
    run: impl FnOnce(&WasiConfig) -> Result<ExitStatus, WasiError>,
) -> Run {
    let mut c = WasiConfig::new();
    set(&mut c);
    let (out, err) = (c.capture_stdout(), c.capture_stderr());
    let status = run(&c).map_err(|e| e.to_string());
    Run {
        status,
        stdout: out.to_string_lossy(),
        stderr: err.to_string_lossy(),
    }
}

pub(crate) fn run_p2_with<E: Engine>(
    engine: &E,
    name: &str,
    set: impl FnOnce(&mut WasiConfig),
) -> Run {
    let component = Component::new(engine, fixture(name)).unwrap();
    captured(set, |c| p2::run_command(engine, &component, c))
}

/// The same program as a preview 1 module.
fn run_p1<E: wasm_run::wasi::WasiEngine>(
    engine: &E,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
) -> Run {
    run_p1_with(engine, name, |c| configure(c, args, env, stdin))
}

pub(crate) fn run_p1_with<E: wasm_run::wasi::WasiEngine>(
    engine: &E,
    name: &str,
    set: impl FnOnce(&mut WasiConfig),
) -> Run {
    let path = format!(
        "{}/engine-conformance/fixtures/wasi/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    let module = Module::from_file(engine, &path).unwrap();
    captured(set, |c| wasm_run::wasi::run_command(engine, &module, c))
}

/// A program, its arguments, environment and stdin.
type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a [u8]);

fn programs_print_what_they_print_as_modules<E: wasm_run::wasi::WasiEngine>(engine: &E) {
    let input: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let cases: &[Case] = &[
        ("hello", &["hello"], &[], b""),
        (
            "echo",
            &["echo", "a b", "ünï", ""],
            &[("B", "2"), ("A", "x=y"), ("EMPTY", "")],
            b"",
        ),
        ("cat", &["cat"], &[], &input),
        ("cat", &["cat"], &[], b""),
        ("clock_random", &["clock_random"], &[], b""),
        ("exit", &["exit", "0"], &[], b""),
        ("exit", &["exit", "1"], &[], b""),
    ];
    for (name, args, env, stdin) in cases {
        let p2 = run_p2(engine, name, args, env, stdin);
        let p1 = run_p1(engine, name, args, env, stdin);
        assert_eq!(p2, p1, "{name} {args:?}");
    }
    let hello = run_p2(engine, "hello", &["hello"], &[], b"");
    assert_eq!(hello.stdout, "Hello, world!\n");
    assert_eq!(hello.stderr, "Hello, stderr!\n");
    assert_eq!(hello.status, Ok(ExitStatus(0)));
}

/// WASI 0.2's `exit` carries only success or failure: a status other than
/// 0 is 1 through the preview 1 adapter (a limit of the adapter route).
fn exit_statuses_are_success_or_failure<E: Engine>(engine: &E) {
    let r = run_p2(engine, "exit", &["exit", "42"], &[], b"");
    assert_eq!(r.status, Ok(ExitStatus(1)));
    assert_eq!(r.stdout, "exiting with 42\n");
    let r = run_p2(engine, "exit", &["exit"], &[], b"");
    assert_eq!(r.status, Ok(ExitStatus(1)));
    assert_eq!(r.stderr, "usage: exit CODE|trap\n");
    let r = run_p2(engine, "exit", &["exit", "trap"], &[], b"");
    let e = r.status.unwrap_err();
    assert!(e.contains("unreachable"), "{e}");
    assert_eq!(r.stdout, "about to trap\n");
}

/// The tree the filesystem programs start from: a sandbox with files, a
/// subdirectory and symlinks (one out of it, one absolute to `abs`, one to
/// a directory outside), and a secret beside it. `abs` is one absolute path
/// outside every tree's sandbox.
pub(crate) fn tree(root: &std::path::Path, abs: &std::path::Path) {
    let sandbox = root.join("sandbox");
    let outside = root.join("outside");
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret\n").unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside\n").unwrap();
    std::fs::write(sandbox.join("data.txt"), "data\n").unwrap();
    std::fs::write(sandbox.join("sub/inner.txt"), "inner\n").unwrap();
    std::os::unix::fs::symlink("../outside/secret.txt", sandbox.join("link_out")).unwrap();
    std::os::unix::fs::symlink(abs, sandbox.join("abs_link")).unwrap();
    std::os::unix::fs::symlink("../outside", sandbox.join("dir_link")).unwrap();
}

/// The filesystem programs (files in a read-write preopen, a read-only
/// preopen refusing every change, escapes through `..`, absolute paths and
/// symlinks) print the same as preview 1 modules and leave the same files:
/// each runs in a fresh copy of the same directory tree.
fn filesystem_programs_agree_with_preview_1<E: wasm_run::wasi::WasiEngine>(engine: &E) {
    use crate::files::{TempDir, snapshot};
    for (name, guest, perms) in [
        ("files", "/sandbox", DirPerms::ReadWrite),
        ("readonly", "/ro", DirPerms::ReadOnly),
        ("escape", "/sandbox", DirPerms::ReadWrite),
    ] {
        let (a, b) = (TempDir::new("p2-fs"), TempDir::new("p1-fs"));
        let secret = a.0.join("outside/secret.txt");
        tree(&a.0, &secret);
        tree(&b.0, &secret);
        let p2 = run_p2_with(engine, name, |c| {
            c.preopen_dir(a.0.join("sandbox"), guest, perms);
        });
        let mut p1 = run_p1_with(engine, name, |c| {
            c.preopen_dir(b.0.join("sandbox"), guest, perms);
        });
        // One answer differs between the versions, as it does between
        // wasmtime-wasi's preview 1 and preview 2 (`differential.rs`): a
        // write to a file of a read-only preopen opened for reading is
        // `EBADF` in preview 1 and `not-permitted` (`EPERM`) in preview 2.
        p1.stdout = p1.stdout.replace(
            "write to read-only fd: EBADF",
            "write to read-only fd: EPERM",
        );
        assert_eq!(p2, p1, "{name}");
        assert_eq!(p2.status, Ok(ExitStatus(0)), "{name}: {p2:?}");
        assert_eq!(snapshot(&a.0), snapshot(&b.0), "{name}: the files left");
    }
}

/// A component that is not a command, and an import the host does not
/// serve, are typed errors before anything runs.
fn refusals_are_typed<E: Engine>(engine: &E) {
    let reactor = Component::new(
        engine,
        r#"(component
             (core module $m (func (export "f")))
             (core instance $i (instantiate $m))
             (func (export "f") (canon lift (core func $i "f"))))"#,
    )
    .unwrap();
    assert!(p2::command_export(&reactor).is_none());
    assert!(matches!(
        p2::run_command(engine, &reactor, &WasiConfig::new()),
        Err(WasiError::NotACommand)
    ));
    // An import the host does not serve is a link error naming it.
    let stranger = Component::new(
        engine,
        r#"(component (import "wasi:keyvalue/store@0.2.0" (instance (export "f" (func)))))"#,
    )
    .unwrap();
    let mut store = Store::new(engine, WasiP2::new(&WasiConfig::new()).unwrap());
    let mut linker = Linker::new(engine);
    p2::add_to_linker(&mut linker).unwrap();
    let e = linker.instantiate(&mut store, &stranger).unwrap_err();
    assert!(matches!(e, Error::Link(_)), "{e}");
    assert!(e.to_string().contains("wasi:keyvalue/store"), "{e}");
    // wasmtime-wasi's preview 2 as the reference: on wasmtime it runs the
    // command as ours does; another backend has none (a typed error).
    let hello = Component::new(engine, fixture("hello")).unwrap();
    let mut c = WasiConfig::new();
    let out = c.capture_stdout();
    c.wasi_host(wasm_run::wasi::WasiHost::Engine);
    let on_wasmtime = engine
        .backend()
        .downcast_ref::<wasm_run::Wasmtime>()
        .is_some();
    match p2::run_command(engine, &hello, &c) {
        Ok(status) => {
            assert!(on_wasmtime);
            assert_eq!(status, ExitStatus(0));
            assert_eq!(out.contents(), b"Hello, world!\n");
        }
        Err(e) => {
            assert!(!on_wasmtime, "{e}");
            assert!(matches!(e, WasiError::Adapter { .. }), "{e}");
        }
    }
}

/// `wasi:sockets` links and is denied: a network exists, creating a TCP
/// socket answers `err(access-denied)`.
fn sockets_are_denied<E: Engine>(engine: &E) {
    // The result's discriminant (1: err) and the error code's case (1:
    // access-denied), as the guest read them.
    assert_eq!(
        run_export(engine, SOCKETS),
        wasm_run::component::Val::U32(256 + 1)
    );
}

/// Instantiates the component `wat` with preview 2 (a default
/// configuration) and calls its `run` export; the result.
fn run_export<E: Engine>(engine: &E, wat: &str) -> wasm_run::component::Val {
    let component = Component::new(engine, wat).unwrap();
    let mut store = Store::new(engine, WasiP2::new(&WasiConfig::new()).unwrap());
    let mut linker = Linker::new(engine);
    p2::add_to_linker(&mut linker).unwrap();
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let mut out = [wasm_run::component::Val::Bool(false)];
    let run = instance.get_func("run").unwrap();
    run.call(&mut store, &[], &mut out).unwrap();
    let [result] = out;
    result
}

/// A guest that forges a stream handle or drops one twice traps (a typed
/// error, not a host panic), and one that asks to read 2^64-1 bytes gets at
/// most the host's chunk (1 MiB).
fn hostile_handles_and_sizes<E: Engine>(engine: &E) {
    use wasm_run::component::Val;
    let component = Component::new(engine, HOSTILE).unwrap();
    let mut c = WasiConfig::new();
    c.stdin_bytes(vec![7u8; 2 << 20]);
    let mut store = Store::new(engine, WasiP2::new(&c).unwrap());
    let mut linker = Linker::new(engine);
    p2::add_to_linker(&mut linker).unwrap();
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let call = |store: &mut Store<E, WasiP2>, name: &str, results: usize| {
        let mut out = vec![Val::Bool(false); results];
        instance
            .get_func(name)
            .unwrap()
            .call(store, &[], &mut out)
            .map(|()| out.pop())
    };
    assert_eq!(
        call(&mut store, "big-read", 1).unwrap(),
        Some(Val::U32(1 << 20))
    );
    for name in ["forged", "double-drop"] {
        // A fresh instance: wasmtime's own component model refuses calls
        // into a store after a trap.
        let mut store = Store::new(engine, WasiP2::new(&WasiConfig::new()).unwrap());
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let e = instance
            .get_func(name)
            .unwrap()
            .call(&mut store, &[], &mut [])
            .unwrap_err();
        assert!(matches!(e, Error::Trap { .. }), "{name}: {e}");
    }
}

/// Exports `forged` (check-write on a handle it does not hold),
/// `double-drop` (drops its stdin handle twice) and `big-read` (reads
/// 2^64-1 bytes of stdin; returns how many came).
const HOSTILE: &str = r#"(component
  (type $ty-err (instance (export "error" (type (sub resource)))))
  (import "wasi:io/error@0.2.0" (instance $ioerr (type $ty-err)))
  (alias export $ioerr "error" (type $error))
  (type $ty-streams (instance
    (alias outer 1 $error (type (;0;)))
    (export (;1;) "error" (type (eq 0)))
    (export (;2;) "output-stream" (type (sub resource)))
    (type (;3;) (own 1))
    (type (;4;) (variant (case "last-operation-failed" 3) (case "closed")))
    (export (;5;) "stream-error" (type (eq 4)))
    (export (;6;) "input-stream" (type (sub resource)))
    (type (;7;) (borrow 2))
    (type (;8;) (result u64 (error 5)))
    (type (;9;) (func (param "self" 7) (result 8)))
    (export "[method]output-stream.check-write" (func (type 9)))
    (type (;10;) (borrow 6))
    (type (;11;) (list u8))
    (type (;12;) (result 11 (error 5)))
    (type (;13;) (func (param "self" 10) (param "len" u64) (result 12)))
    (export "[method]input-stream.read" (func (type 13)))))
  (import "wasi:io/streams@0.2.0" (instance $streams (type $ty-streams)))
  (alias export $streams "input-stream" (type $input-stream))
  (type $ty-stdin (instance
    (alias outer 1 $input-stream (type (;0;)))
    (export (;1;) "input-stream" (type (eq 0)))
    (type (;2;) (own 1))
    (type (;3;) (func (result 2)))
    (export "get-stdin" (func (type 3)))))
  (import "wasi:cli/stdin@0.2.0" (instance $stdin (type $ty-stdin)))
  (core module $mem
    (memory (export "m") 40)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $r i32)
      (local.set $r (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (local.get $r)))
  (core instance $mi (instantiate $mem))
  (alias core export $mi "m" (core memory $m))
  (alias core export $mi "realloc" (core func $realloc))
  (alias export $streams "[method]output-stream.check-write" (func $cw))
  (alias export $streams "[method]input-stream.read" (func $rd))
  (alias export $stdin "get-stdin" (func $gs))
  (core func $cw2 (canon lower (func $cw) (memory $m)))
  (core func $rd2 (canon lower (func $rd) (memory $m) (realloc $realloc)))
  (core func $gs2 (canon lower (func $gs)))
  (core func $drop (canon resource.drop $input-stream))
  (core module $main
    (import "" "cw" (func $cw (param i32 i32)))
    (import "" "rd" (func $rd (param i32 i64 i32)))
    (import "" "gs" (func $gs (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "m" (memory 1))
    (func (export "forged") (call $cw (i32.const 12345) (i32.const 64)))
    (func (export "big-read") (result i32) (local $h i32)
      (local.set $h (call $gs))
      (call $rd (local.get $h) (i64.const -1) (i32.const 64))
      (i32.load (i32.const 72)))
    (func (export "double-drop") (local $h i32)
      (local.set $h (call $gs))
      (call $drop (local.get $h))
      (call $drop (local.get $h))))
  (core instance $i (instantiate $main (with "" (instance
    (export "cw" (func $cw2)) (export "rd" (func $rd2)) (export "gs" (func $gs2))
    (export "drop" (func $drop)) (export "m" (memory $m))))))
  (func (export "forged") (canon lift (core func $i "forged")))
  (func (export "big-read") (result u32) (canon lift (core func $i "big-read")))
  (func (export "double-drop") (canon lift (core func $i "double-drop"))))"#;

/// Builds an HTTP request through `wasi:http/types` and sends it through
/// `wasi:http/outgoing-handler`; returns 64 bytes of its memory where each
/// call left its result (bytes not written stay 0xff).
const HTTP: &str = r#"(component
  (type $dnsp (record (field "rcode" (option string)) (field "info-code" (option u16))))
  (type $tlsp (record (field "alert-id" (option u8)) (field "alert-message" (option string))))
  (type $fsp (record (field "field-name" (option string)) (field "field-size" (option u32))))
  (import "wasi:http/types@0.2.0" (instance $types
    (export "fields" (type $fields (sub resource)))
    (export "outgoing-request" (type $req (sub resource)))
    (export "request-options" (type (sub resource)))
    (export "future-incoming-response" (type (sub resource)))
    (alias outer 1 $dnsp (type $dnsp))
    (export "DNS-error-payload" (type $dns (eq $dnsp)))
    (alias outer 1 $tlsp (type $tlsp))
    (export "TLS-alert-received-payload" (type $tls (eq $tlsp)))
    (alias outer 1 $fsp (type $fsp))
    (export "field-size-payload" (type $fs (eq $fsp)))
    (type $code (variant
      (case "DNS-timeout") (case "DNS-error" $dns) (case "destination-not-found")
      (case "destination-unavailable") (case "destination-IP-prohibited")
      (case "destination-IP-unroutable") (case "connection-refused")
      (case "connection-terminated") (case "connection-timeout")
      (case "connection-read-timeout") (case "connection-write-timeout")
      (case "connection-limit-reached") (case "TLS-protocol-error")
      (case "TLS-certificate-error") (case "TLS-alert-received" $tls)
      (case "HTTP-request-denied") (case "HTTP-request-length-required")
      (case "HTTP-request-body-size" (option u64)) (case "HTTP-request-method-invalid")
      (case "HTTP-request-URI-invalid") (case "HTTP-request-URI-too-long")
      (case "HTTP-request-header-section-size" (option u32))
      (case "HTTP-request-header-size" (option $fs))
      (case "HTTP-request-trailer-section-size" (option u32))
      (case "HTTP-request-trailer-size" $fs) (case "HTTP-response-incomplete")
      (case "HTTP-response-header-section-size" (option u32))
      (case "HTTP-response-header-size" $fs) (case "HTTP-response-body-size" (option u64))
      (case "HTTP-response-trailer-section-size" (option u32))
      (case "HTTP-response-trailer-size" $fs)
      (case "HTTP-response-transfer-coding" (option string))
      (case "HTTP-response-content-coding" (option string)) (case "HTTP-response-timeout")
      (case "HTTP-upgrade-failed") (case "HTTP-protocol-error") (case "loop-detected")
      (case "configuration-error") (case "internal-error" (option string))))
    (export "error-code" (type (eq $code)))
    (type $herr (variant (case "invalid-syntax") (case "forbidden") (case "immutable")))
    (export "header-error" (type $he (eq $herr)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]fields.append" (func (param "self" (borrow $fields))
      (param "name" string) (param "value" (list u8)) (result (result (error $he)))))
    (export "[method]fields.get" (func (param "self" (borrow $fields))
      (param "name" string) (result (list (list u8)))))
    (export "[constructor]outgoing-request" (func (param "headers" (own $fields))
      (result (own $req))))
    (export "[method]outgoing-request.set-authority" (func (param "self" (borrow $req))
      (param "authority" (option string)) (result (result))))
    (export "[method]outgoing-request.headers" (func (param "self" (borrow $req))
      (result (own $fields))))))
  (alias export $types "outgoing-request" (type $req))
  (alias export $types "request-options" (type $opts))
  (alias export $types "future-incoming-response" (type $fut))
  (alias export $types "error-code" (type $ec))
  (import "wasi:http/outgoing-handler@0.2.0" (instance $oh
    (alias outer 1 $req (type $req0))
    (export "outgoing-request" (type $req (eq $req0)))
    (alias outer 1 $opts (type $opts0))
    (export "request-options" (type $opts (eq $opts0)))
    (alias outer 1 $fut (type $fut0))
    (export "future-incoming-response" (type $fut (eq $fut0)))
    (alias outer 1 $ec (type $ec0))
    (export "error-code" (type $ec (eq $ec0)))
    (export "handle" (func (param "request" (own $req)) (param "options" (option (own $opts)))
      (result (result (own $fut) (error $ec)))))))
  (core module $libc
    (memory (export "m") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (i32.sub (global.get $next) (local.get 3))))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "m" (core memory $m))
  (alias core export $libc "realloc" (core func $realloc))
  (alias export $types "[constructor]fields" (func $f-new))
  (alias export $types "[method]fields.append" (func $f-append))
  (alias export $types "[method]fields.get" (func $f-get))
  (alias export $types "[constructor]outgoing-request" (func $r-new))
  (alias export $types "[method]outgoing-request.set-authority" (func $r-auth))
  (alias export $types "[method]outgoing-request.headers" (func $r-headers))
  (alias export $oh "handle" (func $handle))
  (core func $f-new2 (canon lower (func $f-new)))
  (core func $f-append2 (canon lower (func $f-append) (memory $m)))
  (core func $f-get2 (canon lower (func $f-get) (memory $m) (realloc $realloc)))
  (core func $r-new2 (canon lower (func $r-new)))
  (core func $r-auth2 (canon lower (func $r-auth) (memory $m)))
  (core func $r-headers2 (canon lower (func $r-headers)))
  (core func $handle2 (canon lower (func $handle) (memory $m) (realloc $realloc)))
  (core module $main
    (import "" "m" (memory 1))
    (import "" "f-new" (func $f-new (result i32)))
    (import "" "f-append" (func $f-append (param i32 i32 i32 i32 i32 i32)))
    (import "" "f-get" (func $f-get (param i32 i32 i32 i32)))
    (import "" "r-new" (func $r-new (param i32) (result i32)))
    (import "" "r-auth" (func $r-auth (param i32 i32 i32 i32) (result i32)))
    (import "" "r-headers" (func $r-headers (param i32) (result i32)))
    (import "" "handle" (func $handle (param i32 i32 i32 i32)))
    (data (i32.const 0) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
    (data (i32.const 16) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
    (data (i32.const 32) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
    (data (i32.const 48) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
    (data (i32.const 100) "x-demo")
    (data (i32.const 110) "hello")
    (data (i32.const 120) "connection")
    (data (i32.const 140) "bad name")
    (data (i32.const 160) "example.com")
    (func (export "run") (result i32) (local $f i32) (local $r i32) (local $h i32)
      (local.set $f (call $f-new))
      ;; result<_, header-error>: discriminant, then the error's case
      (call $f-append (local.get $f) (i32.const 100) (i32.const 6) (i32.const 110) (i32.const 5) (i32.const 0))
      (call $f-append (local.get $f) (i32.const 120) (i32.const 10) (i32.const 110) (i32.const 5) (i32.const 8))
      (call $f-append (local.get $f) (i32.const 140) (i32.const 8) (i32.const 110) (i32.const 5) (i32.const 16))
      (local.set $r (call $r-new (local.get $f)))
      (i32.store8 (i32.const 24)
        (call $r-auth (local.get $r) (i32.const 1) (i32.const 160) (i32.const 11)))
      (local.set $h (call $r-headers (local.get $r)))
      (call $f-append (local.get $h) (i32.const 100) (i32.const 6) (i32.const 110) (i32.const 5) (i32.const 32))
      ;; get x-demo from the request's headers: a list of values at 200
      (call $f-get (local.get $h) (i32.const 100) (i32.const 6) (i32.const 200))
      (i32.store8 (i32.const 56) (i32.load (i32.const 204)))
      ;; result<own<future-incoming-response>, error-code>: discriminant at
      ;; 40, the error code's case at 48
      (call $handle (local.get $r) (i32.const 0) (i32.const 0) (i32.const 40))
      (i32.store (i32.const 300) (i32.const 0))
      (i32.store (i32.const 304) (i32.const 64))
      (i32.const 300)))
  (core instance $i (instantiate $main (with "" (instance
    (export "m" (memory $m)) (export "f-new" (func $f-new2)) (export "f-append" (func $f-append2))
    (export "f-get" (func $f-get2)) (export "r-new" (func $r-new2)) (export "r-auth" (func $r-auth2))
    (export "r-headers" (func $r-headers2)) (export "handle" (func $handle2))))))
  (func (export "run") (result (list u8))
    (canon lift (core func $i "run") (memory $m))))"#;

/// Calls `instance-network` and `create-tcp-socket(ipv4)` and returns the
/// result's discriminant * 256 + the error code's case.
const SOCKETS: &str = r#"(component
  (type $fam (enum "ipv4" "ipv6"))
  (type $code (enum "unknown" "access-denied" "not-supported"))
  (import "wasi:sockets/network@0.2.0" (instance $net
    (export "network" (type (sub resource)))))
  (alias export $net "network" (type $network))
  (type $ty-inet (instance
    (alias outer 1 $network (type (;0;)))
    (export (;1;) "network" (type (eq 0)))
    (type (;2;) (own 1))
    (type (;3;) (func (result 2)))
    (export "instance-network" (func (type 3)))))
  (import "wasi:sockets/instance-network@0.2.0" (instance $inet (type $ty-inet)))
  (import "wasi:sockets/tcp@0.2.0" (instance $tcp
    (export "tcp-socket" (type (sub resource)))))
  (alias export $tcp "tcp-socket" (type $sock))
  (type $ty-create (instance
    (alias outer 1 $sock (type (;0;)))
    (export (;1;) "tcp-socket" (type (eq 0)))
    (alias outer 1 $fam (type (;2;)))
    (export (;3;) "ip-address-family" (type (eq 2)))
    (alias outer 1 $code (type (;4;)))
    (export (;5;) "error-code" (type (eq 4)))
    (type (;6;) (own 1))
    (type (;7;) (result 6 (error 5)))
    (type (;8;) (func (param "address-family" 3) (result 7)))
    (export "create-tcp-socket" (func (type 8)))))
  (import "wasi:sockets/tcp-create-socket@0.2.0" (instance $create (type $ty-create)))
  (core module $mem (memory (export "m") 1))
  (core instance $mi (instantiate $mem))
  (alias core export $mi "m" (core memory $m))
  (alias export $create "create-tcp-socket" (func $ct))
  (alias export $inet "instance-network" (func $in))
  (core func $ct2 (canon lower (func $ct) (memory $m)))
  (core func $in2 (canon lower (func $in)))
  (core module $main
    (import "" "ct" (func $ct (param i32 i32)))
    (import "" "in" (func $in (result i32)))
    (import "" "m" (memory 1))
    (func (export "run") (result i32)
      (drop (call $in))
      (call $ct (i32.const 0) (i32.const 16))
      (i32.add
        (i32.mul (i32.load8_u (i32.const 16)) (i32.const 256))
        (i32.load8_u (i32.const 20)))))
  (core instance $i (instantiate $main (with "" (instance
    (export "ct" (func $ct2)) (export "in" (func $in2)) (export "m" (memory $m))))))
  (func (export "run") (result u32) (canon lift (core func $i "run"))))"#;

/// `wasi:http` links and is denied: the guest builds headers (a forbidden
/// one and a malformed one refused, the request's own headers immutable)
/// and a request, and sending it answers `err(HTTP-request-denied)`.
fn http_is_denied<E: Engine>(engine: &E) {
    use wasm_run::component::Val;
    let bytes: Vec<u8> = match &run_export(engine, HTTP) {
        Val::Bytes(b) => b.clone(),
        Val::List(items) => items
            .iter()
            .map(|v| match v {
                Val::U8(b) => *b,
                other => panic!("{other}"),
            })
            .collect(),
        other => panic!("{other}"),
    };
    // Each result as the guest's memory holds it (see HTTP's comments):
    // (offset, byte).
    for (at, want, what) in [
        (0, 0, "append x-demo: ok"),
        (8, 1, "append connection: err"),
        (9, 1, "... forbidden"),
        (16, 1, "append `bad name`: err"),
        (17, 0, "... invalid-syntax"),
        (24, 0, "set-authority: ok"),
        (32, 1, "append to the request's headers: err"),
        (33, 2, "... immutable"),
        (40, 1, "handle: err"),
        (48, 15, "... HTTP-request-denied"),
        (56, 1, "the request's headers have x-demo"),
    ] {
        assert_eq!(bytes[at], want, "{what}");
    }
}

/// A command component that imports `report` (the host's) next to
/// `wasi:cli/exit`; its `run` reports 42, then does `tail`.
fn reporter(tail: &str) -> String {
    format!(
        r#"(component
            (import "report" (func $report (param "n" u32)))
            (import "wasi:cli/exit@0.2.0" (instance $exit
                (export "exit" (func (param "status" (result))))))
            (alias export $exit "exit" (func $exit_f))
            (core func $report_l (canon lower (func $report)))
            (core func $exit_l (canon lower (func $exit_f)))
            (core module $m
                (import "" "report" (func $report (param i32)))
                (import "" "exit" (func $exit (param i32)))
                (func (export "run") (result i32)
                    i32.const 42 call $report
                    {tail}))
            (core instance $i (instantiate $m (with "" (instance
                (export "report" (func $report_l))
                (export "exit" (func $exit_l))))))
            (func $run (result (result)) (canon lift (core func $i "run")))
            (instance $cli (export "run" (func $run)))
            (export "wasi:cli/run@0.2.0" (instance $cli)))"#
    )
}

/// `p2::run_command_with`: the host's own imports next to WASI, its data
/// handed back with the status; a missing import, a failing `imports` and
/// the engine's own host are typed errors.
fn run_command_with_imports_of_the_host<E: Engine>(engine: &E) {
    let run = |tail: &str, define: bool| {
        let component = Component::new(engine, reporter(tail)).unwrap();
        p2::run_command_with(
            engine,
            &component,
            &WasiConfig::new(),
            Vec::<u32>::new(),
            |linker| {
                if define {
                    linker.func_new("report", |cx, params, _| {
                        if let [wasm_run::component::Val::U32(n)] = params {
                            cx.data_mut().data.push(*n);
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            },
        )
    };
    // `run` returns ok, returns err, calls `exit(err)` (WASI's, next to
    // the host's import).
    assert_eq!(run("i32.const 0", true).unwrap(), (ExitStatus(0), vec![42]));
    assert_eq!(run("i32.const 1", true).unwrap(), (ExitStatus(1), vec![42]));
    assert_eq!(
        run("i32.const 1 call $exit unreachable", true).unwrap(),
        (ExitStatus(1), vec![42])
    );
    match run("i32.const 0", false) {
        Err(WasiError::Wasm(Error::Link(e))) => assert!(e.to_string().contains("report"), "{e}"),
        other => panic!("{other:?}"),
    }
    let component = Component::new(engine, reporter("i32.const 0")).unwrap();
    let refused = p2::run_command_with(engine, &component, &WasiConfig::new(), (), |_| {
        Err(Error::Host("no".into()))
    });
    assert!(
        matches!(&refused, Err(WasiError::Wasm(Error::Host(m))) if m.to_string() == "no"),
        "{refused:?}"
    );
    let mut engine_host = WasiConfig::new();
    engine_host.wasi_host(wasm_run::wasi::WasiHost::Engine);
    let refused = p2::run_command_with(engine, &component, &engine_host, (), |_| Ok(()));
    assert!(
        matches!(refused, Err(WasiError::Adapter { .. })),
        "{refused:?}"
    );
}

macro_rules! p2_tests {
    ($($name:ident),*) => {
        mod wasmi {
            $(#[test] fn $name() { super::$name(&<wasm_run::Wasmi as super::Engine>::new(&super::Config::new()).unwrap()); })*
        }
        mod wasmtime {
            $(#[test] fn $name() { super::$name(&<wasm_run::Wasmtime as super::Engine>::new(&super::Config::new()).unwrap()); })*
        }
        mod native {
            $(#[test] fn $name() {
                super::$name(&<wasm_run::Wasmtime as super::Engine>::new(super::Config::new().native_components(true)).unwrap());
            })*
        }
        mod any {
            $(#[test] fn $name() { super::$name(&wasm_run::AnyEngine::by_name("wasmi", &super::Config::new()).unwrap()); })*
        }
    };
}

p2_tests!(
    hostile_handles_and_sizes,
    programs_print_what_they_print_as_modules,
    filesystem_programs_agree_with_preview_1,
    exit_statuses_are_success_or_failure,
    refusals_are_typed,
    sockets_are_denied,
    http_is_denied,
    run_command_with_imports_of_the_host
);
