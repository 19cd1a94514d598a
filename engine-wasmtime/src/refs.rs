//! The optional proposals' handle operations on wasmtime: GC references
//! (`anyref`, `i31ref`, conversions with `externref`) and exception tags.

use crate::convert::{error, from_func_type};
use crate::{NativeContext, Wasmtime, WasmtimeContext};
use wasm_run_api::backend::{GcRefsBackend, TagsBackend};
use wasm_run_api::{AnyRefKind, Result, TagType};
use wasmtime as wt;

impl<C: NativeContext> GcRefsBackend<Wasmtime> for WasmtimeContext<C> {
    fn anyref_kind(&self, r: &wt::Rooted<wt::AnyRef>) -> AnyRefKind {
        let cx = self.cx();
        if let Ok(Some(v)) = r.as_i31(&cx) {
            AnyRefKind::I31(v.get_u32())
        } else if r.is_struct(&cx).unwrap_or(false) {
            AnyRefKind::Struct
        } else if r.is_array(&cx).unwrap_or(false) {
            AnyRefKind::Array
        } else {
            AnyRefKind::Host
        }
    }
    fn anyref_from_i31(&mut self, value: u32) -> Result<wt::Rooted<wt::AnyRef>> {
        Ok(wt::AnyRef::from_i31(
            self.cx_mut(),
            wt::I31::wrapping_u32(value),
        ))
    }
    fn anyref_from_extern(
        &mut self,
        r: wt::Rooted<wt::ExternRef>,
    ) -> Result<wt::Rooted<wt::AnyRef>> {
        wt::AnyRef::convert_extern(self.cx_mut(), r).map_err(error)
    }
    fn externref_from_any(
        &mut self,
        r: wt::Rooted<wt::AnyRef>,
    ) -> Result<wt::Rooted<wt::ExternRef>> {
        wt::ExternRef::convert_any(self.cx_mut(), r).map_err(error)
    }
}

impl<C: NativeContext> TagsBackend<Wasmtime> for WasmtimeContext<C> {
    fn tag_ty(&self, t: &wt::Tag) -> TagType {
        TagType {
            ty: from_func_type(t.ty(self.cx()).ty()),
        }
    }
}
