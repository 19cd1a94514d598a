//! Conversions between wasm-run's types and tinywasm's.

use tinywasm::types::{FuncType as TwFuncType, WasmType};
use wasm_run_api::{
    Error, FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType, Result, TableType,
    ValType,
};

/// tinywasm's type of `t`.
///
/// # Errors
///
/// [`Error::Unsupported`] for a reference type other than `funcref` and
/// `externref` (tinywasm has no GC or typed function references).
pub(crate) fn val_type(t: &ValType) -> Result<WasmType> {
    Ok(match t {
        ValType::I32 => WasmType::I32,
        ValType::I64 => WasmType::I64,
        ValType::F32 => WasmType::F32,
        ValType::F64 => WasmType::F64,
        ValType::V128 => WasmType::V128,
        ValType::Ref(RefType {
            nullable: true,
            heap: HeapType::Func,
        }) => WasmType::RefFunc,
        ValType::Ref(RefType {
            nullable: true,
            heap: HeapType::Extern,
        }) => WasmType::RefExtern,
        ValType::Ref(_) => {
            return Err(Error::unsupported(
                wasm_run_api::Feature::FunctionReferences,
                "tinywasm",
            ));
        }
    })
}

/// wasm-run's type of `t`.
pub(crate) fn from_val_type(t: WasmType) -> ValType {
    match t {
        WasmType::I32 => ValType::I32,
        WasmType::I64 => ValType::I64,
        WasmType::F32 => ValType::F32,
        WasmType::F64 => ValType::F64,
        WasmType::V128 => ValType::V128,
        WasmType::RefFunc => ValType::Ref(RefType {
            nullable: true,
            heap: HeapType::Func,
        }),
        WasmType::RefExtern => ValType::Ref(RefType {
            nullable: true,
            heap: HeapType::Extern,
        }),
    }
}

pub(crate) fn func_type(t: &FuncType) -> Result<TwFuncType> {
    let params = t
        .params()
        .iter()
        .map(val_type)
        .collect::<Result<Vec<_>>>()?;
    let results = t
        .results()
        .iter()
        .map(val_type)
        .collect::<Result<Vec<_>>>()?;
    Ok(TwFuncType::new(&params, &results))
}

pub(crate) fn from_func_type(t: &TwFuncType) -> FuncType {
    FuncType::new(
        t.params().iter().map(|v| from_val_type(*v)),
        t.results().iter().map(|v| from_val_type(*v)),
    )
}

pub(crate) fn memory_type(t: &MemoryType) -> Result<tinywasm::types::MemoryType> {
    if t.shared {
        return Err(Error::Type(
            "a shared memory type (SharedMemory::new makes those)".into(),
        ));
    }
    if t.maximum.is_some_and(|max| max < t.minimum) {
        return Err(Error::Type(format!(
            "a memory type with minimum {} above its maximum",
            t.minimum
        )));
    }
    let arch = if t.memory64 {
        tinywasm::types::MemoryArch::I64
    } else {
        tinywasm::types::MemoryArch::I32
    };
    Ok(tinywasm::types::MemoryType::new(
        arch,
        t.minimum,
        t.maximum,
        Some(1u64 << t.page_size_log2),
    ))
}

pub(crate) fn from_memory_type(
    t: &tinywasm::types::MemoryType,
    maximum: Option<u64>,
) -> MemoryType {
    MemoryType {
        minimum: t.page_count_initial(),
        maximum,
        shared: false,
        memory64: t.arch() == tinywasm::types::MemoryArch::I64,
        page_size_log2: t.page_size().trailing_zeros() as u8,
    }
}

pub(crate) fn table_type(t: &TableType) -> Result<tinywasm::types::TableType> {
    let element = val_type(&ValType::Ref(t.element))?;
    Ok(if t.table64 {
        tinywasm::types::TableType::new64(element, t.minimum, t.maximum)
    } else {
        tinywasm::types::TableType::new(element, t.minimum, t.maximum)
    })
}

pub(crate) fn from_table_type(t: &tinywasm::types::TableType) -> TableType {
    let ValType::Ref(element) = from_val_type(t.element_type) else {
        unreachable!("a table of references")
    };
    TableType {
        element,
        minimum: t.size_initial,
        maximum: t.size_max,
        table64: t.arch() == tinywasm::types::MemoryArch::I64,
    }
}

pub(crate) fn global_type(t: &GlobalType) -> Result<tinywasm::types::GlobalType> {
    Ok(tinywasm::types::GlobalType::new(
        val_type(&t.content)?,
        t.mutability == Mutability::Var,
    ))
}

pub(crate) fn from_global_type(t: &tinywasm::types::GlobalType) -> GlobalType {
    GlobalType::new(
        from_val_type(t.ty),
        if t.mutable {
            Mutability::Var
        } else {
            Mutability::Const
        },
    )
}

/// wasm-run's error for a tinywasm error.
pub(crate) fn error(e: tinywasm::Error) -> Error {
    use tinywasm::{Error as E, Trap};
    use wasm_run_api::TrapCode as C;
    match e {
        // A host function's error, boxed once more by each host function
        // it passed through on its way out.
        E::Trap(Trap::HostFunction(inner)) => match inner.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(other) => match other.downcast::<tinywasm::Error>() {
                Ok(wrapped) => error(*wrapped),
                Err(other) => Error::Host(other),
            },
        },
        E::Trap(Trap::OutOfMemory) => Error::ResourceLimit("out of memory".into()),
        E::Trap(t) => {
            let code = match &t {
                Trap::Unreachable => C::Unreachable,
                Trap::MemoryOutOfBounds { .. } => C::MemoryOutOfBounds,
                Trap::TableOutOfBounds { .. } | Trap::UndefinedElement { .. } => {
                    C::TableOutOfBounds
                }
                Trap::DivisionByZero => C::IntegerDivisionByZero,
                Trap::InvalidConversionToInt => C::BadConversionToInteger,
                Trap::IntegerOverflow => C::IntegerOverflow,
                Trap::CallStackOverflow | Trap::ValueStackOverflow => C::StackOverflow,
                Trap::UninitializedElement { .. } => C::IndirectCallToNull,
                Trap::IndirectCallTypeMismatch { .. } => C::BadSignature,
                _ => C::Other,
            };
            Error::trap(code, t.to_string())
        }
        E::Linker(l) => wasm_run_api::LinkError::Other(l.to_string()).into(),
        E::Parser(p) => Error::Compile {
            message: p.to_string(),
            offset: None,
        },
        other => Error::Engine(wasm_run_api::EngineError::with_source(
            other.to_string(),
            other,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine error no other kind describes keeps tinywasm's error as
    /// its `source()`.
    #[test]
    fn engine_errors_keep_the_engine_error_as_source() {
        let e = error(tinywasm::Error::Other("the root cause".into()));
        assert!(matches!(e, Error::Engine(_)), "{e:?}");
        let source = std::error::Error::source(&e).expect("tinywasm's error");
        assert!(source.downcast_ref::<tinywasm::Error>().is_some());
    }
}
