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

// Every host closure returns `wasm_run_api::Result`, whose error type is
// currently at least 128 bytes; that is the API's choice, not this suite's.

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
            handles_wrong_store
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
/// `$make` is any expression usable as `impl Fn(&Config) -> Result<E>` (a
/// closure or a function such as `Wasmtime::new`); it is evaluated afresh in
/// every test. Attributes before the module name (e.g.
/// `#[cfg(feature = "wasmi")]`) are put on the generated module, which
/// `use`s everything from the surrounding module.
///
/// An optional `expected_failures = [name, ...]` is the backend's
/// expected-failure baseline: those behaviours must fail (panic), and a listed
/// behaviour that passes fails its test so the baseline is kept honest (see
/// [`run_with_baseline`](crate::behaviour::run_with_baseline)). The module
/// also gets a test checking that every listed name is a behaviour.
///
/// ```ignore
/// use wasm_run::{Engine, Wasmi, Wasmtime};
/// wasm_run_conformance::behaviour_tests!(wasmtime, Wasmtime::new);
/// wasm_run_conformance::behaviour_tests!(
///     #[cfg(feature = "wasmi")]
///     wasmi,
///     |c| Wasmi::new(c),
///     expected_failures = [limit_instances],
/// );
/// ```
#[macro_export]
macro_rules! behaviour_tests {
    (
        $(#[$attr:meta])* $modname:ident, $make:expr
        $(, expected_failures = [$($fail:ident),* $(,)?])? $(,)?
    ) => {
        $crate::__wasm_run_behaviours!(
            [$crate::__wasm_run_behaviour_tests_mod]
            { $(#[$attr])* $modname, $make, [$($($fail)*)?] }
        );
    };
}

/// Implementation detail of [`behaviour_tests!`](crate::behaviour_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __wasm_run_behaviour_tests_mod {
    ({ $(#[$attr:meta])* $modname:ident, $make:expr, [$($fail:ident)*] } [ $($name:ident)* ]) => {
        $(#[$attr])*
        mod $modname {
            #[allow(unused_imports)]
            use super::*;

            const EXPECTED_FAILURES: &[&str] = &[$(stringify!($fail)),*];

            $(
                #[test]
                fn $name() {
                    $crate::behaviour::run_with_baseline(stringify!($name), EXPECTED_FAILURES, || {
                        $crate::behaviour::$name($make)
                    });
                }
            )*

            #[test]
            fn expected_failures_are_behaviours() {
                $crate::behaviour::check_baseline(EXPECTED_FAILURES);
            }
        }
    };
}

/// Runs the behaviour `name` through `run`, honouring an expected-failure
/// baseline: if `name` is in `expected_failures` the behaviour must fail (its
/// panic is caught and the test passes) and passing is itself a failure
/// ("remove it from the baseline"); otherwise `run` runs as is.
pub fn run_with_baseline(name: &str, expected_failures: &[&str], run: impl FnOnce()) {
    if expected_failures.contains(&name) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
        assert!(
            outcome.is_err(),
            "`{name}` is listed as an expected failure but passes now: remove it from the baseline"
        );
    } else {
        run();
    }
}

/// Panics unless every entry of an expected-failure baseline names a
/// behaviour (see [`NAMES`]).
pub fn check_baseline(expected_failures: &[&str]) {
    for name in expected_failures {
        assert!(
            NAMES.contains(name),
            "`{name}` in the expected failures is not a behaviour"
        );
    }
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
const FUNCREF: RefType = RefType {
    nullable: true,
    heap: HeapType::Func,
};
/// `externref` as a reference type.
const EXTERNREF: RefType = RefType {
    nullable: true,
    heap: HeapType::Extern,
};

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
    ($result:expr, $pat:pat $(if $guard:expr)?, $($what:tt)+) => {{
        let what = format!($($what)+);
        let e = err($result, &what);
        assert!(
            matches!(e, $pat $(if $guard)?),
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
        Error::Unsupported {
            feature: f,
            engine: name,
        } => {
            assert_eq!(*f, feature, "{what}: Unsupported names the wrong feature");
            assert_eq!(*name, engine, "{what}: Unsupported names the wrong engine");
        }
        other => panic!(
            "{what}: expected Error::Unsupported {{ feature: {feature:?} }}, got {other} ({other:?})"
        ),
    }
}

/// Asserts that compiling `wat` fails because it needs `feature`: either a
/// compile (validation) error or `Unsupported` for that very feature.
#[track_caller]
fn expect_rejected<E: Engine>(engine: &E, wat: &str, feature: Feature, what: &str) {
    for (how, result) in [
        ("Module::new", Module::new(engine, wat).map(|_| ())),
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
        Err(err) => panic!(
            "compiling a test module on {} failed: {err} ({err:?})\n{wat}",
            engine.name()
        ),
    }
}

/// Instantiates a module without imports or fails the test.
#[track_caller]
fn instantiate<E: Engine, T: 'static>(store: &mut Store<E, T>, module: &Module<E>) -> Instance<E> {
    ok(
        Instance::new(store, module, &[]),
        "instantiating a module without imports",
    )
}

/// An exported function or a test failure.
#[track_caller]
fn export_func<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    instance: &Instance<E>,
    name: &str,
) -> Func<E> {
    ok(instance.get_func(store, name), &format!("export `{name}`"))
}

/// Calls `f` dynamically with result slots made from its type.
fn call_dyn<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    f: &Func<E>,
    params: &[Val<E>],
) -> Result<Vec<Val<E>>> {
    let ty = f.ty(&*store);
    let mut results: Vec<Val<E>> = ty
        .results()
        .iter()
        .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
        .collect();
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
        let dir = std::env::temp_dir().join(format!(
            "wasm-run-conformance-{tag}-{}-{nanos}-{n}",
            std::process::id()
        ));
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
            Support::Default => assert!(on, "{name}: {feature} is Default but not in features()"),
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
const FEATURE_PROBES: &[(Feature, &str)] = &[
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
    let export_names: Vec<&str> = from_text
        .exports()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(export_names, ["memory", "promote", "scaled"]);

    // Both compile to working code.
    for module in [&from_text, &from_binary] {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::<E, ()>::new(&engine);
        ok(
            linker.func_wrap(
                "env",
                "scale",
                |_: Caller<'_, E, ()>, x: i32| -> Result<i64> {
                    Ok(i64::from(x) * 1_000_000_000_000)
                },
            ),
            "defining env.scale",
        );
        let instance = ok(linker.instantiate(&mut store, module), "instantiating");
        let promote = ok(
            instance.get_typed_func::<f32, f64>(&mut store, "promote"),
            "promote",
        );
        assert_eq!(ok(promote.call(&mut store, 1.5), "promote(1.5)"), 1.5);
        let scaled = ok(
            instance.get_typed_func::<i32, i64>(&mut store, "scaled"),
            "scaled",
        );
        assert_eq!(
            ok(scaled.call(&mut store, -3), "scaled(-3)"),
            -3_000_000_000_000
        );
    }

    let anonymous = compile(&engine, "(module (func (export \"f\")))");
    assert_eq!(
        anonymous.name(),
        None,
        "a module without a name has Some name"
    );
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
    ok(
        Module::validate(&engine, good),
        "validating a good text module",
    );
    let good_bytes = wat::parse_str(good).expect("test WAT parses");
    ok(
        Module::validate(&engine, &good_bytes),
        "validating a good binary module",
    );

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
        let e = assert_err!(
            Module::validate(&engine, bytes),
            Error::Compile { .. },
            "validate: {what}"
        );
        assert!(!e.to_string().is_empty());
        assert_err!(
            Module::new(&engine, bytes),
            Error::Compile { .. },
            "Module::new: {what}"
        );
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
    let import = |name: &str, ty: ExternType| ImportType {
        module: "env".into(),
        name: name.into(),
        ty,
    };
    let export = |name: &str, ty: ExternType| ExportType {
        name: name.into(),
        ty,
    };
    let f = ExternType::Func(fty([I32, I64, F32, F64], [I32]));
    let memory = ExternType::Memory(MemoryType {
        minimum: 1,
        maximum: Some(4),
        shared: false,
        memory64: false,
        page_size_log2: 16,
    });
    let table = ExternType::Table(TableType {
        element: FUNCREF,
        minimum: 2,
        maximum: Some(10),
        table64: false,
    });
    let const_i32 = ExternType::Global(GlobalType {
        content: I32,
        mutability: Mutability::Const,
    });
    let mut_i64 = ExternType::Global(GlobalType {
        content: I64,
        mutability: Mutability::Var,
    });
    let imports = vec![
        import("f", f.clone()),
        import("unit", ExternType::Func(fty([], []))),
        import("memory", memory.clone()),
        import("table", table.clone()),
        import("const_i32", const_i32.clone()),
        import("mut_i64", mut_i64.clone()),
    ];
    let exports = vec![
        export("own", ExternType::Func(fty([I64], [F32, F64]))),
        export(
            "table2",
            ExternType::Table(TableType {
                element: EXTERNREF,
                minimum: 3,
                maximum: None,
                table64: false,
            }),
        ),
        export(
            "const_f32",
            ExternType::Global(GlobalType::new(F32, Mutability::Const)),
        ),
        export(
            "mut_f64",
            ExternType::Global(GlobalType::new(F64, Mutability::Var)),
        ),
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
    assert_eq!(
        module.imports(),
        imports.as_slice(),
        "imports of the kinds module"
    );
    assert_eq!(
        module.exports(),
        exports.as_slice(),
        "exports of the kinds module"
    );
    assert!(!module.info().has_start);

    // Instantiate with matching host items; runtime types must agree.
    let mut store = Store::new(&engine, ());
    let memory = ok(
        Memory::new(&mut store, MemoryType::new(1, Some(4))),
        "Memory::new",
    );
    let table = ok(
        Table::new(
            &mut store,
            TableType::new(FUNCREF, 2, Some(10)),
            Val::FuncRef(None),
        ),
        "Table::new",
    );
    let const_i32 = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(3),
        ),
        "Global::new",
    );
    let mut_i64 = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I64, Mutability::Var),
            Val::I64(4),
        ),
        "Global::new",
    );
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "env",
            "f",
            |_: Caller<'_, E, ()>, a: i32, _: i64, _: f32, _: f64| -> Result<i32> { Ok(a) },
        ),
        "env.f",
    );
    ok(
        linker.func_wrap("env", "unit", |_: Caller<'_, E, ()>| -> Result<()> {
            Ok(())
        }),
        "env.unit",
    );
    ok(linker.define(&store, "env", "memory", memory), "env.memory");
    ok(linker.define(&store, "env", "table", table), "env.table");
    ok(
        linker.define(&store, "env", "const_i32", const_i32),
        "env.const_i32",
    );
    ok(
        linker.define(&store, "env", "mut_i64", mut_i64),
        "env.mut_i64",
    );
    let instance = ok(
        linker.instantiate(&mut store, &module),
        "instantiating the kinds module",
    );
    let listed = instance.exports(&mut store);
    assert_eq!(listed.len(), exports.len(), "number of instance exports");
    for ((name, item), declared) in listed.iter().zip(&exports) {
        assert_eq!(name, &declared.name);
        assert_eq!(
            item.ty(&store),
            declared.ty,
            "runtime type of export `{name}`"
        );
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
        let ty = MemoryType {
            minimum: 1,
            maximum: Some(5),
            shared: false,
            memory64: true,
            page_size_log2: 16,
        };
        assert_eq!(
            module.exports(),
            &[ExportType {
                name: "m64".into(),
                ty: ExternType::Memory(ty)
            }]
        );
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let memory = instance
            .get_memory(&mut store, "m64")
            .expect("m64 is a memory");
        assert_eq!(memory.ty(&store), ty, "runtime type of a 64-bit memory");
        assert_eq!(memory.size(&store), 1);
    } else {
        expect_rejected(
            &engine,
            MEMORY64_WAT,
            Feature::Memory64,
            "memory64 module without memory64",
        );
    }

    if features.contains(Feature::Threads) {
        let module = compile(&engine, SHARED_MEMORY_WAT);
        let ty = MemoryType {
            minimum: 1,
            maximum: Some(2),
            shared: true,
            memory64: false,
            page_size_log2: 16,
        };
        assert_eq!(
            module.exports(),
            &[ExportType {
                name: "shared".into(),
                ty: ExternType::Memory(ty)
            }]
        );
    } else {
        expect_rejected(
            &engine,
            SHARED_MEMORY_WAT,
            Feature::Threads,
            "shared memory without threads",
        );
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
    let wasm_path = dir.write(
        "answer.wasm",
        wat::parse_str(FROM_FILE_WAT).expect("test WAT parses"),
    );
    let bad_path = dir.write("bad.wasm", b"\0asm\x01\0\0\0\xff");

    let expected = [ExportType {
        name: "answer".into(),
        ty: ExternType::Func(fty([], [ValType::I32])),
    }];
    for path in [&wat_path, &wasm_path] {
        let module = ok(
            Module::from_file(&engine, path),
            &format!("Module::from_file({})", path.display()),
        );
        assert_eq!(module.name(), Some("from_file"));
        assert_eq!(module.exports(), &expected);
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let answer = ok(
            instance.get_typed_func::<(), i32>(&mut store, "answer"),
            "answer",
        );
        assert_eq!(ok(answer.call(&mut store, ()), "answer()"), 42);
    }

    let missing = dir.path().join("missing.wasm");
    let e = assert_err!(
        Module::from_file(&engine, &missing),
        Error::Io { .. },
        "missing file"
    );
    if let Error::Io { path, source } = &e {
        assert!(
            path.contains("missing.wasm"),
            "Io error names {path}, not the missing file"
        );
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    }
    assert_err!(
        Module::from_file(&engine, dir.path()),
        Error::Io { .. },
        "reading a directory"
    );
    assert_err!(
        Module::from_file(&engine, &bad_path),
        Error::Compile { .. },
        "malformed file"
    );
}

// ---------------------------------------------------------------------------
// 3. Host functions, linking and instances
// ---------------------------------------------------------------------------

const HOST_TYPED_WAT: &str = r#"
(module
  (import "host" "unit" (func $unit))
  (import "host" "f0" (func $f0 (result i32)))
  (import "host" "f1" (func $f1 (param i64) (result i64)))
  (import "host" "f2" (func $f2 (param i32 f64) (result f32)))
  (import "host" "f2b" (func $f2b (param f32 i64) (result f64)))
  (import "host" "swap" (func $swap (param i32 i64) (result i64 i32)))
  (import "host" "f16" (func $f16
    (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64) (result f64)))
  (func (export "call_unit") call $unit)
  (func (export "call_f0") (result i32) call $f0)
  (func (export "call_f1") (param i64) (result i64) local.get 0 call $f1)
  (func (export "call_f2") (param i32 f64) (result f32) local.get 0 local.get 1 call $f2)
  (func (export "call_f2b") (param f32 i64) (result f64) local.get 0 local.get 1 call $f2b)
  (func (export "call_swap") (param i32 i64) (result i64 i32) local.get 0 local.get 1 call $swap)
  (func (export "call_f16") (result f64)
    i32.const 1 i64.const 2 f32.const 3 f64.const 4
    i32.const 5 i64.const 6 f32.const 7 f64.const 8
    i32.const 9 i64.const 10 f32.const 11 f64.const 12
    i32.const 13 i64.const 14 f32.const 15 f64.const 16
    call $f16))
"#;

/// Typed host functions of arity 0, 1, 2 (mixed i32/i64/f32/f64), with two
/// results, and with 16 parameters, called from wasm with the right values in
/// the right order; `Linker::get` hands out a callable definition.
pub fn host_func_typed<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_TYPED_WAT);
    let mut store = Store::new(&engine, 0_u32);
    let mut linker = Linker::<E, u32>::new(&engine);
    ok(
        linker.func_wrap("host", "unit", |mut c: Caller<'_, E, u32>| -> Result<()> {
            *c.data_mut() += 1;
            Ok(())
        }),
        "host.unit",
    );
    ok(
        linker.func_wrap("host", "f0", |_: Caller<'_, E, u32>| -> Result<i32> {
            Ok(42)
        }),
        "host.f0",
    );
    ok(
        linker.func_wrap(
            "host",
            "f1",
            |_: Caller<'_, E, u32>, x: i64| -> Result<i64> { Ok(x.wrapping_mul(3)) },
        ),
        "host.f1",
    );
    ok(
        linker.func_wrap(
            "host",
            "f2",
            |_: Caller<'_, E, u32>, a: i32, b: f64| -> Result<f32> {
                Ok((f64::from(a) + b) as f32)
            },
        ),
        "host.f2",
    );
    ok(
        linker.func_wrap(
            "host",
            "f2b",
            |_: Caller<'_, E, u32>, a: f32, b: i64| -> Result<f64> { Ok(f64::from(a) * b as f64) },
        ),
        "host.f2b",
    );
    ok(
        linker.func_wrap(
            "host",
            "swap",
            |_: Caller<'_, E, u32>, a: i32, b: i64| -> Result<(i64, i32)> { Ok((b, a)) },
        ),
        "host.swap",
    );
    // Sum of k * (k-th argument): any reordering of the arguments changes it.
    #[allow(clippy::too_many_arguments)]
    let f16 = |_: Caller<'_, E, u32>,
               a1: i32,
               a2: i64,
               a3: f32,
               a4: f64,
               a5: i32,
               a6: i64,
               a7: f32,
               a8: f64,
               a9: i32,
               a10: i64,
               a11: f32,
               a12: f64,
               a13: i32,
               a14: i64,
               a15: f32,
               a16: f64|
     -> Result<f64> {
        let args = [
            f64::from(a1),
            a2 as f64,
            f64::from(a3),
            a4,
            f64::from(a5),
            a6 as f64,
            f64::from(a7),
            a8,
            f64::from(a9),
            a10 as f64,
            f64::from(a11),
            a12,
            f64::from(a13),
            a14 as f64,
            f64::from(a15),
            a16,
        ];
        Ok(args
            .iter()
            .enumerate()
            .map(|(k, v)| (k + 1) as f64 * v)
            .sum())
    };
    ok(linker.func_wrap("host", "f16", f16), "host.f16");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let call_unit = ok(
        instance.get_typed_func::<(), ()>(&mut store, "call_unit"),
        "call_unit",
    );
    for _ in 0..3 {
        ok(call_unit.call(&mut store, ()), "call_unit()");
    }
    assert_eq!(
        *store.data(),
        3,
        "the arity-0 host function ran three times"
    );

    let call_f0 = ok(
        instance.get_typed_func::<(), i32>(&mut store, "call_f0"),
        "call_f0",
    );
    assert_eq!(ok(call_f0.call(&mut store, ()), "call_f0()"), 42);
    let call_f1 = ok(
        instance.get_typed_func::<i64, i64>(&mut store, "call_f1"),
        "call_f1",
    );
    assert_eq!(ok(call_f1.call(&mut store, 1 << 40), "call_f1"), 3 << 40);
    assert_eq!(ok(call_f1.call(&mut store, -5), "call_f1"), -15);
    let call_f2 = ok(
        instance.get_typed_func::<(i32, f64), f32>(&mut store, "call_f2"),
        "call_f2",
    );
    assert_eq!(ok(call_f2.call(&mut store, (3, 0.25)), "call_f2"), 3.25);
    let call_f2b = ok(
        instance.get_typed_func::<(f32, i64), f64>(&mut store, "call_f2b"),
        "call_f2b",
    );
    assert_eq!(ok(call_f2b.call(&mut store, (1.5, -4)), "call_f2b"), -6.0);
    let call_swap = ok(
        instance.get_typed_func::<(i32, i64), (i64, i32)>(&mut store, "call_swap"),
        "call_swap",
    );
    assert_eq!(
        ok(call_swap.call(&mut store, (7, -9)), "call_swap"),
        (-9, 7)
    );
    let call_f16 = ok(
        instance.get_typed_func::<(), f64>(&mut store, "call_f16"),
        "call_f16",
    );
    // sum of k * k for k = 1..=16
    assert_eq!(ok(call_f16.call(&mut store, ()), "call_f16"), 1496.0);

    // A linker definition can be fetched and called from the host directly.
    let f1 = linker
        .get(&mut store, "host", "f1")
        .and_then(Extern::into_func)
        .expect("host.f1 is defined");
    assert_eq!(f1.ty(&store), fty([ValType::I64], [ValType::I64]));
    let f1 = ok(f1.typed::<i64, i64>(&store), "typed host.f1");
    assert_eq!(ok(f1.call(&mut store, 11), "host.f1(11)"), 33);
    assert!(linker.get(&mut store, "host", "nope").is_none());
}

const HOST_UNTYPED_WAT: &str = r#"
(module
  (import "host" "mix" (func $mix (param i32 i64 f32 f64) (result f64 i32)))
  (import "host" "bad" (func $bad (result i32)))
  (func (export "call_mix") (param i32 i64 f32 f64) (result f64 i32)
    local.get 0 local.get 1 local.get 2 local.get 3 call $mix)
  (func (export "call_bad") (result i32) call $bad))
"#;

/// Untyped host functions (`Linker::func_new`, `Func::new`): they receive
/// the parameters as `Val`s of the declared types, find the result slots
/// pre-filled with zeros, and writing a result of the wrong type is
/// `Error::Type`.
pub fn host_func_untyped<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_UNTYPED_WAT);
    // State: (calls, result slots were pre-filled with zeros, params had the declared types)
    let mut store = Store::new(&engine, (0_u32, false, false));
    let mut linker = Linker::<E, (u32, bool, bool)>::new(&engine);
    ok(
        linker.func_new(
            "host",
            "mix",
            fty([I32, I64, F32, F64], [F64, I32]),
            |mut c: Caller<'_, E, (u32, bool, bool)>,
             params: &[Val<E>],
             results: &mut [Val<E>]|
             -> Result<()> {
                let state = c.data_mut();
                state.0 += 1;
                state.1 =
                    results.len() == 2 && results[0] == Val::F64(0) && results[1] == Val::I32(0);
                state.2 = params.len() == 4 && params.iter().map(Val::ty).eq([I32, I64, F32, F64]);
                let (Some(a), Some(b), Some(x), Some(y)) = (
                    params[0].i32(),
                    params[1].i64(),
                    params[2].as_f32(),
                    params[3].as_f64(),
                ) else {
                    return Err(Error::host("mix: parameters of the wrong types"));
                };
                results[0] = Val::f64(f64::from(a) + b as f64 + f64::from(x) + y);
                results[1] = Val::I32(params.len() as i32);
                Ok(())
            },
        ),
        "host.mix",
    );
    ok(
        linker.func_new(
            "host",
            "bad",
            fty([], [I32]),
            |_: Caller<'_, E, (u32, bool, bool)>,
             _: &[Val<E>],
             results: &mut [Val<E>]|
             -> Result<()> {
                results[0] = Val::I64(1);
                Ok(())
            },
        ),
        "host.bad",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let call_mix = ok(
        instance.get_typed_func::<(i32, i64, f32, f64), (f64, i32)>(&mut store, "call_mix"),
        "call_mix",
    );
    assert_eq!(
        ok(call_mix.call(&mut store, (2, 3, 0.5, 0.25)), "call_mix"),
        (5.75, 4)
    );
    assert_eq!(store.data().0, 1, "the untyped host function ran once");
    assert!(
        store.data().1,
        "result slots of an untyped host function were not pre-filled with zeros"
    );
    assert!(
        store.data().2,
        "parameters of an untyped host function did not have the declared types"
    );

    let call_bad = ok(
        instance.get_typed_func::<(), i32>(&mut store, "call_bad"),
        "call_bad",
    );
    assert_err!(
        call_bad.call(&mut store, ()),
        Error::Type(_),
        "host function writing an i64 into an i32 result"
    );

    // Func::new: an untyped host function owned by the store, called from Rust.
    let inc = ok(
        Func::new(
            &mut store,
            fty([I32], [I32]),
            |_: Caller<'_, E, (u32, bool, bool)>,
             params: &[Val<E>],
             results: &mut [Val<E>]|
             -> Result<()> {
                let x = params[0]
                    .i32()
                    .ok_or_else(|| Error::host("inc: not an i32"))?;
                results[0] = Val::I32(x.wrapping_add(1));
                Ok(())
            },
        ),
        "Func::new",
    );
    assert_eq!(inc.ty(&store), fty([I32], [I32]));
    assert_eq!(
        ok(call_dyn(&mut store, &inc, &[Val::I32(5)]), "inc(5)"),
        [Val::I32(6)]
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &inc, &[Val::I32(i32::MAX)]),
            "inc(MAX)"
        ),
        [Val::I32(i32::MIN)]
    );
}

const HOST_STATE_WAT: &str = r#"
(module
  (import "host" "record" (func $record (param i64)))
  (func (export "run") (param i64)
    local.get 0 call $record
    local.get 0 i64.const 1 i64.add call $record
    local.get 0 i64.const 2 i64.add call $record))
"#;

/// Host state: `Caller::data_mut` counts calls and sees the last argument;
/// the store sees the changes, the host can change the state between calls,
/// `into_data` returns it, and one linker serves two stores with separate
/// states.
pub fn host_state<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    #[derive(Debug, Default, PartialEq)]
    struct Counter {
        calls: u32,
        last: i64,
    }
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_STATE_WAT);
    let mut linker = Linker::<E, Counter>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "record",
            |mut c: Caller<'_, E, Counter>, x: i64| -> Result<()> {
                let state = c.data_mut();
                state.calls += 1;
                state.last = x;
                Ok(())
            },
        ),
        "host.record",
    );

    let mut store = Store::new(&engine, Counter::default());
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let run = ok(instance.get_typed_func::<i64, ()>(&mut store, "run"), "run");
    ok(run.call(&mut store, 10), "run(10)");
    assert_eq!(store.data(), &Counter { calls: 3, last: 12 });
    store.data_mut().calls = 100;
    ok(run.call(&mut store, -1), "run(-1)");
    assert_eq!(
        store.data(),
        &Counter {
            calls: 103,
            last: 1
        }
    );

    // Same linker, another store: its own state.
    let mut other = Store::new(&engine, Counter { calls: 7, last: 0 });
    let other_instance = ok(
        linker.instantiate(&mut other, &module),
        "instantiating in a second store",
    );
    let other_run = ok(
        other_instance.get_typed_func::<i64, ()>(&mut other, "run"),
        "run",
    );
    ok(other_run.call(&mut other, 0), "run(0) in the second store");
    assert_eq!(other.into_data(), Counter { calls: 10, last: 2 });
    assert_eq!(
        store.into_data(),
        Counter {
            calls: 103,
            last: 1
        },
        "the first store's state changed"
    );
}

const CALLER_WAT: &str = r#"
(module
  (import "host" "log" (func $log (param i32 i32)))
  (import "host" "fill" (func $fill (param i32 i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "probe" (func $probe (result i32)))
  (memory (export "memory") 1)
  (global (export "counter") (mut i32) (i32.const 5))
  (data (i32.const 16) "hello, host")
  (func (export "log_greeting") i32.const 16 i32.const 11 call $log)
  (func (export "log_word") (param i32)
    i32.const 64 local.get 0 i32.store
    i32.const 64 i32.const 4 call $log)
  (func (export "fill_and_sum") (result i32)
    i32.const 128 i32.const 4 call $fill
    i32.const 128 i32.load8_u
    i32.const 129 i32.load8_u i32.add
    i32.const 130 i32.load8_u i32.add
    i32.const 131 i32.load8_u i32.add)
  (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
  (func (export "call_reenter") (param i32) (result i32) local.get 0 call $reenter)
  (func (export "call_probe") (result i32) call $probe))
"#;

/// Inside a host function: `Caller::get_memory("memory")` reads what the
/// guest wrote and writes what the guest then reads; `get_export` finds
/// globals and functions of the calling instance (and nothing else); a host
/// function can call back into the instance.
pub fn caller_memory_and_exports<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, CALLER_WAT);
    let mut store = Store::new(&engine, Vec::<Vec<u8>>::new());
    let mut linker = Linker::<E, Vec<Vec<u8>>>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "log",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>, ptr: i32, len: i32| -> Result<()> {
                let memory = c
                    .get_memory("memory")
                    .ok_or_else(|| Error::host("no memory export"))?;
                let mut buf = vec![0; len as usize];
                memory.read(&c, ptr as usize, &mut buf)?;
                c.data_mut().push(buf);
                Ok(())
            },
        ),
        "host.log",
    );
    ok(
        linker.func_wrap(
            "host",
            "fill",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>, ptr: i32, len: i32| -> Result<()> {
                let memory = c
                    .get_memory("memory")
                    .ok_or_else(|| Error::host("no memory export"))?;
                let data = memory.data_mut(&mut c);
                let dst = data
                    .get_mut(ptr as usize..ptr as usize + len as usize)
                    .ok_or_else(|| Error::host("fill out of bounds"))?;
                for (i, byte) in dst.iter_mut().enumerate() {
                    *byte = i as u8 + 1;
                }
                Ok(())
            },
        ),
        "host.fill",
    );
    ok(
        linker.func_wrap(
            "host",
            "reenter",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>, x: i32| -> Result<i32> {
                let double = c
                    .get_export("double")
                    .and_then(Extern::into_func)
                    .ok_or_else(|| Error::host("no double"))?;
                let mut out = [Val::I32(0)];
                double.call(&mut c, &[Val::I32(x)], &mut out)?;
                let dynamic = out[0]
                    .i32()
                    .ok_or_else(|| Error::host("double returned a non-i32"))?;
                let typed = double.typed::<i32, i32>(&c)?.call(&mut c, x)?;
                if dynamic != typed {
                    return Err(Error::host("dynamic and typed re-entrant calls disagree"));
                }
                Ok(typed + 1)
            },
        ),
        "host.reenter",
    );
    ok(
        linker.func_wrap(
            "host",
            "probe",
            |mut c: Caller<'_, E, Vec<Vec<u8>>>| -> Result<i32> {
                // Each failed expectation sets one bit.
                let mut failures = 0;
                if c.get_memory("counter").is_some() {
                    failures |= 1; // a global is not a memory
                }
                if c.get_export("nope").is_some() {
                    failures |= 2;
                }
                match c.get_export("counter") {
                    Some(Extern::Global(g)) => {
                        if g.get(&mut c) != Val::I32(5) {
                            failures |= 4;
                        }
                    }
                    _ => failures |= 8,
                }
                if !matches!(c.get_export("double"), Some(Extern::Func(_))) {
                    failures |= 16;
                }
                if c.get_memory("memory").is_none() {
                    failures |= 32;
                }
                Ok(failures)
            },
        ),
        "host.probe",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let log_greeting = ok(
        instance.get_typed_func::<(), ()>(&mut store, "log_greeting"),
        "log_greeting",
    );
    ok(log_greeting.call(&mut store, ()), "log_greeting()");
    let log_word = ok(
        instance.get_typed_func::<i32, ()>(&mut store, "log_word"),
        "log_word",
    );
    ok(log_word.call(&mut store, 0x6463_6261), "log_word()"); // "abcd" little-endian
    assert_eq!(store.data(), &[b"hello, host".to_vec(), b"abcd".to_vec()]);

    let fill_and_sum = ok(
        instance.get_typed_func::<(), i32>(&mut store, "fill_and_sum"),
        "fill_and_sum",
    );
    assert_eq!(
        ok(fill_and_sum.call(&mut store, ()), "fill_and_sum()"),
        1 + 2 + 3 + 4
    );
    let memory = instance
        .get_memory(&mut store, "memory")
        .expect("memory export");
    assert_eq!(&memory.data(&store)[128..132], &[1, 2, 3, 4]);

    let call_reenter = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "call_reenter"),
        "call_reenter",
    );
    assert_eq!(
        ok(call_reenter.call(&mut store, 20), "call_reenter(20)"),
        41
    );

    let call_probe = ok(
        instance.get_typed_func::<(), i32>(&mut store, "call_probe"),
        "call_probe",
    );
    assert_eq!(
        ok(call_probe.call(&mut store, ()), "call_probe()"),
        0,
        "Caller::get_export/get_memory misbehaved (bits: 1 global as memory, 2 missing export found, \
         4 wrong global value, 8 global not found, 16 function not found, 32 memory not found)"
    );
}

const HOST_ITEMS_WAT: &str = r#"
(module
  (import "env" "memory" (memory 1 2))
  (import "env" "table" (table 2 funcref))
  (import "env" "counter" (global $counter (mut i32)))
  (import "env" "base" (global $base i64))
  (type $ret_i32 (func (result i32)))
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "bump") (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
  (func (export "base_plus") (param i64) (result i64) global.get $base local.get 0 i64.add)
  (func (export "call_slot") (param i32) (result i32) local.get 0 call_indirect (type $ret_i32))
  (func (export "table_size") (result i32) table.size 0)
  (func (export "memory_size") (result i32) memory.size))
"#;

/// Memories, tables, globals and functions created by the host
/// (`Memory::new`, `Table::new`, `Global::new`, `Func::wrap`) and given to a
/// module through `Linker::define` are shared: changes on either side are
/// seen by the other.
pub fn host_defined_items<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_ITEMS_WAT);
    let mut store = Store::new(&engine, ());
    let memory = ok(
        Memory::new(&mut store, MemoryType::new(1, Some(2))),
        "Memory::new",
    );
    let table = ok(
        Table::new(
            &mut store,
            TableType::new(FUNCREF, 2, None),
            Val::FuncRef(None),
        ),
        "Table::new",
    );
    let counter = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Var),
            Val::I32(10),
        ),
        "Global::new",
    );
    let base = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I64, Mutability::Const),
            Val::I64(1 << 40),
        ),
        "Global::new",
    );
    let ninety_nine = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<i32> { Ok(99) }),
        "Func::wrap",
    );
    ok(
        table.set(&mut store, 1, Val::FuncRef(Some(ninety_nine))),
        "table.set",
    );

    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.define(&store, "env", "memory", memory),
        "define memory",
    );
    ok(linker.define(&store, "env", "table", table), "define table");
    ok(
        linker.define(&store, "env", "counter", counter),
        "define counter",
    );
    ok(linker.define(&store, "env", "base", base), "define base");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let store_fn = ok(
        instance.get_typed_func::<(i32, i32), ()>(&mut store, "store"),
        "store",
    );
    let load = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "load"),
        "load",
    );
    ok(store_fn.call(&mut store, (8, 0x0102_0304)), "store");
    let mut buf = [0; 4];
    ok(memory.read(&store, 8, &mut buf), "memory.read");
    assert_eq!(
        buf,
        [4, 3, 2, 1],
        "the guest's store is visible in the host memory"
    );
    ok(memory.write(&mut store, 12, &[9, 0, 0, 0]), "memory.write");
    assert_eq!(
        ok(load.call(&mut store, 12), "load(12)"),
        9,
        "the host's write is visible to the guest"
    );

    let bump = ok(
        instance.get_typed_func::<(), i32>(&mut store, "bump"),
        "bump",
    );
    assert_eq!(ok(bump.call(&mut store, ()), "bump"), 11);
    assert_eq!(
        counter.get(&mut store),
        Val::I32(11),
        "the guest's global.set is visible to the host"
    );
    ok(counter.set(&mut store, Val::I32(100)), "counter.set");
    assert_eq!(
        ok(bump.call(&mut store, ()), "bump"),
        101,
        "the host's set is visible to the guest"
    );

    let base_plus = ok(
        instance.get_typed_func::<i64, i64>(&mut store, "base_plus"),
        "base_plus",
    );
    assert_eq!(
        ok(base_plus.call(&mut store, 5), "base_plus"),
        (1 << 40) + 5
    );

    let call_slot = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "call_slot"),
        "call_slot",
    );
    assert_eq!(
        ok(call_slot.call(&mut store, 1), "call_slot(1)"),
        99,
        "host function placed in a host table"
    );
    expect_trap(
        call_slot.call(&mut store, 0),
        TrapCode::IndirectCallToNull,
        "call_slot(0) on a null element",
    );

    let table_size = ok(
        instance.get_typed_func::<(), i32>(&mut store, "table_size"),
        "table_size",
    );
    assert_eq!(ok(table_size.call(&mut store, ()), "table_size"), 2);
    assert_eq!(
        ok(table.grow(&mut store, 1, Val::FuncRef(None)), "table.grow"),
        2
    );
    assert_eq!(
        ok(table_size.call(&mut store, ()), "table_size"),
        3,
        "the guest sees the host's table.grow"
    );

    let memory_size = ok(
        instance.get_typed_func::<(), i32>(&mut store, "memory_size"),
        "memory_size",
    );
    assert_eq!(ok(memory_size.call(&mut store, ()), "memory_size"), 1);
    assert_eq!(ok(memory.grow(&mut store, 1), "memory.grow"), 1);
    assert_eq!(
        ok(memory_size.call(&mut store, ()), "memory_size"),
        2,
        "the guest sees the host's memory.grow"
    );
}

const LINK_A_WAT: &str = r#"
(module $a
  (memory (export "memory") 1)
  (global (export "value") (mut i32) (i32.const 1))
  (table (export "table") 1 funcref)
  (func $answer (export "answer") (result i32) i32.const 42)
  (elem (i32.const 0) func $answer)
  (func (export "read") (param i32) (result i32) local.get 0 i32.load8_u))
"#;

const LINK_B_WAT: &str = r#"
(module $b
  (import "a" "answer" (func $answer (result i32)))
  (import "a" "memory" (memory 1))
  (import "a" "value" (global $value (mut i32)))
  (import "a" "table" (table 1 funcref))
  (type $ret_i32 (func (result i32)))
  (func (export "run") (result i32)
    i32.const 7 i32.const 0xab i32.store8
    i32.const 2 global.set $value
    call $answer
    i32.const 0 call_indirect (type $ret_i32)
    i32.add))
"#;

/// `Linker::instance` defines every export of one instance (function,
/// memory, global, table) so that another module can import them; both
/// instances then share the items.
pub fn link_instance_exports<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let a = compile(&engine, LINK_A_WAT);
    let b = compile(&engine, LINK_B_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    let instance_a = ok(linker.instantiate(&mut store, &a), "instantiating a");
    ok(
        linker.instance(&mut store, "a", &instance_a),
        "Linker::instance",
    );
    for name in ["memory", "value", "table", "answer", "read"] {
        assert!(
            linker.get(&mut store, "a", name).is_some(),
            "a.{name} is not defined by Linker::instance"
        );
    }
    let instance_b = ok(
        linker.instantiate(&mut store, &b),
        "instantiating b against a's exports",
    );

    let run = ok(
        instance_b.get_typed_func::<(), i32>(&mut store, "run"),
        "run",
    );
    assert_eq!(
        ok(run.call(&mut store, ()), "run"),
        84,
        "a's function called directly and through a's table"
    );
    let read = ok(
        instance_a.get_typed_func::<i32, i32>(&mut store, "read"),
        "read",
    );
    assert_eq!(
        ok(read.call(&mut store, 7), "read(7)"),
        0xab,
        "b wrote a's memory"
    );
    let value = instance_a.get_global(&mut store, "value").expect("a.value");
    assert_eq!(value.get(&mut store), Val::I32(2), "b set a's global");
}

const LINK_MISSING_WAT: &str = r#"
(module
  (import "env" "present" (func (param i32)))
  (import "env" "missing_fn" (func (param i32 i64) (result f64)))
  (import "env" "missing_mem" (memory 1))
  (import "other" "missing_global" (global (mut f32)))
  (import "other" "missing_table" (table 1 5 externref)))
"#;

/// A missing import is `Error::Link(LinkError::Missing { module, name,
/// expected })` for the first missing import in order, with its exact type,
/// for every kind; once everything is defined instantiation succeeds.
pub fn link_error_missing<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, LINK_MISSING_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "env",
            "present",
            |_: Caller<'_, E, ()>, _: i32| -> Result<()> { Ok(()) },
        ),
        "present",
    );

    let expect_missing = |store: &mut Store<E, ()>,
                          linker: &Linker<E, ()>,
                          module_name: &str,
                          name: &str,
                          expected: ExternType| {
        let e = err(
            linker.instantiate(store, &module),
            &format!("instantiating without {module_name}.{name}"),
        );
        match &e {
            Error::Link(link) => assert_eq!(
                &**link,
                &LinkError::Missing {
                    module: module_name.into(),
                    name: name.into(),
                    expected
                },
                "wrong LinkError for the missing {module_name}.{name}"
            ),
            other => panic!(
                "missing {module_name}.{name}: expected Error::Link(Missing), got {other} ({other:?})"
            ),
        }
        assert!(
            e.to_string().contains(name),
            "the message `{e}` does not name {name}"
        );
    };

    expect_missing(
        &mut store,
        &linker,
        "env",
        "missing_fn",
        ExternType::Func(fty([I32, I64], [F64])),
    );
    ok(
        linker.func_wrap(
            "env",
            "missing_fn",
            |_: Caller<'_, E, ()>, a: i32, b: i64| -> Result<f64> { Ok(f64::from(a) + b as f64) },
        ),
        "missing_fn",
    );
    expect_missing(
        &mut store,
        &linker,
        "env",
        "missing_mem",
        ExternType::Memory(MemoryType::new(1, None)),
    );
    let memory = ok(
        Memory::new(&mut store, MemoryType::new(1, None)),
        "Memory::new",
    );
    ok(
        linker.define(&store, "env", "missing_mem", memory),
        "missing_mem",
    );
    expect_missing(
        &mut store,
        &linker,
        "other",
        "missing_global",
        ExternType::Global(GlobalType::new(F32, Mutability::Var)),
    );
    let global = ok(
        Global::new(
            &mut store,
            GlobalType::new(F32, Mutability::Var),
            Val::f32(0.5),
        ),
        "Global::new",
    );
    ok(
        linker.define(&store, "other", "missing_global", global),
        "missing_global",
    );
    expect_missing(
        &mut store,
        &linker,
        "other",
        "missing_table",
        ExternType::Table(TableType::new(EXTERNREF, 1, Some(5))),
    );
    let table = ok(
        Table::new(
            &mut store,
            TableType::new(EXTERNREF, 1, Some(5)),
            Val::ExternRef(None),
        ),
        "Table::new",
    );
    ok(
        linker.define(&store, "other", "missing_table", table),
        "missing_table",
    );
    ok(
        linker.instantiate(&mut store, &module),
        "instantiating with every import defined",
    );
}

/// A definition of the wrong type is `LinkError::Incompatible { module, name,
/// expected, found }` with both types exact: function params or results,
/// global type and mutability, memory and table limits, table element type,
/// and the wrong kind altogether.
pub fn link_error_incompatible<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);

    // Defines `env.x` with `define` on a fresh linker and store, and checks
    // the error of instantiating `import` (a single import of `env.x`).
    fn check<E: Engine>(
        engine: &E,
        import: &str,
        define: impl FnOnce(&mut Store<E, ()>, &mut Linker<E, ()>),
        expected: ExternType,
        found: ExternType,
    ) {
        let wat = format!("(module (import \"env\" \"x\" {import}))");
        let module = compile(engine, &wat);
        let mut store = Store::new(engine, ());
        let mut linker = Linker::<E, ()>::new(engine);
        define(&mut store, &mut linker);
        let e = err(
            linker.instantiate(&mut store, &module),
            &format!("instantiating {wat} with a wrong definition"),
        );
        match &e {
            Error::Link(link) => assert_eq!(
                &**link,
                &LinkError::Incompatible {
                    module: "env".into(),
                    name: "x".into(),
                    expected,
                    found
                },
                "wrong LinkError for {wat}"
            ),
            other => panic!("{wat}: expected Error::Link(Incompatible), got {other} ({other:?})"),
        }
    }

    check(
        &engine,
        "(func (param i32))",
        |_, linker| {
            ok(
                linker.func_wrap("env", "x", |_: Caller<'_, E, ()>, _: i64| -> Result<()> {
                    Ok(())
                }),
                "env.x",
            );
        },
        ExternType::Func(fty([I32], [])),
        ExternType::Func(fty([I64], [])),
    );
    check(
        &engine,
        "(func (param i32) (result i32))",
        |_, linker| {
            ok(
                linker.func_wrap("env", "x", |_: Caller<'_, E, ()>, _: i32| -> Result<()> {
                    Ok(())
                }),
                "env.x",
            );
        },
        ExternType::Func(fty([I32], [I32])),
        ExternType::Func(fty([I32], [])),
    );
    check(
        &engine,
        "(func (param f64))",
        |_, linker| {
            ok(
                linker.func_new(
                    "env",
                    "x",
                    fty([F32], []),
                    |_: Caller<'_, E, ()>, _: &[Val<E>], _: &mut [Val<E>]| -> Result<()> { Ok(()) },
                ),
                "env.x",
            );
        },
        ExternType::Func(fty([F64], [])),
        ExternType::Func(fty([F32], [])),
    );
    check(
        &engine,
        "(global i32)",
        |store, linker| {
            let g = ok(
                Global::new(
                    &mut *store,
                    GlobalType::new(I64, Mutability::Const),
                    Val::I64(1),
                ),
                "global",
            );
            ok(linker.define(store, "env", "x", g), "env.x");
        },
        ExternType::Global(GlobalType::new(I32, Mutability::Const)),
        ExternType::Global(GlobalType::new(I64, Mutability::Const)),
    );
    check(
        &engine,
        "(global i32)",
        |store, linker| {
            let g = ok(
                Global::new(
                    &mut *store,
                    GlobalType::new(I32, Mutability::Var),
                    Val::I32(1),
                ),
                "global",
            );
            ok(linker.define(store, "env", "x", g), "env.x");
        },
        ExternType::Global(GlobalType::new(I32, Mutability::Const)),
        ExternType::Global(GlobalType::new(I32, Mutability::Var)),
    );
    check(
        &engine,
        "(memory 2)",
        |store, linker| {
            let m = ok(Memory::new(&mut *store, MemoryType::new(1, None)), "memory");
            ok(linker.define(store, "env", "x", m), "env.x");
        },
        ExternType::Memory(MemoryType::new(2, None)),
        ExternType::Memory(MemoryType::new(1, None)),
    );
    check(
        &engine,
        "(memory 1 2)",
        |store, linker| {
            let m = ok(Memory::new(&mut *store, MemoryType::new(1, None)), "memory");
            ok(linker.define(store, "env", "x", m), "env.x");
        },
        ExternType::Memory(MemoryType::new(1, Some(2))),
        ExternType::Memory(MemoryType::new(1, None)),
    );
    check(
        &engine,
        "(table 1 funcref)",
        |store, linker| {
            let t = ok(
                Table::new(
                    &mut *store,
                    TableType::new(EXTERNREF, 1, None),
                    Val::ExternRef(None),
                ),
                "table",
            );
            ok(linker.define(store, "env", "x", t), "env.x");
        },
        ExternType::Table(TableType::new(FUNCREF, 1, None)),
        ExternType::Table(TableType::new(EXTERNREF, 1, None)),
    );
    check(
        &engine,
        "(table 3 funcref)",
        |store, linker| {
            let t = ok(
                Table::new(
                    &mut *store,
                    TableType::new(FUNCREF, 2, None),
                    Val::FuncRef(None),
                ),
                "table",
            );
            ok(linker.define(store, "env", "x", t), "env.x");
        },
        ExternType::Table(TableType::new(FUNCREF, 3, None)),
        ExternType::Table(TableType::new(FUNCREF, 2, None)),
    );
    check(
        &engine,
        "(func)",
        |store, linker| {
            let g = ok(
                Global::new(
                    &mut *store,
                    GlobalType::new(I32, Mutability::Const),
                    Val::I32(1),
                ),
                "global",
            );
            ok(linker.define(store, "env", "x", g), "env.x");
        },
        ExternType::Func(fty([], [])),
        ExternType::Global(GlobalType::new(I32, Mutability::Const)),
    );
}

/// Defining the same name twice is `LinkError::Duplicate` unless shadowing is
/// allowed, in which case the later definition wins.
pub fn link_duplicate_definitions<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(
        &engine,
        r#"(module (import "env" "f" (func $f (result i32))) (func (export "run") (result i32) call $f))"#,
    );
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap("env", "f", |_: Caller<'_, E, ()>| -> Result<i32> { Ok(1) }),
        "first env.f",
    );
    let e = err(
        linker
            .func_wrap("env", "f", |_: Caller<'_, E, ()>| -> Result<i32> { Ok(2) })
            .map(|_| ()),
        "second env.f",
    );
    match &e {
        Error::Link(link) => {
            assert_eq!(
                &**link,
                &LinkError::Duplicate {
                    module: "env".into(),
                    name: "f".into()
                }
            )
        }
        other => panic!("second env.f: expected Error::Link(Duplicate), got {other} ({other:?})"),
    }
    let g = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(0),
        ),
        "global",
    );
    ok(linker.define(&store, "env", "g", g), "first env.g");
    assert_err!(
        linker.define(&store, "env", "g", g).map(|_| ()),
        Error::Link(ref link) if matches!(**link, LinkError::Duplicate { .. }),
        "second env.g"
    );

    // Without shadowing the first definition stays.
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let run = ok(instance.get_typed_func::<(), i32>(&mut store, "run"), "run");
    assert_eq!(
        ok(run.call(&mut store, ()), "run"),
        1,
        "a refused duplicate replaced the first definition"
    );

    linker.allow_shadowing(true);
    ok(
        linker.func_wrap("env", "f", |_: Caller<'_, E, ()>| -> Result<i32> { Ok(2) }),
        "shadowing env.f",
    );
    let instance = ok(
        linker.instantiate(&mut store, &module),
        "instantiating after shadowing",
    );
    let run = ok(instance.get_typed_func::<(), i32>(&mut store, "run"), "run");
    assert_eq!(
        ok(run.call(&mut store, ()), "run"),
        2,
        "the shadowing definition is not used"
    );
}

const START_WAT: &str = r#"
(module
  (import "host" "hit" (func $hit (param i32)))
  (global (export "g") (mut i32) (i32.const 0))
  (func $start i32.const 7 call $hit i32.const 42 global.set 0)
  (start $start))
"#;

/// The start function runs once per instantiation, before the instance is
/// returned (it calls a host import and sets a global); a trapping start
/// function makes instantiation fail with that trap.
pub fn start_function<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, START_WAT);
    assert!(module.info().has_start);
    let mut store = Store::new(&engine, Vec::<i32>::new());
    let mut linker = Linker::<E, Vec<i32>>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "hit",
            |mut c: Caller<'_, E, Vec<i32>>, x: i32| -> Result<()> {
                c.data_mut().push(x);
                Ok(())
            },
        ),
        "host.hit",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    assert_eq!(
        store.data(),
        &[7],
        "the start function did not call the host exactly once"
    );
    let g = instance.get_global(&mut store, "g").expect("export g");
    assert_eq!(
        g.get(&mut store),
        Val::I32(42),
        "the start function did not set the global"
    );
    ok(
        linker.instantiate(&mut store, &module),
        "instantiating again",
    );
    assert_eq!(
        store.data(),
        &[7, 7],
        "the start function runs once per instantiation"
    );

    let trapping = compile(&engine, "(module (func $s unreachable) (start $s))");
    let mut store = Store::new(&engine, ());
    expect_trap(
        Instance::new(&mut store, &trapping, &[]),
        TrapCode::Unreachable,
        "trapping start function",
    );
}

const ORDERED_IMPORTS_WAT: &str = r#"
(module
  (import "x" "add" (func $add (param i32 i32) (result i32)))
  (import "y" "mem" (memory 1))
  (import "z" "g" (global $g i32))
  (func (export "run") (result i32) global.get $g i32.const 0 i32.load call $add))
"#;

/// `Instance::new` takes imports in the module's order; the wrong count is
/// `Error::Type` and an item of the wrong type is `LinkError::Incompatible`
/// naming the import.
pub fn instance_new_ordered_imports<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, ORDERED_IMPORTS_WAT);
    let mut store = Store::new(&engine, ());
    let add = ok(
        Func::wrap(
            &mut store,
            |_: Caller<'_, E, ()>, a: i32, b: i32| -> Result<i32> { Ok(a.wrapping_add(b)) },
        ),
        "Func::wrap",
    );
    let mem = ok(
        Memory::new(&mut store, MemoryType::new(1, None)),
        "Memory::new",
    );
    ok(
        mem.write(&mut store, 0, &30_i32.to_le_bytes()),
        "memory.write",
    );
    let g = ok(
        Global::new(
            &mut store,
            GlobalType::new(I32, Mutability::Const),
            Val::I32(12),
        ),
        "Global::new",
    );

    let instance = ok(
        Instance::new(&mut store, &module, &[add.into(), mem.into(), g.into()]),
        "Instance::new",
    );
    let run = ok(instance.get_typed_func::<(), i32>(&mut store, "run"), "run");
    assert_eq!(ok(run.call(&mut store, ()), "run"), 42);

    assert_err!(
        Instance::new(&mut store, &module, &[add.into(), mem.into()]),
        Error::Type(_),
        "too few imports"
    );
    assert_err!(
        Instance::new(
            &mut store,
            &module,
            &[add.into(), mem.into(), g.into(), g.into()]
        ),
        Error::Type(_),
        "too many imports"
    );
    let e = err(
        Instance::new(&mut store, &module, &[mem.into(), add.into(), g.into()]),
        "imports out of order",
    );
    match &e {
        Error::Link(link) => assert_eq!(
            &**link,
            &LinkError::Incompatible {
                module: "x".into(),
                name: "add".into(),
                expected: ExternType::Func(fty([I32, I32], [I32])),
                found: ExternType::Memory(MemoryType::new(1, None)),
            }
        ),
        other => panic!(
            "imports out of order: expected Error::Link(Incompatible), got {other} ({other:?})"
        ),
    }
}

const EXPORTS_WAT: &str = r#"
(module
  (func $f1 (export "f1"))
  (memory (export "mem") 1)
  (global (export "glob") i32 (i32.const 3))
  (table (export "tab") 1 funcref)
  (func $f2 (export "f2") (result i32) i32.const 2)
  (export "f2_alias" (func $f2)))
"#;

/// `Instance::exports` lists every export by name in declaration order with
/// the right kind and type; the typed getters find the right kinds and answer
/// `None`/`Error::Type` for the wrong kind or a missing name; one function
/// exported twice is callable under both names.
pub fn instance_exports_listing<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, EXPORTS_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);

    let listed = instance.exports(&mut store);
    let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["f1", "mem", "glob", "tab", "f2", "f2_alias"]);
    let kinds: Vec<&str> = listed.iter().map(|(_, x)| x.ty(&store).kind()).collect();
    assert_eq!(kinds, ["func", "memory", "global", "table", "func", "func"]);
    for ((name, item), declared) in listed.iter().zip(module.exports()) {
        assert_eq!(name, &declared.name);
        assert_eq!(
            item.ty(&store),
            declared.ty,
            "runtime type of export {name}"
        );
    }
    assert_eq!(instance.export_types(), module.exports());

    assert!(instance.get_memory(&mut store, "mem").is_some());
    assert!(instance.get_global(&mut store, "glob").is_some());
    assert!(instance.get_table(&mut store, "tab").is_some());
    assert!(
        instance.get_memory(&mut store, "f1").is_none(),
        "a function is not a memory"
    );
    assert!(
        instance.get_global(&mut store, "mem").is_none(),
        "a memory is not a global"
    );
    assert!(
        instance.get_table(&mut store, "glob").is_none(),
        "a global is not a table"
    );
    assert!(instance.get_export(&mut store, "nope").is_none());
    assert_err!(
        instance.get_func(&mut store, "mem"),
        Error::Type(_),
        "get_func on a memory"
    );
    assert_err!(
        instance.get_func(&mut store, "nope"),
        Error::Type(_),
        "get_func on a missing export"
    );
    assert_err!(
        instance.get_typed_func::<(), i32>(&mut store, "nope"),
        Error::Type(_),
        "get_typed_func on a missing export"
    );

    for name in ["f2", "f2_alias"] {
        let f = ok(instance.get_typed_func::<(), i32>(&mut store, name), name);
        assert_eq!(ok(f.call(&mut store, ()), name), 2);
    }
    let f1 = ok(instance.get_typed_func::<(), ()>(&mut store, "f1"), "f1");
    ok(f1.call(&mut store, ()), "f1");
}

// ---------------------------------------------------------------------------
// 4. Calls and values
// ---------------------------------------------------------------------------

const CALLS_WAT: &str = r#"
(module
  (func (export "add") (param i32 i64) (result i64) local.get 0 i64.extend_i32_s local.get 1 i64.add)
  (func (export "pair") (param f32 f64) (result f64 f32) local.get 1 local.get 0)
  (func (export "none"))
  (func (export "conv") (param i32 i64) (result f32)
    local.get 0 f32.convert_i32_s local.get 1 f32.convert_i64_s f32.add)
  (func (export "id32") (param i32) (result i32) local.get 0)
  (func (export "trap") (result i32) unreachable)
  (memory (export "memory") 1))
"#;

/// `Func::call` with `&[Val]` params and `&mut [Val]` results, including
/// several results and none; wrong arity, wrong parameter types and too few
/// result slots are `Error::Type` (from `call` and from `call_checked`), not
/// a panic; results can be reused across calls.
pub fn call_dynamic<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, CALLS_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let add = export_func(&mut store, &instance, "add");
    let pair = export_func(&mut store, &instance, "pair");
    let none = export_func(&mut store, &instance, "none");

    let mut out = [Val::I64(0)];
    ok(
        add.call(&mut store, &[Val::I32(-2), Val::I64(10)], &mut out),
        "add(-2, 10)",
    );
    assert_eq!(out, [Val::I64(8)]);
    for i in 0..100_i64 {
        ok(
            add.call(&mut store, &[Val::I32(i as i32), Val::I64(i)], &mut out),
            "add in a loop",
        );
        assert_eq!(out, [Val::I64(2 * i)]);
    }
    let mut two = [Val::I32(0), Val::I32(0)];
    ok(
        pair.call(&mut store, &[Val::f32(1.5), Val::f64(2.5)], &mut two),
        "pair(1.5, 2.5)",
    );
    assert_eq!(
        two,
        [Val::f64(2.5), Val::f32(1.5)],
        "several results, in order and with their types"
    );
    ok(none.call(&mut store, &[], &mut []), "none()");

    // Bad calls are errors, through both entry points.
    for checked in [false, true] {
        let call =
            |store: &mut Store<E, ()>, f: &Func<E>, params: &[Val<E>], results: &mut [Val<E>]| {
                if checked {
                    f.call_checked(store, params, results)
                } else {
                    f.call(store, params, results)
                }
            };
        let how = if checked { "call_checked" } else { "call" };
        let mut out = [Val::I64(0)];
        assert_err!(
            call(&mut store, &add, &[Val::I32(1)], &mut out),
            Error::Type(_),
            "{how}: too few arguments"
        );
        assert_err!(
            call(
                &mut store,
                &add,
                &[Val::I32(1), Val::I64(2), Val::I64(3)],
                &mut out
            ),
            Error::Type(_),
            "{how}: too many arguments"
        );
        assert_err!(
            call(&mut store, &add, &[Val::I64(1), Val::I64(2)], &mut out),
            Error::Type(_),
            "{how}: argument of the wrong type"
        );
        assert_err!(
            call(
                &mut store,
                &add,
                &[Val::I32(1), Val::FuncRef(None)],
                &mut out
            ),
            Error::Type(_),
            "{how}: reference where a number is expected"
        );
        assert_err!(
            call(&mut store, &add, &[Val::I32(1), Val::I64(2)], &mut []),
            Error::Type(_),
            "{how}: no room for the result"
        );
    }
    // Still fine afterwards.
    ok(
        add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut out),
        "add(1, 2)",
    );
    assert_eq!(out, [Val::I64(3)]);
}

/// Typed calls: `get_typed_func::<(i32, i64), f32>`, several results, unit,
/// `u32` for `i32`; a wrong signature (params, results or arity) or a
/// non-function export is `Error::Type`; a trap comes back as a trap.
pub fn call_typed<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, CALLS_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);

    let conv = ok(
        instance.get_typed_func::<(i32, i64), f32>(&mut store, "conv"),
        "conv",
    );
    assert_eq!(ok(conv.call(&mut store, (2, 3)), "conv(2, 3)"), 5.0);
    assert_eq!(
        ok(conv.call(&mut store, (-7, 1 << 24)), "conv"),
        16_777_209.0
    );
    let conv_func = conv.func();
    assert_eq!(
        conv_func.ty(&store),
        fty([ValType::I32, ValType::I64], [ValType::F32])
    );

    let pair = ok(
        instance.get_typed_func::<(f32, f64), (f64, f32)>(&mut store, "pair"),
        "pair",
    );
    assert_eq!(
        ok(pair.call(&mut store, (0.5, -1.25)), "pair"),
        (-1.25, 0.5)
    );
    let none = ok(
        instance.get_typed_func::<(), ()>(&mut store, "none"),
        "none",
    );
    ok(none.call(&mut store, ()), "none()");
    let id_u32 = ok(
        instance.get_typed_func::<u32, u32>(&mut store, "id32"),
        "id32 as u32",
    );
    assert_eq!(
        ok(id_u32.call(&mut store, u32::MAX), "id32(u32::MAX)"),
        u32::MAX
    );
    let id_tuple = ok(
        instance.get_typed_func::<(i32,), (i32,)>(&mut store, "id32"),
        "id32 as 1-tuples",
    );
    assert_eq!(ok(id_tuple.call(&mut store, (-4,)), "id32((-4,))"), (-4,));

    // Same function through Func::typed.
    let add = export_func(&mut store, &instance, "add");
    let add = ok(add.typed::<(i32, i64), i64>(&store), "Func::typed");
    assert_eq!(
        ok(add.call(&mut store, (-1, i64::MAX)), "add"),
        i64::MAX - 1
    );

    macro_rules! wrong {
        ($p:ty, $r:ty, $name:literal) => {
            assert_err!(
                instance.get_typed_func::<$p, $r>(&mut store, $name),
                Error::Type(_),
                "`{}` typed as {} -> {}",
                $name,
                stringify!($p),
                stringify!($r)
            );
        };
    }
    wrong!((i64, i64), f32, "conv");
    wrong!((i32, i64), f64, "conv");
    wrong!((i32,), f32, "conv");
    wrong!((i32, i64, i32), f32, "conv");
    wrong!((i32, i64), (), "conv");
    wrong!((i32, i64), (f32, f32), "conv");
    wrong!((), i32, "none");
    wrong!((), (), "memory");
    wrong!((), (), "no_such_export");
    assert_err!(
        export_func(&mut store, &instance, "conv").typed::<(), ()>(&store),
        Error::Type(_),
        "Func::typed"
    );

    let trap = ok(
        instance.get_typed_func::<(), i32>(&mut store, "trap"),
        "trap",
    );
    expect_trap(
        trap.call(&mut store, ()),
        TrapCode::Unreachable,
        "typed call of a trapping function",
    );
}

const I64_WAT: &str = r#"
(module
  (import "host" "id64" (func $hid (param i64) (result i64)))
  (func (export "id") (param i64) (result i64) local.get 0)
  (func (export "via_host") (param i64) (result i64) local.get 0 call $hid)
  (func (export "id32") (param i32) (result i32) local.get 0)
  (func (export "min") (result i64) i64.const -9223372036854775808)
  (func (export "max") (result i64) i64.const 9223372036854775807)
  (func (export "hi_bit") (param i64) (result i32) local.get 0 i64.const 63 i64.shr_u i32.wrap_i64)
  (func (export "lo32") (param i64) (result i32) local.get 0 i32.wrap_i64))
"#;

/// Every i64 (the extremes, around 2^53, -1) survives typed and dynamic calls
/// and a trip through a host function without losing bits; `u64::MAX` as
/// `u64`; i32 extremes too.
pub fn values_i64_range<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, I64_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "id64",
            |_: Caller<'_, E, ()>, x: i64| -> Result<i64> { Ok(x) },
        ),
        "host.id64",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let id = ok(instance.get_typed_func::<i64, i64>(&mut store, "id"), "id");
    let via_host = ok(
        instance.get_typed_func::<i64, i64>(&mut store, "via_host"),
        "via_host",
    );
    let id_dyn = export_func(&mut store, &instance, "id");
    let values = [
        i64::MIN,
        i64::MIN + 1,
        -(1 << 53) - 1,
        -1,
        0,
        1,
        1 << 32,
        (1 << 53) + 1,
        i64::MAX - 1,
        i64::MAX,
    ];
    for v in values {
        assert_eq!(
            ok(id.call(&mut store, v), "typed id"),
            v,
            "typed i64 identity of {v}"
        );
        assert_eq!(
            ok(via_host.call(&mut store, v), "via_host"),
            v,
            "i64 {v} through a host function"
        );
        assert_eq!(
            ok(call_dyn(&mut store, &id_dyn, &[Val::I64(v)]), "dynamic id"),
            [Val::I64(v)]
        );
    }
    let min = ok(instance.get_typed_func::<(), i64>(&mut store, "min"), "min");
    let max = ok(instance.get_typed_func::<(), i64>(&mut store, "max"), "max");
    assert_eq!(ok(min.call(&mut store, ()), "min"), i64::MIN);
    assert_eq!(ok(max.call(&mut store, ()), "max"), i64::MAX);
    let hi_bit = ok(
        instance.get_typed_func::<i64, i32>(&mut store, "hi_bit"),
        "hi_bit",
    );
    assert_eq!(ok(hi_bit.call(&mut store, i64::MIN), "hi_bit(MIN)"), 1);
    assert_eq!(ok(hi_bit.call(&mut store, i64::MAX), "hi_bit(MAX)"), 0);
    let lo32 = ok(
        instance.get_typed_func::<i64, i32>(&mut store, "lo32"),
        "lo32",
    );
    assert_eq!(
        ok(lo32.call(&mut store, 0x1234_5678_9abc_def0), "lo32"),
        0x9abc_def0_u32 as i32
    );

    let id_u64 = ok(
        instance.get_typed_func::<u64, u64>(&mut store, "id"),
        "id as u64",
    );
    assert_eq!(
        ok(id_u64.call(&mut store, u64::MAX), "id(u64::MAX)"),
        u64::MAX
    );
    assert_eq!(ok(id_u64.call(&mut store, 1 << 63), "id(2^63)"), 1 << 63);
    let id32 = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "id32"),
        "id32",
    );
    for v in [i32::MIN, -1, 0, i32::MAX] {
        assert_eq!(ok(id32.call(&mut store, v), "id32"), v);
    }
}

const NAN_WAT: &str = r#"
(module
  (import "host" "id32" (func $h32 (param f32) (result f32)))
  (import "host" "id64" (func $h64 (param f64) (result f64)))
  (func (export "f32_id") (param f32) (result f32) local.get 0)
  (func (export "f64_id") (param f64) (result f64) local.get 0)
  (func (export "f32_host") (param f32) (result f32) local.get 0 call $h32)
  (func (export "f64_host") (param f64) (result f64) local.get 0 call $h64)
  (func (export "f32_bits") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
  (func (export "f64_bits") (param f64) (result i64) local.get 0 i64.reinterpret_f64)
  (func (export "f32_const_nan") (result f32) f32.const nan:0x200001)
  (func (export "f64_const_nan") (result f64) f64.const nan:0x4000000000001))
"#;

/// Float bit patterns, NaN payloads included (signalling NaN `0x7fa00001`,
/// `0x7ff4000000000001`, negative NaNs, -0.0, subnormals, infinity), survive
/// bit-exactly through dynamic (`Val::F32(bits)`) and typed calls, through
/// host functions, and out of constants.
pub fn values_nan_payloads<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, NAN_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "id32",
            |_: Caller<'_, E, ()>, x: f32| -> Result<f32> { Ok(x) },
        ),
        "host.id32",
    );
    ok(
        linker.func_wrap(
            "host",
            "id64",
            |_: Caller<'_, E, ()>, x: f64| -> Result<f64> { Ok(x) },
        ),
        "host.id64",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let f32_bits: [u32; 7] = [
        0x7fa0_0001,
        0x7fc0_0001,
        0xffc0_0000,
        0xff80_0001,
        0x8000_0000,
        0x0000_0001,
        0x7f80_0000,
    ];
    let f64_bits: [u64; 7] = [
        0x7ff4_0000_0000_0001,
        0x7ff8_0000_0000_0001,
        0xfff8_0000_0000_0000,
        0xfff0_0000_0000_0001,
        0x8000_0000_0000_0000,
        0x0000_0000_0000_0001,
        0x7ff0_0000_0000_0000,
    ];

    let id32_dyn = export_func(&mut store, &instance, "f32_id");
    let id32 = ok(
        instance.get_typed_func::<f32, f32>(&mut store, "f32_id"),
        "f32_id",
    );
    let host32 = ok(
        instance.get_typed_func::<f32, f32>(&mut store, "f32_host"),
        "f32_host",
    );
    let host32_dyn = export_func(&mut store, &instance, "f32_host");
    let bits32 = ok(
        instance.get_typed_func::<f32, i32>(&mut store, "f32_bits"),
        "f32_bits",
    );
    for bits in f32_bits {
        let what = format!("f32 bits {bits:#010x}");
        let out = ok(call_dyn(&mut store, &id32_dyn, &[Val::F32(bits)]), &what);
        assert_eq!(out, [Val::F32(bits)], "{what}: dynamic identity");
        let out = ok(id32.call(&mut store, f32::from_bits(bits)), &what);
        assert_eq!(out.to_bits(), bits, "{what}: typed identity");
        let out = ok(host32.call(&mut store, f32::from_bits(bits)), &what);
        assert_eq!(
            out.to_bits(),
            bits,
            "{what}: typed, through a host function"
        );
        let out = ok(call_dyn(&mut store, &host32_dyn, &[Val::F32(bits)]), &what);
        assert_eq!(
            out,
            [Val::F32(bits)],
            "{what}: dynamic, through a host function"
        );
        let seen = ok(bits32.call(&mut store, f32::from_bits(bits)), &what);
        assert_eq!(seen as u32, bits, "{what}: the bits wasm sees");
    }

    let id64_dyn = export_func(&mut store, &instance, "f64_id");
    let id64 = ok(
        instance.get_typed_func::<f64, f64>(&mut store, "f64_id"),
        "f64_id",
    );
    let host64 = ok(
        instance.get_typed_func::<f64, f64>(&mut store, "f64_host"),
        "f64_host",
    );
    let host64_dyn = export_func(&mut store, &instance, "f64_host");
    let bits64 = ok(
        instance.get_typed_func::<f64, i64>(&mut store, "f64_bits"),
        "f64_bits",
    );
    for bits in f64_bits {
        let what = format!("f64 bits {bits:#018x}");
        let out = ok(call_dyn(&mut store, &id64_dyn, &[Val::F64(bits)]), &what);
        assert_eq!(out, [Val::F64(bits)], "{what}: dynamic identity");
        let out = ok(id64.call(&mut store, f64::from_bits(bits)), &what);
        assert_eq!(out.to_bits(), bits, "{what}: typed identity");
        let out = ok(host64.call(&mut store, f64::from_bits(bits)), &what);
        assert_eq!(
            out.to_bits(),
            bits,
            "{what}: typed, through a host function"
        );
        let out = ok(call_dyn(&mut store, &host64_dyn, &[Val::F64(bits)]), &what);
        assert_eq!(
            out,
            [Val::F64(bits)],
            "{what}: dynamic, through a host function"
        );
        let seen = ok(bits64.call(&mut store, f64::from_bits(bits)), &what);
        assert_eq!(seen as u64, bits, "{what}: the bits wasm sees");
    }

    let c32 = export_func(&mut store, &instance, "f32_const_nan");
    assert_eq!(
        ok(call_dyn(&mut store, &c32, &[]), "f32_const_nan"),
        [Val::F32(0x7fa0_0001)]
    );
    let c64 = export_func(&mut store, &instance, "f64_const_nan");
    assert_eq!(
        ok(call_dyn(&mut store, &c64, &[]), "f64_const_nan"),
        [Val::F64(0x7ff4_0000_0000_0001)]
    );
}

const V128_WAT: &str = r#"
(module
  (import "host" "vid" (func $h (param v128) (result v128)))
  (func (export "id") (param v128) (result v128) local.get 0)
  (func (export "via_host") (param v128) (result v128) local.get 0 call $h)
  (func (export "lane0") (param v128) (result i32) local.get 0 i32x4.extract_lane 0)
  (func (export "const") (result v128) v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c))
"#;

/// With SIMD on, `v128` values survive dynamic and typed calls and host
/// functions, and lane order is little-endian; with SIMD off a module using
/// `v128` is rejected.
pub fn values_v128<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    if !engine.features().contains(Feature::Simd) {
        expect_rejected(
            &engine,
            V128_WAT,
            Feature::Simd,
            "a v128 module without SIMD",
        );
        return;
    }
    let module = compile(&engine, V128_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "vid",
            |_: Caller<'_, E, ()>, v: V128| -> Result<V128> { Ok(v) },
        ),
        "host.vid",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let id = ok(
        instance.get_typed_func::<V128, V128>(&mut store, "id"),
        "id",
    );
    let via_host = ok(
        instance.get_typed_func::<V128, V128>(&mut store, "via_host"),
        "via_host",
    );
    let id_dyn = export_func(&mut store, &instance, "id");
    let lane0 = ok(
        instance.get_typed_func::<V128, i32>(&mut store, "lane0"),
        "lane0",
    );
    for v in [
        0,
        1,
        u128::MAX,
        0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        1 << 127,
    ] {
        let v = V128(v);
        assert_eq!(
            ok(id.call(&mut store, v), "typed id"),
            v,
            "typed v128 identity of {v:?}"
        );
        assert_eq!(
            ok(via_host.call(&mut store, v), "via_host"),
            v,
            "v128 {v:?} through a host function"
        );
        assert_eq!(
            ok(call_dyn(&mut store, &id_dyn, &[Val::V128(v)]), "dynamic id"),
            [Val::V128(v)]
        );
        assert_eq!(
            ok(lane0.call(&mut store, v), "lane0"),
            v.0 as u32 as i32,
            "lane 0 is the low 32 bits"
        );
    }
    let c = export_func(&mut store, &instance, "const");
    let expected = V128::from_bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    assert_eq!(
        ok(call_dyn(&mut store, &c, &[]), "const"),
        [Val::V128(expected)]
    );
}

const FUNCREF_WAT: &str = r#"
(module
  (type $ret_i32 (func (result i32)))
  (table (export "table") 2 funcref)
  (func $seven (export "seven") (result i32) i32.const 7)
  (elem declare func $seven)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $ret_i32))
  (func (export "null") (result funcref) ref.null func)
  (func (export "get_seven") (result funcref) ref.func $seven)
  (func (export "is_null") (param funcref) (result i32) local.get 0 ref.is_null)
  (func (export "id") (param funcref) (result funcref) local.get 0))
"#;

/// `funcref` values: a host `Func` and an exported wasm function stored with
/// `Table::set` are callable through `call_indirect`; `ref.null func` comes
/// back as `Val::FuncRef(None)`; `ref.func` comes back as a callable `Func`;
/// null and non-null references pass into wasm correctly.
pub fn values_funcref<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, FUNCREF_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let table = instance
        .get_table(&mut store, "table")
        .expect("table export");
    let host = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<i32> { Ok(77) }),
        "Func::wrap",
    );
    let seven = export_func(&mut store, &instance, "seven");
    ok(
        table.set(&mut store, 0, Val::FuncRef(Some(host))),
        "table.set(0, host)",
    );
    ok(
        table.set(&mut store, 1, Val::FuncRef(Some(seven))),
        "table.set(1, seven)",
    );
    let call = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "call"),
        "call",
    );
    assert_eq!(
        ok(call.call(&mut store, 0), "call(0)"),
        77,
        "host function through call_indirect"
    );
    assert_eq!(
        ok(call.call(&mut store, 1), "call(1)"),
        7,
        "wasm function through call_indirect"
    );

    let null = export_func(&mut store, &instance, "null");
    let out = ok(call_dyn(&mut store, &null, &[]), "null()");
    assert!(
        matches!(out.as_slice(), [Val::FuncRef(None)]),
        "ref.null func came back as {out:?}"
    );

    let get_seven = export_func(&mut store, &instance, "get_seven");
    let out = ok(call_dyn(&mut store, &get_seven, &[]), "get_seven()");
    let Some(Val::FuncRef(Some(f))) = out.first().copied() else {
        panic!("ref.func came back as {out:?}");
    };
    assert_eq!(f.ty(&store), fty([], [ValType::I32]));
    assert_eq!(
        ok(
            call_dyn(&mut store, &f, &[]),
            "calling the returned funcref"
        ),
        [Val::I32(7)]
    );

    let is_null = export_func(&mut store, &instance, "is_null");
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::FuncRef(None)]),
            "is_null(null)"
        ),
        [Val::I32(1)]
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::FuncRef(Some(host))]),
            "is_null(host)"
        ),
        [Val::I32(0)]
    );

    let id = export_func(&mut store, &instance, "id");
    let out = ok(
        call_dyn(&mut store, &id, &[Val::FuncRef(Some(host))]),
        "id(host)",
    );
    let Some(Val::FuncRef(Some(back))) = out.first().copied() else {
        panic!("funcref identity came back as {out:?}");
    };
    assert_eq!(
        ok(
            call_dyn(&mut store, &back, &[]),
            "calling the round-tripped funcref"
        ),
        [Val::I32(77)]
    );
    let out = ok(call_dyn(&mut store, &id, &[Val::FuncRef(None)]), "id(null)");
    assert!(
        matches!(out.as_slice(), [Val::FuncRef(None)]),
        "null funcref identity came back as {out:?}"
    );
}

const EXTERNREF_WAT: &str = r#"
(module
  (import "host" "peek" (func $peek (param externref) (result i32)))
  (table (export "refs") 2 externref)
  (func (export "id") (param externref) (result externref) local.get 0)
  (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null)
  (func (export "stash") (param externref) i32.const 0 local.get 0 table.set 0)
  (func (export "fetch") (result externref) i32.const 0 table.get 0)
  (func (export "call_peek") (param externref) (result i32) local.get 0 call $peek))
"#;

/// `externref` values: `ExternRef::new(store, 42u32)` survives an identity
/// function and a table and still downcasts to `42u32`; a host function
/// receives it and reads the value; null stays null.
pub fn values_externref<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, EXTERNREF_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_new(
            "host",
            "peek",
            fty([ValType::EXTERNREF], [ValType::I32]),
            |c: Caller<'_, E, ()>, params: &[Val<E>], results: &mut [Val<E>]| -> Result<()> {
                results[0] = Val::I32(match params.first() {
                    Some(Val::ExternRef(Some(r))) => {
                        match r.data(&c).and_then(|d| d.downcast_ref::<u32>()) {
                            Some(v) => *v as i32,
                            None => -2,
                        }
                    }
                    Some(Val::ExternRef(None)) => -1,
                    _ => -3,
                });
                Ok(())
            },
        ),
        "host.peek",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let answer = ok(ExternRef::new(&mut store, 42_u32), "ExternRef::new");
    let read = |store: &Store<E, ()>, v: &Val<E>| -> Option<u32> {
        match v {
            Val::ExternRef(Some(r)) => r.data(store).and_then(|d| d.downcast_ref::<u32>()).copied(),
            _ => None,
        }
    };
    assert_eq!(
        read(&store, &Val::ExternRef(Some(answer))),
        Some(42),
        "a fresh ExternRef does not hold its value"
    );
    let wrong = answer.data(&store).and_then(|d| d.downcast_ref::<String>());
    assert!(wrong.is_none(), "an ExternRef to a u32 downcasts to String");

    let id = export_func(&mut store, &instance, "id");
    let out = ok(
        call_dyn(&mut store, &id, &[Val::ExternRef(Some(answer))]),
        "id(42)",
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        read(&store, &out[0]),
        Some(42),
        "externref identity returned {out:?}"
    );
    let out = ok(
        call_dyn(&mut store, &id, &[Val::ExternRef(None)]),
        "id(null)",
    );
    assert!(
        matches!(out.as_slice(), [Val::ExternRef(None)]),
        "null externref identity returned {out:?}"
    );

    let is_null = export_func(&mut store, &instance, "is_null");
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::ExternRef(None)]),
            "is_null(null)"
        ),
        [Val::I32(1)]
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &is_null, &[Val::ExternRef(Some(answer))]),
            "is_null(42)"
        ),
        [Val::I32(0)]
    );

    let call_peek = export_func(&mut store, &instance, "call_peek");
    assert_eq!(
        ok(
            call_dyn(&mut store, &call_peek, &[Val::ExternRef(Some(answer))]),
            "call_peek(42)"
        ),
        [Val::I32(42)],
        "a host function could not read the externref (-2: wrong value, -1: null, -3: not an externref)"
    );
    assert_eq!(
        ok(
            call_dyn(&mut store, &call_peek, &[Val::ExternRef(None)]),
            "call_peek(null)"
        ),
        [Val::I32(-1)]
    );

    // Through a table, set by wasm and read by the host.
    let greeting = ok(
        ExternRef::new(&mut store, String::from("hello")),
        "ExternRef::new(String)",
    );
    let stash = export_func(&mut store, &instance, "stash");
    ok(
        call_dyn(&mut store, &stash, &[Val::ExternRef(Some(greeting))]),
        "stash",
    );
    let table = instance.get_table(&mut store, "refs").expect("refs export");
    let Some(Val::ExternRef(Some(r))) = table.get(&mut store, 0) else {
        panic!("table.get(0) after stash is not a non-null externref");
    };
    assert_eq!(
        r.data(&store)
            .and_then(|d| d.downcast_ref::<String>())
            .map(String::as_str),
        Some("hello")
    );
    let fetch = export_func(&mut store, &instance, "fetch");
    let out = ok(call_dyn(&mut store, &fetch, &[]), "fetch");
    let Some(Val::ExternRef(Some(r))) = out.first().copied() else {
        panic!("fetch returned {out:?}");
    };
    assert_eq!(
        r.data(&store)
            .and_then(|d| d.downcast_ref::<String>())
            .map(String::as_str),
        Some("hello")
    );
    assert!(
        matches!(table.get(&mut store, 1), Some(Val::ExternRef(None))),
        "an untouched externref slot is not null"
    );
}

const FUNC_TYPES_WAT: &str = r#"
(module
  (func (export "a") (param i32 i64 f32 f64) (result i32) i32.const 0)
  (func (export "b") (param funcref externref) (result externref) local.get 1)
  (func (export "c"))
  (func (export "d") (result i64 f64 i32) i64.const 0 f64.const 0 i32.const 0))
"#;

/// `Func::ty` reports exact parameter and result types for wasm functions,
/// typed and untyped host functions and linker definitions.
pub fn func_types<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, FUNC_TYPES_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    for (name, ty) in [
        ("a", fty([I32, I64, F32, F64], [I32])),
        (
            "b",
            fty([ValType::FUNCREF, ValType::EXTERNREF], [ValType::EXTERNREF]),
        ),
        ("c", fty([], [])),
        ("d", fty([], [I64, F64, I32])),
    ] {
        let f = export_func(&mut store, &instance, name);
        assert_eq!(f.ty(&store), ty, "type of wasm function {name}");
    }

    let wrapped = ok(
        Func::wrap(
            &mut store,
            |_: Caller<'_, E, ()>, a: i32, b: f64| -> Result<i64> { Ok(i64::from(a) + b as i64) },
        ),
        "Func::wrap",
    );
    assert_eq!(wrapped.ty(&store), fty([I32, F64], [I64]));
    let multi = ok(
        Func::wrap(
            &mut store,
            |_: Caller<'_, E, ()>| -> Result<(f32, f64, u32, u64)> { Ok((0.0, 0.0, 0, 0)) },
        ),
        "Func::wrap",
    );
    assert_eq!(multi.ty(&store), fty([], [F32, F64, I32, I64]));
    let unit = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<()> { Ok(()) }),
        "Func::wrap",
    );
    assert_eq!(unit.ty(&store), fty([], []));
    let untyped_ty = fty([ValType::EXTERNREF, I64], [ValType::FUNCREF]);
    let untyped = ok(
        Func::new(
            &mut store,
            untyped_ty.clone(),
            |_: Caller<'_, E, ()>, _: &[Val<E>], _: &mut [Val<E>]| -> Result<()> { Ok(()) },
        ),
        "Func::new",
    );
    assert_eq!(untyped.ty(&store), untyped_ty);

    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "m",
            "f",
            |_: Caller<'_, E, ()>, _: u64, _: f32| -> Result<i32> { Ok(0) },
        ),
        "m.f",
    );
    let f = linker
        .get(&mut store, "m", "f")
        .and_then(Extern::into_func)
        .expect("m.f");
    assert_eq!(f.ty(&store), fty([I64, F32], [I32]));
    assert_eq!(
        Extern::Func(f).ty(&store),
        ExternType::Func(fty([I64, F32], [I32]))
    );
}

const WRONG_STORE_WAT: &str = r#"
(module
  (memory (export "memory") 1 2)
  (func (export "f") (result i32) i32.const 1))
"#;

/// Using a handle with a store it does not belong to, or a module with a
/// store of another engine, is `Error::WrongStore` — not a panic — wherever
/// the API returns a `Result` and goes straight to the backend (`Func::call`,
/// `TypedFunc::call`, `Memory::grow`, `Linker::define` + instantiation,
/// `Instance::new`); the rightful store is unaffected.
pub fn handles_wrong_store<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    #[track_caller]
    fn check(what: &str, run: impl FnOnce() -> Result<()>) {
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(Err(Error::WrongStore)) => {}
            Ok(Err(e)) => panic!("{what}: expected Error::WrongStore, got {e} ({e:?})"),
            Ok(Ok(())) => panic!("{what}: succeeded with a foreign store"),
            Err(_) => panic!("{what}: panicked instead of returning Error::WrongStore"),
        }
    }
    let engine = default_engine(&make);
    let module = compile(&engine, WRONG_STORE_WAT);
    let importer = compile(
        &engine,
        r#"(module (import "env" "f" (func (result i32))))"#,
    );
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let instance = instantiate(&mut a, &module);
    let f = export_func(&mut a, &instance, "f");
    let typed = ok(f.typed::<(), i32>(&a), "typed f");
    let memory = instance.get_memory(&mut a, "memory").expect("memory");

    check("Func::call with a foreign store", || {
        f.call(&mut b, &[], &mut [Val::I32(0)])
    });
    check("TypedFunc::call with a foreign store", || {
        typed.call(&mut b, ()).map(|_| ())
    });
    check("Memory::grow with a foreign store", || {
        memory.grow(&mut b, 1).map(|_| ())
    });
    check("defining a foreign item and instantiating with it", || {
        let mut linker = Linker::<E, ()>::new(&engine);
        linker.define(&b, "env", "f", f)?;
        linker.instantiate(&mut b, &importer).map(|_| ())
    });
    let other_engine = default_engine(&make);
    let mut c = Store::new(&other_engine, ());
    check("instantiating a module of another engine", || {
        Instance::new(&mut c, &module, &[]).map(|_| ())
    });

    // The rightful store is unaffected.
    assert_eq!(ok(typed.call(&mut a, ()), "f() in its own store"), 1);
    assert_eq!(memory.size(&a), 1);
}

// ---------------------------------------------------------------------------
// 5. Host errors and panics
// ---------------------------------------------------------------------------

const HOST_ERROR_WAT: &str = r#"
(module
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (import "host" "fail_dyn" (func $fail_dyn (param i32)))
  (import "host" "exit" (func $exit (param i32)))
  (func $call_fail (export "call_fail") (param i32) (result i32) local.get 0 call $fail)
  (func (export "call_fail_dyn") (param i32) local.get 0 call $fail_dyn)
  (func (export "call_exit") (param i32) local.get 0 call $exit)
  (func (export "nested") (param i32) (result i32) local.get 0 call $call_fail i32.const 1 i32.add)
  (func (export "ok") (result i32) i32.const 7))
"#;

/// A host function returning `Err(Error::host(MyError))` makes the call fail
/// with `Error::Host`, and `host_error::<MyError>()` gives the value back —
/// through typed and dynamic calls, untyped host functions and nested wasm
/// frames; other error variants a host function returns (`Error::Exit`) come
/// back unchanged; the instance keeps working.
pub fn host_error<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_ERROR_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "fail",
            |_: Caller<'_, E, ()>, code: i32| -> Result<i32> {
                if code == 0 {
                    Ok(0)
                } else {
                    Err(Error::host(HostFailure { code }))
                }
            },
        ),
        "host.fail",
    );
    ok(
        linker.func_new(
            "host",
            "fail_dyn",
            fty([ValType::I32], []),
            |_: Caller<'_, E, ()>, params: &[Val<E>], _: &mut [Val<E>]| -> Result<()> {
                Err(Error::host(HostFailure {
                    code: params[0].i32().unwrap_or(-1),
                }))
            },
        ),
        "host.fail_dyn",
    );
    ok(
        linker.func_wrap(
            "host",
            "exit",
            |_: Caller<'_, E, ()>, code: i32| -> Result<()> { Err(Error::Exit(code)) },
        ),
        "host.exit",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let expect_host = |e: Error, code: i32, what: &str| {
        assert!(
            matches!(e, Error::Host(_)),
            "{what}: expected Error::Host, got {e} ({e:?})"
        );
        assert_eq!(
            e.host_error::<HostFailure>(),
            Some(&HostFailure { code }),
            "{what}: host_error::<HostFailure>()"
        );
        assert!(
            e.host_error::<std::fmt::Error>().is_none(),
            "{what}: host_error downcasts to the wrong type"
        );
        assert_eq!(e.trap_code(), None, "{what}: a host error is not a trap");
    };

    let call_fail = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "call_fail"),
        "call_fail",
    );
    assert_eq!(ok(call_fail.call(&mut store, 0), "call_fail(0)"), 0);
    expect_host(
        err(call_fail.call(&mut store, 5), "call_fail(5)"),
        5,
        "typed call",
    );
    let call_fail_dyn = export_func(&mut store, &instance, "call_fail");
    expect_host(
        err(
            call_dyn(&mut store, &call_fail_dyn, &[Val::I32(6)]),
            "dynamic call_fail(6)",
        ),
        6,
        "dynamic call",
    );
    let nested = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "nested"),
        "nested",
    );
    expect_host(
        err(nested.call(&mut store, 9), "nested(9)"),
        9,
        "through nested wasm frames",
    );
    let untyped = ok(
        instance.get_typed_func::<i32, ()>(&mut store, "call_fail_dyn"),
        "call_fail_dyn",
    );
    expect_host(
        err(untyped.call(&mut store, 11), "call_fail_dyn(11)"),
        11,
        "untyped host function",
    );

    let call_exit = ok(
        instance.get_typed_func::<i32, ()>(&mut store, "call_exit"),
        "call_exit",
    );
    assert_err!(
        call_exit.call(&mut store, 3),
        Error::Exit(3),
        "a host function returning Error::Exit(3)"
    );

    // Called from Rust directly, without wasm frames.
    let direct = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<()> {
            Err(Error::host(HostFailure { code: 12 }))
        }),
        "Func::wrap",
    );
    expect_host(
        err(call_dyn(&mut store, &direct, &[]), "direct host call"),
        12,
        "host function called from Rust",
    );

    let ok_fn = ok(instance.get_typed_func::<(), i32>(&mut store, "ok"), "ok");
    assert_eq!(ok(ok_fn.call(&mut store, ()), "ok() after host errors"), 7);
    assert_eq!(
        ok(
            call_fail.call(&mut store, 0),
            "call_fail(0) after host errors"
        ),
        0
    );
}

const HOST_PANIC_WAT: &str = r#"
(module
  (import "host" "boom" (func $boom (param i32) (result i32)))
  (import "host" "boom_dyn" (func $boom_dyn))
  (import "host" "fine" (func $fine (result i32)))
  (func (export "call_boom") (param i32) (result i32) local.get 0 call $boom)
  (func (export "call_boom_dyn") call $boom_dyn)
  (func (export "call_fine") (result i32) call $fine)
  (func (export "ok") (result i32) i32.const 1))
"#;

/// A host function that panics makes the call fail with `Error::HostPanic`
/// carrying the panic message (typed and untyped host functions, called from
/// wasm or from Rust); the process, the store, its state and the instance
/// stay usable.
pub fn host_panic<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_PANIC_WAT);
    let mut store = Store::new(&engine, 0_u32);
    let mut linker = Linker::<E, u32>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "boom",
            |mut c: Caller<'_, E, u32>, x: i32| -> Result<i32> {
                *c.data_mut() += 1;
                if x != 0 {
                    panic!("conformance boom {x}");
                }
                Ok(x)
            },
        ),
        "host.boom",
    );
    ok(
        linker.func_new(
            "host",
            "boom_dyn",
            fty([], []),
            |_: Caller<'_, E, u32>, _: &[Val<E>], _: &mut [Val<E>]| -> Result<()> {
                std::panic::panic_any("conformance static boom")
            },
        ),
        "host.boom_dyn",
    );
    ok(
        linker.func_wrap("host", "fine", |mut c: Caller<'_, E, u32>| -> Result<i32> {
            *c.data_mut() += 100;
            Ok(5)
        }),
        "host.fine",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let call_boom = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "call_boom"),
        "call_boom",
    );
    let call_fine = ok(
        instance.get_typed_func::<(), i32>(&mut store, "call_fine"),
        "call_fine",
    );
    let ok_fn = ok(instance.get_typed_func::<(), i32>(&mut store, "ok"), "ok");
    for round in 1..=2 {
        let e = assert_err!(
            call_boom.call(&mut store, 42),
            Error::HostPanic(_),
            "panicking host function, round {round}"
        );
        if let Error::HostPanic(message) = &e {
            assert!(
                message.contains("conformance boom 42"),
                "the panic message is lost: {message:?}"
            );
        }
        assert_eq!(e.trap_code(), None);
        assert_eq!(
            ok(call_fine.call(&mut store, ()), "call_fine after a panic"),
            5
        );
        assert_eq!(ok(ok_fn.call(&mut store, ()), "ok after a panic"), 1);
        assert_eq!(
            ok(call_boom.call(&mut store, 0), "call_boom(0) after a panic"),
            0
        );
    }
    assert_eq!(*store.data(), 2 * (1 + 100 + 1), "host state after panics");

    let call_boom_dyn = ok(
        instance.get_typed_func::<(), ()>(&mut store, "call_boom_dyn"),
        "call_boom_dyn",
    );
    let e = assert_err!(
        call_boom_dyn.call(&mut store, ()),
        Error::HostPanic(_),
        "panicking untyped host function"
    );
    if let Error::HostPanic(message) = &e {
        assert!(
            message.contains("conformance static boom"),
            "the panic message is lost: {message:?}"
        );
    }

    let direct = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, u32>| -> Result<()> {
            panic!("conformance direct boom")
        }),
        "Func::wrap",
    );
    assert_err!(
        call_dyn(&mut store, &direct, &[]),
        Error::HostPanic(_),
        "panicking host function called from Rust"
    );
    assert_eq!(ok(ok_fn.call(&mut store, ()), "ok at the end"), 1);
}

// ---------------------------------------------------------------------------
// 6. Memories, tables and globals
// ---------------------------------------------------------------------------

const MEMORY_WAT: &str = r#"
(module
  (memory (export "memory") 1 3)
  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)
  (func (export "size") (result i32) memory.size)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
"#;

/// Memory: `ty`, `size`, `data_size`; `read`/`write` are bounds-checked
/// (errors, not panics, and a failed write changes nothing); `data`/`data_mut`
/// are the live bytes the guest reads and writes; `grow` returns the old size,
/// keeps the contents, zero-fills and refuses to pass the maximum
/// (`Error::Access`) as `memory.grow` returns -1; host-created memories.
pub fn memory_ops<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    const PAGE: usize = 65536;
    let engine = default_engine(&make);
    let module = compile(&engine, MEMORY_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let memory = instance
        .get_memory(&mut store, "memory")
        .expect("memory export");
    let load8 = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "load8"),
        "load8",
    );
    let store8 = ok(
        instance.get_typed_func::<(i32, i32), ()>(&mut store, "store8"),
        "store8",
    );
    let size = ok(
        instance.get_typed_func::<(), i32>(&mut store, "size"),
        "size",
    );
    let grow = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "grow"),
        "grow",
    );

    assert_eq!(memory.ty(&store), MemoryType::new(1, Some(3)));
    assert_eq!(memory.size(&store), 1);
    assert_eq!(memory.data_size(&store), PAGE);
    assert_eq!(memory.data(&store).len(), PAGE);
    assert!(
        memory.data(&store).iter().all(|b| *b == 0),
        "a fresh memory is not zeroed"
    );

    ok(memory.write(&mut store, 100, b"hello"), "write");
    let mut buf = [0; 5];
    ok(memory.read(&store, 100, &mut buf), "read");
    assert_eq!(&buf, b"hello");
    assert_eq!(
        ok(load8.call(&mut store, 100), "load8(100)"),
        i32::from(b'h'),
        "the guest sees the host's write"
    );
    ok(store8.call(&mut store, (200, 0x5a)), "store8");
    assert_eq!(
        memory.data(&store)[200],
        0x5a,
        "data() sees the guest's store"
    );
    memory.data_mut(&mut store)[300] = 77;
    assert_eq!(
        ok(load8.call(&mut store, 300), "load8(300)"),
        77,
        "the guest sees a write through data_mut()"
    );

    // Bounds checks.
    assert_err!(
        memory.write(&mut store, PAGE - 2, &[1, 2, 3, 4]),
        Error::Access(_),
        "write across the end"
    );
    assert_err!(
        memory.write(&mut store, PAGE, &[1]),
        Error::Access(_),
        "write past the end"
    );
    assert_err!(
        memory.write(&mut store, usize::MAX, &[1]),
        Error::Access(_),
        "write at usize::MAX"
    );
    assert_err!(
        memory.read(&store, PAGE - 1, &mut [0; 2]),
        Error::Access(_),
        "read across the end"
    );
    assert_err!(
        memory.read(&store, usize::MAX, &mut [0; 1]),
        Error::Access(_),
        "read at usize::MAX"
    );
    assert_eq!(
        &memory.data(&store)[PAGE - 2..],
        &[0, 0],
        "a failed write changed the memory"
    );
    ok(
        memory.write(&mut store, PAGE - 1, &[9]),
        "write of the last byte",
    );
    assert_eq!(
        ok(load8.call(&mut store, (PAGE - 1) as i32), "load8(last)"),
        9
    );

    // Growing.
    assert_eq!(
        ok(memory.grow(&mut store, 1), "grow(1)"),
        1,
        "grow returns the old size in pages"
    );
    assert_eq!(memory.size(&store), 2);
    assert_eq!(memory.data_size(&store), 2 * PAGE);
    assert_eq!(
        memory.ty(&store).minimum,
        2,
        "ty().minimum is the current size"
    );
    assert_eq!(memory.ty(&store).maximum, Some(3));
    assert_eq!(
        &memory.data(&store)[100..105],
        b"hello",
        "growing lost the contents"
    );
    assert!(
        memory.data(&store)[PAGE..].iter().all(|b| *b == 0),
        "the new page is not zeroed"
    );
    assert_eq!(
        ok(size.call(&mut store, ()), "size"),
        2,
        "the guest sees the host's grow"
    );
    assert_eq!(ok(grow.call(&mut store, 1), "guest grow(1)"), 2);
    assert_eq!(memory.size(&store), 3, "the host sees the guest's grow");
    assert_eq!(
        ok(grow.call(&mut store, 1), "guest grow past the maximum"),
        -1
    );
    assert_err!(
        memory.grow(&mut store, 1),
        Error::Access(_),
        "host grow past the maximum"
    );
    assert_eq!(memory.size(&store), 3, "a refused grow changed the size");
    assert_eq!(ok(memory.grow(&mut store, 0), "grow(0)"), 3);
    ok(
        memory.write(&mut store, 3 * PAGE - 1, &[5]),
        "write in the last page",
    );

    // Host-created memory.
    let host = ok(
        Memory::new(&mut store, MemoryType::new(2, Some(5))),
        "Memory::new",
    );
    assert_eq!(host.ty(&store), MemoryType::new(2, Some(5)));
    assert_eq!(host.size(&store), 2);
    assert_eq!(host.data_size(&store), 2 * PAGE);
    assert_eq!(ok(host.grow(&mut store, 3), "grow(3)"), 2);
    assert_err!(
        host.grow(&mut store, 1),
        Error::Access(_),
        "host memory grow past its maximum"
    );
    assert!(
        Memory::new(&mut store, MemoryType::new(3, Some(2))).is_err(),
        "a memory with minimum > maximum"
    );
}

const TABLE_WAT: &str = r#"
(module
  (table $t (export "table") 2 5 funcref)
  (func $f (export "f") (result i32) i32.const 11)
  (elem declare func $f)
  (func (export "size") (result i32) table.size $t)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect $t (result i32))
  (func (export "is_null") (param i32) (result i32) local.get 0 table.get $t ref.is_null))
"#;

/// Table: `ty`, `size`, `get` (out of bounds is `None`), `set` (out of
/// bounds or wrong element type is an error), `grow` (returns the old size,
/// fills with the init value, refuses to pass the maximum); the guest sees
/// every change; host-created `externref` tables.
pub fn table_ops<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, TABLE_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let table = instance
        .get_table(&mut store, "table")
        .expect("table export");
    let f = export_func(&mut store, &instance, "f");
    let size = ok(
        instance.get_typed_func::<(), i32>(&mut store, "size"),
        "size",
    );
    let call = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "call"),
        "call",
    );
    let is_null = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "is_null"),
        "is_null",
    );

    assert_eq!(table.ty(&store), TableType::new(FUNCREF, 2, Some(5)));
    assert_eq!(table.size(&store), 2);
    assert!(
        matches!(table.get(&mut store, 0), Some(Val::FuncRef(None))),
        "a fresh funcref element is not null"
    );
    assert!(matches!(table.get(&mut store, 1), Some(Val::FuncRef(None))));
    assert!(table.get(&mut store, 2).is_none(), "get out of bounds");
    assert!(table.get(&mut store, u64::MAX).is_none(), "get at u64::MAX");

    ok(table.set(&mut store, 0, Val::FuncRef(Some(f))), "set(0, f)");
    assert_eq!(ok(is_null.call(&mut store, 0), "is_null(0)"), 0);
    assert_eq!(
        ok(call.call(&mut store, 0), "call(0)"),
        11,
        "the guest calls what the host stored"
    );
    let Some(Val::FuncRef(Some(g))) = table.get(&mut store, 0) else {
        panic!("get(0) after set is not a non-null funcref");
    };
    assert_eq!(
        ok(call_dyn(&mut store, &g, &[]), "calling the element"),
        [Val::I32(11)]
    );
    assert!(
        table.set(&mut store, 2, Val::FuncRef(Some(f))).is_err(),
        "set out of bounds"
    );
    assert!(
        table.set(&mut store, u64::MAX, Val::FuncRef(None)).is_err(),
        "set at u64::MAX"
    );
    assert_err!(
        table.set(&mut store, 0, Val::ExternRef(None)),
        Error::Type(_),
        "externref into a funcref table"
    );
    assert_err!(
        table.set(&mut store, 0, Val::I32(0)),
        Error::Type(_),
        "i32 into a funcref table"
    );

    assert_eq!(
        ok(
            table.grow(&mut store, 2, Val::FuncRef(Some(f))),
            "grow(2, f)"
        ),
        2,
        "grow returns the old size"
    );
    assert_eq!(table.size(&store), 4);
    assert_eq!(
        table.ty(&store).minimum,
        4,
        "ty().minimum is the current size"
    );
    assert_eq!(
        ok(size.call(&mut store, ()), "size"),
        4,
        "the guest sees the host's grow"
    );
    assert_eq!(
        ok(call.call(&mut store, 3), "call(3)"),
        11,
        "grown elements hold the init value"
    );
    assert!(
        table.grow(&mut store, 2, Val::FuncRef(None)).is_err(),
        "grow past the maximum"
    );
    assert_eq!(table.size(&store), 4, "a refused grow changed the size");
    assert_err!(
        table.grow(&mut store, 1, Val::ExternRef(None)),
        Error::Type(_),
        "grow with an externref init"
    );
    assert_eq!(
        ok(
            table.grow(&mut store, 1, Val::FuncRef(None)),
            "grow(1, null)"
        ),
        4
    );
    assert_eq!(
        ok(table.grow(&mut store, 0, Val::FuncRef(None)), "grow(0)"),
        5
    );
    assert_eq!(ok(is_null.call(&mut store, 4), "is_null(4)"), 1);
    ok(table.set(&mut store, 0, Val::FuncRef(None)), "set(0, null)");
    assert_eq!(
        ok(is_null.call(&mut store, 0), "is_null(0)"),
        1,
        "the guest sees the element cleared"
    );

    // Host-created externref table.
    let refs = ok(
        Table::new(
            &mut store,
            TableType::new(EXTERNREF, 2, None),
            Val::ExternRef(None),
        ),
        "Table::new",
    );
    assert_eq!(refs.ty(&store), TableType::new(EXTERNREF, 2, None));
    assert_eq!(refs.size(&store), 2);
    assert!(matches!(
        refs.get(&mut store, 0),
        Some(Val::ExternRef(None))
    ));
    let r = ok(ExternRef::new(&mut store, 5_u64), "ExternRef::new");
    ok(
        refs.set(&mut store, 1, Val::ExternRef(Some(r))),
        "set(1, r)",
    );
    let Some(Val::ExternRef(Some(back))) = refs.get(&mut store, 1) else {
        panic!("get(1) after set is not a non-null externref");
    };
    assert_eq!(
        back.data(&store).and_then(|d| d.downcast_ref::<u64>()),
        Some(&5)
    );
    assert_err!(
        Table::new(
            &mut store,
            TableType::new(EXTERNREF, 1, None),
            Val::FuncRef(None)
        ),
        Error::Type(_),
        "Table::new with an init value of the wrong type"
    );
}

const GLOBAL_WAT: &str = r#"
(module
  (global $c (export "c") i32 (i32.const 5))
  (global $v (export "v") (mut i64) (i64.const -3))
  (global $fnan (export "fnan") (mut f32) (f32.const nan:0x200001))
  (global $d (export "d") (mut f64) (f64.const 0.5))
  (func (export "get_v") (result i64) global.get $v)
  (func (export "set_v") (param i64) local.get 0 global.set $v)
  (func (export "get_fnan_bits") (result i32) global.get $fnan i32.reinterpret_f32)
  (func (export "get_d") (result f64) global.get $d))
"#;

/// Global: `ty`, `get`, `set` on a mutable global (seen by the guest, and
/// the guest's writes seen by the host), `set` on an immutable global is an
/// error that changes nothing, a value of the wrong type is `Error::Type`;
/// float globals keep NaN bits; host-created globals.
pub fn global_ops<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use ValType::*;
    let engine = default_engine(&make);
    let module = compile(&engine, GLOBAL_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let c = instance.get_global(&mut store, "c").expect("c");
    let v = instance.get_global(&mut store, "v").expect("v");
    let fnan = instance.get_global(&mut store, "fnan").expect("fnan");
    let d = instance.get_global(&mut store, "d").expect("d");

    assert_eq!(c.ty(&store), GlobalType::new(I32, Mutability::Const));
    assert_eq!(v.ty(&store), GlobalType::new(I64, Mutability::Var));
    assert_eq!(fnan.ty(&store), GlobalType::new(F32, Mutability::Var));
    assert_eq!(c.get(&mut store), Val::I32(5));
    assert_eq!(v.get(&mut store), Val::I64(-3));
    assert_eq!(
        fnan.get(&mut store),
        Val::F32(0x7fa0_0001),
        "a NaN global lost its payload"
    );
    assert_eq!(d.get(&mut store), Val::f64(0.5));

    assert!(
        c.set(&mut store, Val::I32(6)).is_err(),
        "set on an immutable global"
    );
    assert_eq!(
        c.get(&mut store),
        Val::I32(5),
        "a refused set changed the global"
    );

    let get_v = ok(
        instance.get_typed_func::<(), i64>(&mut store, "get_v"),
        "get_v",
    );
    let set_v = ok(
        instance.get_typed_func::<i64, ()>(&mut store, "set_v"),
        "set_v",
    );
    ok(v.set(&mut store, Val::I64(i64::MIN)), "v.set(MIN)");
    assert_eq!(v.get(&mut store), Val::I64(i64::MIN));
    assert_eq!(
        ok(get_v.call(&mut store, ()), "get_v"),
        i64::MIN,
        "the guest sees the host's set"
    );
    ok(set_v.call(&mut store, 77), "set_v(77)");
    assert_eq!(
        v.get(&mut store),
        Val::I64(77),
        "the host sees the guest's set"
    );

    assert_err!(
        v.set(&mut store, Val::I32(1)),
        Error::Type(_),
        "i32 into an i64 global"
    );
    assert_err!(
        v.set(&mut store, Val::f64(1.0)),
        Error::Type(_),
        "f64 into an i64 global"
    );
    assert_err!(
        v.set(&mut store, Val::FuncRef(None)),
        Error::Type(_),
        "funcref into an i64 global"
    );
    assert_eq!(
        v.get(&mut store),
        Val::I64(77),
        "a refused set changed the global"
    );

    ok(fnan.set(&mut store, Val::F32(0xffc0_0001)), "fnan.set");
    let get_fnan_bits = ok(
        instance.get_typed_func::<(), i32>(&mut store, "get_fnan_bits"),
        "get_fnan_bits",
    );
    assert_eq!(
        ok(get_fnan_bits.call(&mut store, ()), "get_fnan_bits") as u32,
        0xffc0_0001
    );
    ok(d.set(&mut store, Val::f64(1.25)), "d.set");
    let get_d = ok(
        instance.get_typed_func::<(), f64>(&mut store, "get_d"),
        "get_d",
    );
    assert_eq!(ok(get_d.call(&mut store, ()), "get_d"), 1.25);

    // Host-created globals.
    let h = ok(
        Global::new(
            &mut store,
            GlobalType::new(F64, Mutability::Var),
            Val::f64(2.0),
        ),
        "Global::new",
    );
    assert_eq!(h.ty(&store), GlobalType::new(F64, Mutability::Var));
    assert_eq!(h.get(&mut store), Val::f64(2.0));
    ok(h.set(&mut store, Val::f64(-0.0)), "h.set(-0.0)");
    assert_eq!(
        h.get(&mut store),
        Val::F64(0x8000_0000_0000_0000),
        "-0.0 lost its sign"
    );
    let k = ok(
        Global::new(
            &mut store,
            GlobalType::new(I32, Mutability::Const),
            Val::I32(1),
        ),
        "Global::new",
    );
    assert!(
        k.set(&mut store, Val::I32(2)).is_err(),
        "set on an immutable host global"
    );
    assert_err!(
        Global::new(
            &mut store,
            GlobalType::new(F64, Mutability::Var),
            Val::I32(1)
        ),
        Error::Type(_),
        "Global::new with a value of the wrong type"
    );
    let r = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::FUNCREF, Mutability::Var),
            Val::FuncRef(None),
        ),
        "funcref global",
    );
    assert!(matches!(r.get(&mut store), Val::FuncRef(None)));
    let f = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<i32> { Ok(3) }),
        "Func::wrap",
    );
    ok(
        r.set(&mut store, Val::FuncRef(Some(f))),
        "funcref global set",
    );
    let Val::FuncRef(Some(g)) = r.get(&mut store) else {
        panic!("a funcref global lost its function");
    };
    assert_eq!(
        ok(
            call_dyn(&mut store, &g, &[]),
            "calling the global's function"
        ),
        [Val::I32(3)]
    );
}

// ---------------------------------------------------------------------------
// 7. Traps
// ---------------------------------------------------------------------------

const TRAPS_WAT: &str = r#"
(module
  (type $v (func))
  (memory 1)
  (table $t 2 funcref)
  (func $takes_i32 (param i32))
  (elem (table $t) (i32.const 0) func $takes_i32)
  (func (export "unreachable") unreachable)
  (func (export "mem_oob_load") (result i32) i32.const 65536 i32.load)
  (func (export "mem_oob_store") i32.const -1 i32.const 0 i32.store)
  (func (export "mem_oob_partial") (result i64) i32.const 65532 i64.load)
  (func (export "table_get_oob") (result funcref) i32.const 2 table.get $t)
  (func (export "call_indirect_oob") i32.const 2 call_indirect $t (type $v))
  (func (export "call_null") i32.const 1 call_indirect $t (type $v))
  (func (export "bad_sig") i32.const 0 call_indirect $t (type $v))
  (func (export "div_zero") (param i32) (result i32) i32.const 1 local.get 0 i32.div_s)
  (func (export "rem_zero_i64") (param i64) (result i64) i64.const 1 local.get 0 i64.rem_u)
  (func (export "div_overflow") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "trunc") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
  (func (export "trunc_f64_u") (param f64) (result i64) local.get 0 i64.trunc_f64_u)
  (func (export "ok") (result i32) i32.const 1))
"#;

/// Every trap comes back as `Error::Trap` with the right `TrapCode`:
/// unreachable, out-of-bounds memory (load, store, partially out of bounds),
/// out-of-bounds table (`table.get`, `call_indirect`), null indirect call,
/// signature mismatch, division by zero, `INT_MIN / -1` overflow, NaN and
/// out-of-range float-to-int conversions; the store stays usable after each.
pub fn traps<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, TRAPS_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let ok_fn = ok(instance.get_typed_func::<(), i32>(&mut store, "ok"), "ok");

    let cases: [(&str, Vec<Val<E>>, TrapCode); 17] = [
        ("unreachable", vec![], TrapCode::Unreachable),
        ("mem_oob_load", vec![], TrapCode::MemoryOutOfBounds),
        ("mem_oob_store", vec![], TrapCode::MemoryOutOfBounds),
        ("mem_oob_partial", vec![], TrapCode::MemoryOutOfBounds),
        ("table_get_oob", vec![], TrapCode::TableOutOfBounds),
        ("call_indirect_oob", vec![], TrapCode::TableOutOfBounds),
        ("call_null", vec![], TrapCode::IndirectCallToNull),
        ("bad_sig", vec![], TrapCode::BadSignature),
        (
            "div_zero",
            vec![Val::I32(0)],
            TrapCode::IntegerDivisionByZero,
        ),
        (
            "rem_zero_i64",
            vec![Val::I64(0)],
            TrapCode::IntegerDivisionByZero,
        ),
        (
            "div_overflow",
            vec![Val::I32(i32::MIN), Val::I32(-1)],
            TrapCode::IntegerOverflow,
        ),
        (
            "trunc",
            vec![Val::f32(f32::NAN)],
            TrapCode::BadConversionToInteger,
        ),
        (
            "trunc",
            vec![Val::F32(0xffc0_0001)],
            TrapCode::BadConversionToInteger,
        ),
        ("trunc", vec![Val::f32(3.0e9)], TrapCode::IntegerOverflow),
        (
            "trunc",
            vec![Val::f32(f32::NEG_INFINITY)],
            TrapCode::IntegerOverflow,
        ),
        (
            "trunc_f64_u",
            vec![Val::f64(-1.0)],
            TrapCode::IntegerOverflow,
        ),
        (
            "trunc_f64_u",
            vec![Val::f64(f64::NAN)],
            TrapCode::BadConversionToInteger,
        ),
    ];
    for (name, params, code) in cases {
        let f = export_func(&mut store, &instance, name);
        expect_trap(
            call_dyn(&mut store, &f, &params),
            code,
            &format!("{name}({params:?})"),
        );
        assert_eq!(
            ok(ok_fn.call(&mut store, ()), &format!("ok() after {name}")),
            1,
            "the store is unusable after a trap"
        );
    }

    // The same functions with good arguments do not trap.
    let div = ok(
        instance.get_typed_func::<(i32, i32), i32>(&mut store, "div_overflow"),
        "div_overflow",
    );
    assert_eq!(
        ok(div.call(&mut store, (i32::MIN, 1)), "INT_MIN / 1"),
        i32::MIN
    );
    assert_eq!(ok(div.call(&mut store, (-7, 2)), "-7 / 2"), -3);
    let trunc = ok(
        instance.get_typed_func::<f32, i32>(&mut store, "trunc"),
        "trunc",
    );
    assert_eq!(ok(trunc.call(&mut store, -2.9), "trunc(-2.9)"), -2);
    // Typed calls report traps the same way.
    expect_trap(
        div.call(&mut store, (1, 0)),
        TrapCode::IntegerDivisionByZero,
        "typed 1 / 0",
    );
    let unreachable = ok(
        instance.get_typed_func::<(), ()>(&mut store, "unreachable"),
        "unreachable",
    );
    let e = err(unreachable.call(&mut store, ()), "typed unreachable");
    assert_eq!(e.trap_code(), Some(TrapCode::Unreachable));
    assert!(!e.to_string().is_empty());
}

const RECURSION_WAT: &str = r#"
(module
  (func $forever (export "forever") call $forever)
  (func $depth (export "depth") (param i32) (result i32)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get 0 i32.const 1 i32.sub call $depth i32.const 1 i32.add
    end)
  (func (export "ok") (result i32) i32.const 1))
"#;

/// Infinite recursion traps with `TrapCode::StackOverflow` (the process
/// survives), repeatedly, and the store stays usable; modest recursion works.
pub fn trap_stack_overflow<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    on_big_stack(|| {
        let module = compile(&engine, RECURSION_WAT);
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let forever = ok(
            instance.get_typed_func::<(), ()>(&mut store, "forever"),
            "forever",
        );
        let depth = ok(
            instance.get_typed_func::<i32, i32>(&mut store, "depth"),
            "depth",
        );
        let ok_fn = ok(instance.get_typed_func::<(), i32>(&mut store, "ok"), "ok");
        for round in 1..=2 {
            expect_trap(
                forever.call(&mut store, ()),
                TrapCode::StackOverflow,
                &format!("infinite recursion, round {round}"),
            );
            assert_eq!(
                ok(ok_fn.call(&mut store, ()), "ok() after a stack overflow"),
                1
            );
            assert_eq!(
                ok(
                    depth.call(&mut store, 100),
                    "depth(100) after a stack overflow"
                ),
                100
            );
        }
        let forever_dyn = export_func(&mut store, &instance, "forever");
        expect_trap(
            call_dyn(&mut store, &forever_dyn, &[]),
            TrapCode::StackOverflow,
            "dynamic infinite recursion",
        );
    });
}

// ---------------------------------------------------------------------------
// 8. Fuel
// ---------------------------------------------------------------------------

const FUEL_WAT: &str = r#"
(module
  (import "host" "fuel_left" (func $fuel_left (result i64)))
  (func (export "spin") (loop $l br $l))
  (func (export "work") (result i32) i32.const 1 i32.const 2 i32.add)
  (func (export "count") (param i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        local.get 0 i32.eqz br_if $done
        local.get $acc i32.const 3 i32.add local.set $acc
        local.get 0 i32.const 1 i32.sub local.set 0
        br $l))
    local.get $acc)
  (func (export "host_fuel") (result i64) call $fuel_left))
"#;

/// With fuel on: `set_fuel`/`get_fuel` round-trip, work consumes fuel (more
/// work, more fuel), an infinite loop traps with `OutOfFuel`, `add_fuel`
/// adds exactly, the store runs again after refuelling, and a host function
/// sees the fuel left through `Caller::get_fuel`. A backend without fuel must
/// refuse `Config::fuel(true)` with `Unsupported { feature: Fuel }`.
pub fn fuel<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let base = default_engine(&make);
    let mut config = Config::new();
    config.fuel(true);
    if !base.support(Feature::Fuel).is_supported() {
        let e = err(
            make(&config),
            "Config::fuel(true) on a backend without fuel",
        );
        expect_unsupported(&e, Feature::Fuel, base.name(), "Config::fuel(true)");
        return;
    }
    let engine = engine_with(&make, &config);
    assert!(
        engine.features().contains(Feature::Fuel),
        "fuel(true) but features() lacks Fuel"
    );
    assert!(engine.config().fuel_enabled());
    let module = compile(&engine, FUEL_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap("host", "fuel_left", |c: Caller<'_, E, ()>| -> Result<i64> {
            Ok(c.get_fuel()? as i64)
        }),
        "host.fuel_left",
    );
    ok(store.set_fuel(1_000_000), "set_fuel before instantiation");
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let spin = ok(
        instance.get_typed_func::<(), ()>(&mut store, "spin"),
        "spin",
    );
    let work = ok(
        instance.get_typed_func::<(), i32>(&mut store, "work"),
        "work",
    );
    let count = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "count"),
        "count",
    );
    let host_fuel = ok(
        instance.get_typed_func::<(), i64>(&mut store, "host_fuel"),
        "host_fuel",
    );

    ok(store.set_fuel(1000), "set_fuel(1000)");
    assert_eq!(ok(store.get_fuel(), "get_fuel"), 1000);
    assert_eq!(ok(work.call(&mut store, ()), "work()"), 3);
    let after_work = ok(store.get_fuel(), "get_fuel after work");
    assert!(
        after_work < 1000,
        "a call consumed no fuel ({after_work} left of 1000)"
    );
    assert!(
        after_work > 0,
        "a three-instruction call consumed all 1000 units of fuel"
    );

    // More work, more fuel.
    ok(store.set_fuel(1_000_000), "set_fuel");
    assert_eq!(ok(count.call(&mut store, 10), "count(10)"), 30);
    let used_10 = 1_000_000 - ok(store.get_fuel(), "get_fuel");
    ok(store.set_fuel(1_000_000), "set_fuel");
    assert_eq!(ok(count.call(&mut store, 1000), "count(1000)"), 3000);
    let used_1000 = 1_000_000 - ok(store.get_fuel(), "get_fuel");
    assert!(
        used_1000 > used_10 * 10,
        "fuel used by 1000 iterations ({used_1000}) vs 10 ({used_10})"
    );

    // Running out.
    ok(store.set_fuel(1000), "set_fuel(1000)");
    expect_trap(
        spin.call(&mut store, ()),
        TrapCode::OutOfFuel,
        "infinite loop with 1000 fuel",
    );
    let left = ok(store.get_fuel(), "get_fuel after running out");
    assert!(left < 1000, "fuel after running out: {left}");
    ok(store.set_fuel(0), "set_fuel(0)");
    assert_eq!(ok(store.get_fuel(), "get_fuel"), 0);
    expect_trap(
        work.call(&mut store, ()),
        TrapCode::OutOfFuel,
        "a call with no fuel",
    );

    // Refuelling.
    ok(store.add_fuel(500), "add_fuel(500)");
    assert_eq!(ok(store.get_fuel(), "get_fuel after add_fuel"), 500);
    ok(store.add_fuel(250), "add_fuel(250)");
    assert_eq!(ok(store.get_fuel(), "get_fuel after add_fuel"), 750);
    assert_eq!(ok(work.call(&mut store, ()), "work() after refuelling"), 3);

    // Host functions see the fuel.
    ok(store.set_fuel(10_000), "set_fuel");
    let seen = ok(host_fuel.call(&mut store, ()), "host_fuel()");
    assert!(
        seen > 0 && seen <= 10_000,
        "Caller::get_fuel saw {seen} with 10000 set"
    );
}

/// With fuel off (the default), `set_fuel`/`get_fuel`/`add_fuel` on a store
/// and `Caller::get_fuel` are `Unsupported { feature: Fuel }`, and calls run
/// unmetered.
pub fn fuel_disabled<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let name = engine.name();
    assert!(!engine.features().contains(Feature::Fuel));
    assert!(!engine.config().fuel_enabled());
    let module = compile(
        &engine,
        r#"(module
             (import "host" "probe" (func $probe (result i32)))
             (func (export "run") (result i32) call $probe))"#,
    );
    let mut store = Store::new(&engine, false);
    let e = err(store.set_fuel(10), "set_fuel without fuel");
    expect_unsupported(&e, Feature::Fuel, name, "set_fuel without fuel");
    let e = err(store.get_fuel(), "get_fuel without fuel");
    expect_unsupported(&e, Feature::Fuel, name, "get_fuel without fuel");
    let e = err(store.add_fuel(10), "add_fuel without fuel");
    expect_unsupported(&e, Feature::Fuel, name, "add_fuel without fuel");

    let mut linker = Linker::<E, bool>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "probe",
            |mut c: Caller<'_, E, bool>| -> Result<i32> {
                let unsupported = matches!(
                    c.get_fuel(),
                    Err(Error::Unsupported {
                        feature: Feature::Fuel,
                        ..
                    })
                ) && matches!(
                    c.set_fuel(5),
                    Err(Error::Unsupported {
                        feature: Feature::Fuel,
                        ..
                    })
                );
                *c.data_mut() = unsupported;
                Ok(1)
            },
        ),
        "host.probe",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let run = ok(instance.get_typed_func::<(), i32>(&mut store, "run"), "run");
    assert_eq!(ok(run.call(&mut store, ()), "run"), 1);
    assert!(
        *store.data(),
        "Caller::get_fuel/set_fuel without fuel are not Unsupported {{ feature: Fuel }}"
    );
}

// ---------------------------------------------------------------------------
// 9. Resource limits
// ---------------------------------------------------------------------------

/// Builds an engine with resource limits, or checks that a backend without
/// `Feature::Limits` refuses them with `Unsupported` (returning `None`).
fn limited_engine<E: Engine>(make: &impl Fn(&Config) -> Result<E>, config: &Config) -> Option<E> {
    let base = default_engine(make);
    if base.support(Feature::Limits).is_supported() {
        Some(engine_with(make, config))
    } else {
        let e = err(make(config), "resource limits on a backend without Limits");
        expect_unsupported(&e, Feature::Limits, base.name(), "resource limits");
        None
    }
}

const LIMIT_MEMORY_WAT: &str = r#"
(module
  (memory (export "memory") 1 10)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size))
"#;

/// `Config::max_memory_bytes(2 pages)`: `memory.grow` returns the old size up
/// to the limit and -1 beyond (the memory's own maximum being larger); the
/// host's `Memory::grow` is refused with `Error::Access`; the limit is per
/// memory; a module whose memory starts above the limit fails to instantiate
/// with `Error::ResourceLimit`.
pub fn limit_memory<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_memory_bytes(2 * 65536);
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    assert_eq!(
        engine.config().resource_limits().max_memory_bytes,
        Some(2 * 65536)
    );
    let module = compile(&engine, LIMIT_MEMORY_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let grow = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "grow"),
        "grow",
    );
    let size = ok(
        instance.get_typed_func::<(), i32>(&mut store, "size"),
        "size",
    );
    assert_eq!(
        ok(grow.call(&mut store, 1), "grow(1)"),
        1,
        "growing to the limit"
    );
    assert_eq!(
        ok(grow.call(&mut store, 1), "grow(1) past the limit"),
        -1,
        "growing past the limit"
    );
    assert_eq!(ok(size.call(&mut store, ()), "size"), 2);
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    assert_err!(
        memory.grow(&mut store, 1),
        Error::Access(_),
        "host grow past the limit"
    );
    assert_eq!(memory.size(&store), 2);
    assert_eq!(ok(grow.call(&mut store, 0), "grow(0)"), 2);

    // Per memory: a second instance (in the same store) grows on its own.
    let second = instantiate(&mut store, &module);
    let grow2 = ok(
        second.get_typed_func::<i32, i32>(&mut store, "grow"),
        "grow",
    );
    assert_eq!(
        ok(grow2.call(&mut store, 1), "second memory grow(1)"),
        1,
        "the limit is per memory"
    );

    let big = compile(&engine, "(module (memory 3))");
    let e = err(
        Instance::new(&mut store, &big, &[]),
        "a memory starting above the limit",
    );
    assert!(
        matches!(e, Error::ResourceLimit(_)),
        "expected Error::ResourceLimit, got {e} ({e:?})"
    );
    assert!(
        Memory::new(&mut store, MemoryType::new(3, None)).is_err(),
        "Memory::new above the limit"
    );
}

const LIMIT_TABLE_WAT: &str = r#"
(module
  (table (export "table") 2 funcref)
  (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0)
  (func (export "size") (result i32) table.size 0))
"#;

/// `Config::max_table_elements(3)`: `table.grow` returns the old size up to
/// the limit and -1 beyond; the host's `Table::grow` is refused; a module
/// whose table starts above the limit fails with `Error::ResourceLimit`.
pub fn limit_table<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_table_elements(3);
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    let module = compile(&engine, LIMIT_TABLE_WAT);
    let mut store = Store::new(&engine, ());
    let instance = instantiate(&mut store, &module);
    let grow = ok(
        instance.get_typed_func::<i32, i32>(&mut store, "grow"),
        "grow",
    );
    let size = ok(
        instance.get_typed_func::<(), i32>(&mut store, "size"),
        "size",
    );
    assert_eq!(
        ok(grow.call(&mut store, 1), "table.grow(1)"),
        2,
        "growing to the limit"
    );
    assert_eq!(
        ok(grow.call(&mut store, 1), "table.grow(1) past the limit"),
        -1,
        "growing past the limit"
    );
    assert_eq!(ok(size.call(&mut store, ()), "size"), 3);
    let table = instance.get_table(&mut store, "table").expect("table");
    assert!(
        table.grow(&mut store, 1, Val::FuncRef(None)).is_err(),
        "host table grow past the limit"
    );
    assert_eq!(table.size(&store), 3);

    let big = compile(&engine, "(module (table 4 funcref))");
    let e = err(
        Instance::new(&mut store, &big, &[]),
        "a table starting above the limit",
    );
    assert!(
        matches!(e, Error::ResourceLimit(_)),
        "expected Error::ResourceLimit, got {e} ({e:?})"
    );
}

/// `Config::max_instances(2)`: the third instantiation in one store fails
/// with `Error::ResourceLimit`; another store starts from zero.
pub fn limit_instances<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_instances(2);
    let Some(engine) = limited_engine(&make, &config) else {
        return;
    };
    let module = compile(
        &engine,
        r#"(module (func (export "f") (result i32) i32.const 1))"#,
    );
    let mut store = Store::new(&engine, ());
    let first = instantiate(&mut store, &module);
    instantiate(&mut store, &module);
    let e = err(
        Instance::new(&mut store, &module, &[]),
        "a third instance with max_instances(2)",
    );
    assert!(
        matches!(e, Error::ResourceLimit(_)),
        "expected Error::ResourceLimit, got {e} ({e:?})"
    );
    let linker = Linker::<E, ()>::new(&engine);
    let e = err(
        linker.instantiate(&mut store, &module),
        "a third instance through the linker",
    );
    assert!(
        matches!(e, Error::ResourceLimit(_)),
        "expected Error::ResourceLimit, got {e} ({e:?})"
    );
    let f = ok(first.get_typed_func::<(), i32>(&mut store, "f"), "f");
    assert_eq!(ok(f.call(&mut store, ()), "f() after the refusal"), 1);

    let mut other = Store::new(&engine, ());
    instantiate(&mut other, &module);
    instantiate(&mut other, &module);
}

/// `Config::max_wasm_stack(64 KiB)`: a 100 000-deep (finite) recursion traps
/// with `StackOverflow`, a shallow one still works, and the store stays
/// usable.
pub fn limit_wasm_stack<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let mut config = Config::new();
    config.max_wasm_stack(64 * 1024);
    let engine = engine_with(&make, &config);
    assert_eq!(engine.config().max_wasm_stack_bytes(), Some(64 * 1024));
    on_big_stack(|| {
        let module = compile(&engine, RECURSION_WAT);
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let depth = ok(
            instance.get_typed_func::<i32, i32>(&mut store, "depth"),
            "depth",
        );
        assert_eq!(ok(depth.call(&mut store, 10), "depth(10)"), 10);
        expect_trap(
            depth.call(&mut store, 100_000),
            TrapCode::StackOverflow,
            "100000-deep recursion in 64 KiB",
        );
        assert_eq!(
            ok(depth.call(&mut store, 10), "depth(10) after the overflow"),
            10
        );
    });
}

// ---------------------------------------------------------------------------
// 10. Module variants
// ---------------------------------------------------------------------------

const VARIANT_THREADS_WAT: &str = r#"
(module $threads
  (memory 1 1 shared)
  (func (export "which") (result i32) i32.const 2))
"#;

const VARIANT_BASELINE_WAT: &str = r#"
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
        let f = ok(
            instance.get_typed_func::<(), i32>(&mut store, "which"),
            "which",
        );
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

// ---------------------------------------------------------------------------
// Self-checks of the suite (no backend needed)
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module the suite compiles, by name.
    const TEST_MODULES: &[(&str, &str)] = &[
        ("ROUND_TRIP_WAT", ROUND_TRIP_WAT),
        ("KINDS_WAT", KINDS_WAT),
        ("MEMORY64_WAT", MEMORY64_WAT),
        ("SHARED_MEMORY_WAT", SHARED_MEMORY_WAT),
        ("FROM_FILE_WAT", FROM_FILE_WAT),
        ("HOST_TYPED_WAT", HOST_TYPED_WAT),
        ("HOST_UNTYPED_WAT", HOST_UNTYPED_WAT),
        ("HOST_STATE_WAT", HOST_STATE_WAT),
        ("CALLER_WAT", CALLER_WAT),
        ("HOST_ITEMS_WAT", HOST_ITEMS_WAT),
        ("LINK_A_WAT", LINK_A_WAT),
        ("LINK_B_WAT", LINK_B_WAT),
        ("LINK_MISSING_WAT", LINK_MISSING_WAT),
        ("START_WAT", START_WAT),
        ("ORDERED_IMPORTS_WAT", ORDERED_IMPORTS_WAT),
        ("EXPORTS_WAT", EXPORTS_WAT),
        ("CALLS_WAT", CALLS_WAT),
        ("I64_WAT", I64_WAT),
        ("NAN_WAT", NAN_WAT),
        ("V128_WAT", V128_WAT),
        ("FUNCREF_WAT", FUNCREF_WAT),
        ("EXTERNREF_WAT", EXTERNREF_WAT),
        ("FUNC_TYPES_WAT", FUNC_TYPES_WAT),
        ("WRONG_STORE_WAT", WRONG_STORE_WAT),
        ("HOST_ERROR_WAT", HOST_ERROR_WAT),
        ("HOST_PANIC_WAT", HOST_PANIC_WAT),
        ("MEMORY_WAT", MEMORY_WAT),
        ("TABLE_WAT", TABLE_WAT),
        ("GLOBAL_WAT", GLOBAL_WAT),
        ("TRAPS_WAT", TRAPS_WAT),
        ("RECURSION_WAT", RECURSION_WAT),
        ("FUEL_WAT", FUEL_WAT),
        ("LIMIT_MEMORY_WAT", LIMIT_MEMORY_WAT),
        ("LIMIT_TABLE_WAT", LIMIT_TABLE_WAT),
        ("VARIANT_THREADS_WAT", VARIANT_THREADS_WAT),
        ("VARIANT_BASELINE_WAT", VARIANT_BASELINE_WAT),
    ];

    fn validate(name: &str, wat: &str) -> Vec<u8> {
        let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&wasm)
            .unwrap_or_else(|e| panic!("{name} is invalid: {e}"));
        wasm
    }

    #[test]
    fn test_modules_are_valid() {
        for (name, wat) in TEST_MODULES {
            validate(name, wat);
        }
        for (feature, wat) in FEATURE_PROBES {
            validate(feature.name(), wat);
        }
    }

    #[test]
    fn feature_probes_need_their_feature() {
        for (feature, wat) in FEATURE_PROBES {
            let wasm = validate(feature.name(), wat);
            use wasmparser::WasmFeatures as W;
            // The 1.0 core without the two parts we also treat as features.
            let mvp = W::WASM1 & !(W::MUTABLE_GLOBAL | W::FLOATS);
            let result = wasmparser::Validator::new_with_features(mvp).validate_all(&wasm);
            assert!(
                result.is_err(),
                "the probe for {feature} validates without any proposal"
            );
        }
        let mut seen: Vec<Feature> = FEATURE_PROBES.iter().map(|(f, _)| *f).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), FEATURE_PROBES.len(), "a feature has two probes");
    }

    #[test]
    fn expected_reflection_matches_the_text() {
        let info = wasm_run_api::ModuleInfo::parse(&validate("KINDS_WAT", KINDS_WAT)).unwrap();
        let (imports, exports) = kinds_expected();
        assert_eq!(info.imports, imports);
        assert_eq!(info.exports, exports);
        let info = wasm_run_api::ModuleInfo::parse(&validate("EXPORTS_WAT", EXPORTS_WAT)).unwrap();
        let names: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["f1", "mem", "glob", "tab", "f2", "f2_alias"]);
    }

    #[test]
    fn behaviour_names_are_unique() {
        let mut names = NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
        assert!(NAMES.len() >= 40);
    }

    #[test]
    fn temp_dirs_are_fresh_and_removed() {
        let a = TempDir::new("self-check");
        let b = TempDir::new("self-check");
        assert_ne!(a.path(), b.path());
        let file = a.write("x.wat", "(module)");
        assert!(file.exists());
        let dir = a.path().to_path_buf();
        drop(a);
        assert!(!dir.exists());
    }
}
