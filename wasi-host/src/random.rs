//! Randomness for `random_get`.
//!
//! `random_get` is implemented once, here and in [`crate::add_to_linker`], on
//! top of a [`RandomSource`], and replaces the adapters' own implementation:
//! the backends' random number generators consume their input differently
//! (wasmtime-wasi draws one `u32` per byte), so only a shared implementation
//! gives the same bytes for the same seed on every backend.

/// A source of random bytes for the guest.
pub trait RandomSource: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<()>;
}

/// The operating system's cryptographically secure generator (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        getrandom::fill(buf).map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// A deterministic generator (SplitMix64): the same seed gives the same bytes
/// on every backend and platform. Not for secrets.
///
/// ```
/// use wasm_run_wasi::{RandomSource, SeededRandom};
/// let (mut a, mut b) = (SeededRandom::new(7), SeededRandom::new(7));
/// let (mut x, mut y) = ([0u8; 12], [0u8; 12]);
/// a.fill(&mut x)?;
/// b.fill(&mut y)?;
/// assert_eq!(x, y);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
    /// Bytes of the current word not handed out yet.
    pending: [u8; 8],
    used: usize,
}

impl SeededRandom {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom {
            state: seed,
            pending: [0; 8],
            used: 8,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        // A byte stream: how the guest splits its requests does not change
        // the bytes it gets.
        for b in buf {
            if self.used == 8 {
                self.pending = self.next_u64().to_le_bytes();
                self.used = 0;
            }
            *b = self.pending[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_a_stream() {
        let mut a = SeededRandom::new(1);
        let mut whole = [0u8; 20];
        a.fill(&mut whole).unwrap();
        let mut b = SeededRandom::new(1);
        let mut parts = [0u8; 20];
        let (x, y) = parts.split_at_mut(3);
        b.fill(x).unwrap();
        b.fill(y).unwrap();
        assert_eq!(whole, parts);
        assert_ne!(whole, [0u8; 20]);
    }

    #[test]
    fn os_random_fills() {
        let mut buf = [0u8; 32];
        OsRandom.fill(&mut buf).unwrap();
        assert_ne!(buf, [0u8; 32]);
    }
}
