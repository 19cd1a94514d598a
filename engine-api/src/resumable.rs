//! Resumable fuel: a call that runs out of fuel pauses, the host adds fuel
//! and resumes the same call ([`Func::call_resumable`]).

use crate::Engine;
use crate::backend::{ContextBackend, PausedCallBackend, StoreId};
use crate::error::{Error, Result};
use crate::handles::{Func, check_vals_owner};
use crate::host::guard;
use crate::store::AsContextMut;
use crate::val::Val;
use std::fmt;

/// How far a resumable call got.
#[derive(Debug)]
pub enum CallProgress<E: Engine> {
    /// The call returned; its results are in the `results` buffer.
    Finished,
    /// The call ran out of fuel: add fuel to the store and
    /// [`PausedCall::resume`] it (or drop it to abandon the call).
    OutOfFuel(PausedCall<E>),
}

impl<E: Engine> CallProgress<E> {
    /// Whether the call returned.
    pub fn is_finished(&self) -> bool {
        matches!(self, CallProgress::Finished)
    }
}

/// A call paused because its store ran out of fuel. It belongs to that store
/// and holds the call's whole state; dropping it abandons the call (the
/// store stays usable).
pub struct PausedCall<E: Engine> {
    native: E::PausedCall,
    store: StoreId,
}

impl<E: Engine> fmt::Debug for PausedCall<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PausedCall")
            .field("native", &self.native)
            .field("store", &self.store)
            .finish()
    }
}

fn progress<E: Engine>(paused: Option<E::PausedCall>, store: StoreId) -> CallProgress<E> {
    match paused {
        None => CallProgress::Finished,
        Some(native) => CallProgress::OutOfFuel(PausedCall { native, store }),
    }
}

impl<E: Engine> Func<E> {
    /// Calls the function so that running out of fuel pauses the call
    /// instead of trapping: the answer is [`CallProgress::OutOfFuel`] with
    /// the paused call, which [`PausedCall::resume`] continues after the host
    /// added fuel ([`Store::add_fuel`](crate::Store::add_fuel)). Running a
    /// computation in slices of fuel this way gives the same result as one
    /// uninterrupted call. `results` holds the call's results once it
    /// finishes (its contents are unspecified while the call is paused).
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`] for
    ///   [`Feature::ResumableFuel`](crate::Feature::ResumableFuel) where the
    ///   backend cannot pause calls (wasmtime: its only way to suspend a call
    ///   is async execution, where the suspended future holds the store, so
    ///   the host could not add fuel; and async support changes every call
    ///   path) or fuel is not enabled.
    /// - Otherwise those of [`Func::call`], except that running out of fuel
    ///   is not an error.
    pub fn call_resumable(
        &self,
        mut store: impl AsContextMut<E>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<CallProgress<E>> {
        let id = store.ctx().store_id();
        let f = self.native_in(id)?;
        check_vals_owner(params, id)?;
        let paused = guard(|| store.ctx_mut().func_call_resumable(&f, params, results))?;
        Ok(progress(paused, id))
    }
}

impl<E: Engine> PausedCall<E> {
    /// The fuel the next step of the call needs at least; resuming with
    /// less pauses again at once.
    pub fn required_fuel(&self) -> u64 {
        self.native.required_fuel()
    }

    /// The id of the store the call runs in.
    pub fn store_id(&self) -> StoreId {
        self.store
    }

    /// Continues the call with the store's fuel: [`CallProgress::Finished`]
    /// with `results` written, or [`CallProgress::OutOfFuel`] again.
    ///
    /// # Errors
    ///
    /// - [`Error::WrongStore`] if `store` is not the call's store (the call
    ///   is abandoned then).
    /// - [`Error::Type`] if `results` does not have one slot per result.
    /// - Otherwise those of [`Func::call`], except that running out of fuel
    ///   is not an error.
    pub fn resume(
        self,
        mut store: impl AsContextMut<E>,
        results: &mut [Val<E>],
    ) -> Result<CallProgress<E>> {
        let id = store.ctx().store_id();
        if id != self.store {
            return Err(Error::WrongStore);
        }
        let paused = guard(|| store.ctx_mut().resume_call(self.native, results))?;
        Ok(progress(paused, id))
    }
}
