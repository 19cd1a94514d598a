//! Engine identity and features: `name`, `version` and `config`, `features()`
//! against `support()`, enabling and disabling each feature, and one probe
//! module per proposal.

use wasm_run_api::{Config, Engine, Feature, Module, Result, Support};

use super::helpers::*;

/// `name()`/`version()` are non-empty, `config()` is what the engine was made
/// with, multi-value and bulk memory are on by default, and `features()` is
/// consistent with `support()` (on by default exactly when `Support::Default`;
/// fuel is off unless configured).
pub fn engine_identity<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let config = Config::new();
    let engine = engine_with(&make, &config);
    let name = engine.name();
    assert!(!name.trim().is_empty(), "engine name is empty");
    assert!(
        !engine.version().trim().is_empty(),
        "{name}: engine version is empty"
    );
    assert_eq!(
        engine.config(),
        &config,
        "{name}: config() differs from the config given"
    );

    let features = engine.features();
    for required in [Feature::MultiValue, Feature::BulkMemory] {
        assert!(
            features.contains(required),
            "{name}: {required} is not enabled by default"
        );
        assert_eq!(
            engine.support(required),
            Support::Default,
            "{name}: support({required})"
        );
    }
    assert!(
        !features.contains(Feature::Fuel),
        "{name}: fuel is on without Config::fuel(true)"
    );

    for &feature in Feature::ALL {
        let on = features.contains(feature);
        match engine.support(feature) {
            Support::Unsupported => {
                assert!(
                    !on,
                    "{name}: {feature} is Unsupported but listed in features()"
                )
            }
            Support::OptIn => assert!(!on, "{name}: {feature} is OptIn but on by default"),
            Support::Default if feature == Feature::Fuel => {}
            // A default feature is off when one it builds on is off.
            Support::Default => assert!(
                on || Feature::REQUIRES
                    .iter()
                    .any(|&(f, needs)| f == feature && !features.contains(needs)),
                "{name}: {feature} is Default but not in features()"
            ),
        }
    }

    let clone = engine.clone();
    assert_eq!(clone.name(), name, "a cloned engine reports another name");
    assert_eq!(
        clone.features(),
        features,
        "a cloned engine reports other features"
    );
}

/// For every feature: explicitly enabling one that `support()` calls
/// `Unsupported` fails engine creation with `Error::Unsupported { feature, .. }`;
/// enabling a supported one turns it on; disabling any feature succeeds and
/// turns it off.
pub fn engine_feature_config<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let base = default_engine(&make);
    let name = base.name();
    for &feature in Feature::ALL {
        let mut enable = Config::new();
        enable.enable(feature);
        // With what it builds on (resumable-fuel needs fuel).
        for &(f, needs) in Feature::REQUIRES {
            if f == feature && base.support(needs).is_supported() {
                enable.enable(needs);
            }
        }
        if base.support(feature).is_supported() {
            let engine = engine_with(&make, &enable);
            assert!(
                engine.features().contains(feature),
                "{name}: enabling {feature} left it off"
            );
            assert_eq!(engine.config().get(feature), Some(true));
        } else {
            let e = err(
                make(&enable),
                &format!("{name}: enabling unsupported {feature}"),
            );
            expect_unsupported(
                &e,
                feature,
                name,
                &format!("enabling unsupported {feature}"),
            );
        }

        let mut disable = Config::new();
        disable.disable(feature);
        if feature == Feature::Execution && base.support(feature).is_supported() {
            // An engine that runs code cannot be told not to.
            let e = err(make(&disable), "disabling execution");
            assert!(
                e.to_string().contains("cannot be disabled"),
                "{name}: disabling execution: {e}"
            );
            continue;
        }
        let engine = engine_with(&make, &disable);
        assert!(
            !engine.features().contains(feature),
            "{name}: disabling {feature} left it on"
        );
    }

    // An unsupported feature among supported ones still fails.
    if let Some(&unsupported) = Feature::ALL
        .iter()
        .find(|f| !base.support(**f).is_supported())
    {
        let mut config = Config::new();
        config
            .enable(Feature::MultiValue)
            .enable(unsupported)
            .enable(Feature::BulkMemory);
        let e = err(make(&config), "mixed config with an unsupported feature");
        expect_unsupported(
            &e,
            unsupported,
            name,
            "mixed config with an unsupported feature",
        );
    }
}

/// One small module per proposal that only validates when the proposal is on.
pub(super) const FEATURE_PROBES: &[(Feature, &str)] = &[
    (
        Feature::MultiValue,
        r#"(module (func (export "f") (result i32 i32) i32.const 1 i32.const 2))"#,
    ),
    (
        Feature::BulkMemory,
        r#"(module (memory 1) (data $d "x")
             (func (export "f") i32.const 0 i32.const 0 i32.const 1 memory.init $d))"#,
    ),
    (
        Feature::ReferenceTypes,
        r#"(module (func (export "f") (result externref) ref.null extern))"#,
    ),
    (
        Feature::MutableGlobal,
        r#"(module (global (export "g") (mut i32) (i32.const 0)))"#,
    ),
    (
        Feature::SaturatingFloatToInt,
        r#"(module (func (export "f") (param f32) (result i32) local.get 0 i32.trunc_sat_f32_s))"#,
    ),
    (
        Feature::SignExtension,
        r#"(module (func (export "f") (param i32) (result i32) local.get 0 i32.extend8_s))"#,
    ),
    (
        Feature::ExtendedConst,
        r#"(module (global (export "g") i32 (i32.add (i32.const 1) (i32.const 2))))"#,
    ),
    (
        Feature::Floats,
        r#"(module (func (export "f") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add))"#,
    ),
    (
        Feature::Simd,
        r#"(module (func (export "f") (result v128) v128.const i32x4 1 2 3 4))"#,
    ),
    (
        Feature::RelaxedSimd,
        r#"(module (func (export "f") (param v128 v128 v128) (result v128)
             local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))"#,
    ),
    (Feature::Threads, r#"(module (memory 1 1 shared))"#),
    (Feature::MultiMemory, r#"(module (memory 1) (memory 1))"#),
    (Feature::Memory64, r#"(module (memory i64 1))"#),
    (
        Feature::TailCall,
        r#"(module (func $f (export "f") return_call $f))"#,
    ),
    (
        Feature::Exceptions,
        r#"(module (tag $e) (func (export "f") throw $e))"#,
    ),
    (
        Feature::Gc,
        r#"(module (type $s (struct (field i32)))
             (func (export "f") (result anyref) i32.const 1 struct.new $s))"#,
    ),
    (
        Feature::FunctionReferences,
        r#"(module (type $t (func))
             (func (export "f") (param (ref null $t)) (result i32) local.get 0 ref.is_null))"#,
    ),
    (
        Feature::CustomPageSizes,
        r#"(module (memory 1 (pagesize 1)))"#,
    ),
    (
        Feature::WideArithmetic,
        r#"(module (func (export "f") (param i64 i64 i64 i64) (result i64 i64)
             local.get 0 local.get 1 local.get 2 local.get 3 i64.add128))"#,
    ),
];

/// Measures each proposal instead of trusting the claim: a probe module that
/// needs the proposal compiles exactly when `features()` lists it — on the
/// default engine, with the proposal explicitly enabled, and with it
/// explicitly disabled (where the backend supports it at all).
pub fn engine_feature_probes<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let base = default_engine(&make);
    let name = base.name();
    let check = |engine: &E, feature: Feature, wat: &str, how: &str| {
        let what = format!("{name}, {how}: probe for {feature}");
        if engine.features().contains(feature) {
            ok(Module::new(engine, wat).map(|_| ()), &what);
            ok(Module::validate(engine, wat), &what);
        } else {
            expect_rejected(engine, wat, feature, &what);
        }
    };
    for &(feature, wat) in FEATURE_PROBES {
        check(&base, feature, wat, "default config");
        if base.support(feature).is_supported() {
            let mut on = Config::new();
            on.enable(feature);
            let engine = engine_with(&make, &on);
            assert!(engine.features().contains(feature));
            check(&engine, feature, wat, "explicitly enabled");

            let mut off = Config::new();
            off.disable(feature);
            let engine = engine_with(&make, &off);
            assert!(!engine.features().contains(feature));
            check(&engine, feature, wat, "explicitly disabled");
        }
    }
}
