//! A guard against function references wasmi cannot resolve.
//!
//! wasmi 2.0.0 miscompiles some `br_table`s that carry two or more values
//! (see docs/RELIABILITY.md): the values that arrive at the target are copied
//! from the wrong slots, so a `funcref` result can hold bits that name no
//! function of the store. wasmi panics when such a reference is used
//! (`Func::ty`, a call). wasm-run never hands one out: every reference that
//! leaves wasm (call results, host function parameters, table and global
//! reads) is resolved here first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use wasm_run_api::{Error, Result, Val};

use crate::Wasmi;

/// Whether `f` names a function of the store of `cx`.
///
/// wasmi has no fallible lookup; its `Func::ty` panics on a reference it
/// cannot resolve, so this catches that panic. It runs only for non-null
/// function references, and costs one arena lookup when the reference is
/// sound.
pub(crate) fn resolves(cx: impl wasmi::AsContext, f: &wasmi::Func) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        f.ty(&cx);
    }))
    .is_ok()
}

/// The error for a reference wasmi produced but cannot resolve.
#[cold]
pub(crate) fn forged() -> Error {
    Error::Engine(
        "wasmi produced a function reference that names no function of the store \
         (a known wasmi 2.0 miscompilation of multi-value br_table; see docs/RELIABILITY.md)"
            .into(),
    )
}

/// `Ok` when every function reference in `vals` resolves in `cx`.
///
/// # Errors
///
/// [`forged`] for the first one that does not.
#[inline]
pub(crate) fn check(cx: impl wasmi::AsContext, vals: &[Val<Wasmi>]) -> Result<()> {
    for v in vals {
        if let Val::FuncRef(Some(f)) = v
            && !resolves(&cx, f.as_native())
        {
            return Err(forged());
        }
    }
    Ok(())
}

/// `Ok` when every function reference in the native values resolves in `cx`.
///
/// # Errors
///
/// [`forged`] for the first one that does not.
#[inline]
pub(crate) fn check_native(cx: impl wasmi::AsContext, vals: &[wasmi::Val]) -> Result<()> {
    for v in vals {
        if let wasmi::Val::FuncRef(wasmi::Nullable::Val(f)) = v
            && !resolves(&cx, f)
        {
            return Err(forged());
        }
    }
    Ok(())
}

/// `v`, with a function reference wasmi cannot resolve read as null: for
/// reads that cannot fail (`Global::get`, `Table::get`).
pub(crate) fn sanitize(cx: impl wasmi::AsContext, v: Val<Wasmi>) -> Val<Wasmi> {
    match v {
        Val::FuncRef(Some(f)) if !resolves(&cx, f.as_native()) => Val::FuncRef(None),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_run_api::Func;

    /// A function of another wasmi store does not resolve in this one: the
    /// checks answer with an error (or null) where wasmi would panic.
    #[test]
    fn references_of_no_function_are_refused_not_panicked_on() {
        let engine = wasmi::Engine::default();
        let mut a = wasmi::Store::new(&engine, ());
        let b = wasmi::Store::new(&engine, ());
        let f = wasmi::Func::wrap(&mut a, || 1i32);
        assert!(resolves(&a, &f));
        assert!(!resolves(&b, &f));
        let id = wasm_run_api::StoreId::fresh();
        let v = Val::FuncRef(Some(Func::<Wasmi>::from_native(f, id)));
        assert!(check(&a, &[Val::I32(1), v]).is_ok());
        match check(&b, &[Val::I32(1), v]) {
            Err(Error::Engine(m)) => assert!(m.contains("names no function"), "{m}"),
            other => panic!("expected Error::Engine, got {other:?}"),
        }
        let native = [wasmi::Val::FuncRef(wasmi::Nullable::Val(f))];
        assert!(check_native(&a, &native).is_ok());
        assert!(check_native(&b, &native).is_err());
        assert!(matches!(sanitize(&b, v), Val::FuncRef(None)));
        assert!(matches!(sanitize(&a, v), Val::FuncRef(Some(_))));
        assert!(check(&b, &[Val::FuncRef(None)]).is_ok());
    }
}
