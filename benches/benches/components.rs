//! Component calls: wasm-run's portable component path (our canonical ABI
//! over the core API) beside wasmtime's own component model in the same
//! run — `add(u32, u32) -> u32`, a 1 KiB string round trip and a 64 KiB
//! `list<u8>` round trip — and, on wasmi, the same calls beside the floor
//! of the equivalent core call (wasmi has no component model); and
//! wasmtime's own component model behind wasm-run's API
//! (`Config::native_components`, the `native/` rows); and 100 host calls
//! through a lowered import made per instance or shared by an
//! `InstancePre` (`host_call_x100`). Run with
//! `cargo bench -p wasm-run-benches --bench components`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::component::{Component, Linker, Val};
use wasm_run::{Engine, Store};

/// `add`, and `echo-string` / `echo-bytes` returning their argument (the
/// core function returns the pointer of its `(ptr, len)` in a return area).
const WAT: &str = r#"(component
  (core module $m
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (if (i32.and (i32.ne (local.get 0) (i32.const 0)) (i32.le_u (local.get 3) (local.get 1)))
        (then (return (local.get 0))))
      ;; A bump allocator that starts over when it would run out: every
      ;; call's data is dead by the next one.
      (if (i32.gt_u (i32.add (global.get $next) (i32.add (local.get 3) (local.get 2))) (i32.const 262144))
        (then (global.set $next (i32.const 1024))))
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (if (i32.gt_u (i32.add (local.get $p) (local.get 3)) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow (i32.const 4)))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (if (local.get 0) (then (memory.copy (local.get $p) (local.get 0) (local.get 1))))
      (local.get $p))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      i32.const 16))
  (core instance $i (instantiate $m))
  (alias core export $i "memory" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "echo-string") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc)))
  (func (export "echo-bytes") (param "b" (list u8)) (result (list u8))
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc)))
)"#;

/// `run(n)` calls the host's `double` `n` times (a lowered import).
const HOST_WAT: &str = r#"(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (core func $lowered (canon lower (func $double)))
  (core module $m
    (import "host" "double" (func $double (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) (local $acc i32)
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (call $double (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br_if $l (local.get 0)))
      (local.get $acc)))
  (core instance $host (export "double" (func $lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "run") (param "n" u32) (result u32) (canon lift (core func $i "run"))))"#;

/// 100 host calls from a component, its lowered import made per instance
/// (`Linker::instantiate`) or shared by an `InstancePre`'s instances.
fn host_calls<E: Engine>(c: &mut Criterion, group: &str, path: &str, engine: E) {
    let component = Component::new(&engine, HOST_WAT).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_new("double", |_, args, results| {
            let Val::U32(x) = args[0] else {
                unreachable!("typed by the import")
            };
            results[0] = Val::U32(x.wrapping_mul(2));
            Ok(())
        })
        .unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    let mut g = c.benchmark_group(group);
    for how in ["per_instance", "pre"] {
        let mut store = Store::new(&engine, ());
        let instance = match how {
            "pre" => pre.instantiate(&mut store),
            _ => linker.instantiate(&mut store, &component),
        }
        .unwrap();
        let run = instance.get_func("run").unwrap();
        let mut out = [Val::U32(0)];
        g.bench_function(format!("{path}/host_call_x100/{how}"), |b| {
            b.iter(|| {
                run.call(&mut store, &[Val::U32(black_box(100))], &mut out)
                    .unwrap();
            })
        });
        assert_eq!(out[0], Val::U32(10100));
    }
    g.finish();
}

/// 1 KiB of UTF-8, some of it multi-byte.
fn string_1k() -> String {
    let mut s = String::new();
    for c in "wasm-run ✓ ".chars().cycle() {
        if s.len() + c.len_utf8() > 1024 {
            break;
        }
        s.push(c);
    }
    while s.len() < 1024 {
        s.push('.');
    }
    s
}

/// The three calls through wasm-run's API, named `PATH/call`.
fn ours<E: Engine>(c: &mut Criterion, group: &str, path: &str, engine: E) {
    let component = Component::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let add = instance.get_func("add").unwrap();
    let echo_string = instance.get_func("echo-string").unwrap();
    let echo_bytes = instance.get_func("echo-bytes").unwrap();
    let s = Val::String(string_1k());
    let bytes = Val::List((0..65536u32).map(|i| Val::U8(i as u8)).collect());
    let mut out = [Val::U32(0)];
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{path}/add"), |b| {
        b.iter(|| {
            add.call(
                &mut store,
                &[Val::U32(black_box(40)), Val::U32(2)],
                &mut out,
            )
            .unwrap();
        })
    });
    g.bench_function(format!("{path}/string_1k"), |b| {
        b.iter(|| {
            echo_string
                .call(&mut store, std::slice::from_ref(&s), &mut out)
                .unwrap();
        })
    });
    g.bench_function(format!("{path}/bytes_64k"), |b| {
        b.iter(|| {
            echo_bytes
                .call(&mut store, std::slice::from_ref(&bytes), &mut out)
                .unwrap();
        })
    });
    g.finish();
}

fn native(c: &mut Criterion) {
    use wasmtime::component as wc;
    let engine = wasmtime::Engine::default();
    let component = wc::Component::new(&engine, WAT).unwrap();
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = wc::Linker::<()>::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let add = instance.get_func(&mut store, "add").unwrap();
    let echo_string = instance.get_func(&mut store, "echo-string").unwrap();
    let echo_bytes = instance.get_func(&mut store, "echo-bytes").unwrap();
    let s = wc::Val::String(string_1k());
    let bytes = wc::Val::List((0..65536u32).map(|i| wc::Val::U8(i as u8)).collect());
    let mut out = [wc::Val::U32(0)];
    let mut g = c.benchmark_group("components/wasmtime");
    g.bench_function("raw/add", |b| {
        b.iter(|| {
            add.call(
                &mut store,
                &[wc::Val::U32(black_box(40)), wc::Val::U32(2)],
                &mut out,
            )
            .unwrap();
        })
    });
    g.bench_function("raw/string_1k", |b| {
        b.iter(|| {
            echo_string
                .call(&mut store, std::slice::from_ref(&s), &mut out)
                .unwrap();
        })
    });
    g.bench_function("raw/bytes_64k", |b| {
        b.iter(|| {
            echo_bytes
                .call(&mut store, std::slice::from_ref(&bytes), &mut out)
                .unwrap();
        })
    });
    g.finish();
}

/// wasmi has no component model: the floor is the core call of the same
/// core function through wasmi itself (for the string and list echoes, the
/// core `echo(ptr, len)` without any copying).
fn wasmi_floor(c: &mut Criterion) {
    let engine = wasmi::Engine::default();
    let core = wat::parse_str(
        r#"(module (memory (export "memory") 1)
          (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
          (func (export "echo") (param i32 i32) (result i32)
            (i32.store (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1)) i32.const 16))"#,
    )
    .unwrap();
    let module = wasmi::Module::new(&engine, &core[..]).unwrap();
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .unwrap();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .unwrap();
    let echo = instance
        .get_typed_func::<(i32, i32), i32>(&store, "echo")
        .unwrap();
    let mut g = c.benchmark_group("components/wasmi");
    g.bench_function("raw/add", |b| {
        b.iter(|| add.call(&mut store, (black_box(40), 2)).unwrap())
    });
    g.bench_function("raw/string_1k", |b| {
        b.iter(|| echo.call(&mut store, (1024, black_box(1024))).unwrap())
    });
    g.bench_function("raw/bytes_64k", |b| {
        b.iter(|| echo.call(&mut store, (1024, black_box(65536))).unwrap())
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    native(c);
    ours(
        c,
        "components/wasmtime",
        "ours",
        wasm_run::Wasmtime::new(&wasm_run::Config::new()).unwrap(),
    );
    // wasmtime's own component model behind wasm-run's API.
    ours(
        c,
        "components/wasmtime",
        "native",
        wasm_run::Wasmtime::new(wasm_run::Config::new().native_components(true)).unwrap(),
    );
    host_calls(
        c,
        "components/wasmtime",
        "ours",
        wasm_run::Wasmtime::new(&wasm_run::Config::new()).unwrap(),
    );
    host_calls(
        c,
        "components/wasmi",
        "ours",
        wasm_run::Wasmi::new(&wasm_run::Config::new()).unwrap(),
    );
    wasmi_floor(c);
    ours(
        c,
        "components/wasmi",
        "ours",
        wasm_run::Wasmi::new(&wasm_run::Config::new()).unwrap(),
    );
}

criterion_group!(components, benches);
criterion_main!(components);
