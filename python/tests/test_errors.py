"""Bad input gets a clear exception, never a crash; handles refuse pickling."""

import pickle

import pytest

import wasm_run


@pytest.fixture(params=wasm_run.BACKENDS)
def engine(request):
    return wasm_run.Engine(request.param)


WAT = """(module
  (func (export "add") (param i32 i64) (result i32) local.get 0)
  (func (export "boom") unreachable)
  (memory (export "memory") 1))"""


def instantiate(engine, wat=WAT, linker=None):
    store = wasm_run.Store(engine)
    linker = linker or wasm_run.Linker(engine)
    return store, linker.instantiate(store, wasm_run.Module(engine, wat)).exports(store)


def test_wrong_arguments_name_the_parameter(engine):
    store, ex = instantiate(engine)
    with pytest.raises(TypeError, match=r"takes 2 arguments \(i32, i64\), 1 given"):
        ex["add"](store, 1)
    with pytest.raises(TypeError, match="argument 2: expected an int"):
        ex["add"](store, 1, "two")
    with pytest.raises(OverflowError, match="argument 1"):
        ex["add"](store, -(2**31) - 1, 0)
    with pytest.raises(OverflowError, match="argument 2"):
        ex["add"](store, 0, 2**64)
    with pytest.raises(TypeError, match="Store or a Caller"):
        ex["add"](object(), 1, 2)


def test_malformed_modules_and_bad_names(engine):
    for bad in [b"", b"\x00asm", b"\x00asm\x01\x00\x00\x00\x01\xff", "(module (func (result i32)))", "(not wat"]:
        with pytest.raises(wasm_run.CompileError):
            wasm_run.Module(engine, bad)
        assert not wasm_run.Module.validate(engine, bad)
    with pytest.raises(TypeError):
        wasm_run.Module(engine, 42)
    with pytest.raises(wasm_run.WasmRunError):
        wasm_run.Engine("no-such-engine")
    with pytest.raises(ValueError):
        wasm_run.Engine(engine.name, features={"no-such-feature": True})
    with pytest.raises(ValueError):
        wasm_run.Linker(engine).define_func("a", "b", ["i33"], [], print)


def test_missing_and_mistyped_imports(engine):
    module = '(module (import "host" "f" (func (param i32))) (func (export "run") i32.const 1 call 0))'
    with pytest.raises(wasm_run.LinkError, match="host"):
        instantiate(engine, module)
    linker = wasm_run.Linker(engine)
    linker.define_func("host", "f", ["i64"], [], lambda x: None)
    with pytest.raises(wasm_run.LinkError):
        instantiate(engine, module, linker)


def test_host_functions_returning_the_wrong_thing(engine):
    cases = {
        "string": (["i32"], lambda: "nope", TypeError),
        "too_big": (["i32"], lambda: 2**40, OverflowError),
        "count": (["i32", "i32"], lambda: (1,), TypeError),
        "not_none": ([], lambda: 5, TypeError),
    }
    for name, (results, func, kind) in cases.items():
        linker = wasm_run.Linker(engine)
        linker.define_func("host", "f", [], results, func)
        drops = "drop " * len(results)
        wat = f'(module (import "host" "f" (func $f (result {" ".join(results)}))) (func (export "run") call $f {drops}))'
        store, ex = instantiate(engine, wat, linker)
        with pytest.raises(wasm_run.WasmRunError) as err:
            ex["run"](store)
        assert isinstance(err.value.__cause__, kind), name


def test_handles_refuse_pickling(engine):
    store, ex = instantiate(engine)
    module = wasm_run.Module(engine, WAT)
    linker = wasm_run.Linker(engine)
    for handle in [engine, module, store, linker, ex["add"], ex["memory"], wasm_run.WasiConfig()]:
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(handle)


def test_traps_survive_pickling(engine):
    store, ex = instantiate(engine)
    with pytest.raises(wasm_run.Trap) as trap:
        ex["boom"](store)
    again = pickle.loads(pickle.dumps(trap.value))
    assert type(again) is wasm_run.Trap
    assert again.code == "unreachable"
    assert str(again) == str(trap.value)
    exit = pickle.loads(pickle.dumps(wasm_run.ExitError("exit")))
    assert isinstance(exit, wasm_run.WasmRunError)


def test_a_closed_store_refuses_everything(engine):
    store, ex = instantiate(engine)
    assert not store.closed
    store.close()
    assert store.closed
    with pytest.raises(wasm_run.WasmRunError, match="closed"):
        ex["add"](store, 1, 2)
    with pytest.raises(wasm_run.WasmRunError, match="closed"):
        ex["memory"].read(store)
    with pytest.raises(wasm_run.WasmRunError, match="closed"):
        store.fuel = 5
    with pytest.raises(wasm_run.WasmRunError, match="closed"):
        wasm_run.Linker(engine).instantiate(store, wasm_run.Module(engine, WAT))
    store.close()  # a second close is harmless
    # A store with a live memory view cannot be closed under it.
    store, ex = instantiate(engine)
    view = ex["memory"].view(store)
    with pytest.raises(wasm_run.WasmRunError, match="view"):
        store.close()
    view.release()
    store.close()


def test_a_linker_used_from_its_own_start_function_is_an_error_not_a_deadlock(engine):
    linker = wasm_run.Linker(engine)
    seen = []

    def start():
        # Instantiating again with the same linker is fine ...
        linker.instantiate(wasm_run.Store(engine), wasm_run.Module(engine, "(module)"))
        # ... defining in it while it instantiates is refused.
        try:
            linker.define_func("env", "late", [], [], lambda: None)
        except wasm_run.WasmRunError as e:
            seen.append(str(e))

    linker.define_func("env", "f", [], [], start)
    store = wasm_run.Store(engine)
    linker.instantiate(store, wasm_run.Module(engine, '(module (import "env" "f" (func $f)) (start $f))'))
    assert seen and "in use" in seen[0]
    linker.define_func("env", "late", [], [], lambda: None)  # fine afterwards
