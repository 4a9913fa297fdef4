//! Helpers shared by the integration tests: a server on 127.0.0.1 port 0,
//! real tungstenite clients with deadlines, and a watchdog that turns a
//! hang into a failure.
#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crossbeam_channel::Sender;
use tungstenite::protocol::CloseFrame;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};
use wshub::{Config, Handler, Server};

/// How long any single wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A WebSocket client connection.
pub type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// A config for tests: port 0 on loopback, no welcome message.
pub fn config() -> Config {
    Config {
        port: 0,
        welcome: Some(String::new()),
        ..Config::default()
    }
}

/// Starts a server with a built-in mode.
pub fn start(config: Config) -> Server {
    Server::bind(config).expect("server starts")
}

/// Starts a server with a custom handler.
pub fn start_with(config: Config, handler: impl Handler) -> Server {
    Server::start(config, handler).expect("server starts")
}

/// Connects a client to `addr` (path `/`); every read has [`DEADLINE`].
pub fn connect(addr: SocketAddr) -> Ws {
    connect_path(addr, "/")
}

/// Connects a client to `path` on `addr`.
pub fn connect_path(addr: SocketAddr, path: &str) -> Ws {
    let (ws, _) = tungstenite::connect(format!("ws://{addr}{path}")).expect("client connects");
    if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
    }
    ws
}

/// Connects `n` clients and waits until the server has all of them.
pub fn connect_many(server: &Server, n: usize) -> Vec<Ws> {
    let before = server.client_count();
    let clients: Vec<Ws> = (0..n).map(|_| connect(server.local_addr())).collect();
    assert!(
        server.hub().wait_for_count(DEADLINE, |c| c >= before + n),
        "server never saw {n} clients"
    );
    clients
}

/// The next data message (pings and pongs are skipped); panics on a close,
/// an error or [`DEADLINE`].
pub fn recv(ws: &mut Ws) -> Message {
    loop {
        match ws.read() {
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => return message,
            Ok(other) => panic!("expected a data message, got {other:?}"),
            Err(err) => panic!("expected a data message, got error {err}"),
        }
    }
}

/// The next text message.
pub fn recv_text(ws: &mut Ws) -> String {
    match recv(ws) {
        Message::Text(text) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Reads until the server's close frame arrives and returns it; data
/// messages before it are returned in order too.
pub fn recv_until_close(ws: &mut Ws) -> (Vec<Message>, Option<CloseFrame>) {
    let mut before = Vec::new();
    loop {
        match ws.read() {
            Ok(Message::Close(frame)) => return (before, frame),
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => before.push(message),
            Ok(_) => {}
            Err(err) => panic!(
                "expected a close frame, got error {err} after {} messages",
                before.len()
            ),
        }
    }
}

/// Aborts the whole test process if it is still running after `limit`:
/// a hang must fail, not stall CI. Dropping the guard disarms it.
pub struct Watchdog(Option<Sender<()>>);

/// Arms a [`Watchdog`].
pub fn watchdog(limit: Duration) -> Watchdog {
    let (tx, rx) = crossbeam_channel::bounded::<()>(0);
    let name = std::thread::current().name().unwrap_or("test").to_string();
    std::thread::spawn(move || {
        if let Err(crossbeam_channel::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            eprintln!("watchdog: {name} still running after {limit:?}; aborting");
            std::process::abort();
        }
    });
    Watchdog(Some(tx))
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.take(); // Disconnects the channel: the watchdog thread ends.
    }
}

/// Connects to `path` on `addr` with extra request headers (`Origin`,
/// `Authorization`, `Cookie`...). A handshake the server refuses comes back
/// as `Err(status)`; any other failure panics.
pub fn try_connect(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Ws, u16> {
    use tungstenite::client::IntoClientRequest;
    use tungstenite::http::{HeaderName, HeaderValue};
    let mut request = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("valid URL");
    for (name, value) in headers {
        request.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).expect("valid header name"),
            HeaderValue::from_str(value).expect("valid header value"),
        );
    }
    match tungstenite::connect(request) {
        Ok((ws, _)) => {
            if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
                stream.set_read_timeout(Some(DEADLINE)).unwrap();
            }
            Ok(ws)
        }
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(err) => panic!("handshake with {addr} failed: {err}"),
    }
}

/// A complete WebSocket upgrade request head for `target`, with extra
/// header lines (each ending in `\r\n`).
pub fn upgrade_head(target: &str, extra_headers: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra_headers}\r\n"
    )
}

/// Sends `request` as raw bytes and returns everything the server answers
/// until it closes the connection (each read has [`DEADLINE`]): for
/// requests the server answers and closes, such as a refused upgrade.
pub fn raw_exchange(addr: SocketAddr, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).expect("TCP connect");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("answer read to the end");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The real `wshub` binary, started by a test; killed when dropped.
pub struct Binary {
    /// The child process.
    pub child: std::process::Child,
    /// The address it listens on, read from its start-up log line.
    pub addr: SocketAddr,
    /// Its stdout (where it logs), one line per message, read on a thread.
    pub lines: crossbeam_channel::Receiver<String>,
}

/// Starts the `wshub` binary on `127.0.0.1`, port 0, with `args` and extra
/// environment variables, and waits (up to [`DEADLINE`]) for its
/// "listening on" log line.
pub fn run_binary(args: &[&str], env: &[(&str, &str)]) -> Binary {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wshub"))
        .args(["--port", "0"])
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("wshub binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, lines) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut binary = Binary {
        child,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        lines,
    };
    loop {
        let line = binary
            .lines
            .recv_timeout(DEADLINE)
            .expect("a start-up log line in time");
        if let Some(rest) = line.split("listening on ws://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            binary.addr = addr.parse().expect("an address in the start-up line");
            return binary;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
