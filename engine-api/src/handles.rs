//! Handles to functions, memories, tables, globals, tags and references.
//! Each is a small `Copy` value used together with its store. (Instances and
//! `Extern` are in `instance.rs`, shared memories in `shared_memory.rs`.)

use crate::Engine;
use crate::backend::{ContextBackend, StoreId};
use crate::error::{Error, Result};
use crate::host::{HostFunc, UntypedHostFunc, guard};
use crate::store::{AsContext, AsContextMut};
use crate::types::*;
use crate::val::{Val, WasmTyList};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $assoc:ident) => {
        $(#[$doc])*
        ///
        /// The handle remembers the [`StoreId`] of the store that owns it; every
        /// method checks it against the store it is given.
        pub struct $name<E: Engine> {
            native: E::$assoc,
            store: StoreId,
        }

        impl<E: Engine> $name<E> {
            /// Wraps a backend handle owned by the store `store` (used by
            /// backends, which know the id of the context they work in).
            pub fn from_native(native: E::$assoc, store: StoreId) -> Self {
                $name { native, store }
            }
            /// The backend handle (escape hatch to the engine's own API).
            pub fn as_native(&self) -> &E::$assoc {
                &self.native
            }
            /// The id of the store that owns this handle.
            pub fn store_id(&self) -> StoreId {
                self.store
            }
            /// The same handle of another backend type, for adapters such as
            /// `AnyEngine` that wrap one backend's handles in their own: `f`
            /// converts the native handle, the owner stays the same.
            pub fn map_native<E2: Engine>(self, f: impl FnOnce(E::$assoc) -> E2::$assoc) -> $name<E2> {
                $name { native: f(self.native), store: self.store }
            }
            /// The native handle if `store` owns it, [`Error::WrongStore`] if not.
            #[inline(always)]
            #[allow(dead_code)] // not every handle has a fallible method
            pub(crate) fn native_in(&self, store: StoreId) -> Result<E::$assoc> {
                if self.store == store {
                    Ok(self.native)
                } else {
                    Err(Error::WrongStore)
                }
            }
            /// The native handle; panics with wasm-run's message if `store`
            /// does not own it (for methods without a `Result`).
            #[inline(always)]
            #[track_caller]
            #[allow(dead_code)]
            pub(crate) fn native_of(&self, store: StoreId) -> E::$assoc {
                if self.store != store {
                    wrong_store(stringify!($name));
                }
                self.native
            }
        }
        impl<E: Engine> Clone for $name<E> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<E: Engine> Copy for $name<E> {}
        impl<E: Engine> fmt::Debug for $name<E> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.native, f)
            }
        }
    };
}

#[cold]
#[track_caller]
pub(crate) fn wrong_store(what: &str) -> ! {
    panic!("wasm-run: a {what} handle was used with a store that does not own it")
}

/// [`Error::WrongStore`] unless every reference in `vals` belongs to `store`.
/// A failed host growth from `size` by `delta` as the API reports it: past
/// `maximum` (the type's) it is the backend's [`Error::Access`]; within it,
/// the store refused it, which is [`Error::ResourceLimit`]. Other errors (a
/// limiter's own failure) pass unchanged. Only the error path gets here.
fn growth_error(e: Error, size: u64, delta: u64, maximum: u64) -> Error {
    match e {
        Error::Access(message) if size.checked_add(delta).is_some_and(|n| n <= maximum) => {
            Error::ResourceLimit(message)
        }
        other => other,
    }
}

pub(crate) fn check_vals_owner<E: Engine>(vals: &[Val<E>], store: StoreId) -> Result<()> {
    if vals
        .iter()
        .all(|v| v.store_id().is_none_or(|id| id == store))
    {
        Ok(())
    } else {
        Err(Error::WrongStore)
    }
}

fn check_owner<E: Engine>(val: &Val<E>, store: StoreId) -> Result<()> {
    check_vals_owner(std::slice::from_ref(val), store)
}

handle!(
    /// A WebAssembly or host function.
    Func, Func
);
handle!(
    /// A linear memory.
    Memory, Memory
);
handle!(
    /// A table of references.
    Table, Table
);
handle!(
    /// A global variable.
    Global, Global
);
handle!(
    /// A non-null reference to a host value, passed to wasm as `externref`.
    ExternRef, ExternRef
);
handle!(
    /// An exception tag.
    Tag, Tag
);
handle!(
    /// A non-null GC reference of the `any` hierarchy (`i31`, struct, array,
    /// or a host reference converted with `any.convert_extern`).
    AnyRef, AnyRef
);
handle!(
    /// A non-null exception reference (`exnref`).
    ExnRef, ExnRef
);

/// What an [`AnyRef`] points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnyRefKind {
    /// An unboxed 31-bit integer (the value, zero-extended).
    I31(u32),
    /// A GC struct.
    Struct,
    /// A GC array.
    Array,
    /// A host reference converted with `any.convert_extern`.
    Host,
}

impl<E: Engine> Tag<E> {
    /// The tag's type.
    ///
    /// # Panics
    ///
    /// Panics if the tag belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> TagType {
        let ctx = store.ctx();
        let t = self.native_of(ctx.store_id());
        match ctx.tags() {
            Some(tags) => tags.tag_ty(&t),
            None => no_optional_part::<E>("tags"),
        }
    }
}

impl<E: Engine> AnyRef<E> {
    /// An `i31ref` holding the low 31 bits of `value`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for `gc` on a backend without GC references (wasmi).
    pub fn from_i31(mut store: impl AsContextMut<E>, value: u32) -> Result<Self> {
        let id = store.ctx().store_id();
        guard(|| gc_refs_mut(&mut store)?.anyref_from_i31(value))
            .map(|r| AnyRef::from_native(r, id))
    }
    /// `any.convert_extern`: a host reference as `anyref`.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`] for `gc` on a backend without GC references (wasmi).
    /// - [`Error::WrongStore`] if `r` belongs to a different store (or backend) than
    ///   `store`.
    /// - [`Error::Engine`] if wasmtime refuses the conversion.
    pub fn from_extern(mut store: impl AsContextMut<E>, r: ExternRef<E>) -> Result<Self> {
        let id = store.ctx().store_id();
        let r = r.native_in(id)?;
        guard(|| gc_refs_mut(&mut store)?.anyref_from_extern(r)).map(|r| AnyRef::from_native(r, id))
    }
    /// What the reference points to.
    ///
    /// # Panics
    ///
    /// Panics if the reference belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn kind(&self, store: impl AsContext<E>) -> AnyRefKind {
        let ctx = store.ctx();
        let r = self.native_of(ctx.store_id());
        match ctx.gc_refs() {
            Some(gc) => gc.anyref_kind(&r),
            None => no_optional_part::<E>("gc_refs"),
        }
    }
}

/// The GC reference operations of `store`'s backend, or the typed
/// `Unsupported` of a backend without them.
fn gc_refs_mut<E: Engine>(
    store: &mut impl AsContextMut<E>,
) -> Result<&mut dyn crate::backend::GcRefsBackend<E>> {
    store
        .ctx_mut()
        .gc_refs_mut()
        .ok_or(Error::unsupported(crate::Feature::Gc, E::NAME))
}

/// A handle of an optional proposal exists, so its backend broke the
/// contract by not giving the proposal's operations.
#[cold]
#[track_caller]
fn no_optional_part<E: Engine>(which: &str) -> ! {
    panic!(
        "the {} backend has values of an optional proposal's handle but answers `None` for `ContextBackend::{which}` (a backend bug)",
        E::NAME
    )
}

fn check_vals<E: Engine>(what: &str, vals: &[Val<E>], tys: &[ValType]) -> Result<()> {
    if vals.len() != tys.len() {
        return Err(Error::Type(format!(
            "expected {} {what}, got {}",
            tys.len(),
            vals.len()
        )));
    }
    for (i, (v, t)) in vals.iter().zip(tys).enumerate() {
        if !v.matches(t) {
            return Err(Error::Type(format!(
                "{what} {i}: expected {t}, got {}",
                v.ty()
            )));
        }
    }
    Ok(())
}

impl<E: Engine> Func<E> {
    /// A host function from an untyped closure of type `ty`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] if the backend cannot represent a type of `ty`: on
    /// wasmi, a reference type other than nullable `funcref` and `externref`.
    /// wasmtime does not fail here.
    pub fn new<T: 'static, C>(
        mut store: C,
        ty: FuncType,
        f: impl UntypedHostFunc<E, T>,
    ) -> Result<Self>
    where
        C: AsContextMut<E>,
        C::Ctx: ContextBackend<E, Data = T>,
    {
        let id = store.ctx().store_id();
        store
            .ctx_mut()
            .func_new(ty, f)
            .map(|f| Func::from_native(f, id))
    }

    /// A host function from a typed closure.
    ///
    /// # Errors
    ///
    /// None on the built-in backends, which represent every typed (numeric)
    /// signature; the `Result` is for a backend that cannot.
    pub fn wrap<T: 'static, P: WasmTyList, R: WasmTyList, C>(
        mut store: C,
        f: impl HostFunc<E, T, P, R>,
    ) -> Result<Self>
    where
        C: AsContextMut<E>,
        C::Ctx: ContextBackend<E, Data = T>,
    {
        let id = store.ctx().store_id();
        store
            .ctx_mut()
            .func_wrap(f)
            .map(|f| Func::from_native(f, id))
    }

    /// The function's type.
    ///
    /// # Panics
    ///
    /// Panics if the function belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> FuncType {
        let ctx = store.ctx();
        ctx.func_ty(&self.native_of(ctx.store_id()))
    }

    /// Calls the function. `results` must have room for every result. The
    /// backend checks arity and types; the call allocates nothing for up to 16
    /// parameters and results.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `params` do not match the function's parameter types or
    ///   `results` does not have exactly one slot per result.
    /// - [`Error::Trap`] if execution traps (running out of fuel included).
    /// - Any error a host function called on the way returns, unchanged (e.g.
    ///   [`Error::Host`], or [`Error::Exit`] from WASI's `proc_exit`);
    ///   [`Error::HostPanic`] if one panics.
    /// - [`Error::WrongStore`] if the function, or a reference argument, belongs
    ///   to a different store than `store` (checked before the call).
    /// - [`Error::Engine`] for anything else the engine reports.
    #[inline]
    pub fn call(
        &self,
        mut store: impl AsContextMut<E>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        let id = store.ctx().store_id();
        let f = self.native_in(id)?;
        check_vals_owner(params, id)?;
        match guard(|| store.ctx_mut().func_call(&f, params, results)) {
            // Only on failure: arguments that do not fit the function's type
            // are a type error, found by our own check rather than read from
            // the engine's wording.
            Err(Error::Engine(text)) => {
                let ty = store.ctx().func_ty(&f);
                Err(check_call(&ty, params, results)
                    .err()
                    .unwrap_or(Error::Engine(text)))
            }
            other => other,
        }
    }

    /// Calls the function like [`Func::call`], but trusts the caller on the
    /// types: no check of the arguments against the function's type, and on
    /// wasmtime its raw call path (no conversion through wasmtime's own
    /// values). For code that knows the function's type by construction —
    /// wasm-run's component layer, whose core functions validation has
    /// checked against the canonical ABI's flattening.
    ///
    /// # Safety
    ///
    /// Every value of `params` and `results` is a number (`I32`, `I64`,
    /// `F32`, `F64`), the function's parameter types are exactly the types
    /// of `params`, and its result types exactly the types of the values
    /// `results` holds when called (the results overwrite them). Called
    /// from a host function while an async call of the store runs, this
    /// call runs on that call's fiber on wasmtime (the safe calls refuse
    /// it): the native frames of the host functions between the async call
    /// and this call must hold only `Send` data, since the fiber may be
    /// suspended inside it and resumed on another thread.
    ///
    /// # Errors
    ///
    /// - [`Error::Trap`] if the guest traps; a host function's error.
    /// - [`Error::WrongStore`] if the function belongs to a different store
    ///   (or backend) than `store` (checked before the call).
    #[inline]
    pub unsafe fn call_unchecked(
        &self,
        mut store: impl AsContextMut<E>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        let f = self.native_in(store.ctx().store_id())?;
        // SAFETY: forwarded: the caller guarantees the types.
        guard(|| unsafe { store.ctx_mut().func_call_unchecked(&f, params, results) })
    }

    /// Checks once that the function has type `P -> R` and returns a typed
    /// handle for fast calls.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if the function's type is not `P -> R`.
    ///
    /// [`Error::WrongStore`] if the function belongs to a different store than
    /// `store`.
    pub fn typed<P: WasmTyList, R: WasmTyList>(
        &self,
        store: impl AsContext<E>,
    ) -> Result<TypedFunc<E, P, R>> {
        let ctx = store.ctx();
        let f = self.native_in(ctx.store_id())?;
        guard(|| {
            let ty = ctx.func_ty(&f);
            let want = FuncType::new(P::types(), R::types());
            if ty != want {
                return Err(Error::Type(format!("function is {ty}, not {want}")));
            }
            Ok(TypedFunc {
                func: *self,
                _ty: PhantomData,
            })
        })
    }

    /// Calls with arguments checked against the function type first (a
    /// convenience for callers that build argument lists by hand).
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if `params` or the length of `results` do not fit the
    /// function's type (checked before the call); otherwise the errors of
    /// [`Func::call`].
    ///
    /// [`Error::WrongStore`] if the function belongs to a different store than
    /// `store`, or a reference value belongs to another store.
    pub fn call_checked(
        &self,
        mut store: impl AsContextMut<E>,
        params: &[Val<E>],
        results: &mut [Val<E>],
    ) -> Result<()> {
        let id = store.ctx().store_id();
        let f = self.native_in(id)?;
        check_vals_owner(params, id)?;
        guard(|| {
            let ty = store.ctx().func_ty(&f);
            check_call(&ty, params, results)?;
            store.ctx_mut().func_call(&f, params, results)
        })
    }
}

/// Whether `params` and a `results` buffer fit `ty`: [`Error::Type`] if not.
pub(crate) fn check_call<E: Engine>(
    ty: &FuncType,
    params: &[Val<E>],
    results: &[Val<E>],
) -> Result<()> {
    check_vals("arguments", params, ty.params())?;
    if results.len() != ty.results().len() {
        return Err(Error::Type(format!(
            "expected room for {} results, got {}",
            ty.results().len(),
            results.len()
        )));
    }
    Ok(())
}

/// A function whose type was checked once to be `P -> R`.
pub struct TypedFunc<E: Engine, P, R> {
    func: Func<E>,
    _ty: PhantomData<fn(P) -> R>,
}

impl<E: Engine, P, R> Clone for TypedFunc<E, P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Engine, P, R> Copy for TypedFunc<E, P, R> {}

impl<E: Engine, P: WasmTyList, R: WasmTyList> TypedFunc<E, P, R> {
    /// Calls the function.
    ///
    /// # Errors
    ///
    /// - [`Error::Trap`] if execution traps (running out of fuel included).
    /// - Any error a host function called on the way returns, unchanged;
    ///   [`Error::HostPanic`] if one panics.
    /// - [`Error::WrongStore`] if the function belongs to a different store (or
    ///   backend) than `store`.
    /// - [`Error::Engine`] for anything else the engine reports.
    #[inline]
    pub fn call(&self, mut store: impl AsContextMut<E>, params: P) -> Result<R> {
        let f = self.func.native_in(store.ctx().store_id())?;
        guard(|| store.ctx_mut().func_call_typed::<P, R>(&f, params))
    }
    /// The untyped function.
    pub fn func(&self) -> Func<E> {
        self.func
    }
}

impl<E: Engine> Memory<E> {
    /// A new memory owned by `store`.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `ty` is not a valid memory type (e.g. its minimum is
    ///   above its maximum) or is shared (use [`SharedMemory::new`](crate::SharedMemory::new)).
    /// - [`Error::ResourceLimit`] if the store's memory limit refuses it.
    /// - [`Error::Engine`] (wasmtime) or [`Error::Access`] (wasmi) if the engine
    ///   cannot create it for another reason.
    pub fn new(mut store: impl AsContextMut<E>, ty: MemoryType) -> Result<Self> {
        if ty.shared {
            return Err(Error::Type(
                "shared memories are created with SharedMemory::new".into(),
            ));
        }
        let id = store.ctx().store_id();
        store
            .ctx_mut()
            .memory_new(ty)
            .map(|m| Memory::from_native(m, id))
    }
    /// The memory's type; `minimum` is the current size in pages (the same on
    /// every backend).
    ///
    /// # Panics
    ///
    /// Panics if the memory belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> MemoryType {
        let ctx = store.ctx();
        let m = self.native_of(ctx.store_id());
        let mut ty = ctx.memory_ty(&m);
        ty.minimum = ctx.memory_data(&m).len() as u64 >> ty.page_size_log2;
        ty
    }
    /// Current size in pages.
    ///
    /// # Panics
    ///
    /// Panics if the memory belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn size(&self, store: impl AsContext<E>) -> u64 {
        let s = store.ctx();
        let m = self.native_of(s.store_id());
        let ty = s.memory_ty(&m);
        s.memory_data(&m).len() as u64 >> ty.page_size_log2
    }
    /// Current size in bytes.
    ///
    /// # Panics
    ///
    /// Panics if the memory belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn data_size(&self, store: impl AsContext<E>) -> usize {
        self.data(&store).len()
    }
    /// The memory's bytes, without copying.
    ///
    /// # Panics
    ///
    /// Panics if the memory belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn data<'a, C: AsContext<E>>(&self, store: &'a C) -> &'a [u8] {
        let ctx = store.ctx();
        ctx.memory_data(&self.native_of(ctx.store_id()))
    }
    /// The memory's bytes, mutably, without copying.
    ///
    /// # Panics
    ///
    /// Panics if the memory belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn data_mut<'a, C: AsContextMut<E>>(&self, store: &'a mut C) -> &'a mut [u8] {
        let m = self.native_of(store.ctx().store_id());
        store.ctx_mut().memory_data_mut(&m)
    }
    /// Grows by `delta` pages; returns the previous size in pages. Growth
    /// past the memory's own maximum is an [`Error::Access`]; growth the
    /// memory's type allows but a limit refuses is an
    /// [`Error::ResourceLimit`].
    ///
    /// # Errors
    ///
    /// - [`Error::Access`] if the new size would pass the memory's declared
    ///   maximum (or the largest size its index type can address).
    /// - [`Error::ResourceLimit`] if the type allows the new size but the
    ///   store refuses it: the engine config's memory limit, a
    ///   [`ResourceLimiter`](crate::ResourceLimiter) that denies it, or the
    ///   host out of memory. A limiter that fails the growth with its own
    ///   error gives that error.
    /// - [`Error::WrongStore`] if the memory belongs to a different store (or
    ///   backend) than `store`.
    pub fn grow(&self, mut store: impl AsContextMut<E>, delta: u64) -> Result<u64> {
        let m = self.native_in(store.ctx().store_id())?;
        guard(|| store.ctx_mut().memory_grow(&m, delta)).map_err(|e| {
            let ctx = store.ctx();
            let ty = ctx.memory_ty(&m);
            let size = ctx.memory_data(&m).len() as u64 >> ty.page_size_log2;
            // The most pages the index type can address.
            let bits = if ty.memory64 { 64 } else { 32 };
            let addressable = 1u64
                .checked_shl(bits - u32::from(ty.page_size_log2))
                .unwrap_or(u64::MAX);
            growth_error(e, size, delta, ty.maximum.unwrap_or(addressable))
        })
    }
    /// Copies `buf.len()` bytes starting at `offset` into `buf`.
    ///
    /// # Errors
    ///
    /// [`Error::Access`] if `offset..offset + buf.len()` is outside the memory;
    /// nothing is copied then.
    ///
    /// [`Error::WrongStore`] if the memory belongs to a different store than
    /// `store`.
    pub fn read(&self, store: impl AsContext<E>, offset: usize, buf: &mut [u8]) -> Result<()> {
        let m = self.native_in(store.ctx().store_id())?;
        guard(|| {
            let data = store.ctx().memory_data(&m);
            let src = offset
                .checked_add(buf.len())
                .and_then(|end| data.get(offset..end))
                .ok_or_else(|| out_of_bounds(offset, buf.len(), data.len()))?;
            buf.copy_from_slice(src);
            Ok(())
        })
    }
    /// Copies `bytes` into the memory at `offset`.
    ///
    /// # Errors
    ///
    /// [`Error::Access`] if `offset..offset + bytes.len()` is outside the memory;
    /// nothing is written then.
    ///
    /// [`Error::WrongStore`] if the memory belongs to a different store than
    /// `store`.
    pub fn write(
        &self,
        mut store: impl AsContextMut<E>,
        offset: usize,
        bytes: &[u8],
    ) -> Result<()> {
        let m = self.native_in(store.ctx().store_id())?;
        guard(|| {
            let data = store.ctx_mut().memory_data_mut(&m);
            let len = data.len();
            let dst = offset
                .checked_add(bytes.len())
                .and_then(|end| data.get_mut(offset..end))
                .ok_or_else(|| out_of_bounds(offset, bytes.len(), len))?;
            dst.copy_from_slice(bytes);
            Ok(())
        })
    }
}

pub(crate) fn out_of_bounds(offset: usize, len: usize, size: usize) -> Error {
    Error::Access(format!(
        "memory access of {len} bytes at offset {offset} is out of bounds (memory is {size} bytes)"
    ))
}

impl<E: Engine> Table<E> {
    /// A new table owned by `store`, every element set to `init`.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `init` does not match the element type.
    /// - [`Error::Unsupported`] on wasmi for an element type other than nullable
    ///   `funcref` or `externref`.
    /// - [`Error::ResourceLimit`] if the store's table limit refuses it.
    /// - [`Error::Engine`] (wasmtime) or [`Error::Access`] (wasmi) if the engine
    ///   refuses it otherwise.
    /// - [`Error::WrongStore`] if `init` is a reference of another store.
    pub fn new(mut store: impl AsContextMut<E>, ty: TableType, init: Val<E>) -> Result<Self> {
        if !init.matches(&ValType::Ref(ty.element)) {
            return Err(Error::Type(format!(
                "table element type is {}, init value is {}",
                ValType::Ref(ty.element),
                init.ty()
            )));
        }
        let id = store.ctx().store_id();
        check_owner(&init, id)?;
        store
            .ctx_mut()
            .table_new(ty, init)
            .map(|t| Table::from_native(t, id))
    }
    /// The table's type; `minimum` is the current size (the same on every
    /// backend).
    ///
    /// # Panics
    ///
    /// Panics if the table belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> TableType {
        let ctx = store.ctx();
        let t = self.native_of(ctx.store_id());
        let mut ty = ctx.table_ty(&t);
        ty.minimum = ctx.table_size(&t);
        ty
    }
    /// Current number of elements.
    ///
    /// # Panics
    ///
    /// Panics if the table belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn size(&self, store: impl AsContext<E>) -> u64 {
        let ctx = store.ctx();
        ctx.table_size(&self.native_of(ctx.store_id()))
    }
    /// Grows by `delta` elements set to `init`; returns the previous size.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `init` does not match the element type.
    /// - [`Error::Access`] if the new size would pass the table's declared
    ///   maximum (or the largest its index type allows).
    /// - [`Error::ResourceLimit`] if the type allows the new size but the
    ///   store refuses it: the engine config's table limit (by default
    ///   [`Limits::DEFAULT_MAX_TABLE_ELEMENTS`](crate::Limits::DEFAULT_MAX_TABLE_ELEMENTS)),
    ///   a [`ResourceLimiter`](crate::ResourceLimiter) that denies it, or the
    ///   host out of memory. A limiter that fails the growth with its own
    ///   error gives that error.
    /// - [`Error::WrongStore`] if the table or `init` belongs to a different store
    ///   than `store`.
    pub fn grow(&self, mut store: impl AsContextMut<E>, delta: u64, init: Val<E>) -> Result<u64> {
        let id = store.ctx().store_id();
        let t = self.native_in(id)?;
        check_owner(&init, id)?;
        guard(|| {
            let ty = store.ctx().table_ty(&t);
            if !init.matches(&ValType::Ref(ty.element)) {
                return Err(Error::Type(format!(
                    "table element type is {}, init value is {}",
                    ValType::Ref(ty.element),
                    init.ty()
                )));
            }
            store.ctx_mut().table_grow(&t, delta, init)
        })
        .map_err(|e| {
            let ctx = store.ctx();
            let ty = ctx.table_ty(&t);
            let addressable = if ty.table64 {
                u64::MAX
            } else {
                u64::from(u32::MAX)
            };
            let size = ctx.table_size(&t);
            growth_error(e, size, delta, ty.maximum.unwrap_or(addressable))
        })
    }
    /// The element at `index`, `None` when out of bounds.
    ///
    /// # Panics
    ///
    /// Panics if the table belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get(&self, mut store: impl AsContextMut<E>, index: u64) -> Option<Val<E>> {
        let t = self.native_of(store.ctx().store_id());
        store.ctx_mut().table_get(&t, index)
    }
    /// Sets the element at `index`.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `val` does not match the element type.
    /// - [`Error::Access`] if `index` is out of bounds (or the engine refuses
    ///   `val`).
    /// - [`Error::WrongStore`] if the table or `val` belongs to a different store
    ///   than `store`.
    pub fn set(&self, mut store: impl AsContextMut<E>, index: u64, val: Val<E>) -> Result<()> {
        let id = store.ctx().store_id();
        let t = self.native_in(id)?;
        check_owner(&val, id)?;
        guard(|| {
            let ctx = store.ctx_mut();
            let ty = ctx.table_ty(&t);
            if !val.matches(&ValType::Ref(ty.element)) {
                return Err(Error::Type(format!(
                    "table element type is {}, value is {}",
                    ValType::Ref(ty.element),
                    val.ty()
                )));
            }
            let size = ctx.table_size(&t);
            if index >= size {
                return Err(Error::Access(format!(
                    "table index {index} is out of bounds (table has {size} elements)"
                )));
            }
            ctx.table_set(&t, index, val)
        })
    }
}

impl<E: Engine> Global<E> {
    /// A new global owned by `store`.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `val` does not match `ty`'s content type.
    /// - [`Error::Unsupported`] on wasmi if the content type is a reference type
    ///   other than nullable `funcref` or `externref`.
    /// - [`Error::Engine`] on wasmtime if the engine refuses `val`.
    /// - [`Error::WrongStore`] if `val` is a reference of another store.
    pub fn new(mut store: impl AsContextMut<E>, ty: GlobalType, val: Val<E>) -> Result<Self> {
        if !val.matches(&ty.content) {
            return Err(Error::Type(format!(
                "global is {}, value is {}",
                ty.content,
                val.ty()
            )));
        }
        let id = store.ctx().store_id();
        check_owner(&val, id)?;
        store
            .ctx_mut()
            .global_new(ty, val)
            .map(|g| Global::from_native(g, id))
    }
    /// The global's type.
    ///
    /// # Panics
    ///
    /// Panics if the global belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> GlobalType {
        let ctx = store.ctx();
        ctx.global_ty(&self.native_of(ctx.store_id()))
    }
    /// The current value.
    ///
    /// # Panics
    ///
    /// Panics if the global belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get(&self, mut store: impl AsContextMut<E>) -> Val<E> {
        let g = self.native_of(store.ctx().store_id());
        store.ctx_mut().global_get(&g)
    }
    /// Sets the value; an immutable global or a value of the wrong type is an
    /// error.
    ///
    /// # Errors
    ///
    /// - [`Error::Access`] if the global is immutable (or the engine refuses
    ///   `val`).
    /// - [`Error::Type`] if `val` does not match the global's type.
    /// - [`Error::WrongStore`] if the global or `val` belongs to a different store
    ///   than `store`.
    pub fn set(&self, mut store: impl AsContextMut<E>, val: Val<E>) -> Result<()> {
        let id = store.ctx().store_id();
        let g = self.native_in(id)?;
        check_owner(&val, id)?;
        guard(|| {
            let ctx = store.ctx_mut();
            let ty = ctx.global_ty(&g);
            if ty.mutability == Mutability::Const {
                return Err(Error::Access("cannot set an immutable global".into()));
            }
            if !val.matches(&ty.content) {
                return Err(Error::Type(format!(
                    "global is {}, value is {}",
                    ty.content,
                    val.ty()
                )));
            }
            ctx.global_set(&g, val)
        })
    }
}

impl<E: Engine> ExternRef<E> {
    /// `extern.convert_any`: an `anyref` as `externref`.
    ///
    /// # Errors
    ///
    /// - [`Error::WrongStore`] if `r` belongs to a different store (or backend) than
    ///   `store`.
    /// - [`Error::Engine`] if wasmtime refuses the conversion.
    ///
    /// (wasmi has no `anyref` values, so it is never called there.)
    pub fn from_any(mut store: impl AsContextMut<E>, r: AnyRef<E>) -> Result<Self> {
        let id = store.ctx().store_id();
        let r = r.native_in(id)?;
        guard(|| gc_refs_mut(&mut store)?.externref_from_any(r))
            .map(|r| ExternRef::from_native(r, id))
    }
    /// Wraps a host value.
    ///
    /// # Errors
    ///
    /// [`Error::Engine`] on wasmtime if it cannot allocate the reference (e.g. its
    /// GC heap is out of memory). wasmi does not fail here.
    pub fn new(mut store: impl AsContextMut<E>, value: impl Any + Send + Sync) -> Result<Self> {
        let id = store.ctx().store_id();
        store
            .ctx_mut()
            .externref_new(Box::new(value))
            .map(|r| ExternRef::from_native(r, id))
    }
    /// The host value, if it is still alive.
    ///
    /// # Panics
    ///
    /// Panics if the reference belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn data<'a, C: AsContext<E>>(&self, store: &'a C) -> Option<&'a (dyn Any + Send + Sync)> {
        let ctx = store.ctx();
        ctx.externref_data(&self.native_of(ctx.store_id()))
    }
}
