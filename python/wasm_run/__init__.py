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
    Component,
    ComponentFunc,
    ComponentInstance,
    ComponentLinker,
    Engine,
    Err,
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
    Ok,
    Resource,
    run_wasi,
    Store,
    Table,
    TableType,
    Trap,
    Unsupported,
    Variant,
    WasiConfig,
    WasmRunError,
)


import hashlib as _hashlib
from typing import Any as _Any
from typing import Dict as _Dict
from typing import Optional as _Optional
from typing import Tuple as _Tuple
from typing import Union as _Union
import threading as _threading

_engines = {}
_modules = {}
_cache_lock = _threading.Lock()


def cached_module(
    wasm: _Union[bytes, str], engine: _Optional[str] = None, **config: _Any
) -> _Tuple[Engine, Module]:
    """The engine named `engine` (made with the keyword arguments `config`, as
    `Engine(engine, **config)`) and `wasm` (bytes or WAT text) compiled for it,
    made once per process and then reused.

    Meant for workers of distributed engines (Dask, Ray, multiprocessing):
    ship the module's bytes (handles cannot be pickled), and let each worker
    compile them once. Each task still makes its own `Store`.

    >>> engine, module = cached_module(b'(module (func (export "f")))', "wasmi")
    >>> cached_module(b'(module (func (export "f")))', "wasmi")[1] is module
    True
    """
    if isinstance(wasm, str):
        wasm = wasm.encode()
    engine_key = (engine, repr(sorted(config.items())))
    key = (engine_key, _hashlib.sha256(wasm).digest())
    with _cache_lock:
        found = _modules.get(key)
        if found is not None:
            return found
        made = _engines.get(engine_key)
        if made is None:
            made = _engines[engine_key] = Engine(engine, **config)
        found = _modules[key] = (made, Module(made, wasm))
        return found


def cache_info() -> _Dict[str, int]:
    """How many engines and modules `cached_module` holds in this process."""
    with _cache_lock:
        return {"engines": len(_engines), "modules": len(_modules)}


__all__ = [
    "BACKENDS",
    "cache_info",
    "cached_module",
    "Caller",
    "CompileError",
    "Component",
    "ComponentFunc",
    "ComponentInstance",
    "ComponentLinker",
    "Engine",
    "Err",
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
    "Ok",
    "Resource",
    "run_wasi",
    "Store",
    "Table",
    "TableType",
    "Trap",
    "Unsupported",
    "Variant",
    "WasiConfig",
    "WasmRunError",
]
