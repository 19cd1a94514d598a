//! WASI preview 2: a command component (`tests/fixtures/wasi/p2/hello.wasm`:
//! setup, instantiation and run, stdout captured), 1 MiB through stdin
//! and stdout (`cat.wasm`) and a 1 MiB file copied to another in a
//! read-write preopen (`copy.wasm`, 64 KiB reads and writes through the
//! descriptors' streams), through wasm-run's own preview 2 host — portable
//! on wasmtime and wasmi, and on wasmtime's own component model — beside
//! wasmtime-wasi's preview 2 host on wasmtime's component model, in the same
//! run. Components are compiled and linked ahead (`instantiate_pre`) once on
//! every side. Run
//! with `cargo bench -p wasm-run-benches --bench wasi_p2`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use wasm_run::component::{Component, InstancePre, Linker};
use wasm_run::wasi::p2::{self, WasiP2};
use wasm_run::wasi::{DirPerms, Stdin, WasiConfig};
use wasm_run::{Config, Engine, Store, Wasmi, Wasmtime};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/fixtures/wasi/p2/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// 1 MiB of stdin for `cat`.
fn input() -> Vec<u8> {
    (0..1u32 << 20).map(|i| (i * 7 % 251) as u8).collect()
}

/// A directory of this process holding `in.bin` (1 MiB) for `copy`, one
/// per side (`label`); removed when dropped.
struct CopyDir(std::path::PathBuf);

impl CopyDir {
    fn new(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "wasm-run-bench-copy-{label}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("in.bin"), input()).unwrap();
        CopyDir(dir)
    }
}

impl Drop for CopyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What `copy` prints.
const COPIED: &str = "1048576 bytes\n";

fn ours<E: Engine>(c: &mut Criterion, group: &str, label: &str, engine: &E) {
    let mut linker = Linker::new(engine);
    p2::add_to_linker(&mut linker).unwrap();
    let run = |config: &WasiConfig, pre: &InstancePre<E, WasiP2>| {
        let mut store = Store::new(engine, WasiP2::new(config).unwrap());
        let instance = pre.instantiate(&mut store).unwrap();
        black_box(p2::call_run(&mut store, pre.component(), &instance).unwrap());
    };
    let hello = Component::new(engine, fixture("hello")).unwrap();
    let cat = Component::new(engine, fixture("cat")).unwrap();
    let copy = Component::new(engine, fixture("copy")).unwrap();
    let (hello, cat, copy) = (
        linker.instantiate_pre(&hello).unwrap(),
        linker.instantiate_pre(&cat).unwrap(),
        linker.instantiate_pre(&copy).unwrap(),
    );
    let dir = CopyDir::new(&format!("{group}-{label}").replace('/', "-"));
    let input = std::sync::Arc::new(input());
    let mut g = c.benchmark_group(group);
    g.bench_function(format!("{label}/hello"), |b| {
        b.iter(|| {
            let mut config = WasiConfig::new();
            let out = config.capture_stdout();
            config.capture_stderr();
            run(&config, &hello);
            assert_eq!(out.len(), 14);
        })
    });
    g.sample_size(20);
    g.bench_function(format!("{label}/cat_1mib"), |b| {
        b.iter(|| {
            let mut config = WasiConfig::new();
            // Shared, as the raw side's `Bytes` is.
            config.stdin(Stdin::Bytes(input.clone()));
            let out = config.capture_stdout();
            config.capture_stderr();
            run(&config, &cat);
            assert_eq!(out.len(), 1 << 20);
        })
    });
    g.bench_function(format!("{label}/copy_1mib"), |b| {
        b.iter(|| {
            let mut config = WasiConfig::new();
            config.preopen_dir(&dir.0, "/sandbox", DirPerms::ReadWrite);
            let out = config.capture_stdout();
            config.capture_stderr();
            run(&config, &copy);
            assert_eq!(out.to_string_lossy(), COPIED);
        })
    });
    g.finish();
}

fn raw_wasmtime(c: &mut Criterion) {
    use wasmtime::component::{Component, Linker, ResourceTable};
    use wasmtime::{Config, Engine, Store};
    use wasmtime_wasi::p2::bindings::sync::Command;
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
    use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
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
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let hello = Component::new(&engine, fixture("hello")).unwrap();
    let cat = Component::new(&engine, fixture("cat")).unwrap();
    let hello_pre = linker.instantiate_pre(&hello).unwrap();
    let cat_pre = linker.instantiate_pre(&cat).unwrap();
    let copy = Component::new(&engine, fixture("copy")).unwrap();
    let copy_pre = linker.instantiate_pre(&copy).unwrap();
    let dir = CopyDir::new("raw");
    let input = bytes::Bytes::from(input());
    let run = |pre: &wasmtime::component::InstancePre<State>, b: WasiCtxBuilder| {
        let mut b = b;
        let mut store = Store::new(
            &engine,
            State {
                ctx: b.build(),
                table: ResourceTable::new(),
            },
        );
        let instance = pre.instantiate(&mut store).unwrap();
        let cmd = Command::new(&mut store, &instance).unwrap();
        cmd.wasi_cli_run().call_run(&mut store).unwrap().unwrap();
    };
    let mut g = c.benchmark_group("wasi_p2/wasmtime");
    g.bench_function("raw/hello", |b| {
        b.iter(|| {
            let out = MemoryOutputPipe::new(1 << 20);
            let mut builder = WasiCtxBuilder::new();
            builder
                .stdout(out.clone())
                .stderr(MemoryOutputPipe::new(1 << 20));
            run(&hello_pre, builder);
            assert_eq!(out.contents().len(), 14);
        })
    });
    g.sample_size(20);
    g.bench_function("raw/cat_1mib", |b| {
        b.iter(|| {
            let out = MemoryOutputPipe::new(2 << 20);
            let mut builder = WasiCtxBuilder::new();
            builder
                .stdin(MemoryInputPipe::new(input.clone()))
                .stdout(out.clone())
                .stderr(MemoryOutputPipe::new(1 << 20));
            run(&cat_pre, builder);
            assert_eq!(out.contents().len(), 1 << 20);
        })
    });
    g.bench_function("raw/copy_1mib", |b| {
        b.iter(|| {
            let out = MemoryOutputPipe::new(1 << 20);
            let mut builder = WasiCtxBuilder::new();
            builder
                .preopened_dir(&dir.0, "/sandbox", wasmtime_wasi::FsPerms::ReadWrite)
                .unwrap()
                .stdout(out.clone())
                .stderr(MemoryOutputPipe::new(1 << 20));
            run(&copy_pre, builder);
            assert_eq!(&out.contents()[..], COPIED.as_bytes());
        })
    });
    g.finish();
}

fn all(c: &mut Criterion) {
    // glibc serves large allocations with mmap until a large block has been
    // freed, then raises the threshold: without this, whichever side runs
    // first pays page faults on every 1 MiB buffer (the raw `cat` measured
    // 1.2 ms first and 0.5 ms after the `hello` benches).
    drop(std::hint::black_box(vec![1u8; 16 << 20]));
    raw_wasmtime(c);
    ours(
        c,
        "wasi_p2/wasmtime",
        "ours",
        &<Wasmtime as Engine>::new(&Config::new()).unwrap(),
    );
    ours(
        c,
        "wasi_p2/wasmtime",
        "native",
        &<Wasmtime as Engine>::new(Config::new().native_components(true)).unwrap(),
    );
    ours(
        c,
        "wasi_p2/wasmi",
        "ours",
        &<Wasmi as Engine>::new(&Config::new()).unwrap(),
    );
}

criterion_group!(benches, all);
criterion_main!(benches);
