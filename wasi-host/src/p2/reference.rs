//! wasmtime-wasi's own preview 2 host on wasmtime's own component model:
//! the reference a command component can run on instead of wasm-run's host
//! ([`WasiHost::Engine`](crate::WasiHost::Engine) in the configuration, `-W
//! engine-wasi` on the command line), on the wasmtime backend only.

use wasm_run_wasmtime::{Wasmtime, native_call_error};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

use crate::config::WasiSetup;
use crate::error::{ExitStatus, WasiError};

struct State {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

fn adapter(e: wasmtime::Error) -> WasiError {
    WasiError::Adapter {
        backend: "wasmtime",
        message: format!("{e:#}"),
    }
}

/// The status of a run that ended with `e`: `exit` is a status, anything
/// else an error.
fn ended(e: wasmtime::Error) -> Result<ExitStatus, WasiError> {
    match e.downcast_ref::<I32Exit>() {
        Some(exit) => Ok(ExitStatus(exit.0)),
        None => Err(WasiError::Wasm(native_call_error(e))),
    }
}

/// Compiles `bytes` with wasmtime's component model and runs its
/// `wasi:cli/run` with wasmtime-wasi's preview 2 host configured from
/// `setup`, in a fresh store of `engine`.
pub(crate) fn run_command(
    engine: &Wasmtime,
    bytes: &[u8],
    setup: &WasiSetup,
) -> Result<ExitStatus, WasiError> {
    let native = engine.as_native();
    let component = Component::new(native, bytes).map_err(adapter)?;
    let mut linker = Linker::<State>::new(native);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(adapter)?;
    let ctx = crate::adapter_wasmtime::builder(setup)?.build();
    let mut store = Store::new(
        native,
        State {
            ctx,
            table: ResourceTable::new(),
        },
    );
    // An engine made for deadlines interrupts at every epoch change: this
    // store has no deadline, so it always continues.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Continue(1)));
    let command = match Command::instantiate(&mut store, &component, &linker) {
        Ok(command) => command,
        Err(e) => return ended(e),
    };
    match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => Ok(ExitStatus(0)),
        Ok(Err(())) => Ok(ExitStatus(1)),
        Err(e) => ended(e),
    }
}
