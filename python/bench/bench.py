"""Per-call costs of wasm-run's Python package against wasmtime-py, in one
process: `python python/bench/bench.py` (after building the package with
`--release`; `pip install wasmtime==48.0.0` for the reference).

Each case runs in batches; the median time per operation of 9 batches is
reported, with the ratio to wasmtime-py. The guest work is trivial, so the
times are the embedding's overhead.
"""

import statistics
import sys
import time

import wasm_run

WAT = """(module
  (import "host" "id" (func $id (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "host_loop") (param i32) (result i32) (local i32)
    (loop $l
      local.get 1 call $id local.set 1
      local.get 0 i32.const 1 i32.sub local.tee 0
      br_if $l)
    local.get 1))"""

HOST_CALLS = 1000


def median_ns(op, per_batch, batches=9):
    op()  # warm up
    times = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(per_batch):
            op()
        times.append((time.perf_counter_ns() - start) / per_batch)
    return statistics.median(times)


def measure(store, exports, instantiate):
    """The four cases, on either package (their spellings agree)."""
    add, host_loop, memory = exports["add"], exports["host_loop"], exports["memory"]
    return {
        "add(i32, i32)": median_ns(lambda: add(store, 1, 2), 20000),
        "host call from wasm": median_ns(lambda: host_loop(store, HOST_CALLS), 20) / HOST_CALLS,
        "64 KiB memory read": median_ns(lambda: memory.read(store, 0, 65536), 5000),
        "instantiate": median_ns(instantiate, 300),
    }


def ours(engine_name):
    engine = wasm_run.Engine(engine_name)
    module = wasm_run.Module(engine, WAT)
    linker = wasm_run.Linker(engine)
    linker.define_func("host", "id", ["i32"], ["i32"], lambda x: x)
    store = wasm_run.Store(engine)
    ex = linker.instantiate(store, module).exports(store)
    return measure(store, ex, lambda: linker.instantiate(wasm_run.Store(engine), module))


def reference():
    import wasmtime

    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, WAT)
    linker = wasmtime.Linker(engine)
    i32 = wasmtime.ValType.i32()
    linker.define_func("host", "id", wasmtime.FuncType([i32], [i32]), lambda x: x)
    store = wasmtime.Store(engine)
    instance = linker.instantiate(store, module)
    return measure(store, instance.exports(store), lambda: linker.instantiate(wasmtime.Store(engine), module))


def main():
    columns = {}
    try:
        from importlib.metadata import version

        columns[f"wasmtime-py {version('wasmtime')}"] = reference()
    except ImportError:
        print("wasmtime-py is not installed: `pip install wasmtime==48.0.0` for the reference", file=sys.stderr)
    for name in ("wasmtime", "wasmi"):
        if name in wasm_run.BACKENDS:
            columns[f"wasm-run {name}"] = ours(name)
    ref = next((v for k, v in columns.items() if k.startswith("wasmtime-py")), None)
    cases = list(next(iter(columns.values())))
    print("| case | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for case in cases:
        cells = []
        for name, results in columns.items():
            cell = f"{results[case] / 1000:.2f} µs"
            if ref is not None and not name.startswith("wasmtime-py"):
                cell += f" ({results[case] / ref[case]:.2f}×)"
            cells.append(cell)
        print(f"| {case} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
