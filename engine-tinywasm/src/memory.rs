//! Linear memories whose bytes wasm-run can lend as a slice.
//!
//! tinywasm reads and writes memories only through its `LinearMemory`
//! trait (every access copies). The backend plugs in its own memory type,
//! whose bytes live in a [`Buf`] that the store keeps a second reference to,
//! so that `Memory::data` can lend them. The factory tinywasm calls knows
//! neither the store nor the instance: it records each new buffer in a
//! thread-local list, which the store drains right after the operation that
//! made memories (instantiation, `Memory::new`) and matches, in order, with
//! the memories that operation defined; the operation and the factory run
//! on the same thread. The list is empty whenever no such operation runs
//! (see [`making`]), which is what lets a store move between threads.

use crate::limits::StoreLimits;
use std::cell::{Cell, RefCell, UnsafeCell};
use std::ptr::NonNull;
use std::rc::Rc;

/// The bytes of one memory, shared by tinywasm's memory object and the
/// store's table of memories.
pub(crate) type Buf = Rc<Bytes>;

/// A memory's bytes, and the limits that govern its growth.
pub(crate) struct Bytes {
    data: UnsafeCell<Vec<u8>>,
    /// The declared maximum, in bytes.
    max: Option<usize>,
    /// The limits of the store that made the memory (in its state, which
    /// outlives the tinywasm store and so this memory).
    limits: NonNull<StoreLimits>,
}

impl Bytes {
    /// The bytes (see [`SharedMemory::bytes`] for when they may be
    /// dereferenced).
    pub(crate) fn get(&self) -> *mut Vec<u8> {
        self.data.get()
    }
}

thread_local! {
    static MADE: RefCell<Vec<Buf>> = const { RefCell::new(Vec::new()) };
    /// The limits of the store whose operation runs on this thread.
    static LIMITS: Cell<Option<NonNull<StoreLimits>>> = const { Cell::new(None) };
}

/// The buffers made on this thread since the last call.
fn take_made() -> Vec<Buf> {
    MADE.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

/// Runs `op`, an operation of the store whose limits are `limits` that may
/// make memories, and returns what it returned with the buffers it made, in
/// order. The thread's list is empty when this returns, and also when `op`
/// unwinds: no buffer of a store stays reachable from a thread once the
/// operation is over (the stores' `Send` relies on it).
pub(crate) fn making<R>(limits: NonNull<StoreLimits>, op: impl FnOnce() -> R) -> (R, Vec<Buf>) {
    /// Empties the list when dropped, unwinding included.
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            drop(take_made());
            LIMITS.with(|l| l.set(None));
        }
    }
    let clear = Clear;
    drop(take_made());
    LIMITS.with(|l| l.set(Some(limits)));
    let out = op();
    let made = take_made();
    drop(clear);
    (out, made)
}

/// tinywasm's view of a [`Buf`].
pub(crate) struct SharedMemory(Buf);

/// The declared maximum of a memory type, in bytes (tinywasm fills in its
/// own when none is declared).
fn declared_max(ty: &tinywasm::types::MemoryType) -> Option<usize> {
    (ty.with_page_count_max(None) != *ty)
        .then(|| usize::try_from(ty.max_size()).unwrap_or(usize::MAX))
}

/// The memory factory of every tinywasm engine of this backend. Memories
/// are made only inside [`making`], which names the store's limits.
pub(crate) fn backend() -> tinywasm::MemoryBackend {
    tinywasm::MemoryBackend::custom(move |ty: tinywasm::types::MemoryType| {
        let out_of_memory = tinywasm::Error::Trap(tinywasm::Trap::OutOfMemory);
        let limits = LIMITS.with(Cell::get).ok_or(out_of_memory)?;
        let len = usize::try_from(ty.initial_size())
            .map_err(|_| tinywasm::Error::Trap(tinywasm::Trap::OutOfMemory))?;
        let max = declared_max(&ty);
        // SAFETY: `making` set `limits` for the operation running now, on
        // this thread, in the store they belong to; the store holds no
        // reference to them while tinywasm runs.
        if !unsafe { &mut *limits.as_ptr() }.memory(0, len, max) {
            return Err(tinywasm::Error::Trap(tinywasm::Trap::OutOfMemory));
        }
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(len)
            .map_err(|_| tinywasm::Error::Trap(tinywasm::Trap::OutOfMemory))?;
        bytes.resize(len, 0);
        let buf: Buf = Rc::new(Bytes {
            data: UnsafeCell::new(bytes),
            max,
            limits,
        });
        MADE.with(|m| m.borrow_mut().push(buf.clone()));
        Ok(SharedMemory(buf))
    })
}

impl SharedMemory {
    fn bytes(&self) -> &Vec<u8> {
        // SAFETY: the buffer is only reached through this object (owned by
        // the tinywasm store) and through the wasm-run store that owns that
        // tinywasm store, never from two threads at once (see `making`),
        // and wasm-run lends the bytes only while it borrows its store,
        // during which tinywasm runs nothing. So no `&mut` to the bytes is
        // live here.
        unsafe { &*self.0.get() }
    }
    fn bytes_mut(&mut self) -> &mut Vec<u8> {
        // SAFETY: as in `bytes`; tinywasm calls this with its store
        // borrowed mutably, when wasm-run lends nothing.
        unsafe { &mut *self.0.get() }
    }
}

impl tinywasm::LinearMemory for SharedMemory {
    fn len(&self) -> usize {
        self.bytes().len()
    }
    fn grow_to(&mut self, new_len: usize) -> Result<(), tinywasm::Trap> {
        let (current, max) = (self.len(), self.0.max);
        // SAFETY: the limits live in the store's state, which outlives the
        // tinywasm store holding this memory; tinywasm grows memories only
        // in an operation of that store, which holds no reference to them
        // meanwhile.
        let limits = unsafe { &mut *self.0.limits.as_ptr() };
        if new_len > current && !limits.memory(current, new_len, max) {
            return Err(tinywasm::Trap::OutOfMemory);
        }
        let bytes = self.bytes_mut();
        let extra = new_len.saturating_sub(bytes.len());
        bytes
            .try_reserve_exact(extra)
            .map_err(|_| tinywasm::Trap::OutOfMemory)?;
        bytes.resize(new_len, 0);
        Ok(())
    }
    fn read(&self, addr: usize, dst: &mut [u8]) -> usize {
        let bytes = self.bytes();
        let Some(src) = bytes.get(addr..) else {
            return 0;
        };
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
        n
    }
    fn write(&mut self, addr: usize, src: &[u8]) -> usize {
        let bytes = self.bytes_mut();
        let Some(dst) = bytes.get_mut(addr..) else {
            return 0;
        };
        let n = dst.len().min(src.len());
        dst[..n].copy_from_slice(&src[..n]);
        n
    }
}
