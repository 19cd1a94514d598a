//! WASI preview 1 (`wasi_snapshot_preview1`) written once over wasm-run's
//! core API: the same functions on every backend, over the same host core
//! as preview 2 ([`crate::core`], [`crate::fs`]) — one sandbox, one
//! filesystem model, one [`WasiConfig`](crate::WasiConfig).
//!
//! The guest's file descriptors are a table of this module: 0, 1 and 2 are
//! the standard streams, the preopened directories follow from 3, and
//! `path_open` adds files and directories (a closed number is reused, the
//! highest first, as wasmtime-wasi does). Where preview 1 leaves an answer
//! open, wasmtime-wasi's is taken (the errno of each refusal, the rights
//! `fd_fdstat_get` reports, `.` and `..` in `fd_readdir`), so that a guest
//! sees the same results on every backend and beside wasmtime's own host.
//!
//! Guest memory is copied in and out (one copy per call): the engine API
//! lends a memory or the host state, not both at once.

mod fs;

use std::collections::{BTreeMap, BTreeSet};

use wasm_run_api::{Caller, Engine, Error, Linker, Memory, Result};

use crate::core::{Core, Std};
use crate::ctx::{HasWasi, WasiEngine};
use crate::error::WasiError;
use crate::fs::Desc;
use crate::imports::WASI_MODULE;

/// The most descriptors one context keeps open at once.
const MAX_FDS: usize = 1 << 16;

/// preview 1's errno values (the ones this host answers).
pub(crate) mod errno {
    pub const ACCES: u16 = 2;
    pub const AGAIN: u16 = 6;
    pub const ALREADY: u16 = 7;
    pub const BADF: u16 = 8;
    pub const BUSY: u16 = 10;
    pub const DEADLK: u16 = 16;
    pub const DQUOT: u16 = 19;
    pub const EXIST: u16 = 20;
    pub const FAULT: u16 = 21;
    pub const FBIG: u16 = 22;
    pub const ILSEQ: u16 = 25;
    pub const INPROGRESS: u16 = 26;
    pub const INTR: u16 = 27;
    pub const INVAL: u16 = 28;
    pub const IO: u16 = 29;
    pub const ISDIR: u16 = 31;
    pub const LOOP: u16 = 32;
    pub const MLINK: u16 = 34;
    pub const MSGSIZE: u16 = 35;
    pub const NAMETOOLONG: u16 = 37;
    pub const NFILE: u16 = 41;
    pub const NODEV: u16 = 43;
    pub const NOENT: u16 = 44;
    pub const NOLCK: u16 = 46;
    pub const NOMEM: u16 = 48;
    pub const NOSPC: u16 = 51;
    pub const NOTDIR: u16 = 54;
    pub const NOTEMPTY: u16 = 55;
    pub const NOTRECOVERABLE: u16 = 56;
    pub const NOTSOCK: u16 = 57;
    pub const NOTSUP: u16 = 58;
    pub const NOTTY: u16 = 59;
    pub const NXIO: u16 = 60;
    pub const OVERFLOW: u16 = 61;
    pub const PERM: u16 = 63;
    pub const PIPE: u16 = 64;
    pub const ROFS: u16 = 69;
    pub const SPIPE: u16 = 70;
    pub const TXTBSY: u16 = 74;
    pub const XDEV: u16 = 75;
}

/// The errno of one of the host core's error codes (preview 2's names).
pub(crate) fn errno_of(code: &str) -> u16 {
    use errno::*;
    match code {
        "access" => ACCES,
        "would-block" => AGAIN,
        "already" => ALREADY,
        "bad-descriptor" => BADF,
        "busy" => BUSY,
        "deadlock" => DEADLK,
        "quota" => DQUOT,
        "exist" => EXIST,
        "file-too-large" => FBIG,
        "illegal-byte-sequence" => ILSEQ,
        "in-progress" => INPROGRESS,
        "interrupted" => INTR,
        "invalid" => INVAL,
        "is-directory" => ISDIR,
        "loop" => LOOP,
        "too-many-links" => MLINK,
        "message-size" => MSGSIZE,
        "name-too-long" => NAMETOOLONG,
        "no-device" => NODEV,
        "no-entry" => NOENT,
        "no-lock" => NOLCK,
        "insufficient-memory" => NOMEM,
        "insufficient-space" => NOSPC,
        "unsupported" => NOTSUP,
        "not-directory" => NOTDIR,
        "not-empty" => NOTEMPTY,
        "not-recoverable" => NOTRECOVERABLE,
        "no-tty" => NOTTY,
        "no-such-device" => NXIO,
        "overflow" => OVERFLOW,
        "not-permitted" => PERM,
        "pipe" => PIPE,
        "read-only" => ROFS,
        "invalid-seek" => SPIPE,
        "text-file-busy" => TXTBSY,
        "cross-device" => XDEV,
        _ => IO,
    }
}

/// Why a call did not succeed: an errno for the guest, or an error that
/// ends the call (a trap).
pub(crate) enum Fail {
    Errno(u16),
    Trap(Error),
}

impl From<u16> for Fail {
    fn from(e: u16) -> Self {
        Fail::Errno(e)
    }
}

impl From<&'static str> for Fail {
    fn from(code: &'static str) -> Self {
        Fail::Errno(errno_of(code))
    }
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Self {
        Fail::Errno(errno_of(crate::fs::error_code(&e)))
    }
}

pub(crate) type Res<T> = std::result::Result<T, Fail>;

/// The result of a call as the errno the guest gets.
fn finish(r: Res<()>) -> Result<i32> {
    match r {
        Ok(()) => Ok(0),
        Err(Fail::Errno(e)) => Ok(i32::from(e)),
        Err(Fail::Trap(e)) => Err(e),
    }
}

/// An open file and where the guest is in it.
#[derive(Debug)]
pub(crate) struct OpenFile {
    desc: Desc,
    pos: u64,
    append: bool,
    nonblock: bool,
}

/// What a file descriptor is.
#[derive(Debug)]
pub(crate) enum Fd {
    Std(Std),
    File(OpenFile),
    Dir { desc: Desc, preopen: Option<String> },
}

/// The preview 1 state of a store: the host core and the descriptors.
pub struct P1 {
    pub(crate) core: Core,
    fds: BTreeMap<u32, Fd>,
    free: BTreeSet<u32>,
}

impl std::fmt::Debug for P1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P1")
            .field("args", &self.core.args)
            .field("fds", &self.fds.len())
            .finish_non_exhaustive()
    }
}

impl P1 {
    /// The state over `core`: the standard streams, then its preopens.
    pub(crate) fn new(core: Core) -> Self {
        let mut fds = BTreeMap::new();
        fds.insert(0, Fd::Std(Std::In));
        fds.insert(1, Fd::Std(Std::Out));
        fds.insert(2, Fd::Std(Std::Err));
        for (n, (desc, guest)) in (3..).zip(&core.preopens) {
            fds.insert(
                n,
                Fd::Dir {
                    desc: desc.clone(),
                    preopen: Some(guest.clone()),
                },
            );
        }
        P1 {
            core,
            fds,
            free: BTreeSet::new(),
        }
    }

    fn get(&self, fd: i32) -> Res<&Fd> {
        self.fds.get(&(fd as u32)).ok_or(Fail::Errno(errno::BADF))
    }

    fn get_mut(&mut self, fd: i32) -> Res<&mut Fd> {
        self.fds
            .get_mut(&(fd as u32))
            .ok_or(Fail::Errno(errno::BADF))
    }

    /// The open file `fd` (`EBADF` for anything else).
    fn file(&mut self, fd: i32) -> Res<&mut OpenFile> {
        match self.get_mut(fd)? {
            Fd::File(f) => Ok(f),
            _ => Err(errno::BADF.into()),
        }
    }

    /// The file or directory `fd` (`EBADF` for a standard stream).
    fn desc(&self, fd: i32) -> Res<&Desc> {
        match self.get(fd)? {
            Fd::File(f) => Ok(&f.desc),
            Fd::Dir { desc, .. } => Ok(desc),
            Fd::Std(_) => Err(errno::BADF.into()),
        }
    }

    /// The directory `fd` (`EBADF` for anything else).
    fn dir(&self, fd: i32) -> Res<&Desc> {
        match self.get(fd)? {
            Fd::Dir { desc, .. } => Ok(desc),
            _ => Err(errno::BADF.into()),
        }
    }

    /// Keeps `fd` open under a new number.
    fn push(&mut self, fd: Fd) -> Res<u32> {
        if self.fds.len() >= MAX_FDS {
            return Err(errno::NFILE.into());
        }
        let n = match self.free.pop_last() {
            Some(n) => n,
            None => match self.fds.last_key_value() {
                Some((last, _)) => last.checked_add(1).ok_or(Fail::Errno(errno::NFILE))?,
                None => 0,
            },
        };
        self.fds.insert(n, fd);
        Ok(n)
    }

    fn close(&mut self, fd: i32) -> Res<Fd> {
        let fd = fd as u32;
        let old = self.fds.remove(&fd).ok_or(Fail::Errno(errno::BADF))?;
        self.free.insert(fd);
        Ok(old)
    }
}

/// A call's view of the guest: its memory and the store's WASI state.
pub(crate) struct Cx<'a, 'c, E: Engine, T: 'static> {
    caller: &'a mut Caller<'c, E, T>,
    memory: Memory<E>,
}

impl<'a, 'c, E: WasiEngine, T: HasWasi<E>> Cx<'a, 'c, E, T> {
    fn new(caller: &'a mut Caller<'c, E, T>) -> Res<Self> {
        let memory = caller
            .get_memory("memory")
            .ok_or_else(|| Fail::Trap(Error::host(WasiError::MissingMemory)))?;
        Ok(Cx { caller, memory })
    }

    /// The preview 1 state (a trap if the store's context is the engine's
    /// own WASI, which these functions do not serve).
    pub(crate) fn st(&mut self) -> Res<&mut P1> {
        self.caller
            .data_mut()
            .wasi()
            .portable_mut()
            .ok_or_else(|| Fail::Trap(Error::host(WasiError::WrongHost)))
    }

    fn mem(&self) -> &[u8] {
        self.memory.data(&*self.caller)
    }

    /// `len` bytes of guest memory at `ptr` (`EFAULT` out of bounds).
    pub(crate) fn bytes(&self, ptr: i32, len: u32) -> Res<&[u8]> {
        let start = ptr as u32 as usize;
        start
            .checked_add(len as usize)
            .and_then(|end| self.mem().get(start..end))
            .ok_or(Fail::Errno(errno::FAULT))
    }

    /// A UTF-8 string of the guest (`EILSEQ` if it is not one).
    pub(crate) fn string(&self, ptr: i32, len: i32) -> Res<String> {
        let b = self.bytes(ptr, len as u32)?;
        String::from_utf8(b.to_vec()).map_err(|_| Fail::Errno(errno::ILSEQ))
    }

    /// The `(buf, len)` pairs of an iovec array.
    pub(crate) fn iovecs(&self, ptr: i32, n: i32) -> Res<Vec<(i32, u32)>> {
        let raw = self.bytes(ptr, (n as u32).checked_mul(8).ok_or(errno::OVERFLOW)?)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let w = |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
                (w(0) as i32, w(4))
            })
            .collect())
    }

    /// The first non-empty buffer of an iovec array (reads and writes move
    /// one buffer per call, as wasmtime-wasi's do; short counts are
    /// allowed).
    pub(crate) fn first_iovec(&self, ptr: i32, n: i32) -> Res<(i32, u32)> {
        let iovs = self.iovecs(ptr, n)?;
        let first = iovs.into_iter().find(|(_, len)| *len > 0).unwrap_or((0, 0));
        self.bytes(first.0, first.1)?;
        Ok(first)
    }

    pub(crate) fn write(&mut self, ptr: i32, bytes: &[u8]) -> Res<()> {
        let start = ptr as u32 as usize;
        let mem = self.memory.data_mut(&mut *self.caller);
        start
            .checked_add(bytes.len())
            .and_then(|end| mem.get_mut(start..end))
            .ok_or(Fail::Errno(errno::FAULT))?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Runs `op` and gives the guest its count at `out`; a result pointer
    /// outside memory is `EFAULT` before `op` does anything (no write
    /// happens, no input is consumed, no file is opened).
    pub(crate) fn counted(&mut self, out: i32, op: impl FnOnce(&mut Self) -> Res<u32>) -> Res<()> {
        self.bytes(out, 4)?;
        let n = op(self)?;
        self.write_u32(out, n)
    }

    pub(crate) fn write_u32(&mut self, ptr: i32, v: u32) -> Res<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub(crate) fn write_u64(&mut self, ptr: i32, v: u64) -> Res<()> {
        self.write(ptr, &v.to_le_bytes())
    }
}

/// Defines a preview 1 function: `|cx, args| body`, where `body` is a
/// `Res<()>` and `cx` the call's [`Cx`].
macro_rules! wasi_fn {
    ($linker:ident, $name:expr, |$cx:ident $(, $arg:ident : $ty:ty)*| $body:block) => {
        $linker.func_wrap(
            crate::imports::WASI_MODULE,
            $name,
            move |mut caller: wasm_run_api::Caller<'_, E, T> $(, $arg: $ty)*| -> wasm_run_api::Result<i32> {
                crate::p1::finish((|| -> crate::p1::Res<()> {
                    #[allow(unused_mut)]
                    let mut $cx = crate::p1::Cx::new(&mut caller)?;
                    $body
                })())
            },
        )?;
    };
}
pub(crate) use wasi_fn;

/// Writes `items` (each followed by a NUL) as preview 1 lists them: a
/// pointer per item at `ptrs`, the bytes from `buf` on.
fn write_strings<E: WasiEngine, T: HasWasi<E>>(
    cx: &mut Cx<'_, '_, E, T>,
    items: &[Vec<u8>],
    ptrs: i32,
    buf: i32,
) -> Res<()> {
    let mut at = buf as u32;
    for (i, item) in items.iter().enumerate() {
        cx.write_u32(ptrs.wrapping_add(4 * i as i32), at)?;
        cx.write(at as i32, item)?;
        cx.write(at.wrapping_add(item.len() as u32) as i32, &[0])?;
        at = at.wrapping_add(item.len() as u32 + 1);
    }
    Ok(())
}

fn sizes(items: &[Vec<u8>]) -> (u32, u32) {
    let bytes: usize = items.iter().map(|s| s.len() + 1).sum();
    (items.len() as u32, bytes as u32)
}

fn args_of(core: &Core) -> Vec<Vec<u8>> {
    core.args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn env_of(core: &Core) -> Vec<Vec<u8>> {
    core.env
        .iter()
        .map(|(k, v)| format!("{k}={v}").into_bytes())
        .collect()
}

/// Nanoseconds of a duration, saturating.
fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_PROCESS_CPUTIME: i32 = 2;
const CLOCK_THREAD_CPUTIME: i32 = 3;

/// Now on clock `id`, or its resolution.
fn clock(core: &Core, id: i32, resolution: bool) -> Res<u64> {
    Ok(match (id, resolution) {
        (CLOCK_REALTIME, false) => nanos(core.wall.now()),
        (CLOCK_REALTIME, true) => nanos(core.wall.resolution()).max(1),
        (CLOCK_MONOTONIC, false) => nanos(core.monotonic.now()),
        (CLOCK_MONOTONIC, true) => nanos(core.monotonic.resolution()).max(1),
        // No CPU-time clocks (as wasmtime-wasi).
        (CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME, _) => return Err(errno::BADF.into()),
        _ => return Err(errno::INVAL.into()),
    })
}

/// Defines every preview 1 function but `proc_exit` and `random_get`
/// (which [`crate::ctx`] defines for both hosts) in `linker`.
pub(crate) fn define<E: WasiEngine, T: HasWasi<E>>(linker: &mut Linker<E, T>) -> Result<()> {
    let _ = WASI_MODULE;
    wasi_fn!(linker, "args_sizes_get", |cx, argc: i32, size: i32| {
        let (n, bytes) = sizes(&args_of(&cx.st()?.core));
        cx.write_u32(argc, n)?;
        cx.write_u32(size, bytes)
    });
    wasi_fn!(linker, "args_get", |cx, ptrs: i32, buf: i32| {
        let items = args_of(&cx.st()?.core);
        write_strings(&mut cx, &items, ptrs, buf)
    });
    wasi_fn!(linker, "environ_sizes_get", |cx, count: i32, size: i32| {
        let (n, bytes) = sizes(&env_of(&cx.st()?.core));
        cx.write_u32(count, n)?;
        cx.write_u32(size, bytes)
    });
    wasi_fn!(linker, "environ_get", |cx, ptrs: i32, buf: i32| {
        let items = env_of(&cx.st()?.core);
        write_strings(&mut cx, &items, ptrs, buf)
    });
    wasi_fn!(linker, "clock_res_get", |cx, id: i32, out: i32| {
        let res = clock(&cx.st()?.core, id, true)?;
        cx.write_u64(out, res)
    });
    wasi_fn!(
        linker,
        "clock_time_get",
        |cx, id: i32, _precision: i64, out: i32| {
            let now = clock(&cx.st()?.core, id, false)?;
            cx.write_u64(out, now)
        }
    );
    wasi_fn!(
        linker,
        "poll_oneoff",
        |cx, subs: i32, events: i32, n: i32, out: i32| {
            let count = poll_oneoff(&mut cx, subs, events, n)?;
            cx.write_u32(out, count)
        }
    );
    wasi_fn!(linker, "proc_raise", |_cx, _signal: i32| {
        Err(errno::NOTSUP.into())
    });
    linker.func_wrap(
        WASI_MODULE,
        "sched_yield",
        |_: Caller<'_, E, T>| -> Result<i32> { Ok(0) },
    )?;
    // No descriptor is a socket: a known one is `ENOTSOCK` (as wasmtime-wasi).
    wasi_fn!(
        linker,
        "sock_accept",
        |cx, fd: i32, _flags: i32, _out: i32| {
            cx.st()?.get(fd)?;
            Err(errno::NOTSOCK.into())
        }
    );
    wasi_fn!(
        linker,
        "sock_recv",
        |cx, fd: i32, _iovs: i32, _n: i32, _flags: i32, _size: i32, _oflags: i32| {
            cx.st()?.get(fd)?;
            Err(errno::NOTSOCK.into())
        }
    );
    wasi_fn!(
        linker,
        "sock_send",
        |cx, fd: i32, _iovs: i32, _n: i32, _flags: i32, _size: i32| {
            cx.st()?.get(fd)?;
            Err(errno::NOTSOCK.into())
        }
    );
    wasi_fn!(linker, "sock_shutdown", |cx, fd: i32, _how: i32| {
        cx.st()?.get(fd)?;
        Err(errno::NOTSOCK.into())
    });
    fs::define(linker)
}

/// Size of a subscription and of an event in guest memory.
const SUBSCRIPTION: i32 = 48;
const EVENT: i32 = 32;
const EVENT_CLOCK: u8 = 0;
const EVENT_FD_READ: u8 = 1;
const EVENT_FD_WRITE: u8 = 2;
const SUBCLOCK_ABSTIME: u16 = 1;
const EVENT_HANGUP: u16 = 1;

/// `poll_oneoff`: waits for the earliest clock unless a descriptor is
/// ready (files and the standard streams always are), then writes an event
/// per ready subscription; answers how many.
fn poll_oneoff<E: WasiEngine, T: HasWasi<E>>(
    cx: &mut Cx<'_, '_, E, T>,
    subs: i32,
    events: i32,
    n: i32,
) -> Res<u32> {
    if n == 0 {
        // Sleeping forever is not for preview 1 (as wasmtime-wasi).
        return Err(errno::INVAL.into());
    }
    let n = n as u32;
    let raw = cx
        .bytes(
            subs,
            n.checked_mul(SUBSCRIPTION as u32).ok_or(errno::OVERFLOW)?,
        )?
        .to_vec();
    cx.bytes(events, n.checked_mul(EVENT as u32).ok_or(errno::OVERFLOW)?)?;
    // Per subscription: its userdata, and what it waits for.
    enum Wait {
        Clock(std::time::Duration),
        Read(u64),
        Write,
    }
    let mut waits = Vec::with_capacity(n as usize);
    {
        let st = cx.st()?;
        let now = st.core.monotonic.now();
        for sub in raw.chunks_exact(SUBSCRIPTION as usize) {
            let u64_at = |i: usize| u64::from_le_bytes(sub[i..i + 8].try_into().expect("8"));
            let userdata = u64_at(0);
            let fd = u32::from_le_bytes(sub[16..20].try_into().expect("4")) as i32;
            let wait = match sub[8] {
                EVENT_CLOCK => {
                    let id = u32::from_le_bytes(sub[16..20].try_into().expect("4")) as i32;
                    let timeout = u64_at(24);
                    let absolute = u16::from_le_bytes([sub[40], sub[41]]) & SUBCLOCK_ABSTIME != 0;
                    let at = match (id, absolute) {
                        (CLOCK_MONOTONIC, true) => std::time::Duration::from_nanos(timeout),
                        (CLOCK_MONOTONIC | CLOCK_REALTIME, false) => {
                            now.saturating_add(std::time::Duration::from_nanos(timeout))
                        }
                        (CLOCK_REALTIME, true) => {
                            let wall = nanos(st.core.wall.now());
                            now.saturating_add(std::time::Duration::from_nanos(
                                timeout.saturating_sub(wall),
                            ))
                        }
                        _ => return Err(errno::INVAL.into()),
                    };
                    Wait::Clock(at)
                }
                EVENT_FD_READ => match st.get(fd)? {
                    Fd::Std(Std::In) => Wait::Read(1),
                    Fd::File(f) => {
                        let size = crate::fs::stat(&f.desc)?.size;
                        Wait::Read(size.saturating_sub(f.pos))
                    }
                    _ => return Err(errno::BADF.into()),
                },
                EVENT_FD_WRITE => match st.get(fd)? {
                    Fd::Std(Std::Out | Std::Err) | Fd::File(_) => Wait::Write,
                    _ => return Err(errno::BADF.into()),
                },
                _ => return Err(errno::INVAL.into()),
            };
            waits.push((userdata, wait));
        }
    }
    let fd_ready = waits.iter().any(|(_, w)| !matches!(w, Wait::Clock(_)));
    if fd_ready {
        waits.retain(|(_, w)| !matches!(w, Wait::Clock(_)));
    } else {
        let earliest = waits
            .iter()
            .filter_map(|(_, w)| match w {
                Wait::Clock(at) => Some(*at),
                _ => None,
            })
            .min()
            .unwrap_or_default();
        let (clock, real_time) = {
            let core = &cx.st()?.core;
            (core.monotonic.clone(), core.real_time)
        };
        // The store's deadline and interrupts stop the guest mid-sleep.
        crate::core::wait_until(&clock, real_time, earliest, || {
            cx.caller.check_stop().map_err(Fail::Trap)
        })?;
        // An injected clock does not move while the host waits: the
        // earliest deadline is reached.
        let now = clock.now().max(earliest);
        waits.retain(|(_, w)| matches!(w, Wait::Clock(at) if *at <= now));
    }
    for (i, (userdata, wait)) in waits.iter().enumerate() {
        let mut event = [0u8; EVENT as usize];
        event[0..8].copy_from_slice(&userdata.to_le_bytes());
        let (ty, nbytes, flags) = match wait {
            Wait::Clock(_) => (EVENT_CLOCK, 0, 0),
            Wait::Read(left) => (EVENT_FD_READ, 1, if *left == 0 { EVENT_HANGUP } else { 0 }),
            Wait::Write => (EVENT_FD_WRITE, 1, 0),
        };
        event[10] = ty;
        event[16..24].copy_from_slice(&(nbytes as u64).to_le_bytes());
        event[24..26].copy_from_slice(&flags.to_le_bytes());
        cx.write(events.wrapping_add(EVENT * i as i32), &event)?;
    }
    Ok(waits.len() as u32)
}
