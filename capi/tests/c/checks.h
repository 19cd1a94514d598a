/* The checking helpers of the C test programs: CHECK counts a failed
 * condition, ok() and expect_error() judge a wr_error_t * and free it,
 * i32v() makes an i32 value. Each failure is printed to stderr; the
 * program reports `failures` at the end. */
#ifndef WR_TEST_CHECKS_H
#define WR_TEST_CHECKS_H

#include "wasm_run.h"

#include <stdint.h>
#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

/* Fails the check if `err` is an error, printing its message; frees it. */
static inline int ok(wr_error_t *err, const char *what) {
  if (err == NULL) return 1;
  fprintf(stderr, "%s failed: %s\n", what, wr_error_message(err));
  wr_error_delete(err);
  failures++;
  return 0;
}

/* Expects an error of `kind`; frees it. */
static inline void expect_error(wr_error_t *err, wr_error_kind_t kind, const char *what) {
  if (err == NULL) {
    fprintf(stderr, "%s: expected error kind %d, got success\n", what, (int)kind);
    failures++;
    return;
  }
  if (wr_error_kind(err) != kind) {
    fprintf(stderr, "%s: error kind %d, expected %d: %s\n", what, (int)wr_error_kind(err), (int)kind,
            wr_error_message(err));
    failures++;
  }
  wr_error_delete(err);
}

static inline wr_val_t i32v(int32_t x) {
  wr_val_t v;
  v.kind = WR_VALKIND_I32;
  v.of.i32 = x;
  return v;
}

#endif
