//! Memories shared between threads and stores (the threads proposal).

use crate::Engine;
use crate::backend::SharedMemoryBackend;
use crate::error::{Error, Result};
use crate::handles::out_of_bounds;
use crate::types::*;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// A linear memory shared between threads (the threads proposal): created
/// from the engine, owned by no store, and usable from any thread. Instances
/// in different stores on different threads can import the same one.
pub struct SharedMemory<E: Engine>(E::SharedMemory);

impl<E: Engine> Clone for SharedMemory<E> {
    fn clone(&self) -> Self {
        SharedMemory(self.0.clone())
    }
}

impl<E: Engine> fmt::Debug for SharedMemory<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<E: Engine> SharedMemory<E> {
    /// A new shared memory; `ty.shared` must be set. Backends without threads
    /// answer [`Error::Unsupported`].
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `ty.shared` is not set, or `ty` is not a valid shared
    ///   memory type (e.g. on wasmtime, one without a maximum).
    /// - [`Error::Unsupported`] for `threads` on a backend without threads (wasmi)
    ///   or an engine with threads disabled.
    /// - [`Error::Engine`] if the engine cannot create it (e.g. out of memory).
    pub fn new(engine: &E, ty: MemoryType) -> Result<Self> {
        if !ty.shared {
            return Err(Error::Type(format!("{ty} is not a shared memory type")));
        }
        engine.shared_memory_new(ty).map(SharedMemory)
    }
    /// Wraps a backend handle.
    pub fn from_native(native: E::SharedMemory) -> Self {
        SharedMemory(native)
    }
    /// The backend handle.
    pub fn as_native(&self) -> &E::SharedMemory {
        &self.0
    }
    /// The memory's type; `minimum` is the current size in pages.
    pub fn ty(&self) -> MemoryType {
        self.0.ty()
    }
    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        self.0.data_size()
    }
    /// Grows by `delta` pages; returns the previous size in pages.
    ///
    /// # Errors
    ///
    /// [`Error::Access`] if the memory cannot grow by `delta` pages (past its
    /// maximum, or out of host memory).
    pub fn grow(&self, delta: u64) -> Result<u64> {
        self.0.grow(delta)
    }
    fn range(&self, offset: usize, len: usize) -> Result<*mut u8> {
        let size = self.0.data_size();
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(self.0.data_ptr().wrapping_add(offset)),
            _ => Err(out_of_bounds(offset, len, size)),
        }
    }
    /// Copies bytes out of the memory.
    ///
    /// Other threads (wasm or host) may be writing at the same time, so the
    /// memory is read only with atomic (relaxed) loads, never as a plain
    /// Rust slice: the copy is a snapshot without ordering guarantees beyond
    /// what the program's own atomics give, and a value written concurrently
    /// may be seen partly old, partly new (as a wasm reader could see it).
    ///
    /// # Errors
    ///
    /// [`Error::Access`] when `offset..offset + buf.len()` is outside the
    /// memory.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        let src = self.range(offset, buf.len())?;
        for (i, out) in buf.iter_mut().enumerate() {
            // SAFETY: `src + i` is inside the memory (checked above), which
            // lives as long as `self`; every host access to shared memory
            // goes through atomics, so this is no data race in Rust's model.
            *out = unsafe { AtomicU8::from_ptr(src.add(i)) }.load(Ordering::Relaxed);
        }
        Ok(())
    }
    /// Copies bytes into the memory with atomic (relaxed) stores (same
    /// caveats as [`SharedMemory::read`]).
    ///
    /// # Errors
    ///
    /// [`Error::Access`] when the range is outside the memory.
    pub fn write(&self, offset: usize, bytes: &[u8]) -> Result<()> {
        let dst = self.range(offset, bytes.len())?;
        for (i, b) in bytes.iter().enumerate() {
            // SAFETY: as in `read`.
            unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(*b, Ordering::Relaxed);
        }
        Ok(())
    }
    /// The `u32` at `offset` as an atomic, for lock-free exchange with wasm
    /// code using `i32.atomic.*` on the same address.
    ///
    /// # Errors
    ///
    /// [`Error::Access`] if `offset` is not a multiple of 4, or the four bytes at
    /// `offset` are outside the memory.
    pub fn atomic_u32(&self, offset: usize) -> Result<&std::sync::atomic::AtomicU32> {
        if !offset.is_multiple_of(4) {
            return Err(Error::Access(format!(
                "unaligned atomic access at {offset}"
            )));
        }
        let p = self.range(offset, 4)?;
        // SAFETY: in bounds, 4-aligned (memories are page-aligned), and the
        // memory outlives the borrow of `self`.
        Ok(unsafe { &*(p as *const std::sync::atomic::AtomicU32) })
    }
    /// `memory.atomic.notify` from the host: wakes up to `count` waiters.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`] with [`TrapCode::MemoryOutOfBounds`](crate::TrapCode::MemoryOutOfBounds)
    /// if `addr` is outside the memory, or
    /// [`TrapCode::UnalignedAtomic`](crate::TrapCode::UnalignedAtomic) if it is not 4-byte
    /// aligned.
    pub fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        self.0.atomic_notify(addr, count)
    }
    /// `memory.atomic.wait32` from the host.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`] with [`TrapCode::MemoryOutOfBounds`](crate::TrapCode::MemoryOutOfBounds)
    /// if `addr` is outside the memory, or
    /// [`TrapCode::UnalignedAtomic`](crate::TrapCode::UnalignedAtomic) if it is not 4-byte
    /// aligned.
    pub fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<std::time::Duration>,
    ) -> Result<crate::backend::WaitResult> {
        self.0.atomic_wait32(addr, expected, timeout)
    }
}
