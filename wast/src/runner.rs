//! The directive interpreter: one store and one linker per script, modules
//! and instances by name, results compared the way the spec interpreter does.

use std::collections::HashMap;

use wasm_run_api::{
    AnyRef, AnyRefKind, Engine, Error, Extern, ExternRef, Feature, Func, Instance, Linker, Module,
    Result, SharedMemory, Store, TrapCode, V128, Val, ValType,
};
use wast::core::{AbstractHeapType, WastArgCore, WastRetCore};
use wast::token::Id;
use wast::{QuoteWat, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use crate::component::Components;
use crate::run::TrapCodesFn;
use crate::spectest::define_spectest;
use crate::traps::{expect_trap, trap_codes_for};
use crate::values::{f32_matches, f64_matches, show_ret, unrepresentable_ret, v128_matches};

/// What one directive did.
pub(crate) enum Outcome {
    Pass,
    Fail { category: String, reason: String },
    Skip(String),
}

impl Outcome {
    pub(crate) fn fail(category: impl Into<String>, reason: impl Into<String>) -> Self {
        Outcome::Fail {
            category: category.into(),
            reason: reason.into(),
        }
    }
}

/// The result of running a [`WastExecute`].
pub(crate) enum Exec<E: Engine> {
    /// It returned these values.
    Values(Vec<Val<E>>),
    /// It failed with this error (a trap, a link error, ...).
    Error(Error),
    /// It could not be run; the outcome says why.
    NotRun(Outcome),
}

/// A module or instance slot: usable, or why not.
pub(crate) enum Slot<T> {
    Ready(T),
    /// Needs something the backend cannot do: directives using it are skipped.
    Unsupported(String),
    /// Failed for another reason: directives using it fail.
    Broken(String),
}

impl<T: Clone> Clone for Slot<T> {
    fn clone(&self) -> Self {
        match self {
            Slot::Ready(x) => Slot::Ready(x.clone()),
            Slot::Unsupported(r) => Slot::Unsupported(r.clone()),
            Slot::Broken(r) => Slot::Broken(r.clone()),
        }
    }
}

/// Payload of the `externref`s the script creates with `ref.extern N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpecExtern(u32);

pub(crate) fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Compile { .. } => "compile error",
        Error::Link(_) => "link error",
        Error::Trap { .. } => "trap",
        Error::Exit(_) => "exit",
        Error::Unsupported { .. } => "unsupported",
        Error::ResourceLimit(_) => "resource limit",
        Error::Host(_) => "host error",
        Error::HostPanic(_) => "host panic",
        Error::Type(_) => "type error",
        Error::WrongStore => "wrong store",
        Error::Access(_) => "access error",
        Error::Io { .. } => "io error",
        Error::Engine(_) => "engine error",
        _ => "other error",
    }
}

fn unsupported_reason(e: &Error) -> Option<String> {
    match e {
        Error::Unsupported { feature, .. } => Some(format!("unsupported feature {feature}")),
        _ => None,
    }
}

fn is_component(qw: &QuoteWat<'_>) -> bool {
    matches!(
        qw,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    )
}

pub(crate) struct Runner<E: Engine> {
    engine: E,
    /// Maps trap messages to codes (see [`TrapCodesFn`]).
    pub(crate) trap_codes: TrapCodesFn,
    store: Store<E, ()>,
    linker: Linker<E, ()>,
    current: Option<Slot<Instance<E>>>,
    named: HashMap<String, Slot<Instance<E>>>,
    definitions: HashMap<String, Slot<Module<E>>>,
    last_definition: Option<Slot<Module<E>>>,
    /// Names `register`ed from modules the backend could not build.
    unavailable: HashMap<String, String>,
    /// `spectest` items the backend cannot create, and why.
    missing_host: HashMap<String, String>,
    /// In a `thread`: the shared memories of the `(shared (module $M))`
    /// module, by its name, for `register`.
    shared_modules: HashMap<String, Vec<(String, SharedMemory<E>)>>,
    /// Components of the script, and whether the last instance made (which
    /// unnamed invocations go to) is a component.
    components: Components<E>,
    current_is_component: bool,
    last_definition_is_component: bool,
}

impl<E: Engine> Runner<E> {
    pub(crate) fn new(engine: E) -> Result<Self> {
        let components = Components::new(&engine)?;
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        let missing_host = define_spectest(&mut store, &mut linker)?
            .into_iter()
            .collect();
        Ok(Runner {
            engine,
            trap_codes: trap_codes_for,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            unavailable: HashMap::new(),
            missing_host,
            shared_modules: HashMap::new(),
            components,
            current_is_component: false,
            last_definition_is_component: false,
        })
    }

    /// The engine the script runs on.
    pub(crate) fn engine(&self) -> &E {
        &self.engine
    }

    /// The shared memories module `$name` exports (what a `thread` can
    /// share with the script).
    pub(crate) fn shared_memories_of(
        &mut self,
        name: &str,
    ) -> std::result::Result<Vec<(String, SharedMemory<E>)>, Outcome> {
        if let Some(memories) = self.shared_modules.get(name) {
            return Ok(memories.clone());
        }
        let instance = match self.named.get(name) {
            Some(Slot::Ready(i)) => i.clone(),
            Some(Slot::Unsupported(r)) => return Err(Outcome::Skip(r.clone())),
            Some(Slot::Broken(r)) => {
                return Err(Outcome::fail("uses a module that failed", r.clone()));
            }
            None => {
                return Err(Outcome::fail(
                    "no such module",
                    format!("no module named ${name}"),
                ));
            }
        };
        Ok(instance
            .exports(&mut self.store)
            .into_iter()
            .filter_map(|(n, e)| match e {
                Extern::SharedMemory(m) => Some((n, m)),
                _ => None,
            })
            .collect())
    }

    /// In a thread: makes `memories` of module `$name` available to
    /// `register`.
    pub(crate) fn adopt_shared(&mut self, name: String, memories: Vec<(String, SharedMemory<E>)>) {
        self.shared_modules.insert(name, memories);
    }

    pub(crate) fn directive(&mut self, d: WastDirective<'_>) -> Outcome {
        match d {
            WastDirective::Module(qw) => self.module(qw),
            WastDirective::ModuleDefinition(qw) => self.module_definition(qw),
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.module_instance(instance, module),
            WastDirective::Register { name, module, .. } => self.register(name, module),
            WastDirective::Invoke(invoke) if self.to_component(&invoke) => {
                match self.components.invoke(&invoke) {
                    Ok(_) => Outcome::Pass,
                    Err(Exec::Error(e)) => {
                        Outcome::fail(format!("unexpected {}", error_kind(&e)), e.to_string())
                    }
                    Err(Exec::NotRun(o)) => o,
                    Err(Exec::Values(_)) => Outcome::Pass,
                }
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Exec::Values(_) => Outcome::Pass,
                Exec::Error(e) => {
                    Outcome::fail(format!("unexpected {}", error_kind(&e)), e.to_string())
                }
                Exec::NotRun(o) => o,
            },
            WastDirective::AssertReturn {
                exec: WastExecute::Invoke(invoke),
                results,
                ..
            } if self.to_component(&invoke) => self.components.assert_return(&invoke, &results),
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => {
                let exec = self.execute(exec);
                expect_trap(exec, message, self.trap_codes)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let exec = self.invoke(&call);
                expect_trap(exec, message, self.trap_codes)
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.must_not_compile(module, message, "invalid"),
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.must_not_compile(module, message, "malformed"),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            WastDirective::AssertException { exec, .. } => {
                if !self.engine.features().contains(Feature::Exceptions) {
                    return Outcome::Skip(format!(
                        "exceptions not enabled on {}",
                        self.engine.name()
                    ));
                }
                match self.execute(exec) {
                    Exec::Error(e) if e.trap_code() == Some(TrapCode::UncaughtException) => {
                        Outcome::Pass
                    }
                    Exec::Error(e) => Outcome::fail(
                        format!("expected uncaught exception, got {}", error_kind(&e)),
                        e.to_string(),
                    ),
                    Exec::Values(v) => Outcome::fail(
                        "expected uncaught exception, returned",
                        format!("returned {v:?}"),
                    ),
                    Exec::NotRun(o) => o,
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => Outcome::Skip(
                "custom-section assertions (engines do not check custom sections)".into(),
            ),
            WastDirective::AssertSuspension { .. } => {
                Outcome::Skip("stack switching (not in the feature matrix)".into())
            }
            // The script's driver runs these (`threads.rs`); only nested
            // threads get here.
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Outcome::Skip("threads inside threads are not run".into())
            }
        }
    }

    // -- modules ------------------------------------------------------------

    /// Encodes and compiles; `Err` is the outcome of the directive.
    fn compile(&mut self, qw: &mut QuoteWat<'_>) -> Result<Module<E>, Outcome> {
        if is_component(qw) {
            return Err(Outcome::fail(
                "a component where a core module is expected",
                "components are not core modules",
            ));
        }
        let bytes = qw
            .encode()
            .map_err(|e| Outcome::fail("text does not encode", e.to_string()))?;
        Module::new(&self.engine, &bytes).map_err(|e| match unsupported_reason(&e) {
            Some(r) => Outcome::Skip(r),
            None => Outcome::fail(
                format!("module rejected: {}", error_kind(&e)),
                e.to_string(),
            ),
        })
    }

    /// Why instantiating `module` failed, if it imports from a registered
    /// module the backend could not build.
    fn imports_unavailable(&self, module: &Module<E>) -> Option<String> {
        module.imports().iter().find_map(|i| {
            if let Some(r) = self.unavailable.get(&i.module) {
                return Some(format!("imports from a skipped module ({r})"));
            }
            if i.module == "spectest" {
                return self.missing_host.get(&i.name).cloned();
            }
            None
        })
    }

    /// Instantiates; `Err` is the outcome of the directive.
    fn instantiate(&mut self, module: &Module<E>) -> Result<Instance<E>, Outcome> {
        match self.linker.instantiate(&mut self.store, module) {
            Ok(i) => Ok(i),
            Err(e) => Err(
                match unsupported_reason(&e).or_else(|| self.imports_unavailable(module)) {
                    Some(r) => Outcome::Skip(r),
                    None => Outcome::fail(
                        format!("instantiation failed: {}", error_kind(&e)),
                        e.to_string(),
                    ),
                },
            ),
        }
    }

    /// Makes `slot` the current instance and, when the module has a `$name`,
    /// the instance of that name. A named instance is also importable under
    /// its name (without `$`) by later modules, as the engines' own runners
    /// allow (wasmtime's `misc_testsuite` relies on it); a `register` of the
    /// same name later replaces it.
    fn bind(&mut self, name: Option<String>, slot: Slot<Instance<E>>) {
        if let Some(name) = name {
            match &slot {
                Slot::Ready(instance) => {
                    // Shadowing is allowed, so this cannot fail on a name
                    // clash; an engine refusal only loses the convenience.
                    if self
                        .linker
                        .instance(&mut self.store, &name, instance)
                        .is_ok()
                    {
                        self.unavailable.remove(&name);
                    }
                }
                Slot::Unsupported(r) => {
                    self.unavailable
                        .entry(name.clone())
                        .or_insert_with(|| r.clone());
                }
                Slot::Broken(_) => {}
            }
            self.named.insert(name, slot.clone());
        }
        self.current = Some(slot);
    }

    fn module(&mut self, mut qw: QuoteWat<'_>) -> Outcome {
        if is_component(&qw) {
            self.current_is_component = true;
            return self.components.module(qw);
        }
        self.current_is_component = false;
        let name = qw.name().map(|id| id.name().to_string());
        let result = self.compile(&mut qw).and_then(|m| self.instantiate(&m));
        match result {
            Ok(instance) => {
                self.bind(name, Slot::Ready(instance));
                Outcome::Pass
            }
            Err(outcome) => {
                self.bind(name, slot_for(&outcome));
                outcome
            }
        }
    }

    fn module_definition(&mut self, mut qw: QuoteWat<'_>) -> Outcome {
        self.last_definition_is_component = is_component(&qw);
        if is_component(&qw) {
            return self.components.definition(qw);
        }
        let name = qw.name().map(|id| id.name().to_string());
        let (slot, outcome) = match self.compile(&mut qw) {
            Ok(m) => (Slot::Ready(m), Outcome::Pass),
            Err(o) => (slot_for(&o), o),
        };
        if let Some(name) = name {
            self.definitions.insert(name, slot.clone());
        }
        self.last_definition = Some(slot);
        outcome
    }

    fn module_instance(&mut self, instance: Option<Id<'_>>, module: Option<Id<'_>>) -> Outcome {
        let component = match module {
            Some(id) => self.components.has_definition(id.name()),
            None => self.last_definition_is_component,
        };
        if component {
            self.current_is_component = true;
            let name = instance.map(|id| id.name().to_string());
            return self.components.instance(name, module.map(|id| id.name()));
        }
        self.current_is_component = false;
        let def = match module {
            Some(id) => self.definitions.get(id.name()).cloned(),
            None => self.last_definition.clone(),
        };
        let name = instance.map(|id| id.name().to_string());
        let module = match def {
            Some(Slot::Ready(m)) => m,
            Some(Slot::Unsupported(r)) => {
                self.bind(name, Slot::Unsupported(r.clone()));
                return Outcome::Skip(r);
            }
            Some(Slot::Broken(r)) => {
                self.bind(name, Slot::Broken(r.clone()));
                return Outcome::fail("uses a module that failed", r);
            }
            None => return Outcome::fail("no such module definition", format!("{module:?}")),
        };
        match self.instantiate(&module) {
            Ok(i) => {
                self.bind(name, Slot::Ready(i));
                Outcome::Pass
            }
            Err(o) => {
                self.bind(name, slot_for(&o));
                o
            }
        }
    }

    fn lookup(&self, module: Option<Id<'_>>) -> Result<Instance<E>, Outcome> {
        let slot = match module {
            Some(id) => self.named.get(id.name()),
            None => self.current.as_ref(),
        };
        match slot {
            Some(Slot::Ready(i)) => Ok(i.clone()),
            Some(Slot::Unsupported(r)) => Err(Outcome::Skip(r.clone())),
            Some(Slot::Broken(r)) => Err(Outcome::fail("uses a module that failed", r.clone())),
            None => Err(Outcome::fail(
                "no such module",
                match module {
                    Some(id) => format!("no module named ${}", id.name()),
                    None => "no module instantiated yet".into(),
                },
            )),
        }
    }

    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Outcome {
        if let Some(memories) = module
            .filter(|id| !self.named.contains_key(id.name()))
            .and_then(|id| self.shared_modules.get(id.name()))
        {
            for (field, memory) in memories {
                if let Err(e) = self.linker.define(&self.store, name, field, memory.clone()) {
                    return Outcome::fail(
                        format!("register failed: {}", error_kind(&e)),
                        e.to_string(),
                    );
                }
            }
            return Outcome::Pass;
        }
        match self.lookup(module) {
            Ok(instance) => match self.linker.instance(&mut self.store, name, &instance) {
                Ok(_) => {
                    self.unavailable.remove(name);
                    Outcome::Pass
                }
                Err(e) => Outcome::fail(
                    format!("register failed: {}", error_kind(&e)),
                    e.to_string(),
                ),
            },
            Err(Outcome::Skip(r)) => {
                self.unavailable.insert(name.to_string(), r.clone());
                Outcome::Skip(r)
            }
            Err(o) => o,
        }
    }

    // -- execution ------------------------------------------------------------

    /// Whether `invoke` goes to a component instance.
    fn to_component(&self, invoke: &WastInvoke<'_>) -> bool {
        match invoke.module {
            Some(id) => !self.named.contains_key(id.name()),
            None => self.current_is_component,
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Exec<E> {
        match exec {
            WastExecute::Invoke(invoke) if self.to_component(&invoke) => {
                match self.components.invoke(&invoke) {
                    Ok(_) => Exec::Values(Vec::new()),
                    Err(e) => e,
                }
            }
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(wat @ Wat::Component(_)) => self.components.instantiate_inline(wat),
            WastExecute::Wat(wat) => {
                let mut qw = QuoteWat::Wat(wat);
                let module = match self.compile(&mut qw) {
                    Ok(m) => m,
                    Err(o) => return Exec::NotRun(o),
                };
                match self.linker.instantiate(&mut self.store, &module) {
                    Ok(_) => Exec::Values(Vec::new()),
                    Err(e) => {
                        match unsupported_reason(&e).or_else(|| self.imports_unavailable(&module)) {
                            Some(r) => Exec::NotRun(Outcome::Skip(r)),
                            None => Exec::Error(e),
                        }
                    }
                }
            }
            WastExecute::Get { module, global, .. } => {
                let instance = match self.lookup(module) {
                    Ok(i) => i,
                    Err(o) => return Exec::NotRun(o),
                };
                match instance.get_global(&mut self.store, global) {
                    Some(g) => Exec::Values(vec![g.get(&mut self.store)]),
                    None => Exec::NotRun(Outcome::fail(
                        "no such export",
                        format!("no global export `{global}`"),
                    )),
                }
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Exec<E> {
        let instance = match self.lookup(invoke.module) {
            Ok(i) => i,
            Err(o) => return Exec::NotRun(o),
        };
        let func: Func<E> = match instance.get_func(&mut self.store, invoke.name) {
            Ok(f) => f,
            Err(e) => return Exec::NotRun(Outcome::fail("no such export", e.to_string())),
        };
        let ty = func.ty(&self.store);
        if ty.params().len() != invoke.args.len() {
            return Exec::NotRun(Outcome::fail(
                "argument count",
                format!(
                    "{} takes {} arguments, {} given",
                    invoke.name,
                    ty.params().len(),
                    invoke.args.len()
                ),
            ));
        }
        let mut args = Vec::with_capacity(invoke.args.len());
        for (arg, pty) in invoke.args.iter().zip(ty.params()) {
            match self.arg(arg, pty) {
                Ok(v) => args.push(v),
                Err(o) => return Exec::NotRun(o),
            }
        }
        let mut results: Vec<Val<E>> = ty
            .results()
            .iter()
            .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
            .collect();
        match func.call_checked(&mut self.store, &args, &mut results) {
            Ok(()) => Exec::Values(results),
            Err(e) => Exec::Error(e),
        }
    }

    fn arg(&mut self, arg: &WastArg<'_>, ty: &ValType) -> Result<Val<E>, Outcome> {
        let WastArg::Core(arg) = arg else {
            return Err(Outcome::fail(
                "a component value for a core function",
                format!("{arg:?}"),
            ));
        };
        Ok(match arg {
            WastArgCore::I32(x) => Val::I32(*x),
            WastArgCore::I64(x) => Val::I64(*x),
            WastArgCore::F32(x) => Val::F32(x.bits),
            WastArgCore::F64(x) => Val::F64(x.bits),
            WastArgCore::V128(x) => Val::V128(V128::from_bytes(x.to_le_bytes())),
            WastArgCore::RefNull(heap) => match heap {
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: a,
                } => match a {
                    AbstractHeapType::Func | AbstractHeapType::NoFunc => Val::FuncRef(None),
                    AbstractHeapType::Extern | AbstractHeapType::NoExtern => Val::ExternRef(None),
                    AbstractHeapType::Any
                    | AbstractHeapType::Eq
                    | AbstractHeapType::I31
                    | AbstractHeapType::Struct
                    | AbstractHeapType::Array
                    | AbstractHeapType::None => Val::AnyRef(None),
                    AbstractHeapType::Exn | AbstractHeapType::NoExn => Val::ExnRef(None),
                    _ => return Err(unrepresentable(format!("argument (ref.null {a:?})"))),
                },
                wast::core::HeapType::Concrete(_) | wast::core::HeapType::Exact(_) => {
                    match Val::default_for(ty) {
                        Some(
                            v @ (Val::FuncRef(None)
                            | Val::ExternRef(None)
                            | Val::AnyRef(None)
                            | Val::ExnRef(None)),
                        ) => v,
                        _ => {
                            return Err(unrepresentable(format!(
                                "argument (ref.null {heap:?}) for {ty}"
                            )));
                        }
                    }
                }
                _ => return Err(unrepresentable(format!("argument (ref.null {heap:?})"))),
            },
            WastArgCore::RefExtern(n) => match ExternRef::new(&mut self.store, SpecExtern(*n)) {
                Ok(r) => Val::ExternRef(Some(r)),
                Err(e) => return Err(Outcome::fail("externref creation failed", e.to_string())),
            },
            // A host value as `anyref`, as the reference interpreter has it:
            // an external reference converted with `any.convert_extern`.
            WastArgCore::RefHost(n) => {
                let host = ExternRef::new(&mut self.store, SpecExtern(*n))
                    .and_then(|r| AnyRef::from_extern(&mut self.store, r));
                match host {
                    Ok(r) => Val::AnyRef(Some(r)),
                    Err(Error::Unsupported { feature, .. }) => {
                        return Err(Outcome::Skip(format!("needs {feature}")));
                    }
                    Err(e) => return Err(Outcome::fail("anyref creation failed", e.to_string())),
                }
            }
        })
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[WastRet<'_>]) -> Outcome {
        let exec = self.execute(exec);
        let mut core = Vec::with_capacity(expected.len());
        for r in expected {
            match r {
                WastRet::Core(c) => core.push(c),
                _ => {
                    return Outcome::fail(
                        "a component value from a core function",
                        format!("{r:?}"),
                    );
                }
            }
        }
        let actual = match exec {
            Exec::Values(v) => v,
            Exec::NotRun(o) => return o,
            Exec::Error(e) => {
                if let Some(u) = core.iter().find_map(|r| unrepresentable_ret(r)) {
                    return unrepresentable(format!("expected {u} (the call failed: {e})"));
                }
                return Outcome::fail(format!("unexpected {}", error_kind(&e)), e.to_string());
            }
        };
        if let Some(u) = core.iter().find_map(|r| unrepresentable_ret(r)) {
            return unrepresentable(format!("expected {u}, got {actual:?}"));
        }
        if actual.len() != core.len() {
            return Outcome::fail(
                "wrong result count",
                format!("expected {} results, got {actual:?}", core.len()),
            );
        }
        for (i, (want, got)) in core.iter().zip(&actual).enumerate() {
            if !self.matches(want, got) {
                return Outcome::fail(
                    "wrong result",
                    format!("result {i}: expected {}, got {got:?}", show_ret(want)),
                );
            }
        }
        Outcome::Pass
    }

    fn matches(&mut self, want: &WastRetCore<'_>, got: &Val<E>) -> bool {
        let any_heap = |h: &wast::core::HeapType<'_>| {
            matches!(
                h,
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: AbstractHeapType::Any
                        | AbstractHeapType::Eq
                        | AbstractHeapType::I31
                        | AbstractHeapType::Struct
                        | AbstractHeapType::Array
                        | AbstractHeapType::None
                } | wast::core::HeapType::Concrete(_)
                    | wast::core::HeapType::Exact(_)
            )
        };
        match (want, got) {
            (WastRetCore::I32(x), Val::I32(y)) => x == y,
            (WastRetCore::I64(x), Val::I64(y)) => x == y,
            (WastRetCore::F32(p), Val::F32(b)) => f32_matches(p, *b),
            (WastRetCore::F64(p), Val::F64(b)) => f64_matches(p, *b),
            (WastRetCore::V128(p), Val::V128(v)) => v128_matches(p, v.0),
            (
                WastRetCore::RefNull(None),
                Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None),
            ) => true,
            (WastRetCore::RefNull(Some(h)), Val::AnyRef(None)) => any_heap(h),
            (WastRetCore::RefNull(Some(h)), Val::ExnRef(None)) => matches!(
                h,
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: AbstractHeapType::Exn | AbstractHeapType::NoExn
                }
            ),
            (WastRetCore::RefAny, Val::AnyRef(Some(_))) => true,
            (WastRetCore::RefEq, Val::AnyRef(Some(r))) => matches!(
                r.kind(&self.store),
                AnyRefKind::I31(_) | AnyRefKind::Struct | AnyRefKind::Array
            ),
            (WastRetCore::RefI31, Val::AnyRef(Some(r))) => {
                matches!(r.kind(&self.store), AnyRefKind::I31(_))
            }
            (WastRetCore::RefStruct, Val::AnyRef(Some(r))) => {
                r.kind(&self.store) == AnyRefKind::Struct
            }
            (WastRetCore::RefArray, Val::AnyRef(Some(r))) => {
                r.kind(&self.store) == AnyRefKind::Array
            }
            (WastRetCore::RefHost(n), Val::AnyRef(Some(r))) => {
                r.kind(&self.store) == AnyRefKind::Host
                    && ExternRef::from_any(&mut self.store, *r).is_ok_and(|x| {
                        x.data(&self.store)
                            .and_then(|d| d.downcast_ref::<SpecExtern>())
                            .is_some_and(|d| d.0 == *n)
                    })
            }
            (WastRetCore::RefHost(n), Val::ExternRef(Some(r))) => r
                .data(&self.store)
                .and_then(|d| d.downcast_ref::<SpecExtern>())
                .is_some_and(|d| d.0 == *n),
            (WastRetCore::RefNull(Some(h)), Val::FuncRef(None)) => match h {
                wast::core::HeapType::Abstract { shared: false, ty } => {
                    matches!(ty, AbstractHeapType::Func | AbstractHeapType::NoFunc)
                }
                wast::core::HeapType::Concrete(_) | wast::core::HeapType::Exact(_) => true,
                _ => false,
            },
            (WastRetCore::RefNull(Some(h)), Val::ExternRef(None)) => matches!(
                h,
                wast::core::HeapType::Abstract {
                    shared: false,
                    ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern
                }
            ),
            (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
            (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => r
                .data(&self.store)
                .and_then(|d| d.downcast_ref::<SpecExtern>())
                .is_some_and(|d| d.0 == *n),
            (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
            (WastRetCore::Either(alts), v) => alts.iter().any(|a| self.matches(a, v)),
            _ => false,
        }
    }

    fn must_not_compile(&mut self, mut qw: QuoteWat<'_>, message: &str, what: &str) -> Outcome {
        if is_component(&qw) {
            return self.components.must_not_compile(qw, message);
        }
        // Text the `wast` crate cannot parse or resolve is malformed (or, for
        // unresolvable names, invalid) already.
        let Ok(bytes) = qw.encode() else {
            return Outcome::Pass;
        };
        match Module::new(&self.engine, &bytes) {
            Ok(_) => Outcome::fail(
                format!("{what} module accepted"),
                format!("expected failure `{message}`"),
            ),
            Err(Error::Compile { .. } | Error::Unsupported { .. }) => Outcome::Pass,
            Err(e) => Outcome::fail(
                format!("{what} module rejected with {}", error_kind(&e)),
                format!("expected `{message}`, got: {e}"),
            ),
        }
    }

    fn assert_unlinkable(&mut self, wat: Wat<'_>, message: &str) -> Outcome {
        if let Wat::Component(_) = wat {
            return self.components.unlinkable(wat, message);
        }
        let mut qw = QuoteWat::Wat(wat);
        let module = match self.compile(&mut qw) {
            Ok(m) => m,
            Err(o) => return o,
        };
        match self.linker.instantiate(&mut self.store, &module) {
            Ok(_) => Outcome::fail("unlinkable module linked", format!("expected `{message}`")),
            Err(Error::Link(_)) => Outcome::Pass,
            // Older scripts (and wasmtime's own suite) expect a segment that
            // does not fit to make the module unlinkable; it traps now, with
            // the trap the message names.
            Err(Error::Trap { code, .. })
                if (self.trap_codes)(message).is_some_and(|codes| codes.contains(&code)) =>
            {
                Outcome::Pass
            }
            Err(e) => match unsupported_reason(&e).or_else(|| self.imports_unavailable(&module)) {
                Some(r) => Outcome::Skip(r),
                None => Outcome::fail(
                    format!("unlinkable module failed with {}", error_kind(&e)),
                    format!("expected link error `{message}`, got: {e}"),
                ),
            },
        }
    }
}

pub(crate) fn slot_for<T>(outcome: &Outcome) -> Slot<T> {
    match outcome {
        Outcome::Skip(r) => Slot::Unsupported(r.clone()),
        Outcome::Fail { reason, .. } => Slot::Broken(reason.clone()),
        Outcome::Pass => Slot::Broken("internal: no module".into()),
    }
}

fn unrepresentable(what: String) -> Outcome {
    Outcome::fail("unrepresentable value", what)
}
