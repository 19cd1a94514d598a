//! Modules: compile, validate, and their imports and exports with types.

use crate::engine::wr_engine_t;
use crate::error::*;
use crate::val::{kind_of, wr_valkind_t};
use std::ffi::{CString, c_char};
use wasm_run::{AnyEngine, ExternType, Module, Mutability, ValType};

/// What an import or export is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wr_extern_kind_t {
    /// A function.
    WR_EXTERN_KIND_FUNC,
    /// A linear memory.
    WR_EXTERN_KIND_MEMORY,
    /// A table.
    WR_EXTERN_KIND_TABLE,
    /// A global.
    WR_EXTERN_KIND_GLOBAL,
    /// An exception tag.
    WR_EXTERN_KIND_TAG,
}

/// The type of an import or export, or of a live item. One of a module's
/// imports or exports is borrowed from the module (valid while the module
/// lives; never freed by the caller); one from `wr_extern_type` is owned by
/// the caller, who frees it with `wr_externtype_delete`.
pub struct wr_externtype_t {
    kind: wr_extern_kind_t,
    /// Function parameters; for a global its content, for a table its element.
    params: Vec<wr_valkind_t>,
    results: Vec<wr_valkind_t>,
    minimum: u64,
    maximum: Option<u64>,
    mutable: bool,
}

struct Item {
    module: CString,
    name: CString,
    ty: wr_externtype_t,
}

/// A compiled module with its imports and exports. Owned by the caller
/// ([`wr_module_delete`]); may be shared between threads.
pub struct wr_module_t {
    pub(crate) module: Module<AnyEngine>,
    imports: Vec<Item>,
    exports: Vec<Item>,
}

/// The C form of a type.
pub(crate) fn describe(ty: &ExternType) -> wr_externtype_t {
    let kinds = |v: &[ValType]| v.iter().map(kind_of).collect::<Vec<_>>();
    let mut t = wr_externtype_t {
        kind: wr_extern_kind_t::WR_EXTERN_KIND_TAG,
        params: Vec::new(),
        results: Vec::new(),
        minimum: 0,
        maximum: None,
        mutable: false,
    };
    match ty {
        ExternType::Func(f) => {
            t.kind = wr_extern_kind_t::WR_EXTERN_KIND_FUNC;
            t.params = kinds(f.params());
            t.results = kinds(f.results());
        }
        ExternType::Memory(m) => {
            t.kind = wr_extern_kind_t::WR_EXTERN_KIND_MEMORY;
            (t.minimum, t.maximum) = (m.minimum, m.maximum);
        }
        ExternType::Table(tt) => {
            t.kind = wr_extern_kind_t::WR_EXTERN_KIND_TABLE;
            t.params = vec![kind_of(&ValType::Ref(tt.element))];
            (t.minimum, t.maximum) = (tt.minimum, tt.maximum);
        }
        ExternType::Global(g) => {
            t.kind = wr_extern_kind_t::WR_EXTERN_KIND_GLOBAL;
            t.params = vec![kind_of(&g.content)];
            t.mutable = g.mutability == Mutability::Var;
        }
        ExternType::Tag(_) => {}
    }
    t
}

impl wr_module_t {
    pub(crate) fn wrap(module: Module<AnyEngine>) -> Self {
        let imports = module
            .imports()
            .iter()
            .map(|i| Item {
                module: c_string(&i.module),
                name: c_string(&i.name),
                ty: describe(&i.ty),
            })
            .collect();
        let exports = module
            .exports()
            .iter()
            .map(|e| Item {
                module: CString::default(),
                name: c_string(&e.name),
                ty: describe(&e.ty),
            })
            .collect();
        wr_module_t {
            module,
            imports,
            exports,
        }
    }
}

/// Compiles `len` bytes of wasm binary or WAT text.
///
/// # Safety
///
/// `engine` is live; `bytes` points to `len` bytes; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_new(
    engine: *const wr_engine_t,
    bytes: *const u8,
    len: usize,
    out: *mut *mut wr_module_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (engine, bytes) = unsafe {
            (
                obj(engine, "engine")?,
                crate::error::bytes(bytes, len, "bytes")?,
            )
        };
        let module = Module::new(&engine.0, bytes)?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_module_t::wrap(module), "out") }
    })
}

/// Compiles the wasm or WAT file at `path`.
///
/// # Safety
///
/// `engine` is live; `path` a NUL-terminated string; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_from_file(
    engine: *const wr_engine_t,
    path: *const c_char,
    out: *mut *mut wr_module_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (engine, path) = unsafe { (obj(engine, "engine")?, string(path, "path")?) };
        let module = Module::from_file(&engine.0, path)?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_module_t::wrap(module), "out") }
    })
}

/// Validates `len` bytes of wasm or WAT: NULL if the engine would compile
/// them, else the compile error.
///
/// # Safety
///
/// `engine` is live; `bytes` points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_validate(
    engine: *const wr_engine_t,
    bytes: *const u8,
    len: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (engine, bytes) = unsafe {
            (
                obj(engine, "engine")?,
                crate::error::bytes(bytes, len, "bytes")?,
            )
        };
        Ok(Module::validate(&engine.0, bytes)?)
    })
}

/// Frees a module; NULL does nothing. Instances made from it stay usable.
///
/// # Safety
///
/// `module` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_delete(module: *mut wr_module_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(module) }
}

/// The number of imports (0 for NULL).
///
/// # Safety
///
/// `module` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_import_count(module: *const wr_module_t) -> usize {
    // SAFETY: as the caller guarantees.
    unsafe { module.as_ref() }.map_or(0, |m| m.imports.len())
}

/// The number of exports (0 for NULL).
///
/// # Safety
///
/// `module` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_export_count(module: *const wr_module_t) -> usize {
    // SAFETY: as the caller guarantees.
    unsafe { module.as_ref() }.map_or(0, |m| m.exports.len())
}

/// Import `index`: its module and field names and its type, all borrowed
/// from the module. Any out-parameter may be NULL.
///
/// # Safety
///
/// `module` is live; non-null out-parameters are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_import(
    module: *const wr_module_t,
    index: usize,
    module_name: *mut *const c_char,
    name: *mut *const c_char,
    ty: *mut *const wr_externtype_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let m = unsafe { obj(module, "module")? };
        let item = m
            .imports
            .get(index)
            .ok_or_else(|| wr_error_t::invalid(format!("import {index} of {}", m.imports.len())))?;
        // SAFETY: as the caller guarantees.
        unsafe { write_item(item, module_name, name, ty) }
    })
}

/// Export `index`: its name and type, borrowed from the module. Any
/// out-parameter may be NULL.
///
/// # Safety
///
/// `module` is live; non-null out-parameters are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_module_export(
    module: *const wr_module_t,
    index: usize,
    name: *mut *const c_char,
    ty: *mut *const wr_externtype_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let m = unsafe { obj(module, "module")? };
        let item = m
            .exports
            .get(index)
            .ok_or_else(|| wr_error_t::invalid(format!("export {index} of {}", m.exports.len())))?;
        // SAFETY: as the caller guarantees.
        unsafe { write_item(item, std::ptr::null_mut(), name, ty) }
    })
}

/// # Safety
///
/// Non-null pointers are writable.
unsafe fn write_item(
    item: &Item,
    module_name: *mut *const c_char,
    name: *mut *const c_char,
    ty: *mut *const wr_externtype_t,
) -> Res {
    // SAFETY (all three): non-null pointers are writable, as the caller
    // guarantees.
    unsafe {
        if !module_name.is_null() {
            module_name.write(item.module.as_ptr());
        }
        if !name.is_null() {
            name.write(item.name.as_ptr());
        }
        if !ty.is_null() {
            ty.write(&item.ty);
        }
    }
    Ok(())
}

/// The kind of a type (`WR_EXTERN_KIND_TAG` for NULL).
///
/// # Safety
///
/// `ty` is NULL or a live type.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externtype_kind(ty: *const wr_externtype_t) -> wr_extern_kind_t {
    // SAFETY: as the caller guarantees.
    unsafe { ty.as_ref() }.map_or(wr_extern_kind_t::WR_EXTERN_KIND_TAG, |t| t.kind)
}

/// A function type's parameter kinds (`*kinds` borrowed, `*count` of them);
/// for a global its content type, for a table its element type.
///
/// # Safety
///
/// `ty` is a live type; `kinds` and `count` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externtype_params(
    ty: *const wr_externtype_t,
    kinds: *mut *const wr_valkind_t,
    count: *mut usize,
) -> *mut wr_error_t {
    // SAFETY: forwarded from the caller.
    unsafe { kinds_of(ty, |t| &t.params, kinds, count) }
}

/// A function type's result kinds (`*kinds` borrowed, `*count` of them);
/// none for other kinds.
///
/// # Safety
///
/// `ty` is a live type; `kinds` and `count` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externtype_results(
    ty: *const wr_externtype_t,
    kinds: *mut *const wr_valkind_t,
    count: *mut usize,
) -> *mut wr_error_t {
    // SAFETY: forwarded from the caller.
    unsafe { kinds_of(ty, |t| &t.results, kinds, count) }
}

/// Writes the kinds `pick` chooses from `ty` to `kinds` and `count`.
///
/// # Safety
///
/// `ty` is NULL or a live type; `kinds`, `count` writable.
unsafe fn kinds_of(
    ty: *const wr_externtype_t,
    pick: impl FnOnce(&wr_externtype_t) -> &Vec<wr_valkind_t>,
    kinds: *mut *const wr_valkind_t,
    count: *mut usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let picked = pick(unsafe { obj(ty, "ty")? });
        // SAFETY: as the caller guarantees.
        unsafe {
            put(kinds, picked.as_ptr(), "kinds")?;
            put(count, picked.len(), "count")
        }
    })
}

/// A memory's (pages) or table's (elements) limits: `*maximum` is
/// `UINT64_MAX` when there is none. A global's mutability goes to
/// `*mutable_`. Any out-parameter may be NULL.
///
/// # Safety
///
/// `ty` is a live type; non-null out-parameters writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externtype_limits(
    ty: *const wr_externtype_t,
    minimum: *mut u64,
    maximum: *mut u64,
    mutable_: *mut bool,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let t = unsafe { obj(ty, "ty")? };
        // SAFETY (all three): non-null pointers are writable as the caller
        // guarantees.
        unsafe {
            if !minimum.is_null() {
                minimum.write(t.minimum);
            }
            if !maximum.is_null() {
                maximum.write(t.maximum.unwrap_or(u64::MAX));
            }
            if !mutable_.is_null() {
                mutable_.write(t.mutable);
            }
        }
        Ok(())
    })
}

/// Frees a type given by `wr_extern_type`; NULL does nothing. (The types of
/// a module's imports and exports are borrowed from the module: never free
/// those.)
///
/// # Safety
///
/// `ty` is NULL or came from `wr_extern_type` and was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_externtype_delete(ty: *mut wr_externtype_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(ty) }
}
