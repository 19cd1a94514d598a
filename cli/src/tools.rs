//! `validate`, `print` and `parse`: the module tools of the Dart wasm_run's
//! parser package, on the command line.

use crate::{Failure, engine, fail};
use std::path::Path;
use wasm_run::{Config, Error, Feature, Module};

/// Reads a `.wasm` or `.wat` file as binary WebAssembly (text is parsed).
pub(crate) fn read_binary(file: &Path) -> Result<Vec<u8>, Failure> {
    let bytes =
        std::fs::read(file).map_err(|e| fail(format!("cannot read {}: {e}", file.display())))?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|b| b.into_owned())
        .map_err(|mut e| {
            e.set_path(file);
            fail(format!(
                "{} does not parse as WebAssembly text: {e}",
                file.display()
            ))
        })
}

/// `--enable`/`--disable FEATURE` lists as switches, in order (a feature
/// both enabled and disabled ends up disabled).
pub(crate) fn feature_switches(
    enable: &[String],
    disable: &[String],
) -> Result<Vec<(Feature, bool)>, Failure> {
    let mut switches = Vec::new();
    for (names, on) in [(enable, true), (disable, false)] {
        for n in names {
            let f: Feature = n
                .parse()
                .map_err(|e: wasm_run::UnknownFeature| fail(e.to_string()))?;
            switches.push((f, on));
        }
    }
    Ok(switches)
}

/// Backend defaults with `--enable`/`--disable FEATURE` on top.
pub(crate) fn config_with(enable: &[String], disable: &[String]) -> Result<Config, Failure> {
    let mut config = Config::new();
    for (f, on) in feature_switches(enable, disable)? {
        config.set(f, on);
    }
    Ok(config)
}

/// `validate FILE`: exit 0 when the engine accepts the module, 1 with the
/// error (and its byte offset, where the engine gives one) when not.
pub(crate) fn validate(
    file: &Path,
    engine_name: Option<&str>,
    config: &Config,
) -> Result<(), Failure> {
    let wasm = read_binary(file)?;
    let engine = engine(engine_name, config)?;
    let (checked, what) = if wasm_run::component::is_component(&wasm) {
        (
            wasm_run::component::Component::new(&engine, &wasm).map(|_| ()),
            "component, ",
        )
    } else if wasm_run::component::embeds_world(&wasm) {
        // Loading it checks the world against the module's exports.
        (
            wasm_run::component::Component::new(&engine, &wasm).map(|_| ()),
            "core module with a WIT world, ",
        )
    } else {
        (Module::validate(&engine, &wasm), "")
    };
    match checked {
        Ok(()) => {
            println!(
                "{}: valid ({what}{} {})",
                file.display(),
                wasm_run::Engine::name(&engine),
                wasm_run::Engine::version(&engine)
            );
            Ok(())
        }
        Err(Error::Compile { message, offset }) => Err(fail(match offset {
            Some(o) => format!("{}: invalid at offset {o:#x}: {message}", file.display()),
            None => format!("{}: invalid: {message}", file.display()),
        })),
        Err(e) => Err(fail(format!("{}: {e}", file.display()))),
    }
}

/// `print FILE [-o OUT]`: the module as WebAssembly text (wasmprinter).
pub(crate) fn print(file: &Path, output: Option<&Path>) -> Result<(), Failure> {
    let wasm = read_binary(file)?;
    let mut text = wasmprinter::print_bytes(&wasm)
        .map_err(|e| fail(format!("{}: cannot print: {e}", file.display())))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    write_out(output, text.as_bytes())
}

/// `parse FILE.wat -o FILE.wasm`: WebAssembly text to binary.
pub(crate) fn parse(file: &Path, output: &Path) -> Result<(), Failure> {
    let wasm = read_binary(file)?;
    write_out(Some(output), &wasm)
}

/// Writes to `output`, or to stdout for `None` or `-`.
fn write_out(output: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    match output {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, bytes).map_err(|e| fail(format!("cannot write {}: {e}", p.display())))
        }
        _ => std::io::stdout()
            .write_all(bytes)
            .map_err(|e| fail(format!("cannot write to stdout: {e}"))),
    }
}
