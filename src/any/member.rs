//! [`Member`]: how a backend's handles convert to and from the `Any*`
//! enums, implemented once per backend of the list by `member!`.

use super::*;

pub(super) mod sealed {
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
