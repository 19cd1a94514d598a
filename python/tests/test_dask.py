"""wasm-run inside a Dask cluster: module bytes are shipped, each worker
compiles them once, each task runs in its own store with fuel and a
deadline, and a runaway task fails with a Trap while the others finish.

Dask is optional for users (the test is skipped without it); `.ci/run`
installs it and sets WASM_RUN_REQUIRE_DASK=1, which makes its absence a
failure."""

import os
import sys

import pytest

import wasm_run

if os.environ.get("WASM_RUN_REQUIRE_DASK") == "1":
    import cloudpickle
    from dask.distributed import Client, LocalCluster, wait
else:
    cloudpickle = pytest.importorskip("cloudpickle")
    distributed = pytest.importorskip("dask.distributed")
    Client, LocalCluster, wait = distributed.Client, distributed.LocalCluster, distributed.wait

# f(x) = x * x + 1, except that f(1234) never returns.
WASM = b"""(module
  (func (export "f") (param i64) (result i64)
    local.get 0 i64.const 1234 i64.eq
    if (loop $l br $l) end
    local.get 0 local.get 0 i64.mul i64.const 1 i64.add))"""

RUNAWAY = 1234


def task(wasm, x):
    """One task: the worker's cached engine and module, a fresh store."""
    engine, module = wasm_run.cached_module(wasm, "wasmtime", fuel=True)
    store = wasm_run.Store(engine)
    store.fuel = 10_000_000
    store.set_deadline(30)
    f = wasm_run.Linker(engine).instantiate(store, module).exports(store)["f"]
    return f(store, x)


def test_a_wasm_function_mapped_over_a_cluster():
    # The workers cannot import this test file: ship its functions by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    inputs = list(range(2000))
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        [shipped] = client.scatter([WASM], broadcast=True)
        futures = client.map(task, [shipped] * len(inputs), inputs, pure=False)
        wait(futures)
        results = {}
        for x, future in zip(inputs, futures):
            if x == RUNAWAY:
                assert future.status == "error"
                trap = future.exception()
                assert isinstance(trap, wasm_run.Trap)
                assert trap.code == "out_of_fuel"
            else:
                assert future.status == "finished", future.exception()
                results[x] = future.result()
        caches = client.run(wasm_run.cache_info)
    assert len(caches) == 2
    for info in caches.values():
        # One engine and one compiled module per worker, whatever it ran.
        assert info == {"engines": 1, "modules": 1}, caches
    # The same as a local run.
    local = {x: task(WASM, x) for x in inputs if x != RUNAWAY}
    assert results == local
    assert results[3] == 10 and results[1999] == 1999 * 1999 + 1
