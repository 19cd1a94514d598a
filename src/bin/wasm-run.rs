//! The `wasm-run` command-line tool: run WASI programs and call module
//! functions on any backend, inspect modules, and list what each backend
//! supports.

#[path = "wasm-run/parallel.rs"]
mod parallel;

use clap::{Parser, Subcommand};
use serde_json::{Value as Json, json};
use std::process::ExitCode;
use wasm_run::wasi::{self, DirPerms, ExitStatus, ProgramKind, WasiConfig, WasiCtx, WasiError};
use wasm_run::{
    AnyEngine, Config, Engine, Error, ExternType, Feature, Linker, Module, Store, Support, Val,
    ValType,
};

#[derive(Parser)]
#[command(
    name = "wasm-run",
    version,
    about = "Run and inspect WebAssembly modules on wasmtime or wasmi"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a module's imports and exports with their types.
    Inspect {
        /// A .wasm or .wat file.
        file: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a WASI program (its `_start`) with the terminal's stdio and exit with
    /// its exit code, or call an export with --invoke and print its results.
    Run(RunOptions),
    /// List the WebAssembly features of each backend.
    Features {
        /// Only this backend.
        #[arg(long)]
        engine: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Measure the feature matrix (probe modules and the related spec
        /// files on each backend) instead of listing what backends claim;
        /// prints the markdown of docs/FEATURES.md.
        #[arg(long)]
        matrix: bool,
    },
    /// Run WebAssembly spec-test scripts (.wast files, or directories searched
    /// for them) and print per-file results, each failure, and a summary line.
    Spec {
        /// Backend to use (default: the first compiled in, wasmtime if present).
        #[arg(long)]
        engine: Option<String>,
        /// Enable a feature on top of each file's profile. Repeatable.
        #[arg(long, value_name = "FEATURE")]
        enable: Vec<String>,
        /// Disable a feature. Repeatable.
        #[arg(long, value_name = "FEATURE")]
        disable: Vec<String>,
        /// .wast files or directories.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
}

/// A failure with the process exit code it maps to.
struct Failure {
    message: String,
    code: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // Like `wasmtime run` on Unix, a trap exits as an abort would (128 + 6).
        let code = if e.trap_code().is_some() { 134 } else { 1 };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

impl From<WasiError> for Failure {
    fn from(e: WasiError) -> Self {
        match e {
            WasiError::Wasm(e) => e.into(),
            other => fail(other.to_string()),
        }
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { file, json } => inspect(&file, json),
        Command::Run(options) => {
            return match run(&options) {
                Ok(code) => ExitCode::from(code),
                Err(f) => f.exit(),
            };
        }
        Command::Features {
            engine,
            json,
            matrix,
        } => features(engine.as_deref(), json, matrix),
        Command::Spec {
            engine,
            enable,
            disable,
            paths,
        } => spec(engine.as_deref(), &enable, &disable, &paths),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.exit(),
    }
}

impl Failure {
    /// Reports the failure in one line and gives the process exit code.
    fn exit(self) -> ExitCode {
        eprintln!("error: {}", self.message.lines().next().unwrap_or_default());
        ExitCode::from(self.code)
    }
}

fn engine(name: Option<&str>, config: &Config) -> Result<AnyEngine, Failure> {
    Ok(AnyEngine::by_name(
        name.unwrap_or(AnyEngine::DEFAULT),
        config,
    )?)
}

fn extern_json(ty: &ExternType) -> Json {
    let vals = |tys: &[ValType]| tys.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    match ty {
        ExternType::Func(f) => {
            json!({"kind": "func", "params": vals(f.params()), "results": vals(f.results())})
        }
        ExternType::Memory(m) => json!({
            "kind": "memory", "minimum": m.minimum, "maximum": m.maximum, "shared": m.shared,
            "memory64": m.memory64, "page_size": m.page_size(),
        }),
        ExternType::Table(t) => json!({
            "kind": "table", "element": ValType::Ref(t.element).to_string(), "minimum": t.minimum,
            "maximum": t.maximum, "table64": t.table64,
        }),
        ExternType::Global(g) => json!({
            "kind": "global", "type": g.content.to_string(),
            "mutable": g.mutability == wasm_run::Mutability::Var,
        }),
        ExternType::Tag(t) => json!({"kind": "tag", "params": vals(t.ty.params())}),
    }
}

fn inspect(file: &str, as_json: bool) -> Result<(), Failure> {
    // Reflection does not depend on the backend; use the most permissive one so
    // that any valid module can be described.
    let engine = engine(None, &Config::new())?;
    let module = Module::from_file(&engine, file)?;
    if as_json {
        let imports: Vec<Json> = module
            .imports()
            .iter()
            .map(|i| json!({"module": i.module, "name": i.name, "type": extern_json(&i.ty)}))
            .collect();
        let exports: Vec<Json> = module
            .exports()
            .iter()
            .map(|e| json!({"name": e.name, "type": extern_json(&e.ty)}))
            .collect();
        let doc = json!({"name": module.name(), "imports": imports, "exports": exports});
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| fail(e.to_string()))?
        );
    } else {
        println!("module {}", module.name().unwrap_or("<unnamed>"));
        println!("imports ({}):", module.imports().len());
        for i in module.imports() {
            println!("  {}::{}: {}", i.module, i.name, i.ty);
        }
        println!("exports ({}):", module.exports().len());
        for e in module.exports() {
            println!("  {}: {}", e.name, e.ty);
        }
    }
    Ok(())
}

fn parse_arg(text: &str, ty: &ValType) -> Result<Val<AnyEngine>, Failure> {
    let bad = || fail(format!("cannot parse `{text}` as {ty}"));
    fn int<T: std::str::FromStr>(t: &str) -> Option<T> {
        t.parse().ok()
    }
    Ok(match ty {
        // Integers accept the signed range and, like `wasmtime run`, the
        // unsigned one too.
        ValType::I32 => Val::I32(
            int::<i32>(text)
                .or_else(|| int::<u32>(text).map(|v| v as i32))
                .ok_or_else(bad)?,
        ),
        ValType::I64 => Val::I64(
            int::<i64>(text)
                .or_else(|| int::<u64>(text).map(|v| v as i64))
                .ok_or_else(bad)?,
        ),
        ValType::F32 => Val::f32(text.parse().map_err(|_| bad())?),
        ValType::F64 => Val::f64(text.parse().map_err(|_| bad())?),
        ValType::V128 => {
            let hex = text.strip_prefix("0x").ok_or_else(bad)?;
            Val::V128(wasm_run::V128(
                u128::from_str_radix(hex, 16).map_err(|_| bad())?,
            ))
        }
        ValType::Ref(_) => {
            return Err(fail(format!(
                "cannot pass a {ty} argument from the command line"
            )));
        }
    })
}

/// The options of `wasm-run run`.
#[derive(clap::Args)]
struct RunOptions {
    /// Backend to use (default: the first compiled in, wasmtime if present).
    #[arg(long)]
    engine: Option<String>,
    /// Give the program a host directory (read-write), under the guest
    /// path GUEST (default: HOST as written). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set an environment variable of the program. Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    envs: Vec<String>,
    /// Enable fuel metering with this much fuel.
    #[arg(long)]
    fuel: Option<u64>,
    /// Call this export (after `_initialize`, for WASI reactors) instead of
    /// running `_start`, and print its results, one per line.
    #[arg(long)]
    invoke: Option<String>,
    /// With --invoke: call the export once per line of ARGS_FILE (`-` for
    /// stdin; arguments separated by whitespace, `#` starts a comment line),
    /// in parallel on a rayon pool (RAYON_NUM_THREADS threads, default one
    /// per core), and print one line per call in input order: its results
    /// separated by spaces, or `error: ...`. Exits with 1 if any call failed.
    /// The module may import shared memories (one is shared by all calls),
    /// nothing else; --fuel is then per call.
    #[arg(long, value_name = "ARGS_FILE", requires = "invoke", conflicts_with_all = ["dirs", "envs", "args"])]
    parallel: Option<String>,
    /// A .wasm or .wat file.
    file: String,
    /// The program's arguments; with --invoke, the function's arguments,
    /// parsed by its parameter types.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// The process exit code for a program's exit status (WASI allows 0..126).
fn exit_code(status: ExitStatus) -> u8 {
    u8::try_from(status.code()).unwrap_or(1)
}

/// Runs a module as `wasmtime run` does: WASI with the terminal's stdio, the
/// given directories and environment; `_start`, or `--invoke`'s function.
/// Returns the process exit code.
fn run(o: &RunOptions) -> Result<u8, Failure> {
    let mut config = Config::new();
    config.fuel(o.fuel.is_some());
    let engine = engine(o.engine.as_deref(), &config)?;
    if let (Some(args_file), Some(func)) = (&o.parallel, &o.invoke) {
        return parallel::run(&engine, &o.file, func, args_file, o.fuel);
    }
    let module = Module::from_file(&engine, &o.file)?;

    let mut wasi_config = WasiConfig::new();
    wasi_config.inherit_stdio().arg(&o.file);
    if o.invoke.is_none() {
        wasi_config.args(&o.args);
    }
    for entry in &o.envs {
        wasi_config.env_entry(entry);
    }
    for dir in &o.dirs {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        wasi_config.preopen_dir(host, guest, DirPerms::ReadWrite);
    }
    // Every configuration and module error is reported here, before the
    // program starts.
    let ctx = WasiCtx::new(&engine, &wasi_config)?;
    let mut store = Store::new(&engine, ctx);
    if let Some(fuel) = o.fuel {
        store.set_fuel(fuel)?;
    }
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker)?;
    let instance = match or_exit(wasi::instantiate(&linker, &mut store, &module))? {
        Ok(instance) => instance,
        Err(code) => return Ok(code),
    };
    let Some(name) = o.invoke.as_deref() else {
        if ProgramKind::of(&module) != ProgramKind::Command {
            return Err(fail("no --invoke given and the module exports no `_start`"));
        }
        return Ok(exit_code(wasi::run_start(&mut store, &instance)?));
    };
    if let Err(code) = or_exit(wasi::initialize(&mut store, &instance))? {
        return Ok(code);
    }
    invoke(&mut store, &instance, name, &o.args)
}

/// A `proc_exit` (during instantiation or initialisation) is not a failure:
/// it ends the process with the program's code, given as `Ok(Err(code))`.
fn or_exit<T>(result: Result<T, WasiError>) -> Result<Result<T, u8>, Failure> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(WasiError::Wasm(Error::Exit(code))) => Ok(Err(exit_code(ExitStatus(code)))),
        Err(e) => Err(e.into()),
    }
}

/// Calls `name` with `args` parsed by its parameter types and prints the
/// results; a `proc_exit` inside ends the process with its code.
fn invoke<T>(
    store: &mut Store<AnyEngine, T>,
    instance: &wasm_run::Instance<AnyEngine>,
    name: &str,
    args: &[String],
) -> Result<u8, Failure> {
    let func = instance.get_func(&mut *store, name)?;
    let ty = func.ty(&*store);
    if ty.params().len() != args.len() {
        return Err(fail(format!(
            "`{name}` takes {} argument(s) ({}), {} given",
            ty.params().len(),
            ty,
            args.len()
        )));
    }
    let params = args
        .iter()
        .zip(ty.params())
        .map(|(a, t)| parse_arg(a, t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = vec![Val::I32(0); ty.results().len()];
    match func.call(&mut *store, &params, &mut results) {
        Ok(()) => {}
        Err(Error::Exit(code)) => return Ok(exit_code(ExitStatus(code))),
        Err(e) => return Err(e.into()),
    }
    for r in &results {
        println!("{r}");
    }
    Ok(0)
}

fn support_word(s: Support, enabled: bool) -> &'static str {
    match (s, enabled) {
        (Support::Unsupported, _) => "unsupported",
        (_, true) => "enabled",
        (_, false) => "opt-in",
    }
}

fn features(engine_name: Option<&str>, as_json: bool, matrix: bool) -> Result<(), Failure> {
    if matrix {
        return features_matrix(engine_name, as_json);
    }
    let names: Vec<&str> = match engine_name {
        Some(n) => vec![n],
        None => wasm_run::BACKENDS.to_vec(),
    };
    let engines = names
        .iter()
        .map(|n| engine(Some(n), &Config::new()))
        .collect::<Result<Vec<_>, _>>()?;
    if as_json {
        let mut doc = serde_json::Map::new();
        for e in &engines {
            let mut m = serde_json::Map::new();
            for &f in Feature::ALL {
                m.insert(
                    f.name().into(),
                    json!(support_word(e.support(f), e.features().contains(f))),
                );
            }
            doc.insert(
                e.name().into(),
                json!({"version": e.version(), "features": m}),
            );
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&Json::Object(doc)).map_err(|e| fail(e.to_string()))?
        );
    } else {
        print!("{:<24}", "feature");
        for e in &engines {
            print!(" {:<14}", format!("{} {}", e.name(), e.version()));
        }
        println!();
        for &f in Feature::ALL {
            print!("{:<24}", f.name());
            for e in &engines {
                print!(
                    " {:<14}",
                    support_word(e.support(f), e.features().contains(f))
                );
            }
            println!();
        }
    }
    Ok(())
}

/// `features --matrix`: measures every backend (or one) and prints the
/// markdown of docs/FEATURES.md, or its JSON.
fn features_matrix(engine_name: Option<&str>, as_json: bool) -> Result<(), Failure> {
    use wasm_run_conformance::matrix::{Hooks, measure_backends};
    let names: Vec<&'static str> = match engine_name {
        Some(n) => match wasm_run::BACKENDS.iter().find(|b| **b == n) {
            Some(b) => vec![*b],
            None => {
                // The facade's own error for an unknown name.
                engine(Some(n), &Config::new())?;
                return Err(fail(format!("unknown engine `{n}`")));
            }
        },
        None => wasm_run::BACKENDS.to_vec(),
    };
    let matrix = measure_backends(&names, AnyEngine::by_name, Hooks::with_wasi())?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&matrix.to_json()).map_err(|e| fail(e.to_string()))?
        );
    } else {
        print!("{}", matrix.to_markdown());
    }
    Ok(())
}

/// `spec`: runs .wast scripts and prints `PASS|FAIL|SKIP path (...)` per file,
/// `path:line: directive: reason` per failure and `N passed, N failed, N
/// skipped` (files) at the end; fails when a file failed.
fn spec(
    engine_name: Option<&str>,
    enable: &[String],
    disable: &[String],
    paths: &[std::path::PathBuf],
) -> Result<(), Failure> {
    use wasm_run_conformance::files::{Totals, collect, file_lines, run_file};
    let name = engine_name.unwrap_or(AnyEngine::DEFAULT).to_string();
    engine(Some(&name), &Config::new())?;
    let mut extra = Vec::new();
    for (names, on) in [(enable, true), (disable, false)] {
        for n in names {
            let f: Feature = n
                .parse()
                .map_err(|e: wasm_run::UnknownFeature| fail(e.to_string()))?;
            extra.push((f, on));
        }
    }
    let files = collect(paths).map_err(|e| fail(e.to_string()))?;
    if files.is_empty() {
        return Err(fail("no .wast files found"));
    }
    // Scripts may loop long; wasmi's interpreter can need a deep host stack.
    let totals = std::thread::Builder::new()
        .stack_size(wasm_run_conformance::matrix::SUITE_STACK)
        .spawn(move || {
            let make = |c: &Config| AnyEngine::by_name(&name, c);
            let mut totals = Totals::default();
            for file in &files {
                let report = run_file(&make, file, &extra);
                for line in file_lines(&report) {
                    println!("{line}");
                }
                totals.add(&report);
            }
            totals
        })
        .map_err(|e| fail(format!("cannot start the runner thread: {e}")))?
        .join()
        .map_err(|_| fail("the runner thread panicked"))?;
    println!("{totals}");
    if totals.failed > 0 {
        return Err(fail(format!("{} file(s) failed", totals.failed)));
    }
    Ok(())
}
