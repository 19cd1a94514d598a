//! `wasi:filesystem` over cap-std: every path a guest names is resolved
//! beneath the directory of the descriptor it names it from (no `..` out of
//! it, no absolute path, no symlink that leads out — cap-std refuses them
//! with the kernel's help), and what a preopen lets the guest do (read-only
//! or read-write) bounds every descriptor opened through it.

use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::fs::{Dir, MetadataExt as _, OpenOptions};
use wasm_run_api::{Engine, Error, Result};
use wasm_run_component::{Linker, Val};

use super::host::{Types, bytes_arg, bytes_val, datetime, err, handle, ok, rep, state, u64_arg};
use super::table::{Entry, Source, Target};
use super::{VERSION, WasiP2, WasiView};
use crate::config::{DirPerms, Preopen};
use crate::error::WasiError;

/// The most entries one `read-directory` lists (a bigger directory is an
/// `insufficient-memory` error rather than unbounded host memory).
const MAX_DIR_ENTRIES: usize = 1 << 20;

/// The most bytes one `read` or `write` of a descriptor moves.
const MAX_IO: u64 = 1 << 20;

/// What a descriptor is.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Dir(Arc<Dir>),
    File(Arc<std::fs::File>),
}

/// An open file or directory, with what it may be used for.
#[derive(Clone, Debug)]
pub(crate) struct Desc {
    kind: Kind,
    read: bool,
    write: bool,
    /// Directories: whether entries may be created, renamed or removed.
    mutate: bool,
    /// The `*-sync` descriptor flags it was opened with (reported back by
    /// `get-flags`; writes are synchronous anyway).
    sync: Vec<String>,
}

/// The rest of a `read-directory` listing.
#[derive(Debug)]
pub(crate) struct DirEntries {
    entries: Vec<(String, &'static str)>,
    next: usize,
}

/// A preopened directory as a descriptor.
pub(crate) fn preopen(p: &Preopen) -> std::result::Result<Desc, WasiError> {
    let dir = Dir::open_ambient_dir(&p.host, cap_std::ambient_authority())
        .map_err(|e| crate::config::open_error(&p.host, e))?;
    Ok(Desc {
        kind: Kind::Dir(Arc::new(dir)),
        read: true,
        write: false,
        mutate: p.perms == DirPerms::ReadWrite,
        sync: Vec::new(),
    })
}

/// The `error-code` of an I/O error.
pub(crate) fn error_code(e: &io::Error) -> &'static str {
    // The errno values of Linux, where cap-std's kinds are too coarse.
    match e.raw_os_error() {
        Some(1) => return "not-permitted",
        Some(13) => return "access",
        Some(9) => return "bad-descriptor",
        Some(29) => return "invalid-seek",
        Some(40) => return "loop",
        Some(16) => return "busy",
        Some(18) => return "cross-device",
        Some(22) => return "invalid",
        Some(26) => return "text-file-busy",
        Some(27) => return "file-too-large",
        Some(31) => return "too-many-links",
        Some(36) => return "name-too-long",
        Some(39) => return "not-empty",
        Some(95) => return "unsupported",
        Some(6) | Some(19) => return "no-device",
        Some(25) => return "no-tty",
        Some(32) => return "pipe",
        _ => {}
    }
    match e.kind() {
        ErrorKind::NotFound => "no-entry",
        // cap-std's refusal of a path that leads out of the directory.
        ErrorKind::PermissionDenied => "not-permitted",
        ErrorKind::AlreadyExists => "exist",
        ErrorKind::WouldBlock => "would-block",
        ErrorKind::InvalidInput | ErrorKind::InvalidFilename => "invalid",
        ErrorKind::DirectoryNotEmpty => "not-empty",
        ErrorKind::NotADirectory => "not-directory",
        ErrorKind::IsADirectory => "is-directory",
        ErrorKind::ReadOnlyFilesystem => "read-only",
        ErrorKind::StorageFull => "insufficient-space",
        ErrorKind::FileTooLarge => "file-too-large",
        ErrorKind::ResourceBusy => "busy",
        ErrorKind::CrossesDevices => "cross-device",
        ErrorKind::TooManyLinks => "too-many-links",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Interrupted => "interrupted",
        ErrorKind::OutOfMemory => "insufficient-memory",
        ErrorKind::BrokenPipe => "pipe",
        _ => "io",
    }
}

/// A filesystem operation's outcome: a value, or an `error-code`.
type Outcome = std::result::Result<Option<Val>, &'static str>;

fn io<T>(r: io::Result<T>) -> std::result::Result<T, &'static str> {
    r.map_err(|e| error_code(&e))
}

fn str_arg(args: &[Val], i: usize) -> Result<&str> {
    match args.get(i) {
        Some(Val::String(s)) => Ok(s),
        other => Err(Error::Type(format!("expected a string, got {other:?}"))),
    }
}

fn flags_arg(args: &[Val], i: usize) -> Result<&[String]> {
    match args.get(i) {
        Some(Val::Flags(names)) => Ok(names),
        other => Err(Error::Type(format!("expected flags, got {other:?}"))),
    }
}

fn has(flags: &[String], name: &str) -> bool {
    flags.iter().any(|f| f == name)
}

/// The directory of a descriptor that paths are resolved from.
fn dir(d: &Desc) -> std::result::Result<&Arc<Dir>, &'static str> {
    match &d.kind {
        Kind::Dir(dir) => Ok(dir),
        Kind::File(_) => Err("not-directory"),
    }
}

fn file(d: &Desc) -> std::result::Result<&Arc<std::fs::File>, &'static str> {
    match &d.kind {
        Kind::File(f) => Ok(f),
        Kind::Dir(_) => Err("is-directory"),
    }
}

/// A directory a guest may change.
fn mutable(d: &Desc) -> std::result::Result<&Arc<Dir>, &'static str> {
    let dir = dir(d)?;
    if d.mutate {
        Ok(dir)
    } else {
        Err("not-permitted")
    }
}

/// The `descriptor-type` of a file type: std's or cap-std's (the same
/// methods, from `std::os::unix::fs::FileTypeExt` or cap-std's own).
macro_rules! descriptor_type {
    ($ft:expr) => {{
        let ft = $ft;
        if ft.is_dir() {
            "directory"
        } else if ft.is_file() {
            "regular-file"
        } else if ft.is_symlink() {
            "symbolic-link"
        } else if ft.is_block_device() {
            "block-device"
        } else if ft.is_char_device() {
            "character-device"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_socket() {
            "socket"
        } else {
            "unknown"
        }
    }};
}

fn descriptor_type(ft: std::fs::FileType) -> &'static str {
    descriptor_type!(ft)
}

/// An optional `datetime` of seconds and nanoseconds since the epoch.
fn time(secs: i64, nsec: i64) -> Val {
    Val::Option(Some(Box::new(datetime(Duration::new(
        u64::try_from(secs).unwrap_or(0),
        u32::try_from(nsec).unwrap_or(0),
    )))))
}

/// The `descriptor-stat` of a file's metadata.
fn stat_val(ty: &'static str, m: &std::fs::Metadata) -> Val {
    Val::Record(vec![
        ("type".into(), Val::Enum(ty.into())),
        ("link-count".into(), Val::U64(m.nlink())),
        ("size".into(), Val::U64(m.size())),
        (
            "data-access-timestamp".into(),
            time(m.atime(), m.atime_nsec()),
        ),
        (
            "data-modification-timestamp".into(),
            time(m.mtime(), m.mtime_nsec()),
        ),
        (
            "status-change-timestamp".into(),
            time(m.ctime(), m.ctime_nsec()),
        ),
    ])
}

/// The metadata of a descriptor's file or directory.
fn metadata(d: &Desc) -> io::Result<std::fs::Metadata> {
    match &d.kind {
        Kind::File(f) => f.metadata(),
        Kind::Dir(dir) => dir.try_clone()?.into_std_file().metadata(),
    }
}

/// The metadata of `path` under `dir` (following a final symlink when
/// `follow`), as std's type: the entry is opened beneath `dir` (cap-std
/// keeps it there) and asked.
fn metadata_at(dir: &Dir, path: &str, follow: bool) -> io::Result<std::fs::Metadata> {
    let mut options = OpenOptions::new();
    options.read(true);
    if !follow {
        options.follow(FollowSymlinks::No);
        // A symlink itself cannot be opened for reading: stat its parent's
        // entry without following instead.
        let m = dir.symlink_metadata(path)?;
        if m.file_type().is_symlink() {
            return Err(io::Error::new(ErrorKind::Unsupported, "symlink"));
        }
    }
    match dir.open_with(path, &options) {
        Ok(f) => f.into_std().metadata(),
        Err(_) => dir.open_dir(path)?.into_std_file().metadata(),
    }
}

fn stat_at(dir: &Dir, path: &str, follow: bool) -> std::result::Result<Val, &'static str> {
    match metadata_at(dir, path, follow) {
        Ok(m) => Ok(stat_val(descriptor_type(m.file_type()), &m)),
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            // A symlink, not followed: what its entry says.
            let m = io(dir.symlink_metadata(path))?;
            Ok(Val::Record(vec![
                ("type".into(), Val::Enum("symbolic-link".into())),
                ("link-count".into(), Val::U64(m.nlink())),
                ("size".into(), Val::U64(m.len())),
                (
                    "data-access-timestamp".into(),
                    time(m.atime(), m.atime_nsec()),
                ),
                (
                    "data-modification-timestamp".into(),
                    time(m.mtime(), m.mtime_nsec()),
                ),
                (
                    "status-change-timestamp".into(),
                    time(m.ctime(), m.ctime_nsec()),
                ),
            ]))
        }
        Err(e) => Err(error_code(&e)),
    }
}

/// A `metadata-hash-value` for a file's device and inode: equal for the
/// same file, whatever descriptor or path reached it.
fn hash_val(m: &std::fs::Metadata) -> Val {
    let mix = |x: u64| {
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    Val::Record(vec![
        ("lower".into(), Val::U64(mix(m.ino()) ^ m.dev())),
        ("upper".into(), Val::U64(mix(m.dev() ^ mix(m.ino())))),
    ])
}

/// A `new-timestamp` argument: `None` for no change.
fn new_timestamp(v: Option<&Val>) -> Result<Option<SystemTimeSpec>> {
    match v {
        Some(Val::Variant(case, payload)) => Ok(match (case.as_str(), payload.as_deref()) {
            ("no-change", _) => None,
            ("now", _) => Some(SystemTimeSpec::SymbolicNow),
            ("timestamp", Some(Val::Record(fields))) => {
                let field = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v);
                let (Some(Val::U64(s)), Some(Val::U32(ns))) =
                    (field("seconds"), field("nanoseconds"))
                else {
                    return Err(Error::Type("a malformed datetime".into()));
                };
                if *ns >= 1_000_000_000 {
                    return Err(Error::Type(
                        "a datetime with nanoseconds past a second".into(),
                    ));
                }
                Some(SystemTimeSpec::Absolute(
                    cap_std::time::SystemTime::from_std(
                        SystemTime::UNIX_EPOCH + Duration::new(*s, *ns),
                    ),
                ))
            }
            _ => return Err(Error::Type(format!("a malformed new-timestamp: {case}"))),
        }),
        other => Err(Error::Type(format!(
            "expected a new-timestamp, got {other:?}"
        ))),
    }
}

fn flags_val(d: &Desc) -> Val {
    let mut names = Vec::new();
    if d.read {
        names.push("read".to_string());
    }
    if d.write {
        names.push("write".to_string());
    }
    for flag in [
        "file-integrity-sync",
        "data-integrity-sync",
        "requested-write-sync",
    ] {
        if d.sync.iter().any(|f| f == flag) {
            names.push(flag.to_string());
        }
    }
    if d.mutate {
        names.push("mutate-directory".to_string());
    }
    Val::Flags(names)
}

/// `open-at`: `path` beneath the directory `parent`.
fn open_at(parent: &Desc, args: &[Val]) -> Result<std::result::Result<Desc, &'static str>> {
    let follow = has(flags_arg(args, 1)?, "symlink-follow");
    let path = str_arg(args, 2)?;
    let open = flags_arg(args, 3)?;
    let want = flags_arg(args, 4)?;
    let (create, directory, exclusive, truncate) = (
        has(open, "create"),
        has(open, "directory"),
        has(open, "exclusive"),
        has(open, "truncate"),
    );
    // A directory opened through another may change what its parent may
    // (as wasmtime-wasi's: asking for `mutate-directory` is only checked).
    let (read, write, mutate) = (
        has(want, "read"),
        has(want, "write"),
        has(want, "mutate-directory"),
    );
    Ok((|| {
        let dir = dir(parent)?;
        // What the parent allows bounds what is opened through it.
        if (write || create || truncate || mutate) && !parent.mutate {
            return Err("not-permitted");
        }
        // Not following a final symlink: opening one is `loop`, as
        // `O_NOFOLLOW` has it (for a directory too).
        if !follow
            && dir
                .symlink_metadata(path)
                .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err("loop");
        }
        if directory {
            if write {
                return Err("is-directory");
            }
            if create || truncate {
                return Err("invalid");
            }
            let sub = io(dir.open_dir(path))?;
            return Ok(Desc {
                kind: Kind::Dir(Arc::new(sub)),
                read: true,
                write: false,
                mutate: parent.mutate,
                sync: Vec::new(),
            });
        }
        let mut options = OpenOptions::new();
        // The host file is writable whenever the guest creates or truncates
        // it (std's options refuse either without write access); what the
        // guest may do with it is the descriptor's own `write` flag.
        options
            .read(read || !write)
            .write(write || create || truncate)
            .truncate(truncate)
            .create(create && !exclusive)
            .create_new(create && exclusive);
        if !follow {
            options.follow(FollowSymlinks::No);
        }
        match dir.open_with(path, &options) {
            Ok(f) => {
                let f = f.into_std();
                if io(f.metadata())?.is_dir() {
                    // A directory opened without the `directory` flag.
                    if write {
                        return Err("is-directory");
                    }
                    let sub = io(dir.open_dir(path))?;
                    return Ok(Desc {
                        kind: Kind::Dir(Arc::new(sub)),
                        read: true,
                        write: false,
                        mutate: parent.mutate,
                        sync: Vec::new(),
                    });
                }
                Ok(Desc {
                    kind: Kind::File(Arc::new(f)),
                    read: read || !write,
                    write,
                    mutate: false,
                    sync: want
                        .iter()
                        .filter(|f| f.ends_with("-sync"))
                        .cloned()
                        .collect(),
                })
            }
            Err(e) if e.kind() == ErrorKind::IsADirectory && !write => {
                let sub = io(dir.open_dir(path))?;
                Ok(Desc {
                    kind: Kind::Dir(Arc::new(sub)),
                    read: true,
                    write: false,
                    mutate: parent.mutate,
                    sync: Vec::new(),
                })
            }
            Err(e) => Err(error_code(&e)),
        }
    })())
}

/// Defines `wasi:filesystem/types` (its resource types are defined by the
/// caller, in `types`) and `wasi:filesystem/preopens`.
pub(super) fn define<E: Engine, T: WasiView>(
    linker: &mut Linker<E, T>,
    types: &Types,
) -> Result<()> {
    let v = VERSION;
    let mut fs = linker.instance(&format!("wasi:filesystem/types@{v}"))?;
    // Each method: the descriptor `self`, the other arguments; a value or
    // an error code.
    type Method = fn(&mut WasiP2, &Types, &Desc, &[Val]) -> Result<Outcome>;
    let methods: &[(&str, Method)] = &[
        ("read-via-stream", |w, t, d, args| {
            let offset = u64_arg(args, 1)?;
            let f = match file(d) {
                Ok(f) if d.read => f.clone(),
                Ok(_) => return Ok(Err("bad-descriptor")),
                Err(c) => return Ok(Err(c)),
            };
            Ok(Ok(Some(handle(
                w,
                &t.input,
                Entry::Input(Source::File(f, offset)),
            )?)))
        }),
        ("write-via-stream", |w, t, d, args| {
            let offset = u64_arg(args, 1)?;
            let f = match file(d) {
                Ok(f) if d.write => f.clone(),
                Ok(_) => return Ok(Err("bad-descriptor")),
                Err(c) => return Ok(Err(c)),
            };
            Ok(Ok(Some(handle(
                w,
                &t.output,
                Entry::Output(Target::File(f, offset)),
            )?)))
        }),
        ("append-via-stream", |w, t, d, _| {
            let f = match file(d) {
                Ok(f) if d.write => f.clone(),
                Ok(_) => return Ok(Err("bad-descriptor")),
                Err(c) => return Ok(Err(c)),
            };
            Ok(Ok(Some(handle(
                w,
                &t.output,
                Entry::Output(Target::Append(f)),
            )?)))
        }),
        ("advise", |_, _, d, _| Ok(file(d).map(|_| None))),
        ("sync-data", |_, _, d, _| {
            Ok(match &d.kind {
                Kind::File(f) => io(f.sync_data()).map(|_| None),
                Kind::Dir(_) => Ok(None),
            })
        }),
        ("sync", |_, _, d, _| {
            Ok(match &d.kind {
                Kind::File(f) => io(f.sync_all()).map(|_| None),
                Kind::Dir(_) => Ok(None),
            })
        }),
        ("get-flags", |_, _, d, _| Ok(Ok(Some(flags_val(d))))),
        ("get-type", |_, _, d, _| {
            Ok(io(metadata(d)).map(|m| Some(Val::Enum(descriptor_type(m.file_type()).into()))))
        }),
        ("set-size", |_, _, d, args| {
            let size = u64_arg(args, 1)?;
            Ok(match file(d) {
                Ok(f) if d.write => io(f.set_len(size)).map(|_| None),
                Ok(_) => Err("bad-descriptor"),
                Err(c) => Err(c),
            })
        }),
        ("set-times", |_, _, d, args| {
            let (atime, mtime) = (new_timestamp(args.get(1))?, new_timestamp(args.get(2))?);
            Ok(match &d.kind {
                Kind::File(f) => {
                    let mut times = std::fs::FileTimes::new();
                    let now = SystemTime::now();
                    let abs = |s: SystemTimeSpec| match s {
                        SystemTimeSpec::SymbolicNow => now,
                        SystemTimeSpec::Absolute(t) => t.into_std(),
                    };
                    if let Some(a) = atime {
                        times = times.set_accessed(abs(a));
                    }
                    if let Some(m) = mtime {
                        times = times.set_modified(abs(m));
                    }
                    io(f.set_times(times)).map(|_| None)
                }
                Kind::Dir(dir) if d.mutate => io(dir.set_times(".", atime, mtime)).map(|_| None),
                Kind::Dir(_) => Err("not-permitted"),
            })
        }),
        ("read", |_, _, d, args| {
            let (len, offset) = (u64_arg(args, 1)?, u64_arg(args, 2)?);
            let f = match file(d) {
                Ok(f) if d.read => f,
                Ok(_) => return Ok(Err("bad-descriptor")),
                Err(c) => return Ok(Err(c)),
            };
            let mut buf = vec![0; len.min(MAX_IO) as usize];
            Ok(io(f.read_at(&mut buf, offset)).map(|n| {
                buf.truncate(n);
                let eof = n == 0 && len > 0;
                Some(Val::Tuple(vec![bytes_val(&buf), Val::Bool(eof)]))
            }))
        }),
        ("write", |_, _, d, args| {
            let (bytes, offset) = (bytes_arg(args, 1)?, u64_arg(args, 2)?);
            if bytes.len() as u64 > MAX_IO {
                return Ok(Err("file-too-large"));
            }
            Ok(match file(d) {
                Ok(f) if d.write => {
                    io(f.write_at(&bytes, offset)).map(|n| Some(Val::U64(n as u64)))
                }
                Ok(_) => Err("bad-descriptor"),
                Err(c) => Err(c),
            })
        }),
        ("read-directory", |w, t, d, _| {
            let dir = match dir(d) {
                Ok(dir) => dir,
                Err(c) => return Ok(Err(c)),
            };
            let mut entries = Vec::new();
            let listing = match dir.entries() {
                Ok(l) => l,
                Err(e) => return Ok(Err(error_code(&e))),
            };
            for entry in listing {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => return Ok(Err(error_code(&e))),
                };
                if entries.len() >= MAX_DIR_ENTRIES {
                    return Ok(Err("insufficient-memory"));
                }
                let ty = entry.file_type().map(entry_type).unwrap_or("unknown");
                entries.push((entry.file_name().to_string_lossy().into_owned(), ty));
            }
            let stream = DirEntries { entries, next: 0 };
            Ok(Ok(Some(handle(
                w,
                &t.dir_entries,
                Entry::DirEntries(stream),
            )?)))
        }),
        ("create-directory-at", |_, _, d, args| {
            let path = str_arg(args, 1)?;
            Ok(mutable(d)
                .and_then(|dir| io(dir.create_dir(path)))
                .map(|_| None))
        }),
        ("stat", |_, _, d, _| {
            Ok(io(metadata(d)).map(|m| Some(stat_val(descriptor_type(m.file_type()), &m))))
        }),
        ("stat-at", |_, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let path = str_arg(args, 2)?;
            Ok(dir(d).and_then(|dir| stat_at(dir, path, follow)).map(Some))
        }),
        ("set-times-at", |_, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let path = str_arg(args, 2)?;
            let (atime, mtime) = (new_timestamp(args.get(3))?, new_timestamp(args.get(4))?);
            Ok(mutable(d).and_then(|dir| {
                io(if follow {
                    dir.set_times(path, atime, mtime)
                } else {
                    dir.set_symlink_times(path, atime, mtime)
                })
                .map(|_| None)
            }))
        }),
        ("link-at", |w, _, d, args| {
            // A hard link to what a symlink points to is not portable
            // (as wasmtime-wasi refuses it).
            if has(flags_arg(args, 1)?, "symlink-follow") {
                return Ok(Err("invalid"));
            }
            let old = str_arg(args, 2)?;
            let to = w.table.descriptor(rep(args, 3)?)?.clone();
            let new = str_arg(args, 4)?;
            Ok(mutable(d).and_then(|from| {
                let to = mutable(&to)?;
                io(from.hard_link(old, to, new)).map(|_| None)
            }))
        }),
        ("open-at", |w, t, d, args| {
            Ok(match open_at(d, args)? {
                Ok(desc) => Ok(Some(handle(w, &t.descriptor, Entry::Descriptor(desc))?)),
                Err(c) => Err(c),
            })
        }),
        ("readlink-at", |_, _, d, args| {
            let path = str_arg(args, 1)?;
            Ok(dir(d).and_then(|dir| {
                io(dir.read_link_contents(path))
                    .map(|p| Some(Val::String(p.to_string_lossy().into_owned())))
            }))
        }),
        ("remove-directory-at", |_, _, d, args| {
            let path = str_arg(args, 1)?;
            Ok(mutable(d)
                .and_then(|dir| io(dir.remove_dir(path)))
                .map(|_| None))
        }),
        ("rename-at", |w, _, d, args| {
            let old = str_arg(args, 1)?;
            let to = w.table.descriptor(rep(args, 2)?)?.clone();
            let new = str_arg(args, 3)?;
            Ok(mutable(d).and_then(|from| {
                let to = mutable(&to)?;
                io(from.rename(old, to, new)).map(|_| None)
            }))
        }),
        ("symlink-at", |_, _, d, args| {
            let (old, new) = (str_arg(args, 1)?, str_arg(args, 2)?);
            // A link to an absolute path could only lead out of the sandbox.
            if old.starts_with('/') {
                return Ok(Err("not-permitted"));
            }
            Ok(mutable(d)
                .and_then(|dir| io(dir.symlink_contents(old, new)))
                .map(|_| None))
        }),
        ("unlink-file-at", |_, _, d, args| {
            let path = str_arg(args, 1)?;
            Ok(mutable(d)
                .and_then(|dir| io(dir.remove_file(path)))
                .map(|_| None))
        }),
        ("metadata-hash", |_, _, d, _| {
            Ok(io(metadata(d)).map(|m| Some(hash_val(&m))))
        }),
        ("metadata-hash-at", |_, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let path = str_arg(args, 2)?;
            Ok(dir(d).and_then(|dir| {
                let m = if follow {
                    io(metadata_at(dir, path, true))?
                } else {
                    match metadata_at(dir, path, false) {
                        Ok(m) => m,
                        Err(e) if e.kind() == ErrorKind::Unsupported => {
                            let m = io(dir.symlink_metadata(path))?;
                            return Ok(Some(Val::Record(vec![
                                ("lower".into(), Val::U64(m.ino())),
                                ("upper".into(), Val::U64(m.dev())),
                            ])));
                        }
                        Err(e) => return Err(error_code(&e)),
                    }
                };
                Ok(Some(hash_val(&m)))
            }))
        }),
    ];
    for &(name, method) in methods {
        let t = types.clone();
        fs.func_new(
            &format!("[method]descriptor.{name}"),
            move |cx, args, out| {
                let w = state(cx);
                let d = w.table.descriptor(rep(args, 0)?)?.clone();
                out[0] = match method(w, &t, &d, args)? {
                    Ok(v) => ok(v),
                    Err(code) => err(Val::Enum(code.into())),
                };
                Ok(())
            },
        )?;
    }
    fs.func_new("[method]descriptor.is-same-object", |cx, args, out| {
        let w = state(cx);
        let a = w.table.descriptor(rep(args, 0)?)?.clone();
        let b = w.table.descriptor(rep(args, 1)?)?.clone();
        out[0] = Val::Bool(match (metadata(&a), metadata(&b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        });
        Ok(())
    })?;
    fs.func_new(
        "[method]directory-entry-stream.read-directory-entry",
        |cx, args, out| {
            let stream = state(cx).table.dir_entries(rep(args, 0)?)?;
            let entry = stream.entries.get(stream.next).cloned();
            stream.next += usize::from(entry.is_some());
            out[0] = ok(Some(Val::Option(entry.map(|(name, ty)| {
                Box::new(Val::Record(vec![
                    ("type".into(), Val::Enum(ty.into())),
                    ("name".into(), Val::String(name)),
                ]))
            }))));
            Ok(())
        },
    )?;
    fs.func_new("filesystem-error-code", |cx, args, out| {
        let code = state(cx).table.error(rep(args, 0)?)?.1;
        out[0] = Val::Option(code.map(|c| Box::new(Val::Enum(c.into()))));
        Ok(())
    })?;
    let t = types.clone();
    linker
        .instance(&format!("wasi:filesystem/preopens@{v}"))?
        .func_new("get-directories", move |cx, _, out| {
            let w = state(cx);
            let preopens = w.preopens.clone();
            let mut list = Vec::with_capacity(preopens.len());
            for (desc, guest) in preopens {
                let d = handle(w, &t.descriptor, Entry::Descriptor(desc))?;
                list.push(Val::Tuple(vec![d, Val::String(guest)]));
            }
            out[0] = Val::List(list);
            Ok(())
        })?;
    Ok(())
}

/// The `descriptor-type` of a directory entry's cap-std file type.
fn entry_type(ft: cap_std::fs::FileType) -> &'static str {
    use cap_std::fs::FileTypeExt as _;
    descriptor_type!(ft)
}
