//! Stopping guests: the [`InterruptHandle`] another thread uses to stop a
//! running call, and the per-store [`Watch`] backends consult to decide
//! whether a running call must stop (interrupted, or past its deadline).
//!
//! How a backend gets control back while wasm runs differs (wasmtime: epoch
//! interruption; wasmi: fuel slices with resumable calls); what it decides
//! then is the same everywhere and lives here.

use crate::error::{Error, TrapCode};
use crate::feature::{Feature, FeatureSet};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Wakes an engine so that running wasm checks for interrupts soon (wasmtime:
/// bumps the epoch). One per engine; its identity tells handles of different
/// engines apart.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

struct Shared {
    requests: AtomicU64,
    waker: Waker,
}

/// Stops the calls running in the stores that use it, from any thread.
///
/// Obtained with [`Store::interrupt_handle`](crate::Store::interrupt_handle)
/// (each store has its own) or [`InterruptHandle::new`] (to share one between
/// several stores with [`Store::set_interrupt_handle`](crate::Store::set_interrupt_handle),
/// as `ParallelRun` does). Cloning is cheap; clones are the same handle.
///
/// [`InterruptHandle::interrupt`] stops the call running in each store that
/// uses the handle: it returns [`Error::Trap`] with [`TrapCode::Interrupt`].
/// A store that is not running wasm when the request is made keeps it
/// pending: its next entry into wasm from the host (a function call, a
/// resumed call, or an instantiation) returns the same trap at once, without
/// running any wasm. Each request stops one call per store, then is consumed,
/// and later calls run normally. So a watchdog that fires just before the
/// guest starts still stops it (there is no race to lose), and a request
/// made just after a call returned stops the store's next call instead
/// ([`Store::discard_interrupts`](crate::Store::discard_interrupts) drops a
/// pending request). Requests made before a store started using the handle
/// ([`Store::set_interrupt_handle`](crate::Store::set_interrupt_handle)) are
/// not pending for it. Using the handle after its stores and engine are gone
/// does nothing.
#[derive(Clone)]
pub struct InterruptHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("requests", &self.shared.requests.load(Ordering::Relaxed))
            .finish()
    }
}

impl InterruptHandle {
    /// A new handle, used by no store yet, for the engine `engine`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for [`Feature::Interrupt`](crate::Feature::Interrupt)
    /// unless it is enabled in the engine's config.
    pub fn new<E: crate::Engine>(engine: &E) -> crate::Result<Self> {
        engine.interrupt_waker().map(Self::with_waker)
    }

    /// A handle that calls `waker` on every request (for backends).
    pub fn with_waker(waker: Waker) -> Self {
        InterruptHandle {
            shared: Arc::new(Shared {
                requests: AtomicU64::new(0),
                waker,
            }),
        }
    }

    /// Stops the call running now in every store that uses this handle, or,
    /// in a store that runs nothing now, its next call (see the type's docs).
    /// Returns at once; running calls stop at their next check (on wasmtime
    /// within microseconds, on wasmi within one fuel slice, see the backend
    /// docs).
    pub fn interrupt(&self) {
        self.shared.requests.fetch_add(1, Ordering::SeqCst);
        (self.shared.waker)();
    }

    /// Whether `self` and `other` are the same handle.
    pub fn same(&self, other: &InterruptHandle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// How many interrupt requests have been made through this handle so
    /// far: code that runs many calls (such as `ParallelRun`) compares it
    /// with the count at its start to know that it was interrupted.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

/// What a store knows about stopping its calls: its interrupt handle, the
/// requests it has already honoured (or discarded), and its deadline. Backends keep one per store and
/// ask [`Watch::check`] whenever they get control back from running wasm.
#[derive(Debug)]
pub struct Watch {
    handle: InterruptHandle,
    seen: u64,
    deadline: Option<Instant>,
    /// Which of [`Feature::Deadline`] and [`Feature::Interrupt`] the engine
    /// enabled (a backend keeps a watch when either is).
    features: FeatureSet,
}

impl Watch {
    /// A watch with no deadline, using `handle`, for an engine with
    /// `features` enabled.
    pub fn new(handle: InterruptHandle, features: FeatureSet) -> Self {
        let seen = handle.requests();
        Watch {
            handle,
            seen,
            deadline: None,
            features,
        }
    }

    /// The store's watch for using `feature` ([`Feature::Deadline`] or
    /// [`Feature::Interrupt`]): `watch` if the engine enabled the feature.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for `feature` on `engine` if there is no watch
    /// or the feature is off.
    pub fn require<W: std::ops::Deref<Target = Watch>>(
        watch: Option<W>,
        feature: Feature,
        engine: &'static str,
    ) -> Result<W, Error> {
        match watch {
            Some(w) if w.features.contains(feature) => Ok(w),
            _ => Err(Error::Unsupported { feature, engine }),
        }
    }

    /// Called when the host enters wasm (a call, a resumed call or an
    /// instantiation; not a call from a host function): a request still
    /// pending stops it before any wasm runs, and is consumed.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`] with [`TrapCode::Interrupt`] if a request is pending.
    #[inline]
    pub fn begin(&mut self) -> Result<(), Error> {
        self.interrupted()
    }

    /// `Err` with [`TrapCode::Interrupt`] if an interrupt request is pending
    /// (it is consumed: the next check passes), with [`TrapCode::Deadline`]
    /// if the deadline has passed.
    ///
    /// # Errors
    ///
    /// The trap that stops the call, as above.
    #[inline]
    pub fn check(&mut self) -> Result<(), Error> {
        self.interrupted()?;
        match self.deadline {
            Some(at) if Instant::now() >= at => Err(Error::trap(
                TrapCode::Deadline,
                "wasm execution passed the store's deadline",
            )),
            _ => Ok(()),
        }
    }

    #[inline]
    fn interrupted(&mut self) -> Result<(), Error> {
        let now = self.handle.requests();
        if now != self.seen {
            self.seen = now;
            return Err(Error::trap(
                TrapCode::Interrupt,
                "wasm execution was interrupted",
            ));
        }
        Ok(())
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sets or clears the deadline.
    pub fn set_deadline(&mut self, at: Option<Instant>) {
        self.deadline = at;
    }

    /// The store's interrupt handle.
    pub fn handle(&self) -> &InterruptHandle {
        &self.handle
    }

    /// Makes the store use `handle` (which must wake the same engine);
    /// requests made through it so far are not pending for this store.
    ///
    /// # Errors
    ///
    /// [`Error::WrongStore`] if `handle` was made for another engine.
    pub fn set_handle(&mut self, handle: InterruptHandle) -> Result<(), Error> {
        if !Arc::ptr_eq(&self.handle.shared.waker, &handle.shared.waker) {
            return Err(Error::WrongStore);
        }
        self.seen = handle.requests();
        self.handle = handle;
        Ok(())
    }
}

/// `now + timeout`, or `None` (no deadline) when that is past what
/// [`Instant`] can represent.
pub fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}
