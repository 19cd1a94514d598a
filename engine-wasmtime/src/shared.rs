//! Shared memories (the threads proposal): wasmtime's, owned by no store.

use super::*;

/// A wasmtime shared memory (see [`wasm_run_api::SharedMemory`]).
#[derive(Clone)]
pub struct WasmtimeSharedMemory(pub wt::SharedMemory);

impl std::fmt::Debug for WasmtimeSharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("bytes", &self.0.data_size())
            .finish()
    }
}

// SAFETY: wasmtime reserves a shared memory's whole maximum size when it
// is made and never moves or unmaps it while a handle lives (growing makes
// more of the reservation accessible); `data()` spans the accessible bytes,
// page-aligned, and is meant for concurrent (atomic) access.
unsafe impl SharedMemoryBackend for WasmtimeSharedMemory {
    fn ty(&self) -> MemoryType {
        let mut ty = from_memory_type(&self.0.ty());
        ty.minimum = self.0.size();
        ty
    }
    fn data_size(&self) -> usize {
        self.0.data_size()
    }
    fn data_ptr(&self) -> *mut u8 {
        self.0.data().as_ptr() as *mut u8
    }
    fn grow(&self, delta: u64) -> Result<u64> {
        self.0
            .grow(delta)
            .map_err(|e| Error::Access(format!("memory.grow by {delta} pages failed: {e:#}")))
    }
    fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        self.0
            .atomic_notify(addr, count)
            .map_err(|t| Error::trap(trap_code(t), t.to_string()))
    }
    fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<std::time::Duration>,
    ) -> Result<WaitResult> {
        match self.0.atomic_wait32(addr, expected, timeout) {
            Ok(wt::WaitResult::Ok) => Ok(WaitResult::Ok),
            Ok(wt::WaitResult::Mismatch) => Ok(WaitResult::Mismatch),
            Ok(wt::WaitResult::TimedOut) => Ok(WaitResult::TimedOut),
            Err(t) => Err(Error::trap(trap_code(t), t.to_string())),
        }
    }
}
