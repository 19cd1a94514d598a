//! Values and externs of a backend as `AnyEngine`'s, and back.

use super::*;

/// A value of backend `B` as a value of [`AnyEngine`].
pub fn val_up<B: Member>(v: &Val<B>) -> Val<AnyEngine> {
    match *v {
        Val::I32(x) => Val::I32(x),
        Val::I64(x) => Val::I64(x),
        Val::F32(x) => Val::F32(x),
        Val::F64(x) => Val::F64(x),
        Val::V128(x) => Val::V128(x),
        Val::FuncRef(f) => Val::FuncRef(f.map(|f| f.map_native(B::func_up))),
        Val::ExternRef(r) => Val::ExternRef(r.map(|r| r.map_native(B::externref_up))),
        Val::AnyRef(r) => Val::AnyRef(r.map(|r| r.map_native(B::anyref_up))),
        Val::ExnRef(r) => Val::ExnRef(r.map(|r| r.map_native(B::exnref_up))),
    }
}

/// A value of [`AnyEngine`] as a value of backend `B`; references of another
/// backend are [`Error::WrongStore`].
///
/// # Errors
///
/// [`Error::WrongStore`] if `v` is a reference of another backend than `B`.
pub fn val_down<B: Member>(v: &Val<AnyEngine>) -> Result<Val<B>> {
    Ok(match *v {
        Val::I32(x) => Val::I32(x),
        Val::I64(x) => Val::I64(x),
        Val::F32(x) => Val::F32(x),
        Val::F64(x) => Val::F64(x),
        Val::V128(x) => Val::V128(x),
        Val::FuncRef(None) => Val::FuncRef(None),
        Val::FuncRef(Some(f)) => Val::FuncRef(Some(Func::from_native(
            B::func_down(f.as_native()).ok_or_else(mismatch)?,
            f.store_id(),
        ))),
        Val::ExternRef(None) => Val::ExternRef(None),
        Val::ExternRef(Some(r)) => Val::ExternRef(Some(ExternRef::from_native(
            B::externref_down(r.as_native()).ok_or_else(mismatch)?,
            r.store_id(),
        ))),
        Val::AnyRef(None) => Val::AnyRef(None),
        Val::AnyRef(Some(r)) => Val::AnyRef(Some(AnyRef::from_native(
            B::anyref_down(r.as_native()).ok_or_else(mismatch)?,
            r.store_id(),
        ))),
        Val::ExnRef(None) => Val::ExnRef(None),
        Val::ExnRef(Some(r)) => Val::ExnRef(Some(ExnRef::from_native(
            B::exnref_down(r.as_native()).ok_or_else(mismatch)?,
            r.store_id(),
        ))),
    })
}

// With one backend compiled in, `AnyTag`/`AnySharedMemory` may be uninhabited.
#[allow(unreachable_code)]
pub(super) fn extern_up<B: Member>(e: Extern<B>) -> Extern<AnyEngine> {
    match e {
        Extern::Func(x) => Extern::Func(x.map_native(B::func_up)),
        Extern::Memory(x) => Extern::Memory(x.map_native(B::memory_up)),
        Extern::Table(x) => Extern::Table(x.map_native(B::table_up)),
        Extern::Global(x) => Extern::Global(x.map_native(B::global_up)),
        Extern::Tag(x) => Extern::Tag(x.map_native(B::tag_up)),
        Extern::SharedMemory(x) => Extern::SharedMemory(SharedMemory::from_native(
            B::shared_memory_up(x.as_native().clone()),
        )),
    }
}

#[allow(unreachable_code)]
pub(super) fn extern_down<B: Member>(e: &Extern<AnyEngine>) -> Result<Extern<B>> {
    Ok(match e {
        Extern::Func(x) => Extern::Func(Func::from_native(
            B::func_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Memory(x) => Extern::Memory(Memory::from_native(
            B::memory_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Table(x) => Extern::Table(Table::from_native(
            B::table_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Global(x) => Extern::Global(Global::from_native(
            B::global_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Tag(x) => Extern::Tag(Tag::from_native(
            B::tag_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::SharedMemory(x) => Extern::SharedMemory(SharedMemory::from_native(
            B::shared_memory_down(x.as_native()).ok_or_else(mismatch)?,
        )),
    })
}

pub(super) fn down<X, B>(x: Option<X>) -> X {
    let _ = std::marker::PhantomData::<B>;
    x.unwrap_or_else(|| foreign_handle())
}
