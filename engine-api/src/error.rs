//! The one error type of the public API.

use crate::feature::Feature;
use crate::types::ExternType;
use std::fmt;

/// Why a call trapped. Mapped from each engine's own trap codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable,
    /// Out-of-bounds linear memory access.
    MemoryOutOfBounds,
    /// Misaligned atomic memory access.
    UnalignedAtomic,
    /// Out-of-bounds table access.
    TableOutOfBounds,
    /// `call_indirect` to an uninitialised (null) table element.
    IndirectCallToNull,
    /// `call_indirect` signature mismatch.
    BadSignature,
    /// A null reference was dereferenced (`call_ref`, `struct.get`, ...).
    NullReference,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Integer overflow (e.g. `i32.div_s` of `INT_MIN / -1`).
    IntegerOverflow,
    /// Float-to-int conversion of NaN or an out-of-range value.
    BadConversionToInteger,
    /// The wasm stack is exhausted (too deep recursion).
    StackOverflow,
    /// Fuel metering ran out.
    OutOfFuel,
    /// Execution was stopped through an [`InterruptHandle`](crate::InterruptHandle).
    Interrupt,
    /// The store's deadline ([`Store::set_deadline`](crate::Store::set_deadline))
    /// passed while wasm was running.
    Deadline,
    /// `memory.atomic.wait` on an unshared memory.
    AtomicWaitNonSharedMemory,
    /// GC: out-of-bounds array access.
    ArrayOutOfBounds,
    /// GC: allocation too large.
    AllocationTooLarge,
    /// GC: failed cast (`ref.cast`).
    CastFailure,
    /// Exceptions: an exception left wasm without a handler.
    UncaughtException,
    /// The engine ran out of host memory or hit an implementation limit.
    ResourceExhausted,
    /// Components (canonical ABI): a pointer a guest gave is not aligned
    /// for the value it points to.
    UnalignedPointer,
    /// Components: a string that is not valid in its encoding (UTF-8,
    /// UTF-16, Latin-1+UTF-16).
    InvalidEncoding,
    /// Components: an `i32` that is not a Unicode scalar value where a
    /// `char` is expected.
    InvalidChar,
    /// Components: a variant, enum, option or result discriminant out of
    /// range.
    InvalidDiscriminant,
    /// Components: a resource handle that is not in the instance's table,
    /// of another resource type, already dropped, or dropped while lent.
    InvalidHandle,
    /// Components: a call into a component instance that is already on the
    /// stack (the component model forbids reentrance).
    CannotEnterComponent,
    /// A trap that has no other code here.
    Other,
}

impl TrapCode {
    /// The spec-test message for this trap (what `assert_trap` expects).
    pub const fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::UnalignedAtomic => "unaligned atomic",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::NullReference => "null reference",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::Interrupt => "interrupt",
            TrapCode::Deadline => "deadline exceeded",
            TrapCode::AtomicWaitNonSharedMemory => "atomic wait on non-shared memory",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::AllocationTooLarge => "allocation size too large",
            TrapCode::CastFailure => "cast failure",
            TrapCode::UncaughtException => "uncaught exception",
            TrapCode::ResourceExhausted => "resource exhausted",
            TrapCode::UnalignedPointer => "unaligned pointer",
            TrapCode::InvalidEncoding => "invalid string encoding",
            TrapCode::InvalidChar => "invalid char",
            TrapCode::InvalidDiscriminant => "invalid discriminant",
            TrapCode::InvalidHandle => "invalid resource handle",
            TrapCode::CannotEnterComponent => "cannot enter component instance",
            TrapCode::Other => "trap",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One wasm frame of a trap's backtrace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrapFrame {
    /// The module's name (its `name` section), if it has one.
    pub module_name: Option<String>,
    /// The function's index in the module's function index space (imports
    /// first).
    pub func_index: u32,
    /// The function's name, from the `name` section or what the engine
    /// inferred (e.g. its export name), if any.
    pub func_name: Option<String>,
    /// The byte offset of the trapping (or calling) instruction from the
    /// start of the module binary, where the engine knows it.
    pub module_offset: Option<usize>,
    /// The same offset from the start of the function's body.
    pub func_offset: Option<usize>,
}

impl fmt::Display for TrapFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(name) => write!(f, "{name}")?,
            None => write!(f, "<wasm function {}>", self.func_index)?,
        }
        if let Some(o) = self.module_offset {
            write!(f, " @ {o:#x}")?;
        }
        Ok(())
    }
}

/// The wasm frames of a trap, innermost first; empty where the engine gives
/// none (wasmi does not record backtraces). One pointer wide, so that
/// [`Error`] stays small.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// A boxed `Vec` is one pointer, a boxed slice two: the thin one is the point.
#[allow(clippy::box_collection)]
pub struct TrapFrames(Option<Box<Vec<TrapFrame>>>);

impl TrapFrames {
    /// Frames from a list (innermost first).
    pub fn new(frames: Vec<TrapFrame>) -> Self {
        TrapFrames((!frames.is_empty()).then(|| Box::new(frames)))
    }
}

impl std::ops::Deref for TrapFrames {
    type Target = [TrapFrame];
    fn deref(&self) -> &[TrapFrame] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// Why linking failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// No definition for an import.
    #[error("missing import `{module}::{name}`: expected {expected}")]
    Missing {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
        /// Type the module expects.
        expected: ExternType,
    },
    /// A definition of the wrong type.
    #[error("incompatible import `{module}::{name}`: expected {expected}, found {found}")]
    Incompatible {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
        /// Type the module expects.
        expected: ExternType,
        /// Type of the definition found.
        found: ExternType,
    },
    /// A definition was given twice.
    #[error("`{module}::{name}` is already defined")]
    Duplicate {
        /// Module name.
        module: String,
        /// Field name.
        name: String,
    },
    /// The engine refused to link for another reason.
    #[error("{0}")]
    Other(String),
}

/// Every error of the public API. Match on the variant; the messages are for
/// people.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The module is malformed or invalid (or the WAT does not parse).
    #[error("compile error{}: {message}", offset.map(|o| format!(" at offset {o:#x}")).unwrap_or_default())]
    Compile {
        /// What is wrong.
        message: String,
        /// Byte offset in the binary, where known.
        offset: Option<usize>,
    },
    /// Imports could not be resolved. (Boxed: it carries two types, and keeping
    /// `Error` small keeps every `Result` cheap.)
    #[error("link error: {0}")]
    Link(Box<LinkError>),
    /// Execution trapped.
    #[error("wasm trap: {code}")]
    Trap {
        /// Which trap.
        code: TrapCode,
        /// The engine's own wording, with a wasm backtrace where it gave one.
        /// (A `Box<str>`, with the frames one pointer wide, keeps
        /// [`Error`] small.)
        message: Box<str>,
        /// The wasm frames, innermost first, where the engine records them
        /// (wasmtime; empty on wasmi). See [`Error::trap_frames`].
        frames: TrapFrames,
    },
    /// A WASI program called `proc_exit` with a non-zero code (or any code,
    /// where the caller asked to see it).
    #[error("exited with status {0}")]
    Exit(i32),
    /// The backend cannot do what was asked.
    #[error("{feature} is not supported by the {engine} engine")]
    Unsupported {
        /// What was asked for.
        feature: Feature,
        /// Which backend refused.
        engine: &'static str,
    },
    /// A resource limit was hit (memory, tables, instances).
    #[error("resource limit exceeded: {0}")]
    ResourceLimit(String),
    /// A host function returned an error. [`Error::host_error`] gives it
    /// back, and it is this error's [`source`](std::error::Error::source).
    #[error("host function failed: {0}")]
    Host(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A host function panicked; the panic was caught.
    #[error("host function panicked: {0}")]
    HostPanic(String),
    /// Values of the wrong type or count, or a type mismatch on a handle.
    #[error("type mismatch: {0}")]
    Type(String),
    /// A handle was used with a store (or engine) it does not belong to.
    #[error("handle used with a store or engine it does not belong to")]
    WrongStore,
    /// An operation on memory, table or global failed (out of bounds,
    /// immutable global, growth refused).
    #[error("{0}")]
    Access(String),
    /// Reading a module file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Bytes given to [`Module::deserialize`](crate::Module::deserialize)
    /// that are not a module serialised by this wasm-run, engine and
    /// configuration (or are truncated or corrupted).
    #[error("cannot deserialise module: {0}")]
    Deserialize(String),
    /// An instance has no export of this name
    /// ([`Instance::get_func`](crate::Instance::get_func) and the typed
    /// getters; a getter returning `Option` answers `None`).
    #[error("no export named `{0}`")]
    MissingExport(Box<str>),
    /// No backend of this name is compiled into this build
    /// (`AnyEngine::by_name`).
    #[error("unknown engine `{name}`; compiled in: {}", known.join(", "))]
    UnknownEngine {
        /// The name asked for.
        name: Box<str>,
        /// The backends this build has.
        known: &'static [&'static str],
    },
    /// Anything else the engine reported (or an internal failure wasm-run
    /// describes itself). Its [`source`](std::error::Error::source) is the
    /// engine's own error where the engine gave one.
    #[error(transparent)]
    Engine(EngineError),
}

/// The payload of [`Error::Engine`]: a message, and the engine's own error
/// where there is one (as [`source`](std::error::Error::source), so error
/// reporters show its chain and callers can downcast it).
///
/// ```
/// use wasm_run_api::{EngineError, Error};
/// use std::error::Error as _;
///
/// let io = std::io::Error::other("disk on fire");
/// let e = Error::Engine(EngineError::with_source("the engine failed", io));
/// assert_eq!(e.to_string(), "the engine failed");
/// let source = e.source().expect("the engine's error");
/// assert!(source.downcast_ref::<std::io::Error>().is_some());
///
/// // A message alone, for failures with no engine error behind them.
/// let e = Error::Engine("no module variants given".into());
/// assert!(e.source().is_none());
/// ```
#[derive(Debug)]
pub struct EngineError {
    message: Box<str>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl EngineError {
    /// A message with no engine error behind it.
    pub fn new(message: impl Into<String>) -> Self {
        EngineError {
            message: message.into().into_boxed_str(),
            source: None,
        }
    }
    /// A message and the engine's error it describes.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        EngineError {
            message: message.into().into_boxed_str(),
            source: Some(source.into()),
        }
    }
    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::ops::Deref for EngineError {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for EngineError {
    fn from(message: String) -> Self {
        EngineError::new(message)
    }
}

impl From<&str> for EngineError {
    fn from(message: &str) -> Self {
        EngineError::new(message)
    }
}

impl From<EngineError> for String {
    fn from(e: EngineError) -> Self {
        e.message.into()
    }
}

impl From<LinkError> for Error {
    fn from(e: LinkError) -> Self {
        Error::Link(Box::new(e))
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// [`Error::Engine`] with a message alone (no engine error behind it).
    pub fn engine(message: impl Into<String>) -> Self {
        Error::Engine(EngineError::new(message))
    }

    /// A host error from any error value, e.g. `Error::host("bad input")`.
    pub fn host(err: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Error::Host(err.into())
    }

    /// The trap code, if this is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self {
            Error::Trap { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The wasm frames of a trap, innermost first: empty for other errors,
    /// for traps raised by wasm-run itself (interrupts, deadlines, fuel on
    /// wasmi) and on engines that record no backtrace (wasmi).
    pub fn trap_frames(&self) -> &[TrapFrame] {
        match self {
            Error::Trap { frames, .. } => frames,
            _ => &[],
        }
    }

    /// The host error, if a host function failed, downcast to `T`.
    pub fn host_error<T: std::error::Error + 'static>(&self) -> Option<&T> {
        match self {
            Error::Host(e) => e.downcast_ref::<T>(),
            _ => None,
        }
    }

    /// [`Error::Unsupported`]: the `engine` backend cannot do `feature`
    /// (backends pass their [`crate::Engine::NAME`]).
    pub fn unsupported(feature: Feature, engine: &'static str) -> Self {
        Error::Unsupported { feature, engine }
    }

    /// A trap error.
    pub fn trap(code: TrapCode, message: impl Into<String>) -> Self {
        Error::Trap {
            code,
            message: message.into().into_boxed_str(),
            frames: TrapFrames::default(),
        }
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A host function's error is the source of `Error::Host`.
    #[test]
    fn host_errors_are_the_source() {
        let e = Error::host(std::io::Error::other("disk on fire"));
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), "disk on fire");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert!(std::error::Error::source(&Error::WrongStore).is_none());
    }

    /// Every `Result` of the API carries an `Error`: it must stay small (the
    /// large `LinkError` is boxed for this). Printed so a change shows.
    #[test]
    fn error_is_small() {
        let size = std::mem::size_of::<Error>();
        println!("size_of::<Error>() = {size}");
        assert!(
            size <= 40,
            "Error grew to {size} bytes; box the new payload"
        );
        assert!(std::mem::size_of::<Result<()>>() <= 40);
    }
}
