//! Traps: every trap code with the store usable afterwards, and stack
//! overflow from unbounded recursion.

use wasm_run_api::{Config, Engine, Result, TrapCode, Val};

use super::helpers::*;

pub(super) const TRAPS_WAT: &str = r#"
(module
  (type $v (func))
  (memory 1)
  (table $t 2 funcref)
  (func $takes_i32 (param i32))
  (elem (table $t) (i32.const 0) func $takes_i32)
  (func (export "unreachable") unreachable)
  (func (export "mem_oob_load") (result i32) i32.const 65536 i32.load)
  (func (export "mem_oob_store") i32.const -1 i32.const 0 i32.store)
  (func (export "mem_oob_partial") (result i64) i32.const 65532 i64.load)
  (func (export "table_get_oob") (result funcref) i32.const 2 table.get $t)
  (func (export "call_indirect_oob") i32.const 2 call_indirect $t (type $v))
  (func (export "call_null") i32.const 1 call_indirect $t (type $v))
  (func (export "bad_sig") i32.const 0 call_indirect $t (type $v))
  (func (export "div_zero") (param i32) (result i32) i32.const 1 local.get 0 i32.div_s)
  (func (export "rem_zero_i64") (param i64) (result i64) i64.const 1 local.get 0 i64.rem_u)
  (func (export "div_overflow") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "trunc") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
  (func (export "trunc_f64_u") (param f64) (result i64) local.get 0 i64.trunc_f64_u)
  (func (export "ok") (result i32) i32.const 1))
"#;

/// Every trap comes back as `Error::Trap` with the right `TrapCode`:
/// unreachable, out-of-bounds memory (load, store, partially out of bounds),
/// out-of-bounds table (`table.get`, `call_indirect`), null indirect call,
/// signature mismatch, division by zero, `INT_MIN / -1` overflow, NaN and
/// out-of-range float-to-int conversions; the store stays usable after each.
pub fn traps<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, TRAPS_WAT);
    let ok_fn = instance.typed_func::<(), i32>(&mut store, "ok");

    let cases: [(&str, Vec<Val<E>>, TrapCode); 17] = [
        ("unreachable", vec![], TrapCode::Unreachable),
        ("mem_oob_load", vec![], TrapCode::MemoryOutOfBounds),
        ("mem_oob_store", vec![], TrapCode::MemoryOutOfBounds),
        ("mem_oob_partial", vec![], TrapCode::MemoryOutOfBounds),
        ("table_get_oob", vec![], TrapCode::TableOutOfBounds),
        ("call_indirect_oob", vec![], TrapCode::TableOutOfBounds),
        ("call_null", vec![], TrapCode::IndirectCallToNull),
        ("bad_sig", vec![], TrapCode::BadSignature),
        (
            "div_zero",
            vec![Val::I32(0)],
            TrapCode::IntegerDivisionByZero,
        ),
        (
            "rem_zero_i64",
            vec![Val::I64(0)],
            TrapCode::IntegerDivisionByZero,
        ),
        (
            "div_overflow",
            vec![Val::I32(i32::MIN), Val::I32(-1)],
            TrapCode::IntegerOverflow,
        ),
        (
            "trunc",
            vec![Val::f32(f32::NAN)],
            TrapCode::BadConversionToInteger,
        ),
        (
            "trunc",
            vec![Val::F32(0xffc0_0001)],
            TrapCode::BadConversionToInteger,
        ),
        ("trunc", vec![Val::f32(3.0e9)], TrapCode::IntegerOverflow),
        (
            "trunc",
            vec![Val::f32(f32::NEG_INFINITY)],
            TrapCode::IntegerOverflow,
        ),
        (
            "trunc_f64_u",
            vec![Val::f64(-1.0)],
            TrapCode::IntegerOverflow,
        ),
        (
            "trunc_f64_u",
            vec![Val::f64(f64::NAN)],
            TrapCode::BadConversionToInteger,
        ),
    ];
    for (name, params, code) in cases {
        let f = export_func(&mut store, &instance, name);
        expect_trap(
            call_dyn(&mut store, &f, &params),
            code,
            &format!("{name}({params:?})"),
        );
        assert_eq!(
            ok(ok_fn.call(&mut store, ()), &format!("ok() after {name}")),
            1,
            "the store is unusable after a trap"
        );
    }

    // The same functions with good arguments do not trap.
    let div = instance.typed_func::<(i32, i32), i32>(&mut store, "div_overflow");
    assert_eq!(
        ok(div.call(&mut store, (i32::MIN, 1)), "INT_MIN / 1"),
        i32::MIN
    );
    assert_eq!(ok(div.call(&mut store, (-7, 2)), "-7 / 2"), -3);
    let trunc = instance.typed_func::<f32, i32>(&mut store, "trunc");
    assert_eq!(ok(trunc.call(&mut store, -2.9), "trunc(-2.9)"), -2);
    // Typed calls report traps the same way.
    expect_trap(
        div.call(&mut store, (1, 0)),
        TrapCode::IntegerDivisionByZero,
        "typed 1 / 0",
    );
    let unreachable = instance.typed_func::<(), ()>(&mut store, "unreachable");
    let e = err(unreachable.call(&mut store, ()), "typed unreachable");
    assert_eq!(e.trap_code(), Some(TrapCode::Unreachable));
    assert!(!e.to_string().is_empty());
}

pub(super) const RECURSION_WAT: &str = r#"
(module
  (func $forever (export "forever") call $forever)
  (func $depth (export "depth") (param i32) (result i32)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get 0 i32.const 1 i32.sub call $depth i32.const 1 i32.add
    end)
  (func (export "ok") (result i32) i32.const 1))
"#;

/// Infinite recursion traps with `TrapCode::StackOverflow` (the process
/// survives), repeatedly, and the store stays usable; modest recursion works.
pub fn trap_stack_overflow<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    on_big_stack(|| {
        let (mut store, instance) = instantiate_wat(&engine, RECURSION_WAT);
        let forever = instance.typed_func::<(), ()>(&mut store, "forever");
        let depth = instance.typed_func::<i32, i32>(&mut store, "depth");
        let ok_fn = instance.typed_func::<(), i32>(&mut store, "ok");
        for round in 1..=2 {
            expect_trap(
                forever.call(&mut store, ()),
                TrapCode::StackOverflow,
                &format!("infinite recursion, round {round}"),
            );
            assert_eq!(
                ok(ok_fn.call(&mut store, ()), "ok() after a stack overflow"),
                1
            );
            assert_eq!(
                ok(
                    depth.call(&mut store, 100),
                    "depth(100) after a stack overflow"
                ),
                100
            );
        }
        let forever_dyn = export_func(&mut store, &instance, "forever");
        expect_trap(
            call_dyn(&mut store, &forever_dyn, &[]),
            TrapCode::StackOverflow,
            "dynamic infinite recursion",
        );
    });
}
