//! Which exported functions can block in `memory.atomic.wait`: a scan of the
//! code section, following direct calls from the export.

use std::collections::HashMap;
use wasmparser as wp;

/// What one defined function does that matters for scheduling.
#[derive(Debug, Default)]
struct Body {
    /// Contains `memory.atomic.wait32`/`wait64`.
    waits: bool,
    /// Calls through a table or a reference (targets unknown statically).
    indirect: bool,
    /// Functions it calls directly (function-index space).
    calls: Vec<u32>,
}

/// The call graph facts of a module, enough to answer [`Blocking::may_wait`].
#[derive(Debug, Default)]
pub(crate) struct Blocking {
    imported_funcs: u32,
    bodies: Vec<Body>,
    exports: HashMap<String, u32>,
}

impl Blocking {
    /// Scans a binary module. `None` when it cannot be read (the caller then
    /// assumes every function may wait).
    pub(crate) fn scan(wasm: &[u8]) -> Option<Self> {
        Self::try_scan(wasm).ok()
    }

    fn try_scan(wasm: &[u8]) -> wp::Result<Self> {
        let mut out = Blocking::default();
        for payload in wp::Parser::new(0).parse_all(wasm) {
            match payload? {
                wp::Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        if matches!(import?.ty, wp::TypeRef::Func(_) | wp::TypeRef::FuncExact(_)) {
                            out.imported_funcs += 1;
                        }
                    }
                }
                wp::Payload::ExportSection(r) => {
                    for export in r {
                        let export = export?;
                        if export.kind == wp::ExternalKind::Func {
                            out.exports.insert(export.name.to_string(), export.index);
                        }
                    }
                }
                wp::Payload::CodeSectionEntry(body) => {
                    let mut facts = Body::default();
                    let mut ops = body.get_operators_reader()?;
                    while !ops.eof() {
                        match ops.read()? {
                            wp::Operator::MemoryAtomicWait32 { .. }
                            | wp::Operator::MemoryAtomicWait64 { .. } => facts.waits = true,
                            wp::Operator::Call { function_index }
                            | wp::Operator::ReturnCall { function_index } => {
                                facts.calls.push(function_index)
                            }
                            wp::Operator::CallIndirect { .. }
                            | wp::Operator::ReturnCallIndirect { .. }
                            | wp::Operator::CallRef { .. }
                            | wp::Operator::ReturnCallRef { .. } => facts.indirect = true,
                            _ => {}
                        }
                    }
                    out.bodies.push(facts);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Whether a call of export `name` can reach `memory.atomic.wait`.
    ///
    /// Follows direct calls; an indirect call (through a table or a function
    /// reference) reached on the way counts as "any function", so the answer
    /// is conservative. Host functions are not seen: one that blocks the
    /// thread is the caller's to declare (see [`crate::Scheduling`]).
    pub(crate) fn may_wait(&self, name: &str) -> bool {
        let Some(&start) = self.exports.get(name) else {
            return false;
        };
        let mut seen = vec![false; self.bodies.len()];
        let mut todo = vec![start];
        while let Some(func) = todo.pop() {
            let Some(i) = func.checked_sub(self.imported_funcs) else {
                continue; // an imported (host) function
            };
            let i = i as usize;
            match (seen.get(i), self.bodies.get(i)) {
                (Some(false), Some(body)) => {
                    seen[i] = true;
                    if body.waits {
                        return true;
                    }
                    if body.indirect {
                        return self.bodies.iter().any(|b| b.waits);
                    }
                    todo.extend_from_slice(&body.calls);
                }
                (Some(true), _) => {}
                // Out of range: the module was validated, so this does not
                // happen; be conservative if it does.
                _ => return true,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(wat: &str) -> Blocking {
        let wasm = wasm_run_api::to_binary(wat.as_bytes()).unwrap();
        Blocking::scan(&wasm).unwrap()
    }

    #[test]
    fn follows_direct_calls_and_ignores_unreached_waits() {
        let b = scan(
            r#"(module
                 (import "env" "memory" (memory 1 1 shared))
                 (import "host" "f" (func $host))
                 (func $wait (result i32)
                   (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
                 (func $middle (result i32) (call $host) (call $wait))
                 (func (export "outer") (result i32) (call $middle))
                 (func (export "plain") (result i32) (call $host) (i32.const 1))
                 (func $init (drop (call $wait)))
                 (start $init))"#,
        );
        assert!(b.may_wait("outer"));
        assert!(
            !b.may_wait("plain"),
            "the start function's wait is not reached"
        );
        assert!(!b.may_wait("missing"));
    }

    #[test]
    fn indirect_calls_are_conservative() {
        let b = scan(
            r#"(module
                 (import "env" "memory" (memory 1 1 shared))
                 (type $t (func (result i32)))
                 (table 1 funcref)
                 (func $wait (result i32)
                   (memory.atomic.wait64 (i32.const 0) (i64.const 0) (i64.const 0)))
                 (func (export "dispatch") (result i32)
                   (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(b.may_wait("dispatch"));
        let b = scan(
            r#"(module
                 (type $t (func (result i32)))
                 (table 1 funcref)
                 (func (export "dispatch") (result i32)
                   (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(!b.may_wait("dispatch"), "no wait anywhere");
    }

    #[test]
    fn unreadable_input_is_none() {
        assert!(Blocking::scan(b"\0asm\x01\0\0\0\x0a\x05").is_none());
    }
}
