//! Parallel runs: the same run on a rayon pool of 1 thread and of 2 threads.
//!
//! Each group holds `1 worker` and `2 workers` for one workload; the ratio of
//! their times is the speed-up (the machine has 2 cores; ≥ 1.7× is the goal).
//! Every measured run includes its per-worker instantiations.
//!
//! - `independent`: 64 calls of a compute loop, no shared memory (wasmtime,
//!   wasmi, and `AnyEngine` over wasmtime).
//! - `shared_disjoint`: 16 calls, each rewriting its own slice of one shared
//!   memory (wasmtime).
//!
//! Run with `cargo bench -p wasm-run-benches --bench parallel`. On the 2-core
//! development machine, otherwise idle, 2 workers over 1: independent 1.99×
//! (wasmtime), 1.97× (`AnyEngine`), 1.99× (wasmi); shared_disjoint 1.81×
//! (shared.wat) and 1.85× (atomics.wasm). With other builds running, the
//! second core is not free and the ratio drops towards 1×.

use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::Duration;
use wasm_run::parallel::rayon::{ThreadPool, ThreadPoolBuilder};
use wasm_run::parallel::{ParallelRun, Scheduling};
use wasm_run::{AnyEngine, Config, Engine};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/parallel/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pool(threads: usize) -> Arc<ThreadPool> {
    Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap(),
    )
}

/// `spin` iterations per call: enough that a call takes well over the cost
/// of claiming it, small enough for quick samples on the interpreter.
fn independent<E: Engine>(c: &mut Criterion, label: &str, engine: E, iterations: i64) {
    let wasm = fixture("compute.wat");
    let args: Vec<i64> = (0..64).map(|i| iterations + i).collect();
    let mut g = c.benchmark_group(format!("independent/{label}"));
    g.measurement_time(Duration::from_secs(4));
    for workers in [1, 2] {
        let run = ParallelRun::new(&engine, &wasm)
            .unwrap()
            .pool(pool(workers))
            .scheduling(Scheduling::Pool);
        g.bench_function(format!("{workers} worker(s)"), |b| {
            b.iter(|| {
                let out = run.run_typed::<i64, i64>("spin", &args).unwrap();
                assert!(out.iter().all(|r| r.is_ok()));
            })
        });
    }
    g.finish();
}

fn shared_disjoint(c: &mut Criterion) {
    let engine = wasm_run::Wasmtime::new(&Config::new()).unwrap();
    // 16 slices of 3008 i32s (the whole data area), 40 rounds each.
    let slices: Vec<(i32, i32, i32)> = (0..16).map(|i| (i * 3008, 3008, 40)).collect();
    for name in ["shared.wat", "atomics.wasm"] {
        let mut g = c.benchmark_group(format!("shared_disjoint/wasmtime/{name}"));
        g.measurement_time(Duration::from_secs(4));
        for workers in [1, 2] {
            let run = ParallelRun::new(&engine, fixture(name))
                .unwrap()
                .pool(pool(workers));
            assert_eq!(run.scheduling_for("transform"), Scheduling::Pool);
            g.bench_function(format!("{workers} worker(s)"), |b| {
                b.iter(|| {
                    let out = run
                        .run_typed::<(i32, i32, i32), i64>("transform", &slices)
                        .unwrap();
                    assert!(out.iter().all(|r| r.is_ok()));
                })
            });
        }
        g.finish();
    }
}

fn independent_all(c: &mut Criterion) {
    independent(
        c,
        "wasmtime",
        wasm_run::Wasmtime::new(&Config::new()).unwrap(),
        200_000,
    );
    independent(
        c,
        "any-wasmtime",
        AnyEngine::by_name("wasmtime", &Config::new()).unwrap(),
        200_000,
    );
    independent(
        c,
        "wasmi",
        wasm_run::Wasmi::new(&Config::new()).unwrap(),
        20_000,
    );
}

criterion_group!(benches, independent_all, shared_disjoint);
criterion_main!(benches);
