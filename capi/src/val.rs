//! Values and value types as C sees them.

use crate::error::*;
use crate::externs::wr_extern_t;
use crate::store::{Finalized, with_ctx, wr_context_t, wr_finalizer_t};
use std::ffi::c_void;
use wasm_run::{AnyEngine, Extern, ExternRef, V128, Val, ValType};

/// The type of a value: one of the `WR_VALKIND_*` constants. A byte, not
/// an enum, so that a value C wrote with a kind out of range is an error,
/// not undefined behaviour.
pub type wr_valkind_t = u8;

/// 32-bit integer.
pub const WR_VALKIND_I32: wr_valkind_t = 0;
/// 64-bit integer.
pub const WR_VALKIND_I64: wr_valkind_t = 1;
/// 32-bit float.
pub const WR_VALKIND_F32: wr_valkind_t = 2;
/// 64-bit float.
pub const WR_VALKIND_F64: wr_valkind_t = 3;
/// 128-bit vector.
pub const WR_VALKIND_V128: wr_valkind_t = 4;
/// A function reference (`of.ref_`: a function handle, or NULL).
pub const WR_VALKIND_FUNCREF: wr_valkind_t = 5;
/// An external reference (`of.externref`: host data made with
/// `wr_externref_new`, or NULL).
pub const WR_VALKIND_EXTERNREF: wr_valkind_t = 6;
/// Another reference type (GC proposals); not usable from C yet.
pub const WR_VALKIND_OTHERREF: wr_valkind_t = 7;

/// The payload of a [`wr_val_t`], chosen by its kind.
#[repr(C)]
#[derive(Clone, Copy)]
pub union wr_val_union_t {
    /// For `WR_VALKIND_I32`.
    pub i32: i32,
    /// For `WR_VALKIND_I64`.
    pub i64: i64,
    /// For `WR_VALKIND_F32` (bits are kept, NaN payloads included).
    pub f32: f32,
    /// For `WR_VALKIND_F64` (bits are kept, NaN payloads included).
    pub f64: f64,
    /// For `WR_VALKIND_V128`, little-endian lanes.
    pub v128: [u8; 16],
    /// For `WR_VALKIND_FUNCREF`: the function, or NULL for `ref.null func`.
    /// A function the library hands out (a call's results, `wr_global_get`,
    /// `wr_table_get`) is a new handle the caller owns and frees with
    /// `wr_extern_delete`; one the caller passes in stays the caller's. In
    /// a host callback, the arguments' handles are freed when it returns.
    pub ref_: *mut wr_extern_t,
    /// For `WR_VALKIND_EXTERNREF`: the reference, or NULL for
    /// `ref.null extern`. Owned as `ref_` is: one the library hands out is
    /// the caller's to `wr_externref_delete`, one passed in stays the
    /// caller's, a callback's arguments are freed when it returns.
    pub externref: *mut wr_externref_t,
}

/// A non-null `externref`: host data (a pointer the library never reads)
/// that wasm can hold, pass around and give back. A handle the caller owns
/// and frees with [`wr_externref_delete`], usable with its store's context
/// while the store lives; freeing the handle does not free the data.
pub struct wr_externref_t(pub(crate) ExternRef<AnyEngine>);

/// Creates an `externref` holding `data` in the context's store;
/// `finalizer` (may be NULL) is called with `data` once the engine drops
/// the value: when neither wasm nor a handle can reach it any more (wasmtime
/// collects it then), at the latest when the store is deleted. `*out` is a
/// new handle the caller owns; pass it in a `wr_val_t` of kind
/// `WR_VALKIND_EXTERNREF` (`of.externref`).
///
/// # Safety
///
/// `ctx` is a live context; `out` writable; `data` and `finalizer` stay
/// valid until the finaliser runs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externref_new(
    ctx: *mut wr_context_t,
    data: *mut c_void,
    finalizer: wr_finalizer_t,
    out: *mut *mut wr_externref_t,
) -> *mut wr_error_t {
    guard(|| {
        if out.is_null() {
            // Nothing is created, so the finaliser is not registered.
            return Err(wr_error_t::invalid("out is NULL"));
        }
        // SAFETY: as the caller guarantees.
        let ctx = unsafe { obj_mut(ctx, "ctx")? };
        // The host value behind the reference: finalised once, when the
        // engine drops it (no wasm value or handle reaches it any more; at
        // the latest when the store is deleted).
        let value = Finalized::new(data, finalizer);
        let r = with_ctx!(ctx, |c| ExternRef::new(c, value))?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_externref_t(r), "out") }
    })
}

/// The data pointer of the `externref` `r`: `*data` gets the pointer given
/// to `wr_externref_new`, or NULL for a reference that holds no C data
/// (one made inside wasm, e.g. by `extern.convert_any`).
///
/// # Safety
///
/// `ctx` is the context of `r`'s store; `r` live; `data` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externref_data(
    ctx: *mut wr_context_t,
    r: *const wr_externref_t,
    data: *mut *mut c_void,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, r) = unsafe { (obj_mut(ctx, "ctx")?, obj(r, "r")?) };
        ctx.owns(Some(r.0.store_id()))?;
        let ptr = with_ctx!(ctx, |c| r
            .0
            .data(&*c)
            .and_then(|v| v.downcast_ref::<Finalized>())
            .map_or(std::ptr::null_mut(), |h| h.data()));
        // SAFETY: as the caller guarantees.
        unsafe { put(data, ptr, "data") }
    })
}

/// Frees an `externref` handle (not its data); NULL does nothing.
///
/// # Safety
///
/// `r` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externref_delete(r: *mut wr_externref_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(r) }
}

/// A value: a kind and its payload. Function and external references carry
/// a handle (or NULL for a null reference).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wr_val_t {
    /// What the value is.
    pub kind: wr_valkind_t,
    /// The value.
    pub of: wr_val_union_t,
}

pub(crate) fn kind_of(ty: &ValType) -> wr_valkind_t {
    match ty {
        ValType::I32 => WR_VALKIND_I32,
        ValType::I64 => WR_VALKIND_I64,
        ValType::F32 => WR_VALKIND_F32,
        ValType::F64 => WR_VALKIND_F64,
        ValType::V128 => WR_VALKIND_V128,
        t if *t == ValType::FUNCREF => WR_VALKIND_FUNCREF,
        t if *t == ValType::EXTERNREF => WR_VALKIND_EXTERNREF,
        ValType::Ref(_) => WR_VALKIND_OTHERREF,
    }
}

pub(crate) fn type_of(kind: wr_valkind_t) -> Res<ValType> {
    Ok(match kind {
        WR_VALKIND_I32 => ValType::I32,
        WR_VALKIND_I64 => ValType::I64,
        WR_VALKIND_F32 => ValType::F32,
        WR_VALKIND_F64 => ValType::F64,
        WR_VALKIND_V128 => ValType::V128,
        WR_VALKIND_FUNCREF => ValType::FUNCREF,
        WR_VALKIND_EXTERNREF => ValType::EXTERNREF,
        other => return Err(bad_kind(other)),
    })
}

fn bad_kind(kind: wr_valkind_t) -> wr_error_t {
    wr_error_t::invalid(match kind {
        WR_VALKIND_OTHERREF => "WR_VALKIND_OTHERREF values cannot cross the C API yet".to_string(),
        k => format!("{k} is not a WR_VALKIND_* value"),
    })
}

/// A C value as a wasm-run value.
pub(crate) fn from_c(v: &wr_val_t) -> Res<Val<AnyEngine>> {
    // SAFETY (each arm): the kind says which field the caller wrote; the
    // number fields are plain data valid for any bits, and a reference field
    // holds NULL or a live handle of this library, as the header requires.
    Ok(unsafe {
        match v.kind {
            WR_VALKIND_I32 => Val::I32(v.of.i32),
            WR_VALKIND_I64 => Val::I64(v.of.i64),
            WR_VALKIND_F32 => Val::F32(v.of.f32.to_bits()),
            WR_VALKIND_F64 => Val::F64(v.of.f64.to_bits()),
            WR_VALKIND_V128 => Val::V128(V128(u128::from_le_bytes(v.of.v128))),
            WR_VALKIND_FUNCREF => match v.of.ref_.as_ref() {
                None => Val::FuncRef(None),
                Some(wr_extern_t(Extern::Func(f))) => Val::FuncRef(Some(*f)),
                Some(_) => {
                    return Err(wr_error_t::new(
                        wr_error_kind_t::WR_ERROR_KIND_TYPE,
                        "a funcref value holds a handle that is not a function",
                    ));
                }
            },
            WR_VALKIND_EXTERNREF => Val::ExternRef(v.of.externref.as_ref().map(|r| r.0)),
            other => return Err(bad_kind(other)),
        }
    })
}

/// A wasm-run value as a C value; a function reference becomes a new
/// handle the caller owns. Non-null external references are refused.
pub(crate) fn to_c(v: &Val<AnyEngine>) -> Res<wr_val_t> {
    let (kind, of) = match v {
        Val::I32(x) => (WR_VALKIND_I32, wr_val_union_t { i32: *x }),
        Val::I64(x) => (WR_VALKIND_I64, wr_val_union_t { i64: *x }),
        Val::F32(b) => (
            WR_VALKIND_F32,
            wr_val_union_t {
                f32: f32::from_bits(*b),
            },
        ),
        Val::F64(b) => (
            WR_VALKIND_F64,
            wr_val_union_t {
                f64: f64::from_bits(*b),
            },
        ),
        Val::V128(x) => (
            WR_VALKIND_V128,
            wr_val_union_t {
                v128: x.0.to_le_bytes(),
            },
        ),
        Val::FuncRef(None) => (
            WR_VALKIND_FUNCREF,
            wr_val_union_t {
                ref_: std::ptr::null_mut(),
            },
        ),
        Val::FuncRef(Some(f)) => (
            WR_VALKIND_FUNCREF,
            wr_val_union_t {
                ref_: Box::into_raw(Box::new(wr_extern_t(Extern::Func(*f)))),
            },
        ),
        Val::ExternRef(r) => (
            WR_VALKIND_EXTERNREF,
            wr_val_union_t {
                externref: r.map_or(std::ptr::null_mut(), |r| {
                    Box::into_raw(Box::new(wr_externref_t(r)))
                }),
            },
        ),
        _ => {
            return Err(wr_error_t::new(
                wr_error_kind_t::WR_ERROR_KIND_UNSUPPORTED,
                "a non-null GC reference cannot cross the C API yet",
            ));
        }
    };
    Ok(wr_val_t { kind, of })
}

/// Frees the reference handles `to_c` made for `vals` (callback arguments,
/// results of a failed conversion).
pub(crate) fn free_refs(vals: &[wr_val_t]) {
    for v in vals {
        match v.kind {
            // SAFETY (both): a reference value made by `to_c` holds NULL or
            // a handle from `Box::into_raw`, freed once, here.
            WR_VALKIND_FUNCREF => unsafe { crate::error::free(v.of.ref_) },
            WR_VALKIND_EXTERNREF => unsafe { crate::error::free(v.of.externref) },
            _ => {}
        }
    }
}

/// `n` values at `ptr` as wasm-run values.
///
/// # Safety
///
/// A non-null `ptr` points to `n` initialised values.
pub(crate) unsafe fn vals_from_c(
    ptr: *const wr_val_t,
    n: usize,
    what: &str,
) -> Res<Vec<Val<AnyEngine>>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(wr_error_t::invalid(format!("{what} is NULL")));
    }
    // SAFETY: `n` initialised values as the caller guarantees.
    unsafe { std::slice::from_raw_parts(ptr, n) }
        .iter()
        .map(from_c)
        .collect()
}
