//! The preview 2 interfaces, defined in a component [`Linker`] as host
//! functions and host resources over [`WasiP2`].

use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::time::Duration;

use wasm_run_api::{Engine, Error, Result};
use wasm_run_component::{HostContext, HostResourceType, Linker, LinkerInstance, ResourceAny, Val};

use super::table::{Entry, Poll, Source, Target};
use super::{VERSION, WasiP2, WasiView};
use crate::core::Std;

/// The most bytes one read, write or random request moves (a guest asking
/// for more gets less, or an error where the interface has no short form).
const MAX_CHUNK: u64 = 1 << 20;

/// Host resource types the functions create handles of.
#[derive(Clone)]
pub(super) struct Types {
    pub(super) input: HostResourceType,
    pub(super) output: HostResourceType,
    pub(super) pollable: HostResourceType,
    pub(super) error: HostResourceType,
    pub(super) terminal_input: HostResourceType,
    pub(super) terminal_output: HostResourceType,
    pub(super) descriptor: HostResourceType,
    pub(super) dir_entries: HostResourceType,
}

pub(super) fn state<'a, T: WasiView>(cx: &'a mut HostContext<'_, T>) -> &'a mut WasiP2 {
    cx.data_mut().wasi_p2()
}

pub(super) fn rep(args: &[Val], i: usize) -> Result<u32> {
    match args.get(i) {
        Some(Val::Resource(r)) => Ok(r.rep()),
        other => Err(Error::Type(format!("expected a resource, got {other:?}"))),
    }
}

pub(super) fn u64_arg(args: &[Val], i: usize) -> Result<u64> {
    match args.get(i) {
        Some(Val::U64(x)) => Ok(*x),
        other => Err(Error::Type(format!("expected a u64, got {other:?}"))),
    }
}

pub(super) fn bytes_arg(args: &[Val], i: usize) -> Result<Vec<u8>> {
    match args.get(i) {
        Some(Val::Bytes(bytes)) => Ok(bytes.clone()),
        Some(Val::List(items)) => items
            .iter()
            .map(|v| match v {
                Val::U8(b) => Ok(*b),
                other => Err(Error::Type(format!("expected a u8, got {other}"))),
            })
            .collect(),
        other => Err(Error::Type(format!("expected a list<u8>, got {other:?}"))),
    }
}

pub(super) fn bytes_val(bytes: &[u8]) -> Val {
    Val::Bytes(bytes.to_vec())
}

pub(super) fn ok(v: Option<Val>) -> Val {
    Val::Result(Ok(v.map(Box::new)))
}

pub(super) fn err(v: Val) -> Val {
    Val::Result(Err(Some(Box::new(v))))
}

fn closed() -> Val {
    err(Val::Variant("closed".into(), None))
}

/// `stream-error.last-operation-failed` with a new `error` resource for
/// the I/O error `e`.
fn failed(w: &mut WasiP2, types: &Types, e: std::io::Error) -> Result<Val> {
    let code = crate::fs::error_code(&e);
    let rep = w.table.push(Entry::Error(e.to_string(), Some(code)))?;
    Ok(err(Val::Variant(
        "last-operation-failed".into(),
        Some(Box::new(Val::Resource(ResourceAny::host(
            &types.error,
            rep,
        )))),
    )))
}

pub(super) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

pub(super) fn datetime(d: Duration) -> Val {
    Val::Record(vec![
        ("seconds".into(), Val::U64(d.as_secs())),
        ("nanoseconds".into(), Val::U32(d.subsec_nanos())),
    ])
}

/// A new handle of `ty` for `entry`.
pub(super) fn handle(w: &mut WasiP2, ty: &HostResourceType, entry: Entry) -> Result<Val> {
    let rep = w.table.push(entry)?;
    Ok(Val::Resource(ResourceAny::host(ty, rep)))
}

/// Writes `bytes` to the output stream `rep`.
fn write_to(w: &mut WasiP2, rep: u32, bytes: &[u8]) -> Result<std::io::Result<()>> {
    Ok(match w.table.output(rep)? {
        Target::Std(s) => {
            let s = *s;
            w.core.write_std(s, bytes)
        }
        Target::File(file, pos) => {
            let r = file.write_all_at(bytes, *pos);
            if r.is_ok() {
                *pos += bytes.len() as u64;
            }
            r
        }
        Target::Append(file) => (&**file)
            .seek(SeekFrom::End(0))
            .and_then(|_| (&**file).write_all(bytes)),
        Target::Sink => Ok(()),
    })
}

/// Reads at most `len` bytes of the input stream `rep`; `None` at its end.
fn read_from(w: &mut WasiP2, rep: u32, len: u64) -> Result<std::io::Result<Option<Vec<u8>>>> {
    if matches!(w.table.input(rep)?, Source::Stdin) {
        return Ok(w.core.read_stdin(len));
    }
    let Source::File(file, pos) = w.table.input(rep)? else {
        return Ok(Ok(None));
    };
    let mut buf = vec![0; len.min(MAX_CHUNK) as usize];
    Ok(match file.read_at(&mut buf, *pos) {
        Ok(0) if len > 0 => Ok(None),
        Ok(n) => {
            *pos += n as u64;
            buf.truncate(n);
            Ok(Some(buf))
        }
        Err(e) => Err(e),
    })
}

/// Whether the pollable `p` is ready now.
fn ready(w: &WasiP2, p: Poll) -> bool {
    match p {
        Poll::Ready => true,
        Poll::Until(at) => w.core.monotonic.now() >= at,
    }
}

/// Waits until one of `polls` is ready (real time only when the monotonic
/// clock is the system's; an injected clock counts as having reached the
/// earliest deadline), stopping for the store's deadline or an interrupt.
/// Answers the time reached: the clock's, or the earliest deadline where
/// the clock is injected.
fn wait<T: WasiView>(cx: &mut HostContext<'_, T>, polls: &[Poll]) -> Result<Duration> {
    let w = state(cx);
    if polls.iter().any(|p| ready(w, *p)) {
        return Ok(Duration::ZERO);
    }
    let earliest = polls
        .iter()
        .filter_map(|p| match p {
            Poll::Until(at) => Some(*at),
            Poll::Ready => None,
        })
        .min()
        .unwrap_or_default();
    let (clock, real_time) = (w.core.monotonic.clone(), w.core.real_time);
    crate::core::wait_until(&clock, real_time, earliest, || cx.check_stop())?;
    Ok(clock.now().max(earliest))
}

/// Defines every preview 2 interface this host serves in `linker`, at
/// version [`VERSION`](super::VERSION) (components importing other 0.2.x
/// versions link to them too).
///
/// # Errors
///
/// [`Error::Link`] if the linker defines one of the names already.
pub fn add_to_linker<E: Engine, T: WasiView>(linker: &mut Linker<E, T>) -> Result<()> {
    let v = VERSION;
    let drop_entry =
        |cx: &mut HostContext<'_, T>, rep: u32| state(cx).table.remove(rep).map(|_| ());
    // wasi:io
    let error = linker
        .instance(&format!("wasi:io/error@{v}"))?
        .resource("error", drop_entry)?;
    linker.instance(&format!("wasi:io/error@{v}"))?.func_new(
        "[method]error.to-debug-string",
        |cx, args, out| {
            out[0] = Val::String(state(cx).table.error(rep(args, 0)?)?.0.to_string());
            Ok(())
        },
    )?;
    let pollable = io_poll(&mut linker.instance(&format!("wasi:io/poll@{v}"))?)?;
    let mut streams = linker.instance(&format!("wasi:io/streams@{v}"))?;
    let input = streams.resource("input-stream", drop_entry)?;
    let output = streams.resource("output-stream", drop_entry)?;
    let terminal_input = linker
        .instance(&format!("wasi:cli/terminal-input@{v}"))?
        .resource("terminal-input", drop_entry)?;
    let terminal_output = linker
        .instance(&format!("wasi:cli/terminal-output@{v}"))?
        .resource("terminal-output", drop_entry)?;
    let mut fs_types = linker.instance(&format!("wasi:filesystem/types@{v}"))?;
    let descriptor = fs_types.resource("descriptor", drop_entry)?;
    let dir_entries = fs_types.resource("directory-entry-stream", drop_entry)?;
    let types = Types {
        input,
        output,
        pollable,
        error,
        terminal_input,
        terminal_output,
        descriptor,
        dir_entries,
    };
    io_streams(
        &mut linker.instance(&format!("wasi:io/streams@{v}"))?,
        &types,
    )?;
    cli_interfaces(linker, &types)?;
    clocks(linker, &types)?;
    random(linker)?;
    super::fs::define(linker, &types)?;
    super::sockets::define(linker)?;
    super::http::define(linker, &types)?;
    Ok(())
}

fn io_poll<E: Engine, T: WasiView>(
    poll: &mut LinkerInstance<'_, E, T>,
) -> Result<HostResourceType> {
    let pollable = poll.resource("pollable", |cx, rep| {
        state(cx).table.remove(rep).map(|_| ())
    })?;
    poll.func_new("[method]pollable.ready", |cx, args, out| {
        let w = state(cx);
        let p = w.table.pollable(rep(args, 0)?)?;
        out[0] = Val::Bool(ready(w, p));
        Ok(())
    })?;
    poll.func_new("[method]pollable.block", |cx, args, _| {
        let p = state(cx).table.pollable(rep(args, 0)?)?;
        wait(cx, &[p]).map(drop)
    })?;
    poll.func_new("poll", |cx, args, out| {
        let Some(Val::List(items)) = args.first() else {
            return Err(Error::Type("poll expects a list of pollables".into()));
        };
        if items.is_empty() {
            return Err(Error::Host("wasi:io/poll.poll of an empty list".into()));
        }
        let w = state(cx);
        let polls = items
            .iter()
            .enumerate()
            .map(|(i, _)| w.table.pollable(rep(items, i)?))
            .collect::<Result<Vec<_>>>()?;
        let reached = wait(cx, &polls)?;
        let w = state(cx);
        out[0] = Val::List(
            polls
                .iter()
                .enumerate()
                .filter(|(_, p)| ready(w, **p) || matches!(p, Poll::Until(at) if *at <= reached))
                .map(|(i, _)| Val::U32(i as u32))
                .collect(),
        );
        Ok(())
    })?;
    Ok(pollable)
}

fn io_streams<E: Engine, T: WasiView>(
    streams: &mut LinkerInstance<'_, E, T>,
    types: &Types,
) -> Result<()> {
    // Output streams: the guest's stdout and stderr. Writes are
    // synchronous, so every write is flushed and every permit is the
    // chunk limit.
    streams.func_new("[method]output-stream.check-write", |cx, args, out| {
        state(cx).table.output(rep(args, 0)?)?;
        out[0] = ok(Some(Val::U64(MAX_CHUNK)));
        Ok(())
    })?;
    for name in [
        "[method]output-stream.write",
        "[method]output-stream.blocking-write-and-flush",
    ] {
        let t = types.clone();
        streams.func_new(name, move |cx, args, out| {
            let w = state(cx);
            let r = rep(args, 0)?;
            w.table.output(r)?;
            let bytes = bytes_arg(args, 1)?;
            if bytes.len() as u64 > MAX_CHUNK {
                return Err(Error::Host(
                    format!(
                        "a write of {} bytes is more than check-write permits ({MAX_CHUNK})",
                        bytes.len()
                    )
                    .into(),
                ));
            }
            out[0] = match write_to(w, r, &bytes)? {
                Ok(()) => ok(None),
                Err(e) => failed(w, &t, e)?,
            };
            Ok(())
        })?;
    }
    for name in [
        "[method]output-stream.write-zeroes",
        "[method]output-stream.blocking-write-zeroes-and-flush",
    ] {
        let t = types.clone();
        streams.func_new(name, move |cx, args, out| {
            let w = state(cx);
            let r = rep(args, 0)?;
            w.table.output(r)?;
            let n = u64_arg(args, 1)?;
            if n > MAX_CHUNK {
                return Err(Error::Host(
                    format!("writing {n} zeroes is more than check-write permits ({MAX_CHUNK})")
                        .into(),
                ));
            }
            out[0] = match write_to(w, r, &vec![0; n as usize])? {
                Ok(()) => ok(None),
                Err(e) => failed(w, &t, e)?,
            };
            Ok(())
        })?;
    }
    for name in [
        "[method]output-stream.flush",
        "[method]output-stream.blocking-flush",
    ] {
        streams.func_new(name, |cx, args, out| {
            state(cx).table.output(rep(args, 0)?)?;
            out[0] = ok(None);
            Ok(())
        })?;
    }
    for (name, input) in [
        ("[method]output-stream.subscribe", false),
        ("[method]input-stream.subscribe", true),
    ] {
        let t = types.clone();
        streams.func_new(name, move |cx, args, out| {
            let w = state(cx);
            let r = rep(args, 0)?;
            if input {
                w.table.input(r)?;
            } else {
                w.table.output(r)?;
            }
            out[0] = handle(w, &t.pollable, Entry::Pollable(Poll::Ready))?;
            Ok(())
        })?;
    }
    for name in [
        "[method]output-stream.splice",
        "[method]output-stream.blocking-splice",
    ] {
        let t = types.clone();
        streams.func_new(name, move |cx, args, out| {
            let w = state(cx);
            let to = rep(args, 0)?;
            w.table.output(to)?;
            let from = rep(args, 1)?;
            let len = u64_arg(args, 2)?;
            out[0] = match read_from(w, from, len)? {
                Ok(None) => closed(),
                Ok(Some(bytes)) => match write_to(w, to, &bytes)? {
                    Ok(()) => ok(Some(Val::U64(bytes.len() as u64))),
                    Err(e) => failed(w, &t, e)?,
                },
                Err(e) => failed(w, &t, e)?,
            };
            Ok(())
        })?;
    }
    // Input streams: the guest's stdin.
    // `read` answers the bytes, `skip` how many there were.
    for (name, skip) in [
        ("[method]input-stream.read", false),
        ("[method]input-stream.blocking-read", false),
        ("[method]input-stream.skip", true),
        ("[method]input-stream.blocking-skip", true),
    ] {
        let t = types.clone();
        streams.func_new(name, move |cx, args, out| {
            let w = state(cx);
            let r = rep(args, 0)?;
            let len = u64_arg(args, 1)?;
            out[0] = match read_from(w, r, len)? {
                Ok(None) => closed(),
                Ok(Some(bytes)) if skip => ok(Some(Val::U64(bytes.len() as u64))),
                Ok(Some(bytes)) => ok(Some(bytes_val(&bytes))),
                Err(e) => failed(w, &t, e)?,
            };
            Ok(())
        })?;
    }
    Ok(())
}

fn cli_interfaces<E: Engine, T: WasiView>(linker: &mut Linker<E, T>, types: &Types) -> Result<()> {
    let v = VERSION;
    let mut env = linker.instance(&format!("wasi:cli/environment@{v}"))?;
    env.func_new("get-environment", |cx, _, out| {
        out[0] = Val::List(
            state(cx)
                .core
                .env
                .iter()
                .map(|(k, v)| Val::Tuple(vec![Val::String(k.clone()), Val::String(v.clone())]))
                .collect(),
        );
        Ok(())
    })?;
    env.func_new("get-arguments", |cx, _, out| {
        out[0] = Val::List(
            state(cx)
                .core
                .args
                .iter()
                .cloned()
                .map(Val::String)
                .collect(),
        );
        Ok(())
    })?;
    env.func_new("initial-cwd", |_, _, out| {
        out[0] = Val::Option(None);
        Ok(())
    })?;
    let mut exit = linker.instance(&format!("wasi:cli/exit@{v}"))?;
    exit.func_new("exit", |_, args, _| {
        let code = match args.first() {
            Some(Val::Result(Ok(_))) => 0,
            _ => 1,
        };
        Err(Error::Exit(code))
    })?;
    exit.func_new("exit-with-code", |_, args, _| match args.first() {
        Some(Val::U8(code)) => Err(Error::Exit(i32::from(*code))),
        other => Err(Error::Type(format!("expected a u8, got {other:?}"))),
    })?;
    for (iface, func, s) in [
        ("stdin", "get-stdin", Std::In),
        ("stdout", "get-stdout", Std::Out),
        ("stderr", "get-stderr", Std::Err),
    ] {
        let t = types.clone();
        linker
            .instance(&format!("wasi:cli/{iface}@{v}"))?
            .func_new(func, move |cx, _, out| {
                let w = state(cx);
                out[0] = match s {
                    Std::In => handle(w, &t.input, Entry::Input(Source::Stdin))?,
                    _ => handle(w, &t.output, Entry::Output(Target::Std(s)))?,
                };
                Ok(())
            })?;
    }
    for (iface, func, s) in [
        ("terminal-stdin", "get-terminal-stdin", Std::In),
        ("terminal-stdout", "get-terminal-stdout", Std::Out),
        ("terminal-stderr", "get-terminal-stderr", Std::Err),
    ] {
        let t = types.clone();
        linker
            .instance(&format!("wasi:cli/{iface}@{v}"))?
            .func_new(func, move |cx, _, out| {
                let w = state(cx);
                // A terminal only when the stream is the host's own and
                // that is a terminal.
                let terminal = w.core.is_terminal(s);
                out[0] = Val::Option(if !terminal {
                    None
                } else if s == Std::In {
                    Some(Box::new(handle(
                        w,
                        &t.terminal_input,
                        Entry::TerminalInput,
                    )?))
                } else {
                    Some(Box::new(handle(
                        w,
                        &t.terminal_output,
                        Entry::TerminalOutput,
                    )?))
                });
                Ok(())
            })?;
    }
    Ok(())
}

fn clocks<E: Engine, T: WasiView>(linker: &mut Linker<E, T>, types: &Types) -> Result<()> {
    let v = VERSION;
    let mut mono = linker.instance(&format!("wasi:clocks/monotonic-clock@{v}"))?;
    mono.func_new("now", |cx, _, out| {
        out[0] = Val::U64(nanos(state(cx).core.monotonic.now()));
        Ok(())
    })?;
    mono.func_new("resolution", |cx, _, out| {
        out[0] = Val::U64(nanos(state(cx).core.monotonic.resolution()).max(1));
        Ok(())
    })?;
    for (name, relative) in [("subscribe-instant", false), ("subscribe-duration", true)] {
        let t = types.clone();
        mono.func_new(name, move |cx, args, out| {
            let w = state(cx);
            let n = Duration::from_nanos(u64_arg(args, 0)?);
            let at = if relative {
                w.core.monotonic.now().saturating_add(n)
            } else {
                n
            };
            out[0] = handle(w, &t.pollable, Entry::Pollable(Poll::Until(at)))?;
            Ok(())
        })?;
    }
    let mut wall = linker.instance(&format!("wasi:clocks/wall-clock@{v}"))?;
    wall.func_new("now", |cx, _, out| {
        out[0] = datetime(state(cx).core.wall.now());
        Ok(())
    })?;
    wall.func_new("resolution", |cx, _, out| {
        out[0] = datetime(
            state(cx)
                .core
                .wall
                .resolution()
                .max(Duration::from_nanos(1)),
        );
        Ok(())
    })?;
    Ok(())
}

fn random<E: Engine, T: WasiView>(linker: &mut Linker<E, T>) -> Result<()> {
    let v = VERSION;
    fn fill(w: &mut WasiP2, len: u64) -> Result<Vec<u8>> {
        if len > MAX_CHUNK {
            return Err(Error::Host(
                format!("{len} random bytes asked for at once (at most {MAX_CHUNK})").into(),
            ));
        }
        let mut buf = vec![0; len as usize];
        w.random.fill(&mut buf).map_err(Error::host)?;
        Ok(buf)
    }
    fn u64_of(w: &mut WasiP2) -> Result<u64> {
        let b = fill(w, 8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    for (iface, bytes, number) in [
        ("random", "get-random-bytes", "get-random-u64"),
        (
            "insecure",
            "get-insecure-random-bytes",
            "get-insecure-random-u64",
        ),
    ] {
        let mut i = linker.instance(&format!("wasi:random/{iface}@{v}"))?;
        i.func_new(bytes, |cx, args, out| {
            let len = u64_arg(args, 0)?;
            out[0] = bytes_val(&fill(state(cx), len)?);
            Ok(())
        })?;
        i.func_new(number, |cx, _, out| {
            out[0] = Val::U64(u64_of(state(cx))?);
            Ok(())
        })?;
    }
    linker
        .instance(&format!("wasi:random/insecure-seed@{v}"))?
        .func_new("insecure-seed", |cx, _, out| {
            let w = state(cx);
            out[0] = Val::Tuple(vec![Val::U64(u64_of(w)?), Val::U64(u64_of(w)?)]);
            Ok(())
        })?;
    Ok(())
}
