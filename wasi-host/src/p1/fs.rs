//! Preview 1's descriptor and path functions over the host core's
//! filesystem ([`crate::fs`]): reads and writes at the descriptor's
//! position, stat, times, directory listings, `path_open` and the path
//! operations, with the errno values wasmtime-wasi answers.

use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cap_fs_ext::SystemTimeSpec;
use wasm_run_api::{Linker, Result};

use super::{Cx, Fail, Fd, OpenFile, P1, Res, errno, wasi_fn};
use crate::core::Std;
use crate::ctx::{HasWasi, WasiEngine};
use crate::fs::{self as core_fs, Desc, Kind, MAX_IO, OpenRequest, Stat};

/// Rights (bits of preview 1's `rights`).
mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const ALL: u64 = (1 << 30) - 1;

    /// What a preopened directory reports (the set userlands expect).
    pub const PREOPEN: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES;

    /// What a preopened directory lets files opened through it have.
    pub const PREOPEN_INHERITING: u64 = PREOPEN
        | FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
}

const FILETYPE_UNKNOWN: u8 = 0;
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const FILETYPE_DIRECTORY: u8 = 3;

const FDFLAGS_APPEND: u16 = 1;
const FDFLAGS_DSYNC: u16 = 2;
const FDFLAGS_NONBLOCK: u16 = 4;
const FDFLAGS_RSYNC: u16 = 8;
const FDFLAGS_SYNC: u16 = 16;

const OFLAGS_CREAT: u16 = 1;
const OFLAGS_DIRECTORY: u16 = 2;
const OFLAGS_EXCL: u16 = 4;
const OFLAGS_TRUNC: u16 = 8;

const LOOKUP_SYMLINK_FOLLOW: i32 = 1;

const FSTFLAGS_ATIM: u16 = 1;
const FSTFLAGS_ATIM_NOW: u16 = 2;
const FSTFLAGS_MTIM: u16 = 4;
const FSTFLAGS_MTIM_NOW: u16 = 8;

/// preview 1's `filetype` of a host core file type.
fn filetype(ty: &str) -> u8 {
    match ty {
        "block-device" => 1,
        "character-device" => FILETYPE_CHARACTER_DEVICE,
        "directory" => FILETYPE_DIRECTORY,
        "regular-file" => 4,
        "socket" => 6,
        "symbolic-link" => 7,
        _ => FILETYPE_UNKNOWN,
    }
}

/// A standard stream's file type: a character device when it is a
/// terminal, unknown otherwise (as wasmtime-wasi).
fn std_filetype(p: &P1, s: Std) -> u8 {
    if p.core.is_terminal(s) {
        FILETYPE_CHARACTER_DEVICE
    } else {
        FILETYPE_UNKNOWN
    }
}

/// A `filestat` in guest layout (64 bytes); `dev` is 1 and `ino` the
/// file's identity hash, as wasmtime-wasi reports them.
fn filestat(st: &Stat) -> [u8; 64] {
    let mut out = [0u8; 64];
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    out[0..8].copy_from_slice(&1u64.to_le_bytes());
    out[8..16].copy_from_slice(&st.hash().0.to_le_bytes());
    out[16] = filetype(st.ty);
    out[24..32].copy_from_slice(&st.nlink.to_le_bytes());
    out[32..40].copy_from_slice(&st.size.to_le_bytes());
    out[40..48].copy_from_slice(&ns(st.atime).to_le_bytes());
    out[48..56].copy_from_slice(&ns(st.mtime).to_le_bytes());
    out[56..64].copy_from_slice(&ns(st.ctime).to_le_bytes());
    out
}

/// A timestamp argument: set to `ts`, to now, or unchanged (both at once
/// is `EINVAL`).
fn new_time(set: bool, ts: i64, now: bool) -> Res<Option<SystemTimeSpec>> {
    Ok(match (set, now) {
        (true, true) => return Err(errno::INVAL.into()),
        (true, false) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(
                SystemTime::UNIX_EPOCH + Duration::from_nanos(ts as u64),
            ),
        )),
        (false, true) => Some(SystemTimeSpec::SymbolicNow),
        (false, false) => None,
    })
}

fn times(
    atim: i64,
    mtim: i64,
    flags: i32,
) -> Res<(Option<SystemTimeSpec>, Option<SystemTimeSpec>)> {
    let f = flags as u16;
    Ok((
        new_time(f & FSTFLAGS_ATIM != 0, atim, f & FSTFLAGS_ATIM_NOW != 0)?,
        new_time(f & FSTFLAGS_MTIM != 0, mtim, f & FSTFLAGS_MTIM_NOW != 0)?,
    ))
}

/// The host file of an open file the guest may read (`EBADF` otherwise).
fn readable(f: &OpenFile) -> Res<Arc<std::fs::File>> {
    Ok(core_fs::readable(&f.desc)?.clone())
}

/// The host file of an open file the guest may write (`EBADF` otherwise).
/// Not [`core_fs::writable`]: preview 1 answers a file of a read-only
/// preopen opened for reading with `EBADF`, as wasmtime-wasi's preview 1
/// does, where preview 2 answers `not-permitted`.
fn writable(f: &OpenFile) -> Res<Arc<std::fs::File>> {
    match &f.desc.kind {
        Kind::File(file) if f.desc.write => Ok(file.clone()),
        _ => Err(errno::BADF.into()),
    }
}

/// Where a write goes.
enum At {
    /// The descriptor's position (which moves).
    Cursor,
    Offset(u64),
}

/// Reads into the first non-empty buffer of `iovs`; how many bytes.
fn read<E: WasiEngine, T: HasWasi<E>>(
    cx: &mut Cx<'_, '_, E, T>,
    fd: i32,
    iovs: i32,
    n: i32,
    at: At,
) -> Res<u32> {
    let (buf, len) = cx.first_iovec(iovs, n)?;
    let len = u64::from(len).min(MAX_IO);
    let st = cx.st()?;
    let bytes = match (st.get_mut(fd)?, at) {
        (Fd::File(f), at) => {
            let file = readable(f)?;
            let offset = match at {
                At::Cursor => f.pos,
                At::Offset(o) => o,
            };
            let mut data = vec![0; len as usize];
            let got = file.read_at(&mut data, offset)?;
            data.truncate(got);
            if let At::Cursor = at {
                f.pos = f.pos.checked_add(got as u64).ok_or(errno::OVERFLOW)?;
            }
            data
        }
        (Fd::Std(Std::In), At::Cursor) => st.core.read_stdin(len)?.unwrap_or_default(),
        (Fd::Std(Std::In), At::Offset(_)) => return Err(errno::SPIPE.into()),
        _ => return Err(errno::BADF.into()),
    };
    cx.write(buf, &bytes)?;
    Ok(bytes.len() as u32)
}

/// Writes the first non-empty buffer of `iovs`; how many bytes.
fn write<E: WasiEngine, T: HasWasi<E>>(
    cx: &mut Cx<'_, '_, E, T>,
    fd: i32,
    iovs: i32,
    n: i32,
    at: At,
) -> Res<u32> {
    let (buf, len) = cx.first_iovec(iovs, n)?;
    let len = u64::from(len).min(MAX_IO) as u32;
    let data = cx.bytes(buf, len)?.to_vec();
    let st = cx.st()?;
    match st.get_mut(fd)? {
        Fd::File(f) => {
            let file = writable(f)?;
            if f.append {
                let mut w = &*file;
                w.seek(SeekFrom::End(0))?;
                w.write_all(&data)?;
                if let At::Cursor = at {
                    f.pos = file.metadata()?.len();
                }
                return Ok(len);
            }
            let offset = match at {
                At::Cursor => f.pos,
                At::Offset(o) => o,
            };
            let wrote = file.write_at(&data, offset)?;
            if let At::Cursor = at {
                f.pos = f.pos.checked_add(wrote as u64).ok_or(errno::OVERFLOW)?;
            }
            Ok(wrote as u32)
        }
        Fd::Std(s @ (Std::Out | Std::Err)) => match at {
            At::Cursor => {
                let s = *s;
                st.core.write_std(s, &data)?;
                Ok(len)
            }
            At::Offset(_) => Err(errno::SPIPE.into()),
        },
        _ => Err(errno::BADF.into()),
    }
}

/// `fd_fdstat_get`'s answer (24 bytes): file type, flags, rights.
fn fdstat(p: &P1, fd: i32) -> Res<[u8; 24]> {
    let (ty, flags, base, inheriting) = match p.get(fd)? {
        Fd::Std(s @ Std::In) => (std_filetype(p, *s), 0, rights::FD_READ, rights::FD_READ),
        Fd::Std(s) => (std_filetype(p, *s), 0, rights::FD_WRITE, rights::FD_WRITE),
        Fd::Dir {
            preopen: Some(_), ..
        } => (
            FILETYPE_DIRECTORY,
            0,
            rights::PREOPEN,
            rights::PREOPEN_INHERITING,
        ),
        Fd::Dir { desc, .. } => {
            let base = rights::ALL
                & !(rights::FD_SEEK
                    | rights::FD_FILESTAT_SET_SIZE
                    | rights::PATH_FILESTAT_SET_SIZE
                    | rights::FD_WRITE);
            (FILETYPE_DIRECTORY, sync_flags(desc), base, base)
        }
        Fd::File(f) => {
            let ty = filetype(core_fs::stat(&f.desc)?.ty);
            let mut base = rights::ALL;
            if !f.desc.read {
                base &= !(rights::FD_READ | rights::FD_READDIR);
            }
            if !f.desc.write {
                base &= !rights::FD_WRITE;
            }
            let mut flags = sync_flags(&f.desc);
            if f.append {
                flags |= FDFLAGS_APPEND;
            }
            if f.nonblock {
                flags |= FDFLAGS_NONBLOCK;
            }
            (ty, flags, base, base)
        }
    };
    let mut out = [0u8; 24];
    out[0] = ty;
    out[2..4].copy_from_slice(&flags.to_le_bytes());
    out[8..16].copy_from_slice(&base.to_le_bytes());
    out[16..24].copy_from_slice(&inheriting.to_le_bytes());
    Ok(out)
}

/// The `*sync` descriptor flags of `d`, as preview 1's fdflags.
fn sync_flags(d: &Desc) -> u16 {
    d.sync.iter().fold(0, |acc, f| {
        acc | match f.as_str() {
            "data-integrity-sync" => FDFLAGS_DSYNC,
            "requested-write-sync" => FDFLAGS_RSYNC,
            "file-integrity-sync" => FDFLAGS_SYNC,
            _ => 0,
        }
    })
}

/// `fd_readdir`: the entries of `fd` from `cookie` on, `.` and `..` first,
/// as dirents (24 bytes and the name) packed into `len` bytes at `buf`
/// (the last one cut off when it does not fit); how many bytes were used.
fn readdir<E: WasiEngine, T: HasWasi<E>>(
    cx: &mut Cx<'_, '_, E, T>,
    fd: i32,
    buf: i32,
    len: i32,
    cookie: i64,
) -> Res<u32> {
    let desc = cx.st()?.dir(fd)?.clone();
    cx.bytes(buf, len as u32)?;
    let dir = core_fs::dir(&desc)?;
    let own = core_fs::stat(&desc)?.hash().0;
    let mut out = Vec::new();
    let head = [
        (".".to_string(), "directory"),
        ("..".to_string(), "directory"),
    ];
    let entries = core_fs::list(&desc)?;
    let cap = len as u32 as usize;
    for (i, (name, ty)) in head.into_iter().chain(entries).enumerate() {
        if (i as u64) < cookie as u64 {
            continue;
        }
        let ino = if i < 2 {
            own
        } else {
            core_fs::stat_at(dir, &name, false).map_or(0, |s| s.hash().0)
        };
        let mut dirent = [0u8; 24];
        dirent[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        dirent[8..16].copy_from_slice(&ino.to_le_bytes());
        dirent[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
        dirent[20] = filetype(ty);
        out.extend_from_slice(&dirent);
        out.extend_from_slice(name.as_bytes());
        if out.len() >= cap {
            out.truncate(cap);
            break;
        }
    }
    cx.write(buf, &out)?;
    Ok(out.len() as u32)
}

/// `path_open`: opens `path` beneath the directory `fd`; the new number.
#[allow(clippy::too_many_arguments)]
fn path_open<E: WasiEngine, T: HasWasi<E>>(
    cx: &mut Cx<'_, '_, E, T>,
    fd: i32,
    dirflags: i32,
    path: &str,
    oflags: i32,
    base: i64,
    fdflags: i32,
) -> Res<u32> {
    let st = cx.st()?;
    let parent = match st.get(fd)? {
        Fd::Dir { desc, .. } => desc.clone(),
        Fd::File(_) => return Err(errno::NOTDIR.into()),
        Fd::Std(_) => return Err(errno::BADF.into()),
    };
    let (oflags, fdflags, base) = (oflags as u16, fdflags as u16, base as u64);
    let request = OpenRequest {
        follow: dirflags & LOOKUP_SYMLINK_FOLLOW != 0,
        create: oflags & OFLAGS_CREAT != 0,
        directory: oflags & OFLAGS_DIRECTORY != 0,
        exclusive: oflags & OFLAGS_EXCL != 0,
        truncate: oflags & OFLAGS_TRUNC != 0,
        read: base & rights::FD_READ != 0,
        write: base & rights::FD_WRITE != 0,
        mutate: false,
    };
    let mut desc = core_fs::open_at(&parent, path, &request)?;
    let fd = match desc.kind {
        Kind::Dir(_) => Fd::Dir {
            desc,
            preopen: None,
        },
        Kind::File(_) => {
            for (bit, name) in [
                (FDFLAGS_SYNC, "file-integrity-sync"),
                (FDFLAGS_DSYNC, "data-integrity-sync"),
                (FDFLAGS_RSYNC, "requested-write-sync"),
            ] {
                if fdflags & bit != 0 {
                    desc.sync.push(name.to_string());
                }
            }
            Fd::File(OpenFile {
                desc,
                pos: 0,
                append: fdflags & FDFLAGS_APPEND != 0,
                nonblock: fdflags & FDFLAGS_NONBLOCK != 0,
            })
        }
    };
    st.push(fd)
}

/// Defines the descriptor and path functions.
pub(super) fn define<E: WasiEngine, T: HasWasi<E>>(linker: &mut Linker<E, T>) -> Result<()> {
    wasi_fn!(
        linker,
        "fd_read",
        |cx, fd: i32, iovs: i32, n: i32, out: i32| {
            cx.counted(out, |cx| read(cx, fd, iovs, n, At::Cursor))
        }
    );
    wasi_fn!(
        linker,
        "fd_pread",
        |cx, fd: i32, iovs: i32, n: i32, offset: i64, out: i32| {
            cx.counted(out, |cx| read(cx, fd, iovs, n, At::Offset(offset as u64)))
        }
    );
    wasi_fn!(
        linker,
        "fd_write",
        |cx, fd: i32, iovs: i32, n: i32, out: i32| {
            cx.counted(out, |cx| write(cx, fd, iovs, n, At::Cursor))
        }
    );
    wasi_fn!(
        linker,
        "fd_pwrite",
        |cx, fd: i32, iovs: i32, n: i32, offset: i64, out: i32| {
            cx.counted(out, |cx| write(cx, fd, iovs, n, At::Offset(offset as u64)))
        }
    );
    wasi_fn!(linker, "fd_close", |cx, fd: i32| {
        cx.st()?.close(fd).map(drop)
    });
    wasi_fn!(linker, "fd_renumber", |cx, from: i32, to: i32| {
        let st = cx.st()?;
        st.get(from)?;
        st.get(to)?;
        if from != to {
            let moved = st.close(from)?;
            st.fds.insert(to as u32, moved);
            st.free.remove(&(to as u32));
        }
        Ok(())
    });
    wasi_fn!(
        linker,
        "fd_seek",
        |cx, fd: i32, delta: i64, whence: i32, out: i32| {
            let st = cx.st()?;
            let f = match st.get_mut(fd)? {
                Fd::File(f) => f,
                Fd::Std(_) => return Err(errno::SPIPE.into()),
                Fd::Dir { .. } => return Err(errno::BADF.into()),
            };
            let pos = match whence {
                0 => u64::try_from(delta).map_err(|_| Fail::Errno(errno::INVAL))?,
                1 => f.pos.checked_add_signed(delta).ok_or(errno::INVAL)?,
                2 => core_fs::stat(&f.desc)?
                    .size
                    .checked_add_signed(delta)
                    .ok_or(errno::INVAL)?,
                _ => return Err(errno::INVAL.into()),
            };
            f.pos = pos;
            cx.write_u64(out, pos)
        }
    );
    wasi_fn!(linker, "fd_tell", |cx, fd: i32, out: i32| {
        let pos = match cx.st()?.get(fd)? {
            Fd::File(f) => f.pos,
            Fd::Std(_) => return Err(errno::SPIPE.into()),
            Fd::Dir { .. } => return Err(errno::BADF.into()),
        };
        cx.write_u64(out, pos)
    });
    wasi_fn!(linker, "fd_fdstat_get", |cx, fd: i32, out: i32| {
        let stat = fdstat(cx.st()?, fd)?;
        cx.write(out, &stat)
    });
    wasi_fn!(linker, "fd_fdstat_set_flags", |cx, fd: i32, flags: i32| {
        let f = cx.st()?.file(fd)?;
        let flags = flags as u16;
        if flags & (FDFLAGS_DSYNC | FDFLAGS_SYNC | FDFLAGS_RSYNC) != 0 {
            return Err(errno::INVAL.into());
        }
        f.append = flags & FDFLAGS_APPEND != 0;
        f.nonblock = flags & FDFLAGS_NONBLOCK != 0;
        Ok(())
    });
    // Rights are reported, not enforced: changing them is not supported
    // (as wasmtime-wasi).
    wasi_fn!(
        linker,
        "fd_fdstat_set_rights",
        |cx, fd: i32, _base: i64, _inheriting: i64| {
            cx.st()?.desc(fd)?;
            Err(errno::NOTSUP.into())
        }
    );
    wasi_fn!(linker, "fd_filestat_get", |cx, fd: i32, out: i32| {
        let st = cx.st()?;
        let stat = match st.get(fd)? {
            Fd::Std(s) => {
                let mut zero = [0u8; 64];
                zero[16] = std_filetype(st, *s);
                zero
            }
            _ => filestat(&core_fs::stat(st.desc(fd)?)?),
        };
        cx.write(out, &stat)
    });
    wasi_fn!(linker, "fd_filestat_set_size", |cx, fd: i32, size: i64| {
        let file = writable(cx.st()?.file(fd)?)?;
        file.set_len(size as u64)?;
        Ok(())
    });
    wasi_fn!(
        linker,
        "fd_filestat_set_times",
        |cx, fd: i32, atim: i64, mtim: i64, flags: i32| {
            let (atime, mtime) = times(atim, mtim, flags)?;
            Ok(core_fs::set_times(cx.st()?.desc(fd)?, atime, mtime)?)
        }
    );
    wasi_fn!(
        linker,
        "fd_advise",
        |cx, fd: i32, _offset: i64, _len: i64, advice: i32| {
            cx.st()?.file(fd)?;
            if !(0..=5).contains(&advice) {
                return Err(errno::INVAL.into());
            }
            Ok(())
        }
    );
    wasi_fn!(
        linker,
        "fd_allocate",
        |cx, fd: i32, _offset: i64, _len: i64| {
            cx.st()?.file(fd)?;
            Err(errno::NOTSUP.into())
        }
    );
    wasi_fn!(linker, "fd_datasync", |cx, fd: i32| {
        if let Kind::File(f) = &cx.st()?.file(fd)?.desc.kind {
            f.sync_data()?;
        }
        Ok(())
    });
    wasi_fn!(linker, "fd_sync", |cx, fd: i32| {
        if let Kind::File(f) = &cx.st()?.file(fd)?.desc.kind {
            f.sync_all()?;
        }
        Ok(())
    });
    wasi_fn!(linker, "fd_prestat_get", |cx, fd: i32, out: i32| {
        let len = match cx.st()?.get(fd)? {
            Fd::Dir {
                preopen: Some(name),
                ..
            } => name.len() as u32,
            _ => return Err(errno::BADF.into()),
        };
        let mut prestat = [0u8; 8];
        prestat[4..8].copy_from_slice(&len.to_le_bytes());
        cx.write(out, &prestat)
    });
    wasi_fn!(
        linker,
        "fd_prestat_dir_name",
        |cx, fd: i32, buf: i32, len: i32| {
            let name = match cx.st()?.get(fd)? {
                Fd::Dir {
                    preopen: Some(name),
                    ..
                } => name.clone(),
                _ => return Err(errno::NOTDIR.into()),
            };
            if name.len() > len as u32 as usize {
                return Err(errno::NAMETOOLONG.into());
            }
            cx.write(buf, name.as_bytes())
        }
    );
    wasi_fn!(
        linker,
        "fd_readdir",
        |cx, fd: i32, buf: i32, len: i32, cookie: i64, out: i32| {
            let used = readdir(&mut cx, fd, buf, len, cookie)?;
            cx.write_u32(out, used)
        }
    );
    wasi_fn!(
        linker,
        "path_open",
        |cx,
         fd: i32,
         dirflags: i32,
         path: i32,
         path_len: i32,
         oflags: i32,
         base: i64,
         _inheriting: i64,
         fdflags: i32,
         out: i32| {
            let path = cx.string(path, path_len)?;
            cx.counted(out, |cx| {
                path_open(cx, fd, dirflags, &path, oflags, base, fdflags)
            })
        }
    );
    // The path operations that change one entry of a directory.
    type DirOp = fn(&cap_std::fs::Dir, &str) -> std::io::Result<()>;
    let ops: [(&str, DirOp); 3] = [
        ("path_create_directory", |d, p| d.create_dir(p)),
        ("path_remove_directory", |d, p| d.remove_dir(p)),
        ("path_unlink_file", |d, p| d.remove_file(p)),
    ];
    for (name, op) in ops {
        wasi_fn!(linker, name, |cx, fd: i32, path: i32, len: i32| {
            let path = cx.string(path, len)?;
            let d = cx.st()?.dir(fd)?;
            Ok(core_fs::io(op(core_fs::mutable(d)?, &path))?)
        });
    }
    wasi_fn!(
        linker,
        "path_filestat_get",
        |cx, fd: i32, flags: i32, path: i32, len: i32, out: i32| {
            let path = cx.string(path, len)?;
            let d = cx.st()?.dir(fd)?;
            let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
            let stat = core_fs::stat_at(core_fs::dir(d)?, &path, follow)?;
            cx.write(out, &filestat(&stat))
        }
    );
    wasi_fn!(
        linker,
        "path_filestat_set_times",
        |cx, fd: i32, flags: i32, path: i32, len: i32, atim: i64, mtim: i64, fst: i32| {
            let path = cx.string(path, len)?;
            let (atime, mtime) = times(atim, mtim, fst)?;
            let d = cx.st()?.dir(fd)?;
            let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
            Ok(core_fs::set_times_at(d, follow, &path, atime, mtime)?)
        }
    );
    wasi_fn!(
        linker,
        "path_link",
        |cx,
         old_fd: i32,
         flags: i32,
         old: i32,
         old_len: i32,
         new_fd: i32,
         new: i32,
         new_len: i32| {
            let (old, new) = (cx.string(old, old_len)?, cx.string(new, new_len)?);
            let st = cx.st()?;
            let (from, to) = (st.dir(old_fd)?, st.dir(new_fd)?);
            let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
            Ok(core_fs::link_at(from, follow, &old, to, &new)?)
        }
    );
    wasi_fn!(
        linker,
        "path_rename",
        |cx, old_fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32| {
            let (old, new) = (cx.string(old, old_len)?, cx.string(new, new_len)?);
            let st = cx.st()?;
            let (from, to) = (st.dir(old_fd)?, st.dir(new_fd)?);
            Ok(core_fs::rename_at(from, &old, to, &new)?)
        }
    );
    wasi_fn!(
        linker,
        "path_symlink",
        |cx, old: i32, old_len: i32, fd: i32, new: i32, new_len: i32| {
            let (old, new) = (cx.string(old, old_len)?, cx.string(new, new_len)?);
            let d = cx.st()?.dir(fd)?;
            Ok(core_fs::symlink_at(d, &old, &new)?)
        }
    );
    wasi_fn!(
        linker,
        "path_readlink",
        |cx, fd: i32, path: i32, len: i32, buf: i32, buf_len: i32, out: i32| {
            let path = cx.string(path, len)?;
            let d = cx.st()?.dir(fd)?;
            let mut target = core_fs::readlink_at(d, &path)?.into_bytes();
            target.truncate(buf_len as u32 as usize);
            cx.write(buf, &target)?;
            cx.write_u32(out, target.len() as u32)
        }
    );
    Ok(())
}
