//! Running one script: parse it, build the engine and the `spectest` module,
//! and run every directive with panics caught.

use std::panic::{AssertUnwindSafe, catch_unwind};

use wasm_run_api::backend::panic_message;
use wasm_run_api::{Config, Engine, Error, Result, TrapCode};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{Wast, WastDirective};

use crate::report::{FileReport, FileStatus};
use crate::runner::{Outcome, Runner};
use crate::threads::{ThreadOutcomes, Threads};
use crate::traps::trap_codes_for;

/// Runs one `.wast` script on an engine built by `make` from `config`.
///
/// `path_for_messages` names the file in the report. Every directive is run
/// (a panic is caught and counted as a failure), so one bad directive never
/// hides the rest of the file.
pub fn run_wast<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    config: &Config,
    path_for_messages: &str,
    source: &str,
) -> FileReport {
    run_wast_with_trap_codes(make, config, path_for_messages, source, trap_codes_for)
}

/// How `assert_trap`/`assert_exhaustion` messages map to the [`TrapCode`]s
/// that satisfy them; [`trap_codes_for`] is the runner's own.
pub type TrapCodesFn = fn(&str) -> Option<&'static [TrapCode]>;

/// [`run_wast`] with `trap_codes` instead of [`trap_codes_for`]. For testing
/// the runner itself: a deliberately wrong mapping stands for a backend that
/// maps traps wrongly, and must make directives fail.
pub fn run_wast_with_trap_codes<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    config: &Config,
    path_for_messages: &str,
    source: &str,
    trap_codes: TrapCodesFn,
) -> FileReport {
    let mut report = FileReport::new(path_for_messages);
    let engine = match catch_unwind(AssertUnwindSafe(|| make(config))) {
        Ok(Ok(engine)) => engine,
        Ok(Err(Error::Unsupported { feature, .. })) => {
            report.status = FileStatus::Unsupported(feature);
            return report;
        }
        Ok(Err(e)) => {
            report.status = FileStatus::SetupError(format!("engine: {e}"));
            return report;
        }
        Err(p) => {
            report.status =
                FileStatus::SetupError(format!("engine panicked: {}", panic_message(p)));
            return report;
        }
    };
    report.engine = Some(engine.name());

    let mut lexer = Lexer::new(source);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            report.status = FileStatus::ParseError(e.to_string());
            return report;
        }
    };
    let wast = match catch_unwind(AssertUnwindSafe(|| parser::parse::<Wast>(&buf))) {
        Ok(Ok(wast)) => wast,
        Ok(Err(e)) => {
            report.status = FileStatus::ParseError(e.to_string());
            return report;
        }
        Err(p) => {
            report.status =
                FileStatus::ParseError(format!("parser panicked: {}", panic_message(p)));
            return report;
        }
    };

    let mut runner = match catch_unwind(AssertUnwindSafe(|| Runner::new(engine))) {
        Ok(Ok(mut r)) => {
            r.trap_codes = trap_codes;
            r
        }
        Ok(Err(e)) => {
            report.status = FileStatus::SetupError(format!("spectest module: {e}"));
            return report;
        }
        Err(p) => {
            report.status =
                FileStatus::SetupError(format!("spectest module panicked: {}", panic_message(p)));
            return report;
        }
    };

    let lines = LineIndex::new(source);
    let mut threads = Threads::default();
    let record_thread =
        |report: &mut FileReport, (outcomes, waited): (ThreadOutcomes, Outcome), at: usize| {
            for (offset, name, outcome) in outcomes {
                report.record(lines.line(offset), name, outcome);
            }
            report.record(lines.line(at), "wait", waited);
        };
    for directive in wast.directives {
        let at = directive.span().offset();
        let line = lines.line(at);
        let name = directive_name(&directive);
        match directive {
            WastDirective::Thread(thread) => {
                let outcome = threads.spawn(&mut runner, source, &thread, trap_codes);
                report.record(line, name, outcome);
            }
            WastDirective::Wait { thread, .. } => {
                let joined = threads.wait(thread.name());
                record_thread(&mut report, joined, at);
            }
            directive => {
                let outcome = catch_unwind(AssertUnwindSafe(|| runner.directive(directive)))
                    .unwrap_or_else(|p| Outcome::fail("panic", panic_message(p)));
                report.record(line, name, outcome);
            }
        }
    }
    for joined in threads.wait_all() {
        record_thread(&mut report, joined, source.len());
    }
    report
}

/// 1-based line numbers from byte offsets, without rescanning the text.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }
    fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

pub(crate) fn directive_name(d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}
