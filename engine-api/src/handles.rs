//! Handles to functions, memories, tables, globals, external references and
//! instances. Each is a small `Copy` value used together with its store.

use crate::Engine;
use crate::backend::{ContextBackend, SharedMemoryBackend, StoreId};
use crate::error::{Error, Result};
use crate::host::{HostFunc, UntypedHostFunc, guard};
use crate::info::ModuleInfo;
use crate::module::Module;
use crate::store::{AsContext, AsContextMut};
use crate::types::*;
use crate::val::{Val, WasmTyList};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

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
fn wrong_store(what: &str) -> ! {
    panic!("wasm-run: a {what} handle was used with a store that does not own it")
}

/// [`Error::WrongStore`] unless every reference in `vals` belongs to `store`.
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
        ctx.tag_ty(&self.native_of(ctx.store_id()))
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
        guard(|| store.ctx_mut().anyref_from_i31(value)).map(|r| AnyRef::from_native(r, id))
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
        guard(|| store.ctx_mut().anyref_from_extern(r)).map(|r| AnyRef::from_native(r, id))
    }
    /// What the reference points to.
    ///
    /// # Panics
    ///
    /// Panics if the reference belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn kind(&self, store: impl AsContext<E>) -> AnyRefKind {
        let ctx = store.ctx();
        ctx.anyref_kind(&self.native_of(ctx.store_id()))
    }
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
fn check_call<E: Engine>(ty: &FuncType, params: &[Val<E>], results: &[Val<E>]) -> Result<()> {
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
    ///   above its maximum) or is shared (use [`SharedMemory::new`]).
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
    /// beyond the maximum or the store's limit is an [`Error::Access`].
    ///
    /// # Errors
    ///
    /// - [`Error::Access`] if the memory cannot grow by `delta` pages: past its
    ///   maximum, past the store's memory limit, or out of host memory.
    /// - [`Error::WrongStore`] if the memory belongs to a different store (or
    ///   backend) than `store`.
    pub fn grow(&self, mut store: impl AsContextMut<E>, delta: u64) -> Result<u64> {
        let m = self.native_in(store.ctx().store_id())?;
        guard(|| store.ctx_mut().memory_grow(&m, delta))
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

fn out_of_bounds(offset: usize, len: usize, size: usize) -> Error {
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
    /// - [`Error::Access`] if the table cannot grow by `delta` elements: past its
    ///   maximum or the store's table limit.
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
        guard(|| store.ctx_mut().externref_from_any(r)).map(|r| ExternRef::from_native(r, id))
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

/// A linear memory shared between threads (the threads proposal): created
/// from the engine, owned by no store, and usable from any thread. Instances
/// in different stores on different threads can import the same one.
pub struct SharedMemory<E: Engine>(E::SharedMemory);

impl<E: Engine> Clone for SharedMemory<E> {
    fn clone(&self) -> Self {
        SharedMemory(self.0.clone())
    }
}

impl<E: Engine> fmt::Debug for SharedMemory<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<E: Engine> SharedMemory<E> {
    /// A new shared memory; `ty.shared` must be set. Backends without threads
    /// answer [`Error::Unsupported`].
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `ty.shared` is not set, or `ty` is not a valid shared
    ///   memory type (e.g. on wasmtime, one without a maximum).
    /// - [`Error::Unsupported`] for `threads` on a backend without threads (wasmi)
    ///   or an engine with threads disabled.
    /// - [`Error::Engine`] if the engine cannot create it (e.g. out of memory).
    pub fn new(engine: &E, ty: MemoryType) -> Result<Self> {
        if !ty.shared {
            return Err(Error::Type(format!("{ty} is not a shared memory type")));
        }
        engine.shared_memory_new(ty).map(SharedMemory)
    }
    /// Wraps a backend handle.
    pub fn from_native(native: E::SharedMemory) -> Self {
        SharedMemory(native)
    }
    /// The backend handle.
    pub fn as_native(&self) -> &E::SharedMemory {
        &self.0
    }
    /// The memory's type; `minimum` is the current size in pages.
    pub fn ty(&self) -> MemoryType {
        self.0.ty()
    }
    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        self.0.data_size()
    }
    /// Grows by `delta` pages; returns the previous size in pages.
    ///
    /// # Errors
    ///
    /// [`Error::Access`] if the memory cannot grow by `delta` pages (past its
    /// maximum, or out of host memory).
    pub fn grow(&self, delta: u64) -> Result<u64> {
        self.0.grow(delta)
    }
    fn range(&self, offset: usize, len: usize) -> Result<*mut u8> {
        let size = self.0.data_size();
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(self.0.data_ptr().wrapping_add(offset)),
            _ => Err(out_of_bounds(offset, len, size)),
        }
    }
    /// Copies bytes out of the memory.
    ///
    /// Other threads (wasm or host) may be writing at the same time, so the
    /// memory is read only with atomic (relaxed) loads, never as a plain
    /// Rust slice: the copy is a snapshot without ordering guarantees beyond
    /// what the program's own atomics give, and a value written concurrently
    /// may be seen partly old, partly new (as a wasm reader could see it).
    ///
    /// # Errors
    ///
    /// [`Error::Access`] when `offset..offset + buf.len()` is outside the
    /// memory.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        let src = self.range(offset, buf.len())?;
        for (i, out) in buf.iter_mut().enumerate() {
            // SAFETY: `src + i` is inside the memory (checked above), which
            // lives as long as `self`; every host access to shared memory
            // goes through atomics, so this is no data race in Rust's model.
            *out = unsafe { AtomicU8::from_ptr(src.add(i)) }.load(Ordering::Relaxed);
        }
        Ok(())
    }
    /// Copies bytes into the memory with atomic (relaxed) stores (same
    /// caveats as [`SharedMemory::read`]).
    ///
    /// # Errors
    ///
    /// [`Error::Access`] when the range is outside the memory.
    pub fn write(&self, offset: usize, bytes: &[u8]) -> Result<()> {
        let dst = self.range(offset, bytes.len())?;
        for (i, b) in bytes.iter().enumerate() {
            // SAFETY: as in `read`.
            unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(*b, Ordering::Relaxed);
        }
        Ok(())
    }
    /// The `u32` at `offset` as an atomic, for lock-free exchange with wasm
    /// code using `i32.atomic.*` on the same address.
    ///
    /// # Errors
    ///
    /// [`Error::Access`] if `offset` is not a multiple of 4, or the four bytes at
    /// `offset` are outside the memory.
    pub fn atomic_u32(&self, offset: usize) -> Result<&std::sync::atomic::AtomicU32> {
        if !offset.is_multiple_of(4) {
            return Err(Error::Access(format!(
                "unaligned atomic access at {offset}"
            )));
        }
        let p = self.range(offset, 4)?;
        // SAFETY: in bounds, 4-aligned (memories are page-aligned), and the
        // memory outlives the borrow of `self`.
        Ok(unsafe { &*(p as *const std::sync::atomic::AtomicU32) })
    }
    /// `memory.atomic.notify` from the host: wakes up to `count` waiters.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`] with [`TrapCode::MemoryOutOfBounds`](crate::TrapCode::MemoryOutOfBounds)
    /// if `addr` is outside the memory, or
    /// [`TrapCode::UnalignedAtomic`](crate::TrapCode::UnalignedAtomic) if it is not 4-byte
    /// aligned.
    pub fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        self.0.atomic_notify(addr, count)
    }
    /// `memory.atomic.wait32` from the host.
    ///
    /// # Errors
    ///
    /// [`Error::Trap`] with [`TrapCode::MemoryOutOfBounds`](crate::TrapCode::MemoryOutOfBounds)
    /// if `addr` is outside the memory, or
    /// [`TrapCode::UnalignedAtomic`](crate::TrapCode::UnalignedAtomic) if it is not 4-byte
    /// aligned.
    pub fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<std::time::Duration>,
    ) -> Result<crate::backend::WaitResult> {
        self.0.atomic_wait32(addr, expected, timeout)
    }
}

/// Anything an instance can import or export.
pub enum Extern<E: Engine> {
    /// A function.
    Func(Func<E>),
    /// A memory.
    Memory(Memory<E>),
    /// A table.
    Table(Table<E>),
    /// A global.
    Global(Global<E>),
    /// An exception tag.
    Tag(Tag<E>),
    /// A memory shared between threads.
    SharedMemory(SharedMemory<E>),
}

impl<E: Engine> Clone for Extern<E> {
    fn clone(&self) -> Self {
        match self {
            Extern::Func(x) => Extern::Func(*x),
            Extern::Memory(x) => Extern::Memory(*x),
            Extern::Table(x) => Extern::Table(*x),
            Extern::Global(x) => Extern::Global(*x),
            Extern::Tag(x) => Extern::Tag(*x),
            Extern::SharedMemory(x) => Extern::SharedMemory(x.clone()),
        }
    }
}
impl<E: Engine> fmt::Debug for Extern<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Extern::Func(x) => write!(f, "Func({x:?})"),
            Extern::Memory(x) => write!(f, "Memory({x:?})"),
            Extern::Table(x) => write!(f, "Table({x:?})"),
            Extern::Global(x) => write!(f, "Global({x:?})"),
            Extern::Tag(x) => write!(f, "Tag({x:?})"),
            Extern::SharedMemory(x) => write!(f, "SharedMemory({x:?})"),
        }
    }
}

impl<E: Engine> Extern<E> {
    /// The id of the store that owns the item; `None` for a [`SharedMemory`],
    /// which no store owns.
    pub fn store_id(&self) -> Option<StoreId> {
        match self {
            Extern::Func(x) => Some(x.store_id()),
            Extern::Memory(x) => Some(x.store_id()),
            Extern::Table(x) => Some(x.store_id()),
            Extern::Global(x) => Some(x.store_id()),
            Extern::Tag(x) => Some(x.store_id()),
            Extern::SharedMemory(_) => None,
        }
    }
    /// The item's type.
    ///
    /// # Panics
    ///
    /// Panics if the item (unless it is a [`SharedMemory`], which has no store)
    /// belongs to a different store than `store` (wasm-run compares store ids); use a
    /// handle only with the store it came from.
    pub fn ty(&self, store: impl AsContext<E>) -> ExternType {
        match self {
            Extern::Func(x) => ExternType::Func(x.ty(store)),
            Extern::Memory(x) => ExternType::Memory(x.ty(store)),
            Extern::Table(x) => ExternType::Table(x.ty(store)),
            Extern::Global(x) => ExternType::Global(x.ty(store)),
            Extern::Tag(x) => ExternType::Tag(x.ty(store)),
            Extern::SharedMemory(x) => ExternType::Memory(x.ty()),
        }
    }
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func<E>> {
        if let Extern::Func(x) = self {
            Some(x)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory<E>> {
        if let Extern::Memory(x) = self {
            Some(x)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table<E>> {
        if let Extern::Table(x) = self {
            Some(x)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global<E>> {
        if let Extern::Global(x) = self {
            Some(x)
        } else {
            None
        }
    }
}

impl<E: Engine> From<Func<E>> for Extern<E> {
    fn from(x: Func<E>) -> Self {
        Extern::Func(x)
    }
}
impl<E: Engine> From<Memory<E>> for Extern<E> {
    fn from(x: Memory<E>) -> Self {
        Extern::Memory(x)
    }
}
impl<E: Engine> From<Table<E>> for Extern<E> {
    fn from(x: Table<E>) -> Self {
        Extern::Table(x)
    }
}
impl<E: Engine> From<SharedMemory<E>> for Extern<E> {
    fn from(x: SharedMemory<E>) -> Self {
        Extern::SharedMemory(x)
    }
}
impl<E: Engine> From<Tag<E>> for Extern<E> {
    fn from(x: Tag<E>) -> Self {
        Extern::Tag(x)
    }
}
impl<E: Engine> From<Global<E>> for Extern<E> {
    fn from(x: Global<E>) -> Self {
        Extern::Global(x)
    }
}

/// An instantiated module.
pub struct Instance<E: Engine> {
    native: E::Instance,
    store: StoreId,
    info: Arc<ModuleInfo>,
}

impl<E: Engine> Clone for Instance<E> {
    fn clone(&self) -> Self {
        Instance {
            native: self.native,
            store: self.store,
            info: self.info.clone(),
        }
    }
}
impl<E: Engine> fmt::Debug for Instance<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("native", &self.native)
            .finish()
    }
}

impl<E: Engine> Instance<E> {
    /// Wraps a backend instance of `module` owned by the store `store` (used
    /// by backends and the linker).
    pub fn from_native(native: E::Instance, module: &Module<E>, store: StoreId) -> Self {
        Instance {
            native,
            store,
            info: module.info_arc(),
        }
    }

    /// The id of the store that owns this instance.
    pub fn store_id(&self) -> StoreId {
        self.store
    }

    /// The same instance of another backend type (for adapters such as
    /// `AnyEngine`); the owner and the module stay the same.
    pub fn map_native<E2: Engine>(
        self,
        f: impl FnOnce(E::Instance) -> E2::Instance,
    ) -> Instance<E2> {
        Instance {
            native: f(self.native),
            store: self.store,
            info: self.info,
        }
    }

    #[track_caller]
    fn native_of(&self, store: StoreId) -> E::Instance {
        if self.store != store {
            wrong_store("Instance");
        }
        self.native
    }

    /// Instantiates `module` with `imports` given in the module's import order.
    /// Each import is checked first, so a mismatch names the import.
    ///
    /// # Errors
    ///
    /// - [`Error::Type`] if `imports` does not have one item per import of `module`.
    /// - [`Error::Link`] with
    ///   [`LinkError::Incompatible`](crate::LinkError::Incompatible) for the
    ///   first import given an item of the wrong type, or with
    ///   [`LinkError::Other`](crate::LinkError::Other) if the engine refuses the
    ///   imports for another reason.
    /// - [`Error::WrongStore`] if `module` was compiled by another engine than the
    ///   store's, or an import belongs to a different store (or backend).
    /// - [`Error::ResourceLimit`] if the store's limits (instances, memories,
    ///   tables, their sizes) refuse the instance.
    /// - [`Error::Trap`] if an active segment does not fit or the start function
    ///   traps; errors of host functions the start function calls, unchanged
    ///   ([`Error::HostPanic`] if one panics).
    /// - [`Error::Engine`] for anything else the engine reports.
    pub fn new(
        mut store: impl AsContextMut<E>,
        module: &Module<E>,
        imports: &[Extern<E>],
    ) -> Result<Self> {
        guard(|| Self::new_unguarded(&mut store, module, imports))
    }

    fn new_unguarded(
        mut store: impl AsContextMut<E>,
        module: &Module<E>,
        imports: &[Extern<E>],
    ) -> Result<Self> {
        let want = module.imports();
        if want.len() != imports.len() {
            return Err(Error::Type(format!(
                "module has {} imports, {} given",
                want.len(),
                imports.len()
            )));
        }
        let id = store.ctx().store_id();
        if imports
            .iter()
            .any(|x| x.store_id().is_some_and(|s| s != id))
        {
            return Err(Error::WrongStore);
        }
        for (import, item) in want.iter().zip(imports) {
            let found = item.ty(&store);
            if !found.matches(&import.ty) {
                return Err(crate::LinkError::Incompatible {
                    module: import.module.clone(),
                    name: import.name.clone(),
                    expected: import.ty.clone(),
                    found,
                }
                .into());
            }
        }
        let native = guard(|| store.ctx_mut().instantiate(module.as_native(), imports))?;
        Ok(Self::from_native(native, module, id))
    }

    /// The backend instance.
    pub fn as_native(&self) -> &E::Instance {
        &self.native
    }

    /// The export called `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_export(&self, mut store: impl AsContextMut<E>, name: &str) -> Option<Extern<E>> {
        let native = self.native_of(store.ctx().store_id());
        store.ctx_mut().instance_export(&native, name)
    }

    /// Every export, in the module's declaration order.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn exports(&self, mut store: impl AsContextMut<E>) -> Vec<(String, Extern<E>)> {
        let native = self.native_of(store.ctx().store_id());
        let ctx = store.ctx_mut();
        self.info
            .exports
            .iter()
            .filter_map(|e| {
                ctx.instance_export(&native, &e.name)
                    .map(|x| (e.name.clone(), x))
            })
            .collect()
    }

    /// Names and types of the exports (no store needed).
    pub fn export_types(&self) -> &[ExportType] {
        &self.info.exports
    }

    /// The exported function `name`, or an error naming what is there instead.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if the instance has no export `name` or it is not a function.
    ///
    /// [`Error::WrongStore`] if the instance belongs to a different store than
    /// `store`.
    pub fn get_func(&self, store: impl AsContextMut<E>, name: &str) -> Result<Func<E>> {
        if self.store != store.ctx().store_id() {
            return Err(Error::WrongStore);
        }
        guard(|| match self.get_export(store, name) {
            Some(Extern::Func(f)) => Ok(f),
            Some(other) => Err(Error::Type(format!(
                "export `{name}` is not a function: {other:?}"
            ))),
            None => Err(Error::Type(format!("no export named `{name}`"))),
        })
    }

    /// The exported function `name` as a typed function.
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if the instance has no export `name`, it is not a function,
    /// or its type is not `P -> R`.
    ///
    /// [`Error::WrongStore`] if the instance belongs to a different store than
    /// `store`.
    pub fn get_typed_func<P: WasmTyList, R: WasmTyList>(
        &self,
        mut store: impl AsContextMut<E>,
        name: &str,
    ) -> Result<TypedFunc<E, P, R>> {
        guard(|| {
            let f = self.get_func(&mut store, name)?;
            f.typed(&store)
        })
    }

    /// The exported memory `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_memory(&self, store: impl AsContextMut<E>, name: &str) -> Option<Memory<E>> {
        self.get_export(store, name).and_then(Extern::into_memory)
    }

    /// The exported table `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_table(&self, store: impl AsContextMut<E>, name: &str) -> Option<Table<E>> {
        self.get_export(store, name).and_then(Extern::into_table)
    }

    /// The exported global `name`.
    ///
    /// # Panics
    ///
    /// Panics if the instance belongs to a different store than `store` (wasm-run
    /// compares store ids); use a handle only with the store it came from.
    pub fn get_global(&self, store: impl AsContextMut<E>, name: &str) -> Option<Global<E>> {
        self.get_export(store, name).and_then(Extern::into_global)
    }
}
