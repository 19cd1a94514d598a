//! Keeping compiled modules: [`Module::serialize`] / [`Module::deserialize`]
//! in a checked envelope, and the on-disk [`ModuleCache`].
//!
//! The envelope (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 16 | magic `wasm-run-module\0` |
//! | 4 | format version (1) |
//! | 32 | SHA-256 of the engine fingerprint (wasm-run and engine versions, target, configuration) |
//! | 8 + n | the module's wasm bytes (for its reflection data) |
//! | 8 + m | the engine's serialised module |
//! | 32 | SHA-256 of everything above |
//!
//! Bytes from another wasm-run or engine version, another configuration or
//! machine, truncated or corrupted bytes and random bytes are refused with
//! [`Error::Deserialize`] before the engine sees them.

use crate::Engine;
use crate::error::{Error, Result};
use crate::info::{ModuleInfo, to_binary};
use crate::module::Module;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: &[u8; 16] = b"wasm-run-module\0";
const FORMAT: u32 = 1;

/// What identifies compatible compiled code: wasm-run's and the engine's
/// versions, the target, and the configuration (less the cache directory).
fn fingerprint<E: Engine>(engine: &E) -> [u8; 32] {
    let mut config = engine.config().clone();
    config.module_cache(None::<PathBuf>);
    let text = format!(
        "wasm-run {} | {} {} | {} {} | {:?} | {:?}",
        env!("CARGO_PKG_VERSION"),
        engine.name(),
        engine.version(),
        std::env::consts::ARCH,
        std::env::consts::OS,
        engine.features(),
        config,
    );
    Sha256::digest(text.as_bytes()).into()
}

fn bad(why: impl Into<String>) -> Error {
    Error::Deserialize(why.into())
}

/// Reads the envelope; the wasm bytes and the engine's bytes.
fn open<'b, E: Engine>(engine: &E, bytes: &'b [u8]) -> Result<(&'b [u8], &'b [u8])> {
    if bytes.len() < MAGIC.len() + 4 + 32 + 8 + 8 + 32 || &bytes[..16] != MAGIC {
        return Err(bad("not a serialised wasm-run module"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err(bad("corrupted or truncated (checksum mismatch)"));
    }
    let format = u32::from_le_bytes(body[16..20].try_into().unwrap_or_default());
    if format != FORMAT {
        return Err(bad(format!(
            "format {format}, this wasm-run reads {FORMAT}"
        )));
    }
    if body[20..52] != fingerprint(engine) {
        return Err(bad(
            "made by another wasm-run or engine version, target or configuration",
        ));
    }
    let mut rest = &body[52..];
    let mut take = || -> Result<&'b [u8]> {
        let len = rest
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
            .ok_or_else(|| bad("truncated"))?;
        let len = usize::try_from(len).map_err(|_| bad("bad length"))?;
        let part = rest
            .get(8..8usize.saturating_add(len))
            .ok_or_else(|| bad("truncated"))?;
        rest = &rest[8 + len..];
        Ok(part)
    };
    let wasm = take()?;
    let native = take()?;
    if !rest.is_empty() {
        return Err(bad("trailing bytes"));
    }
    Ok((wasm, native))
}

impl<E: Engine> Module<E> {
    /// The compiled module as bytes, for [`Module::deserialize`] in this or
    /// another process with the same wasm-run, engine and configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for
    /// [`Feature::ModuleSerialization`](crate::Feature::ModuleSerialization)
    /// on backends that cannot serialise (wasmi); [`Error::Engine`] if the
    /// engine fails.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let native = self.engine().serialize(self.as_native())?;
        let wasm = self.wasm();
        let mut out = Vec::with_capacity(16 + 4 + 32 + 16 + wasm.len() + native.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&fingerprint(self.engine()));
        out.extend_from_slice(&(wasm.len() as u64).to_le_bytes());
        out.extend_from_slice(wasm);
        out.extend_from_slice(&(native.len() as u64).to_le_bytes());
        out.extend_from_slice(&native);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        Ok(out)
    }

    /// Loads a module [`Module::serialize`] produced, without compiling it.
    ///
    /// # Errors
    ///
    /// - [`Error::Deserialize`] for bytes that are not a serialised module, are
    ///   truncated or corrupted, or come from another wasm-run or engine
    ///   version, target or configuration; the engine never sees them.
    /// - [`Error::Unsupported`] on backends that cannot serialise (wasmi).
    ///
    /// # Safety
    ///
    /// The envelope's checks catch every accident (wrong file, other build,
    /// truncation, bit rot), but not a forgery: engines such as wasmtime run
    /// the machine code in the bytes unchecked. Only deserialise bytes that
    /// this program, or one you trust, serialised (e.g. from a cache
    /// directory only you can write).
    pub unsafe fn deserialize(engine: &E, bytes: &[u8]) -> Result<Self> {
        let (wasm, native) = open(engine, bytes)?;
        let info = ModuleInfo::parse_for(wasm, engine.features())?;
        // SAFETY: the envelope is intact (checksum) and was made by an
        // engine with this fingerprint; the caller vouches for its origin.
        let native = unsafe { engine.deserialize(native)? };
        Ok(Module::from_parts(
            engine,
            native,
            Arc::new(info),
            Arc::from(wasm),
        ))
    }
}

/// What [`ModuleCache::load`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// The module came from the cache; nothing was compiled.
    Hit,
    /// Compiled and stored.
    Stored,
    /// Compiled; the entry found was unusable (corrupted, truncated, another
    /// build) and was replaced.
    Replaced(String),
    /// Compiled; the cache was not used (not writable, full, or the backend
    /// cannot serialise), for the reason given.
    Skipped(String),
}

/// Compiled modules on disk, keyed by a SHA-256 of the module's bytes and the
/// engine's version and configuration.
///
/// Entries are written to a temporary file and renamed into place, so
/// processes sharing the directory never read a half-written entry; an entry
/// that fails its checks is recompiled and replaced, never loaded. Errors of
/// the cache itself never fail a load: the module is compiled and the
/// [`CacheOutcome`] says what happened.
///
/// The directory must be writable by you only: entries hold machine code that
/// is run after the envelope's checks (see [`Module::deserialize`]).
#[derive(Debug, Clone)]
pub struct ModuleCache {
    dir: PathBuf,
}

impl ModuleCache {
    /// A cache in `dir` (created when the first entry is stored).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModuleCache { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry file for `wasm` on `engine`.
    pub fn entry<E: Engine>(&self, engine: &E, wasm: &[u8]) -> PathBuf {
        let mut h = Sha256::new();
        h.update(fingerprint(engine));
        h.update(wasm);
        let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{key}.module"))
    }

    /// The module for `bytes` (binary or WAT): from the cache, or compiled
    /// (and stored).
    ///
    /// # Errors
    ///
    /// Those of [`Module::new`]; never an error of the cache.
    pub fn load<E: Engine>(&self, engine: &E, bytes: &[u8]) -> Result<(Module<E>, CacheOutcome)> {
        let wasm = to_binary(bytes)?;
        let path = self.entry(engine, &wasm);
        let found = match std::fs::read(&path) {
            // SAFETY: entries are written only by `store` below, into a
            // directory the user vouches for (see the type's docs).
            Ok(entry) => match unsafe { Module::deserialize(engine, &entry) } {
                Ok(module) if module.wasm() == &*wasm => return Ok((module, CacheOutcome::Hit)),
                Ok(_) => Some("the entry holds another module".to_string()),
                Err(e) => Some(e.to_string()),
            },
            Err(_) => None,
        };
        let module = Module::new(engine, &*wasm)?;
        let outcome = match self.store(&module, &path) {
            Err(why) => CacheOutcome::Skipped(why),
            Ok(()) => match found {
                Some(why) => CacheOutcome::Replaced(why),
                None => CacheOutcome::Stored,
            },
        };
        Ok((module, outcome))
    }

    fn store<E: Engine>(&self, module: &Module<E>, path: &Path) -> std::result::Result<(), String> {
        let bytes = module.serialize().map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        // A name no other writer uses, then an atomic rename.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
        let written = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("{}: {e}", path.display()));
        }
        Ok(())
    }
}
