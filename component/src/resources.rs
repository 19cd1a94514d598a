//! Resources: each component instance's handle table, the resource types
//! it defines (with their destructors), and the `resource.new/rep/drop`
//! built-ins.

use crate::abi::trap;
use crate::types::ResourceType;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
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
}

/// Whose type a resource has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A type a component instance defines.
    Guest { ty: ResourceType, instance: u64 },
    /// A type the host defines.
    Host(HostResourceType),
}

/// A host's reference to a resource: an owned handle (`own<R>`) it
/// received or made, or one lent to it (`borrow<R>`) for the duration of a
/// host call. For a type a component defines, dropping an owned one runs
/// the component's destructor
/// ([`Instance::drop_resource`](crate::Instance::drop_resource)); for a
/// type the host defines, the representation is the host's own number
/// ([`ResourceAny::host`], [`ResourceAny::rep`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceAny {
    pub(crate) kind: Kind,
    pub(crate) rep: u32,
    pub(crate) own: bool,
}

impl ResourceAny {
    /// An owned resource of the host type `ty` with representation `rep`
    /// (e.g. an index into the host's own table), to give to a component.
    pub fn host(ty: &HostResourceType, rep: u32) -> Self {
        ResourceAny {
            kind: Kind::Host(ty.clone()),
            rep,
            own: true,
        }
    }
    /// The component-defined type, for a resource a component defines.
    pub fn ty(&self) -> Option<&ResourceType> {
        match &self.kind {
            Kind::Guest { ty, .. } => Some(ty),
            Kind::Host(_) => None,
        }
    }
    /// The host type, for a resource the host defines.
    pub fn host_type(&self) -> Option<&HostResourceType> {
        match &self.kind {
            Kind::Host(t) => Some(t),
            Kind::Guest { .. } => None,
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
            Kind::Host(_) => None,
        }
    }
}

/// An entry of a handle table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handle {
    pub ty: u32,
    pub rep: u32,
    pub own: bool,
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

    pub(crate) fn get(&self, i: u32, ty: u32) -> Result<Handle> {
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

    pub(crate) fn remove(&mut self, i: u32, ty: u32) -> Result<Handle> {
        let h = self.get(i, ty)?;
        self.slots[i as usize] = None;
        self.free.push(i);
        Ok(h)
    }
}

/// The resource state of one component instance.
pub(crate) struct Resources<E: Engine> {
    /// Distinguishes instances (resource types are generative).
    pub instance: u64,
    table: Mutex<Table>,
    /// The resource types this instance defines, with their destructors.
    defined: Mutex<HashMap<u32, Option<Func<E>>>>,
    /// The resource types it imports from the host.
    imported: Mutex<HashMap<u32, HostResourceType>>,
}

/// What a resource type of an instance is.
pub(crate) enum Origin {
    Defined,
    Host(HostResourceType),
}

impl<E: Engine> Resources<E> {
    pub(crate) fn new() -> Arc<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Resources {
            instance: NEXT.fetch_add(1, Ordering::Relaxed),
            table: Mutex::new(Table::default()),
            defined: Mutex::new(HashMap::new()),
            imported: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn define(&self, ty: u32, dtor: Option<Func<E>>) {
        self.defined
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ty, dtor);
    }

    /// Records that the instance's resource type `ty` is the host's `host`.
    pub(crate) fn import(&self, ty: u32, host: HostResourceType) {
        self.imported
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ty, host);
    }

    /// Whether the instance defines `ty` or imports it from the host.
    pub(crate) fn origin(&self, ty: u32) -> Result<Origin> {
        if self
            .defined
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&ty)
        {
            return Ok(Origin::Defined);
        }
        self.imported
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ty)
            .cloned()
            .map(Origin::Host)
            .ok_or_else(|| crate::plan::not_yet("resources of another component"))
    }

    /// The destructor of a type this instance defines (`Ok(None)`: defined
    /// without one); an error for a type it does not define (an imported
    /// resource, not supported yet).
    pub(crate) fn dtor(&self, ty: u32) -> Result<Option<Func<E>>> {
        self.defined
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ty)
            .copied()
            .ok_or_else(|| crate::plan::not_yet("resources the host defines"))
    }
}
