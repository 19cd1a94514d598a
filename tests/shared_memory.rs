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

fn counter_on<E: Engine>(engine: E) -> wasm_run::Result<u32> {
    let memory = SharedMemory::new(&engine, shared_ty())?;
    let module = Module::new(&engine, COUNTER)?;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
            std::thread::spawn(move || -> wasm_run::Result<()> {
                let mut store = Store::new(&engine, ());
                let mut linker = Linker::new(&engine);
                linker.define(&store, "env", "memory", memory)?;
                let instance = linker.instantiate(&mut store, &module)?;
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
