//! Linking and instances: `Linker::instance`, link errors (missing,
//! incompatible, duplicate), start functions, `Instance::new` with ordered
//! imports, and listing an instance's exports.

use wasm_run_api::{
    Caller, Config, Engine, Error, ExternType, Func, Global, GlobalType, Instance, LinkError,
    Linker, Memory, MemoryType, Mutability, Result, Store, Table, TableType, TrapCode, Val,
    ValType,
};

use super::helpers::*;

pub(super) const LINK_A_WAT: &str = r#"
(module $a
  (memory (export "memory") 1)
  (global (export "value") (mut i32) (i32.const 1))
  (table (export "table") 1 funcref)
  (func $answer (export "answer") (result i32) i32.const 42)
  (elem (i32.const 0) func $answer)
  (func (export "read") (param i32) (result i32) local.get 0 i32.load8_u))
"#;

pub(super) const LINK_B_WAT: &str = r#"
(module $b
  (import "a" "answer" (func $answer (result i32)))
  (import "a" "memory" (memory 1))
  (import "a" "value" (global $value (mut i32)))
  (import "a" "table" (table 1 funcref))
  (type $ret_i32 (func (result i32)))
  (func (export "run") (result i32)
    i32.const 7 i32.const 0xab i32.store8
    i32.const 2 global.set $value
    call $answer
    i32.const 0 call_indirect (type $ret_i32)
    i32.add))
"#;

/// `Linker::instance` defines every export of one instance (function,
/// memory, global, table) so that another module can import them; both
/// instances then share the items.
pub fn link_instance_exports<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let a = compile(&engine, LINK_A_WAT);
    let b = compile(&engine, LINK_B_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    let instance_a = ok(linker.instantiate(&mut store, &a), "instantiating a");
    ok(
        linker.instance(&mut store, "a", &instance_a),
        "Linker::instance",
    );
    for name in ["memory", "value", "table", "answer", "read"] {
        assert!(
            linker.get(&mut store, "a", name).is_some(),
            "a.{name} is not defined by Linker::instance"
        );
    }
    let instance_b = ok(
        linker.instantiate(&mut store, &b),
        "instantiating b against a's exports",
    );

    let run = instance_b.typed_func::<(), i32>(&mut store, "run");
    assert_eq!(
        ok(run.call(&mut store, ()), "run"),
        84,
        "a's function called directly and through a's table"
    );
    let read = instance_a.typed_func::<i32, i32>(&mut store, "read");
    assert_eq!(
        ok(read.call(&mut store, 7), "read(7)"),
        0xab,
        "b wrote a's memory"
    );
    let value = instance_a.get_global(&mut store, "value").expect("a.value");
    assert_eq!(value.get(&mut store), Val::I32(2), "b set a's global");
}

pub(super) const LINK_MISSING_WAT: &str = r#"
(module
  (import "env" "present" (func (param i32)))
  (import "env" "missing_fn" (func (param i32 i64) (result f64)))
  (import "env" "missing_mem" (memory 1))
  (import "other" "missing_global" (global (mut f32)))
  (import "other" "missing_table" (table 1 5 externref)))
"#;

/// A missing import is `Error::Link(LinkError::Missing { module, name,
/// expected })` for the first missing import in order, with its exact type,
/// for every kind; once everything is defined instantiation succeeds.
pub fn link_error_missing<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, LINK_MISSING_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "env",
            "present",
            |_: Caller<'_, E, ()>, _: i32| -> Result<()> { Ok(()) },
        ),
        "present",
    );

    let expect_missing = |store: &mut Store<E, ()>,
                          linker: &Linker<E, ()>,
                          module_name: &str,
                          name: &str,
                          expected: ExternType| {
        let e = err(
            linker.instantiate(store, &module),
            &format!("instantiating without {module_name}.{name}"),
        );
        expect_link_error(
            &e,
            &LinkError::Missing {
                module: module_name.into(),
                name: name.into(),
                expected,
            },
            &format!("missing {module_name}.{name}"),
        );
        assert!(
            e.to_string().contains(name),
            "the message `{e}` does not name {name}"
        );
    };

    expect_missing(
        &mut store,
        &linker,
        "env",
        "missing_fn",
        ExternType::Func(fty([I32, I64], [F64])),
    );
    ok(
        linker.func_wrap(
            "env",
            "missing_fn",
            |_: Caller<'_, E, ()>, a: i32, b: i64| -> Result<f64> { Ok(f64::from(a) + b as f64) },
        ),
        "missing_fn",
    );
    expect_missing(
        &mut store,
        &linker,
        "env",
        "missing_mem",
        ExternType::Memory(MemoryType::new(1, None)),
    );
    let memory = ok(
        Memory::new(&mut store, MemoryType::new(1, None)),
        "Memory::new",
    );
    ok(
        linker.define(&store, "env", "missing_mem", memory),
        "missing_mem",
    );
    expect_missing(
        &mut store,
        &linker,
        "other",
        "missing_global",
        ExternType::Global(GlobalType::new(F32, Mutability::Var)),
    );
    let global = ok(
        Global::new(
            &mut store,
            GlobalType::new(F32, Mutability::Var),
            Val::f32(0.5),
        ),
        "Global::new",
    );
    ok(
        linker.define(&store, "other", "missing_global", global),
        "missing_global",
    );
    expect_missing(
        &mut store,
        &linker,
        "other",
        "missing_table",
        ExternType::Table(TableType::new(EXTERNREF, 1, Some(5))),
    );
    let table = ok(
        Table::new(
            &mut store,
            TableType::new(EXTERNREF, 1, Some(5)),
            Val::ExternRef(None),
        ),
        "Table::new",
    );
    ok(
        linker.define(&store, "other", "missing_table", table),
        "missing_table",
    );
    ok(
        linker.instantiate(&mut store, &module),
        "instantiating with every import defined",
    );
}

/// A definition of the wrong type is `LinkError::Incompatible { module, name,
/// expected, found }` with both types exact: function params or results,
/// global type and mutability, memory and table limits, table element type,
/// and the wrong kind altogether.
pub fn link_error_incompatible<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);

    // Defines `env.x` with `define` on a fresh linker and store, and checks
    // the error of instantiating `import` (a single import of `env.x`).
    fn check<E: Engine>(
        engine: &E,
        import: &str,
        define: impl FnOnce(&mut Store<E, ()>, &mut Linker<E, ()>),
        expected: ExternType,
        found: ExternType,
    ) {
        let wat = format!("(module (import \"env\" \"x\" {import}))");
        let module = compile(engine, &wat);
        let mut store = Store::new(engine, ());
        let mut linker = Linker::<E, ()>::new(engine);
        define(&mut store, &mut linker);
        let e = err(
            linker.instantiate(&mut store, &module),
            &format!("instantiating {wat} with a wrong definition"),
        );
        expect_link_error(
            &e,
            &LinkError::Incompatible {
                module: "env".into(),
                name: "x".into(),
                expected,
                found,
            },
            &wat,
        );
    }

    check(
        &engine,
        "(func (param i32))",
        |_, linker| {
            ok(
                linker.func_wrap("env", "x", |_: Caller<'_, E, ()>, _: i64| -> Result<()> {
                    Ok(())
                }),
                "env.x",
            );
        },
        ExternType::Func(fty([I32], [])),
        ExternType::Func(fty([I64], [])),
    );
    check(
        &engine,
        "(func (param i32) (result i32))",
        |_, linker| {
            ok(
                linker.func_wrap("env", "x", |_: Caller<'_, E, ()>, _: i32| -> Result<()> {
                    Ok(())
                }),
                "env.x",
            );
        },
        ExternType::Func(fty([I32], [I32])),
        ExternType::Func(fty([I32], [])),
    );
    check(
        &engine,
        "(func (param f64))",
        |_, linker| {
            ok(
                linker.func_new(
                    "env",
                    "x",
                    fty([F32], []),
                    |_: Caller<'_, E, ()>, _: &[Val<E>], _: &mut [Val<E>]| -> Result<()> { Ok(()) },
                ),
                "env.x",
            );
        },
        ExternType::Func(fty([F64], [])),
        ExternType::Func(fty([F32], [])),
    );
    check(
        &engine,
        "(global i32)",
        |store, linker| {
            let g = ok(
                Global::new(
                    &mut *store,
                    GlobalType::new(I64, Mutability::Const),
                    Val::I64(1),
                ),
                "global",
            );
            ok(linker.define(store, "env", "x", g), "env.x");
        },
        ExternType::Global(GlobalType::new(I32, Mutability::Const)),
        ExternType::Global(GlobalType::new(I64, Mutability::Const)),
    );
    check(
        &engine,
        "(global i32)",
        |store, linker| {
            let g = ok(
                Global::new(
                    &mut *store,
                    GlobalType::new(I32, Mutability::Var),
                    Val::I32(1),
                ),
                "global",
            );
            ok(linker.define(store, "env", "x", g), "env.x");
        },
        ExternType::Global(GlobalType::new(I32, Mutability::Const)),
        ExternType::Global(GlobalType::new(I32, Mutability::Var)),
    );
    check(
        &engine,
        "(memory 2)",
        |store, linker| {
            let m = ok(Memory::new(&mut *store, MemoryType::new(1, None)), "memory");
            ok(linker.define(store, "env", "x", m), "env.x");
        },
        ExternType::Memory(MemoryType::new(2, None)),
        ExternType::Memory(MemoryType::new(1, None)),
    );
    check(
        &engine,
        "(memory 1 2)",
        |store, linker| {
            let m = ok(Memory::new(&mut *store, MemoryType::new(1, None)), "memory");
            ok(linker.define(store, "env", "x", m), "env.x");
        },
        ExternType::Memory(MemoryType::new(1, Some(2))),
        ExternType::Memory(MemoryType::new(1, None)),
    );
    check(
        &engine,
        "(table 1 funcref)",
        |store, linker| {
            let t = ok(
                Table::new(
                    &mut *store,
                    TableType::new(EXTERNREF, 1, None),
                    Val::ExternRef(None),
                ),
                "table",
            );
            ok(linker.define(store, "env", "x", t), "env.x");
        },
        ExternType::Table(TableType::new(FUNCREF, 1, None)),
        ExternType::Table(TableType::new(EXTERNREF, 1, None)),
    );
    check(
        &engine,
        "(table 3 funcref)",
        |store, linker| {
            let t = ok(
                Table::new(
                    &mut *store,
                    TableType::new(FUNCREF, 2, None),
                    Val::FuncRef(None),
                ),
                "table",
            );
            ok(linker.define(store, "env", "x", t), "env.x");
        },
        ExternType::Table(TableType::new(FUNCREF, 3, None)),
        ExternType::Table(TableType::new(FUNCREF, 2, None)),
    );
    check(
        &engine,
        "(func)",
        |store, linker| {
            let g = ok(
                Global::new(
                    &mut *store,
                    GlobalType::new(I32, Mutability::Const),
                    Val::I32(1),
                ),
                "global",
            );
            ok(linker.define(store, "env", "x", g), "env.x");
        },
        ExternType::Func(fty([], [])),
        ExternType::Global(GlobalType::new(I32, Mutability::Const)),
    );
}

/// Defining the same name twice is `LinkError::Duplicate` unless shadowing is
/// allowed, in which case the later definition wins.
pub fn link_duplicate_definitions<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(
        &engine,
        r#"(module (import "env" "f" (func $f (result i32))) (func (export "run") (result i32) call $f))"#,
    );
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap("env", "f", |_: Caller<'_, E, ()>| -> Result<i32> { Ok(1) }),
        "first env.f",
    );
    let e = err(
        linker
            .func_wrap("env", "f", |_: Caller<'_, E, ()>| -> Result<i32> { Ok(2) })
            .map(|_| ()),
        "second env.f",
    );
    expect_link_error(
        &e,
        &LinkError::Duplicate {
            module: "env".into(),
            name: "f".into(),
        },
        "second env.f",
    );
    let g = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(0),
        ),
        "global",
    );
    ok(linker.define(&store, "env", "g", g), "first env.g");
    assert_err!(
        linker.define(&store, "env", "g", g).map(|_| ()),
        Error::Link(ref link) if matches!(**link, LinkError::Duplicate { .. }),
        "second env.g"
    );

    // Without shadowing the first definition stays.
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let run = instance.typed_func::<(), i32>(&mut store, "run");
    assert_eq!(
        ok(run.call(&mut store, ()), "run"),
        1,
        "a refused duplicate replaced the first definition"
    );

    linker.allow_shadowing(true);
    ok(
        linker.func_wrap("env", "f", |_: Caller<'_, E, ()>| -> Result<i32> { Ok(2) }),
        "shadowing env.f",
    );
    let instance = ok(
        linker.instantiate(&mut store, &module),
        "instantiating after shadowing",
    );
    let run = instance.typed_func::<(), i32>(&mut store, "run");
    assert_eq!(
        ok(run.call(&mut store, ()), "run"),
        2,
        "the shadowing definition is not used"
    );
}

pub(super) const START_WAT: &str = r#"
(module
  (import "host" "hit" (func $hit (param i32)))
  (global (export "g") (mut i32) (i32.const 0))
  (func $start i32.const 7 call $hit i32.const 42 global.set 0)
  (start $start))
"#;

/// The start function runs once per instantiation, before the instance is
/// returned (it calls a host import and sets a global); a trapping start
/// function makes instantiation fail with that trap.
pub fn start_function<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, START_WAT);
    assert!(module.info().has_start);
    let mut store = Store::new(&engine, Vec::<i32>::new());
    let mut linker = Linker::<E, Vec<i32>>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "hit",
            |mut c: Caller<'_, E, Vec<i32>>, x: i32| -> Result<()> {
                c.data_mut().push(x);
                Ok(())
            },
        ),
        "host.hit",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    assert_eq!(
        store.data(),
        &[7],
        "the start function did not call the host exactly once"
    );
    let g = instance.get_global(&mut store, "g").expect("export g");
    assert_eq!(
        g.get(&mut store),
        Val::I32(42),
        "the start function did not set the global"
    );
    ok(
        linker.instantiate(&mut store, &module),
        "instantiating again",
    );
    assert_eq!(
        store.data(),
        &[7, 7],
        "the start function runs once per instantiation"
    );

    let trapping = compile(&engine, "(module (func $s unreachable) (start $s))");
    let mut store = Store::new(&engine, ());
    expect_trap(
        Instance::new(&mut store, &trapping, &[]),
        TrapCode::Unreachable,
        "trapping start function",
    );
}

pub(super) const ORDERED_IMPORTS_WAT: &str = r#"
(module
  (import "x" "add" (func $add (param i32 i32) (result i32)))
  (import "y" "mem" (memory 1))
  (import "z" "g" (global $g i32))
  (func (export "run") (result i32) global.get $g i32.const 0 i32.load call $add))
"#;

/// `Instance::new` takes imports in the module's order, also when the module
/// does not group them by kind; the wrong count is `Error::Type` and an item
/// of the wrong type is `LinkError::Incompatible` naming the import.
pub fn instance_new_ordered_imports<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, ORDERED_IMPORTS_WAT);
    let mut store = Store::new(&engine, ());
    let add = ok(
        Func::wrap(
            &mut store,
            |_: Caller<'_, E, ()>, a: i32, b: i32| -> Result<i32> { Ok(a.wrapping_add(b)) },
        ),
        "Func::wrap",
    );
    let mem = ok(
        Memory::new(&mut store, MemoryType::new(1, None)),
        "Memory::new",
    );
    ok(
        mem.write(&mut store, 0, &30_i32.to_le_bytes()),
        "memory.write",
    );
    let g = ok(
        Global::new(
            &mut store,
            GlobalType::new(I32, Mutability::Const),
            Val::I32(12),
        ),
        "Global::new",
    );

    let instance = ok(
        Instance::new(&mut store, &module, &[add.into(), mem.into(), g.into()]),
        "Instance::new",
    );
    let run = instance.typed_func::<(), i32>(&mut store, "run");
    assert_eq!(ok(run.call(&mut store, ()), "run"), 42);

    assert_err!(
        Instance::new(&mut store, &module, &[add.into(), mem.into()]),
        Error::Type(_),
        "too few imports"
    );
    assert_err!(
        Instance::new(
            &mut store,
            &module,
            &[add.into(), mem.into(), g.into(), g.into()]
        ),
        Error::Type(_),
        "too many imports"
    );
    let e = err(
        Instance::new(&mut store, &module, &[mem.into(), add.into(), g.into()]),
        "imports out of order",
    );
    expect_link_error(
        &e,
        &LinkError::Incompatible {
            module: "x".into(),
            name: "add".into(),
            expected: ExternType::Func(fty([I32, I32], [I32])),
            found: ExternType::Memory(MemoryType::new(1, None)),
        },
        "imports out of order",
    );

    // Imports not grouped by kind (a global before a table, a memory before
    // a function): still the declaration order, on every backend.
    let module = compile(&engine, UNGROUPED_IMPORTS_WAT);
    let f = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>, x: i32| -> Result<i32> {
            Ok(x * 10)
        }),
        "Func::wrap",
    );
    let g1 = ok(
        Global::new(
            &mut store,
            GlobalType::new(I32, Mutability::Const),
            Val::I32(5),
        ),
        "Global::new",
    );
    let g2 = ok(
        Global::new(
            &mut store,
            GlobalType::new(I64, Mutability::Var),
            Val::I64(1000),
        ),
        "Global::new",
    );
    let t = ok(
        Table::new(
            &mut store,
            TableType::new(FUNCREF, 2, None),
            Val::FuncRef(None),
        ),
        "Table::new",
    );
    let m = ok(
        Memory::new(&mut store, MemoryType::new(1, None)),
        "Memory::new",
    );
    let instance = ok(
        Instance::new(
            &mut store,
            &module,
            &[g1.into(), t.into(), m.into(), f.into(), g2.into()],
        ),
        "Instance::new with ungrouped imports",
    );
    let run = instance.typed_func::<(), i64>(&mut store, "run");
    assert_eq!(ok(run.call(&mut store, ()), "run"), 50 + 1000 + 2);
}

pub(super) const UNGROUPED_IMPORTS_WAT: &str = r#"
(module
  (import "h" "g1" (global $g1 i32))
  (import "h" "t" (table $t 2 funcref))
  (import "h" "m" (memory 1))
  (import "h" "f" (func $f (param i32) (result i32)))
  (import "h" "g2" (global $g2 (mut i64)))
  (func (export "run") (result i64)
    (i32.store (i32.const 0) (call $f (global.get $g1)))
    (i64.add
      (i64.extend_i32_u (i32.load (i32.const 0)))
      (i64.add (global.get $g2) (i64.extend_i32_u (table.size $t))))))
"#;

pub(super) const EXPORTS_WAT: &str = r#"
(module
  (func $f1 (export "f1"))
  (memory (export "mem") 1)
  (global (export "glob") i32 (i32.const 3))
  (table (export "tab") 1 funcref)
  (func $f2 (export "f2") (result i32) i32.const 2)
  (export "f2_alias" (func $f2)))
"#;

/// Export keys (`Module::export_key`, `Instance::get_export_by_key`): a
/// key found once gives the export of every instance of its module, in two
/// stores; with an instance of another module it gives that module's export
/// of the same name; a name the module does not export has no key.
pub fn export_keys<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, EXPORTS_WAT);
    let other = compile(
        &engine,
        r#"(module (func (export "f2") (result i32) i32.const 9))"#,
    );
    assert!(module.export_key("nope").is_none());
    let f2 = module.export_key("f2").expect("a key for f2");
    assert_eq!(f2.name(), "f2");
    let glob = module.export_key("glob").expect("a key for glob");
    let result = |store: &mut Store<E, ()>, item: Option<wasm_run_api::Extern<E>>| {
        let f = item.and_then(|x| x.into_func()).expect("a function");
        let mut out = [Val::I32(0)];
        ok(f.call(&mut *store, &[], &mut out), "call");
        out[0].i32()
    };
    for _ in 0..2 {
        let mut store = Store::new(&engine, ());
        let a = instantiate(&mut store, &module);
        let b = instantiate(&mut store, &module);
        for instance in [&a, &b] {
            let item = instance.get_export_by_key(&mut store, &f2);
            assert_eq!(result(&mut store, item), Some(2));
            let g = instance.get_export_by_key(&mut store, &glob);
            let g = g.and_then(|x| x.into_global()).expect("a global");
            assert_eq!(g.get(&mut store).i32(), Some(3));
        }
        let c = instantiate(&mut store, &other);
        let item = c.get_export_by_key(&mut store, &f2);
        assert_eq!(result(&mut store, item), Some(9), "another module's f2");
        assert!(c.get_export_by_key(&mut store, &glob).is_none());
    }
}

/// `Instance::exports` lists every export by name in declaration order with
/// the right kind and type; the typed getters find the right kinds and answer
/// `None`/`Error::Type` for the wrong kind or a missing name; one function
/// exported twice is callable under both names.
pub fn instance_exports_listing<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, EXPORTS_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);

    let listed = instance.exports(&mut store);
    let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["f1", "mem", "glob", "tab", "f2", "f2_alias"]);
    let kinds: Vec<&str> = listed.iter().map(|(_, x)| x.ty(&store).kind()).collect();
    assert_eq!(kinds, ["func", "memory", "global", "table", "func", "func"]);
    for ((name, item), declared) in listed.iter().zip(module.exports()) {
        assert_eq!(name, &declared.name);
        assert_eq!(
            item.ty(&store),
            declared.ty,
            "runtime type of export {name}"
        );
    }
    assert_eq!(instance.export_types(), module.exports());

    assert!(instance.get_memory(&mut store, "mem").is_some());
    assert!(instance.get_global(&mut store, "glob").is_some());
    assert!(instance.get_table(&mut store, "tab").is_some());
    assert!(
        instance.get_memory(&mut store, "f1").is_none(),
        "a function is not a memory"
    );
    assert!(
        instance.get_global(&mut store, "mem").is_none(),
        "a memory is not a global"
    );
    assert!(
        instance.get_table(&mut store, "glob").is_none(),
        "a global is not a table"
    );
    assert!(instance.get_export(&mut store, "nope").is_none());
    assert_err!(
        instance.get_func(&mut store, "mem"),
        Error::Type(_),
        "get_func on a memory"
    );
    assert_err!(
        instance.get_func(&mut store, "nope"),
        Error::MissingExport(_),
        "get_func on a missing export"
    );
    assert_err!(
        instance.get_typed_func::<(), i32>(&mut store, "nope"),
        Error::MissingExport(_),
        "get_typed_func on a missing export"
    );

    for name in ["f2", "f2_alias"] {
        let f = instance.typed_func::<(), i32>(&mut store, name);
        assert_eq!(ok(f.call(&mut store, ()), name), 2);
    }
    let f1 = instance.typed_func::<(), ()>(&mut store, "f1");
    ok(f1.call(&mut store, ()), "f1");
}

pub(super) const PRE_WAT: &str = r#"
(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (global $g (mut i32) (i32.const 0))
  (func (export "run") (param i32) (result i32)
    (global.set $g (call $add (global.get $g) (local.get 0)))
    (global.get $g)))
"#;

/// `Linker::instantiate_pre` resolves imports once; the `InstancePre` makes
/// independent instances in many stores (each with its own state and host
/// data), and keeps working after the linker changes. A missing import is
/// `LinkError::Missing` and a mistyped one `LinkError::Incompatible` at
/// `instantiate_pre`, on every backend; a linker holding another store's
/// item gives an `InstancePre` that refuses other stores with `WrongStore`.
pub fn instance_pre<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, PRE_WAT);
    let mut linker = Linker::<E, i32>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "add",
            |mut c: Caller<'_, E, i32>, a: i32, b: i32| {
                *c.data_mut() += 1;
                Ok(a + b)
            },
        ),
        "define host.add",
    );
    let pre = ok(linker.instantiate_pre(&module), "instantiate_pre");
    let pre2 = pre.clone();
    // Later changes to the linker do not matter.
    linker.allow_shadowing(true);
    ok(
        linker.func_wrap("host", "add", |_: Caller<'_, E, i32>, _: i32, _: i32| {
            Ok(-1)
        }),
        "redefine host.add",
    );
    let mut stores: Vec<Store<E, i32>> = (0..3).map(|_| Store::new(&engine, 0)).collect();
    for (i, store) in stores.iter_mut().enumerate() {
        let p = if i % 2 == 0 { &pre } else { &pre2 };
        let instance = ok(p.instantiate(store), "InstancePre::instantiate");
        let run = ok(
            instance.get_typed_func::<i32, i32>(&mut *store, "run"),
            "run",
        );
        assert_eq!(ok(run.call(&mut *store, 5), "run(5)"), 5);
        assert_eq!(ok(run.call(&mut *store, i as i32), "run(i)"), 5 + i as i32);
        assert_eq!(*store.data(), 2, "host state of store {i}");
    }
    // Two instances in one store are independent too.
    let again = ok(pre.instantiate(&mut stores[0]), "second instance");
    let run = ok(
        again.get_typed_func::<i32, i32>(&mut stores[0], "run"),
        "run",
    );
    assert_eq!(ok(run.call(&mut stores[0], 1), "run(1)"), 1);

    let empty = Linker::<E, i32>::new(&engine);
    let e = err(
        empty.instantiate_pre(&module),
        "instantiate_pre without host.add",
    );
    assert!(
        matches!(e, Error::Link(ref l) if matches!(**l, LinkError::Missing { .. })),
        "missing import: {e}"
    );
    let mut wrong = Linker::<E, i32>::new(&engine);
    ok(
        wrong.func_wrap("host", "add", |_: Caller<'_, E, i32>, a: i64| Ok(a)),
        "define a mistyped host.add",
    );
    let e = err(
        wrong.instantiate_pre(&module),
        "instantiate_pre with a mistyped host.add",
    );
    assert!(
        matches!(e, Error::Link(ref l) if matches!(**l, LinkError::Incompatible { .. })),
        "mistyped import: {e}"
    );

    // A linker with a store's own item serves only that store.
    let importer = compile(&engine, r#"(module (import "env" "g" (global i32)))"#);
    let mut owner = Store::new(&engine, 0);
    let g = ok(
        wasm_run_api::Global::new(
            &mut owner,
            wasm_run_api::GlobalType::new(ValType::I32, wasm_run_api::Mutability::Const),
            Val::I32(7),
        ),
        "Global::new",
    );
    let mut with_item = Linker::<E, i32>::new(&engine);
    ok(with_item.define(&owner, "env", "g", g), "define env.g");
    let pre = ok(with_item.instantiate_pre(&importer), "instantiate_pre");
    ok(pre.instantiate(&mut owner), "instantiate in the owner");
    assert!(
        matches!(pre.instantiate(&mut stores[1]), Err(Error::WrongStore)),
        "an InstancePre with another store's item"
    );
}
