//! The core functions an instance graph makes: `canon lower` of a host
//! function or of another component's function, and the resource
//! built-ins (`canon resource.new/rep/drop`).

use crate::abi::{Cx, Flat, Options, Source, check_aligned, layout};
use crate::host::{HostContext, HostDtor, HostFunc};
use crate::instance::{Func, Item};
use crate::plan::{ResourceOp, Shape, not_yet};
use crate::resources::{Handle, Owner, Resources};
use crate::val::Val;
use std::sync::{Arc, OnceLock};
use wasm_run_api::{Caller, Engine, Error, Result, Store, Val as CoreVal};

/// Canonical options known once the instance that provides them exists (a
/// core module with an embedded world imports the functions that need its
/// own memory).
pub(crate) type LateOptions<E> = Arc<OnceLock<Options<E>>>;

/// What a lowered function calls.
pub(crate) enum Target<E: Engine, T: 'static> {
    Host(HostFunc<T>),
    Lifted(Func<E>),
}

impl<E: Engine, T: 'static> Target<E, T> {
    /// The target of lowering `item`.
    pub(crate) fn of(item: Item<E, T>) -> Result<Self> {
        match item {
            Item::Host(f) => Ok(Target::Host(f)),
            Item::Lifted(f) => Ok(Target::Lifted(f)),
            _ => Err(not_yet("lowering this kind of function")),
        }
    }
}

/// A core function that lowers `target` for a guest with `opts`.
pub(crate) fn lower<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    target: Target<E, T>,
    shape: Arc<Shape>,
    opts: LateOptions<E>,
) -> Result<wasm_run_api::Func<E>> {
    let core_ty = shape.lowered_core_type();
    wasm_run_api::Func::new(
        &mut *store,
        core_ty,
        move |caller: Caller<'_, E, T>, args: &[CoreVal<E>], out: &mut [CoreVal<E>]| {
            call_lowered(caller, &target, &shape, opts.get(), args, out)
        },
    )
}

/// A call of the core function that lowers `target` (of `shape`, with
/// `opts`, `None` while they are not known yet): lifts the guest's
/// arguments, calls, lowers the result.
pub(crate) fn call_lowered<E: Engine, T: 'static>(
    mut caller: Caller<'_, E, T>,
    target: &Target<E, T>,
    shape: &Shape,
    opts: Option<&Options<E>>,
    args: &[CoreVal<E>],
    out: &mut [CoreVal<E>],
) -> Result<()> {
    let ty = &shape.ty;
    let Some(opts) = opts else {
        return Err(crate::abi::trap(
            wasm_run_api::TrapCode::Unreachable,
            "an import called before its instance's memory exists (by a core start function)",
        ));
    };
    // Borrows lifted from the guest's own handles are lends: those
    // handles cannot be dropped or moved until the call returns.
    let (params, lenders, tags) = {
        let mut cx = Cx {
            store: &mut caller,
            opts,
            lent: Vec::new(),
            lenders: Vec::new(),
            src: Source::host(),
            tags: Vec::new(),
        };
        let params = (|| -> Result<Vec<Val>> {
            if shape.params_in_memory() {
                let CoreVal::I32(ptr) = args[0] else {
                    return Err(Error::Type("a parameter pointer that is not an i32".into()));
                };
                check_aligned(ptr as u32, layout(&shape.params).align)?;
                match cx.load(&shape.params, ptr as u32)? {
                    Val::Tuple(v) => Ok(v),
                    _ => unreachable!("the parameters load as a tuple"),
                }
            } else {
                let mut flat = Flat::new(args);
                let mut v = Vec::with_capacity(ty.params().len());
                for (_, t) in ty.params() {
                    v.push(cx.lift_flat(t, &mut flat)?);
                }
                Ok(v)
            }
        })();
        (
            params,
            std::mem::take(&mut cx.lenders),
            std::mem::take(&mut cx.tags),
        )
    };
    let release = |lenders: &[u32]| {
        if let Some(res) = opts.resources.as_deref() {
            let mut table = res.table();
            for &i in lenders {
                table.unlend(i);
            }
        }
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => {
            release(&lenders);
            return Err(e);
        }
    };
    let mut result = vec![Val::Bool(false); usize::from(ty.result().is_some())];
    let called = match target {
        Target::Host(f) => {
            f(&mut HostContext::new(&mut caller), &params, &mut result).map(|()| Default::default())
        }
        Target::Lifted(f) => {
            let src = Source {
                encoding: opts.encoding,
                tags: tags.into(),
            };
            f.call_from(&mut caller, &params, &mut result, src)
        }
    };
    release(&lenders);
    let result_tags = called?;
    let Some(rty) = ty.result() else {
        return Ok(());
    };
    // A lifted function's result has its type already (validation
    // matched the two function types); the host's is checked.
    if matches!(target, Target::Host(_)) && !result[0].has_type(rty) {
        return Err(Error::Type(format!(
            "the host function returned {}, not a {rty}",
            result[0]
        )));
    }
    let mut cx = Cx {
        store: &mut caller,
        opts,
        lent: Vec::new(),
        lenders: Vec::new(),
        // The result's strings come from the callee's encoding.
        src: Source {
            encoding: match target {
                Target::Lifted(f) => f.encoding(),
                Target::Host(_) => crate::abi::Encoding::Utf8,
            },
            tags: result_tags,
        },
        tags: Vec::new(),
    };
    if shape.results_in_memory() {
        let CoreVal::I32(ptr) = args[args.len() - 1] else {
            return Err(Error::Type("a result pointer that is not an i32".into()));
        };
        check_aligned(ptr as u32, layout(rty).align)?;
        cx.store(rty, &result[0], ptr as u32)
    } else {
        let mut flat = crate::abi::Flats::<E>::new();
        cx.lower_flat(rty, &result[0], &mut flat)?;
        out.copy_from_slice(&flat);
        Ok(())
    }
}

/// The core type of the resource built-in `op`.
pub(crate) fn builtin_type(op: ResourceOp) -> wasm_run_api::FuncType {
    use wasm_run_api::ValType::I32;
    // The two core types of the built-ins, made once (a clone is two
    // reference counts).
    static TYPES: OnceLock<[wasm_run_api::FuncType; 2]> = OnceLock::new();
    let [to_i32, to_none] = TYPES.get_or_init(|| {
        [
            wasm_run_api::FuncType::new([I32], [I32]),
            wasm_run_api::FuncType::new([I32], []),
        ]
    });
    match op {
        ResourceOp::New | ResourceOp::Rep => to_i32.clone(),
        ResourceOp::Drop => to_none.clone(),
    }
}

/// The core function of `canon resource.new/rep/drop` for resource type
/// `ty` of the instance with `resources`.
pub(crate) fn resource_builtin<E: Engine, T: 'static>(
    store: &mut Store<E, T>,
    op: ResourceOp,
    ty: u32,
    resources: Arc<Resources<E>>,
    host_dtor: Option<HostDtor<T>>,
) -> Result<wasm_run_api::Func<E>> {
    wasm_run_api::Func::new(
        &mut *store,
        builtin_type(op),
        move |caller: Caller<'_, E, T>, args: &[CoreVal<E>], out: &mut [CoreVal<E>]| {
            call_builtin(caller, op, ty, &resources, host_dtor.as_ref(), args, out)
        },
    )
}

/// A call of the resource built-in `op` for resource type `ty` of the
/// instance with `resources`.
pub(crate) fn call_builtin<E: Engine, T: 'static>(
    mut caller: Caller<'_, E, T>,
    op: ResourceOp,
    ty: u32,
    resources: &Resources<E>,
    host_dtor: Option<&HostDtor<T>>,
    args: &[CoreVal<E>],
    out: &mut [CoreVal<E>],
) -> Result<()> {
    let arg = match &args[0] {
        CoreVal::I32(x) => *x as u32,
        _ => return Err(Error::Type("a resource built-in got a non-i32".into())),
    };
    // Looked up at each call: an instance's destructors may be known only
    // after its core module exists.
    let entry = resources.entry(ty)?;
    let key = entry.kind.key();
    match op {
        ResourceOp::New => {
            let index = resources.table().add(Handle {
                ty: key,
                rep: arg,
                own: true,
                lends: 0,
            })?;
            out[0] = CoreVal::I32(index as i32);
        }
        ResourceOp::Rep => {
            let h = resources.table().get(arg, key)?;
            out[0] = CoreVal::I32(h.rep as i32);
        }
        ResourceOp::Drop => {
            let h = resources.table().remove(arg, key)?;
            if h.own {
                let dtor = match &entry.owner {
                    Owner::Defined(dtor) => *dtor,
                    Owner::Guest(definer) => {
                        let definer = definer
                            .upgrade()
                            .ok_or_else(|| Error::Engine("the defining instance is gone".into()))?;
                        let id = entry.kind.ty().map(|t| t.id).unwrap_or_default();
                        definer.dtor(id)?
                    }
                    Owner::Host => {
                        if let Some(dtor) = host_dtor {
                            dtor(&mut HostContext::new(&mut caller), h.rep)?;
                        }
                        None
                    }
                };
                if let Some(dtor) = dtor {
                    dtor.call(&mut caller, &[CoreVal::I32(h.rep as i32)], &mut [])?;
                }
            }
        }
    }
    Ok(())
}
