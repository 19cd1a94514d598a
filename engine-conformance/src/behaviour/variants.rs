//! Module variants: `ModuleVariants` picking the threads or the baseline
//! build by the engine's features.

use wasm_run_api::{Config, Engine, Feature, ModuleVariants, Result, Store};

use super::helpers::*;

pub(super) const VARIANT_THREADS_WAT: &str = r#"
(module $threads
  (memory 1 1 shared)
  (func (export "which") (result i32) i32.const 2))
"#;

pub(super) const VARIANT_BASELINE_WAT: &str = r#"
(module $baseline
  (func (export "which") (result i32) i32.const 1))
"#;

/// `ModuleVariants` picks the threads build only when the engine has threads
/// enabled and the baseline otherwise (checked on the default engine and,
/// where the backend supports threads, with threads explicitly on and off);
/// with no fitting variant `load` is `Unsupported` for the missing feature.
pub fn module_variants<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let dir = TempDir::new("variants");
    let threads_path = dir.write("app.threads.wat", VARIANT_THREADS_WAT);
    let baseline_path = dir.write(
        "app.wasm",
        wat::parse_str(VARIANT_BASELINE_WAT).expect("test WAT parses"),
    );
    let variants = ModuleVariants::new()
        .variant(&threads_path, [Feature::Threads])
        .variant(&baseline_path, []);

    let check = |engine: &E, how: &str| {
        let threads = engine.features().contains(Feature::Threads);
        let (path, which, name) = if threads {
            (&threads_path, 2, "threads")
        } else {
            (&baseline_path, 1, "baseline")
        };
        let selected = variants
            .select(engine)
            .unwrap_or_else(|| panic!("{how}: no variant selected"));
        assert_eq!(
            &selected.path, path,
            "{how}: threads enabled = {threads}, wrong variant"
        );
        let module = ok(
            variants.load(engine),
            &format!("{how}: loading the selected variant"),
        );
        assert_eq!(module.name(), Some(name));
        let mut store = Store::new(engine, ());
        let instance = instantiate(&mut store, &module);
        let f = instance.typed_func::<(), i32>(&mut store, "which");
        assert_eq!(
            ok(f.call(&mut store, ()), "which()"),
            which,
            "{how}: the loaded module is not the selected one"
        );
    };

    let base = default_engine(&make);
    check(&base, "default config");
    if base.support(Feature::Threads).is_supported() {
        let mut on = Config::new();
        on.enable(Feature::Threads);
        let engine = engine_with(&make, &on);
        assert!(engine.features().contains(Feature::Threads));
        check(&engine, "threads enabled");
        let mut off = Config::new();
        off.disable(Feature::Threads);
        let engine = engine_with(&make, &off);
        assert!(!engine.features().contains(Feature::Threads));
        check(&engine, "threads disabled");
    }

    // Nothing fits: the error names the missing feature.
    let mut off = Config::new();
    off.disable(Feature::Threads);
    let no_threads = engine_with(&make, &off);
    let only_threads = ModuleVariants::new().variant(&threads_path, [Feature::Threads]);
    assert!(only_threads.select(&no_threads).is_none());
    let e = err(
        only_threads.load(&no_threads),
        "loading with no fitting variant",
    );
    expect_unsupported(
        &e,
        Feature::Threads,
        no_threads.name(),
        "loading with no fitting variant",
    );
    assert!(
        ModuleVariants::new().load(&no_threads).is_err(),
        "loading from no variants at all"
    );
}
