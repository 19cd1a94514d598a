//! Memories: type and size, bounds-checked reads and writes, the live bytes,
//! growing, and host-created memories.

use wasm_run_api::{Config, Engine, Error, Memory, MemoryType, Result};

use super::helpers::*;

pub(super) const MEMORY_WAT: &str = r#"
(module
  (memory (export "memory") 1 3)
  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)
  (func (export "size") (result i32) memory.size)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
"#;

/// Memory: `ty`, `size`, `data_size`; `read`/`write` are bounds-checked
/// (errors, not panics, and a failed write changes nothing); `data`/`data_mut`
/// are the live bytes the guest reads and writes; `grow` returns the old size,
/// keeps the contents, zero-fills and refuses to pass the maximum
/// (`Error::Access`) as `memory.grow` returns -1; host-created memories.
pub fn memory_ops<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    const PAGE: usize = 65536;
    let engine = default_engine(&make);
    let (mut store, instance) = instantiate_wat(&engine, MEMORY_WAT);
    let memory = instance
        .get_memory(&mut store, "memory")
        .expect("memory export");
    let load8 = instance.typed_func::<i32, i32>(&mut store, "load8");
    let store8 = instance.typed_func::<(i32, i32), ()>(&mut store, "store8");
    let size = instance.typed_func::<(), i32>(&mut store, "size");
    let grow = instance.typed_func::<i32, i32>(&mut store, "grow");

    assert_eq!(memory.ty(&store), MemoryType::new(1, Some(3)));
    assert_eq!(memory.size(&store), 1);
    assert_eq!(memory.data_size(&store), PAGE);
    assert_eq!(memory.data(&store).len(), PAGE);
    assert!(
        memory.data(&store).iter().all(|b| *b == 0),
        "a fresh memory is not zeroed"
    );

    ok(memory.write(&mut store, 100, b"hello"), "write");
    let mut buf = [0; 5];
    ok(memory.read(&store, 100, &mut buf), "read");
    assert_eq!(&buf, b"hello");
    assert_eq!(
        ok(load8.call(&mut store, 100), "load8(100)"),
        i32::from(b'h'),
        "the guest sees the host's write"
    );
    ok(store8.call(&mut store, (200, 0x5a)), "store8");
    assert_eq!(
        memory.data(&store)[200],
        0x5a,
        "data() sees the guest's store"
    );
    memory.data_mut(&mut store)[300] = 77;
    assert_eq!(
        ok(load8.call(&mut store, 300), "load8(300)"),
        77,
        "the guest sees a write through data_mut()"
    );

    // Bounds checks.
    assert_err!(
        memory.write(&mut store, PAGE - 2, &[1, 2, 3, 4]),
        Error::Access(_),
        "write across the end"
    );
    assert_err!(
        memory.write(&mut store, PAGE, &[1]),
        Error::Access(_),
        "write past the end"
    );
    assert_err!(
        memory.write(&mut store, usize::MAX, &[1]),
        Error::Access(_),
        "write at usize::MAX"
    );
    assert_err!(
        memory.read(&store, PAGE - 1, &mut [0; 2]),
        Error::Access(_),
        "read across the end"
    );
    assert_err!(
        memory.read(&store, usize::MAX, &mut [0; 1]),
        Error::Access(_),
        "read at usize::MAX"
    );
    assert_eq!(
        &memory.data(&store)[PAGE - 2..],
        &[0, 0],
        "a failed write changed the memory"
    );
    ok(
        memory.write(&mut store, PAGE - 1, &[9]),
        "write of the last byte",
    );
    assert_eq!(
        ok(load8.call(&mut store, (PAGE - 1) as i32), "load8(last)"),
        9
    );

    // Growing.
    assert_eq!(
        ok(memory.grow(&mut store, 1), "grow(1)"),
        1,
        "grow returns the old size in pages"
    );
    assert_eq!(memory.size(&store), 2);
    assert_eq!(memory.data_size(&store), 2 * PAGE);
    assert_eq!(
        memory.ty(&store).minimum,
        2,
        "ty().minimum is the current size"
    );
    assert_eq!(memory.ty(&store).maximum, Some(3));
    assert_eq!(
        &memory.data(&store)[100..105],
        b"hello",
        "growing lost the contents"
    );
    assert!(
        memory.data(&store)[PAGE..].iter().all(|b| *b == 0),
        "the new page is not zeroed"
    );
    assert_eq!(
        ok(size.call(&mut store, ()), "size"),
        2,
        "the guest sees the host's grow"
    );
    assert_eq!(ok(grow.call(&mut store, 1), "guest grow(1)"), 2);
    assert_eq!(memory.size(&store), 3, "the host sees the guest's grow");
    assert_eq!(
        ok(grow.call(&mut store, 1), "guest grow past the maximum"),
        -1
    );
    assert_err!(
        memory.grow(&mut store, 1),
        Error::Access(_),
        "host grow past the maximum"
    );
    assert_eq!(memory.size(&store), 3, "a refused grow changed the size");
    assert_eq!(ok(memory.grow(&mut store, 0), "grow(0)"), 3);
    ok(
        memory.write(&mut store, 3 * PAGE - 1, &[5]),
        "write in the last page",
    );

    // Host-created memory.
    let host = ok(
        Memory::new(&mut store, MemoryType::new(2, Some(5))),
        "Memory::new",
    );
    assert_eq!(host.ty(&store), MemoryType::new(2, Some(5)));
    assert_eq!(host.size(&store), 2);
    assert_eq!(host.data_size(&store), 2 * PAGE);
    assert_eq!(ok(host.grow(&mut store, 3), "grow(3)"), 2);
    assert_err!(
        host.grow(&mut store, 1),
        Error::Access(_),
        "host memory grow past its maximum"
    );
    assert!(
        Memory::new(&mut store, MemoryType::new(3, Some(2))).is_err(),
        "a memory with minimum > maximum"
    );
    let shared = MemoryType {
        shared: true,
        ..MemoryType::new(1, Some(1))
    };
    assert_err!(
        Memory::new(&mut store, shared),
        Error::Type(_),
        "Memory::new with a shared type (SharedMemory::new makes those)"
    );
}
