//! Stores with a user data pointer, and contexts: the store itself, or the
//! calling instance inside a host callback.

use crate::engine::wr_engine_t;
use crate::error::*;
use std::ffi::c_void;
use wasm_run::backend::ContextBackend;
use wasm_run::wasi::{HasWasi, WasiCtx};
use wasm_run::{AnyEngine, AsContext, Caller, Store, StoreId};

/// A finaliser for user data, called once when its owner is freed.
pub type wr_finalizer_t = Option<unsafe extern "C" fn(data: *mut c_void)>;

/// A C caller's pointer and the finaliser it registered for it (may be
/// none), called exactly once, when this is dropped: the store data, a
/// callback's `env`, the host data behind an `externref`.
pub(crate) struct Finalized {
    data: *mut c_void,
    finalizer: wr_finalizer_t,
}

impl Finalized {
    pub(crate) fn new(data: *mut c_void, finalizer: wr_finalizer_t) -> Self {
        Finalized { data, finalizer }
    }

    /// The pointer.
    pub(crate) fn data(&self) -> *mut c_void {
        self.data
    }
}

// SAFETY: the pointer is the C caller's and wasm-run never dereferences it;
// the README's threading rules (a store is used by one thread at a time; a
// callback may be called from every thread that uses a store of its linker,
// which the caller accepts by defining it) make moving it between threads
// the caller's choice.
unsafe impl Send for Finalized {}
// SAFETY: as for `Send`: shared references only read the pointer's value
// and hand it back to C.
unsafe impl Sync for Finalized {}

impl Drop for Finalized {
    fn drop(&mut self) {
        if let Some(finalize) = self.finalizer {
            // SAFETY: the caller registered this finaliser for this pointer;
            // a `Finalized` is dropped once, so it runs once.
            unsafe { finalize(self.data) }
        }
    }
}

/// The host state of every store of the C API: the caller's data pointer,
/// and the WASI context once `wr_store_set_wasi` gave one.
pub(crate) struct HostState {
    user: Finalized,
    pub(crate) wasi: Option<WasiCtx<AnyEngine>>,
}

/// The WASI functions of a linker reach the store's context here. A store
/// without one cannot instantiate a module that imports WASI
/// (`wr_linker_instantiate` refuses it), so no WASI function runs without
/// it; the panic below would be caught and returned as an error anyway.
impl HasWasi<AnyEngine> for HostState {
    fn wasi(&mut self) -> &mut WasiCtx<AnyEngine> {
        self.wasi
            .as_mut()
            .expect("a WASI function ran in a store without a WASI context")
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

impl wr_context_t {
    /// The id of the context's store.
    pub(crate) fn store_id(&mut self) -> StoreId {
        with_ctx!(self, |c| c.ctx().store_id())
    }

    /// `WR_ERROR_KIND_WRONG_STORE` unless the item owned by `owner` (`None`:
    /// owned by no store) belongs to this context's store: checked before
    /// any handle reaches the engine.
    pub(crate) fn owns(&mut self, owner: Option<StoreId>) -> Res {
        match owner {
            Some(id) if id != self.store_id() => Err(wasm_run::Error::WrongStore.into()),
            _ => Ok(()),
        }
    }
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
            store: Store::new(
                &engine.0,
                HostState {
                    user: Finalized::new(data, finalizer),
                    wasi: None,
                },
            ),
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
        Some(ctx) => with_ctx!(ctx, |c| c.data().user.data()),
        None => std::ptr::null_mut(),
    }
}

/// Replaces the data pointer of the context's store with `data` and its
/// finaliser with `finalizer` (may be NULL). The previous finaliser, if
/// any, is called at once with the previous data (the store owned it);
/// read it first with [`wr_context_data`] to keep it.
///
/// # Safety
///
/// `ctx` is a live context.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_context_set_data(
    ctx: *mut wr_context_t,
    data: *mut c_void,
    finalizer: wr_finalizer_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let ctx = unsafe { obj_mut(ctx, "ctx")? };
        // Replacing drops the previous one: its finaliser runs now.
        with_ctx!(ctx, |c| c.data_mut().user = Finalized::new(data, finalizer));
        Ok(())
    })
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
