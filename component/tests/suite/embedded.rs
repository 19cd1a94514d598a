//! The second input form: a core module with its WIT world in a
//! `component-type` custom section (tests/fixtures/component/embedded, built
//! by its build.sh with `wasm-tools component embed`). Its WIT imports and
//! exports go through the canonical ABI, its WASI preview 1 import through
//! the linker's core definitions; wasmtime's native component model runs the
//! same module made a component with the preview 1 adapter, and the results
//! agree.

use crate::common;

use std::sync::{Arc, Mutex};
use wasm_run_api::{Engine, Error, LinkError, Store};
use wasm_run_component::{Component, ItemType, Linker, Val, embeds_world, is_component};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component/embedded")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the host saw: the `log` calls and the bytes written to stdout.
#[derive(Default)]
struct Seen {
    log: Vec<String>,
    stdout: Vec<u8>,
}

/// A linker with the world's `log` import and a minimal `fd_write` (stdout
/// only) as the core definition, both recording into `seen`.
fn linker<E: Engine>(engine: &E, seen: &Arc<Mutex<Seen>>) -> Linker<E, ()> {
    let mut linker = Linker::new(engine);
    let s = seen.clone();
    linker
        .instance("test:embed/host")
        .unwrap()
        .func_new("log", move |_, args, _| {
            let Val::String(msg) = &args[0] else {
                panic!("log got {:?}", args[0])
            };
            s.lock().unwrap().log.push(msg.clone());
            Ok(())
        })
        .unwrap();
    let s = seen.clone();
    linker
        .core()
        .func_wrap(
            "wasi_snapshot_preview1",
            "fd_write",
            move |mut caller: wasm_run_api::Caller<'_, E, ()>,
                  fd: i32,
                  iovs: i32,
                  count: i32,
                  nwritten: i32|
                  -> wasm_run_api::Result<i32> {
                assert_eq!(fd, 1);
                let memory = caller.get_memory("memory").unwrap();
                let mut total = 0u32;
                for i in 0..count {
                    let mut iov = [0u8; 8];
                    memory.read(&caller, (iovs + 8 * i) as usize, &mut iov)?;
                    let ptr = u32::from_le_bytes(iov[..4].try_into().unwrap());
                    let len = u32::from_le_bytes(iov[4..].try_into().unwrap());
                    let mut buf = vec![0; len as usize];
                    memory.read(&caller, ptr as usize, &mut buf)?;
                    s.lock().unwrap().stdout.extend_from_slice(&buf);
                    total += len;
                }
                memory.write(&mut caller, nwritten as usize, &total.to_le_bytes())?;
                Ok(0)
            },
        )
        .unwrap();
    linker
}

fn call<E: Engine>(
    store: &mut Store<E, ()>,
    instance: &wasm_run_component::Instance<E>,
    name: &str,
    args: &[Val],
) -> wasm_run_api::Result<Option<Val>> {
    common::call(store, instance, name, args)
}

fn world_and_calls<E: Engine>(engine: &E) {
    let bytes = fixture("embedded.wasm");
    assert!(embeds_world(&bytes) && !is_component(&bytes));
    let component = Component::new(engine, &bytes).unwrap();
    let world = component.world().to_string();
    assert!(
        world.contains("import test:embed/host: interface {\n    log: func(msg: string);"),
        "{world}"
    );
    assert!(
        world.contains("export greet: func(name: string) -> string;"),
        "{world}"
    );
    let Some(ItemType::Instance(counter)) = component.world().export("test:embed/counter") else {
        panic!("{world}")
    };
    assert_eq!(counter.len(), 3, "{world}");

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut store = Store::new(engine, ());
    let instance = linker(engine, &seen)
        .instantiate(&mut store, &component)
        .unwrap();
    // `greet` traps unless `_initialize` ran at instantiation.
    let out = call(
        &mut store,
        &instance,
        "greet",
        &[Val::String("wörld".into())],
    )
    .unwrap();
    assert_eq!(out, Some(Val::String("hello, wörld".into())));
    assert_eq!(seen.lock().unwrap().log, ["wörld"]);
    // Through the core import (WASI preview 1's fd_write).
    call(
        &mut store,
        &instance,
        "say",
        &[Val::String("hi there".into())],
    )
    .unwrap();
    assert_eq!(seen.lock().unwrap().stdout, b"hi there\n");

    // The exported resource: constructor, method, destructor.
    let make = "test:embed/counter#[constructor]counter";
    let inc = "test:embed/counter#[method]counter.inc";
    let Some(Val::Resource(c)) = call(&mut store, &instance, make, &[Val::U32(41)]).unwrap() else {
        panic!("the constructor returns a resource")
    };
    let borrowed = Val::Resource(c.clone());
    assert_eq!(
        call(&mut store, &instance, inc, std::slice::from_ref(&borrowed)).unwrap(),
        Some(Val::U32(42))
    );
    assert_eq!(
        call(&mut store, &instance, inc, &[borrowed]).unwrap(),
        Some(Val::U32(43))
    );
    assert_eq!(
        call(&mut store, &instance, "dropped", &[]).unwrap(),
        Some(Val::U32(0))
    );
    instance.drop_resource(&mut store, c).unwrap();
    assert_eq!(
        call(&mut store, &instance, "dropped", &[]).unwrap(),
        Some(Val::U32(1))
    );
}

fn missing_imports_are_link_errors<E: Engine>(engine: &E) {
    let component = Component::new(engine, fixture("embedded.wasm")).unwrap();
    // Nothing defined: the WIT import is named with its type.
    let mut store = Store::new(engine, ());
    let err = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Link(_)), "{err:?}");
    assert!(
        msg.contains("test:embed/host#log") && msg.contains("func(msg: string)"),
        "{msg}"
    );
    // The WIT import defined, the core one not: named by module and field.
    let mut linker = Linker::new(engine);
    linker
        .instance("test:embed/host")
        .unwrap()
        .func_new("log", |_, _, _| Ok(()))
        .unwrap();
    let err = linker.instantiate(&mut store, &component).unwrap_err();
    assert!(
        matches!(&err, Error::Link(e) if matches!(&**e, LinkError::Missing { module, name, .. }
            if module == "wasi_snapshot_preview1" && name == "fd_write")),
        "{err:?}"
    );
}

/// A module whose exports do not have the types the world gives them is
/// refused when loaded (calls through them would not be sound).
fn mismatched_exports_are_refused<E: Engine>(engine: &E) {
    let bytes = fixture("embedded.wasm");
    // Same module, `dropped` made to return an i64: patch the text, embed
    // the same world by copying the custom section.
    let section = wasmparser::Parser::new(0)
        .parse_all(&bytes)
        .find_map(|p| match p.unwrap() {
            wasmparser::Payload::CustomSection(s) if s.name() == "component-type" => {
                Some(s.data().to_vec())
            }
            _ => None,
        })
        .unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/component/embedded/embedded.wat"),
    )
    .unwrap()
    .replace(
        r#"(func (export "dropped") (result i32) (global.get $dropped))"#,
        r#"(func (export "dropped") (result i64) (i64.extend_i32_u (global.get $dropped)))"#,
    );
    let mut module = wat::parse_str(&text).unwrap();
    // A custom section: id 0, size, name, data.
    let name = b"component-type";
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(&section);
    module.push(0);
    let mut size = body.len() as u32;
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            module.push(byte);
            break;
        }
        module.push(byte | 0x80);
    }
    module.extend_from_slice(&body);
    let err = Component::new(engine, &module).unwrap_err();
    assert!(
        matches!(err, Error::Compile { .. }) && err.to_string().contains("`dropped`"),
        "{err}"
    );
    // A core module without a world is not a component.
    let err = Component::new(engine, "(module)").unwrap_err();
    assert!(err.to_string().contains("without a WIT world"), "{err}");
}

/// The embedded module on the portable path and the adapted component on
/// wasmtime's native component model (with wasmtime-wasi's preview 2) give
/// the same results and the same output.
fn agrees_with_native<E: Engine>(engine: &E) {
    let calls: Vec<(&str, Vec<Val>)> = vec![
        ("greet", vec![Val::String("ünïcode ✓".into())]),
        ("greet", vec![Val::String(String::new())]),
        ("say", vec![Val::String("one".into())]),
        ("say", vec![Val::String("two".into())]),
        ("dropped", vec![]),
    ];
    let seen = Arc::new(Mutex::new(Seen::default()));
    let component = Component::new(engine, fixture("embedded.wasm")).unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker(engine, &seen)
        .instantiate(&mut store, &component)
        .unwrap();
    let portable: Vec<String> = calls
        .iter()
        .map(|(n, a)| {
            call(&mut store, &instance, n, a)
                .unwrap()
                .map(|v| common::wave(&v))
                .unwrap_or_default()
        })
        .collect();
    let (native, native_log, native_stdout) =
        wasmtime_wasi_p2::run(&fixture("embedded.p2.wasm"), &calls);
    assert_eq!(portable, native);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.log, native_log);
    assert_eq!(seen.stdout, native_stdout);
    assert_eq!(seen.stdout, b"one\ntwo\n");
}

mod wasmtime_wasi_p2 {
    use super::Val;
    use ::wasmtime::component::{Component, Linker, ResourceTable, Val as NVal};
    use ::wasmtime::{Engine, Store};
    use std::sync::{Arc, Mutex};
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

    struct State {
        ctx: WasiCtx,
        table: ResourceTable,
    }
    impl WasiView for State {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView {
                ctx: &mut self.ctx,
                table: &mut self.table,
            }
        }
    }

    /// The calls' results (WAVE), the `log` calls and stdout.
    pub fn run(bytes: &[u8], calls: &[(&str, Vec<Val>)]) -> (Vec<String>, Vec<String>, Vec<u8>) {
        let engine = Engine::default();
        let component = Component::new(&engine, bytes).unwrap();
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        linker
            .instance("test:embed/host")
            .unwrap()
            .func_new("log", move |_, _, args, _| {
                let NVal::String(s) = &args[0] else { panic!() };
                l.lock().unwrap().push(s.clone());
                Ok(())
            })
            .unwrap();
        let stdout = MemoryOutputPipe::new(1 << 20);
        let ctx = WasiCtx::builder().stdout(stdout.clone()).build();
        let mut store = Store::new(
            &engine,
            State {
                ctx,
                table: ResourceTable::new(),
            },
        );
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let results = calls
            .iter()
            .map(|(name, args)| {
                let f = instance.get_func(&mut store, name).unwrap();
                let params: Vec<NVal> = args
                    .iter()
                    .map(|v| match v {
                        Val::String(s) => NVal::String(s.clone()),
                        other => panic!("{other:?}"),
                    })
                    .collect();
                let mut out = vec![NVal::Bool(false); f.ty(&store).results().len()];
                f.call(&mut store, &params, &mut out).unwrap();
                match out.first() {
                    Some(NVal::String(s)) => Val::String(s.clone()).to_string(),
                    Some(NVal::U32(x)) => x.to_string(),
                    None => String::new(),
                    Some(other) => panic!("{other:?}"),
                }
            })
            .collect();
        drop(store);
        let log = log.lock().unwrap().clone();
        (results, log, stdout.contents().to_vec())
    }
}

on_every_backend!(
    world_and_calls,
    missing_imports_are_link_errors,
    mismatched_exports_are_refused,
    agrees_with_native,
);
