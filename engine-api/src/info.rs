//! Module reflection shared by every backend: one parser, so every backend
//! describes the same module identically.

use crate::error::Error;
use crate::types::*;
use wasmparser as wp;

/// What a compiled module declares: its name, imports and exports with full
/// types. Computed once per module by the shared parser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The module name from the `name` custom section, if any.
    pub name: Option<String>,
    /// Imports in declaration order.
    pub imports: Vec<ImportType>,
    /// Exports in declaration order.
    pub exports: Vec<ExportType>,
    /// Whether the module has a start function.
    pub has_start: bool,
}

/// wasmparser's type as wasm-run's (see [`crate::wasmparser_types`]).
pub fn val_type(t: wp::ValType) -> ValType {
    match t {
        wp::ValType::I32 => ValType::I32,
        wp::ValType::I64 => ValType::I64,
        wp::ValType::F32 => ValType::F32,
        wp::ValType::F64 => ValType::F64,
        wp::ValType::V128 => ValType::V128,
        wp::ValType::Ref(r) => ValType::Ref(ref_type(r)),
    }
}

/// wasmparser's type as wasm-run's (see [`crate::wasmparser_types`]).
pub fn ref_type(r: wp::RefType) -> RefType {
    use wp::AbstractHeapType as A;
    let heap = match r.heap_type() {
        wp::HeapType::Abstract { ty, .. } => match ty {
            A::Func => HeapType::Func,
            A::Extern => HeapType::Extern,
            A::Any => HeapType::Any,
            A::None => HeapType::None,
            A::NoExtern => HeapType::NoExtern,
            A::NoFunc => HeapType::NoFunc,
            A::Eq => HeapType::Eq,
            A::Struct => HeapType::Struct,
            A::Array => HeapType::Array,
            A::I31 => HeapType::I31,
            A::Exn => HeapType::Exn,
            A::NoExn => HeapType::NoExn,
            // Stack switching is not part of our vocabulary yet.
            A::Cont | A::NoCont => HeapType::Any,
        },
        wp::HeapType::Concrete(i) | wp::HeapType::Exact(i) => {
            HeapType::Concrete(i.as_module_index().unwrap_or(u32::MAX))
        }
    };
    RefType {
        nullable: r.is_nullable(),
        heap,
    }
}

/// wasmparser's type as wasm-run's (see [`crate::wasmparser_types`]).
pub fn func_type(t: &wp::FuncType) -> FuncType {
    FuncType::new(
        t.params().iter().copied().map(val_type),
        t.results().iter().copied().map(val_type),
    )
}

/// wasmparser's type as wasm-run's (see [`crate::wasmparser_types`]).
pub fn memory_type(m: wp::MemoryType) -> MemoryType {
    MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
        shared: m.shared,
        memory64: m.memory64,
        page_size_log2: m.page_size_log2() as u8,
    }
}

/// wasmparser's type as wasm-run's (see [`crate::wasmparser_types`]).
pub fn table_type(t: wp::TableType) -> TableType {
    TableType {
        element: ref_type(t.element_type),
        minimum: t.initial,
        maximum: t.maximum,
        table64: t.table64,
    }
}

/// wasmparser's type as wasm-run's (see [`crate::wasmparser_types`]).
pub fn global_type(g: wp::GlobalType) -> GlobalType {
    GlobalType {
        content: val_type(g.content_type),
        mutability: if g.mutable {
            Mutability::Var
        } else {
            Mutability::Const
        },
    }
}

fn parse_err(e: wp::BinaryReaderError) -> Error {
    Error::Compile {
        message: e.message().to_string(),
        offset: Some(e.offset() as usize),
    }
}

impl ModuleInfo {
    /// Parses the declarations of a binary module. Function bodies are skipped;
    /// validation is the engine's job.
    ///
    /// # Errors
    ///
    /// [`Error::Compile`] if the binary cannot be read (with the byte offset of the
    /// problem), or an import or export refers to a type, function, table, memory,
    /// global or tag that does not exist or is not of the right kind (without an
    /// offset).
    pub fn parse(wasm: &[u8]) -> Result<Self, Error> {
        Self::parse_with(wasm, wp::WasmFeatures::default())
    }

    /// [`ModuleInfo::parse`] for a module of an engine with the features
    /// `enabled`: an encoding that only a proposal disabled there may use
    /// (the tag section without exceptions, compact import sections, which
    /// no backend enables) is an error, as in the engines' own parsers.
    /// Used by `Module::new` and `Module::validate`, so that the two agree.
    ///
    /// # Errors
    ///
    /// As [`ModuleInfo::parse`].
    pub fn parse_for(wasm: &[u8], enabled: crate::FeatureSet) -> Result<Self, Error> {
        Self::parse_with(wasm, parse_features(enabled))
    }

    fn parse_with(wasm: &[u8], features: wp::WasmFeatures) -> Result<Self, Error> {
        let mut info = ModuleInfo::default();
        // Function types by type index (None for GC struct/array types).
        let mut types: Vec<Option<FuncType>> = Vec::new();
        let mut funcs: Vec<u32> = Vec::new();
        let mut tables = Vec::new();
        let mut memories = Vec::new();
        let mut globals = Vec::new();
        let mut tags = Vec::new();
        let mut exports = Vec::new();
        let func_by_index = |types: &[Option<FuncType>], idx: u32| -> Result<FuncType, Error> {
            types
                .get(idx as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| Error::Compile {
                    message: format!("type index {idx} is not a function type"),
                    offset: None,
                })
        };
        let mut parser = wp::Parser::new(0);
        parser.set_features(features);
        // Parsed chunk by chunk (not `parse_all`) so that the code section
        // is skipped whole: reflection needs no function body, and walking
        // each body's entry costs most of this pass on large modules.
        let mut rest = wasm;
        loop {
            let (consumed, payload) = match parser.parse(rest, true).map_err(parse_err)? {
                wp::Chunk::Parsed { consumed, payload } => (consumed, payload),
                // With `eof` set the parser reports truncation as an error.
                wp::Chunk::NeedMoreData(_) => {
                    return Err(Error::Compile {
                        message: "unexpected end of the module".into(),
                        offset: Some(wasm.len()),
                    });
                }
            };
            rest = &rest[consumed..];
            match payload {
                wp::Payload::TypeSection(r) => {
                    for group in r {
                        for sub in group.map_err(parse_err)?.into_types() {
                            types.push(match &sub.composite_type.inner {
                                wp::CompositeInnerType::Func(f) => Some(func_type(f)),
                                _ => None,
                            });
                        }
                    }
                }
                wp::Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        let import = import.map_err(parse_err)?;
                        let ty = match import.ty {
                            wp::TypeRef::Func(i) | wp::TypeRef::FuncExact(i) => {
                                funcs.push(i);
                                ExternType::Func(func_by_index(&types, i)?)
                            }
                            wp::TypeRef::Table(t) => {
                                tables.push(t);
                                ExternType::Table(table_type(t))
                            }
                            wp::TypeRef::Memory(m) => {
                                memories.push(m);
                                ExternType::Memory(memory_type(m))
                            }
                            wp::TypeRef::Global(g) => {
                                globals.push(g);
                                ExternType::Global(global_type(g))
                            }
                            wp::TypeRef::Tag(t) => {
                                tags.push(t.func_type_idx);
                                ExternType::Tag(TagType {
                                    ty: func_by_index(&types, t.func_type_idx)?,
                                })
                            }
                        };
                        info.imports.push(ImportType {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            ty,
                        });
                    }
                }
                wp::Payload::FunctionSection(r) => {
                    for f in r {
                        funcs.push(f.map_err(parse_err)?);
                    }
                }
                wp::Payload::TableSection(r) => {
                    for t in r {
                        tables.push(t.map_err(parse_err)?.ty);
                    }
                }
                wp::Payload::MemorySection(r) => {
                    for m in r {
                        memories.push(m.map_err(parse_err)?);
                    }
                }
                wp::Payload::GlobalSection(r) => {
                    for g in r {
                        globals.push(g.map_err(parse_err)?.ty);
                    }
                }
                wp::Payload::TagSection(r) => {
                    for t in r {
                        tags.push(t.map_err(parse_err)?.func_type_idx);
                    }
                }
                wp::Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.map_err(parse_err)?;
                        exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                wp::Payload::StartSection { .. } => info.has_start = true,
                wp::Payload::CustomSection(c) => {
                    if let wp::KnownCustom::Name(names) = c.as_known() {
                        for n in names.into_iter().flatten() {
                            if let wp::Name::Module { name, .. } = n {
                                info.name = Some(name.to_string());
                            }
                        }
                    }
                }
                wp::Payload::CodeSectionStart { size, .. } => {
                    parser.skip_section();
                    rest = rest.get(size as usize..).ok_or_else(|| Error::Compile {
                        message: "the code section runs past the end of the module".into(),
                        offset: Some(wasm.len()),
                    })?;
                }
                wp::Payload::End(_) => break,
                _ => {}
            }
        }
        let missing = |what: &str, idx: u32| Error::Compile {
            message: format!("export refers to unknown {what} {idx}"),
            offset: None,
        };
        for (name, kind, index) in exports {
            let i = index as usize;
            let ty = match kind {
                wp::ExternalKind::Func | wp::ExternalKind::FuncExact => {
                    let t = *funcs.get(i).ok_or_else(|| missing("function", index))?;
                    ExternType::Func(func_by_index(&types, t)?)
                }
                wp::ExternalKind::Table => ExternType::Table(table_type(
                    *tables.get(i).ok_or_else(|| missing("table", index))?,
                )),
                wp::ExternalKind::Memory => ExternType::Memory(memory_type(
                    *memories.get(i).ok_or_else(|| missing("memory", index))?,
                )),
                wp::ExternalKind::Global => ExternType::Global(global_type(
                    *globals.get(i).ok_or_else(|| missing("global", index))?,
                )),
                wp::ExternalKind::Tag => {
                    let t = *tags.get(i).ok_or_else(|| missing("tag", index))?;
                    ExternType::Tag(TagType {
                        ty: func_by_index(&types, t)?,
                    })
                }
            };
            info.exports.push(ExportType { name, ty });
        }
        Ok(info)
    }

    /// The export called `name`, if any.
    pub fn export(&self, name: &str) -> Option<&ExportType> {
        self.exports.iter().find(|e| e.name == name)
    }
}

/// Whether `bytes` look like a binary module (magic `\0asm`) rather than text.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\0asm")
}

/// Turns WAT text into a binary module; binary input passes through unchanged.
///
/// # Errors
///
/// [`Error::Compile`] if `bytes` are neither a binary module nor UTF-8 text (the
/// offset is that of the first invalid byte), or the text is not valid WAT (no
/// offset; the message says where).
pub fn to_binary(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, Error> {
    if is_binary(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Compile {
        message: format!("input is neither a wasm binary (no `\\0asm` magic) nor UTF-8 text: {e}"),
        offset: Some(e.valid_up_to()),
    })?;
    wat::parse_str(text)
        .map(std::borrow::Cow::Owned)
        .map_err(|e| Error::Compile {
            message: format!("invalid WAT: {e}"),
            offset: None,
        })
}

/// The wasmparser flags of one of our proposals.
fn wp_flags(feature: crate::Feature) -> wp::WasmFeatures {
    use crate::Feature::*;
    use wp::WasmFeatures as W;
    match feature {
        MultiValue => W::MULTI_VALUE,
        // wasmparser splits some proposals into finer flags.
        BulkMemory => W::BULK_MEMORY | W::BULK_MEMORY_OPT,
        ReferenceTypes => W::REFERENCE_TYPES | W::GC_TYPES | W::CALL_INDIRECT_OVERLONG,
        MutableGlobal => W::MUTABLE_GLOBAL,
        SaturatingFloatToInt => W::SATURATING_FLOAT_TO_INT,
        SignExtension => W::SIGN_EXTENSION,
        ExtendedConst => W::EXTENDED_CONST,
        Floats => W::FLOATS,
        Simd => W::SIMD,
        RelaxedSimd => W::RELAXED_SIMD,
        Threads => W::THREADS,
        MultiMemory => W::MULTI_MEMORY,
        Memory64 => W::MEMORY64,
        TailCall => W::TAIL_CALL,
        Exceptions => W::EXCEPTIONS,
        Gc => W::GC | W::GC_TYPES,
        FunctionReferences => W::FUNCTION_REFERENCES | W::GC_TYPES,
        CustomPageSizes => W::CUSTOM_PAGE_SIZES,
        WideArithmetic => W::WIDE_ARITHMETIC,
        ComponentModel => W::COMPONENT_MODEL,
        _ => W::empty(),
    }
}

/// wasmparser's defaults without the proposals `enabled` lacks (their flags
/// that no enabled proposal shares) and without compact imports, which no
/// backend enables.
fn parse_features(enabled: crate::FeatureSet) -> wp::WasmFeatures {
    let on = wp_set(enabled.iter());
    let off = wp_set(
        crate::Feature::ALL
            .iter()
            .copied()
            .filter(|f| f.is_proposal() && !enabled.contains(*f)),
    );
    (wp::WasmFeatures::default() | on)
        .difference(off.difference(on))
        .difference(wp::WasmFeatures::COMPACT_IMPORTS)
}

fn wp_set(set: impl IntoIterator<Item = crate::Feature>) -> wp::WasmFeatures {
    set.into_iter()
        .fold(wp::WasmFeatures::empty(), |acc, f| acc | wp_flags(f))
}

fn validates(wasm: &[u8], features: wp::WasmFeatures) -> bool {
    wp::Validator::new_with_features(features)
        .validate_all(wasm)
        .is_ok()
}

/// Where `wasm` is invalid with `enabled` features, by wasm-run's own
/// validator: the byte offset of the first error, or `None` when it accepts
/// the module (the engine rejected it for a reason of its own). Used on the
/// error path so that every backend reports compile errors with an offset.
pub fn invalid_offset(wasm: &[u8], enabled: crate::FeatureSet) -> Option<usize> {
    wp::Validator::new_with_features(wp_set(enabled.iter()))
        .validate_all(wasm)
        .err()
        .and_then(|e| usize::try_from(e.offset()).ok())
}

/// Validates `wasm` with wasm-run's own validator and exactly the proposals
/// in `enabled`: for backends whose engine validates with a fixed set of
/// proposals of its own, so that a proposal disabled in the
/// [`Config`](crate::Config) is refused on them too.
///
/// # Errors
///
/// [`Error::Compile`] with the validator's message and byte offset.
pub fn validate_for(wasm: &[u8], enabled: crate::FeatureSet) -> Result<(), Error> {
    wp::Validator::new_with_features(wp_set(enabled.iter()))
        .validate_all(wasm)
        .map(drop)
        .map_err(parse_err)
}

/// Whether `wasm` is a component rather than a core module.
pub fn is_component(wasm: &[u8]) -> bool {
    wasm.len() >= 8 && wasm.starts_with(b"\0asm") && wasm[6..8] == [1, 0] && wasm[4..6] != [1, 0]
}

/// After an engine rejected `wasm`: the proposals whose absence explains it.
///
/// Empty when the module is invalid whatever is enabled (or valid as it is).
/// Otherwise every listed proposal is needed: the module validates with all of
/// them added to `enabled` and fails when any one of them (and what builds on
/// it) is left out. Gc is listed last because it subsumes
/// function-references.
///
/// This runs only on the error path, so an engine that cannot do what a module
/// needs answers with a typed [`crate::Error::Unsupported`] rather than a
/// validator message.
pub fn missing_features(wasm: &[u8], enabled: crate::FeatureSet) -> Vec<crate::Feature> {
    use crate::Feature;
    if is_component(wasm) {
        return vec![Feature::ComponentModel];
    }
    let base = wp_set(enabled.iter());
    let candidates: Vec<Feature> = Feature::ALL
        .iter()
        .copied()
        .filter(|f| {
            f.is_proposal()
                && !enabled.contains(*f)
                && !matches!(f, Feature::ComponentModel | Feature::ComponentModelAsync)
        })
        .collect();
    let with = |set: &mut dyn Iterator<Item = Feature>| base | wp_set(set);
    if validates(wasm, base) || !validates(wasm, with(&mut candidates.iter().copied())) {
        return Vec::new();
    }
    let dependents = |f: Feature| {
        Feature::REQUIRES
            .iter()
            .filter(move |(_, d)| *d == f)
            .map(|(a, _)| *a)
    };
    let mut needed: Vec<Feature> = candidates
        .iter()
        .copied()
        .filter(|&f| {
            let without: Vec<Feature> = dependents(f).chain([f]).collect();
            !validates(
                wasm,
                with(&mut candidates.iter().copied().filter(|c| !without.contains(c))),
            )
        })
        .collect();
    // A proposal whose dependents are needed is implied by them; name the
    // smallest one only when it stands alone (gc implies function-references).
    if needed.contains(&Feature::Gc) && needed.contains(&Feature::FunctionReferences) {
        if validates(
            wasm,
            with(&mut candidates.iter().copied().filter(|c| *c != Feature::Gc)),
        ) {
            needed.retain(|f| *f != Feature::Gc);
        } else {
            needed.retain(|f| *f != Feature::FunctionReferences);
        }
    }
    needed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Feature, FeatureSet};

    fn mvp() -> FeatureSet {
        [Feature::MutableGlobal, Feature::Floats]
            .into_iter()
            .collect()
    }

    #[test]
    fn missing_feature_names_the_proposal() {
        let threads = wat::parse_str("(module (memory 1 1 shared))").unwrap();
        assert_eq!(missing_features(&threads, mvp()), [Feature::Threads]);
        let simd = wat::parse_str("(module (func (result v128) v128.const i64x2 0 0))").unwrap();
        assert_eq!(missing_features(&simd, mvp()), [Feature::Simd]);
        let two = wat::parse_str(
            "(module (memory 1 1 shared) (func (result v128) v128.const i64x2 0 0))",
        )
        .unwrap();
        assert_eq!(
            missing_features(&two, mvp()),
            [Feature::Simd, Feature::Threads]
        );
        let mut with_simd = mvp();
        with_simd.insert(Feature::Simd);
        assert!(
            missing_features(&simd, with_simd).is_empty(),
            "valid module: nothing missing"
        );
        let invalid = wat::parse_str("(module (func (result i32) i64.const 0))").unwrap();
        assert_eq!(
            missing_features(&invalid, mvp()),
            [],
            "invalid everywhere: not a feature problem"
        );
    }

    #[test]
    fn components_are_recognised() {
        assert!(is_component(b"\0asm\x0d\0\x01\0"));
        assert!(!is_component(b"\0asm\x01\0\0\0"));
        assert_eq!(
            missing_features(b"\0asm\x0d\0\x01\0", mvp()),
            [Feature::ComponentModel]
        );
    }

    #[test]
    fn reflection_of_every_kind() {
        let wasm = wat::parse_str(
            r#"(module $m
                 (import "a" "f" (func (param i32 i64) (result f32)))
                 (import "a" "g" (global (mut i64)))
                 (memory (export "mem") 1 2)
                 (table (export "tab") 3 funcref)
                 (func (export "h") (param f64))
                 (global (export "c") i32 (i32.const 7)))"#,
        )
        .unwrap();
        let info = ModuleInfo::parse(&wasm).unwrap();
        assert_eq!(info.name.as_deref(), Some("m"));
        let imports: Vec<_> = info
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), i.ty.clone()))
            .collect();
        assert_eq!(
            imports,
            [
                (
                    "a",
                    "f",
                    ExternType::Func(FuncType::new([ValType::I32, ValType::I64], [ValType::F32]))
                ),
                (
                    "a",
                    "g",
                    ExternType::Global(GlobalType::new(ValType::I64, Mutability::Var))
                ),
            ]
        );
        let exports: Vec<_> = info
            .exports
            .iter()
            .map(|e| (e.name.as_str(), e.ty.clone()))
            .collect();
        assert_eq!(
            exports,
            [
                ("mem", ExternType::Memory(MemoryType::new(1, Some(2)))),
                (
                    "tab",
                    ExternType::Table(TableType::new(
                        RefType {
                            nullable: true,
                            heap: HeapType::Func
                        },
                        3,
                        None
                    ))
                ),
                ("h", ExternType::Func(FuncType::new([ValType::F64], []))),
                (
                    "c",
                    ExternType::Global(GlobalType::new(ValType::I32, Mutability::Const))
                ),
            ]
        );
    }
}
