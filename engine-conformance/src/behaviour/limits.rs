//! Resource limits from `Config`: memory size, table elements, instances
//! per store and wasm stack size.

use wasm_run_api::{
    Config, Engine, Error, Feature, HeapType, Instance, Limits, Linker, Memory, MemoryType, Module,
    RefType, Result, Store, Table, TableType, TrapCode, Val,
};

use super::helpers::*;
use super::traps::RECURSION_WAT;

/// Builds an engine with resource limits, or checks that a backend without
/// `Feature::Limits` refuses them with `Unsupported` (returning `None`).
fn limited_engine<E: Engine>(make: &impl Fn(&Config) -> Result<E>, config: &Config) -> Option<E> {
    let base = default_engine(make);
    if base.support(Feature::Limits).is_supported() {
        Some(engine_with(make, config))
    } else {
        let e = err(make(config), "resource limits on a backend without Limits");
        expect_unsupported(&e, Feature::Limits, base.name(), "resource limits");
        None
    }
}

pub(super) const LIMIT_MEMORY_WAT: &str = r#"
(module
  (memory (export "memory") 1 10)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size))
"#;

/// `Config::max_memory_bytes(2 pages)`: `memory.grow` returns the old size up
/// to the limit and -1 beyond (the memory's own maximum being larger); the
/// host's `Memory::grow` is refused with `Error::ResourceLimit` (not `Access`,
/// which is for the memory's own maximum); the limit is per
/// memory; a module whose memory starts above the limit fails to instantiate
/// with `Error::ResourceLimit`.
pub fn limit_memory<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_memory_bytes(2 * 65536);
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    assert_eq!(
        engine.config().resource_limits().max_memory_bytes,
        Some(2 * 65536)
    );
    let module = compile(&engine, LIMIT_MEMORY_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let grow = instance.typed_func::<i32, i32>(&mut store, "grow");
    let size = instance.typed_func::<(), i32>(&mut store, "size");
    assert_eq!(
        ok(grow.call(&mut store, 1), "grow(1)"),
        1,
        "growing to the limit"
    );
    assert_eq!(
        ok(grow.call(&mut store, 1), "grow(1) past the limit"),
        -1,
        "growing past the limit"
    );
    assert_eq!(ok(size.call(&mut store, ()), "size"), 2);
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    assert_err!(
        memory.grow(&mut store, 1),
        Error::ResourceLimit(_),
        "host grow past the limit"
    );
    assert_eq!(memory.size(&store), 2);
    assert_eq!(ok(grow.call(&mut store, 0), "grow(0)"), 2);

    // Per memory: a second instance (in the same store) grows on its own.
    let second = instantiate(&mut store, &module);
    let grow2 = second.typed_func::<i32, i32>(&mut store, "grow");
    assert_eq!(
        ok(grow2.call(&mut store, 1), "second memory grow(1)"),
        1,
        "the limit is per memory"
    );

    let big = compile(&engine, "(module (memory 3))");
    expect_resource_limit(
        Instance::new(&mut store, &big, &[]),
        "a memory starting above the limit",
    );
    expect_resource_limit(
        Memory::new(&mut store, MemoryType::new(3, None)),
        "Memory::new above the limit",
    );
}

pub(super) const LIMIT_TABLE_WAT: &str = r#"
(module
  (table (export "table") 2 funcref)
  (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0)
  (func (export "size") (result i32) table.size 0))
"#;

/// `Config::max_table_elements(3)`: `table.grow` returns the old size up to
/// the limit and -1 beyond; the host's `Table::grow` is refused; a module
/// whose table starts above the limit fails with `Error::ResourceLimit`.
pub fn limit_table<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_table_elements(3);
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    let (mut store, instance) = instantiate_wat(&engine, LIMIT_TABLE_WAT);
    let grow = instance.typed_func::<i32, i32>(&mut store, "grow");
    let size = instance.typed_func::<(), i32>(&mut store, "size");
    assert_eq!(
        ok(grow.call(&mut store, 1), "table.grow(1)"),
        2,
        "growing to the limit"
    );
    assert_eq!(
        ok(grow.call(&mut store, 1), "table.grow(1) past the limit"),
        -1,
        "growing past the limit"
    );
    assert_eq!(ok(size.call(&mut store, ()), "size"), 3);
    let table = instance.get_table(&mut store, "table").expect("table");
    assert_err!(
        table.grow(&mut store, 1, Val::FuncRef(None)),
        Error::ResourceLimit(_),
        "host table grow past the limit"
    );
    assert_eq!(table.size(&store), 3);

    let big = compile(&engine, "(module (table 4 funcref))");
    expect_resource_limit(
        Instance::new(&mut store, &big, &[]),
        "a table starting above the limit",
    );
    expect_resource_limit(
        Table::new(
            &mut store,
            TableType::new(
                RefType {
                    nullable: true,
                    heap: HeapType::Func,
                },
                4,
                None,
            ),
            Val::FuncRef(None),
        ),
        "Table::new above the limit",
    );
}

/// `Limits::max_memories` and `max_tables` count the memories and tables
/// modules define in a store: an instantiation that would pass either is
/// `Error::ResourceLimit`, the store stays usable, and another store has its
/// own count.
pub fn limit_memory_and_table_counts<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.limits(Limits {
        max_memories: Some(2),
        max_tables: Some(1),
        ..Limits::default()
    });
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    let memory = compile(
        &engine,
        r#"(module (memory 1) (func (export "f") (result i32) i32.const 7))"#,
    );
    let table = compile(&engine, "(module (table 1 funcref))");
    let mut store = Store::new(&engine, ());
    let first = instantiate(&mut store, &memory);
    instantiate(&mut store, &memory);
    expect_resource_limit(
        Instance::new(&mut store, &memory, &[]),
        "a third memory with max_memories(2)",
    );
    instantiate(&mut store, &table);
    let linker = Linker::<E, ()>::new(&engine);
    expect_resource_limit(
        linker.instantiate(&mut store, &table),
        "a second table with max_tables(1)",
    );
    let f = first.typed_func::<(), i32>(&mut store, "f");
    assert_eq!(ok(f.call(&mut store, ()), "f() after the refusals"), 7);
    let mut other = Store::new(&engine, ());
    instantiate(&mut other, &memory);
    instantiate(&mut other, &table);
}

/// `Config::max_instances(2)`: the third instantiation in one store fails
/// with `Error::ResourceLimit`; another store starts from zero.
pub fn limit_instances<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_instances(2);
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    let module = compile(
        &engine,
        r#"(module (func (export "f") (result i32) i32.const 1))"#,
    );
    let mut store = Store::new(&engine, ());
    let first = instantiate(&mut store, &module);
    instantiate(&mut store, &module);
    expect_resource_limit(
        Instance::new(&mut store, &module, &[]),
        "a third instance with max_instances(2)",
    );
    let linker = Linker::<E, ()>::new(&engine);
    expect_resource_limit(
        linker.instantiate(&mut store, &module),
        "a third instance through the linker",
    );
    let f = first.typed_func::<(), i32>(&mut store, "f");
    assert_eq!(ok(f.call(&mut store, ()), "f() after the refusal"), 1);

    let mut other = Store::new(&engine, ());
    instantiate(&mut other, &module);
    instantiate(&mut other, &module);
}

/// `Config::max_wasm_stack(64 KiB)`: a 100 000-deep (finite) recursion traps
/// with `StackOverflow`, a shallow one still works, and the store stays
/// usable; an engine with an 8 MiB wasm stack can be made.
pub fn limit_wasm_stack<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_wasm_stack(64 * 1024);
    let engine = engine_with(&make, &config);
    assert_eq!(engine.config().max_wasm_stack_bytes(), Some(64 * 1024));
    on_big_stack(|| {
        let (mut store, instance) = instantiate_wat(&engine, RECURSION_WAT);
        let depth = instance.typed_func::<i32, i32>(&mut store, "depth");
        assert_eq!(ok(depth.call(&mut store, 10), "depth(10)"), 10);
        expect_trap(
            depth.call(&mut store, 100_000),
            TrapCode::StackOverflow,
            "100000-deep recursion in 64 KiB",
        );
        assert_eq!(
            ok(depth.call(&mut store, 10), "depth(10) after the overflow"),
            10
        );
    });
    // A large wasm stack is allowed too (wasmtime needs its async fibers
    // made larger than it).
    let mut big = Config::new();
    big.max_wasm_stack(8 << 20);
    let engine = engine_with(&make, &big);
    assert_eq!(engine.config().max_wasm_stack_bytes(), Some(8 << 20));
}

pub(super) const ACKERMANN_WAT: &str = r#"
(module
  (func $ack (export "ack") (param $m i32) (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $m))
      (then (i32.add (local.get $n) (i32.const 1)))
      (else
        (if (result i32) (i32.eqz (local.get $n))
          (then (call $ack (i32.sub (local.get $m) (i32.const 1)) (i32.const 1)))
          (else
            (call $ack (i32.sub (local.get $m) (i32.const 1))
              (call $ack (local.get $m) (i32.sub (local.get $n) (i32.const 1))))))))))
"#;

/// Ordinary deep recursion runs on every backend's defaults: 5,000 frames of
/// a small recursive function and `ackermann(3, 7)` (about 1,000 frames
/// deep), which wasmi's own default of 1,000 frames would stop.
/// `Config::max_call_depth` limits the frames where the engine counts them
/// (`Feature::CallDepthLimit`: 200 frames trap at a limit of 100); an engine
/// without it (wasmtime counts stack bytes) ignores it, as documented.
pub fn deep_recursion_by_default<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    on_big_stack(|| {
        let (mut store, instance) = instantiate_wat(&engine, RECURSION_WAT);
        let depth = instance.typed_func::<i32, i32>(&mut store, "depth");
        assert_eq!(ok(depth.call(&mut store, 5_000), "depth(5000)"), 5_000);
        let (mut store, instance) = instantiate_wat(&engine, ACKERMANN_WAT);
        let ack = instance.typed_func::<(i32, i32), i32>(&mut store, "ack");
        assert_eq!(ok(ack.call(&mut store, (3, 7)), "ackermann(3, 7)"), 1021);
    });
    let mut config = Config::new();
    config.max_call_depth(100);
    let engine = engine_with(&make, &config);
    assert_eq!(engine.config().max_call_depth_frames(), Some(100));
    on_big_stack(|| {
        let (mut store, instance) = instantiate_wat(&engine, RECURSION_WAT);
        let depth = instance.typed_func::<i32, i32>(&mut store, "depth");
        assert_eq!(ok(depth.call(&mut store, 50), "depth(50)"), 50);
        let deep = depth.call(&mut store, 200);
        if !engine.features().contains(Feature::CallDepthLimit) {
            assert_eq!(ok(deep, "depth(200) without CallDepthLimit"), 200);
        } else {
            expect_trap(
                deep,
                TrapCode::StackOverflow,
                "200 frames at a limit of 100",
            );
        }
    });
}

/// `Config::pooling`: instances come from a pool with fixed totals. Up to
/// the total, instantiation works in separate stores; past it, it is
/// `Error::ResourceLimit` until a store holding an instance is dropped; a
/// memory above the pool's size fails to instantiate. Backends without a
/// pooling allocator refuse the config with `Unsupported`.
pub fn pooling_allocation<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let base = default_engine(&make);
    let mut config = Config::new();
    config.pooling(wasm_run_api::Pooling {
        total_instances: 4,
        total_memories: 4,
        total_tables: 4,
        max_memory_bytes: 1 << 20,
        max_table_elements: 100,
    });
    if !base.support(Feature::PoolingAllocation).is_supported() {
        let e = err(make(&config), "a pooling config");
        expect_unsupported(&e, Feature::PoolingAllocation, base.name(), "pooling");
        return;
    }
    let engine = engine_with(&make, &config);
    assert!(engine.features().contains(Feature::PoolingAllocation));
    let module = compile(
        &engine,
        r#"(module (memory 1) (table 1 funcref) (func (export "f") (result i32) i32.const 9))"#,
    );
    let mut stores = Vec::new();
    for i in 0..4 {
        let mut store = Store::new(&engine, ());
        let instance = ok(
            Instance::new(&mut store, &module, &[]),
            &format!("instance {i}"),
        );
        let f = instance.typed_func::<(), i32>(&mut store, "f");
        assert_eq!(ok(f.call(&mut store, ()), "f()"), 9);
        stores.push(store);
    }
    let mut fifth = Store::new(&engine, ());
    expect_resource_limit(
        Instance::new(&mut fifth, &module, &[]),
        "a fifth instance from a pool of four",
    );
    stores.pop();
    ok(
        Instance::new(&mut fifth, &module, &[]),
        "after a store was dropped",
    );
    // Refused when compiled (wasmtime checks modules against the pool) or
    // at the latest when instantiated.
    drop(stores);
    if let Ok(big) = Module::new(&engine, r#"(module (memory 32))"#) {
        let mut store = Store::new(&engine, ());
        assert!(
            Instance::new(&mut store, &big, &[]).is_err(),
            "a 2 MiB memory from a pool of 1 MiB memories"
        );
    }
}

/// A module that declares more than the machine can give is
/// `Error::ResourceLimit` on every backend, never an out-of-memory abort or a
/// link error, and the store stays usable:
///
/// - with the default configuration, a 32-bit table of 2^32 - 1 elements
///   (which the kernel's overcommit can appear to give, and filling it then
///   exhausts the machine) and one just above
///   [`Limits::DEFAULT_MAX_TABLE_ELEMENTS`] are refused by the default cap,
///   while a table of a million elements is fine;
/// - with the table cap lifted and no other limits, a table64 of 10^11
///   elements and a memory64 of 2^52 bytes fail to allocate and are mapped
///   to `ResourceLimit`.
pub fn huge_declarations_are_limit_errors<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let mut store = Store::new(&engine, ());
    let just_above = format!(
        "(module (table {} funcref))",
        Limits::DEFAULT_MAX_TABLE_ELEMENTS + 1
    );
    for wat in ["(module (table 4294967295 funcref))", just_above.as_str()] {
        let module = compile(&engine, wat);
        expect_resource_limit(Instance::new(&mut store, &module, &[]), wat);
    }
    let million = compile(&engine, "(module (table 1000000 funcref))");
    ok(
        Instance::new(&mut store, &million, &[]),
        "a table of a million elements under the default cap",
    );

    let mut unlimited = Config::new();
    unlimited.limits(Limits {
        max_table_elements: None,
        ..Limits::default()
    });
    let engine = engine_with(&make, &unlimited);
    let mut store = Store::new(&engine, ());
    for wat in [
        "(module (table i64 100000000000 funcref))",
        "(module (memory i64 0x1000000000))",
    ] {
        let module = compile(&engine, wat);
        expect_resource_limit(Instance::new(&mut store, &module, &[]), wat);
    }
    let fine = compile(&engine, "(module (table 10 funcref) (memory 1))");
    ok(
        Instance::new(&mut store, &fine, &[]),
        "a small module afterwards",
    );
}
