//! Raw value slots of wasmtime's array calling convention: typed calls and
//! typed host functions read and write them through `SlotsIn`/`SlotsOut`,
//! unchecked calls and numeric host functions number by number.

use crate::Wasmtime;
use std::mem::MaybeUninit;
use wasm_run_api::backend::{SlotsIn, SlotsOut};
use wasm_run_api::{V128, Val, ValType};
use wasmtime as wt;

/// Raw value slots of wasmtime's array calling convention.
pub(crate) struct Raw<'a>(pub(crate) &'a mut [MaybeUninit<wt::ValRaw>]);

impl SlotsIn for Raw<'_> {
    #[inline(always)]
    fn get_i32(&self, i: usize) -> i32 {
        // SAFETY: wasmtime initialises every parameter slot, and calls
        // (typed and unchecked) write every result slot before it is read.
        unsafe { self.0[i].assume_init_ref().get_i32() }
    }
    #[inline(always)]
    fn get_i64(&self, i: usize) -> i64 {
        // SAFETY: as for `get_i32`.
        unsafe { self.0[i].assume_init_ref().get_i64() }
    }
    #[inline(always)]
    fn get_f32(&self, i: usize) -> u32 {
        // SAFETY: as for `get_i32`.
        unsafe { self.0[i].assume_init_ref().get_f32() }
    }
    #[inline(always)]
    fn get_f64(&self, i: usize) -> u64 {
        // SAFETY: as for `get_i32`.
        unsafe { self.0[i].assume_init_ref().get_f64() }
    }
    #[inline(always)]
    fn get_v128(&self, i: usize) -> u128 {
        // SAFETY: as for `get_i32`.
        unsafe { self.0[i].assume_init_ref().get_v128() }
    }
}

impl SlotsOut for Raw<'_> {
    #[inline(always)]
    fn set_i32(&mut self, i: usize, v: i32) {
        self.0[i] = MaybeUninit::new(wt::ValRaw::i32(v));
    }
    #[inline(always)]
    fn set_i64(&mut self, i: usize, v: i64) {
        self.0[i] = MaybeUninit::new(wt::ValRaw::i64(v));
    }
    #[inline(always)]
    fn set_f32(&mut self, i: usize, v: u32) {
        self.0[i] = MaybeUninit::new(wt::ValRaw::f32(v));
    }
    #[inline(always)]
    fn set_f64(&mut self, i: usize, v: u64) {
        self.0[i] = MaybeUninit::new(wt::ValRaw::f64(v));
    }
    #[inline(always)]
    fn set_v128(&mut self, i: usize, v: u128) {
        self.0[i] = MaybeUninit::new(wt::ValRaw::v128(v));
    }
}

impl Raw<'_> {
    /// Writes the number `v` to slot `i`; false (nothing written) for a
    /// reference.
    #[inline]
    pub(crate) fn put(&mut self, i: usize, v: &Val<Wasmtime>) -> bool {
        match *v {
            Val::I32(x) => self.set_i32(i, x),
            Val::I64(x) => self.set_i64(i, x),
            Val::F32(x) => self.set_f32(i, x),
            Val::F64(x) => self.set_f64(i, x),
            Val::V128(x) => self.set_v128(i, x.0),
            _ => return false,
        }
        true
    }

    /// The number of type `t` in slot `i` (a written slot; `t` a number
    /// type).
    #[inline]
    pub(crate) fn take(&self, i: usize, t: &ValType) -> Val<Wasmtime> {
        match t {
            ValType::I32 => Val::I32(self.get_i32(i)),
            ValType::I64 => Val::I64(self.get_i64(i)),
            ValType::F32 => Val::F32(self.get_f32(i)),
            ValType::F64 => Val::F64(self.get_f64(i)),
            _ => Val::V128(V128(self.get_v128(i))),
        }
    }
}
