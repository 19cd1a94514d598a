"""Ctrl-C during a guest call: the guest stops and Python sees KeyboardInterrupt."""

import subprocess
import sys
import textwrap

import pytest

import wasm_run

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import wasm_run

    engine = wasm_run.Engine(sys.argv[1])
    store = wasm_run.Store(engine)
    module = wasm_run.Module(engine, '''(module
      (func (export "spin") (loop $l br $l))
      (func (export "one") (result i32) i32.const 1))''')
    exports = wasm_run.Linker(engine).instantiate(store, module).exports(store)
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    try:
        exports["spin"](store)
        print("returned")
    except KeyboardInterrupt:
        print("KeyboardInterrupt after", round(time.monotonic() - start, 1))
    # The store is usable afterwards: no interrupt is left pending.
    print("next call", exports["one"](store))
    """
)


NESTED = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import wasm_run

    engine = wasm_run.Engine(sys.argv[1])
    inner_store = wasm_run.Store(engine)
    inner = wasm_run.Linker(engine).instantiate(inner_store, wasm_run.Module(
        engine, '(module (func (export "one") (result i32) i32.const 1))')).exports(inner_store)["one"]
    linker = wasm_run.Linker(engine)
    # A host function of the outer call runs a guest in another store first.
    linker.define_func("env", "visit", [], ["i32"], lambda: inner(inner_store))
    store = wasm_run.Store(engine)
    spin = linker.instantiate(store, wasm_run.Module(engine, '''(module
      (import "env" "visit" (func $v (result i32)))
      (func (export "spin") (drop (call $v)) (loop $l br $l)))''')).exports(store)["spin"]
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    try:
        spin(store)
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
    """
)


@pytest.mark.parametrize("backend", wasm_run.BACKENDS)
def test_ctrl_c_still_works_after_a_nested_call(backend):
    done = subprocess.run(
        [sys.executable, "-c", NESTED, backend], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "KeyboardInterrupt"


@pytest.mark.parametrize("backend", wasm_run.BACKENDS)
def test_ctrl_c_interrupts_a_running_guest(backend):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, backend], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("KeyboardInterrupt after"), done.stdout
    assert float(lines[0].split()[-1]) < 10
    assert lines[1] == "next call 1"


def test_keyboard_interrupt_in_a_host_function_is_not_wrapped():
    engine = wasm_run.Engine()

    def host():
        raise KeyboardInterrupt

    linker = wasm_run.Linker(engine)
    linker.define_func("env", "host", [], [], host)
    store = wasm_run.Store(engine)
    module = wasm_run.Module(engine, '(module (import "env" "host" (func $h)) (func (export "run") call $h))')
    run = linker.instantiate(store, module).exports(store)["run"]
    with pytest.raises(KeyboardInterrupt):
        run(store)
