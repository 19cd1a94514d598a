//! An async TCP server in which every request runs a WebAssembly guest.
//!
//! One thread (tokio's current-thread runtime) serves every connection. A
//! request is one line:
//!
//! - `GET k` runs the guest's `handle(k)`, which asks the host's async
//!   `db.fetch` for the keys `k`, `k + 1` and `k + 2` (each answer takes a
//!   few milliseconds to come, as from a database) and answers their sum:
//!   `ok <sum>`;
//! - `SPIN` runs `handle(-1)`, a guest that never returns: its fuel or its
//!   deadline stops it and the answer is `error: <why>`.
//!
//! Each request gets a fresh store with its own fuel (200 million units)
//! and deadline (2 s), and yields every 1 ms (through tokio's
//! `yield_now`), so a runaway guest gives the thread back to the other
//! connections while it burns its budget. While a host fetch waits, the guest's call is suspended and the
//! thread serves others.
//!
//! Run it and talk to it:
//!
//! ```text
//! cargo run --example async_server -- --engine wasmi 127.0.0.1:7878
//! printf 'GET 3\nSPIN\n' | nc 127.0.0.1 7878
//! ```
//!
//! `cargo test --example async_server` runs its test: 32 clients and 4
//! runaways against the server on 127.0.0.1, on every backend.

mod server {
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};
    use wasm_run::{
        AnyEngine, Caller, Config, Feature, Linker, Module, Result, Store, YieldPolicy,
    };

    /// The request handler every request runs.
    const HANDLER: &str = r#"
    (module
      (import "db" "fetch" (func $fetch (param i32) (result i64)))
      (func (export "handle") (param $key i32) (result i64)
        (local $i i32) (local $sum i64)
        ;; A negative key is a runaway: an endless loop.
        (if (i32.lt_s (local.get $key) (i32.const 0))
          (then (loop $forever (br $forever))))
        (loop $next
          (local.set $sum
            (i64.add (local.get $sum)
                     (call $fetch (i32.add (local.get $key) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const 3))))
        (local.get $sum)))
    "#;

    /// What one request may use.
    const FUEL: u64 = 200_000_000;
    const DEADLINE: Duration = Duration::from_secs(2);
    const YIELD_EVERY: Duration = Duration::from_millis(1);
    /// How long the host's "database" takes to answer.
    const FETCH_LATENCY: Duration = Duration::from_millis(3);

    /// The "database": the value stored under `key`.
    fn value_of(key: i32) -> i64 {
        i64::from(key) * i64::from(key)
    }

    /// The engine, the linker with the host's functions, and the compiled
    /// handler: made once, shared by every request.
    struct Server {
        engine: AnyEngine,
        linker: Linker<AnyEngine, ()>,
        handler: Module<AnyEngine>,
    }

    impl Server {
        fn new(engine: &str) -> Result<Self> {
            let mut config = Config::new();
            config.fuel(true).enable(Feature::Deadline);
            let engine = AnyEngine::by_name(engine, &config)?;
            let mut linker = Linker::new(&engine);
            linker.func_wrap_async("db", "fetch", |_: Caller<'_, AnyEngine, ()>, key: i32| {
                // The future holds no borrow of the store: the guest's call is
                // suspended while it waits, and the thread serves others.
                Ok(async move {
                    tokio::time::sleep(FETCH_LATENCY).await;
                    Ok(value_of(key))
                })
            })?;
            let handler = Module::new(&engine, HANDLER)?;
            Ok(Server {
                engine,
                linker,
                handler,
            })
        }

        /// Runs the handler for one request in a fresh store with its budget.
        async fn handle(&self, key: i32) -> Result<i64> {
            let mut store = Store::new(&self.engine, ());
            store.set_fuel(FUEL)?;
            store.set_deadline(DEADLINE)?;
            // Yield through tokio's own `yield_now`, which lets the runtime look
            // at its timers and sockets before it polls this guest again.
            store.set_yield_policy(
                YieldPolicy::new()
                    .every(YIELD_EVERY)
                    .yield_with(tokio::task::yield_now),
            )?;
            let instance = self
                .linker
                .instantiate_async(&mut store, &self.handler)
                .await?;
            let handle = instance.get_typed_func::<i32, i64>(&mut store, "handle")?;
            handle.call_async(&mut store, key).await
        }

        /// The answer to one request line.
        async fn answer(&self, line: &str) -> String {
            let key = match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["GET", k] => match k.parse::<i32>() {
                    Ok(k) if k >= 0 => k,
                    _ => return "error: GET takes a key from 0 to 2^31-1".into(),
                },
                ["SPIN"] => -1,
                _ => return "error: requests are `GET <key>` or `SPIN`".into(),
            };
            match self.handle(key).await {
                Ok(sum) => format!("ok {sum}"),
                Err(e) => format!("error: {e}"),
            }
        }

        /// Serves one connection: one answer line per request line.
        async fn connection(self: Arc<Self>, stream: TcpStream) -> std::io::Result<()> {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Some(line) = lines.next_line().await? {
                let mut answer = self.answer(&line).await;
                answer.push('\n');
                write.write_all(answer.as_bytes()).await?;
            }
            Ok(())
        }

        /// Accepts connections until the listener fails.
        async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::spawn(self.clone().connection(stream));
            }
        }
    }

    pub fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let mut engine = wasm_run::BACKENDS[0].to_string();
        let mut addr = "127.0.0.1:7878".to_string();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--engine" => engine = args.next().ok_or("--engine takes a name")?,
                _ => addr = arg,
            }
        }
        let server = Arc::new(Server::new(&engine)?);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let listener = TcpListener::bind(&addr).await?;
            eprintln!(
                "serving on {} with {engine} (GET <key> | SPIN)",
                listener.local_addr()?
            );
            server.serve(listener).await
        })?;
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::time::Instant;

        /// Sends `requests` on one connection, one at a time; the answers and
        /// when the last one came.
        async fn client(
            addr: std::net::SocketAddr,
            requests: Vec<String>,
        ) -> (Vec<String>, Instant) {
            let stream = TcpStream::connect(addr).await.expect("a connection");
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            let mut answers = Vec::new();
            for request in requests {
                write
                    .write_all(format!("{request}\n").as_bytes())
                    .await
                    .expect("a request sent");
                let answer = lines.next_line().await.expect("an answer read");
                answers.push(answer.expect("an answer before the connection closed"));
            }
            (answers, Instant::now())
        }

        #[test]
        fn many_clients_and_runaways_on_one_thread() {
            const CLIENTS: i32 = 32;
            const REQUESTS: i32 = 3;
            const RUNAWAYS: usize = 4;
            // Every backend with async calls (the others answer `Unsupported`).
            let with_async = wasm_run::BACKENDS.iter().filter(|name| {
                let engine = AnyEngine::by_name(name, &Config::new()).unwrap();
                wasm_run::Engine::support(&engine, Feature::Async).is_supported()
            });
            for engine in with_async {
                let server = Arc::new(Server::new(engine).unwrap());
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let started = Instant::now();
                let (quick, runaways) = runtime.block_on(async {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    tokio::spawn(server.serve(listener));
                    // The runaways first, so that they are running when the
                    // others arrive.
                    let runaways: Vec<_> = (0..RUNAWAYS)
                        .map(|_| tokio::spawn(client(addr, vec!["SPIN".into()])))
                        .collect();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let quick: Vec<_> = (0..CLIENTS)
                        .map(|c| {
                            let requests = (0..REQUESTS)
                                .map(|r| format!("GET {}", c * 100 + r))
                                .collect();
                            tokio::spawn(client(addr, requests))
                        })
                        .collect();
                    // Malformed requests get an error line, and the connection
                    // goes on.
                    let (bad, _) =
                        client(addr, vec!["HELLO".into(), "GET x".into(), "GET 1".into()]).await;
                    assert!(bad[0].starts_with("error: requests are"), "{bad:?}");
                    assert!(bad[1].starts_with("error: GET takes"), "{bad:?}");
                    assert_eq!(bad[2], "ok 14");
                    let mut answers = Vec::new();
                    for q in quick {
                        answers.push(q.await.expect("a client task"));
                    }
                    let mut spun = Vec::new();
                    for r in runaways {
                        spun.push(r.await.expect("a runaway client task"));
                    }
                    (answers, spun)
                });
                // Every quick request got the right sum, computed here from the
                // "database" independently of the guest.
                for (c, (answers, _)) in quick.iter().enumerate() {
                    for (r, answer) in answers.iter().enumerate() {
                        let key = c as i32 * 100 + r as i32;
                        let sum: i64 = (key..key + 3).map(value_of).sum();
                        assert_eq!(answer, &format!("ok {sum}"), "{engine}: GET {key}");
                    }
                }
                // Every runaway was stopped by its budget.
                let first_runaway_done = runaways.iter().map(|(_, at)| *at).min().unwrap();
                for (answers, _) in &runaways {
                    let a = &answers[0];
                    assert!(
                        a.starts_with("error: ") && (a.contains("fuel") || a.contains("deadline")),
                        "{engine}: SPIN answered {a:?}"
                    );
                }
                // And they did not stall the others: every quick client had all
                // its answers before the first runaway was stopped.
                let last_quick_done = quick.iter().map(|(_, at)| *at).max().unwrap();
                assert!(
                    last_quick_done < first_runaway_done,
                    "{engine}: the last quick client finished {:?} after the start, \
                     the first runaway was stopped after {:?}",
                    last_quick_done - started,
                    first_runaway_done - started
                );
                eprintln!(
                    "{engine}: {CLIENTS}×{REQUESTS} requests answered after {:?}; \
                     runaways stopped after {:?} ({})",
                    last_quick_done - started,
                    first_runaway_done - started,
                    runaways[0].0[0]
                );
            }
        }
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    server::main()
}
