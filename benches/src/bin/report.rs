//! `cargo run -p wasm-run-benches --bin report [-- --no-run]`: runs every
//! bench of this crate (unless `--no-run`, which reports the results already
//! in `target/criterion`), pairs wasm-run's measurements with the raw
//! engines', and writes the summary table into `docs/PERFORMANCE.md` between
//! the report markers. The rest of that file (the explanations) is kept.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use wasm_run_benches::{pair, read_measurements, render, splice};

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if !std::env::args().any(|a| a == "--no-run") {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["bench", "-p", "wasm-run-benches", "--benches", "--"])
            .args(["--warm-up-time", "1", "--measurement-time", "3"])
            .current_dir(&root)
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("report: cargo bench failed ({s})");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("report: cannot run cargo bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let measurements = match read_measurements(&target.join("criterion")) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("report: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rows = pair(&measurements);
    if rows.is_empty() {
        eprintln!(
            "report: no results in {}; run the benches first",
            target.display()
        );
        return ExitCode::FAILURE;
    }
    let table = render(&rows, &machine(), &today());
    let path = root.join("docs/PERFORMANCE.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Performance\n".into());
    if let Err(e) = std::fs::write(&path, splice(&doc, &table)) {
        eprintln!("report: {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    print!("{table}");
    println!("written to {}", path.display());
    ExitCode::SUCCESS
}

/// Cores and CPU model (Linux), for the report's header.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{cores} cores, {model}")
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
