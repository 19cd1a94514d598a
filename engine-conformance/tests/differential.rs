//! Differential testing of the backends through wasm-run's public API.
//!
//! [`run_case`] turns a seed into a module with `wasm-smith` (only proposals
//! every backend supports, NaNs canonicalised by the generator, small
//! memories and tables), runs it on every backend of the list (through
//! `AnyEngine`) with the same fuel, and compares what a user of the API
//! sees: the validation verdict, whether it compiles and instantiates (by
//! error kind), each exported function's results (floats by bits) or trap
//! code, the exported globals and a hash of every exported memory after the
//! calls.
//!
//! The backends vote: every pair is compared, and when they disagree the
//! engines outside the majority (more than half of them) are the odd ones
//! out, to which the difference is attributed. With two backends, or no
//! majority, a difference is attributed to no one. A backend that cannot run
//! a run's configuration (fixed limits on tinywasm) does not vote in it.
//!
//! Allowed differences (documented in docs/RELIABILITY.md):
//! - fuel: the backends count it in different units, so once either side runs
//!   out the rest of the case is not compared;
//! - stack exhaustion: the backends' recursion limits differ, so the same;
//! - known engine bugs ([`KnownBug`]): a difference whose odd one out is
//!   the buggy engine, in a module that shows the bug's pattern, is counted
//!   as that bug, not as a failure.
//!
//! The normal test suite runs a bounded number of seeds; set
//! `WASM_RUN_FUZZ_CASES` (and `WASM_RUN_FUZZ_SEED`, the first seed) for a
//! soak run, e.g.
//! `WASM_RUN_FUZZ_CASES=20000 cargo test --release -p wasm-run-conformance --test differential`.
//! A mismatch prints its seed and writes the module to
//! `target/differential/seed-<N>.wasm`.

mod common;

use arbitrary::Unstructured;
use common::splitmix;
use std::fmt;
use wasm_run::{
    AnyEngine, Caller, Config, Engine, Error, Extern, ExternType, Feature, Func, Global, Instance,
    Linker, MaxMemoryBytes, Memory, Module, Store, Table, TrapCode, Val, ValType,
};

/// Fuel for instantiation and for each call.
const FUEL: u64 = 200_000;

/// The generator's configuration: what both backends support, bounded.
fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        canonicalize_nans: true,
        export_everything: true,
        allow_start_export: true,
        max_imports: 0,
        max_funcs: 12,
        max_instructions: 120,
        max_memories: 1,
        max_memory32_bytes: 4 << 16,
        max_memory64_bytes: 4 << 16,
        max_tables: 2,
        max_table_elements: 64,
        max_data_segments: 4,
        max_element_segments: 4,
        max_globals: 8,
        max_type_size: 64,
        simd_enabled: true,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        custom_descriptors_enabled: false,
        shared_everything_threads_enabled: false,
        compact_imports_enabled: false,
        acquire_release_atomics_enabled: false,
        multibyte_array_access_enabled: false,
        allow_invalid_funcs: false,
        memory64_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        tail_call_enabled: true,
        extended_const_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        ..wasm_smith::Config::default()
    }
}

/// The module of `seed`: deterministic bytes from a small PRNG, given to
/// wasm-smith.
fn module_for(seed: u64, imports: bool) -> Option<Vec<u8>> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let len = 1024 + (splitmix(&mut state) % 8192) as usize;
    let bytes: Vec<u8> = (0..len).map(|_| splitmix(&mut state) as u8).collect();
    let mut u = Unstructured::new(&bytes);
    let mut config = smith_config();
    if imports {
        config.min_imports = 1;
        config.max_imports = 8;
    }
    wasm_smith::Module::new(config, &mut u)
        .ok()
        .map(|m| m.to_bytes())
}

/// A value as the comparison sees it: numbers by bits, references by
/// nullness (references of two engines are never equal as handles).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bits {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32` by bits.
    F32(u32),
    /// An `f64` by bits.
    F64(u64),
    /// A `v128`.
    V128(u128),
    /// A reference: whether it is null.
    Ref(bool),
}

fn bits<E: Engine>(v: &Val<E>) -> Bits {
    match v {
        Val::I32(x) => Bits::I32(*x),
        Val::I64(x) => Bits::I64(*x),
        Val::F32(x) => Bits::F32(*x),
        Val::F64(x) => Bits::F64(*x),
        Val::V128(x) => Bits::V128(x.0),
        Val::FuncRef(r) => Bits::Ref(r.is_none()),
        Val::ExternRef(r) => Bits::Ref(r.is_none()),
        Val::AnyRef(r) => Bits::Ref(r.is_none()),
        Val::ExnRef(r) => Bits::Ref(r.is_none()),
    }
}

/// What one step of a case gave.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Success, with results.
    Values(Vec<Bits>),
    /// A trap.
    Trap(TrapCode),
    /// Another error, by kind.
    Error(&'static str),
}

impl Outcome {
    /// Whether the comparison stops here: fuel and stack depth differ by
    /// design between backends.
    fn stops(&self) -> bool {
        matches!(
            self,
            Outcome::Trap(TrapCode::OutOfFuel | TrapCode::StackOverflow)
        )
    }
}

/// The kind of an error, for comparing backends (the messages differ).
fn kind(e: &Error) -> Outcome {
    match e {
        Error::Trap { code, .. } => Outcome::Trap(*code),
        Error::Compile { .. } => Outcome::Error("compile"),
        Error::Link(_) => Outcome::Error("link"),
        Error::Unsupported { .. } => Outcome::Error("unsupported"),
        Error::ResourceLimit(_) => Outcome::Error("resource-limit"),
        Error::Type(_) => Outcome::Error("type"),
        Error::WrongStore => Outcome::Error("wrong-store"),
        Error::Access(_) => Outcome::Error("access"),
        Error::Engine(_) => Outcome::Error("engine"),
        _ => Outcome::Error("other"),
    }
}

/// Everything one backend showed for one module, in order; the record stops
/// at the first step that stops the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Record {
    /// `Module::validate` said yes.
    valid: bool,
    /// The message of a compile error (for known parser bugs; the
    /// comparison looks at the kind only).
    compile_error: Option<String>,
    /// The steps: `compile`, `instantiate`, each call, globals, memories.
    steps: Vec<(String, Outcome)>,
    /// The last step stopped the comparison (fuel or stack depth).
    stopped: bool,
}

impl Record {
    fn push(&mut self, what: impl Into<String>, outcome: Outcome) -> bool {
        let stop = outcome.stops();
        self.steps.push((what.into(), outcome));
        self.stopped = stop;
        !stop
    }
}

/// Arguments for a call: the same on every backend, from the seed.
fn args<E: Engine>(params: &[ValType], seed: u64) -> Option<Vec<Val<E>>> {
    const I32S: [i32; 6] = [0, 1, -1, 7, i32::MIN, 0x1234_5678];
    const I64S: [i64; 5] = [0, 1, -1, i64::MAX, 0x0123_4567_89ab_cdef];
    params
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let k = (seed as usize).wrapping_add(i * 7);
            Some(match t {
                ValType::I32 => Val::I32(I32S[k % I32S.len()]),
                ValType::I64 => Val::I64(I64S[k % I64S.len()]),
                ValType::F32 => Val::F32([0, 0x3f80_0000, 0xbf00_0000][k % 3]),
                ValType::F64 => Val::F64([0, 0x3ff0_0000_0000_0000][k % 2]),
                ValType::V128 => Val::V128(wasm_run::V128((k as u128) << 64 | 3)),
                other => Val::default_for(other)?,
            })
        })
        .collect()
}

/// Runs `wasm` on `engine` and records what the API showed.
fn record<E: Engine>(
    engine: &E,
    bounds: Option<usize>,
    wasm: &[u8],
    seed: u64,
    host_imports: bool,
) -> Record {
    let mut r = Record {
        valid: Module::validate(engine, wasm).is_ok(),
        ..Record::default()
    };
    let module = match Module::new(engine, wasm) {
        Ok(m) => {
            r.push("compile", Outcome::Values(vec![]));
            m
        }
        Err(e) => {
            r.compile_error = Some(e.to_string());
            r.push("compile", kind(&e));
            return r;
        }
    };
    let mut store = Store::new(engine, ());
    if let Some(max_memory_bytes) = bounds {
        store.set_limiter(MaxMemoryBytes(max_memory_bytes));
    }
    let _ = store.set_fuel(FUEL);
    let instantiated = if host_imports {
        host_items(&mut store, &module).and_then(|items| Instance::new(&mut store, &module, &items))
    } else {
        Linker::new(engine).instantiate(&mut store, &module)
    };
    let instance = match instantiated {
        Ok(i) => {
            r.push("instantiate", Outcome::Values(vec![]));
            i
        }
        Err(e) => {
            r.push("instantiate", kind(&e));
            return r;
        }
    };
    let funcs: Vec<(String, Func<E>)> = module
        .exports()
        .iter()
        .filter(|e| matches!(e.ty, ExternType::Func(_)))
        .filter_map(|e| Some((e.name.clone(), instance.get_func(&mut store, &e.name).ok()?)))
        .collect();
    for (name, f) in funcs {
        let ty = f.ty(&store);
        let Some(params) = args::<E>(ty.params(), seed) else {
            continue;
        };
        let mut results: Vec<Val<E>> = ty
            .results()
            .iter()
            .map(|t| Val::default_for(t).unwrap_or(Val::I32(0)))
            .collect();
        let _ = store.set_fuel(FUEL);
        let outcome = match f.call(&mut store, &params, &mut results) {
            Ok(()) => Outcome::Values(results.iter().map(bits).collect()),
            Err(e) => kind(&e),
        };
        if !r.push(format!("call {name}"), outcome) {
            return r;
        }
    }
    state(&mut r, &mut store, &module, &instance);
    r
}

/// An item made by the host for each import, in the module's declaration
/// order: functions that return zeros, memories, tables and globals of the
/// declared types.
fn host_items<E: Engine>(
    store: &mut Store<E, ()>,
    module: &Module<E>,
) -> wasm_run::Result<Vec<Extern<E>>> {
    module
        .imports()
        .iter()
        .map(|import| {
            Ok(match &import.ty {
                ExternType::Func(ty) => Func::new(
                    &mut *store,
                    ty.clone(),
                    |_: Caller<'_, E, ()>, _: &[Val<E>], _: &mut [Val<E>]| Ok(()),
                )?
                .into(),
                ExternType::Memory(ty) => Memory::new(&mut *store, *ty)?.into(),
                ExternType::Table(ty) => {
                    let init = Val::default_for(&ValType::Ref(ty.element))
                        .ok_or_else(|| Error::Type(format!("no default for {:?}", ty.element)))?;
                    Table::new(&mut *store, *ty, init)?.into()
                }
                ExternType::Global(ty) => {
                    let init = Val::default_for(&ty.content)
                        .ok_or_else(|| Error::Type(format!("no default for {:?}", ty.content)))?;
                    Global::new(&mut *store, *ty, init)?.into()
                }
                other => return Err(Error::Type(format!("cannot make {other:?}"))),
            })
        })
        .collect()
}

/// Exported globals by value and memories by hash, after the calls.
fn state<E: Engine>(
    r: &mut Record,
    store: &mut Store<E, ()>,
    module: &Module<E>,
    instance: &Instance<E>,
) {
    for e in module.exports() {
        match e.ty {
            ExternType::Global(_) => {
                if let Some(g) = instance.get_global(&mut *store, &e.name) {
                    let v = bits(&g.get(&mut *store));
                    r.push(format!("global {}", e.name), Outcome::Values(vec![v]));
                }
            }
            ExternType::Memory(_) => {
                if let Some(m) = instance.get_memory(&mut *store, &e.name) {
                    let hash = fnv(m.data(&*store));
                    r.push(
                        format!("memory {}", e.name),
                        Outcome::Values(vec![Bits::I64(hash as i64)]),
                    );
                }
            }
            _ => {}
        }
    }
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether `Module::validate` and `Module::new` disagree on one backend.
fn inconsistent(r: &Record) -> Option<String> {
    let compiled = matches!(r.steps.first(), Some((_, Outcome::Values(_))));
    (r.valid != compiled).then(|| {
        format!(
            "Module::validate says {}, Module::new gives {:?}",
            r.valid,
            r.steps.first().map(|s| &s.1)
        )
    })
}

/// A difference between two records, if any, after the allowed ones.
fn compare(a: &Record, b: &Record) -> Option<String> {
    if a.valid != b.valid {
        return Some(format!("validate: {} vs {}", a.valid, b.valid));
    }
    for (x, y) in a.steps.iter().zip(&b.steps) {
        if x.1.stops() || y.1.stops() {
            return None;
        }
        if x != y {
            return Some(format!("{}: {:?} vs {:?}", x.0, x.1, y.1));
        }
    }
    if a.steps.len() != b.steps.len() {
        return Some(format!(
            "{} steps vs {} steps",
            a.steps.len(),
            b.steps.len()
        ));
    }
    None
}

/// An engine bug the harness knows (see docs/RELIABILITY.md); a module
/// showing its pattern may make that engine the odd one out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KnownBug {
    /// wasmi 2.0.0: `select` whose condition is a comparison with zero.
    SelectOnZeroCompare,
    /// wasmi 2.0.0: `br_table` carrying two or more values.
    BrTableMultiValue,
    /// tinywasm 0.10.0: its parser refuses a valid module with "logical
    /// operand width mismatch".
    WidthMismatch,
    /// tinywasm 0.10.0 links imports by name: two imports of one name given
    /// different items (by position, `Instance::new`) cannot link.
    DuplicateImportNames,
    /// tinywasm 0.10.0: a `return_call` of a host function inside a block
    /// goes on after the block instead of returning.
    ReturnCallToHost,
    /// tinywasm 0.10.0: a declared local of a reference type does not start
    /// null.
    RefLocalNotNull,
}

impl KnownBug {
    /// The backend that has the bug.
    fn engine(self) -> &'static str {
        match self {
            KnownBug::SelectOnZeroCompare | KnownBug::BrTableMultiValue => "wasmi",
            KnownBug::WidthMismatch
            | KnownBug::DuplicateImportNames
            | KnownBug::ReturnCallToHost
            | KnownBug::RefLocalNotNull => "tinywasm",
        }
    }
}

impl fmt::Display for KnownBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KnownBug::SelectOnZeroCompare => "wasmi select on a comparison with zero",
            KnownBug::BrTableMultiValue => "wasmi br_table with two or more values",
            KnownBug::WidthMismatch => "tinywasm refuses a valid module (width mismatch)",
            KnownBug::DuplicateImportNames => "tinywasm links imports by name",
            KnownBug::ReturnCallToHost => "tinywasm return_call of a host function",
            KnownBug::RefLocalNotNull => "tinywasm reference locals not null",
        })
    }
}

/// The known bugs whose pattern `wasm` (with what `engine` recorded for
/// it) shows, for `engine` (over-approximated: a pattern present does not
/// mean the bug shows).
fn known_bugs_of(engine: &str, wasm: &[u8], record: &Record) -> Vec<KnownBug> {
    let mut found = known_bugs(wasm);
    if record
        .compile_error
        .as_deref()
        .is_some_and(|m| m.contains("logical operand width mismatch"))
    {
        found.push(KnownBug::WidthMismatch);
    }
    if has_duplicate_import_names(wasm) {
        found.push(KnownBug::DuplicateImportNames);
    }
    if may_tail_call_an_import(wasm) {
        found.push(KnownBug::ReturnCallToHost);
    }
    if has_reference_locals(wasm) {
        found.push(KnownBug::RefLocalNotNull);
    }
    found.retain(|b| b.engine() == engine);
    found
}

/// Whether `wasm` imports functions and tail-calls one: `return_call` of
/// an imported function, or any `return_call_indirect`/`return_call_ref`
/// (whose callee may be one).
fn may_tail_call_an_import(wasm: &[u8]) -> bool {
    use wasmparser::{Operator as O, Parser, Payload, TypeRef};
    let mut imported_funcs = 0u32;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(Payload::ImportSection(r)) => {
                imported_funcs += r
                    .into_imports()
                    .flatten()
                    .filter(|i| matches!(i.ty, TypeRef::Func(_)))
                    .count() as u32;
            }
            Ok(Payload::CodeSectionEntry(body)) if imported_funcs > 0 => {
                let Ok(ops) = body.get_operators_reader() else {
                    continue;
                };
                for op in ops.into_iter().flatten() {
                    match op {
                        O::ReturnCall { function_index } if function_index < imported_funcs => {
                            return true;
                        }
                        O::ReturnCallIndirect { .. } | O::ReturnCallRef { .. } => return true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether a function of `wasm` declares a local of a reference type.
fn has_reference_locals(wasm: &[u8]) -> bool {
    use wasmparser::{Parser, Payload};
    Parser::new(0).parse_all(wasm).any(|payload| match payload {
        Ok(Payload::CodeSectionEntry(body)) => body.get_locals_reader().is_ok_and(|locals| {
            locals
                .into_iter()
                .flatten()
                .any(|(_, ty)| matches!(ty, wasmparser::ValType::Ref(_)))
        }),
        _ => false,
    })
}

/// Whether two imports of `wasm` have the same module and name.
fn has_duplicate_import_names(wasm: &[u8]) -> bool {
    use wasmparser::{Parser, Payload};
    let mut seen = std::collections::HashSet::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::ImportSection(r)) = payload {
            for import in r.into_imports().flatten() {
                if !seen.insert((import.module.to_string(), import.name.to_string())) {
                    return true;
                }
            }
        }
    }
    false
}

/// The known wasmi bugs whose pattern `wasm` contains (over-approximated:
/// a pattern present does not mean the bug shows).
fn known_bugs(wasm: &[u8]) -> Vec<KnownBug> {
    use wasmparser::{Operator as O, Parser, Payload};
    let mut found = Vec::new();
    let mut multi_value_types = false;
    let mut br_table = false;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(Payload::TypeSection(r)) => {
                for group in r.into_iter().flatten() {
                    for sub in group.into_types() {
                        if let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner
                            && (f.params().len() >= 2 || f.results().len() >= 2)
                        {
                            multi_value_types = true;
                        }
                    }
                }
            }
            Ok(Payload::CodeSectionEntry(body)) => {
                let Ok(ops) = body.get_operators_reader() else {
                    continue;
                };
                let mut prev: [Option<O<'_>>; 2] = [None, None];
                for op in ops.into_iter().flatten() {
                    match &op {
                        O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => {
                            let compare = |o: &Option<O<'_>>| {
                                matches!(
                                    o,
                                    Some(
                                        O::I32Eqz
                                            | O::I64Eqz
                                            | O::I32Eq
                                            | O::I32Ne
                                            | O::I64Eq
                                            | O::I64Ne
                                    )
                                )
                            };
                            if compare(&prev[1]) && !found.contains(&KnownBug::SelectOnZeroCompare)
                            {
                                found.push(KnownBug::SelectOnZeroCompare);
                            }
                        }
                        O::BrTable { .. } => br_table = true,
                        _ => {}
                    }
                    prev = [prev[1].take(), Some(op)];
                }
            }
            _ => {}
        }
    }
    if br_table && multi_value_types {
        found.push(KnownBug::BrTableMultiValue);
    }
    found
}

/// One seed's verdict.
#[derive(Debug)]
enum Verdict {
    /// The generator could not make a module from the seed's bytes.
    NoModule,
    /// The backends agree (up to the allowed differences).
    Agree,
    /// They differ, the odd one out showing a known bug's pattern.
    Known(KnownBug, String),
    /// They differ otherwise: a finding, attributed to the odd ones out
    /// (none without a majority).
    Mismatch(Vec<&'static str>, String),
}

/// One backend of a run.
struct Voter {
    name: &'static str,
    engine: AnyEngine,
    /// Memory bound given as a store policy (a backend without fixed limits).
    bounds: Option<usize>,
}

/// The backends' votes on `records` (of the backends `names`, in order):
/// `None` when all agree, else the odd ones out (outside a majority; empty
/// without one) and the difference.
fn vote(names: &[&str], records: &[Record]) -> Option<(Vec<usize>, String)> {
    let mut classes: Vec<Vec<usize>> = Vec::new();
    for i in 0..records.len() {
        match classes
            .iter_mut()
            .find(|c| compare(&records[c[0]], &records[i]).is_none())
        {
            Some(c) => c.push(i),
            None => classes.push(vec![i]),
        }
    }
    if classes.len() <= 1 {
        return None;
    }
    let majority = classes.iter().find(|c| c.len() * 2 > records.len());
    let (odd, base): (Vec<usize>, usize) = match majority {
        Some(m) => (
            (0..records.len()).filter(|i| !m.contains(i)).collect(),
            m[0],
        ),
        None => (Vec::new(), classes[0][0]),
    };
    let other = odd.first().copied().unwrap_or(classes[1][0]);
    let diff = compare(&records[base], &records[other]).unwrap_or_default();
    Some((odd, format!("{} vs {}: {diff}", names[base], names[other])))
}

/// Runs seed `seed` on every voter; the verdict, the module and the first
/// voter's record.
fn run_case(voters: &[Voter], seed: u64, host_imports: bool) -> (Verdict, Option<Vec<u8>>, Record) {
    let Some(wasm) = module_for(seed, host_imports) else {
        return (Verdict::NoModule, None, Record::default());
    };
    let records: Vec<Record> = voters
        .iter()
        .map(|v| record(&v.engine, v.bounds, &wasm, seed, host_imports))
        .collect();
    for (v, r) in voters.iter().zip(&records) {
        if let Some(diff) = inconsistent(r) {
            return (
                Verdict::Mismatch(vec![v.name], format!("{}: {diff}", v.name)),
                Some(wasm),
                records[0].clone(),
            );
        }
    }
    let names: Vec<&str> = voters.iter().map(|v| v.name).collect();
    let verdict = match vote(&names, &records) {
        None => Verdict::Agree,
        Some((odd, diff)) => {
            // Without a majority (two voters), either side may be the buggy one.
            let suspects: Vec<usize> = if odd.is_empty() {
                (0..voters.len()).collect()
            } else {
                odd.clone()
            };
            let known = suspects.iter().find_map(|&i| {
                known_bugs_of(voters[i].name, &wasm, &records[i])
                    .first()
                    .copied()
            });
            match known {
                Some(bug) if odd.len() <= 1 => Verdict::Known(bug, diff),
                _ => Verdict::Mismatch(odd.iter().map(|&i| voters[i].name).collect(), diff),
            }
        }
    };
    (verdict, Some(wasm), records[0].clone())
}

/// The engines' configuration for the harness: fuel on, memories and tables
/// bounded, and with `limits` limits small enough that many generated
/// modules pass them.
fn config(limits: bool) -> Config {
    let mut c = Config::new();
    c.fuel(true);
    if limits {
        c.max_memory_bytes(2 << 16).max_table_elements(16);
    } else {
        // Generated code grows memories without a declared maximum (a
        // memory64 grows by `i64.clz(memory.size)` pages in a recursion);
        // without a limit a few hundred such frames take the machine's
        // memory. Tables keep the default cap (tinywasm's own, which it
        // applies in wasm too).
        c.max_memory_bytes(MAX_MEMORY);
    }
    c
}

/// The memory bound of the runs without `limits`.
const MAX_MEMORY: usize = 16 << 20;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The backends of a run: every one of the list that can run `config(limits)`;
/// without `limits`, a backend without fixed limits runs with the memory
/// bound as a store policy instead.
fn voters(limits: bool) -> Vec<Voter> {
    wasm_run::BACKENDS
        .iter()
        .filter_map(|name| match AnyEngine::by_name(name, &config(limits)) {
            Ok(engine) => Some(Voter {
                name,
                engine,
                bounds: None,
            }),
            Err(Error::Unsupported {
                feature: Feature::Limits,
                ..
            }) if !limits => {
                let mut c = Config::new();
                c.fuel(true);
                Some(Voter {
                    name,
                    engine: AnyEngine::by_name(name, &c).expect("an engine with fuel"),
                    bounds: Some(MAX_MEMORY),
                })
            }
            Err(Error::Unsupported { .. }) => None,
            Err(e) => panic!("{name}: {e}"),
        })
        .collect()
}

/// Totals of one run of seeds.
#[derive(Debug, Default)]
struct Totals {
    modules: u64,
    agree: u64,
    known: Vec<(u64, KnownBug, String)>,
    mismatches: Vec<(u64, Vec<&'static str>, String)>,
    /// Steps compared on wasmtime's side, by outcome: values, traps, other
    /// errors, stopped (fuel or stack).
    steps: [u64; 4],
}

/// Runs `cases` seeds (the environment may raise it) on every backend that
/// can run the configuration.
fn run(name: &str, cases: u64, limits: bool, host_imports: bool) -> Totals {
    let cases = env_u64("WASM_RUN_FUZZ_CASES", cases);
    let first = env_u64("WASM_RUN_FUZZ_SEED", 0);
    let voters = voters(limits);
    assert!(
        voters.len() >= 2,
        "{name}: fewer than two backends can run it"
    );
    let mut t = Totals::default();
    let verbose = std::env::var_os("WASM_RUN_FUZZ_VERBOSE").is_some();
    for seed in first..first + cases {
        if verbose {
            eprintln!("{name}: seed {seed}");
        }
        let (verdict, wasm, rec) = run_case(&voters, seed, host_imports);
        for (_, o) in &rec.steps {
            let i = match o {
                _ if o.stops() => 3,
                Outcome::Values(_) => 0,
                Outcome::Trap(_) => 1,
                Outcome::Error(_) => 2,
            };
            t.steps[i] += 1;
        }
        match verdict {
            Verdict::NoModule => continue,
            Verdict::Agree => t.agree += 1,
            Verdict::Known(bug, diff) => t.known.push((seed, bug, diff)),
            Verdict::Mismatch(odd, diff) => {
                if let Some(wasm) = wasm {
                    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/differential");
                    let _ = std::fs::create_dir_all(dir);
                    let _ = std::fs::write(format!("{dir}/{name}-seed-{seed}.wasm"), wasm);
                }
                t.mismatches.push((seed, odd, diff));
            }
        }
        t.modules += 1;
    }
    let names: Vec<&str> = voters.iter().map(|v| v.name).collect();
    eprintln!(
        "differential {name} ({}): {cases} seeds, {} modules, {} agree, {} differ by a known engine bug, {} mismatches; \
         steps (compile, instantiate, calls, state): {} values, {} traps, {} errors, {} stopped by fuel or stack",
        names.join(", "),
        t.modules,
        t.agree,
        t.known.len(),
        t.mismatches.len(),
        t.steps[0],
        t.steps[1],
        t.steps[2],
        t.steps[3]
    );
    for (seed, bug, diff) in &t.known {
        eprintln!("  seed {seed}: known ({bug}): {diff}");
    }
    t
}

fn check(name: &str, t: &Totals) {
    assert!(
        t.mismatches.is_empty(),
        "{name}: the backends differ on {} generated modules (seed: difference; modules in target/differential):\n{}",
        t.mismatches.len(),
        t.mismatches
            .iter()
            .map(|(s, odd, d)| format!(
                "  seed {s}: odd one out {}: {d}",
                if odd.is_empty() {
                    "unknown (no majority)".to_string()
                } else {
                    odd.join(", ")
                }
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The harness must really run modules: a generator or API change that
    // made every case vacuous would fail here.
    assert!(
        t.agree * 2 >= t.modules && t.modules > 0,
        "{name}: only {} of {} modules compared",
        t.agree,
        t.modules
    );
}

/// Modules with every proposal wasm-smith knows, most of which one backend
/// or both do not support: on each backend `Module::validate` and
/// `Module::new` give the same verdict (the backends may differ from each
/// other here: their feature sets do).
#[test]
fn validate_agrees_with_new_on_each_backend() {
    let cases = env_u64("WASM_RUN_FUZZ_CASES", 300);
    let first = env_u64("WASM_RUN_FUZZ_SEED", 0);
    let engines: Vec<(&str, AnyEngine)> = wasm_run::BACKENDS
        .iter()
        .map(|name| (*name, AnyEngine::by_name(name, &Config::new()).expect(name)))
        .collect();
    let mut found = Vec::new();
    let mut valid = vec![0u64; engines.len()];
    for seed in first..first + cases {
        let mut state = seed ^ 0x5151_5151;
        let bytes: Vec<u8> = (0..4096).map(|_| splitmix(&mut state) as u8).collect();
        let mut config = smith_config();
        config.max_imports = 6;
        config.gc_enabled = true;
        config.exceptions_enabled = true;
        config.compact_imports_enabled = true;
        config.custom_page_sizes_enabled = true;
        config.wide_arithmetic_enabled = true;
        config.threads_enabled = true;
        config.relaxed_simd_enabled = true;
        config.canonicalize_nans = false;
        let Ok(module) = wasm_smith::Module::new(config, &mut Unstructured::new(&bytes)) else {
            continue;
        };
        let wasm = module.to_bytes();
        for (i, (name, engine)) in engines.iter().enumerate() {
            let validated = Module::validate(engine, &wasm).is_ok();
            let compiled = Module::new(engine, &wasm);
            // tinywasm's parser bug (docs/RELIABILITY.md): a valid module refused.
            let known = matches!(&compiled, Err(e) if *name == KnownBug::WidthMismatch.engine()
                && e.to_string().contains("logical operand width mismatch"));
            if validated != compiled.is_ok() && !known {
                found.push((seed, *name));
            }
            valid[i] += u64::from(validated);
        }
    }
    let counts: Vec<String> = engines
        .iter()
        .zip(&valid)
        .map(|((name, _), n)| format!("{name} {n}"))
        .collect();
    eprintln!(
        "validate vs new: {cases} seeds, valid on {}",
        counts.join(", ")
    );
    assert!(
        found.is_empty(),
        "validate and new disagree (seed, engine): {found:?}"
    );
    assert!(valid.iter().all(|n| *n > 0), "no valid module generated");
}

/// The vote attributes a difference to the engine outside the majority, to
/// no one without a majority, and stops comparing at fuel exhaustion.
#[test]
fn votes_find_the_odd_one_out() {
    let rec = |steps: &[(&str, Outcome)]| Record {
        valid: true,
        compile_error: None,
        steps: steps
            .iter()
            .map(|(w, o)| (w.to_string(), o.clone()))
            .collect(),
        stopped: false,
    };
    let ok = rec(&[("call f", Outcome::Values(vec![Bits::I32(1)]))]);
    let wrong = rec(&[("call f", Outcome::Values(vec![Bits::I32(2)]))]);
    let trap = rec(&[("call f", Outcome::Trap(TrapCode::OutOfFuel))]);
    assert_eq!(
        vote(&["a", "b", "c"], &[ok.clone(), ok.clone(), ok.clone()]),
        None
    );
    let (odd, diff) = vote(&["a", "b", "c"], &[ok.clone(), wrong.clone(), ok.clone()]).unwrap();
    assert_eq!(odd, [1]);
    assert!(diff.starts_with("a vs b: call f"), "{diff}");
    let (odd, _) = vote(&["a", "b"], &[ok.clone(), wrong.clone()]).unwrap();
    assert!(odd.is_empty(), "two voters have no majority");
    let (odd, _) = vote(&["a", "b", "c"], &[ok.clone(), wrong, trap.clone()]).unwrap();
    assert_eq!(odd, [1], "out of fuel agrees with everything");
    assert_eq!(vote(&["a", "b"], &[ok, trap]), None);
}

#[test]
fn backends_agree_on_generated_modules() {
    let t = run("plain", 250, false, false);
    check("plain", &t);
}

#[test]
fn backends_agree_with_limits_on() {
    let t = run("limits", 120, true, false);
    check("limits", &t);
}

#[test]
fn backends_agree_on_host_made_imports_in_declaration_order() {
    let t = run("imports", 150, false, true);
    check("imports", &t);
}

/// Writes the module of `WASM_RUN_FUZZ_DUMP=<seed>` to target/differential
/// (a helper for minimising a finding; does nothing otherwise).
#[test]
fn dump_seed() {
    let Some(seed) = std::env::var("WASM_RUN_FUZZ_DUMP")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return;
    };
    let imports = std::env::var_os("WASM_RUN_FUZZ_IMPORTS").is_some();
    let wasm = module_for(seed, imports).expect("a module");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/differential");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(format!("{dir}/dump-{seed}.wasm"), wasm).unwrap();
}
