//! Component functions as futures (`Func::call_async`): strings through
//! the guest's `realloc` both ways, a host import whose string result is
//! lowered through the guest's `realloc` while the async call runs (on
//! wasmtime, on its fiber), and a deadline stopping a spinning component
//! inside an async call; on wasmtime's own component model the typed
//! `Unsupported`.

use crate::common;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use wasm_run_api::{Config, Engine, Error, Feature, Store, TrapCode};
use wasm_run_component::{Component, Linker, Val};

/// Polls `f` to its end (at most 10,000 polls); the polls it took.
fn block_on<F: Future>(f: F) -> (F::Output, usize) {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for polls in 1..10_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return (v, polls);
        }
    }
    panic!("the call did not finish in 10,000 polls");
}

/// Checks at compile time that a future can move between threads.
fn sendable<F: Future + Send>(f: F) -> F {
    f
}

fn strings_and_host_imports<E: Engine>(engine: &E)
where
    E::Store<()>: Send,
{
    let component = Component::new(engine, common::fixture_text("host.wat")).unwrap();
    let mut linker = Linker::<E, ()>::new(engine);
    linker
        .func_new("greet", |_, args, results| {
            let Val::String(name) = &args[0] else {
                panic!("greet got {args:?}")
            };
            results[0] = Val::String(format!("Hello, {name}!"));
            Ok(())
        })
        .unwrap();
    linker
        .instance("example:host/math@0.1.0")
        .unwrap()
        .func_new("sum", |_, args, results| {
            let Val::List(xs) = &args[0] else { panic!() };
            results[0] = Val::U64(xs.len() as u64);
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let run = instance.get_func("run").unwrap();
    let mut out = [Val::Bool(false)];
    let name = engine.name();
    let (r, _) = block_on(sendable(run.call_async(
        &mut store,
        &[Val::String("wörld".into())],
        &mut out,
    )));
    if engine.config().native_components_enabled() {
        let e = r.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Unsupported {
                    feature: Feature::Async,
                    ..
                }
            ),
            "{name}: {e:?}"
        );
        return;
    }
    r.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(out[0], Val::String("Hello, wörld!".into()), "{name}");
    // Wrong arguments are typed errors before anything runs.
    let (r, _) = block_on(run.call_async(&mut store, &[Val::U32(1)], &mut out));
    assert!(matches!(r, Err(Error::Type(_))), "{name}: {r:?}");
    // The store still works, synchronously too.
    run.call(&mut store, &[Val::String("again".into())], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::String("Hello, again!".into()), "{name}");
}

const SPIN: &str = r#"
(component
  (core module $m
    (func (export "spin") (loop $l (br $l)))
    (func (export "answer") (result i32) (i32.const 42)))
  (core instance $i (instantiate $m))
  (func (export "spin") (canon lift (core func $i "spin")))
  (func (export "answer") (result u32) (canon lift (core func $i "answer"))))
"#;

/// A spinning component yields with the store's yield interval and its
/// deadline stops it inside the async call; then the store answers.
fn yields_and_deadlines<E: Engine>(make: impl Fn(&Config) -> wasm_run_api::Result<E>)
where
    E::Store<()>: Send,
{
    let mut config = Config::new();
    config.enable(Feature::Deadline);
    let engine = make(&config).unwrap();
    let name = engine.name();
    let component = Component::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    store
        .set_yield_interval(Some(std::time::Duration::from_millis(1)))
        .unwrap();
    // A spin of 300 ms yields about every millisecond; at least a few
    // yields even when a loaded machine runs the ticker thread seldom (a
    // 100 ms spin with more than 5 yields failed under load).
    store
        .set_deadline(std::time::Duration::from_millis(300))
        .unwrap();
    let spin = instance.get_func("spin").unwrap();
    let (r, polls) = block_on(spin.call_async(&mut store, &[], &mut []));
    let e = r.unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::Deadline), "{name}: {e}");
    assert!(polls > 3, "{name}: a 300 ms spin yielded {polls} times");
    store
        .set_deadline(std::time::Duration::from_secs(60))
        .unwrap();
    let mut out = [Val::Bool(false)];
    let answer = instance.get_func("answer").unwrap();
    block_on(answer.call_async(&mut store, &[], &mut out))
        .0
        .unwrap();
    assert_eq!(out[0], Val::U32(42), "{name}");
}

on_every_backend!(strings_and_host_imports);

#[test]
fn spinning_components_yield_and_stop() {
    yields_and_deadlines(<wasm_run_wasmi::Wasmi as Engine>::new);
    yields_and_deadlines(<wasm_run_wasmtime::Wasmtime as Engine>::new);
}
