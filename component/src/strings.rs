//! Strings in the canonical ABI: lifting from each encoding (UTF-8,
//! UTF-16, Latin-1+UTF-16 with its UTF-16 tag) and lowering into each with
//! the exact `realloc` sequence the canonical ABI gives for each pair of
//! source and destination encodings (one exact allocation when the size is
//! known; else an optimistic or worst-case one, grown or shrunk).

use crate::abi::{Cx, Encoding, MAX_LENGTH, check_aligned, too_long, trap};
use wasm_run_api::{AsContextMut, Engine, Error, Result, TrapCode, Val as CoreVal};

/// The bit of a Latin-1+UTF-16 string's length that says it is UTF-16.
const UTF16_TAG: u32 = 1 << 31;

impl<E: Engine, S: AsContextMut<E>> Cx<'_, E, S> {
    /// The `units` UTF-16 code units at `base` (aligned by the caller).
    fn utf16_string(&self, base: u32, units: u32) -> Result<String> {
        let bytes = self.bytes(base, units.checked_mul(2).ok_or_else(too_long)?)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).map_err(|_| {
            trap(
                TrapCode::InvalidEncoding,
                "a string that is not valid UTF-16",
            )
        })
    }

    pub(crate) fn lift_string(&mut self, base: u32, len: u32) -> Result<String> {
        match self.opts.encoding {
            Encoding::Utf8 => {
                let bytes = self.bytes(base, len)?;
                String::from_utf8(bytes.to_vec()).map_err(|_| {
                    trap(
                        TrapCode::InvalidEncoding,
                        "a string that is not valid UTF-8",
                    )
                })
            }
            Encoding::Utf16 => {
                check_aligned(base, 2)?;
                self.utf16_string(base, len)
            }
            Encoding::Latin1Utf16 => {
                // Both forms are 2-aligned (CanonicalABI.md,
                // load_string_from_range).
                check_aligned(base, 2)?;
                self.tags.push(len & UTF16_TAG != 0);
                if len & UTF16_TAG != 0 {
                    self.utf16_string(base, len & !UTF16_TAG)
                } else {
                    Ok(self
                        .bytes(base, len)?
                        .iter()
                        .map(|b| char::from(*b))
                        .collect())
                }
            }
        }
    }

    /// Calls the guest's `realloc(old, old_size, align, new_size)`; the
    /// result must be aligned to `align` and `new_size` bytes from it must
    /// be in memory.
    pub(crate) fn realloc(
        &mut self,
        old: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32> {
        let realloc = self.opts.realloc.ok_or_else(|| {
            Error::Engine("the canonical options give no realloc to lower a value with".into())
        })?;
        let mut out = [CoreVal::I32(0)];
        let args = [
            CoreVal::I32(old as i32),
            CoreVal::I32(old_size as i32),
            CoreVal::I32(align as i32),
            CoreVal::I32(new_size as i32),
        ];
        // SAFETY: validation checked that a canonical `realloc` has type
        // `(i32, i32, i32, i32) -> i32`; these are four i32s and one i32.
        unsafe { realloc.call_unchecked(&mut *self.store, &args, &mut out) }?;
        let CoreVal::I32(ptr) = out[0] else {
            return Err(Error::Type("realloc returned a non-i32".into()));
        };
        let ptr = ptr as u32;
        check_aligned(ptr, align)?;
        self.bytes(ptr, new_size)?;
        Ok(ptr)
    }

    /// Lowers a string into the guest's encoding with the canonical ABI's
    /// exact `realloc` sequence for the source encoding (`self.src`): one
    /// allocation when the size is known, else a worst-case one (or an
    /// optimistic one grown to the worst case) shrunk to the exact size.
    pub(crate) fn lower_string(&mut self, s: &str) -> Result<(u32, u32)> {
        let max = MAX_LENGTH as usize;
        let latin1 = |s: &str| s.chars().all(|c| (c as u32) < 256);
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        // The source as the canonical ABI sees it: a simple encoding and
        // its code units.
        #[derive(PartialEq)]
        enum Src {
            Utf8,
            Utf16,
            Latin1,
            /// The UTF-16 side of Latin-1+UTF-16.
            TaggedUtf16,
        }
        let (src, units) = match self.src.encoding {
            Encoding::Utf8 => (Src::Utf8, s.len()),
            Encoding::Utf16 => (Src::Utf16, s.encode_utf16().count()),
            Encoding::Latin1Utf16 => {
                // Its form as the source guest wrote it (a UTF-16 string may
                // hold only Latin-1 characters).
                let tagged = self.src.tags.pop_front().unwrap_or(false) || !latin1(s);
                if tagged {
                    (Src::TaggedUtf16, s.encode_utf16().count())
                } else {
                    (Src::Latin1, s.chars().count())
                }
            }
        };
        if units > max {
            return Err(too_long());
        }
        let units32 = units as u32;
        match (self.opts.encoding, src) {
            // Same code unit size: one allocation of the exact size.
            (Encoding::Utf8, Src::Utf8) => {
                let ptr = self.realloc(0, 0, 1, units32)?;
                self.write(ptr, s.as_bytes())?;
                Ok((ptr, units32))
            }
            (Encoding::Utf16, Src::Utf16 | Src::TaggedUtf16 | Src::Latin1) => {
                if units * 2 > max {
                    return Err(too_long());
                }
                let ptr = self.realloc(0, 0, 2, units32 * 2)?;
                self.write(ptr, &utf16(s))?;
                Ok((ptr, units32))
            }
            (Encoding::Latin1Utf16, Src::Latin1) => {
                let ptr = self.realloc(0, 0, 2, units32)?;
                let bytes: Vec<u8> = s.chars().map(|c| c as u8).collect();
                self.write(ptr, &bytes)?;
                Ok((ptr, units32))
            }
            // To UTF-8: optimistic (one byte a unit) while ASCII, then the
            // worst case, shrunk.
            (Encoding::Utf8, src) => {
                let worst = units * if src == Src::Latin1 { 2 } else { 3 };
                let mut ptr = self.realloc(0, 0, 1, units32)?;
                let ascii = s.bytes().take_while(u8::is_ascii).count();
                self.write(ptr, &s.as_bytes()[..ascii])?;
                if ascii == s.len() {
                    return Ok((ptr, units32));
                }
                if worst > max {
                    return Err(too_long());
                }
                ptr = self.realloc(ptr, units32, 1, worst as u32)?;
                self.write(ptr, s.as_bytes())?;
                if worst > s.len() {
                    ptr = self.realloc(ptr, worst as u32, 1, s.len() as u32)?;
                }
                Ok((ptr, s.len() as u32))
            }
            // UTF-8 to UTF-16: the worst case (two bytes a UTF-8 byte),
            // shrunk.
            (Encoding::Utf16, Src::Utf8) => {
                let worst = units * 2;
                if worst > max {
                    return Err(too_long());
                }
                let mut ptr = self.realloc(0, 0, 2, worst as u32)?;
                let encoded = utf16(s);
                self.write(ptr, &encoded)?;
                if encoded.len() < worst {
                    ptr = self.realloc(ptr, worst as u32, 2, encoded.len() as u32)?;
                }
                Ok((ptr, encoded.len() as u32 / 2))
            }
            // UTF-8 or UTF-16 to Latin-1+UTF-16: optimistic Latin-1 (one
            // byte a unit), inflated to UTF-16 at the first character past
            // it.
            (Encoding::Latin1Utf16, Src::Utf8 | Src::Utf16) => {
                let mut ptr = self.realloc(0, 0, 2, units32)?;
                let prefix: Vec<u8> = s
                    .chars()
                    .take_while(|c| (*c as u32) < 256)
                    .map(|c| c as u8)
                    .collect();
                self.write(ptr, &prefix)?;
                if latin1(s) {
                    let len = prefix.len() as u32;
                    if len < units32 {
                        ptr = self.realloc(ptr, units32, 2, len)?;
                    }
                    return Ok((ptr, len));
                }
                let worst = units * 2;
                if worst > max {
                    return Err(too_long());
                }
                ptr = self.realloc(ptr, units32, 2, worst as u32)?;
                let encoded = utf16(s);
                self.write(ptr, &encoded)?;
                if worst > encoded.len() {
                    ptr = self.realloc(ptr, worst as u32, 2, encoded.len() as u32)?;
                }
                Ok((ptr, (encoded.len() as u32 / 2) | UTF16_TAG))
            }
            // Latin-1+UTF-16's UTF-16 side to Latin-1+UTF-16: UTF-16 first,
            // compacted to Latin-1 when every character fits (the block
            // stays 2-aligned).
            (Encoding::Latin1Utf16, Src::TaggedUtf16) => {
                let bytes = units * 2;
                if bytes > max {
                    return Err(too_long());
                }
                let ptr = self.realloc(0, 0, 2, bytes as u32)?;
                let encoded = utf16(s);
                self.write(ptr, &encoded)?;
                if !latin1(s) {
                    return Ok((ptr, units32 | UTF16_TAG));
                }
                let compact: Vec<u8> = s.chars().map(|c| c as u8).collect();
                self.write(ptr, &compact)?;
                let ptr = self.realloc(ptr, bytes as u32, 2, compact.len() as u32)?;
                Ok((ptr, compact.len() as u32))
            }
        }
    }
}
