//! [`WasiConfig`]: what a WASI program sees (arguments, environment,
//! directories, stdio, clocks, randomness), described once for every backend.
//!
//! The builder records; [`WasiConfig::validate`] checks everything (paths,
//! environment entries, strings) and produces a [`WasiSetup`], from which each
//! backend builds its native context. Nothing reaches an engine before the
//! whole configuration is known to be good.

use crate::clock::{MonotonicClock, WallClock};
use crate::error::WasiError;
use crate::random::{OsRandom, RandomSource, SeededRandom};
use crate::stdio::{Capture, Output, Stdin};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a preopened directory lets the guest do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DirPerms {
    /// List, stat, open and read files; every change is refused.
    ReadOnly,
    /// Everything read-only allows, plus create, write, rename, remove.
    #[default]
    ReadWrite,
}

/// A host directory made visible to the guest under `guest` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// Directory on the host.
    pub host: PathBuf,
    /// Name the guest uses, e.g. `/sandbox` or `.`.
    pub guest: String,
    /// What the guest may do inside.
    pub perms: DirPerms,
}

/// How the environment is filled.
#[derive(Debug, Clone)]
enum EnvEntry {
    /// `KEY`, `VALUE`.
    Pair(String, String),
    /// An unparsed `KEY=VALUE` entry (from a command line).
    Raw(String),
    /// Every variable of the host process at build time.
    Inherit,
}

/// Where random bytes come from, per context.
#[derive(Clone, Default)]
pub(crate) enum RandomChoice {
    /// The operating system's generator.
    #[default]
    Os,
    /// A fresh copy of this source for every context.
    Custom(Arc<dyn Fn() -> Box<dyn RandomSource> + Send + Sync>),
}

impl RandomChoice {
    pub(crate) fn make(&self) -> Box<dyn RandomSource> {
        match self {
            RandomChoice::Os => Box::new(OsRandom),
            RandomChoice::Custom(make) => make(),
        }
    }
}

/// The configuration of a WASI preview 1 program, the same for every backend.
///
/// Defaults: no arguments, empty environment, no directories, empty stdin,
/// stdout and stderr discarded, real clocks, randomness from the operating
/// system.
///
/// ```
/// use wasm_run_wasi::{Capture, DirPerms, Output, WasiConfig};
/// let out = Capture::new();
/// let mut config = WasiConfig::new();
/// config
///     .args(["prog", "--verbose"])
///     .env("HOME", "/sandbox")
///     .preopen_dir(std::env::temp_dir(), "/sandbox", DirPerms::ReadOnly)
///     .stdin_bytes("input")
///     .stdout(Output::Capture(out.clone()))
///     .stderr(Output::Inherit);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Default)]
pub struct WasiConfig {
    args: Vec<String>,
    env: Vec<EnvEntry>,
    preopens: Vec<Preopen>,
    stdin: Stdin,
    stdout: Output,
    stderr: Output,
    wall_clock: Option<Arc<dyn WallClock>>,
    monotonic_clock: Option<Arc<dyn MonotonicClock>>,
    random: RandomChoice,
    host: crate::ctx::WasiHost,
}

impl fmt::Debug for WasiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiConfig")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("preopens", &self.preopens)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("wall_clock", &self.wall_clock.is_some())
            .field("monotonic_clock", &self.monotonic_clock.is_some())
            .finish_non_exhaustive()
    }
}

impl WasiConfig {
    /// The default configuration (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one argument. The first argument is the program name
    /// (`argv[0]`), as on the command line.
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments, the program name first.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable (appended in order; a later value of the
    /// same key wins).
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push(EnvEntry::Pair(key.into(), value.into()));
        self
    }

    /// Adds a `KEY=VALUE` entry as written on a command line. An entry without
    /// `=` is a [`WasiError::InvalidEnv`] at [`validate`](Self::validate).
    pub fn env_entry(&mut self, entry: impl Into<String>) -> &mut Self {
        self.env.push(EnvEntry::Raw(entry.into()));
        self
    }

    /// Copies every environment variable of the host process (read when the
    /// configuration is validated), at this point of the order.
    pub fn inherit_env(&mut self) -> &mut Self {
        self.env.push(EnvEntry::Inherit);
        self
    }

    /// Makes the host directory `host` visible to the guest as `guest`.
    /// Preopens get file descriptors 3, 4, ... in the order they are added.
    ///
    /// The guest cannot leave the directory: `..` beyond its root, absolute
    /// paths and symbolic links that point outside are refused by both
    /// backends.
    pub fn preopen_dir(
        &mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
        perms: DirPerms,
    ) -> &mut Self {
        self.preopens.push(Preopen {
            host: host.into(),
            guest: guest.into(),
            perms,
        });
        self
    }

    /// Sets the guest's stdin.
    pub fn stdin(&mut self, stdin: Stdin) -> &mut Self {
        self.stdin = stdin;
        self
    }

    /// Stdin reads these bytes, then end of file (a `Vec` is kept as it
    /// is, not copied; to share one input between many configurations,
    /// give each [`Stdin::Bytes`] a clone of one `Arc`).
    pub fn stdin_bytes(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin(Stdin::Bytes(Arc::new(bytes.into())))
    }

    /// Sets where the guest's stdout goes.
    pub fn stdout(&mut self, output: Output) -> &mut Self {
        self.stdout = output;
        self
    }

    /// Sets where the guest's stderr goes.
    pub fn stderr(&mut self, output: Output) -> &mut Self {
        self.stderr = output;
        self
    }

    /// Captures stdout into a new buffer and returns it.
    pub fn capture_stdout(&mut self) -> Capture {
        let capture = Capture::new();
        self.stdout(Output::Capture(capture.clone()));
        capture
    }

    /// Captures stderr into a new buffer and returns it.
    pub fn capture_stderr(&mut self) -> Capture {
        let capture = Capture::new();
        self.stderr(Output::Capture(capture.clone()));
        capture
    }

    /// Stdin, stdout and stderr of the host process, as `wasmtime run` does.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.stdin(Stdin::Inherit)
            .stdout(Output::Inherit)
            .stderr(Output::Inherit)
    }

    /// Replaces the real-time clock (`CLOCK_REALTIME`). Shared by every
    /// context built from this configuration.
    pub fn wall_clock(&mut self, clock: impl WallClock + 'static) -> &mut Self {
        self.wall_clock = Some(Arc::new(clock));
        self
    }

    /// Replaces the monotonic clock (`CLOCK_MONOTONIC`). Shared by every
    /// context built from this configuration.
    pub fn monotonic_clock(&mut self, clock: impl MonotonicClock + 'static) -> &mut Self {
        self.monotonic_clock = Some(Arc::new(clock));
        self
    }

    /// Makes `random_get` deterministic: every context built from this
    /// configuration gets a fresh [`SeededRandom`] with this seed, so the
    /// guest sees the same bytes on every backend and every run.
    pub fn random_seed(&mut self, seed: u64) -> &mut Self {
        self.random_source(SeededRandom::new(seed))
    }

    /// Replaces the source of `random_get`; every context gets its own clone
    /// of `source`.
    pub fn random_source(&mut self, source: impl RandomSource + Clone + 'static) -> &mut Self {
        let prototype = std::sync::Mutex::new(source);
        self.random = RandomChoice::Custom(Arc::new(move || {
            let source = prototype.lock().unwrap_or_else(|e| e.into_inner());
            Box::new(source.clone())
        }));
        self
    }

    /// Which implementation of WASI serves the program (default
    /// [`WasiHost::WasmRun`](crate::WasiHost::WasmRun): wasm-run's own, on
    /// every backend; [`WasiHost::Engine`](crate::WasiHost::Engine) is the
    /// engine's WASI crate, wasmtime-wasi on wasmtime, as a reference).
    /// [`crate::run_command`] links accordingly; when you link yourself, use
    /// [`crate::add_to_linker_for`] with the same choice. For a command
    /// component, `p2::run_command` (feature `p2`) with
    /// [`WasiHost::Engine`](crate::WasiHost::Engine) runs it with
    /// wasmtime-wasi's preview 2 host on wasmtime's own component model.
    pub fn wasi_host(&mut self, host: crate::WasiHost) -> &mut Self {
        self.host = host;
        self
    }

    /// Which implementation serves the program (see
    /// [`WasiConfig::wasi_host`]).
    pub fn host(&self) -> crate::WasiHost {
        self.host
    }

    /// Checks the whole configuration: environment entries, strings, and that
    /// every preopen exists and is a directory. The result is what backends
    /// build their contexts from.
    ///
    /// # Errors
    ///
    /// - [`WasiError::NulByte`] if an argument, an environment variable or a guest
    ///   path contains a NUL byte.
    /// - [`WasiError::InvalidEnv`] for an entry without `=` (see
    ///   [`env_entry`](Self::env_entry)), or with an empty name or a name containing
    ///   `=` (inherited variables included).
    /// - [`WasiError::InvalidGuestPath`] for an empty guest path.
    /// - [`WasiError::PreopenNotFound`], [`WasiError::PreopenNotADirectory`] or
    ///   [`WasiError::PreopenOpen`] if a preopen's host path does not exist, is not
    ///   a directory, or cannot be inspected.
    pub fn validate(&self) -> Result<WasiSetup, WasiError> {
        for arg in &self.args {
            no_nul("argument", arg)?;
        }
        let mut env = Vec::new();
        for entry in &self.env {
            match entry {
                EnvEntry::Pair(k, v) => env.push(check_env(k.clone(), v.clone())?),
                EnvEntry::Raw(raw) => {
                    let (k, v) = raw.split_once('=').ok_or_else(|| WasiError::InvalidEnv {
                        entry: raw.clone(),
                        reason: "expected KEY=VALUE",
                    })?;
                    env.push(check_env(k.into(), v.into())?);
                }
                EnvEntry::Inherit => {
                    for (k, v) in std::env::vars_os() {
                        // Variables that are not Unicode cannot be passed on
                        // the same way by every backend; skip them.
                        if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                            env.push(check_env(k, v)?);
                        }
                    }
                }
            }
        }
        // A later value of a key replaces the earlier one, keeping its place.
        let mut deduped: Vec<(String, String)> = Vec::with_capacity(env.len());
        for (k, v) in env {
            match deduped.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => deduped.push((k, v)),
            }
        }
        for p in &self.preopens {
            check_preopen(p)?;
        }
        Ok(WasiSetup {
            args: self.args.clone(),
            env: deduped,
            preopens: self.preopens.clone(),
            stdin: self.stdin.clone(),
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            wall_clock: self.wall_clock.clone(),
            monotonic_clock: self.monotonic_clock.clone(),
            random: self.random.clone(),
            host: self.host,
        })
    }
}

fn no_nul(what: &'static str, value: &str) -> Result<(), WasiError> {
    if value.contains('\0') {
        Err(WasiError::NulByte {
            what,
            value: value.escape_default().to_string(),
        })
    } else {
        Ok(())
    }
}

fn check_env(key: String, value: String) -> Result<(String, String), WasiError> {
    let bad = |reason| WasiError::InvalidEnv {
        entry: format!("{key}={value}"),
        reason,
    };
    if key.is_empty() {
        return Err(bad("the name is empty"));
    }
    if key.contains('=') {
        return Err(bad("the name contains `=`"));
    }
    no_nul("environment variable", &key)?;
    no_nul("environment variable", &value)?;
    Ok((key, value))
}

fn check_preopen(p: &Preopen) -> Result<(), WasiError> {
    if p.guest.is_empty() {
        return Err(WasiError::InvalidGuestPath {
            guest: p.guest.clone(),
            reason: "it is empty",
        });
    }
    no_nul("guest path", &p.guest)?;
    match std::fs::metadata(&p.host) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(WasiError::PreopenNotADirectory {
            host: p.host.clone(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(WasiError::PreopenNotFound {
            host: p.host.clone(),
        }),
        Err(source) => Err(WasiError::PreopenOpen {
            host: p.host.clone(),
            source,
        }),
    }
}

/// A validated [`WasiConfig`]: the input of the backend adapters
/// ([`crate::WasiEngine::build_native`]).
#[derive(Clone)]
pub struct WasiSetup {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) stdin: Stdin,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    pub(crate) wall_clock: Option<Arc<dyn WallClock>>,
    pub(crate) monotonic_clock: Option<Arc<dyn MonotonicClock>>,
    pub(crate) random: RandomChoice,
    pub(crate) host: crate::ctx::WasiHost,
}

impl fmt::Debug for WasiSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiSetup")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("preopens", &self.preopens)
            .finish_non_exhaustive()
    }
}

impl WasiSetup {
    /// Whether stdout or stderr goes to a callback.
    pub(crate) fn has_callbacks(&self) -> bool {
        matches!(self.stdout, Output::Stream(_)) || matches!(self.stderr, Output::Stream(_))
    }

    /// This setup with its callbacks reporting panics to `panics`.
    pub(crate) fn watched(&self, panics: &crate::stdio::OutputPanic) -> WasiSetup {
        WasiSetup {
            stdout: panics.watch(&self.stdout, "stdout"),
            stderr: panics.watch(&self.stderr, "stderr"),
            ..self.clone()
        }
    }

    /// Which implementation serves the program.
    pub fn host(&self) -> crate::ctx::WasiHost {
        self.host
    }
    /// Arguments, program name first.
    pub fn args(&self) -> &[String] {
        &self.args
    }
    /// Environment variables, in order, each key once.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }
    /// Preopened directories, in descriptor order (3, 4, ...).
    pub fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }
}

/// Opens a preopen's host directory, naming it in the error.
pub(crate) fn open_error(host: &Path, source: std::io::Error) -> WasiError {
    WasiError::PreopenOpen {
        host: host.to_path_buf(),
        source,
    }
}
