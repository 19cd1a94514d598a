//! Stores, host-function callers, and the context traits that let every handle
//! method take either.

use crate::Engine;
use crate::backend::{CallerBackend, ContextBackend, StoreBackend, StoreId};
use crate::error::Result;
use crate::handles::{Extern, Memory};

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
