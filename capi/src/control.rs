//! Execution control (deadlines, interrupts from other threads) and items
//! the host creates (memories, globals, tables).

use crate::error::*;
use crate::externs::wr_extern_t;
use crate::store::wr_store_t;
use crate::val::*;
use std::time::Duration;
use wasm_run::{
    Extern, Global, GlobalType, InterruptHandle, Memory, MemoryType, Mutability, Table, TableType,
    ValType,
};

/// Stops the running calls of a store from any thread. Owned by the caller
/// ([`wr_interrupt_delete`]); may be shared between threads.
pub struct wr_interrupt_t(InterruptHandle);

/// Makes calls in `store` that run longer than `timeout_ms` milliseconds
/// (from now) trap with `WR_TRAP_CODE_DEADLINE`; the feature "deadline" must
/// be on in the engine's config. 0 removes the deadline.
///
/// # Safety
///
/// `store` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_set_deadline(
    store: *mut wr_store_t,
    timeout_ms: u64,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let store = unsafe { obj_mut(store, "store")? };
        if timeout_ms == 0 {
            store.store.clear_deadline()?;
        } else {
            store
                .store
                .set_deadline(Duration::from_millis(timeout_ms))?;
        }
        Ok(())
    })
}

/// The handle that interrupts `store`'s calls (they trap with
/// `WR_TRAP_CODE_INTERRUPT`, see [`wr_interrupt`]); the feature "interrupt"
/// must be on in the engine's config (else `WR_ERROR_KIND_UNSUPPORTED`).
///
/// # Safety
///
/// `store` is live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_interrupt_handle(
    store: *const wr_store_t,
    out: *mut *mut wr_interrupt_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let store = unsafe { obj(store, "store")? };
        let handle = store.store.interrupt_handle()?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_interrupt_t(handle), "out") }
    })
}

/// Interrupts the store's running call; if none is running, the request is
/// kept and the store's next entry into wasm (`wr_func_call`,
/// `wr_linker_instantiate`) traps with `WR_TRAP_CODE_INTERRUPT` before
/// running any wasm. Each request stops one call, then later calls run
/// normally, so a watchdog that fires just before the guest starts still
/// stops it; [`wr_store_discard_interrupts`] drops a pending request. NULL
/// does nothing. Safe to call from any thread.
///
/// # Safety
///
/// `handle` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_interrupt(handle: *const wr_interrupt_t) {
    // SAFETY: as the caller guarantees.
    if let Some(h) = unsafe { handle.as_ref() } {
        h.0.interrupt();
    }
}

/// Drops an interrupt request pending for `store` (made while it ran
/// nothing), so that its next call runs; the feature "interrupt" must be on.
///
/// # Safety
///
/// `store` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_discard_interrupts(store: *mut wr_store_t) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let store = unsafe { obj_mut(store, "store")? };
        store.store.discard_interrupts()?;
        Ok(())
    })
}

/// Frees an interrupt handle; NULL does nothing.
///
/// # Safety
///
/// `handle` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_interrupt_delete(handle: *mut wr_interrupt_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(handle) }
}

fn limit(max: u64) -> Option<u64> {
    (max != u64::MAX).then_some(max)
}

/// Creates a memory of `minimum` pages (64 KiB) and at most `maximum`
/// (`UINT64_MAX` for none) in `store`, e.g. to define as an import.
///
/// # Safety
///
/// `store` is live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_memory_new(
    store: *mut wr_store_t,
    minimum: u64,
    maximum: u64,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let store = unsafe { obj_mut(store, "store")? };
        let memory = Memory::new(&mut store.store, MemoryType::new(minimum, limit(maximum)))?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_extern_t(Extern::Memory(memory)), "out") }
    })
}

/// Creates a global holding `value` (its kind is the global's type),
/// mutable or not, in `store`.
///
/// # Safety
///
/// `store` and `value` are live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_global_new(
    store: *mut wr_store_t,
    value: *const wr_val_t,
    mutable_: bool,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (store, value) = unsafe { (obj_mut(store, "store")?, obj(value, "value")?) };
        let ty = GlobalType::new(
            type_of(value.kind)?,
            if mutable_ {
                Mutability::Var
            } else {
                Mutability::Const
            },
        );
        let global = Global::new(&mut store.store, ty, from_c(value)?)?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_extern_t(Extern::Global(global)), "out") }
    })
}

/// Creates a table of `element` references (`WR_VALKIND_FUNCREF` or
/// `WR_VALKIND_EXTERNREF`), `minimum` null elements and at most `maximum`
/// (`UINT64_MAX` for none), in `store`.
///
/// # Safety
///
/// `store` is live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_table_new(
    store: *mut wr_store_t,
    element: wr_valkind_t,
    minimum: u64,
    maximum: u64,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let store = unsafe { obj_mut(store, "store")? };
        let ValType::Ref(refs) = type_of(element)? else {
            return Err(wr_error_t::invalid(
                "a table's element kind must be a reference",
            ));
        };
        let null = from_c(&wr_val_t {
            kind: element,
            of: wr_val_union_t { i64: 0 },
        })?;
        let table = Table::new(
            &mut store.store,
            TableType::new(refs, minimum, limit(maximum)),
            null,
        )?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_extern_t(Extern::Table(table)), "out") }
    })
}
