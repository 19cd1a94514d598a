//! [`Extensions`]: values that libraries built on the API keep in a store,
//! one per type.

use std::any::{Any, TypeId};

/// Per-store values kept by libraries built on this API (a component
/// model, a WASI host, a language binding): at most one value per type,
/// reachable from the [`Store`](crate::Store) and from inside host
/// functions through the [`Caller`](crate::Caller), and dropped with the
/// store. It lets a library share one host function between many stores
/// and still find each store's own state when the function is called.
///
/// A library should keep its values under a private type, so that no other
/// library can reach or replace them.
///
/// ```
/// use wasm_run_api::Extensions;
///
/// struct Counter(u32);
/// let mut ext = Extensions::new();
/// assert!(ext.get::<Counter>().is_none());
/// ext.get_or_insert_with(|| Counter(0)).0 += 1;
/// ext.get_or_insert_with(|| Counter(0)).0 += 1;
/// assert_eq!(ext.get::<Counter>().map(|c| c.0), Some(2));
/// assert_eq!(ext.remove::<Counter>().map(|c| c.0), Some(2));
/// assert!(ext.is_empty());
/// ```
#[derive(Default)]
pub struct Extensions {
    // A few entries at most: a vector searched by type beats a hash map.
    items: Vec<(TypeId, Box<dyn Any + Send>)>,
}

impl Extensions {
    /// No values.
    pub fn new() -> Self {
        Extensions::default()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn position<X: Any>(&self) -> Option<usize> {
        let id = TypeId::of::<X>();
        self.items.iter().position(|(t, _)| *t == id)
    }

    /// The value of type `X`, if one was inserted.
    pub fn get<X: Any + Send>(&self) -> Option<&X> {
        let at = self.position::<X>()?;
        self.items[at].1.downcast_ref()
    }

    /// The value of type `X`, mutably, if one was inserted.
    pub fn get_mut<X: Any + Send>(&mut self) -> Option<&mut X> {
        let at = self.position::<X>()?;
        self.items[at].1.downcast_mut()
    }

    /// Keeps `value`, answering the value of its type it replaces.
    pub fn insert<X: Any + Send>(&mut self, value: X) -> Option<X> {
        let old = self.remove::<X>();
        self.items.push((TypeId::of::<X>(), Box::new(value)));
        old
    }

    /// The value of type `X`, made by `make` if there was none.
    pub fn get_or_insert_with<X: Any + Send>(&mut self, make: impl FnOnce() -> X) -> &mut X {
        let at = match self.position::<X>() {
            Some(at) => at,
            None => {
                self.items.push((TypeId::of::<X>(), Box::new(make())));
                self.items.len() - 1
            }
        };
        match self.items[at].1.downcast_mut() {
            Some(x) => x,
            // Entries are keyed by the type of the value they box.
            None => unreachable!("an extension stored under another type's id"),
        }
    }

    /// Takes the value of type `X` out, if there was one.
    pub fn remove<X: Any + Send>(&mut self) -> Option<X> {
        let at = self.position::<X>()?;
        let (_, value) = self.items.swap_remove(at);
        value.downcast().ok().map(|b| *b)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("values", &self.items.len())
            .finish()
    }
}
