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

// engine and configuration here; by concern beside it:
mod asyncs; // async calls and host functions (resumable calls)
mod context; // stores and callers
mod convert; // types, values and errors
mod host; // host functions
mod limits; // the resource limiter
mod linker; // linker and pre-instantiation
mod refs; // the guard against unresolvable funcrefs (a wasmi bug)
pub mod slicing; // fuel slices for deadlines and interrupts
mod typed; // typed calls

pub use context::*;
use host::*;
pub use linker::*;

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
        Limits | TypeReflection | Async | CallDepthLimit | LazyValidation | Execution => {
            Support::Default
        }
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
