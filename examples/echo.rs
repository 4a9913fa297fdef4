//! Tutorial step 1: an echo server. Every message a client sends comes
//! straight back to it, text as text and binary as binary. It follows the
//! Express + WebSocket chat tutorial, on its port 3000; step 2 runs it on
//! 8080, the port of the `ws` notes, to watch what it receives.
//!
//! Run it with `cargo run --example echo` (or `-- --port 8080`), then
//! connect with `npx wscat -c ws://localhost:3000` and type something.

mod common;

use std::process::ExitCode;

use wshub::{Client, Config, Message, Server, StartError};

/// Starts the echo server (the tests call this with port 0).
pub fn start(config: Config) -> Result<Server, StartError> {
    // Node: `ws.on('message', (data) => ws.send(data))`. Here the closure is
    // the message handler, and `reply` sends to the client that spoke.
    let echo = |client: &Client, message: Message| {
        println!("client {} sent {message}", client.id());
        let _ = client.reply(message);
    };
    Server::start(config, echo)
}

fn main() -> ExitCode {
    common::serve(start, |addr| format!("echo server on ws://{addr}"))
}
