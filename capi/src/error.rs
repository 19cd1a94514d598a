//! Errors, the panic guard of every entry point, and argument checks.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use wasm_run::{Error, TrapCode};

/// What kind of failure an error is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wr_error_kind_t {
    /// A bad argument to the C API itself: a NULL where the header says
    /// non-null, invalid UTF-8, an unknown engine, feature or export name, an
    /// index out of range, a `WR_VALKIND_*` or `WR_WASI_OUTPUT_*` value out of
    /// range. (Values of the wrong type or count for a function, global or
    /// table are `WR_ERROR_KIND_TYPE`.)
    WR_ERROR_KIND_INVALID_ARGUMENT,
    /// The module is malformed or invalid.
    WR_ERROR_KIND_COMPILE,
    /// An import is missing or has the wrong type, or a name is defined
    /// twice in a linker. Also a WASI import that WASI preview 1 does not
    /// have (an unknown `wasi_snapshot_preview1` function, or another WASI
    /// version), from `wr_wasi_run` and WASI linkers alike.
    WR_ERROR_KIND_LINK,
    /// The guest trapped (see `wr_error_trap_code`).
    WR_ERROR_KIND_TRAP,
    /// The guest called WASI `proc_exit` (see `wr_error_exit_status`): from
    /// `wr_func_call` or `wr_linker_instantiate` in a store with WASI
    /// (`wr_store_set_wasi`, `wr_linker_define_wasi`). `wr_wasi_run` never
    /// returns it: it writes the status to its `exit_code` instead.
    WR_ERROR_KIND_EXIT,
    /// The backend does not support what was asked.
    WR_ERROR_KIND_UNSUPPORTED,
    /// A configured resource limit was exceeded: `wr_memory_grow` or
    /// `wr_table_grow` past the engine config's limit (`wr_config_set_limits`;
    /// growth past the item's own declared maximum is `WR_ERROR_KIND_ACCESS`),
    /// a module needing more than the limits allow, or a call from a thread
    /// with too little native stack left.
    WR_ERROR_KIND_RESOURCE_LIMIT,
    /// A host callback returned an error.
    WR_ERROR_KIND_HOST,
    /// A value has the wrong type.
    WR_ERROR_KIND_TYPE,
    /// A handle was used with a store it does not belong to.
    WR_ERROR_KIND_WRONG_STORE,
    /// An out-of-bounds access from the host (memory, table), growth past an
    /// item's declared maximum, or a write to an immutable global.
    WR_ERROR_KIND_ACCESS,
    /// A file could not be read.
    WR_ERROR_KIND_IO,
    /// WASI setup failed: a preopen that does not exist, a bad environment
    /// entry, a module using WASI without exporting its memory, a store
    /// without a WASI configuration instantiating such a module.
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

/// One wasm frame of a trap's backtrace (see [`wr_error_trap_frame`]).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wr_frame_t {
    /// The function's index in its module's function index space (imports
    /// first).
    pub func_index: u32,
    /// The function's name (from the name section, or inferred from an
    /// export), or NULL; valid while the error lives.
    pub func_name: *const c_char,
    /// The module's name (its name section), or NULL; valid while the error
    /// lives.
    pub module_name: *const c_char,
    /// Byte offset of the instruction from the start of the module binary,
    /// or `SIZE_MAX` when unknown.
    pub module_offset: usize,
    /// Byte offset of the instruction from the start of the function body,
    /// or `SIZE_MAX` when unknown.
    pub func_offset: usize,
}

struct Frame {
    func_index: u32,
    func_name: Option<CString>,
    module_name: Option<CString>,
    module_offset: usize,
    func_offset: usize,
}

/// An error: a kind, a message and, for traps and exits, a code. Owned by
/// the caller; free it with [`wr_error_delete`].
pub struct wr_error_t {
    kind: wr_error_kind_t,
    message: CString,
    trap: Option<wr_trap_code_t>,
    exit: Option<i32>,
    frames: Vec<Frame>,
}

impl wr_error_t {
    pub(crate) fn new(kind: wr_error_kind_t, message: impl Into<String>) -> Self {
        wr_error_t {
            kind,
            message: c_string(&message.into()),
            trap: None,
            exit: None,
            frames: Vec::new(),
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
            Error::MissingExport(_) | Error::UnknownEngine { .. } => {
                K::WR_ERROR_KIND_INVALID_ARGUMENT
            }
            _ => K::WR_ERROR_KIND_OTHER,
        };
        let mut out = wr_error_t::new(kind, e.to_string());
        out.trap = e.trap_code().map(Into::into);
        out.frames = e
            .trap_frames()
            .iter()
            .map(|f| Frame {
                func_index: f.func_index,
                func_name: f.func_name.as_deref().map(c_string),
                module_name: f.module_name.as_deref().map(c_string),
                module_offset: f.module_offset.unwrap_or(usize::MAX),
                func_offset: f.func_offset.unwrap_or(usize::MAX),
            })
            .collect();
        if let Error::Exit(code) = e {
            out.exit = Some(code);
        }
        out
    }
}

impl From<wasm_run::wasi::WasiError> for wr_error_t {
    fn from(e: wasm_run::wasi::WasiError) -> Self {
        use wasm_run::wasi::WasiError as W;
        match e {
            W::Wasm(e) => e.into(),
            // An import WASI does not have is a link error, like any other
            // import nothing defines.
            W::UnknownImport { .. } | W::ImportType { .. } | W::UnsupportedVersion { .. } => {
                wr_error_t::new(wr_error_kind_t::WR_ERROR_KIND_LINK, e.to_string())
            }
            other => wr_error_t::new(wr_error_kind_t::WR_ERROR_KIND_WASI, other.to_string()),
        }
    }
}

/// A C string of `s` (a NUL inside is written `\0`).
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

/// The result of an entry point's body.
pub(crate) type Res<T = ()> = Result<T, wr_error_t>;

thread_local! {
    /// How many entry points this thread is inside (callbacks nest them).
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Installs, once, a panic hook that says nothing for a panic inside an
/// entry point (it becomes a `WR_ERROR_KIND_PANIC` error carrying the
/// message) and leaves every other panic to the hook that was there before:
/// the library never prints to the host's stderr.
fn quiet_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs `body`, turning its error or a panic into an owned error pointer
/// (`NULL` on success).
pub(crate) fn guard(body: impl FnOnce() -> Res) -> *mut wr_error_t {
    quiet_panics();
    GUARDED.with(|g| g.set(g.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(body));
    GUARDED.with(|g| g.set(g.get() - 1));
    match outcome {
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

/// The number of wasm frames in the backtrace of the trap `error`
/// (innermost first): 0 for NULL, for other errors, for traps raised by
/// wasm-run itself (interrupt, deadline) and on engines that record no
/// backtrace (wasmi).
///
/// # Safety
///
/// `error` is NULL or a live error of this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_trap_frame_count(error: *const wr_error_t) -> usize {
    // SAFETY: as the caller guarantees.
    unsafe { error.as_ref() }.map_or(0, |e| e.frames.len())
}

/// Writes frame `index` (0 = innermost) of the trap `error`'s backtrace to
/// `*frame`; false (nothing written) when there is no such frame. Its
/// strings are valid while the error lives.
///
/// # Safety
///
/// `error` is NULL or a live error; `frame` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wr_error_trap_frame(
    error: *const wr_error_t,
    index: usize,
    frame: *mut wr_frame_t,
) -> bool {
    // SAFETY: as the caller guarantees.
    let Some(f) = unsafe { error.as_ref() }.and_then(|e| e.frames.get(index)) else {
        return false;
    };
    if frame.is_null() {
        return false;
    }
    let name = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: non-null and writable as the caller guarantees.
    unsafe {
        frame.write(wr_frame_t {
            func_index: f.func_index,
            func_name: name(&f.func_name),
            module_name: name(&f.module_name),
            module_offset: f.module_offset,
            func_offset: f.func_offset,
        })
    };
    true
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
