//! Typed wasmtime definitions for the host functions that move bytes
//! through streams, on the native path.
//!
//! wasmtime's dynamic host functions (`func_new`) carry a `list<u8>` as one
//! `wasmtime::component::Val` per byte (about 30 ns a byte: 33 ms for a
//! 1 MiB `cat`); its typed ones (`func_wrap`) copy a byte list in one go.
//! Typed definitions need Rust types fixed at compile time, so this module
//! covers the two shapes that carry a stream's data, whatever the names
//! (wasi:io's `read`/`blocking-read` and `write`/`blocking-write-and-flush`
//! have them):
//!
//! - read: `(borrow<R>, u64) -> result<list<u8>, E>`
//! - write: `(borrow<R>, list<u8>) -> result<_, E>`
//!
//! where `E` is wasi:io's `stream-error` shape, `variant {
//! last-operation-failed(own<R2>), closed }`. The host function itself is
//! the same `&[Val]` closure as on every path; only the conversions differ.

use crate::host::HostFunc;
use crate::native::{HostTypes, call_host, from_native, to_native, to_wt};
use crate::types::{FuncType, Type};
use crate::val::Val;
use std::sync::Arc;
use wasm_run_api::{Error, Result};
use wasm_run_wasmtime::StoreData;
use wasmtime as wt;
use wasmtime::component as wc;

/// wasi:io's `stream-error` as wasmtime's typed values see it.
#[derive(wc::ComponentType, wc::Lift, wc::Lower)]
#[component(variant)]
enum StreamError {
    #[component(name = "last-operation-failed")]
    LastOperationFailed(wc::ResourceAny),
    #[component(name = "closed")]
    Closed,
}

/// Which typed shape a function type has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Read,
    Write,
}

fn is_bytes(ty: &Type) -> bool {
    matches!(ty, Type::List(t) if **t == Type::U8)
}

/// Whether `ty` is `variant { last-operation-failed(own<_>), closed }`.
fn is_stream_error(ty: &Type) -> bool {
    match ty {
        Type::Variant(cases) => matches!(
            &cases[..],
            [(failed, Some(Type::Own(_))), (closed, None)]
                if failed == "last-operation-failed" && closed == "closed"
        ),
        _ => false,
    }
}

/// The typed shape of `ty`, if it has one.
pub(crate) fn shape(ty: &FuncType) -> Option<Shape> {
    let Some(Type::Result(r)) = ty.result() else {
        return None;
    };
    if !r.1.as_ref().is_some_and(is_stream_error) {
        return None;
    }
    match (ty.params(), &r.0) {
        ([(_, Type::Borrow(_)), (_, Type::U64)], Some(ok)) if is_bytes(ok) => Some(Shape::Read),
        ([(_, Type::Borrow(_)), (_, data)], None) if is_bytes(data) => Some(Shape::Write),
        _ => None,
    }
}

/// Runs the host function `f` (one result) on `args` and returns its
/// result, checked to be of `ty`'s result type.
fn run<T: 'static>(
    f: &HostFunc<T>,
    ty: &FuncType,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    args: &[Val],
) -> Result<Val> {
    let mut out = [Val::Bool(false)];
    call_host(f, ty, cx, args, &mut out)?;
    let [v] = out;
    Ok(v)
}

/// Our stream error as wasmtime's typed one.
fn stream_error<T: 'static>(
    v: Option<Box<Val>>,
    ty: &Type,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    hosts: &HostTypes,
) -> Result<StreamError> {
    let Some(v) = v else {
        return Err(Error::Type("a stream error without a case".into()));
    };
    match to_native(&v, ty, cx, hosts)? {
        wc::Val::Variant(case, Some(payload)) if case == "last-operation-failed" => {
            match *payload {
                wc::Val::Resource(any) => Ok(StreamError::LastOperationFailed(any)),
                other => Err(Error::Type(format!("{other:?} is not an error resource"))),
            }
        }
        wc::Val::Variant(case, None) if case == "closed" => Ok(StreamError::Closed),
        other => Err(Error::Type(format!("{other:?} is not a stream error"))),
    }
}

/// Defines `name` as the host function `f` of type `ty`, whose shape is
/// `shape`, with a typed wasmtime function.
pub(crate) fn define<T: 'static>(
    l: &mut wc::LinkerInstance<'_, StoreData<T>>,
    name: &str,
    shape: Shape,
    f: HostFunc<T>,
    ty: FuncType,
    hosts: Arc<HostTypes>,
) -> wt::Result<()> {
    // The checked shape's parts.
    let stream_ty = ty.params()[0].1.clone();
    let Some(Type::Result(r)) = ty.result() else {
        unreachable!("`shape` checked the result")
    };
    let err_ty = r.1.clone().expect("`shape` checked the error type");
    match shape {
        Shape::Write => l.func_wrap(
            name,
            move |mut cx: wt::StoreContextMut<'_, StoreData<T>>,
                  (stream, data): (wc::ResourceAny, Vec<u8>)| {
                let stream = from_native(&wc::Val::Resource(stream), &stream_ty, &mut cx, &hosts)
                    .map_err(to_wt)?;
                let out = run(&f, &ty, &mut cx, &[stream, Val::Bytes(data)]).map_err(to_wt)?;
                let r: Result<(), StreamError> = match out {
                    Val::Result(Ok(_)) => Ok(()),
                    Val::Result(Err(e)) => {
                        Err(stream_error(e, &err_ty, &mut cx, &hosts).map_err(to_wt)?)
                    }
                    other => return Err(to_wt(Error::Type(format!("{other} is not a result")))),
                };
                Ok((r,))
            },
        ),
        Shape::Read => l.func_wrap(
            name,
            move |mut cx: wt::StoreContextMut<'_, StoreData<T>>,
                  (stream, len): (wc::ResourceAny, u64)| {
                let stream = from_native(&wc::Val::Resource(stream), &stream_ty, &mut cx, &hosts)
                    .map_err(to_wt)?;
                let out = run(&f, &ty, &mut cx, &[stream, Val::U64(len)]).map_err(to_wt)?;
                let r: Result<Vec<u8>, StreamError> = match out {
                    Val::Result(Ok(Some(v))) => Ok(match *v {
                        Val::Bytes(b) => b,
                        Val::List(items) => items
                            .into_iter()
                            .map(|v| match v {
                                Val::U8(b) => Ok(b),
                                other => Err(to_wt(Error::Type(format!("{other} is not a u8")))),
                            })
                            .collect::<wt::Result<_>>()?,
                        other => {
                            return Err(to_wt(Error::Type(format!("{other} is not a list<u8>"))));
                        }
                    }),
                    Val::Result(Err(e)) => {
                        Err(stream_error(e, &err_ty, &mut cx, &hosts).map_err(to_wt)?)
                    }
                    other => return Err(to_wt(Error::Type(format!("{other} is not a result")))),
                };
                Ok((r,))
            },
        ),
    }
}
