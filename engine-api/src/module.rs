//! Compiled modules: from binary or text, from files, and picked among
//! variants by what the engine supports.

use crate::Engine;
use crate::error::{Error, Result};
use crate::feature::Feature;
use crate::info::{ModuleInfo, to_binary};
use crate::types::{ExportType, ImportType};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A compiled module, with its imports and exports described.
pub struct Module<E: Engine> {
    native: E::Module,
    info: Arc<ModuleInfo>,
    /// The binary, for [`Module::serialize`].
    wasm: Arc<[u8]>,
    engine: E,
}

/// An export of a module found once by name ([`Module::export_key`]), to
/// take it from each instance of that module without looking the name up
/// again ([`crate::Instance::get_export_by_key`]): what code that makes many
/// instances of one module and wires their exports (a component model)
/// saves per export. On wasmtime the key holds wasmtime's `ModuleExport`;
/// other backends look the name up. Given an instance of another module,
/// the key looks its name up there.
pub struct ExportKey {
    pub(crate) name: Box<str>,
    pub(crate) info: Arc<ModuleInfo>,
    pub(crate) native: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl ExportKey {
    /// The export's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Debug for ExportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportKey")
            .field("name", &self.name)
            .field("native", &self.native.is_some())
            .finish()
    }
}

impl<E: Engine> Clone for Module<E> {
    fn clone(&self) -> Self {
        Module {
            native: self.native.clone(),
            info: self.info.clone(),
            wasm: self.wasm.clone(),
            engine: self.engine.clone(),
        }
    }
}

impl<E: Engine> std::fmt::Debug for Module<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.info.name)
            .finish_non_exhaustive()
    }
}

impl<E: Engine> Module<E> {
    /// Compiles a module from binary or WAT text (detected by the `\0asm`
    /// magic).
    ///
    /// # Errors
    ///
    /// - [`Error::Compile`] if `bytes` are neither a binary module nor valid WAT, or
    ///   the module is malformed or invalid (with the byte offset of the problem
    ///   where wasm-run's own validator finds one). If the module needs a proposal
    ///   that is only disabled in the engine's [`Config`](crate::Config), the message
    ///   names it.
    /// - [`Error::Unsupported`] if the module needs a proposal the backend cannot
    ///   do at all (a component included).
    pub fn new(engine: &E, bytes: impl AsRef<[u8]>) -> Result<Self> {
        // An engine that panics on a module (wasmi 2.0's translator does on
        // some; see docs/RELIABILITY.md) gives an error, not an unwind.
        crate::host::guard(|| Self::new_unguarded(engine, bytes.as_ref()))
    }

    fn new_unguarded(engine: &E, bytes: &[u8]) -> Result<Self> {
        let wasm = to_binary(bytes)?;
        // The engine validates first: a malformed module gets the engine's
        // message rather than the reflection parser's.
        let native = engine
            .compile(&wasm)
            .map_err(|e| explain(engine, &wasm, e))?;
        let info = ModuleInfo::parse_for(&wasm, engine.features())?;
        Ok(Module::from_parts(
            engine,
            native,
            Arc::new(info),
            Arc::from(&*wasm),
        ))
    }

    pub(crate) fn from_parts(
        engine: &E,
        native: E::Module,
        info: Arc<ModuleInfo>,
        wasm: Arc<[u8]>,
    ) -> Self {
        Module {
            native,
            info,
            wasm,
            engine: engine.clone(),
        }
    }

    /// The module's binary.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The engine that compiled it.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// Reads and compiles a `.wasm` or `.wat` file. With a module cache in
    /// the engine's config ([`Config::module_cache`](crate::Config::module_cache)),
    /// a module compiled before comes from the cache instead (see
    /// [`ModuleCache`](crate::ModuleCache)).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read; otherwise the errors of
    /// [`Module::new`]. Problems of the cache are never errors.
    pub fn from_file(engine: &E, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        match engine.config().module_cache_dir() {
            Some(dir) => crate::ModuleCache::new(dir)
                .load(engine, &bytes)
                .map(|(m, _)| m),
            None => Self::new(engine, bytes),
        }
    }

    /// Validates a module (binary or WAT) without compiling it.
    ///
    /// # Errors
    ///
    /// As [`Module::new`]: [`Error::Compile`] for bad text or an invalid module,
    /// [`Error::Unsupported`] for a proposal the backend cannot do at all.
    pub fn validate(engine: &E, bytes: impl AsRef<[u8]>) -> Result<()> {
        crate::host::guard(|| Self::validate_unguarded(engine, bytes.as_ref()))
    }

    fn validate_unguarded(engine: &E, bytes: &[u8]) -> Result<()> {
        let wasm = to_binary(bytes)?;
        engine
            .validate(&wasm)
            .map_err(|e| explain(engine, &wasm, e))?;
        // `Module::new` reads the module's declarations after compiling it;
        // reading them here too keeps the two verdicts the same where an
        // engine's validator is laxer than its own compiler's parser
        // (wasmtime 48 validates a compact import section that its compiler
        // then rejects), with the engine's features, as its parser has.
        ModuleInfo::parse_for(&wasm, engine.features()).map(|_| ())
    }

    /// The module name from the `name` section.
    pub fn name(&self) -> Option<&str> {
        self.info.name.as_deref()
    }

    /// Imports, in order, with their types.
    pub fn imports(&self) -> &[ImportType] {
        &self.info.imports
    }

    /// Exports, in order, with their types.
    pub fn exports(&self) -> &[ExportType] {
        &self.info.exports
    }

    /// The export `name`, found once (see [`ExportKey`]); `None` when the
    /// module has no such export.
    pub fn export_key(&self, name: &str) -> Option<ExportKey> {
        if !self.info.exports.iter().any(|e| e.name == name) {
            return None;
        }
        Some(ExportKey {
            name: name.into(),
            info: self.info.clone(),
            native: self.engine.module_export_key(&self.native, name),
        })
    }

    /// Everything the module declares.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    pub(crate) fn info_arc(&self) -> Arc<ModuleInfo> {
        self.info.clone()
    }

    /// The backend module (escape hatch).
    pub fn as_native(&self) -> &E::Module {
        &self.native
    }
}

/// Turns a compile error caused by a proposal the engine lacks into a typed
/// answer: [`Error::Unsupported`] when the backend cannot do it at all, or a
/// compile error that names the feature to enable when it is only switched off.
fn explain<E: Engine>(engine: &E, wasm: &[u8], err: Error) -> Error {
    let Error::Compile { message, offset } = err else {
        return err;
    };
    // The engines give messages, not offsets; our own validator finds where.
    let offset = offset.or_else(|| crate::info::invalid_offset(wasm, engine.features()));
    let needed = crate::info::missing_features(wasm, engine.features());
    let lacking = needed
        .iter()
        .copied()
        .find(|f| !engine.support(*f).is_supported());
    match (lacking, needed.first()) {
        (Some(feature), _) => Error::Unsupported {
            feature,
            engine: engine.name(),
        },
        (None, Some(feature)) => Error::Compile {
            message: format!(
                "{message} (the module needs `{feature}`, which is disabled in the Config)"
            ),
            offset,
        },
        (None, None) => Error::Compile { message, offset },
    }
}

/// One build of a module and the features it needs, for [`ModuleVariants`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Where the module is.
    pub path: PathBuf,
    /// What the engine must have enabled to run it.
    pub requires: Vec<Feature>,
}

/// Several builds of one program (e.g. baseline, SIMD, threads), best first.
/// [`ModuleVariants::load`] compiles the first one the engine supports — the
/// way the original wasm_run chose among its file URIs.
///
/// ```no_run
/// # fn demo<E: wasm_run_api::Engine>(engine: &E) -> wasm_run_api::Result<()> {
/// use wasm_run_api::{Feature, ModuleVariants};
/// let module = ModuleVariants::new()
///     .variant("app.threads.wasm", [Feature::Threads, Feature::Simd])
///     .variant("app.simd.wasm", [Feature::Simd])
///     .variant("app.wasm", [])
///     .load(engine)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleVariants {
    variants: Vec<Variant>,
}

impl ModuleVariants {
    /// No variants yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a variant; earlier ones are preferred.
    pub fn variant(
        mut self,
        path: impl Into<PathBuf>,
        requires: impl IntoIterator<Item = Feature>,
    ) -> Self {
        self.variants.push(Variant {
            path: path.into(),
            requires: requires.into_iter().collect(),
        });
        self
    }

    /// The first variant whose required features are all enabled on `engine`.
    pub fn select<E: Engine>(&self, engine: &E) -> Option<&Variant> {
        let have = engine.features();
        self.variants
            .iter()
            .find(|v| v.requires.iter().all(|f| have.contains(*f)))
    }

    /// Compiles the selected variant. If none fits, the error names the first
    /// missing feature of the last (most basic) variant.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`] if no variant fits: for the first feature of the
    ///   last variant that `engine` has not enabled.
    /// - [`Error::Engine`] if no variants were given.
    /// - The errors of [`Module::from_file`] for the selected variant.
    pub fn load<E: Engine>(&self, engine: &E) -> Result<Module<E>> {
        match self.select(engine) {
            Some(v) => Module::from_file(engine, &v.path),
            None => {
                let have = engine.features();
                let feature = self
                    .variants
                    .last()
                    .and_then(|v| v.requires.iter().copied().find(|f| !have.contains(*f)));
                match feature {
                    Some(feature) => Err(Error::Unsupported {
                        feature,
                        engine: engine.name(),
                    }),
                    None => Err(Error::Engine("no module variants given".into())),
                }
            }
        }
    }
}
