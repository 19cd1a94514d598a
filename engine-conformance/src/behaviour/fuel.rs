//! Fuel: metering with fuel on, and `Unsupported` from every fuel call with
//! fuel off.

use wasm_run_api::{Caller, Config, Engine, Error, Feature, Linker, Result, Store, TrapCode};

use super::helpers::*;

pub(super) const FUEL_WAT: &str = r#"
(module
  (import "host" "fuel_left" (func $fuel_left (result i64)))
  (func (export "spin") (loop $l br $l))
  (func (export "work") (result i32) i32.const 1 i32.const 2 i32.add)
  (func (export "count") (param i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        local.get 0 i32.eqz br_if $done
        local.get $acc i32.const 3 i32.add local.set $acc
        local.get 0 i32.const 1 i32.sub local.set 0
        br $l))
    local.get $acc)
  (func (export "host_fuel") (result i64) call $fuel_left))
"#;

/// With fuel on: `set_fuel`/`get_fuel` round-trip, work consumes fuel (more
/// work, more fuel), an infinite loop traps with `OutOfFuel`, `add_fuel`
/// adds exactly, the store runs again after refuelling, and a host function
/// sees the fuel left through `Caller::get_fuel`. A backend without fuel must
/// refuse `Config::fuel(true)` with `Unsupported { feature: Fuel }`.
pub fn fuel<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let base = default_engine(&make);
    let mut config = Config::new();
    config.fuel(true);
    if !base.support(Feature::Fuel).is_supported() {
        let e = err(
            make(&config),
            "Config::fuel(true) on a backend without fuel",
        );
        expect_unsupported(&e, Feature::Fuel, base.name(), "Config::fuel(true)");
        return;
    }
    let engine = engine_with(&make, &config);
    assert!(
        engine.features().contains(Feature::Fuel),
        "fuel(true) but features() lacks Fuel"
    );
    assert!(engine.config().fuel_enabled());
    let module = compile(&engine, FUEL_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap("host", "fuel_left", |c: Caller<'_, E, ()>| -> Result<i64> {
            Ok(c.get_fuel()? as i64)
        }),
        "host.fuel_left",
    );
    ok(store.set_fuel(1_000_000), "set_fuel before instantiation");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let spin = instance.typed_func::<(), ()>(&mut store, "spin");
    let work = instance.typed_func::<(), i32>(&mut store, "work");
    let count = instance.typed_func::<i32, i32>(&mut store, "count");
    let host_fuel = instance.typed_func::<(), i64>(&mut store, "host_fuel");

    ok(store.set_fuel(1000), "set_fuel(1000)");
    assert_eq!(ok(store.get_fuel(), "get_fuel"), 1000);
    assert_eq!(ok(work.call(&mut store, ()), "work()"), 3);
    let after_work = ok(store.get_fuel(), "get_fuel after work");
    assert!(
        after_work < 1000,
        "a call consumed no fuel ({after_work} left of 1000)"
    );
    assert!(
        after_work > 0,
        "a three-instruction call consumed all 1000 units of fuel"
    );

    // More work, more fuel.
    ok(store.set_fuel(1_000_000), "set_fuel");
    assert_eq!(ok(count.call(&mut store, 10), "count(10)"), 30);
    let used_10 = 1_000_000 - ok(store.get_fuel(), "get_fuel");
    ok(store.set_fuel(1_000_000), "set_fuel");
    assert_eq!(ok(count.call(&mut store, 1000), "count(1000)"), 3000);
    let used_1000 = 1_000_000 - ok(store.get_fuel(), "get_fuel");
    assert!(
        used_1000 > used_10 * 10,
        "fuel used by 1000 iterations ({used_1000}) vs 10 ({used_10})"
    );

    // Running out.
    ok(store.set_fuel(1000), "set_fuel(1000)");
    expect_trap(
        spin.call(&mut store, ()),
        TrapCode::OutOfFuel,
        "infinite loop with 1000 fuel",
    );
    let left = ok(store.get_fuel(), "get_fuel after running out");
    assert!(left < 1000, "fuel after running out: {left}");
    ok(store.set_fuel(0), "set_fuel(0)");
    assert_eq!(ok(store.get_fuel(), "get_fuel"), 0);
    expect_trap(
        work.call(&mut store, ()),
        TrapCode::OutOfFuel,
        "a call with no fuel",
    );

    // Refuelling.
    ok(store.add_fuel(500), "add_fuel(500)");
    assert_eq!(ok(store.get_fuel(), "get_fuel after add_fuel"), 500);
    ok(store.add_fuel(250), "add_fuel(250)");
    assert_eq!(ok(store.get_fuel(), "get_fuel after add_fuel"), 750);
    assert_eq!(ok(work.call(&mut store, ()), "work() after refuelling"), 3);

    // Host functions see the fuel.
    ok(store.set_fuel(10_000), "set_fuel");
    let seen = ok(host_fuel.call(&mut store, ()), "host_fuel()");
    assert!(
        seen > 0 && seen <= 10_000,
        "Caller::get_fuel saw {seen} with 10000 set"
    );

    // A start function runs on the store's fuel too: a runaway one stops.
    let runaway = compile(&engine, "(module (func $s (loop $l (br $l))) (start $s))");
    ok(store.set_fuel(10_000), "set_fuel");
    expect_trap(
        Linker::<E, ()>::new(&engine).instantiate(&mut store, &runaway),
        TrapCode::OutOfFuel,
        "a start function that never returns",
    );
}

/// With fuel off (the default), `set_fuel`/`get_fuel`/`add_fuel` on a store
/// and `Caller::get_fuel` are `Unsupported { feature: Fuel }`, and calls run
/// unmetered.
pub fn fuel_disabled<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let name = engine.name();
    assert!(!engine.features().contains(Feature::Fuel));
    assert!(!engine.config().fuel_enabled());
    let module = compile(
        &engine,
        r#"(module
             (import "host" "probe" (func $probe (result i32)))
             (func (export "run") (result i32) call $probe))"#,
    );
    let mut store = Store::new(&engine, false);
    let e = err(store.set_fuel(10), "set_fuel without fuel");
    expect_unsupported(&e, Feature::Fuel, name, "set_fuel without fuel");
    let e = err(store.get_fuel(), "get_fuel without fuel");
    expect_unsupported(&e, Feature::Fuel, name, "get_fuel without fuel");
    let e = err(store.add_fuel(10), "add_fuel without fuel");
    expect_unsupported(&e, Feature::Fuel, name, "add_fuel without fuel");

    let mut linker = Linker::<E, bool>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "probe",
            |mut c: Caller<'_, E, bool>| -> Result<i32> {
                let unsupported = matches!(
                    c.get_fuel(),
                    Err(Error::Unsupported {
                        feature: Feature::Fuel,
                        ..
                    })
                ) && matches!(
                    c.set_fuel(5),
                    Err(Error::Unsupported {
                        feature: Feature::Fuel,
                        ..
                    })
                );
                *c.data_mut() = unsupported;
                Ok(1)
            },
        ),
        "host.probe",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let run = instance.typed_func::<(), i32>(&mut store, "run");
    assert_eq!(ok(run.call(&mut store, ()), "run"), 1);
    assert!(
        *store.data(),
        "Caller::get_fuel/set_fuel without fuel are not Unsupported {{ feature: Fuel }}"
    );
}

/// Resumable fuel: `Func::call_resumable` pauses a call that runs out of
/// fuel; adding fuel and resuming, slice after slice, gives the same result
/// as one uninterrupted call (with deadlines and interrupts on too). A
/// paused call resumed in another store is `WrongStore`; a dropped one
/// leaves its store usable. Backends without it answer `Unsupported`, and so
/// does every backend with fuel off.
pub fn resumable_fuel<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use wasm_run_api::{CallProgress, Val};
    let base = default_engine(&make);
    if !base.support(Feature::Fuel).is_supported() {
        return;
    }
    // Fuel off: refused.
    let (mut store, instance) = instantiate_fuel(&base);
    let count = export_func(&mut store, &instance, "count");
    let e = err(
        count.call_resumable(&mut store, &[Val::I32(10)], &mut [Val::I32(0)]),
        "call_resumable with fuel off",
    );
    assert!(
        matches!(
            e,
            Error::Unsupported {
                feature: Feature::ResumableFuel,
                ..
            }
        ),
        "call_resumable with fuel off: {e}"
    );
    for extra in [&[][..], &[Feature::Deadline, Feature::Interrupt][..]] {
        let mut config = Config::new();
        config.fuel(true);
        if extra.iter().any(|f| !base.support(*f).is_supported()) {
            continue;
        }
        for f in extra {
            config.enable(*f);
        }
        let engine = engine_with(&make, &config);
        let (mut store, instance) = instantiate_fuel(&engine);
        let count = export_func(&mut store, &instance, "count");
        ok(store.set_fuel(1_000), "set_fuel");
        let mut out = [Val::I32(0)];
        let first = count.call_resumable(&mut store, &[Val::I32(100_000)], &mut out);
        if !base.support(Feature::ResumableFuel).is_supported() {
            let e = err(first, "call_resumable");
            expect_unsupported(&e, Feature::ResumableFuel, base.name(), "call_resumable");
            return;
        }
        assert!(engine.features().contains(Feature::ResumableFuel));
        let mut progress = ok(first, "call_resumable");
        let mut slices = 0;
        while let CallProgress::OutOfFuel(paused) = progress {
            slices += 1;
            assert!(slices < 100_000, "the call never finishes");
            assert!(paused.required_fuel() > 0);
            ok(store.add_fuel(1_000), "add_fuel");
            progress = ok(paused.resume(&mut store, &mut out), "resume");
        }
        assert!(
            slices > 10,
            "{extra:?}: only {slices} pauses for a long computation"
        );
        // The same as one uninterrupted call.
        ok(store.set_fuel(u64::MAX / 4), "set_fuel");
        let mut whole = [Val::I32(0)];
        ok(
            count.call(&mut store, &[Val::I32(100_000)], &mut whole),
            "count",
        );
        assert_eq!(
            out, whole,
            "{extra:?}: a call in slices gave another result"
        );
        assert_eq!(whole, [Val::I32(300_000)]);

        // A paused call belongs to its store.
        ok(store.set_fuel(100), "set_fuel(100)");
        let progress = ok(
            count.call_resumable(&mut store, &[Val::I32(100_000)], &mut out),
            "call_resumable",
        );
        let CallProgress::OutOfFuel(paused) = progress else {
            panic!("{extra:?}: 100 units of fuel finished a long computation");
        };
        let (mut other, _) = instantiate_fuel(&engine);
        assert!(
            matches!(paused.resume(&mut other, &mut out), Err(Error::WrongStore)),
            "a paused call resumed in another store"
        );
        // Dropped (above): the store runs again.
        ok(store.set_fuel(1_000_000), "set_fuel");
        ok(
            count.call(&mut store, &[Val::I32(10)], &mut whole),
            "count(10)",
        );
        assert_eq!(whole, [Val::I32(30)]);
    }
}

fn instantiate_fuel<E: Engine>(engine: &E) -> (Store<E, ()>, wasm_run_api::Instance<E>) {
    let module = compile(engine, FUEL_WAT);
    let mut store = Store::new(engine, ());
    let mut linker = Linker::<E, ()>::new(engine);
    ok(
        linker.func_wrap("host", "fuel_left", |c: Caller<'_, E, ()>| {
            Ok(c.get_fuel().unwrap_or(0) as i64)
        }),
        "define host.fuel_left",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiate");
    (store, instance)
}
