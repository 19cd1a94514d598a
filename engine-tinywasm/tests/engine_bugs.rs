//! tinywasm 0.10.0's bugs that reach users of this backend, each as a test
//! that expects the wrong answer, so that it fails (on purpose) when a fixed
//! tinywasm lands: then remove the case and its entry in
//! docs/RELIABILITY.md.

use wasm_run_api::{Config, Engine, Error, Module};
use wasm_run_tinywasm::Tinywasm;

/// A valid module (wasm-smith's, seed 78 of the differential harness, found
/// against wasmi) that tinywasm's parser refuses: "logical operand width
/// mismatch". wasm-run's own validator, with the engine's proposals, accepts
/// it.
#[test]
fn valid_module_refused_with_width_mismatch() {
    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/width-mismatch.wasm"
    ))
    .expect("fixture");
    let engine = Tinywasm::new(&Config::new()).expect("engine");
    wasm_run_api::backend::validate_for(&wasm, engine.features())
        .expect("the module is valid for wasm-run's validator");
    match Module::new(&engine, &wasm[..]) {
        Err(Error::Compile { message, .. }) => assert!(
            message.contains("logical operand width mismatch"),
            "refused for another reason: {message}"
        ),
        Err(e) => panic!("refused with {e}"),
        Ok(_) => panic!("tinywasm accepts the module now: remove this case"),
    }
}
