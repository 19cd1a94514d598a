//! A hostile preview 1 guest against wasm-run's WASI, on every backend:
//! pointers and lengths outside its memory, forged and closed descriptors,
//! huge counts, bad UTF-8 in paths. Each call answers an errno (`EFAULT`,
//! `EBADF`, ...) — never a host panic, a huge host allocation or a trap —
//! and the store stays usable afterwards.

use wasm_run::wasi::{WasiConfig, WasiCtx, add_to_linker, instantiate};
use wasm_run::{Config, Engine, Linker, Module, Store};

/// Each export makes one hostile call and returns its errno.
const HOSTILE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 100: an iovec pointing past the end of memory
  (data (i32.const 100) "\f0\ff\00\00\40\00\00\00")
  ;; 108: an iovec of 4 GiB - 1 at 0
  (data (i32.const 108) "\00\00\00\00\ff\ff\ff\ff")
  ;; 116: an iovec of 16 bytes at 512
  (data (i32.const 116) "\00\02\00\00\10\00\00\00")
  ;; 200: a path that is not UTF-8
  (data (i32.const 200) "\ff\fe")
  (func (export "write_past_memory") (result i32)
    (call $fd_write (i32.const 1) (i32.const 100) (i32.const 1) (i32.const 0)))
  (func (export "iovecs_past_memory") (result i32)
    (call $fd_write (i32.const 1) (i32.const 65530) (i32.const 2) (i32.const 0)))
  (func (export "a_billion_iovecs") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7fffffff) (i32.const 0)))
  (func (export "read_4gib") (result i32)
    (call $fd_read (i32.const 0) (i32.const 108) (i32.const 1) (i32.const 0)))
  (func (export "result_past_memory") (result i32)
    (call $fd_write (i32.const 1) (i32.const 116) (i32.const 1) (i32.const 65535)))
  (func (export "forged_fd") (result i32)
    (call $fd_write (i32.const 12345) (i32.const 116) (i32.const 1) (i32.const 0)))
  (func (export "negative_fd") (result i32)
    (call $fd_read (i32.const -1) (i32.const 116) (i32.const 1) (i32.const 0)))
  (func (export "pread_stdin") (result i32)
    (call $fd_pread (i32.const 0) (i32.const 116) (i32.const 1) (i64.const 0) (i32.const 0)))
  (func (export "path_past_memory") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 65000) (i32.const 1000)
      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 0)))
  (func (export "path_not_utf8") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 2)
      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 0)))
  (func (export "path_on_stdout") (result i32)
    (call $path_open (i32.const 1) (i32.const 0) (i32.const 116) (i32.const 1)
      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 0)))
  (func (export "readdir_past_memory") (result i32)
    (call $fd_readdir (i32.const 3) (i32.const 65000) (i32.const 4096) (i64.const 0) (i32.const 0)))
  (func (export "readdir_huge_cookie") (result i32)
    (call $fd_readdir (i32.const 3) (i32.const 0) (i32.const 256) (i64.const -1) (i32.const 300)))
  (func (export "renumber_to_forged") (result i32)
    (call $fd_renumber (i32.const 1) (i32.const 9999)))
  (func (export "close_twice") (result i32)
    (drop (call $fd_close (i32.const 2)))
    (call $fd_close (i32.const 2)))
  (func (export "args_past_memory") (result i32)
    (call $args_get (i32.const 65535) (i32.const 65535)))
  (func (export "poll_nothing") (result i32)
    (call $poll (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "poll_a_billion") (result i32)
    (call $poll (i32.const 0) (i32.const 0) (i32.const 0x7fffffff) (i32.const 0)))
  (func (export "dir_name_too_short") (result i32)
    (call $dir_name (i32.const 3) (i32.const 0) (i32.const 1)))
  (func (export "unknown_clock") (result i32)
    (call $clock (i32.const 99) (i64.const 0) (i32.const 0)))
  (func (export "fine") (result i32)
    (call $fd_write (i32.const 1) (i32.const 116) (i32.const 1) (i32.const 0))))
"#;

// preview 1 errno values.
const SUCCESS: i32 = 0;
const BADF: i32 = 8;
const FAULT: i32 = 21;
const ILSEQ: i32 = 25;
const INVAL: i32 = 28;
const NAMETOOLONG: i32 = 37;
const OVERFLOW: i32 = 61;
const SPIPE: i32 = 70;

fn hostile_calls_get_errnos<E: wasm_run::wasi::WasiEngine>(engine: &E) {
    let module = Module::new(engine, HOSTILE).unwrap();
    let dir = std::env::temp_dir().join(format!("wasm-run-p1-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    let mut config = WasiConfig::new();
    config.preopen_dir(&dir, "/sandbox", wasm_run::wasi::DirPerms::ReadWrite);
    config.stdin_bytes(vec![1u8; 1 << 16]);
    let out = config.capture_stdout();
    let mut store = Store::new(engine, WasiCtx::new(engine, &config).unwrap());
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    let expected = [
        ("write_past_memory", FAULT),
        ("iovecs_past_memory", FAULT),
        ("a_billion_iovecs", OVERFLOW),
        ("read_4gib", FAULT),
        ("result_past_memory", FAULT),
        ("forged_fd", BADF),
        ("negative_fd", BADF),
        ("pread_stdin", SPIPE),
        ("path_past_memory", FAULT),
        ("path_not_utf8", ILSEQ),
        ("path_on_stdout", BADF),
        ("readdir_past_memory", FAULT),
        ("readdir_huge_cookie", SUCCESS),
        ("renumber_to_forged", BADF),
        ("close_twice", BADF),
        ("args_past_memory", SUCCESS),
        ("poll_nothing", INVAL),
        ("poll_a_billion", OVERFLOW),
        ("dir_name_too_short", NAMETOOLONG),
        ("unknown_clock", INVAL),
        ("fine", SUCCESS),
    ];
    for (name, errno) in expected {
        let f = instance
            .get_typed_func::<(), i32>(&mut store, name)
            .unwrap();
        let got = f
            .call(&mut store, ())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, errno, "{name}");
    }
    // `args_get` with no arguments writes nothing, so any pointer is fine;
    // the last, fine write went through.
    assert_eq!(out.contents(), vec![0u8; 16]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_calls_get_errnos_on_wasmi() {
    hostile_calls_get_errnos(&wasm_run::Wasmi::new(&Config::new()).unwrap());
}

#[test]
fn hostile_calls_get_errnos_on_wasmtime() {
    hostile_calls_get_errnos(&wasm_run::Wasmtime::new(&Config::new()).unwrap());
}

#[test]
fn hostile_calls_get_errnos_on_any() {
    hostile_calls_get_errnos(&wasm_run::AnyEngine::by_name("wasmi", &Config::new()).unwrap());
}

/// A guest that asks preview 1 to sleep a minute (`poll_oneoff` on a
/// relative clock) is stopped by the store's deadline within the wait's
/// slice, not after the minute.
const SLEEPER: &str = r#"
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; a clock subscription: userdata 0, tag 0 (clock), monotonic, 60 s, relative
  (data (i32.const 0) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01\00\00\00\00\00\00\00\00\58\47\f8\0d\00\00\00")
  (func (export "_start")
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))
"#;

fn a_sleeping_guest_meets_its_deadline<E: wasm_run::wasi::WasiEngine>(engine: &E) {
    let module = Module::new(engine, SLEEPER).unwrap();
    let mut store = Store::new(engine, WasiCtx::new(engine, &WasiConfig::new()).unwrap());
    store
        .set_deadline(std::time::Duration::from_millis(200))
        .unwrap();
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let instance = instantiate(&linker, &mut store, &module).unwrap();
    let started = std::time::Instant::now();
    let err = wasm_run::wasi::run_start(&mut store, &instance).unwrap_err();
    let waited = started.elapsed();
    assert!(err.to_string().to_lowercase().contains("deadline"), "{err}");
    assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
}

fn deadline_engine<E: Engine>() -> E {
    let mut config = Config::new();
    config.enable(wasm_run::Feature::Deadline);
    E::new(&config).unwrap()
}

#[test]
fn a_sleeping_guest_meets_its_deadline_on_wasmi() {
    a_sleeping_guest_meets_its_deadline(&deadline_engine::<wasm_run::Wasmi>());
}

#[test]
fn a_sleeping_guest_meets_its_deadline_on_wasmtime() {
    a_sleeping_guest_meets_its_deadline(&deadline_engine::<wasm_run::Wasmtime>());
}
