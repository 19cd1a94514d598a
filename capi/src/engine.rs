//! Engines chosen by name at run time, and their configuration.

use crate::error::*;
use std::ffi::{CString, c_char};
use std::sync::OnceLock;
use wasm_run::{AnyEngine, BACKENDS, Config, Engine, Feature};

/// A configuration for [`wr_engine_new`]: proposals on or off, fuel,
/// limits, stack size. Owned by the caller ([`wr_config_delete`]).
pub struct wr_config_t(pub(crate) Config);

/// An engine of one backend. Owned by the caller ([`wr_engine_delete`]);
/// modules and stores made from it keep what they need alive, so it may be
/// deleted before them. May be shared between threads.
pub struct wr_engine_t(pub(crate) AnyEngine);

/// The names of the backends compiled into this library: `*names` gets an
/// array of `*count` static strings (never freed).
///
/// # Safety
///
/// `names` and `count` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_backends(
    names: *mut *const *const c_char,
    count: *mut usize,
) -> *mut wr_error_t {
    // The pointers of `static_str`'s copies, kept as addresses (raw
    // pointers are not `Sync`).
    static PTRS: OnceLock<Vec<usize>> = OnceLock::new();
    guard(|| {
        let ptrs = PTRS.get_or_init(|| BACKENDS.iter().map(|n| static_str(n) as usize).collect());
        // SAFETY: out-parameters as the caller guarantees.
        unsafe {
            put(names, ptrs.as_ptr() as *const *const c_char, "names")?;
            put(count, ptrs.len(), "count")
        }
    })
}

/// A configuration with every backend default. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wr_config_new() -> *mut wr_config_t {
    Box::into_raw(Box::new(wr_config_t(Config::new())))
}

/// Frees a configuration; NULL does nothing.
///
/// # Safety
///
/// `config` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_config_delete(config: *mut wr_config_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(config) }
}

/// Turns the proposal or capability `feature` on or off. The names (those of
/// the feature matrix, listed by [`wr_feature_names`]) are: "multi-value",
/// "bulk-memory", "reference-types", "mutable-global",
/// "saturating-float-to-int", "sign-extension", "extended-const", "floats",
/// "simd", "relaxed-simd", "threads", "multi-memory", "memory64",
/// "tail-call", "exceptions", "gc", "function-references",
/// "custom-page-sizes", "wide-arithmetic", "component-model",
/// "component-model-async" (proposals) and
/// "fuel", "resumable-fuel", "deadline", "interrupt", "nan-canonicalization",
/// "pooling-allocation", "limits", "wasi-p1", "shared-memory-parallel",
/// "module-serialization", "type-reflection" (embedder capabilities). Any
/// other name is `WR_ERROR_KIND_INVALID_ARGUMENT`; a feature the backend
/// lacks is refused by `wr_engine_new` (`WR_ERROR_KIND_UNSUPPORTED`).
///
/// # Safety
///
/// `config` is a live configuration; `feature` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_config_set_feature(
    config: *mut wr_config_t,
    feature: *const c_char,
    enabled: bool,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (config, name) = unsafe { (obj_mut(config, "config")?, string(feature, "feature")?) };
        let feature: Feature = name
            .parse()
            .map_err(|_| wr_error_t::invalid(format!("unknown feature `{name}`")))?;
        if enabled {
            config.0.enable(feature);
        } else {
            config.0.disable(feature);
        }
        Ok(())
    })
}

/// Turns fuel metering on or off (stores then start with 0 fuel; see
/// [`crate::wr_context_set_fuel`]).
///
/// # Safety
///
/// `config` is a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_config_set_fuel(
    config: *mut wr_config_t,
    enabled: bool,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        unsafe { obj_mut(config, "config")? }.0.fuel(enabled);
        Ok(())
    })
}

/// Sets the wasm stack limit in bytes.
///
/// # Safety
///
/// `config` is a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_config_set_max_wasm_stack(
    config: *mut wr_config_t,
    bytes: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        unsafe { obj_mut(config, "config")? }
            .0
            .max_wasm_stack(bytes);
        Ok(())
    })
}

/// Sets the largest size in bytes of any memory (0 = no limit) and the
/// largest number of elements of any table (0 = the default cap).
///
/// # Safety
///
/// `config` is a live configuration.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_config_set_limits(
    config: *mut wr_config_t,
    max_memory_bytes: usize,
    max_table_elements: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let config = unsafe { obj_mut(config, "config")? };
        if max_memory_bytes > 0 {
            config.0.max_memory_bytes(max_memory_bytes);
        }
        if max_table_elements > 0 {
            config.0.max_table_elements(max_table_elements);
        }
        Ok(())
    })
}

/// Creates the engine of backend `name` (one of [`wr_backends`]) with
/// `config` (NULL for the defaults; it is copied and stays the caller's).
///
/// # Safety
///
/// `name` is a NUL-terminated string; `config` NULL or live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_engine_new(
    name: *const c_char,
    config: *const wr_config_t,
    out: *mut *mut wr_engine_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let name = unsafe { string(name, "name")? };
        // SAFETY: as the caller guarantees.
        let config = unsafe { config.as_ref() }.map_or_else(Config::new, |c| c.0.clone());
        let engine = AnyEngine::by_name(name, &config)?;
        // SAFETY: `out` is writable as the caller guarantees.
        unsafe { give(out, wr_engine_t(engine), "out") }
    })
}

/// Frees an engine; NULL does nothing.
///
/// # Safety
///
/// `engine` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_engine_delete(engine: *mut wr_engine_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(engine) }
}

/// The backend's name ("wasmtime", "wasmi"): a static string, "" for NULL.
///
/// # Safety
///
/// `engine` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_engine_name(engine: *const wr_engine_t) -> *const c_char {
    // SAFETY: as the caller guarantees.
    static_str(unsafe { engine.as_ref() }.map_or("", |e| e.0.name()))
}

/// The backend engine's version: a static string, "" for NULL.
///
/// # Safety
///
/// `engine` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_engine_version(engine: *const wr_engine_t) -> *const c_char {
    // SAFETY: as the caller guarantees.
    static_str(unsafe { engine.as_ref() }.map_or("", |e| e.0.version()))
}

/// Whether the engine, as configured, supports `feature` (one of
/// [`wr_feature_names`], see [`wr_config_set_feature`]); `*supported` gets
/// the answer. Another name is `WR_ERROR_KIND_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `engine` is live, `feature` a NUL-terminated string, `supported` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_engine_supports(
    engine: *const wr_engine_t,
    feature: *const c_char,
    supported: *mut bool,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (engine, name) = unsafe { (obj(engine, "engine")?, string(feature, "feature")?) };
        let feature: Feature = name
            .parse()
            .map_err(|_| wr_error_t::invalid(format!("unknown feature `{name}`")))?;
        // SAFETY: as the caller guarantees.
        unsafe {
            put(
                supported,
                engine.0.support(feature).is_supported(),
                "supported",
            )
        }
    })
}

/// A NUL-terminated copy of a static string, kept for the process' life.
pub(crate) fn static_str(s: &'static str) -> *const c_char {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static STRINGS: OnceLock<Mutex<HashMap<&'static str, CString>>> = OnceLock::new();
    let mut map = STRINGS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(s)
        .or_insert_with(|| CString::new(s).unwrap_or_default())
        .as_ptr()
}

/// Every feature name `wr_config_set_feature` and `wr_engine_supports`
/// accept: `*names` gets an array of `*count` static strings (never freed).
///
/// # Safety
///
/// `names` and `count` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_feature_names(
    names: *mut *const *const c_char,
    count: *mut usize,
) -> *mut wr_error_t {
    static PTRS: OnceLock<Vec<usize>> = OnceLock::new();
    guard(|| {
        let ptrs = PTRS.get_or_init(|| {
            Feature::ALL
                .iter()
                .map(|f| static_str(f.name()) as usize)
                .collect()
        });
        // SAFETY: out-parameters as the caller guarantees.
        unsafe {
            put(names, ptrs.as_ptr() as *const *const c_char, "names")?;
            put(count, ptrs.len(), "count")
        }
    })
}

/// The version of wasm-run itself (of this library, e.g. "0.1.0"): a static
/// string. (`wr_engine_version` gives a backend engine's version.)
#[unsafe(no_mangle)]
pub extern "C" fn wr_version() -> *const c_char {
    static_str(env!("CARGO_PKG_VERSION"))
}
