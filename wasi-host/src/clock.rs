//! Clocks a WASI program reads (`clock_time_get`, `clock_res_get`), injectable
//! for deterministic runs.
//!
//! wasm-run's WASI (preview 1 and 2) reads them directly; wasmtime-wasi (the
//! engine's WASI on wasmtime) through its `HostWallClock`/`HostMonotonicClock`.
//! With the system's monotonic clock, `poll_oneoff` sleeps in real time; with
//! an injected one, a sleep reaches its deadline at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The real-time clock: time since the Unix epoch.
pub trait WallClock: Send + Sync {
    /// Time since 1970-01-01T00:00:00Z.
    fn now(&self) -> Duration;
    /// The clock's resolution (default one nanosecond).
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
}

/// The monotonic clock: time since an arbitrary fixed start.
pub trait MonotonicClock: Send + Sync {
    /// Time since the clock's start; never decreases.
    fn now(&self) -> Duration;
    /// The clock's resolution (default one nanosecond).
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
}

/// A clock that starts at `start` and advances by `step` each time it is
/// read: deterministic, and usable as a [`WallClock`] or a [`MonotonicClock`].
///
/// ```
/// use std::time::Duration;
/// use wasm_run_wasi::{DeterministicClock, MonotonicClock};
/// let clock = DeterministicClock::new(Duration::from_secs(5), Duration::from_millis(1));
/// assert_eq!(MonotonicClock::now(&clock), Duration::from_secs(5));
/// assert_eq!(MonotonicClock::now(&clock), Duration::from_millis(5001));
/// ```
#[derive(Debug)]
pub struct DeterministicClock {
    start: Duration,
    step: Duration,
    reads: AtomicU64,
}

impl DeterministicClock {
    /// A clock reading `start`, then `start + step`, `start + 2 * step`, ...
    pub fn new(start: Duration, step: Duration) -> Self {
        DeterministicClock {
            start,
            step,
            reads: AtomicU64::new(0),
        }
    }

    /// A clock that always reads `at`.
    pub fn fixed(at: Duration) -> Self {
        Self::new(at, Duration::ZERO)
    }

    fn read(&self) -> Duration {
        let n = self.reads.fetch_add(1, Ordering::Relaxed);
        let offset = self
            .step
            .saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        self.start.saturating_add(offset)
    }
}

impl WallClock for DeterministicClock {
    fn now(&self) -> Duration {
        self.read()
    }
}

impl MonotonicClock for DeterministicClock {
    fn now(&self) -> Duration {
        self.read()
    }
}
