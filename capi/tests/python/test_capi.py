"""The C API from Python with only the standard library's ctypes: compile a
WAT module, define a host callback, call an export, catch a trap; then the
contract points a binding relies on: an interrupt requested while nothing
runs stops the next call, a handle of another store is WRONG_STORE (never a
panic), host data behind externref survives a round trip and is finalised
once, WASI in a linker of one's own with proc_exit as EXIT, standalone host
functions, exports by index, trap frames, store data, versions and feature
names; and the documented error kinds (memory growth past a limit or a
maximum, imports nothing defines from `wr_wasi_run`, a failed definition's
finaliser, captured output cleared, unknown imports as traps, shadowing,
live types, non-null funcrefs in tables). On every backend of the shared
library given as argv[1] (argv[2]: the expected wasm-run version). Prints
"python: ok"."""
import ctypes as C
import sys

lib = C.CDLL(sys.argv[1])

class Val(C.Structure):
    class Of(C.Union):
        _fields_ = [("i32", C.c_int32), ("i64", C.c_int64), ("f32", C.c_float),
                    ("f64", C.c_double), ("v128", C.c_uint8 * 16), ("ref", C.c_void_p)]
    _fields_ = [("kind", C.c_uint8), ("of", Of)]

class Frame(C.Structure):
    _fields_ = [("func_index", C.c_uint32), ("func_name", C.c_char_p),
                ("module_name", C.c_char_p), ("module_offset", C.c_size_t),
                ("func_offset", C.c_size_t)]

# WR_VALKIND_*, WR_ERROR_KIND_*, WR_TRAP_CODE_* (in the header's order).
I32, EXTERNREF = 0, 6
INVALID, LINK, TRAP, EXIT, UNSUPPORTED, RESOURCE_LIMIT = 0, 2, 3, 4, 5, 6
WRONG_STORE, ACCESS, WASI = 9, 10, 12
UNREACHABLE = 0
FUNCREF, MEMORY_KIND, CAPTURE = 5, 1, 2
DIV_BY_ZERO, INTERRUPT = 7, 12
P = C.c_void_p
CALLBACK = C.CFUNCTYPE(P, P, P, C.POINTER(Val), C.c_size_t, C.POINTER(Val), C.c_size_t)
FINALIZER = C.CFUNCTYPE(None, P)
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
    ("wr_error_exit_status", C.c_bool, [P, C.POINTER(C.c_int32)]),
    ("wr_error_trap_frame_count", C.c_size_t, [P]),
    ("wr_error_trap_frame", C.c_bool, [P, C.c_size_t, C.POINTER(Frame)]),
    ("wr_config_new", P, []),
    ("wr_config_set_feature", P, [P, C.c_char_p, C.c_bool]),
    ("wr_config_delete", None, [P]),
    ("wr_store_interrupt_handle", P, [P, C.POINTER(P)]),
    ("wr_interrupt", None, [P]),
    ("wr_interrupt_delete", None, [P]),
    ("wr_memory_size", P, [P, P, C.POINTER(C.c_uint64)]),
    ("wr_externref_new", P, [P, P, FINALIZER, C.POINTER(P)]),
    ("wr_externref_data", P, [P, P, C.POINTER(P)]),
    ("wr_externref_delete", None, [P]),
    ("wr_store_delete", None, [P]),
    ("wr_extern_delete", None, [P]),
    ("wr_instance_export_count", C.c_size_t, [P]),
    ("wr_instance_export_nth", P, [P, P, C.c_size_t, C.POINTER(C.c_char_p), C.POINTER(P)]),
    ("wr_func_new", P, [P, C.POINTER(C.c_uint8), C.c_size_t, C.POINTER(C.c_uint8), C.c_size_t,
                        CALLBACK, P, P, C.POINTER(P)]),
    ("wr_linker_define_wasi", P, [P]),
    ("wr_store_set_wasi", P, [P, P]),
    ("wr_wasi_config_new", P, []),
    ("wr_wasi_config_delete", None, [P]),
    ("wr_context_set_data", P, [P, P, FINALIZER]),
    ("wr_context_data", P, [P]),
    ("wr_version", C.c_char_p, []),
    ("wr_feature_names", P, [C.POINTER(C.POINTER(C.c_char_p)), C.POINTER(C.c_size_t)]),
    ("wr_config_set_limits", P, [P, C.c_size_t, C.c_size_t]),
    ("wr_memory_new", P, [P, C.c_uint64, C.c_uint64, C.POINTER(P)]),
    ("wr_memory_grow", P, [P, P, C.c_uint64, P]),
    ("wr_table_new", P, [P, C.c_uint8, C.c_uint64, C.c_uint64, C.POINTER(P)]),
    ("wr_table_set", P, [P, P, C.c_uint64, C.POINTER(Val)]),
    ("wr_table_get", P, [P, P, C.c_uint64, C.POINTER(Val)]),
    ("wr_extern_type", P, [P, P, C.POINTER(P)]),
    ("wr_externtype_kind", C.c_int, [P]),
    ("wr_externtype_limits", P, [P, C.POINTER(C.c_uint64), C.POINTER(C.c_uint64), P]),
    ("wr_externtype_delete", None, [P]),
    ("wr_linker_allow_shadowing", P, [P, C.c_bool]),
    ("wr_linker_define_unknown_imports_as_traps", P, [P, P]),
    ("wr_wasi_run", P, [P, P, P, C.c_uint64, C.POINTER(C.c_int32)]),
    ("wr_wasi_config_set_output", P, [P, C.c_int32, C.c_uint8]),
    ("wr_wasi_config_output", P, [P, C.c_int32, C.POINTER(C.POINTER(C.c_uint8)), C.POINTER(C.c_size_t)]),
    ("wr_wasi_config_clear_output", P, [P, C.c_int32]),
]:
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args

def check(err):
    if err:
        raise RuntimeError(lib.wr_error_message(err).decode())

def kind_of(err):
    """The kind of an error (None for success); frees it."""
    if not err:
        return None
    kind = lib.wr_error_kind(err)
    lib.wr_error_delete(err)
    return kind

def trap_of(err):
    """The trap code of an error (None if it is not a trap); frees it."""
    code = C.c_int(-1)
    trapped = bool(err) and lib.wr_error_trap_code(err, C.byref(code))
    if err:
        lib.wr_error_delete(err)
    return code.value if trapped else None

finalised = []

@FINALIZER
def finalise(data):
    finalised.append(data)

CONTRACT = b"""(module $py
  (memory (export "memory") 1)
  (func (export "spin") (loop br 0))
  (func (export "answer") (result i32) i32.const 42)
  (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null)
  (func (export "same") (param externref) (result externref) local.get 0)
  (func $inner (result i32) i32.const 1 i32.const 0 i32.div_s)
  (func (export "outer") (result i32) call $inner))"""
EXITING = b"""(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1) (func (export "_start") i32.const 5 call $exit))"""

def instantiate(engine, store, wat):
    module, linker, inst = P(), P(), P()
    check(lib.wr_module_new(engine, wat, len(wat), C.byref(module)))
    check(lib.wr_linker_new(engine, C.byref(linker)))
    check(lib.wr_linker_instantiate(linker, store, module, C.byref(inst)))
    return inst

def export(ctx, inst, name):
    item = P()
    check(lib.wr_instance_export(ctx, inst, name, C.byref(item)))
    return item

HELLO = b"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 3))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""

def documented_kinds(name):
    """The error kinds the header documents, and the finaliser rule."""
    # Memory growth: past the config's limit RESOURCE_LIMIT, past the
    # memory's own maximum ACCESS.
    config, engine, store = lib.wr_config_new(), P(), P()
    check(lib.wr_engine_new(name, None, C.byref(engine)))
    limited = C.c_bool()
    check(lib.wr_engine_supports(engine, b"limits", C.byref(limited)))
    lib.wr_engine_delete(engine)
    check(lib.wr_config_set_limits(config, 2 * 65536, 0))
    if not limited.value:
        # A backend without limits refuses them, typed; the rest runs without.
        assert kind_of(lib.wr_engine_new(name, config, C.byref(engine))) == UNSUPPORTED
        lib.wr_config_delete(config)
        config = lib.wr_config_new()
    check(lib.wr_engine_new(name, config, C.byref(engine)))
    lib.wr_config_delete(config)
    check(lib.wr_store_new(engine, None, None, C.byref(store)))
    ctx = lib.wr_store_context(store)
    roomy, small = P(), P()
    check(lib.wr_memory_new(store, 1, 10, C.byref(roomy)))
    check(lib.wr_memory_new(store, 1, 1, C.byref(small)))
    check(lib.wr_memory_grow(ctx, roomy, 1, None))
    if limited.value:
        assert kind_of(lib.wr_memory_grow(ctx, roomy, 1, None)) == RESOURCE_LIMIT
    assert kind_of(lib.wr_memory_grow(ctx, small, 1, None)) == ACCESS
    # The type of a live memory follows its growth.
    ty, minimum, maximum = P(), C.c_uint64(), C.c_uint64()
    check(lib.wr_extern_type(ctx, roomy, C.byref(ty)))
    assert lib.wr_externtype_kind(ty) == MEMORY_KIND
    check(lib.wr_externtype_limits(ty, C.byref(minimum), C.byref(maximum), None))
    assert (minimum.value, maximum.value) == (2, 10)
    lib.wr_externtype_delete(ty)
    # Tables take non-null funcrefs (a standalone host function here).
    table, func = P(), P()
    kinds = (C.c_uint8 * 1)(I32)
    check(lib.wr_table_new(store, FUNCREF, 2, 2, C.byref(table)))
    check(lib.wr_func_new(ctx, kinds, 1, kinds, 1, triple, None, None, C.byref(func)))
    fref, got = Val(kind=FUNCREF), Val()
    fref.of.ref = func
    check(lib.wr_table_set(ctx, table, 1, C.byref(fref)))
    check(lib.wr_table_get(ctx, table, 1, C.byref(got)))
    assert got.kind == FUNCREF and got.of.ref
    lib.wr_extern_delete(got.of.ref)
    # A failed definition calls the finaliser before returning.
    linker = P()
    check(lib.wr_linker_new(engine, C.byref(linker)))
    check(lib.wr_linker_define_func(linker, b"m", b"f", kinds, 1, kinds, 1, triple, None, None))
    token = C.c_int(3)
    assert kind_of(lib.wr_linker_define_func(
        linker, b"m", b"f", kinds, 1, kinds, 1, triple, C.addressof(token),
        C.cast(finalise, P))) == LINK
    assert finalised == [C.addressof(token)], finalised
    finalised.clear()
    # Shadowing, and unknown imports as traps.
    check(lib.wr_linker_allow_shadowing(linker, True))
    check(lib.wr_linker_define_func(linker, b"m", b"f", kinds, 1, kinds, 1, triple, None, None))
    unknown, inst, f, out = P(), P(), P(), Val()
    wat = b'(module (import "env" "nope" (func $n (result i32))) (func (export "f") (result i32) call $n))'
    check(lib.wr_module_new(engine, wat, len(wat), C.byref(unknown)))
    assert kind_of(lib.wr_linker_instantiate(linker, store, unknown, C.byref(inst))) == LINK
    check(lib.wr_linker_define_unknown_imports_as_traps(linker, unknown))
    check(lib.wr_linker_instantiate(linker, store, unknown, C.byref(inst)))
    check(lib.wr_instance_export(ctx, inst, b"f", C.byref(f)))
    assert trap_of(lib.wr_func_call(ctx, f, None, 0, C.byref(out), 1)) == UNREACHABLE
    # wr_wasi_run: imports nothing defines are LINK, from env and WASI alike.
    wasi, code = lib.wr_wasi_config_new(), C.c_int32(-1)
    for bad in [b'(module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))',
                b'(module (import "wasi_snapshot_preview1" "nope" (func)) (memory (export "memory") 1) (func (export "_start")))']:
        m = P()
        check(lib.wr_module_new(engine, bad, len(bad), C.byref(m)))
        assert kind_of(lib.wr_wasi_run(engine, m, wasi, 1000000, C.byref(code))) == LINK, bad
    # Captured output accumulates over runs until cleared.
    hello, data, size = P(), C.POINTER(C.c_uint8)(), C.c_size_t()
    check(lib.wr_module_new(engine, HELLO, len(HELLO), C.byref(hello)))
    check(lib.wr_wasi_config_set_output(wasi, 1, CAPTURE))
    for _ in range(2):
        check(lib.wr_wasi_run(engine, hello, wasi, 1000000, C.byref(code)))
    check(lib.wr_wasi_config_output(wasi, 1, C.byref(data), C.byref(size)))
    assert C.string_at(data, size.value) == b"hi\nhi\n"
    check(lib.wr_wasi_config_clear_output(wasi, 1))
    check(lib.wr_wasi_config_output(wasi, 1, C.byref(data), C.byref(size)))
    assert size.value == 0
    assert kind_of(lib.wr_wasi_config_clear_output(wasi, 0)) == INVALID
    lib.wr_wasi_config_delete(wasi)
    lib.wr_store_delete(store)

def contract(name):
    config = lib.wr_config_new()
    check(lib.wr_config_set_feature(config, b"interrupt", True))
    engine, store, other = P(), P(), P()
    check(lib.wr_engine_new(name, config, C.byref(engine)))
    lib.wr_config_delete(config)
    check(lib.wr_store_new(engine, None, None, C.byref(store)))
    check(lib.wr_store_new(engine, None, None, C.byref(other)))
    ctx, other_ctx = lib.wr_store_context(store), lib.wr_store_context(other)
    inst = instantiate(engine, store, CONTRACT)
    out = Val()

    # An interrupt requested while nothing runs stops the next call, once.
    handle = P()
    check(lib.wr_store_interrupt_handle(store, C.byref(handle)))
    lib.wr_interrupt(handle)
    assert trap_of(lib.wr_func_call(ctx, export(ctx, inst, b"spin"), None, 0, None, 0)) == INTERRUPT
    check(lib.wr_func_call(ctx, export(ctx, inst, b"answer"), None, 0, C.byref(out), 1))
    assert out.of.i32 == 42
    lib.wr_interrupt_delete(handle)

    # A handle of another store: WRONG_STORE, not a panic.
    memory, pages = export(ctx, inst, b"memory"), C.c_uint64()
    assert kind_of(lib.wr_memory_size(other_ctx, memory, C.byref(pages))) == WRONG_STORE
    assert kind_of(lib.wr_instance_export(other_ctx, inst, b"memory", C.byref(P()))) == WRONG_STORE

    # Host data behind externref: a round trip, finalised once with the store.
    token, ref = C.c_int(7), P()
    check(lib.wr_externref_new(ctx, C.addressof(token), finalise, C.byref(ref)))
    arg = Val(kind=EXTERNREF)
    arg.of.ref = ref
    check(lib.wr_func_call(ctx, export(ctx, inst, b"is_null"), C.byref(arg), 1, C.byref(out), 1))
    assert out.of.i32 == 0, "a non-null externref arrived as null"
    check(lib.wr_func_call(ctx, export(ctx, inst, b"same"), C.byref(arg), 1, C.byref(out), 1))
    data = P()
    check(lib.wr_externref_data(ctx, out.of.ref, C.byref(data)))
    assert data.value == C.addressof(token)
    lib.wr_externref_delete(out.of.ref)
    lib.wr_externref_delete(ref)

    # Trap frames where the engine records them (wasmtime; none on wasmi).
    err = lib.wr_func_call(ctx, export(ctx, inst, b"outer"), None, 0, C.byref(out), 1)
    frames = lib.wr_error_trap_frame_count(err)
    if name == b"wasmtime":
        frame = Frame()
        assert frames == 2 and lib.wr_error_trap_frame(err, 0, C.byref(frame))
        assert frame.func_name == b"inner" and frame.module_name == b"py", frame.func_name
    else:
        assert frames == 0
    assert trap_of(err) == DIV_BY_ZERO

    # Exports by index, in the module's order.
    names = []
    for k in range(lib.wr_instance_export_count(inst)):
        export_name, item = C.c_char_p(), P()
        check(lib.wr_instance_export_nth(ctx, inst, k, C.byref(export_name), C.byref(item)))
        names.append(export_name.value)
        lib.wr_extern_delete(item)
    assert names == [b"memory", b"spin", b"answer", b"is_null", b"same", b"outer"], names

    # A standalone host function.
    kinds, func = (C.c_uint8 * 1)(I32), P()
    check(lib.wr_func_new(ctx, kinds, 1, kinds, 1, triple, None, None, C.byref(func)))
    arg = Val(kind=I32)
    arg.of.i32 = 5
    check(lib.wr_func_call(ctx, func, C.byref(arg), 1, C.byref(out), 1))
    assert out.of.i32 == 15

    # WASI in a linker of one's own: a store without WASI is refused, and
    # proc_exit through a call is EXIT with its status.
    module, linker, wasi_inst, start = P(), P(), P(), P()
    check(lib.wr_module_new(engine, EXITING, len(EXITING), C.byref(module)))
    check(lib.wr_linker_new(engine, C.byref(linker)))
    check(lib.wr_linker_define_wasi(linker))
    assert kind_of(lib.wr_linker_instantiate(linker, store, module, C.byref(wasi_inst))) == WASI
    wasi = lib.wr_wasi_config_new()
    check(lib.wr_store_set_wasi(store, wasi))
    check(lib.wr_linker_instantiate(linker, store, module, C.byref(wasi_inst)))
    check(lib.wr_instance_export(ctx, wasi_inst, b"_start", C.byref(start)))
    err, status = lib.wr_func_call(ctx, start, None, 0, None, 0), C.c_int32()
    assert lib.wr_error_kind(err) == EXIT and lib.wr_error_exit_status(err, C.byref(status))
    assert status.value == 5
    lib.wr_error_delete(err)
    lib.wr_wasi_config_delete(wasi)

    # Store data set after creation; finalisers once each.
    first, second = C.c_int(1), C.c_int(2)
    check(lib.wr_context_set_data(ctx, C.addressof(first), finalise))
    check(lib.wr_context_set_data(ctx, C.addressof(second), finalise))
    assert lib.wr_context_data(ctx) == C.addressof(second)
    assert finalised == [C.addressof(first)]
    lib.wr_store_delete(store)
    lib.wr_store_delete(other)
    assert sorted(finalised) == sorted([C.addressof(first), C.addressof(second), C.addressof(token)])
    finalised.clear()

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
    contract(name)
    documented_kinds(name)
    print(f"python: {name.decode()} ok")

assert lib.wr_version() == sys.argv[2].encode(), lib.wr_version()
features, nfeatures = C.POINTER(C.c_char_p)(), C.c_size_t()
check(lib.wr_feature_names(C.byref(features), C.byref(nfeatures)))
config = lib.wr_config_new()
for i in range(nfeatures.value):
    check(lib.wr_config_set_feature(config, features[i], False))
lib.wr_config_delete(config)
assert b"tail-call" in [features[i] for i in range(nfeatures.value)]
print("python: ok")
