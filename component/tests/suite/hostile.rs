//! Hostile components get typed errors, never a panic or a read outside
//! the guest: mangled component bytes, and guests that return forged
//! values (any pointer, length, discriminant, char, bool, flags bits,
//! encoding) — a seeded exploration run on the three paths (portable on
//! wasmi and wasmtime, wasmtime's native component model), which must agree
//! on each value and each trap. `WR_COMPONENT_SOAK=N` runs N rounds.

use crate::common;

use common::{Outcome, Paths};
use wasm_run_api::{Config, Engine, Error};
use wasm_run_component::{Component, Val};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component")
        .join(name);
    wat::parse_file(path).unwrap()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A u32 that is often a plausible pointer or length, sometimes not.
    fn word(&mut self) -> u32 {
        match self.below(6) {
            0 => self.next() as u32,
            1 => self.below(4) as u32,
            2 => 0x100 + 4 * self.below(64) as u32,
            3 => 65536 - self.below(16) as u32,
            _ => self.below(48) as u32,
        }
    }
}

fn rounds() -> u64 {
    std::env::var("WR_COMPONENT_SOAK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150)
}

#[test]
fn forged_results_agree_and_never_panic() {
    let paths = Paths::new();
    let bytes = fixture("forge.wat");
    let forges = [
        "forge-string",
        "forge-list",
        "forge-record",
        "forge-variant",
        "forge-option",
        "forge-string16",
        "forge-compact",
    ];
    let (mut values, mut traps) = (0, 0);
    for seed in 0..rounds() {
        let mut rng = Rng(seed);
        // 256 bytes at 0x100: words that look like pointers and lengths,
        // with random bytes mixed in; 256 more random bytes after them for
        // the pointers to land in.
        let mut bytes_at = Vec::new();
        for _ in 0..64 {
            if rng.below(4) == 0 {
                bytes_at.extend((0..4).map(|_| rng.next() as u8));
            } else {
                bytes_at.extend(rng.word().to_le_bytes());
            }
        }
        bytes_at.extend((0..256).map(|_| match rng.below(3) {
            0 => b"ab\xc3\xa9\xe2\x9c\x93"[rng.below(7) as usize],
            _ => rng.next() as u8,
        }));
        let poke = (
            "poke",
            vec![
                Val::U32(0x100),
                Val::List(bytes_at.iter().map(|b| Val::U8(*b)).collect()),
            ],
        );
        let forge = forges[rng.below(forges.len() as u64) as usize];
        let outcomes = paths.agree_all(&bytes, &[poke, (forge, vec![])]);
        match outcomes[1] {
            Outcome::Value(_) => values += 1,
            Outcome::Trap => traps += 1,
        }
    }
    println!("forged results: {values} values, {traps} traps");
    assert!(values > 0 && traps > 0, "{values} values, {traps} traps");
}

#[test]
fn mangled_components_are_compile_errors() {
    let engine = <wasm_run_wasmi::Wasmi as Engine>::new(&Config::new()).unwrap();
    // The last is a core module with its world in a custom section (at its
    // end): its mutations land in the last 400 bytes, in the world's
    // encoding.
    let sources = [
        "echo.wat",
        "host.wat",
        "forge.wat",
        "shapes.wat",
        "embedded/embedded.wasm",
    ]
    .map(fixture);
    let mut rng = Rng(7);
    let (mut refused, mut accepted) = (0, 0);
    for round in 0..rounds() * 10 {
        let which = (round % sources.len() as u64) as usize;
        let mut bytes = sources[which].clone();
        for _ in 0..1 + rng.below(4) {
            let len = bytes.len() as u64;
            let at = if which == 4 {
                (len - 1 - rng.below(400.min(len - 8))) as usize
            } else {
                rng.below(len) as usize
            };
            match rng.below(3) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes[at] ^= 1 << rng.below(8),
                _ => bytes.truncate(at.max(8)),
            }
        }
        match Component::new(&engine, &bytes) {
            Ok(_) => accepted += 1,
            Err(Error::Compile { .. } | Error::Unsupported { .. }) => refused += 1,
            Err(other) => panic!("round {round}: an untyped error: {other:?}"),
        }
    }
    println!("mangled components: {refused} refused, {accepted} accepted");
    assert!(refused > accepted, "{refused} refused, {accepted} accepted");
}
