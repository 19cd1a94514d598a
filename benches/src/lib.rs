//! Benches live in `benches/`; run `cargo bench -p wasm-run-benches`.
//!
//! This library is the report: it reads criterion's results
//! (`target/criterion/**/new/{benchmark,estimates}.json`), pairs every
//! wasm-run measurement with the raw engine's measurement of the same
//! operation in the same run, and renders the table of ratios against the
//! budgets that `cargo run -p wasm-run-benches --bin report` writes into
//! `docs/PERFORMANCE.md` (between the report markers).

use std::collections::BTreeMap;
use std::path::Path;

/// One measurement: criterion's group and function ids and its median.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// e.g. `compute/wasmtime`.
    pub group: String,
    /// e.g. `ours/hash`.
    pub function: String,
    /// Median time per iteration, in nanoseconds.
    pub median_ns: f64,
}

/// Reads every measurement under `criterion_dir` (criterion's output
/// directory, usually `target/criterion`).
///
/// # Errors
///
/// A message naming the file that could not be read or parsed.
pub fn read_measurements(criterion_dir: &Path) -> Result<Vec<Measurement>, String> {
    let mut out = Vec::new();
    let mut stack = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    if let Some(m) = read_one(&path)? {
                        out.push(m);
                    }
                } else if path
                    .file_name()
                    .is_some_and(|n| n != "base" && n != "report")
                {
                    stack.push(path);
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.group, &a.function).cmp(&(&b.group, &b.function)));
    Ok(out)
}

fn read_one(dir: &Path) -> Result<Option<Measurement>, String> {
    let read = |name: &str| -> Result<Option<serde_json::Value>, String> {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(_) => Ok(None),
        }
    };
    let (Some(bench), Some(estimates)) = (read("benchmark.json")?, read("estimates.json")?) else {
        return Ok(None);
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let (Some(group), Some(function), Some(median_ns)) = (
        text(&bench["group_id"]),
        text(&bench["function_id"]),
        estimates["median"]["point_estimate"].as_f64(),
    ) else {
        return Err(format!("{}: unexpected criterion output", dir.display()));
    };
    Ok(Some(Measurement {
        group,
        function,
        median_ns,
    }))
}

/// wasm-run's measurement of an operation beside its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Criterion group (backend and topic).
    pub group: String,
    /// The operation.
    pub operation: String,
    /// Which wasm-run path (`ours` for the static backend, `any` for
    /// `AnyEngine`, `deadlines on`, ...).
    pub path: String,
    /// The baseline's median, ns.
    pub baseline_ns: f64,
    /// wasm-run's median, ns.
    pub ours_ns: f64,
    /// What the baseline is (`raw` or `deadlines off` ...).
    pub baseline: String,
    /// The largest acceptable ratio, if there is a budget.
    pub budget: Option<f64>,
}

impl Row {
    /// wasm-run's time over the baseline's.
    pub fn ratio(&self) -> f64 {
        self.ours_ns / self.baseline_ns
    }
    /// Whether the ratio is within the budget (`None` without one).
    pub fn within_budget(&self) -> Option<bool> {
        self.budget.map(|b| self.ratio() <= b)
    }
}

/// The budget of an operation (ratio to the raw engine, same run).
pub fn budget(group: &str, operation: &str) -> Option<f64> {
    Some(match operation {
        "typed" => 1.10,
        "dynamic" => 1.20,
        "wasm_to_host" | "wasm_to_host_untyped" => 1.15,
        "linker" | "pre" => 1.10,
        "wasi_setup" | "wasi_setup_pre" => 1.05,
        // At least 0.95× the raw throughput.
        "memory_read_64k" | "memory_write_64k" => 1.0 / 0.95,
        "compile" => 1.05,
        "hash" | "sort" | "compress" => 1.03,
        // A cache hit against compiling: at least 100× faster.
        "cache_hit" => 0.01,
        // Deadlines on against off: the target is for wasmtime.
        "fib25" | "loop1M" if group.ends_with("wasmtime") => 1.05,
        // Async calls against wasmtime's own (issue 22): typed against its
        // typed `call_async`/`func_wrap_async`, dynamic against its
        // `Func::call_async`/`func_new_async`.
        "async_typed" | "async_dynamic" if group == "async/wasmtime" => 1.10,
        "async_host" | "async_host_dynamic" if group == "async/wasmtime" => 1.15,
        // Portable component calls against wasmtime's own component model.
        "add" | "string_1k" | "bytes_64k" if group == "components/wasmtime" => 1.25,
        // WASI as real programs use it (issue 21): a preview 1 command with
        // argv, env, a preopen and captured output against the engine's own
        // WASI crate; a command component against wasmtime-wasi's preview 2
        // on wasmtime's component model (whichever component model runs
        // ours: both rows are judged).
        "real_run" => 1.05,
        "hello" | "cat_1mib" | "copy_1mib" if group == "wasi_p2/wasmtime" => 1.10,
        _ => return None,
    })
}

/// Pairs each wasm-run measurement with its baseline in the same group:
/// `ours/X`, `wasm-run/X`, `any/X` and `native/X` with `raw/X` (or, where the engine has
/// no such path, `raw/linker`), and `deadlines_on/X` with `deadlines_off/X`.
pub fn pair(measurements: &[Measurement]) -> Vec<Row> {
    let mut by_group: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
    for m in measurements {
        by_group
            .entry(&m.group)
            .or_default()
            .insert(&m.function, m.median_ns);
    }
    let mut rows = Vec::new();
    for (group, functions) in &by_group {
        for (function, &ns) in functions {
            let Some((path, op)) = function.split_once('/') else {
                continue;
            };
            let (baseline, base_ns) = match path {
                "ours" | "wasm-run" | "any" | "native" => {
                    let raw = if op == "cache_hit" {
                        "raw/compile".to_string()
                    } else {
                        format!("raw/{op}")
                    };
                    // Where the engine has no such path (wasmi has no
                    // store-independent `InstancePre`), its nearest one.
                    let fallback = op
                        .strip_suffix("_pre")
                        .map(|plain| format!("raw/{plain}"))
                        .unwrap_or_else(|| "raw/linker".to_string());
                    match functions
                        .get(raw.as_str())
                        .or_else(|| functions.get(fallback.as_str()))
                    {
                        Some(&b) => ("raw", b),
                        // An engine without the raw path (wasmi has no
                        // async API): wasm-run's synchronous call.
                        None => match functions.get(format!("sync/{op}").as_str()) {
                            Some(&b) => ("sync", b),
                            None => continue,
                        },
                    }
                }
                "deadlines_on" => match functions.get(format!("deadlines_off/{op}").as_str()) {
                    Some(&b) => ("deadlines off", b),
                    None => continue,
                },
                "yield_on" => match functions.get(format!("yield_off/{op}").as_str()) {
                    Some(&b) => ("no yields", b),
                    None => continue,
                },
                _ => continue,
            };
            let path = match path {
                "wasm-run" => "ours",
                "deadlines_on" => "deadlines on",
                "yield_on" => "1 ms yields",
                p => p,
            };
            // The budgets are for wasm-run's own paths; `native` (a
            // backend's own component model behind wasm-run's API) is
            // reported without one, except where wasm-run's WASI host runs
            // on it (the CLI's default for components on wasmtime).
            let budget = if path == "native" && !group.starts_with("wasi_p2/") {
                None
            } else {
                budget(group, op)
            };
            rows.push(Row {
                group: group.to_string(),
                operation: op.to_string(),
                path: path.to_string(),
                baseline_ns: base_ns,
                ours_ns: ns,
                baseline: baseline.to_string(),
                budget,
            });
        }
    }
    rows
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// The markdown table of `rows`, with the machine and date given.
pub fn render(rows: &[Row], machine: &str, date: &str) -> String {
    let mut out = format!(
        "Generated by `cargo run -p wasm-run-benches --bin report` on {date}, {machine}. \
         Medians of criterion's samples; every ratio compares two measurements of the \
         same run. `cache_hit` rows compare a cache hit with raw compilation (lower is \
         better; the target is at most 0.01, i.e. 100× faster).\n\n\
         | group | operation | path | baseline | wasm-run | ratio | budget | |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    let (mut pass, mut miss) = (0, 0);
    for r in rows {
        let verdict = match r.within_budget() {
            Some(true) => {
                pass += 1;
                "pass"
            }
            Some(false) => {
                miss += 1;
                "**miss**"
            }
            None => "",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} {} | {} | {:.2}× | {} | {} |\n",
            r.group,
            r.operation,
            r.path,
            r.baseline,
            time(r.baseline_ns),
            time(r.ours_ns),
            r.ratio(),
            r.budget.map(|b| format!("≤ {b:.2}×")).unwrap_or_default(),
            verdict
        ));
    }
    out.push_str(&format!(
        "\n{pass} within budget, {miss} missed; each miss is explained below.\n"
    ));
    out
}

/// Start and end markers of the generated part of `docs/PERFORMANCE.md`.
pub const MARKERS: (&str, &str) = ("<!-- report: begin -->", "<!-- report: end -->");

/// `doc` with the text between the markers replaced by `generated` (the
/// markers and a fresh section are added at the top if missing).
pub fn splice(doc: &str, generated: &str) -> String {
    let (begin, end) = MARKERS;
    match (doc.find(begin), doc.find(end)) {
        (Some(b), Some(e)) if b < e => format!("{}{begin}\n{generated}{}", &doc[..b], &doc[e..]),
        _ => {
            let (title, rest) = doc.split_once('\n').unwrap_or((doc, ""));
            format!("{title}\n\n## Summary\n\n{begin}\n{generated}{end}\n{rest}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: &str, function: &str, ns: f64) -> Measurement {
        Measurement {
            group: group.into(),
            function: function.into(),
            median_ns: ns,
        }
    }

    #[test]
    fn pairs_with_the_raw_engine_and_judges_budgets() {
        let rows = pair(&[
            m("wasmi", "raw/typed", 50.0),
            m("wasmi", "wasm-run/typed", 66.0),
            m("wasmi", "any/typed", 52.0),
            m("instantiate/wasmi", "raw/linker", 100.0),
            m("instantiate/wasmi", "ours/pre", 105.0),
            m("setup/wasmi", "raw/wasi_setup", 10.0),
            m("setup/wasmi", "ours/wasi_setup_pre", 10.2),
            m("stops/wasmtime", "deadlines_off/loop1M", 10.0),
            m("stops/wasmtime", "deadlines_on/loop1M", 21.0),
            m("orphans", "ours/nothing", 1.0),
            m("async/wasmi", "sync/async_host", 100.0),
            m("async/wasmi", "ours/async_host", 130.0),
            m("yield/wasmi", "yield_off/loop_10ms", 10.0),
            m("yield/wasmi", "yield_on/loop_10ms", 10.5),
            m("wasi_p2/wasmtime", "raw/hello", 40.0),
            m("wasi_p2/wasmtime", "ours/hello", 60.0),
            m("wasi_p2/wasmtime", "native/hello", 43.0),
            m("components/wasmtime", "raw/add", 100.0),
            m("components/wasmtime", "native/add", 200.0),
        ]);
        let find = |g: &str, p: &str, o: &str| {
            rows.iter()
                .find(|r| r.group == g && r.path == p && r.operation == o)
                .unwrap_or_else(|| panic!("no row {g} {p} {o} in {rows:?}"))
        };
        let typed = find("wasmi", "ours", "typed");
        assert!((typed.ratio() - 1.32).abs() < 1e-9);
        assert_eq!(typed.within_budget(), Some(false));
        assert_eq!(find("wasmi", "any", "typed").within_budget(), Some(true));
        let pre = find("instantiate/wasmi", "ours", "pre");
        assert_eq!((pre.baseline_ns, pre.within_budget()), (100.0, Some(true)));
        let stops = find("stops/wasmtime", "deadlines on", "loop1M");
        assert_eq!(stops.within_budget(), Some(false));
        let setup = find("setup/wasmi", "ours", "wasi_setup_pre");
        assert_eq!(
            (setup.baseline_ns, setup.within_budget()),
            (10.0, Some(true))
        );
        // Without a raw path, the synchronous call is the baseline; no budget.
        let wasmi_async = find("async/wasmi", "ours", "async_host");
        assert_eq!(
            (wasmi_async.baseline.as_str(), wasmi_async.baseline_ns),
            ("sync", 100.0)
        );
        assert_eq!(wasmi_async.within_budget(), None);
        let yields = find("yield/wasmi", "1 ms yields", "loop_10ms");
        assert!((yields.ratio() - 1.05).abs() < 1e-9);
        // A WASI command component: both component models are judged; a
        // native component call is not.
        assert_eq!(
            find("wasi_p2/wasmtime", "ours", "hello").within_budget(),
            Some(false)
        );
        assert_eq!(
            find("wasi_p2/wasmtime", "native", "hello").within_budget(),
            Some(true)
        );
        assert_eq!(
            find("components/wasmtime", "native", "add").within_budget(),
            None
        );
        assert_eq!(rows.len(), 10, "{rows:?}");
        let table = render(&rows, "2 cores", "2026-12-01");
        assert!(table.contains(
            "| wasmi | typed | ours | raw 50.0 ns | 66.0 ns | 1.32× | ≤ 1.10× | **miss** |"
        ));
        assert!(table.contains("4 within budget, 3 missed"), "{table}");
    }

    #[test]
    fn splices_between_the_markers() {
        let doc = "# Title\n\nintro\n<!-- report: begin -->\nold\n<!-- report: end -->\nnotes\n";
        let out = splice(doc, "new\n");
        assert_eq!(
            out,
            "# Title\n\nintro\n<!-- report: begin -->\nnew\n<!-- report: end -->\nnotes\n"
        );
        let fresh = splice("# Title\nbody\n", "gen\n");
        assert!(fresh.starts_with(
            "# Title\n\n## Summary\n\n<!-- report: begin -->\ngen\n<!-- report: end -->\nbody"
        ));
    }

    #[test]
    fn reads_criterion_output() {
        let dir = std::env::temp_dir().join(format!("wasm-run-report-{}", std::process::id()));
        let new = dir.join("compute_wasmi/raw_hash/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"compute/wasmi","function_id":"raw/hash"}"#,
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":1234.5}}"#,
        )
        .unwrap();
        let got = read_measurements(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(got, [m("compute/wasmi", "raw/hash", 1234.5)]);
    }
}
