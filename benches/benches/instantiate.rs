//! Making an instance (a fresh store each time, a module with two host
//! imports, a memory and a data segment): wasm-run's `Linker::instantiate`
//! and `InstancePre::instantiate` beside the raw engines' linker and
//! `InstancePre`, in the same run. Run with
//! `cargo bench -p wasm-run-benches --bench instantiate`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::{AnyEngine, Caller, Config, Engine, Linker, Module, Store};

const WAT: &str = r#"
(module
  (import "host" "a" (func $a (param i32) (result i32)))
  (import "host" "b" (func $b (param i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, instance")
  (global $g (mut i32) (i32.const 0))
  (func (export "run") (param i32) (result i32)
    (call $b (i64.extend_i32_u (local.get 0)))
    (call $a (local.get 0))))
"#;

fn ours<E: Engine>(c: &mut Criterion, group: &str, label: &str, engine: E) {
    let module = Module::new(&engine, WAT).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "a", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1))
        .unwrap();
    linker
        .func_wrap("host", "b", |_: Caller<'_, E, ()>, _: i64| Ok(()))
        .unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/linker"), |b| {
        b.iter(|| {
            let mut store = Store::new(&engine, ());
            black_box(linker.instantiate(&mut store, &module).unwrap());
        })
    });
    g.bench_function(format!("{label}/pre"), |b| {
        b.iter(|| {
            let mut store = Store::new(&engine, ());
            black_box(pre.instantiate(&mut store).unwrap());
        })
    });
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::*;
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "a", |x: i32| x + 1).unwrap();
    linker.func_wrap("host", "b", |_: i64| {}).unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    let mut g = c.benchmark_group("instantiate/wasmtime");
    g.bench_function("raw/linker", |b| {
        b.iter(|| {
            let mut store = Store::new(&engine, ());
            black_box(linker.instantiate(&mut store, &module).unwrap());
        })
    });
    g.bench_function("raw/pre", |b| {
        b.iter(|| {
            let mut store = Store::new(&engine, ());
            black_box(pre.instantiate(&mut store).unwrap());
        })
    });
    g.finish();
}

fn pooled_wasmtime(c: &mut Criterion) {
    let bounds = wasm_run::Pooling {
        total_instances: 100,
        total_memories: 100,
        total_tables: 100,
        max_memory_bytes: 1 << 20,
        max_table_elements: 100,
    };
    {
        use wasmtime::*;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(bounds.total_instances)
            .total_memories(bounds.total_memories)
            .total_tables(bounds.total_tables)
            .max_memory_size(bounds.max_memory_bytes)
            .table_elements(bounds.max_table_elements);
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, WAT).unwrap();
        let mut linker = Linker::new(&engine);
        linker.func_wrap("host", "a", |x: i32| x + 1).unwrap();
        linker.func_wrap("host", "b", |_: i64| {}).unwrap();
        let pre = linker.instantiate_pre(&module).unwrap();
        let mut g = c.benchmark_group("instantiate/wasmtime-pooled");
        g.bench_function("raw/pre", |b| {
            b.iter(|| {
                let mut store = Store::new(&engine, ());
                black_box(pre.instantiate(&mut store).unwrap());
            })
        });
        g.finish();
    }
    let mut config = Config::new();
    config.pooling(bounds);
    ours(
        c,
        "instantiate/wasmtime-pooled",
        "ours",
        wasm_run::Wasmtime::new(&config).unwrap(),
    );
}

fn raw_wasmi(c: &mut Criterion) {
    use wasmi::*;
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut linker = <Linker<()>>::new(&engine);
    linker.func_wrap("host", "a", |x: i32| x + 1).unwrap();
    linker.func_wrap("host", "b", |_: i64| {}).unwrap();
    let mut g = c.benchmark_group("instantiate/wasmi");
    g.bench_function("raw/linker", |b| {
        b.iter(|| {
            let mut store = Store::new(&engine, ());
            black_box(linker.instantiate_and_start(&mut store, &module).unwrap());
        })
    });
    g.finish();
}

fn all(c: &mut Criterion) {
    raw_wasmtime(c);
    ours(
        c,
        "instantiate/wasmtime",
        "ours",
        wasm_run::Wasmtime::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "instantiate/wasmtime",
        "any",
        AnyEngine::by_name("wasmtime", &Config::new()).unwrap(),
    );
    pooled_wasmtime(c);
    raw_wasmi(c);
    ours(
        c,
        "instantiate/wasmi",
        "ours",
        wasm_run::Wasmi::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "instantiate/wasmi",
        "any",
        AnyEngine::by_name("wasmi", &Config::new()).unwrap(),
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
