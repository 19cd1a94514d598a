//! Conversions between the engine-neutral vocabulary and wasmtime's.

use crate::Wasmtime;
use std::sync::Arc;
use wasm_run_api::EngineError;
use wasm_run_api::{
    AnyRef, Error, ExnRef, ExternRef, Func, FuncType, GlobalType, HeapType, MemoryType, Mutability,
    RefType, StoreId, TableType, TrapCode, TrapFrame, TrapFrames, V128, Val, ValType,
};
use wasmtime as wt;

pub(crate) fn val_type(t: &ValType) -> wt::ValType {
    match t {
        ValType::I32 => wt::ValType::I32,
        ValType::I64 => wt::ValType::I64,
        ValType::F32 => wt::ValType::F32,
        ValType::F64 => wt::ValType::F64,
        ValType::V128 => wt::ValType::V128,
        ValType::Ref(r) => wt::ValType::Ref(ref_type(r)),
    }
}

pub(crate) fn ref_type(r: &RefType) -> wt::RefType {
    let heap = match r.heap {
        HeapType::Func | HeapType::Concrete(_) => wt::HeapType::Func,
        HeapType::Extern => wt::HeapType::Extern,
        HeapType::Any => wt::HeapType::Any,
        HeapType::Eq => wt::HeapType::Eq,
        HeapType::I31 => wt::HeapType::I31,
        HeapType::Struct => wt::HeapType::Struct,
        HeapType::Array => wt::HeapType::Array,
        HeapType::Exn => wt::HeapType::Exn,
        HeapType::None => wt::HeapType::None,
        HeapType::NoFunc => wt::HeapType::NoFunc,
        HeapType::NoExtern => wt::HeapType::NoExtern,
        HeapType::NoExn => wt::HeapType::NoExn,
        _ => wt::HeapType::Any,
    };
    wt::RefType::new(r.nullable, heap)
}

pub(crate) fn from_val_type(t: &wt::ValType) -> ValType {
    match t {
        wt::ValType::I32 => ValType::I32,
        wt::ValType::I64 => ValType::I64,
        wt::ValType::F32 => ValType::F32,
        wt::ValType::F64 => ValType::F64,
        wt::ValType::V128 => ValType::V128,
        wt::ValType::Ref(r) => ValType::Ref(from_ref_type(r)),
    }
}

pub(crate) fn from_ref_type(r: &wt::RefType) -> RefType {
    let heap = match r.heap_type() {
        wt::HeapType::Func => HeapType::Func,
        wt::HeapType::Extern => HeapType::Extern,
        wt::HeapType::NoExtern => HeapType::NoExtern,
        wt::HeapType::NoFunc => HeapType::NoFunc,
        wt::HeapType::Any => HeapType::Any,
        wt::HeapType::Eq => HeapType::Eq,
        wt::HeapType::I31 => HeapType::I31,
        wt::HeapType::Array | wt::HeapType::ConcreteArray(_) => HeapType::Array,
        wt::HeapType::Struct | wt::HeapType::ConcreteStruct(_) => HeapType::Struct,
        wt::HeapType::Exn | wt::HeapType::ConcreteExn(_) => HeapType::Exn,
        wt::HeapType::NoExn => HeapType::NoExn,
        wt::HeapType::None => HeapType::None,
        // Concrete function types have no module-relative index here.
        wt::HeapType::ConcreteFunc(_) => HeapType::Concrete(u32::MAX),
        _ => HeapType::Any,
    };
    RefType {
        nullable: r.is_nullable(),
        heap,
    }
}

pub(crate) fn func_type(engine: &wt::Engine, ty: &FuncType) -> wt::FuncType {
    wt::FuncType::new(
        engine,
        ty.params().iter().map(val_type),
        ty.results().iter().map(val_type),
    )
}

/// The engine's wasmtime function types by wasm-run type. Registering a
/// type with wasmtime costs a lock and a hash of its rec group, and hosts
/// make functions of the same few types over and over (a component's
/// lowered imports at every instantiation), so each is registered once.
#[derive(Clone, Default)]
pub(crate) struct FuncTypes(
    Arc<std::sync::Mutex<std::collections::HashMap<FuncType, wt::FuncType>>>,
);

impl FuncTypes {
    /// At most this many types are kept (others are registered each time).
    const MAX: usize = 4096;

    pub(crate) fn get(&self, engine: &wt::Engine, ty: &FuncType) -> wt::FuncType {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(native) = map.get(ty) {
            return native.clone();
        }
        let native = func_type(engine, ty);
        if map.len() < Self::MAX {
            map.insert(ty.clone(), native.clone());
        }
        native
    }
}

pub(crate) fn from_func_type(ty: &wt::FuncType) -> FuncType {
    FuncType::new(
        ty.params().map(|t| from_val_type(&t)),
        ty.results().map(|t| from_val_type(&t)),
    )
}

pub(crate) fn memory_type(ty: &MemoryType) -> Result<wt::MemoryType, Error> {
    wt::MemoryType::builder()
        .min(ty.minimum)
        .max(ty.maximum)
        .memory64(ty.memory64)
        .shared(ty.shared)
        .page_size_log2(ty.page_size_log2)
        .build()
        .map_err(|e| Error::Type(format!("invalid memory type {ty}: {e}")))
}

pub(crate) fn from_memory_type(ty: &wt::MemoryType) -> MemoryType {
    MemoryType {
        minimum: ty.minimum(),
        maximum: ty.maximum(),
        shared: ty.is_shared(),
        memory64: ty.is_64(),
        page_size_log2: ty.page_size_log2(),
    }
}

pub(crate) fn table_type(ty: &TableType) -> wt::TableType {
    if ty.table64 {
        wt::TableType::new64(ref_type(&ty.element), ty.minimum, ty.maximum)
    } else {
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        wt::TableType::new(
            ref_type(&ty.element),
            clamp(ty.minimum),
            ty.maximum.map(clamp),
        )
    }
}

pub(crate) fn from_table_type(ty: &wt::TableType) -> TableType {
    TableType {
        element: from_ref_type(ty.element()),
        minimum: ty.minimum(),
        maximum: ty.maximum(),
        table64: ty.is_64(),
    }
}

pub(crate) fn global_type(ty: &GlobalType) -> wt::GlobalType {
    wt::GlobalType::new(
        val_type(&ty.content),
        match ty.mutability {
            Mutability::Const => wt::Mutability::Const,
            Mutability::Var => wt::Mutability::Var,
        },
    )
}

pub(crate) fn from_global_type(ty: &wt::GlobalType) -> GlobalType {
    GlobalType {
        content: from_val_type(ty.content()),
        mutability: match ty.mutability() {
            wt::Mutability::Const => Mutability::Const,
            wt::Mutability::Var => Mutability::Var,
        },
    }
}

pub(crate) fn val(v: &Val<Wasmtime>) -> wt::Val {
    match *v {
        Val::I32(x) => wt::Val::I32(x),
        Val::I64(x) => wt::Val::I64(x),
        Val::F32(x) => wt::Val::F32(x),
        Val::F64(x) => wt::Val::F64(x),
        Val::V128(x) => wt::Val::V128(x.0.into()),
        Val::FuncRef(f) => wt::Val::FuncRef(f.map(|f| *f.as_native())),
        Val::ExternRef(r) => wt::Val::ExternRef(r.map(|r| *r.as_native())),
        Val::AnyRef(r) => wt::Val::AnyRef(r.map(|r| *r.as_native())),
        Val::ExnRef(r) => wt::Val::ExnRef(r.map(|r| *r.as_native())),
    }
}

/// Converts a wasmtime value; GC references we have no vocabulary for yet
/// become an error.
pub(crate) fn from_val(v: &wt::Val, id: StoreId) -> Result<Val<Wasmtime>, Error> {
    Ok(match *v {
        wt::Val::I32(x) => Val::I32(x),
        wt::Val::I64(x) => Val::I64(x),
        wt::Val::F32(x) => Val::F32(x),
        wt::Val::F64(x) => Val::F64(x),
        wt::Val::V128(x) => Val::V128(V128(x.as_u128())),
        wt::Val::FuncRef(f) => Val::FuncRef(f.map(|x| Func::from_native(x, id))),
        wt::Val::ExternRef(r) => Val::ExternRef(r.map(|x| ExternRef::from_native(x, id))),
        wt::Val::AnyRef(r) => Val::AnyRef(r.map(|x| AnyRef::from_native(x, id))),
        wt::Val::ExnRef(r) => Val::ExnRef(r.map(|x| ExnRef::from_native(x, id))),
        #[allow(unreachable_patterns)]
        ref other => {
            return Err(Error::Type(format!(
                "value {other:?} has no wasm-run representation yet"
            )));
        }
    })
}

pub(crate) fn to_ref(v: &Val<Wasmtime>) -> Result<wt::Ref, Error> {
    match *v {
        Val::FuncRef(f) => Ok(wt::Ref::Func(f.map(|f| *f.as_native()))),
        Val::ExternRef(r) => Ok(wt::Ref::Extern(r.map(|r| *r.as_native()))),
        Val::AnyRef(r) => Ok(wt::Ref::Any(r.map(|r| *r.as_native()))),
        Val::ExnRef(r) => Ok(wt::Ref::Exn(r.map(|r| *r.as_native()))),
        other => Err(Error::Type(format!("{} is not a reference", other.ty()))),
    }
}

pub(crate) fn from_ref(r: &wt::Ref, id: StoreId) -> Option<Val<Wasmtime>> {
    Some(match r {
        wt::Ref::Func(f) => Val::FuncRef(f.map(|x| Func::from_native(x, id))),
        wt::Ref::Extern(r) => Val::ExternRef(r.map(|x| ExternRef::from_native(x, id))),
        wt::Ref::Any(r) => Val::AnyRef(r.map(|x| AnyRef::from_native(x, id))),
        wt::Ref::Exn(r) => Val::ExnRef(r.map(|x| ExnRef::from_native(x, id))),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

pub(crate) fn trap_code(t: wt::Trap) -> TrapCode {
    use wt::Trap as T;
    match t {
        T::StackOverflow => TrapCode::StackOverflow,
        T::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
        T::HeapMisaligned => TrapCode::UnalignedAtomic,
        T::TableOutOfBounds => TrapCode::TableOutOfBounds,
        T::IndirectCallToNull => TrapCode::IndirectCallToNull,
        T::BadSignature => TrapCode::BadSignature,
        T::IntegerOverflow => TrapCode::IntegerOverflow,
        T::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
        T::BadConversionToInteger => TrapCode::BadConversionToInteger,
        T::UnreachableCodeReached => TrapCode::Unreachable,
        T::Interrupt => TrapCode::Interrupt,
        T::OutOfFuel => TrapCode::OutOfFuel,
        T::AtomicWaitNonSharedMemory => TrapCode::AtomicWaitNonSharedMemory,
        T::NullReference => TrapCode::NullReference,
        T::ArrayOutOfBounds => TrapCode::ArrayOutOfBounds,
        T::AllocationTooLarge => TrapCode::AllocationTooLarge,
        T::CastFailure => TrapCode::CastFailure,
        T::UnhandledTag | T::UncaughtException => TrapCode::UncaughtException,
        // The canonical ABI's traps (wasmtime's own component model).
        T::InvalidChar => TrapCode::InvalidChar,
        T::InvalidDiscriminant => TrapCode::InvalidDiscriminant,
        T::UnalignedPointer => TrapCode::UnalignedPointer,
        T::StringOutOfBounds | T::ListOutOfBounds => TrapCode::MemoryOutOfBounds,
        T::CannotEnterComponent => TrapCode::CannotEnterComponent,
        _ => TrapCode::Other,
    }
}

/// Maps an error out of wasmtime back to ours: errors raised by our own host
/// functions pass through unchanged; traps get their code.
pub(crate) fn error(e: wt::Error) -> Error {
    let e = match e.downcast::<Error>() {
        Ok(ours) => return ours,
        Err(e) => e,
    };
    // The pooling allocator's totals (instances, memories, tables at once).
    if e.downcast_ref::<wt::PoolConcurrencyLimitError>().is_some() {
        return Error::ResourceLimit(format!("{e:#}"));
    }
    // A table or memory the system cannot allocate or reserve (a module
    // declaring 2^32 table elements or 2^52 bytes of memory64): a limit of
    // the machine, not a broken module. A failed reservation carries only
    // rustix's errno under wasmtime's context, so its message is what
    // identifies it.
    if e.downcast_ref::<wt::OutOfMemory>().is_some() || is_failed_reservation(&e) {
        return Error::ResourceLimit(format!("{e:#}"));
    }
    if e.downcast_ref::<wt::ThrownException>().is_some() {
        return Error::Trap {
            code: TrapCode::UncaughtException,
            message: format!("{e:?}").into(),
            frames: frames(&e),
        };
    }
    if let Some(trap) = e.downcast_ref::<wt::Trap>() {
        return Error::Trap {
            code: trap_code(*trap),
            message: format!("{e:?}").into(),
            frames: frames(&e),
        };
    }
    let text = format!("{e:#}");
    if e.downcast_ref::<wt::MemoryAccessError>().is_some() {
        return Error::Access(text);
    }
    Error::Engine(EngineError::with_source(text, e))
}

/// How wasmtime 48's message for a memory the system cannot reserve
/// starts: the one place this backend classifies an error by its text
/// (the error carries only rustix's errno under that context). The test
/// below fails when wasmtime changes it.
const RESERVE_FAILED: &str = "mmap failed to reserve";

/// Whether `e` is wasmtime's failure to reserve a memory's address space.
fn is_failed_reservation(e: &wt::Error) -> bool {
    e.to_string().starts_with(RESERVE_FAILED)
}

/// The wasm frames wasmtime attached to a trap (innermost first).
fn frames(e: &wt::Error) -> TrapFrames {
    let Some(trace) = e.downcast_ref::<wt::WasmBacktrace>() else {
        return TrapFrames::default();
    };
    TrapFrames::new(
        trace
            .frames()
            .iter()
            .map(|f| TrapFrame {
                module_name: f.module().name().map(str::to_owned),
                func_index: f.func_index(),
                func_name: f.func_name().map(str::to_owned),
                module_offset: f.module_offset(),
                func_offset: f.func_offset(),
            })
            .collect(),
    )
}

/// Wraps our error for returning it from a host function into wasmtime.
pub(crate) fn host_error(e: Error) -> wt::Error {
    wt::Error::new(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine error no other kind describes keeps wasmtime's error as
    /// its `source()`, with the context chain in the message.
    #[test]
    fn engine_errors_keep_the_engine_error_as_source() {
        let e = error(wt::Error::msg("the root cause").context("what failed"));
        let Error::Engine(inner) = &e else {
            panic!("expected Error::Engine, got {e:?}");
        };
        assert_eq!(inner.message(), "what failed: the root cause");
        let source = std::error::Error::source(&e).expect("wasmtime's error");
        assert_eq!(source.to_string(), "what failed");
        let root = source.source().expect("the chain below it");
        assert_eq!(root.to_string(), "the root cause");
    }

    /// A memory64 of 2^52 bytes cannot be reserved: wasmtime's error still
    /// reads as `is_failed_reservation` expects, and comes out as
    /// `ResourceLimit`.
    #[test]
    fn a_failed_reservation_is_still_recognised() {
        let mut config = wt::Config::new();
        config.wasm_memory64(true);
        let engine = wt::Engine::new(&config).expect("engine");
        let module =
            wt::Module::new(&engine, "(module (memory i64 0x1000000000))").expect("module");
        let mut store = wt::Store::new(&engine, ());
        let e = wt::Instance::new(&mut store, &module, &[]).expect_err("a 2^52-byte memory");
        assert!(
            is_failed_reservation(&e),
            "wasmtime's message changed: `{e:#}` (update RESERVE_FAILED)"
        );
        assert!(matches!(error(e), Error::ResourceLimit(_)));
    }
}
