//! The probes: small modules per row compiled, instantiated and called
//! through the public API, their results checked; caller-supplied probes
//! ([`Hooks`]), among them WASI preview 1 ([`wasi_p1_probe`]).

use wasm_run_api::{
    Config, Engine, Error, ExportType, ExternType, Feature, FuncType, GlobalType, HeapType,
    ImportType, Linker, MemoryType, Module, Mutability, RefType, Result, SharedMemory, Store,
    TableType, TrapCode, V128, Val, ValType,
};

use super::Row;

/// Probes of settings the engine may not apply (call depth, lazy
/// validation).
mod settings;
use crate::behaviour::helpers::result_slots;

/// The component of the `component_model` probe.
const COMPONENT_PROBE: &str = r#"(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (core module $libc
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (core func $double' (canon lower (func $double)))
  ;; The destructor counts drops in the shared memory's word at 8.
  (core module $Dtor
    (import "libc" "memory" (memory 1))
    (func (export "drop") (param i32)
      (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))))
  (core instance $dtor (instantiate $Dtor (with "libc" (instance $libc))))
  (type $counter (resource (rep i32) (dtor (core func $dtor "drop"))))
  (core func $new (canon resource.new $counter))
  (core module $M
    (import "libc" "memory" (memory 1))
    (import "libc" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
    (import "host" "double" (func $double (param i32) (result i32)))
    (import "host" "new" (func $new (param i32) (result i32)))
    (func (export "shout") (param $p i32) (param $n i32) (result i32)
      (local $out i32) (local $i i32) (local $c i32)
      (local.set $out (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $n)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (local.set $c (i32.sub (local.get $c) (i32.const 32)))))
        (i32.store8 (i32.add (local.get $out) (local.get $i)) (local.get $c))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (i32.store (i32.const 16) (local.get $out))
      (i32.store (i32.const 20) (local.get $n))
      (i32.const 16))
    (func (export "shout-post") (param i32)
      (i32.store (i32.const 16) (i32.const -1)))
    (func (export "quadruple") (param i32) (result i32)
      (call $double (call $double (local.get 0))))
    (func (export "norm1") (param $x i32) (param $y i32) (result i32)
      (i32.add
        (select (local.get $x) (i32.sub (i32.const 0) (local.get $x)) (i32.ge_s (local.get $x) (i32.const 0)))
        (select (local.get $y) (i32.sub (i32.const 0) (local.get $y)) (i32.ge_s (local.get $y) (i32.const 0)))))
    (func (export "make") (param $start i32) (result i32)
      (local $cell i32)
      (local.set $cell (call $realloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 4)))
      (i32.store (local.get $cell) (local.get $start))
      (call $new (local.get $cell)))
    (func (export "next") (param $cell i32) (result i32)
      (i32.store (local.get $cell) (i32.add (i32.load (local.get $cell)) (i32.const 1)))
      (i32.load (local.get $cell)))
    (func (export "dropped") (result i32) (i32.load (i32.const 8)))
    (func (export "bad-char") (result i32) (i32.const 0x110000)))
  (core instance $m (instantiate $M
    (with "libc" (instance $libc))
    (with "host" (instance (export "double" (func $double')) (export "new" (func $new))))))
  (type $point (record (field "x" s32) (field "y" s32)))
  (export $point' "point" (type $point))
  (export $c "counter" (type $counter))
  (func (export "shout") (param "s" string) (result string)
    (canon lift (core func $m "shout") (memory (core memory $libc "memory"))
      (realloc (core func $libc "realloc")) (post-return (core func $m "shout-post"))))
  (func (export "quadruple") (param "x" u32) (result u32) (canon lift (core func $m "quadruple")))
  (func (export "norm1") (param "p" $point') (result u32) (canon lift (core func $m "norm1")))
  (func (export "[constructor]counter") (param "start" u32) (result (own $c))
    (canon lift (core func $m "make")))
  (func (export "[method]counter.next") (param "self" (borrow $c)) (result u32)
    (canon lift (core func $m "next")))
  (func (export "dropped") (result u32) (canon lift (core func $m "dropped")))
  (func (export "bad-char") (result char) (canon lift (core func $m "bad-char"))))"#;

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
    /// Async calls ([`async_probe`]: it needs the engine's stores to be
    /// `Send`, which this crate cannot require of every engine). Without it
    /// the `async` row is unsupported.
    pub async_calls: Option<ProbeFn<E>>,
}

impl<E: wasm_run_wasi::WasiEngine> Hooks<E> {
    /// Hooks with the WASI preview 1 probe ([`wasi_p1_probe`]), for backends
    /// `wasm-run-wasi` supports.
    pub fn with_wasi() -> Self {
        Hooks {
            wasi_p1: Some(wasi_p1_probe::<E>),
            async_calls: None,
        }
    }
}

impl<E: Engine> Hooks<E>
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    /// These hooks with the async probe ([`async_probe`]).
    pub fn with_async(self) -> Self {
        Hooks {
            async_calls: Some(async_probe::<E>),
            ..self
        }
    }
}

/// The async probe: a module calls an async host function whose future is
/// pending twice before it answers; `call_async` (driven by polling with a
/// no-op waker) returns the right result after pending at least twice, and
/// a synchronous call reaching the async host function is `Error::Type`.
pub fn async_probe<E: Engine>(
    make: &dyn Fn(&Config) -> Result<E>,
) -> std::result::Result<(), ProbeError>
where
    E::Store<()>: Send,
    E::Linker<()>: Sync,
{
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let probe = Probe {
        make,
        row: Row::Async,
    };
    let engine = probe.engine_with(&mut Config::new())?;
    let module = probe.module(
        &engine,
        r#"(module
             (import "host" "later" (func $later (param i32) (result i32)))
             (func (export "f") (param i32) (result i32)
               (i32.add (call $later (local.get 0)) (i32.const 1))))"#,
    )?;
    let mut linker = Linker::<E, ()>::new(&engine);
    let ty = wasm_run_api::FuncType::new([ValType::I32], [ValType::I32]);
    linker
        .func_new_async("host", "later", ty, |_, params| {
            let x = match params.first() {
                Some(Val::I32(x)) => *x,
                _ => return Err(wasm_run_api::Error::Type("not an i32".into())),
            };
            let mut pending = 2;
            Ok(std::future::poll_fn(move |cx| {
                if pending == 0 {
                    return Poll::Ready(Ok(vec![Val::I32(x * 2)]));
                }
                pending -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }))
        })
        .map_err(|e| probe.error(e))?;
    fn drive<F: Future + Unpin>(mut f: F) -> std::result::Result<(F::Output, usize), ProbeError> {
        let mut cx = Context::from_waker(Waker::noop());
        for pending in 0..1_000 {
            if let Poll::Ready(v) = std::pin::Pin::new(&mut f).poll(&mut cx) {
                return Ok((v, pending));
            }
        }
        Err(failed("an async call did not finish in 1000 polls"))
    }
    let mut store = Store::new(&engine, ());
    let (instance, _) = drive(Box::pin(linker.instantiate_async(&mut store, &module)))?;
    let instance = instance.map_err(|e| probe.error(e))?;
    let f = instance.get_func(&mut store, "f").map_err(failed)?;
    let mut out = [Val::I32(0)];
    let (r, pending) = drive(Box::pin(f.call_async(
        &mut store,
        &[Val::I32(20)],
        &mut out,
    )))?;
    r.map_err(|e| probe.error(e))?;
    if out != [Val::I32(41)] || pending < 2 {
        return Err(failed(format!(
            "the async call gave {out:?} after {pending} pending polls, expected 41 after 2"
        )));
    }
    match f.call(&mut store, &[Val::I32(20)], &mut out) {
        Err(wasm_run_api::Error::Type(_)) => Ok(()),
        other => Err(failed(format!(
            "a synchronous call reaching an async host function gave {other:?}, not Error::Type"
        ))),
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
        Hooks {
            wasi_p1: None,
            async_calls: None,
        }
    }
}

impl<E: Engine> Clone for Hooks<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: Engine> Copy for Hooks<E> {}

type ProbeResult = std::result::Result<(), ProbeError>;

/// Runs the probe of `row` (`None`: the row has none, or its hook is not
/// supplied).
pub(super) fn probe<E: Engine>(
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
        Row::ComponentModel => p.component(false),
        Row::ComponentModelNative => p.component(true),
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
        Row::ResumableFuel => p.resumable_fuel(),
        Row::Deadline => p.stop(Row::Deadline),
        Row::Interrupt => p.stop(Row::Interrupt),
        Row::NanCanonicalization => p.nan_canonicalization(),
        Row::PoolingAllocation => p.pooling(),
        Row::Async => return hooks.async_calls.map(|h| h(make)),
        Row::CallDepthLimit => p.call_depth_limit(),
        Row::LazyValidation => p.lazy_validation(),
        Row::Execution => p.expect(
            r#"(module (func (export "f") (param i32) (result i32)
                 (i32.add (local.get 0) (i32.const 1))))"#,
            "f",
            &[Val::I32(41)],
            &[Val::I32(42)],
        ),
        Row::ModuleSerialization => p.module_serialization(),
        Row::WasiNn | Row::WasiCrypto | Row::WasiThreads => {
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
        // Components run on a core engine (wasm-run-component is written
        // over the core API): nothing to enable in the engine.
        if let Some(f) = self
            .row
            .feature()
            .filter(|f| f.is_proposal() && *f != Feature::ComponentModel)
        {
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
        let mut results = result_slots(&f.ty(&*store));
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

    /// The portable component model (`wasm-run-component`) on this
    /// backend: a component with a host import, strings through `realloc`
    /// and `post-return`, a record, and a resource it defines (constructor,
    /// method, destructor), instantiated and called; a canonical-ABI trap
    /// is typed. With `native`, the same on the backend's own component
    /// model (`Config::native_components`).
    fn component(&self, native: bool) -> ProbeResult {
        use wasm_run_component::{Component, Linker as CLinker, Val as CVal};
        let engine = self.engine_with(Config::new().native_components(native))?;
        let component = Component::new(&engine, COMPONENT_PROBE).map_err(|e| match e {
            Error::Unsupported { .. } => {
                ProbeError::Unsupported(format!("a component does not load: {e}"))
            }
            e => failed(format!("the probe component does not load: {e}")),
        })?;
        let mut linker: CLinker<E, ()> = CLinker::new(&engine);
        linker
            .func_new("double", |_, args, out| {
                let Some(CVal::U32(x)) = args.first() else {
                    return Err(Error::Type("double takes a u32".into()));
                };
                out[0] = CVal::U32(x * 2);
                Ok(())
            })
            .map_err(failed)?;
        let mut store = Store::new(&engine, ());
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(|e| self.error(e))?;
        let call = |store: &mut Store<E, ()>,
                    name: &str,
                    args: &[CVal]|
         -> std::result::Result<Option<CVal>, Error> {
            let f = instance
                .get_func(name)
                .ok_or_else(|| Error::Type(format!("no export {name}")))?;
            let mut out = vec![CVal::Bool(false); usize::from(f.ty().result().is_some())];
            f.call(store, args, &mut out)?;
            Ok(out.pop())
        };
        let check = |what: &str, got: Option<CVal>, want: CVal| {
            if got.as_ref() == Some(&want) {
                Ok(())
            } else {
                Err(failed(format!("{what}: got {got:?}, expected {want}")))
            }
        };
        let got = call(&mut store, "shout", &[CVal::String("héllo".into())]).map_err(failed)?;
        check("shout(\"héllo\")", got, CVal::String("HéLLO".into()))?;
        let got = call(&mut store, "quadruple", &[CVal::U32(5)]).map_err(failed)?;
        check("quadruple(5) through the host's double", got, CVal::U32(20))?;
        let point = CVal::Record(vec![
            ("x".into(), CVal::S32(3)),
            ("y".into(), CVal::S32(-4)),
        ]);
        let got = call(&mut store, "norm1", &[point]).map_err(failed)?;
        check("norm1({x: 3, y: -4})", got, CVal::U32(7))?;
        let Some(CVal::Resource(counter)) =
            call(&mut store, "[constructor]counter", &[CVal::U32(40)]).map_err(failed)?
        else {
            return Err(failed("the constructor returned no resource"));
        };
        let got = call(
            &mut store,
            "[method]counter.next",
            &[CVal::Resource(counter.clone())],
        )
        .map_err(failed)?;
        check("counter.next()", got, CVal::U32(41))?;
        instance
            .drop_resource(&mut store, counter)
            .map_err(failed)?;
        let got = call(&mut store, "dropped", &[]).map_err(failed)?;
        check(
            "dropped() after the host dropped the counter",
            got,
            CVal::U32(1),
        )?;
        match call(&mut store, "bad-char", &[]) {
            Err(e) if e.trap_code() == Some(TrapCode::InvalidChar) => Ok(()),
            other => Err(failed(format!(
                "a char out of range should trap with InvalidChar, got {other:?}"
            ))),
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

    /// A pool of two instances: two stores instantiate, a third is refused
    /// with `Error::ResourceLimit`.
    fn pooling(&self) -> ProbeResult {
        let mut config = Config::new();
        config.pooling(wasm_run_api::Pooling {
            total_instances: 2,
            total_memories: 2,
            total_tables: 2,
            max_memory_bytes: 1 << 20,
            max_table_elements: 10,
        });
        let engine = self.engine_with(&mut config)?;
        let module = self.module(&engine, "(module (memory 1))")?;
        let mut stores: Vec<Store<E, ()>> = (0..3).map(|_| Store::new(&engine, ())).collect();
        for store in &mut stores[..2] {
            Linker::new(&engine)
                .instantiate(store, &module)
                .map_err(failed)?;
        }
        match Linker::new(&engine).instantiate(&mut stores[2], &module) {
            Err(Error::ResourceLimit(_)) => Ok(()),
            Err(e) => Err(failed(format!(
                "a third instance gave `{e}`, not ResourceLimit"
            ))),
            Ok(_) => Err(failed("a third instance from a pool of two")),
        }
    }

    /// A module serialised and deserialised runs like the original; random
    /// bytes are refused with `Error::Deserialize`.
    fn module_serialization(&self) -> ProbeResult {
        let engine = self.engine()?;
        let module = self.module(
            &engine,
            r#"(module (func (export "f") (param i32) (result i32)
                 (i32.mul (local.get 0) (i32.const 3))))"#,
        )?;
        let bytes = module.serialize().map_err(|e| self.error(e))?;
        // SAFETY: the bytes were serialised just above by this process.
        let back = unsafe { Module::deserialize(&engine, &bytes) }.map_err(failed)?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &back)
            .map_err(failed)?;
        let got = self.call(&mut store, &instance, "f", &[Val::I32(14)])?;
        if got != [Val::I32(42)] {
            return Err(failed(format!("the deserialised module returned {got:?}")));
        }
        let junk: Vec<u8> = (0..bytes.len()).map(|i| (i * 7 + 3) as u8).collect();
        // SAFETY: the envelope's checks refuse these bytes before the engine
        // sees them (that is what is probed).
        match unsafe { Module::deserialize(&engine, &junk) } {
            Err(Error::Deserialize(_)) => Ok(()),
            Err(e) => Err(failed(format!("random bytes gave `{e}`, not Deserialize"))),
            Ok(_) => Err(failed("random bytes deserialised")),
        }
    }

    /// A long call in slices of fuel: paused, refuelled and resumed until it
    /// finishes, with the result of one uninterrupted call.
    fn resumable_fuel(&self) -> ProbeResult {
        use wasm_run_api::CallProgress;
        let mut config = Config::new();
        config.fuel(true);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module
                 (func (export "sum") (param $n i32) (result i64) (local $acc i64)
                   (block $done
                     (loop $l
                       (br_if $done (i32.eqz (local.get $n)))
                       (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
                       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                       (br $l)))
                   (local.get $acc)))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let sum = instance.get_func(&mut store, "sum").map_err(failed)?;
        store.set_fuel(1_000).map_err(failed)?;
        let mut out = [Val::I64(0)];
        let mut progress = sum
            .call_resumable(&mut store, &[Val::I32(50_000)], &mut out)
            .map_err(|e| self.error(e))?;
        let mut pauses = 0;
        while let CallProgress::OutOfFuel(paused) = progress {
            pauses += 1;
            if pauses > 1_000_000 {
                return Err(failed("the call did not finish"));
            }
            store.add_fuel(1_000).map_err(failed)?;
            progress = paused.resume(&mut store, &mut out).map_err(failed)?;
        }
        let want = Val::I64(50_000 * 50_001 / 2);
        if pauses < 10 || out != [want] {
            return Err(failed(format!(
                "{pauses} pauses and result {out:?}, expected many pauses and {want:?}"
            )));
        }
        Ok(())
    }

    /// Deadline or interrupt: an endless loop is stopped with the right trap
    /// code, and the store runs again afterwards.
    fn stop(&self, row: Row) -> ProbeResult {
        let feature = if row == Row::Deadline {
            Feature::Deadline
        } else {
            Feature::Interrupt
        };
        let mut config = Config::new();
        config.enable(feature);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module
                 (func (export "spin") (loop $l (br $l)))
                 (func (export "answer") (result i32) (i32.const 42)))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let spin = instance.get_func(&mut store, "spin").map_err(failed)?;
        let (code, stopper) = if row == Row::Deadline {
            store
                .set_deadline(std::time::Duration::from_millis(20))
                .map_err(|e| self.error(e))?;
            (TrapCode::Deadline, None)
        } else {
            let handle = store.interrupt_handle().map_err(|e| self.error(e))?;
            let stopper = std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                handle.interrupt();
            });
            (TrapCode::Interrupt, Some(stopper))
        };
        let result = spin.call(&mut store, &[], &mut []);
        if let Some(stopper) = stopper {
            stopper
                .join()
                .map_err(|_| failed("the interrupting thread panicked"))?;
        }
        match result {
            Err(e) if e.trap_code() == Some(code) => {}
            Err(e) => return Err(failed(format!("an endless loop gave `{e}`, not {code}"))),
            Ok(()) => return Err(failed("an endless loop returned")),
        }
        if row == Row::Deadline {
            store
                .set_deadline(std::time::Duration::from_secs(60))
                .map_err(failed)?;
        }
        let got = self.call(&mut store, &instance, "answer", &[])?;
        if got != [Val::I32(42)] {
            return Err(failed(format!("after the stop, answer returned {got:?}")));
        }
        Ok(())
    }

    /// NaN results have the canonical bit patterns (positive, quiet, no
    /// payload): `0/0` and arithmetic on a NaN with a payload, f32 and f64.
    fn nan_canonicalization(&self) -> ProbeResult {
        let mut config = Config::new();
        config.enable(Feature::NanCanonicalization);
        let engine = self.engine_with(&mut config)?;
        let module = self.module(
            &engine,
            r#"(module
                 (func (export "f") (param f32 f64) (result i32 i32 i64 i64)
                   (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0)))
                   (i32.reinterpret_f32 (f32.add (local.get 0) (f32.const 1)))
                   (i64.reinterpret_f64 (f64.div (f64.const 0) (f64.const 0)))
                   (i64.reinterpret_f64 (f64.mul (local.get 1) (f64.const 2)))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| self.error(e))?;
        let got = self.call(
            &mut store,
            &instance,
            "f",
            &[Val::F32(0x7fa0_0001), Val::F64(0x7ff4_0000_0000_0001)],
        )?;
        let canon32 = Val::I32(0x7fc0_0000);
        let canon64 = Val::I64(0x7ff8_0000_0000_0000);
        if got != [canon32, canon32, canon64, canon64] {
            return Err(failed(format!(
                "NaN results were {got:x?}, expected the canonical 0x7fc00000 / 0x7ff8000000000000"
            )));
        }
        Ok(())
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
