//! Host functions: wasm-run's typed and untyped host functions as wasmi
//! host functions (values as typed slots, wasmi's calling convention).

use super::*;

/// Dynamic values as typed slots (wasmi's host calling convention).
pub(crate) struct Vals<'a>(pub(crate) &'a [wasmi::Val]);
pub(crate) struct ValsMut<'a>(pub(crate) &'a mut [wasmi::Val]);

impl SlotsIn for Vals<'_> {
    fn get_i32(&self, i: usize) -> i32 {
        self.0[i].i32().unwrap_or_default()
    }
    fn get_i64(&self, i: usize) -> i64 {
        self.0[i].i64().unwrap_or_default()
    }
    fn get_f32(&self, i: usize) -> u32 {
        self.0[i].f32().map(|f| f.to_bits()).unwrap_or_default()
    }
    fn get_f64(&self, i: usize) -> u64 {
        self.0[i].f64().map(|f| f.to_bits()).unwrap_or_default()
    }
    fn get_v128(&self, i: usize) -> u128 {
        match &self.0[i] {
            wasmi::Val::V128(v) => v.as_u128(),
            _ => 0,
        }
    }
}

impl SlotsOut for ValsMut<'_> {
    fn set_i32(&mut self, i: usize, v: i32) {
        self.0[i] = wasmi::Val::I32(v);
    }
    fn set_i64(&mut self, i: usize, v: i64) {
        self.0[i] = wasmi::Val::I64(v);
    }
    fn set_f32(&mut self, i: usize, v: u32) {
        self.0[i] = wasmi::Val::F32(wasmi::F32::from_bits(v));
    }
    fn set_f64(&mut self, i: usize, v: u64) {
        self.0[i] = wasmi::Val::F64(wasmi::F64::from_bits(v));
    }
    fn set_v128(&mut self, i: usize, v: u128) {
        self.0[i] = wasmi::Val::V128(wasmi::V128::from(v));
    }
}

pub(crate) fn zeros(n: usize) -> ValBuf<wasmi::Val> {
    smallvec::smallvec![wasmi::Val::I32(0); n]
}

/// A host function in wasmi's own calling convention.
pub(crate) trait NativeHost<T>:
    Fn(
        wasmi::Caller<'_, StoreData<T>>,
        &[wasmi::Val],
        &mut [wasmi::Val],
    ) -> Result<(), wasmi::Error>
    + Send
    + Sync
    + 'static
{
}

impl<T, F> NativeHost<T> for F where
    F: Fn(
            wasmi::Caller<'_, StoreData<T>>,
            &[wasmi::Val],
            &mut [wasmi::Val],
        ) -> Result<(), wasmi::Error>
        + Send
        + Sync
        + 'static
{
}

pub(crate) fn untyped_host<T: 'static, F: UntypedHostFunc<Wasmi, T> + Clone>(
    ty: FuncType,
    f: F,
) -> impl NativeHost<T> + Clone {
    move |caller, params, results| {
        let id = caller.data().store_id();
        refs::check_native(&caller, params).map_err(host_error)?;
        let caller = Caller::from_backend(WasmiContext(NativeCaller::owned(caller)));
        call_untyped(
            &f,
            caller,
            &ty,
            params,
            results,
            |v| Ok(from_val(v, id)),
            |v| Ok(val(v)),
        )
        .map_err(host_error)
    }
}

/// A typed host function in the shape [`typed::wrap`] takes.
pub(crate) fn typed_host<T: 'static, P: WasmTyList, R: WasmTyList, F: HostFunc<Wasmi, T, P, R>>(
    f: F,
) -> impl Fn(wasmi::Caller<'_, StoreData<T>>, P) -> Result<R, wasmi::Error> + Send + Sync + 'static
{
    move |caller, args| {
        f.invoke(
            Caller::from_backend(WasmiContext(NativeCaller::owned(caller))),
            args,
        )
        .map_err(host_error)
    }
}
