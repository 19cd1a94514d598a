/* The C API from C, on every backend of the library: compile a WAT module,
 * define a host callback that reads its caller's memory, call exports, read
 * and write memory, globals, a trap, running out of fuel, bad input, and the
 * bundled WASI hello program with captured stdout, deadlines, an interrupt
 * from another thread, and memories, globals and tables made by the host.
 * Every result is checked;
 * the program prints "all checks passed" and exits 0, or names the first
 * failed check and exits 1.
 *
 * Usage: capi_test PATH/TO/hello.wasm */
#define _POSIX_C_SOURCE 200809L
#include "wasm_run.h"
#include "checks.h"

#include <pthread.h>
#include <time.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *WAT =
    "(module\n"
    "  (import \"host\" \"add\" (func $add (param i32 i32) (result i32)))\n"
    "  (import \"host\" \"fail\" (func $fail))\n"
    "  (import \"host\" \"overflow\" (func $overflow (result i32)))\n"
    "  (memory (export \"memory\") 1 4)\n"
    "  (global (export \"counter\") (mut i32) (i32.const 5))\n"
    "  (func (export \"call_add\") (param i32 i32) (result i32)\n"
    "    local.get 0 local.get 1 call $add)\n"
    "  (func (export \"store\") (param i32 i32) local.get 0 local.get 1 i32.store)\n"
    "  (func (export \"div\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)\n"
    "  (func (export \"spin\") (loop br 0))\n"
    "  (func (export \"f64id\") (param f64) (result f64) local.get 0)\n"
    "  (func (export \"call_fail\") call $fail)\n"
    "  (func (export \"call_overflow\") (result i32) call $overflow))\n";

/* host.add(a, b) = a + b + the caller's memory byte 0. */
static wr_error_t *host_add(void *env, wr_context_t *caller, const wr_val_t *args,
                            size_t nargs, wr_val_t *results, size_t nresults) {
  int *calls = env;
  (*calls)++;
  if (nargs != 2 || nresults != 1) return wr_error_new("bad arity");
  wr_extern_t *memory = NULL;
  wr_error_t *err = wr_context_caller_export(caller, "memory", &memory);
  if (err) return err;
  uint8_t byte0 = 0;
  err = wr_memory_read(caller, memory, 0, &byte0, 1);
  wr_extern_delete(memory);
  if (err) return err;
  results[0].of.i32 = args[0].of.i32 + args[1].of.i32 + byte0;
  return NULL;
}

static wr_error_t *host_fail(void *env, wr_context_t *caller, const wr_val_t *args,
                             size_t nargs, wr_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  return wr_error_new("the host said no");
}

/* Writes two results where its type has one. */
static wr_error_t *host_overflow(void *env, wr_context_t *caller, const wr_val_t *args,
                                 size_t nargs, wr_val_t *results, size_t nresults) {
  (void)env, (void)caller, (void)args, (void)nargs;
  for (size_t i = 0; i < nresults + 1; i++) {
    results[i].kind = WR_VALKIND_I32;
    results[i].of.i32 = 7;
  }
  return NULL;
}

static int finalized = 0;
static void finalize(void *data) { finalized += *(int *)data; }

static void test_backend(const char *name, const char *hello_path) {
  printf("== %s\n", name);
  wr_config_t *config = wr_config_new();
  if (!ok(wr_config_set_fuel(config, true), "fuel")) return;
  wr_engine_t *engine = NULL;
  if (!ok(wr_engine_new(name, config, &engine), "engine")) return;
  wr_config_delete(config);
  CHECK(strcmp(wr_engine_name(engine), name) == 0);
  CHECK(strlen(wr_engine_version(engine)) > 0);
  bool fuel = false;
  if (ok(wr_engine_supports(engine, "fuel", &fuel), "supports")) CHECK(fuel);

  wr_module_t *module = NULL;
  if (!ok(wr_module_new(engine, (const uint8_t *)WAT, strlen(WAT), &module), "module")) return;
  CHECK(wr_module_import_count(module) == 3);
  CHECK(wr_module_export_count(module) == 9);
  const char *import_module = NULL, *import_name = NULL;
  const wr_externtype_t *ty = NULL;
  if (ok(wr_module_import(module, 0, &import_module, &import_name, &ty), "import 0")) {
    CHECK(strcmp(import_module, "host") == 0 && strcmp(import_name, "add") == 0);
    CHECK(wr_externtype_kind(ty) == WR_EXTERN_KIND_FUNC);
    const wr_valkind_t *kinds = NULL;
    size_t n = 0;
    if (ok(wr_externtype_params(ty, &kinds, &n), "params"))
      CHECK(n == 2 && kinds[0] == WR_VALKIND_I32 && kinds[1] == WR_VALKIND_I32);
  }
  const char *export_name = NULL;
  if (ok(wr_module_export(module, 0, &export_name, &ty), "export 0")) {
    CHECK(strcmp(export_name, "memory") == 0);
    CHECK(wr_externtype_kind(ty) == WR_EXTERN_KIND_MEMORY);
    uint64_t min = 0, max = 0;
    if (ok(wr_externtype_limits(ty, &min, &max, NULL), "limits")) CHECK(min == 1 && max == 4);
  }
  expect_error(wr_module_import(module, 99, NULL, NULL, NULL), WR_ERROR_KIND_INVALID_ARGUMENT,
               "import out of range");

  static int user_data = 100;
  wr_store_t *store = NULL;
  if (!ok(wr_store_new(engine, &user_data, finalize, &store), "store")) return;
  wr_context_t *ctx = wr_store_context(store);
  CHECK(wr_context_data(ctx) == &user_data);
  CHECK(ok(wr_context_set_fuel(ctx, 1000000), "set fuel"));
  uint64_t left = 0;
  if (ok(wr_context_get_fuel(ctx, &left), "get fuel")) CHECK(left == 1000000);

  wr_linker_t *linker = NULL;
  if (!ok(wr_linker_new(engine, &linker), "linker")) return;
  int calls = 0;
  wr_valkind_t ii[2] = {WR_VALKIND_I32, WR_VALKIND_I32};
  CHECK(ok(wr_linker_define_func(linker, "host", "add", ii, 2, ii, 1, host_add, &calls, NULL), "define add"));
  CHECK(ok(wr_linker_define_func(linker, "host", "fail", NULL, 0, NULL, 0, host_fail, NULL, NULL), "define fail"));
  CHECK(ok(wr_linker_define_func(linker, "host", "overflow", NULL, 0, ii, 1, host_overflow, NULL, NULL), "define overflow"));
  expect_error(wr_linker_define_func(linker, "host", "add", ii, 2, ii, 1, host_add, &calls, NULL),
               WR_ERROR_KIND_LINK, "duplicate definition");
  wr_valkind_t bad_kind = 42;
  expect_error(wr_linker_define_func(linker, "host", "bad", &bad_kind, 1, NULL, 0, host_fail, NULL, NULL),
               WR_ERROR_KIND_INVALID_ARGUMENT, "bad value kind");

  wr_instance_t *instance = NULL;
  if (!ok(wr_linker_instantiate(linker, store, module, &instance), "instantiate")) return;

  wr_extern_t *call_add = NULL, *memory = NULL, *counter = NULL, *div = NULL, *spin = NULL,
              *f64id = NULL, *store_fn = NULL, *call_fail = NULL, *call_overflow = NULL;
  CHECK(ok(wr_instance_export(ctx, instance, "call_add", &call_add), "call_add"));
  CHECK(ok(wr_instance_export(ctx, instance, "memory", &memory), "memory"));
  CHECK(ok(wr_instance_export(ctx, instance, "counter", &counter), "counter"));
  CHECK(ok(wr_instance_export(ctx, instance, "div", &div), "div"));
  CHECK(ok(wr_instance_export(ctx, instance, "spin", &spin), "spin"));
  CHECK(ok(wr_instance_export(ctx, instance, "f64id", &f64id), "f64id"));
  CHECK(ok(wr_instance_export(ctx, instance, "store", &store_fn), "store"));
  CHECK(ok(wr_instance_export(ctx, instance, "call_fail", &call_fail), "call_fail"));
  CHECK(ok(wr_instance_export(ctx, instance, "call_overflow", &call_overflow), "call_overflow"));
  expect_error(wr_instance_export(ctx, instance, "nope", &spin), WR_ERROR_KIND_INVALID_ARGUMENT, "missing export");
  CHECK(wr_extern_kind(memory) == WR_EXTERN_KIND_MEMORY);

  wr_error_t *err = NULL;
  /* A call through the host callback, which reads the caller's memory. */
  wr_val_t args[2] = {i32v(2), i32v(3)};
  wr_val_t result;
  if (ok(wr_func_call(ctx, call_add, args, 2, &result, 1), "call_add"))
    CHECK(result.kind == WR_VALKIND_I32 && result.of.i32 == 5);
  uint8_t ten = 10;
  CHECK(ok(wr_memory_write(ctx, memory, 0, &ten, 1), "memory write"));
  if (ok(wr_func_call(ctx, call_add, args, 2, &result, 1), "call_add again"))
    CHECK(result.of.i32 == 15);
  CHECK(calls == 2);

  /* Memory written by wasm, read through the data pointer. */
  wr_val_t sargs[2] = {i32v(16), i32v(0x01020304)};
  CHECK(ok(wr_func_call(ctx, store_fn, sargs, 2, NULL, 0), "store"));
  uint8_t *data = NULL;
  size_t len = 0;
  if (ok(wr_memory_data(ctx, memory, &data, &len), "memory data")) {
    CHECK(len == 65536);
    CHECK(data[16] == 4 && data[17] == 3 && data[18] == 2 && data[19] == 1);
  }
  uint64_t previous = 0, pages = 0;
  CHECK(ok(wr_memory_grow(ctx, memory, 1, &previous), "grow"));
  CHECK(previous == 1);
  if (ok(wr_memory_size(ctx, memory, &pages), "size")) CHECK(pages == 2);
  err = wr_memory_grow(ctx, memory, 10, NULL); /* past the maximum of 4 */
  CHECK(err != NULL);
  wr_error_delete(err);
  uint8_t byte = 0;
  expect_error(wr_memory_read(ctx, memory, 1 << 20, &byte, 1), WR_ERROR_KIND_ACCESS, "read out of bounds");

  /* Globals. */
  wr_val_t g;
  if (ok(wr_global_get(ctx, counter, &g), "global get")) CHECK(g.kind == WR_VALKIND_I32 && g.of.i32 == 5);
  wr_val_t nine = i32v(9);
  CHECK(ok(wr_global_set(ctx, counter, &nine), "global set"));
  if (ok(wr_global_get(ctx, counter, &g), "global get")) CHECK(g.of.i32 == 9);
  wr_val_t wrong;
  wrong.kind = WR_VALKIND_F64;
  wrong.of.f64 = 1.5;
  expect_error(wr_global_set(ctx, counter, &wrong), WR_ERROR_KIND_TYPE, "global of the wrong type");

  /* Floats keep their bits. */
  wr_val_t x;
  x.kind = WR_VALKIND_F64;
  x.of.f64 = -2.25;
  if (ok(wr_func_call(ctx, f64id, &x, 1, &result, 1), "f64id"))
    CHECK(result.kind == WR_VALKIND_F64 && result.of.f64 == -2.25);

  /* A trap, with its code. */
  wr_val_t dargs[2] = {i32v(1), i32v(0)};
  err = wr_func_call(ctx, div, dargs, 2, &result, 1);
  wr_trap_code_t code;
  CHECK(err != NULL && wr_error_kind(err) == WR_ERROR_KIND_TRAP);
  CHECK(wr_error_trap_code(err, &code) && code == WR_TRAP_CODE_INTEGER_DIVISION_BY_ZERO);
  wr_error_delete(err);

  /* Out of fuel. */
  err = wr_func_call(ctx, spin, NULL, 0, NULL, 0);
  CHECK(err != NULL && wr_error_trap_code(err, &code) && code == WR_TRAP_CODE_OUT_OF_FUEL);
  wr_error_delete(err);
  CHECK(ok(wr_context_set_fuel(ctx, 1000000), "refuel"));

  /* Bad input: arity, types, callbacks that fail or overflow. */
  expect_error(wr_func_call(ctx, call_add, args, 1, &result, 1), WR_ERROR_KIND_TYPE, "too few arguments");
  expect_error(wr_func_call(ctx, call_add, &x, 1, &result, 1), WR_ERROR_KIND_TYPE, "wrong argument type");
  expect_error(wr_func_call(ctx, memory, NULL, 0, NULL, 0), WR_ERROR_KIND_TYPE, "calling a memory");
  expect_error(wr_func_call(NULL, call_add, args, 2, &result, 1), WR_ERROR_KIND_INVALID_ARGUMENT, "NULL context");
  err = wr_func_call(ctx, call_fail, NULL, 0, NULL, 0);
  CHECK(err != NULL && wr_error_kind(err) == WR_ERROR_KIND_HOST);
  CHECK(err != NULL && strstr(wr_error_message(err), "the host said no") != NULL);
  wr_error_delete(err);
  err = wr_func_call(ctx, call_overflow, NULL, 0, &result, 1);
  CHECK(err != NULL && strstr(wr_error_message(err), "more results") != NULL);
  wr_error_delete(err);
  /* The store is still usable after all that. */
  if (ok(wr_func_call(ctx, call_add, args, 2, &result, 1), "call after errors")) CHECK(result.of.i32 == 15);

  wr_extern_delete(call_add);
  wr_extern_delete(memory);
  wr_extern_delete(counter);
  wr_extern_delete(div);
  wr_extern_delete(spin);
  wr_extern_delete(f64id);
  wr_extern_delete(store_fn);
  wr_extern_delete(call_fail);
  wr_extern_delete(call_overflow);
  wr_instance_delete(instance);
  wr_linker_delete(linker);
  int before = finalized;
  wr_store_delete(store);
  CHECK(finalized == before + 100);
  wr_module_delete(module);

  /* Malformed modules. */
  const uint8_t junk[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xff};
  expect_error(wr_module_new(engine, junk, sizeof junk, &module), WR_ERROR_KIND_COMPILE, "malformed module");
  expect_error(wr_module_validate(engine, junk, sizeof junk), WR_ERROR_KIND_COMPILE, "validate junk");
  CHECK(ok(wr_module_validate(engine, (const uint8_t *)WAT, strlen(WAT)), "validate"));

  /* WASI: the bundled hello program, stdout captured. */
  wr_module_t *hello = NULL;
  if (ok(wr_module_from_file(engine, hello_path, &hello), "hello")) {
    wr_wasi_config_t *wasi = wr_wasi_config_new();
    CHECK(ok(wr_wasi_config_arg(wasi, "hello"), "arg"));
    CHECK(ok(wr_wasi_config_set_output(wasi, 1, WR_WASI_OUTPUT_CAPTURE), "capture stdout"));
    CHECK(ok(wr_wasi_config_set_output(wasi, 2, WR_WASI_OUTPUT_CAPTURE), "capture stderr"));
    int exit_code = -1;
    if (ok(wr_wasi_run(engine, hello, wasi, 100000000, &exit_code), "wasi run")) {
      CHECK(exit_code == 0);
      const uint8_t *out = NULL;
      size_t out_len = 0;
      if (ok(wr_wasi_config_output(wasi, 1, &out, &out_len), "stdout"))
        CHECK(out_len == 14 && memcmp(out, "Hello, world!\n", 14) == 0);
      if (ok(wr_wasi_config_output(wasi, 2, &out, &out_len), "stderr"))
        CHECK(out_len == 15 && memcmp(out, "Hello, stderr!\n", 15) == 0);
    }
    expect_error(wr_wasi_config_set_output(wasi, 3, WR_WASI_OUTPUT_CAPTURE), WR_ERROR_KIND_INVALID_ARGUMENT,
                 "stream 3");
    expect_error(wr_wasi_config_set_output(wasi, 1, 9), WR_ERROR_KIND_INVALID_ARGUMENT, "output kind 9");
    wr_wasi_config_delete(wasi);
    wr_module_delete(hello);
  }
  wr_engine_delete(engine);
}

struct interrupter {
  wr_interrupt_t *handle;
};

static void *interrupt_later(void *arg) {
  struct interrupter *it = arg;
  struct timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, NULL);
  wr_interrupt(it->handle);
  return NULL;
}

static const char *IMPORTS_WAT =
    "(module (import \"env\" \"mem\" (memory 1))\n"
    "  (import \"env\" \"g\" (global (mut i32)))\n"
    "  (import \"env\" \"t\" (table 2 funcref))\n"
    "  (func (export \"peek\") (result i32) (i32.add (i32.load8_u (i32.const 0)) (global.get 0)))\n"
    "  (func (export \"tsize\") (result i32) table.size 0)\n"
    "  (func (export \"spin\") (loop br 0))\n"
    "  (table $tab (export \"tab\") 2 funcref)\n"
    "  (elem (table $tab) (i32.const 0) func $inc)\n"
    "  (func $inc (export \"inc\") (param i32) (result i32) local.get 0 i32.const 1 i32.add)\n"
    "  (func (export \"call_at\") (param i32 i32) (result i32)\n"
    "    local.get 1 local.get 0 call_indirect $tab (param i32) (result i32))\n"
    "  (func (export \"get_inc\") (result funcref) ref.func $inc))\n";

/* Deadlines, an interrupt from another thread, and host-made imports. */
static void test_control(const char *name) {
  wr_config_t *config = wr_config_new();
  CHECK(ok(wr_config_set_feature(config, "deadline", true), "deadline on"));
  CHECK(ok(wr_config_set_feature(config, "interrupt", true), "interrupt on"));
  wr_engine_t *engine = NULL;
  if (!ok(wr_engine_new(name, config, &engine), "engine with stops")) return;
  wr_config_delete(config);
  wr_module_t *module = NULL;
  if (!ok(wr_module_new(engine, (const uint8_t *)IMPORTS_WAT, strlen(IMPORTS_WAT), &module), "imports module"))
    return;
  wr_store_t *store = NULL;
  if (!ok(wr_store_new(engine, NULL, NULL, &store), "store")) return;
  wr_context_t *ctx = wr_store_context(store);
  wr_extern_t *mem = NULL, *g = NULL, *t = NULL;
  wr_val_t init = i32v(35);
  CHECK(ok(wr_memory_new(store, 1, UINT64_MAX, &mem), "memory new"));
  CHECK(ok(wr_global_new(store, &init, true, &g), "global new"));
  CHECK(ok(wr_table_new(store, WR_VALKIND_FUNCREF, 2, 10, &t), "table new"));
  expect_error(wr_table_new(store, WR_VALKIND_I32, 2, 10, &t), WR_ERROR_KIND_INVALID_ARGUMENT, "table of i32");
  uint8_t seven = 7;
  CHECK(ok(wr_memory_write(ctx, mem, 0, &seven, 1), "write host memory"));
  wr_linker_t *linker = NULL;
  if (!ok(wr_linker_new(engine, &linker), "linker")) return;
  CHECK(ok(wr_linker_define(linker, store, "env", "mem", mem), "define mem"));
  CHECK(ok(wr_linker_define(linker, store, "env", "g", g), "define g"));
  CHECK(ok(wr_linker_define(linker, store, "env", "t", t), "define t"));
  wr_instance_t *instance = NULL;
  if (!ok(wr_linker_instantiate(linker, store, module, &instance), "instantiate with host items")) return;
  wr_extern_t *peek = NULL, *tsize = NULL, *spin = NULL;
  CHECK(ok(wr_instance_export(ctx, instance, "peek", &peek), "peek"));
  CHECK(ok(wr_instance_export(ctx, instance, "tsize", &tsize), "tsize"));
  CHECK(ok(wr_instance_export(ctx, instance, "spin", &spin), "spin"));
  wr_val_t result;
  if (ok(wr_func_call(ctx, peek, NULL, 0, &result, 1), "peek")) CHECK(result.of.i32 == 42);
  if (ok(wr_func_call(ctx, tsize, NULL, 0, &result, 1), "tsize")) CHECK(result.of.i32 == 2);

  /* Function references: out of a table, called, put back, returned. */
  wr_extern_t *tab = NULL, *call_at = NULL, *get_inc = NULL;
  CHECK(ok(wr_instance_export(ctx, instance, "tab", &tab), "tab"));
  CHECK(ok(wr_instance_export(ctx, instance, "call_at", &call_at), "call_at"));
  CHECK(ok(wr_instance_export(ctx, instance, "get_inc", &get_inc), "get_inc"));
  wr_val_t f;
  if (ok(wr_table_get(ctx, tab, 0, &f), "table get")) {
    CHECK(f.kind == WR_VALKIND_FUNCREF && f.of.ref_ != NULL);
    wr_val_t a = i32v(41);
    if (ok(wr_func_call(ctx, f.of.ref_, &a, 1, &result, 1), "call a funcref")) CHECK(result.of.i32 == 42);
    CHECK(ok(wr_table_set(ctx, tab, 1, &f), "table set"));
    wr_val_t ca[2] = {i32v(1), i32v(9)};
    if (ok(wr_func_call(ctx, call_at, ca, 2, &result, 1), "call_indirect")) CHECK(result.of.i32 == 10);
    wr_extern_delete(f.of.ref_);
  }
  if (ok(wr_func_call(ctx, get_inc, NULL, 0, &result, 1), "get_inc")) {
    CHECK(result.kind == WR_VALKIND_FUNCREF && result.of.ref_ != NULL);
    wr_extern_delete(result.of.ref_);
  }
  wr_val_t not_a_func;
  not_a_func.kind = WR_VALKIND_FUNCREF;
  not_a_func.of.ref_ = mem;
  expect_error(wr_table_set(ctx, tab, 1, &not_a_func), WR_ERROR_KIND_TYPE, "a memory as a funcref");
  wr_extern_delete(tab);
  wr_extern_delete(call_at);
  wr_extern_delete(get_inc);

  /* A deadline stops an endless loop. */
  wr_trap_code_t code;
  CHECK(ok(wr_store_set_deadline(store, 50), "deadline"));
  wr_error_t *err = wr_func_call(ctx, spin, NULL, 0, NULL, 0);
  CHECK(err != NULL && wr_error_trap_code(err, &code) && code == WR_TRAP_CODE_DEADLINE);
  wr_error_delete(err);
  CHECK(ok(wr_store_set_deadline(store, 0), "no deadline"));

  /* An interrupt from another thread stops it too. */
  struct interrupter it = {NULL};
  if (ok(wr_store_interrupt_handle(store, &it.handle), "interrupt handle")) {
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, interrupt_later, &it) == 0);
    err = wr_func_call(ctx, spin, NULL, 0, NULL, 0);
    CHECK(err != NULL && wr_error_trap_code(err, &code) && code == WR_TRAP_CODE_INTERRUPT);
    wr_error_delete(err);
    pthread_join(thread, NULL);
    wr_interrupt_delete(it.handle);
  }
  wr_extern_delete(peek);
  wr_extern_delete(tsize);
  wr_extern_delete(spin);
  wr_extern_delete(mem);
  wr_extern_delete(g);
  wr_extern_delete(t);
  wr_instance_delete(instance);
  wr_linker_delete(linker);
  wr_store_delete(store);
  wr_module_delete(module);
  wr_engine_delete(engine);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s hello.wasm\n", argv[0]);
    return 2;
  }
  const char *const *names = NULL;
  size_t count = 0;
  if (!ok(wr_backends(&names, &count), "backends")) return 1;
  CHECK(count >= 1);
  for (size_t i = 0; i < count; i++) {
    test_backend(names[i], argv[1]);
    test_control(names[i]);
  }

  /* Bad input that needs no engine. */
  wr_engine_t *engine = NULL;
  expect_error(wr_engine_new("no-such-engine", NULL, &engine), WR_ERROR_KIND_INVALID_ARGUMENT, "unknown engine");
  expect_error(wr_engine_new("\xff\xfe", NULL, &engine), WR_ERROR_KIND_INVALID_ARGUMENT, "invalid UTF-8");
  expect_error(wr_engine_new(NULL, NULL, &engine), WR_ERROR_KIND_INVALID_ARGUMENT, "NULL name");
  expect_error(wr_engine_new(names[0], NULL, NULL), WR_ERROR_KIND_INVALID_ARGUMENT, "NULL out");
  wr_config_t *config = wr_config_new();
  expect_error(wr_config_set_feature(config, "no-such-feature", true), WR_ERROR_KIND_INVALID_ARGUMENT,
               "unknown feature");
  wr_config_delete(config);
  wr_error_delete(NULL);
  wr_engine_delete(NULL);

  if (failures) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("all checks passed on %zu backends\n", count);
  return 0;
}
