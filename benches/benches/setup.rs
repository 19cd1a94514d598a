//! Setting up a WASI program (context, store, instance of `examples/hello.wasm`,
//! without running it) and moving 64 KiB through the host memory API, beside
//! the raw engines with their own WASI crates, in the same run. The linkers
//! are built once on both sides, as a host serving many requests would. Run
//! with `cargo bench -p wasm-run-benches --bench setup`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::wasi::{WasiConfig, WasiCtx, add_to_linker, instantiate};
use wasm_run::{
    AnyEngine, Config, Engine, Linker, Memory, MemoryType, Module, Store, Wasmi, Wasmtime,
};

fn hello() -> Vec<u8> {
    std::fs::read(format!(
        "{}/../examples/hello.wasm",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ours<E: wasm_run::wasi::WasiEngine>(c: &mut Criterion, group: &str, label: &str, engine: &E) {
    let module = Module::new(engine, hello()).unwrap();
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    let config = WasiConfig::new();
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/wasi_setup"), |b| {
        b.iter(|| {
            let ctx = WasiCtx::new(engine, &config).unwrap();
            let mut store = Store::new(engine, ctx);
            black_box(instantiate(&linker, &mut store, &module).unwrap());
        })
    });
    g.bench_function(format!("{label}/wasi_setup_pre"), |b| {
        b.iter(|| {
            let ctx = WasiCtx::new(engine, &config).unwrap();
            let mut store = Store::new(engine, ctx);
            black_box(pre.instantiate(&mut store).unwrap());
        })
    });
    let mut store = Store::new(engine, ());
    let memory = Memory::new(&mut store, MemoryType::new(2, None)).unwrap();
    let mut buf = vec![7u8; 65_536];
    g.bench_function(format!("{label}/memory_write_64k"), |b| {
        b.iter(|| memory.write(&mut store, 64, black_box(&buf)).unwrap())
    });
    g.bench_function(format!("{label}/memory_read_64k"), |b| {
        b.iter(|| memory.read(&store, 64, black_box(&mut buf)).unwrap())
    });
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::*;
    use wasmtime_wasi::p1::{WasiP1Ctx, add_to_linker_sync};
    let engine = Engine::default();
    let module = Module::new(&engine, hello()).unwrap();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    add_to_linker_sync(&mut linker, |c| c).unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    let mut g = c.benchmark_group("setup/wasmtime");
    g.bench_function("raw/wasi_setup", |b| {
        b.iter(|| {
            let ctx = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
            let mut store = Store::new(&engine, ctx);
            black_box(linker.instantiate(&mut store, &module).unwrap());
        })
    });
    g.bench_function("raw/wasi_setup_pre", |b| {
        b.iter(|| {
            let ctx = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
            let mut store = Store::new(&engine, ctx);
            black_box(pre.instantiate(&mut store).unwrap());
        })
    });
    let mut store = Store::new(&engine, ());
    let memory = wasmtime::Memory::new(&mut store, wasmtime::MemoryType::new(2, None)).unwrap();
    let mut buf = vec![7u8; 65_536];
    g.bench_function("raw/memory_write_64k", |b| {
        b.iter(|| memory.write(&mut store, 64, black_box(&buf)).unwrap())
    });
    g.bench_function("raw/memory_read_64k", |b| {
        b.iter(|| memory.read(&store, 64, black_box(&mut buf)).unwrap())
    });
    g.finish();
}

fn raw_wasmi(c: &mut Criterion) {
    use wasmi::*;
    let engine = Engine::default();
    let module = Module::new(&engine, hello()).unwrap();
    let mut linker = <Linker<wasmi_wasi::WasiCtx>>::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |c| c).unwrap();
    let mut g = c.benchmark_group("setup/wasmi");
    g.bench_function("raw/wasi_setup", |b| {
        b.iter(|| {
            let ctx = wasmi_wasi::WasiCtxBuilder::new().build();
            let mut store = Store::new(&engine, ctx);
            black_box(linker.instantiate_and_start(&mut store, &module).unwrap());
        })
    });
    let mut store = Store::new(&engine, ());
    let ty = wasmi::MemoryType::new(2, None);
    let memory = wasmi::Memory::new(&mut store, ty).unwrap();
    let mut buf = vec![7u8; 65_536];
    g.bench_function("raw/memory_write_64k", |b| {
        b.iter(|| memory.write(&mut store, 64, black_box(&buf)).unwrap())
    });
    g.bench_function("raw/memory_read_64k", |b| {
        b.iter(|| memory.read(&store, 64, black_box(&mut buf)).unwrap())
    });
    g.finish();
}

fn all(c: &mut Criterion) {
    raw_wasmtime(c);
    ours(
        c,
        "setup/wasmtime",
        "ours",
        &Wasmtime::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "setup/wasmtime",
        "any",
        &AnyEngine::by_name("wasmtime", &Config::new()).unwrap(),
    );
    raw_wasmi(c);
    ours(
        c,
        "setup/wasmi",
        "ours",
        &Wasmi::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "setup/wasmi",
        "any",
        &AnyEngine::by_name("wasmi", &Config::new()).unwrap(),
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
