//! Running guest code with the GIL released, and Ctrl-C stopping it.
//!
//! While wasm runs, the main thread executes no Python bytecode, so
//! Python's SIGINT handler only records the signal. On the first call from
//! the main thread (when SIGINT's Python handler is the default, i.e.
//! `KeyboardInterrupt`), this module puts its own handler in front of
//! Python's: it notes the signal, wakes a watcher thread through a pipe,
//! and calls Python's handler as before. The watcher interrupts the store
//! whose call the main thread is running (a `Trap` with code
//! `"interrupt"`), and the call then raises Python's `KeyboardInterrupt`
//! instead of the trap. Code that later installs its own SIGINT handler
//! with `signal.signal` replaces this one; calls then run to their end
//! (or deadline) before Python sees the signal, as without this module.

use crate::errors::to_py;
use crate::store::{WCaller, WStore};
use pyo3::prelude::*;

/// A context guest code runs in.
pub(crate) trait RunIn: Sized {
    /// Runs `f` on `self`: from a store with the GIL released (and Ctrl-C
    /// interrupting it on the main thread); from a caller directly (its
    /// host function holds the GIL and the outermost call is guarded).
    fn run<R: Send>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut Self) -> wasm_run::Result<R> + Send,
    ) -> PyResult<R>;
}

impl RunIn for WStore {
    fn run<R: Send>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut Self) -> wasm_run::Result<R> + Send,
    ) -> PyResult<R> {
        let watched = sigint::watch(py, self);
        let result = py.detach(|| f(self));
        let interrupted = watched.end();
        match result {
            Ok(r) => {
                if interrupted {
                    // The call ended before it saw the interrupt: the
                    // next one must not (Python raises for the signal).
                    let _ = self.discard_interrupts();
                }
                Ok(r)
            }
            Err(e) => {
                if interrupted {
                    if matches!(
                        e,
                        wasm_run::Error::Trap {
                            code: wasm_run::TrapCode::Interrupt,
                            ..
                        }
                    ) {
                        // Python's handler raises `KeyboardInterrupt` (or
                        // does what the program asked for SIGINT).
                        py.check_signals()?;
                    } else {
                        // Failed otherwise before it saw the interrupt.
                        let _ = self.discard_interrupts();
                    }
                }
                Err(to_py(e))
            }
        }
    }
}

impl RunIn for WCaller<'static> {
    fn run<R: Send>(
        &mut self,
        _py: Python<'_>,
        f: impl FnOnce(&mut Self) -> wasm_run::Result<R> + Send,
    ) -> PyResult<R> {
        f(self).map_err(to_py)
    }
}

#[cfg(target_os = "linux")]
mod sigint {
    use crate::store::WStore;
    use pyo3::prelude::*;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    use std::sync::{Mutex, OnceLock};
    use wasm_run::InterruptHandle;

    /// A SIGINT arrived since the current call began.
    static SEEN: AtomicBool = AtomicBool::new(false);
    /// The write end of the watcher's pipe (-1 until installed).
    static PIPE: AtomicI32 = AtomicI32::new(-1);
    /// The handler that was installed before this module's.
    static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();
    /// The main thread (as `threading.get_ident()`), if the handler is in
    /// place; `None` if it could not or should not be installed.
    static MAIN: OnceLock<Option<u64>> = OnceLock::new();
    /// The process that installed the handler (a forked child shares the
    /// pipe but not the watcher: it is not watched).
    static PID: AtomicI32 = AtomicI32::new(0);
    /// The store the main thread's call runs in.
    static CURRENT: Mutex<Option<InterruptHandle>> = Mutex::new(None);

    extern "C" fn on_sigint(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: `__errno_location` is the calling thread's errno, which
        // a signal handler must leave as it found it.
        let errno = unsafe { *libc::__errno_location() };
        SEEN.store(true, Ordering::SeqCst);
        let fd = PIPE.load(Ordering::SeqCst);
        // SAFETY: `getpid` is async-signal-safe.
        if fd >= 0 && unsafe { libc::getpid() } == PID.load(Ordering::SeqCst) {
            let byte = 1u8;
            // SAFETY: `write` is async-signal-safe; the pipe's write end is
            // non-blocking and never closed; a full pipe already holds a
            // wake-up, so a failed write loses nothing.
            unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
        }
        if let Some(previous) = PREVIOUS.get() {
            let handler = previous.sa_sigaction;
            if handler != libc::SIG_DFL && handler != libc::SIG_IGN {
                if previous.sa_flags & libc::SA_SIGINFO != 0 {
                    // SAFETY: with SA_SIGINFO the handler has this type; it
                    // was installed for this signal, so calling it here is
                    // what the kernel would have done.
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        unsafe { std::mem::transmute(handler) };
                    f(sig, info, ctx);
                } else {
                    // SAFETY: as above, for a handler without SA_SIGINFO.
                    let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                    f(sig);
                }
            }
        }
        // SAFETY: as above.
        unsafe { *libc::__errno_location() = errno };
    }

    /// Puts the handler in place if SIGINT raises `KeyboardInterrupt`;
    /// returns the main thread's id then.
    fn install(py: Python<'_>) -> PyResult<Option<u64>> {
        let signal = py.import("signal")?;
        let current = signal.call_method1("getsignal", (signal.getattr("SIGINT")?,))?;
        if !current.is(&signal.getattr("default_int_handler")?) {
            return Ok(None);
        }
        let threading = py.import("threading")?;
        let main: u64 = threading
            .call_method0("main_thread")?
            .getattr("ident")?
            .extract()?;
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Ok(None);
        }
        let [read_end, write_end] = fds;
        // The watcher blocks on the read end (made blocking again).
        // SAFETY: `read_end` is the pipe just made.
        unsafe { libc::fcntl(read_end, libc::F_SETFL, 0) };
        std::thread::Builder::new()
            .name("wasm-run-sigint".into())
            .spawn(move || {
                let mut buf = [0u8; 64];
                loop {
                    // SAFETY: `buf` is writable for its length.
                    let n = unsafe { libc::read(read_end, buf.as_mut_ptr().cast(), buf.len()) };
                    if n > 0 {
                        // A byte read late, after its call ended (which
                        // reset `SEEN`), is not for the next call.
                        let current = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(handle) = current.as_ref()
                            && SEEN.load(Ordering::SeqCst)
                        {
                            handle.interrupt();
                        }
                    } else if n == 0 {
                        return;
                    }
                }
            })
            .map_err(|e| crate::errors::WasmRunError::new_err(e.to_string()))?;
        // SAFETY: `getpid` has no preconditions.
        PID.store(unsafe { libc::getpid() }, Ordering::SeqCst);
        PIPE.store(write_end, Ordering::SeqCst);
        // The handler in place now, recorded before ours replaces it, so
        // that a SIGINT arriving in between still reaches it.
        // SAFETY: a zeroed `sigaction` is a valid value to fill in.
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action only reads the current one.
        if unsafe { libc::sigaction(libc::SIGINT, std::ptr::null(), &mut previous) } != 0 {
            return Ok(None);
        }
        let _ = PREVIOUS.set(previous);
        // SAFETY: as above.
        let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
        ours.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        ours.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        // SAFETY: both structs are valid; `sa_mask` is empty (zeroed).
        if unsafe { libc::sigaction(libc::SIGINT, &ours, std::ptr::null_mut()) } != 0 {
            return Ok(None);
        }
        Ok(Some(main))
    }

    /// A call being watched for SIGINT (or not, off the main thread), and
    /// the store of the call it is nested in (a host function of an outer
    /// call on the main thread calling into another store).
    pub(crate) struct Watched(Option<Option<InterruptHandle>>);

    impl Watched {
        /// Stops watching (the outer call's store is watched again);
        /// whether a SIGINT arrived during the call.
        pub(crate) fn end(self) -> bool {
            let Some(outer) = self.0 else {
                return false;
            };
            let seen = SEEN.load(Ordering::SeqCst);
            if seen && let Some(handle) = &outer {
                // The signal may have been aimed at this call: the outer
                // one must stop too.
                handle.interrupt();
            }
            *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) = outer;
            seen
        }
    }

    /// Starts watching a call in `store` for SIGINT, if on the main thread
    /// and the store can be interrupted.
    pub(crate) fn watch(py: Python<'_>, store: &WStore) -> Watched {
        use pyo3::sync::OnceLockExt;
        // (Python runs inside `install`: the GIL is released while another
        // thread waits for it here.)
        let main = *MAIN.get_or_init_py_attached(py, || install(py).unwrap_or(None));
        let Some(main) = main else {
            return Watched(None);
        };
        // SAFETY: `pthread_self` has no preconditions.
        if unsafe { libc::pthread_self() } as u64 != main {
            return Watched(None);
        }
        let Ok(handle) = store.interrupt_handle() else {
            return Watched(None);
        };
        let mut current = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
        if current.is_none() {
            // The outermost call: a SIGINT from before it is not for it.
            SEEN.store(false, Ordering::SeqCst);
        }
        let outer = current.replace(handle.clone());
        drop(current);
        // A SIGINT between the lines above found no store, or the outer
        // one: stop this call now.
        if SEEN.load(Ordering::SeqCst) {
            handle.interrupt();
        }
        Watched(Some(outer))
    }
}

#[cfg(not(target_os = "linux"))]
mod sigint {
    use crate::store::WStore;
    use pyo3::prelude::*;

    /// No SIGINT watch off Linux (yet): calls run to their end or
    /// deadline, and Python raises `KeyboardInterrupt` after.
    pub(crate) struct Watched;

    impl Watched {
        pub(crate) fn end(self) -> bool {
            false
        }
    }

    pub(crate) fn watch(_py: Python<'_>, _store: &WStore) -> Watched {
        Watched
    }
}
