"""Components from Python: the WIT world, and calls with Python values
mapped from WIT types (on every engine: wasm-run's own canonical ABI)."""

import dataclasses
import enum
import pathlib
import pickle

import pytest

import wasm_run

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/component/c"


@pytest.fixture(params=wasm_run.BACKENDS)
def engine(request):
    return wasm_run.Engine(request.param)


def instantiate(engine, name):
    component = wasm_run.Component(engine, (FIXTURES / f"{name}.wasm").read_bytes())
    store = wasm_run.Store(engine)
    instance = wasm_run.ComponentLinker(engine).instantiate(store, component)
    return component, store, instance


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_the_world_is_printable(engine):
    component = wasm_run.Component(engine, (FIXTURES / "records.wasm").read_bytes())
    world = component.world
    assert world.startswith("world root {\n")
    assert "  type color = enum { red, green, blue };\n" in world
    assert "  export checked-div: func(a: s32, b: s32) -> result<s32, string>;\n" in world
    names = [name for name, _ in component.exports]
    assert "checked-div" in names and "nearest" in names
    assert dict(component.exports)["checked-div"] == "func(a: s32, b: s32) -> result<s32, string>"


def test_records_variants_enums_flags_options_results(engine):
    _, store, instance = instantiate(engine, "records")
    area = instance.get_func("area")
    assert area(store, wasm_run.Variant("circle", 2)) == 12
    assert area(store, wasm_run.Variant("rect", (3, 4))) == 12
    assert area(store, "dot") == 0
    item = {
        "name": "box",
        "color": "green",
        "perms": {"read", "exec"},
        "at": Point(1, -2),
        "tags": ["a", "b"],
    }
    describe = instance.get_func("describe")
    assert describe(store, item) == "box (green) [r-x] @1,-2 #a #b"
    assert describe(store, dict(item, at=None, color=Color.RED, perms=set())) == "box (red) [---] @- #a #b"
    assert instance.get_func("parse-color")(store, "blue") == wasm_run.Ok("blue")
    failed = instance.get_func("parse-color")(store, "mauve")
    assert isinstance(failed, wasm_run.Err) and "mauve" in failed.value
    assert instance.get_func("grant")(store, ["read"], ["write"]) == {"read", "write"}
    nearest = instance.get_func("nearest")
    assert nearest(store, [{"x": 9, "y": 9}, {"x": 1, "y": 1}], {"x": 0, "y": 0}) == 1
    assert nearest(store, [], {"x": 0, "y": 0}) is None
    renamed = instance.get_func("rename")(store, item, "crate")
    assert renamed == {
        "name": "crate",
        "color": "green",
        "perms": {"read", "exec"},
        "at": {"x": 2, "y": -1},
        "tags": ["b", "a"],
    }
    div = instance.get_func("checked-div")
    assert div(store, 7, 2) == wasm_run.Ok(3)
    assert isinstance(div(store, 1, 0), wasm_run.Err)


def test_strings_and_lists(engine):
    _, store, instance = instantiate(engine, "text")
    assert instance.get_func("upper")(store, "héllo") == "HéLLO"
    assert instance.get_func("reverse")(store, "añb") == "bña"
    assert instance.get_func("split")(store, "a,b,,c", ",") == ["a", "b", "", "c"]
    freq = instance.get_func("word-freq")(store, "the cat the hat")
    assert freq == [("the", 2), ("cat", 1), ("hat", 1)]
    assert instance.get_func("upper").type == "func(s: string) -> string"


def test_bytes_and_resources(engine):
    _, store, instance = instantiate(engine, "hash")
    digest = instance.get_func("fixtures:hash/sha256#digest")
    out = digest(store, b"abc")
    assert isinstance(out, bytes)
    assert out.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert digest(store, [97, 98, 99]) == out


def test_bad_component_values_are_type_errors(engine):
    _, store, instance = instantiate(engine, "records")
    div = instance.get_func("checked-div")
    with pytest.raises(TypeError, match="takes 2 arguments"):
        div(store, 1)
    with pytest.raises(TypeError, match="expected an int"):
        div(store, "1", 2)
    with pytest.raises(OverflowError):
        div(store, 2**31, 1)
    with pytest.raises(TypeError, match="not a case"):
        instance.get_func("area")(store, "hexagon")
    with pytest.raises(TypeError, match="not a flag"):
        instance.get_func("grant")(store, ["fly"], [])
    with pytest.raises(TypeError, match="no field `tags`"):
        instance.get_func("describe")(store, {"name": "x", "color": "red", "perms": [], "at": None})
    with pytest.raises(wasm_run.CompileError):
        wasm_run.Component(engine, b"\x00asm\x0d\x00\x01\x00garbage")
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(instance)
    assert instance.get_func("nothing") is None


HOST_WAT = (FIXTURES.parent / "host.wat").read_text()


def test_host_functions_for_imports(engine):
    component = wasm_run.Component(engine, HOST_WAT)
    linker = wasm_run.ComponentLinker(engine)
    seen = []

    def greet(name):
        seen.append(name)
        return f"Hello, {name}!"

    linker.define_func("greet", greet)
    linker.define_func("example:host/math@0.1.0#sum", lambda xs: sum(xs))
    # Definitions a component does not import are ignored.
    linker.define_func("unused", lambda: None)
    with pytest.raises(wasm_run.LinkError):
        linker.define_func("greet", greet)
    store = wasm_run.Store(engine)
    instance = linker.instantiate(store, component)
    assert instance.get_func("run")(store, "wörld") == "Hello, wörld!"
    assert seen == ["wörld"]
    assert instance.get_func("total")(store, [1, 2, 2**32 - 1]) == 2**32 + 2


def test_host_function_errors_reach_the_caller(engine):
    component = wasm_run.Component(engine, HOST_WAT)
    linker = wasm_run.ComponentLinker(engine)
    linker.define_func("greet", lambda name: 42)  # not a string
    linker.define_func("example:host/math@0.1.0#sum", lambda xs: 1 // 0)
    store = wasm_run.Store(engine)
    instance = linker.instantiate(store, component)
    with pytest.raises(wasm_run.WasmRunError) as err:
        instance.get_func("run")(store, "x")
    assert isinstance(err.value.__cause__, TypeError)
    with pytest.raises(wasm_run.WasmRunError) as err:
        instance.get_func("total")(store, [1])
    assert isinstance(err.value.__cause__, ZeroDivisionError)
    # Missing imports are link errors.
    with pytest.raises(wasm_run.LinkError):
        wasm_run.ComponentLinker(engine).instantiate(store, component)


P2 = FIXTURES.parents[1] / "wasi/p2"


def test_wasi_preview2_commands(engine, tmp_path):
    status, out, err = wasm_run.run_wasi((P2 / "hello.wasm").read_bytes(), args=["hello"], engine=engine)
    assert (status, out, err) == (0, b"Hello, world!\n", b"Hello, stderr!\n")
    status, out, _ = wasm_run.run_wasi((P2 / "exit.wasm").read_bytes(), args=["exit", "3"], engine=engine)
    # WASI 0.2's exit carries ok/err only: a non-zero status is 1.
    assert status == 1 and out == b"exiting with 3\n"
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    status, out, _ = wasm_run.run_wasi(
        (P2 / "files.wasm").read_bytes(), args=["files"], engine=engine, preopens=[(str(sandbox), "/sandbox")]
    )
    assert status == 0, out
    assert (sandbox / "kept.txt").read_text() == "kept by the guest\n"
    # Linked by hand: the store's WasiConfig, then wasi:cli/run.
    component = wasm_run.Component(engine, (P2 / "hello.wasm").read_bytes())
    run_name = next(n for n, _ in component.exports if n.startswith("wasi:cli/run@0.2.") and n.endswith("#run"))
    config = wasm_run.WasiConfig(args=["hello"], stdout="capture")
    store = wasm_run.Store(engine)
    store.set_wasi(config)
    linker = wasm_run.ComponentLinker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, component)
    assert instance.get_func(run_name)(store) == wasm_run.Ok()
    assert config.stdout_bytes == b"Hello, world!\n"
