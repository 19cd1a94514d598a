//! Functions, memories, globals and tables of an instance: calls, memory
//! access, global and table values.

use crate::error::*;
use crate::module::wr_extern_kind_t;
use crate::store::{with_ctx, wr_context_t};
use crate::val::*;
use wasm_run::{AnyEngine, Extern, Func, Global, Memory, Table, Val};

/// A function, memory, table or global of a store. Owned by the caller
/// ([`wr_extern_delete`]); a handle, usable with its store's context while
/// the store lives.
pub struct wr_extern_t(pub(crate) Extern<AnyEngine>);

/// Frees a handle; NULL does nothing.
///
/// # Safety
///
/// `item` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_extern_delete(item: *mut wr_extern_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(item) }
}

/// What `item` is (`WR_EXTERN_KIND_TAG` for NULL and other kinds).
///
/// # Safety
///
/// `item` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_extern_kind(item: *const wr_extern_t) -> wr_extern_kind_t {
    // SAFETY: as the caller guarantees.
    match unsafe { item.as_ref() }.map(|i| &i.0) {
        Some(Extern::Func(_)) => wr_extern_kind_t::WR_EXTERN_KIND_FUNC,
        Some(Extern::Memory(_)) => wr_extern_kind_t::WR_EXTERN_KIND_MEMORY,
        Some(Extern::Table(_)) => wr_extern_kind_t::WR_EXTERN_KIND_TABLE,
        Some(Extern::Global(_)) => wr_extern_kind_t::WR_EXTERN_KIND_GLOBAL,
        _ => wr_extern_kind_t::WR_EXTERN_KIND_TAG,
    }
}

/// The context and the item, checked to belong to the context's store
/// (`WR_ERROR_KIND_WRONG_STORE` otherwise) before the item reaches the
/// engine.
///
/// # Safety
///
/// Non-null pointers point to a live context and item.
unsafe fn handle<'a>(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
) -> Res<(&'a mut wr_context_t, &'a wr_extern_t)> {
    // SAFETY: as the caller guarantees.
    let (ctx, item) = unsafe { (obj_mut(ctx, "ctx")?, obj(item, "item")?) };
    ctx.owns(item.0.store_id())?;
    Ok((ctx, item))
}

macro_rules! as_kind {
    ($fn:ident, $variant:ident, $ty:ident, $word:literal) => {
        fn $fn(item: &wr_extern_t) -> Res<&$ty<AnyEngine>> {
            match &item.0 {
                Extern::$variant(x) => Ok(x),
                _ => Err(wr_error_t::new(
                    wr_error_kind_t::WR_ERROR_KIND_TYPE,
                    concat!("the item is not a ", $word),
                )),
            }
        }
    };
}
as_kind!(func, Func, Func, "function");
as_kind!(memory, Memory, Memory, "memory");
as_kind!(global, Global, Global, "global");
as_kind!(table, Table, Table, "table");

/// Calls the function `item` with `nargs` arguments, writing its `nresults`
/// results. Wrong argument types or counts are `WR_ERROR_KIND_TYPE`; a trap
/// is `WR_ERROR_KIND_TRAP` with its code.
///
/// # Safety
///
/// `ctx` is the context of the function's store; `item` live; `args` points
/// to `nargs` values and `results` to `nresults` writable values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_func_call(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    args: *const wr_val_t,
    nargs: usize,
    results: *mut wr_val_t,
    nresults: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let f = func(item)?;
        // SAFETY: as the caller guarantees.
        let params = unsafe { vals_from_c(args, nargs, "args")? };
        if nresults > 0 && results.is_null() {
            return Err(wr_error_t::invalid("results is NULL"));
        }
        let mut out = vec![Val::I32(0); nresults];
        with_ctx!(ctx, |c| f.call(c, &params, &mut out))?;
        let mut converted = Vec::with_capacity(nresults);
        for v in &out {
            match to_c(v) {
                Ok(c) => converted.push(c),
                Err(e) => {
                    // Nothing is handed out when the call fails.
                    free_refs(&converted);
                    return Err(e);
                }
            }
        }
        for (i, v) in converted.into_iter().enumerate() {
            // SAFETY: `results` holds `nresults` writable values.
            unsafe { results.add(i).write(v) };
        }
        Ok(())
    })
}

/// The memory's bytes: `*data` and `*len`, valid until the memory grows or
/// the store is used to run wasm (which may grow it).
///
/// # Safety
///
/// `ctx` is the memory's store context; `item` live; `data`, `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_memory_data(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    data: *mut *mut u8,
    len: *mut usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let m = memory(item)?;
        let (ptr, n) = with_ctx!(ctx, |c| {
            let bytes = m.data_mut(c);
            (bytes.as_mut_ptr(), bytes.len())
        });
        // SAFETY: as the caller guarantees.
        unsafe {
            put(data, ptr, "data")?;
            put(len, n, "len")
        }
    })
}

/// The memory's size in pages.
///
/// # Safety
///
/// `ctx` is the memory's store context; `item` live; `pages` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_memory_size(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    pages: *mut u64,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let m = memory(item)?;
        let size = with_ctx!(ctx, |c| m.size(&*c));
        // SAFETY: as the caller guarantees.
        unsafe { put(pages, size, "pages") }
    })
}

/// Grows the memory by `delta` pages; `*previous` (may be NULL) gets the
/// old size. Past the memory's own declared maximum: `WR_ERROR_KIND_ACCESS`;
/// within it but past the engine config's memory limit
/// (`wr_config_set_limits`) or the host's memory:
/// `WR_ERROR_KIND_RESOURCE_LIMIT`. Nothing changes on failure.
///
/// # Safety
///
/// `ctx` is the memory's store context; `item` live; `previous` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_memory_grow(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    delta: u64,
    previous: *mut u64,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let m = memory(item)?;
        let old = with_ctx!(ctx, |c| m.grow(c, delta))?;
        if !previous.is_null() {
            // SAFETY: non-null and writable as the caller guarantees.
            unsafe { previous.write(old) };
        }
        Ok(())
    })
}

/// Copies `len` bytes at `offset` of the memory into `buf`; out of bounds
/// is `WR_ERROR_KIND_ACCESS`.
///
/// # Safety
///
/// `ctx` is the memory's store context; `item` live; `buf` has `len`
/// writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_memory_read(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    offset: usize,
    buf: *mut u8,
    len: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let m = memory(item)?;
        if len > 0 && buf.is_null() {
            return Err(wr_error_t::invalid("buf is NULL"));
        }
        let mut tmp = vec![0u8; len];
        with_ctx!(ctx, |c| m.read(&*c, offset, &mut tmp))?;
        if len > 0 {
            // SAFETY: `buf` has `len` writable bytes; `tmp` is a separate
            // allocation.
            unsafe { std::ptr::copy_nonoverlapping(tmp.as_ptr(), buf, len) };
        }
        Ok(())
    })
}

/// Copies `len` bytes from `buf` to `offset` of the memory; out of bounds
/// is `WR_ERROR_KIND_ACCESS`.
///
/// # Safety
///
/// `ctx` is the memory's store context; `item` live; `buf` has `len`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_memory_write(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    offset: usize,
    buf: *const u8,
    len: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item, data) = unsafe {
            (
                obj_mut(ctx, "ctx")?,
                obj(item, "item")?,
                bytes(buf, len, "buf")?,
            )
        };
        ctx.owns(item.0.store_id())?;
        let m = memory(item)?;
        Ok(with_ctx!(ctx, |c| m.write(c, offset, data))?)
    })
}

/// The global's value.
///
/// # Safety
///
/// `ctx` is the global's store context; `item` live; `value` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_global_get(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    value: *mut wr_val_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let g = global(item)?;
        let v = with_ctx!(ctx, |c| g.get(c));
        // SAFETY: as the caller guarantees.
        unsafe { put(value, to_c(&v)?, "value") }
    })
}

/// Sets the (mutable) global; a wrong type or an immutable global is an
/// error.
///
/// # Safety
///
/// `ctx` is the global's store context; `item` and `value` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_global_set(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    value: *const wr_val_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item, value) = unsafe {
            (
                obj_mut(ctx, "ctx")?,
                obj(item, "item")?,
                obj(value, "value")?,
            )
        };
        ctx.owns(item.0.store_id())?;
        let g = global(item)?;
        let v = from_c(value)?;
        Ok(with_ctx!(ctx, |c| g.set(c, v))?)
    })
}

/// The table's size in elements.
///
/// # Safety
///
/// `ctx` is the table's store context; `item` live; `size` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_table_size(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    size: *mut u64,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let t = table(item)?;
        let n = with_ctx!(ctx, |c| t.size(&*c));
        // SAFETY: as the caller guarantees.
        unsafe { put(size, n, "size") }
    })
}

/// Grows the table by `delta` elements set to `init` (a reference of the
/// table's element type, null or not); `*previous` (may be NULL) gets the
/// old size. Past the table's own declared maximum: `WR_ERROR_KIND_ACCESS`;
/// within it but past the engine config's table limit:
/// `WR_ERROR_KIND_RESOURCE_LIMIT`.
///
/// # Safety
///
/// `ctx` is the table's store context; `item`, `init` live; `previous`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_table_grow(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    delta: u64,
    init: *const wr_val_t,
    previous: *mut u64,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item, init) =
            unsafe { (obj_mut(ctx, "ctx")?, obj(item, "item")?, obj(init, "init")?) };
        ctx.owns(item.0.store_id())?;
        let t = table(item)?;
        let init = from_c(init)?;
        let old = with_ctx!(ctx, |c| t.grow(c, delta, init))?;
        if !previous.is_null() {
            // SAFETY: non-null and writable as the caller guarantees.
            unsafe { previous.write(old) };
        }
        Ok(())
    })
}

/// Element `index` of the table (`WR_ERROR_KIND_ACCESS` out of bounds). A
/// non-null `funcref` or `externref` is a new handle the caller frees
/// (`wr_extern_delete`, `wr_externref_delete`); a non-null GC reference
/// (only in tables of GC types) is `WR_ERROR_KIND_UNSUPPORTED`.
///
/// # Safety
///
/// `ctx` is the table's store context; `item` live; `value` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_table_get(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    index: u64,
    value: *mut wr_val_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let t = table(item)?;
        let v = with_ctx!(ctx, |c| t.get(c, index)).ok_or_else(|| {
            wr_error_t::new(
                wr_error_kind_t::WR_ERROR_KIND_ACCESS,
                format!("table index {index} out of bounds"),
            )
        })?;
        // SAFETY: as the caller guarantees.
        unsafe { put(value, to_c(&v)?, "value") }
    })
}

/// Sets element `index` of the table to `value`: a reference of the table's
/// element type, null or not (the caller keeps its handle).
/// `WR_ERROR_KIND_ACCESS` out of bounds, `WR_ERROR_KIND_TYPE` for a value
/// of another type.
///
/// # Safety
///
/// `ctx` is the table's store context; `item` and `value` live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_table_set(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    index: u64,
    value: *const wr_val_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item, value) = unsafe {
            (
                obj_mut(ctx, "ctx")?,
                obj(item, "item")?,
                obj(value, "value")?,
            )
        };
        ctx.owns(item.0.store_id())?;
        let t = table(item)?;
        let v = from_c(value)?;
        Ok(with_ctx!(ctx, |c| t.set(c, index, v))?)
    })
}

/// The type of the live item `item` (a function's parameters and results,
/// a memory's or table's current size and maximum, a global's content and
/// mutability), as a new type the caller owns and frees with
/// `wr_externtype_delete`.
///
/// # Safety
///
/// `ctx` is the item's store context; `item` live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_extern_type(
    ctx: *mut wr_context_t,
    item: *const wr_extern_t,
    out: *mut *mut crate::module::wr_externtype_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, item) = unsafe { handle(ctx, item)? };
        let ty = with_ctx!(ctx, |c| item.0.ty(&*c));
        // SAFETY: as the caller guarantees.
        unsafe { give(out, crate::module::describe(&ty), "out") }
    })
}
