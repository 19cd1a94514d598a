//! Async calls and async host functions: a call suspends while a host
//! function's future waits, many guests progress together on one thread,
//! errors and panics of either part come back typed, a synchronous call
//! that reaches an async host function is refused, and dropping a call's
//! future leaves the store usable.
//!
//! The executor here is a round-robin poller on the test's thread (the
//! library depends on no runtime); it gives up after a bound, so a backend
//! that blocks instead of suspending fails instead of hanging.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use wasm_run_api::{
    Caller, Config, Engine, Error, Feature, FuncType, HostFuture, Linker, Result, Store, Val,
    ValType, YieldPolicy,
};

use super::helpers::*;

const WAT: &str = r#"
(module
  (import "host" "double" (func $double (param i32) (result i32)))
  (import "host" "add1" (func $add1 (param i32) (result i32)))
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (import "host" "gate" (func $gate (param i32) (result i32)))
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "run") (param i32) (result i32)
    (global.set $g (i32.const 1))
    (call $add1 (call $double (local.get 0))))
  (func (export "twice") (param i32) (result i32)
    (call $double (call $double (local.get 0))))
  (func (export "fail") (param i32) (result i32) (call $fail (local.get 0)))
  (func (export "gated") (param i32) (result i32) (call $gate (local.get 0)))
  (func (export "plain") (result i32) (i32.const 7)))
"#;

/// A future that is pending `n` times (waking itself) before `value`.
struct Yield<V> {
    n: usize,
    value: Option<V>,
}

// Never pinned structurally: `value` is moved out by value.
impl<V> Unpin for Yield<V> {}

impl<V> Future for Yield<V> {
    type Output = V;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<V> {
        if self.n == 0 {
            return Poll::Ready(self.value.take().expect("polled after the end"));
        }
        self.n -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Polls every future round robin until all are done, at most `rounds`
/// rounds; `None` if some never finished. Also counts the rounds taken.
fn run_all<F: Future + Unpin>(
    mut futures: Vec<F>,
    rounds: usize,
) -> Option<(Vec<F::Output>, usize)> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    for round in 1..=rounds {
        for (f, slot) in futures.iter_mut().zip(out.iter_mut()) {
            if slot.is_none()
                && let Poll::Ready(v) = Pin::new(&mut *f).poll(&mut cx)
            {
                *slot = Some(v);
            }
        }
        if out.iter().all(Option::is_some) {
            return Some((out.into_iter().flatten().collect(), round));
        }
    }
    None
}

fn block_on<F: Future + Unpin>(f: F) -> (F::Output, usize) {
    let (mut v, rounds) = run_all(vec![f], 10_000).expect("the call never finished");
    (v.pop().expect("one result"), rounds)
}

fn i32_fn() -> FuncType {
    fty([ValType::I32], [ValType::I32])
}

fn arg(params: &[Val<impl Engine>]) -> i32 {
    match params.first() {
        Some(Val::I32(x)) => *x,
        other => panic!("not an i32 argument: {other:?}"),
    }
}

/// The linker of [`WAT`]: `double` (typed async, pending once), `add1` (sync),
/// `fail` (async; how it fails depends on the argument) and `gate` (async,
/// pending until `started` reaches `gate_at`).
fn linker<E: Engine>(engine: &E, started: &Arc<AtomicUsize>, gate_at: usize) -> Linker<E, ()>
where
    E::Store<()>: Send,
{
    let mut linker = Linker::<E, ()>::new(engine);
    // Typed: the numbers as Rust values.
    ok(
        linker.func_wrap_async("host", "double", |_: Caller<'_, E, ()>, x: i32| {
            Ok(Yield {
                n: 1,
                value: Some(Ok(x * 2)),
            })
        }),
        "func_wrap_async double",
    );
    ok(
        linker.func_wrap("host", "add1", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1)),
        "func_wrap add1",
    );
    ok(
        linker.func_new_async(
            "host",
            "fail",
            i32_fn(),
            |_, params| -> Result<HostFuture<E>> {
                Ok(match arg(params) {
                    0 => return Err(Error::host("refused at once")),
                    1 => Box::pin(async { Err(Error::host("failed later")) }),
                    2 => Box::pin(async { panic!("a host future panicked") }),
                    3 => Box::pin(async { Ok(vec![Val::I64(1)]) }),
                    4 => Box::pin(async { Ok(vec![]) }),
                    _ => panic!("a host function panicked before its future"),
                })
            },
        ),
        "func_new_async fail",
    );
    let started = started.clone();
    ok(
        linker.func_new_async("host", "gate", i32_fn(), move |_, params| {
            let x = arg(params);
            started.fetch_add(1, Ordering::SeqCst);
            let started = started.clone();
            Ok(std::future::poll_fn(move |cx| {
                if started.load(Ordering::SeqCst) >= gate_at {
                    Poll::Ready(Ok(vec![Val::I32(x + 100)]))
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }))
        }),
        "func_new_async gate",
    );
    linker
}

/// Async calls through async and sync host functions, with every backend
/// that has [`Feature::Async`]; the typed `Unsupported` elsewhere.
pub fn async_calls<E: Engine>(make: impl Fn(&Config) -> Result<E>)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let engine = default_engine(&make);
    let name = engine.name();
    if !engine.features().contains(Feature::Async) {
        let mut linker = Linker::<E, ()>::new(&engine);
        let e = err(
            linker.func_new_async("host", "f", i32_fn(), |_, _| Ok(async { Ok(vec![]) })),
            "func_new_async without async",
        );
        expect_unsupported(&e, Feature::Async, name, "func_new_async");
        return;
    }
    let module = compile(&engine, WAT);
    let started = Arc::new(AtomicUsize::new(0));
    let linker = linker(&engine, &started, 0);
    let mut store = Store::new(&engine, ());
    let (instance, _) = block_on(Box::pin(linker.instantiate_async(&mut store, &module)));
    let instance = ok(instance, "instantiate_async");
    let func = |store: &mut Store<E, ()>, n: &str| ok(instance.get_func(store, n), n);

    // One suspension (the executor had to come back), then the sync host
    // function: 2 * 20 + 1.
    let run = func(&mut store, "run");
    let mut out = [Val::I32(0)];
    let (r, rounds) = block_on(Box::pin(run.call_async(
        &mut store,
        &[Val::I32(20)],
        &mut out,
    )));
    ok(r, "call_async run");
    assert_eq!(out[0], Val::I32(41), "{name}: run(20)");
    assert!(
        rounds >= 2,
        "{name}: the call never suspended ({rounds} polls)"
    );
    // The same through a typed call.
    let typed = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "run"),
        "typed run",
    );
    let (r, rounds) = block_on(Box::pin(typed.call_async(&mut store, 10)));
    assert_eq!(ok(r, "typed call_async"), 21, "{name}: typed run(10)");
    assert!(rounds >= 2, "{name}: the typed call never suspended");
    // Two suspensions in one call.
    let twice = func(&mut store, "twice");
    let (r, rounds) = block_on(Box::pin(twice.call_async(
        &mut store,
        &[Val::I32(5)],
        &mut out,
    )));
    ok(r, "call_async twice");
    assert_eq!(out[0], Val::I32(20), "{name}: twice(5)");
    assert!(rounds >= 3, "{name}: twice suspended fewer than twice");

    // Errors of either part, typed; the store stays usable after each.
    let fail = func(&mut store, "fail");
    let plain = func(&mut store, "plain");
    for (mode, what) in [
        (0, "host"),
        (1, "host"),
        (2, "panic"),
        (3, "type"),
        (4, "type"),
        (5, "panic"),
    ] {
        let (r, _) = block_on(Box::pin(fail.call_async(
            &mut store,
            &[Val::I32(mode)],
            &mut out,
        )));
        let e = err(r, &format!("fail({mode})"));
        let right = match what {
            "host" => matches!(e, Error::Host(_)),
            "panic" => matches!(e, Error::HostPanic(_)),
            _ => matches!(e, Error::Type(_)),
        };
        assert!(
            right,
            "{name}: fail({mode}) gave {e:?}, expected a {what} error"
        );
        let (r, _) = block_on(Box::pin(plain.call_async(&mut store, &[], &mut out)));
        ok(r, "plain after an error");
        assert_eq!(out[0], Val::I32(7));
    }

    // A synchronous call that reaches an async host function is refused.
    let e = err(
        run.call(&mut store, &[Val::I32(1)], &mut out),
        "sync call of an async host function",
    );
    assert!(matches!(e, Error::Type(_)), "{name}: sync call gave {e:?}");
    // And a typed one (wasm-run's fast path on wasmtime skips wasmtime's
    // own check, so it must make it).
    let e = err(
        typed.call(&mut store, 1),
        "typed sync call of an async host function",
    );
    assert!(
        matches!(e, Error::Type(_)),
        "{name}: typed sync call gave {e:?}"
    );

    // Dropping a suspended call: what the guest did before stays done and
    // the store keeps working.
    let g = instance.get_global(&mut store, "g").expect("global g");
    ok(g.set(&mut store, Val::I32(0)), "reset g");
    {
        let mut fut = Box::pin(run.call_async(&mut store, &[Val::I32(3)], &mut out));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            fut.as_mut().poll(&mut cx).is_pending(),
            "{name}: the call did not suspend"
        );
    }
    assert_eq!(g.get(&mut store), Val::I32(1), "{name}: g after the drop");
    let (r, _) = block_on(Box::pin(run.call_async(
        &mut store,
        &[Val::I32(4)],
        &mut out,
    )));
    ok(r, "call_async after a dropped call");
    assert_eq!(out[0], Val::I32(9), "{name}: run(4) after the drop");
}

/// Many guests, each in its own store, progress together on one thread:
/// every guest's host function waits until all of them have started, which
/// only happens if each call suspends instead of blocking.
pub fn async_guests_interleave<E: Engine>(make: impl Fn(&Config) -> Result<E>)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let engine = default_engine(&make);
    if !engine.features().contains(Feature::Async) {
        return; // `async_calls` checks the refusal.
    }
    const GUESTS: usize = 50;
    let module = compile(&engine, WAT);
    let started = Arc::new(AtomicUsize::new(0));
    let linker = linker(&engine, &started, GUESTS);
    let guests: Vec<Pin<Box<dyn Future<Output = Result<i32>> + '_>>> = (0..GUESTS as i32)
        .map(|i| {
            let (engine, linker, module) = (&engine, &linker, &module);
            Box::pin(async move {
                let mut store = Store::new(engine, ());
                let instance = linker.instantiate_async(&mut store, module).await?;
                let gated = instance.get_func(&mut store, "gated")?;
                let mut out = [Val::I32(0)];
                gated
                    .call_async(&mut store, &[Val::I32(i)], &mut out)
                    .await?;
                match out[0] {
                    Val::I32(v) => Ok(v),
                    ref other => Err(Error::Type(format!("{other:?}"))),
                }
            }) as Pin<Box<dyn Future<Output = Result<i32>>>>
        })
        .collect();
    let (results, _) = run_all(guests, 10_000).unwrap_or_else(|| {
        panic!(
            "{}: the guests did not all finish ({} of {GUESTS} started)",
            engine.name(),
            started.load(Ordering::SeqCst)
        )
    });
    for (i, r) in results.into_iter().enumerate() {
        assert_eq!(ok(r, "gated guest"), i as i32 + 100);
    }
}

const SPIN_WAT: &str = r#"
(module
  (func (export "spin") (loop br 0))
  (func (export "quick") (result i32) (i32.const 7)))
"#;

/// With a yield interval, a guest that never returns gives its thread back
/// to the executor again and again, so another guest on the same thread
/// finishes meanwhile; its deadline still stops it; a dropped spinning
/// call leaves the store usable. Without `Deadline`/`Interrupt` the
/// interval is refused as `Unsupported { Deadline }`.
pub fn async_yields<E: Engine>(make: impl Fn(&Config) -> Result<E>)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let base = default_engine(&make);
    let name = base.name();
    if !base.features().contains(Feature::Async) {
        return; // `async_calls` checks the refusal.
    }
    let mut store = Store::new(&base, ());
    if base.support(Feature::Deadline).is_supported() {
        let e = err(
            store.set_yield_interval(Some(std::time::Duration::from_millis(1))),
            "a yield interval without deadlines",
        );
        expect_unsupported(&e, Feature::Deadline, name, "set_yield_interval");
    } else {
        return;
    }
    let mut config = Config::new();
    config.enable(Feature::Deadline);
    let engine = engine_with(&make, &config);
    let module = compile(&engine, SPIN_WAT);
    let linker = Linker::<E, ()>::new(&engine);
    let mut spinner = Store::new(&engine, ());
    // The yields go through the policy's own yield future.
    let custom = Arc::new(AtomicUsize::new(0));
    let counted = custom.clone();
    ok(
        spinner.set_yield_policy(
            YieldPolicy::new()
                .every(std::time::Duration::from_millis(1))
                .yield_with(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    wasm_run_api::backend::yield_now()
                }),
        ),
        "set_yield_policy",
    );
    // The deadline ends the spin if the guest never yields, so a backend
    // that does not yield fails here instead of hanging.
    ok(
        spinner.set_deadline(std::time::Duration::from_secs(3)),
        "deadline",
    );
    let instance = ok(linker.instantiate(&mut spinner, &module), "instantiate");
    let spin = ok(instance.get_func(&mut spinner, "spin"), "spin");
    let mut quick_store = Store::new(&engine, ());
    let quick_instance = ok(linker.instantiate(&mut quick_store, &module), "instantiate");
    let quick = ok(quick_instance.get_func(&mut quick_store, "quick"), "quick");
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut spinning = Box::pin(spin.call_async(&mut spinner, &[], &mut []));
        let mut yields = 0;
        let mut quick_done = false;
        while yields < 20 {
            match spinning.as_mut().poll(&mut cx) {
                Poll::Pending => yields += 1,
                Poll::Ready(r) => panic!("{name}: the spinning guest ended: {r:?}"),
            }
            if !quick_done {
                let mut out = [Val::I32(0)];
                let mut q = Box::pin(quick.call_async(&mut quick_store, &[], &mut out));
                quick_done = matches!(q.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
                drop(q);
                assert!(quick_done, "{name}: the quick guest did not finish");
                assert_eq!(out[0], Val::I32(7));
            }
        }
    }
    assert_eq!(
        custom.load(Ordering::SeqCst),
        20,
        "{name}: every yield went through the policy's yield future"
    );
    // Dropped mid-spin: the store still works (a fresh deadline).
    let quick_in_spinner = ok(instance.get_func(&mut spinner, "quick"), "quick");
    let mut out = [Val::I32(0)];
    let (r, _) = block_on(Box::pin(quick_in_spinner.call_async(
        &mut spinner,
        &[],
        &mut out,
    )));
    ok(r, "quick after a dropped spin");
    assert_eq!(out[0], Val::I32(7));
    // The deadline still stops a spinning async call.
    ok(
        spinner.set_deadline(std::time::Duration::from_millis(100)),
        "short deadline",
    );
    let (r, _) = block_on(Box::pin(spin.call_async(&mut spinner, &[], &mut [])));
    let e = err(r, "spin past its deadline");
    assert_eq!(
        e.trap_code(),
        Some(wasm_run_api::TrapCode::Deadline),
        "{name}: {e}"
    );
}

/// A fuel interval: a spinning async call yields about every `EVERY` units
/// of fuel it consumes (checked from the fuel left after twenty yields),
/// and runs out of fuel with the usual trap. Without fuel the interval is
/// refused as `Unsupported { Fuel }`.
pub fn async_fuel_yields<E: Engine>(make: impl Fn(&Config) -> Result<E>)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    const EVERY: u64 = 100_000;
    const YIELDS: u64 = 20;
    let base = default_engine(&make);
    let name = base.name();
    if !base.features().contains(Feature::Async) || !base.support(Feature::Fuel).is_supported() {
        return;
    }
    let mut store = Store::new(&base, ());
    let e = err(
        store.set_yield_policy(YieldPolicy::new().every_fuel(EVERY)),
        "a fuel interval without fuel",
    );
    expect_unsupported(&e, Feature::Fuel, name, "set_yield_policy");
    // (wasmi yields between the fuel slices of deadlines and interrupts.)
    let mut config = Config::new();
    config.fuel(true).enable(Feature::Deadline);
    let engine = engine_with(&make, &config);
    let module = compile(&engine, SPIN_WAT);
    let linker = Linker::<E, ()>::new(&engine);
    let mut spinner = Store::new(&engine, ());
    const FUEL: u64 = 1_000_000_000;
    ok(spinner.set_fuel(FUEL), "set_fuel");
    ok(
        spinner.set_yield_policy(YieldPolicy::new().every_fuel(EVERY)),
        "set_yield_policy",
    );
    ok(
        spinner.set_deadline(std::time::Duration::from_secs(3)),
        "deadline",
    );
    // (On wasmtime a store with fuel yields takes async calls only.)
    let (instance, _) = block_on(Box::pin(linker.instantiate_async(&mut spinner, &module)));
    let instance = ok(instance, "instantiate");
    let spin = ok(instance.get_func(&mut spinner, "spin"), "spin");
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut spinning = Box::pin(spin.call_async(&mut spinner, &[], &mut []));
        for _ in 0..YIELDS {
            match spinning.as_mut().poll(&mut cx) {
                Poll::Pending => {}
                Poll::Ready(r) => panic!("{name}: the spinning guest ended: {r:?}"),
            }
        }
    }
    let spent = FUEL - ok(spinner.get_fuel(), "get_fuel");
    assert!(
        (YIELDS * EVERY / 2..=(YIELDS + 1) * EVERY * 2).contains(&spent),
        "{name}: {YIELDS} fuel yields every {EVERY} units consumed {spent}"
    );
    // The budget still ends the call.
    ok(spinner.set_fuel(EVERY * 5 / 2), "set_fuel");
    let (r, rounds) = block_on(Box::pin(spin.call_async(&mut spinner, &[], &mut [])));
    let e = err(r, "spin past its fuel");
    assert_eq!(
        e.trap_code(),
        Some(wasm_run_api::TrapCode::OutOfFuel),
        "{name}: {e}"
    );
    assert!(
        (2..=4).contains(&rounds),
        "{name}: 2.5 intervals of fuel took {rounds} polls"
    );
}

const REENTER_WAT: &str = r#"
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "later" (func $later (param i32) (result i32)))
  (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "inc_later") (param i32) (result i32) (call $later (local.get 0)))
  (func (export "run") (param i32) (result i32) (call $reenter (local.get 0)))
  (func (export "tail") (param i32) (result i32) (return_call $later (local.get 0))))
"#;

/// A synchronous host function that calls back into wasm during an async
/// call: the nested call either works (wasmi: it runs inside the suspended
/// call's host frame) or is `Error::Type` (wasmtime: its fiber cannot run a
/// synchronous call), typed and dynamic — never a panic or an engine error;
/// the store works afterwards. A nested call that reaches an async host
/// function is `Error::Type` on every backend (wasmi can suspend only the
/// call the host started), and a tail call into an async host function at
/// the root works on wasmtime and is `Error::Type` on wasmi.
pub fn async_reentry<E: Engine>(make: impl Fn(&Config) -> Result<E>)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let engine = default_engine(&make);
    let name = engine.name();
    if !engine.features().contains(Feature::Async) {
        return;
    }
    let module = compile(&engine, REENTER_WAT);
    let linker = reenter_linker(&engine, false);
    let with_async = reenter_linker(&engine, true);
    let mut store = Store::new(&engine, ());
    let instance = ok(linker.instantiate(&mut store, &module), "instantiate");
    let run = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "run"),
        "run",
    );
    // Synchronously, the host function's calls work everywhere.
    assert_eq!(ok(run.call(&mut store, 1), "sync run"), 3, "{name}");
    let (r, _) = block_on(Box::pin(run.call_async(&mut store, 1)));
    match r {
        Ok(v) => assert_eq!(v, 3, "{name}: async run(1)"),
        Err(Error::Type(_)) => {}
        Err(e) => panic!("{name}: a nested call during call_async gave {e:?}"),
    }
    assert_eq!(ok(run.call(&mut store, 5), "sync run after"), 7, "{name}");

    // With `later` async: a nested call reaching it cannot suspend.
    let mut store = Store::new(&engine, ());
    let (instance, _) = block_on(Box::pin(with_async.instantiate_async(&mut store, &module)));
    let instance = ok(instance, "instantiate_async");
    let run = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "run"),
        "run",
    );
    let (r, _) = block_on(Box::pin(run.call_async(&mut store, 100)));
    let e = err(r, "a nested call reaching an async host function");
    assert!(matches!(e, Error::Type(_)), "{name}: {e:?}");
    // A tail call into the async host function at the root.
    let tail = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "tail"),
        "tail",
    );
    let (r, _) = block_on(Box::pin(tail.call_async(&mut store, 41)));
    match r {
        Ok(v) => assert_eq!(v, 42, "{name}: tail(41)"),
        Err(Error::Type(_)) => {}
        Err(e) => panic!("{name}: a tail call into an async host function gave {e:?}"),
    }
    // The store still answers.
    let inc = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "inc_later"),
        "inc_later",
    );
    let (r, _) = block_on(Box::pin(inc.call_async(&mut store, 1)));
    assert_eq!(ok(r, "inc_later after"), 2, "{name}");
}

/// The linker of [`REENTER_WAT`]: `reenter` calls back into the instance;
/// `later` is async or not.
fn reenter_linker<E: Engine>(engine: &E, async_later: bool) -> Linker<E, ()>
where
    E::Store<()>: Send,
{
    let mut linker = Linker::<E, ()>::new(engine);
    ok(
        linker.func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, E, ()>, x: i32| -> Result<i32> {
                // 100 and up: through a function that awaits.
                let target = if x >= 100 { "inc_later" } else { "inc" };
                let Some(wasm_run_api::Extern::Func(inc)) = caller.get_export(target) else {
                    return Err(Error::host("no inc"));
                };
                let typed = inc.typed::<i32, i32>(&caller)?;
                let a = typed.call(&mut caller, x)?;
                let mut out = [Val::I32(0)];
                inc.call(&mut caller, &[Val::I32(a)], &mut out)?;
                match out[0] {
                    Val::I32(b) => Ok(b),
                    _ => Err(Error::host("not an i32")),
                }
            },
        ),
        "func_wrap reenter",
    );
    if async_later {
        ok(
            linker.func_wrap_async("host", "later", |_: Caller<'_, E, ()>, x: i32| {
                Ok(async move { Ok(x + 1) })
            }),
            "func_wrap_async later",
        );
    } else {
        ok(
            linker.func_wrap("host", "later", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1)),
            "func_wrap later",
        );
    }
    linker
}

const COMPLETE_WAT: &str = r#"
(module
  (import "host" "read" (func $read (param i32 i32) (result i32)))
  (import "host" "read_typed" (func $read_typed (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; read(ptr, len) into memory, then the sum of the bytes read
  (func $sum (param $ptr i32) (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func (export "run") (param $ptr i32) (param $len i32) (result i32)
    (call $sum (local.get $ptr) (call $read (local.get $ptr) (local.get $len))))
  (func (export "run_typed") (param $ptr i32) (param $len i32) (result i32)
    (call $sum (local.get $ptr) (call $read_typed (local.get $ptr) (local.get $len)))))
"#;

/// Async host functions with a completion (`func_new_async_then`,
/// `func_wrap_async_then`): after the future, the completion writes what
/// it fetched into guest memory (through a handle taken in the synchronous
/// part) and gives the results; the guest reads them. Its caller has no
/// calling instance. Its error, its panic and wrong results come back
/// typed, with the store usable after each.
pub fn async_completions<E: Engine>(make: impl Fn(&Config) -> Result<E>)
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    let engine = default_engine(&make);
    let name = engine.name();
    if !engine.features().contains(Feature::Async) {
        return;
    }
    const DATA: &[u8] = b"fetched";
    let module = compile(&engine, COMPLETE_WAT);
    let mut linker = Linker::<E, ()>::new(&engine);
    let ty = fty([ValType::I32, ValType::I32], [ValType::I32]);
    ok(
        linker.func_new_async_then("host", "read", ty, |mut caller, params| {
            let memory = caller
                .get_memory("memory")
                .ok_or(Error::host("no memory"))?;
            let (ptr, len) = (arg(params), arg(&params[1..]));
            Ok(async move {
                // Pending once: the executor comes back.
                let mut once = false;
                std::future::poll_fn(|cx| {
                    if std::mem::replace(&mut once, true) {
                        Poll::Ready(())
                    } else {
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
                .await;
                Ok(move |mut cx: Caller<'_, E, ()>| -> Result<Vec<Val<E>>> {
                    if cx.get_export("memory").is_some() {
                        return Err(Error::host("a completion saw a calling instance"));
                    }
                    match len {
                        -1 => return Err(Error::host("the completion failed")),
                        -2 => panic!("a completion panicked"),
                        -3 => return Ok(vec![]),
                        _ => {}
                    }
                    let n = DATA.len().min(len as usize);
                    memory.write(&mut cx, ptr as usize, &DATA[..n])?;
                    Ok(vec![Val::I32(n as i32)])
                })
            })
        }),
        "func_new_async_then",
    );
    ok(
        linker.func_wrap_async_then(
            "host",
            "read_typed",
            |mut caller: Caller<'_, E, ()>, (ptr, len): (i32, i32)| {
                let memory = caller
                    .get_memory("memory")
                    .ok_or(Error::host("no memory"))?;
                Ok(async move {
                    Ok(move |mut cx: Caller<'_, E, ()>| -> Result<i32> {
                        let n = DATA.len().min(len as usize);
                        memory.write(&mut cx, ptr as usize, &DATA[..n])?;
                        Ok(n as i32)
                    })
                })
            },
        ),
        "func_wrap_async_then",
    );
    let mut store = Store::new(&engine, ());
    let (instance, _) = block_on(Box::pin(linker.instantiate_async(&mut store, &module)));
    let instance = ok(instance, "instantiate_async");
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    let want: i32 = DATA.iter().map(|&b| b as i32).sum();
    for export in ["run", "run_typed"] {
        let run = ok(
            instance.get_typed_func::<(i32, i32), i32>(&mut store, export),
            export,
        );
        let (r, _) = block_on(Box::pin(run.call_async(&mut store, (100, 64))));
        assert_eq!(
            ok(r, export),
            want,
            "{name}: {export} summed what the completion wrote"
        );
        let mut buf = [0u8; 7];
        ok(memory.read(&store, 100, &mut buf), "read memory");
        assert_eq!(&buf, DATA, "{name}: {export} left the data in memory");
        // A short buffer: only what fits.
        let (r, _) = block_on(Box::pin(run.call_async(&mut store, (200, 3))));
        assert_eq!(
            ok(r, export),
            b'f' as i32 + b'e' as i32 + b't' as i32,
            "{name}: {export}(len 3)"
        );
    }
    let run = ok(
        instance.get_typed_func::<(i32, i32), i32>(&mut store, "run"),
        "run",
    );
    for (len, what) in [(-1, "error"), (-2, "panic"), (-3, "wrong results")] {
        let (r, _) = block_on(Box::pin(run.call_async(&mut store, (0, len))));
        let e = err(r, what);
        let right = match what {
            "error" => {
                matches!(&e, Error::Host(m) if m.to_string().contains("the completion failed"))
            }
            "panic" => matches!(e, Error::HostPanic(_)),
            _ => matches!(e, Error::Type(_)),
        };
        assert!(right, "{name}: a completion's {what} gave {e:?}");
        let (r, _) = block_on(Box::pin(run.call_async(&mut store, (100, 64))));
        assert_eq!(ok(r, "run after a failed completion"), want, "{name}");
    }
}
