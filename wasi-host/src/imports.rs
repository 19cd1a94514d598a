//! The functions of WASI preview 1 and the check of a module's imports
//! against them, so that a module asking for something WASI does not have is
//! refused, by name, before it runs — the same way on every backend.

use crate::error::WasiError;
use wasm_run_api::{Engine, ExternType, FuncType, Module, ValType};

/// Import module name of WASI preview 1.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// Import module names of other WASI versions, refused with a clear error.
const OTHER_VERSIONS: &[&str] = &["wasi_unstable", "wasi"];

/// Every preview 1 function with its signature: `i` = i32, `I` = i64;
/// parameters, then `>` and the result.
const FUNCTIONS: &[(&str, &str)] = &[
    ("args_get", "ii>i"),
    ("args_sizes_get", "ii>i"),
    ("environ_get", "ii>i"),
    ("environ_sizes_get", "ii>i"),
    ("clock_res_get", "ii>i"),
    ("clock_time_get", "iIi>i"),
    ("fd_advise", "iIIi>i"),
    ("fd_allocate", "iII>i"),
    ("fd_close", "i>i"),
    ("fd_datasync", "i>i"),
    ("fd_fdstat_get", "ii>i"),
    ("fd_fdstat_set_flags", "ii>i"),
    ("fd_fdstat_set_rights", "iII>i"),
    ("fd_filestat_get", "ii>i"),
    ("fd_filestat_set_size", "iI>i"),
    ("fd_filestat_set_times", "iIIi>i"),
    ("fd_pread", "iiiIi>i"),
    ("fd_prestat_get", "ii>i"),
    ("fd_prestat_dir_name", "iii>i"),
    ("fd_pwrite", "iiiIi>i"),
    ("fd_read", "iiii>i"),
    ("fd_readdir", "iiiIi>i"),
    ("fd_renumber", "ii>i"),
    ("fd_seek", "iIii>i"),
    ("fd_sync", "i>i"),
    ("fd_tell", "ii>i"),
    ("fd_write", "iiii>i"),
    ("path_create_directory", "iii>i"),
    ("path_filestat_get", "iiiii>i"),
    ("path_filestat_set_times", "iiiiIIi>i"),
    ("path_link", "iiiiiii>i"),
    ("path_open", "iiiiiIIii>i"),
    ("path_readlink", "iiiiii>i"),
    ("path_remove_directory", "iii>i"),
    ("path_rename", "iiiiii>i"),
    ("path_symlink", "iiiii>i"),
    ("path_unlink_file", "iii>i"),
    ("poll_oneoff", "iiii>i"),
    ("proc_exit", "i>"),
    ("proc_raise", "i>i"),
    ("sched_yield", ">i"),
    ("random_get", "ii>i"),
    ("sock_accept", "iii>i"),
    ("sock_recv", "iiiiii>i"),
    ("sock_send", "iiiii>i"),
    ("sock_shutdown", "ii>i"),
];

/// Names of every WASI preview 1 function, in the order of the specification.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|(name, _)| *name)
}

/// The type WASI preview 1 gives the function `name`, if it has one.
pub fn function_type(name: &str) -> Option<FuncType> {
    let (_, sig) = FUNCTIONS.iter().find(|(n, _)| *n == name)?;
    let (params, results) = sig.split_once('>')?;
    let tys = |s: &str| -> Vec<ValType> {
        s.chars()
            .map(|c| if c == 'I' { ValType::I64 } else { ValType::I32 })
            .collect()
    };
    Some(FuncType::new(tys(params), tys(results)))
}

/// Whether `ty` is the type of the WASI function with signature `sig`
/// (`"ii>i"`: `I` for i64, anything else i32), without building it.
fn has_signature(sig: &str, ty: &ExternType) -> bool {
    let ExternType::Func(f) = ty else {
        return false;
    };
    let Some((params, results)) = sig.split_once('>') else {
        return false;
    };
    let same = |s: &str, tys: &[ValType]| {
        s.len() == tys.len()
            && s.chars()
                .zip(tys)
                .all(|(c, t)| *t == if c == 'I' { ValType::I64 } else { ValType::I32 })
    };
    same(params, f.params()) && same(results, f.results())
}

/// Whether the module imports anything from WASI preview 1.
pub fn uses_wasi<E: Engine>(module: &Module<E>) -> bool {
    module.imports().iter().any(|i| i.module == WASI_MODULE)
}

/// Checks a module's WASI imports: every `wasi_snapshot_preview1` import must
/// be a preview 1 function of the right type, other WASI versions are
/// refused, and a module using WASI must export its memory as `memory`.
/// Imports from other modules (the embedder's own) are not looked at.
///
/// # Errors
///
/// - [`WasiError::UnsupportedVersion`] for an import from `wasi_unstable` or
///   `wasi`.
/// - [`WasiError::UnknownImport`] for a `wasi_snapshot_preview1` import that is
///   not a preview 1 function.
/// - [`WasiError::ImportType`] for one that does not have the function's type.
/// - [`WasiError::MissingMemory`] if the module imports from
///   `wasi_snapshot_preview1` but exports no memory named `memory`.
pub fn check_module<E: Engine>(module: &Module<E>) -> Result<(), WasiError> {
    let mut uses = false;
    for import in module.imports() {
        if OTHER_VERSIONS.contains(&import.module.as_str()) {
            return Err(WasiError::UnsupportedVersion {
                module: import.module.clone(),
                name: import.name.clone(),
            });
        }
        if import.module != WASI_MODULE {
            continue;
        }
        uses = true;
        // The common case (a known function of the right type) allocates
        // nothing; the expected type is built only for the error.
        let Some((_, sig)) = FUNCTIONS.iter().find(|(n, _)| *n == import.name) else {
            return Err(WasiError::UnknownImport {
                module: import.module.clone(),
                name: import.name.clone(),
            });
        };
        if !has_signature(sig, &import.ty) {
            let expected = ExternType::Func(
                function_type(&import.name).unwrap_or_else(|| FuncType::new([], [])),
            );
            return Err(WasiError::ImportType {
                module: import.module.clone(),
                name: import.name.clone(),
                expected: Box::new(expected),
                found: Box::new(import.ty.clone()),
            });
        }
    }
    let has_memory = module
        .exports()
        .iter()
        .any(|e| e.name == "memory" && matches!(e.ty, ExternType::Memory(_)));
    if uses && !has_memory {
        return Err(WasiError::MissingMemory);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_well_formed() {
        assert_eq!(FUNCTIONS.len(), 46);
        for name in function_names() {
            assert!(function_type(name).is_some(), "{name}");
        }
        let ty = function_type("path_open").unwrap();
        assert_eq!(ty.params().len(), 9);
        assert_eq!(ty.params()[5], ValType::I64);
        assert_eq!(ty.results(), &[ValType::I32]);
        assert!(function_type("proc_exit").unwrap().results().is_empty());
        assert!(function_type("fd_frobnicate").is_none());
    }

    #[test]
    fn signatures_match_exactly_their_own_types() {
        for &(name, sig) in FUNCTIONS {
            let ty = ExternType::Func(function_type(name).unwrap());
            assert!(has_signature(sig, &ty), "{name}");
            // One parameter more, or an i64 for an i32, does not match.
            let ExternType::Func(f) = &ty else {
                unreachable!()
            };
            let more = FuncType::new(
                f.params().iter().cloned().chain([ValType::I32]),
                f.results().iter().cloned(),
            );
            assert!(!has_signature(sig, &ExternType::Func(more)), "{name} +1");
            if let Some(i) = f.params().iter().position(|t| *t == ValType::I32) {
                let mut ps = f.params().to_vec();
                ps[i] = ValType::I64;
                let widened = FuncType::new(ps, f.results().iter().cloned());
                assert!(
                    !has_signature(sig, &ExternType::Func(widened)),
                    "{name} i64"
                );
            }
        }
        let memory = ExternType::Memory(wasm_run_api::MemoryType::new(1, None));
        assert!(!has_signature("i>i", &memory));
    }
}
