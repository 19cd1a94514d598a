//! Typed component functions: Rust values in and out, the function's type
//! checked once ([`Func::typed`]) instead of on every call.

use crate::instance::Func;
use crate::types::Type;
use crate::val::Val;
use std::marker::PhantomData;
use wasm_run_api::{AsContextMut, Engine, Error, Result};

/// A Rust type that stands for a component value type: `bool`, the integer
/// types, `f32`/`f64`, `char`, `String`, `Vec<T>` (`list<T>`), `[T; N]`
/// (`list<T, N>`), `HashMap<K, V>` and `BTreeMap<K, V>` (`map<K, V>`),
/// `Option<T>`, `Result<T, E>` and tuples of them.
pub trait ComponentType: Sized {
    /// Whether values of `ty` convert to and from `Self`.
    fn typecheck(ty: &Type) -> bool;
    /// The component value.
    fn into_val(self) -> Val;
    /// The Rust value of a component value already checked to have a type
    /// that [`ComponentType::typecheck`] accepts.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if `val` is not such a value.
    fn from_val(val: Val) -> Result<Self>;
}

fn mismatch<T>(val: &Val) -> Result<T> {
    Err(Error::Type(format!(
        "{val} does not convert to {}",
        std::any::type_name::<T>()
    )))
}

macro_rules! primitive {
    ($($rust:ty => $variant:ident),* $(,)?) => {$(
        impl ComponentType for $rust {
            fn typecheck(ty: &Type) -> bool {
                matches!(ty, Type::$variant)
            }
            fn into_val(self) -> Val {
                Val::$variant(self)
            }
            fn from_val(val: Val) -> Result<Self> {
                match val {
                    Val::$variant(x) => Ok(x),
                    other => mismatch(&other),
                }
            }
        }
    )*};
}

primitive! {
    bool => Bool, i8 => S8, u8 => U8, i16 => S16, u16 => U16, i32 => S32, u32 => U32,
    i64 => S64, u64 => U64, f32 => F32, f64 => F64, char => Char, String => String,
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::List(t) if T::typecheck(t))
    }
    fn into_val(self) -> Val {
        Val::List(self.into_iter().map(T::into_val).collect())
    }
    fn from_val(val: Val) -> Result<Self> {
        match val {
            Val::List(items) => items.into_iter().map(T::from_val).collect(),
            Val::Bytes(bytes) => bytes.into_iter().map(|b| T::from_val(Val::U8(b))).collect(),
            other => mismatch(&other),
        }
    }
}

impl<T: ComponentType, const N: usize> ComponentType for [T; N] {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::FixedList(t, n) if *n as usize == N && T::typecheck(t))
    }
    fn into_val(self) -> Val {
        Val::List(self.into_iter().map(T::into_val).collect())
    }
    fn from_val(val: Val) -> Result<Self> {
        let items: Vec<T> = match val {
            Val::List(items) if items.len() == N => {
                items.into_iter().map(T::from_val).collect::<Result<_>>()?
            }
            Val::Bytes(bytes) if bytes.len() == N => bytes
                .into_iter()
                .map(|b| T::from_val(Val::U8(b)))
                .collect::<Result<_>>()?,
            other => return mismatch(&other),
        };
        Ok(items
            .try_into()
            .unwrap_or_else(|_| unreachable!("the length was checked")))
    }
}

/// Maps: `HashMap` and `BTreeMap` both stand for `map<K, V>`. Lifting a map
/// with a key given twice keeps the last value, as the component model's
/// bindings do.
macro_rules! maps {
    ($($map:ident: $($bound:path),*;)*) => {$(
        impl<K: ComponentType $(+ $bound)*, V: ComponentType> ComponentType
            for std::collections::$map<K, V>
        {
            fn typecheck(ty: &Type) -> bool {
                matches!(ty, Type::Map(kv) if K::typecheck(&kv.0) && V::typecheck(&kv.1))
            }
            fn into_val(self) -> Val {
                Val::Map(self.into_iter().map(|(k, v)| (k.into_val(), v.into_val())).collect())
            }
            fn from_val(val: Val) -> Result<Self> {
                match val {
                    Val::Map(pairs) => pairs
                        .into_iter()
                        .map(|(k, v)| Ok((K::from_val(k)?, V::from_val(v)?)))
                        .collect(),
                    other => mismatch(&other),
                }
            }
        }
    )*};
}

maps! {
    HashMap: Eq, std::hash::Hash;
    BTreeMap: Ord;
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Option(t) if T::typecheck(t))
    }
    fn into_val(self) -> Val {
        Val::Option(self.map(|v| Box::new(v.into_val())))
    }
    fn from_val(val: Val) -> Result<Self> {
        match val {
            Val::Option(v) => v.map(|v| T::from_val(*v)).transpose(),
            other => mismatch(&other),
        }
    }
}

/// A resource handle: `own<R>` or `borrow<R>` of any resource type (the
/// handle's own type is checked when it is passed).
impl ComponentType for crate::resources::ResourceAny {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Own(_) | Type::Borrow(_))
    }
    fn into_val(self) -> Val {
        Val::Resource(self)
    }
    fn from_val(val: Val) -> Result<Self> {
        match val {
            Val::Resource(r) => Ok(r),
            other => mismatch(&other),
        }
    }
}

/// A handle of a resource type the host defines, `R` standing for it
/// (checked when the value converts).
impl<R: 'static> ComponentType for crate::resources::Resource<R> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Own(_) | Type::Borrow(_))
    }
    fn into_val(self) -> Val {
        Val::Resource(self.into())
    }
    fn from_val(val: Val) -> Result<Self> {
        match val {
            Val::Resource(r) => r.try_into(),
            other => mismatch(&other),
        }
    }
}

/// A side of a `result` with no payload is `()`.
impl ComponentType for () {
    fn typecheck(_: &Type) -> bool {
        false
    }
    fn into_val(self) -> Val {
        Val::Tuple(Vec::new())
    }
    fn from_val(val: Val) -> Result<Self> {
        mismatch(&val)
    }
}

/// One side of a `result`: `()` stands for no payload.
fn side_typecheck<T: ComponentType + 'static>(ty: Option<&Type>) -> bool {
    match ty {
        Some(t) => T::typecheck(t),
        None => std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>(),
    }
}

fn side_into<T: ComponentType + 'static>(v: T) -> Option<Box<Val>> {
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>() {
        None
    } else {
        Some(Box::new(v.into_val()))
    }
}

fn side_from<T: ComponentType + 'static>(v: Option<Box<Val>>) -> Result<T> {
    match v {
        Some(v) => T::from_val(*v),
        None => {
            // Only `()` has no payload, as the type check made sure.
            let unit: Box<dyn std::any::Any> = Box::new(());
            unit.downcast::<T>()
                .map(|b| *b)
                .map_err(|_| Error::Type("a result side without a payload".into()))
        }
    }
}

impl<T: ComponentType + 'static, E: ComponentType + 'static> ComponentType
    for std::result::Result<T, E>
{
    fn typecheck(ty: &Type) -> bool {
        matches!(ty, Type::Result(r) if side_typecheck::<T>(r.0.as_ref()) && side_typecheck::<E>(r.1.as_ref()))
    }
    fn into_val(self) -> Val {
        Val::Result(match self {
            Ok(v) => Ok(side_into(v)),
            Err(e) => Err(side_into(e)),
        })
    }
    fn from_val(val: Val) -> Result<Self> {
        match val {
            Val::Result(Ok(v)) => Ok(Ok(side_from(v)?)),
            Val::Result(Err(e)) => Ok(Err(side_from(e)?)),
            other => mismatch(&other),
        }
    }
}

/// A function's parameters as a Rust tuple: `()`, `(A,)`, `(A, B)`, ... up
/// to 8 parameters.
pub trait ComponentParams: Sized {
    /// Whether the parameter types match.
    fn typecheck(params: &[(String, Type)]) -> bool;
    /// The arguments as component values.
    fn into_vals(self) -> Vec<Val>;
}

/// A function's result as a Rust type: `()` for none, `(R,)` for one.
pub trait ComponentResults: Sized {
    /// Whether the result type matches.
    fn typecheck(result: Option<&Type>) -> bool;
    /// How many result slots the call needs (0 or 1).
    const COUNT: usize;
    /// The Rust value of the results.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if they do not convert.
    fn from_vals(vals: Vec<Val>) -> Result<Self>;
}

impl ComponentResults for () {
    fn typecheck(result: Option<&Type>) -> bool {
        result.is_none()
    }
    const COUNT: usize = 0;
    fn from_vals(_: Vec<Val>) -> Result<Self> {
        Ok(())
    }
}

impl<R: ComponentType> ComponentResults for (R,) {
    fn typecheck(result: Option<&Type>) -> bool {
        result.is_some_and(R::typecheck)
    }
    const COUNT: usize = 1;
    fn from_vals(vals: Vec<Val>) -> Result<Self> {
        let v = vals
            .into_iter()
            .next()
            .ok_or_else(|| Error::Type("no result".into()))?;
        Ok((R::from_val(v)?,))
    }
}

macro_rules! tuples {
    ($(($($name:ident),*)),* $(,)?) => {$(
        #[allow(non_snake_case)]
        impl<$($name: ComponentType),*> ComponentParams for ($($name,)*) {
            fn typecheck(params: &[(String, Type)]) -> bool {
                let mut it = params.iter();
                $(let ok = it.next().is_some_and(|(_, t)| $name::typecheck(t)); if !ok { return false; })*
                it.next().is_none()
            }
            fn into_vals(self) -> Vec<Val> {
                let ($($name,)*) = self;
                vec![$($name.into_val()),*]
            }
        }
        #[allow(non_snake_case)]
        impl<$($name: ComponentType),*> ComponentType for ($($name,)*) {
            fn typecheck(ty: &Type) -> bool {
                let Type::Tuple(ts) = ty else { return false };
                let mut it = ts.iter();
                $(let ok = it.next().is_some_and(|t| $name::typecheck(t)); if !ok { return false; })*
                it.next().is_none()
            }
            fn into_val(self) -> Val {
                let ($($name,)*) = self;
                Val::Tuple(vec![$($name.into_val()),*])
            }
            fn from_val(val: Val) -> Result<Self> {
                match val {
                    Val::Tuple(items) => {
                        let mut it = items.into_iter();
                        Ok(($($name::from_val(it.next().ok_or_else(|| Error::Type("a short tuple".into()))?)?,)*))
                    }
                    other => mismatch(&other),
                }
            }
        }
    )*};
}

tuples! {
    (A), (A, B), (A, B, C), (A, B, C, D), (A, B, C, D, F), (A, B, C, D, F, G),
    (A, B, C, D, F, G, H), (A, B, C, D, F, G, H, I),
}

impl ComponentParams for () {
    fn typecheck(params: &[(String, Type)]) -> bool {
        params.is_empty()
    }
    fn into_vals(self) -> Vec<Val> {
        Vec::new()
    }
}

/// A component function with Rust parameter and result types, checked
/// once when it is made.
pub struct TypedFunc<E: Engine, P, R> {
    func: Func<E>,
    _types: PhantomData<fn(P) -> R>,
}

impl<E: Engine, P, R> Clone for TypedFunc<E, P, R> {
    fn clone(&self) -> Self {
        TypedFunc {
            func: self.func.clone(),
            _types: PhantomData,
        }
    }
}

impl<E: Engine> Func<E> {
    /// This function with Rust types: `P` a tuple of its parameters' types,
    /// `R` `()` or a one-tuple of its result's type, e.g.
    /// `func.typed::<(String, Vec<u8>), (Result<Vec<u8>, String>,)>()`.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] naming the function's type if `P` or `R` do not
    /// match it.
    pub fn typed<P: ComponentParams, R: ComponentResults>(&self) -> Result<TypedFunc<E, P, R>> {
        let ty = self.ty();
        if !P::typecheck(ty.params()) || !R::typecheck(ty.result()) {
            return Err(Error::Type(format!(
                "{ty} is not ({}) -> {}",
                std::any::type_name::<P>(),
                std::any::type_name::<R>()
            )));
        }
        Ok(TypedFunc {
            func: self.clone(),
            _types: PhantomData,
        })
    }
}

impl<E: Engine, P: ComponentParams, R: ComponentResults> TypedFunc<E, P, R> {
    /// Calls the function (see [`Func::call`]).
    ///
    /// # Errors
    ///
    /// As [`Func::call`].
    pub fn call(&self, store: impl AsContextMut<E>, params: P) -> Result<R> {
        let args = params.into_vals();
        let mut out = vec![Val::Bool(false); R::COUNT];
        self.func.call(store, &args, &mut out)?;
        R::from_vals(out)
    }

    /// The untyped function.
    pub fn func(&self) -> &Func<E> {
        &self.func
    }
}
