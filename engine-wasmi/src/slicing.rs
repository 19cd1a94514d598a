//! Deadlines and interrupts on wasmi: fuel slices and resumable calls.
//!
//! wasmi has no asynchronous way to stop running code, but it can meter fuel
//! and resume a call that ran out. With deadlines or interrupts enabled, the
//! engine meters fuel and a store never holds more than [`SLICE`] units at a
//! time: when a call runs out, control comes back here, the store's
//! [`Watch`] decides whether the call stops (interrupted, past its deadline),
//! and if not the store gets the next slice and the call resumes where it
//! was. A loop without calls, deep recursion and a loop calling the host are
//! all stopped within one slice of execution.
//!
//! When the user enables fuel as well, the user's budget is the sum of what
//! the store holds and a `reserve` handed out slice by slice; running out of
//! it is the usual `OutOfFuel` trap. Without user fuel the slices are
//! unlimited and `get_fuel`/`set_fuel` stay `Unsupported`.
//!
//! With slicing on, modules are translated eagerly (when compiled): wasmi's
//! lazy translation charges a function's translation to its first call, at
//! once and not resumably, which a slice may be too small for. So fuel does
//! not count translation then.
//!
//! Start functions run inside `Instance::new`, which wasmi does not offer as
//! a resumable call; they get their whole budget at once (all the user's fuel,
//! or unlimited) and are not stopped by deadlines or interrupts.

use crate::StoreData;
use crate::convert::error;
use wasm_run_api::backend::Watch;
use wasm_run_api::{Error, Result, TrapCode};

/// Fuel units per slice: how much wasm runs between two checks of the watch.
/// At wasmi's speed on current machines (a few hundred million units per
/// second) that is well under a millisecond; a resume costs a few hundred
/// nanoseconds, so slicing adds under 1% to a long call.
pub const SLICE: u64 = 100_000;

/// Fuel units per slice in a store with a yield interval
/// (`Store::set_yield_interval`): yields are checked between slices, and
/// fuel does not count the time of host calls, so a guest that calls the
/// host often would otherwise yield tens of milliseconds late.
pub const YIELD_SLICE: u64 = 10_000;

/// Unlimited fuel for code that must not be sliced (start functions).
const UNLIMITED: u64 = u64::MAX / 2;

/// The per-store state of slicing.
pub(crate) struct Slicing {
    pub(crate) watch: Watch,
    /// Whether the user enabled fuel (then `reserve` is part of the budget).
    pub(crate) user_fuel: bool,
    /// User fuel not yet given to the store.
    pub(crate) reserve: u64,
    /// When async calls yield to the executor (checked between slices).
    pub(crate) yields: wasm_run_api::backend::YieldClock,
    /// The fuel the store held when it was last given some (what a slice
    /// that ran out consumed, for fuel yields).
    pub(crate) given: u64,
}

impl Slicing {
    /// The fuel of one slice.
    fn slice(&self) -> u64 {
        let policy = self.yields.policy();
        let slice = if policy.interval().is_some() {
            YIELD_SLICE
        } else {
            SLICE
        };
        // A fuel yield comes at a slice's end.
        slice.min(policy.fuel_interval().unwrap_or(u64::MAX))
    }
}

type Cx<'a, T> = wasmi::StoreContextMut<'a, StoreData<T>>;

fn fuel(cx: &impl wasmi::AsContext) -> u64 {
    cx.as_context().get_fuel().unwrap_or(0)
}

fn put_fuel<T>(cx: &mut Cx<'_, T>, fuel: u64) {
    // Fuel metering is on whenever slicing is, so this cannot fail.
    let _ = cx.set_fuel(fuel);
    if let Some(s) = &mut cx.data_mut().slicing {
        s.given = fuel;
    }
}

/// The user's fuel: what the store holds plus the reserve.
pub(crate) fn get_fuel(cx: &impl wasmi::AsContext, s: &Slicing) -> u64 {
    fuel(cx).saturating_add(s.reserve)
}

/// Sets the user's fuel: at most one slice in the store, the rest in reserve.
pub(crate) fn set_fuel<T>(cx: &mut Cx<'_, T>, total: u64) {
    let give = total.min(SLICE);
    if let Some(s) = &mut cx.data_mut().slicing {
        s.reserve = total - give;
    }
    put_fuel(cx, give);
}

/// Gives the store enough fuel for the next step (`required` units at
/// least); `false` when the user's budget is spent.
fn refuel<T>(cx: &mut Cx<'_, T>, required: u64) -> bool {
    let have = fuel(cx);
    let Some(s) = &mut cx.data_mut().slicing else {
        return have >= required;
    };
    let want = s.slice().max(required.saturating_sub(have));
    if !s.user_fuel {
        put_fuel(cx, have.saturating_add(want));
        return true;
    }
    if have.saturating_add(s.reserve) < required || s.reserve == 0 {
        return false;
    }
    let give = want.min(s.reserve);
    s.reserve -= give;
    put_fuel(cx, have + give);
    true
}

/// Before a call: at least one slice in the store if the budget allows (a
/// call stopped earlier may have left it nearly empty, and wasmi refuses to
/// start a call it cannot pay the first step of).
fn top_up<T>(cx: &mut Cx<'_, T>) {
    let have = fuel(cx);
    let Some(s) = &mut cx.data_mut().slicing else {
        return;
    };
    let slice = s.slice();
    if have >= slice {
        return;
    }
    if !s.user_fuel {
        put_fuel(cx, slice);
        return;
    }
    let give = (slice - have).min(s.reserve);
    s.reserve -= give;
    put_fuel(cx, have + give);
}

/// Before running wasm from the host (a new call, or resuming a paused one):
/// a pending interrupt request stops it when `top`, the deadline is checked,
/// fuel topped up.
pub(crate) fn prepare<T>(cx: &mut Cx<'_, T>, top: bool) -> Result<()> {
    if let Some(s) = &mut cx.data_mut().slicing {
        if top {
            s.watch.begin()?;
        }
        // A zero deadline or an expired one stops before any wasm runs.
        s.watch.check()?;
    }
    top_up(cx);
    Ok(())
}

pub(crate) fn out_of_fuel() -> Error {
    Error::trap(TrapCode::OutOfFuel, "all fuel consumed")
}

/// Where driving a call stopped.
pub(crate) enum Outcome {
    /// It returned.
    Finished,
    /// The user's fuel is spent (only when pausing was asked for).
    Paused(wasmi::ResumableCallOutOfFuel),
    /// An async host function suspended it (only when asked for): the host
    /// awaits its future and resumes the call with its results.
    Suspended(wasmi::ResumableCallHostTrap),
    /// Between two slices, the async call's yield to the executor is due
    /// (only when suspending was asked for): [`continue_sliced`] after it.
    Yielded(wasmi::ResumableCallOutOfFuel),
}

/// Runs a started call until it returns. Between slices the watch decides
/// whether it stops. When the user's fuel is spent the call traps with
/// `OutOfFuel`, or, with `pause`, is returned paused; an async host
/// function's suspension is returned with `suspend`, and is otherwise the
/// error of a synchronous call reaching one.
pub(crate) fn drive_until<T>(
    cx: &mut Cx<'_, T>,
    mut call: wasmi::ResumableCall,
    results: &mut [wasmi::Val],
    pause: bool,
    suspend: bool,
) -> Result<Outcome> {
    loop {
        match call {
            wasmi::ResumableCall::Finished => return Ok(Outcome::Finished),
            wasmi::ResumableCall::HostTrap(trap) => {
                if suspend && crate::asyncs::is_pending(trap.host_error()) {
                    return Ok(Outcome::Suspended(trap));
                }
                return Err(error(trap.into_host_error()));
            }
            wasmi::ResumableCall::OutOfFuel(paused) => {
                let left = fuel(cx);
                if let Some(s) = &mut cx.data_mut().slicing {
                    s.watch.check()?;
                    if suspend {
                        let by_fuel = s.yields.consumed(s.given.saturating_sub(left));
                        if by_fuel | s.yields.due().is_some() {
                            return Ok(Outcome::Yielded(paused));
                        }
                    }
                }
                if !refuel(cx, paused.required_fuel()) {
                    return if pause {
                        Ok(Outcome::Paused(paused))
                    } else {
                        Err(out_of_fuel())
                    };
                }
                call = paused.resume(&mut *cx, results).map_err(error)?;
            }
        }
    }
}

/// [`drive_until`] for synchronous calls.
fn drive<T>(
    cx: &mut Cx<'_, T>,
    call: wasmi::ResumableCall,
    results: &mut [wasmi::Val],
    pause: bool,
) -> Result<Option<wasmi::ResumableCallOutOfFuel>> {
    match drive_until(cx, call, results, pause, false)? {
        Outcome::Paused(paused) => Ok(Some(paused)),
        Outcome::Finished => Ok(None),
        // Not asked for: `drive_until` answered the error instead.
        Outcome::Suspended(_) | Outcome::Yielded(_) => {
            Err(wasm_run_api::backend::sync_call_of_async_host())
        }
    }
}

/// Continues an async call after its yield: the next slice (or the
/// `OutOfFuel` trap when the user's budget is spent), driven as before.
pub(crate) fn continue_sliced<T>(
    cx: &mut Cx<'_, T>,
    paused: wasmi::ResumableCallOutOfFuel,
    results: &mut [wasmi::Val],
) -> Result<Outcome> {
    prepare(cx, false)?;
    if !refuel(cx, paused.required_fuel()) {
        return Err(out_of_fuel());
    }
    let resumed = paused.resume(&mut *cx, results).map_err(error)?;
    drive_until(cx, resumed, results, false, true)
}

/// Calls `f` in slices. `top` says whether the call comes from the host (a
/// pending interrupt request then stops it) rather than from a host function.
pub(crate) fn call<T>(
    mut cx: Cx<'_, T>,
    top: bool,
    f: &wasmi::Func,
    params: &[wasmi::Val],
    results: &mut [wasmi::Val],
) -> Result<()> {
    prepare(&mut cx, top)?;
    let started = f.call_resumable(&mut cx, params, results).map_err(error)?;
    drive(&mut cx, started, results, false).map(|_| ())
}

/// Calls `f` so that running out of the user's fuel pauses the call.
pub(crate) fn call_pausing<T>(
    mut cx: Cx<'_, T>,
    top: bool,
    f: &wasmi::Func,
    params: &[wasmi::Val],
    results: &mut [wasmi::Val],
) -> Result<Option<wasmi::ResumableCallOutOfFuel>> {
    prepare(&mut cx, top)?;
    let started = f.call_resumable(&mut cx, params, results).map_err(error)?;
    drive(&mut cx, started, results, true)
}

/// Resumes a paused call; it pauses again at once if the fuel does not
/// cover its next step.
pub(crate) fn resume<T>(
    mut cx: Cx<'_, T>,
    top: bool,
    paused: wasmi::ResumableCallOutOfFuel,
    results: &mut [wasmi::Val],
) -> Result<Option<wasmi::ResumableCallOutOfFuel>> {
    prepare(&mut cx, top)?;
    if !refuel(&mut cx, paused.required_fuel()) {
        return Ok(Some(paused));
    }
    let resumed = paused.resume(&mut cx, results).map_err(error)?;
    drive(&mut cx, resumed, results, true)
}

/// Runs `f` (an instantiation, which may run a start function) with the
/// whole budget in the store, then slices again. When `top` (the host
/// instantiates, not a host function), a pending interrupt request stops it
/// before `f` runs.
pub(crate) fn unsliced<T, R>(
    mut cx: Cx<'_, T>,
    top: bool,
    f: impl FnOnce(&mut Cx<'_, T>) -> Result<R, wasmi::Error>,
) -> Result<R> {
    let Some(s) = &mut cx.data_mut().slicing else {
        return f(&mut cx).map_err(error);
    };
    if top {
        s.watch.begin()?;
    }
    let Some(s) = &cx.data().slicing else {
        return f(&mut cx).map_err(error);
    };
    let user_fuel = s.user_fuel;
    let total = get_fuel(&cx, s);
    if user_fuel {
        if let Some(s) = &mut cx.data_mut().slicing {
            s.reserve = 0;
        }
        put_fuel(&mut cx, total);
    } else {
        put_fuel(&mut cx, UNLIMITED);
    }
    let r = f(&mut cx).map_err(error);
    if user_fuel {
        let left = fuel(&cx);
        set_fuel(&mut cx, left);
    } else {
        put_fuel(&mut cx, SLICE);
    }
    r
}
