//! Trap messages of the scripts and the trap codes that satisfy them.

use wasm_run_api::{Engine, TrapCode};

use crate::run::TrapCodesFn;
use crate::runner::{Exec, Outcome, error_kind};

/// The trap codes that satisfy an `assert_trap`/`assert_exhaustion` message,
/// or `None` for a message this runner does not know.
///
/// Besides the spec interpreter's wording, the engines' own spellings are
/// known, as their test suites write them (wasmtime's `misc_testsuite`,
/// wasmi's tests): ``wasm `unreachable` instruction executed``, `misaligned
/// memory access`, `all fuel consumed by WebAssembly`, `interrupt`, an
/// optional `wasm trap: ` prefix, and so on.
pub fn trap_codes_for(message: &str) -> Option<&'static [TrapCode]> {
    use TrapCode::*;
    let m = message.trim();
    let m = m.strip_prefix("wasm trap: ").unwrap_or(m);
    // Exact and prefix matches, most specific first.
    const TABLE: &[(&str, &[TrapCode])] = &[
        ("integer divide by zero", &[IntegerDivisionByZero]),
        ("integer overflow", &[IntegerOverflow]),
        ("invalid conversion to integer", &[BadConversionToInteger]),
        ("out of bounds memory access", &[MemoryOutOfBounds]),
        ("out of bounds table access", &[TableOutOfBounds]),
        ("out of bounds array access", &[ArrayOutOfBounds]),
        (
            "out of bounds",
            &[MemoryOutOfBounds, TableOutOfBounds, ArrayOutOfBounds],
        ),
        ("undefined element", &[TableOutOfBounds]),
        ("undefined", &[TableOutOfBounds]),
        ("uninitialized element", &[IndirectCallToNull]),
        ("uninitialized", &[IndirectCallToNull]),
        ("indirect call type mismatch", &[BadSignature]),
        ("indirect call", &[BadSignature]),
        (
            "null function reference",
            &[NullReference, IndirectCallToNull],
        ),
        ("null structure reference", &[NullReference]),
        ("null array reference", &[NullReference]),
        ("null i31 reference", &[NullReference]),
        ("null descriptor reference", &[NullReference]),
        ("null reference", &[NullReference]),
        ("descriptor cast failure", &[CastFailure]),
        ("cast failure", &[CastFailure]),
        ("unreachable", &[Unreachable]),
        ("call stack exhausted", &[StackOverflow]),
        ("unaligned atomic", &[UnalignedAtomic]),
        ("expected shared memory", &[AtomicWaitNonSharedMemory]),
        ("allocation size too large", &[AllocationTooLarge]),
        ("array too large", &[AllocationTooLarge]),
        ("data segment does not fit", &[MemoryOutOfBounds]),
        ("elements segment does not fit", &[TableOutOfBounds]),
        ("uncaught exception", &[UncaughtException]),
        // The engines' own wording.
        ("wasm `unreachable` instruction executed", &[Unreachable]),
        ("misaligned memory access", &[UnalignedAtomic]),
        ("all fuel consumed", &[OutOfFuel]),
        ("interrupt", &[Interrupt]),
        (
            "atomic wait on non-shared memory",
            &[AtomicWaitNonSharedMemory],
        ),
        ("indirect call to null", &[IndirectCallToNull]),
        ("array element access out of bounds", &[ArrayOutOfBounds]),
        // The canonical ABI's traps, as the component-model tests and
        // wasmtime's word them.
        ("unknown handle index", &[InvalidHandle]),
        ("handle index", &[InvalidHandle]),
        ("invalid resource handle", &[InvalidHandle]),
        (
            "cannot remove owned resource while borrowed",
            &[InvalidHandle],
        ),
        ("borrow handles still remain", &[InvalidHandle]),
        ("cannot enter component instance", &[CannotEnterComponent]),
        ("invalid `char` bit pattern", &[InvalidChar]),
        ("invalid char", &[InvalidChar]),
        ("invalid variant discriminant", &[InvalidDiscriminant]),
        ("invalid discriminant", &[InvalidDiscriminant]),
        ("invalid enum discriminant", &[InvalidDiscriminant]),
        ("invalid flags", &[InvalidDiscriminant]),
        ("invalid utf-8", &[InvalidEncoding]),
        ("invalid utf-16", &[InvalidEncoding]),
        ("incomplete utf-8 byte sequence", &[InvalidEncoding]),
        ("invalid latin1", &[InvalidEncoding]),
        ("string pointer/length out of bounds", &[MemoryOutOfBounds]),
        ("string content out-of-bounds", &[MemoryOutOfBounds]),
        ("realloc return: beyond end of memory", &[MemoryOutOfBounds]),
        ("list pointer/length out of bounds", &[MemoryOutOfBounds]),
        ("pointer not aligned", &[UnalignedPointer]),
        ("string pointer not aligned", &[UnalignedPointer]),
        ("list pointer not aligned", &[UnalignedPointer]),
        ("discriminant", &[InvalidDiscriminant]),
        ("unaligned pointer", &[UnalignedPointer]),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| m.starts_with(prefix))
        .map(|(_, codes)| *codes)
}

pub(crate) fn expect_trap<E: Engine>(
    exec: Exec<E>,
    message: &str,
    trap_codes: TrapCodesFn,
) -> Outcome {
    let Some(codes) = trap_codes(message) else {
        // A wording no code stands for (an engine's message for a trap or a
        // resource limit): like the engines' runners, accept an error whose
        // text contains it.
        return match exec {
            Exec::NotRun(o) => o,
            Exec::Error(e) if trap_text(&e).contains(message.trim()) => Outcome::Pass,
            Exec::Error(e) => Outcome::fail(
                "unknown trap message",
                format!("`{message}` is not a known trap message nor in the error: {e}"),
            ),
            Exec::Values(v) => Outcome::fail(
                "unknown trap message",
                format!("`{message}` is not a known trap message, and the call returned {v:?}"),
            ),
        };
    };
    match exec {
        Exec::NotRun(o) => o,
        Exec::Values(v) => Outcome::fail(
            "expected trap, returned",
            format!("expected `{message}`, returned {v:?}"),
        ),
        Exec::Error(e) => match e.trap_code() {
            Some(code) if codes.contains(&code) => Outcome::Pass,
            Some(code) => Outcome::fail(
                "wrong trap",
                format!("expected `{message}`, got {code:?}: {e}"),
            ),
            None => Outcome::fail(
                format!("expected trap, got {}", error_kind(&e)),
                format!("expected `{message}`, got: {e}"),
            ),
        },
    }
}

/// The error's text with the engine's own trap message.
fn trap_text(e: &wasm_run_api::Error) -> String {
    match e {
        wasm_run_api::Error::Trap { message, .. } => format!("{e}: {message}"),
        _ => e.to_string(),
    }
}
