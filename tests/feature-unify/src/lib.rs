//! Empty: see `Cargo.toml` (a CI-only helper that names dependency features).
