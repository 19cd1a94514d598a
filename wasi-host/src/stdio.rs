//! Standard streams: what stdin reads and where stdout and stderr go.
//!
//! Capture buffers and callbacks are implemented once here, as a [`Sink`];
//! each backend adapter only wraps a sink in its native stream type.

use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard};

/// What the guest reads on stdin.
#[derive(Clone, Default)]
pub enum Stdin {
    /// End of file right away.
    #[default]
    Empty,
    /// The host process's stdin.
    Inherit,
    /// These bytes, then end of file. Shared, not copied: one input can
    /// feed many runs (`Stdin::Bytes(input.clone())` with an
    /// `Arc<Vec<u8>>`).
    Bytes(Arc<Vec<u8>>),
}

impl fmt::Debug for Stdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stdin::Empty => f.write_str("Empty"),
            Stdin::Inherit => f.write_str("Inherit"),
            Stdin::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// A callback that receives output chunks as the guest writes them.
pub type OutputFn = Arc<Mutex<dyn FnMut(&[u8]) + Send>>;

/// Where the guest's stdout or stderr goes.
#[derive(Clone, Default)]
pub enum Output {
    /// Nowhere: writes succeed and are dropped.
    #[default]
    Discard,
    /// The host process's stdout (for stdout) or stderr (for stderr).
    Inherit,
    /// Appended to a buffer that can be read during and after the run.
    Capture(Capture),
    /// Passed to a callback, chunk by chunk, as the guest writes. A large
    /// write may arrive in several chunks; the concatenation is exact. A
    /// callback that panics makes the guest's write fail with an I/O error.
    Stream(OutputFn),
}

impl Output {
    /// Streams output to `f`.
    ///
    /// ```
    /// use wasm_run_wasi::Output;
    /// let out = Output::stream(|chunk: &[u8]| print!("{}", String::from_utf8_lossy(chunk)));
    /// # drop(out);
    /// ```
    pub fn stream(f: impl FnMut(&[u8]) + Send + 'static) -> Self {
        Output::Stream(Arc::new(Mutex::new(f)))
    }

    /// The sink behind a capture or callback (`None` for discard and inherit,
    /// which the adapters map to their native streams).
    pub(crate) fn sink(&self) -> Option<Sink> {
        match self {
            Output::Capture(c) => Some(Sink::Capture(c.clone())),
            Output::Stream(f) => Some(Sink::Stream(f.clone())),
            Output::Discard | Output::Inherit => None,
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Discard => f.write_str("Discard"),
            Output::Inherit => f.write_str("Inherit"),
            Output::Capture(c) => write!(f, "Capture({} bytes)", c.len()),
            Output::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    limit: Option<usize>,
    overflowed: bool,
}

/// A shared, growable buffer that collects a guest's output. Cloning gives
/// another handle to the same buffer, so the host can read it during the run
/// (from a host function or another thread) and after it.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Buffer>>);

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Capture({} bytes)", self.len())
    }
}

impl Capture {
    /// An empty, unbounded buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer that keeps at most `limit` bytes; later bytes are
    /// dropped (the guest's writes still succeed) and
    /// [`overflowed`](Self::overflowed) turns true.
    pub fn with_limit(limit: usize) -> Self {
        Capture(Arc::new(Mutex::new(Buffer {
            limit: Some(limit),
            ..Buffer::default()
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A panic while holding the lock cannot leave the bytes inconsistent
        // (it only ever appends), so a poisoned lock is still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of everything captured so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Everything captured so far, as text (invalid UTF-8 replaced).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// Removes and returns everything captured so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.lock().bytes)
    }

    /// Number of bytes captured.
    pub fn len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Whether nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether bytes were dropped because of the limit.
    pub fn overflowed(&self) -> bool {
        self.lock().overflowed
    }

    fn append(&self, bytes: &[u8]) {
        let mut buf = self.lock();
        let room = match buf.limit {
            Some(limit) => limit.saturating_sub(buf.bytes.len()),
            None => usize::MAX,
        };
        if bytes.len() > room {
            buf.overflowed = true;
        }
        let keep = bytes.len().min(room);
        buf.bytes.extend_from_slice(&bytes[..keep]);
    }
}

/// The first panic of a context's output callbacks: the guest's write gets
/// `EIO`, and the host hears of it from [`crate::run_start`] (or
/// [`crate::WasiCtx::take_output_panic`]).
#[derive(Clone, Default)]
pub(crate) struct OutputPanic(Arc<Mutex<Option<String>>>);

impl OutputPanic {
    fn record(&self, stream: &str, message: String) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert_with(|| format!("the {stream} callback panicked: {message}"));
    }

    pub(crate) fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// `output` with its callback (if it has one) reporting panics here.
    pub(crate) fn watch(&self, output: &Output, stream: &'static str) -> Output {
        let Output::Stream(f) = output else {
            return output.clone();
        };
        let (f, panics) = (f.clone(), self.clone());
        Output::stream(move |bytes| {
            let mut callback = f.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (*callback)(bytes))) {
                panics.record(stream, wasm_run_api::backend::panic_message(payload));
                drop(callback);
                // Caught again by `Sink::write`, which answers the guest EIO
                // (and ignores the payload).
                std::panic::resume_unwind(Box::new(()));
            }
        })
    }
}

/// The destination of captured or streamed output, shared by the adapters.
#[derive(Clone)]
pub(crate) enum Sink {
    Capture(Capture),
    Stream(OutputFn),
}

impl Sink {
    /// Delivers one chunk. A panicking callback becomes an I/O error for the
    /// guest instead of unwinding through the engine.
    pub(crate) fn write(&self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self {
            Sink::Capture(c) => {
                c.append(bytes);
                Ok(())
            }
            Sink::Stream(f) => {
                let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
                catch_unwind(AssertUnwindSafe(|| (*f)(bytes)))
                    .map_err(|_| io::Error::other("the output callback panicked"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_appends_and_limits() {
        let c = Capture::with_limit(5);
        let sink = Sink::Capture(c.clone());
        sink.write(b"abc").unwrap();
        assert!(!c.overflowed());
        sink.write(b"defg").unwrap();
        assert_eq!(c.contents(), b"abcde");
        assert!(c.overflowed());
        assert_eq!(c.take(), b"abcde");
        assert!(c.is_empty());
    }

    #[test]
    fn stream_callback_gets_chunks_and_panics_become_errors() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let out = Output::stream(move |chunk| s.lock().unwrap().extend_from_slice(chunk));
        let sink = out.sink().unwrap();
        sink.write(b"one ").unwrap();
        sink.write(b"two").unwrap();
        assert_eq!(&*seen.lock().unwrap(), b"one two");

        let bad = Output::stream(|_| panic!("boom")).sink().unwrap();
        assert!(bad.write(b"x").is_err());
        // The lock is usable after the panic.
        assert!(bad.write(b"y").is_err());
    }

    #[test]
    fn watched_callbacks_report_their_first_panic() {
        let panics = OutputPanic::default();
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let out = Output::stream(move |_| {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            panic!("boom {n}");
        });
        let sink = panics.watch(&out, "stdout").sink().unwrap();
        assert!(sink.write(b"x").is_err());
        assert!(sink.write(b"y").is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            panics.take().as_deref(),
            Some("the stdout callback panicked: boom 1")
        );
        assert_eq!(panics.take(), None);
        // Outputs without a callback are left alone.
        assert!(matches!(
            panics.watch(&Output::Inherit, "stdout"),
            Output::Inherit
        ));
    }
}
