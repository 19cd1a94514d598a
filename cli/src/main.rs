//! The `wasm-run` command-line tool: run WASI programs and call module
//! functions on any backend, inspect, validate, print and parse modules, run
//! `.wast` scripts, and list what each backend supports.

mod component;
mod controls;
mod matrix;
mod parallel;
mod run;
mod tools;

use clap::{Parser, Subcommand};
use serde_json::{Value as Json, json};
use std::path::PathBuf;
use std::process::ExitCode;
use wasm_run::wasi::WasiError;
use wasm_run::{AnyEngine, Config, Engine, Error, ExternType, Feature, Module, Support, ValType};

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
    Run(run::RunOptions),
    /// Validate a module (.wasm or .wat): exit 0 when the engine accepts it,
    /// 1 with the error and its byte offset when it does not.
    Validate {
        /// A .wasm or .wat file.
        file: PathBuf,
        #[command(flatten)]
        backend: BackendOptions,
        /// For a component: also refuse what wasmtime 48 refuses to load
        /// although the component model allows it (root-level component
        /// imports and exports, root exports of imported functions).
        #[arg(long)]
        wasmtime_restrictions: bool,
    },
    /// Print a module (.wasm or .wat) as WebAssembly text.
    Print {
        /// A .wasm or .wat file.
        file: PathBuf,
        /// Write here instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Translate WebAssembly text to a binary module.
    Parse {
        /// A .wat file.
        file: PathBuf,
        /// The .wasm file to write (`-` for stdout).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// List the WebAssembly features of each backend.
    Features {
        /// Only this backend.
        #[arg(long)]
        engine: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The measured feature matrix (probe modules and the related spec
        /// files on each backend) instead of what backends claim: the
        /// markdown of docs/FEATURES.md, as committed (a build with the
        /// `measure` feature measures it now).
        #[arg(long)]
        matrix: bool,
    },
    /// Run WebAssembly spec-test scripts (.wast files, or directories searched
    /// for them) and print per-file results, each failure, and a summary line.
    Spec {
        #[command(flatten)]
        backend: BackendOptions,
        /// .wast files or directories.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
}

/// The backend and feature switches of `validate` and `spec`.
#[derive(clap::Args)]
struct BackendOptions {
    /// Backend to use (default: the first compiled in, wasmtime if present).
    #[arg(long)]
    engine: Option<String>,
    /// Enable a feature (proposal) on top of the backend's defaults (for
    /// `spec`: of each file's profile). Repeatable.
    #[arg(long, value_name = "FEATURE")]
    enable: Vec<String>,
    /// Disable a feature. Repeatable.
    #[arg(long, value_name = "FEATURE")]
    disable: Vec<String>,
}

/// A failure with the process exit code it maps to.
pub(crate) struct Failure {
    message: String,
    code: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // Like `wasmtime run` on Unix, a trap exits as an abort would (128 + 6);
        // an interrupt (Ctrl-C) as a SIGINT would (128 + 2).
        let code = match e.trap_code() {
            Some(wasm_run::TrapCode::Interrupt) => 130,
            Some(_) => 134,
            None => 1,
        };
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

pub(crate) fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { file, json } => inspect(&file, json),
        Command::Validate {
            file,
            backend,
            wasmtime_restrictions,
        } => tools::config_with(&backend.enable, &backend.disable).and_then(|mut c| {
            c.component_model_wasmtime_restrictions(wasmtime_restrictions);
            tools::validate(&file, backend.engine.as_deref(), &c)
        }),
        Command::Print { file, output } => tools::print(&file, output.as_deref()),
        Command::Parse { file, output } => tools::parse(&file, &output),
        Command::Run(options) => {
            return match run::run(&options) {
                Ok(code) => ExitCode::from(code),
                Err(f) => f.exit(),
            };
        }
        Command::Features {
            engine,
            json,
            matrix,
        } => features(engine.as_deref(), json, matrix),
        Command::Spec { backend, paths } => spec(
            backend.engine.as_deref(),
            &backend.enable,
            &backend.disable,
            &paths,
        ),
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

pub(crate) fn engine(name: Option<&str>, config: &Config) -> Result<AnyEngine, Failure> {
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
    let bytes = tools::read_binary(std::path::Path::new(file))?;
    // A core module that carries its WIT world is described by its world,
    // as the component it is loaded as.
    if wasm_run::component::is_component(&bytes) || wasm_run::component::embeds_world(&bytes) {
        return inspect_component(&engine, &bytes, as_json);
    }
    let module = Module::new(&engine, &bytes)?;
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

/// `inspect` of a component: its world as WIT, or as JSON (each import and
/// export with its kind and WIT type, and the whole world as WIT text).
fn inspect_component(engine: &AnyEngine, bytes: &[u8], as_json: bool) -> Result<(), Failure> {
    use wasm_run::component::{Component, ItemType};
    let component = Component::new(engine, bytes)?;
    let world = component.world();
    if !as_json {
        print!("{world}");
        return Ok(());
    }
    fn item(name: &str, ty: &ItemType) -> Json {
        match ty {
            ItemType::Func(f) => json!({"name": name, "kind": "func", "type": f.to_string()}),
            ItemType::Instance(items) => json!({
                "name": name, "kind": "instance",
                "exports": items.iter().map(|(n, t)| item(n, t)).collect::<Vec<_>>(),
            }),
            ItemType::Type(wasm_run::component::TypeDef::Value(t)) => {
                json!({"name": name, "kind": "type", "type": t.to_string()})
            }
            ItemType::Type(wasm_run::component::TypeDef::Resource(_)) => {
                json!({"name": name, "kind": "resource"})
            }
            ItemType::Module(_) => json!({"name": name, "kind": "module"}),
            ItemType::Component => json!({"name": name, "kind": "component"}),
            ItemType::Value(t) => json!({"name": name, "kind": "value", "type": t.to_string()}),
            _ => json!({"name": name, "kind": "type"}),
        }
    }
    let doc = json!({
        "kind": "component",
        "imports": world.imports().iter().map(|(n, t)| item(n, t)).collect::<Vec<_>>(),
        "exports": world.exports().iter().map(|(n, t)| item(n, t)).collect::<Vec<_>>(),
        "wit": world.to_string(),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&doc).map_err(|e| fail(e.to_string()))?
    );
    Ok(())
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
        return matrix::print(engine_name, as_json);
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

/// Stack of the `spec` runner thread: wasmi's dispatch can grow the host
/// stack with every executed instruction.
const SPEC_STACK: usize = 512 << 20;

/// `spec`: runs .wast scripts and prints `PASS|FAIL|SKIP path (...)` per file,
/// `path:line: directive: reason` per failure and `N passed, N failed, N
/// skipped` (files) at the end; fails when a file failed.
fn spec(
    engine_name: Option<&str>,
    enable: &[String],
    disable: &[String],
    paths: &[std::path::PathBuf],
) -> Result<(), Failure> {
    use wasm_run_wast::files::{Totals, collect, file_lines, run_file};
    let name = engine_name.unwrap_or(AnyEngine::DEFAULT).to_string();
    engine(Some(&name), &Config::new())?;
    let extra = tools::feature_switches(enable, disable)?;
    let files = collect(paths).map_err(|e| fail(e.to_string()))?;
    if files.is_empty() {
        return Err(fail("no .wast files found"));
    }
    // Scripts may loop long; wasmi's interpreter can need a deep host stack.
    let totals = std::thread::Builder::new()
        .stack_size(SPEC_STACK)
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
