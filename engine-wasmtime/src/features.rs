//! What this backend supports, and wasm-run's features as wasmtime's.

use wasm_run_api::{Config, Feature, Support};
use wasmtime as wt;

/// What wasmtime 48 (with the cargo features we build it with) can do.
pub fn support(feature: Feature) -> Support {
    use Feature::*;
    match feature {
        MultiValue | BulkMemory | ReferenceTypes | MutableGlobal | SaturatingFloatToInt
        | SignExtension | ExtendedConst | Floats | Simd | RelaxedSimd | Threads | MultiMemory
        | Memory64 | TailCall | Exceptions | Gc | FunctionReferences => Support::Default,
        CustomPageSizes | WideArithmetic | Fuel | Deadline | Interrupt | NanCanonicalization
        | PoolingAllocation => Support::OptIn,
        Limits | TypeReflection | SharedMemoryParallel | ModuleSerialization | Async
        | Execution => Support::Default,
        // WASI preview 1 is provided on top of this backend by wasm-run-wasi.
        WasiP1 => Support::Default,
        // Not (yet) exposed through wasm-run's API, although wasmtime itself
        // has them: component model, WASI (comes with the wasi-host crate),
        // and module serialisation. Claiming
        // them before the API can use them would be dishonest.
        _ => Support::Unsupported,
    }
}

pub(crate) fn wasm_features(feature: Feature) -> Option<wt::WasmFeatures> {
    use Feature::*;
    use wt::WasmFeatures as W;
    Some(match feature {
        MultiValue => W::MULTI_VALUE,
        BulkMemory => W::BULK_MEMORY,
        ReferenceTypes => W::REFERENCE_TYPES,
        MutableGlobal => W::MUTABLE_GLOBAL,
        SaturatingFloatToInt => W::SATURATING_FLOAT_TO_INT,
        SignExtension => W::SIGN_EXTENSION,
        ExtendedConst => W::EXTENDED_CONST,
        Floats => W::FLOATS,
        Simd => W::SIMD,
        RelaxedSimd => W::RELAXED_SIMD,
        Threads => W::THREADS,
        MultiMemory => W::MULTI_MEMORY,
        Memory64 => W::MEMORY64,
        TailCall => W::TAIL_CALL,
        Exceptions => W::EXCEPTIONS,
        Gc => W::GC,
        FunctionReferences => W::FUNCTION_REFERENCES,
        CustomPageSizes => W::CUSTOM_PAGE_SIZES,
        WideArithmetic => W::WIDE_ARITHMETIC,
        _ => return None,
    })
}

/// wasm-run validates components before wasmtime does; wasmtime's own
/// component model (`Config::native_components`) accepts what wasm-run's
/// validator accepts: `implements` names as configured, maps and
/// fixed-length lists always. (Not 64-bit memories in canonical options:
/// wasmtime 48's calls between the host and a component read 32-bit
/// pointers there, its issue #4311.)
pub(crate) fn component_model(native: &mut wt::Config, config: &Config) {
    #[cfg(feature = "component-model")]
    native
        .wasm_component_model_implements(config.component_model_implements_enabled())
        .wasm_component_model_map(true)
        .wasm_component_model_fixed_length_lists(true);
    #[cfg(not(feature = "component-model"))]
    let _ = (native, config);
}
