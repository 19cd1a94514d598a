//! `wasi:filesystem`: the descriptors and paths of [`crate::fs`] (the
//! sandbox both WASI versions share) as preview 2's resources and values.

use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime};

use cap_fs_ext::SystemTimeSpec;
use wasm_run_api::{Engine, Error, Result};
use wasm_run_component::{Linker, Val};

use super::host::{Types, bytes_arg, bytes_val, datetime, err, handle, ok, rep, state, u64_arg};
use super::table::{Entry, Source, Target};
use super::{VERSION, WasiP2, WasiView};
use crate::fs::{
    Desc, Kind, MAX_IO, OpenRequest, Stat, dir, file, io, mutable, readable, stat, stat_at,
    writable,
};

/// The rest of a `read-directory` listing.
#[derive(Debug)]
pub(crate) struct DirEntries {
    entries: Vec<(String, &'static str)>,
    next: usize,
}

/// A filesystem operation's outcome: a value, or an `error-code`.
type Outcome = std::result::Result<Option<Val>, &'static str>;

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

/// The `descriptor-stat` of a stat.
fn stat_val(st: Stat) -> Val {
    let time = |d: Duration| Val::Option(Some(Box::new(datetime(d))));
    Val::Record(vec![
        ("type".into(), Val::Enum(st.ty.into())),
        ("link-count".into(), Val::U64(st.nlink)),
        ("size".into(), Val::U64(st.size)),
        ("data-access-timestamp".into(), time(st.atime)),
        ("data-modification-timestamp".into(), time(st.mtime)),
        ("status-change-timestamp".into(), time(st.ctime)),
    ])
}

/// A `metadata-hash-value` of a stat.
fn hash_val(st: Stat) -> Val {
    let (lower, upper) = st.hash();
    Val::Record(vec![
        ("lower".into(), Val::U64(lower)),
        ("upper".into(), Val::U64(upper)),
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
    let path = str_arg(args, 2)?;
    let (open, want) = (flags_arg(args, 3)?, flags_arg(args, 4)?);
    let request = OpenRequest {
        follow: has(flags_arg(args, 1)?, "symlink-follow"),
        create: has(open, "create"),
        directory: has(open, "directory"),
        exclusive: has(open, "exclusive"),
        truncate: has(open, "truncate"),
        read: has(want, "read"),
        write: has(want, "write"),
        mutate: has(want, "mutate-directory"),
    };
    Ok(crate::fs::open_at(parent, path, &request).map(|mut d| {
        if matches!(d.kind, Kind::File(_)) {
            d.sync = want
                .iter()
                .filter(|f| f.ends_with("-sync"))
                .cloned()
                .collect();
        }
        d
    }))
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
            let f = match readable(d) {
                Ok(f) => f.clone(),
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
            let f = match writable(d) {
                Ok(f) => f.clone(),
                Err(c) => return Ok(Err(c)),
            };
            Ok(Ok(Some(handle(
                w,
                &t.output,
                Entry::Output(Target::File(f, offset)),
            )?)))
        }),
        ("append-via-stream", |w, t, d, _| {
            let f = match writable(d) {
                Ok(f) => f.clone(),
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
            Ok(stat(d).map(|st| Some(Val::Enum(st.ty.into()))))
        }),
        ("set-size", |_, _, d, args| {
            let size = u64_arg(args, 1)?;
            Ok(writable(d).and_then(|f| io(f.set_len(size)).map(|_| None)))
        }),
        ("set-times", |_, _, d, args| {
            let (atime, mtime) = (new_timestamp(args.get(1))?, new_timestamp(args.get(2))?);
            Ok(crate::fs::set_times(d, atime, mtime).map(|_| None))
        }),
        ("read", |_, _, d, args| {
            let (len, offset) = (u64_arg(args, 1)?, u64_arg(args, 2)?);
            let f = match readable(d) {
                Ok(f) => f,
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
            Ok(writable(d)
                .and_then(|f| io(f.write_at(&bytes, offset)).map(|n| Some(Val::U64(n as u64)))))
        }),
        ("read-directory", |w, t, d, _| {
            let entries = match crate::fs::list(d) {
                Ok(entries) => entries,
                Err(c) => return Ok(Err(c)),
            };
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
        (
            "stat",
            |_, _, d, _| Ok(stat(d).map(|st| Some(stat_val(st)))),
        ),
        ("stat-at", |_, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let path = str_arg(args, 2)?;
            Ok(dir(d)
                .and_then(|dir| stat_at(dir, path, follow))
                .map(|st| Some(stat_val(st))))
        }),
        ("set-times-at", |_, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let path = str_arg(args, 2)?;
            let (atime, mtime) = (new_timestamp(args.get(3))?, new_timestamp(args.get(4))?);
            Ok(crate::fs::set_times_at(d, follow, path, atime, mtime).map(|_| None))
        }),
        ("link-at", |w, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let old = str_arg(args, 2)?;
            let to = w.table.descriptor(rep(args, 3)?)?.clone();
            let new = str_arg(args, 4)?;
            Ok(crate::fs::link_at(d, follow, old, &to, new).map(|_| None))
        }),
        ("open-at", |w, t, d, args| {
            Ok(match open_at(d, args)? {
                Ok(desc) => Ok(Some(handle(w, &t.descriptor, Entry::Descriptor(desc))?)),
                Err(c) => Err(c),
            })
        }),
        ("readlink-at", |_, _, d, args| {
            let path = str_arg(args, 1)?;
            Ok(crate::fs::readlink_at(d, path).map(|p| Some(Val::String(p))))
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
            Ok(crate::fs::rename_at(d, old, &to, new).map(|_| None))
        }),
        ("symlink-at", |_, _, d, args| {
            let (old, new) = (str_arg(args, 1)?, str_arg(args, 2)?);
            Ok(crate::fs::symlink_at(d, old, new).map(|_| None))
        }),
        ("unlink-file-at", |_, _, d, args| {
            let path = str_arg(args, 1)?;
            Ok(mutable(d)
                .and_then(|dir| io(dir.remove_file(path)))
                .map(|_| None))
        }),
        ("metadata-hash", |_, _, d, _| {
            Ok(stat(d).map(|st| Some(hash_val(st))))
        }),
        ("metadata-hash-at", |_, _, d, args| {
            let follow = has(flags_arg(args, 1)?, "symlink-follow");
            let path = str_arg(args, 2)?;
            Ok(dir(d)
                .and_then(|dir| stat_at(dir, path, follow))
                .map(|st| Some(hash_val(st))))
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
        out[0] = Val::Bool(match (stat(&a), stat(&b)) {
            (Ok(a), Ok(b)) => (a.dev, a.ino) == (b.dev, b.ino),
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
            let preopens = w.core.preopens.clone();
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
