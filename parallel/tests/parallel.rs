//! `ParallelRun` on every backend: each test is written once, generic over
//! `E: Engine`, and instantiated for wasmtime, wasmi and `AnyEngine` over
//! each (bottom of the file). Shared-memory tests accept exactly
//! `Unsupported(threads)` where the engine has no threads, and nothing else.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use wasm_run::{AnyEngine, Caller, Config, Engine, Error, Feature, SharedMemory, TrapCode, Val};
use wasm_run::{Linker, MemoryType, Module, Store};
use wasm_run_parallel::{ParallelRun, Scheduling, run_parallel};

type Make<E> = fn(&Config) -> E;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/parallel/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pool(threads: usize) -> Arc<rayon::ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap(),
    )
}

fn ok<T>(results: Vec<wasm_run::Result<T>>) -> Vec<T> {
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("call {i} failed: {e}")))
        .collect()
}

/// Runs `f` on another thread and fails if it takes longer than 30 s, so that
/// a deadlock fails the test instead of hanging CI.
fn within_30s<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(r) => r,
        Err(_) => panic!("{what} did not finish within 30 s: deadlock"),
    }
}

/// The sequential reference: one store, one instance, calls in order.
fn sequential<E: Engine>(
    engine: &E,
    wat: &[u8],
    func: &str,
    args: &[Vec<Val<E>>],
) -> Vec<Vec<Val<E>>> {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance.get_func(&mut store, func).unwrap();
    let n = f.ty(&store).results().len();
    args.iter()
        .map(|a| {
            let mut out = vec![Val::I32(0); n];
            f.call(&mut store, a, &mut out).unwrap();
            out
        })
        .collect()
}

// ---------------------------------------------------------------- independent

fn independent_results_equal_sequential_in_order<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let wat = fixture("compute.wat");
    let args: Vec<Vec<Val<E>>> = (1..=2000_i64).map(|n| vec![Val::I64(n * 7919)]).collect();
    let expected = sequential(&engine, &wat, "collatz", &args);
    for threads in [1, 2, 3] {
        let run = ParallelRun::new(&engine, &wat).unwrap().pool(pool(threads));
        assert_eq!(run.scheduling_for("collatz"), Scheduling::Pool);
        assert_eq!(run.pool_threads(), threads);
        assert_eq!(
            ok(run.run("collatz", &args).unwrap()),
            expected,
            "{threads} threads"
        );
        // The typed path gives the same numbers.
        let typed: Vec<i64> = (1..=2000_i64).map(|n| n * 7919).collect();
        let typed = ok(run.run_typed::<i64, i32>("collatz", &typed).unwrap());
        let dynamic: Vec<i32> = expected.iter().map(|r| r[0].i32().unwrap()).collect();
        assert_eq!(typed, dynamic);
    }
    // Forced thread-per-call and the global pool agree too.
    let few = &args[..40];
    let run = ParallelRun::new(&engine, &wat)
        .unwrap()
        .scheduling(Scheduling::ThreadPerCall);
    assert_eq!(run.scheduling_for("collatz"), Scheduling::ThreadPerCall);
    assert_eq!(ok(run.run("collatz", few).unwrap()), expected[..40]);
    let global = run_parallel(&engine, &wat, "collatz", &args).unwrap();
    assert_eq!(ok(global), expected);
}

fn one_failing_call_leaves_the_others_intact<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let run = ParallelRun::new(&engine, fixture("compute.wat"))
        .unwrap()
        .pool(pool(2));
    let args: Vec<(i32, i32)> = (0..1000).map(|i| (i * 10, i % 7)).collect();
    let results = run.run_typed::<(i32, i32), i32>("div", &args).unwrap();
    assert_eq!(results.len(), args.len());
    for ((a, b), r) in args.iter().zip(&results) {
        match r {
            Ok(q) => assert_eq!(*q, a / b),
            Err(e) => {
                assert_eq!(*b, 0, "only division by zero fails, got {e}");
                assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivisionByZero));
            }
        }
    }
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 143);
}

fn each_worker_instantiates_once_and_reuses_it<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let wat = r#"
        (module
          (import "host" "started" (func $started))
          (global $calls (mut i32) (i32.const 0))
          (func $start (call $started))
          (start $start)
          (func (export "calls") (param i32) (result i32)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (if (i32.lt_s (local.get 0) (i32.const 0)) (then unreachable))
            (global.get $calls)))
    "#;
    let started = Arc::new(AtomicUsize::new(0));
    let counter = started.clone();
    let run = ParallelRun::new(&engine, wat)
        .unwrap()
        .func_wrap("host", "started", move |_: Caller<'_, E, ()>| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .pool(pool(2));
    let args: Vec<i32> = (0..1000).collect();
    let served = ok(run.run_typed::<i32, i32>("calls", &args).unwrap());
    let instances = started.swap(0, Ordering::SeqCst);
    assert!((1..=2).contains(&instances), "{instances} instantiations");
    // Each instance counted its own calls: together they served all of them.
    assert!(served.iter().copied().max().unwrap() >= 500);
    // A failed call gets its worker a fresh instance: 2 failures, at most 2
    // workers, so at most 2 + 2 instantiations.
    let mut args: Vec<i32> = (0..1000).collect();
    args[100] = -1;
    args[900] = -1;
    let results = run.run_typed::<i32, i32>("calls", &args).unwrap();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
    assert_eq!(
        results[100].as_ref().unwrap_err().trap_code(),
        Some(TrapCode::Unreachable)
    );
    let instances = started.load(Ordering::SeqCst);
    assert!((2..=4).contains(&instances), "{instances} instantiations");
}

fn host_imports_are_callable_from_every_worker<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let wat = r#"
        (module
          (import "host" "mul" (func $mul (param i32 i32) (result i32)))
          (import "host" "worker" (func $worker (result i32)))
          (func (export "f") (param i32) (result i32)
            (i32.add (call $mul (local.get 0) (i32.const 3)) (i32.mul (call $worker) (i32.const 0)))))
    "#;
    let calls = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let (c, t) = (calls.clone(), threads.clone());
    let run = ParallelRun::with_state(&engine, wat, || 7_i32)
        .unwrap()
        .func_wrap(
            "host",
            "mul",
            move |_: Caller<'_, E, i32>, a: i32, b: i32| {
                c.fetch_add(1, Ordering::Relaxed);
                t.lock().unwrap().insert(std::thread::current().id());
                Ok(a * b)
            },
        )
        // A per-worker setup step: host state is the worker's own.
        .setup(|linker, store| {
            *store.data_mut() += 1;
            linker.func_wrap("host", "worker", |caller: Caller<'_, E, i32>| {
                assert_eq!(*caller.data(), 8);
                Ok(*caller.data())
            })?;
            Ok(())
        })
        .pool(pool(2));
    let args: Vec<i32> = (0..3000).collect();
    let out = ok(run.run_typed::<i32, i32>("f", &args).unwrap());
    assert_eq!(out, args.iter().map(|a| a * 3).collect::<Vec<_>>());
    assert_eq!(calls.load(Ordering::Relaxed), 3000);
    assert!(!threads.lock().unwrap().is_empty());
}

fn host_state_is_per_worker_and_need_not_be_send<E: Engine>(make: Make<E>) {
    use std::cell::Cell;
    use std::rc::Rc;
    let engine = make(&Config::new());
    let wat = r#"
        (module
          (import "host" "tick" (func $tick (result i32)))
          (func (export "f") (result i32) (call $tick)))
    "#;
    // `Rc<Cell<_>>` is neither Send nor Sync: it lives on its worker only.
    let run = ParallelRun::with_state(&engine, wat, || Rc::new(Cell::new(0_i32)))
        .unwrap()
        .func_wrap("host", "tick", |caller: Caller<'_, E, Rc<Cell<i32>>>| {
            let n = caller.data().get() + 1;
            caller.data().set(n);
            Ok(n)
        })
        .pool(pool(2));
    let args = [(); 400];
    let ticks = ok(run.run_typed::<(), i32>("f", &args).unwrap());
    // Each worker counts its own calls: the counts are 1..=k per worker.
    let ones = ticks.iter().filter(|t| **t == 1).count();
    assert!((1..=2).contains(&ones), "{ones} workers started at 1");
    assert_eq!(ticks.iter().filter(|t| **t > 1).count(), 400 - ones);
}

fn fuel_limits_each_call<E: Engine>(make: Make<E>) {
    let wat = fixture("compute.wat");
    let engine = make(Config::new().fuel(true));
    let run = ParallelRun::new(&engine, &wat)
        .unwrap()
        .fuel_per_call(100_000)
        .pool(pool(2));
    let args: Vec<i64> = (0..200)
        .map(|i| if i % 50 == 3 { 1_000_000_000 } else { i * 10 })
        .collect();
    let results = run.run_typed::<i64, i64>("spin", &args).unwrap();
    let unlimited = ParallelRun::new(&engine, &wat).unwrap();
    for (i, (n, r)) in args.iter().zip(&results).enumerate() {
        if *n == 1_000_000_000 {
            let e = r.as_ref().unwrap_err();
            assert_eq!(e.trap_code(), Some(TrapCode::OutOfFuel), "call {i}: {e}");
        } else {
            let alone = unlimited.run_typed::<i64, i64>("spin", &[*n]).unwrap();
            assert_eq!(r.as_ref().unwrap(), alone[0].as_ref().unwrap(), "call {i}");
        }
    }
    // With fuel enabled but no budget, calls are not limited.
    assert!(
        unlimited
            .run_typed::<i64, i64>("spin", &[1_000_000])
            .unwrap()[0]
            .is_ok(),
        "unlimited by default"
    );
    // A budget on an engine without fuel: refused before anything runs.
    let engine = make(&Config::new());
    let run = ParallelRun::new(&engine, &wat).unwrap().fuel_per_call(10);
    assert!(matches!(
        run.run_typed::<i64, i64>("spin", &[1]),
        Err(Error::Unsupported {
            feature: Feature::Fuel,
            ..
        })
    ));
}

/// One interrupt handle stops a whole run: the calls running stop with
/// `Trap(Interrupt)` and the calls not started yet fail with it without
/// running; a later run is not affected. Without `Feature::Interrupt` the
/// handle is `Unsupported`.
fn one_handle_interrupts_the_whole_run<E: Engine>(make: Make<E>) {
    let wat = fixture("compute.wat");
    let plain = ParallelRun::new(&make(&Config::new()), &wat).unwrap();
    assert!(matches!(
        plain.interrupt_handle(),
        Err(Error::Unsupported {
            feature: Feature::Interrupt,
            ..
        })
    ));
    let engine = make(Config::new().enable(Feature::Interrupt));
    let run = ParallelRun::new(&engine, &wat).unwrap().pool(pool(2));
    let handle = run.interrupt_handle().unwrap();
    let stopper = {
        let handle = handle.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        })
    };
    // Eight calls that would each run for minutes.
    let started = std::time::Instant::now();
    let results = within_30s("an interrupted run", move || {
        run.run_typed::<i64, i64>("spin", &[i64::MAX; 8])
            .map(|r| (r, run))
    });
    let (results, run) = results.unwrap();
    stopper.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run took {:?} after the interrupt",
        started.elapsed()
    );
    for (i, r) in results.iter().enumerate() {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::Interrupt), "call {i}: {e}");
    }
    // The next run is not affected.
    let again = run.run_typed::<i64, i64>("spin", &[10, 20]).unwrap();
    assert!(again.iter().all(|r| r.is_ok()), "{again:?}");
}

/// `deadline_per_call` stops each runaway call with `Trap(Deadline)` and
/// lets the quick ones finish.
fn deadline_per_call_stops_runaways<E: Engine>(make: Make<E>) {
    let wat = fixture("compute.wat");
    let engine = make(Config::new().enable(Feature::Deadline));
    let run = ParallelRun::new(&engine, &wat)
        .unwrap()
        .pool(pool(2))
        .deadline_per_call(Duration::from_millis(50));
    let args = [10, i64::MAX, 20, i64::MAX];
    let results = within_30s("a run with deadlines", move || {
        run.run_typed::<i64, i64>("spin", &args)
    })
    .unwrap();
    for (i, r) in results.iter().enumerate() {
        if args[i] == i64::MAX {
            let e = r.as_ref().unwrap_err();
            assert_eq!(e.trap_code(), Some(TrapCode::Deadline), "call {i}: {e}");
        } else {
            assert!(r.is_ok(), "call {i}: {r:?}");
        }
    }
}

fn values_and_exports_are_checked<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let wat = r#"
        (module
          (global (export "g") i32 (i32.const 0))
          (func (export "refs") (param externref) (result i32) (i32.const 0))
          (func (export "add") (param i32 i64) (result i64)
            (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))))
    "#;
    let run = ParallelRun::new(&engine, wat).unwrap();
    let none: &[Vec<Val<E>>] = &[];
    assert!(matches!(run.run("refs", none), Err(Error::Type(_))));
    assert!(matches!(
        run.run("missing", none),
        Err(Error::MissingExport(_))
    ));
    assert!(matches!(run.run("g", none), Err(Error::Type(_))));
    assert!(matches!(
        run.run_typed::<i32, i32>("add", &[1]),
        Err(Error::Type(_))
    ));
    assert!(run.run("add", none).unwrap().is_empty());
    let args: Vec<Vec<Val<E>>> = vec![
        vec![Val::I32(1), Val::I64(2)],
        vec![Val::I32(1), Val::FuncRef(None)],
        vec![Val::I32(1)],
        vec![Val::I64(1), Val::I64(2)],
        vec![Val::I32(40), Val::I64(2)],
    ];
    let out = run.run("add", &args).unwrap();
    assert_eq!(out[0].as_ref().unwrap(), &[Val::I64(3)]);
    for bad in &out[1..4] {
        assert!(matches!(bad, Err(Error::Type(_))), "{bad:?}");
    }
    let Err(Error::Type(msg)) = &out[1] else {
        unreachable!()
    };
    assert!(msg.contains("numbers only"), "{msg}");
    assert_eq!(out[4].as_ref().unwrap(), &[Val::I64(42)]);
}

// --------------------------------------------------------------- shared memory

/// `ParallelRun::new` on a shared-memory module: `None` (after checking the
/// typed refusal) on engines without threads.
fn shared_run<E: Engine>(engine: &E, wasm: &[u8]) -> Option<ParallelRun<E>> {
    let result = ParallelRun::new(engine, wasm);
    if engine.features().contains(Feature::Threads) {
        Some(result.unwrap())
    } else {
        match result {
            Err(Error::Unsupported {
                feature: Feature::Threads,
                engine: name,
            }) => assert_eq!(name, engine.name()),
            other => panic!("expected Unsupported(threads), got {other:?}"),
        }
        None
    }
}

const SHARED: [&str; 2] = ["shared.wat", "atomics.wasm"];
const COUNTER: usize = 0x10000;
const DATA: usize = 0x11000;
const DATA_LEN: usize = (0x40000 - DATA) / 4;

fn shared_module_is_unsupported_without_threads<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    for name in SHARED {
        let wasm = fixture(name);
        // Also through the one-liner: nothing runs, the answer is typed.
        let direct = run_parallel::<E, Vec<Val<E>>>(&engine, &wasm, "bump", &[vec![Val::I32(1)]]);
        match shared_run(&engine, &wasm) {
            Some(run) => {
                assert_eq!(run.shared_memories().count(), 1);
                assert!(direct.is_ok());
            }
            None => assert!(matches!(
                direct,
                Err(Error::Unsupported {
                    feature: Feature::Threads,
                    ..
                })
            )),
        }
    }
}

fn atomic_counter_is_exact<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    for name in SHARED {
        let Some(run) = shared_run(&engine, &fixture(name)) else {
            continue;
        };
        let run = run.pool(pool(4));
        assert_eq!(run.scheduling_for("bump"), Scheduling::Pool, "{name}");
        let memory = run.shared_memory("env", "memory").unwrap();
        memory.write(COUNTER, &7u32.to_le_bytes()).unwrap();
        const N: usize = 16;
        const M: i32 = 20_000;
        let out = ok(run.run_typed::<i32, i32>("bump", &[M; N]).unwrap());
        assert_eq!(out, [M; N]);
        let counter = memory.atomic_u32(COUNTER).unwrap().load(Ordering::SeqCst);
        assert_eq!(counter, 7 + (N as u32) * (M as u32), "{name}");
        // The same memory is used by every later run.
        run.run_typed::<i32, i32>("bump", &[1; 3]).unwrap();
        let mut word = [0u8; 4];
        memory.read(COUNTER, &mut word).unwrap();
        assert_eq!(u32::from_le_bytes(word), 7 + (N as u32) * (M as u32) + 3);
    }
}

fn fill(memory: &SharedMemory<impl Engine>) -> Vec<i32> {
    let values: Vec<i32> = (0..DATA_LEN as i32)
        .map(|i| i.wrapping_mul(2654435761_u32 as i32) >> 7)
        .collect();
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    memory.write(DATA, &bytes).unwrap();
    values
}

fn read_data(memory: &SharedMemory<impl Engine>) -> Vec<u8> {
    let mut bytes = vec![0; DATA_LEN * 4];
    memory.read(DATA, &mut bytes).unwrap();
    bytes
}

fn disjoint_slices_equal_sequential<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    for name in SHARED {
        let wasm = fixture(name);
        let Some(par) = shared_run(&engine, &wasm) else {
            continue;
        };
        let par = par.pool(pool(3));
        let seq = ParallelRun::new(&engine, &wasm).unwrap().pool(pool(1));
        let slices: Vec<(i32, i32)> = (0..24)
            .map(|i| {
                let len = (DATA_LEN / 24) as i32;
                (i * len, len)
            })
            .collect();
        // Read-only sums against the host's own.
        let values = fill(par.shared_memory("env", "memory").unwrap());
        let sums = ok(par.run_typed::<(i32, i32), i64>("sum", &slices).unwrap());
        for ((start, len), s) in slices.iter().zip(&sums) {
            let want: i64 = values[*start as usize..(*start + *len) as usize]
                .iter()
                .map(|v| *v as i64)
                .sum();
            assert_eq!(*s, want, "{name}");
        }
        // Writing disjoint slices: results and memory as on one thread.
        fill(seq.shared_memory("env", "memory").unwrap());
        let work: Vec<(i32, i32, i32)> = slices.iter().map(|(s, l)| (*s, *l, 3)).collect();
        let a = ok(par
            .run_typed::<(i32, i32, i32), i64>("transform", &work)
            .unwrap());
        let b = ok(seq
            .run_typed::<(i32, i32, i32), i64>("transform", &work)
            .unwrap());
        assert_eq!(a, b, "{name}");
        assert!(
            read_data(par.shared_memory("env", "memory").unwrap())
                == read_data(seq.shared_memory("env", "memory").unwrap()),
            "{name}: memories differ"
        );
    }
}

/// `pipe` argument sets: every consumer first, then every producer.
fn pipe_args(pairs: i32, items: i32, timeout_ns: i64) -> Vec<(i32, i32, i64)> {
    let consumers = (0..pairs).map(|ch| (ch, items, timeout_ns));
    let producers = (0..pairs).map(|ch| (-1 - ch, items, timeout_ns));
    consumers.chain(producers).collect()
}

fn producer_consumer_pairs_do_not_deadlock<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    for name in SHARED {
        let Some(run) = shared_run(&engine, &fixture(name)) else {
            continue;
        };
        for f in ["pipe", "produce", "consume"] {
            assert_eq!(
                run.scheduling_for(f),
                Scheduling::ThreadPerCall,
                "{name}: {f}"
            );
        }
        // Consumers first, on a pool of 2: a naive pool would give both
        // threads to consumers whose producers then never start.
        const PAIRS: i32 = 6;
        const ITEMS: i32 = 1000;
        let auto = run.clone().pool(pool(2));
        let results = within_30s(name, move || {
            auto.run_typed::<(i32, i32, i64), i32>("pipe", &pipe_args(PAIRS, ITEMS, -1))
        });
        let results = ok(results.unwrap());
        let (consumed, produced) = results.split_at(PAIRS as usize);
        assert_eq!(
            consumed,
            [ITEMS * (ITEMS + 1) / 2; PAIRS as usize],
            "{name}"
        );
        assert_eq!(produced, [ITEMS; PAIRS as usize], "{name}");

        // Consumers and producers in two concurrent runs of the same
        // `ParallelRun` meet in the same shared memory too.
        let both = run.clone();
        let (consumed, produced) = within_30s(name, move || {
            let args: Vec<(i32, i32, i64)> = (0..PAIRS).map(|ch| (ch, ITEMS, -1)).collect();
            std::thread::scope(|s| {
                let c = s.spawn(|| both.run_typed::<(i32, i32, i64), i32>("consume", &args));
                std::thread::sleep(Duration::from_millis(20));
                let p = both.run_typed::<(i32, i32, i64), i32>("produce", &args);
                (c.join().unwrap(), p)
            })
        });
        assert_eq!(
            ok(consumed.unwrap()),
            [ITEMS * (ITEMS + 1) / 2; PAIRS as usize]
        );
        assert_eq!(ok(produced.unwrap()), [ITEMS; PAIRS as usize]);
    }
}

fn a_naive_pool_would_deadlock<E: Engine>(make: Make<E>) {
    // The same argument sets forced onto a plain 2-thread pool: both workers
    // take consumers, whose producers cannot start. With a 20 ms timeout on
    // every wait the consumers give up (-1) instead of hanging forever, which
    // is what `Scheduling::Auto` avoids.
    let engine = make(&Config::new());
    for name in SHARED {
        let Some(run) = shared_run(&engine, &fixture(name)) else {
            continue;
        };
        let naive = run.pool(pool(2)).scheduling(Scheduling::Pool);
        let results = within_30s(name, move || {
            naive.run_typed::<(i32, i32, i64), i32>("pipe", &pipe_args(4, 100, 20_000_000))
        });
        let results = ok(results.unwrap());
        assert!(results[..4].iter().all(|r| *r == -1), "{name}: {results:?}");
    }
}

fn host_provided_shared_memory<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let Some(run) = shared_run(&engine, &fixture("shared.wat")) else {
        return;
    };
    let ty = MemoryType {
        shared: true,
        ..MemoryType::new(4, Some(4))
    };
    let mine = SharedMemory::new(&engine, ty).unwrap();
    mine.atomic_u32(COUNTER)
        .unwrap()
        .store(100, Ordering::SeqCst);
    let run = run
        .define_shared_memory("env", "memory", mine.clone())
        .unwrap();
    run.run_typed::<i32, i32>("bump", &[10; 5]).unwrap();
    assert_eq!(
        mine.atomic_u32(COUNTER).unwrap().load(Ordering::SeqCst),
        150
    );
    // Wrong size or wrong name: refused.
    let small = SharedMemory::new(
        &engine,
        MemoryType {
            shared: true,
            ..MemoryType::new(1, Some(1))
        },
    )
    .unwrap();
    assert!(matches!(
        run.clone().define_shared_memory("env", "memory", small),
        Err(Error::Type(_))
    ));
    assert!(matches!(
        run.define_shared_memory("env", "other", mine),
        Err(Error::Type(_))
    ));
}

fn scheduling_follows_the_code<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let run = ParallelRun::new(&engine, fixture("compute.wat")).unwrap();
    for f in ["collatz", "div", "spin", "calls"] {
        assert_eq!(run.scheduling_for(f), Scheduling::Pool);
    }
    assert_eq!(
        run.clone()
            .scheduling(Scheduling::ThreadPerCall)
            .scheduling_for("div"),
        Scheduling::ThreadPerCall
    );
    for name in SHARED {
        let Some(run) = shared_run(&engine, &fixture(name)) else {
            continue;
        };
        for (f, s) in [
            ("sum", Scheduling::Pool),
            ("transform", Scheduling::Pool),
            ("bump", Scheduling::Pool),
            ("produce", Scheduling::ThreadPerCall),
            ("consume", Scheduling::ThreadPerCall),
            ("pipe", Scheduling::ThreadPerCall),
        ] {
            assert_eq!(run.scheduling_for(f), s, "{name}: {f}");
        }
        let forced = run.scheduling(Scheduling::Pool);
        assert_eq!(forced.scheduling_for("consume"), Scheduling::Pool);
    }
}

// ------------------------------------------------------------------ backends

// Every backend compiled into the facade, statically and through `AnyEngine`,
// from the facade's one backend list.
/// With host functions only, the run pre-instantiates once and every call of
/// a thread-per-call run instantiates from that; a missing or mistyped
/// import still fails each call with the linker's error naming the import.
fn host_function_runs_instantiate_from_one_pre<E: Engine>(make: Make<E>) {
    let engine = make(&Config::new());
    let wat = r#"
        (module
          (import "host" "add" (func $add (param i32 i32) (result i32)))
          (func (export "f") (param i32) (result i32)
            (call $add (local.get 0) (i32.const 100))))
    "#;
    let run = ParallelRun::new(&engine, wat)
        .unwrap()
        .func_wrap("host", "add", |_: Caller<'_, E, ()>, a: i32, b: i32| {
            Ok(a + b)
        })
        .scheduling(Scheduling::ThreadPerCall);
    let args: Vec<i32> = (0..16).collect();
    let out = ok(run.run_typed::<i32, i32>("f", &args).unwrap());
    assert_eq!(out, args.iter().map(|a| a + 100).collect::<Vec<_>>());

    let missing = ParallelRun::new(&engine, wat)
        .unwrap()
        .scheduling(Scheduling::ThreadPerCall);
    for r in missing.run_typed::<i32, i32>("f", &[1, 2]).unwrap() {
        match r {
            Err(Error::Link(e)) => assert!(e.to_string().contains("host::add"), "{e}"),
            other => panic!("a missing import: {other:?}"),
        }
    }
    let mistyped = ParallelRun::new(&engine, wat)
        .unwrap()
        .func_wrap("host", "add", |_: Caller<'_, E, ()>, a: i64| Ok(a))
        .scheduling(Scheduling::ThreadPerCall);
    for r in mistyped.run_typed::<i32, i32>("f", &[1, 2]).unwrap() {
        match r {
            Err(Error::Link(e)) => assert!(e.to_string().contains("host::add"), "{e}"),
            other => panic!("a mistyped import: {other:?}"),
        }
    }
}

macro_rules! backend {
    ($name:ident, $B:ty, $($test:ident),* $(,)?) => {
        mod $name {
            use super::*;
            $(#[test] fn $test() { super::$test(|c| <$B as wasm_run::Engine>::new(c).unwrap()) })*
            mod any {
                use super::*;
                $(#[test] fn $test() { super::super::$test(|c| AnyEngine::by_name(stringify!($name), c).unwrap()) })*
            }
        }
    };
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        wasm_run::for_each_backend!(backend, $($test),*);
    };
}

suite!(
    independent_results_equal_sequential_in_order,
    one_failing_call_leaves_the_others_intact,
    each_worker_instantiates_once_and_reuses_it,
    host_imports_are_callable_from_every_worker,
    host_state_is_per_worker_and_need_not_be_send,
    fuel_limits_each_call,
    one_handle_interrupts_the_whole_run,
    deadline_per_call_stops_runaways,
    values_and_exports_are_checked,
    shared_module_is_unsupported_without_threads,
    atomic_counter_is_exact,
    disjoint_slices_equal_sequential,
    producer_consumer_pairs_do_not_deadlock,
    a_naive_pool_would_deadlock,
    host_provided_shared_memory,
    scheduling_follows_the_code,
    host_function_runs_instantiate_from_one_pre,
);
