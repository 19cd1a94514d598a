//! Compiling a module against loading it from the module cache (wasmtime),
//! beside raw wasmtime's `Module::new` and `Module::deserialize`, in the same
//! run. The module is generated: 1,500 functions of integer arithmetic and
//! calls, about 150 KB of wasm. Run with
//! `cargo bench -p wasm-run-benches --bench cache`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;
use wasm_run::{Config, Engine, Module, ModuleCache, Wasmtime};

fn big_wasm() -> Vec<u8> {
    let mut wat = String::from("(module (memory (export \"memory\") 1)\n");
    for i in 0..1500 {
        let _ = writeln!(
            wat,
            "(func $f{i} (export \"f{i}\") (param i64 i64) (result i64) (local i64)
               (local.set 2 (i64.mul (local.get 0) (i64.const {k})))
               (local.set 2 (i64.xor (local.get 2) (i64.shr_u (local.get 1) (i64.const 7))))
               (i64.store (i32.wrap_i64 (i64.and (local.get 2) (i64.const 4088))) (local.get 2))
               (if (result i64) (i64.gt_u (local.get 0) (i64.const 100))
                 (then {call})
                 (else (i64.add (local.get 2) (i64.load (i32.const 8))))))",
            k = i * 2 + 1,
            call = if i > 0 {
                format!(
                    "(call $f{} (i64.sub (local.get 0) (i64.const 1)) (local.get 2))",
                    i - 1
                )
            } else {
                "(local.get 2)".to_string()
            },
        );
    }
    wat.push(')');
    wat::parse_str(&wat).expect("generated WAT")
}

fn bench(c: &mut Criterion) {
    let wasm = big_wasm();
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
