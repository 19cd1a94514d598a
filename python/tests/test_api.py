"""Callers, globals, tables, reference and vector values, memory views."""

import gc
import math
import struct
import threading

import pytest

import wasm_run


@pytest.fixture(params=wasm_run.BACKENDS)
def engine(request):
    return wasm_run.Engine(request.param)


def instantiate(engine, wat, linker=None, store=None):
    store = store or wasm_run.Store(engine)
    linker = linker or wasm_run.Linker(engine)
    instance = linker.instantiate(store, wasm_run.Module(engine, wat))
    return store, instance.exports(store)


def test_a_caller_reaches_the_calling_instance(engine):
    seen = {}

    def log(caller, ptr, length):
        memory = caller.get("memory")
        seen["text"] = memory.read(caller, ptr, ptr + length)
        seen["data"] = caller.data
        # The caller's exports are callable through it (re-entering the guest).
        seen["twice"] = caller.get("twice")(caller, 21)
        memory.write(caller, b"HOST", ptr)
        seen["caller"] = caller
        return length * 2

    linker = wasm_run.Linker(engine)
    linker.define_func("env", "log", ["i32", "i32"], ["i32"], log, access_caller=True)
    wat = """(module
      (import "env" "log" (func $log (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 8) "hello guest")
      (func (export "twice") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
      (func (export "run") (result i32) i32.const 8 i32.const 11 call $log))"""
    store = wasm_run.Store(engine, data={"user": 1})
    store, exports = instantiate(engine, wat, linker, store)
    assert exports["run"](store) == 22
    assert seen["text"] == b"hello guest"
    assert seen["data"] == {"user": 1}
    assert seen["twice"] == 42
    assert exports["memory"].read(store, 8, 12) == b"HOST"
    # Kept past its host function, the caller refuses to work.
    with pytest.raises(wasm_run.WasmRunError, match="no longer valid"):
        seen["caller"].get("memory")


def test_the_store_is_busy_inside_a_host_function(engine):
    holder = {}

    def poke():
        with pytest.raises(wasm_run.WasmRunError, match="in use"):
            holder["store"].fuel
        holder["checked"] = True

    linker = wasm_run.Linker(engine)
    linker.define_func("env", "poke", [], [], poke)
    store, exports = instantiate(
        engine,
        '(module (import "env" "poke" (func $p)) (func (export "run") call $p))',
        linker,
    )
    holder["store"] = store
    exports["run"](store)
    assert holder["checked"]


def test_a_caller_cannot_cross_threads(engine):
    errors = []

    def host(caller):
        def other():
            try:
                caller.get("memory")
            except wasm_run.WasmRunError as e:
                errors.append(str(e))

        t = threading.Thread(target=other)
        t.start()
        t.join()

    linker = wasm_run.Linker(engine)
    linker.define_func("env", "host", [], [], host, access_caller=True)
    store, exports = instantiate(
        engine,
        '(module (import "env" "host" (func $h)) (memory (export "memory") 1) (func (export "run") call $h))',
        linker,
    )
    exports["run"](store)
    assert errors and "thread" in errors[0]


def test_globals(engine):
    store, exports = instantiate(
        engine,
        """(module (global (export "c") i64 (i64.const -5))
                   (global (export "v") (mut f64) (f64.const 1.5)))""",
    )
    c, v = exports["c"], exports["v"]
    assert c.value(store) == -5
    assert (c.type(store).content, c.type(store).mutable) == ("i64", False)
    with pytest.raises(wasm_run.WasmRunError):
        c.set_value(store, 1)
    v.set_value(store, 2.25)
    assert v.value(store) == 2.25
    with pytest.raises(TypeError):
        v.set_value(store, "x")
    # A host global as an import.
    mine = wasm_run.Global(store, "i32", 7, mutable=True)
    linker = wasm_run.Linker(engine)
    linker.define(store, "host", "g", mine)
    _, ex = instantiate(
        engine,
        """(module (import "host" "g" (global $g (mut i32)))
                   (func (export "bump") global.get $g i32.const 1 i32.add global.set $g))""",
        linker,
        store,
    )
    ex["bump"](store)
    assert mine.value(store) == 8


def test_tables_and_funcrefs(engine):
    store, exports = instantiate(
        engine,
        """(module
          (table (export "t") 2 10 funcref)
          (func $forty (result i32) i32.const 40)
          (elem (i32.const 0) $forty)
          (type $r (func (result i32)))
          (func (export "call_at") (param i32) (result i32) local.get 0 call_indirect (type $r))
          (func (export "id") (param funcref) (result funcref) local.get 0))""",
    )
    table = exports["t"]
    assert table.size(store) == 2
    forty = table.get(store, 0)
    assert isinstance(forty, wasm_run.Func)
    if engine.name == "tinywasm":
        # tinywasm cannot call a function reference it did not export.
        with pytest.raises(wasm_run.Unsupported):
            forty(store)
    else:
        assert forty(store) == 40
    assert table.get(store, 1) is None
    with pytest.raises(IndexError):
        table.get(store, 5)
    # Python functions as funcref elements.
    two = wasm_run.Func(store, wasm_run.FuncType([], ["i32"]), lambda: 2)
    table.set(store, 1, two)
    assert exports["call_at"](store, 1) == 2
    assert table.grow(store, 3) == 2
    assert table.size(store) == 5
    assert exports["id"](store, None) is None
    assert exports["id"](store, two)(store) == 2
    with pytest.raises(TypeError):
        table.set(store, 0, 5)
    assert table.type(store).maximum == 10


def test_externrefs_carry_python_objects(engine):
    store, exports = instantiate(
        engine,
        """(module
          (table $t (export "t") 1 externref)
          (func (export "keep") (param externref) i32.const 0 local.get 0 table.set $t)
          (func (export "back") (result externref) i32.const 0 table.get $t))""",
    )
    thing = {"a": [1, 2]}
    exports["keep"](store, thing)
    assert exports["back"](store) is thing
    assert exports["t"].get(store, 0) is thing
    exports["keep"](store, None)
    assert exports["back"](store) is None


def test_v128_and_float_bits(engine):
    store, exports = instantiate(
        engine,
        """(module
          (func (export "v") (param v128) (result v128) local.get 0)
          (func (export "f32") (param f32) (result f32) local.get 0)
          (func (export "f32bits") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
          (func (export "f64bits") (param f64) (result i64) local.get 0 i64.reinterpret_f64))""",
    )
    big = (1 << 127) | 12345
    assert exports["v"](store, big) == big
    assert exports["v"](store, -1) == (1 << 128) - 1
    with pytest.raises(OverflowError):
        exports["v"](store, 1 << 128)
    assert exports["f32"](store, 0.5) == 0.5
    assert math.isnan(exports["f32"](store, float("nan")))
    # Exact NaN payloads where asked.
    assert exports["f32bits"](store, wasm_run.F32Bits(0x7FC00001)) == 0x7FC00001
    payload = 0x7FF8000000000123
    assert exports["f64bits"](store, wasm_run.F64Bits(payload)) == payload
    # A Python float keeps its f64 bits too.
    nan = struct.unpack("<d", struct.pack("<Q", payload))[0]
    assert exports["f64bits"](store, nan) == payload


def test_host_functions_made_outside_a_linker(engine):
    store = wasm_run.Store(engine)
    calls = []
    f = wasm_run.Func(store, wasm_run.FuncType(["i32"], []), calls.append)
    assert f.type == wasm_run.FuncType(["i32"], [])
    f(store, 9)
    assert calls == [9]
    linker = wasm_run.Linker(engine)
    linker.define(store, "host", "f", f)
    _, ex = instantiate(
        engine,
        '(module (import "host" "f" (func $f (param i32))) (func (export "run") i32.const 3 call $f))',
        linker,
        store,
    )
    ex["run"](store)
    assert calls == [9, 3]


def test_instances_link_to_instances(engine):
    store, lib = instantiate(
        engine, '(module (func (export "seven") (result i32) i32.const 7))'
    )
    linker = wasm_run.Linker(engine)
    instance = linker.instantiate(
        store, wasm_run.Module(engine, '(module (func (export "seven") (result i32) i32.const 7))')
    )
    linker.define_instance(store, "lib", instance)
    _, ex = instantiate(
        engine,
        '(module (import "lib" "seven" (func $s (result i32))) (func (export "run") (result i32) call $s))',
        linker,
        store,
    )
    assert ex["run"](store) == 7
    assert instance.get(store, "seven")(store) == 7
    assert instance.get(store, "nothing") is None


def test_memory_views_are_zero_copy_and_pin_the_store(engine):
    store, exports = instantiate(
        engine,
        """(module (memory (export "memory") 1)
             (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u)
             (func (export "grow") (result i32) i32.const 1 memory.grow))""",
    )
    memory = exports["memory"]
    with memory.view(store) as view:
        assert len(view) == 65536
        assert view.format == "B" and not view.readonly
        view[10:13] = b"abc"
        view[10] = ord("Z")
        # Code must not run (it could grow and move the memory), and
        # copies in and out wait for the views to go (Python code may be
        # writing through one on another thread).
        with pytest.raises(wasm_run.WasmRunError, match="view"):
            memory.read(store, 10, 13)
        with pytest.raises(wasm_run.WasmRunError, match="view"):
            memory.write(store, b"Z", 10)
        with pytest.raises(wasm_run.WasmRunError, match="view"):
            exports["peek"](store, 10)
        with pytest.raises(wasm_run.WasmRunError, match="view"):
            memory.grow(store, 1)
    assert exports["peek"](store, 10) == ord("Z")
    assert memory.read(store, 10, 13) == b"Zbc"
    # Any bytes-like value can be written.
    assert memory.write(store, bytearray(b"xy"), 20) == 2
    assert memory.write(store, memoryview(b"pq"), 22) == 2
    assert memory.read(store, 20, 24) == b"xypq"
    # A slice keeps the pin after the view it came from is released.
    view = memory.view(store)
    part = view[0:4]
    view.release()
    with pytest.raises(wasm_run.WasmRunError, match="view"):
        exports["grow"](store)
    del part
    gc.collect()
    assert exports["grow"](store) == 1
    assert len(memory.view(store)) == 2 * 65536


def test_memory_views_outlive_their_names(engine):
    # The view keeps the store alive: dropping every other reference to it
    # must not free the memory under the view.
    def make():
        store, exports = instantiate(
            engine, '(module (memory (export "memory") 1) (data (i32.const 0) "kept"))'
        )
        return exports["memory"].view(store)

    view = make()
    gc.collect()
    assert bytes(view[0:4]) == b"kept"


def test_objects_of_another_store_are_refused(engine):
    store, exports = instantiate(engine, '(module (memory (export "memory") 1) (global (export "g") i32 (i32.const 1)) (table (export "t") 1 funcref) (func (export "f")))')
    other = wasm_run.Store(engine)
    for call in [
        lambda: exports["memory"].read(other),
        lambda: exports["memory"].size(other),
        lambda: exports["memory"].view(other),
        lambda: exports["g"].value(other),
        lambda: exports["t"].size(other),
        lambda: exports["t"].get(other, 0),
        lambda: exports["f"](other),
    ]:
        with pytest.raises(wasm_run.WasmRunError, match="another store|store"):
            call()
    # The right store still works (no poisoned lock).
    assert exports["g"].value(store) == 1


def test_views_are_made_from_stores_only(engine):
    failures = []

    def host(caller):
        try:
            caller.get("memory").view(caller)
        except TypeError as e:
            failures.append(str(e))

    linker = wasm_run.Linker(engine)
    linker.define_func("env", "host", [], [], host, access_caller=True)
    store, exports = instantiate(
        engine,
        '(module (import "env" "host" (func $h)) (memory (export "memory") 1) (func (export "run") call $h))',
        linker,
    )
    exports["run"](store)
    assert failures and "Store" in failures[0]
