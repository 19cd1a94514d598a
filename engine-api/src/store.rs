//! Stores, host-function callers, and the context traits that let every handle
//! method take either.

use crate::Engine;
use crate::backend::{CallerBackend, ContextBackend, StoreBackend, StoreId};
use crate::error::Result;
use crate::handles::Memory;
use crate::instance::Extern;

/// Owns instances, memories, tables, globals and the host state `T`.
///
/// Handles ([`crate::Func`], [`crate::Memory`], ...) are small `Copy` values
/// that are used together with the store they belong to.
pub struct Store<E: Engine, T: 'static> {
    engine: E,
    inner: E::Store<T>,
}

impl<E: Engine, T: 'static> Store<E, T> {
    /// A new store for `engine` holding `data`. The engine's configured limits
    /// apply to it.
    pub fn new(engine: &E, data: T) -> Self {
        Store {
            engine: engine.clone(),
            inner: engine.store(data),
        }
    }
}

impl<E: Engine, T: 'static> Store<E, T> {
    /// The store's id; every handle made in this store carries it
    /// ([`crate::Func::store_id`], ...).
    pub fn id(&self) -> StoreId {
        self.inner.store_id()
    }
    /// The engine this store belongs to.
    pub fn engine(&self) -> &E {
        &self.engine
    }
    /// The host state.
    pub fn data(&self) -> &T {
        self.inner.data()
    }
    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.inner.data_mut()
    }
    /// The values libraries keep in this store ([`crate::Extensions`]);
    /// `None` on a backend that keeps none (every backend of this
    /// workspace keeps them).
    pub fn extensions_mut(&mut self) -> Option<&mut crate::Extensions> {
        self.inner.extensions_mut()
    }
    /// Consumes the store, returning the host state.
    pub fn into_data(self) -> T {
        self.inner.into_data()
    }
    /// Fuel left. [`Error::Unsupported`](crate::Error::Unsupported) unless fuel is enabled in the config.
    ///
    /// One unit of fuel is one WebAssembly instruction on wasmtime (a few cheap
    /// ones such as `nop` and `drop` are free) and roughly one basic
    /// instruction on wasmi (which charges more for calls, memory and table
    /// bulk operations); the counts are comparable, not identical.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for `fuel` unless fuel is
    /// enabled in the engine's config.
    pub fn get_fuel(&self) -> Result<u64> {
        self.inner.get_fuel()
    }
    /// Sets the fuel left.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for `fuel` unless fuel is
    /// enabled in the engine's config.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.inner.set_fuel(fuel)
    }
    /// Adds `delta` units of fuel (saturating).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for `fuel` unless fuel is
    /// enabled in the engine's config.
    pub fn add_fuel(&mut self, delta: u64) -> Result<()> {
        let now = self.inner.get_fuel()?;
        self.inner.set_fuel(now.saturating_add(delta))
    }
    /// Sets a wall-clock deadline `timeout` from now for wasm running in this
    /// store: past it, running wasm stops with [`Error::Trap`](crate::Error::Trap)
    /// and [`TrapCode::Deadline`](crate::TrapCode::Deadline), and so does every
    /// later call until a new deadline is set or it is cleared. The deadline
    /// covers all calls made before it passes (not one call each), start
    /// functions included; a call that finishes in time is unaffected and the
    /// store stays usable after the trap.
    ///
    /// A zero timeout stops the next wasm code that runs; a timeout too large
    /// for [`std::time::Instant`] means no deadline. Host code is not
    /// preempted: a host function that blocks past the deadline returns
    /// normally and the trap comes as soon as control is back in wasm.
    ///
    /// How precisely the deadline holds depends on the backend: on wasmtime
    /// (epoch interruption and a ticker thread per engine) within
    /// microseconds of the instant; on wasmi (fuel slices) within one slice of
    /// execution, well under a millisecond on current machines.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for
    /// [`Feature::Deadline`](crate::Feature::Deadline) unless it is enabled in
    /// the engine's config.
    pub fn set_deadline(&mut self, timeout: std::time::Duration) -> Result<()> {
        self.inner
            .set_deadline(crate::interrupt::deadline_after(timeout))
    }
    /// Removes the deadline.
    ///
    /// # Errors
    ///
    /// As [`Store::set_deadline`].
    pub fn clear_deadline(&mut self) -> Result<()> {
        self.inner.set_deadline(None)
    }
    /// Sets the policy asked before every memory and table growth in this
    /// store (after the fixed limits of the engine's config); see
    /// [`ResourceLimiter`](crate::ResourceLimiter). Replaces an earlier one.
    pub fn set_limiter(&mut self, limiter: impl crate::ResourceLimiter) {
        self.inner.set_limiter(Box::new(limiter));
    }
    /// The handle that stops this store's running calls from another thread.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for
    /// [`Feature::Interrupt`](crate::Feature::Interrupt) unless it is enabled in
    /// the engine's config.
    pub fn interrupt_handle(&self) -> Result<crate::InterruptHandle> {
        self.inner.interrupt_handle()
    }
    /// Drops an interrupt request that is pending for this store (made while
    /// it ran nothing, or too late for the call it was meant for), so that
    /// its next call runs; see [`InterruptHandle`](crate::InterruptHandle).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for
    /// [`Feature::Interrupt`](crate::Feature::Interrupt) unless it is enabled in
    /// the engine's config.
    pub fn discard_interrupts(&mut self) -> Result<()> {
        // Re-installing the store's own handle marks every request made so
        // far as seen.
        let handle = self.inner.interrupt_handle()?;
        self.inner.set_interrupt_handle(handle)
    }
    /// Makes this store answer to `handle` (instead of its own), so that one
    /// handle stops the calls of several stores. Requests made through
    /// `handle` before this call are not pending for this store.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`](crate::Error::Unsupported) for
    ///   [`Feature::Interrupt`](crate::Feature::Interrupt) unless it is enabled.
    /// - [`Error::WrongStore`](crate::Error::WrongStore) if `handle` was made for
    ///   another engine.
    pub fn set_interrupt_handle(&mut self, handle: &crate::InterruptHandle) -> Result<()> {
        self.inner.set_interrupt_handle(handle.clone())
    }
    /// The backend's store (escape hatch; backends expose the native store from
    /// there).
    pub fn backend(&self) -> &E::Store<T> {
        &self.inner
    }
    /// The backend's store, mutably.
    pub fn backend_mut(&mut self) -> &mut E::Store<T> {
        &mut self.inner
    }
}

/// The context a host function runs in: the host state and the exports of the
/// instance that called it.
pub struct Caller<'a, E: Engine, T: 'static> {
    inner: E::Caller<'a, T>,
}

impl<'a, E: Engine, T: 'static> Caller<'a, E, T> {
    /// Wraps a backend caller (used by backends).
    pub fn from_backend(inner: E::Caller<'a, T>) -> Self {
        Caller { inner }
    }
    /// Unwraps the backend caller (used by adapters such as `AnyEngine`).
    pub fn into_backend(self) -> E::Caller<'a, T> {
        self.inner
    }
    /// The host state.
    pub fn data(&self) -> &T {
        self.inner.data()
    }
    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.inner.data_mut()
    }
    /// The store's [`crate::Extensions`] (see [`Store::extensions_mut`]).
    pub fn extensions_mut(&mut self) -> Option<&mut crate::Extensions> {
        self.inner.extensions_mut()
    }
    /// An export of the calling instance.
    pub fn get_export(&mut self, name: &str) -> Option<Extern<E>> {
        self.inner.get_export(name)
    }
    /// The calling instance's exported memory `name` (commonly `"memory"`).
    pub fn get_memory(&mut self, name: &str) -> Option<Memory<E>> {
        match self.inner.get_export(name) {
            Some(Extern::Memory(m)) => Some(m),
            _ => None,
        }
    }
    /// Fuel left.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for `fuel` unless fuel is
    /// enabled in the engine's config.
    pub fn get_fuel(&self) -> Result<u64> {
        self.inner.get_fuel()
    }
    /// Sets the fuel left.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`](crate::Error::Unsupported) for `fuel` unless fuel is
    /// enabled in the engine's config.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.inner.set_fuel(fuel)
    }
    /// Whether the running call must stop now (its store's deadline has
    /// passed, or an interrupt is pending): a host function that waits —
    /// a sleep, a poll — asks between slices of its wait and returns the
    /// error, so that `--timeout`, deadlines and interrupts stop a guest
    /// even while the host waits for it.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`](crate::Error::Trap) with
    /// [`TrapCode::Deadline`](crate::TrapCode::Deadline) or
    /// [`TrapCode::Interrupt`](crate::TrapCode::Interrupt) (the pending
    /// interrupt is consumed); never on a backend or engine without
    /// deadlines and interrupts.
    pub fn check_stop(&mut self) -> Result<()> {
        self.inner.check_stop()
    }
    /// The backend's caller.
    pub fn backend_mut(&mut self) -> &mut E::Caller<'a, T> {
        &mut self.inner
    }
}

/// Anything that gives read access to a store: `&Store`, `&Caller`, ...
pub trait AsContext<E: Engine> {
    /// The backend context type.
    type Ctx: ContextBackend<E> + ?Sized;
    /// The backend context.
    fn ctx(&self) -> &Self::Ctx;
}

/// Anything that gives write access to a store: `&mut Store`, `&mut Caller`.
pub trait AsContextMut<E: Engine>: AsContext<E> {
    /// The backend context, mutably.
    fn ctx_mut(&mut self) -> &mut Self::Ctx;
}

impl<E: Engine, T: 'static> AsContext<E> for Store<E, T> {
    type Ctx = E::Store<T>;
    #[inline(always)]
    fn ctx(&self) -> &Self::Ctx {
        &self.inner
    }
}
impl<E: Engine, T: 'static> AsContextMut<E> for Store<E, T> {
    #[inline(always)]
    fn ctx_mut(&mut self) -> &mut Self::Ctx {
        &mut self.inner
    }
}
impl<'a, E: Engine, T: 'static> AsContext<E> for Caller<'a, E, T> {
    type Ctx = E::Caller<'a, T>;
    #[inline(always)]
    fn ctx(&self) -> &Self::Ctx {
        &self.inner
    }
}
impl<E: Engine, T: 'static> AsContextMut<E> for Caller<'_, E, T> {
    #[inline(always)]
    fn ctx_mut(&mut self) -> &mut Self::Ctx {
        &mut self.inner
    }
}
impl<E: Engine, C: AsContext<E> + ?Sized> AsContext<E> for &C {
    type Ctx = C::Ctx;
    #[inline(always)]
    fn ctx(&self) -> &Self::Ctx {
        (**self).ctx()
    }
}
impl<E: Engine, C: AsContext<E> + ?Sized> AsContext<E> for &mut C {
    type Ctx = C::Ctx;
    #[inline(always)]
    fn ctx(&self) -> &Self::Ctx {
        (**self).ctx()
    }
}
impl<E: Engine, C: AsContextMut<E> + ?Sized> AsContextMut<E> for &mut C {
    #[inline(always)]
    fn ctx_mut(&mut self) -> &mut Self::Ctx {
        (**self).ctx_mut()
    }
}
