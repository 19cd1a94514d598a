//! Checking a core module the host gives for a component's module import
//! against the module type the component declares.

use wasm_run_api::{Engine, Error, LinkError, Result};

/// Whether a core item of type `have` can stand where `want` is expected
/// (memories and tables by their limits, everything else exactly).
fn extern_fits(have: &wasm_run_api::ExternType, want: &wasm_run_api::ExternType) -> bool {
    use wasm_run_api::ExternType as X;
    let limits = |hmin: u64, hmax: Option<u64>, wmin: u64, wmax: Option<u64>| {
        hmin >= wmin && wmax.is_none_or(|w| hmax.is_some_and(|h| h <= w))
    };
    match (have, want) {
        (X::Memory(h), X::Memory(w)) => {
            h.shared == w.shared
                && h.memory64 == w.memory64
                && h.page_size_log2 == w.page_size_log2
                && limits(h.minimum, h.maximum, w.minimum, w.maximum)
        }
        (X::Table(h), X::Table(w)) => {
            h.element == w.element
                && h.table64 == w.table64
                && limits(h.minimum, h.maximum, w.minimum, w.maximum)
        }
        (h, w) => h == w,
    }
}

fn kind(t: &wasm_run_api::ExternType) -> &'static str {
    match t {
        wasm_run_api::ExternType::Func(_) => "func",
        wasm_run_api::ExternType::Table(_) => "table",
        wasm_run_api::ExternType::Memory(_) => "memory",
        wasm_run_api::ExternType::Global(_) => "global",
        wasm_run_api::ExternType::Tag(_) => "tag",
    }
}

/// Checks that the core module `m` given for import `name` has the type
/// the component expects: every export it must have, with a fitting type,
/// and no import the component does not provide (or of another type).
pub(crate) fn check_module<E: Engine>(
    name: &str,
    want: &crate::types::ModuleType,
    m: &wasm_run_api::Module<E>,
) -> Result<()> {
    let bad = |why: String| -> Error {
        LinkError::Other(format!("the core module given for `{name}`: {why}")).into()
    };
    for (export, ty) in &want.exports {
        let have = m
            .exports()
            .iter()
            .find(|e| &e.name == export)
            .ok_or_else(|| bad(format!("module export `{export}` not defined")))?;
        if !extern_fits(&have.ty, ty) {
            return Err(bad(format!(
                "export `{export}` has the wrong type: expected {} {ty}, found {} {}",
                kind(ty),
                kind(&have.ty),
                have.ty
            )));
        }
    }
    for import in m.imports() {
        let given = want
            .imports
            .iter()
            .find(|(mm, n, _)| *mm == import.module && *n == import.name)
            .ok_or_else(|| {
                bad(format!(
                    "module import `{}::{}` not defined",
                    import.module, import.name
                ))
            })?;
        if !extern_fits(&given.2, &import.ty) {
            return Err(bad(format!(
                "module import `{}::{}` has the wrong type: expected {}, found {}",
                import.module, import.name, import.ty, given.2
            )));
        }
    }
    Ok(())
}
