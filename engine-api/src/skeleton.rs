//! The parts every backend has, written once: what an engine keeps of its
//! creation ([`EngineBase`]), the data a native store carries
//! ([`StoreData`]) and the box an `externref`'s host value lives in
//! ([`HostRef`]). Re-exported from [`crate::backend`].

use crate::backend::{StoreId, Waker};
use crate::error::{Error, Result};
use crate::feature::{Config, Feature, FeatureSet};
use std::any::Any;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// The data of a backend's native store: the user's host state `T`, the
/// store's [`StoreId`], and the backend's own per-store state `S` (limits,
/// deadline watch, fuel bookkeeping, ...), which this type dereferences to
/// so a backend reaches its fields directly (`data.limits`).
///
/// A backend names it with its own state, e.g. wasm-run-wasmi's
/// `pub type StoreData<T> = wasm_run_api::backend::StoreData<T, WasmiState>`;
/// code that registers native host functions on a backend's native store
/// (WASI adapters, wasmtime's component model) reaches the user's state
/// through [`StoreData::user`].
///
/// ```
/// use wasm_run_api::backend::StoreData;
///
/// struct Counters {
///     calls: u32,
/// }
/// let mut data = StoreData::new("host state", Counters { calls: 0 });
/// data.calls += 1; // the backend's own state, through `Deref`
/// assert_eq!(*data.user(), "host state");
/// assert_eq!(data.calls, 1);
/// assert_ne!(data.store_id(), StoreData::new((), ()).store_id());
/// ```
pub struct StoreData<T, S> {
    user: T,
    id: StoreId,
    state: S,
    extensions: crate::Extensions,
}

impl<T, S> StoreData<T, S> {
    /// The data of a new store, with a fresh [`StoreId`].
    pub fn new(user: T, state: S) -> Self {
        StoreData {
            user,
            id: StoreId::fresh(),
            state,
            extensions: crate::Extensions::new(),
        }
    }
    /// The user's host state.
    pub fn user(&self) -> &T {
        &self.user
    }
    /// The user's host state, mutably.
    pub fn user_mut(&mut self) -> &mut T {
        &mut self.user
    }
    /// The user's host state, taking the store's data apart.
    pub fn into_user(self) -> T {
        self.user
    }
    /// The store's [`crate::Extensions`] (what a backend's
    /// [`crate::backend::ContextBackend::extensions_mut`] answers).
    pub fn extensions_mut(&mut self) -> &mut crate::Extensions {
        &mut self.extensions
    }
    /// The id of the store (as [`crate::Store::id`] answers).
    pub fn store_id(&self) -> StoreId {
        self.id
    }
    /// A pointer to the backend's state inside the store data `this` points
    /// to, made without creating a reference (for backends whose engine
    /// reaches the state through a raw pointer while references to other
    /// parts of it may live).
    ///
    /// # Safety
    ///
    /// `this` must point to a live `StoreData` (its address computation must
    /// stay in bounds, as for [`std::ptr::addr_of_mut!`]).
    pub unsafe fn state_ptr(this: *mut Self) -> *mut S {
        // SAFETY: the caller promises `this` points to a live value, so the
        // field's address is in bounds; no reference is made.
        unsafe { std::ptr::addr_of_mut!((*this).state) }
    }
    /// The user's state and the backend's at once (for code that needs both
    /// borrowed, which `Deref` cannot give).
    pub fn split_mut(&mut self) -> (&mut T, &mut S) {
        (&mut self.user, &mut self.state)
    }
}

impl<T, S> Deref for StoreData<T, S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.state
    }
}

impl<T, S> DerefMut for StoreData<T, S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.state
    }
}

/// The host value behind an `externref`, as a backend whose engine keeps
/// one `Any` per reference stores it: the API hands the backend a boxed
/// value ([`crate::backend::ContextBackend::externref_new`]) and gets back
/// `&(dyn Any + Send + Sync)` ([`HostRef::value`]).
///
/// ```
/// use wasm_run_api::backend::HostRef;
///
/// let r = HostRef::new(Box::new(42u32));
/// assert_eq!(r.value().downcast_ref::<u32>(), Some(&42));
/// ```
pub struct HostRef(Box<dyn Any + Send + Sync>);

impl HostRef {
    /// Wraps the API's boxed value.
    pub fn new(value: Box<dyn Any + Send + Sync>) -> Self {
        HostRef(value)
    }
    /// The value, as the API's `externref_data` answers it.
    pub fn value(&self) -> &(dyn Any + Send + Sync) {
        &*self.0
    }
    /// The value behind an engine's own `Any` (what the engine stored when
    /// the reference was made): `None` when it is not a [`HostRef`], i.e.
    /// a reference some other code made through the engine's native API.
    pub fn of(any: &dyn Any) -> Option<&(dyn Any + Send + Sync)> {
        any.downcast_ref::<HostRef>().map(HostRef::value)
    }
}

/// What every backend's engine keeps of its creation: the configuration, the
/// features it resolved to and the [`Waker`] of its interrupt handles.
/// [`crate::Engine::features`], [`crate::Engine::config`] and
/// [`crate::Engine::interrupt_waker`] are provided over it, through the one
/// method a backend writes, [`crate::Engine::base`].
///
/// ```
/// use wasm_run_api::backend::EngineBase;
/// use wasm_run_api::{Config, Feature, FeatureSet};
///
/// let config = Config::new();
/// let base = EngineBase::new(&config, FeatureSet::default());
/// // Interrupts are off, so there is no waker to give out.
/// assert!(matches!(
///     base.interrupt_waker("mine"),
///     Err(wasm_run_api::Error::Unsupported { feature: Feature::Interrupt, engine: "mine" })
/// ));
///
/// let mut on = FeatureSet::default();
/// on.insert(Feature::Interrupt);
/// let base = EngineBase::new(&config, on);
/// // The same `Arc` every time: it tells this engine's handles apart.
/// let (a, b) = (base.interrupt_waker("mine").unwrap(), base.interrupt_waker("mine").unwrap());
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// ```
#[derive(Clone)]
pub struct EngineBase {
    config: Arc<Config>,
    features: FeatureSet,
    waker: Waker,
}

impl EngineBase {
    /// An engine's base with a waker that does nothing (for engines whose
    /// running code looks at the interrupt flag by itself, e.g. between fuel
    /// slices).
    pub fn new(config: &Config, features: FeatureSet) -> Self {
        EngineBase {
            config: Arc::new(config.clone()),
            features,
            waker: Arc::new(|| {}),
        }
    }
    /// The same base with `waker` called when an interrupt is requested
    /// (e.g. wasmtime's epoch bump).
    pub fn with_waker(mut self, waker: Waker) -> Self {
        self.waker = waker;
        self
    }
    /// Whether `other` is the base of the same engine (this one or a clone
    /// of it): each engine's creation makes its own base, and clones share
    /// it.
    ///
    /// ```
    /// use wasm_run_api::backend::EngineBase;
    /// use wasm_run_api::{Config, FeatureSet};
    ///
    /// let a = EngineBase::new(&Config::new(), FeatureSet::default());
    /// let b = EngineBase::new(&Config::new(), FeatureSet::default());
    /// assert!(a.same(&a.clone()));
    /// assert!(!a.same(&b));
    /// ```
    pub fn same(&self, other: &EngineBase) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }
    /// The configuration the engine was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The features the engine has enabled.
    pub fn features(&self) -> FeatureSet {
        self.features
    }
    /// The engine's waker, whether interrupts are on or not.
    pub fn waker(&self) -> &Waker {
        &self.waker
    }
    /// The engine's waker for interrupt handles.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for [`Feature::Interrupt`] (naming `engine`)
    /// unless interrupts are enabled.
    pub fn interrupt_waker(&self, engine: &'static str) -> Result<Waker> {
        if self.features.contains(Feature::Interrupt) {
            Ok(self.waker.clone())
        } else {
            Err(Error::unsupported(Feature::Interrupt, engine))
        }
    }
}

impl std::fmt::Debug for EngineBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBase")
            .field("features", &self.features)
            .finish_non_exhaustive()
    }
}
