//! `wasi:http` (0.2.x), present and denied: a component that imports it
//! links, builds its request as the interface says — `fields` (headers
//! with their syntax checked and the hop-by-hop ones forbidden, immutable
//! where the interface says so), `outgoing-request`, `request-options`,
//! `outgoing-body` and its stream, `outgoing-response` — and sending it
//! (`outgoing-handler.handle`) answers `HTTP-request-denied`: wasm-run's
//! host makes no network connection. The resources only a response or a
//! server could give (incoming requests, responses and bodies, trailers,
//! the future of a response, the response outparam) never exist, so their
//! methods are never reached.

use wasm_run_api::{Engine, Error, Result};
use wasm_run_component::{HostContext, HostResourceType, Linker, LinkerInstance, Val};

use super::host::{Types, err, handle, ok, rep, state};
use super::table::{Entry, Target};
use super::{VERSION, WasiView};

/// Headers or trailers: `(name, value)` pairs in order, names in lower
/// case (as HTTP compares them, and as wasmtime's host gives them back).
#[derive(Debug)]
pub(crate) struct Fields {
    items: Vec<(String, Vec<u8>)>,
    /// Whether the guest may change them (not a request's or response's
    /// own headers).
    mutable: bool,
}

/// What one `wasi:http` resource stands for.
#[derive(Debug)]
pub(crate) enum Http {
    Fields(Fields),
    Request(Box<Request>),
    /// `request-options`: connect, first-byte and between-bytes timeouts.
    Options([Option<u64>; 3]),
    Response(Response),
    /// An `outgoing-body`: whether its stream was taken.
    Body(bool),
}

/// An `outgoing-request`.
#[derive(Debug)]
pub(crate) struct Request {
    method: Val,
    scheme: Option<Val>,
    authority: Option<String>,
    path: Option<String>,
    headers: Fields,
    body_taken: bool,
}

/// An `outgoing-response`.
#[derive(Debug)]
pub(crate) struct Response {
    status: u16,
    headers: Fields,
    body_taken: bool,
}

/// Headers a guest may not set (hop-by-hop ones the host manages), as
/// wasmtime's host forbids them.
const FORBIDDEN: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
    "host",
];

/// The methods of resources no component can hold here.
const UNREACHABLE: &[&str] = &[
    "[method]incoming-request.method",
    "[method]incoming-request.path-with-query",
    "[method]incoming-request.scheme",
    "[method]incoming-request.authority",
    "[method]incoming-request.headers",
    "[method]incoming-request.consume",
    "[static]response-outparam.set",
    "[method]incoming-response.status",
    "[method]incoming-response.headers",
    "[method]incoming-response.consume",
    "[method]incoming-body.stream",
    "[static]incoming-body.finish",
    "[method]future-trailers.subscribe",
    "[method]future-trailers.get",
    "[method]future-incoming-response.subscribe",
    "[method]future-incoming-response.get",
];

/// A header name: an HTTP token.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value: visible characters, spaces and tabs, trimmed.
fn valid_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=0x7e).contains(&b) || b >= 0x80)
        && !value.first().is_some_and(|b| *b == b' ' || *b == b'\t')
        && !value.last().is_some_and(|b| *b == b' ' || *b == b'\t')
}

fn header_error(case: &str) -> Val {
    err(Val::Variant(case.into(), None))
}

impl Fields {
    /// New, empty fields the guest may change.
    fn new() -> Fields {
        Fields {
            items: Vec::new(),
            mutable: true,
        }
    }

    /// Checks a name and values: the `header-error` case for a refusal.
    fn check(&self, name: &str, values: &[&[u8]]) -> Option<&'static str> {
        if !self.mutable {
            return Some("immutable");
        }
        if !valid_name(name) || !values.iter().all(|v| valid_value(v)) {
            return Some("invalid-syntax");
        }
        FORBIDDEN
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
            .then_some("forbidden")
    }

    fn values(&self, name: &str) -> Vec<Val> {
        self.items
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| Val::Bytes(v.clone()))
            .collect()
    }

    /// A copy the guest may change (or not).
    fn copy(&self, mutable: bool) -> Fields {
        Fields {
            items: self.items.clone(),
            mutable,
        }
    }
}

fn string_arg(args: &[Val], i: usize) -> Result<&str> {
    match args.get(i) {
        Some(Val::String(s)) => Ok(s),
        other => Err(Error::Type(format!("expected a string, got {other:?}"))),
    }
}

fn bytes_of(v: &Val) -> Result<Vec<u8>> {
    super::host::bytes_arg(std::slice::from_ref(v), 0)
}

fn list_arg(args: &[Val], i: usize) -> Result<&[Val]> {
    match args.get(i) {
        Some(Val::List(items)) => Ok(items),
        other => Err(Error::Type(format!("expected a list, got {other:?}"))),
    }
}

fn option_arg(args: &[Val], i: usize) -> Result<Option<&Val>> {
    match args.get(i) {
        Some(Val::Option(v)) => Ok(v.as_deref()),
        other => Err(Error::Type(format!("expected an option, got {other:?}"))),
    }
}

fn option_string(args: &[Val], i: usize) -> Result<Option<String>> {
    match option_arg(args, i)? {
        Some(Val::String(s)) => Ok(Some(s.clone())),
        None => Ok(None),
        other => Err(Error::Type(format!("expected a string, got {other:?}"))),
    }
}

fn some_string(s: &Option<String>) -> Val {
    Val::Option(s.clone().map(|s| Box::new(Val::String(s))))
}

/// The `wasi:http` resource `rep` of the guest's call argument `i`.
fn http<'a, T: WasiView>(
    cx: &'a mut HostContext<'_, T>,
    args: &[Val],
    i: usize,
) -> Result<&'a mut Http> {
    let rep = rep(args, i)?;
    match state(cx).table.get_mut(rep)? {
        Entry::Http(h) => Ok(h),
        other => Err(Error::Host(
            format!("WASI resource {rep} is a {other:?}, not an HTTP one").into(),
        )),
    }
}

/// `fn NAME(cx, args) -> &mut TYPE`: the resource of kind VARIANT that
/// is the method's `self` (argument 0).
macro_rules! resource_of_kind {
    ($($name:ident: $variant:ident -> $ty:ty, $what:literal;)*) => {$(
        fn $name<'a, T: WasiView>(
            cx: &'a mut HostContext<'_, T>,
            args: &[Val],
        ) -> Result<&'a mut $ty> {
            match http(cx, args, 0)? {
                Http::$variant(x) => Ok(x),
                other => Err(Error::Host(format!("{other:?} is not {}", $what).into())),
            }
        }
    )*};
}

resource_of_kind! {
    fields: Fields -> Fields, "a fields resource";
    request: Request -> Box<Request>, "an outgoing-request";
    response: Response -> Response, "an outgoing-response";
    options: Options -> [Option<u64>; 3], "a request-options";
}

/// Takes the owned `fields` of argument 0 out of the table, as the headers
/// of a new request or response (immutable from then on).
fn take_headers<T: WasiView>(cx: &mut HostContext<'_, T>, args: &[Val]) -> Result<Fields> {
    match state(cx).table.remove(rep(args, 0)?)? {
        Entry::Http(Http::Fields(f)) => Ok(Fields {
            mutable: false,
            ..f
        }),
        other => Err(Error::Host(
            format!("{other:?} is not a fields resource").into(),
        )),
    }
}

/// Drops the owned resource of argument 0 and the optional one of argument
/// 1: a call that consumes them made them the host's.
fn drop_taken<T: WasiView>(cx: &mut HostContext<'_, T>, args: &[Val]) -> Result<()> {
    let w = state(cx);
    w.table.remove(rep(args, 0)?)?;
    if let Some(second) = option_arg(args, 1)? {
        w.table.remove(rep(std::slice::from_ref(second), 0)?)?;
    }
    Ok(())
}

/// The handle types the functions make.
#[derive(Clone)]
struct HttpTypes {
    fields: HostResourceType,
    request: HostResourceType,
    options: HostResourceType,
    response: HostResourceType,
    body: HostResourceType,
    output: HostResourceType,
}

fn new<T: WasiView>(cx: &mut HostContext<'_, T>, ty: &HostResourceType, h: Http) -> Result<Val> {
    handle(state(cx), ty, Entry::Http(h))
}

/// Defines `wasi:http/types` and `wasi:http/outgoing-handler`.
pub(super) fn define<E: Engine, T: WasiView>(
    linker: &mut Linker<E, T>,
    types: &Types,
) -> Result<()> {
    let v = VERSION;
    let mut i = linker.instance(&format!("wasi:http/types@{v}"))?;
    let drop_entry =
        |cx: &mut HostContext<'_, T>, rep: u32| state(cx).table.remove(rep).map(|_| ());
    let t = HttpTypes {
        fields: i.resource("fields", drop_entry)?,
        request: i.resource("outgoing-request", drop_entry)?,
        options: i.resource("request-options", drop_entry)?,
        response: i.resource("outgoing-response", drop_entry)?,
        body: i.resource("outgoing-body", drop_entry)?,
        output: types.output.clone(),
    };
    for r in [
        "incoming-request",
        "response-outparam",
        "incoming-response",
        "incoming-body",
        "future-trailers",
        "future-incoming-response",
    ] {
        i.resource(r, |_, _| Ok(()))?;
    }
    for m in UNREACHABLE {
        i.func_new(m, unreachable::<T>)?;
    }
    i.func_new("http-error-code", |_, _, out| {
        out[0] = Val::Option(None);
        Ok(())
    })?;
    define_fields(&mut i, &t)?;
    define_request(&mut i, &t)?;
    define_response(&mut i, &t)?;
    linker
        .instance(&format!("wasi:http/outgoing-handler@{v}"))?
        .func_new("handle", |cx, args, out| {
            // The request and its options are the host's now: dropped.
            drop_taken(cx, args)?;
            out[0] = err(Val::Variant("HTTP-request-denied".into(), None));
            Ok(())
        })?;
    Ok(())
}

fn define_fields<E: Engine, T: WasiView>(
    i: &mut LinkerInstance<'_, E, T>,
    t: &HttpTypes,
) -> Result<()> {
    let ty = t.fields.clone();
    i.func_new("[constructor]fields", move |cx, _, out| {
        out[0] = new(cx, &ty, Http::Fields(Fields::new()))?;
        Ok(())
    })?;
    let ty = t.fields.clone();
    i.func_new("[static]fields.from-list", move |cx, args, out| {
        let mut f = Fields::new();
        for entry in list_arg(args, 0)? {
            let Val::Tuple(pair) = entry else {
                return Err(Error::Type(format!("expected a tuple, got {entry}")));
            };
            let name = string_arg(pair, 0)?;
            let value = bytes_of(pair.get(1).unwrap_or(&Val::Bool(false)))?;
            if let Some(case) = f.check(name, &[&value]) {
                out[0] = header_error(case);
                return Ok(());
            }
            f.items.push((name.to_ascii_lowercase(), value));
        }
        out[0] = ok(Some(new(cx, &ty, Http::Fields(f))?));
        Ok(())
    })?;
    i.func_new("[method]fields.get", |cx, args, out| {
        let name = string_arg(args, 1)?.to_string();
        out[0] = Val::List(fields(cx, args)?.values(&name));
        Ok(())
    })?;
    i.func_new("[method]fields.has", |cx, args, out| {
        let name = string_arg(args, 1)?.to_string();
        out[0] = Val::Bool(!fields(cx, args)?.values(&name).is_empty());
        Ok(())
    })?;
    i.func_new("[method]fields.set", |cx, args, out| {
        let name = string_arg(args, 1)?.to_string();
        let values = list_arg(args, 2)?
            .iter()
            .map(bytes_of)
            .collect::<Result<Vec<_>>>()?;
        let f = fields(cx, args)?;
        let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        out[0] = match f.check(&name, &refs) {
            Some(case) => header_error(case),
            None => {
                f.items.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                f.items
                    .extend(values.into_iter().map(|v| (name.clone(), v)));
                ok(None)
            }
        };
        Ok(())
    })?;
    i.func_new("[method]fields.delete", |cx, args, out| {
        let name = string_arg(args, 1)?.to_string();
        let f = fields(cx, args)?;
        out[0] = match f.check(&name, &[]) {
            Some(case) => header_error(case),
            None => {
                f.items.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                ok(None)
            }
        };
        Ok(())
    })?;
    i.func_new("[method]fields.append", |cx, args, out| {
        let name = string_arg(args, 1)?.to_string();
        let value = bytes_of(args.get(2).unwrap_or(&Val::Bool(false)))?;
        let f = fields(cx, args)?;
        out[0] = match f.check(&name, &[&value]) {
            Some(case) => header_error(case),
            None => {
                f.items.push((name.to_ascii_lowercase(), value));
                ok(None)
            }
        };
        Ok(())
    })?;
    i.func_new("[method]fields.entries", |cx, args, out| {
        out[0] = Val::List(
            fields(cx, args)?
                .items
                .iter()
                .map(|(n, v)| Val::Tuple(vec![Val::String(n.clone()), Val::Bytes(v.clone())]))
                .collect(),
        );
        Ok(())
    })?;
    let ty = t.fields.clone();
    i.func_new("[method]fields.clone", move |cx, args, out| {
        let copy = fields(cx, args)?.copy(true);
        out[0] = new(cx, &ty, Http::Fields(copy))?;
        Ok(())
    })?;
    Ok(())
}

/// A method's `other(string)` case must be an HTTP token.
fn valid_method(m: &Val) -> bool {
    match m {
        Val::Variant(case, Some(other)) if case == "other" => {
            matches!(&**other, Val::String(s) if valid_name(s))
        }
        Val::Variant(_, _) => true,
        _ => false,
    }
}

fn define_request<E: Engine, T: WasiView>(
    i: &mut LinkerInstance<'_, E, T>,
    t: &HttpTypes,
) -> Result<()> {
    let ty = t.request.clone();
    i.func_new("[constructor]outgoing-request", move |cx, args, out| {
        let headers = take_headers(cx, args)?;
        let r = Request {
            method: Val::Variant("get".into(), None),
            scheme: None,
            authority: None,
            path: None,
            headers,
            body_taken: false,
        };
        out[0] = new(cx, &ty, Http::Request(Box::new(r)))?;
        Ok(())
    })?;
    let body = t.body.clone();
    i.func_new("[method]outgoing-request.body", move |cx, args, out| {
        let taken = std::mem::replace(&mut request(cx, args)?.body_taken, true);
        out[0] = body_once(cx, taken, &body)?;
        Ok(())
    })?;
    i.func_new("[method]outgoing-request.method", |cx, args, out| {
        out[0] = request(cx, args)?.method.clone();
        Ok(())
    })?;
    i.func_new("[method]outgoing-request.set-method", |cx, args, out| {
        let m = args
            .get(1)
            .cloned()
            .ok_or_else(|| Error::Type("no method".into()))?;
        let r = request(cx, args)?;
        out[0] = set_if(valid_method(&m), || {
            r.method = m;
            Ok(())
        })?;
        Ok(())
    })?;
    i.func_new(
        "[method]outgoing-request.path-with-query",
        |cx, args, out| {
            out[0] = some_string(&request(cx, args)?.path);
            Ok(())
        },
    )?;
    i.func_new(
        "[method]outgoing-request.set-path-with-query",
        |cx, args, out| {
            let path = option_string(args, 1)?;
            let valid = path
                .as_deref()
                .is_none_or(|p| p.bytes().all(|b| b.is_ascii_graphic()));
            out[0] = set_if(valid, || {
                request(cx, args)?.path = path;
                Ok(())
            })?;
            Ok(())
        },
    )?;
    i.func_new("[method]outgoing-request.scheme", |cx, args, out| {
        out[0] = Val::Option(request(cx, args)?.scheme.clone().map(Box::new));
        Ok(())
    })?;
    i.func_new("[method]outgoing-request.set-scheme", |cx, args, out| {
        let scheme = option_arg(args, 1)?.cloned();
        let valid = scheme.as_ref().is_none_or(valid_method);
        out[0] = set_if(valid, || {
            request(cx, args)?.scheme = scheme;
            Ok(())
        })?;
        Ok(())
    })?;
    i.func_new("[method]outgoing-request.authority", |cx, args, out| {
        out[0] = some_string(&request(cx, args)?.authority);
        Ok(())
    })?;
    i.func_new("[method]outgoing-request.set-authority", |cx, args, out| {
        let authority = option_string(args, 1)?;
        let valid = authority
            .as_deref()
            .is_none_or(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_graphic() && b != b'/'));
        out[0] = set_if(valid, || {
            request(cx, args)?.authority = authority;
            Ok(())
        })?;
        Ok(())
    })?;
    let fields_ty = t.fields.clone();
    i.func_new("[method]outgoing-request.headers", move |cx, args, out| {
        let copy = request(cx, args)?.headers.copy(false);
        out[0] = new(cx, &fields_ty, Http::Fields(copy))?;
        Ok(())
    })?;
    let ty = t.options.clone();
    i.func_new("[constructor]request-options", move |cx, _, out| {
        out[0] = new(cx, &ty, Http::Options([None; 3]))?;
        Ok(())
    })?;
    for (k, name) in [
        "connect-timeout",
        "first-byte-timeout",
        "between-bytes-timeout",
    ]
    .into_iter()
    .enumerate()
    {
        i.func_new(
            &format!("[method]request-options.{name}"),
            move |cx, args, out| {
                out[0] = Val::Option(options(cx, args)?[k].map(|d| Box::new(Val::U64(d))));
                Ok(())
            },
        )?;
        i.func_new(
            &format!("[method]request-options.set-{name}"),
            move |cx, args, out| {
                let d = match option_arg(args, 1)? {
                    Some(Val::U64(d)) => Some(*d),
                    None => None,
                    other => {
                        return Err(Error::Type(format!("expected a duration, got {other:?}")));
                    }
                };
                options(cx, args)?[k] = d;
                out[0] = ok(None);
                Ok(())
            },
        )?;
    }
    let output = t.output.clone();
    i.func_new("[method]outgoing-body.write", move |cx, args, out| {
        let taken = match http(cx, args, 0)? {
            Http::Body(taken) => std::mem::replace(taken, true),
            other => {
                return Err(Error::Host(
                    format!("{other:?} is not an outgoing-body").into(),
                ));
            }
        };
        out[0] = if taken {
            unit_err()
        } else {
            ok(Some(handle(
                state(cx),
                &output,
                Entry::Output(Target::Sink),
            )?))
        };
        Ok(())
    })?;
    i.func_new("[static]outgoing-body.finish", |cx, args, out| {
        // The body and its trailers.
        drop_taken(cx, args)?;
        out[0] = ok(None);
        Ok(())
    })?;
    Ok(())
}

fn define_response<E: Engine, T: WasiView>(
    i: &mut LinkerInstance<'_, E, T>,
    t: &HttpTypes,
) -> Result<()> {
    let ty = t.response.clone();
    i.func_new("[constructor]outgoing-response", move |cx, args, out| {
        let headers = take_headers(cx, args)?;
        let r = Response {
            status: 200,
            headers,
            body_taken: false,
        };
        out[0] = new(cx, &ty, Http::Response(r))?;
        Ok(())
    })?;
    i.func_new("[method]outgoing-response.status-code", |cx, args, out| {
        out[0] = Val::U16(response(cx, args)?.status);
        Ok(())
    })?;
    i.func_new(
        "[method]outgoing-response.set-status-code",
        |cx, args, out| {
            let Some(Val::U16(code)) = args.get(1) else {
                return Err(Error::Type("expected a status code".into()));
            };
            let code = *code;
            out[0] = set_if((100..=999).contains(&code), || {
                response(cx, args)?.status = code;
                Ok(())
            })?;
            Ok(())
        },
    )?;
    let fields_ty = t.fields.clone();
    i.func_new("[method]outgoing-response.headers", move |cx, args, out| {
        let copy = response(cx, args)?.headers.copy(false);
        out[0] = new(cx, &fields_ty, Http::Fields(copy))?;
        Ok(())
    })?;
    let body = t.body.clone();
    i.func_new("[method]outgoing-response.body", move |cx, args, out| {
        let taken = std::mem::replace(&mut response(cx, args)?.body_taken, true);
        out[0] = body_once(cx, taken, &body)?;
        Ok(())
    })?;
    Ok(())
}

/// A setter's answer: `ok` once `set` ran when the value is `valid`, else
/// `err` with nothing changed.
fn set_if(valid: bool, set: impl FnOnce() -> Result<()>) -> Result<Val> {
    if !valid {
        return Ok(unit_err());
    }
    set()?;
    Ok(ok(None))
}

/// A request's or response's body: a new `outgoing-body` the first time,
/// `err` once it was `taken`.
fn body_once<T: WasiView>(
    cx: &mut HostContext<'_, T>,
    taken: bool,
    ty: &HostResourceType,
) -> Result<Val> {
    if taken {
        return Ok(unit_err());
    }
    Ok(ok(Some(new(cx, ty, Http::Body(false))?)))
}

/// `err` of a `result` without an error type.
fn unit_err() -> Val {
    Val::Result(Err(None))
}

fn unreachable<T>(_: &mut HostContext<'_, T>, _: &[Val], _: &mut [Val]) -> Result<()> {
    Err(Error::Host(
        "no such HTTP resource exists: wasm-run's preview 2 host denies HTTP".into(),
    ))
}
