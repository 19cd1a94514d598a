//! Known miscompilations of wasmi 2.0.0, minimised.
//!
//! Each case states the answer the WebAssembly spec gives. wasmtime must give
//! it; wasmi must still give its known wrong answer. When a wasmi release
//! fixes a bug this test fails on purpose: take the case out of `WASMI_BUGS`,
//! out of the differential harness's known patterns
//! (`engine-conformance/tests/differential.rs`) and out of
//! docs/RELIABILITY.md.

#![cfg(all(feature = "wasmtime", feature = "wasmi"))]

use wasm_run::{Config, Engine, Linker, Module, Store, Val, Wasmi, Wasmtime};

/// `select` whose condition is a comparison with zero (`i32.eqz x`,
/// `x == 0`, `0 == x`, `x != 0`): wasmi ignores the condition and always
/// picks the first operand (`eqz`, `== 0`) or the second (`!= 0`), for every
/// value type.
const SELECT_WAT: &str = r#"
(module
  (func (export "eq0") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 i32.const 0 i32.eq select)
  (func (export "zero_eq") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 i32.const 0 local.get 2 i32.eq select)
  (func (export "eqz") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 i32.eqz select)
  (func (export "ne0") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 i32.const 0 i32.ne select)
  (func (export "eqz_i64") (param i64 i64 i32) (result i64)
    local.get 0 local.get 1 local.get 2 i32.eqz select)
  (func (export "eqz_f64") (param f64 f64 i32) (result f64)
    local.get 0 local.get 1 local.get 2 i32.eqz select)
  (func (export "plain") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 select))
"#;

/// A store whose address and value are the same local, last written from
/// an instruction's result (`local.tee` or `local.set` right after it), with
/// an offset of 65536 or more (too large for wasmi's 16-bit encodings): wasmi's translator reaches an `unreachable!()`
/// (wasmi 2.0.0, `translator/func/mod.rs` store lowering). wasm-run turns
/// the panic into `Error::Engine`.
const STORE_SAME_REG_WAT: &str = r#"
(module
  (memory 3)
  (func (export "store_same") (param i32) (result i32) (local i32)
    local.get 0 i32.const 1 i32.add local.tee 1
    local.get 1
    i32.store offset=100000
    local.get 1 i32.load offset=100000))
"#;

/// The control: the same store with an offset that fits wasmi's 16-bit
/// encoding translates and runs on both.
const STORE_APART_WAT: &str = r#"
(module
  (memory 3)
  (func (export "store_apart") (param i32) (result i32) (local i32)
    local.get 0 i32.const 1 i32.add local.tee 1
    local.get 1
    i32.store offset=65535
    local.get 1 i32.load offset=65535))
"#;

#[derive(Clone, Copy, Debug)]
enum Arg {
    I32(i32),
    I64(i64),
    F64(f64),
}

fn val<E: Engine>(a: Arg) -> Val<E> {
    match a {
        Arg::I32(x) => Val::I32(x),
        Arg::I64(x) => Val::I64(x),
        Arg::F64(x) => Val::f64(x),
    }
}

/// A call and what it gives, as text: `i32:8`, `f64:2.5`, or `trap:<code>`.
fn outcome<E: Engine>(engine: &E, wat: &str, func: &str, args: &[Arg]) -> String {
    let module = match Module::new(engine, wat) {
        Ok(m) => m,
        Err(e) => return format!("error:{e}"),
    };
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let f = instance.get_func(&mut store, func).expect("export");
    let ty = f.ty(&store);
    let params: Vec<Val<E>> = args.iter().map(|a| val(*a)).collect();
    let mut results: Vec<Val<E>> = ty
        .results()
        .iter()
        .map(|t| Val::default_for(t).expect("numeric result"))
        .collect();
    match f.call(&mut store, &params, &mut results) {
        Ok(()) => results
            .iter()
            .map(|v| match v {
                Val::I32(x) => format!("i32:{x}"),
                Val::I64(x) => format!("i64:{x}"),
                Val::F64(x) => format!("f64:{}", f64::from_bits(*x)),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => match e.trap_code() {
            Some(code) => format!("trap:{code:?}"),
            None => format!("error:{e}"),
        },
    }
}

struct Case {
    wat: &'static str,
    func: &'static str,
    args: &'static [Arg],
    /// What the spec says (and wasmtime gives).
    spec: &'static str,
    /// What wasmi 2.0.0 gives.
    wasmi: &'static str,
}

const WASMI_BUGS: &[Case] = &[
    Case {
        wat: SELECT_WAT,
        func: "eq0",
        args: &[Arg::I32(-1), Arg::I32(8), Arg::I32(64)],
        spec: "i32:8",
        wasmi: "i32:-1",
    },
    Case {
        wat: SELECT_WAT,
        func: "zero_eq",
        args: &[Arg::I32(-1), Arg::I32(8), Arg::I32(64)],
        spec: "i32:8",
        wasmi: "i32:-1",
    },
    Case {
        wat: SELECT_WAT,
        func: "eqz",
        args: &[Arg::I32(3), Arg::I32(9), Arg::I32(7)],
        spec: "i32:9",
        wasmi: "i32:3",
    },
    Case {
        wat: SELECT_WAT,
        func: "ne0",
        args: &[Arg::I32(-1), Arg::I32(8), Arg::I32(5)],
        spec: "i32:-1",
        wasmi: "i32:8",
    },
    Case {
        wat: SELECT_WAT,
        func: "eqz_i64",
        args: &[Arg::I64(-1), Arg::I64(8), Arg::I32(64)],
        spec: "i64:8",
        wasmi: "i64:-1",
    },
    Case {
        wat: SELECT_WAT,
        func: "eqz_f64",
        args: &[Arg::F64(1.5), Arg::F64(2.5), Arg::I32(64)],
        spec: "f64:2.5",
        wasmi: "f64:1.5",
    },
    Case {
        wat: STORE_SAME_REG_WAT,
        func: "store_same",
        args: &[Arg::I32(4)],
        spec: "i32:5",
        wasmi: "error:engine panicked: internal error: entered unreachable code",
    },
];

/// Cases that look like the bugs but are fine on both: they keep the test
/// honest about what exactly is broken.
const CONTROLS: &[Case] = &[
    Case {
        wat: SELECT_WAT,
        func: "plain",
        args: &[Arg::I32(-1), Arg::I32(8), Arg::I32(64)],
        spec: "i32:-1",
        wasmi: "i32:-1",
    },
    Case {
        wat: SELECT_WAT,
        func: "eq0",
        args: &[Arg::I32(-1), Arg::I32(8), Arg::I32(0)],
        spec: "i32:-1",
        wasmi: "i32:-1",
    },
    Case {
        wat: STORE_APART_WAT,
        func: "store_apart",
        args: &[Arg::I32(4)],
        spec: "i32:5",
        wasmi: "i32:5",
    },
];

#[test]
fn wasmtime_gives_the_spec_answers() {
    let engine = Wasmtime::new(&Config::new()).unwrap();
    for case in WASMI_BUGS.iter().chain(CONTROLS) {
        assert_eq!(
            outcome(&engine, case.wat, case.func, case.args),
            case.spec,
            "wasmtime: {}{:?}",
            case.func,
            case.args
        );
    }
}

#[test]
fn wasmi_still_has_its_known_bugs() {
    let engine = Wasmi::new(&Config::new()).unwrap();
    for case in WASMI_BUGS.iter().chain(CONTROLS) {
        let got = outcome(&engine, case.wat, case.func, case.args);
        assert!(
            got != case.spec || case.spec == case.wasmi,
            "wasmi now gives the spec's answer for {}{:?} ({got}): the bug is \
             fixed; remove the case from WASMI_BUGS, the harness's known \
             patterns and docs/RELIABILITY.md",
            case.func,
            case.args
        );
        assert!(
            got.starts_with(case.wasmi),
            "wasmi: {}{:?}: expected {:?}, got {got:?}",
            case.func,
            case.args,
            case.wasmi
        );
    }
}

/// `memory.grow` and `table.grow` that fail (past the declared maximum),
/// executed in a loop: wasmi 2.0.0's default instruction dispatch (sibling
/// calls) does not turn the dispatch after a failed growth into a jump, so
/// every failed growth leaves a native frame behind, and a guest that keeps
/// trying overflows the native stack and aborts the process (measured with
/// wasmi alone, release build: a 1 MiB thread dies within 10,000 failed
/// grows, an 8 MiB thread within 100,000). wasmi's `portable-dispatch`
/// feature avoids it, at about 3 times the run time (see
/// docs/RELIABILITY.md).
const GROW_LOOP_WAT: &str = r#"
(module (memory 0 1) (table $t 0 1 funcref)
  (func (export "memory") (param $n i32) (result i32)
    (loop
      (drop (memory.grow (i32.const 2)))
      (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (memory.size))
  (func (export "table") (param $n i32) (result i32)
    (loop
      (drop (table.grow $t (ref.null func) (i32.const 2)))
      (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (table.size $t)))
"#;

/// Failed grows in the child process (see `failed_grows_in_a_loop`): 200,000
/// of each kind on a 1 MiB thread; prints the results.
fn grow_loop_child(engine: &str) {
    let engine = engine.to_string();
    let out = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let engine = wasm_run::AnyEngine::by_name(&engine, &Config::new()).unwrap();
            let module = Module::new(&engine, GROW_LOOP_WAT).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Linker::new(&engine)
                .instantiate(&mut store, &module)
                .unwrap();
            ["memory", "table"].map(|name| {
                let f = instance
                    .get_typed_func::<i32, i32>(&mut store, name)
                    .unwrap();
                f.call(&mut store, 200_000).unwrap()
            })
        })
        .unwrap()
        .join()
        .unwrap();
    println!("grow loop results: {out:?}");
}

/// A guest looping on failed `memory.grow`/`table.grow` must get -1 each
/// time and finish: it does on wasmtime; wasmi 2.0.0 still aborts the
/// process with a native stack overflow (the child process dies of
/// SIGABRT), unless the `wasmi-portable-dispatch` feature is on. When a
/// wasmi release fixes it, this fails on purpose.
#[cfg(unix)]
#[test]
fn failed_grows_in_a_loop() {
    if let Ok(engine) = std::env::var("WASM_RUN_GROW_LOOP_CHILD") {
        grow_loop_child(&engine);
        return;
    }
    for engine in ["wasmtime", "wasmi"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "failed_grows_in_a_loop",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("WASM_RUN_GROW_LOOP_CHILD", engine)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let fixed = engine == "wasmtime" || cfg!(feature = "wasmi-portable-dispatch");
        match fixed {
            true => assert!(
                out.status.success() && stdout.contains("grow loop results: [0, 0]"),
                "{engine}: {:?}\n{stdout}\n{stderr}",
                out.status
            ),
            false => {
                use std::os::unix::process::ExitStatusExt;
                assert!(
                    out.status.signal() == Some(6) && stderr.contains("overflowed its stack"),
                    "wasmi no longer overflows its stack on failed grows (fixed upstream?): \
                     {:?}\n{stdout}\n{stderr}",
                    out.status
                );
            }
        }
    }
}
