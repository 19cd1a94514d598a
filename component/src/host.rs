//! What the host's component functions are called with: [`HostContext`],
//! the same on the portable path (a core host function's caller) and on
//! wasmtime's native component model (its store context).

use std::sync::Arc;
use wasm_run_api::{Caller, Engine, Result, Store};

use crate::val::Val;

/// A host function of a component: called with the [`HostContext`], the
/// arguments (already checked against the import's type), and the results
/// to fill in (one slot when the function has a result, none otherwise).
pub type HostFunc<T> =
    Arc<dyn Fn(&mut HostContext<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync>;

/// A host resource type's destructor: called with the representation when
/// a component drops an owned handle of it.
pub type HostDtor<T> = Arc<dyn Fn(&mut HostContext<'_, T>, u32) -> Result<()> + Send + Sync>;

/// What a component's host function or host resource destructor can reach:
/// the store's host state and its fuel. A component's host functions get
/// values, never the guest's memory (the canonical ABI copies them), so
/// this is the whole of the store they need; it is the same on every path.
pub struct HostContext<'a, T: 'static> {
    inner: &'a mut dyn Access<T>,
}

impl<'a, T: 'static> HostContext<'a, T> {
    pub(crate) fn new(inner: &'a mut dyn Access<T>) -> Self {
        HostContext { inner }
    }

    /// The host state.
    pub fn data(&self) -> &T {
        self.inner.data()
    }

    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.inner.data_mut()
    }

    /// Fuel left.
    ///
    /// # Errors
    ///
    /// [`wasm_run_api::Error::Unsupported`] when fuel is off.
    pub fn get_fuel(&self) -> Result<u64> {
        self.inner.get_fuel()
    }

    /// Sets the fuel left.
    ///
    /// # Errors
    ///
    /// [`wasm_run_api::Error::Unsupported`] when fuel is off.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.inner.set_fuel(fuel)
    }

    /// Whether the running call must stop now (the store's deadline has
    /// passed, or an interrupt is pending): a host function that waits asks
    /// between slices of its wait and returns the error (see
    /// [`wasm_run_api::Caller::check_stop`]).
    ///
    /// # Errors
    ///
    /// [`wasm_run_api::Error::Trap`] with the deadline's or the interrupt's
    /// trap code.
    pub fn check_stop(&mut self) -> Result<()> {
        self.inner.check_stop()
    }
}

/// A store, or a core host function's caller, seen from a component host
/// function.
pub(crate) trait Access<T> {
    fn data(&self) -> &T;
    fn data_mut(&mut self) -> &mut T;
    fn get_fuel(&self) -> Result<u64>;
    fn set_fuel(&mut self, fuel: u64) -> Result<()>;
    fn check_stop(&mut self) -> Result<()>;
}

impl<E: Engine, T: 'static> Access<T> for Caller<'_, E, T> {
    fn data(&self) -> &T {
        Caller::data(self)
    }
    fn data_mut(&mut self) -> &mut T {
        Caller::data_mut(self)
    }
    fn get_fuel(&self) -> Result<u64> {
        Caller::get_fuel(self)
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        Caller::set_fuel(self, fuel)
    }
    fn check_stop(&mut self) -> Result<()> {
        Caller::check_stop(self)
    }
}

impl<E: Engine, T: 'static> Access<T> for Store<E, T> {
    fn data(&self) -> &T {
        Store::data(self)
    }
    fn data_mut(&mut self) -> &mut T {
        Store::data_mut(self)
    }
    fn get_fuel(&self) -> Result<u64> {
        Store::get_fuel(self)
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        Store::set_fuel(self, fuel)
    }
    fn check_stop(&mut self) -> Result<()> {
        use wasm_run_api::backend::ContextBackend;
        self.backend_mut().check_stop()
    }
}
