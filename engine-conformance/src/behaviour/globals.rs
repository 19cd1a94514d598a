//! Globals: type, `get` and `set` (mutability and type checks), NaN bits in
//! float globals, and host-created globals.

use wasm_run_api::{
    Caller, Config, Engine, Error, Func, Global, GlobalType, Mutability, Result, Val, ValType,
};

use super::helpers::*;

pub(super) const GLOBAL_WAT: &str = r#"
(module
  (global $c (export "c") i32 (i32.const 5))
  (global $v (export "v") (mut i64) (i64.const -3))
  (global $fnan (export "fnan") (mut f32) (f32.const nan:0x200001))
  (global $d (export "d") (mut f64) (f64.const 0.5))
  (func (export "get_v") (result i64) global.get $v)
  (func (export "set_v") (param i64) local.get 0 global.set $v)
  (func (export "get_fnan_bits") (result i32) global.get $fnan i32.reinterpret_f32)
  (func (export "get_d") (result f64) global.get $d))
"#;

/// Global: `ty`, `get`, `set` on a mutable global (seen by the guest, and
/// the guest's writes seen by the host), `set` on an immutable global is an
/// error that changes nothing, a value of the wrong type is `Error::Type`;
/// float globals keep NaN bits; host-created globals.
pub fn global_ops<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, GLOBAL_WAT);
    let c = instance.get_global(&mut store, "c").expect("c");
    let v = instance.get_global(&mut store, "v").expect("v");
    let fnan = instance.get_global(&mut store, "fnan").expect("fnan");
    let d = instance.get_global(&mut store, "d").expect("d");

    assert_eq!(c.ty(&store), GlobalType::new(I32, Mutability::Const));
    assert_eq!(v.ty(&store), GlobalType::new(I64, Mutability::Var));
    assert_eq!(fnan.ty(&store), GlobalType::new(F32, Mutability::Var));
    assert_eq!(c.get(&mut store), Val::I32(5));
    assert_eq!(v.get(&mut store), Val::I64(-3));
    assert_eq!(
        fnan.get(&mut store),
        Val::F32(0x7fa0_0001),
        "a NaN global lost its payload"
    );
    assert_eq!(d.get(&mut store), Val::f64(0.5));

    assert!(
        c.set(&mut store, Val::I32(6)).is_err(),
        "set on an immutable global"
    );
    assert_eq!(
        c.get(&mut store),
        Val::I32(5),
        "a refused set changed the global"
    );

    let get_v = instance.typed_func::<(), i64>(&mut store, "get_v");
    let set_v = instance.typed_func::<i64, ()>(&mut store, "set_v");
    ok(v.set(&mut store, Val::I64(i64::MIN)), "v.set(MIN)");
    assert_eq!(v.get(&mut store), Val::I64(i64::MIN));
    assert_eq!(
        ok(get_v.call(&mut store, ()), "get_v"),
        i64::MIN,
        "the guest sees the host's set"
    );
    ok(set_v.call(&mut store, 77), "set_v(77)");
    assert_eq!(
        v.get(&mut store),
        Val::I64(77),
        "the host sees the guest's set"
    );

    assert_err!(
        v.set(&mut store, Val::I32(1)),
        Error::Type(_),
        "i32 into an i64 global"
    );
    assert_err!(
        v.set(&mut store, Val::f64(1.0)),
        Error::Type(_),
        "f64 into an i64 global"
    );
    assert_err!(
        v.set(&mut store, Val::FuncRef(None)),
        Error::Type(_),
        "funcref into an i64 global"
    );
    assert_eq!(
        v.get(&mut store),
        Val::I64(77),
        "a refused set changed the global"
    );

    ok(fnan.set(&mut store, Val::F32(0xffc0_0001)), "fnan.set");
    let get_fnan_bits = instance.typed_func::<(), i32>(&mut store, "get_fnan_bits");
    assert_eq!(
        ok(get_fnan_bits.call(&mut store, ()), "get_fnan_bits") as u32,
        0xffc0_0001
    );
    ok(d.set(&mut store, Val::f64(1.25)), "d.set");
    let get_d = instance.typed_func::<(), f64>(&mut store, "get_d");
    assert_eq!(ok(get_d.call(&mut store, ()), "get_d"), 1.25);

    // Host-created globals.
    let h = ok(
        Global::new(
            &mut store,
            GlobalType::new(F64, Mutability::Var),
            Val::f64(2.0),
        ),
        "Global::new",
    );
    assert_eq!(h.ty(&store), GlobalType::new(F64, Mutability::Var));
    assert_eq!(h.get(&mut store), Val::f64(2.0));
    ok(h.set(&mut store, Val::f64(-0.0)), "h.set(-0.0)");
    assert_eq!(
        h.get(&mut store),
        Val::F64(0x8000_0000_0000_0000),
        "-0.0 lost its sign"
    );
    let k = ok(
        Global::new(
            &mut store,
            GlobalType::new(I32, Mutability::Const),
            Val::I32(1),
        ),
        "Global::new",
    );
    assert!(
        k.set(&mut store, Val::I32(2)).is_err(),
        "set on an immutable host global"
    );
    assert_err!(
        Global::new(
            &mut store,
            GlobalType::new(F64, Mutability::Var),
            Val::I32(1)
        ),
        Error::Type(_),
        "Global::new with a value of the wrong type"
    );
    let r = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::FUNCREF, Mutability::Var),
            Val::FuncRef(None),
        ),
        "funcref global",
    );
    assert!(matches!(r.get(&mut store), Val::FuncRef(None)));
    let f = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<i32> { Ok(3) }),
        "Func::wrap",
    );
    ok(
        r.set(&mut store, Val::FuncRef(Some(f))),
        "funcref global set",
    );
    let Val::FuncRef(Some(g)) = r.get(&mut store) else {
        panic!("a funcref global lost its function");
    };
    assert_eq!(
        ok(
            call_dyn(&mut store, &g, &[]),
            "calling the global's function"
        ),
        [Val::I32(3)]
    );
}
