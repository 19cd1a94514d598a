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

/// A `return_call` of a host function from inside a block does not return:
/// tinywasm calls the host function, then goes on after the block (found by
/// the three-engine differential harness, seed 8412 of its imports variant,
/// minimised by hand). wasmtime and wasmi return the host's results.
#[test]
fn return_call_of_a_host_function_in_a_block_falls_through() {
    use wasm_run_api::{Caller, Error, Func, FuncType, Instance, Store, TrapCode, Val, ValType};
    let engine = Tinywasm::new(&Config::new()).expect("engine");
    let module = Module::new(
        &engine,
        r#"(module
             (import "h" "two" (func $two (result i64 i64)))
             (func $wasm (result i64 i64) i64.const 1 i64.const 2)
             (func (export "host") (result i64 i64) (block return_call $two) unreachable)
             (func (export "wasm") (result i64 i64) (block return_call $wasm) unreachable))"#,
    )
    .expect("module");
    let mut store = Store::new(&engine, ());
    let two = Func::new(
        &mut store,
        FuncType::new([], [ValType::I64, ValType::I64]),
        |_: Caller<'_, Tinywasm, ()>, _: &[Val<Tinywasm>], out: &mut [Val<Tinywasm>]| {
            out.copy_from_slice(&[Val::I64(1), Val::I64(2)]);
            Ok(())
        },
    )
    .expect("host function");
    let instance = Instance::new(&mut store, &module, &[two.into()]).expect("instance");
    let call = |store: &mut Store<Tinywasm, ()>, name: &str| {
        let f = instance.get_func(&mut *store, name).expect("export");
        let mut out = [Val::I64(0), Val::I64(0)];
        f.call(&mut *store, &[], &mut out).map(|()| out)
    };
    // The tail call of a wasm function returns, as the spec says...
    assert_eq!(
        call(&mut store, "wasm").expect("wasm"),
        [Val::I64(1), Val::I64(2)]
    );
    // ...that of a host function falls through to `unreachable`.
    match call(&mut store, "host") {
        Err(Error::Trap {
            code: TrapCode::Unreachable,
            ..
        }) => {}
        other => panic!("tinywasm returns from the tail call now ({other:?}): remove this case"),
    }
}

/// A declared local of a reference type does not start null:
/// `ref.is_null` of it answers 0 (found by the three-engine differential
/// harness, seed 11127 of its plain variant, minimised by hand; raw tinywasm
/// answers the same). The spec, wasmtime and wasmi: 1.
#[test]
fn reference_locals_do_not_start_null() {
    use wasm_run_api::{Linker, Store};
    let engine = Tinywasm::new(&Config::new()).expect("engine");
    let module = Module::new(
        &engine,
        r#"(module
             (func (export "funcref") (result i32) (local funcref) local.get 0 ref.is_null)
             (func (export "externref") (result i32) (local externref) local.get 0 ref.is_null))"#,
    )
    .expect("module");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .expect("instance");
    for name in ["funcref", "externref"] {
        let f = instance
            .get_typed_func::<(), i32>(&mut store, name)
            .expect("export");
        assert_eq!(
            f.call(&mut store, ()).expect("call"),
            0,
            "tinywasm starts {name} locals null now: remove this case"
        );
    }
}
