//! Keeping compiled modules: `Module::serialize` / `deserialize` and the
//! on-disk `ModuleCache`.

use wasm_run_api::{
    CacheOutcome, Config, Engine, Error, Feature, Module, ModuleCache, Result, Store, Val,
};

use super::helpers::*;

pub(super) const SERIALIZE_WAT: &str = r#"
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\2a")
  (func (export "triple") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 3)))
  (func (export "first") (result i32) (i32.load8_u (i32.const 0))))
"#;

fn runs<E: Engine>(engine: &E, module: &Module<E>, what: &str) {
    let mut store = Store::new(engine, ());
    let instance = instantiate(&mut store, module);
    let triple = export_func(&mut store, &instance, "triple");
    let first = export_func(&mut store, &instance, "first");
    let mut out = [Val::I32(0)];
    ok(triple.call(&mut store, &[Val::I32(14)], &mut out), what);
    assert_eq!(out, [Val::I32(42)], "{what}");
    ok(first.call(&mut store, &[], &mut out), what);
    assert_eq!(out, [Val::I32(42)], "{what}: data segment");
    assert_eq!(module.exports().len(), 3, "{what}: reflection");
}

fn expect_deserialize_error<E: Engine>(engine: &E, bytes: &[u8], what: &str) {
    // SAFETY: the envelope's checks must refuse these bytes before the
    // engine sees them; that is what is tested.
    match unsafe { Module::deserialize(engine, bytes) } {
        Err(Error::Deserialize(_)) => {}
        Err(e) => panic!("{what}: expected Error::Deserialize, got {e} ({e:?})"),
        Ok(_) => panic!("{what}: deserialised"),
    }
}

/// A serialised module deserialises into one that runs the same (exports,
/// data, reflection). Random bytes, truncated bytes, a flipped byte, empty
/// input and bytes of an engine with another configuration are
/// `Error::Deserialize`, never a crash. A backend that cannot serialise
/// answers `Unsupported { ModuleSerialization }`.
pub fn module_serialization<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, SERIALIZE_WAT);
    let bytes = match module.serialize() {
        Ok(b) => b,
        Err(e) => {
            expect_unsupported(&e, Feature::ModuleSerialization, engine.name(), "serialize");
            assert!(!engine.support(Feature::ModuleSerialization).is_supported());
            return;
        }
    };
    // SAFETY: serialised just above by this process.
    let back = ok(
        unsafe { Module::deserialize(&engine, &bytes) },
        "deserialize",
    );
    runs(&engine, &back, "the deserialised module");
    assert_eq!(back.wasm(), module.wasm());

    expect_deserialize_error(&engine, &[], "empty input");
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    expect_deserialize_error(&engine, &junk, "random bytes");
    for cut in [1, 32, bytes.len() / 2, bytes.len() - 1] {
        expect_deserialize_error(&engine, &bytes[..bytes.len() - cut], "truncated bytes");
    }
    for at in [0, 20, 60, bytes.len() / 2, bytes.len() - 40] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x40;
        expect_deserialize_error(&engine, &flipped, &format!("a byte flipped at {at}"));
    }
    let mut config = Config::new();
    config.fuel(true);
    let other = engine_with(&make, &config);
    expect_deserialize_error(&other, &bytes, "bytes of another configuration");
}

/// The module cache: a miss compiles and stores, a hit loads without
/// compiling; a corrupted, truncated or other-module entry is detected,
/// recompiled and replaced; another configuration uses another entry; an
/// unusable directory skips the cache but still compiles; writers racing on
/// one entry never leave a half-written one; `Module::from_file` uses the
/// cache configured in `Config::module_cache`. On a backend that cannot
/// serialise, every load compiles and says `Skipped`.
pub fn module_cache<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let dir = TempDir::new("cache");
    let cache = ModuleCache::new(dir.path().join("modules"));
    let wasm = wasm_run_api::to_binary(SERIALIZE_WAT.as_bytes()).expect("wat");
    let (module, first) = ok(cache.load(&engine, &wasm), "first load");
    runs(&engine, &module, "a freshly compiled module");
    if !engine.support(Feature::ModuleSerialization).is_supported() {
        assert!(matches!(first, CacheOutcome::Skipped(_)), "{first:?}");
        let (_, again) = ok(cache.load(&engine, &wasm), "second load");
        assert!(matches!(again, CacheOutcome::Skipped(_)), "{again:?}");
        return;
    }
    assert_eq!(first, CacheOutcome::Stored);
    let entry = cache.entry(&engine, &wasm);
    assert!(entry.exists(), "no entry at {}", entry.display());
    let (module, again) = ok(cache.load(&engine, &wasm), "second load");
    assert_eq!(again, CacheOutcome::Hit);
    runs(&engine, &module, "a module from the cache");

    // Damaged entries.
    let good = std::fs::read(&entry).expect("read entry");
    for (what, bad) in [
        ("corrupted", {
            let mut b = good.clone();
            let mid = b.len() / 2;
            b[mid] ^= 1;
            b
        }),
        ("truncated", good[..good.len() / 3].to_vec()),
        ("empty", Vec::new()),
    ] {
        std::fs::write(&entry, &bad).expect("damage the entry");
        let (module, outcome) = ok(cache.load(&engine, &wasm), what);
        assert!(
            matches!(outcome, CacheOutcome::Replaced(_)),
            "{what}: {outcome:?}"
        );
        runs(&engine, &module, what);
        assert_eq!(
            std::fs::read(&entry).expect("read"),
            good,
            "{what}: not replaced"
        );
        assert_eq!(
            ok(cache.load(&engine, &wasm), "after replace").1,
            CacheOutcome::Hit
        );
    }

    // Another configuration: another entry.
    let mut config = Config::new();
    config.fuel(true);
    let fueled = engine_with(&make, &config);
    assert_ne!(cache.entry(&fueled, &wasm), entry);
    assert_eq!(
        ok(cache.load(&fueled, &wasm), "other config").1,
        CacheOutcome::Stored
    );

    // A directory that cannot be created: compiled anyway.
    let blocker = dir.write("file", b"not a directory");
    let broken = ModuleCache::new(blocker.join("cache"));
    let (module, outcome) = ok(broken.load(&engine, &wasm), "unusable directory");
    assert!(matches!(outcome, CacheOutcome::Skipped(_)), "{outcome:?}");
    runs(&engine, &module, "compiled past an unusable cache");

    // Racing writers on one fresh entry.
    let racing = ModuleCache::new(dir.path().join("race"));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..3 {
                    let (m, _) = ok(racing.load(&engine, &wasm), "racing load");
                    runs(&engine, &m, "a module loaded while others write");
                }
            });
        }
    });
    assert_eq!(
        ok(racing.load(&engine, &wasm), "after the race").1,
        CacheOutcome::Hit
    );
    let leftovers: Vec<_> = std::fs::read_dir(racing.dir())
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Through Config and Module::from_file.
    let file = dir.write("m.wasm", &wasm);
    let mut config = Config::new();
    config.module_cache(Some(dir.path().join("via-config")));
    let cached = engine_with(&make, &config);
    let m = ok(Module::from_file(&cached, &file), "from_file with a cache");
    runs(&cached, &m, "from_file");
    let via = ModuleCache::new(dir.path().join("via-config"));
    assert!(
        via.entry(&cached, &wasm).exists(),
        "from_file stored nothing"
    );
    assert_eq!(ok(via.load(&cached, &wasm), "load").1, CacheOutcome::Hit);
}
