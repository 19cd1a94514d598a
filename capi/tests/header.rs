//! `include/wasm_run.h` is what cbindgen makes of the sources with
//! `cbindgen.toml`; `WR_CAPI_BLESS=1` rewrites it.

use std::path::Path;

#[test]
fn header_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = dir.join("include/wasm_run.h");
    if std::env::var_os("WR_CAPI_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "capi/include/wasm_run.h is stale: run `WR_CAPI_BLESS=1 cargo test -p wasm-run-capi --test header` and commit it"
    );
}
