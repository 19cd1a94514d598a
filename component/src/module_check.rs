//! Checking a core module the host gives for a component's module import
//! against the module type the component declares.

use wasm_run_api::{Engine, Error, LinkError, Result};

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
        if !have.ty.matches(ty) {
            return Err(bad(format!(
                "export `{export}` has the wrong type: expected {} {ty}, found {} {}",
                ty.kind(),
                have.ty.kind(),
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
        if !given.2.matches(&import.ty) {
            return Err(bad(format!(
                "module import `{}::{}` has the wrong type: expected {}, found {}",
                import.module, import.name, import.ty, given.2
            )));
        }
    }
    Ok(())
}
