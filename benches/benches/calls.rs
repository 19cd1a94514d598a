//! Call overhead of wasm-run against the raw engine, measured in the same run.
//!
//! Each group holds the raw engine call and the same call through wasm-run
//! (static backend and `AnyEngine`); compare the times within a group. Run with
//! `cargo bench -p wasm-run-benches` (release profile with LTO).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::{AnyEngine, Caller, Config, Engine, Linker, Module, Store, Val};

const WAT: &str = r#"
(module
  (import "host" "inc" (func $inc (param i32) (result i32)))
  (import "host" "inc_untyped" (func $inc_untyped (param i32) (result i32)))
  (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "call_host") (param i32) (result i32)
    (call $inc (local.get 0)))
  (func (export "call_host_untyped") (param i32) (result i32)
    (call $inc_untyped (local.get 0))))
"#;

fn ours<E: Engine>(c: &mut Criterion, group: &str, label: &str, engine: E) {
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "inc", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1))
        .unwrap();
    linker
        .func_new(
            "host",
            "inc_untyped",
            wasm_run::FuncType::new([wasm_run::ValType::I32], [wasm_run::ValType::I32]),
            |_: Caller<'_, E, ()>, p: &[Val<E>], r: &mut [Val<E>]| {
                r[0] = Val::I32(p[0].i32().unwrap_or(0) + 1);
                Ok(())
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let untyped = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host_untyped")
        .unwrap();
    let typed = instance
        .get_typed_func::<(i32, i64), i64>(&mut store, "add")
        .unwrap();
    let host = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host")
        .unwrap();
    let func = instance.get_func(&mut store, "add").unwrap();
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/typed"), |b| {
        b.iter(|| {
            typed
                .call(&mut store, (black_box(1), black_box(2)))
                .unwrap()
        })
    });
    g.bench_function(format!("{label}/dynamic"), |b| {
        let mut out = [Val::I64(0)];
        b.iter(|| {
            func.call(
                &mut store,
                &[Val::I32(black_box(1)), Val::I64(black_box(2))],
                &mut out,
            )
            .unwrap()
        })
    });
    g.bench_function(format!("{label}/wasm_to_host"), |b| {
        b.iter(|| host.call(&mut store, black_box(1)).unwrap())
    });
    g.bench_function(format!("{label}/wasm_to_host_untyped"), |b| {
        b.iter(|| untyped.call(&mut store, black_box(1)).unwrap())
    });
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::*;
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "inc", |x: i32| x + 1).unwrap();
    linker
        .func_new(
            "host",
            "inc_untyped",
            FuncType::new(&engine, [ValType::I32], [ValType::I32]),
            |_, p, r| {
                r[0] = Val::I32(p[0].unwrap_i32() + 1);
                Ok(())
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let untyped = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host_untyped")
        .unwrap();
    let typed = instance
        .get_typed_func::<(i32, i64), i64>(&mut store, "add")
        .unwrap();
    let host = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host")
        .unwrap();
    let func = instance.get_func(&mut store, "add").unwrap();
    let mut g = c.benchmark_group("wasmtime");
    g.bench_function("raw/typed", |b| {
        b.iter(|| {
            typed
                .call(&mut store, (black_box(1), black_box(2)))
                .unwrap()
        })
    });
    g.bench_function("raw/dynamic", |b| {
        let mut out = [Val::I64(0)];
        b.iter(|| {
            func.call(
                &mut store,
                &[Val::I32(black_box(1)), Val::I64(black_box(2))],
                &mut out,
            )
            .unwrap()
        })
    });
    g.bench_function("raw/wasm_to_host", |b| {
        b.iter(|| host.call(&mut store, black_box(1)).unwrap())
    });
    g.bench_function("raw/wasm_to_host_untyped", |b| {
        b.iter(|| untyped.call(&mut store, black_box(1)).unwrap())
    });
    g.finish();
}

fn raw_wasmi(c: &mut Criterion) {
    use wasmi::*;
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = <Linker<()>>::new(&engine);
    linker.func_wrap("host", "inc", |x: i32| x + 1).unwrap();
    linker
        .func_new(
            "host",
            "inc_untyped",
            FuncType::new([ValType::I32], [ValType::I32]),
            |_, p, r| {
                r[0] = Val::I32(p[0].i32().unwrap_or(0) + 1);
                Ok(())
            },
        )
        .unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let untyped = instance
        .get_typed_func::<i32, i32>(&store, "call_host_untyped")
        .unwrap();
    let typed = instance
        .get_typed_func::<(i32, i64), i64>(&store, "add")
        .unwrap();
    let host = instance
        .get_typed_func::<i32, i32>(&store, "call_host")
        .unwrap();
    let func = instance.get_func(&store, "add").unwrap();
    let mut g = c.benchmark_group("wasmi");
    g.bench_function("raw/typed", |b| {
        b.iter(|| {
            typed
                .call(&mut store, (black_box(1), black_box(2)))
                .unwrap()
        })
    });
    g.bench_function("raw/dynamic", |b| {
        let mut out = [Val::I64(0)];
        b.iter(|| {
            func.call(
                &mut store,
                &[Val::I32(black_box(1)), Val::I64(black_box(2))],
                &mut out,
            )
            .unwrap()
        })
    });
    g.bench_function("raw/wasm_to_host", |b| {
        b.iter(|| host.call(&mut store, black_box(1)).unwrap())
    });
    g.bench_function("raw/wasm_to_host_untyped", |b| {
        b.iter(|| untyped.call(&mut store, black_box(1)).unwrap())
    });
    g.finish();
}

fn all(c: &mut Criterion) {
    raw_wasmtime(c);
    ours(
        c,
        "wasmtime",
        "wasm-run",
        wasm_run::Wasmtime::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "wasmtime",
        "any",
        AnyEngine::by_name("wasmtime", &Config::new()).unwrap(),
    );
    raw_wasmi(c);
    ours(
        c,
        "wasmi",
        "wasm-run",
        wasm_run::Wasmi::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "wasmi",
        "any",
        AnyEngine::by_name("wasmi", &Config::new()).unwrap(),
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
