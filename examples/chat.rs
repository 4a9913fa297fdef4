//! Tutorial step 7: a chat server that speaks JSON. Each client gets an id
//! in its `welcome`, can pick a name, join rooms, write to a room or to one
//! client, and ask for an `ack`; bad JSON gets an `error` reply, never a
//! disconnect. It follows the Express + `ws` tutorial ("Make sure the
//! message is valid JSON"), on port 3000. The README's "Chat protocol"
//! section lists every message.
//! Lines you type into this server's terminal reach every client as
//! messages from the server.
//!
//! Run it with `cargo run --example chat`, then in two more terminals
//! `cargo run --example client -- --json` and type.

mod common;

use std::io::BufRead;
use std::process::ExitCode;

use wshub::{Chat, Config, Handler, Hub, Server, StartError, Target};

/// Starts the chat server (the tests call this with port 0).
pub fn start(config: Config) -> Result<Server, StartError> {
    // Node would `JSON.parse` each message in `ws.on('message')`, keep a
    // map of rooms, and answer `{type: 'error'}` when parsing fails. The
    // built-in `Chat` handler does all of that with the same public API
    // your own handler has (read it in src/modes/chat/):
    // - each request is decoded on the client's own thread (protocol.rs);
    // - `join` is `hub.join(id, room)`, and a message to a room is
    //   `hub.send_with_receipt(Target::Room(room), ...)`: the hub delivers
    //   it to the room's members of the moment, and the receipt's count is
    //   the `recipients` of the `ack` (state.rs, mod.rs);
    // - names and presence are the handler's own, behind one lock that it
    //   holds while it sends, so everyone sees joins, renames and messages
    //   in one order.
    Server::start(config, Chat::default())
}

/// Sends each line of `input` to every client as a message from the server.
pub fn announce_lines(hub: &Hub, input: impl BufRead) {
    for line in input.lines().map_while(Result::ok) {
        // `announce` wraps the text the chat way,
        // {"type":"message","from":null,...}, as `POST /broadcast` does.
        let _ = Chat::default().announce(hub, Target::All, &line);
    }
}

fn main() -> ExitCode {
    common::serve_reading_terminal(
        start,
        |addr| format!("chat server on ws://{addr}: type a line to announce it"),
        announce_lines,
    )
}
