//! [`AnyEngine`]: a backend chosen at run time that implements the same traits
//! as the static backends, by matching once per operation.

use smallvec::SmallVec;
use std::any::Any;
use std::marker::PhantomData;
use wasm_run_api::backend::{
    CallFuture, CallerBackend, ContextBackend, Engine, EngineBase, GcRefsBackend, InstanceFuture,
    InstancePreBackend, LinkerBackend, SharedMemoryBackend, StoreBackend, TagsBackend, WaitResult,
};
use wasm_run_api::backend::{PausedCallBackend, Waker, convert_call, convert_call_inout};
use wasm_run_api::{
    AnyRef, AnyRefKind, Caller, Config, Error, ExnRef, Extern, ExternRef, Feature, Func, FuncType,
    Global, GlobalType, HostFunc, Memory, MemoryType, Result, SharedMemory, StoreId, Support,
    Table, TableType, Tag, TagType, UntypedHostFunc, Val, WasmTyList,
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

/// Everything in this module that names backends, generated from the one
/// list in `crate::backend_list` (see [`crate::for_each_backend!`]).
macro_rules! define_any {
    ([$d:tt] $($name:ident $feat:literal $Var:ident $krate:ident),* $(,)?) => {
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

// `AnyEngine`'s stores are `Send` whatever backends are compiled in (a
// member of the list must have `Send` stores): a backend that broke that
// fails to compile here rather than in a user's async code.
const _: fn() = || {
    fn send<S: Send>() {}
    send::<AnyStore<()>>();
    send::<crate::Store<AnyEngine, ()>>();
};

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

// The `Member` trait and its per-backend implementations (`member!`, used
// by `define_any!` below).
#[macro_use]
mod member;
// Conversions of values and externs between a backend and `AnyEngine`.
mod convert;
// Host functions of `AnyEngine` as a backend's, and calls through them.
mod host;

use convert::*;
pub use convert::{val_down, val_up};
use host::*;
pub use member::Member;
use member::sealed;

// Every enum, `each!`, the `Member` impls, `by_name` and `for_each_backend!`.
crate::backend_list::with_backends!(define_any);

// The context, store, caller and linker of `AnyEngine` (after the list:
// they use `each!`).
mod context;

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
    fn module_export_key(
        &self,
        module: &AnyModule,
        name: &str,
    ) -> Option<Box<dyn Any + Send + Sync>> {
        each!(self, AnyEngine, e, B => e.module_export_key(B::module_down(module)?, name))
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
    fn base(&self) -> &EngineBase {
        each!(self, AnyEngine, e, B => e.base())
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
        // The backend's own (it names itself in `Unsupported`).
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
