//! `wasi:sockets`, present and denied: a component that imports it links,
//! `instance-network` gives it a network, and every operation that would
//! reach one — creating a TCP or UDP socket, resolving a name — answers
//! `access-denied`, as wasmtime 48's host does when networking is not
//! allowed. No socket or name-resolution stream can exist, so their methods
//! are never reached (a component can only pass handles it holds).

use wasm_run_api::{Engine, Error, Result};
use wasm_run_component::{HostContext, Linker, Val};

use super::host::{err, handle, state};
use super::table::Entry;
use super::{VERSION, WasiView};

/// The methods of the resources no component can hold here.
const UNREACHABLE: &[(&str, &[&str])] = &[
    (
        "ip-name-lookup",
        &[
            "resolve-address-stream.resolve-next-address",
            "resolve-address-stream.subscribe",
        ],
    ),
    (
        "tcp",
        &[
            "tcp-socket.start-bind",
            "tcp-socket.finish-bind",
            "tcp-socket.start-connect",
            "tcp-socket.finish-connect",
            "tcp-socket.start-listen",
            "tcp-socket.finish-listen",
            "tcp-socket.accept",
            "tcp-socket.local-address",
            "tcp-socket.remote-address",
            "tcp-socket.is-listening",
            "tcp-socket.address-family",
            "tcp-socket.set-listen-backlog-size",
            "tcp-socket.keep-alive-enabled",
            "tcp-socket.set-keep-alive-enabled",
            "tcp-socket.keep-alive-idle-time",
            "tcp-socket.set-keep-alive-idle-time",
            "tcp-socket.keep-alive-interval",
            "tcp-socket.set-keep-alive-interval",
            "tcp-socket.keep-alive-count",
            "tcp-socket.set-keep-alive-count",
            "tcp-socket.hop-limit",
            "tcp-socket.set-hop-limit",
            "tcp-socket.receive-buffer-size",
            "tcp-socket.set-receive-buffer-size",
            "tcp-socket.send-buffer-size",
            "tcp-socket.set-send-buffer-size",
            "tcp-socket.subscribe",
            "tcp-socket.shutdown",
        ],
    ),
    (
        "udp",
        &[
            "udp-socket.start-bind",
            "udp-socket.finish-bind",
            "udp-socket.stream",
            "udp-socket.local-address",
            "udp-socket.remote-address",
            "udp-socket.address-family",
            "udp-socket.unicast-hop-limit",
            "udp-socket.set-unicast-hop-limit",
            "udp-socket.receive-buffer-size",
            "udp-socket.set-receive-buffer-size",
            "udp-socket.send-buffer-size",
            "udp-socket.set-send-buffer-size",
            "udp-socket.subscribe",
            "incoming-datagram-stream.receive",
            "incoming-datagram-stream.subscribe",
            "outgoing-datagram-stream.check-send",
            "outgoing-datagram-stream.send",
            "outgoing-datagram-stream.subscribe",
        ],
    ),
];

/// The resource types of those interfaces, by interface.
const RESOURCES: &[(&str, &[&str])] = &[
    ("ip-name-lookup", &["resolve-address-stream"]),
    ("tcp", &["tcp-socket"]),
    (
        "udp",
        &[
            "udp-socket",
            "incoming-datagram-stream",
            "outgoing-datagram-stream",
        ],
    ),
];

fn denied() -> Val {
    err(Val::Enum("access-denied".into()))
}

/// Defines the `wasi:sockets` interfaces, denied.
pub(super) fn define<E: Engine, T: WasiView>(linker: &mut Linker<E, T>) -> Result<()> {
    let v = VERSION;
    let iface = |name: &str| format!("wasi:sockets/{name}@{v}");
    let mut network = linker.instance(&iface("network"))?;
    let network_ty =
        network.resource("network", |cx, rep| state(cx).table.remove(rep).map(|_| ()))?;
    network.func_new("network-error-code", |_, _, out| {
        out[0] = Val::Option(None);
        Ok(())
    })?;
    linker.instance(&iface("instance-network"))?.func_new(
        "instance-network",
        move |cx, _, out| {
            out[0] = handle(state(cx), &network_ty, Entry::Network)?;
            Ok(())
        },
    )?;
    for (name, resources) in RESOURCES {
        let mut i = linker.instance(&iface(name))?;
        for r in *resources {
            i.resource(r, |_, _| Ok(()))?;
        }
    }
    for (name, methods) in UNREACHABLE {
        let mut i = linker.instance(&iface(name))?;
        for m in *methods {
            i.func_new(&format!("[method]{m}"), unreachable::<T>)?;
        }
    }
    let deny = |_: &mut HostContext<'_, T>, _: &[Val], out: &mut [Val]| {
        out[0] = denied();
        Ok(())
    };
    linker
        .instance(&iface("ip-name-lookup"))?
        .func_new("resolve-addresses", deny)?;
    linker
        .instance(&iface("tcp-create-socket"))?
        .func_new("create-tcp-socket", deny)?;
    linker
        .instance(&iface("udp-create-socket"))?
        .func_new("create-udp-socket", deny)?;
    Ok(())
}

fn unreachable<T>(_: &mut HostContext<'_, T>, _: &[Val], _: &mut [Val]) -> Result<()> {
    Err(Error::Host(
        "no socket exists: wasm-run's preview 2 host denies networking".into(),
    ))
}
