//! Host functions: plain Rust closures callable from WebAssembly.
//!
//! A typed host function is any `Fn(Caller<'_, E, T>, A1, .., An) -> Result<R>`
//! with up to 16 [`WasmTy`] parameters and a [`WasmTyList`] result. An untyped
//! one is `Fn(Caller<'_, E, T>, &[Val<E>], &mut [Val<E>]) -> Result<()>`.
//!
//! Backends call [`HostFunc::invoke`]/[`UntypedHostFunc::invoke`], which turn a
//! panic of the closure into [`Error::HostPanic`] instead of unwinding through
//! the engine.

use crate::Engine;
use crate::error::{Error, Result};
use crate::store::Caller;
use crate::types::FuncType;
use crate::val::{Val, WasmTy, WasmTyList};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The text of a caught panic's payload (`&str` or `String`), for errors
/// and reports.
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(ForeignContext(what)) = payload.downcast_ref::<ForeignContext>() {
        format!("wasm-run: {what}")
    } else {
        "non-string panic payload".to_string()
    }
}

/// Runs an engine operation so that a panic inside the engine cannot unwind
/// through user code: it becomes [`Error::Engine`] with the panic's message.
///
/// Handles from another store never get this far: the API compares store ids
/// ([`crate::StoreId`]) first and answers [`Error::WrongStore`] itself. What is
/// left for this guard is an engine bug or an engine assertion wasm-run does
/// not know about. The check costs nothing unless a panic happens.
///
/// # Errors
///
/// What `f` returns; [`Error::Engine`] with the message if `f` panics.
#[inline(always)]
pub fn guard<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) if payload.is::<ForeignContext>() => Err(Error::WrongStore),
        Err(payload) => Err(Error::engine(format!(
            "engine panicked: {}",
            panic_message(payload)
        ))),
    }
}

/// The panic payload of [`foreign_context`]; [`guard`] recognises it by type.
#[derive(Debug)]
pub struct ForeignContext(pub &'static str);

/// Panics with a [`ForeignContext`] payload, which [`guard`] turns into
/// [`Error::WrongStore`]: for code that cannot return an error when it finds
/// a handle or context of another store or backend (e.g. the getter a WASI
/// adapter calls inside a host function). `what` says what was found.
#[cold]
#[track_caller]
pub fn foreign_context(what: &'static str) -> ! {
    std::panic::panic_any(ForeignContext(what))
}

/// Runs `f`, turning a panic into [`Error::HostPanic`].
///
/// # Errors
///
/// What `f` returns; [`Error::HostPanic`] with the panic message if `f` panics.
pub fn catch_host_panic<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Error::HostPanic(panic_message(payload))),
    }
}

/// A typed host function with parameters `P` and results `R`.
///
/// Implemented for closures `Fn(Caller<'_, E, T>, A1, .., An) -> Result<R>` of
/// arity 0 to 16; `P` is the tuple `(A1, .., An)`.
pub trait HostFunc<E: Engine, T: 'static, P: WasmTyList, R: WasmTyList>:
    Send + Sync + 'static
{
    /// Calls the closure.
    fn call(&self, caller: Caller<'_, E, T>, params: P) -> Result<R>;

    /// The function type `P -> R`.
    fn func_type() -> FuncType {
        FuncType::new(P::types(), R::types())
    }

    /// Calls the closure, catching a panic as [`Error::HostPanic`].
    #[inline]
    fn invoke(&self, caller: Caller<'_, E, T>, params: P) -> Result<R> {
        catch_host_panic(|| self.call(caller, params))
    }
}

macro_rules! host_func {
    ($($a:ident $i:tt)*) => {
        impl<E, T, F, R, $($a,)*> HostFunc<E, T, ($($a,)*), R> for F
        where
            E: Engine,
            T: 'static,
            R: WasmTyList,
            $($a: WasmTy,)*
            F: Fn(Caller<'_, E, T>, $($a),*) -> Result<R> + Send + Sync + 'static,
        {
            #[inline(always)]
            #[allow(unused_variables)]
            fn call(&self, caller: Caller<'_, E, T>, params: ($($a,)*)) -> Result<R> {
                self(caller, $(params.$i),*)
            }
        }
    };
}

host_func!();
host_func!(A0 0);
host_func!(A0 0 A1 1);
host_func!(A0 0 A1 1 A2 2);
host_func!(A0 0 A1 1 A2 2 A3 3);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12 A13 13);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12 A13 13 A14 14);
host_func!(A0 0 A1 1 A2 2 A3 3 A4 4 A5 5 A6 6 A7 7 A8 8 A9 9 A10 10 A11 11 A12 12 A13 13 A14 14 A15 15);

/// An untyped host function: parameters and results as [`Val`] slices.
///
/// `results` arrives filled with zero/null values of the result types; the
/// closure overwrites them. Values of the wrong type are an error.
pub trait UntypedHostFunc<E: Engine, T: 'static>: Send + Sync + 'static {
    /// Calls the closure.
    fn call(
        &self,
        caller: Caller<'_, E, T>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()>;

    /// Calls the closure, catching a panic as [`Error::HostPanic`], and checks
    /// that the results it wrote have the types of `ty`.
    #[inline]
    fn invoke(
        &self,
        caller: Caller<'_, E, T>,
        ty: &FuncType,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        catch_host_panic(|| self.call(caller, params, results))?;
        for (i, (v, t)) in results.iter().zip(ty.results()).enumerate() {
            if !v.matches(t) {
                return Err(Error::Type(format!(
                    "host function result {i} is {}, expected {t}",
                    v.ty()
                )));
            }
        }
        Ok(())
    }
}

impl<E, T, F> UntypedHostFunc<E, T> for F
where
    E: Engine,
    T: 'static,
    F: Fn(Caller<'_, E, T>, &[Val<E>], &mut [Val<E>]) -> Result<()> + Send + Sync + 'static,
{
    #[inline(always)]
    fn call(
        &self,
        caller: Caller<'_, E, T>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        self(caller, params, results)
    }
}

/// Fills `out` with the zero/null value of each type in `tys` (for the results
/// of untyped host functions).
pub fn default_results<E: Engine>(tys: &[crate::types::ValType], out: &mut [Val<E>]) {
    for (slot, ty) in out.iter_mut().zip(tys) {
        *slot = Val::default_for(ty).unwrap_or(Val::I32(0));
    }
}

/// A small vector of values that lives on the stack up to 16 entries, so the
/// dynamic call paths allocate nothing for ordinary arities.
pub type ValBuf<V> = smallvec::SmallVec<[V; 16]>;

/// Converts `params` and `results` to another value representation, runs
/// `call` on the converted values, and converts the results back. Buffers live
/// on the stack for up to 16 values, so the dynamic call paths of every backend
/// (and of `AnyEngine` on top of them) allocate nothing for ordinary arities.
///
/// `zero` fills the converted result slots before `call` runs.
///
/// # Errors
///
/// The first error of `to` (converting a parameter), of `call`, or of `back`
/// (converting a result), unchanged. When `back` fails, the results before it
/// have been written already.
#[inline]
pub fn convert_call<A, B: Clone>(
    params: &[A],
    results: &mut [A],
    zero: B,
    to: impl Fn(&A) -> Result<B>,
    back: impl Fn(&B) -> Result<A>,
    call: impl FnOnce(&[B], &mut [B]) -> Result<()>,
) -> Result<()> {
    convert(params, results, zero, false, to, back, call)
}

/// [`convert_call`] for results that are read as well as written (a host
/// function's result slots arrive holding typed defaults): each result slot
/// is converted with `to` before `call` runs, instead of being zeroed.
///
/// # Errors
///
/// As [`convert_call`]; also the first error of `to` on a result slot.
#[inline]
pub fn convert_call_inout<A, B: Clone>(
    params: &[A],
    results: &mut [A],
    zero: B,
    to: impl Fn(&A) -> Result<B>,
    back: impl Fn(&B) -> Result<A>,
    call: impl FnOnce(&[B], &mut [B]) -> Result<()>,
) -> Result<()> {
    convert(params, results, zero, true, to, back, call)
}

#[inline(always)]
fn convert<A, B: Clone>(
    params: &[A],
    results: &mut [A],
    zero: B,
    results_in: bool,
    to: impl Fn(&A) -> Result<B>,
    back: impl Fn(&B) -> Result<A>,
    call: impl FnOnce(&[B], &mut [B]) -> Result<()>,
) -> Result<()> {
    // Most calls have a few values: plain arrays, no buffer bookkeeping.
    const SMALL: usize = 4;
    if params.len() <= SMALL && results.len() <= SMALL {
        let mut ps: [B; SMALL] = std::array::from_fn(|_| zero.clone());
        for (slot, p) in ps.iter_mut().zip(params) {
            *slot = to(p)?;
        }
        let mut rs: [B; SMALL] = std::array::from_fn(|_| zero.clone());
        let rs = &mut rs[..results.len()];
        if results_in {
            for (slot, r) in rs.iter_mut().zip(results.iter()) {
                *slot = to(r)?;
            }
        }
        call(&ps[..params.len()], rs)?;
        for (out, v) in results.iter_mut().zip(rs.iter()) {
            *out = back(v)?;
        }
        return Ok(());
    }
    // Filled in place (no `collect`/`from_elem`): moving a 16-slot inline
    // buffer out of a constructor costs a copy of every slot on each call.
    let mut ps: ValBuf<B> = ValBuf::new();
    for p in params {
        ps.push(to(p)?);
    }
    let mut rs: ValBuf<B> = ValBuf::new();
    if results_in {
        for r in results.iter() {
            rs.push(to(r)?);
        }
    } else {
        rs.resize(results.len(), zero);
    }
    call(&ps, &mut rs)?;
    for (out, v) in results.iter_mut().zip(&rs) {
        *out = back(v)?;
    }
    Ok(())
}

/// The body of every backend's untyped host function: native values in, the
/// user's closure on [`Val`]s, native values out.
///
/// # Errors
///
/// The errors of [`convert_call`] with `to` and `back`, and those of
/// [`UntypedHostFunc::invoke`], i.e. what the closure returns,
/// [`Error::HostPanic`] if it panics, and [`Error::Type`] if a result it wrote
/// has the wrong type, and [`Error::WrongStore`] if it wrote a reference of
/// another store.
#[inline]
pub fn call_untyped<E: Engine, T: 'static, N>(
    f: &impl UntypedHostFunc<E, T>,
    caller: Caller<'_, E, T>,
    ty: &FuncType,
    params: &[N],
    results: &mut [N],
    to: impl Fn(&N) -> Result<Val<E>>,
    back: impl Fn(&Val<E>) -> Result<N>,
) -> Result<()> {
    use crate::backend::ContextBackend;
    use crate::store::AsContext;
    let id = caller.ctx().store_id();
    convert_call(params, results, Val::I32(0), to, back, |ps, rs| {
        default_results(ty.results(), rs);
        f.invoke(caller, ty, ps, rs)?;
        // A reference result from another store must not reach the engine.
        crate::handles::check_vals_owner(rs, id)
    })
}

/// A host function behind a reference count, so that a backend can create it
/// in many stores (for example to answer `Linker::get` for a host function).
pub struct Shared<F>(pub std::sync::Arc<F>);

impl<F> Clone for Shared<F> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<E, T, P, R, F> HostFunc<E, T, P, R> for Shared<F>
where
    E: Engine,
    T: 'static,
    P: WasmTyList,
    R: WasmTyList,
    F: HostFunc<E, T, P, R>,
{
    #[inline(always)]
    fn call(&self, caller: Caller<'_, E, T>, params: P) -> Result<R> {
        self.0.call(caller, params)
    }
}

impl<E: Engine, T: 'static, F: UntypedHostFunc<E, T>> UntypedHostFunc<E, T> for Shared<F> {
    #[inline(always)]
    fn call(
        &self,
        caller: Caller<'_, E, T>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        self.0.call(caller, params, results)
    }
}
