//! The [wasmtime](https://docs.rs/wasmtime) backend of wasm-run (Cranelift JIT).
//!
//! [`Wasmtime`] implements [`wasm_run_api::Engine`]; use it directly for a
//! statically dispatched program, or through the facade's `AnyEngine`.
//!
//! ```
//! use wasm_run_api::{Config, Engine, Module, Store, Linker};
//! use wasm_run_wasmtime::Wasmtime;
//!
//! let engine = Wasmtime::new(&Config::new())?;
//! let module = Module::new(&engine, r#"(module (func (export "answer") (result i32) i32.const 42))"#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let answer = instance.get_typed_func::<(), i32>(&mut store, "answer")?;
//! assert_eq!(answer.call(&mut store, ())?, 42);
//! # Ok::<(), wasm_run_api::Error>(())
//! ```
//!
//! Notes on behaviour specific to this backend:
//! - One unit of fuel is (about) one WebAssembly instruction; `nop`, `drop`,
//!   `block` and `loop` are free.
//! - `externref` values are rooted in the store for the store's lifetime.
//! - Component-model modules are not supported by wasm-run (core modules only).

#![warn(missing_docs)]

// engine and configuration here; by concern beside it:
mod asyncs; // async calls and host functions
mod context; // stores and callers
mod convert; // types, values and errors
mod features; // what wasmtime supports, and its configuration
mod host; // host functions
mod limits; // the resource limiter
mod linker; // linker and pre-instantiation
mod raw; // raw values of typed calls
mod refs; // GC references and exception tags
mod shared; // shared memories
mod stack; // the native-stack check
mod ticker; // the epoch ticker of deadlines

pub use context::*;
pub use features::support;
use features::wasm_features;
use host::{numeric, typed_host, untyped_host, untyped_host_raw};
pub use linker::*;
pub use shared::*;

use convert::*;
use limits::Limiter;
use raw::Raw;
use smallvec::SmallVec;
use std::any::Any;
use std::mem::MaybeUninit;
use std::sync::Arc;
use ticker::Ticker;
use wasm_run_api::backend::{
    CallerBackend, ContextBackend, Engine, EngineBase, GcRefsBackend, HostRef, InstancePreBackend,
    LinkerBackend, Never, SharedMemoryBackend, StoreBackend, TagsBackend, ValBuf, Watch,
    call_untyped, convert_call, default_results,
};
use wasm_run_api::{
    Caller, Config, Error, Extern, Feature, Func, FuncType, Global, GlobalType, HostFunc,
    InterruptHandle, LinkError, Memory, MemoryType, Result, SharedMemory, StoreId, Support, Table,
    TableType, Tag, UntypedHostFunc, Val, WaitResult, WasmTyList,
};
use wasmtime as wt;

/// The wasmtime engine, configured.
#[derive(Clone)]
pub struct Wasmtime {
    engine: wt::Engine,
    /// Configuration, features, and the waker of interrupt handles (it
    /// bumps the epoch when deadlines or interrupts are on).
    base: EngineBase,
    /// Present when deadlines or interrupts are enabled.
    stops: Option<EngineStops>,
    /// Native stack a call from the host needs (see `stack`).
    stack_needed: usize,
    func_types: FuncTypes,
}

/// The per-engine parts of deadlines and interrupts.
#[derive(Clone)]
struct EngineStops {
    ticker: Arc<Ticker>,
}

impl std::fmt::Debug for Wasmtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wasmtime")
            .field("features", &self.base.features())
            .finish_non_exhaustive()
    }
}

impl Wasmtime {
    /// The native wasmtime engine.
    pub fn as_native(&self) -> &wt::Engine {
        &self.engine
    }
}

impl Engine for Wasmtime {
    type Module = wt::Module;
    type Store<T: 'static> = WasmtimeStore<T>;
    type Caller<'a, T: 'static> = WasmtimeCaller<'a, T>;
    type Linker<T: 'static> = WasmtimeLinker<T>;
    type InstancePre<T: 'static> = WasmtimeInstancePre<T>;
    type Instance = wt::Instance;
    type Func = wt::Func;
    type Memory = wt::Memory;
    type Table = wt::Table;
    type Global = wt::Global;
    type ExternRef = wt::Rooted<wt::ExternRef>;
    type Tag = wt::Tag;
    type AnyRef = wt::Rooted<wt::AnyRef>;
    type ExnRef = wt::Rooted<wt::ExnRef>;
    type SharedMemory = WasmtimeSharedMemory;
    type PausedCall = Never;

    fn new(config: &Config) -> Result<Self> {
        let features = config.resolve("wasmtime", support)?;
        let mut native = wt::Config::new();
        for &feature in Feature::ALL {
            if let Some(flag) = wasm_features(feature) {
                native.wasm_features(flag, features.contains(feature));
            }
        }
        // Modules that define shared memories need this on top of validation.
        native.shared_memory(features.contains(Feature::Threads));
        native.consume_fuel(features.contains(Feature::Fuel));
        let watched = features.contains(Feature::Deadline) || features.contains(Feature::Interrupt);
        native.epoch_interruption(watched);
        // Deterministic floats: canonical NaNs, and relaxed SIMD with the
        // same results on every machine.
        let deterministic = features.contains(Feature::NanCanonicalization);
        native.cranelift_nan_canonicalization(deterministic);
        native.relaxed_simd_deterministic(deterministic);
        features::component_model(&mut native, config);
        if let Some(bytes) = config.max_wasm_stack_bytes() {
            native.max_wasm_stack(bytes);
            // wasmtime refuses a wasm stack larger than the fibers of async
            // calls; give those room for the wasm stack plus host frames.
            native.async_stack_size(bytes.saturating_add(1 << 20).max(2 << 20));
        }
        if features.contains(Feature::PoolingAllocation) {
            let p = config.pooling_bounds().copied().unwrap_or_default();
            let mut pool = wt::PoolingAllocationConfig::default();
            pool.total_core_instances(p.total_instances)
                .total_memories(p.total_memories)
                .total_tables(p.total_tables)
                .max_memory_size(p.max_memory_bytes)
                .table_elements(p.max_table_elements);
            native.allocation_strategy(wt::InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = wt::Engine::new(&native).map_err(error)?;
        let mut base = EngineBase::new(config, features);
        let stops = watched.then(|| {
            let weak = engine.weak();
            base = base.clone().with_waker(Arc::new(move || {
                if let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                }
            }));
            EngineStops {
                ticker: Arc::new(Ticker::new(&engine)),
            }
        });
        Ok(Wasmtime {
            engine,
            base,
            stops,
            stack_needed: stack::needed(config.max_wasm_stack_bytes()),
            func_types: FuncTypes::default(),
        })
    }

    const NAME: &'static str = "wasmtime";

    fn version(&self) -> &'static str {
        "48.0"
    }

    fn support(&self, feature: Feature) -> Support {
        support(feature)
    }

    fn base(&self) -> &EngineBase {
        &self.base
    }

    fn checks_import_types(&self) -> bool {
        true // wasmtime's `Instance::new` type-checks every import first
    }

    fn module_export_key(
        &self,
        module: &wt::Module,
        name: &str,
    ) -> Option<Box<dyn std::any::Any + Send + Sync>> {
        module
            .get_export_index(name)
            .map(|e| Box::new(e) as Box<dyn std::any::Any + Send + Sync>)
    }
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module> {
        wt::Module::from_binary(&self.engine, wasm).map_err(compile_error)
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        wt::Module::validate(&self.engine, wasm).map_err(compile_error)
    }

    fn store<T: 'static>(&self, data: T) -> Self::Store<T> {
        let limits = Limiter::new(self.config().resource_limits());
        let mut store = wt::Store::new(
            &self.engine,
            StoreData::new(
                data,
                WasmtimeState {
                    limits,
                    stack_needed: self.stack_needed,
                    func_types: self.func_types.clone(),
                    asyncs: Default::default(),
                    stops: self.stops.as_ref().map(|s| StoreStops {
                        watch: Watch::new(
                            InterruptHandle::with_waker(self.base.waker().clone()),
                            self.features(),
                        ),
                        ticker: s.ticker.clone(),
                        yields: Default::default(),
                    }),
                },
            ),
        );
        store.limiter(|d| &mut d.limits);
        if self.stops.is_some() {
            // Every epoch change makes running wasm ask the watch whether to
            // stop; otherwise it continues until the next change.
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(|mut cx| match &mut cx.data_mut().stops {
                Some(stops) => match stops.watch.check() {
                    Ok(()) => Ok(asyncs::after_epoch(stops)),
                    Err(stop) => Err(host_error(stop)),
                },
                None => Ok(wt::UpdateDeadline::Continue(1)),
            });
        }
        WasmtimeContext(NativeStore { store })
    }

    fn linker<T: 'static>(&self) -> Self::Linker<T> {
        WasmtimeLinker {
            linker: wt::Linker::new(&self.engine),
            engine: self.engine.clone(),
            has_async: false,
        }
    }

    fn serialize(&self, module: &wt::Module) -> Result<Vec<u8>> {
        module.serialize().map_err(error)
    }

    unsafe fn deserialize(&self, bytes: &[u8]) -> Result<wt::Module> {
        // SAFETY: the trait's contract, passed on: the bytes come from
        // `wt::Module::serialize` of an engine with this configuration.
        // wasmtime checks its own version and settings again and answers a
        // mismatch with an error.
        unsafe { wt::Module::deserialize(&self.engine, bytes) }
            .map_err(|e| Error::Deserialize(format!("{e:#}")))
    }

    fn shared_memory_new(&self, ty: MemoryType) -> Result<WasmtimeSharedMemory> {
        if !self.features().contains(Feature::Threads) {
            return Err(Error::unsupported(Feature::Threads, Wasmtime::NAME));
        }
        wt::SharedMemory::new(&self.engine, memory_type(&ty)?)
            .map(WasmtimeSharedMemory)
            .map_err(error)
    }
}

fn compile_error(e: wt::Error) -> Error {
    Error::Compile {
        message: format!("{e:#}"),
        offset: None,
    }
}
