//! `wasm-run run --invoke FUNC --parallel ARGS_FILE FILE`: one call of FUNC per
//! line of ARGS_FILE, in parallel (the `wasm_run::parallel` crate), and one
//! output line per call in input order.

use crate::controls::{Controls, interrupt_on_ctrl_c};
use crate::run::parse_arg;
use crate::{Failure, fail};
use std::io::{Read, Write};
use wasm_run::parallel::ParallelRun;
use wasm_run::{AnyEngine, ExternType, Val};

/// One line of the arguments file: parsed values, or why not.
type ArgSet = Result<Vec<Val<AnyEngine>>, String>;

/// Runs the calls and prints `results...` or `error: ...` per argument set.
/// Returns the exit code: 1 if any call (or line) failed.
pub(crate) fn run(
    engine: &AnyEngine,
    file: &str,
    func: &str,
    args_file: &str,
    controls: &Controls,
) -> Result<u8, Failure> {
    if controls.needs_store_limits() {
        return Err(fail(format!(
            "-W max-memory-size with --parallel needs fixed limits, which {} does not have",
            wasm_run::Engine::name(engine)
        )));
    }
    let text = read_args(args_file)?;
    let mut run = ParallelRun::from_file(engine, file)?;
    if let Some(fuel) = controls.fuel {
        run = run.fuel_per_call(fuel);
    }
    if let Some(timeout) = controls.timeout {
        run = run.deadline_per_call(timeout);
    }
    interrupt_on_ctrl_c(run.interrupt_handle());
    // Parallel runs get shared memories and nothing else: say so up front
    // rather than failing every call with a link error.
    if let Some(i) = run
        .module()
        .imports()
        .iter()
        .find(|i| !matches!(&i.ty, ExternType::Memory(m) if m.shared))
    {
        return Err(fail(format!(
            "--parallel provides only shared memories, but the module imports `{}::{}` ({})",
            i.module, i.name, i.ty
        )));
    }
    let ty = match run.module().info().export(func).map(|e| &e.ty) {
        Some(ExternType::Func(ty)) => ty.clone(),
        _ => return Err(fail(format!("`{func}` is not an exported function"))),
    };
    let sets: Vec<ArgSet> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with('#'))
        .map(|(n, line)| {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() != ty.params().len() {
                return Err(format!(
                    "line {}: `{func}` takes {} argument(s) ({ty}), {} given",
                    n + 1,
                    ty.params().len(),
                    words.len()
                ));
            }
            words
                .iter()
                .zip(ty.params())
                .map(|(w, t)| parse_arg(w, t).map_err(|f| format!("line {}: {}", n + 1, f.message)))
                .collect()
        })
        .collect();
    let good: Vec<&[Val<AnyEngine>]> = sets
        .iter()
        .filter_map(|s| s.as_ref().ok().map(Vec::as_slice))
        .collect();
    let mut results = run.run(func, &good)?.into_iter();
    let mut failed = false;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for set in &sets {
        let line = match set.as_ref().map(|_| results.next()) {
            Ok(Some(Ok(values))) => values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            Ok(Some(Err(e))) => {
                failed = true;
                format!(
                    "error: {}",
                    e.to_string().lines().next().unwrap_or_default()
                )
            }
            Ok(None) => {
                failed = true;
                "error: the call did not run".to_string()
            }
            Err(why) => {
                failed = true;
                format!("error: {why}")
            }
        };
        writeln!(out, "{line}").map_err(|e| fail(format!("writing results: {e}")))?;
    }
    out.flush()
        .map_err(|e| fail(format!("writing results: {e}")))?;
    Ok(u8::from(failed))
}

/// The arguments file, or standard input for `-`.
fn read_args(path: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| fail(format!("{path}: {e}")))?;
    Ok(text)
}
