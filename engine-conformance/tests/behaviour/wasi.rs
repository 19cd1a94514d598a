//! The WASI behaviour suite (`wasm_run_conformance::wasi`, published with
//! its programs) on every backend of the list, statically (`<backend>::engine`)
//! and through `AnyEngine` (`<backend>::any`): generic WASI code runs on the
//! run-time selected engine with the very same results.

macro_rules! backend {
    ($name:ident, $B:ty) => {
        mod $name {
            wasm_run_conformance::wasi_tests!(engine, |c: &wasm_run::Config| {
                <$B as wasm_run::Engine>::new(c)
            });
            wasm_run_conformance::wasi_tests!(any, |c: &wasm_run::Config| {
                wasm_run::AnyEngine::by_name(stringify!($name), c)
            });
        }
    };
}
wasm_run::for_each_backend!(backend);
