//! `wasm-run run`: WASI programs like `wasmtime run`, `--invoke` of one
//! export, preloaded modules and the policy for imports nothing provides.

use crate::controls::{Controls, UnknownImports, interrupt_on_ctrl_c, load_module};
use crate::{Failure, fail, parallel};
use wasm_run::wasi::{
    self, DirPerms, ExitStatus, ProgramKind, WasiConfig, WasiCtx, WasiError, WasiHost,
};
use wasm_run::{AnyEngine, Error, Linker, Module, Store, Val, ValType};

/// The options of `wasm-run run`.
#[derive(clap::Args)]
pub(crate) struct RunOptions {
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
    /// Stop the guest after this much wall-clock time (e.g. `500ms`, `2s`,
    /// `1m`): it fails with a `deadline` error and exits like a trap. With
    /// --parallel, per call.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
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
    #[arg(long, value_name = "ARGS_FILE", requires = "invoke", conflicts_with_all = ["dirs", "envs", "args", "preloads"])]
    parallel: Option<String>,
    /// Instantiate FILE first (with WASI available to it) and satisfy the
    /// main module's imports from module NAME with its exports, as
    /// `wasmtime run --preload` does. Repeatable; later preloads may import
    /// from earlier ones.
    #[arg(long = "preload", value_name = "NAME=FILE")]
    preloads: Vec<String>,
    /// Compile every time instead of keeping compiled modules in the cache
    /// (`$WASM_RUN_CACHE_DIR`, else `$XDG_CACHE_HOME/wasm-run`, else
    /// `~/.cache/wasm-run`; wasmtime only).
    #[arg(long)]
    no_cache: bool,
    /// Options in wasmtime's `-W KEY=VALUE` form (repeatable):
    /// `timeout=DURATION` (as --timeout), `fuel=N` (as --fuel),
    /// `max-memory-size=BYTES` (largest size of any memory, e.g. `64MiB`),
    /// `max-wasm-stack=BYTES`, `interruptible=n` (Ctrl-C ends the process
    /// instead of interrupting the guest; saves the cost of interrupt
    /// checks), `unknown-imports-trap=y` (every function
    /// import nothing provides traps when called) and
    /// `unknown-imports-default=y` (it returns zeros / null references).
    /// Other imports nothing provides stay a link error.
    #[arg(short = 'W', value_name = "KEY=VALUE")]
    wasm_options: Vec<String>,
    /// A .wasm or .wat file.
    file: String,
    /// The program's arguments; with --invoke, the function's arguments,
    /// parsed by its parameter types.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// The bytes of `file` if it is a component (binary, or text that parses
/// to one); `None` for anything else, which the module path reads itself.
fn component_bytes(file: &str) -> Result<Option<Vec<u8>>, Failure> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let n = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    if head[..n].starts_with(b"\0asm") {
        let bytes = std::fs::read(file).map_err(|e| fail(format!("cannot read {file}: {e}")))?;
        // A component, or a core module carrying its WIT world.
        let component =
            wasm_run::component::is_component(&bytes) || wasm_run::component::embeds_world(&bytes);
        return Ok(component.then_some(bytes));
    }
    // Text: only a component's text is looked at here.
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    if !text.contains("(component") {
        return Ok(None);
    }
    match wat::parse_str(&text) {
        Ok(bytes) if wasm_run::component::is_component(&bytes) => Ok(Some(bytes)),
        _ => Ok(None),
    }
}

/// The process exit code for a program's exit status (WASI allows 0..126).
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    u8::try_from(status.code()).unwrap_or(1)
}

/// Runs a module as `wasmtime run` does: WASI with the terminal's stdio, the
/// given directories and environment; `_start`, or `--invoke`'s function.
/// Returns the process exit code.
pub(crate) fn run(o: &RunOptions) -> Result<u8, Failure> {
    let mut controls = Controls::parse(o.timeout.as_deref(), o.fuel, &o.wasm_options)?;
    let engine = controls.engine(o.engine.as_deref())?;
    if let (Some(args_file), Some(func)) = (&o.parallel, &o.invoke) {
        return parallel::run(&engine, &o.file, func, args_file, &controls);
    }
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
    if controls.engine_wasi {
        wasi_config.wasi_host(WasiHost::Engine);
    }
    if let Some(bytes) = component_bytes(&o.file)? {
        return crate::component::run(
            &engine,
            &bytes,
            &wasi_config,
            o.invoke.as_deref(),
            &o.args,
            &controls,
        );
    }
    let module = load_module(&engine, &o.file, !o.no_cache)?;
    // Every configuration and module error is reported here, before the
    // program starts.
    let ctx = WasiCtx::new(&engine, &wasi_config)?;
    let host = ctx.host();
    let mut store = Store::new(&engine, ctx);
    controls.limit_store(&mut store);
    if let Some(fuel) = controls.fuel {
        store.set_fuel(fuel)?;
    }
    // The deadline covers everything the guest runs: preloads, start
    // functions, `_initialize` and the program itself.
    if let Some(timeout) = controls.timeout {
        store.set_deadline(timeout)?;
    }
    interrupt_on_ctrl_c(store.interrupt_handle());
    let unknown = controls.unknown;
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker_for(&mut linker, host)?;
    for preload in &o.preloads {
        let Some((name, file)) = preload
            .split_once('=')
            .filter(|(n, f)| !n.is_empty() && !f.is_empty())
        else {
            return Err(fail(format!(
                "--preload expects NAME=FILE, got `{preload}`"
            )));
        };
        if let Err(code) = or_exit(load_preload(&mut linker, &mut store, name, file))? {
            return Ok(code);
        }
    }
    unknown.define(&mut linker, &module)?;
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

pub(crate) fn parse_arg(text: &str, ty: &ValType) -> Result<Val<AnyEngine>, Failure> {
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

impl UnknownImports {
    /// Defines, by this policy, every function import of `module` that the
    /// linker does not provide (WASI's own are defined before this runs).
    fn define<T: 'static>(
        self,
        linker: &mut Linker<AnyEngine, T>,
        module: &Module<AnyEngine>,
    ) -> Result<(), Failure> {
        match self {
            UnknownImports::Error => {}
            UnknownImports::Trap => {
                linker.define_unknown_imports_as_traps(module)?;
            }
            UnknownImports::Default => {
                linker
                    .define_unknown_imports_as_default_values(module)
                    .map_err(|e| fail(format!("-W unknown-imports-default: {e}")))?;
            }
        }
        Ok(())
    }
}

/// `--preload NAME=FILE`: instantiates FILE in `store` (WASI and earlier
/// preloads available to it) and defines its exports under NAME.
fn load_preload<T: 'static>(
    linker: &mut Linker<AnyEngine, T>,
    store: &mut Store<AnyEngine, T>,
    name: &str,
    file: &str,
) -> Result<(), WasiError> {
    let module = Module::from_file(store.engine(), file)?;
    let instance = linker.instantiate(store, &module)?;
    linker.instance(store, name, &instance)?;
    Ok(())
}
