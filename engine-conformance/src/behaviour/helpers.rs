//! Helpers shared by the behaviours: engines, results and errors, compiling,
//! instantiating and calling test modules, temporary directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_run_api::{
    AsContextMut, Config, Engine, Error, Feature, Func, FuncType, HeapType, Instance, LinkError,
    Module, RefType, Result, Store, TrapCode, TypedFunc, Val, ValType, WasmTyList,
};

/// `funcref` as a reference type.
pub(super) const FUNCREF: RefType = RefType {
    nullable: true,
    heap: HeapType::Func,
};
/// `externref` as a reference type.
pub(super) const EXTERNREF: RefType = RefType {
    nullable: true,
    heap: HeapType::Extern,
};

/// A function type from arrays (so `fty([], [])` needs no annotations).
pub(super) fn fty<const P: usize, const R: usize>(
    params: [ValType; P],
    results: [ValType; R],
) -> FuncType {
    FuncType::new(params, results)
}

/// Builds an engine with `config` or fails the test.
#[track_caller]
pub(super) fn engine_with<E: Engine>(make: &impl Fn(&Config) -> Result<E>, config: &Config) -> E {
    match make(config) {
        Ok(engine) => engine,
        Err(err) => panic!("creating an engine with {config:?} failed: {err} ({err:?})"),
    }
}

/// Builds an engine with the default configuration or fails the test.
#[track_caller]
pub(super) fn default_engine<E: Engine>(make: &impl Fn(&Config) -> Result<E>) -> E {
    engine_with(make, &Config::new())
}

/// The value of `result`, or a test failure naming `what`.
#[track_caller]
pub(super) fn ok<T>(result: Result<T>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{what}: unexpected error: {err} ({err:?})"),
    }
}

/// The error of `result`, or a test failure naming `what`.
#[track_caller]
pub(super) fn err<T>(result: Result<T>, what: &str) -> Error {
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
        let e = $crate::behaviour::helpers::err($result, &what);
        assert!(
            matches!(e, $pat $(if $guard)?),
            "{what}: expected an error matching `{}`, got {e} ({e:?})",
            stringify!($pat)
        );
        e
    }};
}
pub(super) use assert_err;

/// Asserts that a result is a trap with `code`.
#[track_caller]
pub(super) fn expect_trap<T>(result: Result<T>, code: TrapCode, what: &str) {
    let e = err(result, what);
    assert!(
        matches!(e, Error::Trap { .. }) && e.trap_code() == Some(code),
        "{what}: expected trap `{code}` ({code:?}), got {e} ({e:?})"
    );
}

/// Asserts that `result` is an `Error::ResourceLimit`.
#[track_caller]
pub(super) fn expect_resource_limit<T>(result: Result<T>, what: &str) {
    let e = err(result, what);
    assert!(
        matches!(e, Error::ResourceLimit(_)),
        "expected Error::ResourceLimit, got {e} ({e:?})"
    );
}

/// Asserts that `e` is `Error::Link` holding exactly `expected`.
#[track_caller]
pub(super) fn expect_link_error(e: &Error, expected: &LinkError, what: &str) {
    let kind = match expected {
        LinkError::Missing { .. } => "Missing",
        LinkError::Incompatible { .. } => "Incompatible",
        LinkError::Duplicate { .. } => "Duplicate",
        _ => "Other",
    };
    match e {
        Error::Link(link) => assert_eq!(&**link, expected, "wrong LinkError for {what}"),
        other => panic!("{what}: expected Error::Link({kind}), got {other} ({other:?})"),
    }
}

/// Asserts that `e` is `Error::Unsupported` for `feature`, reported by
/// `engine`.
#[track_caller]
pub(super) fn expect_unsupported(e: &Error, feature: Feature, engine: &str, what: &str) {
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
pub(super) fn expect_rejected<E: Engine>(engine: &E, wat: &str, feature: Feature, what: &str) {
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
pub(super) fn compile<E: Engine>(engine: &E, wat: &str) -> Module<E> {
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
pub(super) fn instantiate<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    module: &Module<E>,
) -> Instance<E> {
    ok(
        Instance::new(store, module, &[]),
        "instantiating a module without imports",
    )
}

/// An exported function or a test failure.
#[track_caller]
pub(super) fn export_func<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    instance: &Instance<E>,
    name: &str,
) -> Func<E> {
    ok(instance.get_func(store, name), &format!("export `{name}`"))
}

/// Compiles `wat` and instantiates it without imports in a fresh store with
/// no host state, or fails the test.
#[track_caller]
pub(super) fn instantiate_wat<E: Engine>(engine: &E, wat: &str) -> (Store<E, ()>, Instance<E>) {
    let module = compile(engine, wat);
    let mut store = Store::new(engine, ());
    let instance = instantiate(&mut store, &module);
    (store, instance)
}

/// Test-failure shorthands on [`Instance`].
pub(super) trait InstanceExt<E: Engine> {
    /// The export `name` as a typed function `P -> R`, or a test failure
    /// naming `name`.
    fn typed_func<P: WasmTyList, R: WasmTyList>(
        &self,
        store: impl AsContextMut<E>,
        name: &str,
    ) -> TypedFunc<E, P, R>;
}

impl<E: Engine> InstanceExt<E> for Instance<E> {
    #[track_caller]
    fn typed_func<P: WasmTyList, R: WasmTyList>(
        &self,
        store: impl AsContextMut<E>,
        name: &str,
    ) -> TypedFunc<E, P, R> {
        ok(self.get_typed_func::<P, R>(store, name), name)
    }
}

/// Result slots for a dynamic call of a function of type `ty`: one per
/// result, each the zero (or null) value of its type. Shared with the
/// matrix probes.
pub(crate) fn result_slots<E: Engine>(ty: &FuncType) -> Vec<Val<E>> {
    ty.results()
        .iter()
        .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
        .collect()
}

/// Calls `f` dynamically with result slots made from its type.
pub(super) fn call_dyn<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    f: &Func<E>,
    params: &[Val<E>],
) -> Result<Vec<Val<E>>> {
    let mut results = result_slots(&f.ty(&*store));
    f.call(&mut *store, params, &mut results)?;
    Ok(results)
}

/// Runs `f` on a thread with a large native stack, so that engines running
/// wasm on the native stack hit their own stack limit long before the
/// thread's, and re-raises its panic.
pub(super) fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
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
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> Self {
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

    pub(super) fn path(&self) -> &Path {
        &self.0
    }

    pub(super) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
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
