//! The `spectest` host module of the spec interpreter.

use wasm_run_api::{
    Caller, Engine, Global, GlobalType, HeapType, Linker, Memory, MemoryType, Mutability, RefType,
    Result, SharedMemory, Store, Table, TableType, Val, ValType,
};

/// Defines the `spectest` module of the spec interpreter in `linker`, with
/// its memories, table and globals owned by `store`, and `wasmtime.gc` (a
/// no-op here) for scripts of wasmtime's own suite.
///
/// `shared_memory` is defined only where the backend can create shared
/// memories through the API; the items left out are returned with the reason.
pub fn define_spectest<E: Engine>(
    store: &mut Store<E, ()>,
    linker: &mut Linker<E, ()>,
) -> Result<Vec<(String, String)>> {
    const M: &str = "spectest";
    linker.func_wrap(M, "print", |_: Caller<'_, E, ()>| -> Result<()> { Ok(()) })?;
    linker.func_wrap(
        M,
        "print_i32",
        |_: Caller<'_, E, ()>, _: i32| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_i64",
        |_: Caller<'_, E, ()>, _: i64| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_f32",
        |_: Caller<'_, E, ()>, _: f32| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_f64",
        |_: Caller<'_, E, ()>, _: f64| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_i32_f32",
        |_: Caller<'_, E, ()>, _: i32, _: f32| -> Result<()> { Ok(()) },
    )?;
    linker.func_wrap(
        M,
        "print_f64_f64",
        |_: Caller<'_, E, ()>, _: f64, _: f64| -> Result<()> { Ok(()) },
    )?;

    let globals: [(&str, ValType, Val<E>); 4] = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::f32(666.6)),
        ("global_f64", ValType::F64, Val::f64(666.6)),
    ];
    for (name, ty, val) in globals {
        let g = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), val)?;
        linker.define(store, M, name, g)?;
    }

    let funcref = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    let table = Table::new(
        &mut *store,
        TableType::new(funcref, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define(store, M, "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(store, M, "memory", memory)?;

    // wasmtime's own test suite imports `wasmtime.gc` to force a collection
    // between steps. The API has no explicit collection, so here it does
    // nothing: such scripts still check every result, but no collection is
    // forced at that point.
    linker.func_wrap("wasmtime", "gc", |_: Caller<'_, E, ()>| -> Result<()> {
        Ok(())
    })?;

    let shared = MemoryType {
        shared: true,
        ..MemoryType::new(1, Some(2))
    };
    let mut missing = Vec::new();
    let engine = store.engine().clone();
    match SharedMemory::new(&engine, shared) {
        Ok(m) => {
            linker.define(store, M, "shared_memory", m)?;
        }
        Err(e) => missing.push((
            "shared_memory".to_string(),
            format!("spectest shared_memory cannot be created through the API: {e}"),
        )),
    }
    Ok(missing)
}
