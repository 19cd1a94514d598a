//! Stress and leaks: many instantiate-call-drop cycles with resident memory
//! measured, and one engine and module shared by threads with many stores,
//! traps mixed in. Bounded to a few seconds per backend.

use std::sync::Arc;
use wasm_run::{AnyEngine, Config, Engine, Error, Linker, Module, Store, TrapCode};

const WAT: &str = r#"
(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 4 funcref)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 16) "some initial data")
  (func (export "run") (param i32) (result i32)
    ;; Traps (division by zero) when the argument is 0.
    (global.set $g (i32.div_u (i32.const 1000) (local.get 0)))
    (i32.store (i32.const 64) (global.get $g))
    (call $add (i32.load (i32.const 64)) (local.get 0))))
"#;

/// Resident memory of this process in bytes (Linux), if known.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn linker<E: Engine>(engine: &E) -> Linker<E, ()> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(
            "host",
            "add",
            |_: wasm_run::Caller<'_, E, ()>, a: i32, b: i32| Ok(a.wrapping_add(b)),
        )
        .unwrap();
    linker
}

/// One cycle: a new store and instance, one call (a trap every 7th), dropped.
fn cycle<E: Engine>(engine: &E, module: &Module<E>, linker: &Linker<E, ()>, i: i32) {
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, module).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let arg = i % 7;
    match run.call(&mut store, arg) {
        Ok(v) => assert_eq!(v, 1000 / arg + arg, "run({arg})"),
        Err(e) => {
            assert_eq!(arg, 0, "run({arg}) failed: {e}");
            assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivisionByZero), "{e}");
        }
    }
}

/// 10,000 cycles; resident memory after the first 1,000 (allocator warmed
/// up) and at the end differ by less than 16 MiB. Each cycle writes to its
/// memory, so a leaked instance keeps at least one 4 KiB page resident:
/// leaking every one would be 36 MiB.
fn no_growth<E: Engine>(engine: E) {
    let module = Module::new(&engine, WAT).unwrap();
    let linker = linker(&engine);
    for i in 0..1000 {
        cycle(&engine, &module, &linker, i);
    }
    let before = rss();
    for i in 1000..10_000 {
        cycle(&engine, &module, &linker, i);
    }
    let after = rss();
    if let (Some(before), Some(after)) = (before, after) {
        eprintln!(
            "{}: resident {} KiB after 1,000 cycles, {} KiB after 10,000",
            engine.name(),
            before / 1024,
            after / 1024
        );
        assert!(
            after < before + (16 << 20),
            "{}: resident memory grew from {before} to {after} bytes over 9,000 cycles",
            engine.name()
        );
    }
}

#[test]
fn ten_thousand_cycles_keep_memory_steady() {
    for name in wasm_run::BACKENDS {
        no_growth(AnyEngine::by_name(name, &Config::new()).unwrap());
    }
}

/// One engine, module and linker shared by 4 threads, each making 250
/// stores and calling in each (traps mixed in): every result is right.
#[test]
fn shared_engine_many_stores_on_many_threads() {
    for name in wasm_run::BACKENDS {
        let engine = AnyEngine::by_name(name, &Config::new()).unwrap();
        let module = Arc::new(Module::new(&engine, WAT).unwrap());
        let linker = Arc::new(linker(&engine));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (engine, module, linker) = (engine.clone(), module.clone(), linker.clone());
                std::thread::spawn(move || {
                    for i in 0..250 {
                        cycle(&engine, &module, &linker, t * 1000 + i);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("a worker thread panicked");
        }
        // The engine is still usable afterwards.
        let mut store = Store::new(&engine, ());
        let e = linker
            .instantiate(&mut store, &module)
            .unwrap()
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap()
            .call(&mut store, 0)
            .unwrap_err();
        assert!(matches!(e, Error::Trap { .. }), "{e}");
    }
}

/// Endless recursion on a thread with a small native stack (256 KiB, as a
/// host's worker pool might give): `StackOverflow` on every backend, never a
/// crash. wasmtime runs the guest on the thread's own stack, so the engine's
/// wasm stack limit is set below the thread's stack here; with wasmtime's
/// default limit (512 KiB, more than the thread has) wasm-run refuses to
/// enter wasm there with `Error::ResourceLimit` (without the check, the
/// process aborts), while wasmi, whose wasm stack is on the heap, traps.
#[test]
fn recursion_on_small_thread_stacks_traps() {
    const REC: &str = r#"(module (func $f (export "f") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $f))"#;
    for (name, wasm_stack) in wasm_run::BACKENDS
        .iter()
        .flat_map(|name| [(*name, Some(128 << 10)), (*name, None)])
    {
        let handle = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let mut config = Config::new();
                if let Some(bytes) = wasm_stack {
                    config.max_wasm_stack(bytes);
                }
                let engine = AnyEngine::by_name(name, &config).unwrap();
                let module = Module::new(&engine, REC).unwrap();
                let mut store = Store::new(&engine, ());
                let f = Linker::<AnyEngine, ()>::new(&engine)
                    .instantiate(&mut store, &module)
                    .and_then(|i| i.get_typed_func::<i32, i32>(&mut store, "f"));
                match f {
                    Ok(f) => match f.call(&mut store, 0).unwrap_err() {
                        e if e.trap_code() == Some(TrapCode::StackOverflow) => "stack overflow",
                        e => panic!("{name}: {e}"),
                    },
                    Err(Error::ResourceLimit(m)) if m.contains("native stack") => "refused",
                    Err(e) => panic!("{name}: {e}"),
                }
            })
            .unwrap();
        let want = match (name, wasm_stack) {
            ("wasmtime", None) => "refused",
            _ => "stack overflow",
        };
        assert_eq!(
            handle.join().expect("the small-stack thread panicked"),
            want,
            "{name}, wasm stack {wasm_stack:?}"
        );
    }
}
