//! Lifted functions ([`Func`]): a call lowers the arguments into the guest,
//! runs the core function, lifts the result and runs `post-return`, under
//! the reentrance rule; or, on the native path, wasmtime's own call.

use crate::abi::{Cx, Flat, Options, check_aligned, layout};
use crate::plan::Shape;
use crate::types::FuncType;
use crate::val::Val;
use std::fmt;
use std::sync::Arc;
use wasm_run_api::{AsContextMut, Engine, Error, Result, Val as CoreVal};

pub(crate) struct Lifted<E: Engine> {
    pub(crate) core: wasm_run_api::Func<E>,
    pub(crate) shape: Arc<Shape>,
    pub(crate) opts: Options<E>,
    pub(crate) post_return: Option<wasm_run_api::Func<E>>,
}

/// An exported component function: call it with component values.
pub struct Func<E: Engine> {
    pub(crate) inner: FuncInner<E>,
}

/// Which path runs a function.
pub(crate) enum FuncInner<E: Engine> {
    /// wasm-run's canonical ABI over a core function.
    Portable(Arc<Lifted<E>>),
    /// wasmtime's own component model.
    #[cfg(feature = "native")]
    Native(Arc<crate::native::NativeFunc>),
}

impl<E: Engine> Func<E> {
    pub(crate) fn portable(lifted: Lifted<E>) -> Self {
        Func {
            inner: FuncInner::Portable(Arc::new(lifted)),
        }
    }
}

impl<E: Engine> Clone for Func<E> {
    fn clone(&self) -> Self {
        Func {
            inner: match &self.inner {
                FuncInner::Portable(l) => FuncInner::Portable(l.clone()),
                #[cfg(feature = "native")]
                FuncInner::Native(n) => FuncInner::Native(n.clone()),
            },
        }
    }
}

impl<E: Engine> fmt::Debug for Func<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Func({})", self.ty())
    }
}

fn check_args(ty: &FuncType, params: &[Val], results: usize) -> Result<()> {
    if params.len() != ty.params().len() {
        return Err(Error::Type(format!(
            "{} arguments given to {ty}",
            params.len()
        )));
    }
    for (v, (name, t)) in params.iter().zip(ty.params()) {
        if !v.has_type(t) {
            return Err(Error::Type(format!("argument `{name}`: {v} is not a {t}")));
        }
    }
    let want = usize::from(ty.result().is_some());
    if results != want {
        return Err(Error::Type(format!(
            "{results} result slots given to {ty}, which has {want} result(s)"
        )));
    }
    Ok(())
}

impl<E: Engine> Func<E> {
    /// The function's type.
    pub fn ty(&self) -> &FuncType {
        match &self.inner {
            FuncInner::Portable(l) => &l.shape.ty,
            #[cfg(feature = "native")]
            FuncInner::Native(n) => n.ty(),
        }
    }

    /// Calls the function with `params`, writing its result (if its type
    /// has one) to `results[0]`: the arguments are lowered into the
    /// guest (through its `realloc` where they need memory), the core
    /// function runs, the result is lifted, then `post-return` runs.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if the arguments do not match the type, or
    ///   `results` does not have one slot per result.
    /// - [`Error::Trap`] for a trap of the guest or of the canonical ABI
    ///   (a pointer out of bounds or misaligned, invalid UTF-8, an invalid
    ///   `char` or discriminant).
    /// - [`Error::WrongStore`] if `store` is not the instance's store.
    pub fn call(
        &self,
        store: impl AsContextMut<E>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        self.call_from(store, params, results, crate::abi::Source::host())
            .map(drop)
    }

    /// The string encoding a portable function's guest uses (UTF-8 for a
    /// native one: the host's).
    pub(crate) fn encoding(&self) -> crate::abi::Encoding {
        match &self.inner {
            FuncInner::Portable(l) => l.opts.encoding,
            #[cfg(feature = "native")]
            FuncInner::Native(_) => crate::abi::Encoding::Utf8,
        }
    }

    /// [`Func::call`] with strings from `src` (the calling guest's for a
    /// call between components); the UTF-16 tags of the result's strings
    /// when this function's guest uses Latin-1+UTF-16.
    pub(crate) fn call_from(
        &self,
        mut store: impl AsContextMut<E>,
        params: &[Val],
        results: &mut [Val],
        src: crate::abi::Source,
    ) -> Result<std::collections::VecDeque<bool>> {
        let l = match &self.inner {
            FuncInner::Portable(l) => &**l,
            #[cfg(feature = "native")]
            FuncInner::Native(n) => {
                check_args(n.ty(), params, results.len())?;
                return crate::native::call(n, store, params, results).map(|()| Default::default());
            }
        };
        let shape = &*l.shape;
        check_args(&shape.ty, params, results.len())?;
        // The reentrance rule: not while the instance is on the stack.
        let _entered = match l.opts.resources.as_deref() {
            Some(r) => Some(r.enter()?),
            None => None,
        };
        let mut cx = Cx {
            store: &mut store,
            opts: &l.opts,
            lent: Vec::new(),
            lenders: Vec::new(),
            src,
            tags: Vec::new(),
        };
        let (args, mut core_results) = lower_args(&mut cx, shape, params)?;
        // SAFETY: validation checked that the lifted core function's type is
        // the canonical ABI's flattening of this function's type (or the
        // single i32 of parameters or results passed through memory);
        // `args` was lowered by that same flattening and `core_results`
        // holds a value of each flat result type.
        let called = unsafe {
            l.core
                .call_unchecked(&mut *cx.store, &args, &mut core_results)
        };
        finish(&mut cx, l, called, &core_results, results)?;
        Ok(std::mem::take(&mut cx.tags).into())
    }

    /// [`Func::call`] as a future: the core call under it is
    /// [`wasm_run_api::Func::call_async`], so the store's yield policy,
    /// deadline and interrupts apply, and dropping the future stops the
    /// guest. Lowering the arguments (the guest's `realloc`), lifting the
    /// results and `post-return` run synchronously around it.
    ///
    /// # Errors
    ///
    /// Those of [`Func::call`]; [`Error::Unsupported`] for
    /// [`Feature::Async`](wasm_run_api::Feature::Async) on a backend without
    /// async calls and on wasmtime's own component model
    /// (`Config::native_components`).
    pub async fn call_async<T: Send + 'static>(
        &self,
        store: &mut wasm_run_api::Store<E, T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()>
    where
        E::Store<T>: Send,
    {
        let l = match &self.inner {
            FuncInner::Portable(l) => &**l,
            #[cfg(feature = "native")]
            FuncInner::Native(_) => {
                return Err(Error::unsupported(
                    wasm_run_api::Feature::Async,
                    "wasm-run-component (async calls on native components)",
                ));
            }
        };
        let shape = &*l.shape;
        check_args(&shape.ty, params, results.len())?;
        let _entered = match l.opts.resources.as_deref() {
            Some(r) => Some(r.enter()?),
            None => None,
        };
        let mut cx = Cx {
            store,
            opts: &l.opts,
            lent: Vec::new(),
            lenders: Vec::new(),
            src: crate::abi::Source::host(),
            tags: Vec::new(),
        };
        let (args, mut core_results) = lower_args(&mut cx, shape, params)?;
        let args: Vec<CoreVal<E>> = args.to_vec();
        let called = l
            .core
            .call_async(&mut *cx.store, &args, &mut core_results)
            .await;
        finish(&mut cx, l, called, &core_results, results)
    }
}

/// The core arguments of a call (lowered, through memory when they do not
/// fit the flat limit) and a slot for each core result.
#[allow(clippy::type_complexity)]
fn lower_args<E: Engine, S: AsContextMut<E>>(
    cx: &mut Cx<'_, E, S>,
    shape: &Shape,
    params: &[Val],
) -> Result<(crate::abi::Flats<E>, smallvec::SmallVec<[CoreVal<E>; 1]>)> {
    // No heap allocation for the core values of a call that fits the
    // flat limits.
    let mut args = crate::abi::Flats::<E>::new();
    if shape.params_in_memory() {
        let lay = layout(&shape.params);
        let ptr = cx.alloc(lay.align, lay.size)?;
        cx.store(&shape.params, &Val::Tuple(params.to_vec()), ptr)?;
        args.push(CoreVal::I32(ptr as i32));
    } else {
        for (v, (_, t)) in params.iter().zip(shape.ty.params()) {
            cx.lower_flat(t, v, &mut args)?;
        }
    }
    let core_results = if shape.results_in_memory() {
        smallvec::smallvec![CoreVal::I32(0)]
    } else {
        shape
            .flat_results
            .iter()
            .map(|t| CoreVal::default_for(t).unwrap_or(CoreVal::I32(0)))
            .collect()
    };
    Ok((args, core_results))
}

/// After the core call: the lent borrows ended, the result lifted,
/// `post-return` called.
fn finish<E: Engine, S: AsContextMut<E>>(
    cx: &mut Cx<'_, E, S>,
    l: &Lifted<E>,
    called: Result<()>,
    core_results: &[CoreVal<E>],
    results: &mut [Val],
) -> Result<()> {
    let shape = &*l.shape;
    let ended = cx.end_borrows();
    called?;
    ended?;
    let value = match shape.ty.result() {
        Some(ty) if shape.results_in_memory() => {
            let CoreVal::I32(ptr) = core_results[0] else {
                return Err(Error::Type(
                    "a core result that is not an i32 pointer".into(),
                ));
            };
            check_aligned(ptr as u32, layout(ty).align)?;
            Some(cx.load(ty, ptr as u32)?)
        }
        Some(ty) => Some(cx.lift_flat(ty, &mut Flat::new(core_results))?),
        None => None,
    };
    if let Some(post) = l.post_return {
        // SAFETY: validation checked that `post-return` takes exactly
        // the lifted function's core results and returns nothing.
        unsafe { post.call_unchecked(&mut *cx.store, core_results, &mut []) }?;
    }
    if let Some(v) = value {
        results[0] = v;
    }
    Ok(())
}
