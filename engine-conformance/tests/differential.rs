//! Differential testing of the backends through wasm-run's public API.
//!
//! [`run_case`] turns a seed into a module with `wasm-smith` (only proposals
//! both backends support, NaNs canonicalised by the generator, small memories
//! and tables), runs it on wasmtime and on wasmi with the same fuel, and
//! compares what a user of the API sees: the validation verdict, whether it
//! compiles and instantiates (by error kind), each exported function's
//! results (floats by bits) or trap code, the exported globals and a hash of
//! every exported memory after the calls.
//!
//! Allowed differences (documented in docs/RELIABILITY.md):
//! - fuel: the backends count it in different units, so once either side runs
//!   out the rest of the case is not compared;
//! - stack exhaustion: the backends' recursion limits differ, so the same;
//! - the known wasmi 2.0.0 miscompilations ([`KnownBug`]): a mismatch in a
//!   module that contains the faulty pattern is counted as that bug, not as a
//!   failure.
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
    Caller, Config, Engine, Error, Extern, ExternType, Func, Global, Instance, Linker, Memory,
    Module, Store, Table, TrapCode, Val, ValType, Wasmi, Wasmtime,
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
fn record<E: Engine>(engine: &E, wasm: &[u8], seed: u64, host_imports: bool) -> Record {
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
            r.push("compile", kind(&e));
            return r;
        }
    };
    let mut store = Store::new(engine, ());
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

/// A miscompilation of wasmi 2.0.0 that the harness knows (see
/// docs/RELIABILITY.md); a module containing its pattern may differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KnownBug {
    /// `select` whose condition is a comparison with zero.
    SelectOnZeroCompare,
    /// `br_table` carrying two or more values.
    BrTableMultiValue,
}

impl fmt::Display for KnownBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KnownBug::SelectOnZeroCompare => "wasmi select on a comparison with zero",
            KnownBug::BrTableMultiValue => "wasmi br_table with two or more values",
        })
    }
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
    /// They differ in a module with a known wasmi bug's pattern.
    Known(KnownBug, String),
    /// They differ otherwise: a finding.
    Mismatch(String),
}

/// Runs seed `seed` on both engines.
fn run_case<A: Engine, B: Engine>(
    a: &A,
    b: &B,
    seed: u64,
    host_imports: bool,
) -> (Verdict, Option<Vec<u8>>, Record) {
    let Some(wasm) = module_for(seed, host_imports) else {
        return (Verdict::NoModule, None, Record::default());
    };
    let ra = record(a, &wasm, seed, host_imports);
    let rb = record(b, &wasm, seed, host_imports);
    for (engine, r) in [(a.name(), &ra), (b.name(), &rb)] {
        if let Some(diff) = inconsistent(r) {
            return (
                Verdict::Mismatch(format!("{engine}: {diff}")),
                Some(wasm),
                ra.clone(),
            );
        }
    }
    let verdict = match compare(&ra, &rb) {
        None => Verdict::Agree,
        Some(diff) => match known_bugs(&wasm).first() {
            Some(bug) => Verdict::Known(*bug, diff),
            None => Verdict::Mismatch(diff),
        },
    };
    (verdict, Some(wasm), ra)
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
        // memory.
        c.max_memory_bytes(16 << 20).max_table_elements(100_000);
    }
    c
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Totals of one run of seeds.
#[derive(Debug, Default)]
struct Totals {
    modules: u64,
    agree: u64,
    known: Vec<(u64, KnownBug, String)>,
    mismatches: Vec<(u64, String)>,
    /// Steps compared on wasmtime's side, by outcome: values, traps, other
    /// errors, stopped (fuel or stack).
    steps: [u64; 4],
}

/// Runs `cases` seeds (the environment may raise it) on wasmtime and wasmi.
fn run(name: &str, cases: u64, limits: bool, host_imports: bool) -> Totals {
    let cases = env_u64("WASM_RUN_FUZZ_CASES", cases);
    let first = env_u64("WASM_RUN_FUZZ_SEED", 0);
    let a = Wasmtime::new(&config(limits)).expect("wasmtime");
    let b = Wasmi::new(&config(limits)).expect("wasmi");
    let mut t = Totals::default();
    let verbose = std::env::var_os("WASM_RUN_FUZZ_VERBOSE").is_some();
    for seed in first..first + cases {
        if verbose {
            eprintln!("{name}: seed {seed}");
        }
        let (verdict, wasm, rec) = run_case(&a, &b, seed, host_imports);
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
            Verdict::Mismatch(diff) => {
                if let Some(wasm) = wasm {
                    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/differential");
                    let _ = std::fs::create_dir_all(dir);
                    let _ = std::fs::write(format!("{dir}/{name}-seed-{seed}.wasm"), wasm);
                }
                t.mismatches.push((seed, diff));
            }
        }
        t.modules += 1;
    }
    eprintln!(
        "differential {name}: {cases} seeds, {} modules, {} agree, {} differ by a known wasmi bug, {} mismatches; \
         steps (compile, instantiate, calls, state): {} values, {} traps, {} errors, {} stopped by fuel or stack",
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
            .map(|(s, d)| format!("  seed {s}: {d}"))
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
    let a = Wasmtime::new(&Config::new()).expect("wasmtime");
    let b = Wasmi::new(&Config::new()).expect("wasmi");
    let mut found = Vec::new();
    let mut valid = [0u64; 2];
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
        for (i, verdict) in [
            (
                0,
                Module::validate(&a, &wasm).is_ok() == Module::new(&a, &wasm).is_ok(),
            ),
            (
                1,
                Module::validate(&b, &wasm).is_ok() == Module::new(&b, &wasm).is_ok(),
            ),
        ] {
            if !verdict {
                found.push((seed, ["wasmtime", "wasmi"][i]));
            }
        }
        valid[0] += u64::from(Module::validate(&a, &wasm).is_ok());
        valid[1] += u64::from(Module::validate(&b, &wasm).is_ok());
    }
    eprintln!(
        "validate vs new: {cases} seeds, valid on wasmtime {}, on wasmi {}",
        valid[0], valid[1]
    );
    assert!(
        found.is_empty(),
        "validate and new disagree (seed, engine): {found:?}"
    );
    assert!(valid[0] > 0 && valid[1] > 0, "no valid module generated");
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
