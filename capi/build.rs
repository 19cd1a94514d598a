//! Passes the target triple to the tests, which build the C test program
//! with the `cc` crate.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    println!("cargo:rustc-env=WR_CAPI_TARGET={target}");
    println!("cargo:rustc-env=WR_CAPI_HOST={host}");
    println!("cargo:rerun-if-changed=build.rs");
}
