//! Modules: compiling from text, binary and files, validation errors, and
//! the reflected import and export types (64-bit and shared memories too).

use wasm_run_api::{
    Caller, Config, Engine, Error, ExportType, ExternType, Feature, Global, GlobalType, ImportType,
    Linker, Memory, MemoryType, Module, Mutability, Result, Store, Table, TableType, Val, ValType,
};

use super::helpers::*;

pub(super) const ROUND_TRIP_WAT: &str = r#"
(module $round_trip
  (import "env" "scale" (func $scale (param i32) (result i64)))
  (memory (export "memory") 1 2)
  (func (export "promote") (param f32) (result f64) local.get 0 f64.promote_f32)
  (func (export "scaled") (param i32) (result i64) local.get 0 call $scale))
"#;

/// The same module compiled from WAT text and from binary has the same name,
/// imports and exports, and behaves the same; a module without a name section
/// entry has no name.
pub fn module_text_and_binary<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let bytes = wat::parse_str(ROUND_TRIP_WAT).expect("test WAT parses");
    assert!(wasm_run_api::is_binary(&bytes));
    let from_text = compile(&engine, ROUND_TRIP_WAT);
    let from_binary = ok(Module::new(&engine, &bytes), "compiling the binary");

    assert_eq!(from_text.name(), Some("round_trip"));
    assert_eq!(from_binary.name(), Some("round_trip"));
    assert_eq!(from_text.imports(), from_binary.imports());
    assert_eq!(from_text.exports(), from_binary.exports());
    assert_eq!(from_text.info(), from_binary.info());
    assert_eq!(
        from_text.imports(),
        &[ImportType {
            module: "env".into(),
            name: "scale".into(),
            ty: ExternType::Func(fty([ValType::I32], [ValType::I64])),
        }]
    );
    let export_names: Vec<&str> = from_text
        .exports()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(export_names, ["memory", "promote", "scaled"]);

    // Both compile to working code.
    for module in [&from_text, &from_binary] {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::<E, ()>::new(&engine);
        ok(
            linker.func_wrap(
                "env",
                "scale",
                |_: Caller<'_, E, ()>, x: i32| -> Result<i64> {
                    Ok(i64::from(x) * 1_000_000_000_000)
                },
            ),
            "defining env.scale",
        );
        let instance = ok(linker.instantiate(&mut store, module), "instantiating");
        let promote = instance.typed_func::<f32, f64>(&mut store, "promote");
        assert_eq!(ok(promote.call(&mut store, 1.5), "promote(1.5)"), 1.5);
        let scaled = instance.typed_func::<i32, i64>(&mut store, "scaled");
        assert_eq!(
            ok(scaled.call(&mut store, -3), "scaled(-3)"),
            -3_000_000_000_000
        );
    }

    let anonymous = compile(&engine, "(module (func (export \"f\")))");
    assert_eq!(
        anonymous.name(),
        None,
        "a module without a name has Some name"
    );
    let cloned = anonymous.clone();
    assert_eq!(cloned.exports(), anonymous.exports());
}

/// `Module::validate` accepts a good module (text and binary); malformed
/// bytes, an invalid (ill-typed) module, an encoding of a proposal that is
/// not enabled (compact imports), garbage text and bytes that are neither
/// wasm nor UTF-8 are `Error::Compile` from both `validate` and
/// `Module::new`; the engine keeps working afterwards.
pub fn module_validation_errors<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let good = "(module (func (export \"f\") (result i32) i32.const 1))";
    ok(
        Module::validate(&engine, good),
        "validating a good text module",
    );
    let good_bytes = wat::parse_str(good).expect("test WAT parses");
    ok(
        Module::validate(&engine, &good_bytes),
        "validating a good binary module",
    );

    let invalid_text = "(module (func (result i32) i64.const 0))";
    let invalid_bytes = wat::parse_str(invalid_text).expect("ill-typed WAT still parses");
    // A compact import section (a proposal neither backend enables): one
    // module name, an empty item name, 0x7E, a function type, two names.
    // wasmtime 48's validator accepted it while its compiler rejected it.
    let compact_imports: &[u8] = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\
        \x02\x0c\x01\x01m\0\x7e\0\0\x02\x01a\x01b";
    let cases: [(&str, &[u8]); 8] = [
        ("compact import section", compact_imports),
        ("malformed section", b"\0asm\x01\0\0\0\xff"),
        ("wrong version", b"\0asm\x02\0\0\0"),
        ("truncated header", b"\0asm\x01\0"),
        ("ill-typed module (text)", invalid_text.as_bytes()),
        ("ill-typed module (binary)", &invalid_bytes),
        ("garbage text", b"this is not webassembly"),
        ("neither wasm nor UTF-8", b"\xff\xfe\x00\x01"),
    ];
    for (what, bytes) in cases {
        let e = assert_err!(
            Module::validate(&engine, bytes),
            Error::Compile { .. },
            "validate: {what}"
        );
        assert!(!e.to_string().is_empty());
        assert_err!(
            Module::new(&engine, bytes),
            Error::Compile { .. },
            "Module::new: {what}"
        );
    }

    // Still usable.
    let (mut store, instance) = instantiate_wat(&engine, good);
    let f = instance.typed_func::<(), i32>(&mut store, "f");
    assert_eq!(ok(f.call(&mut store, ()), "f()"), 1);
}

pub(super) const KINDS_WAT: &str = r#"
(module $kinds
  (import "env" "f" (func $f (param i32 i64 f32 f64) (result i32)))
  (import "env" "unit" (func $unit))
  (import "env" "memory" (memory 1 4))
  (import "env" "table" (table 2 10 funcref))
  (import "env" "const_i32" (global $ci i32))
  (import "env" "mut_i64" (global $mi (mut i64)))
  (func (export "own") (param i64) (result f32 f64) f32.const 0 f64.const 0)
  (table (export "table2") 3 externref)
  (global (export "const_f32") f32 (f32.const 1.5))
  (global (export "mut_f64") (mut f64) (f64.const 2.5))
  (export "memory" (memory 0))
  (export "table" (table 0))
  (export "f" (func $f))
  (export "const_i32" (global $ci))
  (export "mut_i64" (global $mi)))
"#;

/// Imports and exports of [`KINDS_WAT`], written by hand from the text.
pub(super) fn kinds_expected() -> (Vec<ImportType>, Vec<ExportType>) {
    use ValType::*;
    let import = |name: &str, ty: ExternType| ImportType {
        module: "env".into(),
        name: name.into(),
        ty,
    };
    let export = |name: &str, ty: ExternType| ExportType {
        name: name.into(),
        ty,
    };
    let f = ExternType::Func(fty([I32, I64, F32, F64], [I32]));
    let memory = ExternType::Memory(MemoryType {
        minimum: 1,
        maximum: Some(4),
        shared: false,
        memory64: false,
        page_size_log2: 16,
    });
    let table = ExternType::Table(TableType {
        element: FUNCREF,
        minimum: 2,
        maximum: Some(10),
        table64: false,
    });
    let const_i32 = ExternType::Global(GlobalType {
        content: I32,
        mutability: Mutability::Const,
    });
    let mut_i64 = ExternType::Global(GlobalType {
        content: I64,
        mutability: Mutability::Var,
    });
    let imports = vec![
        import("f", f.clone()),
        import("unit", ExternType::Func(fty([], []))),
        import("memory", memory.clone()),
        import("table", table.clone()),
        import("const_i32", const_i32.clone()),
        import("mut_i64", mut_i64.clone()),
    ];
    let exports = vec![
        export("own", ExternType::Func(fty([I64], [F32, F64]))),
        export(
            "table2",
            ExternType::Table(TableType {
                element: EXTERNREF,
                minimum: 3,
                maximum: None,
                table64: false,
            }),
        ),
        export(
            "const_f32",
            ExternType::Global(GlobalType::new(F32, Mutability::Const)),
        ),
        export(
            "mut_f64",
            ExternType::Global(GlobalType::new(F64, Mutability::Var)),
        ),
        export("memory", memory),
        export("table", table),
        export("f", f),
        export("const_i32", const_i32),
        export("mut_i64", mut_i64),
    ];
    (imports, exports)
}

/// Exact import and export types (every kind: functions with params and
/// results, memory limits, table element type and limits, const and mutable
/// globals) and that the runtime types of the instantiated exports agree with
/// the declared ones.
pub fn module_import_export_types<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let module = compile(&engine, KINDS_WAT);
    let (imports, exports) = kinds_expected();
    assert_eq!(module.name(), Some("kinds"));
    assert_eq!(
        module.imports(),
        imports.as_slice(),
        "imports of the kinds module"
    );
    assert_eq!(
        module.exports(),
        exports.as_slice(),
        "exports of the kinds module"
    );
    assert!(!module.info().has_start);

    // Instantiate with matching host items; runtime types must agree.
    let mut store = Store::new(&engine, ());
    let memory = ok(
        Memory::new(&mut store, MemoryType::new(1, Some(4))),
        "Memory::new",
    );
    let table = ok(
        Table::new(
            &mut store,
            TableType::new(FUNCREF, 2, Some(10)),
            Val::FuncRef(None),
        ),
        "Table::new",
    );
    let const_i32 = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(3),
        ),
        "Global::new",
    );
    let mut_i64 = ok(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I64, Mutability::Var),
            Val::I64(4),
        ),
        "Global::new",
    );
    let mut linker = Linker::<E, ()>::new(&engine);
    ok(
        linker.func_wrap(
            "env",
            "f",
            |_: Caller<'_, E, ()>, a: i32, _: i64, _: f32, _: f64| -> Result<i32> { Ok(a) },
        ),
        "env.f",
    );
    ok(
        linker.func_wrap("env", "unit", |_: Caller<'_, E, ()>| -> Result<()> {
            Ok(())
        }),
        "env.unit",
    );
    ok(linker.define(&store, "env", "memory", memory), "env.memory");
    ok(linker.define(&store, "env", "table", table), "env.table");
    ok(
        linker.define(&store, "env", "const_i32", const_i32),
        "env.const_i32",
    );
    ok(
        linker.define(&store, "env", "mut_i64", mut_i64),
        "env.mut_i64",
    );
    let instance = ok(
        linker.instantiate(&mut store, &module),
        "instantiating the kinds module",
    );
    let listed = instance.exports(&mut store);
    assert_eq!(listed.len(), exports.len(), "number of instance exports");
    for ((name, item), declared) in listed.iter().zip(&exports) {
        assert_eq!(name, &declared.name);
        assert_eq!(
            item.ty(&store),
            declared.ty,
            "runtime type of export `{name}`"
        );
    }
    assert_eq!(instance.export_types(), exports.as_slice());
}

pub(super) const MEMORY64_WAT: &str = r#"(module (memory (export "m64") i64 1 5))"#;
pub(super) const SHARED_MEMORY_WAT: &str = r#"(module (memory (export "shared") 1 2 shared))"#;

/// 64-bit and shared memories are described with `memory64`/`shared` set when
/// the engine has memory64/threads, and rejected (compile error or
/// `Unsupported`) when it does not.
pub fn module_memory64_and_shared_types<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let features = engine.features();

    if features.contains(Feature::Memory64) {
        let module = compile(&engine, MEMORY64_WAT);
        let ty = MemoryType {
            minimum: 1,
            maximum: Some(5),
            shared: false,
            memory64: true,
            page_size_log2: 16,
        };
        assert_eq!(
            module.exports(),
            &[ExportType {
                name: "m64".into(),
                ty: ExternType::Memory(ty)
            }]
        );
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let memory = instance
            .get_memory(&mut store, "m64")
            .expect("m64 is a memory");
        assert_eq!(memory.ty(&store), ty, "runtime type of a 64-bit memory");
        assert_eq!(memory.size(&store), 1);
    } else {
        expect_rejected(
            &engine,
            MEMORY64_WAT,
            Feature::Memory64,
            "memory64 module without memory64",
        );
    }

    if features.contains(Feature::Threads) {
        let module = compile(&engine, SHARED_MEMORY_WAT);
        let ty = MemoryType {
            minimum: 1,
            maximum: Some(2),
            shared: true,
            memory64: false,
            page_size_log2: 16,
        };
        assert_eq!(
            module.exports(),
            &[ExportType {
                name: "shared".into(),
                ty: ExternType::Memory(ty)
            }]
        );
    } else {
        expect_rejected(
            &engine,
            SHARED_MEMORY_WAT,
            Feature::Threads,
            "shared memory without threads",
        );
    }
}

pub(super) const FROM_FILE_WAT: &str = r#"
(module $from_file
  (func (export "answer") (result i32) i32.const 42))
"#;

/// `Module::from_file` reads `.wat` and `.wasm` files alike; a missing file
/// or a directory is `Error::Io` naming the path; a file with bad contents is
/// `Error::Compile`.
pub fn module_from_file<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let dir = TempDir::new("from-file");
    let wat_path = dir.write("answer.wat", FROM_FILE_WAT);
    let wasm_path = dir.write(
        "answer.wasm",
        wat::parse_str(FROM_FILE_WAT).expect("test WAT parses"),
    );
    let bad_path = dir.write("bad.wasm", b"\0asm\x01\0\0\0\xff");

    let expected = [ExportType {
        name: "answer".into(),
        ty: ExternType::Func(fty([], [ValType::I32])),
    }];
    for path in [&wat_path, &wasm_path] {
        let module = ok(
            Module::from_file(&engine, path),
            &format!("Module::from_file({})", path.display()),
        );
        assert_eq!(module.name(), Some("from_file"));
        assert_eq!(module.exports(), &expected);
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, &module);
        let answer = instance.typed_func::<(), i32>(&mut store, "answer");
        assert_eq!(ok(answer.call(&mut store, ()), "answer()"), 42);
    }

    let missing = dir.path().join("missing.wasm");
    let e = assert_err!(
        Module::from_file(&engine, &missing),
        Error::Io { .. },
        "missing file"
    );
    if let Error::Io { path, source } = &e {
        assert!(
            path.contains("missing.wasm"),
            "Io error names {path}, not the missing file"
        );
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    }
    assert_err!(
        Module::from_file(&engine, dir.path()),
        Error::Io { .. },
        "reading a directory"
    );
    assert_err!(
        Module::from_file(&engine, &bad_path),
        Error::Compile { .. },
        "malformed file"
    );
}

/// Every compilation mode compiles and runs a valid module (wasmi applies
/// it; wasmtime always compiles eagerly), and the config reports the mode;
/// only `Compilation::Lazy` with `Feature::LazyValidation` accepts a module
/// whose unused function does not validate.
pub fn compilation_modes<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    use wasm_run_api::Compilation;
    for mode in [
        Compilation::Eager,
        Compilation::LazyTranslation,
        Compilation::Lazy,
    ] {
        let mut config = Config::new();
        config.compilation(mode);
        let engine = engine_with(&make, &config);
        assert_eq!(engine.config().compilation_mode(), Some(mode));
        let (mut store, instance) = instantiate_wat(
            &engine,
            r#"(module (func (export "f") (param i32) (result i32)
                 (i32.add (local.get 0) (i32.const 1))))"#,
        );
        let f = export_func(&mut store, &instance, "f");
        let mut out = [Val::I32(0)];
        ok(f.call(&mut store, &[Val::I32(41)], &mut out), "f(41)");
        assert_eq!(out, [Val::I32(42)], "{mode:?}");
        // A function body that does not validate (i32.add of an i64): only
        // an engine with `Feature::LazyValidation` in `Compilation::Lazy`
        // accepts the module, and the problem shows when the function is
        // called.
        let invalid = Module::new(&engine, INVALID_BODY);
        if engine.features().contains(Feature::LazyValidation) && mode == Compilation::Lazy {
            let module = ok(invalid, "a lazily validated module");
            let mut store = Store::new(&engine, ());
            let instance = instantiate(&mut store, &module);
            let bad = export_func(&mut store, &instance, "bad");
            assert!(
                bad.call(&mut store, &[], &mut out).is_err(),
                "the invalid body ran"
            );
        } else {
            assert!(invalid.is_err(), "{mode:?}: an invalid module compiled");
        }
    }
    // With lazy validation turned off, `Lazy` validates up front; an engine
    // without it refuses to have it turned on.
    let mut config = Config::new();
    config
        .compilation(Compilation::Lazy)
        .disable(Feature::LazyValidation);
    let engine = engine_with(&make, &config);
    assert!(
        Module::new(&engine, INVALID_BODY).is_err(),
        "Lazy without LazyValidation compiled an invalid module"
    );
    let mut config = Config::new();
    config.enable(Feature::LazyValidation);
    let base = default_engine(&make);
    if base.support(Feature::LazyValidation).is_supported() {
        assert!(
            engine_with(&make, &config)
                .features()
                .contains(Feature::LazyValidation)
        );
    } else {
        let e = err(make(&config), "LazyValidation on an engine without it");
        expect_unsupported(&e, Feature::LazyValidation, base.name(), "lazy validation");
    }
}

/// A function body that does not validate (`i32.add` of an `i64`).
const INVALID_BODY: &str =
    r#"(module (func (export "bad") (result i32) (i32.add (i64.const 1) (i32.const 2))))"#;
