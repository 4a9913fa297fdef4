//! A terminal client in the spirit of wscat: it connects, prints every
//! message that arrives, and sends each line you type. With `--json` a line
//! is sent as a chat message, `{"type":"message","text":"<line>"}`, unless
//! it is a JSON object already, which goes as typed:
//! `{"type":"name","name":"ann"}`, `{"type":"join","room":"ops"}`...
//!
//! Run it with `cargo run --example client -- [--json] [URL]` (the URL
//! defaults to ws://127.0.0.1:3000). Ctrl-D closes the connection politely.

use std::io::{self, BufRead, Write};
use std::sync::mpsc::{self, TryRecvError};
use std::time::Duration;

use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Error, Message};

/// How long a read may wait before the loop looks for typed lines.
const POLL: Duration = Duration::from_millis(50);

/// What a typed line becomes on the wire.
pub fn to_message(line: &str, json: bool) -> Message {
    if json && !line.trim_start().starts_with('{') {
        Message::text(serde_json::json!({"type": "message", "text": line}).to_string())
    } else {
        Message::text(line)
    }
}

/// Connects to `url`, sends each line of `input`, and writes what arrives
/// to `output` until the connection closes; at the end of `input` it
/// closes the connection and waits for the server's answer.
pub fn run(
    url: &str,
    json: bool,
    input: impl BufRead + Send + 'static,
    output: &mut impl Write,
) -> Result<(), Error> {
    let (mut ws, _) = tungstenite::connect(url)?;
    // A WebSocket cannot be read on one thread and written on another, so
    // reads give up after POLL and the loop sends typed lines in between.
    if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
        stream.set_read_timeout(Some(POLL))?;
    }
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
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
        while input_open {
            match lines.try_recv() {
                Ok(line) => ws.send(to_message(&line, json))?,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    input_open = false;
                    ws.close(None)?;
                }
            }
        }
    }
}

fn main() {
    let mut json = false;
    let mut url = String::from("ws://127.0.0.1:3000");
    for arg in std::env::args().skip(1) {
        if arg == "--json" {
            json = true;
        } else {
            url = arg;
        }
    }
    let stdin = io::BufReader::new(io::stdin());
    if let Err(err) = run(&url, json, stdin, &mut io::stdout()) {
        eprintln!("{url}: {err}");
        std::process::exit(1);
    }
}
