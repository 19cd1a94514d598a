//! Three-way differential check of the canonical ABI: every value goes
//! through the portable path on wasmi, the portable path on wasmtime, and
//! wasmtime's own component model (`wasmtime::component`, the native path),
//! and the three must agree (compared as WAVE text, floats by bits) and
//! agree on traps.
//!
//! Two sources of cases: the echo fixture's functions with chosen values,
//! and generated ones — random WIT types (records, variants, enums, flags,
//! lists, fixed-length lists, maps, options, results, tuples, strings,
//! chars, floats with any bits)
//! with random values, each round-tripped through an echo component made
//! for its type. `WR_COMPONENT_SOAK=N` runs N generated types instead of
//! the default.

use crate::common;

use common::{Outcome, Paths, wave};
use wasm_run_api::Engine;
use wasm_run_component::{Type, Val};

fn echo_fixture() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/component/echo.wat");
    wat::parse_file(path).unwrap()
}

#[test]
fn fixture_calls_agree_on_three_paths() {
    let paths = Paths::new();
    let bytes = echo_fixture();
    let pad = Val::Tuple((0..16).map(Val::U64).collect());
    let wave_of = |ty: &Type, t: &str| Val::parse(ty, t).unwrap();
    assert_eq!(
        paths.agree(&bytes, "add", &[Val::U32(u32::MAX), Val::U32(2)]),
        Outcome::Value("1".into())
    );
    for s in ["", "ascii", "é✓𝄞", "\u{0}\u{7f}\u{80}\u{ff}\u{100}"] {
        for f in ["echo-string", "echo-string16", "echo-string-compact"] {
            let out = paths.agree(&bytes, f, &[Val::String(s.into()), pad.clone()]);
            assert_eq!(
                out,
                Outcome::Value(Val::String(s.into()).to_string()),
                "{f}"
            );
        }
    }
    for bits in [
        0x7fc0_0000u32,
        0x7fc0_0001,
        0xffc0_0000,
        0x8000_0000,
        0x7f80_0000,
    ] {
        paths.agree(&bytes, "echo-f32", &[Val::F32(f32::from_bits(bits))]);
    }
    let map = Type::Map((Type::String, Type::FixedList(Type::U32.into(), 2)).into());
    let m = wave_of(&map, "[(\"k\", [1, 2]), (\"k\", [3, 4294967295])]");
    assert_eq!(
        paths.agree(&bytes, "echo-map", &[m.clone(), pad.clone()]),
        Outcome::Value(m.to_string())
    );
    let five = wave_of(
        &Type::FixedList(Type::U8.into(), 5),
        "[0, 1, 127, 128, 255]",
    );
    assert_eq!(
        paths.agree(&bytes, "echo-fixed-bytes", &[five.clone(), pad.clone()]),
        Outcome::Value(five.to_string())
    );
    assert_eq!(
        paths.agree(
            &bytes,
            "add-pair",
            &[Val::List(vec![Val::U32(1), Val::U32(2)])]
        ),
        Outcome::Value("3".into())
    );
    let opt = Type::Option(Type::Tuple(vec![Type::U8, Type::String].into()).into());
    paths.agree(
        &bytes,
        "echo-option",
        &[wave_of(&opt, "some((1, \"x\"))"), pad.clone()],
    );
    for trap in [
        "bad-utf8",
        "out-of-bounds",
        "unaligned",
        "bad-char",
        "bad-enum",
    ] {
        assert_eq!(paths.agree(&bytes, trap, &[]), Outcome::Trap, "{trap}");
    }
}

/// A deterministic generator of WIT types (with the component text that
/// defines them) and values.
struct Gen {
    state: u64,
    defs: Vec<String>,
}

impl Gen {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A nominal type's definition and export; its reference.
    fn define(&mut self, body: String) -> String {
        let n = self.defs.len();
        self.defs.push(format!(
            "(type $t{n}' {body}) (export $t{n} \"t{n}\" (type $t{n}'))"
        ));
        format!("$t{n}")
    }

    fn ty(&mut self, depth: u32) -> (Type, String) {
        let leaf = depth == 0 || self.below(3) == 0;
        if leaf {
            let prims = [
                (Type::Bool, "bool"),
                (Type::S8, "s8"),
                (Type::U8, "u8"),
                (Type::S16, "s16"),
                (Type::U16, "u16"),
                (Type::S32, "s32"),
                (Type::U32, "u32"),
                (Type::S64, "s64"),
                (Type::U64, "u64"),
                (Type::F32, "f32"),
                (Type::F64, "f64"),
                (Type::Char, "char"),
                (Type::String, "string"),
            ];
            let (t, s) = prims[self.below(prims.len() as u64) as usize].clone();
            return (t, s.to_string());
        }
        match self.below(11) {
            0 => {
                let (t, s) = self.ty(depth - 1);
                (Type::List(t.into()), format!("(list {s})"))
            }
            1 => {
                let (t, s) = self.ty(depth - 1);
                (Type::Option(t.into()), format!("(option {s})"))
            }
            2 => {
                let ok = (self.below(3) > 0).then(|| self.ty(depth - 1));
                let err = (self.below(3) > 0).then(|| self.ty(depth - 1));
                let text = format!(
                    "(result{}{})",
                    ok.as_ref()
                        .map(|(_, s)| format!(" {s}"))
                        .unwrap_or_default(),
                    err.as_ref()
                        .map(|(_, s)| format!(" (error {s})"))
                        .unwrap_or_default()
                );
                (
                    Type::Result((ok.map(|x| x.0), err.map(|x| x.0)).into()),
                    text,
                )
            }
            3 => {
                let n = 1 + self.below(4);
                let items: Vec<(Type, String)> = (0..n).map(|_| self.ty(depth - 1)).collect();
                let text = format!(
                    "(tuple {})",
                    items
                        .iter()
                        .map(|(_, s)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                (Type::Tuple(items.into_iter().map(|x| x.0).collect()), text)
            }
            4 => {
                let n = 1 + self.below(4);
                let fields: Vec<(String, Type, String)> = (0..n)
                    .map(|i| {
                        let (t, s) = self.ty(depth - 1);
                        (format!("f{i}"), t, s)
                    })
                    .collect();
                let body = format!(
                    "(record {})",
                    fields
                        .iter()
                        .map(|(n, _, s)| format!("(field \"{n}\" {s})"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let r = self.define(body);
                (
                    Type::Record(fields.into_iter().map(|(n, t, _)| (n, t)).collect()),
                    r,
                )
            }
            5 => {
                let n = 1 + self.below(5);
                let cases: Vec<(String, Option<(Type, String)>)> = (0..n)
                    .map(|i| {
                        (
                            format!("c{i}"),
                            (self.below(3) > 0).then(|| self.ty(depth - 1)),
                        )
                    })
                    .collect();
                let body = format!(
                    "(variant {})",
                    cases
                        .iter()
                        .map(|(n, p)| match p {
                            Some((_, s)) => format!("(case \"{n}\" {s})"),
                            None => format!("(case \"{n}\")"),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let r = self.define(body);
                (
                    Type::Variant(
                        cases
                            .into_iter()
                            .map(|(n, p)| (n, p.map(|x| x.0)))
                            .collect(),
                    ),
                    r,
                )
            }
            6 => {
                let n = 1 + self.below(6);
                let names: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
                let body = format!(
                    "(enum {})",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let r = self.define(body);
                (Type::Enum(names.into()), r)
            }
            7 => {
                let n = 1 + self.below(32);
                let names: Vec<String> = (0..n).map(|i| format!("g{i}")).collect();
                let body = format!(
                    "(flags {})",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let r = self.define(body);
                (Type::Flags(names.into()), r)
            }
            8 => {
                // Keys are bool, integers, char or string.
                let (k, ks) = loop {
                    let (k, ks) = self.ty(0);
                    if !matches!(k, Type::F32 | Type::F64) {
                        break (k, ks);
                    }
                };
                let (v, vs) = self.ty(depth - 1);
                (Type::Map((k, v).into()), format!("(map {ks} {vs})"))
            }
            9 => {
                let n = 1 + self.below(4) as u32;
                let (t, s) = self.ty(depth - 1);
                (Type::FixedList(t.into(), n), format!("(list {s} {n})"))
            }
            _ => self.ty(0),
        }
    }

    fn string(&mut self) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '"', '\\', '\n', 'é', 'ÿ', 'Ā', '✓', '𝄞', '\u{0}',
        ];
        (0..self.below(8))
            .map(|_| CHARS[self.below(CHARS.len() as u64) as usize])
            .collect()
    }

    fn val(&mut self, ty: &Type) -> Val {
        match ty {
            Type::Bool => Val::Bool(self.below(2) == 1),
            Type::S8 => Val::S8(self.next() as i8),
            Type::U8 => Val::U8(self.next() as u8),
            Type::S16 => Val::S16(self.next() as i16),
            Type::U16 => Val::U16(self.next() as u16),
            Type::S32 => Val::S32(self.next() as i32),
            Type::U32 => Val::U32(self.next() as u32),
            Type::S64 => Val::S64(self.next() as i64),
            Type::U64 => Val::U64(self.next()),
            // Any bits, NaN payloads included.
            // NaNs with payloads, often.
            Type::F32 if self.below(4) == 0 => {
                Val::F32(f32::from_bits(0x7f80_0001 | self.next() as u32))
            }
            Type::F64 if self.below(4) == 0 => {
                Val::F64(f64::from_bits(0x7ff0_0000_0000_0001 | self.next()))
            }
            Type::F32 => Val::F32(f32::from_bits(self.next() as u32)),
            Type::F64 => Val::F64(f64::from_bits(self.next())),
            Type::Char => {
                Val::Char(char::from_u32(self.below(0x11_0000) as u32).unwrap_or('\u{fffd}'))
            }
            Type::String => Val::String(self.string()),
            Type::List(t) => Val::List((0..self.below(4)).map(|_| self.val(t)).collect()),
            Type::FixedList(t, n) => Val::List((0..*n).map(|_| self.val(t)).collect()),
            Type::Map(kv) => Val::Map(
                (0..self.below(4))
                    .map(|_| (self.val(&kv.0), self.val(&kv.1)))
                    .collect(),
            ),
            Type::Option(t) => Val::Option((self.below(2) == 1).then(|| Box::new(self.val(t)))),
            Type::Result(r) => {
                if self.below(2) == 0 {
                    Val::Result(Ok(r.0.as_ref().map(|t| Box::new(self.val(t)))))
                } else {
                    Val::Result(Err(r.1.as_ref().map(|t| Box::new(self.val(t)))))
                }
            }
            Type::Tuple(ts) => Val::Tuple(ts.iter().map(|t| self.val(t)).collect()),
            Type::Record(fs) => {
                Val::Record(fs.iter().map(|(n, t)| (n.clone(), self.val(t))).collect())
            }
            Type::Variant(cs) => {
                let (n, t) = &cs[self.below(cs.len() as u64) as usize];
                Val::Variant(n.clone(), t.as_ref().map(|t| Box::new(self.val(t))))
            }
            Type::Enum(ns) => Val::Enum(ns[self.below(ns.len() as u64) as usize].clone()),
            Type::Flags(ns) => {
                Val::Flags(ns.iter().filter(|_| self.below(2) == 1).cloned().collect())
            }
            other => panic!("no values of {other}"),
        }
    }
}

/// An echo component for the type `reference` (defined by `defs`):
/// `echo(v: tuple<T, u64>, pad) -> tuple<T, u64>`, whose parameters go
/// through memory and whose core function returns their pointer.
fn echo_component(defs: &[String], reference: &str) -> String {
    format!(
        r#"(component
  (core module $m
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (if (i32.and (i32.ne (local.get 0) (i32.const 0)) (i32.le_u (local.get 3) (local.get 1)))
        (then (return (local.get 0))))
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (if (i32.gt_u (i32.add (local.get $p) (local.get 3)) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow (i32.add (i32.shr_u (local.get 3) (i32.const 16)) (i32.const 1))))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (if (local.get 0) (then (memory.copy (local.get $p) (local.get 0) (local.get 1))))
      (local.get $p))
    (func (export "echo") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (alias core export $i "memory" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (type $pad (tuple u64 u64 u64 u64 u64 u64 u64 u64 u64 u64 u64 u64 u64 u64 u64 u64))
  {}
  (func (export "echo") (param "v" (tuple {reference} u64)) (param "pad" $pad) (result (tuple {reference} u64))
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc)))
)"#,
        defs.join("\n  ")
    )
}

#[test]
fn generated_values_agree_on_three_paths() {
    let runs: u64 = std::env::var("WR_COMPONENT_SOAK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let paths = Paths::new();
    let pad = Val::Tuple((0..16).map(Val::U64).collect());
    for seed in 0..runs {
        let mut g = Gen {
            state: seed,
            defs: Vec::new(),
        };
        let (ty, reference) = g.ty(3);
        let text = echo_component(&g.defs, &reference);
        let bytes = wat::parse_str(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        for _ in 0..3 {
            let v = g.val(&ty);
            let arg = Val::Tuple(vec![v, Val::U64(seed)]);
            let out = paths.agree(&bytes, "echo", &[arg.clone(), pad.clone()]);
            // The echo gives back the value, bit for bit.
            let Outcome::Value(text) = out else {
                panic!("seed {seed}: echo of {arg} trapped")
            };
            let back = portable_value(&paths.wasmi, &bytes, &arg, &pad);
            assert_eq!(text, wave(&back), "seed {seed}");
            assert!(back.has_type(&Type::Tuple(vec![ty.clone(), Type::U64].into())));
            assert_eq!(arg, back, "seed {seed}: {ty}");
        }
    }
}

fn portable_value<E: Engine>(engine: &E, bytes: &[u8], arg: &Val, pad: &Val) -> Val {
    let (mut store, _, instance) = common::instantiate(engine, bytes);
    common::call(&mut store, &instance, "echo", &[arg.clone(), pad.clone()])
        .unwrap()
        .expect("echo has a result")
}
