"""WASI preview 1 from Python: the configuration, linking, the one-call run."""

import pathlib

import pytest

import wasm_run

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "engine-conformance/fixtures/wasi"


@pytest.fixture(params=wasm_run.BACKENDS)
def engine(request):
    return wasm_run.Engine(request.param)


def fixture(name):
    return (FIXTURES / f"{name}.wasm").read_bytes()


def run_start(engine, wasm, config):
    store = wasm_run.Store(engine)
    store.set_wasi(config)
    linker = wasm_run.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasm_run.Module(engine, wasm))
    return instance.exports(store)["_start"](store)


def test_a_linked_command_exits_with_exit_error(engine):
    config = wasm_run.WasiConfig(args=["exit", "3"], stdout="capture")
    with pytest.raises(wasm_run.ExitError) as exit:
        run_start(engine, fixture("exit"), config)
    assert exit.value.status == 3
    assert config.stdout_bytes == b"exiting with 3\n"
    # Returning from main is exit status 0: no exception.
    config = wasm_run.WasiConfig(args=["hello"], stdout="capture", stderr="capture")
    run_start(engine, fixture("hello"), config)
    assert config.stdout_bytes == b"Hello, world!\n"
    assert config.stderr_bytes == b"Hello, stderr!\n"


def test_stdin_env_and_streamed_output(engine):
    chunks = []
    config = wasm_run.WasiConfig(args=["cat"], stdin=b"x" * 10000, stdout=chunks.append, stderr="capture")
    run_start(engine, fixture("cat"), config)
    assert b"".join(chunks) == b"x" * 10000
    assert b"10000" in config.stderr_bytes
    with pytest.raises(wasm_run.WasmRunError, match="not captured"):
        config.stdout_bytes


def test_preopened_directories(engine, tmp_path):
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    status, out, _ = wasm_run.run_wasi(
        fixture("files"), args=["files"], engine=engine, preopens=[(str(sandbox), "/sandbox")]
    )
    assert status == 0, out
    assert (sandbox / "kept.txt").read_text() == "kept by the guest\n"
    assert (sandbox / "dir" / "nested.txt").read_text() == "nested\n"


def test_read_only_preopens_refuse_writes(engine, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "data.txt").write_text("data\n")
    config = wasm_run.WasiConfig(args=["readonly"], stdout="capture")
    config.preopen_dir(str(ro), "/ro", read_only=True)
    try:
        run_start(engine, fixture("readonly"), config)
    except wasm_run.ExitError:
        pass
    lines = config.stdout_bytes.decode().splitlines()
    assert lines[0] == "read: data"
    refused = [line for line in lines[1:] if line.endswith("OK")]
    assert refused == [], lines
    assert sorted(p.name for p in ro.iterdir()) == ["data.txt"]
    assert (ro / "data.txt").read_text() == "data\n"


def test_bad_configurations_are_reported_early(tmp_path):
    with pytest.raises(wasm_run.WasmRunError, match="does not exist"):
        wasm_run.WasiConfig(preopens=[(str(tmp_path / "missing"), "/x")])
    with pytest.raises(TypeError):
        wasm_run.WasiConfig(preopens=["just a string"])
    with pytest.raises(ValueError):
        wasm_run.WasiConfig(stdout="loud")
    with pytest.raises(ValueError):
        wasm_run.WasiConfig(preopens=[(str(tmp_path), "/x", "rwx")])


def test_run_wasi_bounds_a_runaway_program(engine):
    spin = """(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
                (memory (export "memory") 1)
                (func (export "_start") (loop $l br $l)))"""
    with pytest.raises(wasm_run.Trap) as trap:
        wasm_run.run_wasi(spin, timeout=0.05)
    assert trap.value.code == "deadline"
    fueled = wasm_run.Engine(engine.name, fuel=True)
    with pytest.raises(wasm_run.Trap) as trap:
        wasm_run.run_wasi(spin, engine=fueled, fuel=10_000)
    assert trap.value.code == "out_of_fuel"


def test_a_module_without_start_is_not_a_command(engine):
    with pytest.raises(wasm_run.WasmRunError, match="_start"):
        wasm_run.run_wasi('(module (memory (export "memory") 1))', engine=engine)


def test_one_config_with_a_callback_serves_two_stores(engine):
    hello = fixture("hello")
    chunks = []
    inner = {}

    def on_stdout(chunk):
        chunks.append(chunk)
        # The callback runs the same program in another store with the
        # same configuration (its own stream: no shared lock).
        if "store" in inner:
            store = inner.pop("store")
            inner["exports"]["_start"](store)

    config = wasm_run.WasiConfig(args=["hello"], stdout=on_stdout)
    linker = wasm_run.Linker(engine)
    linker.define_wasi()
    module = wasm_run.Module(engine, hello)
    second = wasm_run.Store(engine)
    second.set_wasi(config)
    inner["exports"] = linker.instantiate(second, module).exports(second)
    inner["store"] = second
    first = wasm_run.Store(engine)
    first.set_wasi(config)
    linker.instantiate(first, module).exports(first)["_start"](first)
    # The inner run printed in the middle of the outer one's output.
    assert b"".join(chunks) == b"Hello, world!Hello, world!\n\n"
