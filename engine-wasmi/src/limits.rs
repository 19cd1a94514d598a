//! The store's resource limiter: wasmi's `StoreLimits` for the fixed limits
//! of the config, then the user's policy (`Store::set_limiter`).
//!
//! wasmi's limiter errors cannot carry a value, so when the policy fails an
//! operation the error is kept in the [`HostLimiter`] and the context hands
//! it out in place of wasmi's `GrowthOperationLimited` trap.

use wasm_run_api::backend::{HostLimiter, Verdict};
use wasmi_core::LimiterError;

/// Fixed limits, then the user's policy.
pub struct Limiter {
    fixed: wasmi::StoreLimits,
    pub(crate) host: HostLimiter,
}

impl Limiter {
    pub(crate) fn new(fixed: wasmi::StoreLimits) -> Self {
        Limiter {
            fixed,
            host: HostLimiter::default(),
        }
    }
}

fn verdict(v: Verdict) -> Result<bool, LimiterError> {
    match v {
        Verdict::Allow => Ok(true),
        Verdict::Deny => Ok(false),
        Verdict::Fail => Err(LimiterError::ResourceLimiterDeniedAllocation),
    }
}

impl wasmi::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if !self.fixed.memory_growing(current, desired, maximum)? {
            return Ok(false);
        }
        verdict(self.host.memory_growing(current, desired, maximum))
    }
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if !self.fixed.table_growing(current, desired, maximum)? {
            return Ok(false);
        }
        verdict(self.host.table_growing(current, desired, maximum))
    }
    fn memory_grow_failed(
        &mut self,
        error: &wasmi::errors::MemoryError,
    ) -> Result<(), LimiterError> {
        self.fixed.memory_grow_failed(error)
    }
    fn table_grow_failed(&mut self, error: &wasmi::errors::TableError) -> Result<(), LimiterError> {
        self.fixed.table_grow_failed(error)
    }
    fn instances(&self) -> usize {
        self.fixed.instances()
    }
    fn tables(&self) -> usize {
        self.fixed.tables()
    }
    fn memories(&self) -> usize {
        self.fixed.memories()
    }
}
