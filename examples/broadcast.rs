//! Tutorial step 4: a broadcast server. Every message a client sends goes
//! to every connected client; with `--others`, to everyone but the sender.
//! It follows the `ws` demo tutorial, whose server listens on port 1919.
//!
//! Run it with `cargo run --example broadcast -- --port 1919` (add
//! `--others` for everyone but the sender), open two terminals with
//! `npx wscat -c ws://localhost:1919`, and type in one.

mod common;

use std::process::ExitCode;

use wshub::{Client, Config, Message, Server, StartError, Target};

/// Starts the broadcast server (the tests call this with port 0).
pub fn start(config: Config, others_only: bool) -> Result<Server, StartError> {
    // Node loops over `wss.clients` and sends to each open one, skipping the
    // sender for "everyone else". Here the hub does the loop: we only say
    // who should get the message.
    Server::start(config, move |client: &Client, message: Message| {
        let target = if others_only {
            Target::AllExcept(client.id())
        } else {
            Target::All
        };
        let _ = client.hub().send(target, message);
    })
}

fn main() -> ExitCode {
    let others_only = std::env::args().any(|arg| arg == "--others");
    common::serve(
        |config| start(config, others_only),
        |addr| format!("broadcast server on ws://{addr}"),
    )
}
