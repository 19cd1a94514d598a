//! The host's growth policy (`Store::set_limiter`): asked before every
//! memory and table growth, it allows, denies or fails the operation.

use std::sync::{Arc, Mutex};
use wasm_run_api::{
    Config, Engine, Error, Instance, Linker, Memory, ResourceLimiter, Result, Store, Table, Val,
};

use super::helpers::*;

pub(super) const LIMITER_WAT: &str = r#"
(module
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "grow_table") (param i32) (result i32)
    ref.null func local.get 0 table.grow)
  ;; Grows one page at a time and writes to every new page, until refused;
  ;; returns the number of pages.
  (func (export "hog") (result i32)
    (block $full
      (loop $l
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (i32.store8
          (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))
          (i32.const 1))
        br $l))
    memory.size))
"#;

/// Every question the policy was asked: (memory?, current, desired).
type Log = Arc<Mutex<Vec<(bool, usize, usize)>>>;

/// Allows memories up to `max_bytes` and tables up to `max_elements`; fails
/// with `Error::ResourceLimit("policy")` for a growth of more than
/// `fail_above` bytes at once.
struct Policy {
    log: Log,
    max_bytes: usize,
    max_elements: usize,
    fail_above: usize,
}

impl ResourceLimiter for Policy {
    fn memory_growing(&mut self, current: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        self.log.lock().unwrap().push((true, current, desired));
        if desired - current > self.fail_above {
            return Err(Error::ResourceLimit("policy: too much at once".into()));
        }
        Ok(desired <= self.max_bytes)
    }
    fn table_growing(&mut self, current: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        self.log.lock().unwrap().push((false, current, desired));
        Ok(desired <= self.max_elements)
    }
}

fn with_policy<E: Engine>(
    engine: &E,
    max_bytes: usize,
    max_elements: usize,
    fail_above: usize,
) -> (Store<E, ()>, Option<Instance<E>>, Log) {
    let log = Log::default();
    let mut store = Store::new(engine, ());
    store.set_limiter(Policy {
        log: log.clone(),
        max_bytes,
        max_elements,
        fail_above,
    });
    let module = compile(engine, LIMITER_WAT);
    let instance = Linker::<E, ()>::new(engine).instantiate(&mut store, &module);
    (store, instance.ok(), log)
}

/// The policy is asked with the current and desired sizes before every
/// growth — the initial memory and table of an instantiation, `memory.grow`
/// and `table.grow` in wasm, `Memory::grow` and `Table::grow` from the host —
/// and its answer holds: a denial makes `memory.grow`/`table.grow` return
/// -1, a host `grow` fail with `ResourceLimit` and an instantiation fail with
/// `ResourceLimit`; an error fails the call with exactly that error, and the
/// store stays usable.
pub fn limiter_policy<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    const PAGE: usize = 65536;
    let (mut store, instance, log) = with_policy(&engine, 4 * PAGE, 3, 8 * PAGE);
    let instance = instance.expect("instantiation within the policy");
    // (In the engine's order: tables or memories first.)
    let mut initial = log.lock().unwrap().clone();
    initial.sort();
    assert_eq!(
        initial,
        [(false, 0, 1), (true, 0, PAGE)],
        "the policy was not asked for the initial memory and table"
    );
    log.lock().unwrap().clear();
    let grow = export_func(&mut store, &instance, "grow");
    let mut out = [Val::I32(0)];
    ok(grow.call(&mut store, &[Val::I32(2)], &mut out), "grow(2)");
    assert_eq!(out, [Val::I32(1)], "grow within the policy");
    ok(
        grow.call(&mut store, &[Val::I32(2)], &mut out),
        "grow(2) again",
    );
    assert_eq!(
        out,
        [Val::I32(-1)],
        "memory.grow past the policy must return -1"
    );
    assert_eq!(
        log.lock().unwrap().as_slice(),
        [(true, PAGE, 3 * PAGE), (true, 3 * PAGE, 5 * PAGE)]
    );
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    assert!(
        matches!(memory.grow(&mut store, 2), Err(Error::ResourceLimit(_))),
        "Memory::grow past the policy"
    );
    assert_eq!(ok(memory.grow(&mut store, 1), "Memory::grow(1)"), 3);

    // A failure is the call's error, exactly.
    let e = err(grow.call(&mut store, &[Val::I32(9)], &mut out), "grow(9)");
    assert!(
        matches!(&e, Error::ResourceLimit(m) if m == "policy: too much at once"),
        "the policy's error did not come back: {e} ({e:?})"
    );
    assert_eq!(memory.size(&store), 4, "a failed growth changed the memory");
    ok(
        grow.call(&mut store, &[Val::I32(0)], &mut out),
        "grow(0) after a failure",
    );
    assert_eq!(out, [Val::I32(4)]);

    // Tables, from the host (from wasm: `limiter_table_grow_in_wasm`).
    let table = instance.get_table(&mut store, "table").expect("table");
    assert_eq!(
        ok(
            table.grow(&mut store, 2, Val::FuncRef(None)),
            "Table::grow(2)"
        ),
        1
    );
    assert!(
        matches!(
            table.grow(&mut store, 1, Val::FuncRef(None)),
            Err(Error::ResourceLimit(_))
        ),
        "Table::grow past the policy"
    );
    assert_eq!(table.size(&store), 3, "a refused growth changed the table");

    // Host-created items are asked too.
    assert!(Memory::new(&mut store, wasm_run_api::MemoryType::new(5, None)).is_err());
    let table_ty = wasm_run_api::TableType::new(
        wasm_run_api::RefType {
            nullable: true,
            heap: wasm_run_api::HeapType::Func,
        },
        4,
        None,
    );
    assert!(Table::new(&mut store, table_ty, Val::FuncRef(None)).is_err());

    // An instantiation whose initial memory the policy denies.
    let (_, denied, _) = with_policy(&engine, 0, 10, usize::MAX);
    assert!(
        denied.is_none(),
        "instantiated although the policy denied the memory"
    );
    let mut store = Store::new(&engine, ());
    store.set_limiter(Policy {
        log: Log::default(),
        max_bytes: 0,
        max_elements: 10,
        fail_above: usize::MAX,
    });
    let module = compile(&engine, LIMITER_WAT);
    expect_resource_limit(
        Linker::<E, ()>::new(&engine).instantiate(&mut store, &module),
        "instantiating with the memory denied",
    );
}

/// `table.grow` in wasm asks the policy: within it the table grows, past it
/// `table.grow` returns -1 and the table keeps its size.
pub fn limiter_table_grow_in_wasm<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    let engine = default_engine(&make);
    let (mut store, instance, log) = with_policy(&engine, 4 * 65536, 3, usize::MAX);
    let instance = instance.expect("instantiation within the policy");
    log.lock().unwrap().clear();
    let grow_table = export_func(&mut store, &instance, "grow_table");
    let mut out = [Val::I32(0)];
    ok(
        grow_table.call(&mut store, &[Val::I32(2)], &mut out),
        "grow_table(2)",
    );
    assert_eq!(out, [Val::I32(1)]);
    ok(
        grow_table.call(&mut store, &[Val::I32(1)], &mut out),
        "grow_table(1)",
    );
    assert_eq!(
        out,
        [Val::I32(-1)],
        "table.grow past the policy must return -1"
    );
    assert_eq!(
        log.lock().unwrap().as_slice(),
        [(false, 1, 3), (false, 3, 4)],
        "the policy was not asked for table.grow in wasm"
    );
    let table = instance.get_table(&mut store, "table").expect("table");
    assert_eq!(table.size(&store), 3);
}

/// A guest that grows its memory in a loop (touching every new page) cannot
/// make the host allocate past the policy: it gets -1 at the limit, and the
/// process's resident memory stays bounded.
pub fn limiter_bounds_host_memory<E: Engine>(make: impl Fn(&Config) -> Result<E>) {
    const LIMIT: usize = 32 << 20;
    let engine = default_engine(&make);
    let before = resident_bytes();
    let (mut store, instance, _) = with_policy(&engine, LIMIT, 10, usize::MAX);
    let instance = instance.expect("instantiate");
    let hog = export_func(&mut store, &instance, "hog");
    let mut out = [Val::I32(0)];
    ok(hog.call(&mut store, &[], &mut out), "hog");
    assert_eq!(
        out,
        [Val::I32((LIMIT / 65536) as i32)],
        "pages at the limit"
    );
    if let (Some(before), Some(after)) = (before, resident_bytes()) {
        // Other tests run in this process too: generous slack, far below the
        // 4 GiB the guest would take without the policy.
        let grown = after.saturating_sub(before);
        assert!(
            grown < LIMIT + (256 << 20),
            "resident memory grew by {} MiB for a {} MiB limit",
            grown >> 20,
            LIMIT >> 20
        );
    }
}

/// Resident set size of this process (Linux), if known.
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
