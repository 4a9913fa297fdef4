//! Tutorial step 6: client ids and direct messages. Each client learns its
//! id on connect; a message written `@7 hello` goes to client 7 only, and
//! anything else goes to everyone. It follows the Express + `ws` tutorial
//! ("Sending WebSocket messages to specific clients") and the Socket.IO
//! tutorial's client ids, on port 3000.
//!
//! Run it with `cargo run --example direct`, connect twice with
//! `npx wscat -c ws://127.0.0.1:3000`, and send `@1 psst` from the second.

mod common;

use std::process::ExitCode;

use wshub::{Client, ClientId, Config, Handler, Message, Server, StartError, Target};

struct Direct;

impl Handler for Direct {
    fn on_connect(&self, client: &Client) {
        let _ = client.reply(Message::text(format!("your id is {}", client.id())));
    }

    fn on_message(&self, client: &Client, message: Message) {
        let Ok(text) = message.to_text() else {
            let _ = client.reply(Message::text("error: only text messages are understood"));
            return;
        };
        // Node keeps `clients[id] = ws` and looks the id up; the hub keeps
        // that map for us, so `Target::One(id)` is the whole lookup.
        let Some((to, body)) = text.strip_prefix('@').and_then(|rest| rest.split_once(' ')) else {
            let _ = client.hub().send(Target::All, Message::text(text));
            return;
        };
        let from = client.id();
        let reached = to.parse().ok().map_or(Ok(0), |id| {
            let direct = Message::text(format!("from {from}: {body}"));
            client.hub().send_counted(Target::One(ClientId(id)), direct)
        });
        if reached == Ok(0) {
            let _ = client.reply(Message::text(format!("error: no client {to}")));
        }
    }
}

/// Starts the server (the tests call this with port 0).
pub fn start(config: Config) -> Result<Server, StartError> {
    Server::start(config, Direct)
}

fn main() -> ExitCode {
    common::serve(start, |addr| {
        format!("direct-message server on ws://{addr}")
    })
}
