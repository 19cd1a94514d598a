"""Type stubs of wasm-run's native module (re-exported by `wasm_run`)."""

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

BACKENDS: List[str]

class WasmRunError(Exception): ...
class CompileError(WasmRunError): ...
class LinkError(WasmRunError): ...

class Trap(WasmRunError):
    code: str

class ExitError(WasmRunError):
    status: int

class Unsupported(WasmRunError):
    feature: str
    engine: str

class Engine:
    def __init__(
        self,
        name: Optional[str] = None,
        *,
        fuel: bool = False,
        interruptible: bool = True,
        features: Optional[Mapping[str, bool]] = None,
        max_wasm_stack: Optional[int] = None,
        max_memory_bytes: Optional[int] = None,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    def enabled(self, feature_name: str) -> bool: ...

class Module:
    def __init__(self, engine: Engine, wasm: Union[bytes, str]) -> None: ...
    @property
    def imports(self) -> List[Tuple[str, str, str]]: ...
    @property
    def exports(self) -> List[Tuple[str, str]]: ...

class InterruptHandle:
    def interrupt(self) -> None: ...

class Store:
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

Value = Union[int, float]

class Func:
    def __call__(self, store: Store, *args: Value) -> Union[None, Value, Tuple[Value, ...]]: ...

class Memory:
    def read(self, store: Store, offset: int, length: int) -> bytes: ...
    def write(self, store: Store, offset: int, data: bytes) -> None: ...
    def data_len(self, store: Store) -> int: ...

class Instance:
    def exports(self, store: Store) -> Dict[str, Union[Func, Memory]]: ...

class Linker:
    def __init__(self, engine: Engine) -> None: ...
    def define_func(
        self,
        module: str,
        name: str,
        params: Sequence[str],
        results: Sequence[str],
        func: Callable[..., Any],
    ) -> None: ...
    def instantiate(self, store: Store, module: Module) -> Instance: ...

def run_wasi(
    wasm: Union[bytes, str],
    args: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    stdin: Optional[bytes] = None,
    engine: Optional[Engine] = None,
) -> Tuple[int, bytes, bytes]: ...
