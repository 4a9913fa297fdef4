//! A terminal client in the spirit of wscat: it connects, says so, prints
//! every message that arrives, and sends each line you type. With `--json`
//! a line is sent as a chat message, `{"type":"message","text":"<line>"}`,
//! unless it is a JSON object already, which goes as typed:
//! `{"type":"name","name":"ann"}`, `{"type":"join","room":"ops"}`...
//!
//! Like the browser page, it reconnects by itself when the server goes
//! away (after 1, 2, 4 … up to 30 s), with one line saying so rather than
//! one per failed try.
//!
//! Run it with `cargo run --example client -- [--json] [URL]` (the URL
//! defaults to ws://127.0.0.1:3000; `--help` says this). Ctrl-D closes the
//! connection politely and quits.

use std::io::{self, BufRead, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Error, Message, WebSocket};

/// How long a read may wait before the loop looks for typed lines.
const POLL: Duration = Duration::from_millis(50);
/// The wait before the first reconnect; it doubles after each failed try.
const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait between tries.
const MAX_DELAY: Duration = Duration::from_secs(30);

const USAGE: &str = "\
usage: cargo run --example client -- [--json] [URL]

Connects to URL (default ws://127.0.0.1:3000), prints what arrives as
`< ...`, and sends each line you type. Reconnects by itself if the
server goes away. Ctrl-D quits.

  --json   send each line as a chat message {\"type\":\"message\",\"text\":LINE}
           (a line that is a JSON object goes as typed)
  --help   this text";

/// What a typed line becomes on the wire.
pub fn to_message(line: &str, json: bool) -> Message {
    if json && !line.trim_start().starts_with('{') {
        Message::text(serde_json::json!({"type": "message", "text": line}).to_string())
    } else {
        Message::text(line)
    }
}

/// How a connection ended.
enum Ended {
    /// The input ended, and the close handshake we started is done.
    InputClosed,
    /// The server closed the connection, or it broke.
    ServerGone,
}

type Ws = WebSocket<MaybeTlsStream<std::net::TcpStream>>;

/// Connects to `url`, sends each line of `input`, and writes what arrives
/// to `output`, reconnecting whenever the server goes away, until `input`
/// ends: then it closes the connection, waits for the server's answer and
/// returns.
///
/// # Errors
///
/// A URL it cannot use, a server that refuses the handshake (such as 401
/// for a missing token: trying again would not help), or `output` failing.
pub fn run(
    url: &str,
    json: bool,
    input: impl BufRead + Send + 'static,
    output: &mut impl Write,
) -> Result<(), Error> {
    // Reading the terminal blocks, so it gets a thread of its own; lines
    // come over a channel, which disconnects when the input ends.
    let (typed, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in input.lines().map_while(Result::ok) {
            if typed.send(line).is_err() {
                break;
            }
        }
    });
    let mut delay = FIRST_DELAY;
    // Whether a "reconnecting" line is already out: retries stay quiet.
    let mut retrying = false;
    loop {
        match tungstenite::connect(url) {
            Ok((ws, _)) => {
                delay = FIRST_DELAY;
                writeln!(output, "connected to {url} (Ctrl-D to quit)")?;
                match session(ws, json, &lines, output)? {
                    Ended::InputClosed => return Ok(()),
                    // Counts as the one line for the tries that follow.
                    Ended::ServerGone => {
                        writeln!(output, "disconnected; reconnecting")?;
                        retrying = true;
                    }
                }
            }
            Err(err @ (Error::Url(_) | Error::Http(_))) => return Err(err),
            Err(err) if !retrying => {
                writeln!(output, "cannot connect to {url} ({err}); reconnecting")?;
                retrying = true;
            }
            Err(_) => {}
        }
        if !wait(delay, &lines, output)? {
            return Ok(()); // The input ended while disconnected.
        }
        delay = (delay * 2).min(MAX_DELAY);
    }
}

/// Waits `delay` before the next try; lines typed meanwhile are not sent,
/// and the user is told so. Returns false if the input ends.
fn wait(delay: Duration, lines: &Receiver<String>, output: &mut impl Write) -> io::Result<bool> {
    let until = Instant::now() + delay;
    loop {
        match lines.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(line) => writeln!(output, "not sent (the connection is closed): {line}")?,
            Err(RecvTimeoutError::Timeout) => return Ok(true),
            Err(RecvTimeoutError::Disconnected) => return Ok(false),
        }
    }
}

/// One connection: prints what arrives and sends typed lines until it ends.
fn session(
    mut ws: Ws,
    json: bool,
    lines: &Receiver<String>,
    output: &mut impl Write,
) -> Result<Ended, Error> {
    // A WebSocket cannot be read on one thread and written on another, so
    // reads give up after POLL and the loop sends typed lines in between.
    if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
        stream.set_read_timeout(Some(POLL))?;
    }
    let mut input_open = true;
    loop {
        match ws.read() {
            Ok(Message::Text(text)) => writeln!(output, "< {text}")?,
            Ok(Message::Binary(data)) => writeln!(output, "< [{} bytes of binary]", data.len())?,
            Ok(Message::Close(frame)) => match frame {
                Some(frame) => {
                    writeln!(output, "closed: {} {:?}", frame.code, frame.reason.as_str())?
                }
                None => writeln!(output, "closed")?,
            },
            Ok(_) => {} // Pings are answered by tungstenite itself.
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(Error::ConnectionClosed) if !input_open => return Ok(Ended::InputClosed),
            Err(e) => return gone(e),
        }
        while input_open {
            let sent = match lines.try_recv() {
                Ok(line) => ws.send(to_message(&line, json)),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    input_open = false;
                    ws.close(None)
                }
            };
            if let Err(e) = sent {
                return gone(e);
            }
        }
    }
}

/// A read or write error: the server went away (then reconnect), or
/// something no reconnect would fix.
fn gone(err: Error) -> Result<Ended, Error> {
    match err {
        Error::ConnectionClosed | Error::AlreadyClosed | Error::Io(_) | Error::Protocol(_) => {
            Ok(Ended::ServerGone)
        }
        other => Err(other),
    }
}

fn main() {
    let mut json = false;
    let mut url = String::from("ws://127.0.0.1:3000");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                // Piped into `head`, stdout may close early: not an error.
                let _ = writeln!(io::stdout(), "{USAGE}");
                return;
            }
            flag if flag.starts_with('-') => {
                eprintln!("unknown option {flag}\n\n{USAGE}");
                std::process::exit(2);
            }
            _ => url = arg,
        }
    }
    let stdin = io::BufReader::new(io::stdin());
    if let Err(err) = run(&url, json, stdin, &mut io::stdout()) {
        eprintln!("{url}: {err}");
        std::process::exit(1);
    }
}
