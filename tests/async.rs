//! Async embedding as users write it: guests on tokio's current-thread
//! runtime, on every backend through `AnyEngine`. One thread serves a
//! thousand guests that each await a 10 ms host sleep; spinning guests with
//! a yield interval interleave while a quick guest answers; `tokio::time::
//! timeout` stops a runaway guest; a failing or panicking host future comes
//! back typed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wasm_run::{
    AnyEngine, Caller, Config, Engine, Error, Feature, Linker, Module, Result, Store, Val,
    YieldPolicy,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

const WAT: &str = r#"
(module
  (import "host" "sleep" (func $sleep (param i32) (result i32)))
  (import "host" "tick" (func $tick))
  (func (export "handle") (param i32) (result i32)
    (i32.add (call $sleep (local.get 0)) (i32.const 1)))
  (func (export "spin") (loop (call $tick) (br 0)))
  (func (export "quick") (result i32) (i32.const 7)))
"#;

/// The store data: how often the guest called `tick`.
type Ticks = Arc<AtomicU64>;

fn linker(engine: &AnyEngine) -> Result<Linker<AnyEngine, Ticks>> {
    let mut linker = Linker::new(engine);
    // Sleeps `ms` milliseconds (negative: fails; 999: panics), then answers it.
    linker.func_wrap_async(
        "host",
        "sleep",
        |_: Caller<'_, AnyEngine, Ticks>, ms: i32| {
            Ok(async move {
                match ms {
                    999 => panic!("a host future panicked"),
                    ms if ms < 0 => Err(Error::host("no negative sleeps")),
                    ms => {
                        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                        Ok(ms)
                    }
                }
            })
        },
    )?;
    linker.func_wrap("host", "tick", |caller: Caller<'_, AnyEngine, Ticks>| {
        caller.data().fetch_add(1, Ordering::Relaxed);
        Ok(())
    })?;
    Ok(linker)
}

/// Every compiled-in backend that has async calls (the others answer
/// `Unsupported`, which the shared behaviour suite checks).
fn engines(config: &Config) -> Vec<AnyEngine> {
    let engines: Vec<AnyEngine> = wasm_run::BACKENDS
        .iter()
        .map(|name| AnyEngine::by_name(name, config).expect("an engine"))
        .filter(|e| e.support(Feature::Async).is_supported())
        .collect();
    assert!(!engines.is_empty(), "no backend with async calls");
    engines
}

/// One guest: a fresh store and instance, then `handle(ms)`.
async fn handle(
    engine: AnyEngine,
    linker: Arc<Linker<AnyEngine, Ticks>>,
    module: Module<AnyEngine>,
    ms: i32,
) -> Result<i32> {
    let mut store = Store::new(&engine, Ticks::default());
    let instance = linker.instantiate_async(&mut store, &module).await?;
    let f = instance.get_typed_func::<i32, i32>(&mut store, "handle")?;
    f.call_async(&mut store, ms).await
}

#[test]
fn a_thousand_sleeping_guests_share_one_thread() {
    for engine in engines(&Config::new()) {
        let module = Module::new(&engine, WAT).unwrap();
        let linker = Arc::new(linker(&engine).unwrap());
        let started = Instant::now();
        let results = runtime().block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..1000 {
                set.spawn(handle(
                    engine.clone(),
                    linker.clone(),
                    module.clone(),
                    10 + i % 2,
                ));
            }
            let mut results = Vec::new();
            while let Some(r) = set.join_next().await {
                results.push(r.expect("no task panicked").unwrap());
            }
            results
        });
        let took = started.elapsed();
        assert_eq!(results.len(), 1000);
        assert!(results.iter().all(|&r| r == 11 || r == 12));
        // Sequentially it would take 10 s; together, a few tens of ms plus
        // 1000 instantiations (debug build).
        assert!(
            took < Duration::from_secs(3),
            "{}: 1000 guests sleeping 10 ms took {took:?}",
            engine.name()
        );
        eprintln!("{}: 1000 guests sleeping 10 ms: {took:?}", engine.name());
    }
}

#[test]
fn failing_and_panicking_host_futures_are_typed_errors() {
    for engine in engines(&Config::new()) {
        let module = Module::new(&engine, WAT).unwrap();
        let linker = Arc::new(linker(&engine).unwrap());
        let rt = runtime();
        let e = rt
            .block_on(handle(engine.clone(), linker.clone(), module.clone(), -1))
            .unwrap_err();
        assert!(matches!(e, Error::Host(_)), "{}: {e}", engine.name());
        let e = rt
            .block_on(handle(engine.clone(), linker.clone(), module.clone(), 999))
            .unwrap_err();
        assert!(matches!(e, Error::HostPanic(_)), "{}: {e}", engine.name());
    }
}

/// A spinning guest in a store with a yield interval.
async fn spin(
    engine: AnyEngine,
    linker: Arc<Linker<AnyEngine, Ticks>>,
    module: Module<AnyEngine>,
    ticks: Ticks,
    deadline: Option<Duration>,
) -> Result<()> {
    let mut store = Store::new(&engine, ticks);
    // tokio's own yield lets the runtime look at its timers before it polls
    // this guest again.
    store.set_yield_policy(
        YieldPolicy::new()
            .every(Duration::from_millis(1))
            .yield_with(tokio::task::yield_now),
    )?;
    if let Some(d) = deadline {
        store.set_deadline(d)?;
    }
    let instance = linker.instantiate_async(&mut store, &module).await?;
    let f = instance.get_func(&mut store, "spin")?;
    f.call_async(&mut store, &[], &mut []).await
}

#[test]
fn spinning_guests_interleave_and_a_quick_one_answers() {
    const SPINNERS: usize = 100;
    let mut config = Config::new();
    config.enable(Feature::Deadline);
    for engine in engines(&config) {
        let module = Module::new(&engine, WAT).unwrap();
        let linker = Arc::new(linker(&engine).unwrap());
        let counters: Vec<Ticks> = (0..SPINNERS).map(|_| Ticks::default()).collect();
        let started = Instant::now();
        let quick_after = runtime().block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for ticks in &counters {
                let deadline = Some(Duration::from_secs(3));
                set.spawn(spin(
                    engine.clone(),
                    linker.clone(),
                    module.clone(),
                    ticks.clone(),
                    deadline,
                ));
            }
            // The quick guest, while the hundred spin on the same thread.
            let quick = {
                let (engine, linker, module) = (engine.clone(), linker.clone(), module.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let mut store = Store::new(&engine, Ticks::default());
                    let instance = linker.instantiate_async(&mut store, &module).await?;
                    let f = instance.get_typed_func::<(), i32>(&mut store, "quick")?;
                    let r = f.call_async(&mut store, ()).await?;
                    Ok::<_, Error>((r, started.elapsed()))
                })
            };
            let (r, at) = quick.await.expect("the quick task").unwrap();
            assert_eq!(r, 7);
            while let Some(r) = set.join_next().await {
                let e = r.expect("no task panicked").unwrap_err();
                assert_eq!(e.trap_code(), Some(wasm_run::TrapCode::Deadline), "{e}");
            }
            at
        });
        // The quick guest answered while the spinners still ran (before
        // their 3 s deadlines), and every spinner made progress.
        assert!(
            quick_after < Duration::from_secs(3),
            "{}: the quick guest answered after {quick_after:?}",
            engine.name()
        );
        let idle = counters
            .iter()
            .filter(|c| c.load(Ordering::Relaxed) == 0)
            .count();
        assert_eq!(
            idle,
            0,
            "{}: {idle} spinning guests never ran",
            engine.name()
        );
        eprintln!(
            "{}: quick guest answered after {quick_after:?} among 100 spinners",
            engine.name()
        );
    }
}

#[test]
fn a_timeout_stops_a_runaway_guest() {
    let mut config = Config::new();
    config.enable(Feature::Deadline);
    for engine in engines(&config) {
        let module = Module::new(&engine, WAT).unwrap();
        let linker = Arc::new(linker(&engine).unwrap());
        let ticks = Ticks::default();
        let started = Instant::now();
        let r = runtime().block_on(async {
            tokio::time::timeout(
                Duration::from_millis(50),
                spin(engine.clone(), linker, module, ticks.clone(), None),
            )
            .await
        });
        assert!(r.is_err(), "{}: the runaway guest finished", engine.name());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{}: the timeout took {:?}",
            engine.name(),
            started.elapsed()
        );
        assert!(
            ticks.load(Ordering::Relaxed) > 0,
            "{}: it never ran",
            engine.name()
        );
    }
}

#[test]
fn values_come_back_from_an_async_call() {
    let engine = AnyEngine::by_name(wasm_run::BACKENDS[0], &Config::new()).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let linker = linker(&engine).unwrap();
    let mut store = Store::new(&engine, Ticks::default());
    runtime().block_on(async {
        let instance = linker.instantiate_async(&mut store, &module).await.unwrap();
        let f = instance.get_func(&mut store, "handle").unwrap();
        let mut out = [Val::I32(0)];
        f.call_async(&mut store, &[Val::I32(1)], &mut out)
            .await
            .unwrap();
        assert_eq!(out[0], Val::I32(2));
    });
}

/// An async call runs the guest on its own stack (wasmtime's fiber), so a
/// large wasm stack works from a thread with a small native stack, as
/// executor worker threads have.
#[test]
fn async_calls_need_no_big_native_stack() {
    let mut config = Config::new();
    config.max_wasm_stack(4 << 20);
    for engine in engines(&config) {
        let name = engine.name();
        let module = Module::new(&engine, WAT).unwrap();
        let linker = Arc::new(linker(&engine).unwrap());
        // 256 KiB of native stack: less than the 4 MiB wasm stack.
        let r = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || runtime().block_on(handle(engine, linker, module, 1)))
            .unwrap()
            .join()
            .expect("no panic");
        assert_eq!(r.unwrap_or_else(|e| panic!("{name}: {e}")), 2);
    }
}

/// WASI commands as futures (`wasi::run_command_with_async`): fifty runs of
/// a C program whose host import `host::twice` is an async function
/// sleeping 10 ms (three calls each) share one thread — well under the
/// 1.5 s they would take one after another — and each prints its lines.
#[test]
fn wasi_commands_run_as_futures() {
    use wasm_run::wasi::{WasiConfig, WasiState, run_command_async, run_command_with_async};
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/engine-conformance/fixtures/wasi/host_import.wasm"
    ))
    .unwrap();
    let hello = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hello.wasm")).unwrap();
    for engine in engines(&Config::new()) {
        let module = Module::new(&engine, &bytes).unwrap();
        let hello = Module::new(&engine, &hello).unwrap();
        let started = Instant::now();
        let outputs = runtime().block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..50 {
                let (engine, module) = (engine.clone(), module.clone());
                set.spawn(async move {
                    let mut config = WasiConfig::new();
                    let out = config.capture_stdout();
                    let (status, calls) = run_command_with_async(
                        &engine,
                        &module,
                        &config,
                        0u32,
                        YieldPolicy::new(),
                        |linker| {
                            linker.func_wrap_async_then(
                                "host",
                                "twice",
                                |_: Caller<'_, AnyEngine, WasiState<AnyEngine, u32>>, x: i32| {
                                    Ok(async move {
                                        tokio::time::sleep(Duration::from_millis(10)).await;
                                        // The completion counts the calls in the host state.
                                        Ok(
                                            move |mut cx: Caller<
                                                '_,
                                                AnyEngine,
                                                WasiState<AnyEngine, u32>,
                                            >| {
                                                cx.data_mut().data += 1;
                                                Ok(x * 2)
                                            },
                                        )
                                    })
                                },
                            )?;
                            Ok(())
                        },
                    )
                    .await?;
                    Ok::<_, wasm_run::wasi::WasiError>((status.code(), calls, out.contents()))
                });
            }
            let mut outputs = Vec::new();
            while let Some(r) = set.join_next().await {
                outputs.push(r.expect("no task panicked").unwrap());
            }
            // And a plain command through run_command_async.
            let mut config = WasiConfig::new();
            let out = config.capture_stdout();
            config.args(["hello", "async"]);
            let status = run_command_async(&engine, &hello, &config, YieldPolicy::new())
                .await
                .unwrap();
            assert_eq!(status.code(), 0);
            assert_eq!(out.contents(), b"Hello, async!\n");
            outputs
        });
        let took = started.elapsed();
        assert_eq!(outputs.len(), 50);
        for (code, calls, out) in outputs {
            assert_eq!((code, calls), (0, 3), "{}", engine.name());
            assert_eq!(
                String::from_utf8_lossy(&out),
                "twice(1) = 2\ntwice(2) = 4\ntwice(3) = 6\n",
                "{}",
                engine.name()
            );
        }
        assert!(
            took < Duration::from_millis(1000),
            "{}: 50 commands with 3 sleeps of 10 ms took {took:?}",
            engine.name()
        );
        eprintln!(
            "{}: 50 WASI commands, 3 async sleeps each: {took:?}",
            engine.name()
        );
    }
}

/// Command components as futures (`wasi::p2::run_command_async`) on every
/// backend: twenty `hello` components together on one thread, each with its
/// own captured output.
#[test]
fn command_components_run_as_futures() {
    use wasm_run::component::Component;
    use wasm_run::wasi::WasiConfig;
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wasi/p2/hello.wasm"
    ))
    .unwrap();
    for engine in engines(&Config::new()) {
        let component = Component::new(&engine, &bytes).unwrap();
        let outputs = runtime().block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..20 {
                let (engine, component) = (engine.clone(), component.clone());
                set.spawn(async move {
                    let mut config = WasiConfig::new();
                    let out = config.capture_stdout();
                    let status = wasm_run::wasi::p2::run_command_async(
                        &engine,
                        &component,
                        &config,
                        YieldPolicy::new(),
                    )
                    .await?;
                    Ok::<_, wasm_run::wasi::WasiError>((status.code(), out.contents()))
                });
            }
            let mut outputs = Vec::new();
            while let Some(r) = set.join_next().await {
                outputs.push(r.expect("no task panicked").unwrap());
            }
            outputs
        });
        // The same program run synchronously gives the reference output.
        let mut config = WasiConfig::new();
        let out = config.capture_stdout();
        let status = wasm_run::wasi::p2::run_command(&engine, &component, &config).unwrap();
        let want = (status.code(), out.contents());
        assert!(
            !want.1.is_empty(),
            "{}: hello printed nothing",
            engine.name()
        );
        assert_eq!(outputs.len(), 20);
        for got in outputs {
            assert_eq!(got, want, "{}", engine.name());
        }
    }
}
