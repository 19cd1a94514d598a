//! Component directives: `(component ...)`, `(component definition ...)`,
//! `(component instance ...)`, and invocations of, assertions on and
//! assertions about components, run through `wasm-run-component` (the
//! portable component model, on every backend), in the script's store.
//!
//! Components import a `host` instance in the component-model spec tests
//! and in wasmtime's own tests; [`define_host`] provides the items those
//! tests use, with the behaviour wasmtime's runner gives them (functions
//! returning 2, 3 and 4, and the `resource1`/`resource2` host resources
//! with their constructor, methods and drop counters, and the core module
//! `simple-module`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use wasm_run_api::{Engine, Error, Result, Store};
use wasm_run_component::{Component, Instance, Linker, ResourceAny, Type, Val};
use wast::component::WastVal;
use wast::{QuoteWat, WastArg, WastInvoke, WastRet, Wat};

use crate::runner::{Exec, Outcome, Slot, error_kind, slot_for};

/// What the host's resources have seen (wasmtime's runner keeps the same
/// counters).
#[derive(Default)]
struct HostState {
    drops: u32,
    last_drop: u32,
}

/// A component instance and the store it lives in. As wasmtime's runner
/// does, every component instance gets a store of its own: a trap leaves
/// the instance that trapped unusable (wasmtime 48 refuses every later
/// call into its store), not the rest of the script.
struct Live<E: Engine> {
    instance: Instance<E>,
    store: Rc<RefCell<Store<E, ()>>>,
}

impl<E: Engine> Clone for Live<E> {
    fn clone(&self) -> Self {
        Live {
            instance: self.instance.clone(),
            store: self.store.clone(),
        }
    }
}

/// The component side of a script.
pub(crate) struct Components<E: Engine> {
    engine: E,
    linker: Linker<E, ()>,
    current: Option<Slot<Live<E>>>,
    named: HashMap<String, Slot<Live<E>>>,
    definitions: HashMap<String, Slot<Component<E>>>,
    last_definition: Option<Slot<Component<E>>>,
    /// Core modules of named instances, importable under their names.
    registered: HashMap<String, Vec<(String, wasm_run_api::Module<E>)>>,
}

fn u32_arg(args: &[Val], i: usize) -> Result<u32> {
    match args.get(i) {
        Some(Val::U32(x)) => Ok(*x),
        other => Err(Error::Type(format!("expected a u32, got {other:?}"))),
    }
}

fn resource_arg(args: &[Val], i: usize) -> Result<&ResourceAny> {
    match args.get(i) {
        Some(Val::Resource(r)) => Ok(r),
        other => Err(Error::Type(format!("expected a resource, got {other:?}"))),
    }
}

fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Host(format!("host assertion failed: {what}").into()))
    }
}

/// Defines the `host` items of the component-model tests in `linker`.
///
/// # Errors
///
/// A definition clash (not in a fresh linker), or the engine refusing
/// the small core module.
pub(crate) fn define_host<E: Engine>(engine: &E, linker: &mut Linker<E, ()>) -> Result<()> {
    linker.func_new("host-return-two", |_, _, out| {
        out[0] = Val::U32(2);
        Ok(())
    })?;
    let state = Arc::new(Mutex::new(HostState::default()));
    let mut host = linker.instance("host")?;
    host.func_new("return-three", |_, _, out| {
        out[0] = Val::U32(3);
        Ok(())
    })?;
    host.instance("nested")?
        .func_new("return-four", |_, _, out| {
            out[0] = Val::U32(4);
            Ok(())
        })?;
    let simple = wasm_run_api::Module::new(
        engine,
        r#"(module
             (global (export "g") i32 (i32.const 100))
             (func (export "f") (result i32) i32.const 101))"#,
    )?;
    host.module("simple-module", &simple)?;
    let s = state.clone();
    let resource1 = host.resource("resource1", move |_, rep| {
        let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
        s.drops += 1;
        s.last_drop = rep;
        Ok(())
    })?;
    host.resource("resource2", |_, _| Ok(()))?;
    host.resource_of("resource1-again", &resource1, |_, _| {
        Err(Error::Host(
            "resource1-again's destructor must not run".into(),
        ))
    })?;
    let ty = resource1.clone();
    host.func_new("[constructor]resource1", move |_, args, out| {
        out[0] = Val::Resource(ResourceAny::host(&ty, u32_arg(args, 0)?));
        Ok(())
    })?;
    host.func_new("[static]resource1.assert", |_, args, _| {
        let r = resource_arg(args, 0)?;
        check(r.rep() == u32_arg(args, 1)?, "resource1.assert: rep")
    })?;
    let s = state.clone();
    host.func_new("[static]resource1.last-drop", move |_, _, out| {
        out[0] = Val::U32(s.lock().unwrap_or_else(|e| e.into_inner()).last_drop);
        Ok(())
    })?;
    let s = state;
    host.func_new("[static]resource1.drops", move |_, _, out| {
        out[0] = Val::U32(s.lock().unwrap_or_else(|e| e.into_inner()).drops);
        Ok(())
    })?;
    host.func_new("[method]resource1.simple", |_, args, _| {
        let r = resource_arg(args, 0)?;
        check(!r.owned(), "resource1.simple: self is borrowed")?;
        check(r.rep() == u32_arg(args, 1)?, "resource1.simple: rep")
    })?;
    host.func_new("[method]resource1.take-borrow", |_, args, _| {
        check(
            !resource_arg(args, 0)?.owned() && !resource_arg(args, 1)?.owned(),
            "resource1.take-borrow: both borrowed",
        )
    })?;
    host.func_new("[method]resource1.take-own", |_, args, _| {
        check(
            !resource_arg(args, 0)?.owned() && resource_arg(args, 1)?.owned(),
            "resource1.take-own: self borrowed, the argument owned",
        )
    })?;
    Ok(())
}

/// A script value as a component value of type `ty`.
fn to_val(w: &WastVal<'_>, ty: &Type) -> std::result::Result<Val, String> {
    let boxed = |w: &Option<Box<WastVal<'_>>>, ty: Option<&Type>| match (w, ty) {
        (None, None) => Ok(None),
        (Some(w), Some(ty)) => to_val(w, ty).map(|v| Some(Box::new(v))),
        _ => Err(format!("a payload that does not fit {ty:?}")),
    };
    Ok(match (w, ty) {
        (WastVal::Bool(x), Type::Bool) => Val::Bool(*x),
        (WastVal::U8(x), Type::U8) => Val::U8(*x),
        (WastVal::S8(x), Type::S8) => Val::S8(*x),
        (WastVal::U16(x), Type::U16) => Val::U16(*x),
        (WastVal::S16(x), Type::S16) => Val::S16(*x),
        (WastVal::U32(x), Type::U32) => Val::U32(*x),
        (WastVal::S32(x), Type::S32) => Val::S32(*x),
        (WastVal::U64(x), Type::U64) => Val::U64(*x),
        (WastVal::S64(x), Type::S64) => Val::S64(*x),
        (WastVal::F32(x), Type::F32) => Val::F32(f32::from_bits(x.bits)),
        (WastVal::F64(x), Type::F64) => Val::F64(f64::from_bits(x.bits)),
        (WastVal::Char(x), Type::Char) => Val::Char(*x),
        (WastVal::String(x), Type::String) => Val::String((*x).to_string()),
        (WastVal::List(items), Type::List(t)) => Val::List(
            items
                .iter()
                .map(|w| to_val(w, t))
                .collect::<std::result::Result<_, _>>()?,
        ),
        (WastVal::Record(fields), Type::Record(types)) if fields.len() == types.len() => {
            let mut out = Vec::with_capacity(fields.len());
            for ((name, w), (tname, t)) in fields.iter().zip(types.iter()) {
                if name != tname {
                    return Err(format!("record field `{name}` where `{tname}` is"));
                }
                out.push((tname.clone(), to_val(w, t)?));
            }
            Val::Record(out)
        }
        (WastVal::Tuple(items), Type::Tuple(types)) if items.len() == types.len() => Val::Tuple(
            items
                .iter()
                .zip(types.iter())
                .map(|(w, t)| to_val(w, t))
                .collect::<std::result::Result<_, _>>()?,
        ),
        (WastVal::Variant(name, payload), Type::Variant(cases)) => {
            let (case, t) = cases
                .iter()
                .find(|(c, _)| c == name)
                .ok_or_else(|| format!("no case `{name}`"))?;
            Val::Variant(case.clone(), boxed(payload, t.as_ref())?)
        }
        (WastVal::Enum(name), Type::Enum(cases)) if cases.iter().any(|c| c == name) => {
            Val::Enum((*name).to_string())
        }
        (WastVal::Option(payload), Type::Option(t)) => Val::Option(match payload {
            None => None,
            Some(w) => Some(Box::new(to_val(w, t)?)),
        }),
        (WastVal::Result(r), Type::Result(types)) => Val::Result(match r {
            Ok(w) => Ok(boxed(w, types.0.as_ref())?),
            Err(w) => Err(boxed(w, types.1.as_ref())?),
        }),
        (WastVal::Flags(names), Type::Flags(all)) => {
            // In the type's order, as `Val::Flags` keeps them.
            if let Some(n) = names.iter().find(|n| !all.iter().any(|a| a == *n)) {
                return Err(format!("no flag `{n}`"));
            }
            Val::Flags(
                all.iter()
                    .filter(|a| names.iter().any(|n| n == a))
                    .cloned()
                    .collect(),
            )
        }
        (w, ty) => return Err(format!("{w:?} is not a {ty}")),
    })
}

impl<E: Engine> Components<E> {
    pub(crate) fn new(engine: &E) -> Result<Self> {
        let mut linker = Linker::new(engine);
        define_host(engine, &mut linker)?;
        Ok(Components {
            engine: engine.clone(),
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            registered: HashMap::new(),
        })
    }

    /// Rebuilds the linker: the `host` items and the registered modules.
    fn relink(&mut self) -> Result<()> {
        let mut linker = Linker::new(&self.engine);
        define_host(&self.engine, &mut linker)?;
        for (name, modules) in &self.registered {
            let mut ns = linker.instance(name)?;
            for (n, m) in modules {
                ns.module(n, m)?;
            }
        }
        self.linker = linker;
        Ok(())
    }

    /// Whether `name` is a component definition.
    pub(crate) fn has_definition(&self, name: &str) -> bool {
        self.definitions.contains_key(name)
    }

    fn load(&self, qw: &mut QuoteWat<'_>) -> std::result::Result<Component<E>, Outcome> {
        let bytes = qw
            .encode()
            .map_err(|e| Outcome::fail("text does not encode", e.to_string()))?;
        Component::new(&self.engine, &bytes).map_err(|e| match e {
            Error::Unsupported { feature, .. } => Outcome::Skip(format!("needs {feature}")),
            e => Outcome::fail(
                format!("component rejected: {}", error_kind(&e)),
                e.to_string(),
            ),
        })
    }

    fn instantiate(&self, component: &Component<E>) -> std::result::Result<Live<E>, Error> {
        let mut store = Store::new(&self.engine, ());
        let instance = self.linker.instantiate(&mut store, component)?;
        Ok(Live {
            instance,
            store: Rc::new(RefCell::new(store)),
        })
    }

    fn bind(&mut self, name: Option<String>, slot: Slot<Live<E>>) {
        if let Some(name) = name {
            // As wasmtime's runner does: a named instance's exported core
            // modules are importable by later components under its name
            // (a later instance of the same name replaces them).
            if let Slot::Ready(Live { instance, .. }) = &slot {
                let modules: Vec<_> = instance
                    .module_names()
                    .into_iter()
                    .filter_map(|n| instance.get_module(&n).map(|m| (n, m)))
                    .collect();
                if !modules.is_empty() || self.registered.contains_key(&name) {
                    self.registered.insert(name.clone(), modules);
                    let _ = self.relink();
                }
            }
            self.named.insert(name, slot.clone());
        }
        self.current = Some(slot);
    }

    /// `(component ...)`: loads and instantiates; the current instance.
    pub(crate) fn module(&mut self, mut qw: QuoteWat<'_>) -> Outcome {
        let name = qw.name().map(|id| id.name().to_string());
        let outcome = match self.load(&mut qw) {
            Ok(c) => match self.instantiate(&c) {
                Ok(i) => {
                    self.bind(name, Slot::Ready(i));
                    return Outcome::Pass;
                }
                Err(e) => not_instantiated(&e),
            },
            Err(o) => o,
        };
        self.bind(name, slot_for(&outcome));
        outcome
    }

    /// `(component definition $name ...)`.
    pub(crate) fn definition(&mut self, mut qw: QuoteWat<'_>) -> Outcome {
        let name = qw.name().map(|id| id.name().to_string());
        let (slot, outcome) = match self.load(&mut qw) {
            Ok(c) => (Slot::Ready(c), Outcome::Pass),
            Err(o) => (slot_for(&o), o),
        };
        if let Some(name) = name {
            self.definitions.insert(name, slot.clone());
        }
        self.last_definition = Some(slot);
        outcome
    }

    /// `(component instance $i $def)`.
    pub(crate) fn instance(
        &mut self,
        instance: Option<String>,
        definition: Option<&str>,
    ) -> Outcome {
        let def = match definition {
            Some(n) => self.definitions.get(n).cloned(),
            None => self.last_definition.clone(),
        };
        let outcome = match def {
            Some(Slot::Ready(c)) => match self.instantiate(&c) {
                Ok(i) => {
                    self.bind(instance, Slot::Ready(i));
                    return Outcome::Pass;
                }
                Err(e) => not_instantiated(&e),
            },
            Some(Slot::Unsupported(r)) => Outcome::Skip(r),
            Some(Slot::Broken(r)) => Outcome::fail("uses a component that failed", r),
            None => Outcome::fail("no such component definition", format!("{definition:?}")),
        };
        self.bind(instance, slot_for(&outcome));
        outcome
    }

    fn lookup(&self, name: Option<&str>) -> std::result::Result<Live<E>, Outcome> {
        let slot = match name {
            Some(n) => self.named.get(n),
            None => self.current.as_ref(),
        };
        match slot {
            Some(Slot::Ready(i)) => Ok(i.clone()),
            Some(Slot::Unsupported(r)) => Err(Outcome::Skip(r.clone())),
            Some(Slot::Broken(r)) => Err(Outcome::fail("uses a component that failed", r.clone())),
            None => Err(Outcome::fail("no such component", format!("{name:?}"))),
        }
    }

    /// Calls `invoke` on the current (or named) component instance.
    pub(crate) fn invoke(
        &mut self,
        invoke: &WastInvoke<'_>,
    ) -> std::result::Result<Option<Val>, Exec<E>> {
        let Live { instance, store } = self
            .lookup(invoke.module.map(|id| id.name()))
            .map_err(Exec::NotRun)?;
        let func = instance.get_func(invoke.name).ok_or_else(|| {
            Exec::NotRun(Outcome::fail(
                "no such export",
                format!("no function `{}`", invoke.name),
            ))
        })?;
        let ty = func.ty().clone();
        if ty.params().len() != invoke.args.len() {
            return Err(Exec::NotRun(Outcome::fail(
                "argument count",
                format!("{ty} given {} arguments", invoke.args.len()),
            )));
        }
        let mut args = Vec::with_capacity(invoke.args.len());
        for (arg, (_, t)) in invoke.args.iter().zip(ty.params()) {
            let WastArg::Component(w) = arg else {
                return Err(Exec::NotRun(Outcome::fail(
                    "core argument to a component function",
                    format!("{arg:?}"),
                )));
            };
            args.push(to_val(w, t).map_err(|e| Exec::NotRun(Outcome::fail("bad argument", e)))?);
        }
        let mut out = vec![Val::Bool(false); usize::from(ty.result().is_some())];
        let mut store = store.borrow_mut();
        match func.call(&mut *store, &args, &mut out) {
            Ok(()) => Ok(out.pop()),
            Err(e) => Err(Exec::Error(e)),
        }
    }

    pub(crate) fn assert_return(
        &mut self,
        invoke: &WastInvoke<'_>,
        expected: &[WastRet<'_>],
    ) -> Outcome {
        let instance = match self.lookup(invoke.module.map(|id| id.name())) {
            Ok(live) => live.instance,
            Err(o) => return o,
        };
        let result_ty = instance
            .get_func(invoke.name)
            .and_then(|f| f.ty().result().cloned());
        let got = match self.invoke(invoke) {
            Ok(v) => v,
            Err(Exec::NotRun(o)) => return o,
            Err(Exec::Error(e)) => {
                return Outcome::fail(format!("unexpected {}", error_kind(&e)), e.to_string());
            }
            Err(Exec::Values(_)) => return Outcome::fail("internal", "no values"),
        };
        match (expected, got, result_ty) {
            ([], None, _) => Outcome::Pass,
            ([WastRet::Component(w)], Some(got), Some(ty)) => match to_val(w, &ty) {
                Ok(want) if want == got => Outcome::Pass,
                Ok(want) => Outcome::fail("wrong result", format!("expected {want}, got {got}")),
                Err(e) => Outcome::fail("bad expected value", e),
            },
            (want, got, _) => Outcome::fail(
                "wrong result",
                format!("expected {} result(s), got {got:?}", want.len()),
            ),
        }
    }

    /// An inline component instantiated for `assert_trap`/`assert_unlinkable`:
    /// what happened.
    pub(crate) fn instantiate_inline(&mut self, wat: Wat<'_>) -> Exec<E> {
        let mut qw = QuoteWat::Wat(wat);
        match self.load(&mut qw) {
            Ok(c) => match self.instantiate(&c) {
                Ok(_) => Exec::Values(Vec::new()),
                Err(e @ Error::Unsupported { .. }) => Exec::NotRun(not_instantiated(&e)),
                Err(e) => Exec::Error(e),
            },
            Err(o) => Exec::NotRun(o),
        }
    }

    /// `assert_invalid`/`assert_malformed` of a component.
    pub(crate) fn must_not_compile(&mut self, mut qw: QuoteWat<'_>, message: &str) -> Outcome {
        let Ok(bytes) = qw.encode() else {
            return Outcome::Pass;
        };
        match Component::new(&self.engine, &bytes) {
            Ok(_) => Outcome::fail(
                "invalid component accepted",
                format!("expected `{message}`"),
            ),
            Err(Error::Compile { .. } | Error::Unsupported { .. }) => Outcome::Pass,
            Err(e) => Outcome::fail(
                format!("invalid component rejected with {}", error_kind(&e)),
                format!("expected `{message}`, got: {e}"),
            ),
        }
    }

    /// `assert_unlinkable` of a component.
    pub(crate) fn unlinkable(&mut self, wat: Wat<'_>, message: &str) -> Outcome {
        match self.instantiate_inline(wat) {
            Exec::Values(_) => Outcome::fail(
                "unlinkable component linked",
                format!("expected `{message}`"),
            ),
            Exec::Error(Error::Link(_)) => Outcome::Pass,
            Exec::Error(e) => Outcome::fail(
                format!("unlinkable component failed with {}", error_kind(&e)),
                format!("expected link error `{message}`, got: {e}"),
            ),
            Exec::NotRun(o) => o,
        }
    }
}

/// The outcome of an instantiation that failed.
fn not_instantiated(e: &Error) -> Outcome {
    match e {
        Error::Unsupported { feature, .. } => Outcome::Skip(format!("needs {feature}")),
        e => Outcome::fail(
            format!("instantiation failed: {}", error_kind(e)),
            e.to_string(),
        ),
    }
}
