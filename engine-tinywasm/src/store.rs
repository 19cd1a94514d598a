//! Stores, host calls and everything reachable from a store or a caller.
//!
//! A tinywasm store holds no host data, so wasm-run's side of a store (the
//! user's data, fuel, the functions handed out, the memories' bytes) is a
//! [`State`] on the heap, reached through one raw pointer by the store and
//! by the host functions made in it (which tinywasm calls with its own store
//! only). References made from that pointer never outlive the operation
//! that made them, and no operation holds one while tinywasm runs code.

use crate::convert::{self, error};
use crate::limits::StoreLimits;
use crate::memory::{self, Buf};
use crate::{
    FUEL_SLICE, FUEL_SLICE_MAX, Tinywasm, TinywasmExternRef, TinywasmFunc, TinywasmInstance,
    TinywasmModule, WATCH_SLICE,
};
use std::any::Any;
use std::collections::HashMap;
use std::ptr::NonNull;
use tinywasm::types::{ExternRef as TwExternRef, FuncRef, WasmValue};
use wasm_run_api::backend::{
    CallerBackend, ContextBackend, Engine as _, StoreBackend, call_untyped, typed_as_untyped,
};
use wasm_run_api::{
    Caller, Error, Extern, Feature, Func, FuncType, Global, GlobalType, HostFunc, Memory,
    MemoryType, Result, StoreId, Table, TableType, TrapCode, UntypedHostFunc, Val, WasmTyList,
};

/// How deep host functions may nest calls back into wasm: tinywasm runs each
/// nested call on the native stack and does not count them.
const MAX_NESTED_CALLS: u32 = 64;

/// A function the store has handed out.
pub(crate) struct FuncEntry {
    /// `None`: a reference the host cannot call (see the crate docs).
    func: Option<tinywasm::Function>,
    ty: FuncType,
    /// The function's address in the store, where known (exports).
    addr: Option<u32>,
    /// A host function (called directly, it has no calling instance).
    host: bool,
}

/// wasm-run's side of a store: the user's data and the store's id (the
/// part every backend has, written once in `wasm_run_api::backend`) and the
/// backend's own [`TinywasmState`].
pub type State<T> = wasm_run_api::backend::StoreData<T, TinywasmState>;

/// The tinywasm backend's own state of a store.
pub struct TinywasmState {
    /// The engine's id (see `Tinywasm::id`).
    engine: u64,
    /// Fuel left, when fuel is on.
    fuel: Option<u64>,
    /// Deadline and interrupts, when either is on.
    watch: Option<wasm_run_api::backend::Watch>,
    /// The fixed limits and the user's policy (reached by the memories
    /// through a pointer: see `memory::Bytes`).
    limits: StoreLimits,
    instances: Vec<(tinywasm::ModuleInstance, tinywasm::Module)>,
    funcs: Vec<FuncEntry>,
    by_addr: HashMap<u32, u32>,
    memories: HashMap<tinywasm::Memory, Buf>,
    externrefs: Vec<Box<dyn Any + Send + Sync>>,
    /// The next host function runs as a direct call from the host.
    direct: bool,
    /// Host calls into wasm in progress.
    nested: u32,
    /// Functions made for linker definitions (by definition id).
    pub(crate) linked: HashMap<u64, u32>,
    /// How many functions tinywasm's store holds: the address of the next
    /// one (tinywasm numbers them in order and does not tell).
    func_count: u32,
}

/// The parts of a store: tinywasm's, and wasm-run's [`State`].
pub struct StoreParts<T: 'static> {
    inner: tinywasm::Store,
    state: NonNull<State<T>>,
}

// SAFETY: what keeps `tinywasm::Store` and the state from being `Send` is
// `Rc`s (instances, host functions, the memories' `Buf`s) and the state's
// raw pointer. Every clone of those `Rc`s is owned by this store — its
// tinywasm store or its state — whenever no operation of the store runs:
// handles given out are indices and addresses (`Send + Sync` types), a
// tinywasm `Imports` or `ModuleInstance` clone made during an operation is
// dropped before it returns, and the memory factory's thread-local list is
// emptied when each operation ends (`memory::making`). The host functions
// in the tinywasm store capture the state pointer (owned by this store),
// their type and the user's closure, which is `Send + Sync`. So moving the
// whole store to another thread moves every reference count with it; the
// user's data moves too, hence `T: Send`. A caller borrows its store and
// cannot be sent apart from it.
unsafe impl<T: Send + 'static> Send for StoreParts<T> {}

impl<T: 'static> Drop for StoreParts<T> {
    fn drop(&mut self) {
        // SAFETY: `state` came from `Box::into_raw` in `new_store` and is
        // freed only here; the host functions in `inner` that keep copies
        // of it are never called again.
        drop(unsafe { Box::from_raw(self.state.as_ptr()) });
    }
}

/// The parts of a host function's context: tinywasm's and the store's state.
pub struct CallerParts<'a, T: 'static> {
    ctx: tinywasm::FuncContext<'a>,
    state: NonNull<State<T>>,
    /// Called directly from the host: no calling instance.
    direct: bool,
}

/// A store or a caller of the tinywasm backend.
pub struct TinywasmContext<P>(pub(crate) P);

mod sealed {
    pub trait Sealed {}
    impl<T: 'static> Sealed for super::StoreParts<T> {}
    impl<T: 'static> Sealed for super::CallerParts<'_, T> {}
}

/// What a store ([`StoreParts`]) and a caller ([`CallerParts`]) have in
/// common; implemented by those two only.
pub trait Parts: sealed::Sealed {
    /// The user's host state.
    type T: 'static;
    /// The tinywasm store.
    fn native(&self) -> &tinywasm::Store;
    /// The tinywasm store, mutably.
    fn native_mut(&mut self) -> &mut tinywasm::Store;
    /// wasm-run's side of the store.
    fn state_ptr(&self) -> NonNull<State<Self::T>>;
    /// Runs `f` with `args` to completion.
    ///
    /// # Errors
    ///
    /// The call's trap or host error.
    fn run(&mut self, f: &tinywasm::Function, args: &[WasmValue]) -> Result<Vec<WasmValue>>;
    /// The calling instance's export `name` (callers only).
    fn caller_export(&mut self, name: &str) -> Option<tinywasm::ExternItem>;
}

impl<P: Parts> TinywasmContext<P> {
    fn state(&self) -> &State<P::T> {
        // SAFETY: see the module docs; `&self` keeps this store (or caller)
        // borrowed, so no code runs in it while the reference lives.
        unsafe { self.0.state_ptr().as_ref() }
    }
    fn state_mut(&mut self) -> &mut State<P::T> {
        // SAFETY: as in `state`, with the store borrowed mutably.
        unsafe { self.0.state_ptr().as_mut() }
    }
    /// The store's limits, for the memories and the memory factory.
    fn limits_ptr(&self) -> NonNull<StoreLimits> {
        let state = self.0.state_ptr().as_ptr();
        // SAFETY: `state` is valid (see `state`); the fields' addresses are
        // taken without making a reference, and are not null.
        unsafe {
            let own = State::<P::T>::state_ptr(state);
            NonNull::new_unchecked(std::ptr::addr_of_mut!((*own).limits))
        }
    }
    fn entry(&self, f: &TinywasmFunc) -> Result<&FuncEntry> {
        self.state()
            .funcs
            .get(f.0 as usize)
            .ok_or_else(|| Error::Engine("a function this store did not make".into()))
    }
}

impl<T: 'static> TinywasmContext<StoreParts<T>> {
    pub(crate) fn new_store(engine: &Tinywasm, user: T) -> Self {
        let state = Box::new(State::new(
            user,
            TinywasmState {
                engine: engine.id,
                fuel: engine.features().contains(Feature::Fuel).then_some(0),
                watch: (engine.features().contains(Feature::Deadline)
                    || engine.features().contains(Feature::Interrupt))
                .then(|| {
                    wasm_run_api::backend::Watch::new(
                        wasm_run_api::InterruptHandle::with_waker(engine.base().waker().clone()),
                        engine.features(),
                    )
                }),
                limits: StoreLimits::new(*engine.config().resource_limits()),
                instances: Vec::new(),
                funcs: Vec::new(),
                by_addr: HashMap::new(),
                memories: HashMap::new(),
                externrefs: Vec::new(),
                direct: false,
                nested: 0,
                linked: HashMap::new(),
                func_count: 0,
            },
        ));
        TinywasmContext(StoreParts {
            inner: tinywasm::Store::new(engine.engine.clone()),
            state: NonNull::from(Box::leak(state)),
        })
    }

    /// The native tinywasm store.
    pub fn as_native(&mut self) -> &mut tinywasm::Store {
        &mut self.0.inner
    }
}

impl<T: 'static> Parts for StoreParts<T> {
    type T = T;
    fn native(&self) -> &tinywasm::Store {
        &self.inner
    }
    fn native_mut(&mut self) -> &mut tinywasm::Store {
        &mut self.inner
    }
    fn state_ptr(&self) -> NonNull<State<T>> {
        self.state
    }
    fn run(&mut self, f: &tinywasm::Function, args: &[WasmValue]) -> Result<Vec<WasmValue>> {
        // SAFETY (every access to the state here): short-lived, between
        // slices, when no host function of this store runs.
        let state = unsafe { self.state.as_mut() };
        let fuel = state.fuel;
        // A policy's failure is seen between slices.
        let watched = state.limits.has_policy()
            | match &mut state.watch {
                Some(w) => {
                    // An expired deadline stops even a short call.
                    w.check()?;
                    true
                }
                None => false,
            };
        if fuel.is_none() && !watched {
            return f.call(&mut self.inner, args).map_err(error);
        }
        let mut left = fuel;
        let mut exec = f.call_resumable(&mut self.inner, args).map_err(error)?;
        let mut next = FUEL_SLICE;
        let outcome = loop {
            let slice = match &mut left {
                Some(0) => break Err(Error::trap(TrapCode::OutOfFuel, "all fuel consumed")),
                Some(left) => {
                    let slice = (*left).min(next);
                    next = (next * 2).min(FUEL_SLICE_MAX);
                    *left -= slice;
                    slice as u32
                }
                None => WATCH_SLICE,
            };
            let progress = exec.resume_with_fuel(slice);
            let state = unsafe { self.state.as_mut() };
            // The policy failed a growth: that is the call's error (the
            // guest has seen -1 since, until the end of this slice).
            if let Some(e) = state.limits.failure() {
                break Err(e);
            }
            match progress {
                Ok(tinywasm::ExecProgress::Completed(v)) => break Ok(v),
                Ok(tinywasm::ExecProgress::Suspended) => {}
                Err(e) => break Err(error(e)),
            }
            if let Some(w) = &mut state.watch
                && let Err(stop) = w.check()
            {
                break Err(stop);
            }
        };
        drop(exec);
        if fuel.is_some() {
            unsafe { self.state.as_mut() }.fuel = left;
        }
        outcome
    }
    fn caller_export(&mut self, _: &str) -> Option<tinywasm::ExternItem> {
        None
    }
}

impl<T: 'static> Parts for CallerParts<'_, T> {
    type T = T;
    fn native(&self) -> &tinywasm::Store {
        self.ctx.store()
    }
    fn native_mut(&mut self) -> &mut tinywasm::Store {
        self.ctx.store_mut()
    }
    fn state_ptr(&self) -> NonNull<State<T>> {
        self.state
    }
    fn run(&mut self, f: &tinywasm::Function, args: &[WasmValue]) -> Result<Vec<WasmValue>> {
        // SAFETY: short-lived accesses between calls (see the module docs).
        let nested = unsafe { self.state.as_ref() }.nested;
        if nested >= MAX_NESTED_CALLS {
            return Err(Error::trap(
                TrapCode::StackOverflow,
                "host functions nested calls into wasm too deeply",
            ));
        }
        unsafe { self.state.as_mut() }.nested += 1;
        let r = self.ctx.call_untyped(f, args).map_err(error);
        // SAFETY: as above.
        unsafe { self.state.as_mut() }.nested -= 1;
        r
    }
    fn caller_export(&mut self, name: &str) -> Option<tinywasm::ExternItem> {
        if self.direct {
            return None;
        }
        self.ctx.extern_item(name).ok()
    }
}

/// Whether two imports are the same item.
fn same_item(a: &Extern<Tinywasm>, b: &Extern<Tinywasm>) -> bool {
    match (a, b) {
        (Extern::Func(x), Extern::Func(y)) => x.as_native() == y.as_native(),
        (Extern::Memory(x), Extern::Memory(y)) => x.as_native() == y.as_native(),
        (Extern::Table(x), Extern::Table(y)) => x.as_native() == y.as_native(),
        (Extern::Global(x), Extern::Global(y)) => x.as_native() == y.as_native(),
        _ => false,
    }
}

/// Converts a value for tinywasm.
fn to_wasm<T>(state: &State<T>, v: &Val<Tinywasm>) -> Result<WasmValue> {
    Ok(match v {
        Val::I32(x) => WasmValue::I32(*x),
        Val::I64(x) => WasmValue::I64(*x),
        Val::F32(bits) => WasmValue::F32(f32::from_bits(*bits)),
        Val::F64(bits) => WasmValue::F64(f64::from_bits(*bits)),
        Val::V128(x) => WasmValue::V128(x.to_bytes()),
        Val::FuncRef(None) => WasmValue::RefFunc(FuncRef::null()),
        Val::FuncRef(Some(f)) => {
            let addr = state
                .funcs
                .get(f.as_native().0 as usize)
                .and_then(|e| e.addr)
                .ok_or(Error::unsupported(
                    Feature::ReferenceTypes,
                    "tinywasm (a host function or an unknown function as a reference value)",
                ))?;
            WasmValue::RefFunc(FuncRef::new(Some(addr)))
        }
        Val::ExternRef(None) => WasmValue::RefExtern(TwExternRef::null()),
        Val::ExternRef(Some(r)) => WasmValue::RefExtern(TwExternRef::new(Some(r.as_native().0))),
        Val::AnyRef(_) | Val::ExnRef(_) => {
            return Err(Error::unsupported(Feature::Gc, "tinywasm"));
        }
    })
}

impl TinywasmState {
    /// Registers a function handed out, once per address.
    fn add_func(&mut self, entry: FuncEntry) -> TinywasmFunc {
        if let Some(i) = entry.addr.and_then(|a| self.by_addr.get(&a)) {
            return TinywasmFunc(*i);
        }
        let i = self.funcs.len() as u32;
        if let Some(a) = entry.addr {
            self.by_addr.insert(a, i);
        }
        self.funcs.push(entry);
        TinywasmFunc(i)
    }

    /// The function at address `addr`: one handed out before, else an
    /// instance's export at that address, else a reference the host cannot
    /// call.
    fn func_at(&mut self, addr: u32) -> TinywasmFunc {
        if let Some(i) = self.by_addr.get(&addr) {
            return TinywasmFunc(*i);
        }
        let found = self.instances.iter().find_map(|(inst, module)| {
            module.exports().find_map(|e| {
                let tinywasm::types::ExportType::Func(ty) = e.ty else {
                    return None;
                };
                match inst.export_addr(e.name)? {
                    tinywasm::types::ExternVal::Func(a) if a == addr => Some((
                        inst.func_untyped_unchecked(e.name),
                        convert::from_func_type(ty),
                    )),
                    _ => None,
                }
            })
        });
        let (func, ty) = match found {
            Some((func, ty)) => (func, ty),
            None => (None, FuncType::new([], [])),
        };
        self.add_func(FuncEntry {
            func,
            ty,
            addr: Some(addr),
            host: false,
        })
    }
}

/// Value conversion, which needs the store's id beside the backend's state.
trait ValueOf {
    /// Converts a value from tinywasm.
    fn value_of(&mut self, v: &WasmValue) -> Val<Tinywasm>;
}

impl<T> ValueOf for State<T> {
    fn value_of(&mut self, v: &WasmValue) -> Val<Tinywasm> {
        let id = self.store_id();
        match v {
            WasmValue::I32(x) => Val::I32(*x),
            WasmValue::I64(x) => Val::I64(*x),
            WasmValue::F32(x) => Val::F32(x.to_bits()),
            WasmValue::F64(x) => Val::F64(x.to_bits()),
            WasmValue::V128(x) => Val::V128(wasm_run_api::V128::from_bytes(*x)),
            WasmValue::RefFunc(r) => {
                Val::FuncRef(r.addr().map(|a| Func::from_native(self.func_at(a), id)))
            }
            WasmValue::RefExtern(r) => Val::ExternRef(
                r.addr()
                    .map(|a| wasm_run_api::ExternRef::from_native(TinywasmExternRef(a), id)),
            ),
        }
    }
}

/// Finds the exported function `name` of `inst` (helper for [`State::func_at`]).
trait FuncByName {
    fn func_untyped_unchecked(&self, name: &str) -> Option<tinywasm::Function>;
}

impl FuncByName for tinywasm::ModuleInstance {
    fn func_untyped_unchecked(&self, name: &str) -> Option<tinywasm::Function> {
        match self.extern_item(name).ok()? {
            tinywasm::ExternItem::Func(f) => Some(f),
            _ => None,
        }
    }
}

/// The tinywasm host function for `f` in the store whose state is `state`.
pub(crate) fn host_function<T: 'static, F: UntypedHostFunc<Tinywasm, T>>(
    state: NonNull<State<T>>,
    ty: FuncType,
    f: F,
) -> impl Fn(tinywasm::FuncContext<'_>, &[WasmValue]) -> tinywasm::Result<Vec<WasmValue>> + 'static
{
    move |ctx, args| {
        // SAFETY: tinywasm calls this only during a call that wasm-run
        // started in this store, which holds no reference to the state.
        let direct = std::mem::take(&mut unsafe { &mut *state.as_ptr() }.direct);
        let mut results = vec![WasmValue::I32(0); ty.results().len()];
        let caller = Caller::from_backend(TinywasmContext(CallerParts { ctx, state, direct }));
        call_untyped(
            &f,
            caller,
            &ty,
            args,
            &mut results,
            // SAFETY (both): conversions run before and after the closure,
            // never while it holds the caller.
            |v| Ok(unsafe { &mut *state.as_ptr() }.value_of(v)),
            |v| to_wasm(unsafe { &*state.as_ptr() }, v),
        )
        .map_err(|e| tinywasm::Error::Trap(tinywasm::Trap::HostFunction(Box::new(e))))?;
        Ok(results)
    }
}

impl<P: Parts> TinywasmContext<P> {
    /// Makes a host function in this store.
    pub(crate) fn make_host<F: UntypedHostFunc<Tinywasm, P::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<TinywasmFunc> {
        let native_ty = convert::func_type(&ty)?;
        let closure = host_function(self.0.state_ptr(), ty.clone(), f);
        let func = tinywasm::HostFunction::from_untyped(self.0.native_mut(), &native_ty, closure);
        let state = self.state_mut();
        let addr = state.func_count;
        state.func_count += 1;
        Ok(state.add_func(FuncEntry {
            func: Some(func),
            ty,
            addr: Some(addr),
            host: true,
        }))
    }

    /// The function this store made for the linker definition `id`, made
    /// now if it is the first time.
    pub(crate) fn linked_func(
        &mut self,
        id: u64,
        ty: &FuncType,
        f: &crate::linker::DynHost<P::T>,
    ) -> Result<TinywasmFunc> {
        if let Some(i) = self.state().linked.get(&id) {
            return Ok(TinywasmFunc(*i));
        }
        let func = self.make_host(ty.clone(), f.clone())?;
        self.state_mut().linked.insert(id, func.0);
        Ok(func)
    }

    fn extern_of(&mut self, inst: u32, name: &str, item: tinywasm::ExternItem) -> Extern<Tinywasm> {
        let id = self.state().store_id();
        match item {
            tinywasm::ExternItem::Func(func) => {
                let state = self.state_mut();
                let (mi, module) = &state.instances[inst as usize];
                let addr = match mi.export_addr(name) {
                    Some(tinywasm::types::ExternVal::Func(a)) => Some(a),
                    _ => None,
                };
                let ty = module
                    .exports()
                    .find_map(|e| match e.ty {
                        tinywasm::types::ExportType::Func(t) if e.name == name => {
                            Some(convert::from_func_type(t))
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| FuncType::new([], []));
                let f = state.add_func(FuncEntry {
                    func: Some(func),
                    ty,
                    addr,
                    host: false,
                });
                Extern::Func(Func::from_native(f, id))
            }
            tinywasm::ExternItem::Memory(m) => Extern::Memory(Memory::from_native(m, id)),
            tinywasm::ExternItem::Table(t) => Extern::Table(Table::from_native(t, id)),
            tinywasm::ExternItem::Global(g) => Extern::Global(Global::from_native(g, id)),
        }
    }

    /// Records the buffers `made` as the memories `handles`, in order.
    fn adopt_memories(&mut self, handles: &[tinywasm::Memory], made: Vec<Buf>) -> Result<()> {
        if made.len() != handles.len() {
            return Err(Error::engine(format!(
                "tinywasm made {} memories where {} were defined",
                made.len(),
                handles.len()
            )));
        }
        let state = self.state_mut();
        for (h, buf) in handles.iter().zip(made) {
            state.memories.insert(*h, buf);
        }
        Ok(())
    }

    fn call_checked(
        &mut self,
        f: &TinywasmFunc,
        params: &[Val<Tinywasm>],
        results: &mut [Val<Tinywasm>],
    ) -> Result<()> {
        let entry = self.entry(f)?;
        let func = entry.func.clone().ok_or(Error::unsupported(
            Feature::ReferenceTypes,
            "tinywasm (calling a function reference the host has not seen exported)",
        ))?;
        let ty = entry.ty.clone();
        let host = entry.host;
        if params.len() != ty.params().len() || results.len() != ty.results().len() {
            return Err(Error::Type(format!(
                "function of type {ty} called with {} parameters and {} result slots",
                params.len(),
                results.len()
            )));
        }
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if !p.matches(t) {
                return Err(Error::Type(format!(
                    "parameter {i} is {}, expected {t}",
                    p.ty()
                )));
            }
        }
        let args = params
            .iter()
            .map(|v| to_wasm(self.state(), v))
            .collect::<Result<Vec<_>>>()?;
        self.state_mut().direct = host;
        let out = self.0.run(&func, &args);
        self.state_mut().direct = false;
        let out = out?;
        let state = self.state_mut();
        for (slot, v) in results.iter_mut().zip(&out) {
            *slot = state.value_of(v);
        }
        Ok(())
    }
}

impl<P: Parts> ContextBackend<Tinywasm> for TinywasmContext<P> {
    type Data = P::T;

    fn store_id(&self) -> StoreId {
        self.state().store_id()
    }
    fn data(&self) -> &P::T {
        self.state().user()
    }
    fn data_mut(&mut self) -> &mut P::T {
        self.state_mut().user_mut()
    }
    fn get_fuel(&self) -> Result<u64> {
        self.state()
            .fuel
            .ok_or(Error::unsupported(Feature::Fuel, "tinywasm"))
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        match &mut self.state_mut().fuel {
            Some(left) => {
                *left = fuel;
                Ok(())
            }
            None => Err(Error::unsupported(Feature::Fuel, "tinywasm")),
        }
    }
    fn watch(&self) -> Option<&wasm_run_api::backend::Watch> {
        self.state().watch.as_ref()
    }
    fn watch_mut(&mut self) -> Option<&mut wasm_run_api::backend::Watch> {
        self.state_mut().watch.as_mut()
    }
    fn set_limiter(&mut self, limiter: Box<dyn wasm_run_api::ResourceLimiter>) {
        self.state_mut().limits.set_policy(limiter);
    }
    fn extensions_mut(&mut self) -> Option<&mut wasm_run_api::Extensions> {
        Some(self.state_mut().extensions_mut())
    }

    fn func_ty(&self, f: &TinywasmFunc) -> FuncType {
        self.entry(f)
            .map(|e| e.ty.clone())
            .unwrap_or_else(|_| FuncType::new([], []))
    }
    fn func_call(
        &mut self,
        f: &TinywasmFunc,
        params: &[Val<Tinywasm>],
        results: &mut [Val<Tinywasm>],
    ) -> Result<()> {
        self.call_checked(f, params, results)
    }
    fn func_call_typed<Ps: WasmTyList, Rs: WasmTyList>(
        &mut self,
        f: &TinywasmFunc,
        params: Ps,
    ) -> Result<Rs> {
        let (pn, rn) = (Ps::types().len(), Rs::types().len());
        let mut ps = vec![Val::I32(0); pn];
        params.store(&mut ps[..]);
        let mut rs = vec![Val::I32(0); rn];
        let ty = self.entry(f)?.ty.clone();
        if *ty.params() != *Ps::types() || *ty.results() != *Rs::types() {
            return Err(Error::Type(format!(
                "typed call of a function of type {ty} with {:?} -> {:?}",
                Ps::types(),
                Rs::types()
            )));
        }
        self.call_checked(f, &ps, &mut rs)?;
        Ok(Rs::load(&rs[..]))
    }
    fn func_new<F: UntypedHostFunc<Tinywasm, P::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<TinywasmFunc> {
        self.make_host(ty, f)
    }
    fn func_wrap<Ps: WasmTyList, Rs: WasmTyList, F: HostFunc<Tinywasm, P::T, Ps, Rs>>(
        &mut self,
        f: F,
    ) -> Result<TinywasmFunc> {
        self.make_host(F::func_type(), typed_as_untyped(f))
    }

    fn memory_new(&mut self, ty: MemoryType) -> Result<tinywasm::Memory> {
        let native = convert::memory_type(&ty)?;
        if native.page_count_initial() > native.page_count_max() {
            return Err(Error::ResourceLimit(format!(
                "a memory of {} pages is larger than tinywasm can make",
                ty.minimum
            )));
        }
        self.state_mut().limits.fits(0, 1, 0)?;
        self.state_mut().limits.begin();
        let limits = self.limits_ptr();
        let native_store = self.0.native_mut();
        let (m, made) = memory::making(limits, || tinywasm::Memory::new(native_store, native));
        if let Some(e) = self.state_mut().limits.refusal(|| {
            format!(
                "a memory of {} pages: refused by the store's limits",
                ty.minimum
            )
        }) {
            return Err(e);
        }
        let m = m.map_err(error)?;
        self.adopt_memories(&[m], made)?;
        self.state_mut().limits.add(0, 1, 0);
        Ok(m)
    }
    fn memory_ty(&self, m: &tinywasm::Memory) -> MemoryType {
        let store = self.0.native();
        let Ok(ty) = m.ty(store) else {
            return MemoryType::new(0, None);
        };
        let max = (ty.with_page_count_max(None) != ty).then(|| ty.page_count_max());
        let mut out = convert::from_memory_type(&ty, max);
        out.minimum = m.page_count(store).map(|n| n as u64).unwrap_or(0);
        out
    }
    fn memory_data<'a>(&'a self, m: &tinywasm::Memory) -> &'a [u8] {
        match self.state().memories.get(m) {
            // SAFETY: see `memory::SharedMemory::bytes`: the store stays
            // borrowed for `'a`, so tinywasm neither writes nor grows it.
            Some(buf) => unsafe { &*buf.get() }.as_slice(),
            None => &[],
        }
    }
    fn memory_data_mut<'a>(&'a mut self, m: &tinywasm::Memory) -> &'a mut [u8] {
        match self.state_mut().memories.get(m) {
            // SAFETY: as in `memory_data`, with the store borrowed mutably.
            Some(buf) => unsafe { &mut *buf.get() }.as_mut_slice(),
            None => &mut [],
        }
    }
    fn memory_grow(&mut self, m: &tinywasm::Memory, delta: u64) -> Result<u64> {
        let delta = i64::try_from(delta)
            .map_err(|_| Error::Access(format!("memory.grow by {delta} pages failed")))?;
        self.state_mut().limits.begin();
        let grown = m.grow(self.0.native_mut(), delta).map_err(error)?;
        if let Some(e) = self
            .state_mut()
            .limits
            .refusal(|| format!("memory.grow by {delta} pages: refused by the store's limits"))
        {
            return Err(e);
        }
        match grown {
            Some(old) => Ok(old as u64),
            None => Err(Error::Access(format!(
                "memory.grow by {delta} pages failed: past the maximum"
            ))),
        }
    }

    fn table_new(&mut self, ty: TableType, init: Val<Tinywasm>) -> Result<tinywasm::Table> {
        let init = to_wasm(self.state(), &init)?;
        let native = convert::table_type(&ty)?;
        let limits = &mut self.state_mut().limits;
        limits.fits(0, 0, 1)?;
        limits.begin();
        let max = ty.maximum.map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        limits.table(0, usize::try_from(ty.minimum).unwrap_or(usize::MAX), max);
        if let Some(e) = limits.refusal(|| {
            format!(
                "a table of {} elements: refused by the store's limits",
                ty.minimum
            )
        }) {
            return Err(e);
        }
        let t = tinywasm::Table::new(self.0.native_mut(), native, init).map_err(error)?;
        self.state_mut().limits.add(0, 0, 1);
        Ok(t)
    }
    fn table_ty(&self, t: &tinywasm::Table) -> TableType {
        let store = self.0.native();
        match t.ty(store) {
            Ok(ty) => {
                let mut out = convert::from_table_type(&ty);
                out.minimum = self.table_size(t);
                out
            }
            Err(_) => TableType::new(
                wasm_run_api::RefType {
                    nullable: true,
                    heap: wasm_run_api::HeapType::Func,
                },
                0,
                None,
            ),
        }
    }
    fn table_size(&self, t: &tinywasm::Table) -> u64 {
        t.size(self.0.native()).map(|n| n as u64).unwrap_or(0)
    }
    fn table_grow(&mut self, t: &tinywasm::Table, delta: u64, init: Val<Tinywasm>) -> Result<u64> {
        let init = to_wasm(self.state(), &init)?;
        let delta = i32::try_from(delta)
            .map_err(|_| Error::Access(format!("table.grow by {delta} elements failed")))?;
        let ty = self.table_ty(t);
        let current = usize::try_from(ty.minimum).unwrap_or(usize::MAX);
        let max = ty.maximum.map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        let limits = &mut self.state_mut().limits;
        limits.begin();
        limits.table(current, current.saturating_add(delta as usize), max);
        if let Some(e) = limits
            .refusal(|| format!("table.grow by {delta} elements: refused by the store's limits"))
        {
            return Err(e);
        }
        t.grow(self.0.native_mut(), delta, init)
            .map(|old| old as u64)
            .map_err(|e| Error::Access(format!("table.grow by {delta} elements failed: {e}")))
    }
    fn table_get(&mut self, t: &tinywasm::Table, index: u64) -> Option<Val<Tinywasm>> {
        let v = t.get(self.0.native(), u32::try_from(index).ok()?).ok()?;
        Some(self.state_mut().value_of(&v))
    }
    fn table_set(&mut self, t: &tinywasm::Table, index: u64, val: Val<Tinywasm>) -> Result<()> {
        let v = to_wasm(self.state(), &val)?;
        let index = u32::try_from(index)
            .map_err(|_| Error::trap(TrapCode::TableOutOfBounds, "table index out of bounds"))?;
        t.set(self.0.native_mut(), index, v)
            .map_err(|e| error(tinywasm::Error::Trap(e)))
    }

    fn global_new(&mut self, ty: GlobalType, val: Val<Tinywasm>) -> Result<tinywasm::Global> {
        let v = to_wasm(self.state(), &val)?;
        tinywasm::Global::new(self.0.native_mut(), convert::global_type(&ty)?, v).map_err(error)
    }
    fn global_ty(&self, g: &tinywasm::Global) -> GlobalType {
        match g.ty(self.0.native()) {
            Ok(ty) => convert::from_global_type(&ty),
            Err(_) => GlobalType::new(wasm_run_api::ValType::I32, wasm_run_api::Mutability::Const),
        }
    }
    fn global_get(&mut self, g: &tinywasm::Global) -> Val<Tinywasm> {
        match g.get(self.0.native()) {
            Ok(v) => self.state_mut().value_of(&v),
            Err(_) => Val::I32(0),
        }
    }
    fn global_set(&mut self, g: &tinywasm::Global, val: Val<Tinywasm>) -> Result<()> {
        let v = to_wasm(self.state(), &val)?;
        g.set(self.0.native_mut(), v)
            .map_err(|e| Error::Access(format!("setting the global failed: {e}")))
    }

    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<TinywasmExternRef> {
        let state = self.state_mut();
        let index = u32::try_from(state.externrefs.len())
            .ok()
            .filter(|i| *i != u32::MAX)
            .ok_or_else(|| Error::ResourceLimit("too many external references".into()))?;
        state.externrefs.push(value);
        Ok(TinywasmExternRef(index))
    }
    fn externref_data<'a>(&'a self, r: &TinywasmExternRef) -> Option<&'a (dyn Any + Send + Sync)> {
        self.state().externrefs.get(r.0 as usize).map(|b| &**b)
    }

    fn instantiate(
        &mut self,
        module: &TinywasmModule,
        imports: &[Extern<Tinywasm>],
    ) -> Result<TinywasmInstance> {
        if module.engine != self.state().engine {
            return Err(Error::WrongStore);
        }
        // An instantiation enters wasm too (start functions, themselves not
        // sliced).
        self.check_stop()?;
        let module = &module.native;
        // tinywasm asserts (panics) on memories larger than it can address.
        if let Some(ty) = module
            .memory_types
            .iter()
            .find(|t| t.page_count_initial() > t.page_count_max())
        {
            return Err(Error::ResourceLimit(format!(
                "a memory of {} pages is larger than tinywasm can make",
                ty.page_count_initial()
            )));
        }
        let mut natives = tinywasm::Imports::new();
        let mut imported_memories = 0;
        let mut first_of: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, import) in module.imports().enumerate() {
            let Some(item) = imports.get(i) else {
                return Err(wasm_run_api::LinkError::Other(format!(
                    "{} imports given, the module has more",
                    imports.len()
                ))
                .into());
            };
            // tinywasm links imports by name: two imports of one name can
            // only be given the same item.
            let first = *first_of.entry((import.module, import.name)).or_insert(i);
            if first != i && !same_item(&imports[first], item) {
                return Err(wasm_run_api::LinkError::Other(format!(
                    "imports {first} and {i} are both named `{}::{}` and were given different \
                     items: tinywasm links imports by name",
                    import.module, import.name
                ))
                .into());
            }
            match item {
                Extern::Func(f) => {
                    let func = self.entry(f.as_native())?.func.clone().ok_or(
                        Error::unsupported(Feature::ReferenceTypes, "tinywasm (importing a function reference the host has not seen exported)"),
                    )?;
                    natives.define(import.module, import.name, func);
                }
                Extern::Memory(m) => {
                    imported_memories += 1;
                    natives.define(import.module, import.name, *m.as_native());
                }
                Extern::Table(t) => {
                    natives.define(import.module, import.name, *t.as_native());
                }
                Extern::Global(g) => {
                    natives.define(import.module, import.name, *g.as_native());
                }
                Extern::Tag(_) => {
                    return Err(Error::unsupported(Feature::Exceptions, "tinywasm"));
                }
                Extern::SharedMemory(_) => {
                    return Err(Error::unsupported(Feature::Threads, "tinywasm"));
                }
            }
        }
        // The start function runs below, with fuel, deadline and interrupts
        // (tinywasm's own would run it unbudgeted: a runaway start function
        // would never return).
        let defined_memories = module.memory_types.len();
        let defined_tables = module.table_types.len();
        let limits = &mut self.state_mut().limits;
        limits.fits(1, defined_memories, defined_tables)?;
        limits.begin();
        for t in module.table_types.iter() {
            let max = t.size_max.map(|m| usize::try_from(m).unwrap_or(usize::MAX));
            limits.table(
                0,
                usize::try_from(t.size_initial).unwrap_or(usize::MAX),
                max,
            );
        }
        if let Some(e) = limits.refusal(|| "a table: refused by the store's limits".into()) {
            return Err(e);
        }
        let limits = self.limits_ptr();
        let native_store = self.0.native_mut();
        let (instance, made) = memory::making(limits, || {
            tinywasm::ModuleInstance::instantiate_no_start(native_store, module, Some(natives))
        });
        // tinywasm makes the module's functions once linking succeeded,
        // before anything else can fail.
        if !matches!(instance, Err(tinywasm::Error::Linker(_))) {
            self.state_mut().func_count += module.funcs.len() as u32;
        }
        if let Some(e) = self
            .state_mut()
            .limits
            .refusal(|| "a memory: refused by the store's limits".into())
        {
            return Err(e);
        }
        let instance = match instance {
            Ok(i) => i,
            Err(e) => return Err(error(e)),
        };
        // The memories the module defines follow its imported ones.
        let handles: Vec<tinywasm::Memory> = (imported_memories..)
            .map_while(|i| instance.memory_by_index(i).ok())
            .collect();
        self.adopt_memories(&handles, made)?;
        self.state_mut()
            .limits
            .add(1, defined_memories, defined_tables);
        let start = instance.start_func(self.0.native()).map_err(error)?;
        let state = self.state_mut();
        let index = state.instances.len() as u32;
        state.instances.push((instance, module.clone()));
        if let Some(start) = start {
            self.0.run(&start, &[])?;
        }
        Ok(TinywasmInstance(index))
    }
    fn instance_export(
        &mut self,
        instance: &TinywasmInstance,
        name: &str,
    ) -> Option<Extern<Tinywasm>> {
        let (inst, _) = self.state().instances.get(instance.0 as usize)?;
        let item = inst.extern_item(name).ok()?;
        Some(self.extern_of(instance.0, name, item))
    }
}

impl<T: 'static> StoreBackend<Tinywasm> for TinywasmContext<StoreParts<T>> {
    fn into_data(self) -> T {
        let parts = std::mem::ManuallyDrop::new(self.0);
        // SAFETY: `parts` is never dropped (so `StoreParts::drop` does not
        // free the state); the tinywasm store is moved out and dropped
        // first, then the state is taken back from its box.
        let (inner, state) = unsafe { (std::ptr::read(&parts.inner), parts.state) };
        drop(inner);
        // SAFETY: as in `StoreParts::drop`.
        unsafe { Box::from_raw(state.as_ptr()) }.into_user()
    }
}

impl<T: 'static> CallerBackend<Tinywasm> for TinywasmContext<CallerParts<'_, T>> {
    fn get_export(&mut self, name: &str) -> Option<Extern<Tinywasm>> {
        let item = self.0.caller_export(name)?;
        let module = self.0.ctx.module();
        let index = self
            .state()
            .instances
            .iter()
            .position(|(i, _)| i.id() == module.id())? as u32;
        Some(self.extern_of(index, name, item))
    }
}
