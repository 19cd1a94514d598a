//! Tables: type and size, `get`/`set` with bounds and type checks, growing,
//! and host-created `externref` tables.

use wasm_run_api::{Config, Engine, Error, ExternRef, Result, Table, TableType, Val};

use super::helpers::*;

pub(super) const TABLE_WAT: &str = r#"
(module
  (table $t (export "table") 2 5 funcref)
  (func $f (export "f") (result i32) i32.const 11)
  (elem declare func $f)
  (func (export "size") (result i32) table.size $t)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect $t (result i32))
  (func (export "is_null") (param i32) (result i32) local.get 0 table.get $t ref.is_null))
"#;

/// Table: `ty`, `size`, `get` (out of bounds is `None`), `set` (out of
/// bounds or wrong element type is an error), `grow` (returns the old size,
/// fills with the init value, refuses to pass the maximum); the guest sees
/// every change; host-created `externref` tables.
pub fn table_ops<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, TABLE_WAT);
    let table = instance
        .get_table(&mut store, "table")
        .expect("table export");
    let f = export_func(&mut store, &instance, "f");
    let size = instance.typed_func::<(), i32>(&mut store, "size");
    let call = instance.typed_func::<i32, i32>(&mut store, "call");
    let is_null = instance.typed_func::<i32, i32>(&mut store, "is_null");

    assert_eq!(table.ty(&store), TableType::new(FUNCREF, 2, Some(5)));
    assert_eq!(table.size(&store), 2);
    assert!(
        matches!(table.get(&mut store, 0), Some(Val::FuncRef(None))),
        "a fresh funcref element is not null"
    );
    assert!(matches!(table.get(&mut store, 1), Some(Val::FuncRef(None))));
    assert!(table.get(&mut store, 2).is_none(), "get out of bounds");
    assert!(table.get(&mut store, u64::MAX).is_none(), "get at u64::MAX");

    ok(table.set(&mut store, 0, Val::FuncRef(Some(f))), "set(0, f)");
    assert_eq!(ok(is_null.call(&mut store, 0), "is_null(0)"), 0);
    assert_eq!(
        ok(call.call(&mut store, 0), "call(0)"),
        11,
        "the guest calls what the host stored"
    );
    let Some(Val::FuncRef(Some(g))) = table.get(&mut store, 0) else {
        panic!("get(0) after set is not a non-null funcref");
    };
    assert_eq!(
        ok(call_dyn(&mut store, &g, &[]), "calling the element"),
        [Val::I32(11)]
    );
    assert!(
        table.set(&mut store, 2, Val::FuncRef(Some(f))).is_err(),
        "set out of bounds"
    );
    assert!(
        table.set(&mut store, u64::MAX, Val::FuncRef(None)).is_err(),
        "set at u64::MAX"
    );
    assert_err!(
        table.set(&mut store, 0, Val::ExternRef(None)),
        Error::Type(_),
        "externref into a funcref table"
    );
    assert_err!(
        table.set(&mut store, 0, Val::I32(0)),
        Error::Type(_),
        "i32 into a funcref table"
    );

    assert_eq!(
        ok(
            table.grow(&mut store, 2, Val::FuncRef(Some(f))),
            "grow(2, f)"
        ),
        2,
        "grow returns the old size"
    );
    assert_eq!(table.size(&store), 4);
    assert_eq!(
        table.ty(&store).minimum,
        4,
        "ty().minimum is the current size"
    );
    assert_eq!(
        ok(size.call(&mut store, ()), "size"),
        4,
        "the guest sees the host's grow"
    );
    assert_eq!(
        ok(call.call(&mut store, 3), "call(3)"),
        11,
        "grown elements hold the init value"
    );
    assert!(
        matches!(
            table.grow(&mut store, 2, Val::FuncRef(None)),
            Err(Error::Access(_))
        ),
        "grow past the maximum"
    );
    assert_eq!(table.size(&store), 4, "a refused grow changed the size");
    assert_err!(
        table.grow(&mut store, 1, Val::ExternRef(None)),
        Error::Type(_),
        "grow with an externref init"
    );
    assert_eq!(
        ok(
            table.grow(&mut store, 1, Val::FuncRef(None)),
            "grow(1, null)"
        ),
        4
    );
    assert_eq!(
        ok(table.grow(&mut store, 0, Val::FuncRef(None)), "grow(0)"),
        5
    );
    assert_eq!(ok(is_null.call(&mut store, 4), "is_null(4)"), 1);
    ok(table.set(&mut store, 0, Val::FuncRef(None)), "set(0, null)");
    assert_eq!(
        ok(is_null.call(&mut store, 0), "is_null(0)"),
        1,
        "the guest sees the element cleared"
    );

    // Host-created externref table.
    let refs = ok(
        Table::new(
            &mut store,
            TableType::new(EXTERNREF, 2, None),
            Val::ExternRef(None),
        ),
        "Table::new",
    );
    assert_eq!(refs.ty(&store), TableType::new(EXTERNREF, 2, None));
    assert_eq!(refs.size(&store), 2);
    assert!(matches!(
        refs.get(&mut store, 0),
        Some(Val::ExternRef(None))
    ));
    let r = ok(ExternRef::new(&mut store, 5_u64), "ExternRef::new");
    ok(
        refs.set(&mut store, 1, Val::ExternRef(Some(r))),
        "set(1, r)",
    );
    let Some(Val::ExternRef(Some(back))) = refs.get(&mut store, 1) else {
        panic!("get(1) after set is not a non-null externref");
    };
    assert_eq!(
        back.data(&store).and_then(|d| d.downcast_ref::<u64>()),
        Some(&5)
    );
    assert_err!(
        Table::new(
            &mut store,
            TableType::new(EXTERNREF, 1, None),
            Val::FuncRef(None)
        ),
        Error::Type(_),
        "Table::new with an init value of the wrong type"
    );
}
