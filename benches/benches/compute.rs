//! Compute-heavy exports of real C programs (`tests/fixtures/compute`: a
//! SHA-256 over 64 KiB, sorting 20,000 keys twice, an LZ77 round trip over
//! 64 KiB) through wasm-run's typed calls beside the raw engines' typed
//! calls, in the same run. Run with `cargo bench -p wasm-run-benches --bench compute`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::{AnyEngine, Config, Engine, Linker, Module, Store, Wasmi, Wasmtime};

const PROGRAMS: [(&str, &str, u32); 3] = [
    ("hash", "hash", 65_536),
    ("sort", "sort", 20_000),
    ("compress", "compress", 65_536),
];

fn path(name: &str) -> String {
    format!(
        "{}/../tests/fixtures/compute/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn ours<E: Engine>(c: &mut Criterion, group: &str, label: &str, engine: &E) {
    let mut g = c.benchmark_group(group);
    g.sample_size(20);
    for (file, func, n) in PROGRAMS {
        let module = Module::from_file(engine, path(file)).unwrap();
        let mut store = Store::new(engine, ());
        let instance = Linker::new(engine)
            .instantiate(&mut store, &module)
            .unwrap();
        instance
            .get_typed_func::<(), ()>(&mut store, "_initialize")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        if func == "compress" {
            let f = instance
                .get_typed_func::<u32, u32>(&mut store, func)
                .unwrap();
            g.bench_function(format!("{label}/{file}"), |b| {
                b.iter(|| f.call(&mut store, black_box(n)).unwrap())
            });
        } else {
            let f = instance
                .get_typed_func::<u32, u64>(&mut store, func)
                .unwrap();
            g.bench_function(format!("{label}/{file}"), |b| {
                b.iter(|| f.call(&mut store, black_box(n)).unwrap())
            });
        }
    }
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::*;
    let engine = Engine::default();
    let mut g = c.benchmark_group("compute/wasmtime");
    g.sample_size(20);
    for (file, func, n) in PROGRAMS {
        let module = Module::from_file(&engine, path(file)).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        instance
            .get_typed_func::<(), ()>(&mut store, "_initialize")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        if func == "compress" {
            let f = instance
                .get_typed_func::<u32, u32>(&mut store, func)
                .unwrap();
            g.bench_function(format!("raw/{file}"), |b| {
                b.iter(|| f.call(&mut store, black_box(n)).unwrap())
            });
        } else {
            let f = instance
                .get_typed_func::<u32, u64>(&mut store, func)
                .unwrap();
            g.bench_function(format!("raw/{file}"), |b| {
                b.iter(|| f.call(&mut store, black_box(n)).unwrap())
            });
        }
    }
    g.finish();
}

fn raw_wasmi(c: &mut Criterion) {
    use wasmi::*;
    let engine = Engine::default();
    let mut g = c.benchmark_group("compute/wasmi");
    g.sample_size(20);
    for (file, func, n) in PROGRAMS {
        let bytes = std::fs::read(path(file)).unwrap();
        let module = Module::new(&engine, &bytes).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = <Linker<()>>::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        instance
            .get_typed_func::<(), ()>(&store, "_initialize")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        if func == "compress" {
            let f = instance.get_typed_func::<u32, u32>(&store, func).unwrap();
            g.bench_function(format!("raw/{file}"), |b| {
                b.iter(|| f.call(&mut store, black_box(n)).unwrap())
            });
        } else {
            let f = instance.get_typed_func::<u32, u64>(&store, func).unwrap();
            g.bench_function(format!("raw/{file}"), |b| {
                b.iter(|| f.call(&mut store, black_box(n)).unwrap())
            });
        }
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    raw_wasmtime(c);
    ours(
        c,
        "compute/wasmtime",
        "ours",
        &Wasmtime::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "compute/wasmtime",
        "any",
        &AnyEngine::by_name("wasmtime", &Config::new()).unwrap(),
    );
    raw_wasmi(c);
    ours(
        c,
        "compute/wasmi",
        "ours",
        &Wasmi::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "compute/wasmi",
        "any",
        &AnyEngine::by_name("wasmi", &Config::new()).unwrap(),
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
