//! Host policy for resource growth: a [`ResourceLimiter`] the user
//! implements, asked before every memory and table growth of a store.

use crate::error::{Error, Result};

/// Decides whether a store's memories and tables may grow, beyond the fixed
/// limits of [`Config`](crate::Config) (which are checked first). Set with
/// [`Store::set_limiter`](crate::Store::set_limiter).
///
/// Each method is asked before the engine allocates, for growth from wasm
/// (`memory.grow`, `table.grow`), from the host ([`Memory::grow`](crate::Memory::grow),
/// [`Table::grow`](crate::Table::grow)) and for the initial size of memories
/// and tables an instantiation creates (from `current` 0). It answers:
///
/// - `Ok(true)`: allow;
/// - `Ok(false)`: deny; the growth fails as the spec says (`memory.grow`
///   returns -1, a host `grow` is [`Error::Access`], an instantiation is
///   [`Error::ResourceLimit`]);
/// - `Err(e)`: fail the running operation with `e` (a call into wasm returns
///   `e` itself, whatever the backend).
///
/// Sizes are in bytes for memories and in elements for tables; `maximum` is
/// the declared maximum, if any. Counts of instances, memories and tables per
/// store are limited by [`Config`](crate::Config) (`Limits`).
pub trait ResourceLimiter: Send + 'static {
    /// A memory grows from `current` to `desired` bytes.
    ///
    /// # Errors
    ///
    /// Whatever the policy wants the operation to fail with.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// A table grows from `current` to `desired` elements.
    ///
    /// # Errors
    ///
    /// Whatever the policy wants the operation to fail with.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;
}

/// The simplest policy: every memory up to the given number of bytes, tables unbounded
/// (beyond the engine's fixed limits). What a store gets in place of
/// `Config::max_memory_bytes` on a backend without fixed limits.
///
/// ```
/// use wasm_run_api::{MaxMemoryBytes, ResourceLimiter};
/// let mut policy = MaxMemoryBytes(2 * 65536);
/// assert!(policy.memory_growing(65536, 2 * 65536, None).unwrap());
/// assert!(!policy.memory_growing(65536, 3 * 65536, None).unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxMemoryBytes(pub usize);

impl ResourceLimiter for MaxMemoryBytes {
    fn memory_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        Ok(desired <= self.0)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

/// A backend's hold on the user's [`ResourceLimiter`]: asks it and keeps the
/// error it failed with until the backend hands it to the caller (engines
/// whose limiter errors cannot carry a value use this).
#[derive(Default)]
pub struct HostLimiter {
    policy: Option<Box<dyn ResourceLimiter>>,
    failure: Option<Error>,
}

impl std::fmt::Debug for HostLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostLimiter")
            .field("policy", &self.policy.is_some())
            .field("failure", &self.failure)
            .finish()
    }
}

/// What the policy said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Grow.
    Allow,
    /// Do not grow (the spec's failure).
    Deny,
    /// Fail the operation; the error is kept ([`HostLimiter::take_failure`]).
    Fail,
}

impl HostLimiter {
    /// Replaces the policy.
    pub fn set(&mut self, policy: Box<dyn ResourceLimiter>) {
        self.policy = Some(policy);
    }

    fn ask(&mut self, answer: impl FnOnce(&mut dyn ResourceLimiter) -> Result<bool>) -> Verdict {
        let Some(policy) = self.policy.as_deref_mut() else {
            return Verdict::Allow;
        };
        // A panicking policy fails the operation rather than unwinding
        // through the engine.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(policy)))
            .unwrap_or_else(|p| Err(Error::HostPanic(crate::host::panic_message(p))));
        match answer {
            Ok(true) => Verdict::Allow,
            Ok(false) => Verdict::Deny,
            Err(e) => {
                self.failure = Some(e);
                Verdict::Fail
            }
        }
    }

    /// Asks the policy about a memory growth.
    pub fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Verdict {
        self.ask(|p| p.memory_growing(current, desired, max))
    }

    /// Asks the policy about a table growth.
    pub fn table_growing(&mut self, current: usize, desired: usize, max: Option<usize>) -> Verdict {
        self.ask(|p| p.table_growing(current, desired, max))
    }

    /// The error the policy failed an operation with, if any (taken).
    pub fn take_failure(&mut self) -> Option<Error> {
        self.failure.take()
    }
}
