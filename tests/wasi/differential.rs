//! The differential check of issue 21: every WASI fixture runs through
//! wasm-run's WASI on wasmi, wasm-run's WASI on wasmtime, and wasmtime-wasi
//! on wasmtime — preview 1 modules with `WasiHost::Engine` (wasmtime-wasi's
//! `p1`), preview 2 components with wasmtime-wasi's own preview 2 host on
//! wasmtime's component model, driven here through wasmtime's API directly
//! — with the same arguments, environment, stdin, clocks and randomness, in
//! identical fresh directory trees. Stdout, stderr, exit status and the
//! files left must agree.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wasm_run::wasi::{
    DeterministicClock, DirPerms, ExitStatus, MonotonicClock, RandomSource, SeededRandom,
    WallClock, WasiConfig, WasiHost,
};
use wasm_run::{Config, Engine, Wasmi, Wasmtime};

use crate::files::{TempDir, snapshot};
use crate::p2::{Run, configure, fixture, run_p1_with, run_p2_with, tree};

/// A program's inputs: arguments, environment, stdin, and the preopen
/// (guest path and permissions) it gets of a fresh tree, if any.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    stdin: Vec<u8>,
    dir: Option<(&'static str, DirPerms)>,
    /// Written to `in.bin` in the sandbox before the run (if not empty).
    in_bin: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let case = |name, args, env, stdin: &[u8], dir| Case {
        name,
        args,
        env,
        stdin: stdin.to_vec(),
        dir,
        in_bin: Vec::new(),
    };
    let input: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 256) as u8).collect();
    vec![
        case("hello", &["hello"], &[], b"", None),
        case(
            "echo",
            &["echo", "a b", "ünï", ""],
            &[("B", "2"), ("A", "x=y"), ("EMPTY", "")],
            b"",
            None,
        ),
        case("cat", &["cat"], &[], &input, None),
        case("clock_random", &["clock_random"], &[], b"", None),
        case("exit", &["exit", "0"], &[], b"", None),
        case("exit", &["exit", "7"], &[], b"", None),
        case("exit", &["exit", "trap"], &[], b"", None),
        case(
            "files",
            &["files"],
            &[],
            b"",
            Some(("/sandbox", DirPerms::ReadWrite)),
        ),
        case(
            "readonly",
            &["readonly"],
            &[],
            b"",
            Some(("/ro", DirPerms::ReadOnly)),
        ),
        case(
            "escape",
            &["escape"],
            &[],
            b"",
            Some(("/sandbox", DirPerms::ReadWrite)),
        ),
        // A file copied in 64 KiB reads and writes: three full ones and a
        // partial one, through the descriptors (preview 2: their streams).
        Case {
            // (Text: the files left are compared as text.)
            in_bin: (0..200_000u32)
                .map(|i| b'a' + (i * 13 % 26) as u8)
                .collect(),
            ..case(
                "copy",
                &["copy"],
                &[],
                b"",
                Some(("/sandbox", DirPerms::ReadWrite)),
            )
        },
    ]
}

/// One way of running a case: given the case and its sandbox directory.
type Runner<'a> = (&'a str, &'a dyn Fn(&Case, Option<&Path>) -> Run);

fn agree(case: &Case, runners: &[Runner<'_>]) {
    let shared = TempDir::new("diff-abs");
    let abs = shared.0.join("outside/secret.txt");
    tree(&shared.0, &abs);
    let mut first: Option<(&str, Run, _)> = None;
    for (label, run) in runners {
        let dir = TempDir::new("diff");
        tree(&dir.0, &abs);
        let sandbox = dir.0.join("sandbox");
        if !case.in_bin.is_empty() {
            std::fs::write(sandbox.join("in.bin"), &case.in_bin).unwrap();
        }
        let result = run(case, case.dir.map(|_| sandbox.as_path()));
        if !case.in_bin.is_empty() {
            // The runs agree with each other below; here, with the input.
            let copied = std::fs::read(sandbox.join("out.bin")).unwrap_or_default();
            assert!(
                copied == case.in_bin,
                "{label}: {} bytes copied",
                copied.len()
            );
        }
        let files = snapshot(&dir.0);
        match &first {
            None => first = Some((label, result, files)),
            Some((first_label, want, want_files)) => {
                assert_eq!(
                    &result, want,
                    "{} {:?}: {label} differs from {first_label}",
                    case.name, case.args
                );
                assert_eq!(
                    &files, want_files,
                    "{} {:?}: files left by {label} differ from {first_label}'s",
                    case.name, case.args
                );
            }
        }
    }
    let (_, run, _) = first.unwrap();
    if case.name != "exit" {
        assert_eq!(run.status, Ok(ExitStatus(0)), "{}: {run:?}", case.name);
    }
}

fn set(case: &Case, sandbox: Option<&Path>, c: &mut WasiConfig) {
    configure(c, case.args, case.env, &case.stdin);
    if let (Some((guest, perms)), Some(host)) = (case.dir, sandbox) {
        c.preopen_dir(host, guest, perms);
    }
}

/// Traps read differently through each host (wasmtime-wasi's messages carry
/// a wasm backtrace): compare the trap, not its wording.
fn normalized(mut run: Run) -> Run {
    if let Err(e) = &run.status {
        run.status = Err(if e.contains("unreachable") {
            "trap: unreachable".into()
        } else {
            e.clone()
        });
    }
    run
}

#[test]
fn preview_1_agrees_with_wasmtime_wasi() {
    let wasmi = Wasmi::new(&Config::new()).unwrap();
    let wasmtime = Wasmtime::new(&Config::new()).unwrap();
    let ours_wasmi = |case: &Case, dir: Option<&Path>| {
        normalized(run_p1_with(&wasmi, case.name, |c| set(case, dir, c)))
    };
    let ours_wasmtime = |case: &Case, dir: Option<&Path>| {
        normalized(run_p1_with(&wasmtime, case.name, |c| set(case, dir, c)))
    };
    let wasmtime_wasi = |case: &Case, dir: Option<&Path>| {
        normalized(run_p1_with(&wasmtime, case.name, |c| {
            set(case, dir, c);
            c.wasi_host(WasiHost::Engine);
        }))
    };
    for case in cases() {
        agree(
            &case,
            &[
                ("wasm-run's WASI on wasmi", &ours_wasmi),
                ("wasm-run's WASI on wasmtime", &ours_wasmtime),
                ("wasmtime-wasi p1", &wasmtime_wasi),
            ],
        );
    }
}

#[test]
fn preview_2_agrees_with_wasmtime_wasi() {
    let wasmi = Wasmi::new(&Config::new()).unwrap();
    let wasmtime = Wasmtime::new(&Config::new()).unwrap();
    let ours_wasmi = |case: &Case, dir: Option<&Path>| {
        normalized(run_p2_with(&wasmi, case.name, |c| set(case, dir, c)))
    };
    let ours_wasmtime = |case: &Case, dir: Option<&Path>| {
        normalized(run_p2_with(&wasmtime, case.name, |c| set(case, dir, c)))
    };
    let reference = |case: &Case, dir: Option<&Path>| normalized(wasmtime_wasi_p2(case, dir));
    for case in cases() {
        agree(
            &case,
            &[
                ("wasm-run's WASI on wasmi", &ours_wasmi),
                ("wasm-run's WASI on wasmtime", &ours_wasmtime),
                ("wasmtime-wasi p2", &reference),
            ],
        );
    }
}

// ------------------------------------------------ wasmtime-wasi preview 2

/// The case's randomness and clocks, as `configure` sets them for
/// wasm-run, for wasmtime-wasi's builder.
struct Bytes(SeededRandom);

impl rand_core::TryRng for Bytes {
    type Error = std::convert::Infallible;
    // wasmtime-wasi draws random bytes one `next_u32` each (its low byte):
    // hand out the seeded stream byte by byte, as wasm-run fills buffers.
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8];
        self.0.fill(&mut b).unwrap();
        Ok(u32::from(b[0]))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b).unwrap();
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).unwrap();
        Ok(())
    }
}

struct Wall(Arc<dyn WallClock>);
impl wasmtime_wasi::HostWallClock for Wall {
    fn resolution(&self) -> Duration {
        self.0.resolution()
    }
    fn now(&self) -> Duration {
        self.0.now()
    }
}

struct Mono(Arc<dyn MonotonicClock>);
impl wasmtime_wasi::HostMonotonicClock for Mono {
    fn resolution(&self) -> u64 {
        self.0.resolution().as_nanos() as u64
    }
    fn now(&self) -> u64 {
        self.0.now().as_nanos() as u64
    }
}

struct State {
    ctx: wasmtime_wasi::WasiCtx,
    table: wasmtime::component::ResourceTable,
}

impl wasmtime_wasi::WasiView for State {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The component of `case` on wasmtime-wasi's preview 2 host, configured as
/// `configure` configures wasm-run.
fn wasmtime_wasi_p2(case: &Case, sandbox: Option<&Path>) -> Run {
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::new(&engine, fixture(case.name)).unwrap();
    let mut linker = wasmtime::component::Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let (out, err) = (
        MemoryOutputPipe::new(1 << 24),
        MemoryOutputPipe::new(1 << 24),
    );
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    b.args(case.args)
        .envs(case.env)
        .stdin(MemoryInputPipe::new(case.stdin.clone()))
        .stdout(out.clone())
        .stderr(err.clone())
        .wall_clock(Wall(Arc::new(DeterministicClock::fixed(Duration::new(
            1_700_000_000,
            5,
        )))))
        .monotonic_clock(Mono(Arc::new(DeterministicClock::new(
            Duration::from_secs(5),
            Duration::from_millis(1),
        ))))
        .secure_random(Bytes(SeededRandom::new(7)));
    if let (Some((guest, perms)), Some(host)) = (case.dir, sandbox) {
        let perms = match perms {
            DirPerms::ReadOnly => wasmtime_wasi::FsPerms::ReadOnly,
            _ => wasmtime_wasi::FsPerms::ReadWrite,
        };
        b.preopened_dir(host, guest, perms).unwrap();
    }
    let state = State {
        ctx: b.build(),
        table: Default::default(),
    };
    let mut store = wasmtime::Store::new(&engine, state);
    let command =
        wasmtime_wasi::p2::bindings::sync::Command::instantiate(&mut store, &component, &linker)
            .unwrap();
    let status = match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => Ok(ExitStatus(0)),
        Ok(Err(())) => Ok(ExitStatus(1)),
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => Ok(ExitStatus(exit.0)),
            None => Err(format!("{e:?}")),
        },
    };
    let text = |p: &MemoryOutputPipe| String::from_utf8_lossy(&p.contents()).into_owned();
    Run {
        status,
        stdout: text(&out),
        stderr: text(&err),
    }
}
