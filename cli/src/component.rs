//! `run` of a component: `--invoke 'name(arg, ...)'` with WAVE arguments
//! parsed by the function's parameter types, the result printed in WAVE, as
//! `wasmtime run --invoke` does for components.

use crate::controls::{Controls, interrupt_on_ctrl_c};
use crate::run::exit_code;
use crate::{Failure, fail};
use wasm_run::component::{Component, Linker, Type, Val};
use wasm_run::wasi::{self, ExitStatus, WasiCtx};
use wasm_run::{AnyEngine, Error, Store};

/// Splits `name(args)` (or a bare `name`) into the name and the argument
/// text (`()` for a bare name).
fn split_call(invoke: &str) -> Result<(&str, String), Failure> {
    let invoke = invoke.trim();
    match invoke.find('(') {
        None => Ok((invoke, "()".into())),
        Some(open) if invoke.ends_with(')') => {
            Ok((invoke[..open].trim(), invoke[open..].to_string()))
        }
        Some(_) => Err(fail(format!(
            "--invoke `{invoke}`: expected NAME(ARG, ...) with the arguments in WAVE"
        ))),
    }
}

/// Instantiates `bytes` (a component, or a core module carrying its WIT
/// world, whose WASI preview 1 imports get `ctx`) and calls `--invoke`'s
/// export. Returns the process exit code.
pub(crate) fn run(
    engine: &AnyEngine,
    bytes: &[u8],
    ctx: WasiCtx<AnyEngine>,
    invoke: Option<&str>,
    args: &[String],
    controls: &Controls,
) -> Result<u8, Failure> {
    let component = Component::new(engine, bytes)?;
    let Some(invoke) = invoke else {
        return Err(fail(
            "running a component needs --invoke 'NAME(ARGS)' (components as WASI \
             preview 2 commands are not supported yet)",
        ));
    };
    if !args.is_empty() {
        return Err(fail(
            "a component's arguments go inside --invoke 'NAME(ARG, ...)', in WAVE",
        ));
    }
    let (name, arg_text) = split_call(invoke)?;
    let mut store = Store::new(engine, ctx);
    if let Some(fuel) = controls.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(timeout) = controls.timeout {
        store.set_deadline(timeout)?;
    }
    interrupt_on_ctrl_c(store.interrupt_handle());
    let mut linker = Linker::new(engine);
    wasi::add_to_linker(linker.core())?;
    let instance = match linker.instantiate(&mut store, &component) {
        Err(Error::Exit(code)) => return Ok(exit_code(ExitStatus(code))),
        other => other?,
    };
    let func = instance
        .get_func(name)
        .ok_or_else(|| fail(format!("the component exports no function `{name}`")))?;
    let params = Type::Tuple(func.ty().params().iter().map(|(_, t)| t.clone()).collect());
    let Val::Tuple(values) = Val::parse(&params, &arg_text).map_err(|e| {
        fail(format!(
            "--invoke `{invoke}`: arguments for {}: {e}",
            func.ty()
        ))
    })?
    else {
        return Err(fail("the arguments did not parse as a tuple"));
    };
    let mut results = vec![Val::Bool(false); usize::from(func.ty().result().is_some())];
    match func.call(&mut store, &values, &mut results) {
        Err(Error::Exit(code)) => return Ok(exit_code(ExitStatus(code))),
        other => other?,
    }
    for r in results {
        println!("{r}");
    }
    Ok(0)
}
