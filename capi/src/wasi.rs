//! WASI preview 1: a configuration, and running a command module.

use crate::engine::wr_engine_t;
use crate::error::*;
use crate::module::wr_module_t;
use crate::store::wr_store_t;
use std::ffi::c_char;
use wasm_run::wasi::{
    Capture, DirPerms, Output, WasiConfig, WasiCtx, WasiState, add_to_linker, instantiate,
    run_start,
};
use wasm_run::{Engine, Linker, Store};

/// A WASI configuration: arguments, environment, preopened directories,
/// stdin bytes, and where stdout/stderr go (discarded by default; inherited
/// or captured). Owned by the caller ([`wr_wasi_config_delete`]).
pub struct wr_wasi_config_t {
    config: WasiConfig,
    /// The capture buffers of stdout and stderr, when captured.
    captures: [Option<Capture>; 2],
    /// The last captured bytes handed out, kept until the next read.
    read: [Vec<u8>; 2],
}

/// A new, empty WASI configuration. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wr_wasi_config_new() -> *mut wr_wasi_config_t {
    Box::into_raw(Box::new(wr_wasi_config_t {
        config: WasiConfig::new(),
        captures: Default::default(),
        read: Default::default(),
    }))
}

/// Frees a WASI configuration; NULL does nothing.
///
/// # Safety
///
/// `config` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_delete(config: *mut wr_wasi_config_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(config) }
}

/// Appends an argument (the first is the program name).
///
/// # Safety
///
/// `config` is live; `arg` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_arg(
    config: *mut wr_wasi_config_t,
    arg: *const c_char,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (c, arg) = unsafe { (obj_mut(config, "config")?, string(arg, "arg")?) };
        c.config.arg(arg);
        Ok(())
    })
}

/// Sets an environment variable.
///
/// # Safety
///
/// `config` is live; `key`, `value` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_env(
    config: *mut wr_wasi_config_t,
    key: *const c_char,
    value: *const c_char,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (c, k, v) = unsafe {
            (
                obj_mut(config, "config")?,
                string(key, "key")?,
                string(value, "value")?,
            )
        };
        c.config.env(k, v);
        Ok(())
    })
}

/// Gives the program the host directory `host` as `guest`, writable or
/// read-only (checked when the program runs).
///
/// # Safety
///
/// `config` is live; `host`, `guest` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_preopen(
    config: *mut wr_wasi_config_t,
    host: *const c_char,
    guest: *const c_char,
    writable: bool,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (c, h, g) = unsafe {
            (
                obj_mut(config, "config")?,
                string(host, "host")?,
                string(guest, "guest")?,
            )
        };
        let perms = if writable {
            DirPerms::ReadWrite
        } else {
            DirPerms::ReadOnly
        };
        c.config.preopen_dir(h, g, perms);
        Ok(())
    })
}

/// The program's stdin: a copy of `len` bytes.
///
/// # Safety
///
/// `config` is live; `data` points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_stdin_bytes(
    config: *mut wr_wasi_config_t,
    data: *const u8,
    len: usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (c, data) = unsafe { (obj_mut(config, "config")?, bytes(data, len, "data")?) };
        c.config.stdin_bytes(data.to_vec());
        Ok(())
    })
}

/// Where a stream goes: one of the `WR_WASI_OUTPUT_*` constants (a byte,
/// so that a value out of range is an error, not undefined behaviour).
pub type wr_wasi_output_t = u8;

/// Thrown away (the default).
pub const WR_WASI_OUTPUT_DISCARD: wr_wasi_output_t = 0;
/// The host process' own stream.
pub const WR_WASI_OUTPUT_INHERIT: wr_wasi_output_t = 1;
/// Kept in a buffer, read with [`wr_wasi_config_output`] after the run.
pub const WR_WASI_OUTPUT_CAPTURE: wr_wasi_output_t = 2;

/// Stream 1 (stdout) or 2 (stderr) as an index of `captures`.
fn stream_index(stream: i32) -> Res<usize> {
    match stream {
        1 | 2 => Ok(stream as usize - 1),
        s => Err(wr_error_t::invalid(format!(
            "stream {s} (1 = stdout, 2 = stderr)"
        ))),
    }
}

/// Where stdout (`stream` 1) or stderr (`stream` 2) goes.
///
/// # Safety
///
/// `config` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_set_output(
    config: *mut wr_wasi_config_t,
    stream: i32,
    output: wr_wasi_output_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let c = unsafe { obj_mut(config, "config")? };
        let i = stream_index(stream)?;
        let capture = (output == WR_WASI_OUTPUT_CAPTURE).then(Capture::new);
        let out = match (output, &capture) {
            (WR_WASI_OUTPUT_DISCARD, _) => Output::Discard,
            (WR_WASI_OUTPUT_INHERIT, _) => Output::Inherit,
            (_, Some(capture)) => Output::Capture(capture.clone()),
            (other, None) => {
                return Err(wr_error_t::invalid(format!(
                    "{other} is not a WR_WASI_OUTPUT_* value"
                )));
            }
        };
        c.captures[i] = capture;
        if i == 0 {
            c.config.stdout(out);
        } else {
            c.config.stderr(out);
        }
        Ok(())
    })
}

/// The bytes captured so far from stdout (`stream` 1) or stderr (2):
/// `*data` and `*len`, valid until the next call of this function or the
/// configuration's deletion. Empty when the stream is not captured.
///
/// The capture belongs to the configuration: every run with it
/// (`wr_wasi_run`, or a store given it with `wr_store_set_wasi`) appends to
/// the same buffer until [`wr_wasi_config_clear_output`] empties it.
///
/// # Safety
///
/// `config` is live; `data` and `len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_output(
    config: *mut wr_wasi_config_t,
    stream: i32,
    data: *mut *const u8,
    len: *mut usize,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let c = unsafe { obj_mut(config, "config")? };
        let i = stream_index(stream)?;
        c.read[i] = c.captures[i]
            .as_ref()
            .map(Capture::contents)
            .unwrap_or_default();
        // SAFETY: as the caller guarantees.
        unsafe {
            put(data, c.read[i].as_ptr(), "data")?;
            put(len, c.read[i].len(), "len")
        }
    })
}

/// Empties the capture buffer of stdout (`stream` 1) or stderr (2), e.g.
/// between two runs with the same configuration. Nothing happens for a
/// stream that is not captured.
///
/// # Safety
///
/// `config` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_config_clear_output(
    config: *mut wr_wasi_config_t,
    stream: i32,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let c = unsafe { obj_mut(config, "config")? };
        let i = stream_index(stream)?;
        if let Some(capture) = &c.captures[i] {
            capture.take();
        }
        Ok(())
    })
}

/// Gives `store` a WASI context made from `config` (copied: later changes to
/// `config` do not reach the store; a captured stream still writes to the
/// configuration's buffer, read with `wr_wasi_config_output`). Needed before
/// instantiating a module that imports WASI with a linker that defines it
/// (`wr_linker_define_wasi`). Replaces an earlier context of the store.
/// A preopen that does not exist or a bad environment entry is
/// `WR_ERROR_KIND_WASI`.
///
/// # Safety
///
/// `store` and `config` are live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_store_set_wasi(
    store: *mut wr_store_t,
    config: *const wr_wasi_config_t,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (store, config) = unsafe { (obj_mut(store, "store")?, obj(config, "config")?) };
        let ctx = WasiCtx::new(store.store.engine(), &config.config)?;
        store.store.data_mut().wasi = Some(ctx);
        Ok(())
    })
}

/// Runs the command module `module` (its `_start`) with `config` in a fresh
/// store, which starts with `fuel` when the engine meters fuel (`fuel` is
/// ignored otherwise); `*exit_code` gets its exit status (0 when `_start`
/// returns, `n` after `proc_exit(n)`: never `WR_ERROR_KIND_EXIT`). A trap is
/// `WR_ERROR_KIND_TRAP`; an import nothing defines, whether from `env` or
/// an unknown `wasi_snapshot_preview1` function, `WR_ERROR_KIND_LINK`; a
/// bad configuration (a preopen that does not exist) or a module without an
/// exported memory, `WR_ERROR_KIND_WASI`. To run a module with your own
/// host functions too, or a reactor, use `wr_linker_define_wasi`.
///
/// # Safety
///
/// `engine`, `module` and `config` are live; `exit_code` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_wasi_run(
    engine: *const wr_engine_t,
    module: *const wr_module_t,
    config: *const wr_wasi_config_t,
    fuel: u64,
    exit_code: *mut i32,
) -> *mut wr_error_t {
    guard(|| {
        // SAFETY: as the caller guarantees.
        let (engine, module, config) = unsafe {
            (
                obj(engine, "engine")?,
                obj(module, "module")?,
                obj(config, "config")?,
            )
        };
        if exit_code.is_null() {
            return Err(wr_error_t::invalid("exit_code is NULL"));
        }
        let ctx = WasiCtx::new(&engine.0, &config.config)?;
        let mut store = Store::new(&engine.0, WasiState::new(ctx, ()));
        if engine.0.config().fuel_enabled() {
            store.set_fuel(fuel)?;
        }
        let mut linker = Linker::new(&engine.0);
        add_to_linker(&mut linker)?;
        let instance = instantiate(&linker, &mut store, &module.module)?;
        let status = run_start(&mut store, &instance)?;
        // SAFETY: checked non-null, writable as the caller guarantees.
        unsafe { exit_code.write(status.code()) };
        Ok(())
    })
}
