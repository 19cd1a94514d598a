//! The wasmtime adapter: [`wasmtime_wasi::p1`] (WASI preview 1 implemented on
//! top of wasmtime-wasi's preview 2 host).
//!
//! Only the translation lives here: stdio sinks become an output stream type,
//! clocks become `HostWallClock`/`HostMonotonicClock`, preopens map to
//! `FsPerms`. Validation, exit codes, randomness and capture buffers are the
//! backend-neutral code of the crate.

use crate::clock::{MonotonicClock, WallClock};
use crate::config::{DirPerms, WasiSetup, open_error};
use crate::ctx::WasiEngine;
use crate::error::WasiError;
use crate::stdio::{Output, Sink, Stdin};
use bytes::Bytes;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use wasm_run_wasmtime::{Wasmtime, WasmtimeLinker};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, WasiCtxBuilder};

/// Largest chunk the guest may hand over in one write (wasmtime splits larger
/// writes; the callback sees the pieces in order).
const WRITE_PERMIT: usize = 1 << 16;

impl WasiEngine for Wasmtime {
    type WasiNative = WasiP1Ctx;

    fn build_native(&self, setup: &WasiSetup) -> Result<WasiP1Ctx, WasiError> {
        Ok(builder(setup)?.build_p1())
    }

    fn add_native<T, G>(linker: &mut WasmtimeLinker<T>, get: G) -> Result<(), WasiError>
    where
        T: Send + 'static,
        G: Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
    {
        wasmtime_wasi::p1::add_to_linker_sync(linker.as_native(), move |d| get(d.user_mut()))
            .map_err(|e| WasiError::Adapter {
                backend: "wasmtime",
                message: format!("{e:#}"),
            })
    }
}

/// wasmtime-wasi's context builder for `setup` (preview 1 builds it with
/// `build_p1`, the preview 2 reference with `build`).
pub(crate) fn builder(setup: &WasiSetup) -> Result<WasiCtxBuilder, WasiError> {
    let mut b = WasiCtxBuilder::new();
    // Blocking file operations run on the calling thread rather than
    // hopping through tokio's blocking pool: the API is synchronous.
    b.allow_blocking_current_thread(true);
    b.args(&setup.args).envs(&setup.env);
    match &setup.stdin {
        Stdin::Empty => {}
        Stdin::Inherit => {
            b.inherit_stdin();
        }
        Stdin::Bytes(bytes) => {
            b.stdin(MemoryInputPipe::new(Bytes::from_owner(SharedBytes(
                bytes.clone(),
            ))));
        }
    }
    match (&setup.stdout, setup.stdout.sink()) {
        (_, Some(sink)) => b.stdout(SinkStream(sink)),
        (Output::Inherit, None) => b.inherit_stdout(),
        _ => &mut b,
    };
    match (&setup.stderr, setup.stderr.sink()) {
        (_, Some(sink)) => b.stderr(SinkStream(sink)),
        (Output::Inherit, None) => b.inherit_stderr(),
        _ => &mut b,
    };
    for p in &setup.preopens {
        let perms = match p.perms {
            DirPerms::ReadOnly => FsPerms::ReadOnly,
            DirPerms::ReadWrite => FsPerms::ReadWrite,
        };
        b.preopened_dir(&p.host, &p.guest, perms)
            .map_err(|e| open_error(&p.host, std::io::Error::other(format!("{e:#}"))))?;
    }
    if let Some(clock) = &setup.wall_clock {
        b.wall_clock(Wall(clock.clone()));
    }
    if let Some(clock) = &setup.monotonic_clock {
        b.monotonic_clock(Mono(clock.clone()));
    }
    Ok(b)
}

/// Captured or streamed output as a wasmtime-wasi output stream.
#[derive(Clone)]
struct SinkStream(Sink);

impl IsTerminal for SinkStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for SinkStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl OutputStream for SinkStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.0
            .write(&bytes)
            .map_err(|e| StreamError::LastOperationFailed(e.into()))
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for SinkStream {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for SinkStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.0.write(buf).map(|()| buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

struct Wall(Arc<dyn WallClock>);

impl HostWallClock for Wall {
    fn resolution(&self) -> Duration {
        self.0.resolution()
    }
    fn now(&self) -> Duration {
        self.0.now()
    }
}

/// Nanoseconds of a duration, saturating (WASI timestamps are `u64`).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

struct Mono(Arc<dyn MonotonicClock>);

impl HostMonotonicClock for Mono {
    fn resolution(&self) -> u64 {
        nanos(self.0.resolution())
    }
    fn now(&self) -> u64 {
        nanos(self.0.now())
    }
}

/// The configuration's stdin bytes, shared with wasmtime-wasi's pipe (not
/// copied).
struct SharedBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
