//! Real components, built from C with wit-bindgen, clang and wasm-tools
//! (tests/fixtures/component/c, rebuilt by its build.sh): a text toolkit, a
//! records/variants/enums/flags API, a SHA-256 hasher resource, and two
//! components composed with different string encodings. Each runs on the
//! three paths (portable on wasmi, portable on wasmtime, wasmtime's native
//! component model), which must agree, and every result is checked against
//! an independent Rust implementation of what the C code computes. The core
//! modules with their worlds (before `wasm-tools component new`) run on the
//! portable path too, with the same results.

use crate::common;

use common::{Outcome, Paths, wave};
use sha2::Digest;
use wasm_run_api::{Engine, Store};
use wasm_run_component::{Component, ItemType, Linker, Type, Val, World};

fn c(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component/c")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A seeded generator of test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Text from a pool of ASCII letters, punctuation, whitespace and
    /// characters of 2, 3 and 4 UTF-8 bytes (2 UTF-16 units for 𝄞).
    fn text(&mut self, max: u64) -> String {
        const POOL: &[char] = &[
            'a', 'b', 'c', 'A', 'B', 'z', 'Z', ' ', ' ', '\t', '\n', '\u{b}', ',', '.', '-', '!',
            '\'', 'é', 'ß', 'Ж', '✓', '中', '𝄞', '😀', '0', '9',
        ];
        (0..self.below(max + 1))
            .map(|_| POOL[self.below(POOL.len() as u64) as usize])
            .collect()
    }
}

fn rounds() -> u64 {
    std::env::var("WR_COMPONENT_SOAK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

/// The world of the component `bytes`.
fn world(bytes: &[u8]) -> World {
    let engine = wasm_run_wasmi::Wasmi::new(&wasm_run_api::Config::new()).unwrap();
    Component::new(&engine, bytes).unwrap().world().clone()
}

/// The arguments of export `name` of `world`, parsed from WAVE by its
/// parameter types.
fn args(world: &World, name: &str, wave_args: &str) -> Vec<Val> {
    let Some(ItemType::Func(f)) = world.export(name) else {
        panic!("no export {name}")
    };
    let tuple = Type::Tuple(f.params().iter().map(|(_, t)| t.clone()).collect());
    match Val::parse(&tuple, &format!("({wave_args})")) {
        Ok(Val::Tuple(v)) => v,
        other => panic!("({wave_args}) for {f}: {other:?}"),
    }
}

/// The result `expected` (WAVE) of export `name` of `world`, in the form
/// the paths report it.
fn result(world: &World, name: &str, expected: &str) -> Outcome {
    let Some(ItemType::Func(f)) = world.export(name) else {
        panic!("no export {name}")
    };
    let ty = f.result().expect("a result");
    Outcome::Value(wave(
        &Val::parse(ty, expected).unwrap_or_else(|e| panic!("{expected} as {ty}: {e}")),
    ))
}

/// A string in WAVE.
fn s(text: &str) -> String {
    Val::String(text.into()).to_string()
}

/// Checks `calls` (name, WAVE arguments, expected WAVE result) on the three
/// paths with the component, and on both portable backends with the core
/// module that carries the same world.
fn check(component: &[u8], core: Option<&[u8]>, calls: &[(&str, String, String)]) {
    let paths = Paths::new();
    let world = world(component);
    let parsed: Vec<(&str, Vec<Val>)> = calls
        .iter()
        .map(|(name, a, _)| (*name, args(&world, name, a)))
        .collect();
    let outcomes = paths.agree_all(component, &parsed);
    for ((name, a, expected), got) in calls.iter().zip(&outcomes) {
        assert_eq!(
            *got,
            result(&world, name, expected),
            "{name}({a}): the C component vs the Rust implementation"
        );
    }
    if let Some(core) = core {
        assert!(wasm_run_component::embeds_world(core));
        for got in [
            common::portable(&paths.wasmi, core, &parsed),
            common::portable(&paths.wasmtime, core, &parsed),
        ] {
            assert_eq!(got, outcomes, "the core module with its world");
        }
    }
}

// ---- (a) the text toolkit ------------------------------------------------

fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) || b.is_ascii_punctuation()
}

fn word_freq(text: &str) -> Vec<(String, u32)> {
    let mut counts: Vec<(String, u32)> = Vec::new();
    // Separators are ASCII, so the pieces are whole UTF-8 sequences.
    for word in text.split(|c: char| c.is_ascii() && is_separator(c as u8)) {
        if word.is_empty() {
            continue;
        }
        let word = word.to_ascii_lowercase();
        match counts.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => counts.push((word, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_bytes().cmp(b.0.as_bytes())));
    counts
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

#[test]
fn text_toolkit() {
    let (component, core) = (c("text.wasm"), c("text.core.wasm"));
    let mut rng = Rng(1);
    let mut calls = Vec::new();
    let mut fixed = vec![
        String::new(),
        "The cat, the HAT; a cat.".to_string(),
        "héllo ✓ 𝄞 wörld".to_string(),
    ];
    fixed.extend((0..rounds()).map(|_| rng.text(40)));
    for text in &fixed {
        calls.push(("upper", s(text), s(&text.to_ascii_uppercase())));
        calls.push((
            "reverse",
            s(text),
            s(&text.chars().rev().collect::<String>()),
        ));
        calls.push(("char-count", s(text), text.chars().count().to_string()));
        let sep = [" ", ", ", "a", "é", "𝄞"][rng.below(5) as usize];
        calls.push((
            "split",
            format!("{}, {}", s(text), s(sep)),
            list(text.split(sep).map(s)),
        ));
        let parts: Vec<String> = (0..rng.below(5)).map(|_| rng.text(6)).collect();
        calls.push((
            "join",
            format!("{}, {}", list(parts.iter().map(|p| s(p))), s(sep)),
            s(&parts.join(sep)),
        ));
        calls.push((
            "word-freq",
            s(text),
            list(
                word_freq(text)
                    .into_iter()
                    .map(|(w, n)| format!("({}, {n})", s(&w))),
            ),
        ));
    }
    check(&component, Some(&core), &calls);
}

// ---- (b) records, variants, enums, flags, options, results ---------------

const COLORS: [&str; 3] = ["red", "green", "blue"];
const PERMS: [&str; 3] = ["read", "write", "exec"];

struct Item {
    name: String,
    color: usize,
    perms: [bool; 3],
    at: Option<(i32, i32)>,
    tags: Vec<String>,
}

impl Item {
    fn random(rng: &mut Rng) -> Item {
        let coord = |rng: &mut Rng| rng.below(2_000_001) as i32 - 1_000_000;
        Item {
            name: rng.text(8),
            color: rng.below(3) as usize,
            perms: [0, 1, 2].map(|_| rng.below(2) == 1),
            at: (rng.below(3) > 0).then(|| (coord(rng), coord(rng))),
            tags: (0..rng.below(4)).map(|_| rng.text(5)).collect(),
        }
    }
    fn flags(perms: [bool; 3]) -> String {
        let set: Vec<&str> = (0..3).filter(|&i| perms[i]).map(|i| PERMS[i]).collect();
        format!("{{{}}}", set.join(", "))
    }
    fn wave(&self) -> String {
        format!(
            "{{name: {}, color: {}, perms: {}, at: {}, tags: {}}}",
            s(&self.name),
            COLORS[self.color],
            Item::flags(self.perms),
            match self.at {
                Some((x, y)) => format!("some({{x: {x}, y: {y}}})"),
                None => "none".into(),
            },
            list(self.tags.iter().map(|t| s(t)))
        )
    }
    fn describe(&self) -> String {
        let p = |i: usize, c: char| if self.perms[i] { c } else { '-' };
        let mut out = format!(
            "{} ({}) [{}{}{}] @",
            self.name,
            COLORS[self.color],
            p(0, 'r'),
            p(1, 'w'),
            p(2, 'x')
        );
        match self.at {
            Some((x, y)) => out += &format!("{x},{y}"),
            None => out += "-",
        }
        for t in &self.tags {
            out += &format!(" #{t}");
        }
        out
    }
}

#[test]
fn records_api() {
    let (component, core) = (c("records.wasm"), c("records.core.wasm"));
    let mut rng = Rng(2);
    let mut calls = vec![
        ("parse-color", s("blue"), "ok(blue)".to_string()),
        (
            "parse-color",
            s("mauve ✓"),
            format!("err({})", s("unknown color `mauve ✓`")),
        ),
        ("nearest", "[], {x: 0, y: 0}".into(), "none".into()),
        (
            "checked-div",
            "7, 0".into(),
            format!("err({})", s("division by zero")),
        ),
        (
            "checked-div",
            format!("{}, -1", i32::MIN),
            format!("err({})", s("overflow")),
        ),
        ("area", "dot".into(), "0".into()),
    ];
    for _ in 0..rounds() {
        let item = Item::random(&mut rng);
        calls.push(("describe", item.wave(), s(&item.describe())));
        let name = rng.text(6);
        let renamed = Item {
            name: name.clone(),
            color: item.color,
            perms: item.perms,
            at: item.at.map(|(x, y)| (x + 1, y + 1)),
            tags: item.tags.iter().rev().cloned().collect(),
        };
        calls.push((
            "rename",
            format!("{}, {}", item.wave(), s(&name)),
            renamed.wave(),
        ));
        let (a, b) = (
            [0, 1, 2].map(|_| rng.below(2) == 1),
            [0, 1, 2].map(|_| rng.below(2) == 1),
        );
        calls.push((
            "grant",
            format!("{}, {}", Item::flags(a), Item::flags(b)),
            Item::flags([a[0] | b[0], a[1] | b[1], a[2] | b[2]]),
        ));
        let r = rng.below(70_000) as u32;
        calls.push((
            "area",
            format!("circle({r})"),
            (3 * u64::from(r) * u64::from(r)).to_string(),
        ));
        let (w, h) = (rng.next() as u32, rng.next() as u32);
        calls.push((
            "area",
            format!("rect(({w}, {h}))"),
            (u64::from(w) * u64::from(h)).to_string(),
        ));
        let pts: Vec<(i32, i32)> = (0..rng.below(5))
            .map(|_| (rng.below(200) as i32 - 100, rng.below(200) as i32 - 100))
            .collect();
        let to = (rng.below(200) as i32 - 100, rng.below(200) as i32 - 100);
        let d = |p: &(i32, i32)| {
            let (dx, dy) = (i64::from(p.0 - to.0), i64::from(p.1 - to.1));
            dx * dx + dy * dy
        };
        let best = (0..pts.len()).min_by_key(|&i| (d(&pts[i]), i));
        calls.push((
            "nearest",
            format!(
                "{}, {{x: {}, y: {}}}",
                list(pts.iter().map(|(x, y)| format!("{{x: {x}, y: {y}}}"))),
                to.0,
                to.1
            ),
            match best {
                Some(i) => format!("some({i})"),
                None => "none".into(),
            },
        ));
        let (a, b) = (rng.next() as i32, rng.below(2000) as i32 - 1000);
        calls.push((
            "checked-div",
            format!("{a}, {b}"),
            match a.checked_div(b) {
                Some(q) => format!("ok({q})"),
                None if b == 0 => format!("err({})", s("division by zero")),
                None => format!("err({})", s("overflow")),
            },
        ));
    }
    check(&component, Some(&core), &calls);
}

// ---- (c) a resource: the SHA-256 hasher ------------------------------------

/// Feeds `chunks` to a new hasher, finishes it, checks `live` before and
/// after dropping it; the digest (hex).
fn portable_hash<E: Engine>(engine: &E, bytes: &[u8], chunks: &[Vec<u8>]) -> (String, [u32; 2]) {
    let component = Component::new(engine, bytes).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let iface = "fixtures:hash/sha256#";
    let call = |store: &mut Store<E, ()>, name: &str, args: &[Val]| {
        common::call(store, &instance, &format!("{iface}{name}"), args).unwrap()
    };
    let Some(Val::Resource(hasher)) = call(&mut store, "[constructor]hasher", &[]) else {
        panic!("the constructor returns a hasher")
    };
    for chunk in chunks {
        let data = Val::List(chunk.iter().map(|b| Val::U8(*b)).collect());
        call(
            &mut store,
            "[method]hasher.update",
            &[Val::Resource(hasher.clone()), data],
        );
    }
    // A lifted list<u8> is bytes.
    let Some(Val::Bytes(digest)) = call(
        &mut store,
        "[method]hasher.finish",
        &[Val::Resource(hasher.clone())],
    ) else {
        panic!("finish returns bytes")
    };
    let live = |store: &mut Store<E, ()>| match call(store, "live", &[]) {
        Some(Val::U32(n)) => n,
        other => panic!("{other:?}"),
    };
    let before = live(&mut store);
    instance.drop_resource(&mut store, hasher).unwrap();
    let after = live(&mut store);
    let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
    (hex, [before, after])
}

#[test]
fn sha256_hasher_resource() {
    let paths = Paths::new();
    let (component, core) = (c("hash.wasm"), c("hash.core.wasm"));
    let mut rng = Rng(3);
    // Lengths around the 55/56/64-byte padding edges, and a few large ones.
    let mut sizes = vec![0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000];
    sizes.extend((0..rounds() / 4).map(|_| rng.below(300)));
    for size in sizes {
        let data: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
        let mut chunks = Vec::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(100) as usize).min(rest.len());
            chunks.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        let expected: String = sha2::Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let want = (expected, [1, 0]);
        assert_eq!(
            portable_hash(&paths.wasmi, &component, &chunks),
            want,
            "{size} bytes: wasmi"
        );
        assert_eq!(
            portable_hash(&paths.wasmtime, &component, &chunks),
            want,
            "wasmtime"
        );
        assert_eq!(
            portable_hash(&paths.native, &component, &chunks),
            want,
            "native"
        );
        assert_eq!(
            portable_hash(&paths.wasmi, &core, &chunks),
            want,
            "core form"
        );
    }
}

// ---- (d) two components composed, UTF-8 and UTF-16 --------------------------

#[test]
fn composed_utf8_and_utf16_components() {
    let component = c("greet.wasm");
    let mut rng = Rng(4);
    let mut calls = Vec::new();
    for n in 0..rounds() {
        let names: Vec<String> = (0..n % 5).map(|_| rng.text(10)).collect();
        let greetings = names.iter().map(|name| {
            let greeting = format!("Hello, {name}! ({})", name.encode_utf16().count());
            s(&format!("{greeting} [{}]", greeting.len()))
        });
        calls.push((
            "greet-all",
            list(names.iter().map(|n| s(n))),
            list(greetings),
        ));
    }
    check(&component, None, &calls);
}
