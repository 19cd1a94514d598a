//! Linear memories whose bytes wasm-run can lend as a slice.
//!
//! tinywasm reads and writes memories only through its `LinearMemory`
//! trait (every access copies). The backend plugs in its own memory type,
//! whose bytes live in a [`Buf`] that the store keeps a second reference to,
//! so that `Memory::data` can lend them. The factory tinywasm calls knows
//! neither the store nor the instance: it records each new buffer in a
//! thread-local list, which the store drains right after the operation that
//! made memories (instantiation, `Memory::new`) and matches, in order, with
//! the memories that operation defined. Stores are not `Send`, so the
//! operation and the factory run on the same thread.

use std::cell::{RefCell, UnsafeCell};
use std::rc::Rc;

/// The bytes of one memory, shared by tinywasm's memory object and the
/// store's table of memories.
pub(crate) type Buf = Rc<UnsafeCell<Vec<u8>>>;

thread_local! {
    static MADE: RefCell<Vec<Buf>> = const { RefCell::new(Vec::new()) };
}

/// The buffers made on this thread since the last call.
pub(crate) fn take_made() -> Vec<Buf> {
    MADE.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

/// tinywasm's view of a [`Buf`].
pub(crate) struct SharedMemory(Buf);

/// The memory factory of every tinywasm engine of this backend.
pub(crate) fn backend(max_bytes: Option<usize>) -> tinywasm::MemoryBackend {
    tinywasm::MemoryBackend::custom(move |ty: tinywasm::types::MemoryType| {
        let len = usize::try_from(ty.initial_size())
            .ok()
            .filter(|n| max_bytes.is_none_or(|max| *n <= max))
            .ok_or(tinywasm::Error::Trap(tinywasm::Trap::OutOfMemory))?;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(len)
            .map_err(|_| tinywasm::Error::Trap(tinywasm::Trap::OutOfMemory))?;
        bytes.resize(len, 0);
        let buf: Buf = Rc::new(UnsafeCell::new(bytes));
        MADE.with(|m| m.borrow_mut().push(buf.clone()));
        Ok(SharedMemory(buf))
    })
}

impl SharedMemory {
    fn bytes(&self) -> &Vec<u8> {
        // SAFETY: the buffer is only reached through this object (owned by
        // the tinywasm store) and through the wasm-run store that owns that
        // tinywasm store; both are on one thread (`Rc`), and wasm-run lends
        // the bytes only while it borrows its store, during which tinywasm
        // runs nothing. So no `&mut` to the bytes is live here.
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
