//! Procedural macros for `wasm-run-component`: `#[derive(ComponentType)]`
//! for records, variants, enums and flags, and the WIT-driven `bindgen!`.
//! Use them through `wasm_run_component` (or `wasm_run::component`), which
//! re-exports them with the paths they need.

mod bindgen;
mod derive;

use proc_macro::TokenStream;

/// Implements `ComponentType` for a struct (a WIT `record`, or with
/// `#[component(flags)]` a `flags` of its `bool` fields) or an enum (a WIT
/// `enum` when every case is a unit, else a `variant` whose cases carry at
/// most one value; `#[component(variant)]` makes an all-unit enum a
/// variant). Names are the Rust names in kebab case unless given with
/// `#[component(name = "...")]`. The generated code names the crate as
/// `::wasm_run::component`; `#[component(crate = path)]` changes that
/// (e.g. `wasm_run_component` for a direct dependency).
#[proc_macro_derive(ComponentType, attributes(component))]
pub fn derive_component_type(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand(&input, None)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The implementation of `wasm_run_component::bindgen!`, which passes the
/// crate's path first (`$crate; ...`). Not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn bindgen_inner(input: TokenStream) -> TokenStream {
    bindgen::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
