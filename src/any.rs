//! [`AnyEngine`]: a backend chosen at run time that implements the same traits
//! as the static backends, by matching once per operation.

use smallvec::SmallVec;
use std::any::Any;
use std::marker::PhantomData;
use wasm_run_api::backend::{
    CallFuture, CallerBackend, ContextBackend, Engine, InstanceFuture, InstancePreBackend,
    LinkerBackend, SharedMemoryBackend, StoreBackend, WaitResult,
};
use wasm_run_api::backend::{PausedCallBackend, Waker, convert_call, convert_call_inout};
use wasm_run_api::{
    AnyRef, AnyRefKind, Caller, Config, Error, ExnRef, Extern, ExternRef, Feature, FeatureSet,
    Func, FuncType, Global, GlobalType, HostFunc, Memory, MemoryType, Result, SharedMemory,
    StoreId, Support, Table, TableType, Tag, TagType, UntypedHostFunc, Val, WasmTyList,
};
use wasm_run_api::{AsyncDone, AsyncHostFuture, InterruptHandle};

/// Declares an enum with one variant per compiled-in backend, holding that
/// backend's associated type `$assoc`.
macro_rules! any_enum {
    ([$($feat:literal $Var:ident),*] $(#[$doc:meta])* $name:ident($assoc:ident) $(, $derive:ident)*) => {
        $(#[$doc])*
        #[derive($($derive),*)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("The ", $feat, " backend's.")]
                #[cfg(feature = $feat)]
                $Var(<$Var as Engine>::$assoc),
            )*
        }
    };
}

/// The body of an [`each_send!`] arm: `$body` for a backend with `Send`
/// stores, `Unsupported` for one without.
macro_rules! send_arm {
    (send, $body:expr, $x:ident) => {
        $body
    };
    (local, $body:expr, $x:ident) => {{
        let _ = $x;
        Err(Error::Unsupported {
            feature: Feature::Async,
            engine: "AnyEngine (this backend's stores are not Send)",
        })
    }};
}

/// Everything in this module that names backends, generated from the one
/// list in `crate::backend_list` (see [`crate::for_each_backend!`]).
macro_rules! define_any {
    ([$d:tt] $($name:ident $feat:literal $Var:ident $krate:ident $stores:ident),* $(,)?) => {
        $(
            #[cfg(feature = $feat)]
            use $krate::$Var;
        )*

        /// Names of the backends compiled into this build, default first.
        pub const BACKENDS: &[&str] = &[$(#[cfg(feature = $feat)] $feat,)*];

        /// Runs `$body` with `$x` bound to the inner value and `$B` naming the
        /// backend type, in every compiled-in arm.
        macro_rules! each {
            ($d e:expr, $d Enum:ident, $d x:ident, $d B:ident => $d body:expr) => {
                match $d e {
                    $(
                        #[cfg(feature = $feat)]
                        $d Enum::$Var($d x) => {
                            #[allow(unused)]
                            type $d B = $Var;
                            $d body
                        }
                    )*
                }
            };
        }

        /// [`each!`] for async operations: backends whose stores are not
        /// `Send` answer `Unsupported` for [`Feature::Async`] instead.
        macro_rules! each_send {
            ($d e:expr, $d Enum:ident, $d x:ident, $d B:ident => $d body:expr) => {
                match $d e {
                    $(
                        #[cfg(feature = $feat)]
                        $d Enum::$Var($d x) => {
                            #[allow(unused)]
                            type $d B = $Var;
                            send_arm!($stores, $d body, $d x)
                        }
                    )*
                }
            };
        }

        /// An engine selected at run time, by name or by default.
        ///
        /// ```
        /// use wasm_run::{AnyEngine, Config, Engine};
        /// let engine = AnyEngine::by_name("wasmi", &Config::new())?;
        /// assert_eq!(engine.name(), "wasmi");
        /// # Ok::<(), wasm_run::Error>(())
        /// ```
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum AnyEngine {
            $(
                #[doc = concat!("The ", $feat, " backend.")]
                #[cfg(feature = $feat)]
                $Var($Var),
            )*
        }

        /// A store ([`AnyStore`]) or a host function's context ([`AnyCaller`])
        /// of any backend: `K` says which, and the context operations are
        /// implemented once for both.
        #[non_exhaustive]
        // Stores differ in size per backend; boxing them would add an
        // indirection to every operation, which is what `AnyEngine` must avoid.
        #[allow(clippy::large_enum_variant)]
        pub enum AnyContext<K: ContextKind> {
            $(
                #[doc = concat!("The ", $feat, " backend's.")]
                #[cfg(feature = $feat)]
                $Var(K::Of<$Var>),
            )*
        }

        /// A linker of any backend.
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyLinker<T: 'static> {
            $(
                #[doc = concat!("The ", $feat, " backend's.")]
                #[cfg(feature = $feat)]
                $Var(<$Var as Engine>::Linker<T>),
            )*
        }

        /// A pre-instantiated module of any backend.
        #[non_exhaustive]
        pub enum AnyInstancePre<T: 'static> {
            $(
                #[doc = concat!("The ", $feat, " backend's.")]
                #[cfg(feature = $feat)]
                $Var(<$Var as Engine>::InstancePre<T>),
            )*
        }

        impl<T: 'static> Clone for AnyInstancePre<T> {
            fn clone(&self) -> Self {
                match self {
                    $(
                        #[cfg(feature = $feat)]
                        AnyInstancePre::$Var(p) => AnyInstancePre::$Var(p.clone()),
                    )*
                }
            }
        }

        impl<T: 'static> InstancePreBackend<AnyEngine, T> for AnyInstancePre<T> {
            fn instantiate(&self, store: &mut AnyStore<T>) -> Result<AnyInstance> {
                #[allow(unreachable_patterns)]
                match (self, store) {
                    $(
                        #[cfg(feature = $feat)]
                        (AnyInstancePre::$Var(p), AnyContext::$Var(s)) => {
                            p.instantiate(s).map(AnyInstance::$Var)
                        }
                    )*
                    _ => Err(mismatch()),
                }
            }
        }

        any_enum!([$($feat $Var),*]
            /// A compiled module of any backend.
            AnyModule(Module), Clone);
        any_enum!([$($feat $Var),*]
            /// A function handle of any backend.
            AnyFunc(Func), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// A memory handle of any backend.
            AnyMemory(Memory), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// A table handle of any backend.
            AnyTable(Table), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// A global handle of any backend.
            AnyGlobal(Global), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// An external reference of any backend.
            AnyExternRef(ExternRef), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// An exception tag of any backend.
            AnyTag(Tag), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// A GC reference of any backend.
            AnyAnyRef(AnyRef), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// An exception reference of any backend.
            AnyExnRef(ExnRef), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// A shared memory of any backend.
            AnySharedMemory(SharedMemory), Clone, Debug);
        any_enum!([$($feat $Var),*]
            /// An instance handle of any backend.
            AnyInstance(Instance), Clone, Copy, Debug);
        any_enum!([$($feat $Var),*]
            /// A paused call of any backend.
            AnyPausedCall(PausedCall), Debug);

        $(member!($feat, $Var);)*

        impl AnyEngine {
            /// Creates the backend called `name` (one of [`BACKENDS`]).
            ///
            /// # Errors
            ///
            /// [`Error::UnknownEngine`] for a name that is not compiled in, and what
            /// the backend answers for `config` (e.g. [`Error::Unsupported`]).
            ///
            /// ```
            /// use wasm_run::{AnyEngine, Config, Error};
            /// let engine = AnyEngine::by_name(wasm_run::BACKENDS[0], &Config::new())?;
            /// assert_eq!(wasm_run::Engine::name(&engine), wasm_run::BACKENDS[0]);
            /// match AnyEngine::by_name("v8", &Config::new()) {
            ///     Err(Error::UnknownEngine { name, known }) => {
            ///         assert_eq!(&*name, "v8");
            ///         assert_eq!(known, wasm_run::BACKENDS);
            ///     }
            ///     other => panic!("{other:?}"),
            /// }
            /// # Ok::<(), Error>(())
            /// ```
            pub fn by_name(name: &str, config: &Config) -> Result<Self> {
                match name {
                    $(
                        #[cfg(feature = $feat)]
                        $feat => $Var::new(config).map(AnyEngine::$Var),
                    )*
                    other => Err(Error::UnknownEngine {
                        name: other.into(),
                        known: BACKENDS,
                    }),
                }
            }
        }

        // One helper per backend, named after its crate (names no user
        // macro or type of wasm-run takes), defined to call `$m` or to do
        // nothing by this build's features: `for_each_backend!` expands in
        // the user's crate, where wasm-run's features cannot be asked.
        $(
            #[cfg(feature = $feat)]
            #[doc(hidden)]
            #[macro_export]
            macro_rules! $krate {
                ($d m:ident $d($d extra:tt)*) => {
                    $d m!($name, $d crate::$Var $d($d extra)*);
                };
            }
            #[cfg(not(feature = $feat))]
            #[doc(hidden)]
            #[macro_export]
            macro_rules! $krate {
                ($d m:ident $d($d extra:tt)*) => {};
            }
        )*

        /// Calls `$m!(name, Type)` once for every backend compiled into this
        /// build of wasm-run, e.g. `$m!(wasmtime, wasm_run::Wasmtime)`: the way
        /// test suites instantiate themselves per backend from the same list
        /// as [`AnyEngine`]. Tokens after the macro's name are passed on:
        /// `for_each_backend!(m, a, b)` calls `m!(wasmtime, wasm_run::Wasmtime, a, b)`.
        ///
        /// ```
        /// macro_rules! name_of {
        ///     ($name:ident, $B:ty) => {
        ///         assert_eq!(<$B as wasm_run::Engine>::new(&wasm_run::Config::new())
        ///             .map(|e| wasm_run::Engine::name(&e)).unwrap(), stringify!($name));
        ///     };
        /// }
        /// wasm_run::for_each_backend!(name_of);
        /// ```
        #[macro_export]
        macro_rules! for_each_backend {
            ($d m:ident $d($d extra:tt)*) => {
                $( $d crate::$krate!{$d m $d($d extra)*} )*
            };
        }
    };
}

/// What an [`AnyContext`] holds per backend: its store or its caller.
pub trait ContextKind {
    /// The host state.
    type T: 'static;
    /// The context of backend `B`.
    type Of<B: Engine>: ContextBackend<B, Data = Self::T>;
}

/// [`ContextKind`] of stores.
pub struct StoreKind<T>(PhantomData<fn() -> T>);

impl<T: 'static> ContextKind for StoreKind<T> {
    type T = T;
    type Of<B: Engine> = B::Store<T>;
}

/// [`ContextKind`] of host-function callers.
pub struct CallerKind<'a, T>(PhantomData<fn(&'a ()) -> T>);

impl<'a, T: 'static> ContextKind for CallerKind<'a, T> {
    type T = T;
    type Of<B: Engine> = B::Caller<'a, T>;
}

/// A store of any backend.
pub type AnyStore<T> = AnyContext<StoreKind<T>>;

/// A host function's context on any backend.
pub type AnyCaller<'a, T> = AnyContext<CallerKind<'a, T>>;

fn mismatch() -> Error {
    Error::WrongStore
}

/// Unreachable through the public API, which compares store ids first.
#[track_caller]
fn foreign_handle() -> ! {
    wasm_run_api::backend::foreign_context(
        "a handle of one backend was used with a store of another backend",
    )
}

mod sealed {
    /// Implemented by the backends of the list only.
    pub trait Sealed {}
}

/// A backend that can be a member of [`AnyEngine`]: how its handles convert to
/// and from the `Any*` enums. Implemented for the backends of the list (and
/// sealed: the list is where a backend joins); everything else in this
/// module is generic over it.
pub trait Member: Engine + sealed::Sealed {
    /// This backend's engine inside an [`AnyEngine`].
    fn engine_of(e: &AnyEngine) -> Option<&Self>;
    /// Wraps this backend's engine.
    fn any_engine(e: Self) -> AnyEngine;
    /// Wraps a module.
    fn module_up(m: Self::Module) -> AnyModule;
    /// Unwraps a module.
    fn module_down(m: &AnyModule) -> Option<&Self::Module>;
    /// Wraps a caller.
    fn caller_up<T: 'static>(c: Self::Caller<'_, T>) -> AnyCaller<'_, T>;
    /// Wraps a store.
    fn store_up<T: 'static>(s: Self::Store<T>) -> AnyStore<T>;
    /// Wraps a linker.
    fn linker_up<T: 'static>(l: Self::Linker<T>) -> AnyLinker<T>;
    /// Unwraps a store.
    fn store_down<T: 'static>(s: &AnyStore<T>) -> Option<&Self::Store<T>>;
    /// Unwraps a store, mutably.
    fn store_down_mut<T: 'static>(s: &mut AnyStore<T>) -> Option<&mut Self::Store<T>>;
    /// Handle conversions.
    fn func_up(x: Self::Func) -> AnyFunc;
    /// Handle conversions.
    fn func_down(x: &AnyFunc) -> Option<Self::Func>;
    /// Handle conversions.
    fn memory_up(x: Self::Memory) -> AnyMemory;
    /// Handle conversions.
    fn memory_down(x: &AnyMemory) -> Option<Self::Memory>;
    /// Handle conversions.
    fn table_up(x: Self::Table) -> AnyTable;
    /// Handle conversions.
    fn table_down(x: &AnyTable) -> Option<Self::Table>;
    /// Handle conversions.
    fn global_up(x: Self::Global) -> AnyGlobal;
    /// Handle conversions.
    fn global_down(x: &AnyGlobal) -> Option<Self::Global>;
    /// Handle conversions.
    fn externref_up(x: Self::ExternRef) -> AnyExternRef;
    /// Handle conversions.
    fn externref_down(x: &AnyExternRef) -> Option<Self::ExternRef>;
    /// Handle conversions.
    fn instance_up(x: Self::Instance) -> AnyInstance;
    /// Handle conversions.
    fn instance_down(x: &AnyInstance) -> Option<Self::Instance>;
    /// Handle conversions.
    fn tag_up(x: Self::Tag) -> AnyTag;
    /// Handle conversions.
    fn tag_down(x: &AnyTag) -> Option<Self::Tag>;
    /// Handle conversions.
    fn anyref_up(x: Self::AnyRef) -> AnyAnyRef;
    /// Handle conversions.
    fn anyref_down(x: &AnyAnyRef) -> Option<Self::AnyRef>;
    /// Handle conversions.
    fn exnref_up(x: Self::ExnRef) -> AnyExnRef;
    /// Handle conversions.
    fn exnref_down(x: &AnyExnRef) -> Option<Self::ExnRef>;
    /// Handle conversions.
    fn shared_memory_up(x: Self::SharedMemory) -> AnySharedMemory;
    /// Handle conversions.
    fn shared_memory_down(x: &AnySharedMemory) -> Option<Self::SharedMemory>;
    /// Paused call conversions.
    fn paused_up(x: Self::PausedCall) -> AnyPausedCall;
    /// Pre-instantiated module conversions.
    fn instance_pre_up<T: 'static>(x: Self::InstancePre<T>) -> AnyInstancePre<T>;
    /// Paused call conversions (`None`, dropping it, if it is another backend's).
    fn paused_down(x: AnyPausedCall) -> Option<Self::PausedCall>;
}

macro_rules! member {
    ($feature:literal, $B:ident) => {
        #[cfg(feature = $feature)]
        impl sealed::Sealed for $B {}
        #[cfg(feature = $feature)]
        impl Member for $B {
            fn engine_of(e: &AnyEngine) -> Option<&Self> {
                #[allow(irrefutable_let_patterns)]
                if let AnyEngine::$B(x) = e { Some(x) } else { None }
            }
            fn any_engine(e: Self) -> AnyEngine {
                AnyEngine::$B(e)
            }
            fn module_up(m: Self::Module) -> AnyModule {
                AnyModule::$B(m)
            }
            fn module_down(m: &AnyModule) -> Option<&Self::Module> {
                #[allow(irrefutable_let_patterns)]
                if let AnyModule::$B(x) = m { Some(x) } else { None }
            }
            fn caller_up<T: 'static>(c: Self::Caller<'_, T>) -> AnyCaller<'_, T> {
                AnyContext::$B(c)
            }
            fn store_up<T: 'static>(s: Self::Store<T>) -> AnyStore<T> {
                AnyContext::$B(s)
            }
            fn linker_up<T: 'static>(l: Self::Linker<T>) -> AnyLinker<T> {
                AnyLinker::$B(l)
            }
            fn store_down<T: 'static>(s: &AnyStore<T>) -> Option<&Self::Store<T>> {
                #[allow(irrefutable_let_patterns)]
                if let AnyContext::$B(x) = s { Some(x) } else { None }
            }
            fn store_down_mut<T: 'static>(s: &mut AnyStore<T>) -> Option<&mut Self::Store<T>> {
                #[allow(irrefutable_let_patterns)]
                if let AnyContext::$B(x) = s { Some(x) } else { None }
            }
            member!(@handle $B, func_up, func_down, AnyFunc, Func);
            member!(@handle $B, memory_up, memory_down, AnyMemory, Memory);
            member!(@handle $B, table_up, table_down, AnyTable, Table);
            member!(@handle $B, global_up, global_down, AnyGlobal, Global);
            member!(@handle $B, externref_up, externref_down, AnyExternRef, ExternRef);
            member!(@handle $B, instance_up, instance_down, AnyInstance, Instance);
            member!(@handle $B, tag_up, tag_down, AnyTag, Tag);
            member!(@handle $B, anyref_up, anyref_down, AnyAnyRef, AnyRef);
            member!(@handle $B, exnref_up, exnref_down, AnyExnRef, ExnRef);
            fn shared_memory_up(x: Self::SharedMemory) -> AnySharedMemory {
                AnySharedMemory::$B(x)
            }
            #[allow(unreachable_code)]
            fn shared_memory_down(x: &AnySharedMemory) -> Option<Self::SharedMemory> {
                #[allow(irrefutable_let_patterns)]
                if let AnySharedMemory::$B(x) = x { Some(x.clone()) } else { None }
            }
            fn paused_up(x: Self::PausedCall) -> AnyPausedCall {
                AnyPausedCall::$B(x)
            }
            fn instance_pre_up<T: 'static>(x: Self::InstancePre<T>) -> AnyInstancePre<T> {
                AnyInstancePre::$B(x)
            }
            #[allow(unreachable_code, unreachable_patterns)]
            fn paused_down(x: AnyPausedCall) -> Option<Self::PausedCall> {
                match x {
                    AnyPausedCall::$B(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
    (@handle $B:ident, $up:ident, $down:ident, $Any:ident, $assoc:ident) => {
        fn $up(x: Self::$assoc) -> $Any {
            $Any::$B(x)
        }
        fn $down(x: &$Any) -> Option<Self::$assoc> {
            #[allow(irrefutable_let_patterns)]
            if let $Any::$B(x) = x { Some(*x) } else { None }
        }
    };
}

// Every enum, `each!`, the `Member` impls, `by_name` and `for_each_backend!`.
crate::backend_list::with_backends!(define_any);

/// A value of backend `B` as a value of [`AnyEngine`].
pub fn val_up<B: Member>(v: &Val<B>) -> Val<AnyEngine> {
    match *v {
        Val::I32(x) => Val::I32(x),
        Val::I64(x) => Val::I64(x),
        Val::F32(x) => Val::F32(x),
        Val::F64(x) => Val::F64(x),
        Val::V128(x) => Val::V128(x),
        Val::FuncRef(f) => Val::FuncRef(f.map(|f| f.map_native(B::func_up))),
        Val::ExternRef(r) => Val::ExternRef(r.map(|r| r.map_native(B::externref_up))),
        Val::AnyRef(r) => Val::AnyRef(r.map(|r| r.map_native(B::anyref_up))),
        Val::ExnRef(r) => Val::ExnRef(r.map(|r| r.map_native(B::exnref_up))),
    }
}

/// A value of [`AnyEngine`] as a value of backend `B`; references of another
/// backend are [`Error::WrongStore`].
///
/// # Errors
///
/// [`Error::WrongStore`] if `v` is a reference of another backend than `B`.
pub fn val_down<B: Member>(v: &Val<AnyEngine>) -> Result<Val<B>> {
    Ok(match *v {
        Val::I32(x) => Val::I32(x),
        Val::I64(x) => Val::I64(x),
        Val::F32(x) => Val::F32(x),
        Val::F64(x) => Val::F64(x),
        Val::V128(x) => Val::V128(x),
        Val::FuncRef(None) => Val::FuncRef(None),
        Val::FuncRef(Some(f)) => Val::FuncRef(Some(Func::from_native(
            B::func_down(f.as_native()).ok_or_else(mismatch)?,
            f.store_id(),
        ))),
        Val::ExternRef(None) => Val::ExternRef(None),
        Val::ExternRef(Some(r)) => Val::ExternRef(Some(ExternRef::from_native(
            B::externref_down(r.as_native()).ok_or_else(mismatch)?,
            r.store_id(),
        ))),
        Val::AnyRef(None) => Val::AnyRef(None),
        Val::AnyRef(Some(r)) => Val::AnyRef(Some(AnyRef::from_native(
            B::anyref_down(r.as_native()).ok_or_else(mismatch)?,
            r.store_id(),
        ))),
        Val::ExnRef(None) => Val::ExnRef(None),
        Val::ExnRef(Some(r)) => Val::ExnRef(Some(ExnRef::from_native(
            B::exnref_down(r.as_native()).ok_or_else(mismatch)?,
            r.store_id(),
        ))),
    })
}

// With one backend compiled in, `AnyTag`/`AnySharedMemory` may be uninhabited.
#[allow(unreachable_code)]
fn extern_up<B: Member>(e: Extern<B>) -> Extern<AnyEngine> {
    match e {
        Extern::Func(x) => Extern::Func(x.map_native(B::func_up)),
        Extern::Memory(x) => Extern::Memory(x.map_native(B::memory_up)),
        Extern::Table(x) => Extern::Table(x.map_native(B::table_up)),
        Extern::Global(x) => Extern::Global(x.map_native(B::global_up)),
        Extern::Tag(x) => Extern::Tag(x.map_native(B::tag_up)),
        Extern::SharedMemory(x) => Extern::SharedMemory(SharedMemory::from_native(
            B::shared_memory_up(x.as_native().clone()),
        )),
    }
}

#[allow(unreachable_code)]
fn extern_down<B: Member>(e: &Extern<AnyEngine>) -> Result<Extern<B>> {
    Ok(match e {
        Extern::Func(x) => Extern::Func(Func::from_native(
            B::func_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Memory(x) => Extern::Memory(Memory::from_native(
            B::memory_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Table(x) => Extern::Table(Table::from_native(
            B::table_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Global(x) => Extern::Global(Global::from_native(
            B::global_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::Tag(x) => Extern::Tag(Tag::from_native(
            B::tag_down(x.as_native()).ok_or_else(mismatch)?,
            x.store_id(),
        )),
        Extern::SharedMemory(x) => Extern::SharedMemory(SharedMemory::from_native(
            B::shared_memory_down(x.as_native()).ok_or_else(mismatch)?,
        )),
    })
}

fn down<X, B>(x: Option<X>) -> X {
    let _ = std::marker::PhantomData::<B>;
    x.unwrap_or_else(|| foreign_handle())
}

/// Adapts a host function written for [`AnyEngine`] to backend `B`.
struct Adapt<F>(F);

impl<B, T, P, R, F> HostFunc<B, T, P, R> for Adapt<F>
where
    B: Member,
    T: 'static,
    P: WasmTyList,
    R: WasmTyList,
    F: HostFunc<AnyEngine, T, P, R>,
{
    #[inline]
    fn call(&self, caller: Caller<'_, B, T>, params: P) -> Result<R> {
        self.0.call(
            Caller::from_backend(B::caller_up(caller.into_backend())),
            params,
        )
    }
}

impl<B, T, F> UntypedHostFunc<B, T> for Adapt<F>
where
    B: Member,
    T: 'static,
    F: UntypedHostFunc<AnyEngine, T>,
{
    fn call(
        &self,
        caller: Caller<'_, B, T>,
        params: &[Val<B>],
        results: &mut [Val<B>],
    ) -> Result<()> {
        let caller = Caller::from_backend(B::caller_up(caller.into_backend()));
        convert_call_inout(
            params,
            results,
            Val::I32(0),
            |v| Ok(val_up(v)),
            val_down,
            |ps, rs| self.0.call(caller, ps, rs),
        )
    }
}

impl<B, T, F> wasm_run_api::AsyncHostFunc<B, T> for Adapt<F>
where
    B: Member,
    T: 'static,
    F: wasm_run_api::AsyncHostFunc<AnyEngine, T>,
{
    fn call(&self, caller: Caller<'_, B, T>, params: &[Val<B>]) -> Result<AsyncHostFuture<B, T>> {
        let caller = Caller::from_backend(B::caller_up(caller.into_backend()));
        let params: Vec<Val<AnyEngine>> = params.iter().map(val_up).collect();
        let fut = self.0.call(caller, &params)?;
        Ok(Box::pin(async move {
            Ok(match fut.await? {
                AsyncDone::Results(out) => {
                    AsyncDone::Results(out.iter().map(val_down).collect::<Result<_>>()?)
                }
                AsyncDone::Complete(complete) => {
                    AsyncDone::Complete(Box::new(move |caller: Caller<'_, B, T>| {
                        let caller = Caller::from_backend(B::caller_up(caller.into_backend()));
                        complete(caller)?.iter().map(val_down).collect()
                    }))
                }
            })
        }))
    }
}

// Generic bodies of the context operations, written once for every member.

fn call_dyn<B: Member, C: ContextBackend<B>>(
    c: &mut C,
    f: &AnyFunc,
    params: &[Val<AnyEngine>],
    results: &mut [Val<AnyEngine>],
) -> Result<()> {
    let f = B::func_down(f).ok_or_else(mismatch)?;
    convert_call(
        params,
        results,
        Val::I32(0),
        val_down,
        |v| Ok(val_up(v)),
        |ps, rs| c.func_call(&f, ps, rs),
    )
}

/// As [`call_dyn`], without the type check.
///
/// # Safety
///
/// As [`ContextBackend::func_call_unchecked`].
unsafe fn call_dyn_unchecked<B: Member, C: ContextBackend<B>>(
    c: &mut C,
    f: &AnyFunc,
    params: &[Val<AnyEngine>],
    results: &mut [Val<AnyEngine>],
) -> Result<()> {
    let f = B::func_down(f).ok_or_else(mismatch)?;
    let ps = params
        .iter()
        .map(val_down)
        .collect::<Result<SmallVec<[Val<B>; 16]>>>()?;
    // The results keep their kinds: the backend reads them.
    let mut rs = results
        .iter()
        .map(val_down)
        .collect::<Result<SmallVec<[Val<B>; 4]>>>()?;
    // SAFETY: forwarded from the caller, the values converted kind for kind.
    unsafe { c.func_call_unchecked(&f, &ps, &mut rs)? };
    for (r, v) in results.iter_mut().zip(&rs) {
        *r = val_up(v);
    }
    Ok(())
}

fn instantiate_with<B: Member, C: ContextBackend<B>>(
    c: &mut C,
    module: &AnyModule,
    imports: &[Extern<AnyEngine>],
) -> Result<AnyInstance> {
    let m = B::module_down(module).ok_or_else(mismatch)?;
    let natives = imports
        .iter()
        .map(extern_down::<B>)
        .collect::<Result<Vec<_>>>()?;
    c.instantiate(m, &natives).map(B::instance_up)
}

/// The context operations, once for stores and callers alike.
impl<K: ContextKind> ContextBackend<AnyEngine> for AnyContext<K> {
    type Data = K::T;

    fn store_id(&self) -> StoreId {
        each!(self, AnyContext, c, B => c.store_id())
    }
    fn data(&self) -> &K::T {
        each!(self, AnyContext, c, B => c.data())
    }
    fn data_mut(&mut self) -> &mut K::T {
        each!(self, AnyContext, c, B => c.data_mut())
    }
    fn get_fuel(&self) -> Result<u64> {
        each!(self, AnyContext, c, B => c.get_fuel())
    }
    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        each!(self, AnyContext, c, B => c.set_fuel(fuel))
    }
    fn set_deadline(&mut self, at: Option<std::time::Instant>) -> Result<()> {
        each!(self, AnyContext, c, B => c.set_deadline(at))
    }
    fn check_stop(&mut self) -> Result<()> {
        each!(self, AnyContext, c, B => c.check_stop())
    }
    fn set_limiter(&mut self, limiter: Box<dyn wasm_run_api::ResourceLimiter>) {
        each!(self, AnyContext, c, B => c.set_limiter(limiter))
    }
    fn backend_store(&mut self) -> Option<&mut dyn Any> {
        each!(self, AnyContext, c, B => c.backend_store())
    }
    fn func_call_resumable(
        &mut self,
        f: &AnyFunc,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> Result<Option<AnyPausedCall>> {
        each!(self, AnyContext, c, B => {
            let f = B::func_down(f).ok_or_else(mismatch)?;
            let mut paused = None;
            convert_call(params, results, Val::I32(0), val_down, |v| Ok(val_up(v)), |ps, rs| {
                paused = c.func_call_resumable(&f, ps, rs)?;
                Ok(())
            })?;
            Ok(paused.map(B::paused_up))
        })
    }
    // The wasmtime arm cannot be reached: wasmtime never pauses a call.
    #[allow(unreachable_code)]
    fn resume_call(
        &mut self,
        call: AnyPausedCall,
        results: &mut [Val<AnyEngine>],
    ) -> Result<Option<AnyPausedCall>> {
        each!(self, AnyContext, c, B => {
            let call = B::paused_down(call).ok_or_else(mismatch)?;
            let mut paused = None;
            convert_call(&[], results, Val::I32(0), val_down, |v| Ok(val_up(v)), |_, rs| {
                paused = c.resume_call(call, rs)?;
                Ok(())
            })?;
            Ok(paused.map(B::paused_up))
        })
    }
    fn interrupt_handle(&self) -> Result<InterruptHandle> {
        each!(self, AnyContext, c, B => c.interrupt_handle())
    }
    fn set_interrupt_handle(&mut self, handle: InterruptHandle) -> Result<()> {
        each!(self, AnyContext, c, B => c.set_interrupt_handle(handle))
    }
    fn func_ty(&self, f: &AnyFunc) -> FuncType {
        each!(self, AnyContext, c, B => c.func_ty(&down::<_, B>(B::func_down(f))))
    }
    #[inline]
    fn func_call(
        &mut self,
        f: &AnyFunc,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> Result<()> {
        each!(self, AnyContext, c, B => call_dyn::<B, _>(c, f, params, results))
    }
    unsafe fn func_call_unchecked(
        &mut self,
        f: &AnyFunc,
        params: &[Val<AnyEngine>],
        results: &mut [Val<AnyEngine>],
    ) -> Result<()> {
        // SAFETY: forwarded from the caller.
        each!(self, AnyContext, c, B => unsafe { call_dyn_unchecked::<B, _>(c, f, params, results) })
    }
    #[inline]
    fn func_call_typed<P: WasmTyList, R: WasmTyList>(
        &mut self,
        f: &AnyFunc,
        params: P,
    ) -> Result<R> {
        each!(self, AnyContext, c, B => c.func_call_typed::<P, R>(&B::func_down(f).ok_or_else(mismatch)?, params))
    }
    fn func_new<F: UntypedHostFunc<AnyEngine, K::T>>(
        &mut self,
        ty: FuncType,
        f: F,
    ) -> Result<AnyFunc> {
        each!(self, AnyContext, c, B => c.func_new(ty, Adapt(f)).map(B::func_up))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<AnyEngine, K::T, P, R>>(
        &mut self,
        f: F,
    ) -> Result<AnyFunc> {
        each!(self, AnyContext, c, B => c.func_wrap::<P, R, _>(Adapt(f)).map(B::func_up))
    }
    fn memory_new(&mut self, ty: MemoryType) -> Result<AnyMemory> {
        each!(self, AnyContext, c, B => c.memory_new(ty).map(B::memory_up))
    }
    fn memory_ty(&self, m: &AnyMemory) -> MemoryType {
        each!(self, AnyContext, c, B => c.memory_ty(&down::<_, B>(B::memory_down(m))))
    }
    fn memory_data<'a>(&'a self, m: &AnyMemory) -> &'a [u8] {
        each!(self, AnyContext, c, B => c.memory_data(&down::<_, B>(B::memory_down(m))))
    }
    fn memory_data_mut<'a>(&'a mut self, m: &AnyMemory) -> &'a mut [u8] {
        each!(self, AnyContext, c, B => c.memory_data_mut(&down::<_, B>(B::memory_down(m))))
    }
    fn memory_grow(&mut self, m: &AnyMemory, delta: u64) -> Result<u64> {
        each!(self, AnyContext, c, B => c.memory_grow(&B::memory_down(m).ok_or_else(mismatch)?, delta))
    }
    fn table_new(&mut self, ty: TableType, init: Val<AnyEngine>) -> Result<AnyTable> {
        each!(self, AnyContext, c, B => c.table_new(ty, val_down(&init)?).map(B::table_up))
    }
    fn table_ty(&self, t: &AnyTable) -> TableType {
        each!(self, AnyContext, c, B => c.table_ty(&down::<_, B>(B::table_down(t))))
    }
    fn table_size(&self, t: &AnyTable) -> u64 {
        each!(self, AnyContext, c, B => c.table_size(&down::<_, B>(B::table_down(t))))
    }
    fn table_grow(&mut self, t: &AnyTable, delta: u64, init: Val<AnyEngine>) -> Result<u64> {
        each!(self, AnyContext, c, B => c.table_grow(&B::table_down(t).ok_or_else(mismatch)?, delta, val_down(&init)?))
    }
    fn table_get(&mut self, t: &AnyTable, index: u64) -> Option<Val<AnyEngine>> {
        each!(self, AnyContext, c, B => c.table_get(&down::<_, B>(B::table_down(t)), index).map(|v| val_up(&v)))
    }
    fn table_set(&mut self, t: &AnyTable, index: u64, v: Val<AnyEngine>) -> Result<()> {
        each!(self, AnyContext, c, B => c.table_set(&B::table_down(t).ok_or_else(mismatch)?, index, val_down(&v)?))
    }
    fn global_new(&mut self, ty: GlobalType, v: Val<AnyEngine>) -> Result<AnyGlobal> {
        each!(self, AnyContext, c, B => c.global_new(ty, val_down(&v)?).map(B::global_up))
    }
    fn global_ty(&self, g: &AnyGlobal) -> GlobalType {
        each!(self, AnyContext, c, B => c.global_ty(&down::<_, B>(B::global_down(g))))
    }
    fn global_get(&mut self, g: &AnyGlobal) -> Val<AnyEngine> {
        each!(self, AnyContext, c, B => val_up(&c.global_get(&down::<_, B>(B::global_down(g)))))
    }
    fn global_set(&mut self, g: &AnyGlobal, v: Val<AnyEngine>) -> Result<()> {
        each!(self, AnyContext, c, B => c.global_set(&B::global_down(g).ok_or_else(mismatch)?, val_down(&v)?))
    }
    fn externref_new(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<AnyExternRef> {
        each!(self, AnyContext, c, B => c.externref_new(value).map(B::externref_up))
    }
    fn externref_data<'a>(&'a self, r: &AnyExternRef) -> Option<&'a (dyn Any + Send + Sync)> {
        each!(self, AnyContext, c, B => c.externref_data(&B::externref_down(r)?))
    }
    // The wasmi arm cannot be reached: wasmi has no tags or GC references.
    #[allow(unreachable_code)]
    fn tag_ty(&self, t: &AnyTag) -> TagType {
        each!(self, AnyContext, c, B => c.tag_ty(&down::<_, B>(B::tag_down(t))))
    }
    #[allow(unreachable_code)]
    fn anyref_kind(&self, r: &AnyAnyRef) -> AnyRefKind {
        each!(self, AnyContext, c, B => c.anyref_kind(&down::<_, B>(B::anyref_down(r))))
    }
    fn anyref_from_i31(&mut self, value: u32) -> Result<AnyAnyRef> {
        each!(self, AnyContext, c, B => c.anyref_from_i31(value).map(B::anyref_up))
    }
    fn anyref_from_extern(&mut self, r: AnyExternRef) -> Result<AnyAnyRef> {
        each!(self, AnyContext, c, B => c.anyref_from_extern(B::externref_down(&r).ok_or_else(mismatch)?).map(B::anyref_up))
    }
    fn externref_from_any(&mut self, r: AnyAnyRef) -> Result<AnyExternRef> {
        each!(self, AnyContext, c, B => c.externref_from_any(B::anyref_down(&r).ok_or_else(mismatch)?).map(B::externref_up))
    }
    fn instantiate(
        &mut self,
        module: &AnyModule,
        imports: &[Extern<AnyEngine>],
    ) -> Result<AnyInstance> {
        each!(self, AnyContext, c, B => instantiate_with::<B, _>(c, module, imports))
    }
    fn instance_export(&mut self, instance: &AnyInstance, name: &str) -> Option<Extern<AnyEngine>> {
        each!(self, AnyContext, c, B => c.instance_export(&B::instance_down(instance)?, name).map(extern_up))
    }
}

impl<T: 'static> StoreBackend<AnyEngine> for AnyStore<T> {
    fn into_data(self) -> T {
        each!(self, AnyContext, s, B => s.into_data())
    }
    fn set_yield_policy(&mut self, policy: wasm_run_api::YieldPolicy) -> Result<()> {
        each!(self, AnyContext, s, B => s.set_yield_policy(policy))
    }
    fn func_call_async<'a>(
        &'a mut self,
        f: &'a AnyFunc,
        params: &'a [Val<AnyEngine>],
        results: &'a mut [Val<AnyEngine>],
    ) -> CallFuture<'a>
    where
        Self: Send,
        T: Send,
    {
        Box::pin(async move {
            each_send!(self, AnyContext, s, B => {
                let f = B::func_down(f).ok_or_else(mismatch)?;
                let ps: Vec<Val<B>> = params.iter().map(val_down).collect::<Result<_>>()?;
                let mut rs: Vec<Val<B>> = vec![Val::I32(0); results.len()];
                s.func_call_async(&f, &ps, &mut rs).await?;
                for (slot, v) in results.iter_mut().zip(&rs) {
                    *slot = val_up(v);
                }
                Ok(())
            })
        })
    }
}

impl<T: 'static> CallerBackend<AnyEngine> for AnyCaller<'_, T> {
    fn get_export(&mut self, name: &str) -> Option<Extern<AnyEngine>> {
        each!(self, AnyContext, c, B => c.get_export(name).map(extern_up))
    }
}

impl<T: 'static> LinkerBackend<AnyEngine, T> for AnyLinker<T> {
    fn define(
        &mut self,
        store: &AnyStore<T>,
        module: &str,
        name: &str,
        item: Extern<AnyEngine>,
    ) -> Result<()> {
        each!(self, AnyLinker, l, B => l.define(B::store_down(store).ok_or_else(mismatch)?, module, name, extern_down(&item)?))
    }
    fn func_wrap<P: WasmTyList, R: WasmTyList, F: HostFunc<AnyEngine, T, P, R>>(
        &mut self,
        module: &str,
        name: &str,
        f: F,
    ) -> Result<()> {
        each!(self, AnyLinker, l, B => l.func_wrap::<P, R, _>(module, name, Adapt(f)))
    }
    fn func_new<F: UntypedHostFunc<AnyEngine, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()> {
        each!(self, AnyLinker, l, B => l.func_new(module, name, ty, Adapt(f)))
    }
    fn get(&self, store: &mut AnyStore<T>, module: &str, name: &str) -> Option<Extern<AnyEngine>> {
        each!(self, AnyLinker, l, B => l.get(B::store_down_mut(store)?, module, name).map(extern_up))
    }
    fn instantiate(&self, store: &mut AnyStore<T>, module: &AnyModule) -> Result<AnyInstance> {
        each!(self, AnyLinker, l, B => {
            let s = B::store_down_mut(store).ok_or_else(mismatch)?;
            l.instantiate(s, B::module_down(module).ok_or_else(mismatch)?).map(B::instance_up)
        })
    }
    fn instantiate_pre(&self, module: &AnyModule) -> Result<AnyInstancePre<T>> {
        each!(self, AnyLinker, l, B => l.instantiate_pre(B::module_down(module).ok_or_else(mismatch)?).map(B::instance_pre_up))
    }
    fn allow_shadowing(&mut self, allow: bool) {
        each!(self, AnyLinker, l, B => l.allow_shadowing(allow))
    }
    fn func_new_async<F: wasm_run_api::AsyncHostFunc<AnyEngine, T>>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: F,
    ) -> Result<()>
    where
        T: Send,
    {
        each!(self, AnyLinker, l, B => l.func_new_async(module, name, ty, Adapt(f)))
    }
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut AnyStore<T>,
        module: &'a AnyModule,
    ) -> InstanceFuture<'a, AnyEngine>
    where
        Self: Sync,
        T: Send,
        AnyStore<T>: Send,
    {
        Box::pin(async move {
            each_send!(self, AnyLinker, l, B => {
                let s = B::store_down_mut(store).ok_or_else(mismatch)?;
                let m = B::module_down(module).ok_or_else(mismatch)?;
                l.instantiate_async(s, m).await.map(B::instance_up)
            })
        })
    }
}

impl AnyEngine {
    /// The backend used when the caller does not choose: wasmtime when compiled
    /// in (fastest), otherwise wasmi.
    pub const DEFAULT: &'static str = BACKENDS[0];

    /// Wraps a static backend.
    pub fn from_backend<B: Member>(engine: B) -> Self {
        B::any_engine(engine)
    }
}

impl Engine for AnyEngine {
    type Module = AnyModule;
    type Store<T: 'static> = AnyStore<T>;
    type Caller<'a, T: 'static> = AnyCaller<'a, T>;
    type Linker<T: 'static> = AnyLinker<T>;
    type InstancePre<T: 'static> = AnyInstancePre<T>;
    type Instance = AnyInstance;
    type Func = AnyFunc;
    type Memory = AnyMemory;
    type Table = AnyTable;
    type Global = AnyGlobal;
    type ExternRef = AnyExternRef;
    type Tag = AnyTag;
    type AnyRef = AnyAnyRef;
    type ExnRef = AnyExnRef;
    type SharedMemory = AnySharedMemory;
    type PausedCall = AnyPausedCall;

    /// The default backend ([`AnyEngine::DEFAULT`]).
    fn new(config: &Config) -> Result<Self> {
        Self::by_name(Self::DEFAULT, config)
    }
    const NAME: &'static str = "any";
    fn name(&self) -> &'static str {
        each!(self, AnyEngine, e, B => e.name())
    }
    fn version(&self) -> &'static str {
        each!(self, AnyEngine, e, B => e.version())
    }
    fn backend(&self) -> &dyn Any {
        each!(self, AnyEngine, e, B => e.backend())
    }
    fn backend_module<'m>(&self, module: &'m AnyModule) -> &'m dyn Any {
        each!(self, AnyEngine, e, B => match B::module_down(module) {
            Some(m) => e.backend_module(m),
            None => module,
        })
    }
    fn support(&self, feature: Feature) -> Support {
        each!(self, AnyEngine, e, B => e.support(feature))
    }
    fn features(&self) -> FeatureSet {
        each!(self, AnyEngine, e, B => e.features())
    }
    fn config(&self) -> &Config {
        each!(self, AnyEngine, e, B => e.config())
    }
    fn checks_import_types(&self) -> bool {
        each!(self, AnyEngine, e, B => e.checks_import_types())
    }
    fn compile(&self, wasm: &[u8]) -> Result<AnyModule> {
        each!(self, AnyEngine, e, B => e.compile(wasm).map(B::module_up))
    }
    fn validate(&self, wasm: &[u8]) -> Result<()> {
        each!(self, AnyEngine, e, B => e.validate(wasm))
    }
    fn store<T: 'static>(&self, data: T) -> AnyStore<T> {
        each!(self, AnyEngine, e, B => B::store_up(e.store(data)))
    }
    fn linker<T: 'static>(&self) -> AnyLinker<T> {
        each!(self, AnyEngine, e, B => B::linker_up(e.linker()))
    }
    fn shared_memory_new(&self, ty: MemoryType) -> Result<AnySharedMemory> {
        each!(self, AnyEngine, e, B => e.shared_memory_new(ty).map(B::shared_memory_up))
    }
    fn interrupt_waker(&self) -> Result<Waker> {
        each!(self, AnyEngine, e, B => e.interrupt_waker())
    }
    fn serialize(&self, module: &AnyModule) -> Result<Vec<u8>> {
        each!(self, AnyEngine, e, B => e.serialize(B::module_down(module).ok_or_else(mismatch)?))
    }
    unsafe fn deserialize(&self, bytes: &[u8]) -> Result<AnyModule> {
        // SAFETY: the caller's contract, passed on to the chosen backend.
        each!(self, AnyEngine, e, B => unsafe { e.deserialize(bytes) }.map(B::module_up))
    }
}

impl PausedCallBackend for AnyPausedCall {
    #[allow(unreachable_code)]
    fn required_fuel(&self) -> u64 {
        each!(self, AnyPausedCall, p, B => p.required_fuel())
    }
}

// SAFETY: every method forwards to the chosen backend's memory, whose
// implementation keeps the promises.
unsafe impl SharedMemoryBackend for AnySharedMemory {
    #[allow(unreachable_code)]
    fn ty(&self) -> MemoryType {
        each!(self, AnySharedMemory, m, B => m.ty())
    }
    #[allow(unreachable_code)]
    fn data_size(&self) -> usize {
        each!(self, AnySharedMemory, m, B => m.data_size())
    }
    #[allow(unreachable_code)]
    fn data_ptr(&self) -> *mut u8 {
        each!(self, AnySharedMemory, m, B => m.data_ptr())
    }
    #[allow(unreachable_code)]
    fn grow(&self, delta: u64) -> Result<u64> {
        each!(self, AnySharedMemory, m, B => m.grow(delta))
    }
    #[allow(unreachable_code)]
    fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        each!(self, AnySharedMemory, m, B => m.atomic_notify(addr, count))
    }
    #[allow(unreachable_code)]
    fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<std::time::Duration>,
    ) -> Result<WaitResult> {
        each!(self, AnySharedMemory, m, B => m.atomic_wait32(addr, expected, timeout))
    }
}
