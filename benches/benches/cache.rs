//! Compiling a real module against loading it from the module cache
//! (wasmtime), beside raw wasmtime's `Module::new` and `Module::deserialize`,
//! and compiling it on wasmi beside raw wasmi, in the same run. The module is
//! `tests/fixtures/programs/wordfreq.wasm`, a C++ WASI program with libc++
//! (iostream, regex, containers): about 290 KB of wasm. Run with
//! `cargo bench -p wasm-run-benches --bench cache`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::{Config, Engine, Module, ModuleCache, Wasmi, Wasmtime};

fn real_wasm() -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/programs/wordfreq.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn wasmi_compile(c: &mut Criterion, wasm: &[u8]) {
    let mut g = c.benchmark_group("cache/wasmi");
    g.sample_size(20);
    let raw = wasmi::Engine::default();
    g.bench_function("raw/compile", |b| {
        b.iter(|| black_box(wasmi::Module::new(&raw, wasm).unwrap()))
    });
    let engine = Wasmi::new(&Config::new()).unwrap();
    g.bench_function("ours/compile", |b| {
        b.iter(|| black_box(Module::new(&engine, wasm).unwrap()))
    });
    // The part of `ours/compile` that is wasm-run's own: the reflection
    // pass (imports, exports, start, name) over the binary.
    let features = engine.features();
    g.bench_function("ours/reflect", |b| {
        b.iter(|| black_box(wasm_run::ModuleInfo::parse_for(wasm, features).unwrap()))
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let wasm = real_wasm();
    eprintln!("module: {} bytes", wasm.len());
    let mut g = c.benchmark_group("cache/wasmtime");
    g.sample_size(10);

    let raw = wasmtime::Engine::default();
    g.bench_function("raw/compile", |b| {
        b.iter(|| black_box(wasmtime::Module::new(&raw, &wasm).unwrap()))
    });
    let bytes = wasmtime::Module::new(&raw, &wasm)
        .unwrap()
        .serialize()
        .unwrap();
    g.bench_function("raw/deserialize", |b| {
        // SAFETY: serialised just above by the same engine.
        b.iter(|| black_box(unsafe { wasmtime::Module::deserialize(&raw, &bytes) }.unwrap()))
    });

    let engine = Wasmtime::new(&Config::new()).unwrap();
    g.bench_function("ours/compile", |b| {
        b.iter(|| black_box(Module::new(&engine, &wasm).unwrap()))
    });
    let dir = std::env::temp_dir().join(format!("wasm-run-bench-cache-{}", std::process::id()));
    let cache = ModuleCache::new(&dir);
    cache.load(&engine, &wasm).unwrap();
    g.bench_function("ours/cache_hit", |b| {
        b.iter(|| {
            let (m, outcome) = cache.load(&engine, &wasm).unwrap();
            assert_eq!(outcome, wasm_run::CacheOutcome::Hit);
            black_box(m)
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
    wasmi_compile(c, &wasm);
}

criterion_group!(benches, bench);
criterion_main!(benches);
