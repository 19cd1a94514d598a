"""The C API from Python with only the standard library's ctypes: compile a
WAT module, define a host callback, call an export, catch a trap, on every
backend of the shared library given as argv[1]. Prints "python: ok"."""
import ctypes as C
import sys

lib = C.CDLL(sys.argv[1])

class Val(C.Structure):
    class Of(C.Union):
        _fields_ = [("i32", C.c_int32), ("i64", C.c_int64), ("f32", C.c_float),
                    ("f64", C.c_double), ("v128", C.c_uint8 * 16)]
    _fields_ = [("kind", C.c_uint8), ("of", Of)]

I32, TRAP, DIV_BY_ZERO = 0, 3, 7  # WR_VALKIND_I32, WR_ERROR_KIND_TRAP, ...
P = C.c_void_p
CALLBACK = C.CFUNCTYPE(P, P, P, C.POINTER(Val), C.c_size_t, C.POINTER(Val), C.c_size_t)
for name, res, args in [
    ("wr_backends", P, [C.POINTER(C.POINTER(C.c_char_p)), C.POINTER(C.c_size_t)]),
    ("wr_engine_new", P, [C.c_char_p, P, C.POINTER(P)]),
    ("wr_module_new", P, [P, C.c_char_p, C.c_size_t, C.POINTER(P)]),
    ("wr_store_new", P, [P, P, P, C.POINTER(P)]),
    ("wr_store_context", P, [P]),
    ("wr_linker_new", P, [P, C.POINTER(P)]),
    ("wr_linker_define_func", P, [P, C.c_char_p, C.c_char_p, C.POINTER(C.c_uint8), C.c_size_t,
                                  C.POINTER(C.c_uint8), C.c_size_t, CALLBACK, P, P]),
    ("wr_linker_instantiate", P, [P, P, P, C.POINTER(P)]),
    ("wr_instance_export", P, [P, P, C.c_char_p, C.POINTER(P)]),
    ("wr_func_call", P, [P, P, C.POINTER(Val), C.c_size_t, C.POINTER(Val), C.c_size_t]),
    ("wr_error_kind", C.c_int, [P]),
    ("wr_error_message", C.c_char_p, [P]),
    ("wr_error_trap_code", C.c_bool, [P, C.POINTER(C.c_int)]),
    ("wr_error_delete", None, [P]),
]:
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args

def check(err):
    if err:
        raise RuntimeError(lib.wr_error_message(err).decode())

WAT = b"""(module (import "py" "triple" (func $t (param i32) (result i32)))
  (func (export "f") (param i32) (result i32) local.get 0 call $t i32.const 1 i32.add)
  (func (export "div") (param i32) (result i32) i32.const 1 local.get 0 i32.div_s))"""

@CALLBACK
def triple(env, caller, args, nargs, results, nresults):
    results[0].of.i32 = args[0].of.i32 * 3
    return None

names, count = C.POINTER(C.c_char_p)(), C.c_size_t()
check(lib.wr_backends(C.byref(names), C.byref(count)))
for i in range(count.value):
    name = names[i]
    engine, module, store, linker, inst, f, div = (P() for _ in range(7))
    check(lib.wr_engine_new(name, None, C.byref(engine)))
    check(lib.wr_module_new(engine, WAT, len(WAT), C.byref(module)))
    check(lib.wr_store_new(engine, None, None, C.byref(store)))
    ctx = lib.wr_store_context(store)
    check(lib.wr_linker_new(engine, C.byref(linker)))
    kinds = (C.c_uint8 * 1)(I32)
    check(lib.wr_linker_define_func(linker, b"py", b"triple", kinds, 1, kinds, 1, triple, None, None))
    check(lib.wr_linker_instantiate(linker, store, module, C.byref(inst)))
    check(lib.wr_instance_export(ctx, inst, b"f", C.byref(f)))
    arg, out = Val(kind=I32), Val()
    arg.of.i32 = 14
    check(lib.wr_func_call(ctx, f, C.byref(arg), 1, C.byref(out), 1))
    assert (out.kind, out.of.i32) == (I32, 43), (name, out.of.i32)
    check(lib.wr_instance_export(ctx, inst, b"div", C.byref(div)))
    arg.of.i32 = 0
    err = lib.wr_func_call(ctx, div, C.byref(arg), 1, C.byref(out), 1)
    code = C.c_int(-1)
    assert err and lib.wr_error_kind(err) == TRAP and lib.wr_error_trap_code(err, C.byref(code))
    assert code.value == DIV_BY_ZERO, code.value
    lib.wr_error_delete(err)
    print(f"python: {name.decode()} ok")
print("python: ok")
