"""wasm-run for Python: WebAssembly on several engines behind one API.

>>> import wasm_run
>>> engine = wasm_run.Engine("wasmi")
>>> module = wasm_run.Module(engine, '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
>>> store = wasm_run.Store(engine)
>>> instance = wasm_run.Linker(engine).instantiate(store, module)
>>> instance.exports(store)["add"](store, 40, 2)
42
"""

from ._native import (  # noqa: F401
    BACKENDS,
    Caller,
    CompileError,
    Engine,
    ExitError,
    ExportType,
    F32Bits,
    F64Bits,
    Func,
    FuncType,
    Global,
    GlobalType,
    ImportType,
    Instance,
    InterruptHandle,
    Linker,
    LinkError,
    Memory,
    MemoryType,
    Module,
    Store,
    Table,
    TableType,
    Trap,
    Unsupported,
    WasiConfig,
    WasmRunError,
    run_wasi,
)

__all__ = [
    "BACKENDS",
    "Caller",
    "CompileError",
    "Engine",
    "ExitError",
    "ExportType",
    "F32Bits",
    "F64Bits",
    "Func",
    "FuncType",
    "Global",
    "GlobalType",
    "ImportType",
    "Instance",
    "InterruptHandle",
    "Linker",
    "LinkError",
    "Memory",
    "MemoryType",
    "Module",
    "Store",
    "Table",
    "TableType",
    "Trap",
    "Unsupported",
    "WasiConfig",
    "WasmRunError",
    "run_wasi",
]
