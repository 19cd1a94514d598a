//! Values across the API: the i64 range, float NaN payloads, `v128`,
//! `funcref` and `externref`, and the optional proposals' GC references and
//! exception tags.

use wasm_run_api::{
    AnyRef, AnyRefKind, Caller, Config, Engine, Extern, ExternRef, Feature, Func, Linker, Result,
    Store, Support, V128, Val, ValType,
};

use super::helpers::*;

pub(super) const I64_WAT: &str = r#"
(module
  (import "host" "id64" (func $hid (param i64) (result i64)))
  (func (export "id") (param i64) (result i64) local.get 0)
  (func (export "via_host") (param i64) (result i64) local.get 0 call $hid)
  (func (export "id32") (param i32) (result i32) local.get 0)
  (func (export "min") (result i64) i64.const -9223372036854775808)
  (func (export "max") (result i64) i64.const 9223372036854775807)
  (func (export "hi_bit") (param i64) (result i32) local.get 0 i64.const 63 i64.shr_u i32.wrap_i64)
  (func (export "lo32") (param i64) (result i32) local.get 0 i32.wrap_i64))
"#;

/// Every i64 (the extremes, around 2^53, -1) survives typed and dynamic calls
/// and a trip through a host function without losing bits; `u64::MAX` as
/// `u64`; i32 extremes too.
pub fn values_i64_range<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, I64_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "id64",
            |_: Caller<'_, E, ()>, x: i64| -> Result<i64> { Ok(x) },
        ),
        "host.id64",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let id = instance.typed_func::<i64, i64>(&mut store, "id");
    let via_host = instance.typed_func::<i64, i64>(&mut store, "via_host");
    let id_dyn = export_func(&mut store, &instance, "id");
    let values = [
        i64::MIN,
        i64::MIN + 1,
        -(1 << 53) - 1,
        -1,
        0,
        1,
        1 << 32,
        (1 << 53) + 1,
        i64::MAX - 1,
        i64::MAX,
    ];
    for v in values {
        assert_eq!(
            ok(id.call(&mut store, v), "typed id"),
            v,
            "typed i64 identity of {v}"
        );
        assert_eq!(
            ok(via_host.call(&mut store, v), "via_host"),
            v,
            "i64 {v} through a host function"
        );
        assert_eq!(
            ok(call_dyn(&mut store, &id_dyn, &[Val::I64(v)]), "dynamic id"),
            [Val::I64(v)]
        );
    }
    let min = instance.typed_func::<(), i64>(&mut store, "min");
    let max = instance.typed_func::<(), i64>(&mut store, "max");
    assert_eq!(ok(min.call(&mut store, ()), "min"), i64::MIN);
    assert_eq!(ok(max.call(&mut store, ()), "max"), i64::MAX);
    let hi_bit = instance.typed_func::<i64, i32>(&mut store, "hi_bit");
    assert_eq!(ok(hi_bit.call(&mut store, i64::MIN), "hi_bit(MIN)"), 1);
    assert_eq!(ok(hi_bit.call(&mut store, i64::MAX), "hi_bit(MAX)"), 0);
    let lo32 = instance.typed_func::<i64, i32>(&mut store, "lo32");
    assert_eq!(
        ok(lo32.call(&mut store, 0x1234_5678_9abc_def0), "lo32"),
        0x9abc_def0_u32 as i32
    );

    let id_u64 = ok(
        instance.get_typed_func::<u64, u64>(&mut store, "id"),
        "id as u64",
    );
    assert_eq!(
        ok(id_u64.call(&mut store, u64::MAX), "id(u64::MAX)"),
        u64::MAX
    );
    assert_eq!(ok(id_u64.call(&mut store, 1 << 63), "id(2^63)"), 1 << 63);
    let id32 = instance.typed_func::<i32, i32>(&mut store, "id32");
    for v in [i32::MIN, -1, 0, i32::MAX] {
        assert_eq!(ok(id32.call(&mut store, v), "id32"), v);
    }
}

pub(super) const NAN_WAT: &str = r#"
(module
  (import "host" "id32" (func $h32 (param f32) (result f32)))
  (import "host" "id64" (func $h64 (param f64) (result f64)))
  (func (export "f32_id") (param f32) (result f32) local.get 0)
  (func (export "f64_id") (param f64) (result f64) local.get 0)
  (func (export "f32_host") (param f32) (result f32) local.get 0 call $h32)
  (func (export "f64_host") (param f64) (result f64) local.get 0 call $h64)
  (func (export "f32_bits") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
  (func (export "f64_bits") (param f64) (result i64) local.get 0 i64.reinterpret_f64)
  (func (export "f32_const_nan") (result f32) f32.const nan:0x200001)
  (func (export "f64_const_nan") (result f64) f64.const nan:0x4000000000001))
"#;

/// Float bit patterns, NaN payloads included (signalling NaN `0x7fa00001`,
/// `0x7ff4000000000001`, negative NaNs, -0.0, subnormals, infinity), survive
/// bit-exactly through dynamic (`Val::F32(bits)`) and typed calls, through
/// host functions, and out of constants.
pub fn values_nan_payloads<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, NAN_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "id32",
            |_: Caller<'_, E, ()>, x: f32| -> Result<f32> { Ok(x) },
        ),
        "host.id32",
    );
    ok(
        linker.func_wrap(
            "host",
            "id64",
            |_: Caller<'_, E, ()>, x: f64| -> Result<f64> { Ok(x) },
        ),
        "host.id64",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let f32_bits: [u32; 7] = [
        0x7fa0_0001,
        0x7fc0_0001,
        0xffc0_0000,
        0xff80_0001,
        0x8000_0000,
        0x0000_0001,
        0x7f80_0000,
    ];
    let f64_bits: [u64; 7] = [
        0x7ff4_0000_0000_0001,
        0x7ff8_0000_0000_0001,
        0xfff8_0000_0000_0000,
        0xfff0_0000_0000_0001,
        0x8000_0000_0000_0000,
        0x0000_0000_0000_0001,
        0x7ff0_0000_0000_0000,
    ];

    let id32_dyn = export_func(&mut store, &instance, "f32_id");
    let id32 = instance.typed_func::<f32, f32>(&mut store, "f32_id");
    let host32 = instance.typed_func::<f32, f32>(&mut store, "f32_host");
    let host32_dyn = export_func(&mut store, &instance, "f32_host");
    let bits32 = instance.typed_func::<f32, i32>(&mut store, "f32_bits");
    for bits in f32_bits {
        let what = format!("f32 bits {bits:#010x}");
        let out = ok(call_dyn(&mut store, &id32_dyn, &[Val::F32(bits)]), &what);
        assert_eq!(out, [Val::F32(bits)], "{what}: dynamic identity");
        let out = ok(id32.call(&mut store, f32::from_bits(bits)), &what);
        assert_eq!(out.to_bits(), bits, "{what}: typed identity");
        let out = ok(host32.call(&mut store, f32::from_bits(bits)), &what);
        assert_eq!(
            out.to_bits(),
            bits,
            "{what}: typed, through a host function"
        );
        let out = ok(call_dyn(&mut store, &host32_dyn, &[Val::F32(bits)]), &what);
        assert_eq!(
            out,
            [Val::F32(bits)],
            "{what}: dynamic, through a host function"
        );
        let seen = ok(bits32.call(&mut store, f32::from_bits(bits)), &what);
        assert_eq!(seen as u32, bits, "{what}: the bits wasm sees");
    }

    let id64_dyn = export_func(&mut store, &instance, "f64_id");
    let id64 = instance.typed_func::<f64, f64>(&mut store, "f64_id");
    let host64 = instance.typed_func::<f64, f64>(&mut store, "f64_host");
    let host64_dyn = export_func(&mut store, &instance, "f64_host");
    let bits64 = instance.typed_func::<f64, i64>(&mut store, "f64_bits");
    for bits in f64_bits {
        let what = format!("f64 bits {bits:#018x}");
        let out = ok(call_dyn(&mut store, &id64_dyn, &[Val::F64(bits)]), &what);
        assert_eq!(out, [Val::F64(bits)], "{what}: dynamic identity");
        let out = ok(id64.call(&mut store, f64::from_bits(bits)), &what);
        assert_eq!(out.to_bits(), bits, "{what}: typed identity");
        let out = ok(host64.call(&mut store, f64::from_bits(bits)), &what);
        assert_eq!(
            out.to_bits(),
            bits,
            "{what}: typed, through a host function"
        );
        let out = ok(call_dyn(&mut store, &host64_dyn, &[Val::F64(bits)]), &what);
        assert_eq!(
            out,
            [Val::F64(bits)],
            "{what}: dynamic, through a host function"
        );
        let seen = ok(bits64.call(&mut store, f64::from_bits(bits)), &what);
        assert_eq!(seen as u64, bits, "{what}: the bits wasm sees");
    }

    let c32 = export_func(&mut store, &instance, "f32_const_nan");
    assert_eq!(
        ok(call_dyn(&mut store, &c32, &[]), "f32_const_nan"),
        [Val::F32(0x7fa0_0001)]
    );
    let c64 = export_func(&mut store, &instance, "f64_const_nan");
    assert_eq!(
        ok(call_dyn(&mut store, &c64, &[]), "f64_const_nan"),
        [Val::F64(0x7ff4_0000_0000_0001)]
    );
}

pub(super) const V128_WAT: &str = r#"
(module
  (import "host" "vid" (func $h (param v128) (result v128)))
  (func (export "id") (param v128) (result v128) local.get 0)
  (func (export "via_host") (param v128) (result v128) local.get 0 call $h)
  (func (export "lane0") (param v128) (result i32) local.get 0 i32x4.extract_lane 0)
  (func (export "const") (result v128) v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c))
"#;

/// With SIMD on, `v128` values survive dynamic and typed calls and host
/// functions, and lane order is little-endian; with SIMD off a module using
/// `v128` is rejected.
pub fn values_v128<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    if !engine.features().contains(Feature::Simd) {
        expect_rejected(
            &engine,
            V128_WAT,
            Feature::Simd,
            "a v128 module without SIMD",
        );
        return;
    }
    let module = compile(&engine, V128_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "vid",
            |_: Caller<'_, E, ()>, v: V128| -> Result<V128> { Ok(v) },
        ),
        "host.vid",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let id = instance.typed_func::<V128, V128>(&mut store, "id");
    let via_host = instance.typed_func::<V128, V128>(&mut store, "via_host");
    let id_dyn = export_func(&mut store, &instance, "id");
    let lane0 = instance.typed_func::<V128, i32>(&mut store, "lane0");
    for v in [
        0,
        1,
        u128::MAX,
        0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        1 << 127,
    ] {
        let v = V128(v);
        assert_eq!(
            ok(id.call(&mut store, v), "typed id"),
            v,
            "typed v128 identity of {v:?}"
        );
        assert_eq!(
            ok(via_host.call(&mut store, v), "via_host"),
            v,
            "v128 {v:?} through a host function"
        );
        assert_eq!(
            ok(call_dyn(&mut store, &id_dyn, &[Val::V128(v)]), "dynamic id"),
            [Val::V128(v)]
        );
        assert_eq!(
            ok(lane0.call(&mut store, v), "lane0"),
            v.0 as u32 as i32,
            "lane 0 is the low 32 bits"
        );
    }
    let c = export_func(&mut store, &instance, "const");
    let expected = V128::from_bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    assert_eq!(
        ok(call_dyn(&mut store, &c, &[]), "const"),
        [Val::V128(expected)]
    );
}

pub(super) const FUNCREF_WAT: &str = r#"
(module
  (type $ret_i32 (func (result i32)))
  (table (export "table") 2 funcref)
  (func $seven (export "seven") (result i32) i32.const 7)
  (elem declare func $seven)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $ret_i32))
  (func (export "null") (result funcref) ref.null func)
  (func (export "get_seven") (result funcref) ref.func $seven)
  (func (export "is_null") (param funcref) (result i32) local.get 0 ref.is_null)
  (func (export "id") (param funcref) (result funcref) local.get 0))
"#;

/// `funcref` values: a host `Func` and an exported wasm function stored with
/// `Table::set` are callable through `call_indirect`; `ref.null func` comes
/// back as `Val::FuncRef(None)`; `ref.func` comes back as a callable `Func`;
/// null and non-null references pass into wasm correctly.
pub fn values_funcref<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, FUNCREF_WAT);
    let table = instance
        .get_table(&mut store, "table")
        .expect("table export");
    let host = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<i32> { Ok(77) }),
        "Func::wrap",
    );
    let seven = export_func(&mut store, &instance, "seven");
    ok(
        table.set(&mut store, 0, Val::FuncRef(Some(host))),
        "table.set(0, host)",
    );
    ok(
        table.set(&mut store, 1, Val::FuncRef(Some(seven))),
        "table.set(1, seven)",
    );
    let call = instance.typed_func::<i32, i32>(&mut store, "call");
    assert_eq!(
        ok(call.call(&mut store, 0), "call(0)"),
        77,
        "host function through call_indirect"
    );
    assert_eq!(
        ok(call.call(&mut store, 1), "call(1)"),
        7,
        "wasm function through call_indirect"
    );

    let null = export_func(&mut store, &instance, "null");
    let out = ok(call_dyn(&mut store, &null, &[]), "null()");
    assert!(
        matches!(out.as_slice(), [Val::FuncRef(None)]),
        "ref.null func came back as {out:?}"
    );

    let get_seven = export_func(&mut store, &instance, "get_seven");
    let out = ok(call_dyn(&mut store, &get_seven, &[]), "get_seven()");
    let Some(Val::FuncRef(Some(f))) = out.first().copied() else {
        panic!("ref.func came back as {out:?}");
    };
    assert_eq!(f.ty(&store), fty([], [ValType::I32]));
    assert_eq!(
        ok(
            call_dyn(&mut store, &f, &[]),
            "calling the returned funcref"
        ),
        [Val::I32(7)]
    );

    let is_null = export_func(&mut store, &instance, "is_null");
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::FuncRef(None)]),
            "is_null(null)"
        ),
        [Val::I32(1)]
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::FuncRef(Some(host))]),
            "is_null(host)"
        ),
        [Val::I32(0)]
    );

    let id = export_func(&mut store, &instance, "id");
    let out = ok(
        call_dyn(&mut store, &id, &[Val::FuncRef(Some(host))]),
        "id(host)",
    );
    let Some(Val::FuncRef(Some(back))) = out.first().copied() else {
        panic!("funcref identity came back as {out:?}");
    };
    assert_eq!(
        ok(
            call_dyn(&mut store, &back, &[]),
            "calling the round-tripped funcref"
        ),
        [Val::I32(77)]
    );
    let out = ok(call_dyn(&mut store, &id, &[Val::FuncRef(None)]), "id(null)");
    assert!(
        matches!(out.as_slice(), [Val::FuncRef(None)]),
        "null funcref identity came back as {out:?}"
    );
}

pub(super) const EXTERNREF_WAT: &str = r#"
(module
  (import "host" "peek" (func $peek (param externref) (result i32)))
  (table (export "refs") 2 externref)
  (func (export "id") (param externref) (result externref) local.get 0)
  (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null)
  (func (export "stash") (param externref) i32.const 0 local.get 0 table.set 0)
  (func (export "fetch") (result externref) i32.const 0 table.get 0)
  (func (export "call_peek") (param externref) (result i32) local.get 0 call $peek))
"#;

/// `externref` values: `ExternRef::new(store, 42u32)` survives an identity
/// function and a table and still downcasts to `42u32`; a host function
/// receives it and reads the value; null stays null.
pub fn values_externref<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, EXTERNREF_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_new(
            "host",
            "peek",
            fty([ValType::EXTERNREF], [ValType::I32]),
            |c: Caller<'_, E, ()>, params: &[Val<E>], results: &mut [Val<E>]| -> Result<()> {
                results[0] = Val::I32(match params.first() {
                    Some(Val::ExternRef(Some(r))) => {
                        match r.data(&c).and_then(|d| d.downcast_ref::<u32>()) {
                            Some(v) => *v as i32,
                            None => -2,
                        }
                    }
                    Some(Val::ExternRef(None)) => -1,
                    _ => -3,
                });
                Ok(())
            },
        ),
        "host.peek",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let answer = ok(ExternRef::new(&mut store, 42_u32), "ExternRef::new");
    let read = |store: &Store<E, ()>, v: &Val<E>| -> Option<u32> {
        match v {
            Val::ExternRef(Some(r)) => r.data(store).and_then(|d| d.downcast_ref::<u32>()).copied(),
            _ => None,
        }
    };
    assert_eq!(
        read(&store, &Val::ExternRef(Some(answer))),
        Some(42),
        "a fresh ExternRef does not hold its value"
    );
    let wrong = answer.data(&store).and_then(|d| d.downcast_ref::<String>());
    assert!(wrong.is_none(), "an ExternRef to a u32 downcasts to String");

    let id = export_func(&mut store, &instance, "id");
    let out = ok(
        call_dyn(&mut store, &id, &[Val::ExternRef(Some(answer))]),
        "id(42)",
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        read(&store, &out[0]),
        Some(42),
        "externref identity returned {out:?}"
    );
    let out = ok(
        call_dyn(&mut store, &id, &[Val::ExternRef(None)]),
        "id(null)",
    );
    assert!(
        matches!(out.as_slice(), [Val::ExternRef(None)]),
        "null externref identity returned {out:?}"
    );

    let is_null = export_func(&mut store, &instance, "is_null");
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::ExternRef(None)]),
            "is_null(null)"
        ),
        [Val::I32(1)]
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::ExternRef(Some(answer))]),
            "is_null(42)"
        ),
        [Val::I32(0)]
    );

    let call_peek = export_func(&mut store, &instance, "call_peek");
    assert_eq!(
        ok(
            call_dyn(&mut store, &call_peek, &[Val::ExternRef(Some(answer))]),
            "call_peek(42)"
        ),
        [Val::I32(42)],
        "a host function could not read the externref (-2: wrong value, -1: null, -3: not an externref)"
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &call_peek, &[Val::ExternRef(None)]),
            "call_peek(null)"
        ),
        [Val::I32(-1)]
    );

    // Through a table, set by wasm and read by the host.
    let greeting = ok(
        ExternRef::new(&mut store, String::from("hello")),
        "ExternRef::new(String)",
    );
    let stash = export_func(&mut store, &instance, "stash");
    ok(
        call_dyn(&mut store, &stash, &[Val::ExternRef(Some(greeting))]),
        "stash",
    );
    let table = instance.get_table(&mut store, "refs").expect("refs export");
    let Some(Val::ExternRef(Some(r))) = table.get(&mut store, 0) else {
        panic!("table.get(0) after stash is not a non-null externref");
    };
    assert_eq!(
        r.data(&store)
            .and_then(|d| d.downcast_ref::<String>())
            .map(String::as_str),
        Some("hello")
    );
    let fetch = export_func(&mut store, &instance, "fetch");
    let out = ok(call_dyn(&mut store, &fetch, &[]), "fetch");
    let Some(Val::ExternRef(Some(r))) = out.first().copied() else {
        panic!("fetch returned {out:?}");
    };
    assert_eq!(
        r.data(&store)
            .and_then(|d| d.downcast_ref::<String>())
            .map(String::as_str),
        Some("hello")
    );
    assert!(
        matches!(table.get(&mut store, 1), Some(Val::ExternRef(None))),
        "an untouched externref slot is not null"
    );
}

pub(super) const WIDE_WAT: &str = r#"
(module
  (type $wide (func
    (param i32 i64 f32 f64 v128 i32 i64 f32 f64 v128 i32 i64 f32 f64 v128 i32)
    (result i32 v128 f64 f32 i64 i32 v128 f64 f32 i64 i32 v128 f64 f32 i64 i32)))
  (import "host" "wide" (func $host (type $wide)))
  (import "host" "zero" (func $zero (result i64)))
  (func $rev (export "rev") (type $wide)
    local.get 15 local.get 14 local.get 13 local.get 12
    local.get 11 local.get 10 local.get 9 local.get 8
    local.get 7 local.get 6 local.get 5 local.get 4
    local.get 3 local.get 2 local.get 1 local.get 0)
  (func (export "via_host") (type $wide)
    local.get 0 local.get 1 local.get 2 local.get 3
    local.get 4 local.get 5 local.get 6 local.get 7
    local.get 8 local.get 9 local.get 10 local.get 11
    local.get 12 local.get 13 local.get 14 local.get 15
    call $host)
  (func (export "zero") (result i64) call $zero))
"#;

/// The 16 parameter types of `WIDE_WAT`'s `$wide`, with `u32`/`u64` standing
/// in for some `i32`/`i64`.
type Wide = (
    u32,
    i64,
    f32,
    f64,
    V128,
    i32,
    u64,
    f32,
    f64,
    V128,
    i32,
    i64,
    f32,
    f64,
    V128,
    u32,
);
/// `$wide`'s 16 results: the parameters reversed.
type WideRev = (
    u32,
    V128,
    f64,
    f32,
    i64,
    i32,
    V128,
    f64,
    f32,
    u64,
    i32,
    V128,
    f64,
    f32,
    i64,
    u32,
);

fn reverse(p: Wide) -> WideRev {
    (
        p.15, p.14, p.13, p.12, p.11, p.10, p.9, p.8, p.7, p.6, p.5, p.4, p.3, p.2, p.1, p.0,
    )
}

/// Compares by bits, so that NaN payloads count.
fn wide_bits(r: &WideRev) -> Vec<u128> {
    vec![
        r.0 as u128,
        r.1.0,
        r.2.to_bits() as u128,
        r.3.to_bits() as u128,
        r.4 as u64 as u128,
        r.5 as u32 as u128,
        r.6.0,
        r.7.to_bits() as u128,
        r.8.to_bits() as u128,
        r.9 as u128,
        r.10 as u32 as u128,
        r.11.0,
        r.12.to_bits() as u128,
        r.13.to_bits() as u128,
        r.14 as u64 as u128,
        r.15 as u128,
    ]
}

/// Typed calls and typed host functions at the widest arity (16 parameters,
/// 16 results) mixing every numeric type, `u32`/`u64` in place of
/// `i32`/`i64`, extreme values and NaN payloads: each value arrives at its own
/// position with its bits unchanged, from the host into wasm, from wasm into a
/// host function and back. A host function with no parameters returning one
/// value works too.
pub fn typed_wide<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    if !engine.features().contains(Feature::Simd)
        || !engine.features().contains(Feature::MultiValue)
    {
        return;
    }
    let module = compile(&engine, WIDE_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "wide",
            |_: Caller<'_, E, ()>,
             a0: u32,
             a1: i64,
             a2: f32,
             a3: f64,
             a4: V128,
             a5: i32,
             a6: u64,
             a7: f32,
             a8: f64,
             a9: V128,
             a10: i32,
             a11: i64,
             a12: f32,
             a13: f64,
             a14: V128,
             a15: u32|
             -> Result<WideRev> {
                Ok(reverse((
                    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
                )))
            },
        ),
        "host.wide",
    );
    ok(
        linker.func_wrap("host", "zero", |_: Caller<'_, E, ()>| -> Result<i64> {
            Ok(i64::MIN + 7)
        }),
        "host.zero",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let rev = instance.typed_func::<Wide, WideRev>(&mut store, "rev");
    let via_host = instance.typed_func::<Wide, WideRev>(&mut store, "via_host");
    let zero = instance.typed_func::<(), i64>(&mut store, "zero");
    let nan32 = f32::from_bits(0x7fa0_0001);
    let nan64 = f64::from_bits(0xfff4_0000_0000_0003);
    let cases: [Wide; 2] = [
        (
            u32::MAX,
            i64::MIN,
            nan32,
            nan64,
            V128(u128::MAX - 1),
            i32::MIN,
            u64::MAX,
            -0.0,
            f64::MIN_POSITIVE,
            V128(1 << 127 | 5),
            -1,
            i64::MAX,
            f32::INFINITY,
            -0.0,
            V128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
            0x8000_0001,
        ),
        (
            1,
            2,
            3.5,
            4.25,
            V128(5),
            6,
            7,
            8.5,
            9.75,
            V128(10),
            11,
            12,
            13.0,
            14.0,
            V128(15),
            16,
        ),
    ];
    for case in cases {
        let expected = wide_bits(&reverse(case));
        let got = ok(rev.call(&mut store, case), "typed rev");
        assert_eq!(wide_bits(&got), expected, "16 mixed values through rev");
        let got = ok(via_host.call(&mut store, case), "typed via_host");
        assert_eq!(
            wide_bits(&got),
            expected,
            "16 mixed values into a typed host function and back"
        );
    }
    assert_eq!(ok(zero.call(&mut store, ()), "zero"), i64::MIN + 7);
}

/// Exports a tag, for [`values_gc_refs_and_tags`].
pub(super) const TAG_WAT: &str = r#"(module (tag (export "t") (param i32 i64)))"#;

/// The optional proposals' handles: GC references (`AnyRef::from_i31`,
/// `AnyRef::from_extern`, `ExternRef::from_any`, `AnyRef::kind`) and
/// exception tags (`Tag::ty`) work on a backend that supports GC and
/// exceptions; on one that does not, the GC operations answer the typed
/// `Unsupported` for `gc`.
pub fn values_gc_refs_and_tags<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    if engine.support(Feature::Gc) == Support::Unsupported {
        let mut store = Store::new(&engine, ());
        let e = err(
            AnyRef::from_i31(&mut store, 5),
            "AnyRef::from_i31 without GC",
        );
        expect_unsupported(&e, Feature::Gc, engine.name(), "AnyRef::from_i31");
        let x = ok(ExternRef::new(&mut store, 1_u32), "ExternRef::new");
        let e = err(
            AnyRef::from_extern(&mut store, x),
            "AnyRef::from_extern without GC",
        );
        expect_unsupported(&e, Feature::Gc, engine.name(), "AnyRef::from_extern");
    } else {
        let mut config = Config::new();
        config.enable(Feature::Gc);
        let engine = engine_with(&make, &config);
        let mut store = Store::new(&engine, ());
        let i = ok(AnyRef::from_i31(&mut store, u32::MAX), "AnyRef::from_i31");
        assert_eq!(
            i.kind(&store),
            AnyRefKind::I31(0x7fff_ffff),
            "an i31ref keeps the low 31 bits"
        );
        let x = ok(ExternRef::new(&mut store, 7_u32), "ExternRef::new");
        let a = ok(AnyRef::from_extern(&mut store, x), "AnyRef::from_extern");
        assert_eq!(a.kind(&store), AnyRefKind::Host, "a converted externref");
        let back = ok(ExternRef::from_any(&mut store, a), "ExternRef::from_any");
        let value = back
            .data(&store)
            .and_then(|d| d.downcast_ref::<u32>())
            .copied();
        assert_eq!(
            value,
            Some(7),
            "extern -> any -> extern loses the host value"
        );
    }
    if engine.support(Feature::Exceptions) != Support::Unsupported {
        let mut config = Config::new();
        config.enable(Feature::Exceptions);
        let engine = engine_with(&make, &config);
        let (mut store, instance) = instantiate_wat(&engine, TAG_WAT);
        let Some(Extern::Tag(t)) = instance.get_export(&mut store, "t") else {
            panic!("the module's tag export is not a tag");
        };
        assert_eq!(
            t.ty(&store).ty,
            fty([ValType::I32, ValType::I64], []),
            "the tag's payload type"
        );
    }
}
