//! Host functions with the shapes of wasi:io's stream `read` and `write`
//! (`(borrow<R>, u64) -> result<list<u8>, stream-error>` and `(borrow<R>,
//! list<u8>) -> result<_, stream-error>`), which wasmtime's own component
//! model runs as typed host functions (bytes copied in one go): data, both
//! error cases (`closed`, `last-operation-failed` with an owned `error`
//! resource) and a host answer of the wrong type, the same on every path.

use crate::common;

use std::sync::{Arc, Mutex};
use wasm_run_api::{Engine, Error, Store};
use wasm_run_component::{Component, HostResourceType, Linker, ResourceAny, Val};

/// What the host's stream `rep` does.
const DATA: u32 = 0; // reads "hello" (a byte vector), writes to the sink
const LIST: u32 = 1; // reads "hello" as a list of u8 values
const CLOSED: u32 = 2;
const FAILING: u32 = 3; // last-operation-failed(error #7)
const WRONG: u32 = 4; // answers a u32

fn answer(rep: u32, data: Val, error: &HostResourceType) -> Val {
    let err = |v: Val| Val::Result(Err(Some(Box::new(v))));
    match rep {
        DATA | LIST => Val::Result(Ok(match data {
            Val::Tuple(t) if t.is_empty() => None,
            v => Some(Box::new(v)),
        })),
        CLOSED => err(Val::Variant("closed".into(), None)),
        FAILING => err(Val::Variant(
            "last-operation-failed".into(),
            Some(Box::new(Val::Resource(ResourceAny::host(error, 7)))),
        )),
        _ => Val::U32(0),
    }
}

fn byte_streams<E: Engine>(engine: &E) {
    let component = Component::new(engine, common::fixture_text("streams.wat")).unwrap();
    let sink: Arc<Mutex<Vec<u8>>> = Arc::default();
    let mut linker = Linker::<E, ()>::new(engine);
    let mut iface = linker.instance("example:io/streams").unwrap();
    let stream = iface.resource("stream", |_, _| Ok(())).unwrap();
    let error = iface.resource("error", |_, _| Ok(())).unwrap();
    let (e1, e2, written) = (error.clone(), error.clone(), sink.clone());
    iface
        .func_new("[method]stream.read", move |_, args, out| {
            let (Val::Resource(r), Val::U64(n)) = (&args[0], &args[1]) else {
                panic!("{args:?}")
            };
            let hello = &b"hello"[..(*n as usize).min(5)];
            let data = match r.rep() {
                LIST => Val::List(hello.iter().map(|&b| Val::U8(b)).collect()),
                _ => Val::Bytes(hello.to_vec()),
            };
            out[0] = answer(r.rep(), data, &e1);
            Ok(())
        })
        .unwrap();
    iface
        .func_new("[method]stream.write", move |_, args, out| {
            let Val::Resource(r) = &args[0] else {
                panic!("{args:?}")
            };
            assert!(!r.owned(), "a method gets a borrow");
            if r.rep() == DATA {
                match &args[1] {
                    Val::Bytes(b) => written.lock().unwrap().extend_from_slice(b),
                    other => panic!("a list<u8> argument is bytes: {other:?}"),
                }
            }
            out[0] = answer(r.rep(), Val::Tuple(vec![]), &e2);
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let s = |rep| Val::Resource(ResourceAny::host(&stream, rep));
    let mut call = |name: &str, args: &[Val]| {
        common::call(&mut store, &instance, name, args).map(|v| v.expect("a result"))
    };
    for rep in [DATA, LIST] {
        let v = call("read", &[s(rep), Val::U64(3)]).unwrap();
        assert_eq!(v.to_string(), "ok([104, 101, 108])", "stream {rep}");
    }
    let v = call("read", &[s(CLOSED), Val::U64(3)]).unwrap();
    assert_eq!(v.to_string(), "err(closed)");
    let failed = |v: Val| match v {
        Val::Result(Err(Some(e))) => match *e {
            Val::Variant(case, Some(r)) if case == "last-operation-failed" => match *r {
                Val::Resource(r) => r,
                other => panic!("{other}"),
            },
            other => panic!("{other}"),
        },
        other => panic!("{other}"),
    };
    let r = failed(call("read", &[s(FAILING), Val::U64(3)]).unwrap());
    assert_eq!((r.host_type(), r.rep(), r.owned()), (Some(&error), 7, true));

    let data: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 31 % 251) as u8).collect();
    let v = call("write", &[s(DATA), Val::Bytes(data.clone())]).unwrap();
    assert_eq!(v.to_string(), "ok");
    assert!(*sink.lock().unwrap() == data, "the sink got the bytes");
    let v = call("write", &[s(CLOSED), Val::Bytes(vec![1])]).unwrap();
    assert_eq!(v.to_string(), "err(closed)");
    let r = failed(call("write", &[s(FAILING), Val::Bytes(vec![1])]).unwrap());
    assert_eq!((r.host_type(), r.rep(), r.owned()), (Some(&error), 7, true));

    // A host answer of another type is a type error for the caller.
    for (name, arg) in [("read", Val::U64(1)), ("write", Val::Bytes(vec![1]))] {
        let mut store = Store::new(engine, ());
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let e = common::call(&mut store, &instance, name, &[s(WRONG), arg]).unwrap_err();
        assert!(matches!(e, Error::Type(_)), "{name}: {e}");
    }
}

on_every_backend!(byte_streams);
