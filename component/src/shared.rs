//! The core functions of a root component's `canon lower` and resource
//! built-in steps, made once per [`crate::InstancePre`] instead of once per
//! instance.
//!
//! Each such step gets one host function in a core linker the
//! pre-instantiation keeps; what differs between instances (the function
//! lowered, the canonical options with their memory, the resource tables)
//! is the instance's [`Slot`] for that step, kept in the store's
//! [`Extensions`](wasm_run_api::Extensions) and looked up by the function
//! at each call. Taking a function out of the linker into a store is much
//! cheaper than making one (on wasmtime, a reference count and a slot in
//! the store instead of a new host function with its type registered and
//! later unregistered).
//!
//! One instance of a pre-instantiation per store takes this route: a
//! second one in the same store, a store of another engine, a backend
//! without extensions and nested components make their functions per
//! instance, as before.

use crate::abi::Options;
use crate::builtins::{Target, builtin_type, call_builtin, call_lowered, lower, resource_builtin};
use crate::host::HostDtor;
use crate::plan::{ComponentPlan, ResourceOp, Shape, Step};
use crate::resources::Resources;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_run_api::{Caller, Engine, Error, Result, Store, Val as CoreVal};

/// What a shared function does for one instance.
pub(crate) enum Slot<E: Engine, T: 'static> {
    /// A `canon lower` of `target`.
    Lower {
        target: Target<E, T>,
        shape: Arc<Shape>,
        opts: Options<E>,
    },
    /// A `canon resource.new/rep/drop` of resource type `ty`.
    Builtin {
        op: ResourceOp,
        ty: u32,
        resources: Arc<Resources<E>>,
        host_dtor: Option<HostDtor<T>>,
    },
}

impl<E: Engine, T: 'static> Slot<E, T> {
    /// The slot of a lowering of `target` with `opts`.
    pub(crate) fn lower(target: Target<E, T>, shape: Arc<Shape>, opts: Options<E>) -> Self {
        Slot::Lower {
            target,
            shape,
            opts,
        }
    }
}

/// The core function doing what `slot` says: `shared`'s (claimed for
/// this instance), or one made in `store`.
pub(crate) fn core_func<E: Engine, T: 'static>(
    shared: Option<&mut Claimed<'_, E, T>>,
    store: &mut Store<E, T>,
    slot: Slot<E, T>,
) -> Result<wasm_run_api::Func<E>> {
    match (shared, slot) {
        (Some(shared), slot) => shared.take(store, slot),
        (
            None,
            Slot::Lower {
                target,
                shape,
                opts,
            },
        ) => lower(
            store,
            target,
            shape,
            Arc::new(std::sync::OnceLock::from(opts)),
        ),
        (
            None,
            Slot::Builtin {
                op,
                ty,
                resources,
                host_dtor,
            },
        ) => resource_builtin(store, op, ty, resources, host_dtor),
    }
}

/// A store's slots: for each pre-instantiation with an instance in the
/// store, that instance's slots by step ordinal (kept in the store's
/// extensions under this private type). Slots are only ever added: the
/// calls rely on a slot living as long as the store (see `call_slot`).
struct Slots<E: Engine, T: 'static> {
    by_pre: Vec<(u64, InstanceSlots<E, T>)>,
}

/// One instance's slots, by step ordinal: made with room for every slot
/// of its pre-instantiation and never grown past it, so that a slot never
/// moves (see `call_slot`).
type InstanceSlots<E, T> = Vec<Slot<E, T>>;

/// The shared functions of one pre-instantiation.
pub(crate) struct SharedFuncs<E: Engine, T: 'static> {
    /// Tells this pre-instantiation's slots apart in a store.
    id: u64,
    engine: E,
    linker: wasm_run_api::Linker<E, T>,
    /// How many functions `linker` has (named by step ordinal).
    count: usize,
}

/// The shared functions taken into a store for one instance, by step
/// ordinal (see [`SharedFuncs::claim`]).
pub(crate) struct Claimed<'s, E: Engine, T: 'static> {
    shared: &'s SharedFuncs<E, T>,
    /// The functions not taken by a step yet.
    funcs: std::vec::IntoIter<wasm_run_api::Func<E>>,
}

/// The (empty) core module name the shared functions are defined under.
const MODULE: &str = "";

impl<E: Engine, T: 'static> SharedFuncs<E, T> {
    /// The shared functions of `plan`'s lower and resource built-in steps
    /// (`None` when it has none, or the engine refuses one).
    pub(crate) fn new(engine: &E, plan: &ComponentPlan) -> Option<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut linker = wasm_run_api::Linker::new(engine);
        let mut count = 0;
        for step in &plan.steps {
            let ty = match step {
                Step::Lower { shape, .. } => shape.lowered_core_type(),
                Step::ResourceBuiltin { op, .. } => builtin_type(*op),
                _ => continue,
            };
            let at = count;
            linker
                .func_new(
                    MODULE,
                    &at.to_string(),
                    ty,
                    move |caller: Caller<'_, E, T>, args: &[CoreVal<E>], out: &mut [CoreVal<E>]| {
                        call_slot(caller, id, at, args, out)
                    },
                )
                .ok()?;
            count += 1;
        }
        if count == 0 {
            return None;
        }
        Some(SharedFuncs {
            id,
            engine: engine.clone(),
            linker,
            count,
        })
    }

    /// The shared functions for an instance about to be made in `store`,
    /// if it takes them (the first instance of this pre-instantiation in
    /// the store, of the same engine, on a backend with extensions); its
    /// (empty) slots are made in the store.
    pub(crate) fn claim(&self, store: &mut Store<E, T>) -> Option<Claimed<'_, E, T>> {
        if !store.engine().base().same(self.engine.base()) {
            return None;
        }
        let taken = store
            .extensions_mut()?
            .get::<Slots<E, T>>()
            .is_some_and(|s| s.by_pre.iter().any(|(id, _)| *id == self.id));
        if taken {
            return None;
        }
        let mut funcs: Vec<Option<wasm_run_api::Func<E>>> = (0..self.count).map(|_| None).collect();
        self.linker.get_each(store, |_, name, item| {
            if let (Ok(at), wasm_run_api::Extern::Func(f)) = (name.parse::<usize>(), item)
                && let Some(slot) = funcs.get_mut(at)
            {
                *slot = Some(f);
            }
        });
        // A backend whose linker cannot make a function in a store: the
        // instance makes its own.
        let funcs = funcs.into_iter().collect::<Option<Vec<_>>>()?.into_iter();
        store
            .extensions_mut()?
            .get_or_insert_with(|| Slots::<E, T> { by_pre: Vec::new() })
            .by_pre
            .push((self.id, Vec::with_capacity(self.count)));
        Some(Claimed {
            shared: self,
            funcs,
        })
    }
}

impl<E: Engine, T: 'static> Claimed<'_, E, T> {
    /// The shared function of the next step ordinal, doing what `slot`
    /// says in `store`.
    fn take(&mut self, store: &mut Store<E, T>, slot: Slot<E, T>) -> Result<wasm_run_api::Func<E>> {
        let lost = || Error::Engine("a component's shared functions lost their store state".into());
        let id = self.shared.id;
        let f = self.funcs.next().ok_or_else(lost)?;
        let slots = store
            .extensions_mut()
            .and_then(|x| x.get_mut::<Slots<E, T>>())
            .and_then(|s| s.by_pre.iter_mut().find(|(p, _)| *p == id))
            .ok_or_else(lost)?;
        // Never grown: a push into a full vector would move the slots
        // that calls point into.
        if slots.1.len() == slots.1.capacity() {
            return Err(lost());
        }
        slots.1.push(slot);
        Ok(f)
    }
}

/// A call of shared function `at` of pre-instantiation `id`.
fn call_slot<E: Engine, T: 'static>(
    mut caller: Caller<'_, E, T>,
    id: u64,
    at: usize,
    args: &[CoreVal<E>],
    out: &mut [CoreVal<E>],
) -> Result<()> {
    let slot = caller
        .extensions_mut()
        .and_then(|x| x.get::<Slots<E, T>>())
        .and_then(|s| s.by_pre.iter().find(|(p, _)| *p == id))
        .and_then(|(_, slots)| slots.get(at))
        .map(|slot| slot as *const Slot<E, T>)
        .ok_or_else(|| Error::Engine("a component function called outside its instance".into()))?;
    // A pointer, not a clone behind an `Arc`: an `Arc` clone's two atomic
    // operations were 8 % of a host call on wasmtime (bench `components`,
    // `host_call_x100`), and one `Arc` per slot cost an allocation and a
    // free per slot and instance.
    // SAFETY: the slot is an element of a vector of this store's `Slots`,
    // which lives until the store drops, and this call borrows the store.
    // `Slots` is of a private type that only this module reaches, and it
    // never removes or replaces it, a vector or a slot, and never pushes
    // into a full vector (`Claimed::take`), so the vector's buffer never
    // moves and the slot stays where it is for the whole call; no `&mut`
    // to a slot is ever made (they are written only by `push`, before any
    // call can reach them). The `&mut` borrows of the store's data made
    // below (the caller; another instantiation's `take`) reach the
    // vectors, whose buffers are behind their own pointers, not through
    // the slots.
    let slot = unsafe { &*slot };
    match slot {
        Slot::Lower {
            target,
            shape,
            opts,
        } => call_lowered(caller, target, shape, Some(opts), args, out),
        Slot::Builtin {
            op,
            ty,
            resources,
            host_dtor,
        } => call_builtin(caller, *op, *ty, resources, host_dtor.as_ref(), args, out),
    }
}
