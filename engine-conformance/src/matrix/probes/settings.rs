//! Probes of `Config` settings an engine may not apply: whether
//! `max_call_depth` counts frames and whether `Compilation::Lazy` validates
//! lazily.

use super::{Probe, ProbeResult, failed};
use wasm_run_api::{Config, Engine, Feature, Linker, Store, TrapCode, Val};

impl<E: Engine> Probe<'_, E> {
    /// At `max_call_depth(100)`, 50 nested calls return and 200 trap with
    /// `StackOverflow`.
    pub(super) fn call_depth_limit(&self) -> ProbeResult {
        let mut config = Config::new();
        config.enable(Feature::CallDepthLimit).max_call_depth(100);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module (func $d (export "depth") (param i32) (result i32)
                 (if (result i32) (i32.eqz (local.get 0))
                   (then (i32.const 0))
                   (else (i32.add (i32.const 1)
                     (call $d (i32.sub (local.get 0) (i32.const 1))))))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let got = self.call(&mut store, &instance, "depth", &[Val::I32(50)])?;
        if got != [Val::I32(50)] {
            return Err(failed(format!("depth(50) gave {got:?}")));
        }
        let f = instance.get_func(&mut store, "depth").map_err(failed)?;
        match f.call(&mut store, &[Val::I32(200)], &mut [Val::I32(0)]) {
            Err(e) if e.trap_code() == Some(TrapCode::StackOverflow) => Ok(()),
            Err(e) => Err(failed(format!(
                "200 frames gave `{e}`, not a stack overflow"
            ))),
            Ok(()) => Err(failed("200 frames ran at a limit of 100")),
        }
    }

    /// In `Compilation::Lazy`, a module with an invalid unused function
    /// compiles, its valid function runs and the invalid one fails when
    /// called.
    pub(super) fn lazy_validation(&self) -> ProbeResult {
        let mut config = Config::new();
        config
            .enable(Feature::LazyValidation)
            .compilation(wasm_run_api::Compilation::Lazy);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module
                 (func (export "ok") (result i32) (i32.const 7))
                 (func (export "bad") (result i32) (i32.add (i64.const 1) (i32.const 2))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let got = self.call(&mut store, &instance, "ok", &[])?;
        if got != [Val::I32(7)] {
            return Err(failed(format!("ok() gave {got:?}")));
        }
        let f = instance.get_func(&mut store, "bad").map_err(failed)?;
        match f.call(&mut store, &[], &mut [Val::I32(0)]) {
            Err(_) => Ok(()),
            Ok(()) => Err(failed("a function that does not validate ran")),
        }
    }
}
