"""wasm-run inside Ray: a wasm function mapped over many inputs.

Not run by the test suite (Ray is large); `python/tests/test_dask.py` runs
the same pattern on a Dask cluster. Run it with
`pip install ray && python python/examples/ray_map.py`.

The pattern: ship the module's *bytes* (wasm-run handles cannot be
pickled), let each worker compile them once (`wasm_run.cached_module`), and
give each task its own store with fuel and a deadline, so a runaway input
fails alone with a `wasm_run.Trap` (which pickles) while the rest finish.
"""

import ray

import wasm_run

WASM = b"""(module
  (func (export "f") (param i64) (result i64)
    local.get 0 i64.const 1234 i64.eq
    if (loop $l br $l) end
    local.get 0 local.get 0 i64.mul i64.const 1 i64.add))"""


@ray.remote
def task(wasm, x):
    engine, module = wasm_run.cached_module(wasm, "wasmtime", fuel=True)
    store = wasm_run.Store(engine)
    store.fuel = 10_000_000
    store.set_deadline(30)
    f = wasm_run.Linker(engine).instantiate(store, module).exports(store)["f"]
    try:
        return f(store, x)
    except wasm_run.Trap as trap:
        return f"trap: {trap.code}"


def main():
    ray.init(num_cpus=2)
    wasm = ray.put(WASM)
    results = ray.get([task.remote(wasm, x) for x in range(2000)])
    print(results[:5], results[1234])
    assert results[1234] == "trap: out_of_fuel"
    assert results[3] == 10


if __name__ == "__main__":
    main()
