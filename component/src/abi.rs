//! The canonical ABI: how component values are laid out in linear memory
//! and flattened into core values, and lifting/lowering them, written once
//! over wasm-run's core API (any backend).
//!
//! Follows the component model's `CanonicalABI.md` (synchronous parts;
//! floats cross bit for bit, NaN payloads included, as the current spec
//! allows and wasmtime's own component model does):
//! sizes and alignments, flattening with joined variant payloads, the
//! 16-parameter / 1-result limits, `realloc` for lowering into a guest, and
//! the traps of lifting (bad pointers, alignment, `char`, discriminants,
//! encodings). Layouts are computed once per type and cached by the caller.

use crate::resources::{Handle, Kind, Owner, ResourceAny, Resources};
use crate::types::{ResourceType, Type};
use crate::val::Val;
use wasm_run_api::{
    AsContextMut, Engine, Error, Func, Memory, Result, TrapCode, Val as CoreVal, ValType,
};

/// Most core parameters a call passes directly; more go through memory.
pub(crate) const MAX_FLAT_PARAMS: usize = 16;
/// Most core results a call returns directly; more go through memory.
pub(crate) const MAX_FLAT_RESULTS: usize = 1;
/// The longest string (in bytes) or list (in elements × size) we lower.
pub(crate) const MAX_LENGTH: u64 = (1 << 31) - 1;

/// A trap of the canonical ABI.
pub(crate) fn trap(code: TrapCode, message: impl Into<String>) -> Error {
    Error::trap(code, message)
}

fn align_to(x: u32, align: u32) -> u32 {
    x.div_ceil(align) * align
}

/// Size and alignment in linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub size: u32,
    pub align: u32,
}

/// The discriminant's size (1, 2 or 4 bytes) for `cases` cases.
fn discriminant_size(cases: usize) -> u32 {
    match cases {
        0..=256 => 1,
        257..=65536 => 2,
        _ => 4,
    }
}

fn flags_size(n: usize) -> Layout {
    match n {
        0 => Layout { size: 0, align: 1 },
        1..=8 => Layout { size: 1, align: 1 },
        9..=16 => Layout { size: 2, align: 2 },
        _ => Layout {
            size: 4 * (n as u32).div_ceil(32),
            align: 4,
        },
    }
}

/// The cases of a variant-like type (variant, option, result, enum) as
/// optional payload types.
fn cases(ty: &Type) -> Option<Vec<Option<&Type>>> {
    Some(match ty {
        Type::Variant(cases) => cases.iter().map(|(_, t)| t.as_ref()).collect(),
        Type::Enum(names) => names.iter().map(|_| None).collect(),
        Type::Option(t) => vec![None, Some(&**t)],
        Type::Result(r) => vec![r.0.as_ref(), r.1.as_ref()],
        _ => return None,
    })
}

/// Layout of a record or tuple's fields: their offsets and the whole.
fn fields_layout<'a>(fields: impl Iterator<Item = &'a Type>) -> (Vec<u32>, Layout) {
    let mut offsets = Vec::new();
    let (mut size, mut align) = (0, 1);
    for t in fields {
        let l = layout(t);
        size = align_to(size, l.align);
        offsets.push(size);
        size += l.size;
        align = align.max(l.align);
    }
    (
        offsets,
        Layout {
            size: align_to(size, align),
            align,
        },
    )
}

/// Size and alignment of `ty` in linear memory.
pub(crate) fn layout(ty: &Type) -> Layout {
    let l = |size, align| Layout { size, align };
    match ty {
        Type::Bool | Type::S8 | Type::U8 => l(1, 1),
        Type::S16 | Type::U16 => l(2, 2),
        Type::S32 | Type::U32 | Type::F32 | Type::Char | Type::Own(_) | Type::Borrow(_) => l(4, 4),
        Type::S64 | Type::U64 | Type::F64 => l(8, 8),
        Type::String | Type::List(_) | Type::Map(_) => l(8, 4),
        Type::FixedList(t, n) => {
            let e = layout(t);
            l(e.size.saturating_mul(*n), e.align)
        }
        Type::Record(fields) => fields_layout(fields.iter().map(|(_, t)| t)).1,
        Type::Tuple(items) => fields_layout(items.iter()).1,
        Type::Flags(names) => flags_size(names.len()),
        _ => {
            let cases = cases(ty).unwrap_or_default();
            let disc = discriminant_size(cases.len());
            let (payload_size, payload_align) = payload_layout(&cases);
            let align = disc.max(payload_align);
            let offset = align_to(disc, payload_align);
            l(align_to(offset + payload_size, align), align)
        }
    }
}

fn payload_layout(cases: &[Option<&Type>]) -> (u32, u32) {
    cases.iter().flatten().fold((0, 1), |(s, a), t| {
        let l = layout(t);
        (s.max(l.size), a.max(l.align))
    })
}

/// Where a variant's payload starts.
fn payload_offset(cases: &[Option<&Type>]) -> u32 {
    align_to(discriminant_size(cases.len()), payload_layout(cases).1)
}

/// The join of two flat types (for variant payloads sharing slots).
fn join(a: ValType, b: ValType) -> ValType {
    if a == b {
        a
    } else if matches!(
        (a, b),
        (ValType::I32, ValType::F32) | (ValType::F32, ValType::I32)
    ) {
        ValType::I32
    } else {
        ValType::I64
    }
}

/// Appends the flat core types of `ty` to `out`.
pub(crate) fn flatten(ty: &Type, out: &mut Vec<ValType>) {
    match ty {
        Type::Bool
        | Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::Char
        | Type::Own(_)
        | Type::Borrow(_) => out.push(ValType::I32),
        Type::S64 | Type::U64 => out.push(ValType::I64),
        Type::F32 => out.push(ValType::F32),
        Type::F64 => out.push(ValType::F64),
        Type::String | Type::List(_) | Type::Map(_) => out.extend([ValType::I32, ValType::I32]),
        Type::FixedList(t, n) => {
            let mut one = Vec::new();
            flatten(t, &mut one);
            // Every type flattens to at least one value, so more copies than
            // the parameter limit already mean "passed through memory"; the
            // rest are never read (a list may have 2^28 elements).
            for _ in 0..(*n as usize).min(MAX_FLAT_PARAMS + 1) {
                out.extend_from_slice(&one);
            }
        }
        Type::Record(fields) => fields.iter().for_each(|(_, t)| flatten(t, out)),
        Type::Tuple(items) => items.iter().for_each(|t| flatten(t, out)),
        Type::Flags(names) => {
            out.extend(std::iter::repeat_n(ValType::I32, names.len().div_ceil(32)))
        }
        _ => {
            let cases = cases(ty).unwrap_or_default();
            out.push(ValType::I32);
            let mut joined: Vec<ValType> = Vec::new();
            for t in cases.iter().flatten() {
                let mut flat = Vec::new();
                flatten(t, &mut flat);
                for (i, f) in flat.into_iter().enumerate() {
                    match joined.get_mut(i) {
                        Some(j) => *j = join(*j, f),
                        None => joined.push(f),
                    }
                }
            }
            out.extend(joined);
        }
    }
}

/// The flat core types of `ty`.
pub(crate) fn flat(ty: &Type) -> Vec<ValType> {
    let mut out = Vec::new();
    flatten(ty, &mut out);
    out
}

/// Flat core values, inline up to the flat-parameter limit.
pub(crate) type Flats<E> = smallvec::SmallVec<[CoreVal<E>; MAX_FLAT_PARAMS]>;

/// How strings are encoded in a guest's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
    Latin1Utf16,
}

/// A guest's canonical options: its memory and `realloc`, and its string
/// encoding; and its instance's resources.
#[derive(Clone)]
pub(crate) struct Options<E: Engine> {
    pub memory: Option<Memory<E>>,
    pub realloc: Option<Func<E>>,
    pub encoding: Encoding,
    pub resources: Option<std::sync::Arc<Resources<E>>>,
}

/// Lifting and lowering against one guest, in one store.
pub(crate) struct Cx<'a, E: Engine, S: AsContextMut<E>> {
    pub store: &'a mut S,
    pub opts: &'a Options<E>,
    /// Borrow handles lent to the guest during this call.
    pub lent: Vec<u32>,
    /// The guest's owned handles it lent (as borrows) to this call.
    pub lenders: Vec<u32>,
    /// Where the strings being lowered come from (the canonical ABI's
    /// `realloc` sequence depends on it).
    pub src: Source,
    /// For a Latin-1+UTF-16 guest, whether each string lifted from it, in
    /// order, was in its UTF-16 form.
    pub tags: Vec<bool>,
}

/// The source of the strings a lowering writes: the host's (UTF-8), or
/// another guest's encoding with the UTF-16 tags of its Latin-1+UTF-16
/// strings in order (lifting and lowering walk values in the same order).
pub(crate) struct Source {
    pub encoding: Encoding,
    pub tags: std::collections::VecDeque<bool>,
}

impl Source {
    /// The host's strings.
    pub fn host() -> Self {
        Source {
            encoding: Encoding::Utf8,
            tags: Default::default(),
        }
    }
}

impl<E: Engine, S: AsContextMut<E>> Cx<'_, E, S> {
    fn resources(&self) -> Result<&Resources<E>> {
        self.opts
            .resources
            .as_deref()
            .ok_or_else(|| crate::plan::not_yet("resources here"))
    }

    /// A handle the guest gives (`own`: moved out of its table; `borrow`:
    /// looked up) as the host's value.
    fn lift_handle(&mut self, ty: &Type, index: u32) -> Result<Val> {
        let res = self.resources()?;
        let (rt, own) = match ty {
            Type::Own(rt) => (rt, true),
            Type::Borrow(rt) => (rt, false),
            _ => unreachable!("only handles are lifted here"),
        };
        let entry = res.entry(rt.id)?;
        let key = entry.kind.key();
        let h = if own {
            let h = res.table().remove(index, key)?;
            if !h.own {
                return Err(trap(
                    TrapCode::InvalidHandle,
                    format!("handle {index} is borrowed, not owned"),
                ));
            }
            h
        } else {
            let h = res.table().lend(index, key)?;
            if h.own {
                self.lenders.push(index);
            }
            h
        };
        // The type as this function names it, when the instance defines it
        // (the definition was read before the name that exports it).
        let kind = match entry.kind {
            Kind::Guest { ty, instance } if ty.id == rt.id => Kind::Guest {
                ty: rt.clone(),
                instance,
            },
            kind => kind,
        };
        Ok(Val::Resource(ResourceAny::new(kind, h.rep, own)))
    }

    /// The host's resource value as a handle for the guest: an owned one is
    /// added to the guest's table; a borrowed one of a type the guest
    /// defines is passed as its representation (as the spec does for the
    /// implementing instance), one of a host type as a borrow handle the
    /// guest must drop before the call returns.
    fn lower_handle(&mut self, ty: &Type, val: &Val) -> Result<u32> {
        let (rt, own): (&ResourceType, bool) = match ty {
            Type::Own(rt) => (rt, true),
            Type::Borrow(rt) => (rt, false),
            _ => unreachable!("only handles are lowered here"),
        };
        let Val::Resource(r) = val else {
            return Err(mismatch(ty, val));
        };
        let res = self
            .opts
            .resources
            .clone()
            .ok_or_else(|| crate::plan::not_yet("resources here"))?;
        let entry = res.entry(rt.id)?;
        if r.kind != entry.kind {
            return Err(Error::Type(format!(
                "a resource of another type or instance where {ty} is expected"
            )));
        }
        if own && !r.own {
            return Err(Error::Type(format!(
                "a borrowed resource where {ty} is expected"
            )));
        }
        if own {
            r.take()?;
        }
        match (own, entry.owner) {
            (false, Owner::Defined(_)) => Ok(r.rep),
            (own, _) => {
                let index = res.table().add(Handle {
                    ty: entry.kind.key(),
                    rep: r.rep,
                    own,
                    lends: 0,
                })?;
                if !own {
                    self.lent.push(index);
                }
                Ok(index)
            }
        }
    }

    /// After a call: the borrow handles lent to the guest must all have
    /// been dropped (the spec's rule); any left is removed and the call
    /// traps.
    pub(crate) fn end_borrows(&mut self) -> Result<()> {
        if self.lent.is_empty() {
            return Ok(());
        }
        let lent = std::mem::take(&mut self.lent);
        let res = self.resources()?;
        let mut left = 0;
        for index in lent {
            if res.table().remove_borrow(index) {
                left += 1;
            }
        }
        if left > 0 {
            return Err(trap(
                TrapCode::InvalidHandle,
                format!("{left} borrowed handle(s) outlived the call"),
            ));
        }
        Ok(())
    }

    fn memory(&self) -> Result<Memory<E>> {
        self.opts.memory.ok_or_else(|| {
            Error::Engine("the canonical options give no memory for a value that needs one".into())
        })
    }

    /// The guest memory's bytes `ptr..ptr + len`, bounds checked.
    pub(crate) fn bytes(&self, ptr: u32, len: u32) -> Result<&[u8]> {
        let mem = self.memory()?.data(&*self.store);
        let end = u64::from(ptr) + u64::from(len);
        if end > mem.len() as u64 {
            return Err(trap(
                TrapCode::MemoryOutOfBounds,
                format!("{len} bytes at {ptr:#x} are outside the guest's memory"),
            ));
        }
        Ok(&mem[ptr as usize..end as usize])
    }

    fn bytes_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8]> {
        let memory = self.memory()?;
        let mem = memory.data_mut(&mut *self.store);
        let end = u64::from(ptr) + u64::from(len);
        if end > mem.len() as u64 {
            return Err(trap(
                TrapCode::MemoryOutOfBounds,
                format!("{len} bytes at {ptr:#x} are outside the guest's memory"),
            ));
        }
        Ok(&mut mem[ptr as usize..end as usize])
    }

    fn read<const N: usize>(&self, ptr: u32) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(ptr, N as u32)?);
        Ok(out)
    }

    pub(crate) fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<()> {
        self.bytes_mut(ptr, bytes.len() as u32)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Calls the guest's `realloc(0, 0, align, size)`; the pointer must be
    /// aligned and the block inside memory.
    pub(crate) fn alloc(&mut self, align: u32, size: u32) -> Result<u32> {
        self.realloc(0, 0, align, size)
    }

    // ---- lifting from memory ----------------------------------------------

    /// Reads a value of type `ty` at `ptr` (which must be aligned).
    pub(crate) fn load(&mut self, ty: &Type, ptr: u32) -> Result<Val> {
        Ok(match ty {
            Type::Bool => Val::Bool(self.read::<1>(ptr)?[0] != 0),
            Type::S8 => Val::S8(self.read::<1>(ptr)?[0] as i8),
            Type::U8 => Val::U8(self.read::<1>(ptr)?[0]),
            Type::S16 => Val::S16(i16::from_le_bytes(self.read(ptr)?)),
            Type::U16 => Val::U16(u16::from_le_bytes(self.read(ptr)?)),
            Type::S32 => Val::S32(i32::from_le_bytes(self.read(ptr)?)),
            Type::U32 => Val::U32(u32::from_le_bytes(self.read(ptr)?)),
            Type::S64 => Val::S64(i64::from_le_bytes(self.read(ptr)?)),
            Type::U64 => Val::U64(u64::from_le_bytes(self.read(ptr)?)),
            Type::F32 => Val::F32(f32::from_le_bytes(self.read(ptr)?)),
            Type::F64 => Val::F64(f64::from_le_bytes(self.read(ptr)?)),
            Type::Char => Val::Char(char_of(u32::from_le_bytes(self.read(ptr)?))?),
            Type::Own(_) | Type::Borrow(_) => {
                let index = u32::from_le_bytes(self.read(ptr)?);
                self.lift_handle(ty, index)?
            }
            Type::String | Type::List(_) | Type::Map(_) => {
                let base = u32::from_le_bytes(self.read(ptr)?);
                let len = u32::from_le_bytes(self.read(ptr + 4)?);
                self.lift_sequence(ty, base, len)?
            }
            Type::FixedList(t, n) if matches!(**t, Type::U8) => {
                Val::Bytes(self.bytes(ptr, *n)?.to_vec())
            }
            Type::FixedList(t, n) => {
                let size = layout(t).size;
                let mut out = Vec::with_capacity(*n as usize);
                for i in 0..*n {
                    out.push(self.load(t, ptr + i * size)?);
                }
                Val::List(out)
            }
            Type::Record(fields) => {
                let (offsets, _) = fields_layout(fields.iter().map(|(_, t)| t));
                let mut out = Vec::with_capacity(fields.len());
                for ((name, t), off) in fields.iter().zip(offsets) {
                    out.push((name.clone(), self.load(t, ptr + off)?));
                }
                Val::Record(out)
            }
            Type::Tuple(items) => {
                let (offsets, _) = fields_layout(items.iter());
                let mut out = Vec::with_capacity(items.len());
                for (t, off) in items.iter().zip(offsets) {
                    out.push(self.load(t, ptr + off)?);
                }
                Val::Tuple(out)
            }
            Type::Flags(names) => {
                let l = flags_size(names.len());
                let mut words = Vec::new();
                match l.size {
                    0 => {}
                    1 => words.push(u32::from(self.read::<1>(ptr)?[0])),
                    2 => words.push(u32::from(u16::from_le_bytes(self.read(ptr)?))),
                    n => {
                        for i in 0..n / 4 {
                            words.push(u32::from_le_bytes(self.read(ptr + 4 * i)?));
                        }
                    }
                }
                flags_of(names, &words)
            }
            _ => {
                let cases = cases(ty).unwrap_or_default();
                let disc = match discriminant_size(cases.len()) {
                    1 => u32::from(self.read::<1>(ptr)?[0]),
                    2 => u32::from(u16::from_le_bytes(self.read(ptr)?)),
                    _ => u32::from_le_bytes(self.read(ptr)?),
                };
                let case = checked_case(disc, cases.len(), ty)?;
                let payload = match cases[case] {
                    Some(t) => Some(Box::new(self.load(t, ptr + payload_offset(&cases))?)),
                    None => None,
                };
                variant_val(ty, case, payload)
            }
        })
    }

    /// The bytes of `len` elements of layout `l` at `base`: aligned, and in
    /// bounds as a whole (checked before any element is read).
    fn elements(&mut self, base: u32, len: u32, l: Layout) -> Result<&[u8]> {
        check_aligned(base, l.align)?;
        let total = u64::from(len) * u64::from(l.size);
        if total > u64::from(u32::MAX) {
            return Err(trap(
                TrapCode::MemoryOutOfBounds,
                "a sequence larger than memory",
            ));
        }
        self.bytes(base, total as u32)
    }

    /// A string, list or map whose elements are at `base` (`len` code units
    /// or elements).
    fn lift_sequence(&mut self, ty: &Type, base: u32, len: u32) -> Result<Val> {
        match ty {
            Type::String => Ok(Val::String(self.lift_string(base, len)?)),
            Type::List(elem) => {
                let l = layout(elem);
                let bytes = self.elements(base, len, l)?;
                if matches!(**elem, Type::U8) {
                    return Ok(Val::Bytes(bytes.to_vec()));
                }
                let mut out = Vec::with_capacity(len as usize);
                for i in 0..len {
                    out.push(self.load(elem, base + i * l.size)?);
                }
                Ok(Val::List(out))
            }
            Type::Map(kv) => {
                let (offsets, l) = fields_layout([&kv.0, &kv.1].into_iter());
                self.elements(base, len, l)?;
                let mut out = Vec::with_capacity(len as usize);
                for i in 0..len {
                    let at = base + i * l.size;
                    let k = self.load(&kv.0, at + offsets[0])?;
                    out.push((k, self.load(&kv.1, at + offsets[1])?));
                }
                Ok(Val::Map(out))
            }
            _ => unreachable!("only strings, lists and maps are sequences"),
        }
    }

    // ---- lowering into memory ---------------------------------------------

    /// Writes `val` of type `ty` at `ptr` (aligned, as `alloc` gives).
    pub(crate) fn store(&mut self, ty: &Type, val: &Val, ptr: u32) -> Result<()> {
        match (ty, val) {
            (Type::Bool, Val::Bool(b)) => self.write(ptr, &[u8::from(*b)]),
            (Type::S8, Val::S8(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::U8, Val::U8(x)) => self.write(ptr, &[*x]),
            (Type::S16, Val::S16(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::U16, Val::U16(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::S32, Val::S32(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::U32, Val::U32(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::S64, Val::S64(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::U64, Val::U64(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::F32, Val::F32(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::F64, Val::F64(x)) => self.write(ptr, &x.to_le_bytes()),
            (Type::Char, Val::Char(c)) => self.write(ptr, &(*c as u32).to_le_bytes()),
            (Type::Own(_) | Type::Borrow(_), _) => {
                let handle = self.lower_handle(ty, val)?;
                self.write(ptr, &handle.to_le_bytes())
            }
            (Type::String | Type::List(_) | Type::Map(_), _) => {
                let (base, len) = self.lower_sequence(ty, val)?;
                self.write(ptr, &base.to_le_bytes())?;
                self.write(ptr + 4, &len.to_le_bytes())
            }
            (Type::FixedList(t, n), Val::List(items)) if items.len() == *n as usize => {
                let size = layout(t).size;
                for (i, v) in items.iter().enumerate() {
                    self.store(t, v, ptr + i as u32 * size)?;
                }
                Ok(())
            }
            (Type::FixedList(t, n), Val::Bytes(bytes))
                if matches!(**t, Type::U8) && bytes.len() == *n as usize =>
            {
                self.write(ptr, bytes)
            }
            (Type::Record(fields), Val::Record(vals)) => {
                let (offsets, _) = fields_layout(fields.iter().map(|(_, t)| t));
                for (((_, t), (_, v)), off) in fields.iter().zip(vals).zip(offsets) {
                    self.store(t, v, ptr + off)?;
                }
                Ok(())
            }
            (Type::Tuple(items), Val::Tuple(vals)) => {
                let (offsets, _) = fields_layout(items.iter());
                for ((t, v), off) in items.iter().zip(vals).zip(offsets) {
                    self.store(t, v, ptr + off)?;
                }
                Ok(())
            }
            (Type::Flags(names), Val::Flags(set)) => {
                let words = flag_words(names, set);
                match flags_size(names.len()).size {
                    0 => Ok(()),
                    1 => self.write(ptr, &[words[0] as u8]),
                    2 => self.write(ptr, &(words[0] as u16).to_le_bytes()),
                    _ => {
                        for (i, w) in words.iter().enumerate() {
                            self.write(ptr + 4 * i as u32, &w.to_le_bytes())?;
                        }
                        Ok(())
                    }
                }
            }
            _ => {
                let (case, payload) = case_of(ty, val)?;
                let cases = cases(ty).unwrap_or_default();
                match discriminant_size(cases.len()) {
                    1 => self.write(ptr, &[case as u8])?,
                    2 => self.write(ptr, &(case as u16).to_le_bytes())?,
                    _ => self.write(ptr, &(case as u32).to_le_bytes())?,
                }
                match (cases[case], payload) {
                    (Some(t), Some(v)) => self.store(t, v, ptr + payload_offset(&cases)),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Fresh guest memory for `count` elements of layout `l` (the lowering
    /// side of [`Cx::elements`]): at most `MAX_LENGTH` bytes, aligned.
    fn alloc_elements(&mut self, count: usize, l: Layout) -> Result<u32> {
        let total = count as u64 * u64::from(l.size);
        if total > MAX_LENGTH {
            return Err(too_long());
        }
        self.alloc(l.align, total as u32)
    }

    /// Lowers a string, list or map into fresh guest memory: its base and
    /// length (code units or elements).
    fn lower_sequence(&mut self, ty: &Type, val: &Val) -> Result<(u32, u32)> {
        match (ty, val) {
            (Type::String, Val::String(s)) => self.lower_string(s),
            (Type::List(elem), Val::Bytes(bytes)) if matches!(**elem, Type::U8) => {
                let base = self.alloc_elements(bytes.len(), layout(elem))?;
                self.write(base, bytes)?;
                Ok((base, bytes.len() as u32))
            }
            (Type::List(elem), Val::List(items)) => {
                let l = layout(elem);
                let base = self.alloc_elements(items.len(), l)?;
                if matches!(**elem, Type::U8) {
                    // One copy for the whole list.
                    let bytes: Vec<u8> = items
                        .iter()
                        .map(|v| match v {
                            Val::U8(b) => Ok(*b),
                            _ => Err(mismatch(elem, v)),
                        })
                        .collect::<Result<_>>()?;
                    self.write(base, &bytes)?;
                } else {
                    for (i, v) in items.iter().enumerate() {
                        self.store(elem, v, base + i as u32 * l.size)?;
                    }
                }
                Ok((base, items.len() as u32))
            }
            (Type::Map(kv), Val::Map(pairs)) => {
                let (offsets, l) = fields_layout([&kv.0, &kv.1].into_iter());
                let base = self.alloc_elements(pairs.len(), l)?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let at = base + i as u32 * l.size;
                    self.store(&kv.0, k, at + offsets[0])?;
                    self.store(&kv.1, v, at + offsets[1])?;
                }
                Ok((base, pairs.len() as u32))
            }
            _ => Err(mismatch(ty, val)),
        }
    }

    // ---- flat values --------------------------------------------------------

    /// Lowers `val` of type `ty` into flat core values appended to `out`.
    pub(crate) fn lower_flat(&mut self, ty: &Type, val: &Val, out: &mut Flats<E>) -> Result<()> {
        let i32v = |x: i32| CoreVal::I32(x);
        match (ty, val) {
            (Type::Bool, Val::Bool(b)) => out.push(i32v(i32::from(*b))),
            (Type::S8, Val::S8(x)) => out.push(i32v(i32::from(*x))),
            (Type::U8, Val::U8(x)) => out.push(i32v(i32::from(*x))),
            (Type::S16, Val::S16(x)) => out.push(i32v(i32::from(*x))),
            (Type::U16, Val::U16(x)) => out.push(i32v(i32::from(*x))),
            (Type::S32, Val::S32(x)) => out.push(i32v(*x)),
            (Type::U32, Val::U32(x)) => out.push(i32v(*x as i32)),
            (Type::S64, Val::S64(x)) => out.push(CoreVal::I64(*x)),
            (Type::U64, Val::U64(x)) => out.push(CoreVal::I64(*x as i64)),
            (Type::F32, Val::F32(x)) => out.push(CoreVal::F32(x.to_bits())),
            (Type::F64, Val::F64(x)) => out.push(CoreVal::F64(x.to_bits())),
            (Type::Char, Val::Char(c)) => out.push(i32v(*c as i32)),
            (Type::Own(_) | Type::Borrow(_), _) => {
                let handle = self.lower_handle(ty, val)?;
                out.push(i32v(handle as i32));
            }
            (Type::String | Type::List(_) | Type::Map(_), _) => {
                let (base, len) = self.lower_sequence(ty, val)?;
                out.extend([i32v(base as i32), i32v(len as i32)]);
            }
            (Type::FixedList(t, n), Val::List(items)) if items.len() == *n as usize => {
                for v in items {
                    self.lower_flat(t, v, out)?;
                }
            }
            (Type::FixedList(t, n), Val::Bytes(bytes))
                if matches!(**t, Type::U8) && bytes.len() == *n as usize =>
            {
                out.extend(bytes.iter().map(|b| i32v(i32::from(*b))));
            }
            (Type::Record(fields), Val::Record(vals)) if fields.len() == vals.len() => {
                for ((_, t), (_, v)) in fields.iter().zip(vals) {
                    self.lower_flat(t, v, out)?;
                }
            }
            (Type::Tuple(items), Val::Tuple(vals)) if items.len() == vals.len() => {
                for (t, v) in items.iter().zip(vals) {
                    self.lower_flat(t, v, out)?;
                }
            }
            (Type::Flags(names), Val::Flags(set)) => {
                out.extend(flag_words(names, set).into_iter().map(|w| i32v(w as i32)));
            }
            _ => {
                let (case, payload) = case_of(ty, val)?;
                let all = flat(ty);
                out.push(i32v(case as i32));
                let start = out.len();
                if let (Some(t), Some(v)) = (cases(ty).unwrap_or_default()[case], payload) {
                    let mut own = Flats::new();
                    self.lower_flat(t, v, &mut own)?;
                    for (v, want) in own.into_iter().zip(&all[1..]) {
                        out.push(coerce_up(v, *want));
                    }
                }
                // The slots other cases use are zeros of the joined types.
                for want in &all[1 + (out.len() - start)..] {
                    out.push(zero(*want));
                }
            }
        }
        Ok(())
    }

    /// Lifts a value of type `ty` from flat core values.
    pub(crate) fn lift_flat(&mut self, ty: &Type, vals: &mut Flat<'_, E>) -> Result<Val> {
        Ok(match ty {
            Type::Bool => Val::Bool(vals.i32()? != 0),
            Type::S8 => Val::S8(vals.i32()? as i8),
            Type::U8 => Val::U8(vals.i32()? as u8),
            Type::S16 => Val::S16(vals.i32()? as i16),
            Type::U16 => Val::U16(vals.i32()? as u16),
            Type::S32 => Val::S32(vals.i32()?),
            Type::U32 => Val::U32(vals.i32()? as u32),
            Type::S64 => Val::S64(vals.i64()?),
            Type::U64 => Val::U64(vals.i64()? as u64),
            Type::F32 => Val::F32(f32::from_bits(vals.f32()?)),
            Type::F64 => Val::F64(f64::from_bits(vals.f64()?)),
            Type::Char => Val::Char(char_of(vals.i32()? as u32)?),
            Type::Own(_) | Type::Borrow(_) => {
                let index = vals.i32()? as u32;
                self.lift_handle(ty, index)?
            }
            Type::String | Type::List(_) | Type::Map(_) => {
                let base = vals.i32()? as u32;
                let len = vals.i32()? as u32;
                self.lift_sequence(ty, base, len)?
            }
            Type::FixedList(t, n) if matches!(**t, Type::U8) => {
                let mut bytes = Vec::with_capacity(*n as usize);
                for _ in 0..*n {
                    bytes.push(vals.i32()? as u8);
                }
                Val::Bytes(bytes)
            }
            Type::FixedList(t, n) => {
                let mut out = Vec::with_capacity(*n as usize);
                for _ in 0..*n {
                    out.push(self.lift_flat(t, vals)?);
                }
                Val::List(out)
            }
            Type::Record(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (name, t) in fields.iter() {
                    out.push((name.clone(), self.lift_flat(t, vals)?));
                }
                Val::Record(out)
            }
            Type::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                for t in items.iter() {
                    out.push(self.lift_flat(t, vals)?);
                }
                Val::Tuple(out)
            }
            Type::Flags(names) => {
                let mut words = Vec::new();
                for _ in 0..names.len().div_ceil(32) {
                    words.push(vals.i32()? as u32);
                }
                flags_of(names, &words)
            }
            _ => {
                let all = flat(ty);
                let cases = cases(ty).unwrap_or_default();
                let case = checked_case(vals.i32()? as u32, cases.len(), ty)?;
                // The joined slots, read once; the case's own types are taken
                // from them.
                let mut joined = Vec::with_capacity(all.len() - 1);
                for want in &all[1..] {
                    joined.push(vals.next(*want)?);
                }
                let payload = match cases[case] {
                    Some(t) => {
                        let own = flat(t);
                        let coerced: Vec<CoreVal<E>> = joined
                            .iter()
                            .zip(&own)
                            .map(|(v, want)| coerce_down(*v, *want))
                            .collect();
                        let mut inner = Flat::new(&coerced);
                        Some(Box::new(self.lift_flat(t, &mut inner)?))
                    }
                    None => None,
                };
                variant_val(ty, case, payload)
            }
        })
    }
}

/// Flat core values being lifted, in order.
pub(crate) struct Flat<'v, E: Engine> {
    vals: &'v [CoreVal<E>],
    at: usize,
}

impl<'v, E: Engine> Flat<'v, E> {
    pub(crate) fn new(vals: &'v [CoreVal<E>]) -> Self {
        Flat { vals, at: 0 }
    }

    fn next(&mut self, want: ValType) -> Result<CoreVal<E>> {
        let v = self
            .vals
            .get(self.at)
            .copied()
            .ok_or_else(|| Error::Type("fewer core values than the type flattens to".into()))?;
        self.at += 1;
        let ok = matches!(
            (want, v),
            (ValType::I32, CoreVal::I32(_))
                | (ValType::I64, CoreVal::I64(_))
                | (ValType::F32, CoreVal::F32(_))
                | (ValType::F64, CoreVal::F64(_))
        );
        if !ok {
            return Err(Error::Type(format!(
                "a core value of the wrong type for {want}"
            )));
        }
        Ok(v)
    }
    fn i32(&mut self) -> Result<i32> {
        match self.next(ValType::I32)? {
            CoreVal::I32(x) => Ok(x),
            _ => unreachable!("checked by next"),
        }
    }
    fn i64(&mut self) -> Result<i64> {
        match self.next(ValType::I64)? {
            CoreVal::I64(x) => Ok(x),
            _ => unreachable!("checked by next"),
        }
    }
    fn f32(&mut self) -> Result<u32> {
        match self.next(ValType::F32)? {
            CoreVal::F32(x) => Ok(x),
            _ => unreachable!("checked by next"),
        }
    }
    fn f64(&mut self) -> Result<u64> {
        match self.next(ValType::F64)? {
            CoreVal::F64(x) => Ok(x),
            _ => unreachable!("checked by next"),
        }
    }
}

/// A case's own flat value widened to the joined slot type.
fn coerce_up<E: Engine>(v: CoreVal<E>, want: ValType) -> CoreVal<E> {
    match (v, want) {
        (CoreVal::F32(bits), ValType::I32) => CoreVal::I32(bits as i32),
        (CoreVal::I32(x), ValType::I64) => CoreVal::I64(i64::from(x as u32)),
        (CoreVal::F32(bits), ValType::I64) => CoreVal::I64(i64::from(bits)),
        (CoreVal::F64(bits), ValType::I64) => CoreVal::I64(bits as i64),
        (v, _) => v,
    }
}

/// A joined slot narrowed to the case's own flat type.
fn coerce_down<E: Engine>(v: CoreVal<E>, want: ValType) -> CoreVal<E> {
    match (v, want) {
        (CoreVal::I32(x), ValType::F32) => CoreVal::F32(x as u32),
        (CoreVal::I64(x), ValType::I32) => CoreVal::I32(x as i32),
        (CoreVal::I64(x), ValType::F32) => CoreVal::F32(x as u32),
        (CoreVal::I64(x), ValType::F64) => CoreVal::F64(x as u64),
        (v, _) => v,
    }
}

fn zero<E: Engine>(t: ValType) -> CoreVal<E> {
    match t {
        ValType::I64 => CoreVal::I64(0),
        ValType::F32 => CoreVal::F32(0),
        ValType::F64 => CoreVal::F64(0),
        _ => CoreVal::I32(0),
    }
}

pub(crate) fn check_aligned(ptr: u32, align: u32) -> Result<()> {
    if !ptr.is_multiple_of(align) {
        return Err(trap(
            TrapCode::UnalignedPointer,
            format!("pointer {ptr:#x} is not aligned to {align}"),
        ));
    }
    Ok(())
}

pub(crate) fn too_long() -> Error {
    trap(
        TrapCode::MemoryOutOfBounds,
        "a string or list too long for the canonical ABI",
    )
}

fn mismatch(ty: &Type, val: &Val) -> Error {
    Error::Type(format!("expected a {ty}, got {val}"))
}

fn char_of(code: u32) -> Result<char> {
    char::from_u32(code).ok_or_else(|| {
        trap(
            TrapCode::InvalidChar,
            format!("{code:#x} is not a Unicode scalar value"),
        )
    })
}

fn checked_case(disc: u32, n: usize, ty: &Type) -> Result<usize> {
    if (disc as usize) < n {
        Ok(disc as usize)
    } else {
        Err(trap(
            TrapCode::InvalidDiscriminant,
            format!("discriminant {disc} is out of range for {ty}"),
        ))
    }
}

fn flags_of(names: &[String], words: &[u32]) -> Val {
    Val::Flags(
        names
            .iter()
            .enumerate()
            .filter(|(i, _)| words.get(i / 32).is_some_and(|w| w & (1 << (i % 32)) != 0))
            .map(|(_, n)| n.clone())
            .collect(),
    )
}

fn flag_words(names: &[String], set: &[String]) -> Vec<u32> {
    let mut words = vec![0u32; names.len().div_ceil(32).max(1)];
    for (i, n) in names.iter().enumerate() {
        if set.contains(n) {
            words[i / 32] |= 1 << (i % 32);
        }
    }
    words.truncate(names.len().div_ceil(32));
    words
}

/// The value of case `case` of the variant-like `ty`.
fn variant_val(ty: &Type, case: usize, payload: Option<Box<Val>>) -> Val {
    match ty {
        Type::Variant(cases) => Val::Variant(cases[case].0.clone(), payload),
        Type::Enum(names) => Val::Enum(names[case].clone()),
        Type::Option(_) => Val::Option(if case == 0 { None } else { payload }),
        Type::Result(_) => Val::Result(if case == 0 { Ok(payload) } else { Err(payload) }),
        _ => unreachable!("variant_val of a non-variant type"),
    }
}

/// The case index and payload of `val`, a value of the variant-like `ty`.
fn case_of<'v>(ty: &Type, val: &'v Val) -> Result<(usize, Option<&'v Val>)> {
    let found = match (ty, val) {
        (Type::Variant(cases), Val::Variant(name, v)) => cases
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| (i, v.as_deref())),
        (Type::Enum(names), Val::Enum(name)) => {
            names.iter().position(|n| n == name).map(|i| (i, None))
        }
        (Type::Option(_), Val::Option(None)) => Some((0, None)),
        (Type::Option(_), Val::Option(Some(v))) => Some((1, Some(&**v))),
        (Type::Result(_), Val::Result(Ok(v))) => Some((0, v.as_deref())),
        (Type::Result(_), Val::Result(Err(v))) => Some((1, v.as_deref())),
        _ => None,
    };
    found.ok_or_else(|| mismatch(ty, val))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn rec(fields: &[(&str, Type)]) -> Type {
        Type::Record(
            fields
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect(),
        )
    }

    #[test]
    fn layouts_follow_the_spec() {
        let l = |ty: &Type| (layout(ty).size, layout(ty).align);
        assert_eq!(l(&Type::U8), (1, 1));
        assert_eq!(l(&Type::String), (8, 4));
        assert_eq!(
            l(&rec(&[("a", Type::U8), ("b", Type::U32), ("c", Type::U8)])),
            (12, 4)
        );
        assert_eq!(l(&rec(&[("a", Type::U8), ("b", Type::U64)])), (16, 8));
        assert_eq!(l(&Type::Option(Arc::new(Type::U8))), (2, 1));
        assert_eq!(l(&Type::Option(Arc::new(Type::U64))), (16, 8));
        assert_eq!(l(&Type::Result(Arc::new((None, None)))), (1, 1));
        assert_eq!(
            l(&Type::Result(Arc::new((
                Some(Type::String),
                Some(Type::U8)
            )))),
            (12, 4)
        );
        let names = |n: usize| Type::Flags((0..n).map(|i| format!("f{i}")).collect());
        assert_eq!(l(&names(0)), (0, 1));
        assert_eq!(l(&names(8)), (1, 1));
        assert_eq!(l(&names(9)), (2, 2));
        assert_eq!(l(&names(33)), (8, 4));
        let big = Type::Enum((0..300).map(|i| format!("e{i}")).collect());
        assert_eq!(l(&big), (2, 2));
    }

    #[test]
    fn flattening_joins_variant_payloads() {
        use ValType::*;
        assert_eq!(flat(&Type::String), [I32, I32]);
        assert_eq!(flat(&Type::Option(Arc::new(Type::F32))), [I32, F32]);
        let v = Type::Variant(
            vec![
                ("a".into(), Some(Type::F32)),
                ("b".into(), Some(Type::U32)),
                ("c".into(), Some(Type::F64)),
                ("d".into(), None),
            ]
            .into(),
        );
        assert_eq!(flat(&v), [I32, I64]);
        let w = Type::Variant(
            vec![("a".into(), Some(Type::F32)), ("b".into(), Some(Type::U32))].into(),
        );
        assert_eq!(flat(&w), [I32, I32]);
        let flags = Type::Flags((0..40).map(|i| format!("f{i}")).collect());
        assert_eq!(flat(&flags), [I32, I32]);
    }
}
