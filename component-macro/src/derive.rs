//! `#[derive(ComponentType)]`.

use heck::ToKebabCase;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr, spanned::Spanned};

/// What `#[component(...)]` on the type says.
#[derive(Default)]
struct TypeAttrs {
    krate: Option<syn::Path>,
    flags: bool,
    variant: bool,
}

fn type_attrs(attrs: &[syn::Attribute]) -> syn::Result<TypeAttrs> {
    let mut out = TypeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                out.krate = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("flags") {
                out.flags = true;
            } else if meta.path.is_ident("variant") {
                out.variant = true;
            } else if meta.path.is_ident("record") || meta.path.is_ident("enum") {
                // The default for structs and all-unit enums.
            } else {
                return Err(
                    meta.error("expected `crate = path`, `flags`, `variant`, `record` or `enum`")
                );
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// The WIT name of a field or case: `#[component(name = "...")]`, else the
/// Rust name in kebab case.
fn wit_name(attrs: &[syn::Attribute], rust: &str) -> syn::Result<String> {
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("expected `name = \"...\"`"))
            }
        })?;
    }
    Ok(name.unwrap_or_else(|| rust.trim_start_matches("r#").to_kebab_case()))
}

/// The impl for `input`; `krate` overrides the crate path (bindgen! gives
/// its own).
pub(crate) fn expand(input: &DeriveInput, krate: Option<TokenStream>) -> syn::Result<TokenStream> {
    let attrs = type_attrs(&input.attrs)?;
    let krate = match (krate, attrs.krate) {
        (Some(k), _) => k,
        (None, Some(p)) => quote!(#p),
        (None, None) => quote!(::wasm_run::component),
    };
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let rust_name = name.to_string();
    let body = match &input.data {
        Data::Struct(s) => {
            let Fields::Named(fields) = &s.fields else {
                return Err(syn::Error::new(
                    s.fields.span(),
                    "ComponentType: a record or flags needs named fields",
                ));
            };
            let idents: Vec<_> = fields
                .named
                .iter()
                .map(|f| f.ident.clone().unwrap())
                .collect();
            let names = fields
                .named
                .iter()
                .map(|f| wit_name(&f.attrs, &f.ident.as_ref().unwrap().to_string()))
                .collect::<syn::Result<Vec<_>>>()?;
            let count = names.len();
            if attrs.flags {
                quote! {
                    fn typecheck(ty: &#krate::Type) -> bool {
                        match ty {
                            #krate::Type::Flags(names) => {
                                names.len() == #count #(&& names.iter().any(|n| n == #names))*
                            }
                            _ => false,
                        }
                    }
                    fn into_val(self) -> #krate::Val {
                        let mut set = ::std::vec::Vec::new();
                        #(if self.#idents { set.push(::std::string::String::from(#names)); })*
                        #krate::Val::Flags(set)
                    }
                    fn from_val(val: #krate::Val) -> #krate::__macro::Result<Self> {
                        match val {
                            #krate::Val::Flags(set) => ::std::result::Result::Ok(#name {
                                #(#idents: set.iter().any(|n| n == #names),)*
                            }),
                            other => ::std::result::Result::Err(#krate::__macro::mismatch(&other, #rust_name)),
                        }
                    }
                }
            } else {
                let tys: Vec<_> = fields.named.iter().map(|f| f.ty.clone()).collect();
                let index = 0..count;
                quote! {
                    fn typecheck(ty: &#krate::Type) -> bool {
                        match ty {
                            #krate::Type::Record(fields) => {
                                fields.len() == #count
                                    #(&& fields[#index].0 == #names
                                        && <#tys as #krate::ComponentType>::typecheck(&fields[#index].1))*
                            }
                            _ => false,
                        }
                    }
                    fn into_val(self) -> #krate::Val {
                        #krate::Val::Record(::std::vec![
                            #((::std::string::String::from(#names),
                               #krate::ComponentType::into_val(self.#idents)),)*
                        ])
                    }
                    fn from_val(val: #krate::Val) -> #krate::__macro::Result<Self> {
                        match val {
                            #krate::Val::Record(fields) => {
                                let mut fields = fields.into_iter();
                                ::std::result::Result::Ok(#name {
                                    #(#idents: #krate::__macro::field(&mut fields, #names)?,)*
                                })
                            }
                            other => ::std::result::Result::Err(#krate::__macro::mismatch(&other, #rust_name)),
                        }
                    }
                }
            }
        }
        Data::Enum(e) => {
            let mut cases = Vec::new();
            for v in &e.variants {
                let wit = wit_name(&v.attrs, &v.ident.to_string())?;
                let payload = match &v.fields {
                    Fields::Unit => None,
                    Fields::Unnamed(f) if f.unnamed.len() == 1 => Some(f.unnamed[0].ty.clone()),
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "ComponentType: a variant case is a unit or carries one value",
                        ));
                    }
                };
                cases.push((v.ident.clone(), wit, payload));
            }
            let all_unit = cases.iter().all(|c| c.2.is_none());
            let count = cases.len();
            if all_unit && !attrs.variant {
                let idents: Vec<_> = cases.iter().map(|c| &c.0).collect();
                let names: Vec<_> = cases.iter().map(|c| &c.1).collect();
                let index = 0..count;
                quote! {
                    fn typecheck(ty: &#krate::Type) -> bool {
                        match ty {
                            #krate::Type::Enum(names) => names.len() == #count #(&& names[#index] == #names)*,
                            _ => false,
                        }
                    }
                    fn into_val(self) -> #krate::Val {
                        #krate::Val::Enum(::std::string::String::from(match self {
                            #(#name::#idents => #names,)*
                        }))
                    }
                    fn from_val(val: #krate::Val) -> #krate::__macro::Result<Self> {
                        match val {
                            #krate::Val::Enum(case) => match case.as_str() {
                                #(#names => ::std::result::Result::Ok(#name::#idents),)*
                                _ => ::std::result::Result::Err(#krate::__macro::mismatch(&#krate::Val::Enum(case), #rust_name)),
                            },
                            other => ::std::result::Result::Err(#krate::__macro::mismatch(&other, #rust_name)),
                        }
                    }
                }
            } else {
                let checks = cases.iter().enumerate().map(|(i, (_, wit, payload))| match payload {
                    None => quote!(cases[#i].0 == #wit && cases[#i].1.is_none()),
                    Some(t) => quote!(cases[#i].0 == #wit
                        && cases[#i].1.as_ref().is_some_and(|t| <#t as #krate::ComponentType>::typecheck(t))),
                });
                let into = cases.iter().map(|(ident, wit, payload)| match payload {
                    None => quote!(#name::#ident => #krate::Val::Variant(::std::string::String::from(#wit), ::std::option::Option::None)),
                    Some(_) => quote!(#name::#ident(x) => #krate::Val::Variant(
                        ::std::string::String::from(#wit),
                        ::std::option::Option::Some(::std::boxed::Box::new(#krate::ComponentType::into_val(x))))),
                });
                let from = cases.iter().map(|(ident, wit, payload)| match payload {
                    None => quote!((#wit, ::std::option::Option::None) => ::std::result::Result::Ok(#name::#ident)),
                    Some(t) => quote!((#wit, ::std::option::Option::Some(v)) => ::std::result::Result::Ok(
                        #name::#ident(<#t as #krate::ComponentType>::from_val(*v)?))),
                });
                quote! {
                    fn typecheck(ty: &#krate::Type) -> bool {
                        match ty {
                            #krate::Type::Variant(cases) => cases.len() == #count #(&& #checks)*,
                            _ => false,
                        }
                    }
                    fn into_val(self) -> #krate::Val {
                        match self {
                            #(#into,)*
                        }
                    }
                    fn from_val(val: #krate::Val) -> #krate::__macro::Result<Self> {
                        match val {
                            #krate::Val::Variant(case, payload) => match (case.as_str(), payload) {
                                #(#from,)*
                                (_, payload) => ::std::result::Result::Err(#krate::__macro::mismatch(
                                    &#krate::Val::Variant(case, payload), #rust_name)),
                            },
                            other => ::std::result::Result::Err(#krate::__macro::mismatch(&other, #rust_name)),
                        }
                    }
                }
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "ComponentType: unions have no component type",
            ));
        }
    };
    Ok(quote! {
        impl #impl_generics #krate::ComponentType for #name #ty_generics #where_clause {
            #body
        }
    })
}
