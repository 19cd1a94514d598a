//! The host's side of preview 2's resources: what each handle a component
//! holds stands for, by the representation (`rep`) the host gave it.
//!
//! A component can only pass back handles its own handle table holds (the
//! canonical ABI checks the type and the owner), so a `rep` that is not
//! here, or is here as another kind, is a host bug or a dropped resource:
//! an error, never a panic. The table is bounded: a guest that keeps
//! creating resources without dropping them gets an error, not unbounded
//! host memory.

use std::sync::Arc;
use std::time::Duration;

use wasm_run_api::{Error, Result};

use super::fs::DirEntries;
use crate::fs::Desc;

/// The most resources one context keeps alive at once.
pub(crate) const MAX_RESOURCES: usize = 1 << 16;

pub(crate) use crate::core::Std;

/// What an input stream reads.
#[derive(Debug)]
pub(crate) enum Source {
    Stdin,
    /// A file, from this offset on.
    File(Arc<std::fs::File>, u64),
}

/// Where an output stream writes.
#[derive(Debug)]
pub(crate) enum Target {
    Std(Std),
    /// A file, at this offset on.
    File(Arc<std::fs::File>, u64),
    /// A file, at its end.
    Append(Arc<std::fs::File>),
    /// An HTTP body that nothing will send (`wasi:http` is denied): the
    /// bytes are dropped.
    Sink,
}

/// What a pollable waits for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Poll {
    /// Always ready (the standard streams never block the guest for long).
    Ready,
    /// Ready once the monotonic clock reads at least this.
    Until(Duration),
}

/// What one resource stands for.
#[derive(Debug)]
pub(crate) enum Entry {
    Input(Source),
    Output(Target),
    Pollable(Poll),
    /// A `wasi:io/error` with its message, and the `wasi:filesystem`
    /// error code it stands for (for `filesystem-error-code`).
    Error(String, Option<&'static str>),
    TerminalInput,
    TerminalOutput,
    Descriptor(Desc),
    DirEntries(DirEntries),
    /// The `wasi:sockets` network (through which nothing is allowed).
    Network,
    /// A `wasi:http` resource.
    Http(super::http::Http),
}

impl Entry {
    fn kind(&self) -> &'static str {
        match self {
            Entry::Input(_) => "input-stream",
            Entry::Output(_) => "output-stream",
            Entry::Pollable(_) => "pollable",
            Entry::Error(..) => "error",
            Entry::TerminalInput => "terminal-input",
            Entry::TerminalOutput => "terminal-output",
            Entry::Descriptor(_) => "descriptor",
            Entry::DirEntries(_) => "directory-entry-stream",
            Entry::Network => "network",
            Entry::Http(_) => "wasi:http resource",
        }
    }
}

/// The resources of one context.
#[derive(Debug, Default)]
pub(crate) struct Table {
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    live: usize,
}

impl Table {
    /// Keeps `entry`; its representation.
    pub(crate) fn push(&mut self, entry: Entry) -> Result<u32> {
        if self.live >= MAX_RESOURCES {
            return Err(Error::ResourceLimit(format!(
                "a component holds {MAX_RESOURCES} WASI resources at once; drop some first"
            )));
        }
        self.live += 1;
        if let Some(rep) = self.free.pop() {
            self.entries[rep as usize] = Some(entry);
            return Ok(rep);
        }
        self.entries.push(Some(entry));
        Ok((self.entries.len() - 1) as u32)
    }

    /// The resource `rep`.
    pub(crate) fn get(&self, rep: u32) -> Result<&Entry> {
        self.entries
            .get(rep as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| unknown(rep))
    }

    /// Forgets the resource `rep` (its handle was dropped).
    pub(crate) fn remove(&mut self, rep: u32) -> Result<Entry> {
        let entry = self
            .entries
            .get_mut(rep as usize)
            .and_then(Option::take)
            .ok_or_else(|| unknown(rep))?;
        self.live -= 1;
        self.free.push(rep);
        Ok(entry)
    }

    pub(crate) fn get_mut(&mut self, rep: u32) -> Result<&mut Entry> {
        self.entries
            .get_mut(rep as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| unknown(rep))
    }

    /// What the input stream `rep` reads.
    pub(crate) fn input(&mut self, rep: u32) -> Result<&mut Source> {
        match self.get_mut(rep)? {
            Entry::Input(s) => Ok(s),
            other => Err(wrong(rep, "input-stream", other)),
        }
    }

    /// Where the output stream `rep` writes.
    pub(crate) fn output(&mut self, rep: u32) -> Result<&mut Target> {
        match self.get_mut(rep)? {
            Entry::Output(t) => Ok(t),
            other => Err(wrong(rep, "output-stream", other)),
        }
    }

    /// What the pollable `rep` waits for.
    pub(crate) fn pollable(&self, rep: u32) -> Result<Poll> {
        match self.get(rep)? {
            Entry::Pollable(p) => Ok(*p),
            other => Err(wrong(rep, "pollable", other)),
        }
    }

    /// The message and filesystem error code of the error `rep`.
    pub(crate) fn error(&self, rep: u32) -> Result<(&str, Option<&'static str>)> {
        match self.get(rep)? {
            Entry::Error(m, code) => Ok((m, *code)),
            other => Err(wrong(rep, "error", other)),
        }
    }

    /// The descriptor `rep`.
    pub(crate) fn descriptor(&self, rep: u32) -> Result<&Desc> {
        match self.get(rep)? {
            Entry::Descriptor(d) => Ok(d),
            other => Err(wrong(rep, "descriptor", other)),
        }
    }

    /// The directory-entry stream `rep`.
    pub(crate) fn dir_entries(&mut self, rep: u32) -> Result<&mut DirEntries> {
        match self.get_mut(rep)? {
            Entry::DirEntries(d) => Ok(d),
            other => Err(wrong(rep, "directory-entry-stream", other)),
        }
    }

    /// How many resources are alive.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live
    }
}

fn unknown(rep: u32) -> Error {
    Error::Host(format!("no WASI resource {rep} (dropped already?)").into())
}

fn wrong(rep: u32, want: &str, got: &Entry) -> Error {
    Error::Host(format!("WASI resource {rep} is a {}, not a {want}", got.kind()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reps_are_reused_and_kinds_checked() {
        let mut t = Table::default();
        let a = t.push(Entry::Output(Target::Std(Std::Out))).unwrap();
        let b = t.push(Entry::Pollable(Poll::Ready)).unwrap();
        assert_ne!(a, b);
        assert!(matches!(t.output(a).unwrap(), Target::Std(Std::Out)));
        assert!(t.input(a).is_err());
        assert!(t.pollable(a).is_err());
        t.remove(a).unwrap();
        assert!(t.get(a).is_err());
        assert!(t.remove(a).is_err());
        let c = t.push(Entry::Error("boom".into(), None)).unwrap();
        assert_eq!(c, a, "a freed representation is reused");
        assert_eq!(t.error(c).unwrap(), ("boom", None));
        assert_eq!(t.len(), 2);
        assert!(t.get(999).is_err());
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = Table::default();
        for _ in 0..MAX_RESOURCES {
            t.push(Entry::Pollable(Poll::Ready)).unwrap();
        }
        assert!(matches!(
            t.push(Entry::Pollable(Poll::Ready)),
            Err(Error::ResourceLimit(_))
        ));
        t.remove(7).unwrap();
        t.push(Entry::TerminalInput).unwrap();
    }
}
