//! The [wasmi](https://docs.rs/wasmi) backend of wasm-run (interpreter).
//!
//! [`Wasmi`] implements [`wasm_run_api::Engine`]. wasmi compiles about 20×
//! faster than a JIT and runs wherever Rust runs (no executable memory needed),
//! at several times lower throughput.
//!
//! ```
//! use wasm_run_api::{Config, Engine, Module, Store, Linker};
//! use wasm_run_wasmi::Wasmi;
//!
//! let engine = Wasmi::new(&Config::new())?;
//! let module = Module::new(&engine, r#"(module (func (export "answer") (result i32) i32.const 42))"#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let answer = instance.get_typed_func::<(), i32>(&mut store, "answer")?;
//! assert_eq!(answer.call(&mut store, ())?, 42);
//! # Ok::<(), wasm_run_api::Error>(())
//! ```
//!
//! Notes on behaviour specific to this backend:
//! - One unit of fuel is roughly one basic instruction; calls, memory and table
//!   bulk operations cost more (wasmi's default `OperatorCost`).
//! - The wasm stack limit ([`Config::max_wasm_stack`]) bounds wasmi's value
//!   stack in bytes; recursion depth is bounded separately by wasmi.
//! - No threads, exceptions, GC or typed function references; enabling them is
//!   an `Unsupported` error.
//! - A memory's page size is reported from its current size; for an empty
//!   memory with custom page size the default 64 KiB is reported.

#![warn(missing_docs)]

mod asyncs;
mod convert;
mod limits;
mod refs;
pub mod slicing;
mod typed;

use convert::*;
use limits::Limiter;
use slicing::Slicing;
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use wasm_run_api::InterruptHandle;
use wasm_run_api::UntypedHostFunc;
use wasm_run_api::backend::{
    CallerBackend, ContextBackend, Engine, InstancePreBackend, LinkerBackend, StoreBackend,
};
use wasm_run_api::backend::{EngineBase, PausedCallBackend, Watch};
use wasm_run_api::backend::{HostRef, Never};
use wasm_run_api::backend::{Shared, SlotsIn, SlotsOut, ValBuf, call_untyped, convert_call};
use wasm_run_api::{
    Caller, Config, Error, Extern, Feature, FeatureSet, Func, FuncType, Global, GlobalType,
    HostFunc, Memory, MemoryType, Result, StoreId, Support, Table, TableType, Val, WasmTyList,
};

/// A wasmi call paused because its store ran out of fuel (see
/// [`wasm_run_api::PausedCall`]).
#[derive(Debug)]
pub struct WasmiPausedCall(wasmi::ResumableCallOutOfFuel);

impl PausedCallBackend for WasmiPausedCall {
    fn required_fuel(&self) -> u64 {
        self.0.required_fuel()
    }
}

/// The wasmi engine, configured.
#[derive(Clone)]
pub struct Wasmi {
    engine: wasmi::Engine,
    /// Configuration, features, and the waker that identifies this engine's
    /// interrupt handles (it does nothing: running code checks at every
    /// fuel slice).
    base: EngineBase,
}

impl std::fmt::Debug for Wasmi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wasmi")
            .field("features", &self.base.features())
            .finish_non_exhaustive()
    }
}

/// What wasmi 2.0 (with the cargo features we build it with) can do.
pub fn support(feature: Feature) -> Support {
    use Feature::*;
    match feature {
        MultiValue | BulkMemory | ReferenceTypes | MutableGlobal | SaturatingFloatToInt
        | SignExtension | ExtendedConst | Floats | Simd | RelaxedSimd | MultiMemory | Memory64
        | TailCall => Support::Default,
        CustomPageSizes | WideArithmetic | Fuel | Deadline | Interrupt => Support::OptIn,
        Limits | TypeReflection | Async | CallDepthLimit | LazyValidation => Support::Default,
        // On whenever fuel is (Feature::REQUIRES).
        ResumableFuel => Support::Default,
        // WASI preview 1 is provided on top of this backend by wasm-run-wasi.
        WasiP1 => Support::Default,
        _ => Support::Unsupported,
    }
}

fn configure(native: &mut wasmi::Config, feature: Feature, on: bool) {
    use Feature::*;
    match feature {
        MultiValue => native.wasm_multi_value(on),
        BulkMemory => native.wasm_bulk_memory(on),
        ReferenceTypes => native.wasm_reference_types(on),
        MutableGlobal => native.wasm_mutable_global(on),
        SaturatingFloatToInt => native.wasm_saturating_float_to_int(on),
        SignExtension => native.wasm_sign_extension(on),
        ExtendedConst => native.wasm_extended_const(on),
        Floats => native.floats(on),
        Simd => native.wasm_simd(on),
        RelaxedSimd => native.wasm_relaxed_simd(on),
        MultiMemory => native.wasm_multi_memory(on),
        Memory64 => native.wasm_memory64(on),
        TailCall => native.wasm_tail_call(on),
        CustomPageSizes => native.wasm_custom_page_sizes(on),
        WideArithmetic => native.wasm_wide_arithmetic(on),
        Fuel => native.consume_fuel(on),
        _ => native,
    };
}

impl Wasmi {
    /// The native wasmi engine.
    pub fn as_native(&self) -> &wasmi::Engine {
        &self.engine
    }
}

/// Host state of every native store: the user's data and the store's id
/// (the part every backend has, written once in `wasm_run_api::backend`)
/// plus wasmi's own [`WasmiState`]. Its `user`/`user_mut` give the user's
/// host state to code that works with the native store (e.g. WASI adapters
/// registering native host functions).
pub type StoreData<T> = wasm_run_api::backend::StoreData<T, WasmiState>;

/// The wasmi backend's own state of a store: the limiter and, when
/// deadlines or interrupts are on, the fuel slicing.
pub struct WasmiState {
    limits: Limiter,
    slicing: Option<Slicing>,
}

/// Whether the engine runs calls in fuel slices (deadlines or interrupts on).
fn sliced(features: &FeatureSet) -> bool {
    features.contains(Feature::Deadline) || features.contains(Feature::Interrupt)
}

/// A store or a caller of this backend. `C` says how the native context is
/// reached ([`NativeStore`] or [`NativeCaller`]); the context operations
/// ([`ContextBackend`]) are implemented once, for every `C`, as wasmi itself
/// serves both through `StoreContextMut`.
pub struct WasmiContext<C>(C);

/// A wasmi store (see [`wasm_run_api::Store`]).
pub type WasmiStore<T> = WasmiContext<NativeStore<T>>;

/// A host function's view of the store (see [`wasm_run_api::Caller`]).
pub type WasmiCaller<'a, T> = WasmiContext<NativeCaller<'a, T>>;

/// The native parts of a [`WasmiStore`].
pub struct NativeStore<T: 'static> {
    store: wasmi::Store<StoreData<T>>,
}

/// The native parts of a [`WasmiCaller`].
pub struct NativeCaller<'a, T: 'static> {
    caller: asyncs::CallerKind<'a, T>,
}

impl<T> WasmiStore<T> {
    /// The native store (escape hatch).
    pub fn as_native(&mut self) -> &mut wasmi::Store<StoreData<T>> {
        &mut self.0.store
    }
}

impl<'a, T> WasmiCaller<'a, T> {
    /// The native caller (escape hatch): `None` in an async host function's
    /// completion.
    pub fn as_native(&mut self) -> Option<&mut wasmi::Caller<'a, StoreData<T>>> {
        match &mut self.0.caller {
            asyncs::CallerKind::Owned(c) => Some(c),
            asyncs::CallerKind::Store(_) => None,
        }
    }
}

impl Engine for Wasmi {
    type Module = wasmi::Module;
    type Store<T: 'static> = WasmiStore<T>;
    type Caller<'a, T: 'static> = WasmiCaller<'a, T>;
    type Linker<T: 'static> = WasmiLinker<T>;
    type InstancePre<T: 'static> = WasmiInstancePre<T>;
    type Instance = wasmi::Instance;
    type Func = wasmi::Func;
    type Memory = wasmi::Memory;
    type Table = wasmi::Table;
    type Global = wasmi::Global;
    type ExternRef = wasmi::ExternRef;
    // wasmi has neither exceptions nor GC.
    type Tag = Never;
    type AnyRef = Never;
    type ExnRef = Never;
    type SharedMemory = Never;
    type PausedCall = WasmiPausedCall;

    fn new(config: &Config) -> Result<Self> {
        let features = config.resolve("wasmi", support)?;
        let mut native = wasmi::Config::default();
        for &feature in Feature::ALL {
            configure(&mut native, feature, features.contains(feature));
        }
        // wasmi's own default (1,000 frames) stops ordinary recursion that
        // runs on wasmtime's defaults; its frames live on the heap, so a
        // deeper default costs nothing until used.
        native.set_max_recursion_depth(
            config
                .max_call_depth_frames()
                .unwrap_or(Config::DEFAULT_MAX_CALL_DEPTH),
        );
        if let Some(bytes) = config.max_wasm_stack_bytes() {
            // Lower the minimum first: wasmi panics if max < min.
            let min = bytes.min(1024);
            native
                .set_min_stack_height(min)
                .set_max_stack_height(bytes.max(min));
        }
        if let Some(mode) = config.compilation_mode() {
            native.compilation_mode(match mode {
                wasm_run_api::Compilation::Eager => wasmi::CompilationMode::Eager,
                wasm_run_api::Compilation::LazyTranslation => {
                    wasmi::CompilationMode::LazyTranslation
                }
                // Lazy validation can be turned off (Feature::LazyValidation).
                wasm_run_api::Compilation::Lazy if !features.contains(Feature::LazyValidation) => {
                    wasmi::CompilationMode::LazyTranslation
                }
                wasm_run_api::Compilation::Lazy => wasmi::CompilationMode::Lazy,
            });
        }
        if sliced(&features) {
            native.consume_fuel(true);
            // Lazy translation charges a function's translation to the fuel
            // of its first call, all at once and not resumably: a slice too
            // small for a large function would fail the call. Translate
            // everything when the module is compiled instead.
            native.compilation_mode(wasmi::CompilationMode::Eager);
        }
        let engine = wasmi::Engine::new(&native);
        Ok(Wasmi {
            engine,
            base: EngineBase::new(config, features),
        })
    }

    const NAME: &'static str = "wasmi";

    fn version(&self) -> &'static str {
        "2.0"
    }

    fn support(&self, feature: Feature) -> Support {
        support(feature)
    }

    fn base(&self) -> &EngineBase {
        &self.base
    }

    fn compile(&self, wasm: &[u8]) -> Result<Self::Module> {
        wasmi::Module::new(&self.engine, wasm).map_err(compile_error)
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        wasmi::Module::validate(&self.engine, wasm).map_err(compile_error)
    }

    fn store<T: 'static>(&self, data: T) -> Self::Store<T> {
        let limits = wasm_run_api::backend::build_store_limits!(
            self.config().resource_limits(),
            wasmi::StoreLimitsBuilder
        );
        let mut store = wasmi::Store::new(
            &self.engine,
            StoreData::new(
                data,
                WasmiState {
                    limits: Limiter::new(limits),
                    slicing: sliced(&self.features()).then(|| Slicing {
                        watch: Watch::new(
                            InterruptHandle::with_waker(self.base.waker().clone()),
                            self.features(),
                        ),
                        user_fuel: self.features().contains(Feature::Fuel),
                        reserve: 0,
                        yields: Default::default(),
                        given: 0,
                    }),
                },
            ),
        );
        store.limiter(|d| &mut d.limits);
        if sliced(&self.features()) && !self.features().contains(Feature::Fuel) {
            let _ = store.set_fuel(slicing::SLICE);
        }
        WasmiContext(NativeStore { store })
    }

    fn linker<T: 'static>(&self) -> Self::Linker<T> {
        WasmiLinker {
            linker: wasmi::Linker::new(&self.engine),
            hosts: HashMap::new(),
        }
    }
}

/// Dynamic values as typed slots (wasmi's host calling convention).
struct Vals<'a>(&'a [wasmi::Val]);
struct ValsMut<'a>(&'a mut [wasmi::Val]);

impl SlotsIn for Vals<'_> {
    fn get_i32(&self, i: usize) -> i32 {
        self.0[i].i32().unwrap_or_default()
    }
    fn get_i64(&self, i: usize) -> i64 {
        self.0[i].i64().unwrap_or_default()
    }
    fn get_f32(&self, i: usize) -> u32 {
        self.0[i].f32().map(|f| f.to_bits()).unwrap_or_default()
    }
    fn get_f64(&self, i: usize) -> u64 {
        self.0[i].f64().map(|f| f.to_bits()).unwrap_or_default()
    }
    fn get_v128(&self, i: usize) -> u128 {
        match &self.0[i] {
            wasmi::Val::V128(v) => v.as_u128(),
            _ => 0,
        }
    }
}

impl SlotsOut for ValsMut<'_> {
    fn set_i32(&mut self, i: usize, v: i32) {
        self.0[i] = wasmi::Val::I32(v);
    }
    fn set_i64(&mut self, i: usize, v: i64) {
        self.0[i] = wasmi::Val::I64(v);
    }
    fn set_f32(&mut self, i: usize, v: u32) {
        self.0[i] = wasmi::Val::F32(wasmi::F32::from_bits(v));
    }
    fn set_f64(&mut self, i: usize, v: u64) {
        self.0[i] = wasmi::Val::F64(wasmi::F64::from_bits(v));
    }
    fn set_v128(&mut self, i: usize, v: u128) {
        self.0[i] = wasmi::Val::V128(wasmi::V128::from(v));
    }
}

fn zeros(n: usize) -> ValBuf<wasmi::Val> {
    smallvec::smallvec![wasmi::Val::I32(0); n]
}

/// A host function in wasmi's own calling convention.
trait NativeHost<T>:
    Fn(
        wasmi::Caller<'_, StoreData<T>>,
        &[wasmi::Val],
        &mut [wasmi::Val],
    ) -> Result<(), wasmi::Error>
    + Send
    + Sync
    + 'static
{
}

impl<T, F> NativeHost<T> for F where
    F: Fn(
            wasmi::Caller<'_, StoreData<T>>,
            &[wasmi::Val],
            &mut [wasmi::Val],
        ) -> Result<(), wasmi::Error>
        + Send
        + Sync
        + 'static
{
}

fn untyped_host<T: 'static, F: UntypedHostFunc<Wasmi, T> + Clone>(
    ty: FuncType,
    f: F,
) -> impl NativeHost<T> + Clone {
    move |caller, params, results| {
        let id = caller.data().store_id();
        refs::check_native(&caller, params).map_err(host_error)?;
        let caller = Caller::from_backend(WasmiContext(NativeCaller::owned(caller)));
        call_untyped(
            &f,
            caller,
            &ty,
            params,
            results,
            |v| Ok(from_val(v, id)),
            |v| Ok(val(v)),
        )
        .map_err(host_error)
    }
}

/// A typed host function in the shape [`typed::wrap`] takes.
fn typed_host<T: 'static, P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmi, T, P, R>>(
    f: F,
) -> impl Fn(wasmi::Caller<'_, StoreData<T>>, P) -> Result<R, wasmi::Error> + Send + Sync + 'static
{
    move |caller, args| {
        f.invoke(
            Caller::from_backend(WasmiContext(NativeCaller::owned(caller))),
            args,
        )
        .map_err(host_error)
    }
}

fn to_extern(e: &Extern<Wasmi>) -> wasmi::Extern {
    match e {
        Extern::Func(f) => wasmi::Extern::Func(*f.as_native()),
        Extern::Memory(m) => wasmi::Extern::Memory(*m.as_native()),
        Extern::Table(t) => wasmi::Extern::Table(*t.as_native()),
        Extern::Global(g) => wasmi::Extern::Global(*g.as_native()),
        Extern::Tag(t) => match *t.as_native() {},
        Extern::SharedMemory(m) => match *m.as_native() {},
    }
}

fn from_extern(e: wasmi::Extern, id: StoreId) -> Extern<Wasmi> {
    match e {
        wasmi::Extern::Func(f) => Extern::Func(Func::from_native(f, id)),
        wasmi::Extern::Memory(m) => Extern::Memory(Memory::from_native(m, id)),
        wasmi::Extern::Table(t) => Extern::Table(Table::from_native(t, id)),
        wasmi::Extern::Global(g) => Extern::Global(Global::from_native(g, id)),
    }
}

/// How a [`WasmiContext`] reaches the native store context: implemented by
/// [`NativeStore`] and [`NativeCaller`], so that stores and callers share the
/// one [`ContextBackend`] implementation below.
pub trait NativeContext {
    /// User host state type.
    type T: 'static;
    /// Whether this is a store (calls from it begin at the host) rather than
    /// a caller (calls from a host function, inside a running call).
    const TOP: bool;
    /// Native context.
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<Self::T>>;
    /// Native context, mutably.
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<Self::T>>;
    /// The user's host state.
    fn user(&self) -> &Self::T {
        self.native_data().user()
    }
    /// The user's host state, mutably.
    fn user_mut(&mut self) -> &mut Self::T {
        self.native_data_mut().user_mut()
    }
    /// The native store data.
    fn native_data(&self) -> &StoreData<Self::T>;
    /// The native store data, mutably.
    fn native_data_mut(&mut self) -> &mut StoreData<Self::T>;
}

impl<C: NativeContext> WasmiContext<C> {
    /// `r`, or the error the user's limiter failed the operation with (wasmi
    /// reports that as a `GrowthOperationLimited` trap).
    #[inline(always)]
    fn limited<R>(&mut self, r: Result<R>) -> Result<R> {
        // A policy failure always fails the operation, so only the error
        // path looks (the success path stays free).
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(self
                .0
                .native_data_mut()
                .limits
                .host
                .take_failure()
                .unwrap_or(e)),
        }
    }
    /// `Unsupported` for resumable fuel unless the user enabled fuel.
    fn resumable_fuel(&self) -> Result<()> {
        self.get_fuel()
            .map(|_| ())
            .map_err(|_| Error::unsupported(Feature::ResumableFuel, Wasmi::NAME))
    }
    /// The end of a resumable step: results written if the call finished.
    fn finish(
        &self,
        paused: Option<wasmi::ResumableCallOutOfFuel>,
        native: &[wasmi::Val],
        results: &mut [Val<Wasmi>],
    ) -> Result<Option<WasmiPausedCall>> {
        if let Some(paused) = paused {
            return Ok(Some(WasmiPausedCall(paused)));
        }
        refs::check_native(self.cx(), native)?;
        let id = self.store_id();
        for (out, v) in results.iter_mut().zip(native) {
            *out = from_val(v, id);
        }
        Ok(None)
    }
    /// Calls `f`, in fuel slices when deadlines or interrupts are on.
    #[inline]
    fn run(&mut self, f: &wasmi::Func, ps: &[wasmi::Val], rs: &mut [wasmi::Val]) -> Result<()> {
        let r = if self.cx().data().slicing.is_some() {
            slicing::call(self.cx_mut(), C::TOP, f, ps, rs)
        } else {
            f.call(self.cx_mut(), ps, rs).map_err(error)
        };
        self.limited(r)
    }
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<C::T>> {
        self.0.cx()
    }
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<C::T>> {
        self.0.cx_mut()
    }
}

impl<T: 'static> NativeContext for NativeStore<T> {
    type T = T;
    const TOP: bool = true;
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<T>> {
        wasmi::AsContext::as_context(&self.store)
    }
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<T>> {
        wasmi::AsContextMut::as_context_mut(&mut self.store)
    }
    fn native_data(&self) -> &StoreData<T> {
        self.store.data()
    }
    fn native_data_mut(&mut self) -> &mut StoreData<T> {
        self.store.data_mut()
    }
}

impl<T: 'static> NativeContext for NativeCaller<'_, T> {
    type T = T;
    const TOP: bool = false;
    fn cx(&self) -> wasmi::StoreContext<'_, StoreData<T>> {
        self.caller.cx()
    }
    fn cx_mut(&mut self) -> wasmi::StoreContextMut<'_, StoreData<T>> {
        self.caller.cx_mut()
    }
    fn native_data(&self) -> &StoreData<T> {
        self.caller.data()
    }
    fn native_data_mut(&mut self) -> &mut StoreData<T> {
        self.caller.data_mut()
    }
}

/// The context operations, once for stores and callers alike.
impl<C: NativeContext> ContextBackend<Wasmi> for WasmiContext<C> {
    type Data = C::T;

    fn store_id(&self) -> StoreId {
        self.cx().data().store_id()
    }
    fn data(&self) -> &C::T {
        self.0.user()
    }
    fn data_mut(&mut self) -> &mut C::T {
        self.0.user_mut()
    }
    fn get_fuel(&self) -> Result<u64> {
        let cx = self.cx();
        match &cx.data().slicing {
            Some(s) if s.user_fuel => Ok(slicing::get_fuel(&cx, s)),
            Some(_) => Err(Error::unsupported(Feature::Fuel, Wasmi::NAME)),
            None => cx
                .get_fuel()
                .map_err(|_| Error::unsupported(Feature::Fuel, Wasmi::NAME)),
        }
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        let mut cx = self.cx_mut();
        match &cx.data().slicing {
            Some(s) if s.user_fuel => {
                slicing::set_fuel(&mut cx, fuel);
                Ok(())
            }
            Some(_) => Err(Error::unsupported(Feature::Fuel, Wasmi::NAME)),
            None => cx
                .set_fuel(fuel)
                .map_err(|_| Error::unsupported(Feature::Fuel, Wasmi::NAME)),
        }
    }
    fn watch(&self) -> Option<&Watch> {
        self.0.native_data().slicing.as_ref().map(|s| &s.watch)
    }
    fn watch_mut(&mut self) -> Option<&mut Watch> {
        self.0
            .native_data_mut()
            .slicing
            .as_mut()
            .map(|s| &mut s.watch)
    }
    fn set_limiter(&mut self, limiter: Box<dyn wasm_run_api::ResourceLimiter>) {
        self.0.native_data_mut().limits.host.set(limiter);
    }

    fn func_ty(&self, f: &wasmi::Func) -> FuncType {
        from_func_type(&f.ty(self.cx()))
    }
    #[inline]
    fn func_call(
        &mut self,
        f: &wasmi::Func,
        params: &[Val<Wasmi>],
        results: &mut [Val<Wasmi>],
    ) -> Result<()> {
        let zero = wasmi::Val::I32(0);
        let id = self.store_id();
        convert_call(
            params,
            results,
            zero,
            |v| Ok(val(v)),
            |v| Ok(from_val(v, id)),
            |ps, rs| self.run(f, ps, rs),
        )?;
        refs::check(self.cx(), results)
    }
    fn func_call_resumable(
        &mut self,
        f: &wasmi::Func,
        params: &[Val<Wasmi>],
        results: &mut [Val<Wasmi>],
    ) -> Result<Option<WasmiPausedCall>> {
        self.resumable_fuel()?;
        let ps: ValBuf<wasmi::Val> = params.iter().map(val).collect();
        let mut rs: ValBuf<wasmi::Val> = smallvec::smallvec![wasmi::Val::I32(0); results.len()];
        let r = slicing::call_pausing(self.cx_mut(), C::TOP, f, &ps, &mut rs);
        let paused = self.limited(r)?;
        self.finish(paused, &rs, results)
    }
    fn resume_call(
        &mut self,
        call: WasmiPausedCall,
        results: &mut [Val<Wasmi>],
    ) -> Result<Option<WasmiPausedCall>> {
        let mut rs: ValBuf<wasmi::Val> = smallvec::smallvec![wasmi::Val::I32(0); results.len()];
        let r = slicing::resume(self.cx_mut(), C::TOP, call.0, &mut rs);
        let paused = self.limited(r)?;
        self.finish(paused, &rs, results)
    }
    #[inline]
    fn func_call_typed<P: WasmTyList, R: WasmTyList>(
        &mut self,
        f: &wasmi::Func,
        params: P,
    ) -> Result<R> {
        if self.cx().data().slicing.is_none() {
            // wasmi's typed call: no per-call type check or value conversion.
            let r = typed::call::<_, P, R>(self.cx_mut(), f, params).map_err(error);
            return self.limited(r);
        }
        let mut ps = zeros(P::LEN);
        params.store(&mut ValsMut(&mut ps));
        let mut rs = zeros(R::LEN);
        self.run(f, &ps, &mut rs)?;
        Ok(R::load(&Vals(&rs)))
    }
    fn func_new<F: UntypedHostFunc<Wasmi, C::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<wasmi::Func> {
        let native = func_type(&ty)?;
        Ok(wasmi::Func::new(
            self.cx_mut(),
            native,
            untyped_host(ty, Shared(Arc::new(f))),
        ))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmi, C::T, P, R>>(
        &mut self,
        f: F,
    ) -> Result<wasmi::Func> {
        Ok(typed::wrap(self.cx_mut(), typed_host(f)))
    }

    fn memory_new(&mut self, ty: MemoryType) -> Result<wasmi::Memory> {
        let r = wasmi::Memory::new(self.cx_mut(), memory_type(&ty)?).map_err(creation_error);
        self.limited(r)
    }
    fn memory_ty(&self, m: &wasmi::Memory) -> MemoryType {
        let native = m.ty(self.cx());
        let pages = m.size(self.cx());
        let bytes = m.data_size(self.cx()) as u64;
        let page_size_log2 = match bytes.checked_div(pages) {
            Some(size) if size.is_power_of_two() => size.trailing_zeros() as u8,
            _ => 16,
        };
        MemoryType {
            minimum: pages,
            maximum: native.maximum(),
            shared: false,
            memory64: native.is_64(),
            page_size_log2,
        }
    }
    fn memory_data<'a>(&'a self, m: &wasmi::Memory) -> &'a [u8] {
        m.data(self.cx())
    }
    fn memory_data_mut<'a>(&'a mut self, m: &wasmi::Memory) -> &'a mut [u8] {
        m.data_mut(self.cx_mut())
    }
    fn memory_grow(&mut self, m: &wasmi::Memory, delta: u64) -> Result<u64> {
        let r = m
            .grow(self.cx_mut(), delta)
            .map_err(|e| Error::Access(format!("memory.grow by {delta} pages failed: {e}")));
        self.limited(r)
    }

    fn table_new(&mut self, ty: TableType, init: Val<Wasmi>) -> Result<wasmi::Table> {
        let r = wasmi::Table::new(self.cx_mut(), table_type(&ty)?, to_ref(&init)?)
            .map_err(creation_error);
        self.limited(r)
    }
    fn table_ty(&self, t: &wasmi::Table) -> TableType {
        from_table_type(&t.ty(self.cx()))
    }
    fn table_size(&self, t: &wasmi::Table) -> u64 {
        t.size(self.cx())
    }
    fn table_grow(&mut self, t: &wasmi::Table, delta: u64, init: Val<Wasmi>) -> Result<u64> {
        let r = t
            .grow(self.cx_mut(), delta, to_ref(&init)?)
            .map_err(|e| Error::Access(format!("table.grow by {delta} failed: {e}")));
        self.limited(r)
    }
    fn table_get(&mut self, t: &wasmi::Table, index: u64) -> Option<Val<Wasmi>> {
        let id = self.store_id();
        t.get(self.cx(), index)
            .map(|r| refs::sanitize(self.cx(), from_ref(&r, id)))
    }
    fn table_set(&mut self, t: &wasmi::Table, index: u64, v: Val<Wasmi>) -> Result<()> {
        t.set(self.cx_mut(), index, to_ref(&v)?)
            .map_err(|e| Error::Access(e.to_string()))
    }

    fn global_new(&mut self, ty: GlobalType, v: Val<Wasmi>) -> Result<wasmi::Global> {
        val_type(&ty.content)?;
        Ok(wasmi::Global::new(
            self.cx_mut(),
            val(&v),
            mutability(ty.mutability),
        ))
    }
    fn global_ty(&self, g: &wasmi::Global) -> GlobalType {
        from_global_type(&g.ty(self.cx()))
    }
    fn global_get(&mut self, g: &wasmi::Global) -> Val<Wasmi> {
        refs::sanitize(self.cx(), from_val(&g.get(self.cx()), self.store_id()))
    }
    fn global_set(&mut self, g: &wasmi::Global, v: Val<Wasmi>) -> Result<()> {
        g.set(self.cx_mut(), val(&v))
            .map_err(|e| Error::Access(e.to_string()))
    }

    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<wasmi::ExternRef> {
        Ok(wasmi::ExternRef::new(self.cx_mut(), HostRef::new(value)))
    }
    fn externref_data<'a>(&'a self, r: &wasmi::ExternRef) -> Option<&'a (dyn Any + Send + Sync)> {
        HostRef::of(r.data(self.cx()))
    }

    fn instantiate(
        &mut self,
        module: &wasmi::Module,
        imports: &[Extern<Wasmi>],
    ) -> Result<wasmi::Instance> {
        // wasmi would accept a module of another engine here; refuse it.
        if !wasmi::Engine::same(module.engine(), self.cx().engine()) {
            return Err(Error::WrongStore);
        }
        // The API gives imports in the module's declaration order; wasmi
        // expects them grouped by kind (functions, tables, memories, globals:
        // the order of `wasmi::Module::imports`), each kind in declaration
        // order. The API checked each item against its import's type, so an
        // item's kind is its import's kind and a stable sort by kind gives
        // wasmi's order.
        let mut natives: Vec<wasmi::Extern> = imports.iter().map(to_extern).collect();
        natives.sort_by_key(|e| match e {
            wasmi::Extern::Func(_) => 0,
            wasmi::Extern::Table(_) => 1,
            wasmi::Extern::Memory(_) => 2,
            wasmi::Extern::Global(_) => 3,
        });
        let r = slicing::unsliced(self.cx_mut(), C::TOP, |cx| {
            wasmi::Instance::new(cx, module, &natives)
        });
        self.limited(r)
    }
    fn instance_export(&mut self, instance: &wasmi::Instance, name: &str) -> Option<Extern<Wasmi>> {
        let id = self.store_id();
        instance
            .get_export(self.cx(), name)
            .map(|e| from_extern(e, id))
    }
}

impl<T: 'static> StoreBackend<Wasmi> for WasmiStore<T> {
    fn into_data(self) -> T {
        self.0.store.into_data().into_user()
    }
    fn func_call_async<'a>(
        &'a mut self,
        f: &'a wasmi::Func,
        params: &'a [Val<Wasmi>],
        results: &'a mut [Val<Wasmi>],
    ) -> wasm_run_api::backend::CallFuture<'a>
    where
        T: Send,
    {
        self.call_async(f, params, results)
    }
    fn set_yield_policy(&mut self, policy: wasm_run_api::YieldPolicy) -> Result<()> {
        if policy.fuel_interval().is_some() && ContextBackend::get_fuel(self).is_err() {
            return Err(Error::unsupported(Feature::Fuel, Wasmi::NAME));
        }
        let slicing = self.0.native_data_mut().slicing.as_mut();
        // Both kinds of yield happen between fuel slices.
        let slicing = match slicing {
            Some(s) => s,
            None if !policy.is_on() => return Ok(()),
            None => {
                return Err(Error::unsupported(Feature::Deadline, Wasmi::NAME));
            }
        };
        slicing.yields.set(policy);
        Ok(())
    }
}

impl<T: 'static> CallerBackend<Wasmi> for WasmiCaller<'_, T> {
    fn get_export(&mut self, name: &str) -> Option<Extern<Wasmi>> {
        let id = self.0.caller.data().store_id();
        self.0.caller.export(name).map(|e| from_extern(e, id))
    }
}

/// A wasmi linker (see [`wasm_run_api::Linker`]).
pub struct WasmiLinker<T: 'static> {
    linker: wasmi::Linker<StoreData<T>>,
    /// wasmi's `Linker::get` only answers for items owned by a store; this
    /// remembers how to create each host function so `get` can answer for
    /// those too.
    hosts: HashMap<(String, String), MakeHost<T>>,
}

type MakeHost<T> = Arc<dyn Fn(&mut wasmi::Store<StoreData<T>>) -> wasmi::Func + Send + Sync>;

impl<T: 'static> WasmiLinker<T> {
    /// The native linker (escape hatch).
    pub fn as_native(&mut self) -> &mut wasmi::Linker<StoreData<T>> {
        &mut self.linker
    }

    /// Defines `module::name` as the wasmi host function `host` of type
    /// `native`, in wasmi's linker and in `hosts` (for `get`, which makes
    /// it in a store).
    fn define_native(
        &mut self,
        module: &str,
        name: &str,
        native: wasmi::FuncType,
        host: impl NativeHost<T> + Clone,
    ) -> Result<()> {
        self.linker
            .func_new(module, name, native.clone(), host.clone())
            .map_err(|e| define_error(module, name, e))?;
        let make = move |s: &mut wasmi::Store<StoreData<T>>| {
            wasmi::Func::new(s, native.clone(), host.clone())
        };
        self.hosts
            .insert((module.into(), name.into()), Arc::new(make));
        Ok(())
    }
}

/// Creating a memory or a table from the host: a size the store's limiter
/// refused is [`Error::ResourceLimit`] (from wasmi's structured error), as at
/// instantiation; anything else maps as usual.
fn creation_error(e: wasmi::Error) -> Error {
    use wasmi::errors::{ErrorKind, MemoryError, TableError};
    match e.kind() {
        ErrorKind::Memory(
            MemoryError::ResourceLimiterDeniedAllocation | MemoryError::OutOfSystemMemory,
        )
        | ErrorKind::Table(
            TableError::ResourceLimiterDeniedAllocation | TableError::OutOfSystemMemory,
        ) => Error::ResourceLimit(e.to_string()),
        _ => error(e),
    }
}

/// A definition the engine refused. (A second definition of a name is
/// normally refused by the API's `Linker` first, from its own record; wasmi's
/// own duplicate error is mapped structurally for definitions made natively.)
fn define_error(module: &str, name: &str, e: wasmi::errors::LinkerError) -> Error {
    match e {
        wasmi::errors::LinkerError::DuplicateDefinition { .. } => {
            wasm_run_api::LinkError::Duplicate {
                module: module.into(),
                name: name.into(),
            }
            .into()
        }
        other => wasm_run_api::LinkError::Other(other.to_string()).into(),
    }
}

impl<T: 'static> LinkerBackend<Wasmi, T> for WasmiLinker<T> {
    fn define(
        &mut self,
        _store: &WasmiStore<T>,
        module: &str,
        name: &str,
        item: Extern<Wasmi>,
    ) -> Result<()> {
        self.linker
            .define(module, name, to_extern(&item))
            .map_err(|e| define_error(module, name, e))?;
        // A shadowing definition replaces a host function of the same name.
        self.hosts.remove(&(module.to_string(), name.to_string()));
        Ok(())
    }

    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmi, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        let f = Shared(Arc::new(f));
        let define = typed::Define {
            linker: &mut self.linker,
            module,
            name,
        };
        typed::wrap(define, typed_host(f.clone())).map_err(|e| define_error(module, name, e))?;
        let make = move |s: &mut wasmi::Store<StoreData<T>>| typed::wrap(s, typed_host(f.clone()));
        self.hosts
            .insert((module.into(), name.into()), Arc::new(make));
        Ok(())
    }

    fn func_new<F: UntypedHostFunc<Wasmi, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        let native = func_type(&ty)?;
        self.define_native(module, name, native, untyped_host(ty, Shared(Arc::new(f))))
    }

    fn get(&self, store: &mut WasmiStore<T>, module: &str, name: &str) -> Option<Extern<Wasmi>> {
        let id = store.0.store.data().store_id();
        if let Some(item) = self.linker.get(&store.0.store, module, name) {
            return Some(from_extern(item, id));
        }
        let make = self.hosts.get(&(module.to_string(), name.to_string()))?;
        Some(Extern::Func(Func::from_native(
            make(&mut store.0.store),
            id,
        )))
    }

    fn instantiate(
        &self,
        store: &mut WasmiStore<T>,
        module: &wasmi::Module,
    ) -> Result<wasmi::Instance> {
        // As in `ContextBackend::instantiate`: wasmi would accept a module of
        // another engine and panic on first use.
        if !wasmi::Engine::same(module.engine(), store.0.store.engine()) {
            return Err(Error::WrongStore);
        }
        let linker = &self.linker;
        let r = slicing::unsliced(store.cx_mut(), true, |cx| {
            linker.instantiate_and_start(cx, module)
        });
        store.limited(r)
    }

    fn instantiate_pre(&self, module: &wasmi::Module) -> Result<WasmiInstancePre<T>> {
        if !wasmi::Engine::same(module.engine(), self.linker.engine()) {
            return Err(Error::WrongStore);
        }
        Ok(WasmiInstancePre {
            linker: Arc::new(self.linker.clone()),
            module: module.clone(),
        })
    }

    fn allow_shadowing(&mut self, allow: bool) {
        self.linker.allow_shadowing(allow);
    }
    fn func_new_async<F: wasm_run_api::AsyncHostFunc<Wasmi, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()>
    where
        T: Send,
    {
        self.new_async(module, name, ty, f)
    }
}

/// A module ready to instantiate (see [`wasm_run_api::InstancePre`]). wasmi
/// has no store-independent pre-instantiation (its `InstancePre` belongs to
/// one store), so this keeps a snapshot of the linker's definitions and
/// resolves the module's imports against it at each instantiation; the API's
/// `Linker::instantiate_pre` has checked beforehand that every import is
/// defined.
pub struct WasmiInstancePre<T: 'static> {
    linker: Arc<wasmi::Linker<StoreData<T>>>,
    module: wasmi::Module,
}

impl<T: 'static> Clone for WasmiInstancePre<T> {
    fn clone(&self) -> Self {
        WasmiInstancePre {
            linker: self.linker.clone(),
            module: self.module.clone(),
        }
    }
}

impl<T: 'static> InstancePreBackend<Wasmi, T> for WasmiInstancePre<T> {
    fn instantiate(&self, store: &mut WasmiStore<T>) -> Result<wasmi::Instance> {
        if !wasmi::Engine::same(self.module.engine(), store.0.store.engine()) {
            return Err(Error::WrongStore);
        }
        let (linker, module) = (&self.linker, &self.module);
        let r = slicing::unsliced(store.cx_mut(), true, |cx| {
            linker.instantiate_and_start(cx, module)
        });
        store.limited(r)
    }
}
