//! Deterministic execution: NaN canonicalisation (`Feature::NanCanonicalization`).

use wasm_run_api::{Config, Engine, Feature, Result, Val};

use super::helpers::*;

pub(super) const NAN_WAT: &str = r#"
(module
  (func (export "nans") (param f32 f64) (result i32 i32 i32 i64 i64 i64)
    (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0)))
    (i32.reinterpret_f32 (f32.sqrt (f32.const -1)))
    (i32.reinterpret_f32 (f32.min (local.get 0) (f32.const 1)))
    (i64.reinterpret_f64 (f64.div (f64.const 0) (f64.const 0)))
    (i64.reinterpret_f64 (f64.sub (local.get 1) (f64.const 1)))
    (i64.reinterpret_f64 (f64.promote_f32 (local.get 0)))))
"#;

/// With `Feature::NanCanonicalization`, every NaN a float instruction
/// produces has the canonical bits (positive, quiet, no payload), whatever
/// the inputs' payloads and the machine: `0/0`, `sqrt(-1)`, `min` and `sub`
/// of a NaN with a payload, `promote` of one. A backend that cannot do it
/// refuses the feature with `Unsupported`.
pub fn nan_canonicalization<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let base = default_engine(&make);
    let mut config = Config::new();
    config.enable(Feature::NanCanonicalization);
    if !base.support(Feature::NanCanonicalization).is_supported() {
        let e = err(make(&config), "enabling nan-canonicalization");
        expect_unsupported(
            &e,
            Feature::NanCanonicalization,
            base.name(),
            "nan-canonicalization",
        );
        return;
    }
    let engine = engine_with(&make, &config);
    assert!(engine.features().contains(Feature::NanCanonicalization));
    let (mut store, instance) = instantiate_wat(&engine, NAN_WAT);
    let f = export_func(&mut store, &instance, "nans");
    // Negative NaNs with payloads (a signalling one for f32).
    let args = [Val::F32(0xffa0_0001), Val::F64(0xfff4_0000_0000_0001)];
    let mut out = [Val::I32(0); 6];
    ok(f.call(&mut store, &args, &mut out), "nans");
    let c32 = Val::I32(0x7fc0_0000);
    let c64 = Val::I64(0x7ff8_0000_0000_0000);
    assert_eq!(
        out,
        [c32, c32, c32, c64, c64, c64],
        "NaN results are not canonical"
    );
}
