//! wasm-run for Python: the native module `wasm_run._native`, which the
//! `wasm_run` package re-exports (see `python/README.md`).
//!
//! Every engine of the build is reachable by name (`Engine("wasmi")`): the
//! classes wrap wasm-run's `AnyEngine`. A store is a `Mutex` around
//! wasm-run's store: a second thread using it while a call runs gets a
//! `WasmRunError` at once (`try_lock`), never a data race, and the GIL is
//! released while wasm runs (host functions take it back). Inside a host
//! function, the `Caller` stands for the store.

use pyo3::prelude::*;

mod component;
mod engine;
mod errors;
mod instance;
mod interrupt;
mod linker;
mod store;
mod values;
mod view;
mod wasi;

/// The native module.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<engine::Engine>()?;
    m.add_class::<engine::Module>()?;
    m.add_class::<engine::ImportType>()?;
    m.add_class::<engine::ExportType>()?;
    m.add_class::<engine::FuncType>()?;
    m.add_class::<engine::MemoryType>()?;
    m.add_class::<engine::GlobalType>()?;
    m.add_class::<engine::TableType>()?;
    m.add_class::<store::Store>()?;
    m.add_class::<store::Caller>()?;
    m.add_class::<store::InterruptHandle>()?;
    m.add_class::<linker::Linker>()?;
    m.add_class::<instance::Instance>()?;
    m.add_class::<instance::Func>()?;
    m.add_class::<instance::Memory>()?;
    m.add_class::<instance::Global>()?;
    m.add_class::<instance::Table>()?;
    m.add_class::<values::F32Bits>()?;
    m.add_class::<values::F64Bits>()?;
    m.add_class::<wasi::WasiConfig>()?;
    m.add_class::<component::Component>()?;
    m.add_class::<component::ComponentLinker>()?;
    m.add_class::<component::ComponentInstance>()?;
    m.add_class::<component::ComponentFunc>()?;
    m.add_class::<component::OkCase>()?;
    m.add_class::<component::ErrCase>()?;
    m.add_class::<component::Variant>()?;
    m.add_class::<component::Resource>()?;
    m.add_function(wrap_pyfunction!(wasi::run_wasi, m)?)?;
    m.add("WasmRunError", py.get_type::<errors::WasmRunError>())?;
    m.add("CompileError", py.get_type::<errors::CompileError>())?;
    m.add("LinkError", py.get_type::<errors::LinkError>())?;
    m.add("Trap", py.get_type::<errors::Trap>())?;
    m.add("ExitError", py.get_type::<errors::ExitError>())?;
    m.add("Unsupported", py.get_type::<errors::Unsupported>())?;
    m.add("BACKENDS", wasm_run::BACKENDS.to_vec())?;
    Ok(())
}
