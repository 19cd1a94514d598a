//! Dynamic calls (`Func::call` with up to 16 values) and typed calls
//! allocate nothing on the heap after the first call, on every backend and
//! through `AnyEngine`; calls into typed host functions allocate nothing on
//! wasmtime and exactly what raw wasmi's `Func::new` allocates on wasmi (one
//! buffer). Proven with a counting global allocator (this test binary's own),
//! counting only on the thread that runs the calls.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use wasm_run::{AnyEngine, Caller, Config, Engine, Linker, Module, Store, Val};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to the system allocator unchanged; the
// thread-local bookkeeping neither allocates nor touches the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: the caller's contract for `realloc`, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note() {
    // `try_with`: thread-locals may already be gone while a thread exits.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(|n| n.get())
}

const WAT: &str = r#"
(module
  (import "host" "inc" (func $inc (param i32) (result i32)))
  (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "sixteen")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i64 i64 i64 f32 f32 f64 f64)
    (result i32 i64 f32 f64)
    (local.get 0) (local.get 8) (local.get 12) (local.get 14))
  (func (export "call_host") (param i32) (result i32) (call $inc (local.get 0))))
"#;

fn check<E: Engine>(engine: &E) {
    let module = Module::new(engine, WAT).unwrap();
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "inc", |_: Caller<'_, E, ()>, x: i32| Ok(x + 1))
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let add = instance.get_func(&mut store, "add").unwrap();
    let sixteen = instance.get_func(&mut store, "sixteen").unwrap();
    let typed = instance
        .get_typed_func::<(i32, i64), i64>(&mut store, "add")
        .unwrap();
    let host = instance
        .get_typed_func::<i32, i32>(&mut store, "call_host")
        .unwrap();
    let args16: Vec<Val<E>> = (0..8)
        .map(Val::I32)
        .chain((0..4).map(|i| Val::I64(i)))
        .chain([Val::f32(1.0), Val::f32(2.0), Val::f64(3.0), Val::f64(4.0)])
        .collect();
    let mut out1 = [Val::I64(0)];
    let mut out4 = [Val::I32(0), Val::I64(0), Val::F32(0), Val::F64(0)];
    // The first calls may set up caches (wasmi's stacks).
    add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut out1)
        .unwrap();
    sixteen.call(&mut store, &args16, &mut out4).unwrap();
    typed.call(&mut store, (1, 2)).unwrap();
    host.call(&mut store, 41).unwrap();
    let each = [
        allocations(|| {
            add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut out1)
                .unwrap()
        }),
        allocations(|| sixteen.call(&mut store, &args16, &mut out4).unwrap()),
        allocations(|| assert_eq!(typed.call(&mut store, (1, 2)).unwrap(), 3)),
        allocations(|| assert_eq!(host.call(&mut store, 41).unwrap(), 42)),
    ];
    // Typed host functions run on each engine's typed trampoline (on wasmi
    // `Func::wrap`, whose dynamic sibling `Func::new` would clone a parameter
    // buffer on every call; see `raw_wasmi_host_calls`).
    assert_eq!(
        each,
        [0, 0, 0, 0],
        "{}: allocations of one dynamic, 16-value dynamic, typed and host call",
        engine.name()
    );
    let mut run = || {
        add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut out1)
            .unwrap();
        sixteen.call(&mut store, &args16, &mut out4).unwrap();
        assert_eq!(typed.call(&mut store, (1, 2)).unwrap(), 3);
        assert_eq!(host.call(&mut store, 41).unwrap(), 42);
    };
    let n = allocations(|| {
        for _ in 0..1_000 {
            run();
        }
    });
    assert_eq!(out1, [Val::I64(3)]);
    assert_eq!(
        n,
        0,
        "{}: {n} heap allocations in 1000 rounds of calls",
        engine.name()
    );
}

/// Backends whose engine API allocates on every call, and why.
const ALLOCATING: &[(&str, &str)] = &[(
    "tinywasm",
    "tinywasm 0.10's calls take and return `Vec`s of values",
)];

#[test]
fn calls_allocate_nothing_on_every_backend() {
    // The counter itself must see allocations.
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 16]))) > 0);
    for name in wasm_run::BACKENDS {
        let config = Config::new();
        let engine = AnyEngine::by_name(name, &config).unwrap();
        if let Some((_, why)) = ALLOCATING.iter().find(|(n, _)| n == name) {
            // Known to allocate: the check must fail, so that this list is
            // kept honest when the backend stops allocating.
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&engine)));
            assert!(
                caught.is_err(),
                "{name} no longer allocates per call ({why}): remove it from ALLOCATING"
            );
            continue;
        }
        check(&engine);
    }
    #[cfg(feature = "wasmtime")]
    check(&wasm_run::Wasmtime::new(&Config::new()).unwrap());
    #[cfg(feature = "wasmi")]
    check(&wasm_run::Wasmi::new(&Config::new()).unwrap());
}

/// Raw wasmi for comparison: a host function made with `Func::new` (the
/// dynamic form, which the wasmi backend uses for untyped host functions)
/// and with `Func::wrap` (which it uses for typed ones).
#[cfg(feature = "wasmi")]
fn raw_wasmi_host_call_allocations() -> (usize, usize) {
    use wasmi::{Engine, Func, FuncType, Linker, Module, Store, Val, ValType};
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let count = |dynamic: bool| {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        let inc = if dynamic {
            Func::new(
                &mut store,
                FuncType::new([ValType::I32], [ValType::I32]),
                |_, p: &[Val], r: &mut [Val]| {
                    r[0] = Val::I32(p[0].i32().unwrap() + 1);
                    Ok(())
                },
            )
        } else {
            Func::wrap(&mut store, |x: i32| x + 1)
        };
        linker.define("host", "inc", inc).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let host = instance
            .get_typed_func::<i32, i32>(&store, "call_host")
            .unwrap();
        host.call(&mut store, 1).unwrap();
        allocations(|| assert_eq!(host.call(&mut store, 41).unwrap(), 42))
    };
    (count(true), count(false))
}

#[cfg(feature = "wasmi")]
#[test]
fn raw_wasmi_host_calls() {
    let (dynamic, wrapped) = raw_wasmi_host_call_allocations();
    assert_eq!(
        (dynamic, wrapped),
        (1, 0),
        "raw wasmi host call allocations (Func::new, Func::wrap) changed: \
         update the wasmi expectation above"
    );
}
