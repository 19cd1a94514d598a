/* The C API's contract, point by point, on every backend of the library:
 * interrupts requested while nothing runs, handles used with another store,
 * host data behind externref, the documented error kinds (memory limits,
 * WASI imports, finalisers of failed definitions, captured output, exits),
 * the feature names, and what a wasmtime C API user reaches for: WASI in a
 * linker of one's own, standalone host functions, types of live handles,
 * exports by index, trap frames, linker options, store data, versions.
 *
 * Prints "all contract checks passed" and exits 0, or names each failed
 * check and exits 1. It prints nothing to stderr when every check passes,
 * so the harness can tell that the library printed nothing either.
 *
 * Usage: contract_test PATH/TO/hello.wasm EXPECTED_WASM_RUN_VERSION */
#define _POSIX_C_SOURCE 200809L
#include "wasm_run.h"
#include "checks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_trap(wr_error_t *err, wr_trap_code_t want, const char *what) {
  wr_trap_code_t code = WR_TRAP_CODE_OTHER;
  if (err == NULL || !wr_error_trap_code(err, &code) || code != want) {
    fprintf(stderr, "%s: expected trap %d, got %s\n", what, (int)want,
            err ? wr_error_message(err) : "success");
    failures++;
  }
  wr_error_delete(err);
}

static wr_engine_t *engine_with(const char *name, const char *feature) {
  wr_config_t *config = wr_config_new();
  if (feature) CHECK(ok(wr_config_set_feature(config, feature, true), feature));
  CHECK(ok(wr_config_set_fuel(config, true), "fuel on"));
  wr_engine_t *engine = NULL;
  ok(wr_engine_new(name, config, &engine), "engine");
  wr_config_delete(config);
  return engine;
}

static wr_module_t *compile(wr_engine_t *engine, const char *wat) {
  wr_module_t *module = NULL;
  ok(wr_module_new(engine, (const uint8_t *)wat, strlen(wat), &module), "compile");
  return module;
}

static wr_extern_t *export_of(wr_context_t *ctx, wr_instance_t *instance, const char *name) {
  wr_extern_t *item = NULL;
  ok(wr_instance_export(ctx, instance, name, &item), name);
  return item;
}

/* A store with fuel (a backstop: a check that fails must not spin forever),
 * and an instance of `module` with no imports. */
static wr_store_t *store_of(wr_engine_t *engine, wr_module_t *module, wr_instance_t **instance) {
  wr_store_t *store = NULL;
  if (!ok(wr_store_new(engine, NULL, NULL, &store), "store")) return NULL;
  CHECK(ok(wr_context_set_fuel(wr_store_context(store), 2000000000ull), "fuel"));
  wr_linker_t *linker = NULL;
  ok(wr_linker_new(engine, &linker), "linker");
  *instance = NULL;
  if (module) ok(wr_linker_instantiate(linker, store, module, instance), "instantiate");
  wr_linker_delete(linker);
  return store;
}

/* ---- 1. An interrupt requested while nothing runs. ---------------------- */

static const char *SPIN_WAT =
    "(module (func (export \"spin\") (loop br 0))"
    "  (func (export \"answer\") (result i32) i32.const 42))";

static void test_pending_interrupt(const char *name) {
  wr_engine_t *engine = engine_with(name, "interrupt");
  wr_module_t *module = compile(engine, SPIN_WAT);
  wr_instance_t *instance = NULL;
  wr_store_t *store = store_of(engine, module, &instance);
  wr_context_t *ctx = wr_store_context(store);
  wr_extern_t *spin = export_of(ctx, instance, "spin"), *answer = export_of(ctx, instance, "answer");
  wr_interrupt_t *handle = NULL;
  CHECK(ok(wr_store_interrupt_handle(store, &handle), "interrupt handle"));
  wr_val_t result;

  /* The watchdog fires before the guest starts: the guest is still stopped. */
  wr_interrupt(handle);
  expect_trap(wr_func_call(ctx, spin, NULL, 0, NULL, 0), WR_TRAP_CODE_INTERRUPT, "spin after an idle interrupt");
  /* The request is consumed: the next call runs. */
  if (ok(wr_func_call(ctx, answer, NULL, 0, &result, 1), "answer after it")) CHECK(result.of.i32 == 42);
  /* Two requests while idle stop one call. */
  wr_interrupt(handle);
  wr_interrupt(handle);
  expect_trap(wr_func_call(ctx, answer, NULL, 0, &result, 1), WR_TRAP_CODE_INTERRUPT, "after two requests");
  CHECK(ok(wr_func_call(ctx, answer, NULL, 0, &result, 1), "answer after two requests"));
  /* An instantiation is an entry into wasm too. */
  wr_interrupt(handle);
  wr_linker_t *linker = NULL;
  wr_instance_t *second = NULL;
  ok(wr_linker_new(engine, &linker), "linker");
  expect_trap(wr_linker_instantiate(linker, store, module, &second), WR_TRAP_CODE_INTERRUPT,
              "instantiate after an idle interrupt");
  if (ok(wr_linker_instantiate(linker, store, module, &second), "instantiate after it")) wr_instance_delete(second);
  /* A pending request can be dropped. */
  wr_interrupt(handle);
  CHECK(ok(wr_store_discard_interrupts(store), "discard"));
  if (ok(wr_func_call(ctx, answer, NULL, 0, &result, 1), "answer after discarding")) CHECK(result.of.i32 == 42);
  wr_linker_delete(linker);
  wr_interrupt_delete(handle);
  wr_extern_delete(spin);
  wr_extern_delete(answer);
  wr_instance_delete(instance);
  wr_store_delete(store);

  /* Without the feature: unsupported, not ignored. */
  wr_engine_t *plain = engine_with(name, NULL);
  wr_store_t *plain_store = NULL;
  ok(wr_store_new(plain, NULL, NULL, &plain_store), "store");
  expect_error(wr_store_interrupt_handle(plain_store, &handle), WR_ERROR_KIND_UNSUPPORTED, "handle without feature");
  expect_error(wr_store_discard_interrupts(plain_store), WR_ERROR_KIND_UNSUPPORTED, "discard without feature");
  wr_store_delete(plain_store);
  wr_engine_delete(plain);
  wr_module_delete(module);
  wr_engine_delete(engine);
}

/* ---- 2. Handles used with another store. -------------------------------- */

static const char *ITEMS_WAT =
    "(module (memory (export \"memory\") 1 10)\n"
    "  (global (export \"g\") (mut i32) (i32.const 7))\n"
    "  (table (export \"t\") 2 10 funcref)\n"
    "  (table (export \"refs\") 2 externref)\n"
    "  (global (export \"gref\") (mut externref) (ref.null extern))\n"
    "  (elem (table 0) (i32.const 0) func $f)\n"
    "  (func $f (export \"f\") (param i32) (result i32) local.get 0 i32.const 1 i32.add)\n"
    "  (func (export \"call_at\") (param i32 i32) (result i32)\n"
    "    local.get 1 local.get 0 call_indirect (param i32) (result i32))\n"
    "  (func (export \"is_null\") (param externref) (result i32) local.get 0 ref.is_null)\n"
    "  (func (export \"same\") (param externref) (result externref) local.get 0))\n";

static void test_wrong_store(const char *name) {
  wr_engine_t *engine = engine_with(name, NULL);
  wr_module_t *module = compile(engine, ITEMS_WAT);
  wr_instance_t *a_instance = NULL, *b_instance = NULL;
  wr_store_t *a = store_of(engine, module, &a_instance);
  wr_store_t *b = store_of(engine, module, &b_instance);
  wr_context_t *actx = wr_store_context(a), *bctx = wr_store_context(b);
  wr_extern_t *memory = export_of(actx, a_instance, "memory"), *g = export_of(actx, a_instance, "g"),
              *t = export_of(actx, a_instance, "t"), *f = export_of(actx, a_instance, "f");
  const wr_error_kind_t W = WR_ERROR_KIND_WRONG_STORE;
  wr_extern_t *item = NULL;
  uint8_t *data = NULL;
  size_t len = 0, index = 0;
  uint64_t n = 0;
  wr_val_t v = i32v(1), result;
  uint8_t byte = 0;
  /* The six that used to panic (and print a Rust panic message). */
  expect_error(wr_instance_export(bctx, a_instance, "memory", &item), W, "instance_export");
  expect_error(wr_memory_data(bctx, memory, &data, &len), W, "memory_data");
  expect_error(wr_memory_size(bctx, memory, &n), W, "memory_size");
  expect_error(wr_global_get(bctx, g, &v), W, "global_get");
  expect_error(wr_table_size(bctx, t, &n), W, "table_size");
  expect_error(wr_table_get(bctx, t, 0, &v), W, "table_get");
  /* Every other handle operation. */
  v = i32v(1);
  expect_error(wr_func_call(bctx, f, &v, 1, &result, 1), W, "func_call");
  expect_error(wr_memory_read(bctx, memory, 0, &byte, 1), W, "memory_read");
  expect_error(wr_memory_write(bctx, memory, 0, &byte, 1), W, "memory_write");
  expect_error(wr_memory_grow(bctx, memory, 1, NULL), W, "memory_grow");
  expect_error(wr_global_set(bctx, g, &v), W, "global_set");
  wr_val_t null_func;
  null_func.kind = WR_VALKIND_FUNCREF;
  null_func.of.ref_ = NULL;
  expect_error(wr_table_set(bctx, t, 0, &null_func), W, "table_set");
  expect_error(wr_table_grow(bctx, t, 1, &null_func, NULL), W, "table_grow");
  wr_externtype_t *ty = NULL;
  expect_error(wr_extern_type(bctx, memory, &ty), W, "extern_type");
  expect_error(wr_instance_export_nth(bctx, a_instance, 0, NULL, &item), W, "instance_export_nth");
  wr_linker_t *linker = NULL;
  ok(wr_linker_new(engine, &linker), "linker");
  expect_error(wr_linker_define(linker, b, "env", "m", memory), W, "linker_define");
  expect_error(wr_linker_define_instance(linker, b, "a", a_instance), W, "linker_define_instance");
  /* A function of store a as a funcref argument in store b. */
  wr_extern_t *b_t = export_of(bctx, b_instance, "t");
  wr_val_t fa;
  fa.kind = WR_VALKIND_FUNCREF;
  fa.of.ref_ = f;
  expect_error(wr_table_set(bctx, b_t, 0, &fa), W, "a funcref of another store");
  /* Nothing was changed, and both stores still work. */
  for (index = 0; index < 2; index++) {
    wr_context_t *ctx = index ? bctx : actx;
    wr_instance_t *instance = index ? b_instance : a_instance;
    wr_extern_t *own_f = export_of(ctx, instance, "f");
    v = i32v(41);
    if (ok(wr_func_call(ctx, own_f, &v, 1, &result, 1), "own store")) CHECK(result.of.i32 == 42);
    wr_extern_delete(own_f);
  }
  if (ok(wr_memory_size(actx, memory, &n), "size")) CHECK(n == 1);
  wr_linker_delete(linker);
  wr_extern_delete(b_t);
  wr_extern_delete(memory);
  wr_extern_delete(g);
  wr_extern_delete(t);
  wr_extern_delete(f);
  wr_instance_delete(a_instance);
  wr_instance_delete(b_instance);
  wr_store_delete(a);
  wr_store_delete(b);
  wr_module_delete(module);
  wr_engine_delete(engine);
}

/* ---- 3. Host data behind externref. ------------------------------------- */

static int finalized_refs = 0;
static void count_ref(void *data) { finalized_refs += *(int *)data; }

/* host.peek(externref) -> i32: the int behind the reference, -1 for null. */
static wr_error_t *peek_ref(void *env, wr_context_t *caller, const wr_val_t *args, size_t nargs,
                            wr_val_t *results, size_t nresults) {
  (void)env, (void)nargs, (void)nresults;
  if (args[0].kind != WR_VALKIND_EXTERNREF) return wr_error_new("not an externref");
  if (args[0].of.externref == NULL) {
    results[0].of.i32 = -1;
    return NULL;
  }
  void *data = NULL;
  wr_error_t *err = wr_externref_data(caller, args[0].of.externref, &data);
  if (err) return err;
  results[0].of.i32 = *(int *)data;
  return NULL;
}

static void test_externref(const char *name) {
  wr_engine_t *engine = engine_with(name, NULL);
  wr_module_t *module = compile(engine, ITEMS_WAT);
  wr_instance_t *instance = NULL;
  wr_store_t *store = store_of(engine, module, &instance);
  wr_context_t *ctx = wr_store_context(store);
  static int token = 1;
  wr_externref_t *ref = NULL;
  finalized_refs = 0;
  if (!ok(wr_externref_new(ctx, &token, count_ref, &ref), "externref_new")) return;
  wr_val_t arg, result;
  arg.kind = WR_VALKIND_EXTERNREF;
  arg.of.externref = ref;
  wr_extern_t *is_null = export_of(ctx, instance, "is_null"), *same = export_of(ctx, instance, "same");
  /* The guest sees a non-null reference (it used to see null). */
  if (ok(wr_func_call(ctx, is_null, &arg, 1, &result, 1), "is_null(ref)")) CHECK(result.of.i32 == 0);
  /* It comes back with the same host data. */
  if (ok(wr_func_call(ctx, same, &arg, 1, &result, 1), "same(ref)")) {
    CHECK(result.kind == WR_VALKIND_EXTERNREF && result.of.externref != NULL);
    void *data = NULL;
    if (ok(wr_externref_data(ctx, result.of.externref, &data), "data")) CHECK(data == &token);
    wr_externref_delete(result.of.externref);
  }
  /* Null stays null. */
  wr_val_t null_ref;
  null_ref.kind = WR_VALKIND_EXTERNREF;
  null_ref.of.externref = NULL;
  if (ok(wr_func_call(ctx, is_null, &null_ref, 1, &result, 1), "is_null(null)")) CHECK(result.of.i32 == 1);
  if (ok(wr_func_call(ctx, same, &null_ref, 1, &result, 1), "same(null)"))
    CHECK(result.kind == WR_VALKIND_EXTERNREF && result.of.externref == NULL);
  /* Through a global and a table. */
  wr_extern_t *gref = export_of(ctx, instance, "gref"), *refs = export_of(ctx, instance, "refs");
  wr_val_t got;
  CHECK(ok(wr_global_set(ctx, gref, &arg), "global set externref"));
  if (ok(wr_global_get(ctx, gref, &got), "global get externref")) {
    void *data = NULL;
    CHECK(got.of.externref != NULL && ok(wr_externref_data(ctx, got.of.externref, &data), "data") &&
          data == &token);
    wr_externref_delete(got.of.externref);
  }
  CHECK(ok(wr_table_set(ctx, refs, 1, &arg), "table set externref"));
  CHECK(ok(wr_table_grow(ctx, refs, 2, &arg, NULL), "table grow with externref"));
  if (ok(wr_table_get(ctx, refs, 3, &got), "table get externref")) {
    void *data = NULL;
    CHECK(got.of.externref != NULL && ok(wr_externref_data(ctx, got.of.externref, &data), "data") &&
          data == &token);
    wr_externref_delete(got.of.externref);
  }
  /* To a host callback, as a lent argument. */
  wr_linker_t *linker = NULL;
  ok(wr_linker_new(engine, &linker), "linker");
  wr_valkind_t params[1] = {WR_VALKIND_EXTERNREF}, results[1] = {WR_VALKIND_I32};
  CHECK(ok(wr_linker_define_func(linker, "host", "peek", params, 1, results, 1, peek_ref, NULL, NULL), "peek"));
  const char *caller_wat = "(module (import \"host\" \"peek\" (func $p (param externref) (result i32)))"
                           "  (func (export \"run\") (param externref) (result i32) local.get 0 call $p))";
  wr_module_t *caller_module = compile(engine, caller_wat);
  wr_instance_t *caller = NULL;
  if (ok(wr_linker_instantiate(linker, store, caller_module, &caller), "instantiate caller")) {
    wr_extern_t *run = export_of(ctx, caller, "run");
    if (ok(wr_func_call(ctx, run, &arg, 1, &result, 1), "run(ref)")) CHECK(result.of.i32 == 1);
    if (ok(wr_func_call(ctx, run, &null_ref, 1, &result, 1), "run(null)")) CHECK(result.of.i32 == -1);
    wr_extern_delete(run);
    wr_instance_delete(caller);
  }
  wr_linker_delete(linker);
  wr_module_delete(caller_module);
  /* Freeing the handle does not free the data; deleting the store does,
   * exactly once. */
  wr_externref_delete(ref);
  CHECK(finalized_refs == 0);
  wr_extern_delete(is_null);
  wr_extern_delete(same);
  wr_extern_delete(gref);
  wr_extern_delete(refs);
  wr_instance_delete(instance);
  wr_store_delete(store);
  CHECK(finalized_refs == 1);
  wr_module_delete(module);
  wr_engine_delete(engine);
}

/* ---- 4. Documented error kinds. ----------------------------------------- */

static int finalized_envs = 0;
static void count_env(void *env) { finalized_envs += *(int *)env; }

static wr_error_t *nothing(void *env, wr_context_t *caller, const wr_val_t *args, size_t nargs,
                           wr_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  return NULL;
}

static const char *EXIT_WAT =
    "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"_start\") i32.const 3 call $exit))\n";

static void test_error_kinds(const char *name, const char *hello_path) {
  /* Memory growth: past the declared maximum is ACCESS, past the config's
   * limit RESOURCE_LIMIT. */
  wr_engine_t *engine = NULL;
  if (!ok(wr_engine_new(name, NULL, &engine), "default engine")) return;
  bool limited = false;
  CHECK(ok(wr_engine_supports(engine, "limits", &limited), "supports limits"));
  wr_engine_delete(engine);
  engine = NULL;
  wr_config_t *config = wr_config_new();
  CHECK(ok(wr_config_set_limits(config, 2 * 65536, 0), "limits"));
  CHECK(ok(wr_config_set_fuel(config, true), "fuel on"));
  if (!limited) {
    /* A backend without limits refuses them, typed; the rest runs without. */
    expect_error(wr_engine_new(name, config, &engine), WR_ERROR_KIND_UNSUPPORTED, "limits where unsupported");
    wr_config_delete(config);
    config = wr_config_new();
    CHECK(ok(wr_config_set_fuel(config, true), "fuel on"));
  }
  if (!ok(wr_engine_new(name, config, &engine), "limited engine")) return;
  wr_config_delete(config);
  wr_module_t *module = compile(engine, ITEMS_WAT); /* memory 1 10 */
  wr_instance_t *instance = NULL;
  wr_store_t *store = store_of(engine, module, &instance);
  wr_context_t *ctx = wr_store_context(store);
  wr_extern_t *memory = export_of(ctx, instance, "memory");
  CHECK(ok(wr_memory_grow(ctx, memory, 1, NULL), "grow to the limit"));
  if (limited)
    expect_error(wr_memory_grow(ctx, memory, 1, NULL), WR_ERROR_KIND_RESOURCE_LIMIT, "grow past the limit");
  wr_extern_t *small = NULL;
  CHECK(ok(wr_memory_new(store, 1, 1, &small), "memory 1 1"));
  expect_error(wr_memory_grow(ctx, small, 1, NULL), WR_ERROR_KIND_ACCESS, "grow past the maximum");
  /* Tables: non-null funcrefs are accepted to set and grow. */
  wr_extern_t *t = export_of(ctx, instance, "t"), *f = export_of(ctx, instance, "f"),
              *call_at = export_of(ctx, instance, "call_at");
  wr_val_t fref;
  fref.kind = WR_VALKIND_FUNCREF;
  fref.of.ref_ = f;
  uint64_t previous = 0;
  CHECK(ok(wr_table_grow(ctx, t, 2, &fref, &previous), "table grow with a funcref"));
  CHECK(previous == 2);
  wr_val_t ca[2] = {i32v(3), i32v(9)}, result;
  if (ok(wr_func_call(ctx, call_at, ca, 2, &result, 1), "call a grown element")) CHECK(result.of.i32 == 10);
  expect_error(wr_table_grow(ctx, t, 100, &fref, NULL), WR_ERROR_KIND_ACCESS, "table past its maximum");
  /* Wrong value counts are TYPE; a bad index INVALID_ARGUMENT. */
  expect_error(wr_func_call(ctx, call_at, ca, 1, &result, 1), WR_ERROR_KIND_TYPE, "too few arguments");
  expect_error(wr_func_call(ctx, call_at, ca, 2, &result, 0), WR_ERROR_KIND_TYPE, "too few results");
  wr_extern_t *item = NULL;
  expect_error(wr_instance_export_nth(ctx, instance, 99, NULL, &item), WR_ERROR_KIND_INVALID_ARGUMENT,
               "export index");
  wr_extern_delete(t);
  wr_extern_delete(f);
  wr_extern_delete(call_at);
  wr_extern_delete(small);
  wr_extern_delete(memory);
  wr_instance_delete(instance);

  /* A failed definition calls the finaliser, once, before returning. */
  wr_linker_t *linker = NULL;
  ok(wr_linker_new(engine, &linker), "linker");
  static int one = 1;
  finalized_envs = 0;
  CHECK(ok(wr_linker_define_func(linker, "m", "f", NULL, 0, NULL, 0, nothing, &one, count_env), "define"));
  CHECK(finalized_envs == 0);
  expect_error(wr_linker_define_func(linker, "m", "f", NULL, 0, NULL, 0, nothing, &one, count_env),
               WR_ERROR_KIND_LINK, "duplicate");
  CHECK(finalized_envs == 1);
  wr_valkind_t bad = 200;
  expect_error(wr_linker_define_func(linker, "m", "g", &bad, 1, NULL, 0, nothing, &one, count_env),
               WR_ERROR_KIND_INVALID_ARGUMENT, "bad kind");
  CHECK(finalized_envs == 2);
  expect_error(wr_linker_define_func(linker, "m", "h", NULL, 0, NULL, 0, NULL, &one, count_env),
               WR_ERROR_KIND_INVALID_ARGUMENT, "NULL callback");
  CHECK(finalized_envs == 3);
  wr_extern_t *fn = NULL;
  expect_error(wr_func_new(ctx, &bad, 1, NULL, 0, nothing, &one, count_env, &fn), WR_ERROR_KIND_INVALID_ARGUMENT,
               "wr_func_new with a bad kind");
  CHECK(finalized_envs == 4);
  wr_linker_delete(linker);
  CHECK(finalized_envs == 5); /* the one that was defined */
  wr_store_delete(store);
  wr_module_delete(module);

  /* wr_wasi_run: imports nothing defines are LINK, from env or WASI alike. */
  const char *env_wat = "(module (import \"env\" \"f\" (func)) (memory (export \"memory\") 1)"
                        "  (func (export \"_start\")))";
  const char *wasi_wat = "(module (import \"wasi_snapshot_preview1\" \"nope\" (func))"
                         "  (memory (export \"memory\") 1) (func (export \"_start\")))";
  wr_wasi_config_t *wasi = wr_wasi_config_new();
  int code = -1;
  wr_module_t *m = compile(engine, env_wat);
  expect_error(wr_wasi_run(engine, m, wasi, 1000000, &code), WR_ERROR_KIND_LINK, "env import");
  wr_module_delete(m);
  m = compile(engine, wasi_wat);
  expect_error(wr_wasi_run(engine, m, wasi, 1000000, &code), WR_ERROR_KIND_LINK, "unknown WASI import");
  wr_module_delete(m);
  /* proc_exit through wr_wasi_run is the exit code, never EXIT. */
  m = compile(engine, EXIT_WAT);
  if (ok(wr_wasi_run(engine, m, wasi, 1000000, &code), "exit 3")) CHECK(code == 3);
  wr_module_delete(m);
  CHECK(ok(wr_wasi_config_preopen(wasi, "/no/such/dir/here", "/x", false), "preopen"));
  m = compile(engine, EXIT_WAT);
  expect_error(wr_wasi_run(engine, m, wasi, 1000000, &code), WR_ERROR_KIND_WASI, "missing preopen");
  wr_module_delete(m);
  wr_wasi_config_delete(wasi);

  /* Captured output accumulates over runs until cleared. */
  wasi = wr_wasi_config_new();
  CHECK(ok(wr_wasi_config_set_output(wasi, 1, WR_WASI_OUTPUT_CAPTURE), "capture"));
  wr_module_t *hello = NULL;
  if (ok(wr_module_from_file(engine, hello_path, &hello), "hello")) {
    const uint8_t *out = NULL;
    size_t len = 0;
    CHECK(ok(wr_wasi_run(engine, hello, wasi, 100000000, &code), "run 1"));
    CHECK(ok(wr_wasi_run(engine, hello, wasi, 100000000, &code), "run 2"));
    if (ok(wr_wasi_config_output(wasi, 1, &out, &len), "output")) CHECK(len == 28);
    CHECK(ok(wr_wasi_config_clear_output(wasi, 1), "clear"));
    if (ok(wr_wasi_config_output(wasi, 1, &out, &len), "output")) CHECK(len == 0);
    CHECK(ok(wr_wasi_run(engine, hello, wasi, 100000000, &code), "run 3"));
    if (ok(wr_wasi_config_output(wasi, 1, &out, &len), "output"))
      CHECK(len == 14 && memcmp(out, "Hello, world!\n", 14) == 0);
    CHECK(ok(wr_wasi_config_clear_output(wasi, 2), "clear an uncaptured stream"));
    expect_error(wr_wasi_config_clear_output(wasi, 0), WR_ERROR_KIND_INVALID_ARGUMENT, "stream 0");
    wr_module_delete(hello);
  }
  wr_wasi_config_delete(wasi);
  wr_engine_delete(engine);
}

/* ---- 5. Feature names. -------------------------------------------------- */

static void test_features(const char *name) {
  const char *const *names = NULL;
  size_t count = 0;
  if (!ok(wr_feature_names(&names, &count), "feature names")) return;
  CHECK(count == 36); /* Feature::ALL: 36 since execution */
  wr_engine_t *engine = engine_with(name, NULL);
  int saw_simd = 0, saw_fuel = 0;
  for (size_t i = 0; i < count; i++) {
    bool supported = false;
    wr_config_t *config = wr_config_new();
    CHECK(ok(wr_config_set_feature(config, names[i], false), names[i]));
    CHECK(ok(wr_engine_supports(engine, names[i], &supported), names[i]));
    wr_config_delete(config);
    saw_simd |= strcmp(names[i], "simd") == 0;
    saw_fuel |= strcmp(names[i], "fuel") == 0;
  }
  CHECK(saw_simd && saw_fuel);
  bool supported = false;
  expect_error(wr_engine_supports(engine, "no-such-feature", &supported), WR_ERROR_KIND_INVALID_ARGUMENT, "bad name");
  wr_engine_delete(engine);
}

/* ---- 6. What a wasmtime C API user reaches for. ------------------------- */

/* A reactor: _initialize sets a flag; greet() writes "hi\n" with fd_write
 * and returns the host's add(20, 22). */
static const char *REACTOR_WAT =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $write (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"env\" \"add\" (func $add (param i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (global $ready (mut i32) (i32.const 0))\n"
    "  (data (i32.const 100) \"hi\\n\")\n"
    "  (func (export \"_initialize\") i32.const 1 global.set $ready)\n"
    "  (func (export \"greet\") (result i32)\n"
    "    global.get $ready i32.eqz if unreachable end\n"
    "    (i32.store (i32.const 0) (i32.const 100))\n"
    "    (i32.store (i32.const 4) (i32.const 3))\n"
    "    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))\n"
    "    (i32.store (i32.const 200) (i32.const 0xabcd))\n"
    "    (call $add (i32.const 20) (i32.const 22))))\n";

static wr_error_t *host_add(void *env, wr_context_t *caller, const wr_val_t *args, size_t nargs,
                            wr_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)nargs, (void)nresults;
  results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
  return NULL;
}

static wr_error_t *host_inc(void *env, wr_context_t *caller, const wr_val_t *args, size_t nargs,
                            wr_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)nargs, (void)nresults;
  results[0].of.i32 = args[0].of.i32 + 1;
  return NULL;
}

static const char *UNKNOWN_WAT =
    "(module (import \"env\" \"missing\" (func $m (result i32)))\n"
    "  (import \"env\" \"also\" (func $a (param f64) (result f64 i64)))\n"
    "  (func (export \"call\") (result i32) call $m)\n"
    "  (func (export \"also\") (result f64) f64.const 1 call $a drop))\n";

static const char *FRAMES_WAT =
    "(module $frames\n"
    "  (func $inner (param i32) (result i32) local.get 0 i32.const 0 i32.div_s)\n"
    "  (func $outer (export \"outer\") (result i32) i32.const 1 call $inner))\n";

static int finalized_data = 0;
static void count_data(void *data) { finalized_data += *(int *)data; }

static void test_wasmtime_parity(const char *name, const char *version) {
  CHECK(strcmp(wr_version(), version) == 0);
  wr_engine_t *engine = engine_with(name, NULL);

  /* WASI in a linker of one's own, with a host function beside it: a
   * reactor, initialised, called, its output and memory inspected. */
  wr_module_t *reactor = compile(engine, REACTOR_WAT);
  wr_linker_t *linker = NULL;
  ok(wr_linker_new(engine, &linker), "linker");
  CHECK(ok(wr_linker_define_wasi(linker), "define wasi"));
  expect_error(wr_linker_define_wasi(linker), WR_ERROR_KIND_LINK, "wasi twice");
  wr_valkind_t ii[2] = {WR_VALKIND_I32, WR_VALKIND_I32};
  CHECK(ok(wr_linker_define_func(linker, "env", "add", ii, 2, ii, 1, host_add, NULL, NULL), "define add"));
  wr_store_t *store = NULL;
  ok(wr_store_new(engine, NULL, NULL, &store), "store");
  wr_context_t *ctx = wr_store_context(store);
  CHECK(ok(wr_context_set_fuel(ctx, 100000000), "fuel"));
  wr_instance_t *instance = NULL;
  expect_error(wr_linker_instantiate(linker, store, reactor, &instance), WR_ERROR_KIND_WASI,
               "a store without WASI");
  wr_wasi_config_t *wasi = wr_wasi_config_new();
  CHECK(ok(wr_wasi_config_set_output(wasi, 1, WR_WASI_OUTPUT_CAPTURE), "capture"));
  CHECK(ok(wr_store_set_wasi(store, wasi), "set wasi"));
  if (ok(wr_linker_instantiate(linker, store, reactor, &instance), "instantiate reactor")) {
    wr_extern_t *init = export_of(ctx, instance, "_initialize"), *greet = export_of(ctx, instance, "greet"),
                *memory = export_of(ctx, instance, "memory");
    wr_val_t result;
    CHECK(ok(wr_func_call(ctx, init, NULL, 0, NULL, 0), "_initialize"));
    if (ok(wr_func_call(ctx, greet, NULL, 0, &result, 1), "greet")) CHECK(result.of.i32 == 42);
    const uint8_t *out = NULL;
    size_t len = 0;
    if (ok(wr_wasi_config_output(wasi, 1, &out, &len), "output")) CHECK(len == 3 && memcmp(out, "hi\n", 3) == 0);
    uint8_t *data = NULL;
    if (ok(wr_memory_data(ctx, memory, &data, &len), "memory")) CHECK(data[200] == 0xcd && data[201] == 0xab);
    wr_extern_delete(init);
    wr_extern_delete(greet);
    wr_extern_delete(memory);
    wr_instance_delete(instance);
  }
  /* A command's proc_exit through wr_func_call is EXIT with its status. */
  wr_module_t *exiting = compile(engine, EXIT_WAT);
  if (ok(wr_linker_instantiate(linker, store, exiting, &instance), "instantiate command")) {
    wr_extern_t *start = export_of(ctx, instance, "_start");
    wr_error_t *err = wr_func_call(ctx, start, NULL, 0, NULL, 0);
    int status = -1;
    CHECK(err != NULL && wr_error_kind(err) == WR_ERROR_KIND_EXIT);
    CHECK(wr_error_exit_status(err, &status) && status == 3);
    wr_error_delete(err);
    wr_extern_delete(start);
    wr_instance_delete(instance);
  }
  wr_module_delete(exiting);
  wr_wasi_config_delete(wasi);
  wr_linker_delete(linker);
  wr_module_delete(reactor);

  /* A standalone host function, called directly and as a funcref. */
  wr_extern_t *add = NULL;
  static int one = 1;
  finalized_envs = 0;
  if (ok(wr_func_new(ctx, ii, 2, ii, 1, host_add, &one, count_env, &add), "func_new")) {
    wr_val_t args[2] = {i32v(40), i32v(2)}, result;
    if (ok(wr_func_call(ctx, add, args, 2, &result, 1), "call it")) CHECK(result.of.i32 == 42);
    wr_module_t *items = compile(engine, ITEMS_WAT);
    wr_instance_t *it = NULL;
    wr_linker_t *plain = NULL;
    ok(wr_linker_new(engine, &plain), "linker");
    if (ok(wr_linker_instantiate(plain, store, items, &it), "items")) {
      wr_extern_t *t = export_of(ctx, it, "t"), *call_at = export_of(ctx, it, "call_at");
      wr_val_t fref;
      fref.kind = WR_VALKIND_FUNCREF;
      fref.of.ref_ = add;
      /* call_indirect expects (param i32) (result i32): add has another type. */
      CHECK(ok(wr_table_set(ctx, t, 1, &fref), "host func into a table"));
      wr_val_t ca[2] = {i32v(1), i32v(5)};
      expect_trap(wr_func_call(ctx, call_at, ca, 2, &result, 1), WR_TRAP_CODE_BAD_SIGNATURE,
                  "call_indirect of another type");
      wr_valkind_t i[1] = {WR_VALKIND_I32};
      wr_extern_t *inc = NULL;
      if (ok(wr_func_new(ctx, i, 1, i, 1, host_inc, NULL, NULL, &inc), "func_new (i32) -> i32")) {
        fref.of.ref_ = inc;
        CHECK(ok(wr_table_set(ctx, t, 1, &fref), "host func into a table"));
        if (ok(wr_func_call(ctx, call_at, ca, 2, &result, 1), "call_indirect of a host func"))
          CHECK(result.of.i32 == 6);
        wr_externtype_t *ty = NULL;
        if (ok(wr_extern_type(ctx, inc, &ty), "type of a host func")) {
          const wr_valkind_t *kinds = NULL;
          size_t n = 0;
          CHECK(wr_externtype_kind(ty) == WR_EXTERN_KIND_FUNC);
          if (ok(wr_externtype_params(ty, &kinds, &n), "params")) CHECK(n == 1 && kinds[0] == WR_VALKIND_I32);
          wr_externtype_delete(ty);
        }
        wr_extern_delete(inc);
      }
      wr_extern_delete(t);
      wr_extern_delete(call_at);

      /* Types of live handles; exports by index. */
      size_t count = wr_instance_export_count(it);
      CHECK(count == wr_module_export_count(items));
      for (size_t k = 0; k < count; k++) {
        const char *export_name = NULL, *module_name = NULL;
        const wr_externtype_t *declared = NULL;
        wr_extern_t *item = NULL;
        CHECK(ok(wr_module_export(items, k, &module_name, &declared), "module export"));
        if (ok(wr_instance_export_nth(ctx, it, k, &export_name, &item), "export by index")) {
          CHECK(strcmp(export_name, module_name) == 0);
          CHECK(wr_extern_kind(item) == wr_externtype_kind(declared));
          wr_externtype_t *live = NULL;
          if (ok(wr_extern_type(ctx, item, &live), "extern type")) {
            CHECK(wr_externtype_kind(live) == wr_externtype_kind(declared));
            if (wr_externtype_kind(live) == WR_EXTERN_KIND_MEMORY) {
              uint64_t min = 0, max = 0;
              CHECK(ok(wr_memory_grow(ctx, item, 2, NULL), "grow"));
              wr_externtype_delete(live);
              live = NULL;
              CHECK(ok(wr_extern_type(ctx, item, &live), "type after grow"));
              CHECK(ok(wr_externtype_limits(live, &min, &max, NULL), "limits") && min == 3 && max == 10);
            }
            if (wr_externtype_kind(live) == WR_EXTERN_KIND_GLOBAL && strcmp(export_name, "g") == 0) {
              bool mutable_ = false;
              CHECK(ok(wr_externtype_limits(live, NULL, NULL, &mutable_), "mutability") && mutable_);
            }
            wr_externtype_delete(live);
          }
          wr_extern_delete(item);
        }
      }
      wr_instance_delete(it);
    }
    wr_linker_delete(plain);
    wr_module_delete(items);
    wr_extern_delete(add);
  }
  wr_externtype_delete(NULL);

  /* Linker options: shadowing, unknown imports as traps or zeros. */
  wr_module_t *unknown = compile(engine, UNKNOWN_WAT);
  ok(wr_linker_new(engine, &linker), "linker");
  CHECK(ok(wr_linker_define_func(linker, "m", "f", NULL, 0, NULL, 0, nothing, NULL, NULL), "define"));
  expect_error(wr_linker_define_func(linker, "m", "f", NULL, 0, NULL, 0, nothing, NULL, NULL), WR_ERROR_KIND_LINK,
               "without shadowing");
  CHECK(ok(wr_linker_allow_shadowing(linker, true), "allow shadowing"));
  CHECK(ok(wr_linker_define_func(linker, "m", "f", NULL, 0, NULL, 0, nothing, NULL, NULL), "shadow"));
  expect_error(wr_linker_instantiate(linker, store, unknown, &instance), WR_ERROR_KIND_LINK, "unknown imports");
  CHECK(ok(wr_linker_define_unknown_imports_as_traps(linker, unknown), "as traps"));
  if (ok(wr_linker_instantiate(linker, store, unknown, &instance), "instantiate with traps")) {
    wr_extern_t *call = export_of(ctx, instance, "call");
    wr_val_t result;
    expect_trap(wr_func_call(ctx, call, NULL, 0, &result, 1), WR_TRAP_CODE_UNREACHABLE, "a trap stub");
    wr_extern_delete(call);
    wr_instance_delete(instance);
  }
  wr_linker_delete(linker);
  ok(wr_linker_new(engine, &linker), "linker");
  CHECK(ok(wr_linker_define_unknown_imports_as_default_values(linker, unknown), "as zeros"));
  if (ok(wr_linker_instantiate(linker, store, unknown, &instance), "instantiate with zeros")) {
    wr_extern_t *call = export_of(ctx, instance, "call"), *also = export_of(ctx, instance, "also");
    wr_val_t result;
    if (ok(wr_func_call(ctx, call, NULL, 0, &result, 1), "a zero stub")) CHECK(result.of.i32 == 0);
    if (ok(wr_func_call(ctx, also, NULL, 0, &result, 1), "a zero stub (f64 i64)"))
      CHECK(result.kind == WR_VALKIND_F64 && result.of.f64 == 0.0);
    wr_extern_delete(call);
    wr_extern_delete(also);
    wr_instance_delete(instance);
  }
  wr_linker_delete(linker);
  wr_module_delete(unknown);

  /* Trap frames, where the engine records them. */
  wr_module_t *frames = compile(engine, FRAMES_WAT);
  ok(wr_linker_new(engine, &linker), "linker");
  if (ok(wr_linker_instantiate(linker, store, frames, &instance), "frames")) {
    wr_extern_t *outer = export_of(ctx, instance, "outer");
    wr_val_t result;
    wr_error_t *err = wr_func_call(ctx, outer, NULL, 0, &result, 1);
    CHECK(err != NULL && wr_error_kind(err) == WR_ERROR_KIND_TRAP);
    size_t n = wr_error_trap_frame_count(err);
    wr_frame_t frame;
    if (strcmp(name, "wasmtime") == 0) {
      CHECK(n == 2);
      if (wr_error_trap_frame(err, 0, &frame)) {
        CHECK(frame.func_index == 0);
        CHECK(frame.func_name != NULL && strcmp(frame.func_name, "inner") == 0);
        CHECK(frame.module_name != NULL && strcmp(frame.module_name, "frames") == 0);
        CHECK(frame.module_offset != SIZE_MAX && frame.func_offset != SIZE_MAX);
      } else {
        CHECK(!"frame 0");
      }
      if (wr_error_trap_frame(err, 1, &frame)) CHECK(frame.func_index == 1);
    } else {
      /* wasmi records no backtrace: documented as no frames. */
      CHECK(n == 0);
    }
    CHECK(!wr_error_trap_frame(err, n, &frame));
    CHECK(wr_error_trap_frame_count(NULL) == 0);
    wr_error_delete(err);
    wr_extern_delete(outer);
    wr_instance_delete(instance);
  }
  wr_linker_delete(linker);
  wr_module_delete(frames);

  /* Store data set after creation: the old finaliser runs at once, the new
   * one when the store goes. */
  static int first = 1, second = 10;
  finalized_data = 0;
  CHECK(ok(wr_context_set_data(ctx, &first, count_data), "set data"));
  CHECK(wr_context_data(ctx) == &first && finalized_data == 0);
  CHECK(ok(wr_context_set_data(ctx, &second, count_data), "replace data"));
  CHECK(wr_context_data(ctx) == &second && finalized_data == 1);
  wr_store_delete(store);
  CHECK(finalized_data == 11);
  CHECK(finalized_envs == 1); /* the standalone function's env, with its store */
  wr_engine_delete(engine);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s hello.wasm VERSION\n", argv[0]);
    return 2;
  }
  const char *const *names = NULL;
  size_t count = 0;
  if (!ok(wr_backends(&names, &count), "backends")) return 1;
  for (size_t i = 0; i < count; i++) {
    printf("== %s\n", names[i]);
    test_pending_interrupt(names[i]);
    test_wrong_store(names[i]);
    test_externref(names[i]);
    test_error_kinds(names[i], argv[1]);
    test_features(names[i]);
    test_wasmtime_parity(names[i], argv[2]);
  }
  if (failures) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("all contract checks passed on %zu backends\n", count);
  return 0;
}
