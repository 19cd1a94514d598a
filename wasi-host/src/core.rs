//! The host core both WASI versions are written over: what a program sees
//! (arguments, environment, the standard streams, clocks, preopened
//! directories), built once from a [`WasiSetup`]. Preview 1
//! ([`crate::p1`]) and preview 2 (`crate::p2`) keep one each and differ only
//! in how the guest reaches it (file descriptors or resource handles).

use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::clock::{MonotonicClock, WallClock};
use crate::config::WasiSetup;
use crate::error::WasiError;
use crate::fs::{self, Desc};
use crate::stdio::{Output, Stdin};

/// The most bytes one read of stdin moves.
const MAX_STDIN_CHUNK: u64 = 1 << 20;

/// Which standard stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Std {
    In,
    Out,
    Err,
}

/// What a program sees, apart from the handles it holds.
pub(crate) struct Core {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    stdin: Stdin,
    /// How far into `Stdin::Bytes` the guest has read.
    stdin_pos: usize,
    stdout: Output,
    stderr: Output,
    pub(crate) wall: Arc<dyn WallClock>,
    pub(crate) monotonic: Arc<dyn MonotonicClock>,
    /// Whether `monotonic` is the real clock (then waiting for it sleeps).
    pub(crate) real_time: bool,
    /// The preopened directories, with their guest names.
    pub(crate) preopens: Vec<(Desc, String)>,
}

/// The system's wall clock.
struct SystemWall;

impl WallClock for SystemWall {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// The system's monotonic clock, from when the context was made.
struct SystemMonotonic(Instant);

impl MonotonicClock for SystemMonotonic {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

impl Core {
    /// The core for a validated configuration.
    ///
    /// # Errors
    ///
    /// A preopened directory that cannot be opened.
    pub(crate) fn from_setup(setup: &WasiSetup) -> Result<Self, WasiError> {
        let preopens = setup
            .preopens
            .iter()
            .map(|p| Ok((fs::preopen(p)?, p.guest.clone())))
            .collect::<Result<Vec<_>, WasiError>>()?;
        Ok(Core {
            args: setup.args.clone(),
            env: setup.env.clone(),
            stdin: setup.stdin.clone(),
            stdin_pos: 0,
            stdout: setup.stdout.clone(),
            stderr: setup.stderr.clone(),
            wall: setup
                .wall_clock
                .clone()
                .unwrap_or_else(|| Arc::new(SystemWall)),
            real_time: setup.monotonic_clock.is_none(),
            monotonic: setup
                .monotonic_clock
                .clone()
                .unwrap_or_else(|| Arc::new(SystemMonotonic(Instant::now()))),
            preopens,
        })
    }

    /// Writes to the guest's stdout or stderr.
    pub(crate) fn write_std(&self, s: Std, bytes: &[u8]) -> std::io::Result<()> {
        let out = match s {
            Std::Out => &self.stdout,
            Std::Err => &self.stderr,
            Std::In => return Err(std::io::Error::other("stdin is not an output stream")),
        };
        match out {
            Output::Discard => Ok(()),
            Output::Inherit if s == Std::Out => {
                let mut o = std::io::stdout().lock();
                o.write_all(bytes)?;
                o.flush()
            }
            Output::Inherit => std::io::stderr().lock().write_all(bytes),
            other => match other.sink() {
                Some(sink) => sink.write(bytes),
                None => Ok(()),
            },
        }
    }

    /// Reads at most `len` bytes (and at most 1 MiB) of the guest's stdin;
    /// `None` at its end.
    pub(crate) fn read_stdin(&mut self, len: u64) -> std::io::Result<Option<Vec<u8>>> {
        let len = len.min(MAX_STDIN_CHUNK) as usize;
        match &self.stdin {
            Stdin::Empty => Ok(None),
            Stdin::Bytes(bytes) => {
                let rest = &bytes[self.stdin_pos.min(bytes.len())..];
                if rest.is_empty() {
                    return Ok(None);
                }
                let n = rest.len().min(len);
                let chunk = rest[..n].to_vec();
                self.stdin_pos += n;
                Ok(Some(chunk))
            }
            Stdin::Inherit => {
                if len == 0 {
                    return Ok(Some(Vec::new()));
                }
                let mut buf = vec![0; len.min(64 * 1024)];
                let n = std::io::stdin().lock().read(&mut buf)?;
                if n == 0 {
                    return Ok(None);
                }
                buf.truncate(n);
                Ok(Some(buf))
            }
        }
    }

    /// Whether the standard stream `s` is a terminal the guest may know
    /// about (only an inherited one can be).
    pub(crate) fn is_terminal(&self, s: Std) -> bool {
        match s {
            Std::In => matches!(self.stdin, Stdin::Inherit) && std::io::stdin().is_terminal(),
            Std::Out => matches!(self.stdout, Output::Inherit) && std::io::stdout().is_terminal(),
            Std::Err => matches!(self.stderr, Output::Inherit) && std::io::stderr().is_terminal(),
        }
    }
}

/// The longest a host wait sleeps before asking whether the call must stop
/// (the store's deadline or an interrupt): the most a `--timeout` or an
/// interrupt is late while a guest sleeps.
const WAIT_SLICE: Duration = Duration::from_millis(10);

/// Waits until `clock` reads `deadline`, in slices, asking `check` after
/// each whether to stop (its error ends the wait). Only real time sleeps:
/// with an injected clock (`real_time` false) the deadline counts as
/// reached at once.
pub(crate) fn wait_until<E>(
    clock: &Arc<dyn MonotonicClock>,
    real_time: bool,
    deadline: Duration,
    mut check: impl FnMut() -> Result<(), E>,
) -> Result<(), E> {
    if !real_time {
        return Ok(());
    }
    loop {
        let now = clock.now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(WAIT_SLICE));
        check()?;
    }
}
