//! Calls: dynamic and typed calls and their type errors, `Func::ty`, and
//! handles used with a store they do not belong to.

use wasm_run_api::{
    Caller, Config, Engine, Error, Extern, ExternType, Func, Instance, Linker, Result, Store,
    TrapCode, Val, ValType,
};

use super::helpers::*;

pub(super) const CALLS_WAT: &str = r#"
(module
  (func (export "add") (param i32 i64) (result i64) local.get 0 i64.extend_i32_s local.get 1 i64.add)
  (func (export "pair") (param f32 f64) (result f64 f32) local.get 1 local.get 0)
  (func (export "none"))
  (func (export "conv") (param i32 i64) (result f32)
    local.get 0 f32.convert_i32_s local.get 1 f32.convert_i64_s f32.add)
  (func (export "id32") (param i32) (result i32) local.get 0)
  (func (export "trap") (result i32) unreachable)
  (memory (export "memory") 1))
"#;

/// `Func::call_unchecked` (the call for code that knows the function's
/// type, e.g. the component layer) gives what `Func::call` gives, for
/// several parameter and result types, traps the same way, and still
/// refuses a function of another store.
pub fn call_unchecked_agrees<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, CALLS_WAT);
    // (export, arguments, result slots of the result types)
    type Case<E> = (&'static str, Vec<Val<E>>, Vec<Val<E>>);
    let cases: [Case<E>; 4] = [
        (
            "add",
            vec![Val::I32(-5), Val::I64(1 << 40)],
            vec![Val::I64(0)],
        ),
        (
            "pair",
            vec![Val::f32(1.5), Val::F64(f64::NAN.to_bits() | 1)],
            vec![Val::F64(0), Val::F32(0)],
        ),
        ("conv", vec![Val::I32(3), Val::I64(-10)], vec![Val::F32(0)]),
        ("none", vec![], vec![]),
    ];
    for (name, args, slots) in cases {
        let f = export_func(&mut store, &instance, name);
        let mut checked = slots.clone();
        ok(f.call(&mut store, &args, &mut checked), name);
        let mut unchecked = slots.clone();
        // SAFETY: the slots and arguments have the function's exact types
        // (CALLS_WAT above).
        ok(
            unsafe { f.call_unchecked(&mut store, &args, &mut unchecked) },
            name,
        );
        assert_eq!(checked, unchecked, "{name}");
        if name == "pair" {
            assert_eq!(
                unchecked[0],
                Val::F64(f64::NAN.to_bits() | 1),
                "NaN payload"
            );
        }
    }
    let trap = export_func(&mut store, &instance, "trap");
    let mut out = [Val::I32(0)];
    // SAFETY: `trap` is `() -> i32`.
    let e = err(
        unsafe { trap.call_unchecked(&mut store, &[], &mut out) },
        "trap",
    );
    assert_eq!(e.trap_code(), Some(TrapCode::Unreachable), "{e}");
    let mut other = Store::new(&engine, ());
    let add = export_func(&mut store, &instance, "add");
    // SAFETY: the types are right; the store is not.
    let e =
        unsafe { add.call_unchecked(&mut other, &[Val::I32(1), Val::I64(2)], &mut [Val::I64(0)]) };
    assert!(matches!(e, Err(Error::WrongStore)), "{e:?}");
}

/// `Func::call` with `&[Val]` params and `&mut [Val]` results, including
/// several results and none; wrong arity, wrong parameter types and too few
/// result slots are `Error::Type` (from `call` and from `call_checked`), not
/// a panic; results can be reused across calls.
pub fn call_dynamic<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, CALLS_WAT);
    let add = export_func(&mut store, &instance, "add");
    let pair = export_func(&mut store, &instance, "pair");
    let none = export_func(&mut store, &instance, "none");

    let mut out = [Val::I64(0)];
    ok(
        add.call(&mut store, &[Val::I32(-2), Val::I64(10)], &mut out),
        "add(-2, 10)",
    );
    assert_eq!(out, [Val::I64(8)]);
    for i in 0..100_i64 {
        ok(
            add.call(&mut store, &[Val::I32(i as i32), Val::I64(i)], &mut out),
            "add in a loop",
        );
        assert_eq!(out, [Val::I64(2 * i)]);
    }
    let mut two = [Val::I32(0), Val::I32(0)];
    ok(
        pair.call(&mut store, &[Val::f32(1.5), Val::f64(2.5)], &mut two),
        "pair(1.5, 2.5)",
    );
    assert_eq!(
        two,
        [Val::f64(2.5), Val::f32(1.5)],
        "several results, in order and with their types"
    );
    ok(none.call(&mut store, &[], &mut []), "none()");

    // Bad calls are errors, through both entry points.
    for checked in [false, true] {
        let call =
            |store: &mut Store<E, ()>, f: &Func<E>, params: &[Val<E>], results: &mut [Val<E>]| {
                if checked {
                    f.call_checked(store, params, results)
                } else {
                    f.call(store, params, results)
                }
            };
        let how = if checked { "call_checked" } else { "call" };
        let mut out = [Val::I64(0)];
        assert_err!(
            call(&mut store, &add, &[Val::I32(1)], &mut out),
            Error::Type(_),
            "{how}: too few arguments"
        );
        assert_err!(
            call(
                &mut store,
                &add,
                &[Val::I32(1), Val::I64(2), Val::I64(3)],
                &mut out
            ),
            Error::Type(_),
            "{how}: too many arguments"
        );
        assert_err!(
            call(&mut store, &add, &[Val::I64(1), Val::I64(2)], &mut out),
            Error::Type(_),
            "{how}: argument of the wrong type"
        );
        assert_err!(
            call(
                &mut store,
                &add,
                &[Val::I32(1), Val::FuncRef(None)],
                &mut out
            ),
            Error::Type(_),
            "{how}: reference where a number is expected"
        );
        assert_err!(
            call(&mut store, &add, &[Val::I32(1), Val::I64(2)], &mut []),
            Error::Type(_),
            "{how}: no room for the result"
        );
    }
    // Still fine afterwards.
    ok(
        add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut out),
        "add(1, 2)",
    );
    assert_eq!(out, [Val::I64(3)]);
}

/// Typed calls: `get_typed_func::<(i32, i64), f32>`, several results, unit,
/// `u32` for `i32`; a wrong signature (params, results or arity) or a
/// non-function export is `Error::Type`, a missing export
/// `Error::MissingExport`; a trap comes back as a trap.
pub fn call_typed<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, CALLS_WAT);

    let conv = instance.typed_func::<(i32, i64), f32>(&mut store, "conv");
    assert_eq!(ok(conv.call(&mut store, (2, 3)), "conv(2, 3)"), 5.0);
    assert_eq!(
        ok(conv.call(&mut store, (-7, 1 << 24)), "conv"),
        16_777_209.0
    );
    let conv_func = conv.func();
    assert_eq!(
        conv_func.ty(&store),
        fty([ValType::I32, ValType::I64], [ValType::F32])
    );

    let pair = instance.typed_func::<(f32, f64), (f64, f32)>(&mut store, "pair");
    assert_eq!(
        ok(pair.call(&mut store, (0.5, -1.25)), "pair"),
        (-1.25, 0.5)
    );
    let none = instance.typed_func::<(), ()>(&mut store, "none");
    ok(none.call(&mut store, ()), "none()");
    let id_u32 = ok(
        instance.get_typed_func::<u32, u32>(&mut store, "id32"),
        "id32 as u32",
    );
    assert_eq!(
        ok(id_u32.call(&mut store, u32::MAX), "id32(u32::MAX)"),
        u32::MAX
    );
    let id_tuple = ok(
        instance.get_typed_func::<(i32,), (i32,)>(&mut store, "id32"),
        "id32 as 1-tuples",
    );
    assert_eq!(ok(id_tuple.call(&mut store, (-4,)), "id32((-4,))"), (-4,));

    // Same function through Func::typed.
    let add = export_func(&mut store, &instance, "add");
    let add = ok(add.typed::<(i32, i64), i64>(&store), "Func::typed");
    assert_eq!(
        ok(add.call(&mut store, (-1, i64::MAX)), "add"),
        i64::MAX - 1
    );

    macro_rules! wrong {
        ($p:ty, $r:ty, $name:literal) => {
            assert_err!(
                instance.get_typed_func::<$p, $r>(&mut store, $name),
                Error::Type(_),
                "`{}` typed as {} -> {}",
                $name,
                stringify!($p),
                stringify!($r)
            );
        };
    }
    wrong!((i64, i64), f32, "conv");
    wrong!((i32, i64), f64, "conv");
    wrong!((i32,), f32, "conv");
    wrong!((i32, i64, i32), f32, "conv");
    wrong!((i32, i64), (), "conv");
    wrong!((i32, i64), (f32, f32), "conv");
    wrong!((), i32, "none");
    wrong!((), (), "memory");
    assert_err!(
        instance.get_typed_func::<(), ()>(&mut store, "no_such_export"),
        Error::MissingExport(ref name) if &**name == "no_such_export",
        "a typed function that is not exported"
    );
    assert_err!(
        instance.get_func(&mut store, "no_such_export"),
        Error::MissingExport(_),
        "a function that is not exported"
    );
    assert_err!(
        export_func(&mut store, &instance, "conv").typed::<(), ()>(&store),
        Error::Type(_),
        "Func::typed"
    );

    let trap = instance.typed_func::<(), i32>(&mut store, "trap");
    expect_trap(
        trap.call(&mut store, ()),
        TrapCode::Unreachable,
        "typed call of a trapping function",
    );
}

pub(super) const FUNC_TYPES_WAT: &str = r#"
(module
  (func (export "a") (param i32 i64 f32 f64) (result i32) i32.const 0)
  (func (export "b") (param funcref externref) (result externref) local.get 1)
  (func (export "c"))
  (func (export "d") (result i64 f64 i32) i64.const 0 f64.const 0 i32.const 0))
"#;

/// `Func::ty` reports exact parameter and result types for wasm functions,
/// typed and untyped host functions and linker definitions.
pub fn func_types<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, FUNC_TYPES_WAT);
    for (name, ty) in [
        ("a", fty([I32, I64, F32, F64], [I32])),
        (
            "b",
            fty([ValType::FUNCREF, ValType::EXTERNREF], [ValType::EXTERNREF]),
        ),
        ("c", fty([], [])),
        ("d", fty([], [I64, F64, I32])),
    ] {
        let f = export_func(&mut store, &instance, name);
        assert_eq!(f.ty(&store), ty, "type of wasm function {name}");
    }

    let wrapped = ok(
        Func::wrap(
            &mut store,
            |_: Caller<'_, E, ()>, a: i32, b: f64| -> Result<i64> { Ok(i64::from(a) + b as i64) },
        ),
        "Func::wrap",
    );
    assert_eq!(wrapped.ty(&store), fty([I32, F64], [I64]));
    let multi = ok(
        Func::wrap(
            &mut store,
            |_: Caller<'_, E, ()>| -> Result<(f32, f64, u32, u64)> { Ok((0.0, 0.0, 0, 0)) },
        ),
        "Func::wrap",
    );
    assert_eq!(multi.ty(&store), fty([], [F32, F64, I32, I64]));
    let unit = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<()> { Ok(()) }),
        "Func::wrap",
    );
    assert_eq!(unit.ty(&store), fty([], []));
    let untyped_ty = fty([ValType::EXTERNREF, I64], [ValType::FUNCREF]);
    let untyped = ok(
        Func::new(
            &mut store,
            untyped_ty.clone(),
            |_: Caller<'_, E, ()>, _: &[Val<E>], _: &mut [Val<E>]| -> Result<()> { Ok(()) },
        ),
        "Func::new",
    );
    assert_eq!(untyped.ty(&store), untyped_ty);

    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "m",
            "f",
            |_: Caller<'_, E, ()>, _: u64, _: f32| -> Result<i32> { Ok(0) },
        ),
        "m.f",
    );
    let f = linker
        .get(&mut store, "m", "f")
        .and_then(Extern::into_func)
        .expect("m.f");
    assert_eq!(f.ty(&store), fty([I64, F32], [I32]));
    assert_eq!(
        Extern::Func(f).ty(&store),
        ExternType::Func(fty([I64, F32], [I32]))
    );
}

pub(super) const WRONG_STORE_WAT: &str = r#"
(module
  (memory (export "memory") 1 2)
  (table (export "table") 1 4 funcref)
  (global (export "g") (mut i32) (i32.const 0))
  (func (export "f") (result i32) i32.const 1))
"#;

/// Using a handle with a store it does not belong to, or a module with a
/// store of another engine, is `Error::WrongStore` — not a panic — wherever
/// the API returns a `Result` (`Func::call`, `Func::call_checked`,
/// `Func::typed`, `TypedFunc::call`, `Memory::grow`, `Memory::read`,
/// `Memory::write`, `Table::grow`, `Table::set`, `Global::set`,
/// `Instance::get_func`, `Instance::get_typed_func`, `Linker::instance`,
/// `Linker::define` + instantiation, `Instance::new`); the rightful store is
/// unaffected.
pub fn handles_wrong_store<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    #[track_caller]
    fn check(what: &str, run: impl FnOnce() -> Result<()>) {
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(Err(Error::WrongStore)) => {}
            Ok(Err(e)) => panic!("{what}: expected Error::WrongStore, got {e} ({e:?})"),
            Ok(Ok(())) => panic!("{what}: succeeded with a foreign store"),
            Err(_) => panic!("{what}: panicked instead of returning Error::WrongStore"),
        }
    }
    let engine = default_engine(&make);
    let module = compile(&engine, WRONG_STORE_WAT);
    let importer = compile(
        &engine,
        r#"(module (import "env" "f" (func (result i32))))"#,
    );
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let instance = instantiate(&mut a, &module);
    let f = export_func(&mut a, &instance, "f");
    let typed = ok(f.typed::<(), i32>(&a), "typed f");
    let memory = instance.get_memory(&mut a, "memory").expect("memory");

    check("Func::call with a foreign store", || {
        f.call(&mut b, &[], &mut [Val::I32(0)])
    });
    check("TypedFunc::call with a foreign store", || {
        typed.call(&mut b, ()).map(|_| ())
    });
    check("Memory::grow with a foreign store", || {
        memory.grow(&mut b, 1).map(|_| ())
    });
    let table = instance.get_table(&mut a, "table").expect("table");
    let global = instance.get_global(&mut a, "g").expect("global");
    check("Func::call_checked with a foreign store", || {
        f.call_checked(&mut b, &[], &mut [Val::I32(0)])
    });
    check("Func::typed with a foreign store", || {
        f.typed::<(), i32>(&b).map(|_| ())
    });
    check("Memory::read with a foreign store", || {
        memory.read(&b, 0, &mut [0; 4])
    });
    check("Memory::write with a foreign store", || {
        memory.write(&mut b, 0, &[1; 4])
    });
    check("Table::grow with a foreign store", || {
        table.grow(&mut b, 1, Val::FuncRef(None)).map(|_| ())
    });
    check("Table::set with a foreign store", || {
        table.set(&mut b, 0, Val::FuncRef(None))
    });
    check("Global::set with a foreign store", || {
        global.set(&mut b, Val::I32(5))
    });
    check("Instance::get_func with a foreign store", || {
        instance.get_func(&mut b, "f").map(|_| ())
    });
    check("Instance::get_typed_func with a foreign store", || {
        instance.get_typed_func::<(), i32>(&mut b, "f").map(|_| ())
    });
    check("Linker::instance with a foreign store", || {
        Linker::<E, ()>::new(&engine)
            .instance(&mut b, "m", &instance)
            .map(|_| ())
    });
    check("defining a foreign item and instantiating with it", || {
        let mut linker = Linker::<E, ()>::new(&engine);
        linker.define(&b, "env", "f", f)?;
        linker.instantiate(&mut b, &importer).map(|_| ())
    });
    let other_engine = default_engine(&make);
    let mut c = Store::new(&other_engine, ());
    check("instantiating a module of another engine", || {
        Instance::new(&mut c, &module, &[]).map(|_| ())
    });
    check(
        "instantiating a module of another engine through a linker",
        || {
            Linker::<E, ()>::new(&other_engine)
                .instantiate(&mut c, &module)
                .map(|_| ())
        },
    );

    // The rightful store is unaffected.
    assert_eq!(ok(typed.call(&mut a, ()), "f() in its own store"), 1);
    assert_eq!(memory.size(&a), 1);
    assert_eq!(table.size(&a), 1);
    assert_eq!(global.get(&mut a), Val::I32(0));
}

pub(super) const WRONG_STORE_REFS_WAT: &str = r#"
(module
  (table (export "table") 2 funcref)
  (func (export "take") (param funcref) (result i32) i32.const 7)
  (func (export "f") (result i32) i32.const 1))
"#;

/// A reference of another store is refused the same way on every backend,
/// decided from the store ids every handle carries rather than from engine
/// messages: as an argument of `Func::call`/`call_checked`, as the value of
/// `Table::set`/`Table::grow`/`Table::new`/`Global::new`, as an import of
/// `Instance::new`, as a `Linker::define` item, and as the result a host
/// function writes — all `Error::WrongStore`. Methods without a `Result`
/// (`Func::ty`, `Memory::size`, ...) panic with wasm-run's own message, not
/// the engine's.
pub fn wrong_store_references<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    #[track_caller]
    fn check(what: &str, got: Result<()>) {
        match got {
            Err(Error::WrongStore) => {}
            Err(e) => panic!("{what}: expected Error::WrongStore, got {e} ({e:?})"),
            Ok(()) => panic!("{what}: succeeded with a reference of another store"),
        }
    }
    let engine = default_engine(&make);
    let module = compile(&engine, WRONG_STORE_REFS_WAT);
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    assert_ne!(a.id(), b.id(), "two stores have the same id");
    let ia = instantiate(&mut a, &module);
    let ib = instantiate(&mut b, &module);
    let take = export_func(&mut a, &ia, "take");
    let fa = export_func(&mut a, &ia, "f");
    let fb = export_func(&mut b, &ib, "f");
    assert_eq!(fa.store_id(), a.id());
    assert_eq!(fb.store_id(), b.id());
    let foreign = Val::FuncRef(Some(fb));
    let mut out = [Val::I32(0)];

    check(
        "Func::call with a funcref argument of another store",
        take.call(&mut a, std::slice::from_ref(&foreign), &mut out),
    );
    check(
        "Func::call_checked with a funcref argument of another store",
        take.call_checked(&mut a, std::slice::from_ref(&foreign), &mut out),
    );
    let table = ia.get_table(&mut a, "table").expect("table");
    check(
        "Table::set with a funcref of another store",
        table.set(&mut a, 0, foreign),
    );
    check(
        "Table::grow with a funcref of another store",
        table.grow(&mut a, 1, foreign).map(|_| ()),
    );
    check(
        "Table::new with a funcref of another store",
        wasm_run_api::Table::new(
            &mut a,
            wasm_run_api::TableType::new(
                wasm_run_api::RefType {
                    nullable: true,
                    heap: wasm_run_api::HeapType::Func,
                },
                1,
                None,
            ),
            foreign,
        )
        .map(|_| ()),
    );
    check(
        "Global::new with a funcref of another store",
        wasm_run_api::Global::new(
            &mut a,
            wasm_run_api::GlobalType::new(ValType::FUNCREF, wasm_run_api::Mutability::Var),
            foreign,
        )
        .map(|_| ()),
    );
    let importer = compile(
        &engine,
        r#"(module (import "env" "f" (func (result i32))))"#,
    );
    check(
        "Instance::new with an import of another store",
        Instance::new(&mut a, &importer, &[Extern::Func(fb)]).map(|_| ()),
    );
    check(
        "Linker::define with an item of another store",
        Linker::<E, ()>::new(&engine)
            .define(&a, "env", "f", fb)
            .map(|_| ()),
    );
    // A host function that writes a reference of another store as its result.
    let leak = Func::new(
        &mut a,
        wasm_run_api::FuncType::new([], [ValType::FUNCREF]),
        move |_: Caller<'_, E, ()>, _: &[Val<E>], results: &mut [Val<E>]| {
            results[0] = Val::FuncRef(Some(fb));
            Ok(())
        },
    )
    .expect("host function");
    check(
        "a host function returning a funcref of another store",
        leak.call(&mut a, &[], &mut [Val::FuncRef(None)]),
    );

    // Methods without a `Result` panic with wasm-run's message.
    let ty_panic = catch_unwind(AssertUnwindSafe(|| fa.ty(&b)));
    match ty_panic {
        Ok(ty) => panic!("Func::ty with another store returned {ty}"),
        Err(payload) => {
            let msg = wasm_run_api::backend::panic_message(payload);
            assert!(
                msg.starts_with("wasm-run:"),
                "Func::ty with another store panicked with the engine's message: {msg}"
            );
        }
    }
    // The rightful uses still work.
    ok(
        take.call(&mut a, &[Val::FuncRef(Some(fa))], &mut out),
        "take(f) in its own store",
    );
    assert_eq!(out[0], Val::I32(7));
    ok(
        table.set(&mut a, 1, Val::FuncRef(Some(fa))),
        "table.set own funcref",
    );
    assert!(matches!(table.get(&mut a, 1), Some(Val::FuncRef(Some(_)))));
}
