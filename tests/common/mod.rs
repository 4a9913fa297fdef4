//! Helpers shared by the integration tests: a server on 127.0.0.1 port 0,
//! real tungstenite clients with deadlines, and a watchdog that turns a
//! hang into a failure.
#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

pub mod browser;
pub mod deflate;
pub mod http;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crossbeam_channel::Sender;
use tungstenite::protocol::CloseFrame;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};
use wshub::{Broadcast, Chat, Config, Echo, Handler, Server};

/// How long any single wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A WebSocket client connection.
pub type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// A config for tests: port 0 on loopback.
pub fn config() -> Config {
    Config {
        port: 0,
        ..Config::default()
    }
}

/// Starts a broadcast-mode server with no welcome message (the mode's
/// greeting would be one more message for every test to skip).
pub fn start(config: Config) -> Server {
    let quiet = Broadcast {
        welcome: String::new(),
        ..Broadcast::default()
    };
    start_with(config, quiet)
}

/// Starts a chat-mode server.
pub fn start_chat(config: Config) -> Server {
    start_with(config, Chat::default())
}

/// Starts an echo-mode server.
pub fn start_echo(config: Config) -> Server {
    start_with(config, Echo::default())
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

/// The next text message, parsed as JSON.
pub fn recv_json(ws: &mut Ws) -> serde_json::Value {
    let text = recv_text(ws);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Sends `value` as one text message.
pub fn send_json(ws: &mut Ws, value: serde_json::Value) {
    ws.send(Message::text(value.to_string())).expect("send");
}

/// Chat mode: connects, reads the `welcome` and the client's own `joined`
/// presence in the lobby, and returns the client with its id. Once this
/// returns, the client is in the lobby.
pub fn chat_connect(addr: SocketAddr) -> (Ws, u64) {
    let mut ws = connect(addr);
    let welcome = recv_json(&mut ws);
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let id = welcome["id"].as_u64().expect("welcome has an id");
    let joined = recv_json(&mut ws);
    assert_eq!(
        joined,
        serde_json::json!({"type": "presence", "event": "joined", "id": id, "name": null, "room": "lobby"})
    );
    (ws, id)
}

/// Chat mode: sends `request` with the ack token `ack` and reads messages
/// until the answer to it (an `ack` or an `error` carrying the token);
/// returns the answer and what arrived before it.
pub fn chat_request(
    ws: &mut Ws,
    mut request: serde_json::Value,
    ack: &str,
) -> (serde_json::Value, Vec<serde_json::Value>) {
    request["ack"] = ack.into();
    send_json(ws, request);
    let mut before = Vec::new();
    loop {
        let message = recv_json(ws);
        let answers = matches!(message["type"].as_str(), Some("ack" | "error"));
        if answers && message["ack"] == ack {
            return (message, before);
        }
        before.push(message);
    }
}

/// A raw TCP connection that completes the WebSocket handshake and then
/// does only what the test makes it do: no pongs, no close replies. Reads
/// have [`DEADLINE`].
pub fn raw_handshake(addr: SocketAddr) -> TcpStream {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).expect("raw client connects");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(upgrade_head("/", "").as_bytes()).unwrap();
    // Byte by byte up to the blank line, so no frame after it is consumed.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream
            .read_exact(&mut byte)
            .expect("the 101 answer arrives");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101 "),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

/// Sends `request` on a new connection and returns everything the server
/// sends until it closes (reads have [`DEADLINE`]).
pub fn http_exchange(addr: SocketAddr, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).expect("raw client connects");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(request).expect("request sent");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("the whole response, then EOF (not a reset)");
    String::from_utf8_lossy(&response).into_owned()
}

/// The real `wshub` binary, started with `--port 0`; its stdout (the log)
/// is read line by line on a thread of its own. Dropping it kills the
/// process if it is still running.
pub struct Binary {
    child: Option<std::process::Child>,
    /// The address the binary logged that it listens on.
    pub addr: SocketAddr,
    log: crossbeam_channel::Receiver<String>,
}

impl Binary {
    /// Starts `wshub --port 0 ARGS...` and waits for its "listening" line.
    pub fn start(args: &[&str]) -> Binary {
        Binary::start_with_env(args, &[])
    }

    /// Like [`Binary::start`], with extra environment variables (and
    /// without the test's own `RUST_LOG`).
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Binary {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wshub"))
            .args(["--port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("wshub starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, log) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut binary = Binary {
            child: Some(child),
            addr: "0.0.0.0:0".parse().unwrap(),
            log,
        };
        let line = binary.wait_for_log("wshub listening on ws://");
        let after = line.split("ws://").nth(1).unwrap();
        binary.addr = after.split_whitespace().next().unwrap().parse().unwrap();
        binary
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("still running").id()
    }

    /// Waits (at most [`DEADLINE`]) for a log line containing `text`.
    pub fn wait_for_log(&self, text: &str) -> String {
        self.log_until(text)
            .pop()
            .expect("at least the matching line")
    }

    /// Reads log lines until one contains `text` (at most [`DEADLINE`]
    /// per line) and returns them all, that one last.
    pub fn log_until(&self, text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self
                .log
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("wshub never logged {text:?}; it logged {lines:#?}"));
            let found = line.contains(text);
            lines.push(line);
            if found {
                return lines;
            }
        }
    }

    /// Sends a real signal (`TERM`, `INT`, ...) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s {name} failed");
    }

    /// Waits (at most [`DEADLINE`]) for the process to exit; returns its
    /// status and the log lines it wrote that were not read yet.
    pub fn wait_exit(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.pid();
        let mut child = self.child.take().expect("still running");
        let (tx, rx) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let Ok(status) = rx.recv_timeout(DEADLINE) else {
            let _ = std::process::Command::new("kill")
                .args(["-s", "KILL", &pid.to_string()])
                .status();
            panic!("wshub did not exit in time");
        };
        let status = status.expect("wait works");
        // The process is gone: its stdout is closed, so this ends.
        let log = self.log.iter().collect();
        (status, log)
    }

    /// Kills the process and returns the log lines not read yet.
    pub fn kill_and_log(mut self) -> Vec<String> {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.log.iter().collect()
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

impl Drop for Binary {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
