"""The package as a user meets it, on every engine of the build."""

import pathlib
import threading
import time

import pytest

import wasm_run

ROOT = pathlib.Path(__file__).resolve().parents[2]

ADD = """(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "wide") (param i64 f32 f64) (result i64 f32 f64)
    local.get 0 local.get 1 local.get 2)
  (func (export "boom") unreachable)
  (func (export "spin") (loop $l br $l))
  (memory (export "memory") 1))"""


@pytest.fixture(params=wasm_run.BACKENDS)
def engine(request):
    return wasm_run.Engine(request.param)


def instantiate(engine, wat=ADD, linker=None):
    store = wasm_run.Store(engine)
    linker = linker or wasm_run.Linker(engine)
    instance = linker.instantiate(store, wasm_run.Module(engine, wat))
    return store, instance.exports(store)


def test_every_backend_is_there():
    assert {"wasmtime", "wasmi", "tinywasm"} <= set(wasm_run.BACKENDS)
    assert wasm_run.Engine().name == wasm_run.BACKENDS[0]


def test_calls_convert_values(engine):
    store, exports = instantiate(engine)
    assert exports["add"](store, 40, 2) == 42
    # i32 accepts the unsigned range and answers signed.
    assert exports["add"](store, 0xFFFFFFFF, 0) == -1
    i, f, d = exports["wide"](store, -(2**63), 1.5, 2.25)
    assert (i, f, d) == (-(2**63), 1.5, 2.25)
    with pytest.raises(OverflowError):
        exports["add"](store, 2**32, 0)
    with pytest.raises(TypeError):
        exports["add"](store, 1)


def test_module_reflection(engine):
    module = wasm_run.Module(engine, ADD)
    names = [e.name for e in module.exports]
    assert names == ["add", "wide", "boom", "spin", "memory"]
    assert module.exports[0].type == wasm_run.FuncType(["i32", "i32"], ["i32"])
    assert module.exports[1].type.results == ["i64", "f32", "f64"]
    assert module.exports[4].type.minimum == 1
    assert module.exports[4].type.maximum is None
    assert module.imports == []
    imports = wasm_run.Module(
        engine,
        """(module (import "a" "f" (func (param i64)))
                   (import "a" "g" (global (mut f32)))
                   (import "a" "t" (table 2 10 funcref)))""",
    ).imports
    assert [(i.module, i.name) for i in imports] == [("a", "f"), ("a", "g"), ("a", "t")]
    assert imports[0].type.params == ["i64"]
    assert (imports[1].type.content, imports[1].type.mutable) == ("f32", True)
    assert (imports[2].type.element, imports[2].type.minimum, imports[2].type.maximum) == ("funcref", 2, 10)


def test_errors_are_typed(engine):
    with pytest.raises(wasm_run.CompileError):
        wasm_run.Module(engine, b"\x00asm\x01\x00\x00\x00\xff")
    store, exports = instantiate(engine)
    with pytest.raises(wasm_run.Trap) as trap:
        exports["boom"](store)
    assert trap.value.code == "unreachable"
    assert isinstance(trap.value, wasm_run.WasmRunError)
    imports = wasm_run.Module(engine, '(module (import "host" "f" (func)))')
    with pytest.raises(wasm_run.LinkError):
        wasm_run.Linker(engine).instantiate(wasm_run.Store(engine), imports)


def test_host_functions_and_their_exceptions(engine):
    linker = wasm_run.Linker(engine)
    seen = []

    def double(x):
        seen.append(x)
        return x * 2

    def fail(x):
        raise ValueError(f"no {x}")

    linker.define_func("host", "double", ["i32"], ["i32"], double)
    linker.define_func("host", "fail", ["i32"], [], fail)
    wat = """(module
      (import "host" "double" (func $d (param i32) (result i32)))
      (import "host" "fail" (func $f (param i32)))
      (func (export "run") (param i32) (result i32) local.get 0 call $d)
      (func (export "bad") i32.const 7 call $f))"""
    store, exports = instantiate(engine, wat, linker)
    assert exports["run"](store, 21) == 42
    assert seen == [21]
    with pytest.raises(wasm_run.WasmRunError) as err:
        exports["bad"](store)
    assert isinstance(err.value.__cause__, ValueError)
    assert str(err.value.__cause__) == "no 7"


def test_memory_read_write(engine):
    store, exports = instantiate(engine)
    memory = exports["memory"]
    assert memory.data_len(store) == 65536
    assert memory.write(store, b"hello", 100) == 5
    assert memory.read(store, 100, 105) == b"hello"
    assert len(memory.read(store)) == 65536
    with pytest.raises(IndexError):
        memory.read(store, 65534, 65539)
    with pytest.raises(IndexError):
        memory.write(store, b"hello", 65534)
    assert memory.size(store) == 1
    assert memory.grow(store, 2) == 1
    assert memory.data_len(store) == 3 * 65536


def test_fuel(engine):
    fueled = wasm_run.Engine(engine.name, fuel=True)
    store, exports = instantiate(fueled)
    store.fuel = 10_000
    with pytest.raises(wasm_run.Trap) as trap:
        exports["spin"](store)
    assert trap.value.code == "out_of_fuel"


def test_deadline_stops_a_runaway_guest(engine):
    store, exports = instantiate(engine)
    store.set_deadline(0.05)
    start = time.monotonic()
    with pytest.raises(wasm_run.Trap) as trap:
        exports["spin"](store)
    assert trap.value.code == "deadline"
    assert time.monotonic() - start < 5


def test_interrupt_from_another_thread_and_the_gil_is_released(engine):
    store, exports = instantiate(engine)
    handle = store.interrupt_handle()
    ticks = []

    def other():
        # Runs while the guest spins: the GIL is not held by the call.
        for _ in range(5):
            ticks.append(1)
            time.sleep(0.01)
        # The store is busy: a clean error, not a race.
        try:
            store.fuel
        except wasm_run.WasmRunError as e:
            ticks.append(str(e))
        handle.interrupt()

    t = threading.Thread(target=other)
    t.start()
    with pytest.raises(wasm_run.Trap) as trap:
        exports["spin"](store)
    t.join()
    assert trap.value.code == "interrupt"
    assert ticks[:5] == [1] * 5
    assert "in use" in ticks[5]


def test_run_wasi_captures_output(engine):
    hello = (ROOT / "engine-conformance/fixtures/wasi/hello.wasm").read_bytes()
    status, out, err = wasm_run.run_wasi(hello, args=["hello"], engine=engine)
    assert status == 0
    assert out == b"Hello, world!\n"
    assert err == b"Hello, stderr!\n"
    exit_wasm = (ROOT / "engine-conformance/fixtures/wasi/exit.wasm").read_bytes()
    status, out, _ = wasm_run.run_wasi(exit_wasm, args=["exit", "42"], engine=engine)
    assert status == 42
    assert out == b"exiting with 42\n"
