//! Async calls against the raw engine, in the same run.
//!
//! - `async/wasmtime`: `TypedFunc::call_async` and a wasm call of an async
//!   host function (`func_wrap_async`, its future ready at once) through
//!   wasm-run (static backend and `AnyEngine`) beside raw wasmtime's own
//!   `call_async` and `func_wrap_async`.
//! - `async/wasmi` (wasmi has no async API of its own): the same through
//!   wasm-run, each beside wasm-run's synchronous call (`sync/X`) — what
//!   the async machinery (resumable calls) costs.
//! - `yield/<backend>`: a compute loop of ~10 ms through `call_async` with
//!   a 1 ms yield interval (`yield_on`) and without (`yield_off`).
//!
//! The futures are driven by polling with a no-op waker (no runtime): the
//! measurements are the calls' own cost. Run with `cargo bench -p
//! wasm-run-benches --bench asyncs`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::future::Future;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use wasm_run::{AnyEngine, Caller, Config, Engine, Feature, Linker, Module, Store, Val};

const WAT: &str = r#"
(module
  (import "host" "inc" (func $inc (param i32) (result i32)))
  (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "call_host") (param i32) (result i32)
    (call $inc (local.get 0)))
  (func (export "spin") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (i32.const 3))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $acc)))
"#;

/// Polls `f` to its end (yields wake themselves at once).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// `label/async_typed` and `label/async_host` through wasm-run; with
/// `sync`, also `sync/typed` and `sync/host` (a store without async host
/// functions, so that synchronous calls are allowed).
fn ours<E: Engine>(c: &mut Criterion, group: &str, label: &str, engine: E, sync: bool)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap_async("host", "inc", |_: Caller<'_, E, ()>, x: i32| {
            Ok(async move { Ok(x + 1) })
        })
        .unwrap();
    let instance = block_on(linker.instantiate_async(&mut store, &module)).unwrap();
    let typed = instance
        .get_typed_func::<(i32, i64), i64>(&mut store, "add")
        .unwrap();
    let host = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host")
        .unwrap();
    let add = instance.get_func(&mut store, "add").unwrap();
    let host_dynamic = instance.get_func(&mut store, "call_host").unwrap();
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/async_dynamic"), |b| {
        let mut out = [Val::I64(0)];
        b.iter(|| {
            block_on(add.call_async(
                &mut store,
                &[Val::I32(black_box(1)), Val::I64(black_box(2))],
                &mut out,
            ))
            .unwrap()
        })
    });
    g.bench_function(format!("{label}/async_host_dynamic"), |b| {
        let mut out = [Val::I32(0)];
        b.iter(|| {
            block_on(host_dynamic.call_async(&mut store, &[Val::I32(black_box(1))], &mut out))
                .unwrap()
        })
    });
    g.bench_function(format!("{label}/async_typed"), |b| {
        b.iter(|| block_on(typed.call_async(&mut store, (black_box(1), black_box(2)))).unwrap())
    });
    g.bench_function(format!("{label}/async_host"), |b| {
        b.iter(|| block_on(host.call_async(&mut store, black_box(1))).unwrap())
    });
    if sync {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap("host", "inc", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1))
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let typed = instance
            .get_typed_func::<(i32, i64), i64>(&mut store, "add")
            .unwrap();
        let host = instance
            .get_typed_func::<i32, i32>(&mut store, "call_host")
            .unwrap();
        g.bench_function("sync/async_typed", |b| {
            b.iter(|| {
                typed
                    .call(&mut store, (black_box(1), black_box(2)))
                    .unwrap()
            })
        });
        g.bench_function("sync/async_host", |b| {
            b.iter(|| host.call(&mut store, black_box(1)).unwrap())
        });
    }
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::*;
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap_async("host", "inc", |_, (x,): (i32,)| {
            Box::new(async move { Ok(x + 1) })
        })
        .unwrap();
    let instance = block_on(linker.instantiate_async(&mut store, &module)).unwrap();
    let typed = instance
        .get_typed_func::<(i32, i64), i64>(&mut store, "add")
        .unwrap();
    let host = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host")
        .unwrap();
    let mut dynamic_store = Store::new(&engine, ());
    let mut dynamic_linker = Linker::new(&engine);
    dynamic_linker
        .func_new_async(
            "host",
            "inc",
            FuncType::new(&engine, [ValType::I32], [ValType::I32]),
            |_, p, r| {
                Box::new(async move {
                    r[0] = Val::I32(p[0].unwrap_i32() + 1);
                    Ok(())
                })
            },
        )
        .unwrap();
    let dynamic_instance =
        block_on(dynamic_linker.instantiate_async(&mut dynamic_store, &module)).unwrap();
    let add = dynamic_instance
        .get_func(&mut dynamic_store, "add")
        .unwrap();
    let host_dynamic = dynamic_instance
        .get_func(&mut dynamic_store, "call_host")
        .unwrap();
    let mut g = c.benchmark_group("async/wasmtime");
    g.bench_function("raw/async_dynamic", |b| {
        let mut out = [Val::I64(0)];
        b.iter(|| {
            block_on(add.call_async(
                &mut dynamic_store,
                &[Val::I32(black_box(1)), Val::I64(black_box(2))],
                &mut out,
            ))
            .unwrap()
        })
    });
    g.bench_function("raw/async_host_dynamic", |b| {
        let mut out = [Val::I32(0)];
        b.iter(|| {
            block_on(host_dynamic.call_async(
                &mut dynamic_store,
                &[Val::I32(black_box(1))],
                &mut out,
            ))
            .unwrap()
        })
    });
    g.bench_function("raw/async_typed", |b| {
        b.iter(|| block_on(typed.call_async(&mut store, (black_box(1), black_box(2)))).unwrap())
    });
    g.bench_function("raw/async_host", |b| {
        b.iter(|| block_on(host.call_async(&mut store, black_box(1))).unwrap())
    });
    g.finish();
}

/// A ~10 ms loop through `call_async`, with and without a 1 ms yield
/// interval.
fn yields<E: Engine>(c: &mut Criterion, group: &str, engine: E, iterations: i32)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let module = Module::new(&engine, WAT).unwrap();
    let mut g = c.benchmark_group(group);
    g.sample_size(20);
    for (label, every) in [
        ("yield_off", None),
        ("yield_on", Some(Duration::from_millis(1))),
    ] {
        let mut store = Store::new(&engine, ());
        store.set_yield_interval(every).unwrap();
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap("host", "inc", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1))
            .unwrap();
        let instance = block_on(linker.instantiate_async(&mut store, &module)).unwrap();
        let spin = instance
            .get_typed_func::<i32, i32>(&mut store, "spin")
            .unwrap();
        g.bench_function(format!("{label}/loop_10ms"), |b| {
            b.iter(|| block_on(spin.call_async(&mut store, black_box(iterations))).unwrap())
        });
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    raw_wasmtime(c);
    let config = Config::new();
    ours(
        c,
        "async/wasmtime",
        "ours",
        wasm_run::Wasmtime::new(&config).unwrap(),
        false,
    );
    ours(
        c,
        "async/wasmtime",
        "any",
        AnyEngine::by_name("wasmtime", &config).unwrap(),
        false,
    );
    ours(
        c,
        "async/wasmi",
        "ours",
        wasm_run::Wasmi::new(&config).unwrap(),
        true,
    );
    let mut stops = Config::new();
    stops.enable(Feature::Deadline);
    yields(
        c,
        "yield/wasmtime",
        wasm_run::Wasmtime::new(&stops).unwrap(),
        10_000_000,
    );
    yields(
        c,
        "yield/wasmi",
        wasm_run::Wasmi::new(&stops).unwrap(),
        2_000_000,
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
