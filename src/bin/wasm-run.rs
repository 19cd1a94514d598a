//! The `wasm-run` command-line tool: inspect modules, call their functions on
//! any backend, and list what each backend supports.

use clap::{Parser, Subcommand};
use serde_json::{Value as Json, json};
use std::process::ExitCode;
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
    /// Call an exported function (or `_start`) and print its results, one per line.
    Run {
        /// Backend to use (default: the first compiled in, wasmtime if present).
        #[arg(long)]
        engine: Option<String>,
        /// Enable fuel metering with this much fuel.
        #[arg(long)]
        fuel: Option<u64>,
        /// The exported function to call (default: `_start`).
        #[arg(long)]
        invoke: Option<String>,
        /// A .wasm or .wat file.
        file: String,
        /// Arguments, parsed by the function's parameter types.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
    },
    /// List the WebAssembly features of each backend.
    Features {
        /// Only this backend.
        #[arg(long)]
        engine: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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
        Command::Run {
            engine,
            fuel,
            invoke,
            file,
            args,
        } => run(engine.as_deref(), fuel, invoke.as_deref(), &file, &args),
        Command::Features { engine, json } => features(engine.as_deref(), json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message.lines().next().unwrap_or_default());
            ExitCode::from(f.code)
        }
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

fn run(
    engine_name: Option<&str>,
    fuel: Option<u64>,
    invoke: Option<&str>,
    file: &str,
    args: &[String],
) -> Result<(), Failure> {
    let mut config = Config::new();
    config.fuel(fuel.is_some());
    let engine = engine(engine_name, &config)?;
    let module = Module::from_file(&engine, file)?;
    if let Some(import) = module.imports().first() {
        return Err(fail(format!(
            "module imports `{}::{}` ({}); `wasm-run run` provides no imports yet",
            import.module, import.name, import.ty
        )));
    }
    let mut store = Store::new(&engine, ());
    if let Some(fuel) = fuel {
        store.set_fuel(fuel)?;
    }
    let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
    let name = invoke.unwrap_or("_start");
    let func = match instance.get_func(&mut store, name) {
        Ok(f) => f,
        Err(_) if invoke.is_none() => {
            return Err(fail("no --invoke given and the module exports no `_start`"));
        }
        Err(e) => return Err(e.into()),
    };
    let ty = func.ty(&store);
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
    func.call(&mut store, &params, &mut results)?;
    for r in &results {
        println!("{r}");
    }
    Ok(())
}

fn support_word(s: Support, enabled: bool) -> &'static str {
    match (s, enabled) {
        (Support::Unsupported, _) => "unsupported",
        (_, true) => "enabled",
        (_, false) => "opt-in",
    }
}

fn features(engine_name: Option<&str>, as_json: bool) -> Result<(), Failure> {
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
