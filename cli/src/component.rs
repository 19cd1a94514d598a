//! `run` of a component: a command component (`wasi:cli/run`) with WASI
//! preview 2, as `wasmtime run` runs it; or `--invoke 'name(arg, ...)'` with
//! WAVE arguments parsed by the function's parameter types, the result
//! printed in WAVE, as `wasmtime run --invoke` does for components.

use crate::controls::{Controls, interrupt_on_ctrl_c};
use crate::run::exit_code;
use crate::{Failure, fail};
use wasm_run::component::{Component, Instance, Linker, Type, Val};
use wasm_run::wasi::p2::{self, WasiP2};
use wasm_run::wasi::{self, ExitStatus, WasiConfig, WasiCtx, WasiHost};
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

/// The controls of the command line on a component's store.
fn controlled<T: 'static>(
    store: &mut Store<AnyEngine, T>,
    controls: &Controls,
) -> Result<(), Failure> {
    controls.limit_store(store);
    if let Some(fuel) = controls.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(timeout) = controls.timeout {
        store.set_deadline(timeout)?;
    }
    interrupt_on_ctrl_c(store.interrupt_handle());
    Ok(())
}

/// Runs `bytes`: a component binary with WASI preview 2 (as a command —
/// its `wasi:cli/run` — or `--invoke`'s export), or a core module carrying
/// its WIT world with WASI preview 1 (`--invoke`'s export). Returns the
/// process exit code.
pub(crate) fn run(
    engine: &AnyEngine,
    bytes: &[u8],
    wasi_config: &WasiConfig,
    invoke: Option<&str>,
    args: &[String],
    controls: &Controls,
) -> Result<u8, Failure> {
    let component = Component::new(engine, bytes)?;
    if invoke.is_some() && !args.is_empty() {
        return Err(fail(
            "a component's arguments go inside --invoke 'NAME(ARG, ...)', in WAVE",
        ));
    }
    if wasm_run::component::is_component(bytes) && wasi_config.host() == WasiHost::Engine {
        // The reference: wasmtime-wasi's preview 2 on wasmtime's component
        // model, in a store of its own (wasm-run's controls do not reach it).
        if invoke.is_some() || controls.fuel.is_some() || controls.timeout.is_some() {
            return Err(fail(
                "-W engine-wasi runs a command component's `wasi:cli/run` with wasmtime-wasi \
                 as it is: without --invoke, --fuel or --timeout",
            ));
        }
        return Ok(exit_code(p2::run_command(engine, &component, wasi_config)?));
    }
    if wasm_run::component::is_component(bytes) {
        let mut store = Store::new(engine, WasiP2::new(wasi_config)?);
        controlled(&mut store, controls)?;
        let mut linker = Linker::new(engine);
        p2::add_to_linker(&mut linker)?;
        let instance = match linker.instantiate(&mut store, &component) {
            Err(Error::Exit(code)) => return Ok(exit_code(ExitStatus(code))),
            other => other?,
        };
        return match invoke {
            Some(invoke) => call(&mut store, &instance, invoke),
            None => {
                if p2::command_export(&component).is_none() {
                    return Err(fail(
                        "the component exports no `wasi:cli/run` (it is not a command): \
                         call one of its functions with --invoke 'NAME(ARGS)'",
                    ));
                }
                Ok(exit_code(p2::call_run(&mut store, &component, &instance)?))
            }
        };
    }
    let Some(invoke) = invoke else {
        return Err(fail(
            "running a core module with a WIT world needs --invoke 'NAME(ARGS)' (it has no \
             `wasi:cli/run`)",
        ));
    };
    let ctx = WasiCtx::new(engine, wasi_config)?;
    let host = ctx.host();
    let mut store = Store::new(engine, ctx);
    controlled(&mut store, controls)?;
    let mut linker = Linker::new(engine);
    wasi::add_to_linker_for(linker.core(), host)?;
    let instance = match linker.instantiate(&mut store, &component) {
        Err(Error::Exit(code)) => return Ok(exit_code(ExitStatus(code))),
        other => other?,
    };
    call(&mut store, &instance, invoke)
}

/// Calls `--invoke`'s export with its WAVE arguments and prints the result.
fn call<T: 'static>(
    store: &mut Store<AnyEngine, T>,
    instance: &Instance<AnyEngine>,
    invoke: &str,
) -> Result<u8, Failure> {
    let (name, arg_text) = split_call(invoke)?;
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
    match func.call(&mut *store, &values, &mut results) {
        Err(Error::Exit(code)) => return Ok(exit_code(ExitStatus(code))),
        other => other?,
    }
    for r in results {
        println!("{r}");
    }
    Ok(0)
}
