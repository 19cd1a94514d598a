//! Stores with a user data pointer, and contexts: the store itself, or the
//! calling instance inside a host callback.

use crate::engine::wr_engine_t;
use crate::error::*;
use std::ffi::c_void;
use wasm_run::{AnyEngine, Caller, Store};

/// A finaliser for user data, called once when its owner is freed.
pub type wr_finalizer_t = Option<unsafe extern "C" fn(data: *mut c_void)>;

/// The host state of every store of the C API: the caller's data pointer.
pub(crate) struct HostState {
    data: *mut c_void,
    finalizer: wr_finalizer_t,
}

// SAFETY: the pointer is the C caller's; wasm-run never dereferences it, and
// the README's threading rule (a store is used by one thread at a time)
// makes moving it with its store between threads the caller's choice.
unsafe impl Send for HostState {}

impl Drop for HostState {
    fn drop(&mut self) {
        if let Some(finalize) = self.finalizer {
            // SAFETY: the caller registered this finaliser for this pointer
            // and it runs exactly once, here.
            unsafe { finalize(self.data) }
        }
    }
}

pub(crate) type CStore = Store<AnyEngine, HostState>;
pub(crate) type CCaller<'a> = Caller<'a, AnyEngine, HostState>;

/// Where handle operations run: a store ([`wr_store_context`]) or, inside a
/// host callback, the caller. Borrowed; never freed by the caller. A
/// callback's context is valid only until the callback returns.
pub struct wr_context_t {
    pub(crate) inner: Ctx,
}

pub(crate) enum Ctx {
    Store(*mut CStore),
    Caller(*mut CCaller<'static>),
}

/// Runs `$body` with `$c` bound to the context's store or caller (both are
/// `AsContextMut`), so each handle operation is written once.
macro_rules! with_ctx {
    ($ctx:expr, |$c:ident| $body:expr) => {{
        let ctx: &mut $crate::store::wr_context_t = $ctx;
        match ctx.inner {
            $crate::store::Ctx::Store(s) => {
                // SAFETY: a store context points into its live, boxed store,
                // which the caller does not use otherwise meanwhile.
                let $c = unsafe { &mut *s };
                $body
            }
            $crate::store::Ctx::Caller(c) => {
                // SAFETY: a caller context exists only during its callback,
                // while the caller it points to is alive and borrowed for it.
                let $c = unsafe { &mut *c };
                $body
            }
        }
    }};
}
pub(crate) use with_ctx;

/// A store: the instances, memories and other items of one guest, and the
/// caller's data pointer. Owned by the caller ([`wr_store_delete`]); used by
/// one thread at a time.
pub struct wr_store_t {
    pub(crate) store: CStore,
    ctx: wr_context_t,
}

/// Creates a store for `engine` holding `data`; `finalizer` (may be NULL)
/// is called with `data` when the store is deleted.
///
/// # Safety
///
/// `engine` is live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_new(
    engine: *const wr_engine_t,
    data: *mut c_void,
    finalizer: wr_finalizer_t,
    out: *mut *mut wr_store_t,
) -> *mut wr_error_t {
    guard(|| {
        if out.is_null() {
            return Err(wr_error_t::invalid("out is NULL"));
        }
        // SAFETY: as the caller guarantees.
        let engine = unsafe { obj(engine, "engine")? };
        let mut boxed = Box::new(wr_store_t {
            store: Store::new(&engine.0, HostState { data, finalizer }),
            ctx: wr_context_t {
                inner: Ctx::Store(std::ptr::null_mut()),
            },
        });
        boxed.ctx.inner = Ctx::Store(&mut boxed.store);
        // SAFETY: checked non-null; writable as the caller guarantees. The
        // box is not moved again, so the context's pointer stays valid.
        unsafe { out.write(Box::into_raw(boxed)) };
        Ok(())
    })
}

/// Frees a store and everything in it, calling its finaliser; NULL does
/// nothing.
///
/// # Safety
///
/// `store` is NULL or live, not used afterwards (nor its handles).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_delete(store: *mut wr_store_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(store) }
}

/// The store's context, valid while the store lives; NULL for NULL.
///
/// # Safety
///
/// `store` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_context(store: *mut wr_store_t) -> *mut wr_context_t {
    // SAFETY: as the caller guarantees.
    match unsafe { store.as_mut() } {
        Some(s) => &mut s.ctx,
        None => std::ptr::null_mut(),
    }
}

/// The data pointer of the context's store (NULL for a NULL context).
///
/// # Safety
///
/// `ctx` is NULL or a live context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_context_data(ctx: *mut wr_context_t) -> *mut c_void {
    // SAFETY: as the caller guarantees.
    match unsafe { ctx.as_mut() } {
        Some(ctx) => with_ctx!(ctx, |c| c.data().data),
        None => std::ptr::null_mut(),
    }
}

/// The fuel left in the context's store (fuel must be on in the config).
///
/// # Safety
///
/// `ctx` is a live context; `fuel` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_context_get_fuel(
    ctx: *mut wr_context_t,
    fuel: *mut u64,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let ctx = unsafe { obj_mut(ctx, "ctx")? };
        let left = with_ctx!(ctx, |c| c.get_fuel())?;
        // SAFETY: as the caller guarantees.
        unsafe { put(fuel, left, "fuel") }
    })
}

/// Sets the fuel left in the context's store (fuel must be on).
///
/// # Safety
///
/// `ctx` is a live context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_context_set_fuel(ctx: *mut wr_context_t, fuel: u64) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let ctx = unsafe { obj_mut(ctx, "ctx")? };
        Ok(with_ctx!(ctx, |c| c.set_fuel(fuel))?)
    })
}
