#![cfg(all(feature = "wasmtime", feature = "wasmi"))]
//! Shared memories through the public API: one memory, many stores on many
//! threads (wasmtime), and the typed refusal on backends without threads.

use std::sync::Arc;
use wasm_run::{
    AnyEngine, Config, Engine, Error, Feature, Linker, MemoryType, Module, SharedMemory, Store,
};

const COUNTER: &str = r#"
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "bump") (param $n i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
"#;

fn shared_ty() -> MemoryType {
    MemoryType {
        shared: true,
        ..MemoryType::new(1, Some(1))
    }
}

/// A fresh store with `module` instantiated, its `env.memory` import being
/// `memory`.
fn instantiate_with<E: Engine>(
    engine: &E,
    module: &Module<E>,
    memory: SharedMemory<E>,
) -> wasm_run::Result<(Store<E, ()>, wasm_run::Instance<E>)> {
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    linker.define(&store, "env", "memory", memory)?;
    let instance = linker.instantiate(&mut store, module)?;
    Ok((store, instance))
}

fn counter_on<E: Engine>(engine: E) -> wasm_run::Result<u32> {
    let memory = SharedMemory::new(&engine, shared_ty())?;
    let module = Module::new(&engine, COUNTER)?;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
            std::thread::spawn(move || -> wasm_run::Result<()> {
                let (mut store, instance) = instantiate_with(&engine, &module, memory)?;
                let bump = instance.get_typed_func::<i32, ()>(&mut store, "bump")?;
                bump.call(&mut store, 10_000)
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread")?;
    }
    let mut word = [0u8; 4];
    memory.read(0, &mut word)?;
    assert_eq!(
        memory
            .atomic_u32(0)?
            .load(std::sync::atomic::Ordering::SeqCst),
        u32::from_le_bytes(word)
    );
    Ok(u32::from_le_bytes(word))
}

#[test]
fn one_shared_memory_many_threads_on_wasmtime() {
    assert_eq!(
        counter_on(wasm_run::Wasmtime::new(&Config::new()).unwrap()).unwrap(),
        40_000
    );
    assert_eq!(
        counter_on(AnyEngine::by_name("wasmtime", &Config::new()).unwrap()).unwrap(),
        40_000
    );
}

#[test]
fn shared_memory_host_access_and_type() {
    let engine = wasm_run::Wasmtime::new(&Config::new()).unwrap();
    let memory = Arc::new(SharedMemory::new(&engine, shared_ty()).unwrap());
    assert!(memory.ty().shared);
    assert_eq!(memory.data_size(), 65536);
    memory.write(100, b"hello").unwrap();
    let mut buf = [0u8; 5];
    memory.read(100, &mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert!(matches!(memory.write(65534, b"abc"), Err(Error::Access(_))));
    assert!(matches!(memory.atomic_u32(2), Err(Error::Access(_))));
    assert!(memory.grow(1).is_err(), "maximum is 1 page");
    // Not shared: a type error, not a silent unshared memory.
    assert!(matches!(
        SharedMemory::new(&engine, MemoryType::new(1, Some(1))),
        Err(Error::Type(_))
    ));
}

#[test]
fn wasmi_refuses_shared_memory_with_unsupported() {
    let engine = wasm_run::Wasmi::new(&Config::new()).unwrap();
    assert!(matches!(
        SharedMemory::new(&engine, shared_ty()),
        Err(Error::Unsupported {
            feature: Feature::Threads,
            engine: "wasmi"
        })
    ));
    assert!(matches!(
        Module::new(&engine, COUNTER),
        Err(Error::Unsupported {
            feature: Feature::Threads,
            engine: "wasmi"
        })
    ));
}

/// Host reads and writes run while a wasm thread writes the same shared
/// memory. The host copies only through atomics (no data race in Rust's
/// model; run it under ThreadSanitizer with
/// `RUSTFLAGS=-Zsanitizer=thread cargo +nightly test --test shared_memory`
/// where a nightly toolchain exists). Every byte the host sees is one some
/// writer stored, and the wasm writer's own last value is intact.
#[test]
fn host_copies_race_safely_with_a_wasm_writer() {
    const WRITER: &str = r#"
    (module
      (import "env" "memory" (memory 1 1 shared))
      ;; Fills bytes 0..256 with the byte value $v, $n times, alternating
      ;; 0xAA and 0x55, with plain (non-atomic) stores.
      (func (export "scribble") (param $n i32) (local $i i32) (local $v i32)
        (loop $round
          (local.set $v (select (i32.const 0xAA) (i32.const 0x55)
                          (i32.and (local.get $n) (i32.const 1))))
          (local.set $i (i32.const 0))
          (loop $fill
            (i32.store8 (local.get $i) (local.get $v))
            (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                   (i32.const 256))))
          (br_if $round (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
    "#;
    let engine = wasm_run::Wasmtime::new(&Config::new()).unwrap();
    let memory = SharedMemory::new(&engine, shared_ty()).unwrap();
    let module = Module::new(&engine, WRITER).unwrap();
    let writer = {
        let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
        std::thread::spawn(move || -> wasm_run::Result<()> {
            let (mut store, instance) = instantiate_with(&engine, &module, memory)?;
            let f = instance.get_typed_func::<i32, ()>(&mut store, "scribble")?;
            f.call(&mut store, 20_000)
        })
    };
    let mut seen = [0u8; 256];
    let mut rounds = 0;
    while !writer.is_finished() || rounds == 0 {
        memory.read(0, &mut seen).unwrap();
        for b in seen {
            assert!(
                matches!(b, 0 | 0xAA | 0x55 | 0x11),
                "byte nobody wrote: {b:#x}"
            );
        }
        // The host writes right next to the wasm writer's bytes.
        memory.write(300, &[0x11; 64]).unwrap();
        memory.write(256, &[0x11; 8]).unwrap();
        rounds += 1;
    }
    writer.join().unwrap().unwrap();
    let mut tail = [0u8; 64];
    memory.read(300, &mut tail).unwrap();
    assert_eq!(tail, [0x11; 64]);
    // The writer's last round (n = 1) stored 0xAA everywhere in 0..256.
    memory.read(0, &mut seen).unwrap();
    assert_eq!(seen, [0xAA; 256]);
    assert!(rounds > 0);
    // Out of range is a typed error, not a crash.
    assert!(matches!(
        memory.read(65530, &mut [0; 16]),
        Err(Error::Access(_))
    ));
    assert!(matches!(memory.write(65536, &[1]), Err(Error::Access(_))));
}
