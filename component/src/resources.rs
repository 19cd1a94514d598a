//! Resources: each component instance's handle table, the resource types
//! it defines (with their destructors), and the `resource.new/rep/drop`
//! built-ins.

use crate::abi::trap;
use crate::types::ResourceType;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use wasm_run_api::{Engine, Error, Func, Result, TrapCode};

/// A host's reference to a resource of a component instance: an owned
/// handle (`own<R>`) it received, or one lent to it (`borrow<R>`) for the
/// duration of a host call. Dropping an owned one runs the resource's
/// destructor: [`Instance::drop_resource`](crate::Instance::drop_resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceAny {
    pub(crate) ty: ResourceType,
    pub(crate) rep: u32,
    pub(crate) own: bool,
    pub(crate) instance: u64,
}

impl ResourceAny {
    /// The resource's type.
    pub fn ty(&self) -> &ResourceType {
        &self.ty
    }
    /// Whether the host owns it (else it is lent for a call).
    pub fn owned(&self) -> bool {
        self.own
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
}

impl<E: Engine> Resources<E> {
    pub(crate) fn new() -> Arc<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Resources {
            instance: NEXT.fetch_add(1, Ordering::Relaxed),
            table: Mutex::new(Table::default()),
            defined: Mutex::new(HashMap::new()),
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
