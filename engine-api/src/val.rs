//! Runtime values and the typed-value traits used by typed calls and typed
//! host functions.

use crate::Engine;
use crate::handles::{AnyRef, ExnRef, ExternRef, Func};
use crate::types::{HeapType, RefType, ValType};
use std::fmt;

/// A 128-bit SIMD vector, as little-endian bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct V128(pub u128);

impl V128 {
    /// The lanes as 16 bytes (lane 0 first).
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }
    /// A vector from 16 bytes (lane 0 first).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        V128(u128::from_le_bytes(bytes))
    }
}

/// A WebAssembly value owned by engine `E`.
///
/// Floats are stored as their bit patterns so that every NaN payload survives a
/// round trip through the API; use [`Val::f32`]/[`Val::f64`] to build them from
/// Rust floats.
pub enum Val<E: Engine> {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32` as raw bits.
    F32(u32),
    /// `f64` as raw bits.
    F64(u64),
    /// `v128`.
    V128(V128),
    /// `funcref` (`None` is `ref.null func`).
    FuncRef(Option<Func<E>>),
    /// `externref` (`None` is `ref.null extern`).
    ExternRef(Option<ExternRef<E>>),
    /// A GC reference of the `any` hierarchy (`anyref`, `eqref`, `i31ref`,
    /// struct and array references; `None` is `ref.null any`/`none`).
    AnyRef(Option<AnyRef<E>>),
    /// An exception reference (`None` is `ref.null exn`).
    ExnRef(Option<ExnRef<E>>),
}

impl<E: Engine> Clone for Val<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Engine> Copy for Val<E> {}

/// Numbers compare by bits (so NaNs with equal payloads are equal); references
/// compare equal only when both are null, because handles cannot be compared
/// without their store.
impl<E: Engine> PartialEq for Val<E> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Val::I32(a), Val::I32(b)) => a == b,
            (Val::I64(a), Val::I64(b)) => a == b,
            (Val::F32(a), Val::F32(b)) => a == b,
            (Val::F64(a), Val::F64(b)) => a == b,
            (Val::V128(a), Val::V128(b)) => a == b,
            // References cannot be compared without their store: only two
            // nulls are known to be equal.
            (Val::FuncRef(a), Val::FuncRef(b)) => a.is_none() && b.is_none(),
            (Val::ExternRef(a), Val::ExternRef(b)) => a.is_none() && b.is_none(),
            (Val::AnyRef(a), Val::AnyRef(b)) => a.is_none() && b.is_none(),
            (Val::ExnRef(a), Val::ExnRef(b)) => a.is_none() && b.is_none(),
            _ => false,
        }
    }
}

impl<E: Engine> fmt::Debug for Val<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "I32({v})"),
            Val::I64(v) => write!(f, "I64({v})"),
            Val::F32(v) => write!(f, "F32({} / {v:#010x})", f32::from_bits(*v)),
            Val::F64(v) => write!(f, "F64({} / {v:#018x})", f64::from_bits(*v)),
            Val::V128(v) => write!(f, "V128({:#034x})", v.0),
            Val::FuncRef(None) => f.write_str("FuncRef(null)"),
            Val::FuncRef(Some(func)) => write!(f, "FuncRef({func:?})"),
            Val::ExternRef(None) => f.write_str("ExternRef(null)"),
            Val::ExternRef(Some(r)) => write!(f, "ExternRef({r:?})"),
            Val::AnyRef(None) => f.write_str("AnyRef(null)"),
            Val::AnyRef(Some(r)) => write!(f, "AnyRef({r:?})"),
            Val::ExnRef(None) => f.write_str("ExnRef(null)"),
            Val::ExnRef(Some(r)) => write!(f, "ExnRef({r:?})"),
        }
    }
}

impl<E: Engine> fmt::Display for Val<E> {
    /// Formats like `wasmtime run` prints results: integers in decimal, floats
    /// as Rust floats, vectors in hex, references as `null` or `ref`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "{v}"),
            Val::I64(v) => write!(f, "{v}"),
            Val::F32(v) => write!(f, "{}", f32::from_bits(*v)),
            Val::F64(v) => write!(f, "{}", f64::from_bits(*v)),
            Val::V128(v) => write!(f, "{:#034x}", v.0),
            Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => {
                f.write_str("null")
            }
            Val::FuncRef(Some(_)) => f.write_str("<funcref>"),
            Val::ExternRef(Some(_)) => f.write_str("<externref>"),
            Val::AnyRef(Some(_)) => f.write_str("<anyref>"),
            Val::ExnRef(Some(_)) => f.write_str("<exnref>"),
        }
    }
}

impl<E: Engine> Val<E> {
    /// An `f32` value from a Rust float (bits preserved).
    pub fn f32(v: f32) -> Self {
        Val::F32(v.to_bits())
    }

    /// An `f64` value from a Rust float (bits preserved).
    pub fn f64(v: f64) -> Self {
        Val::F64(v.to_bits())
    }

    /// The id of the store that owns the reference, `None` for numbers,
    /// vectors and null references.
    pub fn store_id(&self) -> Option<crate::StoreId> {
        match self {
            Val::FuncRef(Some(r)) => Some(r.store_id()),
            Val::ExternRef(Some(r)) => Some(r.store_id()),
            Val::AnyRef(Some(r)) => Some(r.store_id()),
            Val::ExnRef(Some(r)) => Some(r.store_id()),
            _ => None,
        }
    }

    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::AnyRef(_) => ValType::ANYREF,
            Val::ExnRef(_) => ValType::EXNREF,
        }
    }

    /// Whether this value may be stored where `ty` is expected.
    pub fn matches(&self, ty: &ValType) -> bool {
        match (self, ty) {
            (Val::FuncRef(v), ValType::Ref(RefType { nullable, heap })) => {
                matches!(
                    heap,
                    HeapType::Func | HeapType::Concrete(_) | HeapType::NoFunc
                ) && (*nullable || v.is_some())
                    && !(matches!(heap, HeapType::NoFunc) && v.is_some())
            }
            (Val::ExternRef(v), ValType::Ref(RefType { nullable, heap })) => {
                matches!(heap, HeapType::Extern | HeapType::NoExtern)
                    && (*nullable || v.is_some())
                    && !(matches!(heap, HeapType::NoExtern) && v.is_some())
            }
            // Without the store the exact GC type is not known: any reference
            // of the `any` hierarchy is accepted for any of its heap types.
            (Val::AnyRef(v), ValType::Ref(RefType { nullable, heap })) => {
                matches!(
                    heap,
                    HeapType::Any
                        | HeapType::Eq
                        | HeapType::I31
                        | HeapType::Struct
                        | HeapType::Array
                        | HeapType::None
                        | HeapType::Concrete(_)
                ) && (*nullable || v.is_some())
                    && !(matches!(heap, HeapType::None) && v.is_some())
            }
            (Val::ExnRef(v), ValType::Ref(RefType { nullable, heap })) => {
                matches!(heap, HeapType::Exn | HeapType::NoExn)
                    && (*nullable || v.is_some())
                    && !(matches!(heap, HeapType::NoExn) && v.is_some())
            }
            _ => self.ty() == *ty,
        }
    }

    /// The zero/null value of a type (what tables and fresh results start as).
    /// `None` for non-nullable references and GC types we cannot represent.
    pub fn default_for(ty: &ValType) -> Option<Self> {
        Some(match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128(0)),
            ValType::Ref(RefType {
                nullable: true,
                heap,
            }) => match heap {
                HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_) => Val::FuncRef(None),
                HeapType::Extern | HeapType::NoExtern => Val::ExternRef(None),
                HeapType::Any
                | HeapType::Eq
                | HeapType::I31
                | HeapType::Struct
                | HeapType::Array
                | HeapType::None => Val::AnyRef(None),
                HeapType::Exn | HeapType::NoExn => Val::ExnRef(None),
            },
            ValType::Ref(_) => return None,
        })
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// The `f32`, if this is one.
    pub fn as_f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }
    /// The `f64`, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }
    /// The `v128`, if this is one.
    pub fn v128(&self) -> Option<V128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// The function reference, if this is a `funcref`.
    pub fn funcref(&self) -> Option<Option<&Func<E>>> {
        if let Val::FuncRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
    }
    /// The GC reference, if this is an `anyref`.
    pub fn anyref(&self) -> Option<Option<&AnyRef<E>>> {
        if let Val::AnyRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
    }
    /// The external reference, if this is an `externref`.
    pub fn externref(&self) -> Option<Option<&ExternRef<E>>> {
        if let Val::ExternRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
    }
}

impl<E: Engine> From<i32> for Val<E> {
    fn from(v: i32) -> Self {
        Val::I32(v)
    }
}
impl<E: Engine> From<i64> for Val<E> {
    fn from(v: i64) -> Self {
        Val::I64(v)
    }
}
impl<E: Engine> From<f32> for Val<E> {
    fn from(v: f32) -> Self {
        Val::F32(v.to_bits())
    }
}
impl<E: Engine> From<f64> for Val<E> {
    fn from(v: f64) -> Self {
        Val::F64(v.to_bits())
    }
}
impl<E: Engine> From<V128> for Val<E> {
    fn from(v: V128) -> Self {
        Val::V128(v)
    }
}

/// Numeric slots a backend reads typed values from (parameters of a host
/// function, results of a call). Indices count values, not bytes.
pub trait SlotsIn {
    /// The `i32` at `i`.
    fn get_i32(&self, i: usize) -> i32;
    /// The `i64` at `i`.
    fn get_i64(&self, i: usize) -> i64;
    /// The bits of the `f32` at `i`.
    fn get_f32(&self, i: usize) -> u32;
    /// The bits of the `f64` at `i`.
    fn get_f64(&self, i: usize) -> u64;
    /// The `v128` at `i`.
    fn get_v128(&self, i: usize) -> u128;
}

/// Numeric slots a backend writes typed values into.
pub trait SlotsOut {
    /// Writes an `i32` at `i`.
    fn set_i32(&mut self, i: usize, v: i32);
    /// Writes an `i64` at `i`.
    fn set_i64(&mut self, i: usize, v: i64);
    /// Writes the bits of an `f32` at `i`.
    fn set_f32(&mut self, i: usize, v: u32);
    /// Writes the bits of an `f64` at `i`.
    fn set_f64(&mut self, i: usize, v: u64);
    /// Writes a `v128` at `i`.
    fn set_v128(&mut self, i: usize, v: u128);
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that stands for one WebAssembly numeric value in typed calls and
/// typed host functions: `i32`, `u32`, `i64`, `u64`, `f32`, `f64`, [`V128`].
///
/// References go through the dynamic [`Val`] path.
pub trait WasmTy: sealed::Sealed + Copy + Send + Sync + 'static {
    /// The WebAssembly type.
    const TYPE: ValType;
    /// Reads the value at slot `i`.
    fn load(s: &(impl SlotsIn + ?Sized), i: usize) -> Self;
    /// Writes the value at slot `i`.
    fn store(self, s: &mut (impl SlotsOut + ?Sized), i: usize);
    /// Calls the method of `v` named after this type's value type (`u32`
    /// visits `i32`, `u64` visits `i64`). Backends use it to name their own
    /// type for `Self` at compile time.
    fn visit<V: TyVisitor>(v: V) -> V::Out;
}

/// A continuation over one [`WasmTy`]'s value type (see [`WasmTy::visit`]).
pub trait TyVisitor {
    /// The outcome.
    type Out;
    /// The type is `i32` (or `u32`).
    fn i32(self) -> Self::Out;
    /// The type is `i64` (or `u64`).
    fn i64(self) -> Self::Out;
    /// The type is `f32`.
    fn f32(self) -> Self::Out;
    /// The type is `f64`.
    fn f64(self) -> Self::Out;
    /// The type is `v128`.
    fn v128(self) -> Self::Out;
}

/// A continuation over a [`WasmTyList`]'s elements (see [`WasmTyList::visit`]).
pub trait ListVisitor {
    /// The outcome.
    type Out;
    /// The list is empty.
    fn nil(self) -> Self::Out;
    /// The list is `H` followed by the list `T`.
    fn cons<H: WasmTy, T: WasmTyList>(self) -> Self::Out;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, $get:ident, $set:ident, $visit:ident, |$x:ident| $to:expr, |$y:ident| $from:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl WasmTy for $t {
            const TYPE: ValType = ValType::$vt;
            #[inline(always)]
            fn load(s: &(impl SlotsIn + ?Sized), i: usize) -> Self {
                let $y = s.$get(i);
                $from
            }
            #[inline(always)]
            fn store(self, s: &mut (impl SlotsOut + ?Sized), i: usize) {
                let $x = self;
                s.$set(i, $to)
            }
            #[inline(always)]
            fn visit<V: TyVisitor>(v: V) -> V::Out {
                v.$visit()
            }
        }
    )*};
}

wasm_ty! {
    i32 => I32, get_i32, set_i32, i32, |x| x, |y| y;
    u32 => I32, get_i32, set_i32, i32, |x| x as i32, |y| y as u32;
    i64 => I64, get_i64, set_i64, i64, |x| x, |y| y;
    u64 => I64, get_i64, set_i64, i64, |x| x as i64, |y| y as u64;
    f32 => F32, get_f32, set_f32, f32, |x| x.to_bits(), |y| f32::from_bits(y);
    f64 => F64, get_f64, set_f64, f64, |x| x.to_bits(), |y| f64::from_bits(y);
    V128 => V128, get_v128, set_v128, v128, |x| x.0, |y| V128(y);
}

/// A list of [`WasmTy`] values: `()`, a single type, or a tuple of up to 16.
/// Used for the parameters and results of typed calls and host functions.
pub trait WasmTyList: Send + Sync + Sized + 'static {
    /// Number of values.
    const LEN: usize;
    /// The value types in order.
    fn types() -> Vec<ValType>;
    /// Reads the list from slots starting at 0.
    fn load(s: &(impl SlotsIn + ?Sized)) -> Self;
    /// Writes the list into slots starting at 0.
    fn store(self, s: &mut (impl SlotsOut + ?Sized));
    /// Calls `v.nil()` for the empty list, else `v.cons::<Head, Tail>()`.
    /// Backends use it to name their own tuple type for `Self` at compile time.
    fn visit<V: ListVisitor>(v: V) -> V::Out;
}

impl<A: WasmTy> WasmTyList for A {
    const LEN: usize = 1;
    fn types() -> Vec<ValType> {
        vec![A::TYPE]
    }
    #[inline(always)]
    fn load(s: &(impl SlotsIn + ?Sized)) -> Self {
        A::load(s, 0)
    }
    #[inline(always)]
    fn store(self, s: &mut (impl SlotsOut + ?Sized)) {
        WasmTy::store(self, s, 0)
    }
    #[inline(always)]
    fn visit<V: ListVisitor>(v: V) -> V::Out {
        v.cons::<A, ()>()
    }
}

/// `v.nil()` for no types, else `v.cons::<Head, (Tail..)>()`.
macro_rules! visit_tuple {
    ($v:ident;) => {
        $v.nil()
    };
    ($v:ident; $h:ident $($t:ident)*) => {
        $v.cons::<$h, ($($t,)*)>()
    };
}

macro_rules! ty_list {
    ($n:expr; $($t:ident $i:tt)*) => {
        impl<$($t: WasmTy),*> WasmTyList for ($($t,)*) {
            const LEN: usize = $n;
            fn types() -> Vec<ValType> {
                vec![$($t::TYPE),*]
            }
            #[inline(always)]
            #[allow(unused_variables, clippy::unused_unit)]
            fn load(s: &(impl SlotsIn + ?Sized)) -> Self {
                ($($t::load(s, $i),)*)
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn store(self, s: &mut (impl SlotsOut + ?Sized)) {
                $(WasmTy::store(self.$i, s, $i);)*
            }
            #[inline(always)]
            fn visit<V: ListVisitor>(v: V) -> V::Out {
                visit_tuple!(v; $($t)*)
            }
        }
    };
}

ty_list!(0;);
ty_list!(1; A0 0);
ty_list!(2; A0 0 A1 1);
ty_list!(3; A0 0 A1 1 A2 2);
ty_list!(4; A0 0 A1 1 A2 2 A3 3);
ty_list!(5; A0 0 A1 1 A2 2 A3 3 A4 4);
ty_list!(6; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5);
ty_list!(7; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6);
ty_list!(8; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7);
ty_list!(9; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8);
ty_list!(10; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9);
ty_list!(11; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10);
ty_list!(12; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11);
ty_list!(13; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12);
ty_list!(14; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12 A13 13);
ty_list!(15; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12 A13 13 A14 14);
ty_list!(16; A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12 A13 13 A14 14 A15 15);

/// Slots over a slice of [`Val`]s, used by the dynamic paths and by tests.
impl<E: Engine> SlotsIn for [Val<E>] {
    fn get_i32(&self, i: usize) -> i32 {
        self[i].i32().unwrap_or_default()
    }
    fn get_i64(&self, i: usize) -> i64 {
        self[i].i64().unwrap_or_default()
    }
    fn get_f32(&self, i: usize) -> u32 {
        if let Val::F32(v) = self[i] { v } else { 0 }
    }
    fn get_f64(&self, i: usize) -> u64 {
        if let Val::F64(v) = self[i] { v } else { 0 }
    }
    fn get_v128(&self, i: usize) -> u128 {
        self[i].v128().unwrap_or_default().0
    }
}

impl<E: Engine> SlotsOut for [Val<E>] {
    fn set_i32(&mut self, i: usize, v: i32) {
        self[i] = Val::I32(v)
    }
    fn set_i64(&mut self, i: usize, v: i64) {
        self[i] = Val::I64(v)
    }
    fn set_f32(&mut self, i: usize, v: u32) {
        self[i] = Val::F32(v)
    }
    fn set_f64(&mut self, i: usize, v: u64) {
        self[i] = Val::F64(v)
    }
    fn set_v128(&mut self, i: usize, v: u128) {
        self[i] = Val::V128(V128(v))
    }
}
