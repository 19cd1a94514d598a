//! Embedder behaviour suite: what every backend must do, written once.
//!
//! Each public function is one self-contained scenario, generic over
//! [`Engine`]. It takes `make`, a way to build the engine under test from a
//! [`Config`], and panics (through `assert!`) when the backend does not behave
//! as the API promises. Expected values are derived from the WebAssembly text
//! written next to each test, never from what a backend happens to return.
//!
//! Where a backend may legitimately lack a feature, the test asks
//! [`Engine::features`] / [`Engine::support`] and then requires the typed
//! [`Error::Unsupported`] (or a compile error for a module that needs the
//! feature) — a test never silently skips.
//!
//! Backends run the whole suite with [`behaviour_tests!`](crate::behaviour_tests):
//!
//! ```ignore
//! wasm_run_conformance::behaviour_tests!(wasmtime, |c| wasm_run::wasmtime::Wasmtime::new(c));
//! ```
//!
//! which expands to a module with one `#[test]` per behaviour, or call
//! [`run_all`] / single functions by hand.
//!
//! Sections: engine and features; modules; linking and instances; calls and
//! values; host errors; memories, tables and globals; traps; fuel; resource
//! limits; module variants.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_run_api::{
    Caller, Config, Engine, Error, ExportType, Extern, ExternRef, ExternType, Feature, Func,
    FuncType, Global, GlobalType, HeapType, ImportType, Instance, LinkError, Linker, Memory,
    MemoryType, Module, ModuleVariants, Mutability, RefType, Result, Store, Support, Table,
    TableType, TrapCode, V128, Val, ValType,
};

// ---------------------------------------------------------------------------
// The list of behaviours and the macros generated from it
// ---------------------------------------------------------------------------

/// Calls the macro named in brackets with `$args` and the list of every
/// behaviour function, so the test macro and [`run_all`] cannot drift apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __wasm_run_behaviours {
    ([$($callback:tt)*] $args:tt) => {
        $($callback)*! { $args [
            engine_identity
            engine_feature_config
            engine_feature_probes
            module_text_and_binary
            module_validation_errors
            module_import_export_types
            module_memory64_and_shared_types
            module_from_file
            host_func_typed
            host_func_untyped
            host_state
            caller_memory_and_exports
            host_defined_items
            link_instance_exports
            link_error_missing
            link_error_incompatible
            link_duplicate_definitions
            start_function
            instance_new_ordered_imports
            instance_exports_listing
            call_dynamic
            call_typed
            values_i64_range
            values_nan_payloads
            values_v128
            values_funcref
            values_externref
            func_types
            host_error
            host_panic
            memory_ops
            table_ops
            global_ops
            traps
            trap_stack_overflow
            fuel
            fuel_disabled
            limit_memory
            limit_table
            limit_instances
            limit_wasm_stack
            module_variants
        ] }
    };
}

/// Expands to `mod $modname { ... }` with one `#[test]` per behaviour
/// function of [`behaviour`](crate::behaviour), each calling it with `$make`.
///
/// `$make` is any expression usable as `impl Fn(&Config) -> Result<E>`; it is
/// evaluated afresh in every test. Attributes before the module name (e.g.
/// `#[cfg(feature = "wasmi")]`) are put on the generated module, which
/// `use`s everything from the surrounding module.
///
/// ```ignore
/// wasm_run_conformance::behaviour_tests!(wasmtime, |c| wasm_run::wasmtime::Wasmtime::new(c));
/// wasm_run_conformance::behaviour_tests!(
///     #[cfg(feature = "wasmi")]
///     wasmi,
///     |c| wasm_run::wasmi::Wasmi::new(c)
/// );
/// ```
#[macro_export]
macro_rules! behaviour_tests {
    ($(#[$attr:meta])* $modname:ident, $make:expr $(,)?) => {
        $crate::__wasm_run_behaviours!(
            [$crate::__wasm_run_behaviour_tests_mod] { $(#[$attr])* $modname, $make }
        );
    };
}

/// Implementation detail of [`behaviour_tests!`](crate::behaviour_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __wasm_run_behaviour_tests_mod {
    ({ $(#[$attr:meta])* $modname:ident, $make:expr } [ $($name:ident)* ]) => {
        $(#[$attr])*
        mod $modname {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::behaviour::$name($make);
                }
            )*
        }
    };
}

macro_rules! define_run_all {
    ({} [ $($name:ident)* ]) => {
        /// Names of every behaviour function, in the order [`run_all`] runs
        /// them (and `behaviour_tests!` generates tests for them).
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Runs every behaviour in sequence, stopping at the first failure
        /// (a panic). Prefer [`behaviour_tests!`](crate::behaviour_tests),
        /// which reports each behaviour as its own test.
        pub fn run_all<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
            $( $name(&make); )*
        }
    };
}

crate::__wasm_run_behaviours!([define_run_all] {});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `funcref` as a reference type.
const FUNCREF: RefType = RefType { nullable: true, heap: HeapType::Func };
/// `externref` as a reference type.
const EXTERNREF: RefType = RefType { nullable: true, heap: HeapType::Extern };

/// A function type from arrays (so `fty([], [])` needs no annotations).
fn fty<const P: usize, const R: usize>(params: [ValType; P], results: [ValType; R]) -> FuncType {
    FuncType::new(params, results)
}

/// Builds an engine with `config` or fails the test.
#[track_caller]
fn engine_with<E: Engine>(make: &impl Fn(&Config) -> Result<E>, config: &Config) -> E {
    match make(config) {
        Ok(engine) => engine,
        Err(err) => panic!("creating an engine with {config:?} failed: {err} ({err:?})"),
    }
}

/// Builds an engine with the default configuration or fails the test.
#[track_caller]
fn default_engine<E: Engine>(make: &impl Fn(&Config) -> Result<E>) -> E {
    engine_with(make, &Config::new())
}

/// The value of `result`, or a test failure naming `what`.
#[track_caller]
fn ok<T>(result: Result<T>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{what}: unexpected error: {err} ({err:?})"),
    }
}

/// The error of `result`, or a test failure naming `what`.
#[track_caller]
fn err<T>(result: Result<T>, what: &str) -> Error {
    match result {
        Ok(_) => panic!("{what}: expected an error, got Ok"),
        Err(err) => err,
    }
}

/// Asserts that a result is an error matching a pattern; evaluates to the
/// error.
macro_rules! assert_err {
    ($result:expr, $pat:pat, $($what:tt)+) => {{
        let what = format!($($what)+);
        let e = err($result, &what);
        assert!(
            matches!(e, $pat),
            "{what}: expected an error matching `{}`, got {e} ({e:?})",
            stringify!($pat)
        );
        e
    }};
}

/// Asserts that a result is a trap with `code`.
#[track_caller]
fn expect_trap<T>(result: Result<T>, code: TrapCode, what: &str) {
    let e = err(result, what);
    assert!(
        matches!(e, Error::Trap { .. }) && e.trap_code() == Some(code),
        "{what}: expected trap `{code}` ({code:?}), got {e} ({e:?})"
    );
}

/// Asserts that `e` is `Error::Unsupported` for `feature`, reported by
/// `engine`.
#[track_caller]
fn expect_unsupported(e: &Error, feature: Feature, engine: &str, what: &str) {
    match e {
        Error::Unsupported { feature: f, engine: name } => {
            assert_eq!(*f, feature, "{what}: Unsupported names the wrong feature");
            assert_eq!(*name, engine, "{what}: Unsupported names the wrong engine");
        }
        other => panic!("{what}: expected Error::Unsupported {{ feature: {feature:?} }}, got {other} ({other:?})"),
    }
}

/// Asserts that compiling `wat` fails because it needs `feature`: either a
/// compile (validation) error or `Unsupported` for that very feature.
#[track_caller]
fn expect_rejected<E: Engine>(engine: &E, wat: &str, feature: Feature, what: &str) {
    for (how, result) in [
        ("Module::new", Module::new(engine, wat).map(drop)),
        ("Module::validate", Module::validate(engine, wat)),
    ] {
        match err(result, &format!("{what} ({how})")) {
            Error::Compile { .. } => {}
            Error::Unsupported { feature: f, .. } if f == feature => {}
            other => panic!(
                "{what} ({how}): expected Error::Compile or Error::Unsupported {{ feature: {feature:?} }}, got {other} ({other:?})"
            ),
        }
    }
}

/// Compiles a test module or fails the test.
#[track_caller]
fn compile<E: Engine>(engine: &E, wat: &str) -> Module<E> {
    match Module::new(engine, wat) {
        Ok(module) => module,
        Err(err) => panic!("compiling a test module on {} failed: {err} ({err:?})\n{wat}", engine.name()),
    }
}

/// Instantiates a module without imports or fails the test.
#[track_caller]
fn instantiate<E: Engine, T: 'static>(store: &mut Store<E, T>, module: &Module<E>) -> Instance<E> {
    ok(Instance::new(store, module, &[]), "instantiating a module without imports")
}

/// An exported function or a test failure.
#[track_caller]
fn export_func<E: Engine, T: 'static>(store: &mut Store<E, T>, instance: &Instance<E>, name: &str) -> Func<E> {
    ok(instance.get_func(store, name), &format!("export `{name}`"))
}

/// Calls `f` dynamically with result slots made from its type.
fn call_dyn<E: Engine, T: 'static>(store: &mut Store<E, T>, f: &Func<E>, params: &[Val<E>]) -> Result<Vec<Val<E>>> {
    let ty = f.ty(&*store);
    let mut results: Vec<Val<E>> =
        ty.results().iter().map(|t| Val::default_for(t).unwrap_or(Val::I32(0))).collect();
    f.call(&mut *store, params, &mut results)?;
    Ok(results)
}

/// Runs `f` on a thread with a large native stack, so that engines running
/// wasm on the native stack hit their own stack limit long before the
/// thread's, and re-raises its panic.
fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("wasm-run-conformance-deep-stack".into())
            .stack_size(64 << 20)
            .spawn_scoped(scope, f)
            .expect("spawning a test thread");
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir()
            .join(format!("wasm-run-conformance-{tag}-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A host error type for the host-error tests.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostFailure {
    code: i32,
}

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host failure {}", self.code)
    }
}

impl StdError for HostFailure {}

// ---------------------------------------------------------------------------
// 1. Engine identity and features
// ---------------------------------------------------------------------------

/// `name()`/`version()` are non-empty, `config()` is what the engine was made
/// with, multi-value and bulk memory are on by default, and `features()` is
/// consistent with `support()` (on by default exactly when `Support::Default`;
/// fuel is off unless configured).
pub fn engine_identity<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let config = Config::new();
    let engine = engine_with(&make, &config);
    let name = engine.name();
    assert!(!name.trim().is_empty(), "engine name is empty");
    assert!(!engine.version().trim().is_empty(), "{name}: engine version is empty");
    assert_eq!(engine.config(), &config, "{name}: config() differs from the config given");

    let features = engine.features();
    for required in [Feature::MultiValue, Feature::BulkMemory] {
        assert!(features.contains(required), "{name}: {required} is not enabled by default");
        assert_eq!(engine.support(required), Support::Default, "{name}: support({required})");
    }
    assert!(!features.contains(Feature::Fuel), "{name}: fuel is on without Config::fuel(true)");

    for &feature in Feature::ALL {
        let on = features.contains(feature);
        match engine.support(feature) {
            Support::Unsupported => {
                assert!(!on, "{name}: {feature} is Unsupported but listed in features()")
            }
            Support::OptIn => assert!(!on, "{name}: {feature} is OptIn but on by default"),
            Support::Default if feature == Feature::Fuel => {}
            Support::Default => assert!(on, "{name}: {feature} is Default but not in features()"),
        }
    }

    let clone = engine.clone();
    assert_eq!(clone.name(), name, "a cloned engine reports another name");
    assert_eq!(clone.features(), features, "a cloned engine reports other features");
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
        if base.support(feature).is_supported() {
            let engine = engine_with(&make, &enable);
            assert!(engine.features().contains(feature), "{name}: enabling {feature} left it off");
            assert_eq!(engine.config().get(feature), Some(true));
        } else {
            let e = err(make(&enable), &format!("{name}: enabling unsupported {feature}"));
            expect_unsupported(&e, feature, name, &format!("enabling unsupported {feature}"));
        }

        let mut disable = Config::new();
        disable.disable(feature);
        let engine = engine_with(&make, &disable);
        assert!(!engine.features().contains(feature), "{name}: disabling {feature} left it on");
    }

    // An unsupported feature among supported ones still fails.
    if let Some(&unsupported) = Feature::ALL.iter().find(|f| !base.support(**f).is_supported()) {
        let mut config = Config::new();
        config.enable(Feature::MultiValue).enable(unsupported).enable(Feature::BulkMemory);
        let e = err(make(&config), "mixed config with an unsupported feature");
        expect_unsupported(&e, unsupported, name, "mixed config with an unsupported feature");
    }
}

/// One small module per proposal that only validates when the proposal is on.
const FEATURE_PROBES: &[(Feature, &str)] = &[
    (Feature::MultiValue, r#"(module (func (export "f") (result i32 i32) i32.const 1 i32.const 2))"#),
    (
        Feature::BulkMemory,
        r#"(module (memory 1) (data $d "x")
             (func (export "f") i32.const 0 i32.const 0 i32.const 1 memory.init $d))"#,
    ),
    (Feature::ReferenceTypes, r#"(module (func (export "f") (result externref) ref.null extern))"#),
    (Feature::MutableGlobal, r#"(module (global (export "g") (mut i32) (i32.const 0)))"#),
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
    (Feature::Simd, r#"(module (func (export "f") (result v128) v128.const i32x4 1 2 3 4))"#),
    (
        Feature::RelaxedSimd,
        r#"(module (func (export "f") (param v128 v128 v128) (result v128)
             local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))"#,
    ),
    (Feature::Threads, r#"(module (memory 1 1 shared))"#),
    (Feature::MultiMemory, r#"(module (memory 1) (memory 1))"#),
    (Feature::Memory64, r#"(module (memory i64 1))"#),
    (Feature::TailCall, r#"(module (func $f (export "f") return_call $f))"#),
    (Feature::Exceptions, r#"(module (tag $e) (func (export "f") throw $e))"#),
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
    (Feature::CustomPageSizes, r#"(module (memory 1 (pagesize 1)))"#),
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
            ok(Module::new(engine, wat).map(drop), &what);
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

// ---------------------------------------------------------------------------
// 2. Modules
// ---------------------------------------------------------------------------

const ROUND_TRIP_WAT: &str = r#"
(module $round_trip
  (import "env" "scale" (func $scale (param i32) (result i64)))
  (memory (export "memory") 1 2)
  (func (export "promote") (param f32) (result f64) local.get 0 f64.promote_f32)
  (func (export "scaled") (param i32) (result i64) local.get 0 call $scale))
"#;

/// The same module compiled from WAT text and from binary has the same name,
/// imports and exports, and behaves the same; a module without a name section
/// entry has no name.
pub fn module_text_and_binary<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let bytes = wat::parse_str(ROUND_TRIP_WAT).expect("test WAT parses");
    assert!(wasm_run_api::is_binary(&bytes));
    let from_text = compile(&engine, ROUND_TRIP_WAT);
    let from_binary = ok(Module::new(&engine, &bytes), "compiling the binary");

    assert_eq!(from_text.name(), Some("round_trip"));
    assert_eq!(from_binary.name(), Some("round_trip"));
    assert_eq!(from_text.imports(), from_binary.imports());
    assert_eq!(from_text.exports(), from_binary.exports());
    assert_eq!(from_text.info(), from_binary.info());
    assert_eq!(
        from_text.imports(),
        &[ImportType {
            module: "env".into(),
            name: "scale".into(),
            ty: ExternType::Func(fty([ValType::I32], [ValType::I64])),
        }]
    );
    let export_names: Vec<&str> = from_text.exports().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(export_names, ["memory", "promote", "scaled"]);

    // Both compile to working code.
    for module in [&from_text, &from_binary] {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::<E, ()>::new(&engine);
        ok(
            linker.func_wrap("env", "scale", |_: Caller<'_, E, ()>, x: i32| -> Result<i64> {
                Ok(i64::from(x) * 1_000_000_000_000)
            }),
            "defining env.scale",
        );
        let instance = ok(linker.instantiate(&mut store, module), "instantiating");
        let promote = ok(instance.get_typed_func::<f32, f64>(&mut store, "promote"), "promote");
        assert_eq!(ok(promote.call(&mut store, 1.5), "promote(1.5)"), 1.5);
        let scaled = ok(instance.get_typed_func::<i32, i64>(&mut store, "scaled"), "scaled");
        assert_eq!(ok(scaled.call(&mut store, -3), "scaled(-3)"), -3_000_000_000_000);
    }

    let anonymous = compile(&engine, "(module (func (export \"f\")))");
    assert_eq!(anonymous.name(), None, "a module without a name has Some name");
    let cloned = anonymous.clone();
    assert_eq!(cloned.exports(), anonymous.exports());
}

/// `Module::validate` accepts a good module (text and binary); malformed
/// bytes, an invalid (ill-typed) module, garbage text and bytes that are
/// neither wasm nor UTF-8 are `Error::Compile` from both `validate` and
/// `Module::new`; the engine keeps working afterwards.
pub fn module_validation_errors<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let good = "(module (func (export \"f\") (result i32) i32.const 1))";
    ok(Module::validate(&engine, good), "validating a good text module");
    let good_bytes = wat::parse_str(good).expect("test WAT parses");
    ok(Module::validate(&engine, &good_bytes), "validating a good binary module");

    let invalid_text = "(module (func (result i32) i64.const 0))";
    let invalid_bytes = wat::parse_str(invalid_text).expect("ill-typed WAT still parses");
    let cases: [(&str, &[u8]); 7] = [
        ("malformed section", b"\0asm\x01\0\0\0\xff"),
        ("wrong version", b"\0asm\x02\0\0\0"),
        ("truncated header", b"\0asm\x01\0"),
        ("ill-typed module (text)", invalid_text.as_bytes()),
        ("ill-typed module (binary)", &invalid_bytes),
        ("garbage text", b"this is not webassembly"),
        ("neither wasm nor UTF-8", b"\xff\xfe\x00\x01"),
    ];
    for (what, bytes) in cases {
        let e = assert_err!(Module::validate(&engine, bytes), Error::Compile { .. }, "validate: {what}");
        assert!(!e.to_string().is_empty());
        assert_err!(Module::new(&engine, bytes), Error::Compile { .. }, "Module::new: {what}");
    }

    // Still usable.
    let module = compile(&engine, good);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let f = ok(instance.get_typed_func::<(), i32>(&mut store, "f"), "f");
    assert_eq!(ok(f.call(&mut store, ()), "f()"), 1);
}

const KINDS_WAT: &str = r#"
(module $kinds
  (import "env" "f" (func $f (param i32 i64 f32 f64) (result i32)))
  (import "env" "unit" (func $unit))
  (import "env" "memory" (memory 1 4))
  (import "env" "table" (table 2 10 funcref))
  (import "env" "const_i32" (global $ci i32))
  (import "env" "mut_i64" (global $mi (mut i64)))
  (func (export "own") (param i64) (result f32 f64) f32.const 0 f64.const 0)
  (table (export "table2") 3 externref)
  (global (export "const_f32") f32 (f32.const 1.5))
  (global (export "mut_f64") (mut f64) (f64.const 2.5))
  (export "memory" (memory 0))
  (export "table" (table 0))
  (export "f" (func $f))
  (export "const_i32" (global $ci))
  (export "mut_i64" (global $mi)))
"#;

/// Imports and exports of [`KINDS_WAT`], written by hand from the text.
fn kinds_expected() -> (Vec<ImportType>, Vec<ExportType>) {
    use ValType::*;
    let import = |name: &str, ty: ExternType| ImportType { module: "env".into(), name: name.into(), ty };
    let export = |name: &str, ty: ExternType| ExportType { name: name.into(), ty };
    let f = ExternType::Func(fty([I32, I64, F32, F64], [I32]));
    let memory = ExternType::Memory(MemoryType {
        minimum: 1,
        maximum: Some(4),
        shared: false,
        memory64: false,
        page_size_log2: 16,
    });
    let table = ExternType::Table(TableType { element: FUNCREF, minimum: 2, maximum: Some(10), table64: false });
    let const_i32 = ExternType::Global(GlobalType { content: I32, mutability: Mutability::Const });
    let mut_i64 = ExternType::Global(GlobalType { content: I64, mutability: Mutability::Var });
    let imports = vec![
        import("f", f.clone()),
        import("unit", ExternType::Func(fty([], []))),
        import("memory", memory),
        import("table", table),
        import("const_i32", const_i32),
        import("mut_i64", mut_i64),
    ];
    let exports = vec![
        export("own", ExternType::Func(fty([I64], [F32, F64]))),
        export(
            "table2",
            ExternType::Table(TableType { element: EXTERNREF, minimum: 3, maximum: None, table64: false }),
        ),
        export("const_f32", ExternType::Global(GlobalType::new(F32, Mutability::Const))),
        export("mut_f64", ExternType::Global(GlobalType::new(F64, Mutability::Var))),
        export("memory", memory),
        export("table", table),
        export("f", f),
        export("const_i32", const_i32),
        export("mut_i64", mut_i64),
    ];
    (imports, exports)
}

/// Exact import and export types (every kind: functions with params and
/// results, memory limits, table element type and limits, const and mutable
/// globals) and that the runtime types of the instantiated exports agree with
/// the declared ones.
pub fn module_import_export_types<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, KINDS_WAT);
    let (imports, exports) = kinds_expected();
    assert_eq!(module.name(), Some("kinds"));
    assert_eq!(module.imports(), imports.as_slice(), "imports of the kinds module");
    assert_eq!(module.exports(), exports.as_slice(), "exports of the kinds module");
    assert!(!module.info().has_start);

    // Instantiate with matching host items; runtime types must agree.
    let mut store = Store::new(&engine, ());
    let memory = ok(Memory::new(&mut store, MemoryType::new(1, Some(4))), "Memory::new");
    let table = ok(Table::new(&mut store, TableType::new(FUNCREF, 2, Some(10)), Val::FuncRef(None)), "Table::new");
    let const_i32 =
        ok(Global::new(&mut store, GlobalType::new(ValType::I32, Mutability::Const), Val::I32(3)), "Global::new");
    let mut_i64 =
        ok(Global::new(&mut store, GlobalType::new(ValType::I64, Mutability::Var), Val::I64(4)), "Global::new");
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap("env", "f", |_: Caller<'_, E, ()>, a: i32, _: i64, _: f32, _: f64| -> Result<i32> { Ok(a) }),
        "env.f",
    );
    ok(linker.func_wrap("env", "unit", |_: Caller<'_, E, ()>| -> Result<()> { Ok(()) }), "env.unit");
    ok(linker.define(&store, "env", "memory", memory), "env.memory");
    ok(linker.define(&store, "env", "table", table), "env.table");
    ok(linker.define(&store, "env", "const_i32", const_i32), "env.const_i32");
    ok(linker.define(&store, "env", "mut_i64", mut_i64), "env.mut_i64");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating the kinds module");
    let listed = instance.exports(&mut store);
    assert_eq!(listed.len(), exports.len(), "number of instance exports");
    for ((name, item), declared) in listed.iter().zip(&exports) {
        assert_eq!(name, &declared.name);
        assert_eq!(item.ty(&store), declared.ty, "runtime type of export `{name}`");
    }
    assert_eq!(instance.export_types(), exports.as_slice());
}

const MEMORY64_WAT: &str = r#"(module (memory (export "m64") i64 1 5))"#;
const SHARED_MEMORY_WAT: &str = r#"(module (memory (export "shared") 1 2 shared))"#;

/// 64-bit and shared memories are described with `memory64`/`shared` set when
/// the engine has memory64/threads, and rejected (compile error or
/// `Unsupported`) when it does not.
pub fn module_memory64_and_shared_types<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let features = engine.features();

    if features.contains(Feature::Memory64) {
        let module = compile(&engine, MEMORY64_WAT);
        let ty = MemoryType { minimum: 1, maximum: Some(5), shared: false, memory64: true, page_size_log2: 16 };
        assert_eq!(module.exports(), &[ExportType { name: "m64".into(), ty: ExternType::Memory(ty) }]);
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let memory = instance.get_memory(&mut store, "m64").expect("m64 is a memory");
        assert_eq!(memory.ty(&store), ty, "runtime type of a 64-bit memory");
        assert_eq!(memory.size(&store), 1);
    } else {
        expect_rejected(&engine, MEMORY64_WAT, Feature::Memory64, "memory64 module without memory64");
    }

    if features.contains(Feature::Threads) {
        let module = compile(&engine, SHARED_MEMORY_WAT);
        let ty = MemoryType { minimum: 1, maximum: Some(2), shared: true, memory64: false, page_size_log2: 16 };
        assert_eq!(module.exports(), &[ExportType { name: "shared".into(), ty: ExternType::Memory(ty) }]);
    } else {
        expect_rejected(&engine, SHARED_MEMORY_WAT, Feature::Threads, "shared memory without threads");
    }
}

const FROM_FILE_WAT: &str = r#"
(module $from_file
  (func (export "answer") (result i32) i32.const 42))
"#;

/// `Module::from_file` reads `.wat` and `.wasm` files alike; a missing file
/// or a directory is `Error::Io` naming the path; a file with bad contents is
/// `Error::Compile`.
pub fn module_from_file<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let dir = TempDir::new("from-file");
    let wat_path = dir.write("answer.wat", FROM_FILE_WAT);
    let wasm_path = dir.write("answer.wasm", wat::parse_str(FROM_FILE_WAT).expect("test WAT parses"));
    let bad_path = dir.write("bad.wasm", b"\0asm\x01\0\0\0\xff");

    let expected = [ExportType { name: "answer".into(), ty: ExternType::Func(fty([], [ValType::I32])) }];
    for path in [&wat_path, &wasm_path] {
        let module = ok(Module::from_file(&engine, path), &format!("Module::from_file({})", path.display()));
        assert_eq!(module.name(), Some("from_file"));
        assert_eq!(module.exports(), &expected);
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let answer = ok(instance.get_typed_func::<(), i32>(&mut store, "answer"), "answer");
        assert_eq!(ok(answer.call(&mut store, ()), "answer()"), 42);
    }

    let missing = dir.path().join("missing.wasm");
    let e = assert_err!(Module::from_file(&engine, &missing), Error::Io { .. }, "missing file");
    if let Error::Io { path, source } = &e {
        assert!(path.contains("missing.wasm"), "Io error names {path}, not the missing file");
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    }
    assert_err!(Module::from_file(&engine, dir.path()), Error::Io { .. }, "reading a directory");
    assert_err!(Module::from_file(&engine, &bad_path), Error::Compile { .. }, "malformed file");
}
