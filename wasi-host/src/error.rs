//! Errors of WASI setup and runs, and the exit status of a program.

use std::fmt;
use std::path::PathBuf;
use wasm_run_api::{Error, ExternType, TrapCode};

/// Everything that can go wrong around a WASI program: bad configuration and
/// bad modules (found before the program starts), and errors of the run
/// itself ([`WasiError::Wasm`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WasiError {
    /// A preopened directory does not exist on the host.
    #[error("preopened directory `{}` does not exist", host.display())]
    PreopenNotFound {
        /// The host path.
        host: PathBuf,
    },
    /// A preopened directory is a file (or something else), not a directory.
    #[error("preopened directory `{}` is not a directory", host.display())]
    PreopenNotADirectory {
        /// The host path.
        host: PathBuf,
    },
    /// A preopened directory could not be opened.
    #[error("cannot open preopened directory `{}`: {source}", host.display())]
    PreopenOpen {
        /// The host path.
        host: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A preopen's guest path is unusable.
    #[error("invalid guest path `{guest}` for a preopened directory: {reason}")]
    InvalidGuestPath {
        /// The guest path.
        guest: String,
        /// Why.
        reason: &'static str,
    },
    /// An environment entry is malformed.
    #[error("invalid environment entry `{entry}`: {reason}")]
    InvalidEnv {
        /// The entry as given.
        entry: String,
        /// Why.
        reason: &'static str,
    },
    /// A string handed to the guest contains a NUL byte, which C strings
    /// cannot carry.
    #[error("{what} `{value}` contains a NUL byte")]
    NulByte {
        /// Which kind of string.
        what: &'static str,
        /// The string, escaped.
        value: String,
    },
    /// The module imports a function WASI preview 1 does not define.
    #[error("the module imports `{module}::{name}`, which is not a WASI preview 1 function")]
    UnknownImport {
        /// Import module (`wasi_snapshot_preview1`).
        module: String,
        /// Import name.
        name: String,
    },
    /// The module imports a WASI function with the wrong type.
    #[error("the module imports `{module}::{name}` as {found}, but WASI defines it as {expected}")]
    ImportType {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
        /// What WASI defines.
        expected: Box<ExternType>,
        /// What the module declares.
        found: Box<ExternType>,
    },
    /// The module targets a WASI version this crate does not provide.
    #[error(
        "the module imports `{module}::{name}`: {module} is not supported (only wasi_snapshot_preview1)"
    )]
    UnsupportedVersion {
        /// Import module, e.g. `wasi_unstable`.
        module: String,
        /// Import name.
        name: String,
    },
    /// The module uses WASI but exports no memory named `memory`.
    #[error("the module imports WASI functions but exports no memory named `memory`")]
    MissingMemory,
    /// The program has no `_start` export (a module) or `wasi:cli/run` export
    /// (a component), so it cannot run as a command.
    #[error(
        "the program exports no `_start` function (a module) or `wasi:cli/run` (a component): it is not a WASI command"
    )]
    NotACommand,
    /// The WASI context was built for another engine than the store's.
    #[error("the WASI context was built for the {ctx} engine but the store belongs to {store}")]
    EngineMismatch {
        /// Engine of the context.
        ctx: &'static str,
        /// Engine of the store.
        store: &'static str,
    },
    /// `proc_exit` was called with a status outside WASI's range `0..126`.
    #[error("proc_exit with invalid exit status {0} (WASI allows 0..126)")]
    InvalidExitStatus(u32),
    /// wasm-run's WASI functions met a context built for the engine's own
    /// WASI ([`crate::WasiHost::Engine`]), or the other way round.
    #[error(
        "the WASI context and the linked WASI functions are of different implementations \
         (link with add_to_linker_for and the context's WasiHost)"
    )]
    WrongHost,
    /// A backend adapter failed in a way not covered above.
    #[error("{backend} WASI adapter: {message}")]
    Adapter {
        /// Which backend.
        backend: &'static str,
        /// What it said.
        message: String,
    },
    /// Compiling, linking, instantiating or running failed (traps included).
    #[error(transparent)]
    Wasm(#[from] Error),
}

impl WasiError {
    /// The trap code, if the program trapped.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self {
            WasiError::Wasm(e) => e.trap_code(),
            _ => None,
        }
    }

    /// Whether the error was found before the program started (bad
    /// configuration or module).
    pub fn is_setup_error(&self) -> bool {
        !matches!(self, WasiError::Wasm(_) | WasiError::InvalidExitStatus(_))
    }
}

impl From<WasiError> for Error {
    /// Errors of the run come back as they were; setup errors become
    /// [`Error::Host`] (downcast with `Error::host_error::<WasiError>()`).
    fn from(e: WasiError) -> Self {
        match e {
            WasiError::Wasm(e) => e,
            other => Error::host(other),
        }
    }
}

/// How a WASI program ended: the status it passed to `proc_exit`, or 0 when
/// `_start` returned. Zero is success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExitStatus(pub i32);

impl ExitStatus {
    /// Success.
    pub const SUCCESS: ExitStatus = ExitStatus(0);

    /// The exit code.
    pub fn code(self) -> i32 {
        self.0
    }

    /// Whether the code is 0.
    pub fn success(self) -> bool {
        self.0 == 0
    }

    /// The exit status an error carries (`proc_exit` unwinds the guest with
    /// [`Error::Exit`]), if it is one.
    pub fn from_error(e: &Error) -> Option<ExitStatus> {
        match e {
            Error::Exit(code) => Some(ExitStatus(*code)),
            _ => None,
        }
    }

    /// The outcome of a call into a WASI program: returning normally is
    /// status 0, `proc_exit(n)` is status `n`, anything else stays an error.
    ///
    /// # Errors
    ///
    /// Every error of `result` other than [`Error::Exit`], unchanged.
    pub fn from_call<R>(result: Result<R, Error>) -> Result<ExitStatus, Error> {
        match result {
            Ok(_) => Ok(ExitStatus::SUCCESS),
            Err(Error::Exit(code)) => Ok(ExitStatus(code)),
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_mapping() {
        assert_eq!(ExitStatus::from_call(Ok(())).unwrap(), ExitStatus(0));
        assert_eq!(
            ExitStatus::from_call::<()>(Err(Error::Exit(42))).unwrap(),
            ExitStatus(42)
        );
        assert_eq!(
            ExitStatus::from_call::<()>(Err(Error::Exit(0))).unwrap(),
            ExitStatus::SUCCESS
        );
        let trap = ExitStatus::from_call::<()>(Err(Error::trap(TrapCode::Unreachable, "x")));
        assert_eq!(trap.unwrap_err().trap_code(), Some(TrapCode::Unreachable));
    }

    #[test]
    fn setup_errors_convert_to_host_errors() {
        let e: Error = WasiError::MissingMemory.into();
        assert!(matches!(
            e.host_error::<WasiError>(),
            Some(WasiError::MissingMemory)
        ));
        let e: Error = WasiError::Wasm(Error::Exit(3)).into();
        assert!(matches!(e, Error::Exit(3)));
    }
}
