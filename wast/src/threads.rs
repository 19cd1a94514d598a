//! `(thread $T (shared (module $M)) directives...)` and `(wait $T)`, as the
//! threads proposal's and wasmtime's own scripts use them.
//!
//! A thread runs its directives on an OS thread of its own, concurrently with
//! the rest of the script, in a fresh store and linker (handles belong to one
//! store, and stores to one thread at a time). `(shared (module $M))` makes
//! the shared memories that `$M` exports available to the thread, so that
//! `(register "mem" $M)` inside it defines them; that is how such scripts
//! share memory between threads. `(wait $T)` joins the thread and records the
//! outcomes of its directives at their lines; threads never waited for are
//! joined at the end of the script.
//!
//! The thread's directives borrow the script's text, which cannot move to
//! another thread, so the thread re-parses its own `(thread ...)` text.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::JoinHandle;

use wasm_run_api::backend::panic_message;
use wasm_run_api::{Engine, SharedMemory};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{Wast, WastDirective, WastThread};

use crate::run::{TrapCodesFn, directive_name};
use crate::runner::{Outcome, Runner};

/// What a thread's directives did: (byte offset in the script, directive,
/// outcome).
pub(crate) type ThreadOutcomes = Vec<(usize, &'static str, Outcome)>;

/// A module's name and the shared memories it exports, by export name.
type SharedModule<E> = (String, Vec<(String, SharedMemory<E>)>);

/// The threads of one script that have not been waited for.
#[derive(Default)]
pub(crate) struct Threads {
    running: HashMap<String, JoinHandle<ThreadOutcomes>>,
}

impl Threads {
    /// Starts `thread`, whose text is in `source`; the outcome of the
    /// `thread` directive itself.
    pub(crate) fn spawn<E: Engine>(
        &mut self,
        runner: &mut Runner<E>,
        source: &str,
        thread: &WastThread<'_>,
        trap_codes: TrapCodesFn,
    ) -> Outcome {
        let name = thread.name.name().to_string();
        if self.running.contains_key(&name) {
            return Outcome::fail(
                "duplicate thread",
                format!("thread ${name} is still running"),
            );
        }
        let Some((start, end)) = directive_text(source, thread.span.offset()) else {
            return Outcome::fail("thread", "cannot find the end of the thread's text");
        };
        let shared = match thread.shared_module {
            Some(id) => match runner.shared_memories_of(id.name()) {
                Ok(memories) => Some((id.name().to_string(), memories)),
                Err(o) => return o,
            },
            None => None,
        };
        let text = source[start..end].to_string();
        let engine = runner.engine().clone();
        let spawned = std::thread::Builder::new()
            .name(format!("wast-thread-{name}"))
            .spawn(move || run_thread(engine, &text, start, shared, trap_codes));
        match spawned {
            Ok(handle) => {
                self.running.insert(name, handle);
                Outcome::Pass
            }
            Err(e) => Outcome::fail("thread", format!("cannot start a thread: {e}")),
        }
    }

    /// Joins thread `name`: its outcomes, and the outcome of the `wait`.
    pub(crate) fn wait(&mut self, name: &str) -> (ThreadOutcomes, Outcome) {
        match self.running.remove(name) {
            None => (
                Vec::new(),
                Outcome::fail("no such thread", format!("no running thread ${name}")),
            ),
            Some(handle) => match handle.join() {
                Ok(outcomes) => (outcomes, Outcome::Pass),
                Err(p) => (
                    Vec::new(),
                    Outcome::fail("thread panicked", panic_message(p)),
                ),
            },
        }
    }

    /// Joins every thread still running (at the end of the script).
    pub(crate) fn wait_all(&mut self) -> Vec<(ThreadOutcomes, Outcome)> {
        let mut names: Vec<String> = self.running.keys().cloned().collect();
        names.sort();
        names.iter().map(|n| self.wait(n)).collect()
    }
}

/// Runs the directives of the `(thread ...)` in `text` (which starts at
/// byte `base` of the script) in a fresh runner.
fn run_thread<E: Engine>(
    engine: E,
    text: &str,
    base: usize,
    shared: Option<SharedModule<E>>,
    trap_codes: TrapCodesFn,
) -> ThreadOutcomes {
    let failed = |why: String| vec![(base, "thread", Outcome::fail("thread", why))];
    // A lone `(thread ...)` would be read as a module's text; a directive
    // before it makes the text a script.
    const PREFIX: &str = "(module) ";
    let script = format!("{PREFIX}{text}");
    let mut lexer = Lexer::new(&script);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => return failed(e.to_string()),
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(wast) => wast,
        Err(e) => return failed(e.to_string()),
    };
    let Some(WastDirective::Thread(thread)) = wast.directives.into_iter().nth(1) else {
        return failed("the thread's text is not a thread".into());
    };
    let mut runner = match Runner::new(engine) {
        Ok(r) => r,
        Err(e) => return failed(format!("spectest module: {e}")),
    };
    runner.trap_codes = trap_codes;
    if let Some((module, memories)) = shared {
        runner.adopt_shared(module, memories);
    }
    let mut outcomes = Vec::new();
    for directive in thread.directives {
        let offset = (base + directive.span().offset()).saturating_sub(PREFIX.len());
        let name = directive_name(&directive);
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.directive(directive)))
            .unwrap_or_else(|p| Outcome::fail("panic", panic_message(p)));
        outcomes.push((offset, name, outcome));
    }
    outcomes
}

/// The byte range of the parenthesised directive whose keyword is at
/// `keyword`: from the `(` before it to just after the matching `)`,
/// skipping strings and comments.
fn directive_text(source: &str, keyword: usize) -> Option<(usize, usize)> {
    let bytes = source.as_bytes();
    let start = source[..keyword].rfind('(')?;
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b';' if bytes.get(i + 1) == Some(&b';') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => {
                let mut nest = 1;
                i += 2;
                while i < bytes.len() && nest > 0 {
                    if bytes[i] == b'(' && bytes.get(i + 1) == Some(&b';') {
                        nest += 1;
                        i += 1;
                    } else if bytes[i] == b';' && bytes.get(i + 1) == Some(&b')') {
                        nest -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some((start, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::directive_text;

    #[test]
    fn finds_the_whole_directive() {
        let src = r#"(module) (thread $T ;; a ) comment
  (module (data "a)b\"c") (; ( block ;) )) (wait $T)"#;
        let at = src.find("thread").unwrap();
        let (s, e) = directive_text(src, at).unwrap();
        assert_eq!(&src[s..e], &src[9..src.find(" (wait").unwrap()]);
        assert!(directive_text("(thread (", 1).is_none());
    }
}
