"""Type stubs of wasm-run's native module (re-exported by `wasm_run`)."""

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

BACKENDS: List[str]

class WasmRunError(Exception):
    """Every error of wasm-run."""

class CompileError(WasmRunError):
    """A module that is malformed, invalid or not WebAssembly."""

class LinkError(WasmRunError):
    """Imports that could not be resolved (missing or of the wrong type)."""

class Trap(WasmRunError):
    """The guest trapped; `code` names the trap."""

    code: str

class ExitError(WasmRunError):
    """A WASI program exited with `status`."""

    status: int

class Unsupported(WasmRunError):
    """The engine cannot do what was asked."""

    feature: str
    engine: str

class Engine:
    """A WebAssembly engine: one of the backends of this build, by name."""

    def __init__(
        self,
        name: Optional[str] = None,
        *,
        fuel: bool = False,
        interruptible: bool = True,
        features: Optional[Mapping[str, bool]] = None,
        max_wasm_stack: Optional[int] = None,
        max_memory_bytes: Optional[int] = None,
        max_table_elements: Optional[int] = None,
        max_instances: Optional[int] = None,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    def enabled(self, feature_name: str) -> bool: ...

class FuncType:
    """A function type: value type names of the parameters and results."""

    params: List[str]
    results: List[str]
    def __init__(self, params: Sequence[str], results: Sequence[str]) -> None: ...

class MemoryType:
    """A memory type (sizes in pages of 64 KiB)."""

    minimum: int
    maximum: Optional[int]
    shared: bool
    memory64: bool

class GlobalType:
    """A global type."""

    content: str
    mutable: bool

class TableType:
    """A table type."""

    element: str
    minimum: int
    maximum: Optional[int]

ExternType = Union[FuncType, MemoryType, GlobalType, TableType, str]

class ImportType:
    """One import of a module."""

    module: str
    name: str
    type: ExternType

class ExportType:
    """One export of a module."""

    name: str
    type: ExternType

class Module:
    """A compiled module."""

    def __init__(self, engine: Engine, wasm: Union[bytes, str]) -> None: ...
    @staticmethod
    def validate(engine: Engine, wasm: Union[bytes, str]) -> bool: ...
    @property
    def imports(self) -> List[ImportType]: ...
    @property
    def exports(self) -> List[ExportType]: ...

class InterruptHandle:
    """Interrupts calls running in a store, from any thread."""

    def interrupt(self) -> None: ...

class WasiConfig:
    """What a WASI program sees."""

    def __init__(
        self,
        args: Optional[Sequence[str]] = None,
        env: Optional[Mapping[str, str]] = None,
        stdin: Optional[bytes] = None,
        stdout: Union[None, str, Callable[[bytes], Any]] = None,
        stderr: Union[None, str, Callable[[bytes], Any]] = None,
        preopens: Optional[Sequence[Union[Tuple[str, str], Tuple[str, str, str]]]] = None,
        inherit_env: bool = False,
    ) -> None: ...
    def preopen_dir(self, host_dir: str, guest_path: str, read_only: bool = False) -> None: ...
    @property
    def stdout_bytes(self) -> bytes: ...
    @property
    def stderr_bytes(self) -> bytes: ...

class Store:
    """Instances and their memories, fuel, deadline; one thread at a time."""

    def __init__(self, engine: Engine, data: Any = None) -> None: ...
    @property
    def data(self) -> Any: ...
    @property
    def fuel(self) -> int: ...
    @fuel.setter
    def fuel(self, fuel: int) -> None: ...
    def set_deadline(self, seconds: float) -> None: ...
    def clear_deadline(self) -> None: ...
    def interrupt_handle(self) -> InterruptHandle: ...
    def set_wasi(self, config: WasiConfig) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

class Caller:
    """The caller of a host function (valid while it runs)."""

    @property
    def data(self) -> Any: ...
    @property
    def fuel(self) -> int: ...
    @fuel.setter
    def fuel(self, fuel: int) -> None: ...
    def get(self, name: str) -> Optional[Extern]: ...

Context = Union[Store, Caller]

class F32Bits:
    """The exact bits of an f32."""

    bits: int
    def __init__(self, bits: int) -> None: ...

class F64Bits:
    """The exact bits of an f64."""

    bits: int
    def __init__(self, bits: int) -> None: ...

Value = Union[int, float, F32Bits, F64Bits, "Func", None, Any]

class Func:
    """A function: an export, or a host function."""

    def __init__(
        self, store: Store, ty: FuncType, func: Callable[..., Any], access_caller: bool = False
    ) -> None: ...
    @property
    def type(self) -> FuncType: ...
    def __call__(self, store: Context, *args: Value) -> Any: ...

class Memory:
    """A linear memory."""

    def __init__(self, store: Store, minimum: int, maximum: Optional[int] = None) -> None: ...
    def type(self, store: Context) -> MemoryType: ...
    def size(self, store: Context) -> int: ...
    def data_len(self, store: Context) -> int: ...
    def grow(self, store: Context, delta: int) -> int: ...
    def read(self, store: Context, start: int = 0, stop: Optional[int] = None) -> bytes: ...
    def write(self, store: Context, value: bytes, start: int = 0) -> int: ...
    def view(self, store: Store) -> memoryview: ...

class Global:
    """A global."""

    def __init__(self, store: Store, content: str, value: Value, mutable: bool = False) -> None: ...
    def type(self, store: Context) -> GlobalType: ...
    def value(self, store: Context) -> Any: ...
    def set_value(self, store: Context, value: Value) -> None: ...

class Table:
    """A table of references."""

    def __init__(
        self,
        store: Store,
        element: str,
        minimum: int,
        maximum: Optional[int] = None,
        init: Value = None,
    ) -> None: ...
    def type(self, store: Context) -> TableType: ...
    def size(self, store: Context) -> int: ...
    def get(self, store: Context, index: int) -> Any: ...
    def set(self, store: Context, index: int, value: Value) -> None: ...
    def grow(self, store: Context, delta: int, init: Value = None) -> int: ...

Extern = Union[Func, Memory, Global, Table]

class Instance:
    """An instance of a module in a store."""

    def exports(self, store: Context) -> Dict[str, Extern]: ...
    def get(self, store: Context, name: str) -> Optional[Extern]: ...

class Linker:
    """Defines imports and instantiates modules."""

    def __init__(self, engine: Engine) -> None: ...
    def define_func(
        self,
        module: str,
        name: str,
        params: Sequence[str],
        results: Sequence[str],
        func: Callable[..., Any],
        *,
        access_caller: bool = False,
    ) -> None: ...
    def define(self, store: Store, module: str, name: str, item: Extern) -> None: ...
    def define_instance(self, store: Store, name: str, instance: Instance) -> None: ...
    def define_wasi(self) -> None: ...
    def instantiate(self, store: Store, module: Module) -> Instance: ...

class Component:
    """A component (binary or WAT text)."""

    def __init__(self, engine: Engine, wasm: Union[bytes, str]) -> None: ...
    @property
    def world(self) -> str: ...
    @property
    def exports(self) -> List[Tuple[str, str]]: ...

class ComponentFunc:
    """An exported component function."""

    @property
    def type(self) -> str: ...
    def __call__(self, store: Store, *args: Any) -> Any: ...

class ComponentInstance:
    """An instance of a component."""

    def get_func(self, name: str) -> Optional[ComponentFunc]: ...

class ComponentLinker:
    """Instantiates components."""

    def __init__(self, engine: Engine) -> None: ...
    def define_func(self, name: str, func: Callable[..., Any]) -> None: ...
    def define_wasi(self) -> None: ...
    def instantiate(self, store: Store, component: Component) -> ComponentInstance: ...

class Ok:
    """The ok case of a WIT result."""

    value: Any
    def __init__(self, value: Any = None) -> None: ...

class Err:
    """The err case of a WIT result."""

    value: Any
    def __init__(self, value: Any = None) -> None: ...

class Variant:
    """A case of a WIT variant."""

    case: str
    value: Any
    def __init__(self, case: str, value: Any = None) -> None: ...

class Resource:
    """A resource handle a component returned."""

def run_wasi(
    wasm: Union[bytes, str],
    args: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    stdin: Optional[bytes] = None,
    engine: Optional[Engine] = None,
    preopens: Optional[Sequence[Union[Tuple[str, str], Tuple[str, str, str]]]] = None,
    fuel: Optional[int] = None,
    timeout: Optional[float] = None,
) -> Tuple[int, bytes, bytes]: ...
