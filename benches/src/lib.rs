//! Benches live in `benches/`; run `cargo bench -p wasm-run-benches`.
