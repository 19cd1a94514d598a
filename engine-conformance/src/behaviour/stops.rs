//! Stopping guests: deadlines (`Store::set_deadline`) and interrupts from
//! another thread (`InterruptHandle`), on every backend that supports them.
//!
//! Timing assertions are generous and repeated (the median of several runs
//! must be within 2× the deadline, no run may stop before it), so that a
//! loaded 2-core machine does not make them flaky.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasm_run_api::{
    Caller, Config, Engine, Error, Feature, InterruptHandle, Linker, Result, Store, TrapCode,
};

use super::helpers::*;

pub(super) const STOPS_WAT: &str = r#"
(module
  (import "host" "tick" (func $tick))
  (import "host" "sleep" (func $sleep (param i32)))
  (func (export "spin") (loop $l br $l))
  (func $fib (export "fib") (param i64) (result i64)
    local.get 0 i64.const 2 i64.lt_u
    if (result i64)
      local.get 0
    else
      local.get 0 i64.const 1 i64.sub call $fib
      local.get 0 i64.const 2 i64.sub call $fib
      i64.add
    end)
  (func (export "call_host") (loop $l call $tick br $l))
  (func (export "sleep_then_spin") (param i32) local.get 0 call $sleep (loop $l br $l))
  (func (export "answer") (result i32) i32.const 42)
  (func (export "sum") (param i32) (result i64) (local $acc i64)
    (block $done
      (loop $l
        local.get 0 i32.eqz br_if $done
        local.get $acc local.get 0 i64.extend_i32_u i64.add local.set $acc
        local.get 0 i32.const 1 i32.sub local.set 0
        br $l))
    local.get $acc))
"#;

/// A call that does not end by itself.
type Runaway<'a, E> = dyn Fn(&mut Store<E, ()>) -> Result<()> + 'a;

const DEADLINE: Duration = Duration::from_millis(50);
const RUNS: usize = 5;

fn engine_for<E: Engine>(make: &impl Fn(&Config) -> Result<E>, features: &[Feature]) -> Option<E> {
    let base = default_engine(make);
    let mut config = Config::new();
    for &f in features {
        if !base.support(f).is_supported() {
            let e = err(
                make(config.enable(f)),
                "enabling an unsupported stop feature",
            );
            expect_unsupported(&e, f, base.name(), "enabling it");
            return None;
        }
        config.enable(f);
    }
    Some(engine_with(make, &config))
}

fn stops_store<E: Engine>(engine: &E) -> (Store<E, ()>, wasm_run_api::Instance<E>) {
    let module = compile(engine, STOPS_WAT);
    let mut store = Store::new(engine, ());
    let mut linker = Linker::<E, ()>::new(engine);
    ok(
        linker.func_wrap("host", "tick", |_: Caller<'_, E, ()>| Ok(())),
        "define host.tick",
    );
    ok(
        linker.func_wrap("host", "sleep", |_: Caller<'_, E, ()>, ms: i32| {
            std::thread::sleep(Duration::from_millis(ms as u64));
            Ok(())
        }),
        "define host.sleep",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiate");
    (store, instance)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn expect_code(e: Error, code: TrapCode, what: &str) {
    assert_eq!(
        e.trap_code(),
        Some(code),
        "{what}: expected {code}, got {e} ({e:?})"
    );
}

/// A deadline stops an infinite loop without calls, a deep recursion and a
/// loop that keeps calling the host, each with `Trap(Deadline)`, never before
/// the deadline and (median of several runs) within 2× of it. Afterwards the
/// expired deadline keeps stopping calls until a new one is set; with a new
/// deadline the same instance works; a call that finishes in time is
/// unaffected; a zero deadline stops the next call; a deadline too large for
/// `Instant` means none; `clear_deadline` removes it. Without
/// `Feature::Deadline`, `set_deadline` is `Unsupported`.
pub fn deadline_stops_runaway<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let plain = default_engine(&make);
    let (mut store, _) = stops_store(&plain);
    let e = err(
        store.set_deadline(DEADLINE),
        "set_deadline without the feature",
    );
    expect_unsupported(&e, Feature::Deadline, plain.name(), "set_deadline");
    let Some(engine) = engine_for(&make, &[Feature::Deadline]) else {
        return;
    };
    let (mut store, instance) = stops_store(&engine);
    let answer = ok(
        instance.get_typed_func::<(), i32>(&mut store, "answer"),
        "answer",
    );
    let spin = ok(
        instance.get_typed_func::<(), ()>(&mut store, "spin"),
        "spin",
    );
    let fib = ok(
        instance.get_typed_func::<i64, i64>(&mut store, "fib"),
        "fib",
    );
    let host = ok(
        instance.get_typed_func::<(), ()>(&mut store, "call_host"),
        "call_host",
    );

    // In time: unaffected.
    ok(
        store.set_deadline(Duration::from_secs(30)),
        "set_deadline(30s)",
    );
    assert_eq!(ok(answer.call(&mut store, ()), "answer() in time"), 42);
    assert_eq!(ok(fib.call(&mut store, 20), "fib(20) in time"), 6765);

    let runaways: [(&str, &Runaway<'_, E>); 3] = [
        ("a loop without calls", &|s| spin.call(s, ())),
        ("a deep recursion", &|s| fib.call(s, 60).map(|_| ())),
        ("a loop calling the host", &|s| host.call(s, ())),
    ];
    for (what, run) in runaways {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            // Before setting it: the deadline is then at least DEADLINE after
            // `start`, even if this thread is descheduled in between.
            let start = Instant::now();
            ok(store.set_deadline(DEADLINE), "set_deadline");
            let e = err(run(&mut store), what);
            let took = start.elapsed();
            expect_code(e, TrapCode::Deadline, what);
            assert!(
                took >= DEADLINE,
                "{what}: stopped after {took:?}, before the deadline"
            );
            times.push(took);
        }
        let m = median(times.clone());
        assert!(
            m < 2 * DEADLINE,
            "{what}: median stop after {m:?} for a {DEADLINE:?} deadline (runs: {times:?})"
        );
        // Expired: still stops, until a new deadline is set.
        expect_code(
            err(answer.call(&mut store, ()), "answer() past the deadline"),
            TrapCode::Deadline,
            "a call after the deadline passed",
        );
        ok(
            store.set_deadline(Duration::from_secs(30)),
            "a new deadline",
        );
        assert_eq!(
            ok(answer.call(&mut store, ()), "answer() with a new deadline"),
            42
        );
    }

    ok(store.set_deadline(Duration::ZERO), "set_deadline(0)");
    expect_code(
        err(answer.call(&mut store, ()), "answer() with a zero deadline"),
        TrapCode::Deadline,
        "a zero deadline",
    );
    ok(
        store.set_deadline(Duration::MAX),
        "set_deadline(Duration::MAX)",
    );
    assert_eq!(
        ok(answer.call(&mut store, ()), "answer() with a huge deadline"),
        42
    );
    ok(store.set_deadline(Duration::ZERO), "set_deadline(0)");
    ok(store.clear_deadline(), "clear_deadline");
    assert_eq!(
        ok(answer.call(&mut store, ()), "answer() after clear_deadline"),
        42
    );
}

/// A host function that blocks past the deadline is not preempted; the trap
/// comes as soon as control is back in wasm.
pub fn deadline_waits_for_host<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let Some(engine) = engine_for(&make, &[Feature::Deadline]) else {
        return;
    };
    let (mut store, instance) = stops_store(&engine);
    let f = ok(
        instance.get_typed_func::<i32, ()>(&mut store, "sleep_then_spin"),
        "sleep_then_spin",
    );
    ok(
        store.set_deadline(Duration::from_millis(20)),
        "set_deadline(20ms)",
    );
    let start = Instant::now();
    let e = err(f.call(&mut store, 120), "sleep_then_spin(120)");
    let took = start.elapsed();
    expect_code(
        e,
        TrapCode::Deadline,
        "a host function blocking past the deadline",
    );
    assert!(
        took >= Duration::from_millis(120),
        "returned after {took:?}, during the host call"
    );
    assert!(
        took < Duration::from_millis(120) + 4 * DEADLINE,
        "the trap came {took:?} after the call began, long after the host returned"
    );
}

/// With fuel and deadlines both on, fuel means the same as with fuel alone:
/// `set_fuel`/`get_fuel` round-trip, the same computation (after a first
/// call, which may pay for translating the function) consumes the same fuel
/// and gives the same result, and running out is `OutOfFuel` (not a
/// deadline).
pub fn deadline_with_fuel<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    if engine_for(&make, &[Feature::Deadline]).is_none()
        || engine_for(&make, &[Feature::Fuel]).is_none()
    {
        return;
    }
    let run = |features: &[Feature]| -> (i64, u64) {
        let engine = engine_for(&make, features).expect("supported");
        let (mut store, instance) = stops_store(&engine);
        ok(store.set_fuel(10_000_000), "set_fuel");
        assert_eq!(ok(store.get_fuel(), "get_fuel"), 10_000_000);
        let sum = ok(
            instance.get_typed_func::<i32, i64>(&mut store, "sum"),
            "sum",
        );
        // A first call (an engine may charge translating the function to it).
        ok(sum.call(&mut store, 1), "sum(1)");
        let before = ok(store.get_fuel(), "get_fuel before");
        let r = ok(sum.call(&mut store, 200_000), "sum(200000)");
        let used = before - ok(store.get_fuel(), "get_fuel after");
        ok(store.set_fuel(1_000), "set_fuel(1000)");
        let spin = ok(
            instance.get_typed_func::<(), ()>(&mut store, "spin"),
            "spin",
        );
        expect_code(
            err(spin.call(&mut store, ()), "spin with 1000 fuel"),
            TrapCode::OutOfFuel,
            "running out of fuel with deadlines on",
        );
        (r, used)
    };
    let (r1, used1) = run(&[Feature::Fuel]);
    let (r2, used2) = run(&[Feature::Fuel, Feature::Deadline, Feature::Interrupt]);
    assert_eq!(r1, 200_000 * 200_001 / 2);
    assert_eq!(r1, r2, "the result changed with deadlines on");
    assert_eq!(used1, used2, "fuel consumed differs with deadlines on");
}

/// An `InterruptHandle` (Send + Sync) used from another thread stops the
/// running call with `Trap(Interrupt)` promptly (within 50 ms, median of
/// several runs); the store stays usable. A request made while nothing runs
/// is pending: the next call or instantiation traps at once, later ones run,
/// and `discard_interrupts` drops it; a handle shared with `set_interrupt_handle`
/// stops the calls of every store using it; a handle of another engine is
/// refused; using a handle after its store is gone does nothing. Without
/// `Feature::Interrupt`, `interrupt_handle` is `Unsupported`.
pub fn interrupt_from_another_thread<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<InterruptHandle>();
    let plain = default_engine(&make);
    let (mut store, _) = stops_store(&plain);
    let e = err(
        store.interrupt_handle(),
        "interrupt_handle without the feature",
    );
    expect_unsupported(&e, Feature::Interrupt, plain.name(), "interrupt_handle");
    let e = err(
        store.discard_interrupts(),
        "discard_interrupts without the feature",
    );
    expect_unsupported(&e, Feature::Interrupt, plain.name(), "discard_interrupts");
    let Some(engine) = engine_for(&make, &[Feature::Interrupt]) else {
        return;
    };
    let (mut store, instance) = stops_store(&engine);
    let answer = ok(
        instance.get_typed_func::<(), i32>(&mut store, "answer"),
        "answer",
    );
    let spin = ok(
        instance.get_typed_func::<(), ()>(&mut store, "spin"),
        "spin",
    );
    let handle = ok(store.interrupt_handle(), "interrupt_handle");

    let mut latencies = Vec::new();
    for _ in 0..RUNS {
        let asked: Arc<Mutex<Option<Instant>>> = Arc::default();
        let (h, a) = (handle.clone(), asked.clone());
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            *a.lock().unwrap() = Some(Instant::now());
            h.interrupt();
        });
        let e = err(spin.call(&mut store, ()), "spin() while interrupted");
        let now = Instant::now();
        thread.join().unwrap();
        expect_code(e, TrapCode::Interrupt, "an interrupt from another thread");
        let at = asked.lock().unwrap().expect("the request was made");
        latencies.push(now.saturating_duration_since(at));
        assert_eq!(
            ok(answer.call(&mut store, ()), "answer() after an interrupt"),
            42
        );
    }
    let m = median(latencies.clone());
    assert!(
        m < Duration::from_millis(50),
        "median interrupt latency {m:?} (runs: {latencies:?})"
    );

    // A request while nothing runs is pending: the next call traps before
    // running any wasm (a watchdog that fires just before the guest starts
    // still stops it), and the request is consumed by it.
    handle.interrupt();
    expect_code(
        err(spin.call(&mut store, ()), "spin() after an idle request"),
        TrapCode::Interrupt,
        "a pending request",
    );
    assert_eq!(
        ok(
            answer.call(&mut store, ()),
            "answer() after the pending request"
        ),
        42,
        "a pending request stops one call only"
    );
    // Several requests while idle stop one call.
    handle.interrupt();
    handle.interrupt();
    expect_code(
        err(
            answer.call(&mut store, ()),
            "answer() after two idle requests",
        ),
        TrapCode::Interrupt,
        "two pending requests",
    );
    assert_eq!(ok(answer.call(&mut store, ()), "answer() after them"), 42);
    // An instantiation is an entry into wasm too.
    handle.interrupt();
    let module = compile(&engine, "(module (func $s) (start $s))");
    expect_code(
        err(
            wasm_run_api::Instance::new(&mut store, &module, &[]),
            "instantiate after an idle request",
        ),
        TrapCode::Interrupt,
        "a pending request at instantiation",
    );
    ok(
        wasm_run_api::Instance::new(&mut store, &module, &[]),
        "instantiate after it",
    );
    // A pending request can be dropped.
    handle.interrupt();
    ok(store.discard_interrupts(), "discard_interrupts");
    assert_eq!(
        ok(answer.call(&mut store, ()), "answer() after discarding"),
        42,
        "a discarded request stopped a call"
    );

    // One handle, two stores.
    let shared = ok(InterruptHandle::new(&engine), "InterruptHandle::new");
    let (mut other, other_instance) = stops_store(&engine);
    ok(store.set_interrupt_handle(&shared), "set_interrupt_handle");
    ok(
        other.set_interrupt_handle(&shared),
        "set_interrupt_handle (other)",
    );
    assert!(ok(store.interrupt_handle(), "handle").same(&shared));
    let other_spin = ok(
        other_instance.get_typed_func::<(), ()>(&mut other, "spin"),
        "spin (other)",
    );
    for (what, s, f) in [
        ("the first store", &mut store, spin),
        ("the second store", &mut other, other_spin),
    ] {
        let h = shared.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            h.interrupt();
        });
        expect_code(err(f.call(s, ()), what), TrapCode::Interrupt, what);
        thread.join().unwrap();
    }

    // A handle of another engine.
    let elsewhere = engine_for(&make, &[Feature::Interrupt]).expect("supported");
    let foreign = ok(
        InterruptHandle::new(&elsewhere),
        "InterruptHandle::new (other engine)",
    );
    assert!(
        matches!(store.set_interrupt_handle(&foreign), Err(Error::WrongStore)),
        "a handle of another engine was accepted"
    );

    // After the store and engine are gone.
    drop((store, other, engine, elsewhere));
    handle.interrupt();
    shared.interrupt();
}
