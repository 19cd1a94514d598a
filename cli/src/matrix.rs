//! `features --matrix`: the feature matrix. A default build prints the
//! committed measurement (`cli/matrix/`, written with docs/FEATURES.md by
//! the spec-suite test, which fails when they are stale), so that installing
//! the CLI compiles no test suite; with the `measure` feature it measures
//! the compiled-in backends now (probe modules and the spec suite's related
//! files).

use crate::{Failure, engine, fail};
use serde_json::Value as Json;
use wasm_run::Config;

/// The committed matrix as markdown (docs/FEATURES.md).
const MARKDOWN: &str = include_str!("../matrix/FEATURES.md");
/// The committed matrix as JSON.
const JSON: &str = include_str!("../matrix/features.json");

/// Prints the matrix of every backend, or of `engine_name`, as markdown or
/// JSON.
pub(crate) fn print(engine_name: Option<&str>, as_json: bool) -> Result<(), Failure> {
    if let Some(n) = engine_name {
        // The facade's own error for a name it does not know.
        engine(Some(n), &Config::new())?;
    }
    if cfg!(feature = "measure") {
        return measure(engine_name, as_json);
    }
    if as_json {
        let mut doc: Json = serde_json::from_str(JSON).map_err(|e| fail(e.to_string()))?;
        if let Some(name) = engine_name {
            only_engine(&mut doc, name)?;
        }
        let text = serde_json::to_string_pretty(&doc).map_err(|e| fail(e.to_string()))?;
        println!("{text}");
    } else {
        match engine_name {
            Some(name) => print!("{}", markdown_of(MARKDOWN, name)?),
            None => print!("{MARKDOWN}"),
        }
    }
    Ok(())
}

/// Keeps backend `name`'s column of the committed JSON.
fn only_engine(doc: &mut Json, name: &str) -> Result<(), Failure> {
    let absent = || fail(format!("the committed matrix has no column for `{name}`"));
    let engines = doc["engines"].as_array_mut().ok_or_else(absent)?;
    engines.retain(|e| e["name"] == name);
    if engines.is_empty() {
        return Err(absent());
    }
    for row in doc["rows"].as_array_mut().into_iter().flatten() {
        if let Some(cells) = row["cells"].as_object_mut() {
            cells.retain(|engine, _| engine == name);
        }
    }
    Ok(())
}

/// The committed markdown with backend `name`'s column only (and only its
/// notes).
fn markdown_of(markdown: &str, name: &str) -> Result<String, Failure> {
    let mut column = None;
    let mut out = String::new();
    for line in markdown.lines() {
        if line.starts_with("|---") {
            out.push_str("|---|---|\n");
        } else if line.starts_with('|') {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            let col = match column {
                Some(c) => c,
                None => {
                    // The header row: the column whose title names the backend.
                    let c = cells
                        .iter()
                        .position(|t| t.split(' ').next() == Some(name))
                        .ok_or_else(|| {
                            fail(format!("the committed matrix has no column for `{name}`"))
                        })?;
                    column = Some(c);
                    c
                }
            };
            match (cells.first(), cells.get(col)) {
                (Some(first), Some(cell)) => out.push_str(&format!("| {first} | {cell} |\n")),
                _ => out.push_str(&format!("{line}\n")),
            }
        } else if line.starts_with("- **") && line.contains(" on ") {
            if line.contains(&format!(" on {name}:")) {
                out.push_str(&format!("{line}\n"));
            }
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    Ok(out)
}

/// Measures the matrix now (the `measure` feature).
#[cfg(feature = "measure")]
fn measure(engine_name: Option<&str>, as_json: bool) -> Result<(), Failure> {
    use wasm_run::AnyEngine;
    use wasm_run_conformance::matrix::{Hooks, measure_backends};
    let names: Vec<&'static str> = match engine_name {
        Some(n) => wasm_run::BACKENDS
            .iter()
            .copied()
            .filter(|b| *b == n)
            .collect(),
        None => wasm_run::BACKENDS.to_vec(),
    };
    let matrix = measure_backends(&names, AnyEngine::by_name, Hooks::with_wasi().with_async())?;
    if as_json {
        let text =
            serde_json::to_string_pretty(&matrix.to_json()).map_err(|e| fail(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", matrix.to_markdown());
    }
    Ok(())
}

#[cfg(not(feature = "measure"))]
fn measure(_: Option<&str>, _: bool) -> Result<(), Failure> {
    Err(fail(
        "this wasm-run was built without the `measure` feature",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "# title\n\n| feature | a 1.0 | b 2.0 |\n|---|---|---|\n| x | supported | partial (1/2 spec files) |\n\n- **x** on a: why a\n- **x** on b: why b\n";

    #[test]
    fn one_column_of_the_markdown() {
        let out = markdown_of(TABLE, "b").unwrap_or_else(|_| panic!("column b"));
        assert_eq!(
            out,
            "# title\n\n| feature | b 2.0 |\n|---|---|\n| x | partial (1/2 spec files) |\n\n- **x** on b: why b\n"
        );
        assert!(markdown_of(TABLE, "c").is_err());
    }

    #[test]
    fn one_column_of_the_json() {
        let mut doc: Json = serde_json::json!({
            "engines": [{"name": "a"}, {"name": "b"}],
            "rows": [{"row": "x", "cells": {"a": 1, "b": 2}}],
        });
        assert!(only_engine(&mut doc, "b").is_ok());
        assert_eq!(
            doc,
            serde_json::json!({"engines": [{"name": "b"}], "rows": [{"row": "x", "cells": {"b": 2}}]})
        );
        assert!(only_engine(&mut doc, "a").is_err());
    }

    /// The committed files parse and agree on the backends.
    #[test]
    fn committed_files_agree() {
        let doc: Json = serde_json::from_str(JSON).expect("matrix/features.json");
        for e in doc["engines"].as_array().expect("engines") {
            let name = e["name"].as_str().expect("name");
            assert!(
                markdown_of(MARKDOWN, name).is_ok(),
                "{name} in the markdown"
            );
        }
    }
}
