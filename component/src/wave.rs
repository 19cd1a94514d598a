//! Reading WAVE text, guided by the expected type.

use crate::types::Type;
use crate::val::Val;
use wasm_run_api::{Error, Result};

/// A cursor over WAVE text.
pub(crate) struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader { text, at: 0 }
    }

    fn fail<T>(&self, what: impl std::fmt::Display) -> Result<T> {
        Err(Error::Type(format!(
            "WAVE value, at offset {}: {what}",
            self.at
        )))
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.rest().chars().next()
    }

    /// Consumes `c` (after spaces) if it comes next.
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            self.fail(format_args!("expected `{c}`"))
        }
    }

    /// After the value: only spaces.
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(c) => self.fail(format_args!("unexpected `{c}` after the value")),
        }
    }

    /// A label (`name`, `%name`) or number-like word: the characters up to
    /// a delimiter.
    fn word(&mut self) -> Result<&'a str> {
        self.skip_space();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '%')))
            .unwrap_or(rest.len());
        if len == 0 {
            return self.fail("expected a value");
        }
        self.at += len;
        Ok(&rest[..len])
    }

    fn label(&mut self) -> Result<&'a str> {
        let w = self.word()?;
        Ok(w.strip_prefix('%').unwrap_or(w))
    }

    fn number<T: std::str::FromStr>(&mut self, ty: &Type) -> Result<T> {
        let start = self.at;
        let w = self.word()?;
        w.parse().or_else(|_| {
            self.at = start;
            self.fail(format_args!("`{w}` is not a {ty}"))
        })
    }

    fn float(&mut self, ty: &Type) -> Result<f64> {
        let start = self.at;
        let w = self.word()?;
        match w {
            "nan" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            // Rust accepts these spellings; WAVE does not.
            w if w.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') => {
                self.at = start;
                self.fail(format_args!("`{w}` is not a {ty}"))
            }
            w => w.parse().or_else(|_| {
                self.at = start;
                self.fail(format_args!("`{w}` is not a {ty}"))
            }),
        }
    }

    /// One character of a quoted literal, escapes decoded.
    fn quoted_char(&mut self, quote: char) -> Result<Option<char>> {
        let mut chars = self.rest().chars();
        let Some(c) = chars.next() else {
            return self.fail("unterminated literal");
        };
        if c == quote {
            self.at += 1;
            return Ok(None);
        }
        if c != '\\' {
            self.at += c.len_utf8();
            return Ok(Some(c));
        }
        let Some(e) = chars.next() else {
            return self.fail("unterminated escape");
        };
        self.at += 1 + e.len_utf8();
        Ok(Some(match e {
            '\\' => '\\',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '\'' => '\'',
            '"' => '"',
            'u' => {
                let rest = self.rest();
                let Some(body) = rest.strip_prefix('{').and_then(|r| r.split_once('}')) else {
                    return self.fail("expected `\\u{HEX}`");
                };
                let code = u32::from_str_radix(body.0, 16)
                    .ok()
                    .and_then(char::from_u32);
                match code {
                    Some(c) => {
                        self.at += body.0.len() + 2;
                        c
                    }
                    None => {
                        return self
                            .fail(format_args!("`{}` is not a Unicode scalar value", body.0));
                    }
                }
            }
            other => return self.fail(format_args!("unknown escape `\\{other}`")),
        }))
    }

    fn string(&mut self) -> Result<String> {
        self.expect('"')?;
        let mut s = String::new();
        while let Some(c) = self.quoted_char('"')? {
            s.push(c);
        }
        Ok(s)
    }

    fn char(&mut self) -> Result<char> {
        self.expect('\'')?;
        let Some(c) = self.quoted_char('\'')? else {
            return self.fail("empty char literal");
        };
        if self.quoted_char('\'')?.is_some() {
            return self.fail("more than one character in a char literal");
        }
        Ok(c)
    }

    /// `(value)` if the next character opens one and `ty` has a payload.
    fn payload(&mut self, ty: Option<&Type>, name: &str) -> Result<Option<Box<Val>>> {
        match ty {
            Some(ty) => {
                self.expect('(')?;
                let v = self.value(ty)?;
                self.expect(')')?;
                Ok(Some(Box::new(v)))
            }
            None if self.peek() == Some('(') => self.fail(format_args!("`{name}` has no payload")),
            None => Ok(None),
        }
    }

    /// Items separated by commas (a trailing one allowed) up to `close`.
    fn items(&mut self, close: char, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        loop {
            if self.eat(close) {
                return Ok(());
            }
            item(self)?;
            if !self.eat(',') {
                return self.expect(close);
            }
        }
    }

    /// A value of type `ty`.
    pub(crate) fn value(&mut self, ty: &Type) -> Result<Val> {
        Ok(match ty {
            Type::Bool => match self.word()? {
                "true" => Val::Bool(true),
                "false" => Val::Bool(false),
                w => return self.fail(format_args!("`{w}` is not a bool")),
            },
            Type::S8 => Val::S8(self.number(ty)?),
            Type::U8 => Val::U8(self.number(ty)?),
            Type::S16 => Val::S16(self.number(ty)?),
            Type::U16 => Val::U16(self.number(ty)?),
            Type::S32 => Val::S32(self.number(ty)?),
            Type::U32 => Val::U32(self.number(ty)?),
            Type::S64 => Val::S64(self.number(ty)?),
            Type::U64 => Val::U64(self.number(ty)?),
            Type::F32 => Val::F32(self.float(ty)? as f32),
            Type::F64 => Val::F64(self.float(ty)?),
            Type::Char => Val::Char(self.char()?),
            Type::String => Val::String(self.string()?),
            Type::List(t) => {
                self.expect('[')?;
                let mut items = Vec::new();
                self.items(']', |p| {
                    items.push(p.value(t)?);
                    Ok(())
                })?;
                Val::List(items)
            }
            Type::FixedList(t, n) => {
                let start = self.at;
                let Val::List(items) = self.value(&Type::List(t.clone()))? else {
                    unreachable!("a list type reads a list")
                };
                if items.len() != *n as usize {
                    self.at = start;
                    return self.fail(format_args!("{ty} needs {n} items, not {}", items.len()));
                }
                Val::List(items)
            }
            Type::Map(kv) => {
                self.expect('[')?;
                let mut pairs = Vec::new();
                self.items(']', |p| {
                    p.expect('(')?;
                    let k = p.value(&kv.0)?;
                    p.expect(',')?;
                    let v = p.value(&kv.1)?;
                    p.eat(',');
                    p.expect(')')?;
                    pairs.push((k, v));
                    Ok(())
                })?;
                Val::Map(pairs)
            }
            Type::Tuple(ts) => {
                self.expect('(')?;
                let mut items = Vec::with_capacity(ts.len());
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        self.expect(',')?;
                    }
                    items.push(self.value(t)?);
                }
                self.eat(',');
                self.expect(')')?;
                Val::Tuple(items)
            }
            Type::Record(fields) => {
                self.expect('{')?;
                let mut got: Vec<Option<Val>> = vec![None; fields.len()];
                self.items('}', |p| {
                    let start = p.at;
                    let name = p.label()?;
                    let Some(i) = fields.iter().position(|(n, _)| n == name) else {
                        p.at = start;
                        return p.fail(format_args!("the record has no field `{name}`"));
                    };
                    p.expect(':')?;
                    let v = p.value(&fields[i].1)?;
                    if got[i].replace(v).is_some() {
                        return p.fail(format_args!("field `{name}` given twice"));
                    }
                    Ok(())
                })?;
                let mut out = Vec::with_capacity(fields.len());
                for ((name, t), v) in fields.iter().zip(got) {
                    match (v, t) {
                        (Some(v), _) => out.push((name.clone(), v)),
                        // An option field may be left out: it is `none`.
                        (None, Type::Option(_)) => out.push((name.clone(), Val::Option(None))),
                        (None, _) => return self.fail(format_args!("field `{name}` is missing")),
                    }
                }
                Val::Record(out)
            }
            Type::Variant(cases) => {
                let start = self.at;
                let name = self.label()?;
                let Some((n, t)) = cases.iter().find(|(n, _)| n == name) else {
                    self.at = start;
                    return self.fail(format_args!("`{name}` is not a case of {ty}"));
                };
                Val::Variant(n.clone(), self.payload(t.as_ref(), n)?)
            }
            Type::Enum(cases) => {
                let start = self.at;
                let name = self.label()?;
                match cases.iter().find(|n| *n == name) {
                    Some(n) => Val::Enum(n.clone()),
                    None => {
                        self.at = start;
                        return self.fail(format_args!("`{name}` is not a case of {ty}"));
                    }
                }
            }
            Type::Option(t) => {
                let start = self.at;
                match self.word()? {
                    "none" => Val::Option(None),
                    "some" => Val::Option(self.payload(Some(t), "some")?),
                    w => {
                        self.at = start;
                        return self
                            .fail(format_args!("expected `some(...)` or `none`, found `{w}`"));
                    }
                }
            }
            Type::Result(ts) => {
                let start = self.at;
                match self.word()? {
                    "ok" => Val::Result(Ok(self.payload(ts.0.as_ref(), "ok")?)),
                    "err" => Val::Result(Err(self.payload(ts.1.as_ref(), "err")?)),
                    w => {
                        self.at = start;
                        return self.fail(format_args!("expected `ok` or `err`, found `{w}`"));
                    }
                }
            }
            Type::Flags(all) => {
                self.expect('{')?;
                let mut set = vec![false; all.len()];
                self.items('}', |p| {
                    let start = p.at;
                    let name = p.label()?;
                    match all.iter().position(|n| n == name) {
                        Some(i) => {
                            set[i] = true;
                            Ok(())
                        }
                        None => {
                            p.at = start;
                            p.fail(format_args!("`{name}` is not a flag of {ty}"))
                        }
                    }
                })?;
                Val::Flags(
                    all.iter()
                        .zip(set)
                        .filter(|(_, on)| *on)
                        .map(|(n, _)| n.clone())
                        .collect(),
                )
            }
            Type::Own(_) | Type::Borrow(_) => {
                return self.fail(format_args!("{ty} values have no text form"));
            }
        })
    }
}
