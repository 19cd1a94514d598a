//! Shared by the component tests: the fixtures, running a test on every
//! backend, and calling a component on the three paths (portable on wasmi,
//! portable on wasmtime, wasmtime's native component model) to compare the
//! outcomes.
#![allow(dead_code)]

use wasm_run_api::{Config, Engine, Error, Store};
use wasm_run_component::{Component, Instance, Linker, Val};

/// The result of one call: the value's WAVE text, or that it trapped.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Value(String),
    Trap,
}

/// `bytes` (binary or text) instantiated in a fresh store, with no imports.
pub fn instantiate<E: Engine>(
    engine: &E,
    bytes: impl AsRef<[u8]>,
) -> (Store<E, ()>, Component<E>, Instance<E>) {
    let component = Component::new(engine, bytes).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    (store, component, instance)
}

/// Calls the export `name` with `args`; its result, if its type has one.
pub fn call<E: Engine>(
    store: &mut Store<E, ()>,
    instance: &Instance<E>,
    name: &str,
    args: &[Val],
) -> Result<Option<Val>, Error> {
    let f = instance
        .get_func(name)
        .unwrap_or_else(|| panic!("no export {name}"));
    let mut out = vec![Val::Bool(false); usize::from(f.ty().result().is_some())];
    f.call(&mut *store, args, &mut out)?;
    Ok(out.pop())
}

/// Calls `calls` in order in one fresh instance of `bytes` on the
/// portable path.
pub fn portable<E: Engine>(engine: &E, bytes: &[u8], calls: &[(&str, Vec<Val>)]) -> Vec<Outcome> {
    let (mut store, _, instance) = instantiate(engine, bytes);
    calls
        .iter()
        .map(
            |(name, args)| match call(&mut store, &instance, name, args) {
                Ok(out) => Outcome::Value(out.as_ref().map(wave).unwrap_or_default()),
                Err(e) if e.trap_code().is_some() => Outcome::Trap,
                Err(e) => panic!("{name}: not a trap: {e}"),
            },
        )
        .collect()
}

/// The WAVE text, with floats written by their bits (so that NaN payloads
/// and signed zeros are compared exactly).
pub fn wave(v: &Val) -> String {
    match v {
        Val::F32(x) => format!("f32:{:#x}", x.to_bits()),
        Val::F64(x) => format!("f64:{:#x}", x.to_bits()),
        Val::List(items) => format!(
            "[{}]",
            items.iter().map(wave).collect::<Vec<_>>().join(", ")
        ),
        Val::Tuple(items) => format!(
            "({})",
            items.iter().map(wave).collect::<Vec<_>>().join(", ")
        ),
        Val::Record(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(n, v)| format!("{n}: {}", wave(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Val::Variant(n, Some(v)) => format!("{n}({})", wave(v)),
        Val::Option(Some(v)) => format!("some({})", wave(v)),
        Val::Result(Ok(Some(v))) => format!("ok({})", wave(v)),
        Val::Result(Err(Some(v))) => format!("err({})", wave(v)),
        other => other.to_string(),
    }
}

pub struct Paths {
    pub wasmi: wasm_run_wasmi::Wasmi,
    pub wasmtime: wasm_run_wasmtime::Wasmtime,
    /// wasmtime with its own component model.
    pub native: wasm_run_wasmtime::Wasmtime,
}

/// wasmtime running components on its own component model.
pub fn native_engine() -> wasm_run_wasmtime::Wasmtime {
    wasm_run_wasmtime::Wasmtime::new(Config::new().native_components(true)).unwrap()
}

impl Paths {
    pub fn new() -> Self {
        Paths {
            wasmi: wasm_run_wasmi::Wasmi::new(&Config::new()).unwrap(),
            wasmtime: wasm_run_wasmtime::Wasmtime::new(&Config::new()).unwrap(),
            native: native_engine(),
        }
    }

    /// Runs one call on the three paths; they must agree. Returns the
    /// outcome.
    pub fn agree(&self, bytes: &[u8], name: &str, args: &[Val]) -> Outcome {
        let calls = [(name, args.to_vec())];
        self.agree_all(bytes, &calls).pop().unwrap()
    }

    /// Runs `calls` in order in one instance on each of the three paths;
    /// every outcome must agree.
    pub fn agree_all(&self, bytes: &[u8], calls: &[(&str, Vec<Val>)]) -> Vec<Outcome> {
        let a = portable(&self.wasmi, bytes, calls);
        let b = portable(&self.wasmtime, bytes, calls);
        let c = portable(&self.native, bytes, calls);
        for (i, (name, args)) in calls.iter().enumerate() {
            let shown: Vec<String> = args.iter().map(|v| v.to_string()).collect();
            assert_eq!(
                a[i],
                b[i],
                "{name}({}): portable wasmi vs portable wasmtime",
                shown.join(", ")
            );
            assert_eq!(
                a[i],
                c[i],
                "{name}({}): portable vs native wasmtime",
                shown.join(", ")
            );
        }
        a
    }
}

/// The text of `tests/fixtures/component/NAME`.
pub fn fixture_text(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Instantiates each listed generic test `fn t<E: Engine>(engine: &E)` on
/// wasmi and on wasmtime, with the default configuration, and on wasmtime's
/// own component model.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod wasmi {
            $(#[test] fn $test() { super::$test(&<wasm_run_wasmi::Wasmi as wasm_run_api::Engine>::new(&wasm_run_api::Config::new()).unwrap()); })*
        }
        mod wasmtime {
            $(#[test] fn $test() { super::$test(&<wasm_run_wasmtime::Wasmtime as wasm_run_api::Engine>::new(&wasm_run_api::Config::new()).unwrap()); })*
        }
        mod native {
            $(#[test] fn $test() { super::$test(&$crate::common::native_engine()); })*
        }
    };
}
