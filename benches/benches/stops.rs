//! The cost of being able to stop a guest: the same compute-heavy export
//! with deadlines and interrupts off (the default) and on (a deadline set an
//! hour away, so it never fires), per backend, in the same run. Run with
//! `cargo bench -p wasm-run-benches --bench stops`.
//!
//! wasmtime pays for epoch checks at function entries and loop headers;
//! wasmi for fuel metering and a return to the host every fuel slice.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use wasm_run::{Config, Engine, Feature, Linker, Module, Store, Wasmi, Wasmtime};

const WAT: &str = r#"
(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum") (param i32) (result i64) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"#;

fn bench<E: Engine>(c: &mut Criterion, name: &str, make: fn(&Config) -> wasm_run::Result<E>) {
    let mut g = c.benchmark_group(format!("stops/{name}"));
    g.sample_size(20);
    for on in [false, true] {
        let mut config = Config::new();
        if on {
            config.enable(Feature::Deadline).enable(Feature::Interrupt);
        }
        let engine = make(&config).unwrap();
        let module = Module::new(&engine, WAT).unwrap();
        let mut store = Store::new(&engine, ());
        if on {
            store.set_deadline(Duration::from_secs(3600)).unwrap();
        }
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let fib = instance
            .get_typed_func::<i32, i32>(&mut store, "fib")
            .unwrap();
        let sum = instance
            .get_typed_func::<i32, i64>(&mut store, "sum")
            .unwrap();
        let label = if on { "deadlines_on" } else { "deadlines_off" };
        g.bench_function(format!("{label}/fib25"), |b| {
            b.iter(|| fib.call(&mut store, black_box(25)).unwrap())
        });
        g.bench_function(format!("{label}/loop1M"), |b| {
            b.iter(|| sum.call(&mut store, black_box(1_000_000)).unwrap())
        });
    }
    g.finish();
}

fn stops(c: &mut Criterion) {
    bench(c, "wasmtime", Wasmtime::new);
    bench(c, "wasmi", Wasmi::new);
}

criterion_group!(benches, stops);
criterion_main!(benches);
