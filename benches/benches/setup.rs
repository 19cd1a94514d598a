//! Setting up a WASI program (context, store, instance of `examples/hello.wasm`,
//! without running it) and moving 64 KiB through the host memory API, beside
//! the raw engines with their own WASI crates, in the same run. The linkers
//! are built once on both sides, as a host serving many requests would.
//!
//! `real_run` is WASI as real programs use it: a context with three
//! arguments, three environment variables, one preopened read-write
//! directory and captured stdout and stderr, a fresh store, instantiation
//! through the linker, and the run of `hello` — on wasm-run's WASI, on
//! wasmtime-wasi through wasm-run (`WasiHost::Engine`), and on the raw
//! engines with their WASI crates (wasmtime-wasi p1, wasmi_wasi) configured
//! the same way. Run with `cargo bench -p wasm-run-benches --bench setup`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::wasi::{
    DirPerms, WasiConfig, WasiCtx, WasiHost, add_to_linker, add_to_linker_for, instantiate,
    run_start,
};
use wasm_run::{
    AnyEngine, Config, Engine, Linker, Memory, MemoryType, Module, Store, Wasmi, Wasmtime,
};

fn hello() -> Vec<u8> {
    std::fs::read(format!(
        "{}/../examples/hello.wasm",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ours<E: wasm_run::wasi::WasiEngine>(c: &mut Criterion, group: &str, label: &str, engine: &E) {
    let module = Module::new(engine, hello()).unwrap();
    let mut linker = Linker::new(engine);
    add_to_linker(&mut linker).unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    let config = WasiConfig::new();
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/wasi_setup"), |b| {
        b.iter(|| {
            let ctx = WasiCtx::new(engine, &config).unwrap();
            let mut store = Store::new(engine, ctx);
            black_box(instantiate(&linker, &mut store, &module).unwrap());
        })
    });
    g.bench_function(format!("{label}/wasi_setup_pre"), |b| {
        b.iter(|| {
            let ctx = WasiCtx::new(engine, &config).unwrap();
            let mut store = Store::new(engine, ctx);
            black_box(pre.instantiate(&mut store).unwrap());
        })
    });
    let mut store = Store::new(engine, ());
    let memory = Memory::new(&mut store, MemoryType::new(2, None)).unwrap();
    let mut buf = vec![7u8; 65_536];
    g.bench_function(format!("{label}/memory_write_64k"), |b| {
        b.iter(|| memory.write(&mut store, 64, black_box(&buf)).unwrap())
    });
    g.bench_function(format!("{label}/memory_read_64k"), |b| {
        b.iter(|| memory.read(&store, 64, black_box(&mut buf)).unwrap())
    });
    g.finish();
}

const ARGS: [&str; 3] = ["hello.wasm", "--flag", "value"];
const ENV: [(&str, &str); 3] = [("HOME", "/sandbox"), ("LANG", "C"), ("MODE", "bench")];

/// The preopened directory of `real_run`.
fn sandbox() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-run-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `real_run` on wasm-run's API, with WASI from `host`.
fn ours_real<E: wasm_run::wasi::WasiEngine>(
    c: &mut Criterion,
    group: &str,
    label: &str,
    engine: &E,
    host: WasiHost,
) {
    let module = Module::new(engine, hello()).unwrap();
    let mut linker = Linker::new(engine);
    add_to_linker_for(&mut linker, host).unwrap();
    let dir = sandbox();
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/real_run"), |b| {
        b.iter(|| {
            let mut config = WasiConfig::new();
            config.args(ARGS).wasi_host(host);
            for (k, v) in ENV {
                config.env(k, v);
            }
            config.preopen_dir(&dir, "/sandbox", DirPerms::ReadWrite);
            let out = config.capture_stdout();
            let _err = config.capture_stderr();
            let ctx = WasiCtx::new(engine, &config).unwrap();
            let mut store = Store::new(engine, ctx);
            let instance = instantiate(&linker, &mut store, &module).unwrap();
            black_box(run_start(&mut store, &instance).unwrap());
            assert!(!out.is_empty());
        })
    });
    g.finish();
}

fn raw_wasmtime_real(c: &mut Criterion) {
    use wasmtime::*;
    use wasmtime_wasi::p1::{WasiP1Ctx, add_to_linker_sync};
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    let engine = Engine::default();
    let module = Module::new(&engine, hello()).unwrap();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    add_to_linker_sync(&mut linker, |c| c).unwrap();
    let dir = sandbox();
    let mut g = c.benchmark_group("setup/wasmtime");
    g.bench_function("raw/real_run", |b| {
        b.iter(|| {
            let out = MemoryOutputPipe::new(1 << 20);
            let err = MemoryOutputPipe::new(1 << 20);
            let mut builder = wasmtime_wasi::WasiCtxBuilder::new();
            builder
                .allow_blocking_current_thread(true)
                .args(&ARGS)
                .envs(&ENV)
                .stdout(out.clone())
                .stderr(err)
                .preopened_dir(&dir, "/sandbox", wasmtime_wasi::FsPerms::ReadWrite)
                .unwrap();
            let mut store = Store::new(&engine, builder.build_p1());
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .unwrap();
            start.call(&mut store, ()).unwrap();
            assert!(!out.contents().is_empty());
        })
    });
    g.finish();
}

fn raw_wasmi_real(c: &mut Criterion) {
    use wasmi::*;
    use wasmi_wasi::wasi_common::pipe::WritePipe;
    let engine = Engine::default();
    let module = Module::new(&engine, hello()).unwrap();
    let mut linker = <Linker<wasmi_wasi::WasiCtx>>::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |c| c).unwrap();
    let dir = sandbox();
    let mut g = c.benchmark_group("setup/wasmi");
    g.bench_function("raw/real_run", |b| {
        b.iter(|| {
            let out = WritePipe::new_in_memory();
            let err = WritePipe::new_in_memory();
            let preopen =
                wasmi_wasi::Dir::open_ambient_dir(&dir, wasmi_wasi::ambient_authority()).unwrap();
            let mut builder = wasmi_wasi::WasiCtxBuilder::new();
            builder
                .args(&ARGS.map(String::from))
                .unwrap()
                .envs(&ENV.map(|(k, v)| (k.to_string(), v.to_string())))
                .unwrap()
                .stdout(Box::new(out.clone()))
                .stderr(Box::new(err))
                .preopened_dir(preopen, "/sandbox")
                .unwrap();
            let mut store = Store::new(&engine, builder.build());
            let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
            let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
            start.call(&mut store, ()).unwrap();
            drop(store);
            assert!(!out.try_into_inner().unwrap().into_inner().is_empty());
        })
    });
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::*;
    use wasmtime_wasi::p1::{WasiP1Ctx, add_to_linker_sync};
    let engine = Engine::default();
    let module = Module::new(&engine, hello()).unwrap();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    add_to_linker_sync(&mut linker, |c| c).unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    let mut g = c.benchmark_group("setup/wasmtime");
    g.bench_function("raw/wasi_setup", |b| {
        b.iter(|| {
            let ctx = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
            let mut store = Store::new(&engine, ctx);
            black_box(linker.instantiate(&mut store, &module).unwrap());
        })
    });
    g.bench_function("raw/wasi_setup_pre", |b| {
        b.iter(|| {
            let ctx = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
            let mut store = Store::new(&engine, ctx);
            black_box(pre.instantiate(&mut store).unwrap());
        })
    });
    let mut store = Store::new(&engine, ());
    let memory = wasmtime::Memory::new(&mut store, wasmtime::MemoryType::new(2, None)).unwrap();
    let mut buf = vec![7u8; 65_536];
    g.bench_function("raw/memory_write_64k", |b| {
        b.iter(|| memory.write(&mut store, 64, black_box(&buf)).unwrap())
    });
    g.bench_function("raw/memory_read_64k", |b| {
        b.iter(|| memory.read(&store, 64, black_box(&mut buf)).unwrap())
    });
    g.finish();
}

fn raw_wasmi(c: &mut Criterion) {
    use wasmi::*;
    let engine = Engine::default();
    let module = Module::new(&engine, hello()).unwrap();
    let mut linker = <Linker<wasmi_wasi::WasiCtx>>::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |c| c).unwrap();
    let mut g = c.benchmark_group("setup/wasmi");
    g.bench_function("raw/wasi_setup", |b| {
        b.iter(|| {
            let ctx = wasmi_wasi::WasiCtxBuilder::new().build();
            let mut store = Store::new(&engine, ctx);
            black_box(linker.instantiate_and_start(&mut store, &module).unwrap());
        })
    });
    let mut store = Store::new(&engine, ());
    let ty = wasmi::MemoryType::new(2, None);
    let memory = wasmi::Memory::new(&mut store, ty).unwrap();
    let mut buf = vec![7u8; 65_536];
    g.bench_function("raw/memory_write_64k", |b| {
        b.iter(|| memory.write(&mut store, 64, black_box(&buf)).unwrap())
    });
    g.bench_function("raw/memory_read_64k", |b| {
        b.iter(|| memory.read(&store, 64, black_box(&mut buf)).unwrap())
    });
    g.finish();
}

fn real(c: &mut Criterion) {
    let wasmtime = Wasmtime::new(&Config::new()).unwrap();
    let wasmi = Wasmi::new(&Config::new()).unwrap();
    raw_wasmtime_real(c);
    ours_real(c, "setup/wasmtime", "ours", &wasmtime, WasiHost::WasmRun);
    ours_real(
        c,
        "setup/wasmtime",
        "ours_engine_wasi",
        &wasmtime,
        WasiHost::Engine,
    );
    raw_wasmi_real(c);
    ours_real(c, "setup/wasmi", "ours", &wasmi, WasiHost::WasmRun);
}

fn all(c: &mut Criterion) {
    real(c);
    raw_wasmtime(c);
    ours(
        c,
        "setup/wasmtime",
        "ours",
        &Wasmtime::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "setup/wasmtime",
        "any",
        &AnyEngine::by_name("wasmtime", &Config::new()).unwrap(),
    );
    raw_wasmi(c);
    ours(
        c,
        "setup/wasmi",
        "ours",
        &Wasmi::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "setup/wasmi",
        "any",
        &AnyEngine::by_name("wasmi", &Config::new()).unwrap(),
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
