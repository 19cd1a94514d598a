//! Host errors and panics: `Error::Host` giving the host's error back, other
//! errors passed through unchanged, and panicking host functions as
//! `Error::HostPanic`.

use std::error::Error as StdError;
use std::fmt;

use wasm_run_api::{
    Caller, Config, Engine, Error, Func, Linker, Result, Store, TrapCode, Val, ValType,
};

use super::helpers::*;

/// A host error type for the host-error tests.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostFailure {
    code: i32,
}

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host failure {}", self.code)
    }
}

impl StdError for HostFailure {}

pub(super) const HOST_ERROR_WAT: &str = r#"
(module
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (import "host" "fail_dyn" (func $fail_dyn (param i32)))
  (import "host" "exit" (func $exit (param i32)))
  (func $call_fail (export "call_fail") (param i32) (result i32) local.get 0 call $fail)
  (func (export "call_fail_dyn") (param i32) local.get 0 call $fail_dyn)
  (func (export "call_exit") (param i32) local.get 0 call $exit)
  (func (export "nested") (param i32) (result i32) local.get 0 call $call_fail i32.const 1 i32.add)
  (func (export "ok") (result i32) i32.const 7))
"#;

/// A host function returning `Err(Error::host(MyError))` makes the call fail
/// with `Error::Host`, and `host_error::<MyError>()` gives the value back —
/// through typed and dynamic calls, untyped host functions and nested wasm
/// frames; other error variants a host function returns (`Error::Exit`) come
/// back unchanged; the instance keeps working.
pub fn host_error<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_ERROR_WAT);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "fail",
            |_: Caller<'_, E, ()>, code: i32| -> Result<i32> {
                if code == 0 {
                    Ok(0)
                } else {
                    Err(Error::host(HostFailure { code }))
                }
            },
        ),
        "host.fail",
    );
    ok(
        linker.func_new(
            "host",
            "fail_dyn",
            fty([ValType::I32], []),
            |_: Caller<'_, E, ()>, params: &[Val<E>], _: &mut [Val<E>]| -> Result<()> {
                Err(Error::host(HostFailure {
                    code: params[0].i32().unwrap_or(-1),
                }))
            },
        ),
        "host.fail_dyn",
    );
    ok(
        linker.func_wrap(
            "host",
            "exit",
            |_: Caller<'_, E, ()>, code: i32| -> Result<()> { Err(Error::Exit(code)) },
        ),
        "host.exit",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let expect_host = |e: Error, code: i32, what: &str| {
        assert!(
            matches!(e, Error::Host(_)),
            "{what}: expected Error::Host, got {e} ({e:?})"
        );
        assert_eq!(
            e.host_error::<HostFailure>(),
            Some(&HostFailure { code }),
            "{what}: host_error::<HostFailure>()"
        );
        assert!(
            e.host_error::<std::fmt::Error>().is_none(),
            "{what}: host_error downcasts to the wrong type"
        );
        assert_eq!(e.trap_code(), None, "{what}: a host error is not a trap");
    };

    let call_fail = instance.typed_func::<i32, i32>(&mut store, "call_fail");
    assert_eq!(ok(call_fail.call(&mut store, 0), "call_fail(0)"), 0);
    expect_host(
        err(call_fail.call(&mut store, 5), "call_fail(5)"),
        5,
        "typed call",
    );
    let call_fail_dyn = export_func(&mut store, &instance, "call_fail");
    expect_host(
        err(
            call_dyn(&mut store, &call_fail_dyn, &[Val::I32(6)]),
            "dynamic call_fail(6)",
        ),
        6,
        "dynamic call",
    );
    let nested = instance.typed_func::<i32, i32>(&mut store, "nested");
    expect_host(
        err(nested.call(&mut store, 9), "nested(9)"),
        9,
        "through nested wasm frames",
    );
    let untyped = instance.typed_func::<i32, ()>(&mut store, "call_fail_dyn");
    expect_host(
        err(untyped.call(&mut store, 11), "call_fail_dyn(11)"),
        11,
        "untyped host function",
    );

    let call_exit = instance.typed_func::<i32, ()>(&mut store, "call_exit");
    assert_err!(
        call_exit.call(&mut store, 3),
        Error::Exit(3),
        "a host function returning Error::Exit(3)"
    );

    // Called from Rust directly, without wasm frames.
    let direct = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, ()>| -> Result<()> {
            Err(Error::host(HostFailure { code: 12 }))
        }),
        "Func::wrap",
    );
    expect_host(
        err(call_dyn(&mut store, &direct, &[]), "direct host call"),
        12,
        "host function called from Rust",
    );

    let ok_fn = instance.typed_func::<(), i32>(&mut store, "ok");
    assert_eq!(ok(ok_fn.call(&mut store, ()), "ok() after host errors"), 7);
    assert_eq!(
        ok(
            call_fail.call(&mut store, 0),
            "call_fail(0) after host errors"
        ),
        0
    );
}

pub(super) const HOST_PANIC_WAT: &str = r#"
(module
  (import "host" "boom" (func $boom (param i32) (result i32)))
  (import "host" "boom_dyn" (func $boom_dyn))
  (import "host" "fine" (func $fine (result i32)))
  (func (export "call_boom") (param i32) (result i32) local.get 0 call $boom)
  (func (export "call_boom_dyn") call $boom_dyn)
  (func (export "call_fine") (result i32) call $fine)
  (func (export "ok") (result i32) i32.const 1))
"#;

/// A host function that panics makes the call fail with `Error::HostPanic`
/// carrying the panic message (typed and untyped host functions, called from
/// wasm or from Rust); the process, the store, its state and the instance
/// stay usable.
pub fn host_panic<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_PANIC_WAT);
    let mut store = Store::new(&engine, 0_u32);
    let mut linker = Linker::<E, u32>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "boom",
            |mut c: Caller<'_, E, u32>, x: i32| -> Result<i32> {
                *c.data_mut() += 1;
                if x != 0 {
                    panic!("conformance boom {x}");
                }
                Ok(x)
            },
        ),
        "host.boom",
    );
    ok(
        linker.func_new(
            "host",
            "boom_dyn",
            fty([], []),
            |_: Caller<'_, E, u32>, _: &[Val<E>], _: &mut [Val<E>]| -> Result<()> {
                std::panic::panic_any("conformance static boom")
            },
        ),
        "host.boom_dyn",
    );
    ok(
        linker.func_wrap("host", "fine", |mut c: Caller<'_, E, u32>| -> Result<i32> {
            *c.data_mut() += 100;
            Ok(5)
        }),
        "host.fine",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");

    let call_boom = instance.typed_func::<i32, i32>(&mut store, "call_boom");
    let call_fine = instance.typed_func::<(), i32>(&mut store, "call_fine");
    let ok_fn = instance.typed_func::<(), i32>(&mut store, "ok");
    for round in 1..=2 {
        let e = assert_err!(
            call_boom.call(&mut store, 42),
            Error::HostPanic(_),
            "panicking host function, round {round}"
        );
        if let Error::HostPanic(message) = &e {
            assert!(
                message.contains("conformance boom 42"),
                "the panic message is lost: {message:?}"
            );
        }
        assert_eq!(e.trap_code(), None);
        assert_eq!(
            ok(call_fine.call(&mut store, ()), "call_fine after a panic"),
            5
        );
        assert_eq!(ok(ok_fn.call(&mut store, ()), "ok after a panic"), 1);
        assert_eq!(
            ok(call_boom.call(&mut store, 0), "call_boom(0) after a panic"),
            0
        );
    }
    assert_eq!(*store.data(), 2 * (1 + 100 + 1), "host state after panics");

    let call_boom_dyn = instance.typed_func::<(), ()>(&mut store, "call_boom_dyn");
    let e = assert_err!(
        call_boom_dyn.call(&mut store, ()),
        Error::HostPanic(_),
        "panicking untyped host function"
    );
    if let Error::HostPanic(message) = &e {
        assert!(
            message.contains("conformance static boom"),
            "the panic message is lost: {message:?}"
        );
    }

    let direct = ok(
        Func::wrap(&mut store, |_: Caller<'_, E, u32>| -> Result<()> {
            panic!("conformance direct boom")
        }),
        "Func::wrap",
    );
    assert_err!(
        call_dyn(&mut store, &direct, &[]),
        Error::HostPanic(_),
        "panicking host function called from Rust"
    );
    assert_eq!(ok(ok_fn.call(&mut store, ()), "ok at the end"), 1);
}

pub(super) const HOST_NESTED_WAT: &str = r#"
(module
  (import "host" "down" (func $down (param i32 i32) (result i32)))
  (import "host" "absorb" (func $absorb (param i32 i32) (result i32)))
  ;; inner(n, mode): at n = 0 gives 0 (mode 0), traps (mode 1) or makes the
  ;; host panic (mode 2); otherwise 1 + down(n - 1, mode), and `down` calls
  ;; back into inner: n nested wasm -> host -> wasm frames.
  (func $inner (export "inner") (param i32 i32) (result i32)
    local.get 0
    i32.eqz
    if (result i32)
      local.get 1
      i32.const 1
      i32.eq
      if unreachable end
      local.get 1
      i32.const 2
      i32.eq
      if
        i32.const -1
        i32.const -1
        call $down
        drop
      end
      i32.const 0
    else
      local.get 0 i32.const 1 i32.sub local.get 1 call $down
      i32.const 1 i32.add
    end)
  (func (export "outer") (param i32 i32) (result i32) local.get 0 local.get 1 call $down)
  (func (export "outer_absorb") (param i32 i32) (result i32)
    local.get 0 local.get 1 call $absorb i32.const 100 i32.add)
  (func (export "div") (param i32) (result i32) i32.const 10 local.get 0 i32.div_s))
"#;

/// Faults deep inside nested wasm → host → wasm calls: a host function that
/// calls back into its caller's exports re-entrantly (32 levels); a trap at
/// the bottom comes out of the outermost call with its trap code, or is
/// caught by a host function in the middle, which carries on; a panic at the
/// bottom becomes `Error::HostPanic` at the top. Afterwards the store, its
/// data and the instance are usable and give the same answers as before.
pub fn host_faults_nested<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    fn inner<E: Engine>(
        c: &mut Caller<'_, E, u32>,
    ) -> Result<wasm_run_api::TypedFunc<E, (i32, i32), i32>> {
        c.get_export("inner")
            .and_then(wasm_run_api::Extern::into_func)
            .ok_or_else(|| Error::host("no inner export"))?
            .typed::<(i32, i32), i32>(&*c)
    }
    let engine = default_engine(&make);
    let module = compile(&engine, HOST_NESTED_WAT);
    let mut store = Store::new(&engine, 0_u32);
    let mut linker = Linker::<E, u32>::new(&engine);
    ok(
        linker.func_wrap(
            "host",
            "down",
            |mut c: Caller<'_, E, u32>, n: i32, mode: i32| -> Result<i32> {
                *c.data_mut() += 1;
                if n < 0 {
                    panic!("conformance nested boom");
                }
                let f = inner(&mut c)?;
                f.call(&mut c, (n, mode))
            },
        ),
        "host.down",
    );
    ok(
        linker.func_wrap(
            "host",
            "absorb",
            |mut c: Caller<'_, E, u32>, n: i32, mode: i32| -> Result<i32> {
                let f = inner(&mut c)?;
                match f.call(&mut c, (n, mode)) {
                    Ok(v) => Ok(v),
                    Err(e) if e.trap_code() == Some(TrapCode::Unreachable) => Ok(-1),
                    Err(e) => Err(e),
                }
            },
        ),
        "host.absorb",
    );
    let instance = ok(linker.instantiate(&mut store, &module), "instantiating");
    let outer = instance.typed_func::<(i32, i32), i32>(&mut store, "outer");
    let absorb = instance.typed_func::<(i32, i32), i32>(&mut store, "outer_absorb");
    let div = instance.typed_func::<i32, i32>(&mut store, "div");
    for round in 1..=2 {
        *store.data_mut() = 0;
        assert_eq!(ok(outer.call(&mut store, (32, 0)), "outer(32, 0)"), 32);
        assert_eq!(
            *store.data(),
            33,
            "host entries of outer(32, 0), round {round}"
        );
        expect_trap(
            outer.call(&mut store, (32, 1)),
            TrapCode::Unreachable,
            "a trap 32 re-entrant levels down",
        );
        assert_eq!(
            ok(absorb.call(&mut store, (16, 1)), "outer_absorb(16, 1)"),
            99,
            "a host function in the middle catches the nested trap and carries on"
        );
        assert_eq!(
            ok(absorb.call(&mut store, (16, 0)), "outer_absorb(16, 0)"),
            116
        );
        let e = assert_err!(
            outer.call(&mut store, (8, 2)),
            Error::HostPanic(_),
            "a host panic 8 re-entrant levels down"
        );
        if let Error::HostPanic(m) = &e {
            assert!(
                m.contains("conformance nested boom"),
                "panic message lost: {m:?}"
            );
        }
        // A panic is not a trap a host function may absorb as one.
        assert_err!(
            absorb.call(&mut store, (4, 2)),
            Error::HostPanic(_),
            "a host panic below a host function that absorbs traps"
        );
        expect_trap(
            div.call(&mut store, 0),
            TrapCode::IntegerDivisionByZero,
            "div(0) after nested faults",
        );
        assert_eq!(ok(div.call(&mut store, 2), "div(2) after nested faults"), 5);
        assert_eq!(
            ok(outer.call(&mut store, (3, 0)), "outer(3, 0) at the end"),
            3
        );
    }
}
