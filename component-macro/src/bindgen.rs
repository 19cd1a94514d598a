//! `bindgen!`: Rust types and typed calls from a WIT world.
//!
//! Generated at the call site:
//!
//! - every named type of the world and of the interfaces it uses, as Rust
//!   structs and enums implementing `ComponentType` (records, variants,
//!   enums, flags) or type aliases; resources are `ResourceAny`;
//! - `pub struct <World><E>`: the world's exported functions, looked up and
//!   type-checked once (`<World>::new(&instance)`, or `instantiate`), with a
//!   `call_<name>` method for each; an exported interface is a field with
//!   its own `call_*` methods (`<World>::<iface>()`);
//! - for each imported interface, in its module: a `Host` trait with one
//!   method per function (and `drop_<resource>` per resource it defines),
//!   and `add_to_linker(linker, get)` defining them in a component
//!   `Linker`; world-level imported functions: `<World>Imports` and
//!   `add_to_linker` at the top.
//!
//! Interface `ns:pkg/name` becomes module `name` (snake case).

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use std::collections::HashMap;
use wit_parser::{
    Function, FunctionKind, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId, TypeOwner,
    WorldId, WorldItem, WorldKey,
};

/// The macro's input after the crate path: `{ path: "...", world: "...",
/// inline: "...", with: { "ns:pkg/iface/resource": path::To::Type } }`.
struct Options {
    path: Option<String>,
    inline: Option<String>,
    world: Option<String>,
    /// Rust types standing for host resources, by WIT name.
    with: Vec<(syn::LitStr, syn::Path)>,
}

fn err(msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(Span::call_site(), msg)
}

fn parse_options(input: TokenStream) -> syn::Result<(TokenStream, Options)> {
    // `$crate ;` first (from the declarative wrapper).
    let mut tokens = input.into_iter();
    let mut krate = TokenStream::new();
    for t in tokens.by_ref() {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ';' => break,
            _ => krate.extend([t]),
        }
    }
    let rest: TokenStream = tokens.collect();
    let parser = |input: syn::parse::ParseStream| -> syn::Result<Options> {
        let content;
        syn::braced!(content in input);
        let mut o = Options {
            path: None,
            inline: None,
            world: None,
            with: Vec::new(),
        };
        while !content.is_empty() {
            let key: Ident = content.parse()?;
            content.parse::<syn::Token![:]>()?;
            if key == "with" {
                let map;
                syn::braced!(map in content);
                while !map.is_empty() {
                    let name: syn::LitStr = map.parse()?;
                    map.parse::<syn::Token![:]>()?;
                    o.with.push((name, map.parse()?));
                    if !map.is_empty() {
                        map.parse::<syn::Token![,]>()?;
                    }
                }
                if !content.is_empty() {
                    content.parse::<syn::Token![,]>()?;
                }
                continue;
            }
            let value: syn::LitStr = content.parse()?;
            match key.to_string().as_str() {
                "path" => o.path = Some(value.value()),
                "inline" => o.inline = Some(value.value()),
                "world" => o.world = Some(value.value()),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown bindgen! option `{other}` (expected path, inline, world, with)"
                        ),
                    ));
                }
            }
            if !content.is_empty() {
                content.parse::<syn::Token![,]>()?;
            }
        }
        if o.path.is_some() == o.inline.is_some() {
            return Err(err("bindgen! takes exactly one of `path` and `inline`"));
        }
        Ok(o)
    };
    let options = syn::parse::Parser::parse2(parser, rest)?;
    Ok((krate, options))
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, options) = parse_options(input)?;
    let mut resolve = Resolve::default();
    let mut tracked = Vec::new();
    let package = match (&options.path, &options.inline) {
        (Some(path), _) => {
            let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
            let full = std::path::Path::new(&root).join(path);
            let (pkg, sources) = resolve
                .push_path(&full)
                .map_err(|e| err(format!("{}: {e:#}", full.display())))?;
            tracked.extend(sources.paths().map(|p| p.to_string_lossy().into_owned()));
            pkg
        }
        (_, Some(text)) => resolve
            .push_str("inline.wit", text)
            .map_err(|e| err(format!("{e:#}")))?,
        _ => unreachable!("checked by parse_options"),
    };
    let world = resolve
        .select_world(&[package], options.world.as_deref())
        .map_err(|e| err(format!("{e:#}")))?;
    let w = &resolve.worlds[world];
    fn interfaces<'a>(items: impl Iterator<Item = &'a WorldItem>) -> Vec<InterfaceId> {
        items
            .filter_map(|i| match i {
                WorldItem::Interface { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }
    let exported = interfaces(w.exports.values());
    let host_interfaces = interfaces(w.imports.values())
        .into_iter()
        .filter(|i| !exported.contains(i))
        .collect();
    let mut g = Gen {
        resolve: &resolve,
        krate,
        modules: HashMap::new(),
        names: HashMap::new(),
        host_interfaces,
        with: options
            .with
            .iter()
            .map(|(k, v)| (k.value(), (v.clone(), std::cell::Cell::new(false))))
            .collect(),
    };
    let code = g.world(world)?;
    if let Some((name, _)) = options
        .with
        .iter()
        .find(|(k, _)| !g.with[&k.value()].1.get())
    {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "bindgen!: `with` names `{}`, which is no resource the world imports",
                name.value()
            ),
        ));
    }
    let tracked = tracked.iter().map(|p| {
        quote!(
            const _: &str = include_str!(#p);
        )
    });
    Ok(quote! {
        #(#tracked)*
        #code
    })
}

struct Gen<'a> {
    resolve: &'a Resolve,
    krate: TokenStream,
    /// Each interface's module name.
    modules: HashMap<InterfaceId, Ident>,
    /// Which interface took a module name.
    names: HashMap<String, InterfaceId>,
    /// The interfaces the world imports and does not export: their
    /// resources are the host's (`Resource<R>`), all others a component's
    /// (`ResourceAny`).
    host_interfaces: Vec<InterfaceId>,
    /// `with`: a Rust type for a host resource, by WIT name, and whether
    /// it was used.
    with: HashMap<String, (syn::Path, std::cell::Cell<bool>)>,
}

/// A Rust identifier for a WIT name in snake case (raw for keywords).
fn snake(name: &str) -> Ident {
    ident(&name.to_snake_case())
}

/// A Rust type name for a WIT name.
fn camel(name: &str) -> Ident {
    ident(&name.to_upper_camel_case())
}

fn ident(s: &str) -> Ident {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
        "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
        "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async",
        "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    match s {
        "self" | "Self" | "super" | "crate" => format_ident!("{s}_"),
        s if KEYWORDS.contains(&s) => Ident::new_raw(s, Span::call_site()),
        s => Ident::new(s, Span::call_site()),
    }
}

/// Where code is generated: at the top (the world) or in an interface's
/// module.
#[derive(Clone, Copy, PartialEq)]
enum Scope {
    Top,
    Interface(InterfaceId),
}

impl Gen<'_> {
    fn module(&mut self, id: InterfaceId) -> syn::Result<Ident> {
        if let Some(m) = self.modules.get(&id) {
            return Ok(m.clone());
        }
        let iface = &self.resolve.interfaces[id];
        let name = iface
            .name
            .clone()
            .ok_or_else(|| err("bindgen!: anonymous interfaces in a world are not supported"))?;
        let mut module = name.to_snake_case();
        if self.names.contains_key(&module) {
            // The same interface name in two packages: prefix the package.
            let pkg = iface
                .package
                .map(|p| self.resolve.packages[p].name.name.to_snake_case())
                .unwrap_or_default();
            module = format!("{pkg}_{module}");
        }
        self.names.insert(module.clone(), id);
        let m = ident(&module);
        self.modules.insert(id, m.clone());
        Ok(m)
    }

    /// The path from `scope` to the module of `owner`.
    fn path_to(&mut self, owner: TypeOwner, scope: Scope) -> syn::Result<TokenStream> {
        Ok(match (owner, scope) {
            (TypeOwner::Interface(i), Scope::Interface(s)) if i == s => quote!(),
            (TypeOwner::Interface(i), Scope::Interface(_)) => {
                let m = self.module(i)?;
                quote!(super::#m::)
            }
            (TypeOwner::Interface(i), Scope::Top) => {
                let m = self.module(i)?;
                quote!(#m::)
            }
            (_, Scope::Top) => quote!(),
            (_, Scope::Interface(_)) => quote!(super::),
        })
    }

    /// The resource definition a handle or an alias names (through `use`
    /// aliases).
    fn resource_def(&self, mut id: TypeId) -> TypeId {
        while let TypeDefKind::Type(Type::Id(next)) = self.resolve.types[id].kind {
            id = next;
        }
        id
    }

    /// Whether the resource `id` (a definition) is the host's: defined by
    /// an interface the world imports (and does not export) or by the
    /// world itself.
    fn is_host(&self, id: TypeId) -> bool {
        match self.resolve.types[id].owner {
            TypeOwner::Interface(i) => self.host_interfaces.contains(&i),
            TypeOwner::World(_) => true,
            TypeOwner::None => false,
        }
    }

    /// The `with` entry for the host resource `id`: keyed
    /// `ns:pkg/iface/name` (with or without the package's version), or
    /// the bare name for a resource the world defines.
    fn with_type(&self, id: TypeId) -> Option<syn::Path> {
        let def = &self.resolve.types[id];
        let name = def.name.as_deref().unwrap_or_default();
        let keys = match def.owner {
            TypeOwner::Interface(i) => {
                let full = self.resolve.id_of(i).unwrap_or_default();
                let bare = full.split_once('@').map(|(b, _)| b.to_string());
                [
                    Some(format!("{full}/{name}")),
                    bare.map(|b| format!("{b}/{name}")),
                ]
            }
            _ => [Some(name.to_string()), None],
        };
        keys.into_iter().flatten().find_map(|k| {
            let (path, used) = self.with.get(&k)?;
            used.set(true);
            Some(path.clone())
        })
    }

    /// The Rust type for a handle (`own` or `borrow`) of the resource `id`
    /// (a definition), named from `scope`: `Resource<R>` for a host
    /// resource, `ResourceAny` for a component's.
    fn handle_ty(&mut self, id: TypeId, scope: Scope) -> syn::Result<TokenStream> {
        let k = self.krate.clone();
        if !self.is_host(id) {
            return Ok(quote!(#k::ResourceAny));
        }
        let def = &self.resolve.types[id];
        let name = camel(def.name.as_deref().unwrap_or("resource"));
        let path = self.path_to(def.owner, scope)?;
        Ok(quote!(#k::Resource<#path #name>))
    }

    /// The Rust type for a WIT type, named from `scope`.
    fn ty(&mut self, ty: &Type, scope: Scope) -> syn::Result<TokenStream> {
        Ok(match ty {
            Type::Bool => quote!(bool),
            Type::U8 => quote!(u8),
            Type::U16 => quote!(u16),
            Type::U32 => quote!(u32),
            Type::U64 => quote!(u64),
            Type::S8 => quote!(i8),
            Type::S16 => quote!(i16),
            Type::S32 => quote!(i32),
            Type::S64 => quote!(i64),
            Type::F32 => quote!(f32),
            Type::F64 => quote!(f64),
            Type::Char => quote!(char),
            Type::String => quote!(::std::string::String),
            Type::ErrorContext => {
                return Err(err("bindgen!: `error-context` is async, not supported"));
            }
            Type::Id(id) => {
                let def = &self.resolve.types[*id];
                if let Some(name) = &def.name
                    && (!matches!(def.kind, TypeDefKind::Resource) || self.is_host(*id))
                {
                    let path = self.path_to(def.owner, scope)?;
                    let name = camel(name);
                    return Ok(quote!(#path #name));
                }
                let kind = def.kind.clone();
                self.kind_ty(&kind, scope)?
            }
        })
    }

    /// The Rust type for an anonymous WIT type (tuple, option, result,
    /// list, handle) or an alias.
    fn kind_ty(&mut self, kind: &TypeDefKind, scope: Scope) -> syn::Result<TokenStream> {
        let k = self.krate.clone();
        Ok(match kind {
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => {
                let r = self.resource_def(*r);
                self.handle_ty(r, scope)?
            }
            TypeDefKind::Resource => quote!(#k::ResourceAny),
            TypeDefKind::Tuple(t) => {
                let items = t
                    .types
                    .iter()
                    .map(|t| self.ty(t, scope))
                    .collect::<syn::Result<Vec<_>>>()?;
                quote!((#(#items,)*))
            }
            TypeDefKind::Option(t) => {
                let t = self.ty(t, scope)?;
                quote!(::std::option::Option<#t>)
            }
            TypeDefKind::Result(r) => {
                let ok = match &r.ok {
                    Some(t) => self.ty(t, scope)?,
                    None => quote!(()),
                };
                let e = match &r.err {
                    Some(t) => self.ty(t, scope)?,
                    None => quote!(()),
                };
                quote!(::std::result::Result<#ok, #e>)
            }
            TypeDefKind::List(t) => {
                let t = self.ty(t, scope)?;
                quote!(::std::vec::Vec<#t>)
            }
            TypeDefKind::FixedLengthList(t, n) => {
                let (t, n) = (self.ty(t, scope)?, *n as usize);
                quote!([#t; #n])
            }
            TypeDefKind::Map(k, v) => {
                let (k, v) = (self.ty(k, scope)?, self.ty(v, scope)?);
                quote!(::std::collections::HashMap<#k, #v>)
            }
            TypeDefKind::Type(t) => self.ty(t, scope)?,
            other => {
                return Err(err(format!(
                    "bindgen!: WIT `{}` types are not supported",
                    other.as_str()
                )));
            }
        })
    }

    /// The definition of the named type `id` (in its owner's scope).
    fn type_def(&mut self, id: TypeId, scope: Scope) -> syn::Result<TokenStream> {
        let k = self.krate.clone();
        let def = &self.resolve.types[id];
        let Some(wit) = def.name.clone() else {
            return Ok(quote!());
        };
        let name = camel(&wit);
        let kind = def.kind.clone();
        let item = match &kind {
            TypeDefKind::Record(r) => {
                let fields = r
                    .fields
                    .iter()
                    .map(|f| {
                        let (n, w) = (snake(&f.name), &f.name);
                        let t = self.ty(&f.ty, scope)?;
                        Ok(quote!(#[component(name = #w)] pub #n: #t))
                    })
                    .collect::<syn::Result<Vec<_>>>()?;
                quote!(#[derive(Debug, Clone, PartialEq)] pub struct #name { #(#fields,)* })
            }
            TypeDefKind::Flags(f) => {
                let fields = f.flags.iter().map(|f| {
                    let (n, w) = (snake(&f.name), &f.name);
                    quote!(#[component(name = #w)] pub #n: bool)
                });
                quote!(#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)] #[component(flags)] pub struct #name { #(#fields,)* })
            }
            TypeDefKind::Enum(e) => {
                let cases = e.cases.iter().map(|c| {
                    let (n, w) = (camel(&c.name), &c.name);
                    quote!(#[component(name = #w)] #n)
                });
                quote!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)] pub enum #name { #(#cases,)* })
            }
            TypeDefKind::Variant(v) => {
                let cases = v
                    .cases
                    .iter()
                    .map(|c| {
                        let (n, w) = (camel(&c.name), &c.name);
                        Ok(match &c.ty {
                            Some(t) => {
                                let t = self.ty(t, scope)?;
                                quote!(#[component(name = #w)] #n(#t))
                            }
                            None => quote!(#[component(name = #w)] #n),
                        })
                    })
                    .collect::<syn::Result<Vec<_>>>()?;
                quote!(#[derive(Debug, Clone, PartialEq)] #[component(variant)] pub enum #name { #(#cases,)* })
            }
            TypeDefKind::Resource if self.is_host(id) => {
                let doc = format!(
                    "The WIT resource `{wit}`, which the host defines: its handles are \
                     `Resource<{name}>`s."
                );
                return Ok(match self.with_type(id) {
                    Some(path) => quote!(#[doc = #doc] pub type #name = #path;),
                    None => quote!(#[doc = #doc] #[derive(Debug)] pub enum #name {}),
                });
            }
            TypeDefKind::Resource => {
                let doc = format!("The WIT resource `{wit}`: its handles are `ResourceAny`s.");
                return Ok(quote!(
                    #[doc = #doc]
                    pub type #name = #k::ResourceAny;
                ));
            }
            other => {
                // An alias (or a named tuple, list, option, result...).
                let t = self.kind_ty(other, scope)?;
                let doc = format!("The WIT type `{wit}`.");
                return Ok(quote!(#[doc = #doc] pub type #name = #t;));
            }
        };
        let input: syn::DeriveInput = syn::parse2(item)?;
        let imp = crate::derive::expand(&input, Some(k))?;
        let mut plain = input;
        strip(&mut plain);
        let doc = format!("The WIT type `{wit}`.");
        Ok(quote!(#[doc = #doc] #plain #imp))
    }

    /// The named types an interface defines.
    fn interface_types(&mut self, id: InterfaceId) -> syn::Result<TokenStream> {
        let ids: Vec<TypeId> = self.resolve.interfaces[id]
            .types
            .values()
            .copied()
            .collect();
        let mut out = TokenStream::new();
        for t in ids {
            out.extend(self.type_def(t, Scope::Interface(id))?);
        }
        Ok(out)
    }

    /// The Rust method name of a function.
    fn method_name(&self, f: &Function) -> String {
        let resource = |id: &TypeId| {
            self.resolve.types[*id]
                .name
                .clone()
                .unwrap_or_default()
                .to_snake_case()
        };
        match &f.kind {
            FunctionKind::Method(r) | FunctionKind::Static(r) => {
                format!("{}_{}", resource(r), f.item_name().to_snake_case())
            }
            FunctionKind::Constructor(r) => format!("{}_new", resource(r)),
            _ => f.name.to_snake_case(),
        }
    }

    fn check_sync(f: &Function) -> syn::Result<()> {
        match f.kind {
            FunctionKind::Freestanding
            | FunctionKind::Method(_)
            | FunctionKind::Static(_)
            | FunctionKind::Constructor(_) => Ok(()),
            _ => Err(err(format!(
                "bindgen!: `{}` is an async function, not supported",
                f.name
            ))),
        }
    }

    /// An exported function: the field, its lookup with the type check,
    /// and the `call_` method.
    fn export_func(
        &mut self,
        f: &Function,
        lookup: &str,
        scope: Scope,
    ) -> syn::Result<(Ident, TokenStream, TokenStream)> {
        Self::check_sync(f)?;
        let k = self.krate.clone();
        let field = format_ident!("f_{}", self.method_name(f));
        let method = format_ident!("call_{}", self.method_name(f));
        let params = f
            .params
            .iter()
            .map(|p| Ok((snake(&p.name), self.ty(&p.ty, scope)?)))
            .collect::<syn::Result<Vec<_>>>()?;
        let result = f.result.as_ref().map(|t| self.ty(t, scope)).transpose()?;
        let count = params.len();
        let index = 0..count;
        let ptys: Vec<_> = params.iter().map(|p| &p.1).collect();
        let result_check = match &result {
            Some(r) => quote!(ty.result().is_some_and(|t| <#r as #k::ComponentType>::typecheck(t))),
            None => quote!(ty.result().is_none()),
        };
        let lookup_code = quote! {
            let #field = {
                let f = instance.get_func(#lookup).ok_or_else(|| #k::__macro::missing_export(#lookup))?;
                let ty = f.ty();
                if !(ty.params().len() == #count
                    #(&& <#ptys as #k::ComponentType>::typecheck(&ty.params()[#index].1))*
                    && #result_check)
                {
                    return ::std::result::Result::Err(#k::__macro::wrong_type(#lookup, ty));
                }
                f
            };
        };
        let pnames: Vec<_> = params.iter().map(|p| &p.0).collect();
        let (ret, slots, finish) = match &result {
            Some(r) => (
                quote!(#r),
                quote!(let mut out: [#k::Val; 1] = [#k::Val::Bool(false)];),
                quote!(<#r as #k::ComponentType>::from_val(::std::mem::replace(&mut out[0], #k::Val::Bool(false)))),
            ),
            None => (
                quote!(()),
                quote!(let mut out: [#k::Val; 0] = [];),
                quote!(::std::result::Result::Ok(())),
            ),
        };
        let doc = format!("Calls the export `{lookup}`.");
        let call = quote! {
            #[doc = #doc]
            ///
            /// # Errors
            ///
            /// As `Func::call`.
            pub fn #method(
                &self,
                store: impl #k::__macro::AsContextMut<E>,
                #(#pnames: #ptys),*
            ) -> #k::__macro::Result<#ret> {
                let args = [#(#k::ComponentType::into_val(#pnames)),*];
                #slots
                self.#field.call(store, &args, &mut out)?;
                #finish
            }
        };
        Ok((field, lookup_code, call))
    }

    /// An imported function: the `Host` trait method and its definition
    /// in the linker instance `inst`.
    fn import_func(
        &mut self,
        f: &Function,
        scope: Scope,
    ) -> syn::Result<(TokenStream, TokenStream)> {
        Self::check_sync(f)?;
        let k = self.krate.clone();
        let method = ident(&self.method_name(f));
        let params = f
            .params
            .iter()
            .map(|p| Ok((snake(&p.name), self.ty(&p.ty, scope)?)))
            .collect::<syn::Result<Vec<_>>>()?;
        let result = f.result.as_ref().map(|t| self.ty(t, scope)).transpose()?;
        let pnames: Vec<_> = params.iter().map(|p| &p.0).collect();
        let ptys: Vec<_> = params.iter().map(|p| &p.1).collect();
        let ret = result.clone().unwrap_or_else(|| quote!(()));
        let doc = format!("The import `{}`.", f.name);
        let decl = quote! {
            #[doc = #doc]
            ///
            /// # Errors
            ///
            /// An error makes the calling guest's call fail with it.
            fn #method(&mut self, #(#pnames: #ptys),*) -> #k::__macro::Result<#ret>;
        };
        let wit = &f.name;
        let store_result = match &result {
            Some(_) => quote!(results[0] = #k::ComponentType::into_val(r);),
            None => quote!(let () = r;),
        };
        let def = quote! {
            inst.func_new(#wit, move |cx, args, results| {
                let mut args = args.iter().cloned();
                #(let #pnames = <#ptys as #k::ComponentType>::from_val(
                    args.next().ok_or_else(|| #k::__macro::Error::Type("too few arguments".into()))?)?;)*
                let r = get(cx.data_mut()).#method(#(#pnames),*)?;
                #store_result
                ::std::result::Result::Ok(())
            })?;
        };
        Ok((decl, def))
    }

    fn world(&mut self, id: WorldId) -> syn::Result<TokenStream> {
        let k = self.krate.clone();
        let world = self.resolve.worlds[id].clone();
        let world_name = camel(&world.name);
        let mut out = TokenStream::new();
        // Interfaces: their modules with their types; imports and exports
        // add to them.
        let mut bodies: Vec<(InterfaceId, TokenStream)> = Vec::new();
        fn body(bodies: &mut Vec<(InterfaceId, TokenStream)>, id: InterfaceId, code: TokenStream) {
            match bodies.iter_mut().find(|(i, _)| *i == id) {
                Some((_, b)) => b.extend(code),
                None => bodies.push((id, code)),
            }
        }
        let mut top_import_decls = Vec::new();
        let mut top_import_defs = Vec::new();
        for (key, item) in &world.imports {
            match item {
                WorldItem::Interface { id, .. } => {
                    let types = self.interface_types(*id)?;
                    body(&mut bodies, *id, types);
                    let code = self.import_interface(key, *id)?;
                    body(&mut bodies, *id, code);
                }
                WorldItem::Function(f) => {
                    let (decl, def) = self.import_func(f, Scope::Top)?;
                    top_import_decls.push(decl);
                    top_import_defs.push(def);
                }
                WorldItem::Type { id, .. } => {
                    out.extend(self.type_def(*id, Scope::Top)?);
                    let def = &self.resolve.types[*id];
                    if let (TypeDefKind::Resource, Some(name)) = (&def.kind, &def.name) {
                        let (decl, def) = self.host_resource(name);
                        top_import_decls.push(decl);
                        top_import_defs.push(def);
                    }
                }
            }
        }
        let mut fields = Vec::new();
        let mut names = Vec::new();
        let mut lookups = Vec::new();
        let mut calls = Vec::new();
        let mut accessors = Vec::new();
        for (key, item) in &world.exports {
            match item {
                WorldItem::Function(f) => {
                    let (field, lookup, call) = self.export_func(f, &f.name, Scope::Top)?;
                    fields.push(quote!(#field: #k::Func<E>));
                    names.push(field);
                    lookups.push(lookup);
                    calls.push(call);
                }
                WorldItem::Interface { id, .. } => {
                    if !bodies.iter().any(|(i, _)| i == id) {
                        let types = self.interface_types(*id)?;
                        body(&mut bodies, *id, types);
                    }
                    let code = self.export_interface(key, *id)?;
                    body(&mut bodies, *id, code);
                    let m = self.module(*id)?;
                    let field = format_ident!("i_{}", m);
                    fields.push(quote!(#field: #m::Guest<E>));
                    names.push(field.clone());
                    lookups.push(quote!(let #field = #m::Guest::new(instance)?;));
                    let doc = format!(
                        "The exported interface `{}`.",
                        self.resolve.name_world_key(key)
                    );
                    accessors.push(quote! {
                        #[doc = #doc]
                        pub fn #m(&self) -> &#m::Guest<E> { &self.#field }
                    });
                }
                WorldItem::Type { .. } => {}
            }
        }
        for (id, code) in bodies {
            let m = self.module(id)?;
            let doc = format!(
                "The interface `{}`.",
                self.resolve.id_of(id).unwrap_or_else(|| m.to_string())
            );
            out.extend(quote! {
                #[doc = #doc]
                #[allow(clippy::all, unused_imports, dead_code)]
                pub mod #m {
                    #code
                }
            });
        }
        let doc = format!("The exports of the world `{}`.", world.name);
        out.extend(quote! {
            #[doc = #doc]
            pub struct #world_name<E: #k::__macro::Engine> {
                #(#fields,)*
                _engine: ::std::marker::PhantomData<E>,
            }
            impl<E: #k::__macro::Engine> #world_name<E> {
                /// Looks up the exports in `instance` and checks their types.
                ///
                /// # Errors
                ///
                /// `Error::MissingExport` naming an export that is missing,
                /// `Error::Type` one that has another type.
                pub fn new(instance: &#k::Instance<E>) -> #k::__macro::Result<Self> {
                    #(#lookups)*
                    ::std::result::Result::Ok(Self { #(#names,)* _engine: ::std::marker::PhantomData })
                }
                /// Instantiates `component` with `linker` and looks up its
                /// exports.
                ///
                /// # Errors
                ///
                /// As `Linker::instantiate` and [`Self::new`].
                pub fn instantiate<T: 'static>(
                    store: &mut #k::__macro::Store<E, T>,
                    component: &#k::Component<E>,
                    linker: &#k::Linker<E, T>,
                ) -> #k::__macro::Result<Self> {
                    let instance = linker.instantiate(store, component)?;
                    Self::new(&instance)
                }
                #(#calls)*
                #(#accessors)*
            }
        });
        if !top_import_decls.is_empty() {
            let trait_name = format_ident!("{}Imports", world_name);
            let doc = format!("The functions the world `{}` imports.", world.name);
            out.extend(quote! {
                #[doc = #doc]
                pub trait #trait_name {
                    #(#top_import_decls)*
                }
                /// Defines the world's imported functions in `linker`,
                /// each calling the implementation `get` finds in the
                /// store's data.
                ///
                /// # Errors
                ///
                /// `Error::Link` if one is defined already.
                pub fn add_to_linker<E: #k::__macro::Engine, T: 'static, U: #trait_name + 'static>(
                    linker: &mut #k::Linker<E, T>,
                    get: fn(&mut T) -> &mut U,
                ) -> #k::__macro::Result<()> {
                    let mut inst = linker.root();
                    #(#top_import_defs)*
                    ::std::result::Result::Ok(())
                }
            });
        }
        Ok(out)
    }

    /// A host resource `tname` (its marker type in scope): the `Host`
    /// trait's `drop_` method and the definition in the linker instance
    /// `inst`.
    fn host_resource(&self, tname: &str) -> (TokenStream, TokenStream) {
        let k = &self.krate;
        let marker = camel(tname);
        let drop = format_ident!("drop_{}", tname.to_snake_case());
        let doc = format!("Drops the host resource `{tname}` a component dropped its handle of.");
        let decl = quote! {
            #[doc = #doc]
            ///
            /// # Errors
            ///
            /// An error makes the dropping guest's call fail with it.
            fn #drop(&mut self, rep: #k::Resource<#marker>) -> #k::__macro::Result<()>;
        };
        let def = quote! {
            inst.resource_of(#tname, &#k::HostResourceType::of::<#marker>(), move |cx, rep| {
                get(cx.data_mut()).#drop(#k::Resource::new_own(rep))
            })?;
        };
        (decl, def)
    }

    fn import_interface(&mut self, key: &WorldKey, id: InterfaceId) -> syn::Result<TokenStream> {
        let k = self.krate.clone();
        let name = self.resolve.name_world_key(key);
        let scope = Scope::Interface(id);
        let iface = self.resolve.interfaces[id].clone();
        let mut decls = Vec::new();
        let mut defs = Vec::new();
        let mut resources = Vec::new();
        for (tname, tid) in &iface.types {
            if matches!(self.resolve.types[*tid].kind, TypeDefKind::Resource) {
                let (decl, def) = self.host_resource(tname);
                decls.push(decl);
                defs.push(def);
                resources.push((snake(tname), camel(tname)));
            }
        }
        for f in iface.functions.values() {
            let (decl, def) = self.import_func(f, scope)?;
            decls.push(decl);
            defs.push(def);
        }
        let (fields, markers): (Vec<_>, Vec<_>) = resources.into_iter().unzip();
        let doc = format!("What the host implements for the import `{name}`.");
        Ok(quote! {
            #[doc = #doc]
            pub trait Host {
                #(#decls)*
            }
            /// The host resource types `add_to_linker` defined (each is
            /// `HostResourceType::of` its Rust type; make handles with
            /// `Resource::new_own`).
            #[derive(Debug, Clone)]
            pub struct Resources {
                #(
                    #[doc = "A host resource type."]
                    pub #fields: #k::HostResourceType,
                )*
            }
            /// Defines the interface in `linker`, each function calling the
            /// `Host` implementation `get` finds in the store's data.
            ///
            /// # Errors
            ///
            /// `Error::Link` if something is defined already.
            pub fn add_to_linker<E: #k::__macro::Engine, T: 'static, U: Host + 'static>(
                linker: &mut #k::Linker<E, T>,
                get: fn(&mut T) -> &mut U,
            ) -> #k::__macro::Result<Resources> {
                let mut inst = linker.instance(#name)?;
                #(#defs)*
                ::std::result::Result::Ok(Resources {
                    #(#fields: #k::HostResourceType::of::<#markers>(),)*
                })
            }
        })
    }

    fn export_interface(&mut self, key: &WorldKey, id: InterfaceId) -> syn::Result<TokenStream> {
        let k = self.krate.clone();
        let name = self.resolve.name_world_key(key);
        let scope = Scope::Interface(id);
        let iface = self.resolve.interfaces[id].clone();
        let mut fields = Vec::new();
        let mut lookups = Vec::new();
        let mut calls = Vec::new();
        for f in iface.functions.values() {
            let lookup = format!("{name}#{}", f.name);
            let (field, l, c) = self.export_func(f, &lookup, scope)?;
            fields.push(field);
            lookups.push(l);
            calls.push(c);
        }
        let doc = format!("The exported interface `{name}`.");
        Ok(quote! {
            #[doc = #doc]
            pub struct Guest<E: #k::__macro::Engine> {
                #(#fields: #k::Func<E>,)*
                _engine: ::std::marker::PhantomData<E>,
            }
            impl<E: #k::__macro::Engine> Guest<E> {
                /// Looks up the interface's functions in `instance` and
                /// checks their types.
                ///
                /// # Errors
                ///
                /// `Error::MissingExport` naming a function that is missing,
                /// `Error::Type` one that has another type.
                pub fn new(instance: &#k::Instance<E>) -> #k::__macro::Result<Self> {
                    #(#lookups)*
                    ::std::result::Result::Ok(Self { #(#fields,)* _engine: ::std::marker::PhantomData })
                }
                #(#calls)*
            }
        })
    }
}

/// Removes the `#[component(...)]` attributes the derive reads (the
/// generated definition has no derive to declare them).
fn strip(input: &mut syn::DeriveInput) {
    let keep = |a: &syn::Attribute| !a.path().is_ident("component");
    input.attrs.retain(keep);
    match &mut input.data {
        syn::Data::Struct(s) => {
            for f in s.fields.iter_mut() {
                f.attrs.retain(keep);
            }
        }
        syn::Data::Enum(e) => {
            for v in e.variants.iter_mut() {
                v.attrs.retain(keep);
            }
        }
        syn::Data::Union(_) => {}
    }
}
