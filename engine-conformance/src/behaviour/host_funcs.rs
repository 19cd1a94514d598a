//! Host functions: typed and untyped, host state, what a `Caller` sees, and
//! the memories, tables, globals and functions the host creates.

use wasm_run_api::{
    Caller, Config, Engine, Error, Extern, Func, FuncType, Global, GlobalType, Linker, Memory,
    MemoryType, Mutability, Result, Store, Table, TableType, TrapCode, Val, ValType,
};

use super::helpers::*;

pub(super) const HOST_TYPED_WAT: &str = r#"
(module
  (import "host" "unit" (func $unit))
  (import "host" "f0" (func $f0 (result i32)))
  (import "host" "f1" (func $f1 (param i64) (result i64)))
  (import "host" "f2" (func $f2 (param i32 f64) (result f32)))
  (import "host" "f2b" (func $f2b (param f32 i64) (result f64)))
  (import "host" "swap" (func $swap (param i32 i64) (result i64 i32)))
  (import "host" "f16" (func $f16
    (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64) (result f64)))
  (func (export "call_unit") call $unit)
  (func (export "call_f0") (result i32) call $f0)
  (func (export "call_f1") (param i64) (result i64) local.get 0 call $f1)
  (func (export "call_f2") (param i32 f64) (result f32) local.get 0 local.get 1 call $f2)
  (func (export "call_f2b") (param f32 i64) (result f64) local.get 0 local.get 1 call $f2b)
  (func (export "call_swap") (param i32 i64) (result i64 i32) local.get 0 local.get 1 call $swap)
  (func (export "call_f16") (result f64)
    i32.const 1 i64.const 2 f32.const 3 f64.const 4
    i32.const 5 i64.const 6 f32.const 7 f64.const 8
    i32.const 9 i64.const 10 f32.const 11 f64.const 12
    i32.const 13 i64.const 14 f32.const 15 f64.const 16
    call $f16))
"#;

/// Typed host functions of arity 0, 1, 2 (mixed i32/i64/f32/f64), with two
/// results, and with 16 parameters, called from wasm with the right values in
/// the right order; `Linker::get` hands out a callable definition.
pub fn host_func_typed<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_TYPED_WAT);
    let mut store = Store::new(&engine, 0_u32);
    let mut linker = Linker::<E, u32>::new(&engine);
    ok(
        linker.func_wrap("host", "unit", |mut c: Caller<'_, E, u32>| -> Result<()> {
            *c.data_mut() += 1;
            Ok(())
        }),
        "host.unit",
    );
    ok(
        linker.func_wrap("host", "f0", |_: Caller<'_, E, u32>| -> Result<i32> {
            Ok(42)
        }),
        "host.f0",
    );
    ok(
        linker.func_wrap(
            "host",
            "f1",
            |_: Caller<'_, E, u32>, x: i64| -> Result<i64> { Ok(x.wrapping_mul(3)) },
        ),
        "host.f1",
    );
    ok(
        linker.func_wrap(
            "host",
            "f2",
            |_: Caller<'_, E, u32>, a: i32, b: f64| -> Result<f32> {
                Ok((f64::from(a) + b) as f32)
            },
        ),
        "host.f2",
    );
    ok(
        linker.func_wrap(
            "host",
            "f2b",
            |_: Caller<'_, E, u32>, a: f32, b: i64| -> Result<f64> { Ok(f64::from(a) * b as f64) },
        ),
        "host.f2b",
    );
    ok(
        linker.func_wrap(
            "host",
            "swap",
            |_: Caller<'_, E, u32>, a: i32, b: i64| -> Result<(i64, i32)> { Ok((b, a)) },
        ),
        "host.swap",
    );
    // Sum of k * (k-th argument): any reordering of the arguments changes it.
    #[allow(clippy::too_many_arguments)]
    let f16 = |_: Caller<'_, E, u32>,
               a1: i32,
               a2: i64,
               a3: f32,
               a4: f64,
               a5: i32,
               a6: i64,
               a7: f32,
               a8: f64,
               a9: i32,
               a10: i64,
               a11: f32,
               a12: f64,
               a13: i32,
               a14: i64,
               a15: f32,
               a16: f64|
     -> Result<f64> {
        let args = [
            f64::from(a1),
            a2 as f64,
            f64::from(a3),
            a4,
            f64::from(a5),
            a6 as f64,
            f64::from(a7),
            a8,
            f64::from(a9),
            a10 as f64,
            f64::from(a11),
            a12,
            f64::from(a13),
            a14 as f64,
            f64::from(a15),
            a16,
        ];
        Ok(args
            .iter()
            .enumerate()
            .map(|(k, v)| (k + 1) as f64 * v)
            .sum())
    };
    ok(linker.func_wrap("host", "f16", f16), "host.f16");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let call_unit = instance.typed_func::<(), ()>(&mut store, "call_unit");
    for _ in 0..3 {
        ok(call_unit.call(&mut store, ()), "call_unit()");
    }
    assert_eq!(
        *store.data(),
        3,
        "the arity-0 host function ran three times"
    );

    let call_f0 = instance.typed_func::<(), i32>(&mut store, "call_f0");
    assert_eq!(ok(call_f0.call(&mut store, ()), "call_f0()"), 42);
    let call_f1 = instance.typed_func::<i64, i64>(&mut store, "call_f1");
    assert_eq!(ok(call_f1.call(&mut store, 1 << 40), "call_f1"), 3 << 40);
    assert_eq!(ok(call_f1.call(&mut store, -5), "call_f1"), -15);
    let call_f2 = instance.typed_func::<(i32, f64), f32>(&mut store, "call_f2");
    assert_eq!(ok(call_f2.call(&mut store, (3, 0.25)), "call_f2"), 3.25);
    let call_f2b = instance.typed_func::<(f32, i64), f64>(&mut store, "call_f2b");
    assert_eq!(ok(call_f2b.call(&mut store, (1.5, -4)), "call_f2b"), -6.0);
    let call_swap = instance.typed_func::<(i32, i64), (i64, i32)>(&mut store, "call_swap");
    assert_eq!(
        ok(call_swap.call(&mut store, (7, -9)), "call_swap"),
        (-9, 7)
    );
    let call_f16 = instance.typed_func::<(), f64>(&mut store, "call_f16");
    // sum of k * k for k = 1..=16
    assert_eq!(ok(call_f16.call(&mut store, ()), "call_f16"), 1496.0);

    // A linker definition can be fetched and called from the host directly.
    let f1 = linker
        .get(&mut store, "host", "f1")
        .and_then(Extern::into_func)
        .expect("host.f1 is defined");
    assert_eq!(f1.ty(&store), fty([ValType::I64], [ValType::I64]));
    let f1 = ok(f1.typed::<i64, i64>(&store), "typed host.f1");
    assert_eq!(ok(f1.call(&mut store, 11), "host.f1(11)"), 33);
    assert!(linker.get(&mut store, "host", "nope").is_none());
}

pub(super) const HOST_UNTYPED_WAT: &str = r#"
(module
  (import "host" "mix" (func $mix (param i32 i64 f32 f64) (result f64 i32)))
  (import "host" "bad" (func $bad (result i32)))
  (func (export "call_mix") (param i32 i64 f32 f64) (result f64 i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $mix)
  (func (export "call_bad") (result i32) call $bad))
"#;

/// Untyped host functions (`Linker::func_new`, `Func::new`): they receive
/// the parameters as `Val`s of the declared types, find the result slots
/// pre-filled with zeros, and writing a result of the wrong type is
/// `Error::Type`.
pub fn host_func_untyped<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_UNTYPED_WAT);
    // State: (calls, result slots were pre-filled with zeros, params had the declared types)
    let mut store = Store::new(&engine, (0_u32, false, false));
    let mut linker = Linker::<E, (u32, bool, bool)>::new(&engine);
    ok(
        linker.func_new(
            "host",
            "mix",
            fty([I32, I64, F32, F64], [F64, I32]),
            |mut c: Caller<'_, E, (u32, bool, bool)>,
             params: &[Val<E>],
             results: &mut [Val<E>]|
             -> Result<()> {
                let state = c.data_mut();
                state.0 += 1;
                state.1 =
                    results.len() == 2 && results[0] == Val::F64(0) && results[1] == Val::I32(0);
                state.2 = params.len() == 4 && params.iter().map(Val::ty).eq([I32, I64, F32, F64]);
                let (Some(a), Some(b), Some(x), Some(y)) = (
                    params[0].i32(),
                    params[1].i64(),
                    params[2].as_f32(),
                    params[3].as_f64(),
                ) else {
                    return Err(Error::host("mix: parameters of the wrong types"));
                };
                results[0] = Val::f64(f64::from(a) + b as f64 + f64::from(x) + y);
                results[1] = Val::I32(params.len() as i32);
                Ok(())
            },
        ),
        "host.mix",
    );
    ok(
        linker.func_new(
            "host",
            "bad",
            fty([], [I32]),
            |_: Caller<'_, E, (u32, bool, bool)>,
             _: &[Val<E>],
             results: &mut [Val<E>]|
             -> Result<()> {
                results[0] = Val::I64(1);
                Ok(())
            },
        ),
        "host.bad",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let call_mix = instance.typed_func::<(i32, i64, f32, f64), (f64, i32)>(&mut store, "call_mix");
    assert_eq!(
        ok(call_mix.call(&mut store, (2, 3, 0.5, 0.25)), "call_mix"),
        (5.75, 4)
    );
    assert_eq!(store.data().0, 1, "the untyped host function ran once");
    assert!(
        store.data().1,
        "result slots of an untyped host function were not pre-filled with zeros"
    );
    assert!(
        store.data().2,
        "parameters of an untyped host function did not have the declared types"
    );

    let call_bad = instance.typed_func::<(), i32>(&mut store, "call_bad");
    assert_err!(
        call_bad.call(&mut store, ()),
        Error::Type(_),
        "host function writing an i64 into an i32 result"
    );

    // Func::new: an untyped host function owned by the store, called from Rust.
    let inc = ok(
        Func::new(
            &mut store,
            fty([I32], [I32]),
            |_: Caller<'_, E, (u32, bool, bool)>,
             params: &[Val<E>],
             results: &mut [Val<E>]|
             -> Result<()> {
                let x = params[0]
                    .i32()
                    .ok_or_else(|| Error::host("inc: not an i32"))?;
                results[0] = Val::I32(x.wrapping_add(1));
                Ok(())
            },
        ),
        "Func::new",
    );
    assert_eq!(inc.ty(&store), fty([I32], [I32]));
    assert_eq!(
        ok(call_dyn(&mut store, &inc, &[Val::I32(5)]), "inc(5)"),
        [Val::I32(6)]
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &inc, &[Val::I32(i32::MAX)]),
            "inc(MAX)"
        ),
        [Val::I32(i32::MIN)]
    );
}

pub(super) const HOST_STATE_WAT: &str = r#"
(module
  (import "host" "record" (func $record (param i64)))
  (func (export "run") (param i64)
    local.get 0 call $record
    local.get 0 i64.const 1 i64.add call $record
    local.get 0 i64.const 2 i64.add call $record))
"#;

/// Host state: `Caller::data_mut` counts calls and sees the last argument;
/// the store sees the changes, the host can change the state between calls,
/// `into_data` returns it, and one linker serves two stores with separate
/// states.
pub fn host_state<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    #[derive(Debug, Default, PartialEq)]
    struct Counter {
        calls: u32,
        last: i64,
    }
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_STATE_WAT);
    let mut linker = Linker::<E, Counter>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "record",
            |mut c: Caller<'_, E, Counter>, x: i64| -> Result<()> {
                let state = c.data_mut();
                state.calls += 1;
                state.last = x;
                Ok(())
            },
        ),
        "host.record",
    );

    let mut store = Store::new(&engine, Counter::default());
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let run = instance.typed_func::<i64, ()>(&mut store, "run");
    ok(run.call(&mut store, 10), "run(10)");
    assert_eq!(store.data(), &Counter { calls: 3, last: 12 });
    store.data_mut().calls = 100;
    ok(run.call(&mut store, -1), "run(-1)");
    assert_eq!(
        store.data(),
        &Counter {
            calls: 103,
            last: 1
        }
    );

    // Same linker, another store: its own state.
    let mut other = Store::new(&engine, Counter { calls: 7, last: 0 });
    let other_instance = ok(
        linker.instantiate(&mut other, &module),
        "instantiating in a second store",
    );
    let other_run = other_instance.typed_func::<i64, ()>(&mut other, "run");
    ok(other_run.call(&mut other, 0), "run(0) in the second store");
    assert_eq!(other.into_data(), Counter { calls: 10, last: 2 });
    assert_eq!(
        store.into_data(),
        Counter {
            calls: 103,
            last: 1
        },
        "the first store's state changed"
    );
}

/// Store extensions: one host function, shared by a linker between two
/// stores, keeps a value in each store's `Extensions` through its caller;
/// each store sees its own value (and the host's own `T` is untouched),
/// and the value is the one the store's host set beforehand.
pub fn store_extensions<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    struct Seen(Vec<i64>);
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_STATE_WAT);
    let mut linker = Linker::<E, u8>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "record",
            |mut c: Caller<'_, E, u8>, x: i64| -> Result<()> {
                let ext = c
                    .extensions_mut()
                    .ok_or_else(|| Error::Host("no extensions in this store".into()))?;
                ext.get_or_insert_with(|| Seen(Vec::new())).0.push(x);
                Ok(())
            },
        ),
        "host.record",
    );
    let mut stores: Vec<Store<E, u8>> = (0..2).map(|_| Store::new(&engine, 9)).collect();
    // The second store's host put a value there first.
    let ext = stores[1].extensions_mut().expect("the store's extensions");
    assert!(ext.insert(Seen(vec![-5])).is_none());
    for (i, store) in stores.iter_mut().enumerate() {
        let instance = ok(linker.instantiate(&mut *store, &module), "instantiating");
        let run = instance.typed_func::<i64, ()>(&mut *store, "run");
        ok(run.call(&mut *store, 10 * i as i64), "run");
    }
    let seen = |s: &mut Store<E, u8>| {
        s.extensions_mut()
            .and_then(|x| x.get::<Seen>())
            .map(|v| v.0.clone())
    };
    assert_eq!(seen(&mut stores[0]), Some(vec![0, 1, 2]));
    assert_eq!(seen(&mut stores[1]), Some(vec![-5, 10, 11, 12]));
    assert_eq!(*stores[0].data(), 9, "the host state is not the extensions");
}

/// `Linker::get_each` gives every definition of a linker, made for a
/// store: host functions (callable there) and a store's own item, each
/// once with its module and name; an empty linker gives nothing.
pub fn linker_get_each<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let mut store = Store::new(&engine, 0i32);
    let mut linker = Linker::<E, i32>::new(&engine);
    for (i, name) in ["one", "two"].into_iter().enumerate() {
        let ty = FuncType::new([ValType::I32], [ValType::I32]);
        ok(
            linker.func_new(
                "host",
                name,
                ty,
                move |_: Caller<'_, E, i32>, args: &[Val<E>], out: &mut [Val<E>]| {
                    out[0] = Val::I32(args[0].i32().unwrap_or(0) + i as i32 + 1);
                    Ok(())
                },
            ),
            "func_new",
        );
    }
    let global = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(7),
        ),
        "Global::new",
    );
    ok(linker.define(&store, "env", "seven", global), "define");
    let mut seen = Vec::new();
    linker.get_each(&mut store, |module, name, item| {
        seen.push((format!("{module}::{name}"), item))
    });
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["env::seven", "host::one", "host::two"]);
    for (at, (_, item)) in seen.into_iter().enumerate() {
        match (at, item) {
            (0, Extern::Global(g)) => assert_eq!(g.get(&mut store).i32(), Some(7)),
            (at, Extern::Func(f)) => {
                let mut out = [Val::I32(0)];
                ok(f.call(&mut store, &[Val::I32(10)], &mut out), "call");
                assert_eq!(out[0].i32(), Some(10 + at as i32));
            }
            (at, _) => panic!("item {at} of the wrong kind"),
        }
    }
    let empty = Linker::<E, i32>::new(&engine);
    let mut count = 0;
    empty.get_each(&mut store, |_, _, _| count += 1);
    assert_eq!(count, 0);
}

pub(super) const CALLER_WAT: &str = r#"
(module
  (import "host" "log" (func $log (param i32 i32)))
  (import "host" "fill" (func $fill (param i32 i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "probe" (func $probe (result i32)))
  (memory (export "memory") 1)
  (global (export "counter") (mut i32) (i32.const 5))
  (data (i32.const 16) "hello, host")
  (func (export "log_greeting") i32.const 16 i32.const 11 call $log)
  (func (export "log_word") (param i32)
    i32.const 64 local.get 0 i32.store
    i32.const 64 i32.const 4 call $log)
  (func (export "fill_and_sum") (result i32)
    i32.const 128 i32.const 4 call $fill
    i32.const 128 i32.load8_u
    i32.const 129 i32.load8_u i32.add
    i32.const 130 i32.load8_u i32.add
    i32.const 131 i32.load8_u i32.add)
  (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
  (func (export "call_reenter") (param i32) (result i32) local.get 0 call $reenter)
  (func (export "call_probe") (result i32) call $probe))
"#;

/// Inside a host function: `Caller::get_memory("memory")` reads what the
/// guest wrote and writes what the guest then reads; `get_export` finds
/// globals and functions of the calling instance (and nothing else); a host
/// function can call back into the instance.
pub fn caller_memory_and_exports<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, CALLER_WAT);
    let mut store = Store::new(&engine, Vec::<Vec<u8>>::new());
    let mut linker = Linker::<E, Vec<Vec<u8>>>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "log",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>, ptr: i32, len: i32| -> Result<()> {
                let memory = c
                    .get_memory("memory")
                    .ok_or_else(|| Error::host("no memory export"))?;
                let mut buf = vec![0; len as usize];
                memory.read(&c, ptr as usize, &mut buf)?;
                c.data_mut().push(buf);
                Ok(())
            },
        ),
        "host.log",
    );
    ok(
        linker.func_wrap(
            "host",
            "fill",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>, ptr: i32, len: i32| -> Result<()> {
                let memory = c
                    .get_memory("memory")
                    .ok_or_else(|| Error::host("no memory export"))?;
                let data = memory.data_mut(&mut c);
                let dst = data
                    .get_mut(ptr as usize..ptr as usize + len as usize)
                    .ok_or_else(|| Error::host("fill out of bounds"))?;
                for (i, byte) in dst.iter_mut().enumerate() {
                    *byte = i as u8 + 1;
                }
                Ok(())
            },
        ),
        "host.fill",
    );
    ok(
        linker.func_wrap(
            "host",
            "reenter",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>, x: i32| -> Result<i32> {
                let double = c
                    .get_export("double")
                    .and_then(Extern::into_func)
                    .ok_or_else(|| Error::host("no double"))?;
                let mut out = [Val::I32(0)];
                double.call(&mut c, &[Val::I32(x)], &mut out)?;
                let dynamic = out[0]
                    .i32()
                    .ok_or_else(|| Error::host("double returned a non-i32"))?;
                let typed = double.typed::<i32, i32>(&c)?.call(&mut c, x)?;
                if dynamic != typed {
                    return Err(Error::host("dynamic and typed re-entrant calls disagree"));
                }
                Ok(typed + 1)
            },
        ),
        "host.reenter",
    );
    ok(
        linker.func_wrap(
            "host",
            "probe",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>| -> Result<i32> {
                // Each failed expectation sets one bit.
                let mut failures = 0;
                if c.get_memory("counter").is_some() {
                    failures |= 1; // a global is not a memory
                }
                if c.get_export("nope").is_some() {
                    failures |= 2;
                }
                match c.get_export("counter") {
                    Some(Extern::Global(g)) => {
                        if g.get(&mut c) != Val::I32(5) {
                            failures |= 4;
                        }
                    }
                    _ => failures |= 8,
                }
                if !matches!(c.get_export("double"), Some(Extern::Func(_))) {
                    failures |= 16;
                }
                if c.get_memory("memory").is_none() {
                    failures |= 32;
                }
                Ok(failures)
            },
        ),
        "host.probe",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let log_greeting = instance.typed_func::<(), ()>(&mut store, "log_greeting");
    ok(log_greeting.call(&mut store, ()), "log_greeting()");
    let log_word = instance.typed_func::<i32, ()>(&mut store, "log_word");
    ok(log_word.call(&mut store, 0x6463_6261), "log_word()"); // "abcd" little-endian
    assert_eq!(store.data(), &[b"hello, host".to_vec(), b"abcd".to_vec()]);

    let fill_and_sum = instance.typed_func::<(), i32>(&mut store, "fill_and_sum");
    assert_eq!(
        ok(fill_and_sum.call(&mut store, ()), "fill_and_sum()"),
        1 + 2 + 3 + 4
    );
    let memory = instance
        .get_memory(&mut store, "memory")
        .expect("memory export");
    assert_eq!(&memory.data(&store)[128..132], &[1, 2, 3, 4]);

    let call_reenter = instance.typed_func::<i32, i32>(&mut store, "call_reenter");
    assert_eq!(
        ok(call_reenter.call(&mut store, 20), "call_reenter(20)"),
        41
    );

    let call_probe = instance.typed_func::<(), i32>(&mut store, "call_probe");
    assert_eq!(
        ok(call_probe.call(&mut store, ()), "call_probe()"),
        0,
        "Caller::get_export/get_memory misbehaved (bits: 1 global as memory, 2 missing export found, \
         4 wrong global value, 8 global not found, 16 function not found, 32 memory not found)"
    );
}

pub(super) const HOST_ITEMS_WAT: &str = r#"
(module
  (import "env" "memory" (memory 1 2))
  (import "env" "table" (table 2 funcref))
  (import "env" "counter" (global $counter (mut i32)))
  (import "env" "base" (global $base i64))
  (type $ret_i32 (func (result i32)))
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "bump") (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
  (func (export "base_plus") (param i64) (result i64) global.get $base local.get 0 i64.add)
  (func (export "call_slot") (param i32) (result i32) local.get 0 call_indirect (type $ret_i32))
  (func (export "table_size") (result i32) table.size 0)
  (func (export "memory_size") (result i32) memory.size))
"#;

/// Memories, tables, globals and functions created by the host
/// (`Memory::new`, `Table::new`, `Global::new`, `Func::wrap`) and given to a
/// module through `Linker::define` are shared: changes on either side are
/// seen by the other.
pub fn host_defined_items<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_ITEMS_WAT);
    let mut store = Store::new(&engine, ());
    let memory = ok(
        Memory::new(&mut store, MemoryType::new(1, Some(2))),
        "Memory::new",
    );
    let table = ok(
        Table::new(
            &mut store,
            TableType::new(FUNCREF, 2, None),
            Val::FuncRef(None),
        ),
        "Table::new",
    );
    let counter = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Var),
            Val::I32(10),
        ),
        "Global::new",
    );
    let base = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I64, Mutability::Const),
            Val::I64(1 << 40),
        ),
        "Global::new",
    );
    let ninety_nine = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<i32> { Ok(99) }),
        "Func::wrap",
    );
    ok(
        table.set(&mut store, 1, Val::FuncRef(Some(ninety_nine))),
        "table.set",
    );

    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.define(&store, "env", "memory", memory),
        "define memory",
    );
    ok(linker.define(&store, "env", "table", table), "define table");
    ok(
        linker.define(&store, "env", "counter", counter),
        "define counter",
    );
    ok(linker.define(&store, "env", "base", base), "define base");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let store_fn = instance.typed_func::<(i32, i32), ()>(&mut store, "store");
    let load = instance.typed_func::<i32, i32>(&mut store, "load");
    ok(store_fn.call(&mut store, (8, 0x0102_0304)), "store");
    let mut buf = [0; 4];
    ok(memory.read(&store, 8, &mut buf), "memory.read");
    assert_eq!(
        buf,
        [4, 3, 2, 1],
        "the guest's store is visible in the host memory"
    );
    ok(memory.write(&mut store, 12, &[9, 0, 0, 0]), "memory.write");
    assert_eq!(
        ok(load.call(&mut store, 12), "load(12)"),
        9,
        "the host's write is visible to the guest"
    );

    let bump = instance.typed_func::<(), i32>(&mut store, "bump");
    assert_eq!(ok(bump.call(&mut store, ()), "bump"), 11);
    assert_eq!(
        counter.get(&mut store),
        Val::I32(11),
        "the guest's global.set is visible to the host"
    );
    ok(counter.set(&mut store, Val::I32(100)), "counter.set");
    assert_eq!(
        ok(bump.call(&mut store, ()), "bump"),
        101,
        "the host's set is visible to the guest"
    );

    let base_plus = instance.typed_func::<i64, i64>(&mut store, "base_plus");
    assert_eq!(
        ok(base_plus.call(&mut store, 5), "base_plus"),
        (1 << 40) + 5
    );

    let call_slot = instance.typed_func::<i32, i32>(&mut store, "call_slot");
    assert_eq!(
        ok(call_slot.call(&mut store, 1), "call_slot(1)"),
        99,
        "host function placed in a host table"
    );
    expect_trap(
        call_slot.call(&mut store, 0),
        TrapCode::IndirectCallToNull,
        "call_slot(0) on a null element",
    );

    let table_size = instance.typed_func::<(), i32>(&mut store, "table_size");
    assert_eq!(ok(table_size.call(&mut store, ()), "table_size"), 2);
    assert_eq!(
        ok(table.grow(&mut store, 1, Val::FuncRef(None)), "table.grow"),
        2
    );
    assert_eq!(
        ok(table_size.call(&mut store, ()), "table_size"),
        3,
        "the guest sees the host's table.grow"
    );

    let memory_size = instance.typed_func::<(), i32>(&mut store, "memory_size");
    assert_eq!(ok(memory_size.call(&mut store, ()), "memory_size"), 1);
    assert_eq!(ok(memory.grow(&mut store, 1), "memory.grow"), 1);
    assert_eq!(
        ok(memory_size.call(&mut store, ()), "memory_size"),
        2,
        "the guest sees the host's memory.grow"
    );
}
