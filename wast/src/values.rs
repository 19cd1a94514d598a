//! Expected results of `assert_return`: how they print, and how floats and
//! vectors match (NaN patterns, per-lane comparisons).

use wast::core::{NanPattern, V128Pattern, WastRetCore};
use wast::token::{F32, F64};

/// `Some(description)` when `Val` cannot hold any value matching `r`
/// (shared-everything-threads references).
pub(crate) fn unrepresentable_ret(r: &WastRetCore<'_>) -> Option<String> {
    match r {
        WastRetCore::RefNull(Some(wast::core::HeapType::Abstract { shared: true, .. }))
        | WastRetCore::RefI31Shared => Some(show_ret(r)),
        WastRetCore::Either(alts) => {
            if alts.iter().all(|a| unrepresentable_ret(a).is_some()) {
                Some(show_ret(r))
            } else {
                None
            }
        }
        _ => None,
    }
}

pub(crate) fn show_ret(r: &WastRetCore<'_>) -> String {
    fn nan32(p: &NanPattern<F32>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => format!("{} / {:#010x}", f32::from_bits(v.bits), v.bits),
        }
    }
    fn nan64(p: &NanPattern<F64>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => format!("{} / {:#018x}", f64::from_bits(v.bits), v.bits),
        }
    }
    match r {
        WastRetCore::I32(x) => format!("(i32.const {x})"),
        WastRetCore::I64(x) => format!("(i64.const {x})"),
        WastRetCore::F32(p) => format!("(f32.const {})", nan32(p)),
        WastRetCore::F64(p) => format!("(f64.const {})", nan64(p)),
        WastRetCore::V128(p) => format!("(v128.const {p:?})"),
        WastRetCore::RefNull(None) => "(ref.null)".into(),
        WastRetCore::RefNull(Some(wast::core::HeapType::Abstract { shared, ty })) => {
            format!("(ref.null {}{ty:?})", if *shared { "shared " } else { "" })
        }
        WastRetCore::RefNull(Some(h)) => format!("(ref.null {h:?})"),
        WastRetCore::RefExtern(None) => "(ref.extern)".into(),
        WastRetCore::RefExtern(Some(n)) => format!("(ref.extern {n})"),
        WastRetCore::RefHost(n) => format!("(ref.host {n})"),
        WastRetCore::RefFunc(_) => "(ref.func)".into(),
        WastRetCore::RefAny => "(ref.any)".into(),
        WastRetCore::RefEq => "(ref.eq)".into(),
        WastRetCore::RefArray => "(ref.array)".into(),
        WastRetCore::RefStruct => "(ref.struct)".into(),
        WastRetCore::RefI31 => "(ref.i31)".into(),
        WastRetCore::RefI31Shared => "(ref.i31_shared)".into(),
        WastRetCore::Either(alts) => {
            let alts: Vec<String> = alts.iter().map(show_ret).collect();
            format!("(either {})", alts.join(" "))
        }
    }
}

pub(crate) fn f32_matches(p: &NanPattern<F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

pub(crate) fn f64_matches(p: &NanPattern<F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

pub(crate) fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    let lane = |i: usize, n: usize| &b[i * n..(i + 1) * n];
    match p {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, x)| b[i] as i8 == *x),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i16::from_le_bytes(lane(i, 2).try_into().unwrap_or_default()) == *x),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i32::from_le_bytes(lane(i, 4).try_into().unwrap_or_default()) == *x),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i64::from_le_bytes(lane(i, 8).try_into().unwrap_or_default()) == *x),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, p)| {
            f32_matches(
                p,
                u32::from_le_bytes(lane(i, 4).try_into().unwrap_or_default()),
            )
        }),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, p)| {
            f64_matches(
                p,
                u64::from_le_bytes(lane(i, 8).try_into().unwrap_or_default()),
            )
        }),
    }
}
