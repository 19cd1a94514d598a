//! The store's resource limiter, keeping its own account so that a refusal
//! is reported as `Error::ResourceLimit` from what it knows, not from the
//! wording of wasmtime's error.
//!
//! wasmtime counts instances, memories and tables per store when a module is
//! instantiated (defined items only) and refuses past the configured limits;
//! sizes go through the limiter's `memory_growing` / `table_growing`. This
//! limiter delegates every decision to wasmtime's own `StoreLimits` and
//! records two facts: the counts (checked before an instantiation with the
//! same arithmetic wasmtime uses, so an over-limit module is refused here
//! first) and whether it refused a growth during the last operation.

use wasm_run_api::backend::{HostLimiter, Verdict};
use wasm_run_api::{Error, Limits, Result};
use wasmtime as wt;

/// wasmtime's `StoreLimits` plus wasm-run's account of what it decided.
pub struct Limiter {
    inner: wt::StoreLimits,
    limits: Limits,
    instances: usize,
    memories: usize,
    tables: usize,
    refused: bool,
    /// The user's policy, asked after the fixed limits.
    pub(crate) host: HostLimiter,
}

impl Limiter {
    /// A limiter enforcing `limits`.
    pub(crate) fn new(limits: &Limits) -> Self {
        Limiter {
            inner: wasm_run_api::backend::build_store_limits!(limits, wt::StoreLimitsBuilder),
            limits: *limits,
            instances: 0,
            memories: 0,
            tables: 0,
            refused: false,
            host: HostLimiter::default(),
        }
    }

    /// Before instantiating `module`: refuses when the store's counts would
    /// pass a limit, and starts watching for refused growths.
    pub(crate) fn admit(&mut self, module: &wt::Module) -> Result<()> {
        let need = module.resources_required();
        let over = |have: usize, more: usize, max: Option<usize>, what: &str| {
            let new = have.saturating_add(more);
            match max {
                Some(max) if new > max => Err(Error::ResourceLimit(format!(
                    "{what} count would be {new}, above the limit of {max} per store"
                ))),
                _ => Ok(()),
            }
        };
        over(self.instances, 1, self.limits.max_instances, "instance")?;
        over(
            self.memories,
            need.num_memories as usize,
            self.limits.max_memories,
            "memory",
        )?;
        over(
            self.tables,
            need.num_tables as usize,
            self.limits.max_tables,
            "table",
        )?;
        self.refused = false;
        Ok(())
    }

    /// After instantiating `module` past [`Limiter::admit`]: counts what
    /// wasmtime counted (it counts before allocating, so also when a growth
    /// was refused or the start function trapped) and types the error.
    pub(crate) fn admitted<R>(&mut self, module: &wt::Module, result: Result<R>) -> Result<R> {
        let counted = match &result {
            Ok(_) => true,
            Err(Error::Trap { .. }) => true,
            Err(_) => self.refused,
        };
        if counted {
            let need = module.resources_required();
            self.instances += 1;
            self.memories += need.num_memories as usize;
            self.tables += need.num_tables as usize;
        }
        self.typed(result)
    }

    /// Starts watching for refused growths (before creating a memory or a
    /// table from the host).
    pub(crate) fn watch(&mut self) {
        self.refused = false;
    }

    /// `result` with an error turned into `Error::ResourceLimit` when the
    /// limiter refused a growth since the watch began.
    pub(crate) fn typed<R>(&mut self, result: Result<R>) -> Result<R> {
        let refused = std::mem::take(&mut self.refused);
        match result {
            Err(Error::Engine(text)) if refused => Err(Error::ResourceLimit(text.into())),
            Err(Error::Link(link)) if refused => Err(Error::ResourceLimit(link.to_string())),
            other => other,
        }
    }
}

impl Limiter {
    /// The user's verdict; a failure becomes wasmtime's error carrying ours,
    /// so the operation returns exactly it.
    fn ask(&mut self, verdict: impl FnOnce(&mut HostLimiter) -> Verdict) -> wt::Result<bool> {
        match verdict(&mut self.host) {
            Verdict::Allow => Ok(true),
            Verdict::Deny => Ok(false),
            Verdict::Fail => Err(wt::Error::new(self.host.take_failure().unwrap_or_else(
                || Error::ResourceLimit("the store's limiter failed the growth".into()),
            ))),
        }
    }
}

impl wt::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wt::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?
            && self.ask(|h| h.memory_growing(current, desired, maximum))?;
        self.refused |= !allowed;
        Ok(allowed)
    }
    fn memory_grow_failed(&mut self, error: wt::Error) -> wt::Result<()> {
        self.inner.memory_grow_failed(error)
    }
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wt::Result<bool> {
        let allowed = self.inner.table_growing(current, desired, maximum)?
            && self.ask(|h| h.table_growing(current, desired, maximum))?;
        self.refused |= !allowed;
        Ok(allowed)
    }
    fn table_grow_failed(&mut self, error: wt::Error) -> wt::Result<()> {
        self.inner.table_grow_failed(error)
    }
    fn instances(&self) -> usize {
        self.inner.instances()
    }
    fn tables(&self) -> usize {
        self.inner.tables()
    }
    fn memories(&self) -> usize {
        self.inner.memories()
    }
}
