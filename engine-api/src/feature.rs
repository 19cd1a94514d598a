//! WebAssembly proposals and embedder capabilities as data, and the one
//! backend-neutral [`Config`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

macro_rules! features {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $kind:ident; )*) => {
        /// A WebAssembly proposal or an embedder capability.
        ///
        /// `Feature` is plain data: [`Feature::ALL`] lists every entry of the
        /// feature matrix, [`Feature::name`] gives its stable kebab-case name and
        /// [`FromStr`] parses it back.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Feature {
            $( $(#[$doc])* $variant, )*
        }

        impl Feature {
            /// Every feature, in matrix order.
            pub const ALL: &'static [Feature] = &[$(Feature::$variant),*];

            /// Stable kebab-case name, e.g. `"multi-value"`.
            pub const fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name,)* }
            }

            /// Whether this is a WebAssembly proposal (as opposed to an embedder
            /// capability such as fuel metering).
            pub const fn is_proposal(self) -> bool {
                match self { $(Feature::$variant => features!(@kind $kind),)* }
            }
        }
    };
    (@kind proposal) => { true };
    (@kind embedder) => { false };
}

features! {
    /// Functions and blocks with several results.
    MultiValue = "multi-value", proposal;
    /// `memory.copy`, `memory.fill`, passive segments and friends.
    BulkMemory = "bulk-memory", proposal;
    /// `funcref`/`externref` values and several tables.
    ReferenceTypes = "reference-types", proposal;
    /// Import and export of mutable globals.
    MutableGlobal = "mutable-global", proposal;
    /// Non-trapping float-to-int conversions.
    SaturatingFloatToInt = "saturating-float-to-int", proposal;
    /// Sign-extension operators.
    SignExtension = "sign-extension", proposal;
    /// Extended constant expressions.
    ExtendedConst = "extended-const", proposal;
    /// Floating point instructions (always part of the core spec; some engines
    /// can turn them off for determinism).
    Floats = "floats", proposal;
    /// 128-bit fixed-width SIMD.
    Simd = "simd", proposal;
    /// Relaxed SIMD.
    RelaxedSimd = "relaxed-simd", proposal;
    /// Threads: shared memories and atomics.
    Threads = "threads", proposal;
    /// Several memories per module.
    MultiMemory = "multi-memory", proposal;
    /// 64-bit memory indices.
    Memory64 = "memory64", proposal;
    /// Tail calls (`return_call`).
    TailCall = "tail-call", proposal;
    /// Exception handling (`try_table`, `throw`).
    Exceptions = "exceptions", proposal;
    /// Garbage collection (structs, arrays, i31).
    Gc = "gc", proposal;
    /// Typed function references (`call_ref`).
    FunctionReferences = "function-references", proposal;
    /// Memories with a page size other than 64 KiB.
    CustomPageSizes = "custom-page-sizes", proposal;
    /// 128-bit wide arithmetic instructions.
    WideArithmetic = "wide-arithmetic", proposal;
    /// The component model.
    ComponentModel = "component-model", proposal;
    /// The component model's async additions (async functions, `future`,
    /// `stream`, `error-context`, task built-ins).
    ComponentModelAsync = "component-model-async", proposal;
    /// Fuel metering: bound the work a call may do.
    Fuel = "fuel", embedder;
    /// A call that runs out of fuel can be resumed after adding fuel
    /// (`Func::call_resumable`).
    ResumableFuel = "resumable-fuel", embedder;
    /// Wall-clock deadlines for wasm execution (`Store::set_deadline`).
    Deadline = "deadline", embedder;
    /// Stopping a running call from another thread (`InterruptHandle`).
    Interrupt = "interrupt", embedder;
    /// NaN results canonicalised, for results reproducible across machines.
    NanCanonicalization = "nan-canonicalization", embedder;
    /// Instances allocated from a pool made in advance
    /// ([`Config::pooling`]), for hosts that instantiate very often.
    PoolingAllocation = "pooling-allocation", embedder;
    /// Resource limits on memories, tables and instances.
    Limits = "limits", embedder;
    /// WASI preview 1.
    WasiP1 = "wasi-p1", embedder;
    /// Shared memories usable from several threads at once.
    SharedMemoryParallel = "shared-memory-parallel", embedder;
    /// Serialising compiled modules to bytes and loading them back.
    ModuleSerialization = "module-serialization", embedder;
    /// Types of imports, exports and functions available at run time.
    TypeReflection = "type-reflection", embedder;
    /// Async calls and async host functions (`Func::call_async`,
    /// `Linker::func_new_async`): a host function awaits a future while the
    /// guest's call is suspended, so one thread serves many guests.
    Async = "async", embedder;
    /// [`Config::max_call_depth`] counts wasm frames: a call nested deeper
    /// traps with [`TrapCode::StackOverflow`](crate::TrapCode::StackOverflow).
    /// Engines without it bound recursion by stack bytes only
    /// ([`Config::max_wasm_stack`]) and ignore the setting.
    CallDepthLimit = "call-depth-limit", embedder;
    /// [`Compilation::Lazy`] validates each function body when it is first
    /// called, so `Module::new` accepts a module whose unused functions do
    /// not validate. Disabled, `Compilation::Lazy` validates everything up
    /// front (as [`Compilation::LazyTranslation`]); engines without it
    /// validate eagerly whatever the mode.
    LazyValidation = "lazy-validation", embedder;
    /// Running code at all: instantiating modules, calling functions,
    /// making host functions, memories, tables and globals. Every engine of
    /// wasm-run's list has it (it cannot be disabled); a backend still being
    /// written (the template backend) answers `Unsupported` for it until it
    /// does, so its refusals name what is missing.
    Execution = "execution", embedder;
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when parsing an unknown feature name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feature `{0}` (known: see Feature::ALL)")]
pub struct UnknownFeature(pub String);

impl FromStr for Feature {
    type Err = UnknownFeature;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().replace('_', "-").to_ascii_lowercase();
        Feature::ALL
            .iter()
            .copied()
            .find(|f| f.name() == norm)
            .ok_or_else(|| UnknownFeature(s.to_string()))
    }
}

/// The bounds of a pooling allocator ([`Config::pooling`]). Every field
/// bounds what exists at once, across all stores of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pooling {
    /// Instances.
    pub total_instances: u32,
    /// Linear memories.
    pub total_memories: u32,
    /// Tables.
    pub total_tables: u32,
    /// Largest size of any one memory, in bytes.
    pub max_memory_bytes: usize,
    /// Largest number of elements of any one table.
    pub max_table_elements: usize,
}

impl Default for Pooling {
    /// 1,000 instances, memories and tables; memories up to 64 MiB, tables
    /// up to 10,000 elements.
    fn default() -> Self {
        Pooling {
            total_instances: 1_000,
            total_memories: 1_000,
            total_tables: 1_000,
            max_memory_bytes: 64 << 20,
            max_table_elements: 10_000,
        }
    }
}

/// When an interpreter translates function bodies ([`Config::compilation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compilation {
    /// Validate and translate every function when the module is compiled:
    /// slower start, no translation cost at the first call.
    Eager,
    /// Validate everything when the module is compiled, translate each
    /// function at its first call (wasmi's default): fast start, and invalid
    /// modules are still refused up front.
    LazyTranslation,
    /// Validate and translate each function at its first call: fastest
    /// start, but an invalid function is only found when it is first called
    /// (so `Module::new` accepts some invalid modules). Only on engines
    /// with [`Feature::LazyValidation`] enabled; elsewhere bodies are
    /// validated up front.
    Lazy,
}

/// How a backend stands with respect to one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Support {
    /// The backend cannot do it at all.
    Unsupported,
    /// Supported, but off unless enabled in [`Config`].
    OptIn,
    /// Supported and on unless disabled in [`Config`].
    Default,
}

impl Support {
    /// Whether the backend can do it at all.
    pub const fn is_supported(self) -> bool {
        !matches!(self, Support::Unsupported)
    }
}

/// Resource limits applied to every store created by an engine.
///
/// A limit that is exceeded makes `memory.grow`/`table.grow` return `-1` (as the
/// spec says) and makes instantiation fail with [`crate::Error::ResourceLimit`].
///
/// Every limit is off by default except the table size, which is capped at
/// [`Limits::DEFAULT_MAX_TABLE_ELEMENTS`]: a module may declare a table of
/// 2^32 - 1 elements, which the system may appear to give (overcommit) and
/// then cannot fill, taking the process down instead of failing. Set
/// `max_table_elements: None` to lift the cap.
///
/// ```
/// use wasm_run_api::Limits;
/// assert_eq!(Limits::default().max_table_elements, Some(Limits::DEFAULT_MAX_TABLE_ELEMENTS));
/// let unlimited = Limits { max_table_elements: None, ..Limits::default() };
/// assert_eq!(unlimited.max_memory_bytes, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest size in bytes any one linear memory may reach.
    pub max_memory_bytes: Option<usize>,
    /// Largest number of elements any one table may reach
    /// (default: [`Limits::DEFAULT_MAX_TABLE_ELEMENTS`]).
    pub max_table_elements: Option<usize>,
    /// Largest number of instances a store may hold.
    pub max_instances: Option<usize>,
    /// Largest number of tables a store may hold.
    pub max_tables: Option<usize>,
    /// Largest number of memories a store may hold.
    pub max_memories: Option<usize>,
}

impl Limits {
    /// The default cap on the elements of one table: 10 million (80 MB of
    /// function references on a 64-bit host), far above what programs use
    /// (the whole spec test suite runs unchanged under it) and far below
    /// what can exhaust a machine.
    pub const DEFAULT_MAX_TABLE_ELEMENTS: usize = 10_000_000;

    /// No limit at all (not even the default table cap).
    ///
    /// ```
    /// use wasm_run_api::Limits;
    /// assert_eq!(Limits::NONE.max_table_elements, None);
    /// assert_ne!(Limits::NONE, Limits::default());
    /// ```
    pub const NONE: Limits = Limits {
        max_memory_bytes: None,
        max_table_elements: None,
        max_instances: None,
        max_tables: None,
        max_memories: None,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory_bytes: None,
            max_table_elements: Some(Limits::DEFAULT_MAX_TABLE_ELEMENTS),
            max_instances: None,
            max_tables: None,
            max_memories: None,
        }
    }
}

/// One configuration for every backend.
///
/// Proposals left untouched keep the backend's own default. A proposal that is
/// explicitly *enabled* but that the backend cannot do makes engine creation fail
/// with [`crate::Error::Unsupported`] — never a silent no-op.
///
/// ```
/// use wasm_run_api::{Config, Feature};
/// let mut config = Config::new();
/// config.enable(Feature::Simd).fuel(true).max_memory_bytes(1 << 20);
/// assert_eq!(config.get(Feature::Simd), Some(true));
/// assert!(config.fuel_enabled());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    features: BTreeMap<Feature, bool>,
    fuel: bool,
    max_wasm_stack: Option<usize>,
    max_call_depth: Option<usize>,
    module_cache: Option<std::path::PathBuf>,
    compilation: Option<Compilation>,
    pooling: Option<Pooling>,
    limits: Limits,
    native_components: bool,
    /// `component_model_implements(false)` (stored inverted so that the
    /// derived default is on).
    no_component_implements: bool,
    wasmtime_component_restrictions: bool,
}

impl Config {
    /// A configuration with every backend default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns a proposal on or off explicitly.
    pub fn set(&mut self, feature: Feature, enabled: bool) -> &mut Self {
        if feature == Feature::Fuel {
            self.fuel = enabled;
        } else {
            self.features.insert(feature, enabled);
        }
        self
    }

    /// Shorthand for `set(feature, true)`.
    pub fn enable(&mut self, feature: Feature) -> &mut Self {
        self.set(feature, true)
    }

    /// Shorthand for `set(feature, false)`.
    pub fn disable(&mut self, feature: Feature) -> &mut Self {
        self.set(feature, false)
    }

    /// The explicit setting for `feature`, or `None` for the backend default.
    pub fn get(&self, feature: Feature) -> Option<bool> {
        if feature == Feature::Fuel {
            return Some(self.fuel);
        }
        self.features.get(&feature).copied()
    }

    /// Every explicit setting.
    pub fn explicit_features(&self) -> impl Iterator<Item = (Feature, bool)> + '_ {
        self.features.iter().map(|(f, on)| (*f, *on))
    }

    /// Enables fuel metering (see [`crate::Store::set_fuel`]).
    pub fn fuel(&mut self, enabled: bool) -> &mut Self {
        self.fuel = enabled;
        self
    }

    /// Whether fuel metering is on.
    pub fn fuel_enabled(&self) -> bool {
        self.fuel
    }

    /// Largest wasm stack in bytes. Deeper recursion traps with
    /// [`crate::TrapCode::StackOverflow`]. On wasmi (which counts values, not
    /// bytes) the byte budget is converted to an equivalent value-stack height.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = Some(bytes);
        self
    }

    /// The configured wasm stack budget, if any.
    pub fn max_wasm_stack_bytes(&self) -> Option<usize> {
        self.max_wasm_stack
    }

    /// Deepest chain of wasm calls (frames) a call may build; deeper
    /// recursion traps with [`crate::TrapCode::StackOverflow`].
    ///
    /// Applies where the engine counts frames ([`Feature::CallDepthLimit`]
    /// in [`crate::Engine::features`]): wasmi (whose own default is
    /// 1,000 frames; wasm-run's default there is
    /// [`Config::DEFAULT_MAX_CALL_DEPTH`], so that ordinary recursion that runs
    /// on wasmtime's defaults runs on wasmi too). wasmtime counts bytes of
    /// native stack instead ([`Config::max_wasm_stack`], 512 KiB by default,
    /// some 5,000 to 20,000 frames of ordinary recursion) and ignores this
    /// setting.
    pub fn max_call_depth(&mut self, frames: usize) -> &mut Self {
        self.max_call_depth = Some(frames);
        self
    }

    /// The configured call depth, if any (see [`Config::max_call_depth`]).
    pub fn max_call_depth_frames(&self) -> Option<usize> {
        self.max_call_depth
    }

    /// Keeps compiled modules in `dir` (`None`: no cache, the default):
    /// [`Module::from_file`](crate::Module::from_file) loads a module
    /// compiled before from there and stores what it compiles (see
    /// [`ModuleCache`](crate::ModuleCache)). Backends that cannot serialise
    /// (wasmi) compile as usual. `dir` must be writable by you only.
    pub fn module_cache(&mut self, dir: Option<impl Into<std::path::PathBuf>>) -> &mut Self {
        self.module_cache = dir.map(Into::into);
        self
    }

    /// The module cache directory, if any.
    pub fn module_cache_dir(&self) -> Option<&std::path::Path> {
        self.module_cache.as_deref()
    }

    /// When function bodies are translated (see [`Compilation`]); `None`
    /// (the default) leaves each backend's own default: wasmi translates
    /// lazily (validating eagerly), wasmtime compiles everything eagerly and
    /// does not apply this setting. With deadlines or interrupts enabled,
    /// wasmi translates eagerly whatever is set here (see docs/CONTROL.md).
    pub fn compilation(&mut self, mode: Compilation) -> &mut Self {
        self.compilation = Some(mode);
        self
    }

    /// The compilation mode set, if any.
    pub fn compilation_mode(&self) -> Option<Compilation> {
        self.compilation
    }

    /// Runs components on the backend's own component model where it has
    /// one — wasmtime's (`wasmtime::component`) — instead of wasm-run's
    /// portable canonical ABI, which every backend runs. Off by default:
    /// the portable path is as fast or faster on wasmtime (see
    /// docs/COMPONENTS.md) and behaves the same on every backend. Loading a
    /// component on a backend without a component model of its own is then
    /// an [`crate::Error::Unsupported`] error for
    /// [`Feature::ComponentModel`].
    pub fn native_components(&mut self, native: bool) -> &mut Self {
        self.native_components = native;
        self
    }

    /// Whether components run on the backend's own component model (see
    /// [`Config::native_components`]).
    pub fn native_components_enabled(&self) -> bool {
        self.native_components
    }

    /// Accepts `(implements "ns:pkg/iface")` on component imports and
    /// exports (an interface implemented under a plain name, the component
    /// model's `cm-implements` addition). On by default, as wasmparser's
    /// validator has it; off, such a component is an
    /// [`Error::Compile`](crate::Error::Compile) error when it is loaded
    /// (wasmtime 48's own default is off).
    pub fn component_model_implements(&mut self, on: bool) -> &mut Self {
        self.no_component_implements = !on;
        self
    }

    /// Whether components may use `implements` names (see
    /// [`Config::component_model_implements`]).
    pub fn component_model_implements_enabled(&self) -> bool {
        !self.no_component_implements
    }

    /// Refuses, when a component is loaded, what the component model allows
    /// but wasmtime 48 refuses to load: imports of components at the root,
    /// exports of components from the root, and a root export that is an
    /// imported function exported again. Off by default (wasm-run runs
    /// them); on, a component that loads here also loads on wasmtime, and
    /// such a component is an [`Error::Compile`](crate::Error::Compile)
    /// with wasmtime's message. wasmtime's own component model
    /// ([`Config::native_components`]) refuses them either way.
    ///
    /// ```
    /// use wasm_run_api::Config;
    /// let mut config = Config::new();
    /// assert!(!config.component_model_wasmtime_restrictions_enabled());
    /// config.component_model_wasmtime_restrictions(true);
    /// assert!(config.component_model_wasmtime_restrictions_enabled());
    /// ```
    pub fn component_model_wasmtime_restrictions(&mut self, on: bool) -> &mut Self {
        self.wasmtime_component_restrictions = on;
        self
    }

    /// Whether components are held to wasmtime's load-time restrictions
    /// (see [`Config::component_model_wasmtime_restrictions`]).
    pub fn component_model_wasmtime_restrictions_enabled(&self) -> bool {
        self.wasmtime_component_restrictions
    }

    /// Allocates instances, memories and tables from a pool made when the
    /// engine is created, with these bounds (wasmtime's pooling allocator:
    /// instantiation without system calls, memories reset by the kernel on
    /// reuse). Enables [`Feature::PoolingAllocation`]; backends without it
    /// (wasmi) refuse the config with `Unsupported`. Past the pool's totals,
    /// instantiation fails with [`Error::ResourceLimit`](crate::Error::ResourceLimit)
    /// until stores holding instances are dropped.
    pub fn pooling(&mut self, pool: Pooling) -> &mut Self {
        self.pooling = Some(pool);
        self.features.insert(Feature::PoolingAllocation, true);
        self
    }

    /// The pool's bounds, if [`Config::pooling`] was set.
    pub fn pooling_bounds(&self) -> Option<&Pooling> {
        self.pooling.as_ref()
    }

    /// wasm-run's default call depth on engines that count frames (wasmi).
    pub const DEFAULT_MAX_CALL_DEPTH: usize = 65_536;

    /// Largest size in bytes of any one memory.
    pub fn max_memory_bytes(&mut self, bytes: usize) -> &mut Self {
        self.limits.max_memory_bytes = Some(bytes);
        self
    }

    /// Largest number of elements of any one table.
    pub fn max_table_elements(&mut self, elements: usize) -> &mut Self {
        self.limits.max_table_elements = Some(elements);
        self
    }

    /// Largest number of instances per store.
    pub fn max_instances(&mut self, instances: usize) -> &mut Self {
        self.limits.max_instances = Some(instances);
        self
    }

    /// Replaces all resource limits at once.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// The resource limits applied to every store.
    pub fn resource_limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks this configuration against what a backend can do and returns the
    /// effective on/off state of every proposal.
    ///
    /// `support` describes the backend. Backends call this once when they are
    /// created, so that an unsupported request is a typed error up front.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`](crate::Error::Unsupported) for the first feature (in
    ///   [`Feature::ALL`] order) that is explicitly enabled, fuel included, but that
    ///   `support` reports as unsupported.
    /// - [`Error::Engine`](crate::Error::Engine) if an explicitly enabled proposal
    ///   builds on one that is disabled (see [`Feature::REQUIRES`]).
    pub fn resolve(
        &self,
        engine: &'static str,
        support: impl Fn(Feature) -> Support,
    ) -> Result<FeatureSet, crate::Error> {
        let mut set = FeatureSet::default();
        for &feature in Feature::ALL {
            let s = support(feature);
            let wanted = match feature {
                Feature::Fuel => Some(self.fuel),
                _ => self.get(feature),
            };
            let on = match (wanted, s) {
                (Some(false), Support::Default) if feature == Feature::Execution => {
                    return Err(crate::Error::engine(format!(
                        "{feature} cannot be disabled: an engine of {engine} runs code"
                    )));
                }
                (Some(true), Support::Unsupported) => {
                    return Err(crate::Error::Unsupported { feature, engine });
                }
                (Some(on), _) => on,
                (None, s) => s == Support::Default,
            };
            if on {
                set.insert(feature);
            }
        }
        // A proposal is off when one it builds on is off: implicitly if it was
        // on by default, an error if it was asked for.
        for &(feature, needs) in Feature::REQUIRES {
            if set.contains(feature) && !set.contains(needs) {
                if self.get(feature) == Some(true) {
                    return Err(crate::Error::engine(format!(
                        "{feature} requires {needs}, which is disabled"
                    )));
                }
                set.remove(feature);
            }
        }
        Ok(set)
    }
}

impl Feature {
    /// `(a, b)`: proposal `a` builds on proposal `b`. Ordered so that one pass
    /// settles chains (gc needs function-references needs reference-types).
    pub const REQUIRES: &'static [(Feature, Feature)] = &[
        (Feature::RelaxedSimd, Feature::Simd),
        (Feature::FunctionReferences, Feature::ReferenceTypes),
        (Feature::Gc, Feature::ReferenceTypes),
        (Feature::Gc, Feature::FunctionReferences),
        (Feature::Exceptions, Feature::ReferenceTypes),
        (Feature::ResumableFuel, Feature::Fuel),
    ];
}

/// A set of [`Feature`]s, e.g. what an engine as configured supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FeatureSet(u64);

impl FeatureSet {
    /// Whether `feature` is in the set.
    pub const fn contains(&self, feature: Feature) -> bool {
        self.0 & (1 << feature as u64) != 0
    }

    /// Adds `feature`.
    pub fn insert(&mut self, feature: Feature) {
        self.0 |= 1 << feature as u64;
    }

    /// Removes `feature`.
    pub fn remove(&mut self, feature: Feature) {
        self.0 &= !(1 << feature as u64);
    }

    /// The features in the set, in [`Feature::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Feature> + '_ {
        Feature::ALL.iter().copied().filter(|f| self.contains(*f))
    }
}

impl FromIterator<Feature> for FeatureSet {
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> Self {
        let mut s = FeatureSet::default();
        for f in iter {
            s.insert(f);
        }
        s
    }
}

/// Builds a native store limiter from [`Limits`]: wasmtime's and wasmi's
/// `StoreLimitsBuilder` share their method names, so one expansion serves
/// every backend. `$limits` is a `&Limits`, `$builder` the builder type.
#[macro_export]
macro_rules! build_store_limits {
    ($limits:expr, $builder:ty) => {{
        let l: &$crate::Limits = $limits;
        let mut b = <$builder>::new();
        if let Some(v) = l.max_memory_bytes {
            b = b.memory_size(v);
        }
        if let Some(v) = l.max_table_elements {
            b = b.table_elements(v);
        }
        if let Some(v) = l.max_instances {
            b = b.instances(v);
        }
        if let Some(v) = l.max_tables {
            b = b.tables(v);
        }
        if let Some(v) = l.max_memories {
            b = b.memories(v);
        }
        b.build()
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &f in Feature::ALL {
            assert_eq!(f.name().parse::<Feature>().unwrap(), f);
        }
        assert_eq!(
            "multi_value".parse::<Feature>().unwrap(),
            Feature::MultiValue
        );
        assert!("nope".parse::<Feature>().is_err());
        assert!(Feature::ALL.len() < 64);
    }

    #[test]
    fn resolve_rejects_unsupported_and_keeps_defaults() {
        let support = |f| match f {
            Feature::Simd => Support::Default,
            Feature::Threads => Support::OptIn,
            _ => Support::Unsupported,
        };
        let set = Config::new().resolve("x", support).unwrap();
        assert!(set.contains(Feature::Simd));
        assert!(!set.contains(Feature::Threads));
        let set = Config::new()
            .enable(Feature::Threads)
            .disable(Feature::Simd)
            .resolve("x", support)
            .unwrap();
        assert!(set.contains(Feature::Threads) && !set.contains(Feature::Simd));
        let err = Config::new()
            .enable(Feature::Gc)
            .resolve("x", support)
            .unwrap_err();
        assert!(matches!(
            err,
            crate::Error::Unsupported {
                feature: Feature::Gc,
                engine: "x"
            }
        ));
        // disabling something unsupported is fine
        Config::new()
            .disable(Feature::Gc)
            .resolve("x", support)
            .unwrap();
    }

    #[test]
    fn execution_cannot_be_disabled() {
        let runs = |f| match f {
            Feature::Execution => Support::Default,
            _ => Support::Unsupported,
        };
        let set = Config::new().resolve("x", runs).unwrap();
        assert!(set.contains(Feature::Execution));
        let err = Config::new()
            .disable(Feature::Execution)
            .resolve("x", runs)
            .unwrap_err();
        assert!(err.to_string().contains("cannot be disabled"), "{err}");
        // An engine that does not run code may say so either way.
        let runs_nothing = |_| Support::Unsupported;
        let set = Config::new()
            .disable(Feature::Execution)
            .resolve("x", runs_nothing)
            .unwrap();
        assert!(!set.contains(Feature::Execution));
    }
}
