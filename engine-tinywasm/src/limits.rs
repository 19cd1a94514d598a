//! A store's limits: the fixed ones of the engine's config (`Limits`), then
//! the user's policy (`Store::set_limiter`).
//!
//! tinywasm has no limiter of its own. Memories are asked from the memory
//! factory (their initial size) and from `LinearMemory::grow_to` (every
//! growth, from wasm or from the host); tables and the counts of instances,
//! memories and tables are asked by the store before it calls tinywasm.
//! tinywasm grows tables in wasm (`table.grow`) without asking anyone: there
//! only its own cap of 10 million elements applies (the default
//! `Limits::max_table_elements`), which is why fixed limits other than the
//! default (or none) are refused when the engine is made; the fixed ones
//! are still applied here, so that the default table cap holds for the
//! tables the host makes.
//!
//! A refusal cannot carry a value through tinywasm (a failed `grow_to` is
//! `Trap::OutOfMemory`, which `memory.grow` turns into -1), so it is noted
//! here and the store turns it into the operation's error afterwards.

use wasm_run_api::backend::{HostLimiter, Verdict};
use wasm_run_api::{Error, Limits, ResourceLimiter};

/// The limits of one store.
pub(crate) struct StoreLimits {
    fixed: Limits,
    host: HostLimiter,
    /// A policy is set: calls are run in slices, so that a failure it
    /// reports stops the call soon.
    has_policy: bool,
    /// A growth was refused since the last [`StoreLimits::refusal`].
    refused: bool,
    instances: usize,
    memories: usize,
    tables: usize,
}

impl StoreLimits {
    pub(crate) fn new(fixed: Limits) -> Self {
        StoreLimits {
            fixed,
            host: HostLimiter::default(),
            has_policy: false,
            refused: false,
            instances: 0,
            memories: 0,
            tables: 0,
        }
    }

    /// Replaces the user's policy.
    pub(crate) fn set_policy(&mut self, policy: Box<dyn ResourceLimiter>) {
        self.host.set(policy);
        self.has_policy = true;
    }

    /// Whether a policy is set.
    pub(crate) fn has_policy(&self) -> bool {
        self.has_policy
    }

    fn allowed(
        &mut self,
        within_fixed: bool,
        ask: impl FnOnce(&mut HostLimiter) -> Verdict,
    ) -> bool {
        let ok = within_fixed && ask(&mut self.host) == Verdict::Allow;
        self.refused |= !ok;
        ok
    }

    /// May a memory grow from `current` to `desired` bytes?
    pub(crate) fn memory(&mut self, current: usize, desired: usize, max: Option<usize>) -> bool {
        let within = self.fixed.max_memory_bytes.is_none_or(|m| desired <= m);
        self.allowed(within, |h| h.memory_growing(current, desired, max))
    }

    /// May a table grow from `current` to `desired` elements?
    pub(crate) fn table(&mut self, current: usize, desired: usize, max: Option<usize>) -> bool {
        let within = self.fixed.max_table_elements.is_none_or(|m| desired <= m);
        self.allowed(within, |h| h.table_growing(current, desired, max))
    }

    /// Forgets an earlier refusal, before an operation whose own refusals
    /// matter.
    pub(crate) fn begin(&mut self) {
        self.refused = false;
        drop(self.host.take_failure());
    }

    /// The policy's failure since [`StoreLimits::begin`], if any.
    pub(crate) fn failure(&mut self) -> Option<Error> {
        self.host.take_failure()
    }

    /// The error of an operation a limit refused since
    /// [`StoreLimits::begin`]: the policy's failure, else
    /// `ResourceLimit(what)`; `None` when nothing was refused.
    pub(crate) fn refusal(&mut self, what: impl FnOnce() -> String) -> Option<Error> {
        let refused = std::mem::take(&mut self.refused);
        self.host
            .take_failure()
            .or_else(|| refused.then(|| Error::ResourceLimit(what())))
    }

    /// Refuses `instances`, `memories` and `tables` more in the store when
    /// that would pass a fixed limit.
    pub(crate) fn fits(
        &self,
        instances: usize,
        memories: usize,
        tables: usize,
    ) -> Result<(), Error> {
        for (what, have, more, max) in [
            (
                "instances",
                self.instances,
                instances,
                self.fixed.max_instances,
            ),
            ("memories", self.memories, memories, self.fixed.max_memories),
            ("tables", self.tables, tables, self.fixed.max_tables),
        ] {
            if let Some(max) = max
                && more > 0
                && have.saturating_add(more) > max
            {
                return Err(Error::ResourceLimit(format!(
                    "the store would hold more than {max} {what}"
                )));
            }
        }
        Ok(())
    }

    /// Counts `instances`, `memories` and `tables` more in the store.
    pub(crate) fn add(&mut self, instances: usize, memories: usize, tables: usize) {
        self.instances += instances;
        self.memories += memories;
        self.tables += tables;
    }
}
