//! The wasmi adapter: [`wasmi_wasi`], which runs wasi-common's preview 1
//! implementation (cap-std based) on wasmi.
//!
//! Only the translation lives here: stdio sinks become a `WritePipe`, clocks
//! become `WasiSystemClock`/`WasiMonotonicClock`, and preopens are wrapped in
//! [`PermDir`], which adds the read-only mode wasi-common lacks (its preopens
//! are always writable) with the errno wasmtime-wasi uses for it.
//!
//! Where wasi-common answers a guest differently from wasmtime-wasi, and the
//! official WASI test suite says wasi-common is wrong, the difference is
//! corrected here so that guests see the same results on both backends:
//!
//! - `path_open` with `O_TRUNC` and `FDFLAGS_APPEND` together fails in
//!   wasi-common (`EINVAL`: the standard library refuses truncate with
//!   append); [`PermDir`] opens for appending and truncates afterwards.
//! - `sock_shutdown` on a descriptor that is no socket is `ENOTSOCK`, not
//!   `EBADF` (no descriptor of a wasm-run context is a socket: it preopens
//!   none).
//! - `fd_fdstat_set_rights` claims success without changing any right (a
//!   guest dropping `FD_WRITE` may still write); like wasmtime-wasi, which
//!   does not enforce rights either, it is `ENOTSUP` on files and
//!   directories and `EBADF` on the standard streams.

use crate::clock::{MonotonicClock, WallClock};
use crate::config::{DirPerms, WasiSetup, open_error};
use crate::ctx::WasiEngine;
use crate::error::WasiError;
use crate::stdio::{Output, Sink, Stdin};
use cap_std::time::{Duration, Instant, SystemTime};
use std::any::Any;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use wasi_common::clocks::WasiMonotonicOffsetClock;
use wasi_common::dir::{OpenResult, ReaddirCursor, ReaddirEntity, WasiDir};
use wasi_common::file::{FdFlags, Filestat, OFlags, WasiFile};
use wasi_common::pipe::{ReadPipe, WritePipe};
use wasi_common::sync::dir::{Dir as SyncDir, OpenResult as SyncOpenResult};
use wasi_common::{Error, ErrorExt, SystemTimeSpec, Table, WasiCtx};
use wasm_run_wasmi::{StoreData, Wasmi, WasmiLinker};
use wasmi_wasi::wasi_common;

impl WasiEngine for Wasmi {
    type WasiNative = WasiCtx;

    fn build_native(&self, setup: &WasiSetup) -> Result<WasiCtx, WasiError> {
        let mut clocks = wasi_common::sync::clocks_ctx();
        if let Some(clock) = &setup.wall_clock {
            clocks.system = Some(Box::new(Wall(clock.clone())));
        }
        if let Some(clock) = &setup.monotonic_clock {
            // Built by hand (not `WasiMonotonicOffsetClock::new`) so that the
            // guest reads the clock's own value, as on wasmtime, instead of
            // the difference to a first reading taken here.
            let base = Instant::from_std(std::time::Instant::now());
            clocks.monotonic = Some(WasiMonotonicOffsetClock {
                creation_time: base,
                abs_clock: Box::new(Mono {
                    clock: clock.clone(),
                    base,
                }),
            });
        }
        let mut ctx = WasiCtx::new(
            // Unused: `random_get` is the crate's own (see `crate::random`).
            wasi_common::sync::random_ctx(),
            clocks,
            wasi_common::sync::sched_ctx(),
            Table::new(),
        );
        for arg in &setup.args {
            ctx.push_arg(arg).map_err(adapter_error)?;
        }
        for (k, v) in &setup.env {
            ctx.push_env(k, v).map_err(adapter_error)?;
        }
        match &setup.stdin {
            Stdin::Empty => {}
            Stdin::Inherit => ctx.set_stdin(Box::new(wasi_common::sync::stdio::stdin())),
            Stdin::Bytes(bytes) => ctx.set_stdin(Box::new(ReadPipe::from(&bytes[..]))),
        }
        match (&setup.stdout, setup.stdout.sink()) {
            (_, Some(sink)) => ctx.set_stdout(Box::new(WritePipe::new(SinkWriter(sink)))),
            (Output::Inherit, None) => ctx.set_stdout(Box::new(wasi_common::sync::stdio::stdout())),
            _ => {}
        }
        match (&setup.stderr, setup.stderr.sink()) {
            (_, Some(sink)) => ctx.set_stderr(Box::new(WritePipe::new(SinkWriter(sink)))),
            (Output::Inherit, None) => ctx.set_stderr(Box::new(wasi_common::sync::stdio::stderr())),
            _ => {}
        }
        for p in &setup.preopens {
            let dir = cap_std::fs::Dir::open_ambient_dir(&p.host, cap_std::ambient_authority())
                .map_err(|e| open_error(&p.host, e))?;
            let dir = PermDir {
                dir: SyncDir::from_cap_std(dir),
                writable: p.perms == DirPerms::ReadWrite,
            };
            ctx.push_preopened_dir(Box::new(dir), &p.guest)
                .map_err(adapter_error)?;
        }
        Ok(ctx)
    }

    fn add_native<T, G>(linker: &mut WasmiLinker<T>, get: G) -> Result<(), WasiError>
    where
        T: Send + 'static,
        G: Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
    {
        let native = linker.as_native();
        wasmi_wasi::add_to_linker(native, move |d| get(d.user_mut())).map_err(adapter_error)?;
        // The corrections of wasi-common (module docs), replacing its own.
        native.allow_shadowing(true);
        let fixed = define_fixes(native, get);
        native.allow_shadowing(false);
        fixed.map_err(adapter_error)
    }
}

/// WASI errno values the corrections answer with.
const ERRNO_BADF: i32 = 8;
const ERRNO_NOTSOCK: i32 = 57;
const ERRNO_NOTSUP: i32 = 58;

fn define_fixes<T, G>(
    native: &mut wasmi::Linker<StoreData<T>>,
    get: G,
) -> Result<(), wasmi::errors::LinkerError>
where
    T: Send + 'static,
    G: Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
{
    let is_open = move |caller: &mut wasmi::Caller<'_, StoreData<T>>, fd: i32| {
        get(caller.data_mut().user_mut())
            .table()
            .contains_key(fd as u32)
    };
    native.func_wrap(
        crate::WASI_MODULE,
        "sock_shutdown",
        move |mut caller: wasmi::Caller<'_, StoreData<T>>, fd: i32, _how: i32| -> i32 {
            if is_open(&mut caller, fd) {
                ERRNO_NOTSOCK
            } else {
                ERRNO_BADF
            }
        },
    )?;
    native.func_wrap(
        crate::WASI_MODULE,
        "fd_fdstat_set_rights",
        move |mut caller: wasmi::Caller<'_, StoreData<T>>, fd: i32, _base: i64, _inh: i64| -> i32 {
            // wasmtime-wasi's standard streams are no file descriptors to
            // it; wasi-common's are files at 0, 1 and 2.
            if (0..=2).contains(&fd) || !is_open(&mut caller, fd) {
                ERRNO_BADF
            } else {
                ERRNO_NOTSUP
            }
        },
    )?;
    Ok(())
}

fn adapter_error(e: impl std::fmt::Display) -> WasiError {
    WasiError::Adapter {
        backend: "wasmi",
        message: e.to_string(),
    }
}

/// Captured or streamed output as a `std::io::Write` for wasi-common's
/// `WritePipe`.
struct SinkWriter(Sink);

impl io::Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map(|()| buf.len())
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut n = 0;
        for b in bufs {
            self.0.write(b)?;
            n += b.len();
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Wall(Arc<dyn WallClock>);

impl wasi_common::WasiSystemClock for Wall {
    fn resolution(&self) -> Duration {
        self.0.resolution()
    }
    fn now(&self, _precision: Duration) -> SystemTime {
        SystemTime::from_std(std::time::UNIX_EPOCH + self.0.now())
    }
}

struct Mono {
    clock: Arc<dyn MonotonicClock>,
    base: Instant,
}

impl wasi_common::WasiMonotonicClock for Mono {
    fn resolution(&self) -> Duration {
        self.clock.resolution()
    }
    fn now(&self, _precision: Duration) -> Instant {
        self.base + self.clock.now()
    }
}

/// A preopened directory (or one opened below it) with wasmtime-wasi's
/// permission model: a read-only directory refuses every change, and
/// directories opened inside it are read-only too.
struct PermDir {
    dir: SyncDir,
    writable: bool,
}

impl PermDir {
    /// wasmtime-wasi answers changes in a read-only preopen with `EPERM`.
    fn may_change(&self) -> Result<(), Error> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::perm().context("read-only preopened directory"))
        }
    }

    fn of(dir: &dyn WasiDir) -> Result<&PermDir, Error> {
        dir.as_any()
            .downcast_ref::<PermDir>()
            .ok_or_else(|| Error::badf().context("not a wasm-run directory"))
    }
}

#[async_trait::async_trait]
impl WasiDir for PermDir {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn open_file(
        &self,
        symlink_follow: bool,
        path: &str,
        oflags: OFlags,
        read: bool,
        write: bool,
        fdflags: FdFlags,
    ) -> Result<OpenResult, Error> {
        let changes = write
            || oflags.intersects(OFlags::CREATE | OFlags::TRUNCATE)
            || fdflags.contains(FdFlags::APPEND);
        if changes {
            self.may_change()?;
        }
        // The standard library refuses truncate with append: open for
        // appending, then truncate (module docs).
        let truncate_after = oflags.contains(OFlags::TRUNCATE) && fdflags.contains(FdFlags::APPEND);
        let oflags = if truncate_after {
            oflags.difference(OFlags::TRUNCATE)
        } else {
            oflags
        };
        Ok(
            match self
                .dir
                .open_file_(symlink_follow, path, oflags, read, write, fdflags)?
            {
                SyncOpenResult::File(f) => {
                    if truncate_after {
                        f.set_filestat_size(0).await?;
                    }
                    OpenResult::File(Box::new(f))
                }
                SyncOpenResult::Dir(dir) => OpenResult::Dir(Box::new(PermDir {
                    dir,
                    writable: self.writable,
                })),
            },
        )
    }

    async fn create_dir(&self, path: &str) -> Result<(), Error> {
        self.may_change()?;
        self.dir.create_dir(path).await
    }

    async fn readdir(
        &self,
        cursor: ReaddirCursor,
    ) -> Result<Box<dyn Iterator<Item = Result<ReaddirEntity, Error>> + Send>, Error> {
        self.dir.readdir(cursor).await
    }

    async fn symlink(&self, old_path: &str, new_path: &str) -> Result<(), Error> {
        self.may_change()?;
        self.dir.symlink(old_path, new_path).await
    }

    async fn remove_dir(&self, path: &str) -> Result<(), Error> {
        self.may_change()?;
        self.dir.remove_dir(path).await
    }

    async fn unlink_file(&self, path: &str) -> Result<(), Error> {
        self.may_change()?;
        self.dir.unlink_file(path).await
    }

    async fn read_link(&self, path: &str) -> Result<PathBuf, Error> {
        self.dir.read_link(path).await
    }

    async fn get_filestat(&self) -> Result<Filestat, Error> {
        self.dir.get_filestat().await
    }

    async fn get_path_filestat(&self, path: &str, follow: bool) -> Result<Filestat, Error> {
        self.dir.get_path_filestat(path, follow).await
    }

    async fn rename(&self, path: &str, dest_dir: &dyn WasiDir, dest: &str) -> Result<(), Error> {
        self.may_change()?;
        let dest_dir = PermDir::of(dest_dir)?;
        dest_dir.may_change()?;
        self.dir.rename_(path, &dest_dir.dir, dest)
    }

    async fn hard_link(&self, path: &str, dest_dir: &dyn WasiDir, dest: &str) -> Result<(), Error> {
        let dest_dir = PermDir::of(dest_dir)?;
        dest_dir.may_change()?;
        self.dir.hard_link_(path, &dest_dir.dir, dest)
    }

    async fn set_times(
        &self,
        path: &str,
        atime: Option<SystemTimeSpec>,
        mtime: Option<SystemTimeSpec>,
        follow: bool,
    ) -> Result<(), Error> {
        self.may_change()?;
        self.dir.set_times(path, atime, mtime, follow).await
    }
}
