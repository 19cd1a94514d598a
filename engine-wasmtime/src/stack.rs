//! The native stack a call into wasm needs, checked before it starts.
//!
//! wasmtime runs wasm on the calling thread's own stack and sets its stack
//! limit to "here minus `max_wasm_stack`" when the host first calls in. On a
//! thread with less stack left than that, deep recursion runs past the end
//! of the thread's stack before it reaches wasmtime's limit, and the process
//! dies of a stack overflow instead of the guest trapping (measured on a
//! 256 KiB thread with the default 512 KiB limit). So a call from the host is
//! refused with [`Error::ResourceLimit`] when the thread has less stack left
//! than the wasm stack limit plus [`HOST_MARGIN`].
//!
//! The thread's stack bounds are read once per thread (Linux:
//! `pthread_getattr_np`) and kept in a thread-local; each call then costs a
//! comparison. On other systems the bounds are unknown and nothing is
//! checked.

use std::cell::Cell;
use wasm_run_api::{Error, Result};

/// Stack kept free below the wasm stack for the host's own frames: host
/// functions wasm calls and wasmtime's trap handling run on the same stack.
pub(crate) const HOST_MARGIN: usize = 64 * 1024;

/// wasmtime's own default for `max_wasm_stack`.
pub(crate) const WASMTIME_DEFAULT_WASM_STACK: usize = 512 * 1024;

/// Native stack a call needs, for a configured `max_wasm_stack`.
pub(crate) fn needed(max_wasm_stack: Option<usize>) -> usize {
    max_wasm_stack
        .unwrap_or(WASMTIME_DEFAULT_WASM_STACK)
        .saturating_add(HOST_MARGIN)
}

/// Not read yet.
const UNREAD: usize = usize::MAX;
/// Read, and unknown on this thread or system.
const UNKNOWN: usize = 0;

thread_local! {
    /// Lowest address of this thread's stack (stacks grow down).
    static STACK_LOW: Cell<usize> = const { Cell::new(UNREAD) };
}

/// `Ok` when the calling thread has at least `needed` bytes of stack left.
///
/// # Errors
///
/// [`Error::ResourceLimit`] naming what is left and what is needed.
#[inline]
pub(crate) fn check(needed: usize) -> Result<()> {
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    // One thread-local read and one comparison on the common path: an
    // unknown bound is 0 (everything passes), an unread one `usize::MAX`
    // (nothing passes, so the slow path reads it).
    let low = STACK_LOW.with(Cell::get);
    if here.saturating_sub(low) >= needed {
        Ok(())
    } else {
        slow_check(here, needed)
    }
}

#[cold]
#[inline(never)]
fn slow_check(here: usize, needed: usize) -> Result<()> {
    let low = STACK_LOW.with(|low| {
        if low.get() == UNREAD {
            low.set(stack_low().unwrap_or(UNKNOWN));
        }
        low.get()
    });
    if here.saturating_sub(low) >= needed {
        Ok(())
    } else {
        Err(too_little(here.saturating_sub(low), needed))
    }
}

#[cold]
fn too_little(left: usize, needed: usize) -> Error {
    Error::ResourceLimit(format!(
        "the calling thread has {} KiB of native stack left, and wasm on wasmtime needs the \
         wasm stack limit plus {} KiB for host frames ({} KiB): call from a thread with a \
         larger stack, or lower Config::max_wasm_stack",
        left / 1024,
        HOST_MARGIN / 1024,
        needed / 1024
    ))
}

#[cfg(target_os = "linux")]
fn stack_low() -> Option<usize> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_self` is always a valid handle of the calling thread;
    // `pthread_getattr_np` initialises `attr` when it returns 0 (only then is
    // it read and destroyed), and `addr`/`size` are valid out-pointers.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return None;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let r = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size);
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        // glibc reports the usable stack, guard page excluded.
        (r == 0 && !addr.is_null()).then_some(addr as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn stack_low() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left_on_a_thread(stack: usize) -> Result<()> {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn(|| check(needed(None)))
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn small_threads_are_refused_large_ones_pass() {
        let e = left_on_a_thread(256 * 1024).unwrap_err();
        assert!(
            matches!(&e, Error::ResourceLimit(m) if m.contains("576 KiB")),
            "{e}"
        );
        left_on_a_thread(2 << 20).unwrap();
        // The main test thread (Rust's 2 MiB default, or RUST_MIN_STACK).
        check(needed(Some(128 * 1024))).unwrap();
    }
}
