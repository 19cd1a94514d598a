//! Engine-neutral type descriptions: values, functions, memories, tables,
//! globals, imports and exports.

use std::fmt;
use std::sync::Arc;

/// Heap type of a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeapType {
    /// Any function.
    Func,
    /// Any external (host) reference.
    Extern,
    /// GC: any internal reference.
    Any,
    /// GC: references comparable with `ref.eq`.
    Eq,
    /// GC: unboxed 31-bit integers.
    I31,
    /// GC: any struct.
    Struct,
    /// GC: any array.
    Array,
    /// Exceptions: exception references.
    Exn,
    /// Bottom of the `any` hierarchy.
    None,
    /// Bottom of the `func` hierarchy.
    NoFunc,
    /// Bottom of the `extern` hierarchy.
    NoExtern,
    /// Bottom of the `exn` hierarchy.
    NoExn,
    /// A concrete type by its index in the module's type section.
    Concrete(u32),
}

/// A reference type: nullability plus heap type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether `null` is a value of this type.
    pub nullable: bool,
    /// What the reference points to.
    pub heap: HeapType,
}

/// The type of a WebAssembly value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference.
    Ref(RefType),
}

impl ValType {
    /// `funcref`, i.e. `(ref null func)`.
    pub const FUNCREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Func,
    });
    /// `externref`, i.e. `(ref null extern)`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Extern,
    });
    /// `anyref`, i.e. `(ref null any)`.
    pub const ANYREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Any,
    });
    /// `exnref`, i.e. `(ref null exn)`.
    pub const EXNREF: ValType = ValType::Ref(RefType {
        nullable: true,
        heap: HeapType::Exn,
    });

    /// Whether values of this type are numbers or vectors (not references).
    pub const fn is_num(&self) -> bool {
        !matches!(self, ValType::Ref(_))
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::Any => f.write_str("any"),
            HeapType::Eq => f.write_str("eq"),
            HeapType::I31 => f.write_str("i31"),
            HeapType::Struct => f.write_str("struct"),
            HeapType::Array => f.write_str("array"),
            HeapType::Exn => f.write_str("exn"),
            HeapType::None => f.write_str("none"),
            HeapType::NoFunc => f.write_str("nofunc"),
            HeapType::NoExtern => f.write_str("noextern"),
            HeapType::NoExn => f.write_str("noexn"),
            HeapType::Concrete(i) => write!(f, "{i}"),
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(RefType {
                nullable: true,
                heap: HeapType::Func,
            }) => f.write_str("funcref"),
            ValType::Ref(RefType {
                nullable: true,
                heap: HeapType::Extern,
            }) => f.write_str("externref"),
            ValType::Ref(RefType { nullable, heap }) => {
                write!(f, "(ref {}{heap})", if *nullable { "null " } else { "" })
            }
        }
    }
}

/// The type of a function: parameters and results.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    params: Arc<[ValType]>,
    results: Arc<[ValType]>,
}

impl FuncType {
    /// A function type from parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        Self {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// Parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// Result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, tys: &[ValType]) -> fmt::Result {
    f.write_str("[")?;
    for (i, t) in tys.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{t}")?;
    }
    f.write_str("]")
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("func ")?;
        write_list(f, &self.params)?;
        f.write_str(" -> ")?;
        write_list(f, &self.results)
    }
}

/// The type of a linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Minimum size in pages.
    pub minimum: u64,
    /// Maximum size in pages, if bounded.
    pub maximum: Option<u64>,
    /// Whether the memory is shared between threads.
    pub shared: bool,
    /// Whether addresses are 64-bit (memory64).
    pub memory64: bool,
    /// log2 of the page size in bytes (16 for the default 64 KiB pages).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// A 32-bit, unshared memory with 64 KiB pages.
    pub const fn new(minimum: u64, maximum: Option<u64>) -> Self {
        Self {
            minimum,
            maximum,
            shared: false,
            memory64: false,
            page_size_log2: 16,
        }
    }

    /// Page size in bytes.
    pub const fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }
}

impl fmt::Display for MemoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("memory ")?;
        if self.memory64 {
            f.write_str("i64 ")?;
        }
        write!(f, "{}", self.minimum)?;
        if let Some(max) = self.maximum {
            write!(f, " {max}")?;
        }
        if self.shared {
            f.write_str(" shared")?;
        }
        if self.page_size_log2 != 16 {
            write!(f, " (pagesize {})", self.page_size())?;
        }
        Ok(())
    }
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// Element type.
    pub element: RefType,
    /// Minimum number of elements.
    pub minimum: u64,
    /// Maximum number of elements, if bounded.
    pub maximum: Option<u64>,
    /// Whether indices are 64-bit (memory64's table64).
    pub table64: bool,
}

impl TableType {
    /// A 32-bit table.
    pub const fn new(element: RefType, minimum: u64, maximum: Option<u64>) -> Self {
        Self {
            element,
            minimum,
            maximum,
            table64: false,
        }
    }
}

impl fmt::Display for TableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("table ")?;
        if self.table64 {
            f.write_str("i64 ")?;
        }
        write!(f, "{}", self.minimum)?;
        if let Some(max) = self.maximum {
            write!(f, " {max}")?;
        }
        write!(f, " {}", ValType::Ref(self.element))
    }
}

/// Whether a global can be written after instantiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Read-only.
    Const,
    /// Read-write.
    Var,
}

/// The type of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Value type.
    pub content: ValType,
    /// Mutability.
    pub mutability: Mutability,
}

impl GlobalType {
    /// A global type.
    pub const fn new(content: ValType, mutability: Mutability) -> Self {
        Self {
            content,
            mutability,
        }
    }
}

impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mutability {
            Mutability::Const => write!(f, "global {}", self.content),
            Mutability::Var => write!(f, "global (mut {})", self.content),
        }
    }
}

/// The type of an exception tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagType {
    /// The function type giving the tag's payload as parameters.
    pub ty: FuncType,
}

/// The type of anything that can be imported or exported.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// A global.
    Global(GlobalType),
    /// An exception tag.
    Tag(TagType),
}

impl ExternType {
    /// The kind as a word: `func`, `memory`, `table`, `global` or `tag`.
    pub fn kind(&self) -> &'static str {
        match self {
            ExternType::Func(_) => "func",
            ExternType::Memory(_) => "memory",
            ExternType::Table(_) => "table",
            ExternType::Global(_) => "global",
            ExternType::Tag(_) => "tag",
        }
    }

    /// Whether a definition of type `self` may satisfy an import of type
    /// `import` (the spec's import matching, for the types we describe):
    /// exact for numbers, vectors and abstract references; two concrete
    /// reference types (whose indices are module-local) are taken to match,
    /// and the engine compares their structure when it instantiates.
    pub fn matches(&self, import: &ExternType) -> bool {
        // A concrete heap type's index is local to its module (and an
        // engine reports a live item's as unknown, `u32::MAX`): two
        // concrete types are left for the engine, which compares their
        // structure when it instantiates; every other type must be equal.
        fn val(a: &ValType, b: &ValType) -> bool {
            match (a, b) {
                (ValType::Ref(a), ValType::Ref(b)) => refs(a, b),
                _ => a == b,
            }
        }
        fn refs(a: &RefType, b: &RefType) -> bool {
            a.nullable == b.nullable
                && match (a.heap, b.heap) {
                    (HeapType::Concrete(_), HeapType::Concrete(_)) => true,
                    (x, y) => x == y,
                }
        }
        fn funcs(a: &FuncType, b: &FuncType) -> bool {
            let all = |x: &[ValType], y: &[ValType]| {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| val(a, b))
            };
            all(a.params(), b.params()) && all(a.results(), b.results())
        }
        fn limits(min: u64, max: Option<u64>, imin: u64, imax: Option<u64>) -> bool {
            min >= imin
                && match (max, imax) {
                    (_, None) => true,
                    (Some(m), Some(im)) => m <= im,
                    (None, Some(_)) => false,
                }
        }
        match (self, import) {
            (ExternType::Func(a), ExternType::Func(b)) => funcs(a, b),
            (ExternType::Memory(a), ExternType::Memory(b)) => {
                a.shared == b.shared
                    && a.memory64 == b.memory64
                    && a.page_size_log2 == b.page_size_log2
                    && limits(a.minimum, a.maximum, b.minimum, b.maximum)
            }
            (ExternType::Table(a), ExternType::Table(b)) => {
                refs(&a.element, &b.element)
                    && a.table64 == b.table64
                    && limits(a.minimum, a.maximum, b.minimum, b.maximum)
            }
            (ExternType::Global(a), ExternType::Global(b)) => {
                a.mutability == b.mutability && val(&a.content, &b.content)
            }
            (ExternType::Tag(a), ExternType::Tag(b)) => funcs(&a.ty, &b.ty),
            _ => false,
        }
    }
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => t.fmt(f),
            ExternType::Memory(t) => t.fmt(f),
            ExternType::Table(t) => t.fmt(f),
            ExternType::Global(t) => t.fmt(f),
            ExternType::Tag(t) => write!(f, "tag {}", t.ty),
        }
    }
}

/// One import of a module.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImportType {
    /// Module name of the import.
    pub module: String,
    /// Field name of the import.
    pub name: String,
    /// Expected type.
    pub ty: ExternType,
}

/// One export of a module.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportType {
    /// Export name.
    pub name: String,
    /// Type of the exported item.
    pub ty: ExternType,
}
