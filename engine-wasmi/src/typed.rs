//! Typed calls and typed host functions on wasmi's own typed paths.
//!
//! wasm-run's [`WasmTyList`] is generic over its element types, and wasmi's
//! typed entry points ([`wasmi::TypedFunc::call`], [`wasmi::Func::wrap`]) need
//! concrete tuples of wasmi's own value types, whose traits downstream crates
//! cannot implement. The bridge is continuation passing: the API's lists are
//! visited element by element ([`ListVisitor`], [`TyVisitor`]), and each step
//! names the wasmi type of one element, building a native tuple type
//! ([`NativeList`]) one element at a time. At the end of the list the native
//! tuple is a concrete type, and the call (or the host function) runs on it.
//! Everything is resolved at compile time: for a given `P` and `R` only one
//! path through the visitors exists, and it inlines to the conversion of each
//! value (bit casts) and wasmi's own typed call.

use std::marker::PhantomData;
use wasm_run_api::backend::{ListVisitor, SlotsIn, SlotsOut, TyVisitor};
use wasm_run_api::{WasmTy, WasmTyList};

/// One wasmi value type: `i32`, `i64`, `f32`, `f64` or wasmi's `V128`
/// (`u32` and `u64` of the API travel as `i32` and `i64`).
pub(crate) trait Native: wasmi::WasmTy + Copy + Send + Sync + 'static {
    /// Raw bits as the API's slots carry them (zero-extended).
    fn into_raw(self) -> u128;
    /// From raw bits.
    fn from_raw(raw: u128) -> Self;
}

impl Native for i32 {
    #[inline(always)]
    fn into_raw(self) -> u128 {
        self as u32 as u128
    }
    #[inline(always)]
    fn from_raw(raw: u128) -> Self {
        raw as u32 as i32
    }
}
impl Native for i64 {
    #[inline(always)]
    fn into_raw(self) -> u128 {
        self as u64 as u128
    }
    #[inline(always)]
    fn from_raw(raw: u128) -> Self {
        raw as u64 as i64
    }
}
impl Native for f32 {
    #[inline(always)]
    fn into_raw(self) -> u128 {
        self.to_bits() as u128
    }
    #[inline(always)]
    fn from_raw(raw: u128) -> Self {
        f32::from_bits(raw as u32)
    }
}
impl Native for f64 {
    #[inline(always)]
    fn into_raw(self) -> u128 {
        self.to_bits() as u128
    }
    #[inline(always)]
    fn from_raw(raw: u128) -> Self {
        f64::from_bits(raw as u64)
    }
}
impl Native for wasmi::V128 {
    #[inline(always)]
    fn into_raw(self) -> u128 {
        self.as_u128()
    }
    #[inline(always)]
    fn from_raw(raw: u128) -> Self {
        wasmi::V128::from(raw)
    }
}

/// A tuple of [`Native`] types (arity 0 to 16): wasmi's typed parameters,
/// results and host function signatures.
pub(crate) trait NativeList:
    wasmi::WasmParams + wasmi::WasmResults + Copy + Send + Sync + 'static
{
    /// This tuple with `X` appended (a 16-tuple stays itself: the API's lists
    /// have at most 16 elements, so that step is never taken).
    type Push<X: Native>: NativeList;
    /// What a wasmi host function returning this tuple returns.
    type Ret: wasmi::WasmRet;
    /// All zeros.
    fn zeroed() -> Self;
    /// Element `i` as raw bits (0 past the end).
    fn get_raw(&self, i: usize) -> u128;
    /// Sets element `i` from raw bits (ignored past the end).
    fn set_raw(&mut self, i: usize, raw: u128);
    /// The host function result for `r`.
    fn ret(r: Result<Self, wasmi::Error>) -> Self::Ret;
    /// Gives `sink` a wasmi host function taking this tuple's elements as
    /// parameters and returning `R`, for wasmi's typed trampoline.
    fn wrap<T, R: NativeList, S: FuncSink<T>>(
        sink: S,
        f: impl Fn(wasmi::Caller<'_, T>, Self) -> R::Ret + Send + Sync + 'static,
    ) -> S::Out;
}

/// Where a typed host function goes: a store ([`wasmi::Func::wrap`]) or a
/// linker ([`wasmi::Linker::func_wrap`]).
pub(crate) trait FuncSink<T> {
    /// The outcome.
    type Out;
    /// Takes the host function.
    fn take<Params, Results>(self, f: impl wasmi::IntoFunc<T, Params, Results>) -> Self::Out;
}

impl<T, C: wasmi::AsContextMut<Data = T>> FuncSink<T> for C {
    type Out = wasmi::Func;
    #[inline(always)]
    fn take<Params, Results>(self, f: impl wasmi::IntoFunc<T, Params, Results>) -> wasmi::Func {
        wasmi::Func::wrap(self, f)
    }
}

/// A linker definition `module::name`.
pub(crate) struct Define<'l, T> {
    pub(crate) linker: &'l mut wasmi::Linker<T>,
    pub(crate) module: &'l str,
    pub(crate) name: &'l str,
}

impl<T> FuncSink<T> for Define<'_, T> {
    type Out = Result<(), wasmi::errors::LinkerError>;
    #[inline(always)]
    fn take<Params, Results>(self, f: impl wasmi::IntoFunc<T, Params, Results>) -> Self::Out {
        self.linker.func_wrap(self.module, self.name, f).map(|_| ())
    }
}

macro_rules! native_list {
    (($($n:ident $i:tt),*) push $push:ty) => {
        impl<$($n: Native),*> NativeList for ($($n,)*) {
            type Push<X: Native> = $push;
            type Ret = Result<Self, wasmi::Error>;
            #[inline(always)]
            #[allow(clippy::unused_unit)]
            fn zeroed() -> Self {
                ($($n::from_raw(0),)*)
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn get_raw(&self, i: usize) -> u128 {
                match i {
                    $($i => self.$i.into_raw(),)*
                    _ => 0,
                }
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn set_raw(&mut self, i: usize, raw: u128) {
                match i {
                    $($i => self.$i = $n::from_raw(raw),)*
                    _ => {}
                }
            }
            #[inline(always)]
            fn ret(r: Result<Self, wasmi::Error>) -> Self::Ret {
                r
            }
            #[inline(always)]
            #[allow(non_snake_case)]
            fn wrap<T, R: NativeList, S: FuncSink<T>>(
                sink: S,
                f: impl Fn(wasmi::Caller<'_, T>, Self) -> R::Ret + Send + Sync + 'static,
            ) -> S::Out {
                sink.take(move |caller: wasmi::Caller<'_, T>, $($n: $n),*| -> R::Ret {
                    f(caller, ($($n,)*))
                })
            }
        }
    };
}

native_list!(() push (X,));
native_list!((N0 0) push (N0, X));
native_list!((N0 0, N1 1) push (N0, N1, X));
native_list!((N0 0, N1 1, N2 2) push (N0, N1, N2, X));
native_list!((N0 0, N1 1, N2 2, N3 3) push (N0, N1, N2, N3, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4) push (N0, N1, N2, N3, N4, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5) push (N0, N1, N2, N3, N4, N5, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6) push (N0, N1, N2, N3, N4, N5, N6, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7)
    push (N0, N1, N2, N3, N4, N5, N6, N7, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8)
    push (N0, N1, N2, N3, N4, N5, N6, N7, N8, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9)
    push (N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9, N10 10)
    push (N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9, N10 10, N11 11)
    push (N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, N11, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9, N10 10, N11 11, N12 12)
    push (N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, N11, N12, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9, N10 10, N11 11, N12 12,
    N13 13) push (N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, N11, N12, N13, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9, N10 10, N11 11, N12 12,
    N13 13, N14 14) push (N0, N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, N11, N12, N13, N14, X));
native_list!((N0 0, N1 1, N2 2, N3 3, N4 4, N5 5, N6 6, N7 7, N8 8, N9 9, N10 10, N11 11, N12 12,
    N13 13, N14 14, N15 15) push Self);

/// The API's slots over a native tuple.
struct Slots<L>(L);

impl<L: NativeList> SlotsIn for Slots<L> {
    #[inline(always)]
    fn get_i32(&self, i: usize) -> i32 {
        self.0.get_raw(i) as u32 as i32
    }
    #[inline(always)]
    fn get_i64(&self, i: usize) -> i64 {
        self.0.get_raw(i) as u64 as i64
    }
    #[inline(always)]
    fn get_f32(&self, i: usize) -> u32 {
        self.0.get_raw(i) as u32
    }
    #[inline(always)]
    fn get_f64(&self, i: usize) -> u64 {
        self.0.get_raw(i) as u64
    }
    #[inline(always)]
    fn get_v128(&self, i: usize) -> u128 {
        self.0.get_raw(i)
    }
}

impl<L: NativeList> SlotsOut for Slots<L> {
    #[inline(always)]
    fn set_i32(&mut self, i: usize, v: i32) {
        self.0.set_raw(i, v as u32 as u128)
    }
    #[inline(always)]
    fn set_i64(&mut self, i: usize, v: i64) {
        self.0.set_raw(i, v as u64 as u128)
    }
    #[inline(always)]
    fn set_f32(&mut self, i: usize, v: u32) {
        self.0.set_raw(i, v as u128)
    }
    #[inline(always)]
    fn set_f64(&mut self, i: usize, v: u64) {
        self.0.set_raw(i, v as u128)
    }
    #[inline(always)]
    fn set_v128(&mut self, i: usize, v: u128) {
        self.0.set_raw(i, v)
    }
}

/// `list` as the native tuple `L` (same value types, element by element).
#[inline(always)]
pub(crate) fn lower<P: WasmTyList, L: NativeList>(list: P) -> L {
    let mut slots = Slots(L::zeroed());
    list.store(&mut slots);
    slots.0
}

/// The native tuple `native` as the API's list `P`.
#[inline(always)]
pub(crate) fn lift<P: WasmTyList, L: NativeList>(native: L) -> P {
    P::load(&Slots(native))
}

/// What to do once a list's native tuple type is known.
pub(crate) trait Resolved {
    /// The outcome.
    type Out;
    /// Runs with `L`, the native tuple of the visited list.
    fn run<L: NativeList>(self) -> Self::Out;
}

/// Runs `k` with the native tuple type of `P`.
#[inline(always)]
pub(crate) fn resolve<P: WasmTyList, K: Resolved>(k: K) -> K::Out {
    P::visit(Step::<(), K>(k, PhantomData))
}

/// The list visited so far has native tuple `L`.
struct Step<L, K>(K, PhantomData<fn() -> L>);

impl<L: NativeList, K: Resolved> ListVisitor for Step<L, K> {
    type Out = K::Out;
    #[inline(always)]
    fn nil(self) -> K::Out {
        self.0.run::<L>()
    }
    #[inline(always)]
    fn cons<H: WasmTy, Rest: WasmTyList>(self) -> K::Out {
        H::visit(Elem::<L, Rest, K>(self.0, PhantomData))
    }
}

/// The next element's type is being named; `Rest` follows it.
struct Elem<L, Rest, K>(K, PhantomData<fn() -> (L, Rest)>);

impl<L: NativeList, Rest: WasmTyList, K: Resolved> Elem<L, Rest, K> {
    #[inline(always)]
    fn then<X: Native>(self) -> K::Out {
        Rest::visit(Step::<L::Push<X>, K>(self.0, PhantomData))
    }
}

impl<L: NativeList, Rest: WasmTyList, K: Resolved> TyVisitor for Elem<L, Rest, K> {
    type Out = K::Out;
    #[inline(always)]
    fn i32(self) -> K::Out {
        self.then::<i32>()
    }
    #[inline(always)]
    fn i64(self) -> K::Out {
        self.then::<i64>()
    }
    #[inline(always)]
    fn f32(self) -> K::Out {
        self.then::<f32>()
    }
    #[inline(always)]
    fn f64(self) -> K::Out {
        self.then::<f64>()
    }
    #[inline(always)]
    fn v128(self) -> K::Out {
        self.then::<wasmi::V128>()
    }
}

/// Calls `func`, whose type the API checked to be `P -> R`, on wasmi's typed
/// path.
///
/// # Errors
///
/// Whatever the call returns (a trap, a host error); a type mismatch cannot
/// happen for a function the API checked, and is wasmi's error if it does.
#[inline(always)]
pub(crate) fn call<C: wasmi::AsContextMut, P: WasmTyList, R: WasmTyList>(
    ctx: C,
    func: &wasmi::Func,
    params: P,
) -> Result<R, wasmi::Error> {
    resolve::<P, _>(CallParams::<C, P, R> {
        ctx,
        func,
        params,
        _r: PhantomData,
    })
}

const _: () = {
    use std::mem::{align_of, size_of};
    assert!(size_of::<wasmi::TypedFunc<(i32, i64), (f64,)>>() == size_of::<wasmi::Func>());
    assert!(align_of::<wasmi::TypedFunc<(i32, i64), (f64,)>>() == align_of::<wasmi::Func>());
};

struct CallParams<'f, C, P, R> {
    ctx: C,
    func: &'f wasmi::Func,
    params: P,
    _r: PhantomData<fn() -> R>,
}

impl<C: wasmi::AsContextMut, P: WasmTyList, R: WasmTyList> Resolved for CallParams<'_, C, P, R> {
    type Out = Result<R, wasmi::Error>;
    #[inline(always)]
    fn run<NP: NativeList>(self) -> Self::Out {
        resolve::<R, _>(CallResults::<C, P, R, NP> {
            call: self,
            _np: PhantomData,
        })
    }
}

struct CallResults<'f, C, P, R, NP> {
    call: CallParams<'f, C, P, R>,
    _np: PhantomData<fn() -> NP>,
}

impl<C: wasmi::AsContextMut, P: WasmTyList, R: WasmTyList, NP: NativeList> Resolved
    for CallResults<'_, C, P, R, NP>
{
    type Out = Result<R, wasmi::Error>;
    #[inline(always)]
    fn run<NR: NativeList>(self) -> Self::Out {
        let CallParams {
            mut ctx,
            func,
            params,
            ..
        } = self.call;
        debug_assert!(func.typed::<NP, NR>(&ctx).is_ok(), "unchecked typed call");
        // SAFETY: `wasmi::TypedFunc<NP, NR>` is `#[repr(transparent)]` over
        // its one non-zero-sized field, a `wasmi::Func` (wasmi 2.0.0,
        // `src/func/typed_func.rs`, pinned exactly in Cargo.toml; the sizes
        // and alignments are asserted at compile time below), so a reference
        // to a `Func` is a valid reference to it. Its one invariant, that the
        // function's type is `NP -> NR`, holds: the backend contract of
        // `func_call_typed` is that the API checked the type to be `P -> R`
        // (`Func::typed` compares `P::types()` and `R::types()`), and `NP`,
        // `NR` were built from `P`, `R` element by element with the same
        // value types. This skips only the type lookup `Func::typed` would
        // repeat on every call (a lock on wasmi's type registry).
        let typed = unsafe { &*(func as *const wasmi::Func).cast::<wasmi::TypedFunc<NP, NR>>() };
        let results = typed.call(&mut ctx, lower::<P, NP>(params))?;
        Ok(lift::<R, NR>(results))
    }
}

/// Gives `sink` a wasmi host function of type `P -> R` on wasmi's typed
/// trampoline ([`wasmi::Func::wrap`]).
#[inline(always)]
pub(crate) fn wrap<T, P, R, S, F>(sink: S, f: F) -> S::Out
where
    P: WasmTyList,
    R: WasmTyList,
    S: FuncSink<T>,
    F: Fn(wasmi::Caller<'_, T>, P) -> Result<R, wasmi::Error> + Send + Sync + 'static,
{
    resolve::<P, _>(WrapParams {
        sink,
        f,
        _ty: PhantomData::<fn(P, T) -> R>,
    })
}

struct WrapParams<S, F, Ty> {
    sink: S,
    f: F,
    _ty: PhantomData<Ty>,
}

impl<T, S, P, R, F> Resolved for WrapParams<S, F, fn(P, T) -> R>
where
    S: FuncSink<T>,
    P: WasmTyList,
    R: WasmTyList,
    F: Fn(wasmi::Caller<'_, T>, P) -> Result<R, wasmi::Error> + Send + Sync + 'static,
{
    type Out = S::Out;
    #[inline(always)]
    fn run<NP: NativeList>(self) -> S::Out {
        resolve::<R, _>(WrapResults::<S, F, fn(P, T) -> R, NP> {
            wrap: self,
            _np: PhantomData,
        })
    }
}

struct WrapResults<S, F, Ty, NP> {
    wrap: WrapParams<S, F, Ty>,
    _np: PhantomData<fn() -> NP>,
}

impl<T, S, P, R, F, NP> Resolved for WrapResults<S, F, fn(P, T) -> R, NP>
where
    S: FuncSink<T>,
    P: WasmTyList,
    R: WasmTyList,
    F: Fn(wasmi::Caller<'_, T>, P) -> Result<R, wasmi::Error> + Send + Sync + 'static,
    NP: NativeList,
{
    type Out = S::Out;
    #[inline(always)]
    fn run<NR: NativeList>(self) -> S::Out {
        let WrapParams { sink, f, .. } = self.wrap;
        NP::wrap::<T, NR, S>(sink, move |caller, args: NP| {
            NR::ret(f(caller, lift::<P, NP>(args)).map(lower::<R, NR>))
        })
    }
}
