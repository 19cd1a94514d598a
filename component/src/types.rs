//! Component-model types as wasm-run describes them: value types (the WIT
//! types), function types, and the types of a component's imports and
//! exports. They print in WIT syntax.
//!
//! The types come from wasmparser's validator and are translated once, when
//! a component is loaded, into these plain trees (shared with `Arc`), so
//! reflection and the canonical ABI never go back to the validator.

use std::fmt;
use std::sync::Arc;

/// A resource type: identified within its component by the order in which
/// the component's types mention it, with the name it is imported or
/// exported under where it has one. Two compare equal when they are the
/// same type (the name is for people).
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// Distinguishes the resource types of one component.
    pub(crate) id: u32,
    /// The name of the type export or import that introduced it, if any.
    pub(crate) name: Option<Arc<str>>,
}

impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for ResourceType {}
impl std::hash::Hash for ResourceType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl ResourceType {
    /// The resource's name, where the component names it.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// A component-model value type (a WIT type).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Type {
    /// `bool`.
    Bool,
    /// `s8`.
    S8,
    /// `u8`.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`.
    S64,
    /// `u64`.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`: a Unicode scalar value.
    Char,
    /// `string`.
    String,
    /// `list<T>`.
    List(Arc<Type>),
    /// `list<T, N>`: exactly `N` elements (the component model's
    /// fixed-length lists; laid out and passed like an `N`-tuple). Its
    /// values are [`Val::List`](crate::Val::List)s of that length.
    FixedList(Arc<Type>, u32),
    /// `map<K, V>`: key–value pairs (the component model's maps; keys are
    /// `bool`, integers, `char` or `string`). Passed like
    /// `list<tuple<K, V>>`; its values are [`Val::Map`](crate::Val::Map)s.
    Map(Arc<(Type, Type)>),
    /// `record { name: T, ... }`: named fields, in order.
    Record(Arc<[(String, Type)]>),
    /// `tuple<T, ...>`.
    Tuple(Arc<[Type]>),
    /// `variant { case(T), case, ... }`: cases with an optional payload.
    Variant(Arc<[(String, Option<Type>)]>),
    /// `enum { case, ... }`.
    Enum(Arc<[String]>),
    /// `option<T>`.
    Option(Arc<Type>),
    /// `result<T, E>`, either side optional.
    Result(Arc<(Option<Type>, Option<Type>)>),
    /// `flags { name, ... }`.
    Flags(Arc<[String]>),
    /// `own<R>`: an owned handle to a resource.
    Own(ResourceType),
    /// `borrow<R>`: a handle lent for the duration of a call.
    Borrow(ResourceType),
}

/// A component function's type: named parameters and an optional result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    pub(crate) params: Arc<[(String, Type)]>,
    pub(crate) result: Option<Type>,
}

impl FuncType {
    /// A function type from its parameters and result.
    pub fn new(params: impl IntoIterator<Item = (String, Type)>, result: Option<Type>) -> Self {
        FuncType {
            params: params.into_iter().collect(),
            result,
        }
    }
    /// The parameters, with their names, in order.
    pub fn params(&self) -> &[(String, Type)] {
        &self.params
    }
    /// The result type, if the function returns one.
    pub fn result(&self) -> Option<&Type> {
        self.result.as_ref()
    }
}

/// The type of a core module in a component: what it may import and what
/// it must export (core types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleType {
    /// The imports it may have: module, name, type.
    pub imports: Vec<(String, String, wasm_run_api::ExternType)>,
    /// The exports it must have.
    pub exports: Vec<(String, wasm_run_api::ExternType)>,
}

/// The type of something a component imports or exports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemType {
    /// A function.
    Func(FuncType),
    /// An instance (a WIT interface): its exports by name.
    Instance(Arc<[(String, ItemType)]>),
    /// A type: a value type (`type x = ...`) or a resource.
    Type(TypeDef),
    /// A core module, with the imports it may have and the exports it must
    /// have.
    Module(Arc<ModuleType>),
    /// A component.
    Component,
    /// A value (the `value` import/export of the component-model's
    /// experimental value feature).
    Value(Type),
}

/// What a type import or export names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypeDef {
    /// A value type.
    Value(Type),
    /// A resource type.
    Resource(ResourceType),
    /// A function type.
    Func(FuncType),
    /// An instance or component type.
    Other,
}

fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    each: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

/// Writes a WIT identifier, with `%` where it is a keyword.
pub(crate) fn ident(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    const KEYWORDS: &[&str] = &[
        "as",
        "async",
        "bool",
        "borrow",
        "char",
        "constructor",
        "enum",
        "export",
        "f32",
        "f64",
        "flags",
        "from",
        "func",
        "future",
        "import",
        "include",
        "interface",
        "list",
        "map",
        "own",
        "option",
        "package",
        "record",
        "resource",
        "result",
        "s16",
        "s32",
        "s64",
        "s8",
        "static",
        "stream",
        "string",
        "tuple",
        "type",
        "u16",
        "u32",
        "u64",
        "u8",
        "use",
        "variant",
        "with",
        "world",
        "enum",
        "error-context",
    ];
    if KEYWORDS.contains(&name) {
        f.write_str("%")?;
    }
    f.write_str(name)
}

/// WIT syntax. Records, variants, enums and flags, which WIT only has as
/// named declarations, print inline (`record { a: u32 }`); a resource prints
/// as its name (`own<r>` as `r`, like WIT), or `resource-N` when unnamed.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let resource = |f: &mut fmt::Formatter<'_>, r: &ResourceType| match &r.name {
            Some(n) => ident(f, n),
            None => write!(f, "resource-{}", r.id),
        };
        match self {
            Type::Bool => f.write_str("bool"),
            Type::S8 => f.write_str("s8"),
            Type::U8 => f.write_str("u8"),
            Type::S16 => f.write_str("s16"),
            Type::U16 => f.write_str("u16"),
            Type::S32 => f.write_str("s32"),
            Type::U32 => f.write_str("u32"),
            Type::S64 => f.write_str("s64"),
            Type::U64 => f.write_str("u64"),
            Type::F32 => f.write_str("f32"),
            Type::F64 => f.write_str("f64"),
            Type::Char => f.write_str("char"),
            Type::String => f.write_str("string"),
            Type::List(t) => write!(f, "list<{t}>"),
            Type::FixedList(t, n) => write!(f, "list<{t}, {n}>"),
            Type::Map(kv) => write!(f, "map<{}, {}>", kv.0, kv.1),
            Type::Option(t) => write!(f, "option<{t}>"),
            Type::Tuple(ts) => {
                f.write_str("tuple<")?;
                list(f, ts, |f, t| write!(f, "{t}"))?;
                f.write_str(">")
            }
            Type::Result(r) => match &**r {
                (None, None) => f.write_str("result"),
                (Some(ok), None) => write!(f, "result<{ok}>"),
                (None, Some(err)) => write!(f, "result<_, {err}>"),
                (Some(ok), Some(err)) => write!(f, "result<{ok}, {err}>"),
            },
            Type::Record(fields) => {
                f.write_str("record { ")?;
                list(f, fields, |f, (n, t)| {
                    ident(f, n)?;
                    write!(f, ": {t}")
                })?;
                f.write_str(" }")
            }
            Type::Variant(cases) => {
                f.write_str("variant { ")?;
                list(f, cases, |f, (n, t)| {
                    ident(f, n)?;
                    match t {
                        Some(t) => write!(f, "({t})"),
                        None => Ok(()),
                    }
                })?;
                f.write_str(" }")
            }
            Type::Enum(cases) => {
                f.write_str("enum { ")?;
                list(f, cases, |f, n| ident(f, n))?;
                f.write_str(" }")
            }
            Type::Flags(names) => {
                f.write_str("flags { ")?;
                list(f, names, |f, n| ident(f, n))?;
                f.write_str(" }")
            }
            Type::Own(r) => resource(f, r),
            Type::Borrow(r) => {
                f.write_str("borrow<")?;
                resource(f, r)?;
                f.write_str(">")
            }
        }
    }
}

/// WIT syntax: `func(a: u32, b: string) -> list<u8>`.
impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("func(")?;
        list(f, &self.params, |f, (n, t)| {
            ident(f, n)?;
            write!(f, ": {t}")
        })?;
        f.write_str(")")?;
        match &self.result {
            Some(t) => write!(f, " -> {t}"),
            None => Ok(()),
        }
    }
}

/// Writes the WIT of one import or export named `name` at `indent`, as an
/// item of a world (`import`/`export` before it) or of an interface.
pub(crate) fn write_item(
    f: &mut fmt::Formatter<'_>,
    indent: usize,
    keyword: Option<&str>,
    name: &str,
    ty: &ItemType,
) -> fmt::Result {
    let pad = "  ".repeat(indent);
    let lead = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
        f.write_str(&pad)?;
        if let Some(k) = keyword {
            write!(f, "{k} ")?;
        }
        Ok(())
    };
    // Interface names (`wasi:cli/stdout@0.2.0`) print as they are; plain
    // names as identifiers.
    let name_of = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
        if name.contains(':') {
            f.write_str(name)
        } else {
            ident(f, name)
        }
    };
    match ty {
        ItemType::Func(func) => {
            lead(f)?;
            name_of(f)?;
            writeln!(f, ": {func};")
        }
        ItemType::Instance(items) => {
            lead(f)?;
            name_of(f)?;
            writeln!(f, ": interface {{")?;
            for (n, t) in items.iter() {
                write_item(f, indent + 1, None, n, t)?;
            }
            writeln!(f, "{pad}}}")
        }
        ItemType::Type(TypeDef::Resource(_)) => {
            f.write_str(&pad)?;
            f.write_str("resource ")?;
            name_of(f)?;
            writeln!(f, ";")
        }
        ItemType::Type(TypeDef::Value(t)) => {
            f.write_str(&pad)?;
            f.write_str("type ")?;
            name_of(f)?;
            writeln!(f, " = {t};")
        }
        ItemType::Type(TypeDef::Func(func)) => {
            f.write_str(&pad)?;
            f.write_str("type ")?;
            name_of(f)?;
            writeln!(f, " = {func};")
        }
        ItemType::Type(TypeDef::Other) => {
            f.write_str(&pad)?;
            f.write_str("/* type */ ")?;
            name_of(f)?;
            writeln!(f, ";")
        }
        ItemType::Module(_) => {
            lead(f)?;
            name_of(f)?;
            writeln!(f, ": /* core module */;")
        }
        ItemType::Component => {
            lead(f)?;
            name_of(f)?;
            writeln!(f, ": /* component */;")
        }
        ItemType::Value(t) => {
            lead(f)?;
            name_of(f)?;
            writeln!(f, ": /* value */ {t};")
        }
    }
}

/// Whether an import of type `ty` needs a definition at run time (a
/// function or a resource somewhere in it).
pub(crate) fn needs_definition(ty: &ItemType) -> bool {
    match ty {
        ItemType::Instance(items) => items.iter().any(|(_, t)| needs_definition(t)),
        ItemType::Type(TypeDef::Resource(_)) => true,
        ItemType::Type(_) => false,
        _ => true,
    }
}
