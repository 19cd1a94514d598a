//! The filesystem both WASI versions serve, over cap-std: every path a
//! guest names is resolved beneath the directory of the descriptor it names
//! it from (no `..` out of it, no absolute path, no symlink that leads out —
//! cap-std refuses them with the kernel's help), and what a preopen lets the
//! guest do (read-only or read-write) bounds every descriptor opened
//! through it. Errors are preview 2's `error-code` names; preview 1 maps
//! them to its errno values.

use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::sync::Arc;
use std::time::Duration;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::fs::{Dir, MetadataExt as _, OpenOptions};

use crate::config::{DirPerms, Preopen};
use crate::error::WasiError;

/// The most entries one `read-directory` lists (a bigger directory is an
/// `insufficient-memory` error rather than unbounded host memory).
pub(crate) const MAX_DIR_ENTRIES: usize = 1 << 20;

/// The most bytes one `read` or `write` of a descriptor moves.
pub(crate) const MAX_IO: u64 = 1 << 20;

/// What a descriptor is.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Dir(Arc<Dir>),
    File(Arc<std::fs::File>),
}

/// An open file or directory, with what it may be used for.
#[derive(Clone, Debug)]
pub(crate) struct Desc {
    pub(crate) kind: Kind,
    pub(crate) read: bool,
    pub(crate) write: bool,
    /// Directories: whether entries may be created, renamed or removed.
    pub(crate) mutate: bool,
    /// Whether the preopen it was reached through lets anything be written
    /// (a file of a read-only preopen refuses writes with `not-permitted`,
    /// as wasmtime-wasi's preview 2, before its own `write` flag is asked).
    pub(crate) perm_write: bool,
    /// The `*-sync` descriptor flags it was opened with (reported back by
    /// `get-flags`; writes are synchronous anyway).
    pub(crate) sync: Vec<String>,
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
        perm_write: p.perms == DirPerms::ReadWrite,
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

pub(crate) fn io<T>(r: io::Result<T>) -> std::result::Result<T, &'static str> {
    r.map_err(|e| error_code(&e))
}

/// The directory of a descriptor that paths are resolved from.
pub(crate) fn dir(d: &Desc) -> std::result::Result<&Arc<Dir>, &'static str> {
    match &d.kind {
        Kind::Dir(dir) => Ok(dir),
        Kind::File(_) => Err("not-directory"),
    }
}

#[cfg_attr(not(feature = "p2"), allow(dead_code))]
pub(crate) fn file(d: &Desc) -> std::result::Result<&Arc<std::fs::File>, &'static str> {
    match &d.kind {
        Kind::File(f) => Ok(f),
        Kind::Dir(_) => Err("is-directory"),
    }
}

/// The file of a descriptor the guest may read: `bad-descriptor` if it was
/// not opened for reading.
pub(crate) fn readable(d: &Desc) -> std::result::Result<&Arc<std::fs::File>, &'static str> {
    let f = file(d)?;
    if d.read { Ok(f) } else { Err("bad-descriptor") }
}

/// The file of a descriptor the guest may write: `not-permitted` in a
/// read-only preopen, `bad-descriptor` if it was not opened for writing.
/// (Preview 1 answers EBADF for both, in its own check.)
#[cfg(feature = "p2")]
pub(crate) fn writable(d: &Desc) -> std::result::Result<&Arc<std::fs::File>, &'static str> {
    let f = file(d)?;
    if !d.perm_write {
        Err("not-permitted")
    } else if !d.write {
        Err("bad-descriptor")
    } else {
        Ok(f)
    }
}

/// A directory a guest may change.
pub(crate) fn mutable(d: &Desc) -> std::result::Result<&Arc<Dir>, &'static str> {
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

pub(crate) fn descriptor_type(ft: std::fs::FileType) -> &'static str {
    descriptor_type!(ft)
}

/// The metadata of a descriptor's file or directory.
pub(crate) fn metadata(d: &Desc) -> io::Result<std::fs::Metadata> {
    match &d.kind {
        Kind::File(f) => f.metadata(),
        Kind::Dir(dir) => dir.try_clone()?.into_std_file().metadata(),
    }
}

/// The metadata of `path` under `dir` (following a final symlink when
/// `follow`), as std's type: the entry is opened beneath `dir` (cap-std
/// keeps it there) and asked.
pub(crate) fn metadata_at(dir: &Dir, path: &str, follow: bool) -> io::Result<std::fs::Metadata> {
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

/// The `descriptor-type` of a directory entry's cap-std file type.
pub(crate) fn entry_type(ft: cap_std::fs::FileType) -> &'static str {
    use cap_std::fs::FileTypeExt as _;
    descriptor_type!(ft)
}

/// What `stat` tells of a file: preview 2's `descriptor-stat` and preview
/// 1's `filestat`, whose fields both come from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stat {
    pub(crate) ty: &'static str,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) nlink: u64,
    pub(crate) size: u64,
    /// Access, modification and status change, since the epoch.
    pub(crate) atime: Duration,
    pub(crate) mtime: Duration,
    pub(crate) ctime: Duration,
}

fn since_epoch(secs: i64, nsec: i64) -> Duration {
    Duration::new(
        u64::try_from(secs).unwrap_or(0),
        u32::try_from(nsec).unwrap_or(0),
    )
}

/// The fields of a stat, from std's or cap-std's metadata (the same method
/// names).
macro_rules! stat_of {
    ($ty:expr, $m:expr) => {{
        let m = $m;
        Stat {
            ty: $ty,
            dev: m.dev(),
            ino: m.ino(),
            nlink: m.nlink(),
            size: m.size(),
            atime: since_epoch(m.atime(), m.atime_nsec()),
            mtime: since_epoch(m.mtime(), m.mtime_nsec()),
            ctime: since_epoch(m.ctime(), m.ctime_nsec()),
        }
    }};
}

impl Stat {
    /// The stat of std's metadata.
    pub(crate) fn of(m: &std::fs::Metadata) -> Stat {
        stat_of!(descriptor_type(m.file_type()), m)
    }

    /// A hash of the file's identity (device and inode): equal for the
    /// same file, whatever descriptor or path reached it.
    pub(crate) fn hash(&self) -> (u64, u64) {
        let mix = |x: u64| {
            let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        (mix(self.ino) ^ self.dev, mix(self.dev ^ mix(self.ino)))
    }
}

/// The stat of a descriptor's file or directory.
pub(crate) fn stat(d: &Desc) -> Result<Stat, &'static str> {
    io(metadata(d)).map(|m| Stat::of(&m))
}

/// The stat of `path` beneath `dir`, following a final symlink when
/// `follow` (else the symlink's own).
pub(crate) fn stat_at(dir: &Dir, path: &str, follow: bool) -> Result<Stat, &'static str> {
    match metadata_at(dir, path, follow) {
        Ok(m) => Ok(Stat::of(&m)),
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            // A symlink, not followed: what its entry says.
            let m = io(dir.symlink_metadata(path))?;
            Ok(stat_of!("symbolic-link", &m))
        }
        Err(e) => Err(error_code(&e)),
    }
}

/// How `open_at` opens a path: preview 2's `path-flags`, `open-flags` and
/// `descriptor-flags`, which preview 1's `path_open` arguments map to.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpenRequest {
    pub(crate) follow: bool,
    pub(crate) create: bool,
    pub(crate) directory: bool,
    pub(crate) exclusive: bool,
    pub(crate) truncate: bool,
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) mutate: bool,
}

/// A directory opened beneath `parent`, with what `parent` allows.
fn sub_dir(parent: &Desc, dir: Dir) -> Desc {
    Desc {
        kind: Kind::Dir(Arc::new(dir)),
        read: true,
        write: false,
        mutate: parent.mutate,
        perm_write: parent.perm_write,
        sync: Vec::new(),
    }
}

/// Opens `path` beneath the directory `parent`. What the parent allows
/// bounds what is opened through it; a directory opened through another
/// keeps the parent's rights (as wasmtime-wasi's: asking for
/// `mutate-directory` is only checked).
pub(crate) fn open_at(parent: &Desc, path: &str, r: &OpenRequest) -> Result<Desc, &'static str> {
    let dir = dir(parent)?;
    if (r.write || r.create || r.truncate || r.mutate) && !parent.mutate {
        return Err("not-permitted");
    }
    // Not following a final symlink: opening one is `loop`, as
    // `O_NOFOLLOW` has it (for a directory too).
    if !r.follow
        && dir
            .symlink_metadata(path)
            .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err("loop");
    }
    if r.directory {
        if r.write {
            return Err("is-directory");
        }
        if r.create || r.truncate {
            return Err("invalid");
        }
        return Ok(sub_dir(parent, io(dir.open_dir(path))?));
    }
    let mut options = OpenOptions::new();
    // The host file is writable whenever the guest creates or truncates
    // it (std's options refuse either without write access); what the
    // guest may do with it is the descriptor's own `write` flag.
    options
        .read(r.read || !r.write)
        .write(r.write || r.create || r.truncate)
        .truncate(r.truncate)
        .create(r.create && !r.exclusive)
        .create_new(r.create && r.exclusive);
    if !r.follow {
        options.follow(FollowSymlinks::No);
    }
    match dir.open_with(path, &options) {
        Ok(f) => {
            let f = f.into_std();
            if io(f.metadata())?.is_dir() {
                // A directory opened without the `directory` flag.
                if r.write {
                    return Err("is-directory");
                }
                return Ok(sub_dir(parent, io(dir.open_dir(path))?));
            }
            Ok(Desc {
                kind: Kind::File(Arc::new(f)),
                read: r.read || !r.write,
                write: r.write,
                mutate: false,
                perm_write: parent.perm_write,
                sync: Vec::new(),
            })
        }
        Err(e) if e.kind() == ErrorKind::IsADirectory && !r.write => {
            Ok(sub_dir(parent, io(dir.open_dir(path))?))
        }
        Err(e) => Err(error_code(&e)),
    }
}

/// Sets the access and modification times of a descriptor's file or
/// directory (`None`: unchanged).
pub(crate) fn set_times(
    d: &Desc,
    atime: Option<SystemTimeSpec>,
    mtime: Option<SystemTimeSpec>,
) -> Result<(), &'static str> {
    match &d.kind {
        Kind::File(f) => {
            let mut times = std::fs::FileTimes::new();
            let now = std::time::SystemTime::now();
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
            io(f.set_times(times))
        }
        Kind::Dir(dir) if d.mutate => io(dir.set_times(".", atime, mtime)),
        Kind::Dir(_) => Err("not-permitted"),
    }
}

/// Sets the times of `path` beneath the directory `d` (of a final symlink
/// itself unless `follow`).
pub(crate) fn set_times_at(
    d: &Desc,
    follow: bool,
    path: &str,
    atime: Option<SystemTimeSpec>,
    mtime: Option<SystemTimeSpec>,
) -> Result<(), &'static str> {
    let dir = mutable(d)?;
    io(if follow {
        dir.set_times(path, atime, mtime)
    } else {
        dir.set_symlink_times(path, atime, mtime)
    })
}

/// Creates a hard link `new` beneath `to` to `old` beneath `from` (a link
/// to what a symlink points to is not portable: refused, as wasmtime-wasi
/// does).
pub(crate) fn link_at(
    from: &Desc,
    follow: bool,
    old: &str,
    to: &Desc,
    new: &str,
) -> Result<(), &'static str> {
    if follow {
        return Err("invalid");
    }
    let from = mutable(from)?;
    io(from.hard_link(old, mutable(to)?, new))
}

/// Renames `old` beneath `from` to `new` beneath `to`.
pub(crate) fn rename_at(from: &Desc, old: &str, to: &Desc, new: &str) -> Result<(), &'static str> {
    let from = mutable(from)?;
    io(from.rename(old, mutable(to)?, new))
}

/// Creates a symlink `new` beneath `d` pointing at `old` (never at an
/// absolute path: it could only lead out of the sandbox).
pub(crate) fn symlink_at(d: &Desc, old: &str, new: &str) -> Result<(), &'static str> {
    if old.starts_with('/') {
        return Err("not-permitted");
    }
    io(mutable(d)?.symlink_contents(old, new))
}

/// The target of the symlink `path` beneath `d`.
pub(crate) fn readlink_at(d: &Desc, path: &str) -> Result<String, &'static str> {
    io(dir(d)?.read_link_contents(path)).map(|p| p.to_string_lossy().into_owned())
}

/// The entries of the directory `d` (without `.` and `..`), with their
/// types; at most [`MAX_DIR_ENTRIES`] (more is `insufficient-memory`).
pub(crate) fn list(d: &Desc) -> Result<Vec<(String, &'static str)>, &'static str> {
    let mut entries = Vec::new();
    for entry in io(dir(d)?.entries())? {
        let entry = io(entry)?;
        if entries.len() >= MAX_DIR_ENTRIES {
            return Err("insufficient-memory");
        }
        let ty = entry.file_type().map(entry_type).unwrap_or("unknown");
        entries.push((entry.file_name().to_string_lossy().into_owned(), ty));
    }
    Ok(entries)
}
