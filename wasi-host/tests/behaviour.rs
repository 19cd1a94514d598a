//! The WASI behaviour suite (`tests/suite`) on each static backend.

use wasm_run_wasi as wasi;

mod suite;

#[cfg(feature = "wasmtime")]
mod wasmtime {
    use wasm_run_api::{Config, Engine};
    crate::suite::wasi_suite!(wasm_run_wasmtime::Wasmtime::new(&Config::new()).unwrap());
}

#[cfg(feature = "wasmi")]
mod wasmi {
    use wasm_run_api::{Config, Engine};
    crate::suite::wasi_suite!(wasm_run_wasmi::Wasmi::new(&Config::new()).unwrap());
}
