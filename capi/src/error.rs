//! Errors, the panic guard of every entry point, and argument checks.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use wasm_run::{Error, TrapCode};

/// What kind of failure an error is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wr_error_kind_t {
    /// A bad argument: a NULL where the header says non-null, invalid UTF-8,
    /// an unknown name, a wrong number of values.
    WR_ERROR_KIND_INVALID_ARGUMENT,
    /// The module is malformed or invalid.
    WR_ERROR_KIND_COMPILE,
    /// An import is missing or has the wrong type.
    WR_ERROR_KIND_LINK,
    /// The guest trapped (see `wr_error_trap_code`).
    WR_ERROR_KIND_TRAP,
    /// The guest called WASI `proc_exit` (see `wr_error_exit_status`).
    WR_ERROR_KIND_EXIT,
    /// The backend does not support what was asked.
    WR_ERROR_KIND_UNSUPPORTED,
    /// A configured resource limit (memory, table, stack) was exceeded.
    WR_ERROR_KIND_RESOURCE_LIMIT,
    /// A host callback returned an error.
    WR_ERROR_KIND_HOST,
    /// A value has the wrong type.
    WR_ERROR_KIND_TYPE,
    /// A handle was used with a store it does not belong to.
    WR_ERROR_KIND_WRONG_STORE,
    /// An out-of-bounds access from the host (memory, table).
    WR_ERROR_KIND_ACCESS,
    /// A file could not be read.
    WR_ERROR_KIND_IO,
    /// WASI setup failed (preopen, environment, imports).
    WR_ERROR_KIND_WASI,
    /// A panic inside wasm-run or a host callback; the message says which.
    WR_ERROR_KIND_PANIC,
    /// Any other engine error.
    WR_ERROR_KIND_OTHER,
}

/// Why the guest trapped.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wr_trap_code_t {
    /// `unreachable`.
    WR_TRAP_CODE_UNREACHABLE,
    /// A memory access out of bounds.
    WR_TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
    /// A misaligned atomic access.
    WR_TRAP_CODE_UNALIGNED_ATOMIC,
    /// A table access out of bounds.
    WR_TRAP_CODE_TABLE_OUT_OF_BOUNDS,
    /// `call_indirect` of a null entry.
    WR_TRAP_CODE_INDIRECT_CALL_TO_NULL,
    /// `call_indirect` with the wrong signature.
    WR_TRAP_CODE_BAD_SIGNATURE,
    /// A null reference was used.
    WR_TRAP_CODE_NULL_REFERENCE,
    /// Integer division by zero.
    WR_TRAP_CODE_INTEGER_DIVISION_BY_ZERO,
    /// Integer overflow.
    WR_TRAP_CODE_INTEGER_OVERFLOW,
    /// A float-to-integer conversion out of range.
    WR_TRAP_CODE_BAD_CONVERSION_TO_INTEGER,
    /// The wasm stack overflowed.
    WR_TRAP_CODE_STACK_OVERFLOW,
    /// Fuel ran out.
    WR_TRAP_CODE_OUT_OF_FUEL,
    /// The store was interrupted.
    WR_TRAP_CODE_INTERRUPT,
    /// The store's deadline passed.
    WR_TRAP_CODE_DEADLINE,
    /// Any other trap.
    WR_TRAP_CODE_OTHER,
}

impl From<TrapCode> for wr_trap_code_t {
    fn from(code: TrapCode) -> Self {
        use wr_trap_code_t as W;
        match code {
            TrapCode::Unreachable => W::WR_TRAP_CODE_UNREACHABLE,
            TrapCode::MemoryOutOfBounds => W::WR_TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
            TrapCode::UnalignedAtomic => W::WR_TRAP_CODE_UNALIGNED_ATOMIC,
            TrapCode::TableOutOfBounds => W::WR_TRAP_CODE_TABLE_OUT_OF_BOUNDS,
            TrapCode::IndirectCallToNull => W::WR_TRAP_CODE_INDIRECT_CALL_TO_NULL,
            TrapCode::BadSignature => W::WR_TRAP_CODE_BAD_SIGNATURE,
            TrapCode::NullReference => W::WR_TRAP_CODE_NULL_REFERENCE,
            TrapCode::IntegerDivisionByZero => W::WR_TRAP_CODE_INTEGER_DIVISION_BY_ZERO,
            TrapCode::IntegerOverflow => W::WR_TRAP_CODE_INTEGER_OVERFLOW,
            TrapCode::BadConversionToInteger => W::WR_TRAP_CODE_BAD_CONVERSION_TO_INTEGER,
            TrapCode::StackOverflow => W::WR_TRAP_CODE_STACK_OVERFLOW,
            TrapCode::OutOfFuel => W::WR_TRAP_CODE_OUT_OF_FUEL,
            TrapCode::Interrupt => W::WR_TRAP_CODE_INTERRUPT,
            TrapCode::Deadline => W::WR_TRAP_CODE_DEADLINE,
            _ => W::WR_TRAP_CODE_OTHER,
        }
    }
}

/// An error: a kind, a message and, for traps and exits, a code. Owned by
/// the caller; free it with [`wr_error_delete`].
pub struct wr_error_t {
    kind: wr_error_kind_t,
    message: CString,
    trap: Option<wr_trap_code_t>,
    exit: Option<i32>,
}

impl wr_error_t {
    pub(crate) fn new(kind: wr_error_kind_t, message: impl Into<String>) -> Self {
        let message = message.into().replace('\0', "\\0");
        wr_error_t {
            kind,
            message: CString::new(message).unwrap_or_default(),
            trap: None,
            exit: None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(wr_error_kind_t::WR_ERROR_KIND_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for wr_error_t {
    fn from(e: Error) -> Self {
        use wr_error_kind_t as K;
        let kind = match &e {
            Error::Compile { .. } => K::WR_ERROR_KIND_COMPILE,
            Error::Link(_) => K::WR_ERROR_KIND_LINK,
            Error::Trap { .. } => K::WR_ERROR_KIND_TRAP,
            Error::Exit(_) => K::WR_ERROR_KIND_EXIT,
            Error::Unsupported { .. } => K::WR_ERROR_KIND_UNSUPPORTED,
            Error::ResourceLimit(_) => K::WR_ERROR_KIND_RESOURCE_LIMIT,
            Error::Host(_) => K::WR_ERROR_KIND_HOST,
            Error::HostPanic(_) => K::WR_ERROR_KIND_PANIC,
            Error::Type(_) => K::WR_ERROR_KIND_TYPE,
            Error::WrongStore => K::WR_ERROR_KIND_WRONG_STORE,
            Error::Access(_) => K::WR_ERROR_KIND_ACCESS,
            Error::Io { .. } => K::WR_ERROR_KIND_IO,
            _ => K::WR_ERROR_KIND_OTHER,
        };
        let mut out = wr_error_t::new(kind, e.to_string());
        out.trap = e.trap_code().map(Into::into);
        if let Error::Exit(code) = e {
            out.exit = Some(code);
        }
        out
    }
}

impl From<wasm_run::wasi::WasiError> for wr_error_t {
    fn from(e: wasm_run::wasi::WasiError) -> Self {
        match e {
            wasm_run::wasi::WasiError::Wasm(e) => e.into(),
            other => wr_error_t::new(wr_error_kind_t::WR_ERROR_KIND_WASI, other.to_string()),
        }
    }
}

/// The result of an entry point's body.
pub(crate) type Res<T = ()> = Result<T, wr_error_t>;

/// Runs `body`, turning its error or a panic into an owned error pointer
/// (`NULL` on success).
pub(crate) fn guard(body: impl FnOnce() -> Res) -> *mut wr_error_t {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => std::ptr::null_mut(),
        Ok(Err(e)) => Box::into_raw(Box::new(e)),
        Err(payload) => Box::into_raw(Box::new(wr_error_t::new(
            wr_error_kind_t::WR_ERROR_KIND_PANIC,
            format!(
                "panic inside wasm-run: {}",
                wasm_run::backend::panic_message(payload)
            ),
        ))),
    }
}

/// `*ptr`, or an invalid-argument error naming `what` when it is NULL.
///
/// # Safety
///
/// A non-null `ptr` must point to a live `T` not aliased mutably elsewhere.
pub(crate) unsafe fn obj<'a, T>(ptr: *const T, what: &str) -> Res<&'a T> {
    // SAFETY: the caller guarantees a non-null pointer is valid.
    unsafe { ptr.as_ref() }.ok_or_else(|| wr_error_t::invalid(format!("{what} is NULL")))
}

/// `&mut *ptr`, or an invalid-argument error naming `what` when it is NULL.
///
/// # Safety
///
/// A non-null `ptr` must point to a live `T` used by nobody else meanwhile.
pub(crate) unsafe fn obj_mut<'a, T>(ptr: *mut T, what: &str) -> Res<&'a mut T> {
    // SAFETY: the caller guarantees a non-null pointer is valid and unaliased.
    unsafe { ptr.as_mut() }.ok_or_else(|| wr_error_t::invalid(format!("{what} is NULL")))
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
///
/// A non-null `ptr` must point to a NUL-terminated string.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: &str) -> Res<&'a str> {
    if ptr.is_null() {
        return Err(wr_error_t::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null and NUL-terminated, as the caller guarantees.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|e| wr_error_t::invalid(format!("{what} is not UTF-8: {e}")))
}

/// `len` bytes at `ptr` (`ptr` may be NULL when `len` is 0).
///
/// # Safety
///
/// A non-null `ptr` must point to `len` readable bytes.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Res<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(wr_error_t::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null, `len` readable bytes as the caller guarantees.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Writes `value` to the out-parameter `out`.
///
/// # Safety
///
/// A non-null `out` must be valid for writing a `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T, what: &str) -> Res {
    if out.is_null() {
        return Err(wr_error_t::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null and writable as the caller guarantees; `write` does
    // not read or drop the old contents, which may be uninitialised.
    unsafe { out.write(value) };
    Ok(())
}

/// Moves `value` to the heap and hands its ownership to C through `out`.
///
/// # Safety
///
/// As [`put`].
pub(crate) unsafe fn give<T>(out: *mut *mut T, value: T, what: &str) -> Res {
    if out.is_null() {
        // `value` is dropped here, not leaked.
        return Err(wr_error_t::invalid(format!("{what} is NULL")));
    }
    // SAFETY: forwarded.
    unsafe { put(out, Box::into_raw(Box::new(value)), what) }
}

/// Frees an object given out by [`give`]; NULL does nothing.
///
/// # Safety
///
/// `ptr` is NULL or came from this library and was not freed before.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: it came from `Box::into_raw` in `give` and is freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// The kind of `error`; `WR_ERROR_KIND_INVALID_ARGUMENT` for NULL.
///
/// # Safety
///
/// `error` is NULL or a live error of this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_kind(error: *const wr_error_t) -> wr_error_kind_t {
    // SAFETY: as the caller guarantees.
    unsafe { error.as_ref() }.map_or(wr_error_kind_t::WR_ERROR_KIND_INVALID_ARGUMENT, |e| e.kind)
}

/// The message of `error`, valid until the error is deleted; "" for NULL.
///
/// # Safety
///
/// `error` is NULL or a live error of this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_message(error: *const wr_error_t) -> *const c_char {
    // SAFETY: as the caller guarantees.
    match unsafe { error.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Whether `error` is a trap; if so, writes its code to `code` (which may
/// be NULL).
///
/// # Safety
///
/// `error` is NULL or a live error; `code` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_trap_code(
    error: *const wr_error_t,
    code: *mut wr_trap_code_t,
) -> bool {
    // SAFETY: as the caller guarantees.
    match unsafe { error.as_ref() }.and_then(|e| e.trap) {
        Some(t) => {
            if !code.is_null() {
                // SAFETY: non-null and writable as the caller guarantees.
                unsafe { code.write(t) };
            }
            true
        }
        None => false,
    }
}

/// Whether `error` is a WASI `proc_exit`; if so, writes the status to
/// `status` (which may be NULL).
///
/// # Safety
///
/// `error` is NULL or a live error; `status` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_exit_status(error: *const wr_error_t, status: *mut i32) -> bool {
    // SAFETY: as the caller guarantees.
    match unsafe { error.as_ref() }.and_then(|e| e.exit) {
        Some(s) => {
            if !status.is_null() {
                // SAFETY: non-null and writable as the caller guarantees.
                unsafe { status.write(s) };
            }
            true
        }
        None => false,
    }
}

/// Creates an error, e.g. for a host callback to return: kind
/// `WR_ERROR_KIND_HOST` with `message` (copied; NULL gives "").
///
/// # Safety
///
/// `message` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_new(message: *const c_char) -> *mut wr_error_t {
    let text = if message.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated as the caller guarantees.
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    };
    Box::into_raw(Box::new(wr_error_t::new(
        wr_error_kind_t::WR_ERROR_KIND_HOST,
        text,
    )))
}

/// Frees an error; NULL does nothing.
///
/// # Safety
///
/// `error` is NULL or a live error, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_delete(error: *mut wr_error_t) {
    // SAFETY: as the caller guarantees.
    unsafe { free(error) }
}
