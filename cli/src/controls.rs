//! What `wasm-run run` lets a guest do: `--timeout`, `--fuel` and wasmtime's
//! `-W KEY=VALUE` options (`timeout`, `fuel`, `max-memory-size`,
//! `max-wasm-stack`, `unknown-imports-trap`, `unknown-imports-default`,
//! and wasm-run's own `native-components` and `engine-wasi`), and
//! Ctrl-C, which interrupts the guest through the store's interrupt handle.

use crate::{Failure, fail};
use std::time::Duration;
use wasm_run::{AnyEngine, Config, Feature, InterruptHandle, Store};

/// What to do with function imports that neither WASI nor a preload provides.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum UnknownImports {
    /// Leave them: instantiation fails with a link error naming the import.
    Error,
    /// Define each as a function that traps when called.
    Trap,
    /// Define each as a function that returns zeros (null references).
    Default,
}

/// The parsed limits and policies of one run.
#[derive(Debug)]
pub(crate) struct Controls {
    pub(crate) timeout: Option<Duration>,
    pub(crate) fuel: Option<u64>,
    pub(crate) max_memory_bytes: Option<usize>,
    pub(crate) max_wasm_stack: Option<usize>,
    pub(crate) unknown: UnknownImports,
    /// Whether Ctrl-C interrupts the guest (interrupts enabled in the
    /// engine); `-W interruptible=n` trades that for the last bit of speed.
    pub(crate) interruptible: bool,
    /// `-W native-components=y|n`: whether components run on the
    /// backend's own component model (wasmtime's) or on wasm-run's portable
    /// one. Unset, [`Controls::engine`] picks the backend's own where there
    /// is one, as `wasmtime run` does (docs/COMPONENTS.md has the numbers).
    pub(crate) native_components: Option<bool>,
    /// `-W engine-wasi=y`: WASI preview 1 from the engine's own crate
    /// (wasmtime-wasi on wasmtime, as a reference) instead of wasm-run's.
    pub(crate) engine_wasi: bool,
    /// `max-memory-size` on a backend without fixed limits
    /// (`Feature::Limits`): kept by a store policy instead (set by
    /// [`Controls::engine`]).
    store_memory_bound: Option<usize>,
}

const W_KEYS: &str = "timeout, fuel, max-memory-size, max-wasm-stack, interruptible, \
    unknown-imports-trap, unknown-imports-default, native-components, engine-wasi";

impl Controls {
    /// From `--timeout`, `--fuel` and the `-W` options. The same setting
    /// given twice with different values is an error.
    pub(crate) fn parse(
        timeout: Option<&str>,
        fuel: Option<u64>,
        options: &[String],
    ) -> Result<Self, Failure> {
        let mut c = Controls {
            timeout: timeout
                .map(|t| parse_duration(t).map_err(|e| fail(format!("--timeout: {e}"))))
                .transpose()?,
            fuel,
            max_memory_bytes: None,
            store_memory_bound: None,
            max_wasm_stack: None,
            unknown: UnknownImports::Error,
            interruptible: true,
            native_components: None,
            engine_wasi: false,
        };
        for option in options {
            let (key, value) = option.split_once('=').unwrap_or((option, "y"));
            let bad = |e: String| fail(format!("-W {key}: {e}"));
            match key {
                "timeout" => {
                    let t = parse_duration(value).map_err(bad)?;
                    set_once(&mut c.timeout, t, "--timeout and -W timeout")?;
                }
                "fuel" => {
                    let n = value
                        .parse::<u64>()
                        .map_err(|_| bad(format!("cannot parse `{value}` as an amount of fuel")))?;
                    set_once(&mut c.fuel, n, "--fuel and -W fuel")?;
                }
                "max-memory-size" => {
                    c.max_memory_bytes = Some(parse_size(value).map_err(bad)?);
                }
                "max-wasm-stack" => {
                    c.max_wasm_stack = Some(parse_size(value).map_err(bad)?);
                }
                "interruptible" => c.interruptible = parse_flag(value).map_err(bad)?,
                "native-components" => {
                    c.native_components = Some(parse_flag(value).map_err(bad)?);
                }
                "engine-wasi" => c.engine_wasi = parse_flag(value).map_err(bad)?,
                "unknown-imports-trap" | "unknown-imports-default" => {
                    let which = if key == "unknown-imports-trap" {
                        UnknownImports::Trap
                    } else {
                        UnknownImports::Default
                    };
                    if parse_flag(value).map_err(bad)? {
                        if c.unknown != UnknownImports::Error && c.unknown != which {
                            return Err(fail(
                                "-W unknown-imports-trap and -W unknown-imports-default exclude each other",
                            ));
                        }
                        c.unknown = which;
                    } else if c.unknown == which {
                        c.unknown = UnknownImports::Error;
                    }
                }
                _ => {
                    return Err(fail(format!("unknown -W option `{key}` (known: {W_KEYS})")));
                }
            }
        }
        Ok(c)
    }

    /// The engine `name` (the default one without it) with [`Controls::config`].
    /// A backend without fixed limits keeps `max-memory-size` as a policy
    /// of the stores the CLI makes ([`Controls::limit_store`]). Without
    /// `-W native-components`, components run on the backend's own
    /// component model where it has one (wasmtime), on wasm-run's portable
    /// one elsewhere.
    pub(crate) fn engine(&mut self, name: Option<&str>) -> Result<AnyEngine, Failure> {
        let name = name.unwrap_or(AnyEngine::DEFAULT);
        if self.native_components.is_some() {
            return self.engine_named(name);
        }
        self.native_components = Some(true);
        let engine = self.engine_named(name)?;
        if wasm_run::component::has_native_component_model(&engine) {
            return Ok(engine);
        }
        self.native_components = Some(false);
        self.engine_named(name)
    }

    fn engine_named(&mut self, name: &str) -> Result<AnyEngine, Failure> {
        let config = self.config();
        match AnyEngine::by_name(name, &config) {
            Err(wasm_run::Error::Unsupported {
                feature: Feature::Limits,
                ..
            }) if self.max_memory_bytes.is_some() => {
                self.store_memory_bound = self.max_memory_bytes.take();
                Ok(AnyEngine::by_name(name, &self.config())?)
            }
            other => Ok(other?),
        }
    }

    /// Applies `max-memory-size` to `store` where the engine could not.
    pub(crate) fn limit_store<T: 'static>(&self, store: &mut Store<AnyEngine, T>) {
        if let Some(bytes) = self.store_memory_bound {
            store.set_limiter(wasm_run::MaxMemoryBytes(bytes));
        }
    }

    /// Whether `max-memory-size` needs [`Controls::limit_store`] (which a
    /// parallel run's own stores cannot get).
    pub(crate) fn needs_store_limits(&self) -> bool {
        self.store_memory_bound.is_some()
    }

    /// The engine configuration: fuel, limits, deadlines if a timeout is
    /// set, and interrupts (for Ctrl-C) unless `-W interruptible=n`.
    pub(crate) fn config(&self) -> Config {
        let mut config = Config::new();
        config.fuel(self.fuel.is_some());
        if self.interruptible {
            config.enable(Feature::Interrupt);
        }
        if self.timeout.is_some() {
            config.enable(Feature::Deadline);
        }
        if let Some(bytes) = self.max_memory_bytes {
            config.max_memory_bytes(bytes);
        }
        if let Some(bytes) = self.max_wasm_stack {
            config.max_wasm_stack(bytes);
        }
        config.native_components(self.native_components.unwrap_or(false));
        config
    }
}

fn set_once<T: PartialEq + Copy>(
    slot: &mut Option<T>,
    value: T,
    what: &str,
) -> Result<(), Failure> {
    match *slot {
        Some(old) if old != value => Err(fail(format!("{what} disagree"))),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn parse_flag(value: &str) -> Result<bool, String> {
    match value {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => Err(format!("expected y or n, got `{value}`")),
    }
}

/// `500ms`, `2s`, `1.5s`, `3m`, `1h`, `250us`, `10ns`; a bare number is
/// seconds (as in wasmtime's `-W timeout=2`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("cannot parse `{text}` as a duration (e.g. 500ms, 2s, 1m)");
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let seconds_per_unit = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "ns" => 1e-9,
        "m" | "min" | "mins" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|_| bad())
}

/// Bytes: `65536`, `64k`/`64KiB`, `16M`/`16MiB`, `1G` (powers of 1024).
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let bad = || format!("cannot parse `{text}` as a size in bytes (e.g. 65536, 64KiB, 16M)");
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: usize = number.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "ki" | "kib" => 10,
        "m" | "mb" | "mi" | "mib" => 20,
        "g" | "gb" | "gi" | "gib" => 30,
        _ => return Err(bad()),
    };
    value
        .checked_mul(1usize << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Ctrl-C interrupts the guest through `handle` (the run then fails with an
/// `interrupted` error and exit code 130); a second Ctrl-C ends the process
/// at once, for a host call that does not return.
pub(crate) fn interrupt_on_ctrl_c(handle: wasm_run::Result<InterruptHandle>) {
    // Without interrupts (`-W interruptible=n`) Ctrl-C keeps its default
    // effect: the process ends.
    let Ok(handle) = handle else {
        return;
    };
    let pressed = std::sync::atomic::AtomicBool::new(false);
    // If a handler cannot be installed, Ctrl-C keeps its default effect.
    let _ = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        handle.interrupt();
    });
}

/// Where `wasm-run run` keeps compiled modules: `$WASM_RUN_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/wasm-run`, else `$HOME/.cache/wasm-run`.
pub(crate) fn cache_dir() -> Option<std::path::PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("WASM_RUN_CACHE_DIR")
        .map(Into::into)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| std::path::PathBuf::from(d).join("wasm-run")))
        .or_else(|| var("HOME").map(|d| std::path::PathBuf::from(d).join(".cache/wasm-run")))
}

/// Compiles `file`, through the module cache unless `use_cache` is off or the
/// backend cannot serialise; a cache that cannot be used is a warning on
/// stderr, never a failure.
pub(crate) fn load_module(
    engine: &wasm_run::AnyEngine,
    file: &str,
    use_cache: bool,
) -> Result<wasm_run::Module<wasm_run::AnyEngine>, Failure> {
    use wasm_run::{CacheOutcome, Engine, Error, Module, ModuleCache};
    let dir = cache_dir()
        .filter(|_| use_cache && engine.support(Feature::ModuleSerialization).is_supported());
    let Some(dir) = dir else {
        return Ok(Module::from_file(engine, file)?);
    };
    let bytes = std::fs::read(file).map_err(|source| Error::Io {
        path: file.to_string(),
        source,
    })?;
    let (module, outcome) = ModuleCache::new(dir).load(engine, &bytes)?;
    if let CacheOutcome::Skipped(why) = outcome {
        eprintln!("warning: module cache not used: {why}");
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        for bad in ["", "ms", "2x", "-1s", "1e999s", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
    }

    /// Components run on wasmtime's own component model unless
    /// `-W native-components=n`; on a backend without one, on the portable
    /// path (and `=y` there is the component loader's error, not ours).
    #[test]
    fn native_components_by_default_where_there_are_any() {
        let native = |engine: &str, options: &[&str]| {
            let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            let Ok(mut controls) = Controls::parse(None, None, &options) else {
                panic!("{options:?} did not parse");
            };
            let Ok(engine) = controls.engine(Some(engine)) else {
                panic!("no engine {engine}");
            };
            wasm_run::Engine::config(&engine).native_components_enabled()
        };
        for &engine in wasm_run::BACKENDS {
            let has_one = engine == "wasmtime";
            assert_eq!(native(engine, &[]), has_one, "{engine}");
            assert!(!native(engine, &["native-components=n"]), "{engine}");
            assert!(native(engine, &["native-components=y"]), "{engine}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        for bad in ["", "x", "12q", "-5", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad:?} parsed");
        }
    }
}
