//! Conversions between the engine-neutral vocabulary and wasmi's.

use crate::Wasmi;
use wasm_run_api::{
    Error, ExternRef, Func, FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType,
    StoreId, TableType, TrapCode, V128, Val, ValType,
};

pub(crate) fn unsupported_type(t: &ValType) -> Error {
    let feature = match t {
        ValType::Ref(_) => wasm_run_api::Feature::Gc,
        _ => wasm_run_api::Feature::Simd,
    };
    Error::Unsupported {
        feature,
        engine: "wasmi",
    }
}

pub(crate) fn val_type(t: &ValType) -> Result<wasmi::ValType, Error> {
    Ok(match t {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
        ValType::F32 => wasmi::ValType::F32,
        ValType::F64 => wasmi::ValType::F64,
        ValType::V128 => wasmi::ValType::V128,
        ValType::Ref(r) => match ref_type(r) {
            Some(wasmi::RefType::Func) => wasmi::ValType::FuncRef,
            Some(wasmi::RefType::Extern) => wasmi::ValType::ExternRef,
            None => return Err(unsupported_type(t)),
        },
    })
}

/// wasmi knows nullable `funcref` and `externref` only.
pub(crate) fn ref_type(r: &RefType) -> Option<wasmi::RefType> {
    match (r.nullable, r.heap) {
        (true, HeapType::Func) => Some(wasmi::RefType::Func),
        (true, HeapType::Extern) => Some(wasmi::RefType::Extern),
        _ => None,
    }
}

pub(crate) fn from_ref_type(r: wasmi::RefType) -> RefType {
    match r {
        wasmi::RefType::Func => RefType {
            nullable: true,
            heap: HeapType::Func,
        },
        wasmi::RefType::Extern => RefType {
            nullable: true,
            heap: HeapType::Extern,
        },
    }
}

pub(crate) fn from_val_type(t: &wasmi::ValType) -> ValType {
    match t {
        wasmi::ValType::I32 => ValType::I32,
        wasmi::ValType::I64 => ValType::I64,
        wasmi::ValType::F32 => ValType::F32,
        wasmi::ValType::F64 => ValType::F64,
        wasmi::ValType::V128 => ValType::V128,
        wasmi::ValType::FuncRef => ValType::FUNCREF,
        wasmi::ValType::ExternRef => ValType::EXTERNREF,
    }
}

pub(crate) fn func_type(ty: &FuncType) -> Result<wasmi::FuncType, Error> {
    let params = ty
        .params()
        .iter()
        .map(val_type)
        .collect::<Result<Vec<_>, _>>()?;
    let results = ty
        .results()
        .iter()
        .map(val_type)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(wasmi::FuncType::new(params, results))
}

pub(crate) fn from_func_type(ty: &wasmi::FuncType) -> FuncType {
    FuncType::new(
        ty.params().iter().map(from_val_type),
        ty.results().iter().map(from_val_type),
    )
}

pub(crate) fn memory_type(ty: &MemoryType) -> Result<wasmi::MemoryType, Error> {
    if ty.shared {
        return Err(Error::unsupported(wasm_run_api::Feature::Threads, "wasmi"));
    }
    let mut b = wasmi::MemoryType::builder();
    b.min(ty.minimum)
        .max(ty.maximum)
        .memory64(ty.memory64)
        .page_size_log2(ty.page_size_log2);
    b.build()
        .map_err(|e| Error::Type(format!("invalid memory type {ty}: {e}")))
}

pub(crate) fn table_type(ty: &TableType) -> Result<wasmi::TableType, Error> {
    let element =
        ref_type(&ty.element).ok_or_else(|| unsupported_type(&ValType::Ref(ty.element)))?;
    Ok(if ty.table64 {
        wasmi::TableType::new64(element, ty.minimum, ty.maximum)
    } else {
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        wasmi::TableType::new(element, clamp(ty.minimum), ty.maximum.map(clamp))
    })
}

pub(crate) fn from_table_type(ty: &wasmi::TableType) -> TableType {
    TableType {
        element: from_ref_type(ty.element()),
        minimum: ty.minimum(),
        maximum: ty.maximum(),
        table64: ty.is_64(),
    }
}

pub(crate) fn mutability(m: Mutability) -> wasmi::Mutability {
    match m {
        Mutability::Const => wasmi::Mutability::Const,
        Mutability::Var => wasmi::Mutability::Var,
    }
}

pub(crate) fn from_global_type(ty: &wasmi::GlobalType) -> GlobalType {
    GlobalType {
        content: from_val_type(&ty.content()),
        mutability: match ty.mutability() {
            wasmi::Mutability::Const => Mutability::Const,
            wasmi::Mutability::Var => Mutability::Var,
        },
    }
}

fn nullable<T, U>(v: Option<T>, f: impl FnOnce(T) -> U) -> wasmi::Nullable<U> {
    match v {
        Some(x) => wasmi::Nullable::Val(f(x)),
        None => wasmi::Nullable::Null,
    }
}

fn option<T, U>(v: wasmi::Nullable<T>, f: impl FnOnce(T) -> U) -> Option<U> {
    match v {
        wasmi::Nullable::Val(x) => Some(f(x)),
        wasmi::Nullable::Null => None,
    }
}

pub(crate) fn val(v: &Val<Wasmi>) -> wasmi::Val {
    match *v {
        Val::I32(x) => wasmi::Val::I32(x),
        Val::I64(x) => wasmi::Val::I64(x),
        Val::F32(x) => wasmi::Val::F32(wasmi::F32::from_bits(x)),
        Val::F64(x) => wasmi::Val::F64(wasmi::F64::from_bits(x)),
        Val::V128(x) => wasmi::Val::V128(wasmi::V128::from(x.0)),
        Val::FuncRef(f) => wasmi::Val::FuncRef(nullable(f, |f| *f.as_native())),
        Val::ExternRef(r) => wasmi::Val::ExternRef(nullable(r, |r| *r.as_native())),
        // wasmi has no GC or exception references: only nulls can exist, and
        // no wasmi function accepts them, so wasmi's type check rejects them.
        Val::AnyRef(Some(r)) => match *r.as_native() {},
        Val::ExnRef(Some(r)) => match *r.as_native() {},
        Val::AnyRef(None) | Val::ExnRef(None) => wasmi::Val::FuncRef(wasmi::Nullable::Null),
    }
}

pub(crate) fn from_val(v: &wasmi::Val, id: StoreId) -> Val<Wasmi> {
    match v {
        wasmi::Val::I32(x) => Val::I32(*x),
        wasmi::Val::I64(x) => Val::I64(*x),
        wasmi::Val::F32(x) => Val::F32(x.to_bits()),
        wasmi::Val::F64(x) => Val::F64(x.to_bits()),
        wasmi::Val::V128(x) => Val::V128(V128(x.as_u128())),
        wasmi::Val::FuncRef(f) => Val::FuncRef(option(*f, |x| Func::from_native(x, id))),
        wasmi::Val::ExternRef(r) => Val::ExternRef(option(*r, |x| ExternRef::from_native(x, id))),
    }
}

pub(crate) fn to_ref(v: &Val<Wasmi>) -> Result<wasmi::Ref, Error> {
    match *v {
        Val::FuncRef(f) => Ok(wasmi::Ref::Func(nullable(f, |f| *f.as_native()))),
        Val::ExternRef(r) => Ok(wasmi::Ref::Extern(nullable(r, |r| *r.as_native()))),
        other => Err(Error::Type(format!("{} is not a reference", other.ty()))),
    }
}

pub(crate) fn from_ref(r: &wasmi::Ref, id: StoreId) -> Val<Wasmi> {
    match r {
        wasmi::Ref::Func(f) => Val::FuncRef(option(*f, |x| Func::from_native(x, id))),
        wasmi::Ref::Extern(r) => Val::ExternRef(option(*r, |x| ExternRef::from_native(x, id))),
    }
}

pub(crate) fn trap_code(t: wasmi::TrapCode) -> TrapCode {
    use wasmi::TrapCode as T;
    match t {
        T::UnreachableCodeReached => TrapCode::Unreachable,
        T::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
        T::TableOutOfBounds => TrapCode::TableOutOfBounds,
        T::IndirectCallToNull => TrapCode::IndirectCallToNull,
        T::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
        T::IntegerOverflow => TrapCode::IntegerOverflow,
        T::BadConversionToInteger => TrapCode::BadConversionToInteger,
        T::StackOverflow => TrapCode::StackOverflow,
        T::BadSignature => TrapCode::BadSignature,
        T::OutOfFuel => TrapCode::OutOfFuel,
        T::GrowthOperationLimited | T::OutOfSystemMemory => TrapCode::ResourceExhausted,
    }
}

/// Our errors travel through wasmi as a host error.
#[derive(Debug)]
pub(crate) struct Carried(pub(crate) Error);

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl wasmi::errors::HostError for Carried {}

pub(crate) fn host_error(e: Error) -> wasmi::Error {
    wasmi::Error::host(Carried(e))
}

/// Maps an error out of wasmi back to ours.
pub(crate) fn error(e: wasmi::Error) -> Error {
    if let Some(code) = e.as_trap_code() {
        return Error::trap(trap_code(code), e.to_string());
    }
    let text = e.to_string();
    match e.kind() {
        wasmi::errors::ErrorKind::Host(_) if crate::asyncs::is_pending(&e) => {
            wasm_run_api::backend::sync_call_of_async_host()
        }
        wasmi::errors::ErrorKind::Host(_) => match e.downcast::<Carried>() {
            Some(Carried(ours)) => ours,
            None => Error::engine(text),
        },
        wasmi::errors::ErrorKind::Linker(_) => Error::from(wasm_run_api::LinkError::Other(text)),
        wasmi::errors::ErrorKind::Instantiation(i) => instantiation_error(i, text),
        wasmi::errors::ErrorKind::Memory(_)
        | wasmi::errors::ErrorKind::Table(_)
        | wasmi::errors::ErrorKind::Global(_) => Error::Access(text),
        wasmi::errors::ErrorKind::Fuel(_) => {
            Error::unsupported(wasm_run_api::Feature::Fuel, "wasmi")
        }
        wasmi::errors::ErrorKind::Func(_) => Error::Type(text),
        _ => Error::Engine(wasm_run_api::EngineError::with_source(text, e)),
    }
}

/// wasmi's structured instantiation errors, by kind.
fn instantiation_error(e: &wasmi::errors::InstantiationError, text: String) -> Error {
    use wasmi::errors::{InstantiationError as I, MemoryError, TableError};
    match e {
        // Segments that do not fit trap at instantiation, as the spec says.
        I::ElementSegmentDoesNotFit { .. } => Error::trap(TrapCode::TableOutOfBounds, text),
        I::TooManyInstances
        | I::TooManyTables
        | I::TooManyMemories
        | I::FailedToInstantiateMemory(
            MemoryError::ResourceLimiterDeniedAllocation | MemoryError::OutOfSystemMemory,
        )
        | I::FailedToInstantiateTable(
            TableError::ResourceLimiterDeniedAllocation | TableError::OutOfSystemMemory,
        ) => Error::ResourceLimit(text),
        _ => Error::from(wasm_run_api::LinkError::Other(text)),
    }
}

/// Errors from compiling or validating.
pub(crate) fn compile_error(e: wasmi::Error) -> Error {
    Error::Compile {
        message: e.to_string(),
        offset: None,
    }
}
