//! Linkers with host functions from C callbacks, and instances.

use crate::engine::wr_engine_t;
use crate::error::*;
use crate::externs::wr_extern_t;
use crate::module::wr_module_t;
use crate::store::{
    CCaller, Ctx, Finalized, HostState, with_ctx, wr_context_t, wr_finalizer_t, wr_store_t,
};
use crate::val::*;
use std::ffi::{CString, c_char, c_void};
use std::sync::Arc;
use wasm_run::{AnyEngine, Error, Func, FuncType, Instance, Linker, Val};

/// A host function: called with the `env` given at definition, the
/// caller's context (valid until the callback returns: use it for the
/// caller's exports, e.g. its memory, and for calls back into wasm), the
/// arguments, and a buffer of `nresults` results whose kinds are already
/// set: write each payload (keeping its kind). Return NULL for success, or
/// an error (e.g. from [`crate::wr_error_new`]; the library frees it), which
/// the wasm caller sees as a host error.
pub type wr_callback_t = Option<
    unsafe extern "C" fn(
        env: *mut c_void,
        caller: *mut wr_context_t,
        args: *const wr_val_t,
        nargs: usize,
        results: *mut wr_val_t,
        nresults: usize,
    ) -> *mut wr_error_t,
>;

/// A linker: named imports to instantiate modules with. Owned by the caller
/// ([`wr_linker_delete`]); used by one thread at a time.
pub struct wr_linker_t {
    linker: Linker<AnyEngine, HostState>,
    /// Whether `wr_linker_define_wasi` defined WASI in it.
    wasi: bool,
}

/// An instance. Owned by the caller ([`wr_instance_delete`]); a handle into
/// its store, usable with that store's context while the store lives.
pub struct wr_instance_t {
    instance: Instance<AnyEngine>,
    /// The export names, NUL-terminated, in the module's order.
    names: Vec<CString>,
}

impl wr_instance_t {
    fn new(instance: Instance<AnyEngine>) -> Self {
        let names = instance
            .export_types()
            .iter()
            .map(|e| c_string(&e.name))
            .collect();
        wr_instance_t { instance, names }
    }
}

struct Callback {
    f: unsafe extern "C" fn(
        *mut c_void,
        *mut wr_context_t,
        *const wr_val_t,
        usize,
        *mut wr_val_t,
        usize,
    ) -> *mut wr_error_t,
    /// The callback's `env`, owned by the library from the moment a function
    /// is asked for: dropped (finalised) when the function is no longer
    /// used, or at once when making it fails.
    env: Finalized,
    results: Vec<wr_valkind_t>,
}

/// Slots after the results that a callback must leave alone: writing past
/// its results is caught there (as an error) instead of corrupting memory.
const GUARD_SLOTS: usize = 4;
const GUARD_KIND: wr_valkind_t = 0xff;

/// The host error of a failed callback.
#[derive(Debug)]
struct CallbackError(String);

impl std::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallbackError {}

fn host_error(message: impl Into<String>) -> Error {
    Error::host(CallbackError(message.into()))
}

impl Callback {
    fn invoke(
        &self,
        mut caller: CCaller<'_>,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> wasm_run::Result<()> {
        // The arguments' function handles are lent for the call: freed when
        // this returns, on every path, after the results are read (a callback
        // may return one of its arguments).
        struct Lent(Vec<wr_val_t>);
        impl Drop for Lent {
            fn drop(&mut self) {
                free_refs(&self.0);
            }
        }
        let mut args = Lent(Vec::with_capacity(params.len()));
        for p in params {
            args.0.push(to_c(p).map_err(|e| host_error(e_message(&e)))?);
        }
        let args = &args.0;
        let blank = |kind| wr_val_t {
            kind,
            of: wr_val_union_t { i64: 0 },
        };
        let mut out: Vec<wr_val_t> = self.results.iter().map(|k| blank(*k)).collect();
        out.extend((0..GUARD_SLOTS).map(|_| blank(GUARD_KIND)));
        let mut ctx = wr_context_t {
            // The context lives on this frame and dies before `caller` does.
            inner: Ctx::Caller(&mut caller as *mut CCaller<'_> as *mut CCaller<'static>),
        };
        // SAFETY: a C function the caller registered with this signature;
        // the buffers hold `nargs` arguments and `nresults` (+ guard) slots.
        let err = unsafe {
            (self.f)(
                self.env.data(),
                &mut ctx,
                args.as_ptr(),
                args.len(),
                out.as_mut_ptr(),
                self.results.len(),
            )
        };
        if !err.is_null() {
            // SAFETY: an error of this library, whose ownership the callback
            // handed back.
            let e = unsafe { Box::from_raw(err) };
            return Err(host_error(e_message(&e)));
        }
        if out[self.results.len()..]
            .iter()
            .any(|v| v.kind != GUARD_KIND)
        {
            return Err(host_error(
                "the callback wrote more results than its type has",
            ));
        }
        for (i, (slot, want)) in out.iter().zip(&self.results).enumerate() {
            if slot.kind != *want {
                return Err(Error::Type(format!(
                    "the callback changed the kind of result {i} from {want} to {}",
                    slot.kind
                )));
            }
            results[i] = from_c(slot).map_err(|e| host_error(e_message(&e)))?;
        }
        Ok(())
    }
}

fn e_message(e: &wr_error_t) -> String {
    // SAFETY: a live error of this library.
    unsafe { std::ffi::CStr::from_ptr(crate::error::wr_error_message(e)) }
        .to_string_lossy()
        .into_owned()
}

/// Creates a linker for `engine`.
///
/// # Safety
///
/// `engine` is live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_new(
    engine: *const wr_engine_t,
    out: *mut *mut wr_linker_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let engine = unsafe { obj(engine, "engine")? };
        // SAFETY: as the caller guarantees.
        unsafe {
            give(
                out,
                wr_linker_t {
                    linker: Linker::new(&engine.0),
                    wasi: false,
                },
                "out",
            )
        }
    })
}

/// Frees a linker; NULL does nothing. Instances made with it stay usable;
/// callback finalisers run once no instance uses them any more.
///
/// # Safety
///
/// `linker` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_delete(linker: *mut wr_linker_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(linker) }
}

/// The type and callback of a host function from C's description. The
/// finaliser is owned from the start: it runs (through the returned
/// callback's drop, or at once on an error here) exactly once.
///
/// # Safety
///
/// `params`/`results` point to `nparams`/`nresults` kinds (or are NULL
/// for 0); `callback` and `env` are valid as the header requires.
#[allow(clippy::too_many_arguments)]
unsafe fn host_func(
    params: *const wr_valkind_t,
    nparams: usize,
    results: *const wr_valkind_t,
    nresults: usize,
    callback: wr_callback_t,
    env: *mut c_void,
    finalizer: wr_finalizer_t,
) -> Res<(
    FuncType,
    impl wasm_run::UntypedHostFunc<AnyEngine, HostState>,
)> {
    let env = Finalized::new(env, finalizer);
    let f = callback.ok_or_else(|| wr_error_t::invalid("callback is NULL"))?;
    // SAFETY: as the caller guarantees.
    let (pk, rk) = unsafe {
        (
            kinds(params, nparams, "params")?,
            kinds(results, nresults, "results")?,
        )
    };
    let ty = FuncType::new(
        pk.iter().map(|k| type_of(*k)).collect::<Res<Vec<_>>>()?,
        rk.iter().map(|k| type_of(*k)).collect::<Res<Vec<_>>>()?,
    );
    let cb = Arc::new(Callback {
        f,
        env,
        results: rk.to_vec(),
    });
    let func = move |caller: CCaller<'_>, p: &[Val<AnyEngine>], r: &mut [Val<AnyEngine>]| {
        cb.invoke(caller, p, r)
    };
    Ok((ty, func))
}

/// Defines `module::name` as a host function of type `params -> results`
/// calling `callback` with `env`.
///
/// `finalizer` (may be NULL) is called with `env` exactly once: when the
/// definition is no longer used (the linker and every instance made with
/// it are gone), or **before this function returns if it fails** (NULL
/// callback, bad kind, duplicate name...). The library owns `env` from the
/// call on: after an error, do not free it yourself if you gave a
/// finaliser that frees it.
///
/// # Safety
///
/// `linker` is live; the strings NUL-terminated; `params`/`results` point to
/// `nparams`/`nresults` kinds; `callback` and `env` stay valid while the
/// definition is used, from every thread that uses it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_define_func(
    linker: *mut wr_linker_t,
    module: *const c_char,
    name: *const c_char,
    params: *const wr_valkind_t,
    nparams: usize,
    results: *const wr_valkind_t,
    nresults: usize,
    callback: wr_callback_t,
    env: *mut c_void,
    finalizer: wr_finalizer_t,
) -> *mut wr_error_t {
    guard(|| {
        // First, so that every failure below finalises `env`.
        // SAFETY: as the caller guarantees.
        let (ty, func) =
            unsafe { host_func(params, nparams, results, nresults, callback, env, finalizer)? };
        // SAFETY: as the caller guarantees.
        let (linker, module, name) = unsafe {
            (
                obj_mut(linker, "linker")?,
                string(module, "module")?,
                string(name, "name")?,
            )
        };
        linker.linker.func_new(module, name, ty, func)?;
        Ok(())
    })
}

/// A host function of type `params -> results` calling `callback` with
/// `env`, made in the context's store and not named in any linker: call it
/// with `wr_func_call`, pass it as a `funcref` value (`of.ref_`), put it in
/// a table or define it with `wr_linker_define`. `*out` is a new handle the
/// caller owns. `finalizer` (may be NULL) is called with `env` once, when
/// the store is deleted, or before this function returns if it fails.
///
/// # Safety
///
/// `ctx` is a live context; `params`/`results` point to `nparams`/
/// `nresults` kinds; `out` writable; `callback` and `env` stay valid while
/// the store lives.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_func_new(
    ctx: *mut wr_context_t,
    params: *const wr_valkind_t,
    nparams: usize,
    results: *const wr_valkind_t,
    nresults: usize,
    callback: wr_callback_t,
    env: *mut c_void,
    finalizer: wr_finalizer_t,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ty, func) =
            unsafe { host_func(params, nparams, results, nresults, callback, env, finalizer)? };
        if out.is_null() {
            return Err(wr_error_t::invalid("out is NULL"));
        }
        // SAFETY: as the caller guarantees.
        let ctx = unsafe { obj_mut(ctx, "ctx")? };
        let f = with_ctx!(ctx, |c| Func::new(c, ty, func))?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_extern_t(wasm_run::Extern::Func(f)), "out") }
    })
}

/// # Safety
///
/// A non-null `ptr` points to `n` kinds.
unsafe fn kinds<'a>(ptr: *const wr_valkind_t, n: usize, what: &str) -> Res<&'a [wr_valkind_t]> {
    // SAFETY: forwarded.
    unsafe { crate::error::bytes(ptr, n, what) }
}

/// Defines `module::name` as `item` (a function, memory, table or global of
/// `store`).
///
/// # Safety
///
/// `linker`, `store` and `item` are live; the strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_define(
    linker: *mut wr_linker_t,
    store: *const wr_store_t,
    module: *const c_char,
    name: *const c_char,
    item: *const wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (linker, store, module, name, item) = unsafe {
            (
                obj_mut(linker, "linker")?,
                obj(store, "store")?,
                string(module, "module")?,
                string(name, "name")?,
                obj(item, "item")?,
            )
        };
        linker
            .linker
            .define(&store.store, module, name, item.0.clone())?;
        Ok(())
    })
}

/// Defines every export of `instance` (of `store`) under the module name
/// `module`.
///
/// # Safety
///
/// `linker`, `store` and `instance` are live; `module` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_define_instance(
    linker: *mut wr_linker_t,
    store: *mut wr_store_t,
    module: *const c_char,
    instance: *const wr_instance_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (linker, store, module, instance) = unsafe {
            (
                obj_mut(linker, "linker")?,
                obj_mut(store, "store")?,
                string(module, "module")?,
                obj(instance, "instance")?,
            )
        };
        linker
            .linker
            .instance(&mut store.store, module, &instance.instance)?;
        Ok(())
    })
}

/// Instantiates `module` in `store` with the linker's definitions (running
/// its start function). A module that imports WASI, instantiated with a
/// linker that defines it (`wr_linker_define_wasi`), has its WASI imports
/// checked first (an unknown one is `WR_ERROR_KIND_LINK`) and needs a store
/// with a WASI configuration (`wr_store_set_wasi`; else
/// `WR_ERROR_KIND_WASI`). A start function that calls `proc_exit` gives
/// `WR_ERROR_KIND_EXIT`.
///
/// # Safety
///
/// `linker`, `store` and `module` are live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_instantiate(
    linker: *const wr_linker_t,
    store: *mut wr_store_t,
    module: *const wr_module_t,
    out: *mut *mut wr_instance_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (linker, store, module) = unsafe {
            (
                obj(linker, "linker")?,
                obj_mut(store, "store")?,
                obj(module, "module")?,
            )
        };
        if out.is_null() {
            return Err(wr_error_t::invalid("out is NULL"));
        }
        let instance = if linker.wasi && wasm_run::wasi::uses_wasi(&module.module) {
            if store.store.data().wasi.is_none() {
                return Err(wr_error_t::new(
                    wr_error_kind_t::WR_ERROR_KIND_WASI,
                    "the module imports WASI but the store has no WASI configuration \
                     (wr_store_set_wasi)",
                ));
            }
            wasm_run::wasi::instantiate(&linker.linker, &mut store.store, &module.module)?
        } else {
            linker
                .linker
                .instantiate(&mut store.store, &module.module)?
        };
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_instance_t::new(instance), "out") }
    })
}

/// Frees an instance handle; NULL does nothing (the instance itself lives
/// as long as its store).
///
/// # Safety
///
/// `instance` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_instance_delete(instance: *mut wr_instance_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(instance) }
}

/// The export `name` of `instance`, as a new handle the caller owns.
/// `WR_ERROR_KIND_INVALID_ARGUMENT` if there is no such export.
///
/// # Safety
///
/// `ctx` is the context of the instance's store; `instance` live; `name`
/// NUL-terminated; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_instance_export(
    ctx: *mut wr_context_t,
    instance: *const wr_instance_t,
    name: *const c_char,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, instance, name) = unsafe {
            (
                obj_mut(ctx, "ctx")?,
                obj(instance, "instance")?,
                string(name, "name")?,
            )
        };
        ctx.owns(Some(instance.instance.store_id()))?;
        let item = with_ctx!(ctx, |c| instance.instance.get_export(c, name))
            .ok_or_else(|| wr_error_t::invalid(format!("no export `{name}`")))?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_extern_t(item), "out") }
    })
}

/// Inside a host callback: the export `name` of the calling instance (e.g.
/// its "memory"), as a new handle the caller owns.
///
/// # Safety
///
/// `ctx` is a callback's context; `name` NUL-terminated; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_context_caller_export(
    ctx: *mut wr_context_t,
    name: *const c_char,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, name) = unsafe { (obj_mut(ctx, "ctx")?, string(name, "name")?) };
        let Ctx::Caller(caller) = ctx.inner else {
            return Err(wr_error_t::invalid("not the context of a host callback"));
        };
        // SAFETY: a callback context's caller is alive during the callback.
        let item = unsafe { &mut *caller }
            .get_export(name)
            .ok_or_else(|| wr_error_t::invalid(format!("the caller has no export `{name}`")))?;
        // SAFETY: as the caller guarantees.
        unsafe { give(out, wr_extern_t(item), "out") }
    })
}

/// The number of exports of `instance`.
///
/// # Safety
///
/// `instance` is NULL (0) or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_instance_export_count(instance: *const wr_instance_t) -> usize {
    // SAFETY: as the caller guarantees.
    unsafe { instance.as_ref() }.map_or(0, |i| i.names.len())
}

/// Export `index` of `instance` (in the module's order, as
/// `wr_module_export` numbers them): `*name` gets its name (borrowed, valid
/// while the instance handle lives; may be NULL) and `*out` a new handle the
/// caller owns. `WR_ERROR_KIND_INVALID_ARGUMENT` past the last export.
///
/// # Safety
///
/// `ctx` is the context of the instance's store; `instance` live; `name`
/// NULL or writable; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_instance_export_nth(
    ctx: *mut wr_context_t,
    instance: *const wr_instance_t,
    index: usize,
    name: *mut *const c_char,
    out: *mut *mut wr_extern_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (ctx, instance) = unsafe { (obj_mut(ctx, "ctx")?, obj(instance, "instance")?) };
        ctx.owns(Some(instance.instance.store_id()))?;
        let export_name = instance.names.get(index).ok_or_else(|| {
            wr_error_t::invalid(format!(
                "export {index} of an instance with {} exports",
                instance.names.len()
            ))
        })?;
        let wanted = &instance.instance.export_types()[index].name;
        let item = with_ctx!(ctx, |c| instance.instance.get_export(c, wanted))
            .ok_or_else(|| wr_error_t::invalid(format!("no export `{wanted}`")))?;
        if out.is_null() {
            return Err(wr_error_t::invalid("out is NULL"));
        }
        if !name.is_null() {
            // SAFETY: non-null and writable as the caller guarantees.
            unsafe { name.write(export_name.as_ptr()) };
        }
        // SAFETY: checked non-null above.
        unsafe { give(out, wr_extern_t(item), "out") }
    })
}

/// Lets later definitions in `linker` replace earlier ones of the same name
/// (off by default: a second definition is `WR_ERROR_KIND_LINK`).
///
/// # Safety
///
/// `linker` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_allow_shadowing(
    linker: *mut wr_linker_t,
    allow: bool,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        unsafe { obj_mut(linker, "linker")? }
            .linker
            .allow_shadowing(allow);
        Ok(())
    })
}

/// Defines every function import of `module` that `linker` does not define
/// yet as a function that traps when called (`WR_TRAP_CODE_UNREACHABLE`,
/// the message naming the import), like wasmtime's
/// `wasmtime_linker_define_unknown_imports_as_traps`. Imports of other
/// kinds stay undefined.
///
/// # Safety
///
/// `linker` and `module` are live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_define_unknown_imports_as_traps(
    linker: *mut wr_linker_t,
    module: *const wr_module_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (linker, module) = unsafe { (obj_mut(linker, "linker")?, obj(module, "module")?) };
        linker
            .linker
            .define_unknown_imports_as_traps(&module.module)?;
        Ok(())
    })
}

/// Defines every function import of `module` that `linker` does not define
/// yet as a function that returns zeros (0, +0.0, null references). An
/// import returning a type without a zero value is `WR_ERROR_KIND_TYPE`
/// (nothing is defined then). Imports of other kinds stay undefined.
///
/// # Safety
///
/// `linker` and `module` are live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_define_unknown_imports_as_default_values(
    linker: *mut wr_linker_t,
    module: *const wr_module_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (linker, module) = unsafe { (obj_mut(linker, "linker")?, obj(module, "module")?) };
        linker
            .linker
            .define_unknown_imports_as_default_values(&module.module)?;
        Ok(())
    })
}

/// Defines every WASI preview 1 function (`wasi_snapshot_preview1`) in
/// `linker`, next to your own definitions, like wasmtime's
/// `wasmtime_linker_define_wasi`. Each store that instantiates a module
/// importing WASI with it needs a configuration (`wr_store_set_wasi`); then
/// call the module's exports yourself: `_start` for a command (its
/// `proc_exit` is `WR_ERROR_KIND_EXIT`, see `wr_error_exit_status`),
/// `_initialize` and then any export for a reactor, and read its memory
/// between calls. A WASI function already defined in `linker` is
/// `WR_ERROR_KIND_LINK` unless shadowing is allowed.
///
/// # Safety
///
/// `linker` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_linker_define_wasi(linker: *mut wr_linker_t) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let linker = unsafe { obj_mut(linker, "linker")? };
        wasm_run::wasi::add_to_linker(&mut linker.linker)?;
        linker.wasi = true;
        Ok(())
    })
}
