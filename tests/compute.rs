//! Real C programs (`tests/fixtures/compute/*.c`, built by
//! `tests/fixtures/build.sh`) on every backend, statically and through
//! `AnyEngine`: SHA-256 checked against an independent Rust implementation,
//! sorting and LZ77 compression checked against Rust re-implementations of
//! their inputs and by their own round trips.

use sha2::{Digest, Sha256};
use wasm_run::{AnyEngine, Config, Engine, Instance, Linker, Module, Store};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/compute/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn reactor<E: Engine>(engine: &E, name: &str) -> (Store<E, ()>, Instance<E>) {
    let module = Module::from_file(engine, fixture(name)).unwrap();
    assert!(module.imports().is_empty(), "{name} imports something");
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    instance
        .get_typed_func::<(), ()>(&mut store, "_initialize")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    (store, instance)
}

/// The fixture's input: xorshift32 bytes from its seed.
fn hash_input(n: usize) -> Vec<u8> {
    let mut x: u32 = 2_463_534_242;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The fixture's sort result: FNV-1a over the sorted xorshift64 keys.
fn sort_expected(n: usize) -> u64 {
    let mut x: u64 = 88_172_645_463_325_252;
    let mut keys: Vec<u32> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as u32
        })
        .collect();
    keys.sort_unstable();
    keys.iter().fold(1_469_598_103_934_665_603u64, |s, &k| {
        (s ^ k as u64).wrapping_mul(1_099_511_628_211)
    })
}

fn check<E: Engine>(engine: &E) -> u32 {
    let name = engine.name();
    let (mut store, instance) = reactor(engine, "hash");
    for n in [0usize, 55, 64, 1000, 100_000] {
        let got = instance
            .get_typed_func::<u32, u64>(&mut store, "hash")
            .unwrap()
            .call(&mut store, n as u32)
            .unwrap();
        let want = Sha256::digest(hash_input(n));
        let want = u64::from_be_bytes(want[..8].try_into().unwrap());
        assert_eq!(got, want, "{name}: sha256 of {n} bytes");
    }
    let (mut store, instance) = reactor(engine, "sort");
    for n in [1usize, 2, 1000, 50_000] {
        let got = instance
            .get_typed_func::<u32, u64>(&mut store, "sort")
            .unwrap()
            .call(&mut store, n as u32)
            .unwrap();
        assert_eq!(got, sort_expected(n), "{name}: sort of {n} keys");
    }
    let (mut store, instance) = reactor(engine, "compress");
    let size = instance
        .get_typed_func::<u32, u32>(&mut store, "compress")
        .unwrap()
        .call(&mut store, 100_000)
        .unwrap();
    assert!(size > 0, "{name}: the round trip failed");
    assert!(
        size < 60_000,
        "{name}: 100,000 bytes of text compressed to {size}"
    );
    size
}

#[test]
fn compute_programs_agree_on_every_backend() {
    let mut sizes = Vec::new();
    for name in wasm_run::BACKENDS {
        sizes.push(check(&AnyEngine::by_name(name, &Config::new()).unwrap()));
    }
    #[cfg(feature = "wasmtime")]
    sizes.push(check(&wasm_run::Wasmtime::new(&Config::new()).unwrap()));
    #[cfg(feature = "wasmi")]
    sizes.push(check(&wasm_run::Wasmi::new(&Config::new()).unwrap()));
    assert!(
        sizes.windows(2).all(|w| w[0] == w[1]),
        "compressed sizes differ: {sizes:?}"
    );
}
