//! The native path: wasmtime's own component model (`wasmtime::component`)
//! behind this crate's API, on the wasmtime backend with
//! [`Config::native_components`](wasm_run_api::Config::native_components).
//!
//! The front end (validation, the world) is the portable path's; the
//! component is compiled, linked and called by wasmtime. The linker's
//! definitions are the same [`Linker`]'s: host functions become wasmtime
//! host functions that convert values both ways, host resource types
//! become wasmtime's dynamic host resource types (the representation is
//! the host's number on both paths), and resources a component defines are
//! wasmtime's own handles inside [`ResourceAny`].

use crate::component::{Component, ExportedModule};
use crate::func::{Func, FuncInner};
use crate::host::{Access, HostContext};
use crate::instance::{Def, Exported, Instance, Linker, Namespace};
use crate::native_bytes;
use crate::resources::{HostResourceType, Kind, ResourceAny, Resources};
use crate::types::{FuncType, ItemType, Type, TypeDef};
use crate::val::Val;
use foldhash::{HashMap, HashMapExt as _};
use std::sync::Arc;
use wasm_run_api::backend::ContextBackend;
use wasm_run_api::{
    AsContextMut, Engine, Error, Feature, LinkError, Result, Store, StoreId, TrapCode,
};
use wasm_run_wasmtime::{StoreData, Wasmtime, WasmtimeStore, native_call_error};
use wasmtime as wt;
use wasmtime::component as wc;

/// A component compiled by wasmtime.
pub(crate) struct NativeComponent {
    component: wc::Component,
}

/// An exported function of a native instance.
pub(crate) struct NativeFunc {
    func: wc::Func,
    ty: FuncType,
    hosts: Arc<HostTypes>,
    /// The store the instance lives in.
    store: StoreId,
}

impl NativeFunc {
    pub(crate) fn ty(&self) -> &FuncType {
        &self.ty
    }
}

/// The host resource types a native instance was linked with, by the
/// number wasmtime knows them by.
pub(crate) type HostTypes = HashMap<u32, HostResourceType>;

/// The wasmtime engine under `engine`, when `engine` runs on wasmtime.
pub(crate) fn wasmtime_of<E: Engine>(engine: &E) -> Option<&Wasmtime> {
    engine.backend().downcast_ref::<Wasmtime>()
}

/// Compiles a component binary (already validated by the front end).
pub(crate) fn compile(engine: &Wasmtime, binary: &[u8]) -> Result<NativeComponent> {
    wc::Component::new(engine.as_native(), binary)
        .map(|component| NativeComponent { component })
        .map_err(|e| Error::Compile {
            message: format!("{e:#}"),
            offset: None,
        })
}

/// The wasmtime store behind a context, which must be a store (calls into
/// a native instance start at the host).
fn store_of<E: Engine, C: ContextBackend<E> + ?Sized>(
    cx: &mut C,
) -> Result<&mut WasmtimeStore<C::Data>> {
    cx.backend_store()
        .and_then(|s| s.downcast_mut::<WasmtimeStore<C::Data>>())
        .ok_or_else(|| {
            Error::Type(
                "a component running on wasmtime's own component model is called from a \
                 wasmtime store (not from inside a host function, nor another engine's store)"
                    .into(),
            )
        })
}

/// The store behind a context, which must be `expected`.
fn store_checked<E: Engine, C: ContextBackend<E> + ?Sized>(
    cx: &mut C,
    expected: StoreId,
) -> Result<&mut WasmtimeStore<C::Data>> {
    if cx.store_id() != expected {
        return Err(Error::WrongStore);
    }
    store_of::<E, C>(cx)
}

/// wasmtime's store context seen from a host function.
struct NativeAccess<'a, T: 'static>(wt::StoreContextMut<'a, StoreData<T>>);

impl<T: 'static> Access<T> for NativeAccess<'_, T> {
    fn data(&self) -> &T {
        self.0.data().user()
    }
    fn data_mut(&mut self) -> &mut T {
        self.0.data_mut().user_mut()
    }
    fn get_fuel(&self) -> Result<u64> {
        self.0.get_fuel().map_err(|_| fuel_off())
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.0.set_fuel(fuel).map_err(|_| fuel_off())
    }
    fn check_stop(&mut self) -> Result<()> {
        self.0.data_mut().check_stop()
    }
}

fn fuel_off() -> Error {
    Error::unsupported(Feature::Fuel, "wasmtime")
}

/// An error of ours, carried through wasmtime (and recovered whole by
/// `native_call_error`).
pub(crate) fn to_wt(e: Error) -> wt::Error {
    wt::Error::new(e)
}

/// A component linked ahead on wasmtime: wasmtime's own pre-instantiation,
/// the host resource types it was linked with, and the core modules the
/// root exports as wasm-run modules (its own and the linker's).
pub(crate) struct NativePre<E: Engine, T: 'static> {
    pre: wc::InstancePre<StoreData<T>>,
    hosts: Arc<HostTypes>,
    modules: Vec<(String, wasm_run_api::Module<E>)>,
}

/// Links `component` with `linker`'s definitions on wasmtime, once for
/// every instantiation.
pub(crate) fn pre<E: Engine, T: 'static>(
    linker: &Linker<E, T>,
    component: &Component<E>,
    native: &NativeComponent,
) -> Result<NativePre<E, T>> {
    let mut hosts = HostTypes::new();
    collect_host_types(&linker.root, &mut hosts);
    let hosts = Arc::new(hosts);
    let mut l = wc::Linker::<StoreData<T>>::new(native.component.engine());
    define(
        &mut l.root(),
        "",
        component.world().imports(),
        &linker.root,
        &hosts,
        &mut Vec::new(),
    )?;
    // wasmtime's type check of the definitions against the imports: what
    // it refuses is a link error.
    let pre = l
        .instantiate_pre(&native.component)
        .map_err(|e| Error::from(LinkError::Other(format!("{e:#}"))))?;
    // The root's exported core modules: its own, and those of its imports
    // as the linker defined them.
    let modules = component
        .exported_modules()
        .iter()
        .filter_map(|(name, origin)| {
            let module = match origin {
                ExportedModule::Own(m) => m.clone(),
                ExportedModule::Imported(path) => {
                    match linker.root.get_path(path.iter().map(String::as_str))? {
                        Def::Module(m) => m.clone(),
                        _ => return None,
                    }
                }
            };
            Some((name.clone(), module))
        })
        .collect();
    Ok(NativePre {
        pre,
        hosts,
        modules,
    })
}

/// Instantiates a component linked ahead ([`pre`]) in `store`.
pub(crate) fn instantiate<E: Engine, T: 'static>(
    native: &NativePre<E, T>,
    store: &mut Store<E, T>,
    component: &Component<E>,
) -> Result<Instance<E>> {
    let store_id = store.id();
    let ws = store_of::<E, _>(store.backend_mut())?;
    if !wt::Engine::same(ws.as_native().engine(), native.pre.engine()) {
        return Err(Error::WrongStore);
    }
    let (pre, hosts) = (&native.pre, &native.hosts);
    ws.enter()?;
    let st = ws.as_native();
    let instance = pre.instantiate(&mut *st).map_err(native_call_error)?;
    let func = |st: &mut wt::Store<StoreData<T>>, idx: &wc::ComponentExportIndex, ty: &FuncType| {
        instance.get_func(&mut *st, idx).map(|func| {
            Exported::Func(Func {
                inner: FuncInner::Native(Arc::new(NativeFunc {
                    func,
                    ty: ty.clone(),
                    hosts: hosts.clone(),
                    store: store_id,
                })),
            })
        })
    };
    let mut exports = HashMap::new();
    for (name, item) in component.world().exports() {
        let Some(idx) = instance.get_export_index(&mut *st, None, name) else {
            continue;
        };
        match item {
            ItemType::Func(ty) => {
                if let Some(f) = func(st, &idx, ty) {
                    exports.insert(name.clone(), f);
                }
            }
            ItemType::Instance(items) => {
                let mut inner = HashMap::new();
                for (n, item) in items.iter() {
                    if let ItemType::Func(ty) = item
                        && let Some(i) = instance.get_export_index(&mut *st, Some(&idx), n)
                        && let Some(f) = func(st, &i, ty)
                    {
                        inner.insert(n.clone(), f);
                    }
                }
                exports.insert(name.clone(), Exported::Instance(Arc::new(inner)));
            }
            _ => {}
        }
    }
    for (name, module) in &native.modules {
        exports.insert(name.clone(), Exported::Module(module.clone()));
    }
    Ok(Instance {
        exports: Arc::new(exports),
        resources: Resources::new(),
        tree: Arc::new([]),
    })
}

fn collect_host_types<E: Engine, T: 'static>(ns: &Namespace<E, T>, out: &mut HostTypes) {
    for def in ns.items.values() {
        match def {
            Def::Resource(ty, _) => {
                out.insert(native_id(ty), ty.clone());
            }
            Def::Instance(inner) => collect_host_types(inner, out),
            _ => {}
        }
    }
}

/// The number wasmtime knows a host resource type by.
fn native_id(ty: &HostResourceType) -> u32 {
    // Host types are numbered from 1 by one process-wide counter.
    ty.id as u32
}

/// Defines in wasmtime's linker what the component imports (`imports`,
/// under `path`), from the linker's namespace `ns`; what it does not
/// define is the portable path's link error, named before wasmtime sees
/// the linker.
fn define<E: Engine, T: 'static>(
    l: &mut wc::LinkerInstance<'_, StoreData<T>>,
    path: &str,
    imports: &[(String, ItemType)],
    ns: &Namespace<E, T>,
    hosts: &Arc<HostTypes>,
    // Resource types imported so far (in any instance): an import `(eq $r)`
    // to one of them, such as an interface's `use`d type, is known to
    // wasmtime by the first, so the linker need not define it again.
    resources: &mut Vec<u32>,
) -> Result<()> {
    let link = |e: wt::Error| Error::from(LinkError::Other(format!("{e:#}")));
    let missing = |name: &str, what: &str| -> Error {
        LinkError::Other(format!(
            "the linker defines no {what} for import `{path}{name}`"
        ))
        .into()
    };
    for (name, ty) in imports {
        if let ItemType::Type(TypeDef::Resource(rt)) = ty {
            if resources.contains(&rt.id) && ns.get(name).is_none() {
                continue;
            }
            resources.push(rt.id);
        }
        match (ty, ns.get(name)) {
            (ItemType::Func(ty), Some(Def::Func(f)))
                if let Some(shape) = native_bytes::shape(ty) =>
            {
                native_bytes::define(l, name, shape, f.clone(), ty.clone(), hosts.clone())
                    .map_err(link)?;
            }
            (ItemType::Func(ty), Some(Def::Func(f))) => {
                let (f, ty) = (f.clone(), ty.clone());
                let hosts = hosts.clone();
                l.func_new(name, move |mut cx, _, params, results| {
                    let args = params
                        .iter()
                        .zip(ty.params())
                        .map(|(v, (_, t))| from_native(v, t, &mut cx, &hosts))
                        .collect::<Result<Vec<_>>>()
                        .map_err(to_wt)?;
                    let mut out = vec![Val::Bool(false); results.len()];
                    call_host(&f, &ty, &mut cx, &args, &mut out).map_err(to_wt)?;
                    if let (Some(slot), Some(v), Some(rty)) =
                        (results.first_mut(), out.first(), ty.result())
                    {
                        *slot = to_native(v, rty, &mut cx, &hosts).map_err(to_wt)?;
                    }
                    Ok(())
                })
                .map_err(link)?;
            }
            (ItemType::Func(_), _) => return Err(missing(name, "function")),
            (ItemType::Instance(items), Some(Def::Instance(inner))) => {
                let mut sub = l.instance(name).map_err(link)?;
                define(
                    &mut sub,
                    &format!("{path}{name}#"),
                    items,
                    inner,
                    hosts,
                    resources,
                )?;
            }
            // An instance the linker does not define is fine when nothing
            // in it needs a definition (as on the portable path).
            (ty @ ItemType::Instance(_), None) if !crate::types::needs_definition(ty) => {}
            (ItemType::Instance(_), _) => return Err(missing(name, "instance")),
            (ItemType::Type(TypeDef::Resource(_)), Some(Def::Resource(ty, dtor))) => {
                let dtor = dtor.clone();
                l.resource(
                    name,
                    wc::ResourceType::host_dynamic(native_id(ty)),
                    move |cx, rep| {
                        let mut access = NativeAccess(cx);
                        dtor(&mut HostContext::new(&mut access), rep).map_err(to_wt)
                    },
                )
                .map_err(link)?;
            }
            (ItemType::Type(TypeDef::Resource(_)), _) => {
                return Err(missing(name, "resource type"));
            }
            (ItemType::Module(_), Some(Def::Module(m))) => {
                // The portable path checked the module's type against the
                // import when the linker was asked; wasmtime checks again.
                let native = m
                    .engine()
                    .backend_module(m.as_native())
                    .downcast_ref::<wt::Module>()
                    .ok_or_else(|| {
                        Error::from(LinkError::Other(format!(
                            "the core module for import `{path}{name}` was compiled by \
                             another engine"
                        )))
                    })?;
                l.module(name, native).map_err(link)?;
            }
            (ItemType::Module(_), _) => return Err(missing(name, "core module")),
            (ItemType::Component | ItemType::Value(_), _) => {
                return Err(Error::unsupported(
                    Feature::ComponentModel,
                    "wasmtime's own component model through wasm-run (imports of \
                             components or values)",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Runs the host function `f` of type `ty` on `args` with wasmtime's
/// store context, its result (if any) written to `out` and checked to be of
/// the result type.
pub(crate) fn call_host<T: 'static>(
    f: &crate::host::HostFunc<T>,
    ty: &FuncType,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    args: &[Val],
    out: &mut [Val],
) -> Result<()> {
    {
        let mut access = NativeAccess(wt::AsContextMut::as_context_mut(cx));
        f(&mut HostContext::new(&mut access), args, out)?;
    }
    match (ty.result(), out.first()) {
        (Some(rty), Some(v)) if !v.has_type(rty) => Err(Error::Type(format!(
            "the host function returned {v}, not a {rty}"
        ))),
        _ => Ok(()),
    }
}

/// Calls a native function (see [`Func::call`]).
pub(crate) fn call<E: Engine>(
    f: &NativeFunc,
    mut store: impl AsContextMut<E>,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let ws = store_checked::<E, _>(store.ctx_mut(), f.store)?;
    ws.enter()?;
    let mut cx = wt::AsContextMut::as_context_mut(ws.as_native());
    let args = params
        .iter()
        .zip(f.ty.params())
        .map(|(v, (_, t))| to_native(v, t, &mut cx, &f.hosts))
        .collect::<Result<Vec<_>>>()?;
    let mut out = vec![wc::Val::Bool(false); results.len()];
    f.func
        .call(&mut cx, &args, &mut out)
        .map_err(|e| guest_error(native_call_error(e)))?;
    if let (Some(slot), Some(v), Some(ty)) = (results.first_mut(), out.first(), f.ty.result()) {
        *slot = from_native(v, ty, &mut cx, &f.hosts)?;
    }
    Ok(())
}

/// wasmtime reports what the canonical ABI traps on (a string not in its
/// encoding, a pointer out of bounds, a bad discriminant, a bad handle) as
/// errors that are not `Trap`s; they are traps on the portable path, and
/// here too, with the same codes.
fn guest_error(e: Error) -> Error {
    let Error::Engine(message) = &e else {
        return e;
    };
    let m = message.to_ascii_lowercase();
    let code = if m.contains("utf-8") || m.contains("utf-16") || m.contains("utf8") {
        TrapCode::InvalidEncoding
    } else if m.contains("char") {
        TrapCode::InvalidChar
    } else if m.contains("unaligned") || m.contains("aligned") {
        TrapCode::UnalignedPointer
    } else if m.contains("out of bounds") || m.contains("realloc return") {
        TrapCode::MemoryOutOfBounds
    } else if m.contains("discriminant") || m.contains("flags") || m.contains("invalid enum") {
        TrapCode::InvalidDiscriminant
    } else if m.contains("handle") || m.contains("resource") || m.contains("borrow") {
        TrapCode::InvalidHandle
    } else {
        TrapCode::Other
    };
    Error::Trap {
        code,
        message: message.message().into(),
        frames: Default::default(),
    }
}

/// Our value of type `ty` as wasmtime's (`v` has the type: the caller
/// checked). An owned resource passed as `own` is used up.
pub(crate) fn to_native<T: 'static>(
    v: &Val,
    ty: &Type,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    hosts: &HostTypes,
) -> Result<wc::Val> {
    let mismatch = || Error::Type(format!("{v} is not a {ty}"));
    Ok(match (v, ty) {
        (Val::Bool(x), _) => wc::Val::Bool(*x),
        (Val::S8(x), _) => wc::Val::S8(*x),
        (Val::U8(x), _) => wc::Val::U8(*x),
        (Val::S16(x), _) => wc::Val::S16(*x),
        (Val::U16(x), _) => wc::Val::U16(*x),
        (Val::S32(x), _) => wc::Val::S32(*x),
        (Val::U32(x), _) => wc::Val::U32(*x),
        (Val::S64(x), _) => wc::Val::S64(*x),
        (Val::U64(x), _) => wc::Val::U64(*x),
        (Val::F32(x), _) => wc::Val::Float32(*x),
        (Val::F64(x), _) => wc::Val::Float64(*x),
        (Val::Char(x), _) => wc::Val::Char(*x),
        (Val::String(x), _) => wc::Val::String(x.clone()),
        (Val::List(x), Type::List(t)) => wc::Val::List(
            x.iter()
                .map(|v| to_native(v, t, cx, hosts))
                .collect::<Result<_>>()?,
        ),
        (Val::Bytes(x), Type::List(t)) if matches!(**t, Type::U8) => {
            wc::Val::List(x.iter().map(|b| wc::Val::U8(*b)).collect())
        }
        (Val::List(x), Type::FixedList(t, n)) if x.len() == *n as usize => {
            wc::Val::FixedLengthList(
                x.iter()
                    .map(|v| to_native(v, t, cx, hosts))
                    .collect::<Result<_>>()?,
            )
        }
        (Val::Bytes(x), Type::FixedList(t, n))
            if matches!(**t, Type::U8) && x.len() == *n as usize =>
        {
            wc::Val::FixedLengthList(x.iter().map(|b| wc::Val::U8(*b)).collect())
        }
        (Val::Map(x), Type::Map(kv)) => wc::Val::Map(
            x.iter()
                .map(|(k, v)| {
                    Ok((
                        to_native(k, &kv.0, cx, hosts)?,
                        to_native(v, &kv.1, cx, hosts)?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
        (Val::Tuple(x), Type::Tuple(ts)) => wc::Val::Tuple(
            x.iter()
                .zip(ts.iter())
                .map(|(v, t)| to_native(v, t, cx, hosts))
                .collect::<Result<_>>()?,
        ),
        (Val::Record(x), Type::Record(fields)) => wc::Val::Record(
            x.iter()
                .zip(fields.iter())
                .map(|((n, v), (_, t))| Ok((n.clone(), to_native(v, t, cx, hosts)?)))
                .collect::<Result<_>>()?,
        ),
        (Val::Variant(n, v), Type::Variant(cases)) => {
            let case = cases.iter().find(|(c, _)| c == n).ok_or_else(mismatch)?;
            wc::Val::Variant(n.clone(), boxed_to(v, case.1.as_ref(), cx, hosts)?)
        }
        (Val::Enum(n), _) => wc::Val::Enum(n.clone()),
        (Val::Option(v), Type::Option(t)) => wc::Val::Option(boxed_to(v, Some(t), cx, hosts)?),
        (Val::Result(r), Type::Result(ts)) => wc::Val::Result(match r {
            Ok(v) => Ok(boxed_to(v, ts.0.as_ref(), cx, hosts)?),
            Err(v) => Err(boxed_to(v, ts.1.as_ref(), cx, hosts)?),
        }),
        (Val::Flags(x), _) => wc::Val::Flags(x.clone()),
        (Val::Resource(r), Type::Own(_) | Type::Borrow(_)) => {
            let own = matches!(ty, Type::Own(_));
            wc::Val::Resource(match &r.kind {
                Kind::Native { any, store, .. } => {
                    if *store != cx.data().store_id() {
                        return Err(Error::WrongStore);
                    }
                    if own {
                        r.take()?;
                    }
                    *any
                }
                Kind::Host(host) => {
                    let id = native_id(host);
                    if hosts.get(&id) != Some(host) {
                        return Err(Error::Type(format!(
                            "a resource of the host type `{}`, which this instance was not linked with",
                            host.name()
                        )));
                    }
                    if own {
                        r.take()?;
                    }
                    // Lent as an owned handle of the host's even for a
                    // `borrow` (wasmtime makes borrows of host resources
                    // only inside a host call).
                    wc::ResourceDynamic::new_own(r.rep, id)
                        .try_into_resource_any(&mut *cx)
                        .map_err(native_call_error)?
                }
                Kind::Guest { .. } => {
                    return Err(Error::Type(
                        "a resource of an instance on the portable path given to one on \
                         wasmtime's own component model"
                            .into(),
                    ));
                }
            })
        }
        _ => return Err(mismatch()),
    })
}

fn boxed_to<T: 'static>(
    v: &Option<Box<Val>>,
    ty: Option<&Type>,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    hosts: &HostTypes,
) -> Result<Option<Box<wc::Val>>> {
    match (v.as_deref(), ty) {
        (Some(v), Some(t)) => Ok(Some(Box::new(to_native(v, t, cx, hosts)?))),
        (None, _) => Ok(None),
        (Some(v), None) => Err(Error::Type(format!(
            "a payload {v} where the type has none"
        ))),
    }
}

/// wasmtime's value of type `ty` as ours.
pub(crate) fn from_native<T: 'static>(
    v: &wc::Val,
    ty: &Type,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    hosts: &HostTypes,
) -> Result<Val> {
    let mismatch = || Error::Type(format!("wasmtime gave {v:?} for a {ty}"));
    Ok(match (v, ty) {
        (wc::Val::Bool(x), _) => Val::Bool(*x),
        (wc::Val::S8(x), _) => Val::S8(*x),
        (wc::Val::U8(x), _) => Val::U8(*x),
        (wc::Val::S16(x), _) => Val::S16(*x),
        (wc::Val::U16(x), _) => Val::U16(*x),
        (wc::Val::S32(x), _) => Val::S32(*x),
        (wc::Val::U32(x), _) => Val::U32(*x),
        (wc::Val::S64(x), _) => Val::S64(*x),
        (wc::Val::U64(x), _) => Val::U64(*x),
        (wc::Val::Float32(x), _) => Val::F32(*x),
        (wc::Val::Float64(x), _) => Val::F64(*x),
        (wc::Val::Char(x), _) => Val::Char(*x),
        (wc::Val::String(x), _) => Val::String(x.clone()),
        (wc::Val::List(x), Type::List(t)) if matches!(**t, Type::U8) => Val::Bytes(
            x.iter()
                .map(|v| match v {
                    wc::Val::U8(b) => Ok(*b),
                    _ => Err(mismatch()),
                })
                .collect::<Result<_>>()?,
        ),
        (wc::Val::List(x), Type::List(t)) => Val::List(
            x.iter()
                .map(|v| from_native(v, t, cx, hosts))
                .collect::<Result<_>>()?,
        ),
        (wc::Val::FixedLengthList(x), Type::FixedList(t, _)) if matches!(**t, Type::U8) => {
            Val::Bytes(
                x.iter()
                    .map(|v| match v {
                        wc::Val::U8(b) => Ok(*b),
                        _ => Err(mismatch()),
                    })
                    .collect::<Result<_>>()?,
            )
        }
        (wc::Val::FixedLengthList(x), Type::FixedList(t, _)) => Val::List(
            x.iter()
                .map(|v| from_native(v, t, cx, hosts))
                .collect::<Result<_>>()?,
        ),
        (wc::Val::Map(x), Type::Map(kv)) => Val::Map(
            x.iter()
                .map(|(k, v)| {
                    Ok((
                        from_native(k, &kv.0, cx, hosts)?,
                        from_native(v, &kv.1, cx, hosts)?,
                    ))
                })
                .collect::<Result<_>>()?,
        ),
        (wc::Val::Tuple(x), Type::Tuple(ts)) => Val::Tuple(
            x.iter()
                .zip(ts.iter())
                .map(|(v, t)| from_native(v, t, cx, hosts))
                .collect::<Result<_>>()?,
        ),
        (wc::Val::Record(x), Type::Record(fields)) => Val::Record(
            x.iter()
                .zip(fields.iter())
                .map(|((n, v), (_, t))| Ok((n.clone(), from_native(v, t, cx, hosts)?)))
                .collect::<Result<_>>()?,
        ),
        (wc::Val::Variant(n, v), Type::Variant(cases)) => {
            let case = cases.iter().find(|(c, _)| c == n).ok_or_else(mismatch)?;
            Val::Variant(n.clone(), boxed_from(v, case.1.as_ref(), cx, hosts)?)
        }
        (wc::Val::Enum(n), _) => Val::Enum(n.clone()),
        (wc::Val::Option(v), Type::Option(t)) => Val::Option(boxed_from(v, Some(t), cx, hosts)?),
        (wc::Val::Result(r), Type::Result(ts)) => Val::Result(match r {
            Ok(v) => Ok(boxed_from(v, ts.0.as_ref(), cx, hosts)?),
            Err(v) => Err(boxed_from(v, ts.1.as_ref(), cx, hosts)?),
        }),
        (wc::Val::Flags(x), _) => Val::Flags(x.clone()),
        (wc::Val::Resource(any), Type::Own(rt) | Type::Borrow(rt)) => {
            let host = hosts
                .iter()
                .find(|(id, _)| any.ty() == wc::ResourceType::host_dynamic(**id));
            let own = any.owned();
            match host {
                Some((_, host)) => {
                    let dynamic = any
                        .try_into_resource_dynamic(&mut *cx)
                        .map_err(native_call_error)?;
                    Val::Resource(ResourceAny::new(
                        Kind::Host(host.clone()),
                        dynamic.rep(),
                        own,
                    ))
                }
                None => Val::Resource(ResourceAny::new(
                    Kind::Native {
                        any: *any,
                        ty: rt.clone(),
                        store: cx.data().store_id(),
                    },
                    0,
                    own,
                )),
            }
        }
        (wc::Val::Future(_) | wc::Val::Stream(_) | wc::Val::ErrorContext(_), _) => {
            return Err(Error::Unsupported {
                feature: Feature::ComponentModelAsync,
                engine: "wasm-run (futures, streams, error contexts)",
            });
        }
        _ => return Err(mismatch()),
    })
}

fn boxed_from<T: 'static>(
    v: &Option<Box<wc::Val>>,
    ty: Option<&Type>,
    cx: &mut wt::StoreContextMut<'_, StoreData<T>>,
    hosts: &HostTypes,
) -> Result<Option<Box<Val>>> {
    match (v.as_deref(), ty) {
        (Some(v), Some(t)) => Ok(Some(Box::new(from_native(v, t, cx, hosts)?))),
        (None, _) => Ok(None),
        (Some(v), None) => Err(Error::Type(format!(
            "wasmtime gave a payload {v:?} where the type has none"
        ))),
    }
}

/// Drops a resource a native instance's component defines, that the host
/// owns.
pub(crate) fn drop_resource<E: Engine>(
    mut store: impl AsContextMut<E>,
    any: wc::ResourceAny,
    owner: StoreId,
) -> Result<()> {
    let ws = store_checked::<E, _>(store.ctx_mut(), owner)?;
    ws.enter()?;
    any.resource_drop(ws.as_native())
        .map_err(|e| guest_error(native_call_error(e)))
}
