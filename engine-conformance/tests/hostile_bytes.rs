//! Hostile bytes: truncated, bit-flipped, spliced and mangled modules (binary
//! and text) and `.wast` scripts, given to every entry point that reads
//! untrusted bytes: `Module::validate`, `Module::new`, the module's
//! imports/exports, and the `.wast` runner.
//!
//! Each input must give `Ok` or a typed error (`Error::Compile`, with an
//! offset inside the input where one is given, or `Error::Unsupported`),
//! never a panic; `validate` and `new` agree on each backend; the two
//! backends' verdicts agree except where one of them does not support what
//! the bytes turned into (an `Unsupported` answer or a message naming a
//! proposal).
//!
//! Two parts: the committed corpus in `tests/fixtures/hostile/` (replayed
//! as is; `HOSTILE_BLESS=1` rewrites it from the seeds below), and a seeded
//! exploration around the fixtures, `WASM_RUN_HOSTILE_CASES` mutations per
//! source (300 by default; raise it for a soak run, with `WASM_RUN_HOSTILE_SEED`
//! for the first seed).

mod common;

use common::splitmix;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use wasm_run::{Config, Engine, Error, Module, Wasmi, Wasmtime};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The real modules the mutations start from.
fn sources() -> Vec<(String, Vec<u8>)> {
    [
        "engine-conformance/fixtures/wasi/hello.wasm",
        "tests/fixtures/compute/compress.wasm",
        "engine-conformance/fixtures/wasi/reactor.wasm",
        "tests/fixtures/cli/bench.wat",
        "tests/fixtures/parallel/compute.wat",
        "examples/fib.wat",
    ]
    .iter()
    .map(|p| {
        let bytes = std::fs::read(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        (p.to_string(), bytes)
    })
    .collect()
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        splitmix(&mut self.0)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `src`, chosen by `seed`, and its name.
fn mutate(src: &[u8], seed: u64) -> (&'static str, Vec<u8>) {
    let mut r = Rng(seed);
    let mut b = src.to_vec();
    let text = !src.starts_with(b"\0asm");
    match r.below(7) {
        0 => {
            b.truncate(r.below(src.len()));
            ("truncated", b)
        }
        1 => {
            for _ in 0..1 + r.below(4) {
                let i = r.below(b.len());
                b[i] ^= 1 << r.below(8);
            }
            ("bit flips", b)
        }
        2 => {
            let i = r.below(b.len());
            let n = 1 + r.below(16);
            let junk: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
            b.splice(i..i, junk);
            ("insertion", b)
        }
        3 => {
            let i = r.below(b.len());
            let n = (1 + r.below(32)).min(b.len() - i);
            b.drain(i..i + n);
            ("deletion", b)
        }
        4 if !text => {
            // A valid header, then garbage.
            let n = r.below(256);
            b.truncate(8);
            b.extend((0..n).map(|_| r.next() as u8));
            ("garbage after header", b)
        }
        5 if !text => {
            // A section's LEB length made huge or a byte replaced by 0xff.
            let i = 8 + r.below(b.len().saturating_sub(8).max(1));
            if i < b.len() {
                b[i] = 0xff;
            }
            ("0xff byte", b)
        }
        _ if text => {
            // Mangled text: a parenthesis, a keyword or a number changed.
            let i = r.below(b.len());
            let repl: &[u8] = [
                &b"("[..],
                b")",
                b"i64.",
                b"0x",
                b"-",
                b"\"",
                b";;",
                b"(;",
                b"\xff",
                b"99999999999999999999",
            ][r.below(10)];
            b.splice(i..i, repl.iter().copied());
            ("mangled text", b)
        }
        _ => {
            // Two halves of the module swapped.
            let i = r.below(b.len());
            b.rotate_left(i);
            ("rotated", b)
        }
    }
}

/// What one backend says of `bytes`: `Ok(())`, or the error's class and
/// message. Panics (the failure this test exists for) are reported as `Err`
/// with the class "PANIC".
fn verdict<E: Engine>(engine: &E, bytes: &[u8]) -> Result<(), (String, String)> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let validated = Module::validate(engine, bytes);
        let compiled = Module::new(engine, bytes);
        if let Ok(m) = &compiled {
            // Reading the declarations must not panic either.
            let _ = (m.imports().len(), m.exports().len(), m.name());
        }
        (validated, compiled.map(|_| ()))
    }));
    let (validated, compiled) = match outcome {
        Ok(v) => v,
        Err(p) => {
            return Err(("PANIC".into(), wasm_run_api::backend::panic_message(p)));
        }
    };
    let class = |e: &Error| -> (String, String) {
        let kind = match e {
            Error::Compile { offset, .. } => {
                if let Some(o) = offset
                    && *o > bytes.len()
                {
                    return ("OFFSET OUTSIDE".into(), e.to_string());
                }
                "compile"
            }
            Error::Unsupported { .. } => "unsupported",
            _ => "UNTYPED",
        };
        (kind.to_string(), e.to_string())
    };
    match (&validated, &compiled) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), Err(_)) => Err(class(e)),
        (Ok(()), Err(e)) => Err(("VALIDATE SAID YES".into(), e.to_string())),
        (Err(e), Ok(())) => Err(("VALIDATE SAID NO".into(), e.to_string())),
    }
}

/// Whether a disagreement between the backends is one of features (one of
/// them does not support what the bytes turned into).
fn feature_difference(v: &Result<(), (String, String)>) -> bool {
    match v {
        Err((kind, message)) => {
            kind == "unsupported"
                || ["proposal", "support", "enabled", "feature", "disabled"]
                    .iter()
                    .any(|w| message.contains(w))
        }
        Ok(()) => false,
    }
}

#[derive(Default)]
struct Tally {
    inputs: usize,
    valid: usize,
    with_offset: usize,
    problems: Vec<String>,
}

fn check_input(name: &str, bytes: &[u8], a: &Wasmtime, b: &Wasmi, t: &mut Tally) {
    t.inputs += 1;
    let va = verdict(a, bytes);
    let vb = verdict(b, bytes);
    for (engine, v) in [("wasmtime", &va), ("wasmi", &vb)] {
        if let Err((kind, message)) = v
            && kind.chars().all(|c| c.is_ascii_uppercase() || c == ' ')
        {
            t.problems
                .push(format!("{name} on {engine}: {kind}: {message}"));
        }
    }
    if va.is_ok() {
        t.valid += 1;
    }
    if let Err((_, m)) = &va
        && m.contains(" at offset ")
    {
        t.with_offset += 1;
    }
    if va.is_ok() != vb.is_ok() && !feature_difference(&va) && !feature_difference(&vb) {
        t.problems.push(format!(
            "{name}: the backends disagree: wasmtime {va:?}, wasmi {vb:?}"
        ));
    }
}

fn corpus_dir() -> PathBuf {
    root().join("tests/fixtures/hostile")
}

/// The committed corpus: seeds 0..8 of each source, named after the source
/// and the mutation.
fn bless_corpus() {
    let dir = corpus_dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (path, bytes) in sources() {
        let stem = Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let ext = Path::new(&path)
            .extension()
            .unwrap()
            .to_string_lossy()
            .to_string();
        for seed in 0..8 {
            let (kind, m) = mutate(&bytes, seed);
            let kind = kind.replace(' ', "-");
            std::fs::write(dir.join(format!("{stem}-{seed}-{kind}.{ext}")), m).unwrap();
        }
    }
}

fn engines() -> (Wasmtime, Wasmi) {
    let config = Config::new();
    (
        Wasmtime::new(&config).expect("wasmtime"),
        Wasmi::new(&config).expect("wasmi"),
    )
}

fn report(what: &str, t: &Tally) {
    eprintln!(
        "{what}: {} inputs, {} valid on wasmtime, {} errors with a byte offset",
        t.inputs, t.valid, t.with_offset
    );
    assert!(
        t.problems.is_empty(),
        "{what}: {} problems:\n{}",
        t.problems.len(),
        t.problems.join("\n")
    );
}

#[test]
fn committed_corpus_gives_typed_errors_on_both_backends() {
    if std::env::var_os("HOSTILE_BLESS").is_some() {
        bless_corpus();
    }
    let (a, b) = engines();
    let mut t = Tally::default();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("tests/fixtures/hostile (HOSTILE_BLESS=1 writes it)")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        check_input(&f.display().to_string(), &bytes, &a, &b, &mut t);
    }
    assert!(t.inputs >= 40, "the corpus has only {} files", t.inputs);
    // The corpus must be hostile: most of it is rejected.
    assert!(
        t.valid * 2 < t.inputs,
        "{} of {} corpus files are valid modules",
        t.valid,
        t.inputs
    );
    report("corpus", &t);
}

#[test]
fn mutations_around_the_fixtures_give_typed_errors() {
    let cases = std::env::var("WASM_RUN_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    let first = std::env::var("WASM_RUN_HOSTILE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000u64);
    let (a, b) = engines();
    let mut t = Tally::default();
    for (path, bytes) in sources() {
        for seed in first..first + cases {
            let (kind, m) = mutate(&bytes, seed);
            check_input(&format!("{path} seed {seed} ({kind})"), &m, &a, &b, &mut t);
        }
    }
    report("mutations", &t);
}

/// Mangled `.wast` scripts: the runner reports them (a parse error or failed
/// directives) and never lets a panic out, nor hides one inside a directive.
#[test]
fn mangled_wast_scripts_are_reported_not_panicked_on() {
    let source = std::fs::read(root().join("tests/fixtures/spec/pass.wast")).unwrap();
    let config = Config::new();
    let mut parse_errors = 0;
    for seed in 0..60u64 {
        let (kind, m) = mutate(&source, seed);
        let text = String::from_utf8_lossy(&m).into_owned();
        for engine in ["wasmtime", "wasmi"] {
            let report = catch_unwind(AssertUnwindSafe(|| match engine {
                "wasmtime" => wasm_run_wast::run_wast(&Wasmtime::new, &config, "mangled", &text),
                _ => wasm_run_wast::run_wast(&Wasmi::new, &config, "mangled", &text),
            }))
            .unwrap_or_else(|_| panic!("{engine}: the runner panicked on seed {seed} ({kind})"));
            if matches!(report.status, wasm_run_wast::FileStatus::ParseError(_)) {
                parse_errors += 1;
            }
            let dump = format!("{:?}", report);
            assert!(
                !dump.contains("panic"),
                "{engine}: a panic inside the runner on seed {seed} ({kind}): {dump}"
            );
        }
    }
    assert!(parse_errors > 0, "no mangled script failed to parse");
}
