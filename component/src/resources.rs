//! Resources: each component instance's handle table, the resource types
//! it defines (with their destructors), and the `resource.new/rep/drop`
//! built-ins.

use crate::abi::trap;
use crate::types::ResourceType;
use std::any::TypeId;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use wasm_run_api::{Engine, Error, Func, Result, TrapCode};

/// A resource type the host defines (with
/// [`LinkerInstance::resource`](crate::LinkerInstance::resource)), for a
/// component that imports it. Cheap to clone; compares by identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostResourceType {
    pub(crate) id: u64,
    pub(crate) name: Arc<str>,
}

impl HostResourceType {
    pub(crate) fn new(name: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        HostResourceType {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
        }
    }
    /// The name it was defined under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host resource type that the Rust type `R` stands for: the same
    /// one on every call (in the whole process), named after `R`. Define
    /// it in a linker with
    /// [`LinkerInstance::resource_of`](crate::LinkerInstance::resource_of);
    /// its handles are then [`Resource<R>`]s.
    ///
    /// ```
    /// use wasm_run_component::HostResourceType;
    /// enum Blob {}
    /// assert_eq!(HostResourceType::of::<Blob>(), HostResourceType::of::<Blob>());
    /// assert_ne!(HostResourceType::of::<Blob>(), HostResourceType::of::<u8>());
    /// ```
    pub fn of<R: 'static>() -> Self {
        static TYPES: OnceLock<Mutex<HashMap<TypeId, HostResourceType>>> = OnceLock::new();
        let mut types = TYPES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        types
            .entry(TypeId::of::<R>())
            .or_insert_with(|| HostResourceType::new(std::any::type_name::<R>()))
            .clone()
    }
}

/// A typed handle to a resource whose type the host defines, the Rust
/// type `R` standing for it ([`HostResourceType::of::<R>()`]): what
/// `bindgen!` gives host functions for the resources of imported
/// interfaces. The representation is the host's own number (e.g. an index
/// into its table). It converts to and from [`ResourceAny`]; as an
/// argument or result it is checked to be of `R`'s type.
///
/// ```
/// use wasm_run_component::{HostResourceType, Resource, ResourceAny};
/// enum Blob {}
/// let r = Resource::<Blob>::new_own(7);
/// assert_eq!((r.rep(), r.owned()), (7, true));
/// let any: ResourceAny = r.into();
/// assert_eq!(any.host_type(), Some(&HostResourceType::of::<Blob>()));
/// assert!(Resource::<u8>::try_from(any.clone()).is_err());
/// assert_eq!(Resource::<Blob>::try_from(any)?.rep(), 7);
/// # Ok::<(), wasm_run_api::Error>(())
/// ```
pub struct Resource<R: 'static> {
    any: ResourceAny,
    _type: PhantomData<fn() -> R>,
}

impl<R: 'static> Resource<R> {
    /// An owned handle with representation `rep`, to give to a component
    /// (as `own<R>`, or lent as `borrow<R>`).
    pub fn new_own(rep: u32) -> Self {
        Resource {
            any: ResourceAny::host(&HostResourceType::of::<R>(), rep),
            _type: PhantomData,
        }
    }
    /// A borrowed handle with representation `rep`, to lend to a component
    /// as `borrow<R>`.
    pub fn new_borrow(rep: u32) -> Self {
        Resource {
            any: ResourceAny::new(Kind::Host(HostResourceType::of::<R>()), rep, false),
            _type: PhantomData,
        }
    }
    /// The representation: the number the host gave.
    pub fn rep(&self) -> u32 {
        self.any.rep
    }
    /// Whether the host owns it (else it is lent for a call).
    pub fn owned(&self) -> bool {
        self.any.own
    }
}

impl<R: 'static> std::fmt::Debug for Resource<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("type", &std::any::type_name::<R>())
            .field("rep", &self.any.rep)
            .field("own", &self.any.own)
            .finish()
    }
}

impl<R: 'static> From<Resource<R>> for ResourceAny {
    fn from(r: Resource<R>) -> Self {
        r.any
    }
}

impl<R: 'static> TryFrom<ResourceAny> for Resource<R> {
    type Error = Error;
    /// # Errors
    ///
    /// [`Error::Type`] if `any` is not of the host type `R` stands for.
    fn try_from(any: ResourceAny) -> Result<Self> {
        if any.host_type() != Some(&HostResourceType::of::<R>()) {
            let of = match (any.host_type(), any.ty()) {
                (Some(h), _) => h.name(),
                (_, Some(t)) => t.name().unwrap_or("a component's type"),
                _ => "a component's type",
            };
            return Err(Error::Type(format!(
                "a resource of {of} is not a resource of the host type {}",
                std::any::type_name::<R>()
            )));
        }
        Ok(Resource {
            any,
            _type: PhantomData,
        })
    }
}

/// Whose type a resource has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A type a component instance defines.
    Guest { ty: ResourceType, instance: u64 },
    /// A type the host defines.
    Host(HostResourceType),
    /// A type a component defines, on wasmtime's own component model (its
    /// handle).
    #[cfg(feature = "native")]
    Native {
        /// wasmtime's handle.
        any: wasmtime::component::ResourceAny,
        /// The type as the function that gave it names it.
        ty: ResourceType,
        /// The store it lives in.
        store: wasm_run_api::StoreId,
    },
}

/// A host's reference to a resource: an owned handle (`own<R>`) it
/// received or made, or one lent to it (`borrow<R>`) for the duration of a
/// host call. For a type a component defines, dropping an owned one runs
/// the component's destructor
/// ([`Instance::drop_resource`](crate::Instance::drop_resource)); for a
/// type the host defines, the representation is the host's own number
/// ([`ResourceAny::host`], [`ResourceAny::rep`]).
///
/// An owned one is used up when it is passed to a component as `own<R>`
/// or dropped: its clones share that, and using any of them again is an
/// [`Error::Type`] (so the host cannot hand one resource out twice).
#[derive(Debug, Clone)]
pub struct ResourceAny {
    pub(crate) kind: Kind,
    pub(crate) rep: u32,
    pub(crate) own: bool,
    /// Set when an owned one was moved into a guest or dropped.
    pub(crate) moved: Arc<std::sync::atomic::AtomicBool>,
}

/// Equal when they are the same resource (type, representation and
/// ownership), moved or not.
impl PartialEq for ResourceAny {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.rep == other.rep && self.own == other.own
    }
}
impl Eq for ResourceAny {}

impl ResourceAny {
    /// A resource of `kind`.
    pub(crate) fn new(kind: Kind, rep: u32, own: bool) -> Self {
        ResourceAny {
            kind,
            rep,
            own,
            moved: Default::default(),
        }
    }

    /// An owned resource of the host type `ty` with representation `rep`
    /// (e.g. an index into the host's own table), to give to a component.
    pub fn host(ty: &HostResourceType, rep: u32) -> Self {
        ResourceAny::new(Kind::Host(ty.clone()), rep, true)
    }

    /// Uses up an owned resource (moved into a guest, or dropped).
    ///
    /// # Errors
    ///
    /// [`Error::Type`] if it (or a clone) was used up already.
    pub(crate) fn take(&self) -> Result<()> {
        if self.own && self.moved.swap(true, Ordering::AcqRel) {
            return Err(Error::Type(
                "this owned resource was moved into a component or dropped already".into(),
            ));
        }
        Ok(())
    }

    /// Whether an owned resource was moved into a component or dropped (a
    /// borrowed one: `false`).
    pub fn is_moved(&self) -> bool {
        self.own && self.moved.load(Ordering::Acquire)
    }
    /// The component-defined type, for a resource a component defines.
    pub fn ty(&self) -> Option<&ResourceType> {
        match &self.kind {
            Kind::Guest { ty, .. } => Some(ty),
            #[cfg(feature = "native")]
            Kind::Native { ty, .. } => Some(ty),
            _ => None,
        }
    }
    /// The host type, for a resource the host defines.
    pub fn host_type(&self) -> Option<&HostResourceType> {
        match &self.kind {
            Kind::Host(t) => Some(t),
            _ => None,
        }
    }
    /// The representation: for a host type, the number the host gave.
    pub fn rep(&self) -> u32 {
        self.rep
    }
    /// Whether the host owns it (else it is lent for a call).
    pub fn owned(&self) -> bool {
        self.own
    }
    /// The instance that defines its type (guest types only).
    pub(crate) fn instance(&self) -> Option<u64> {
        match &self.kind {
            Kind::Guest { instance, .. } => Some(*instance),
            _ => None,
        }
    }
}

/// A resource type at run time (resource types are generative: each
/// instance that defines one makes a new one), compact enough for a handle
/// table: the defining instance and its static type id, or a host type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RtKey {
    owner: u64,
    id: u32,
}

/// Host types' keys have this bit set in `owner` (instance numbers never
/// reach it).
const HOST_KEY: u64 = 1 << 63;

impl Kind {
    /// The defining component's type, for a guest type.
    pub(crate) fn ty(&self) -> Option<&ResourceType> {
        match self {
            Kind::Guest { ty, .. } => Some(ty),
            _ => None,
        }
    }

    /// The run-time identity of the type.
    pub(crate) fn key(&self) -> RtKey {
        match self {
            Kind::Guest { ty, instance } => RtKey {
                owner: *instance,
                id: ty.id,
            },
            Kind::Host(h) => RtKey {
                owner: HOST_KEY | h.id,
                id: 0,
            },
            // In no handle table of the portable path.
            #[cfg(feature = "native")]
            Kind::Native { .. } => RtKey {
                owner: HOST_KEY,
                id: u32::MAX,
            },
        }
    }
}

/// An entry of a handle table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handle {
    pub ty: RtKey,
    pub rep: u32,
    pub own: bool,
    /// Borrows of this (owned) handle lent out by calls in progress.
    pub lends: u32,
}

/// A component instance's handles (index 0 is never used, as the spec
/// says).
#[derive(Debug, Default)]
pub(crate) struct Table {
    slots: Vec<Option<Handle>>,
    free: Vec<u32>,
}

fn invalid(what: String) -> Error {
    trap(TrapCode::InvalidHandle, what)
}

impl Table {
    pub(crate) fn add(&mut self, h: Handle) -> Result<u32> {
        if self.slots.is_empty() {
            self.slots.push(None);
        }
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(h);
            return Ok(i);
        }
        let i = u32::try_from(self.slots.len())
            .ok()
            .filter(|i| *i < 1 << 28)
            .ok_or_else(|| Error::ResourceLimit("too many resource handles".into()))?;
        self.slots.push(Some(h));
        Ok(i)
    }

    pub(crate) fn get(&self, i: u32, ty: RtKey) -> Result<Handle> {
        match self.slots.get(i as usize).copied().flatten() {
            Some(h) if h.ty == ty => Ok(h),
            Some(_) => Err(invalid(format!("handle {i} is of another resource type"))),
            None => Err(invalid(format!(
                "handle {i} is not in the instance's table"
            ))),
        }
    }

    /// Removes a borrow handle still at `i`; whether there was one.
    pub(crate) fn remove_borrow(&mut self, i: u32) -> bool {
        match self.slots.get(i as usize).copied().flatten() {
            Some(h) if !h.own => {
                self.slots[i as usize] = None;
                self.free.push(i);
                true
            }
            _ => false,
        }
    }

    /// Lends handle `i` for a call (a borrow lifted from it): an owned
    /// handle cannot be removed until [`Table::unlend`].
    pub(crate) fn lend(&mut self, i: u32, ty: RtKey) -> Result<Handle> {
        let h = self.get(i, ty)?;
        if h.own
            && let Some(Some(slot)) = self.slots.get_mut(i as usize)
        {
            slot.lends += 1;
        }
        Ok(h)
    }

    /// Ends a lend of handle `i` (if it is still there).
    pub(crate) fn unlend(&mut self, i: u32) {
        if let Some(Some(slot)) = self.slots.get_mut(i as usize) {
            slot.lends = slot.lends.saturating_sub(1);
        }
    }

    pub(crate) fn remove(&mut self, i: u32, ty: RtKey) -> Result<Handle> {
        let h = self.get(i, ty)?;
        if h.lends > 0 {
            return Err(invalid(format!(
                "cannot remove owned resource while borrowed (handle {i})"
            )));
        }
        self.slots[i as usize] = None;
        self.free.push(i);
        Ok(h)
    }
}

/// Who implements a resource type an instance sees.
pub(crate) enum Owner<E: Engine> {
    /// The instance itself, with its destructor.
    Defined(Option<Func<E>>),
    /// Another component instance (its state; the instance tree keeps it
    /// alive).
    Guest(Weak<Resources<E>>),
    /// The host.
    Host,
}

impl<E: Engine> Clone for Owner<E> {
    fn clone(&self) -> Self {
        match self {
            Owner::Defined(d) => Owner::Defined(*d),
            Owner::Guest(w) => Owner::Guest(w.clone()),
            Owner::Host => Owner::Host,
        }
    }
}

/// A resource type as one instance sees it: its run-time identity and who
/// implements it.
pub(crate) struct TypeEntry<E: Engine> {
    pub kind: Kind,
    pub owner: Owner<E>,
}

impl<E: Engine> Clone for TypeEntry<E> {
    fn clone(&self) -> Self {
        TypeEntry {
            kind: self.kind.clone(),
            owner: self.owner.clone(),
        }
    }
}

/// The resource state of one component instance.
pub(crate) struct Resources<E: Engine> {
    /// Distinguishes instances (resource types are generative).
    pub instance: u64,
    table: Mutex<Table>,
    /// The resource types the instance sees, by their static id in its
    /// component: those it defines, imports from the host, or gets from
    /// another instance.
    types: Mutex<foldhash::HashMap<u32, TypeEntry<E>>>,
    /// Whether the instance is on the stack (being instantiated, or running
    /// one of its lifted functions): the component model's reentrance rule
    /// forbids entering it again until it returns.
    entered: std::sync::atomic::AtomicBool,
}

/// The instance entered (see [`Resources::enter`]) until dropped.
pub(crate) struct Entered<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<E: Engine> Resources<E> {
    pub(crate) fn new() -> Arc<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Resources {
            instance: NEXT.fetch_add(1, Ordering::Relaxed),
            table: Mutex::new(Table::default()),
            types: Mutex::new(foldhash::HashMap::default()),
            entered: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Enters the instance: a trap
    /// ([`TrapCode::CannotEnterComponent`]) if it is on the stack already
    /// (a component calling its own export, or a host function called by
    /// it calling back into it).
    pub(crate) fn enter(&self) -> Result<Entered<'_>> {
        if self.entered.swap(true, Ordering::Acquire) {
            return Err(trap(
                TrapCode::CannotEnterComponent,
                "cannot enter component instance: it is running (the component model forbids reentrance)",
            ));
        }
        Ok(Entered(&self.entered))
    }

    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        lock(&self.table)
    }

    /// Records that the instance defines `ty`, with destructor `dtor`.
    pub(crate) fn define(&self, ty: &ResourceType, dtor: Option<Func<E>>) {
        lock(&self.types).insert(
            ty.id,
            TypeEntry {
                kind: Kind::Guest {
                    ty: ty.clone(),
                    instance: self.instance,
                },
                owner: Owner::Defined(dtor),
            },
        );
    }

    /// Records that the instance's resource type `ty` is the host's `host`.
    pub(crate) fn import(&self, ty: u32, host: HostResourceType) {
        lock(&self.types).insert(
            ty,
            TypeEntry {
                kind: Kind::Host(host),
                owner: Owner::Host,
            },
        );
    }

    /// Records that the instance's resource type `ty` is `entry` (a type
    /// another instance gave it).
    pub(crate) fn import_entry(&self, ty: u32, entry: TypeEntry<E>) {
        let mut types = lock(&self.types);
        // Its own type under another index (an export or alias of it) is
        // still the one it defines.
        let entry = match &entry.kind {
            Kind::Guest { ty: def, instance } if *instance == self.instance => {
                types.get(&def.id).cloned().unwrap_or(entry)
            }
            _ => entry,
        };
        types.insert(ty, entry);
    }

    /// The host types the instance imports, by its type ids.
    pub(crate) fn host_imports(&self) -> Vec<(u32, HostResourceType)> {
        lock(&self.types)
            .iter()
            .filter_map(|(id, e)| match (&e.kind, &e.owner) {
                (Kind::Host(h), Owner::Host) => Some((*id, h.clone())),
                _ => None,
            })
            .collect()
    }

    /// The instance's resource type `ty`.
    pub(crate) fn entry(&self, ty: u32) -> Result<TypeEntry<E>> {
        lock(&self.types)
            .get(&ty)
            .cloned()
            .ok_or_else(|| Error::engine(format!("resource type {ty} is unknown to the instance")))
    }

    /// The instance's type `ty` as another instance that gets it sees it.
    pub(crate) fn export_entry(self: &Arc<Self>, ty: u32) -> Result<TypeEntry<E>> {
        let mut entry = self.entry(ty)?;
        if let Owner::Defined(_) = entry.owner {
            entry.owner = Owner::Guest(Arc::downgrade(self));
        }
        Ok(entry)
    }

    /// The destructor of a type this instance defines (`Ok(None)`: defined
    /// without one); an error for a type it does not define.
    pub(crate) fn dtor(&self, ty: u32) -> Result<Option<Func<E>>> {
        match self.entry(ty)?.owner {
            Owner::Defined(dtor) => Ok(dtor),
            _ => Err(Error::Type(format!(
                "resource type {ty} is not defined by this instance"
            ))),
        }
    }
}
