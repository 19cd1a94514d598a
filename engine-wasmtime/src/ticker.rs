//! The epoch ticker behind deadlines on wasmtime.
//!
//! With epoch interruption on, compiled code compares the engine's epoch
//! with the store's epoch deadline at every function entry and loop header;
//! when the epoch reaches it, the store's callback decides whether the call
//! stops (`Watch::check`). The ticker is the thread that advances the epoch
//! when a deadline passes, so a loop without calls stops too.
//!
//! One ticker per engine, started at the first deadline and idle (blocked on
//! a condition variable, no periodic wake-ups) while no deadline is pending.
//! It wakes once per pending deadline, advances the epoch, and exits when the
//! engine and its stores are gone. Interrupt requests advance the epoch
//! directly, without the ticker.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;
use wasmtime as wt;

#[derive(Default)]
struct State {
    pending: BinaryHeap<Reverse<Instant>>,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    engine: wt::EngineWeak,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Owned by the engine and its stores; dropping the last owner stops the
/// thread.
pub(crate) struct Ticker {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Ticker {
    pub(crate) fn new(engine: &wt::Engine) -> Self {
        Ticker {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                engine: engine.weak(),
            }),
            thread: Mutex::new(None),
        }
    }

    /// Advances the epoch at `at` (or as soon as possible if it has passed).
    pub(crate) fn tick_at(&self, at: Instant) {
        if at <= Instant::now() {
            if let Some(engine) = self.shared.engine.upgrade() {
                engine.increment_epoch();
            }
            return;
        }
        self.shared.lock().pending.push(Reverse(at));
        self.shared.wake.notify_one();
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        if thread.is_none() {
            let shared = self.shared.clone();
            // If the thread cannot be started, deadlines still hold at the
            // next interrupt request or call; nothing else breaks.
            *thread = std::thread::Builder::new()
                .name("wasm-run-epoch".into())
                .spawn(move || run(&shared))
                .ok();
        }
    }
}

fn run(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        let now = Instant::now();
        match state.pending.peek().copied() {
            None => {
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            Some(Reverse(at)) if at <= now => {
                while state.pending.peek().is_some_and(|&Reverse(t)| t <= now) {
                    state.pending.pop();
                }
                match shared.engine.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
            Some(Reverse(at)) => {
                state = shared
                    .wake
                    .wait_timeout(state, at - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            // The thread holds no lock when it sees `stop`; joining is quick.
            let _ = thread.join();
        }
    }
}
