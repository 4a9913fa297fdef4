//! Helpers shared by the integration tests: a server on 127.0.0.1 port 0,
//! real tungstenite clients with deadlines, and a watchdog that turns a
//! hang into a failure.
#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

pub mod browser;
pub mod http;

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
