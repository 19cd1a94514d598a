//! The [tinywasm](https://docs.rs/tinywasm) backend of wasm-run (a small
//! pure-Rust interpreter), in the facade behind its `tinywasm` feature.
//!
//! ```
//! use wasm_run_api::{Config, Engine, Linker, Module, Store};
//! use wasm_run_tinywasm::Tinywasm;
//!
//! let engine = Tinywasm::new(&Config::new())?;
//! let module = Module::new(&engine, r#"(module (func (export "answer") (result i32) i32.const 42))"#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let answer = instance.get_typed_func::<(), i32>(&mut store, "answer")?;
//! assert_eq!(answer.call(&mut store, ())?, 42);
//! # Ok::<(), wasm_run_api::Error>(())
//! ```
//!
//! What differs from the other backends (each answer is typed):
//! - tinywasm's own stores are not `Send` (they keep instances behind
//!   `Rc`); this backend's are, when the host data is: every `Rc` a store
//!   holds is owned by that store alone (see `StoreParts`).
//! - Fuel is counted in slices of tinywasm's own instructions, from
//!   [`FUEL_SLICE`] units doubling up to [`FUEL_SLICE_MAX`]: a call is
//!   charged whole slices (tinywasm does not tell what is left of the last
//!   one), so a short call costs at least one slice and a long one at most
//!   twice what it used. Calls a host function makes back into wasm run
//!   without fuel. There is no resumable fuel: a paused tinywasm call
//!   borrows its store, as wasmtime's does.
//! - A function reference that reaches the host from a table or a call, for
//!   a function the host has not seen exported, cannot be called by the
//!   host (tinywasm has no way to turn a reference into a function), and a
//!   host function cannot be passed to wasm as a reference value:
//!   both answer `Unsupported`.
//! - Deadlines and interrupts are looked at between slices of a call (of
//!   fuel, or [`WATCH_SLICE`] instructions when fuel is off), as on wasmi.
//!   Calls a host function makes back into wasm are not sliced: a deadline
//!   or an interrupt stops them when they return.
//! - The resource limiter (`Store::set_limiter`) is asked for memories
//!   (every growth) and for the tables the host makes or grows and that
//!   instantiations define; a `table.grow` in wasm asks no one (tinywasm
//!   does not tell), so only tinywasm's own cap of 10 million elements
//!   bounds it. For the same reason fixed `Limits` other than the default
//!   (or none) are `Unsupported`. A failure the policy reports stops the
//!   call at the end of the running slice (as a deadline does); until
//!   then the guest sees `memory.grow` return -1.
//! - Module serialisation is tinywasm's archive format (`twasm`) inside
//!   wasm-run's checked envelope. tinywasm does not validate an archive it
//!   loads (a malformed one may panic or misbehave); the envelope's checksum
//!   and fingerprint reject every accident, and `Module::deserialize` is
//!   `unsafe` for the rest, as on wasmtime (whose archives hold machine
//!   code).
//! - No threads, exceptions, GC or typed function references:
//!   `Unsupported`.

#![warn(missing_docs)]

mod convert;
mod limits;
mod linker;
mod memory;
mod store;

pub use linker::{TinywasmInstancePre, TinywasmLinker};
pub use store::{CallerParts, Parts, State, StoreParts, TinywasmContext, TinywasmState};

use wasm_run_api::backend::{Engine, Never};
use wasm_run_api::{Config, Error, Feature, Result, Support};

/// The fuel units given to tinywasm in the first slice of a call; each
/// further slice is twice as large, up to [`FUEL_SLICE_MAX`] (see the crate
/// docs).
pub const FUEL_SLICE: u64 = 128;

/// The largest fuel slice.
pub const FUEL_SLICE_MAX: u64 = 1 << 20;

/// The slice of tinywasm instructions between two looks at a deadline or
/// an interrupt when fuel is off.
pub const WATCH_SLICE: u32 = 1 << 16;

/// The tinywasm engine, configured.
#[derive(Clone)]
pub struct Tinywasm {
    engine: tinywasm::Engine,
    /// Identifies this engine's modules (tinywasm's are engine-free).
    id: u64,
    /// Configuration, features, and the waker that identifies this engine's
    /// interrupt handles (nothing to wake: running code is checked between
    /// slices).
    base: wasm_run_api::backend::EngineBase,
}

impl std::fmt::Debug for Tinywasm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tinywasm")
            .field("features", &self.base.features())
            .finish_non_exhaustive()
    }
}

// WASI comes from wasm-run's implementation.
#[cfg(feature = "wasi")]
wasm_run_wasi::no_engine_wasi!(Tinywasm);

/// What tinywasm 0.10 can do.
pub fn support(feature: Feature) -> Support {
    use Feature::*;
    match feature {
        MultiValue | BulkMemory | ReferenceTypes | MutableGlobal | SaturatingFloatToInt
        | SignExtension | ExtendedConst | Floats | Simd | RelaxedSimd | MultiMemory | Memory64
        | TailCall => Support::Default,
        CustomPageSizes | WideArithmetic | Fuel | Deadline | Interrupt => Support::OptIn,
        TypeReflection | CallDepthLimit | Execution => Support::Default,
        // tinywasm's own archive format (`twasm`), inside the API's checked
        // envelope.
        ModuleSerialization => Support::Default,
        _ => Support::Unsupported,
    }
}

/// A compiled module, and the engine that compiled it.
#[derive(Clone)]
pub struct TinywasmModule {
    native: tinywasm::Module,
    engine: u64,
}

impl TinywasmModule {
    /// The native tinywasm module.
    pub fn as_native(&self) -> &tinywasm::Module {
        &self.native
    }
}

/// A function handle: an index into its store's functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TinywasmFunc(pub(crate) u32);

/// An instance handle: an index into its store's instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TinywasmInstance(pub(crate) u32);

/// An external reference: an index into its store's host values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TinywasmExternRef(pub(crate) u32);

impl Tinywasm {
    /// The native tinywasm engine.
    pub fn as_native(&self) -> &tinywasm::Engine {
        &self.engine
    }
}

impl Engine for Tinywasm {
    type Module = TinywasmModule;
    type Store<T: 'static> = TinywasmContext<StoreParts<T>>;
    type Caller<'a, T: 'static> = TinywasmContext<CallerParts<'a, T>>;
    type Linker<T: 'static> = TinywasmLinker<T>;
    type InstancePre<T: 'static> = TinywasmInstancePre<T>;
    type Instance = TinywasmInstance;
    type Func = TinywasmFunc;
    type Memory = tinywasm::Memory;
    type Table = tinywasm::Table;
    type Global = tinywasm::Global;
    type ExternRef = TinywasmExternRef;
    type Tag = Never;
    type AnyRef = Never;
    type ExnRef = Never;
    type SharedMemory = Never;
    type PausedCall = Never;

    const NAME: &'static str = "tinywasm";

    fn new(config: &Config) -> Result<Self> {
        let features = config.resolve(Self::NAME, support)?;
        // Only the default limits and none at all: tinywasm grows tables
        // in wasm without asking (see `limits`), so a table limit cannot
        // be kept, and `Feature::Limits` is measured as a whole.
        let limits = config.resource_limits();
        if *limits != wasm_run_api::Limits::default() && *limits != wasm_run_api::Limits::NONE {
            return Err(Error::unsupported(Feature::Limits, Self::NAME));
        }
        if config.pooling_bounds().is_some() {
            return Err(Error::unsupported(Feature::PoolingAllocation, Self::NAME));
        }
        let frames = config
            .max_call_depth_frames()
            .unwrap_or(Config::DEFAULT_MAX_CALL_DEPTH)
            .max(1);
        let native = tinywasm::engine::Config::new()
            .with_call_stack(tinywasm::StackConfig::dynamic(frames.min(64), frames))
            .with_memory_backend(memory::backend());
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Ok(Tinywasm {
            engine: tinywasm::Engine::new(native),
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            base: wasm_run_api::backend::EngineBase::new(config, features),
        })
    }

    fn version(&self) -> &'static str {
        "0.10.0"
    }

    fn support(&self, feature: Feature) -> Support {
        support(feature)
    }

    fn base(&self) -> &wasm_run_api::backend::EngineBase {
        &self.base
    }

    fn compile(&self, wasm: &[u8]) -> Result<Self::Module> {
        // tinywasm validates with a fixed set of proposals: refuse what
        // this engine's configuration leaves out first.
        wasm_run_api::backend::validate_for(wasm, self.features())?;
        let options = tinywasm::parser::ParserOptions::default()
            // Memories made on first use would call the memory factory at
            // a time the store cannot see (and panic if it fails).
            .with_local_memory_allocation_optimization(false);
        let native = tinywasm::parser::Parser::with_options(options)
            .parse_module_bytes(wasm)
            .map_err(|e| Error::Compile {
                message: e.to_string(),
                offset: None,
            })?;
        Ok(TinywasmModule {
            native,
            engine: self.id,
        })
    }

    fn validate(&self, wasm: &[u8]) -> Result<()> {
        self.compile(wasm).map(drop)
    }

    fn serialize(&self, module: &TinywasmModule) -> Result<Vec<u8>> {
        module
            .native
            .serialize_twasm()
            .map_err(|e| Error::engine(format!("tinywasm could not archive the module: {e}")))
    }

    /// tinywasm checks an archive's header and decoding only, not what it
    /// decodes (a malformed archive may panic in tinywasm, or make a module
    /// that misbehaves when run). The API's envelope has made sure these
    /// bytes are what `serialize` produced with this engine's version and
    /// configuration (checksum and fingerprint); a panic is caught anyway.
    unsafe fn deserialize(&self, bytes: &[u8]) -> Result<TinywasmModule> {
        let native = wasm_run_api::backend::guard(|| {
            tinywasm::Module::try_from_twasm(bytes)
                .map_err(|e| Error::engine(format!("tinywasm could not load the archive: {e}")))
        })?;
        Ok(TinywasmModule {
            native,
            engine: self.id,
        })
    }

    fn store<T: 'static>(&self, data: T) -> Self::Store<T> {
        TinywasmContext::new_store(self, data)
    }

    fn linker<T: 'static>(&self) -> Self::Linker<T> {
        TinywasmLinker::new()
    }
}
