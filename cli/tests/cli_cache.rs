//! `wasm-run run` keeps compiled modules (wasmtime): the cache directory
//! fills on the first run and serves the next; `--no-cache` leaves it alone;
//! a cache directory that cannot be used is a warning, never a failure; a
//! damaged entry is replaced.

#![cfg(feature = "wasmtime")]

mod common;
use common::{bin, text};
use std::path::{Path, PathBuf};

fn temp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wasm-run-cli-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn hello(cache: &Path, extra: &[&str]) -> std::process::Output {
    let hello = format!("{}/../examples/hello.wasm", env!("CARGO_MANIFEST_DIR"));
    let mut args = vec!["run", "--engine", "wasmtime"];
    args.extend(extra);
    args.extend([hello.as_str(), "cache"]);
    bin()
        .env("WASM_RUN_CACHE_DIR", cache)
        .args(&args)
        .output()
        .expect("spawn wasm-run")
}

#[test]
fn run_fills_and_uses_the_module_cache() {
    let dir = temp("fill");
    let out = hello(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello, cache!\n");
    let first = entries(&dir);
    assert_eq!(first.len(), 1, "{first:?}");
    let stored = std::fs::read(&first[0]).unwrap();
    // Served from the cache: same output, same entry.
    let out = hello(&dir, &[]);
    assert_eq!(text(&out.stdout), "Hello, cache!\n");
    assert_eq!(entries(&dir), first);
    // A damaged entry is replaced.
    std::fs::write(&first[0], &stored[..stored.len() / 2]).unwrap();
    let out = hello(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello, cache!\n");
    assert_eq!(
        std::fs::read(&first[0]).unwrap(),
        stored,
        "the damaged entry stayed"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // --no-cache: nothing stored.
    let dir = temp("off");
    let out = hello(&dir, &["--no-cache"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        entries(&dir).is_empty(),
        "--no-cache stored {:?}",
        entries(&dir)
    );
}

#[test]
fn an_unusable_cache_is_a_warning() {
    let dir = temp("blocked");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = hello(&file.join("cache"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello, cache!\n");
    let err = text(&out.stderr);
    assert!(err.starts_with("warning: module cache not used"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
