//! Component values ([`Val`]) and their text form, the WAVE format
//! (WebAssembly Value Encoding, as `wasmtime run --invoke` and `wasm-tools`
//! write values): `42`, `"text"`, `[1, 2]`, `{name: "x", size: 3}`,
//! `some(1)`, `ok("done")`, `{read, write}`.

use crate::types::Type;
use std::fmt;

/// A component-model value.
///
/// Equality compares floats by their bits (so a NaN equals the same NaN),
/// which is what comparing two runs needs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Val {
    /// `bool`.
    Bool(bool),
    /// `s8`.
    S8(i8),
    /// `u8`.
    U8(u8),
    /// `s16`.
    S16(i16),
    /// `u16`.
    U16(u16),
    /// `s32`.
    S32(i32),
    /// `u32`.
    U32(u32),
    /// `s64`.
    S64(i64),
    /// `u64`.
    U64(u64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
    /// `char`.
    Char(char),
    /// `string`.
    String(String),
    /// `list<T>`, and `list<T, N>` (a fixed-length list: exactly `N`
    /// items).
    List(Vec<Val>),
    /// `map<K, V>`: key–value pairs, in the order they were given or
    /// lifted (the canonical ABI passes a map as `list<tuple<K, V>>`, and
    /// WAVE writes it so: `[("a", 1), ("b", 2)]`). Duplicate keys are kept
    /// as they come; which one wins is the receiver's choice.
    Map(Vec<(Val, Val)>),
    /// `list<u8>` held as bytes: what lifting a `list<u8>` gives (one copy,
    /// not a value per byte). A `List` of `U8`s is the same value: either
    /// is accepted wherever a `list<u8>` goes, and the two compare equal.
    Bytes(Vec<u8>),
    /// `record`: the fields by name, in the type's order.
    Record(Vec<(String, Val)>),
    /// `tuple`.
    Tuple(Vec<Val>),
    /// `variant`: the case's name and its payload.
    Variant(String, Option<Box<Val>>),
    /// `enum`: the case's name.
    Enum(String),
    /// `option<T>`.
    Option(Option<Box<Val>>),
    /// `result<T, E>`, each side's payload where the type has one.
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// `flags`: the names of the flags that are set, in the type's order.
    Flags(Vec<String>),
    /// `own<R>` or `borrow<R>`: a resource handle.
    Resource(crate::resources::ResourceAny),
}

impl PartialEq for Val {
    fn eq(&self, other: &Self) -> bool {
        use Val::*;
        match (self, other) {
            (F32(a), F32(b)) => a.to_bits() == b.to_bits(),
            (F64(a), F64(b)) => a.to_bits() == b.to_bits(),
            (Bool(a), Bool(b)) => a == b,
            (S8(a), S8(b)) => a == b,
            (U8(a), U8(b)) => a == b,
            (S16(a), S16(b)) => a == b,
            (U16(a), U16(b)) => a == b,
            (S32(a), S32(b)) => a == b,
            (U32(a), U32(b)) => a == b,
            (S64(a), S64(b)) => a == b,
            (U64(a), U64(b)) => a == b,
            (Char(a), Char(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Bytes(a), List(b)) | (List(b), Bytes(a)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| *y == U8(*x))
            }
            (Record(a), Record(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Variant(a, x), Variant(b, y)) => a == b && x == y,
            (Enum(a), Enum(b)) => a == b,
            (Option(a), Option(b)) => a == b,
            (Result(a), Result(b)) => a == b,
            (Flags(a), Flags(b)) => a == b,
            (Resource(a), Resource(b)) => a == b,
            _ => false,
        }
    }
}

/// Labels WAVE reserves: a case or field of one of these names is written
/// with a `%` before it.
const RESERVED: &[&str] = &["true", "false", "some", "none", "ok", "err", "inf", "nan"];

fn label(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if RESERVED.contains(&name) {
        f.write_str("%")?;
    }
    f.write_str(name)
}

fn escaped(f: &mut fmt::Formatter<'_>, c: char, quote: char) -> fmt::Result {
    match c {
        '\\' => f.write_str("\\\\"),
        '\n' => f.write_str("\\n"),
        '\t' => f.write_str("\\t"),
        '\r' => f.write_str("\\r"),
        c if c == quote => write!(f, "\\{c}"),
        c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32),
        c => write!(f, "{c}"),
    }
}

fn float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        f.write_str("nan")
    } else if x.is_infinite() {
        f.write_str(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        write!(f, "{x}")
    }
}

fn seq(f: &mut fmt::Formatter<'_>, items: &[Val]) -> fmt::Result {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{v}")?;
    }
    Ok(())
}

fn payload(f: &mut fmt::Formatter<'_>, name: &str, v: &Option<Box<Val>>) -> fmt::Result {
    label(f, name)?;
    match v {
        Some(v) => write!(f, "({v})"),
        None => Ok(()),
    }
}

/// The WAVE text of the value.
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Bool(b) => write!(f, "{b}"),
            Val::S8(x) => write!(f, "{x}"),
            Val::U8(x) => write!(f, "{x}"),
            Val::S16(x) => write!(f, "{x}"),
            Val::U16(x) => write!(f, "{x}"),
            Val::S32(x) => write!(f, "{x}"),
            Val::U32(x) => write!(f, "{x}"),
            Val::S64(x) => write!(f, "{x}"),
            Val::U64(x) => write!(f, "{x}"),
            Val::F32(x) => {
                if x.is_finite() {
                    // The shortest text that reads back as this f32.
                    write!(f, "{x}")
                } else {
                    float(f, f64::from(*x))
                }
            }
            Val::F64(x) => float(f, *x),
            Val::Char(c) => {
                f.write_str("'")?;
                escaped(f, *c, '\'')?;
                f.write_str("'")
            }
            Val::String(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    escaped(f, c, '"')?;
                }
                f.write_str("\"")
            }
            Val::List(items) => {
                f.write_str("[")?;
                seq(f, items)?;
                f.write_str("]")
            }
            Val::Bytes(bytes) => {
                f.write_str("[")?;
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{b}")?;
                }
                f.write_str("]")
            }
            Val::Tuple(items) => {
                f.write_str("(")?;
                seq(f, items)?;
                f.write_str(")")
            }
            Val::Map(pairs) => {
                f.write_str("[")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "({k}, {v})")?;
                }
                f.write_str("]")
            }
            Val::Record(fields) => {
                f.write_str("{")?;
                for (i, (name, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    label(f, name)?;
                    write!(f, ": {v}")?;
                }
                f.write_str("}")
            }
            Val::Variant(name, v) => payload(f, name, v),
            Val::Enum(name) => label(f, name),
            Val::Option(None) => f.write_str("none"),
            Val::Option(Some(v)) => write!(f, "some({v})"),
            Val::Result(r) => {
                let (word, v) = match r {
                    Ok(v) => ("ok", v),
                    Err(v) => ("err", v),
                };
                f.write_str(word)?;
                match v {
                    Some(v) => write!(f, "({v})"),
                    None => Ok(()),
                }
            }
            // WAVE has no text for resources; this is for people.
            Val::Resource(r) => {
                let name = match (r.ty(), r.host_type()) {
                    (Some(t), _) => t.name().unwrap_or("resource"),
                    (_, Some(h)) => h.name(),
                    _ => "resource",
                };
                write!(
                    f,
                    "<{}{name} #{}>",
                    if r.own { "own " } else { "borrow " },
                    r.rep
                )
            }
            Val::Flags(names) => {
                f.write_str("{")?;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    label(f, name)?;
                }
                f.write_str("}")
            }
        }
    }
}

impl Val {
    /// Whether the value has type `ty`.
    pub fn has_type(&self, ty: &Type) -> bool {
        match (self, ty) {
            (Val::Bool(_), Type::Bool)
            | (Val::S8(_), Type::S8)
            | (Val::U8(_), Type::U8)
            | (Val::S16(_), Type::S16)
            | (Val::U16(_), Type::U16)
            | (Val::S32(_), Type::S32)
            | (Val::U32(_), Type::U32)
            | (Val::S64(_), Type::S64)
            | (Val::U64(_), Type::U64)
            | (Val::F32(_), Type::F32)
            | (Val::F64(_), Type::F64)
            | (Val::Char(_), Type::Char)
            | (Val::String(_), Type::String) => true,
            (Val::List(items), Type::List(t)) => items.iter().all(|v| v.has_type(t)),
            (Val::Bytes(_), Type::List(t)) => matches!(**t, Type::U8),
            (Val::List(items), Type::FixedList(t, n)) => {
                items.len() == *n as usize && items.iter().all(|v| v.has_type(t))
            }
            (Val::Bytes(b), Type::FixedList(t, n)) => {
                b.len() == *n as usize && matches!(**t, Type::U8)
            }
            (Val::Map(pairs), Type::Map(kv)) => pairs
                .iter()
                .all(|(k, v)| k.has_type(&kv.0) && v.has_type(&kv.1)),
            (Val::Tuple(items), Type::Tuple(ts)) => {
                items.len() == ts.len() && items.iter().zip(ts.iter()).all(|(v, t)| v.has_type(t))
            }
            (Val::Record(fields), Type::Record(ts)) => {
                fields.len() == ts.len()
                    && fields
                        .iter()
                        .zip(ts.iter())
                        .all(|((n, v), (m, t))| n == m && v.has_type(t))
            }
            (Val::Variant(name, v), Type::Variant(cases)) => cases
                .iter()
                .any(|(n, t)| n == name && payload_has_type(v, t.as_ref())),
            (Val::Enum(name), Type::Enum(cases)) => cases.iter().any(|n| n == name),
            (Val::Option(v), Type::Option(t)) => v.as_ref().is_none_or(|v| v.has_type(t)),
            (Val::Result(r), Type::Result(ts)) => match r {
                Ok(v) => payload_has_type(v, ts.0.as_ref()),
                Err(v) => payload_has_type(v, ts.1.as_ref()),
            },
            // A host type's match with the component's view of it is
            // checked when the handle is lowered.
            // Which resource type a handle has is decided per instance when
            // it is lowered (resource types are generative, so only an
            // instance knows what its `R` is at run time).
            (Val::Resource(r), Type::Own(_)) => r.own,
            (Val::Resource(_), Type::Borrow(_)) => true,
            (Val::Flags(names), Type::Flags(all)) => {
                // Set flags are named once each, in the type's order.
                let mut at = 0;
                names
                    .iter()
                    .all(|n| match all[at..].iter().position(|m| m == n) {
                        Some(i) => {
                            at += i + 1;
                            true
                        }
                        None => false,
                    })
            }
            _ => false,
        }
    }

    /// Reads a value of type `ty` from its WAVE text.
    ///
    /// # Errors
    ///
    /// [`wasm_run_api::Error::Type`] naming the position and what was
    /// expected, if `text` is not a value of type `ty` in WAVE.
    pub fn parse(ty: &Type, text: &str) -> wasm_run_api::Result<Val> {
        let mut p = crate::wave::Reader::new(text);
        let v = p.value(ty)?;
        p.end()?;
        Ok(v)
    }
}

fn payload_has_type(v: &Option<Box<Val>>, t: Option<&Type>) -> bool {
    match (v, t) {
        (None, None) => true,
        (Some(v), Some(t)) => v.has_type(t),
        _ => false,
    }
}
