//! Tutorial step 8: push to every WebSocket client from your own HTTP route,
//! on the same port, like an Express route calling `broadcastMessage()` in
//! the Express + `ws` tutorial (and Socket.IO's `/broadcast/:message`), on
//! port 3000.
//!
//! Run it with `cargo run --example http_broadcast`, connect a client or
//! two (`npx wscat -c ws://127.0.0.1:3000`), then:
//!
//! ```sh
//! curl -d 'dinner is ready' http://127.0.0.1:3000/notify
//! ```
//!
//! and every client prints the message; curl prints how many got it.

mod common;

use std::process::ExitCode;

use wshub::http::{Request, Response};
use wshub::{Client, Config, Handler, Hub, Message, Server, StartError, Target};

struct Notifier;

impl Handler for Notifier {
    // Node: `router.post('/notify', (req, res) => { broadcastMessage(...) })`.
    // Here the route is a method of the handler, and the Hub is the
    // `broadcastMessage` any thread may call.
    fn on_http(&self, request: &Request, body: &[u8], hub: &Hub) -> Option<Response> {
        if request.path() != "/notify" {
            return None; // Not ours: the built-in routes and the page answer it.
        }
        if request.method != "POST" {
            return Some(Response::error(405, "POST a text body").with_header("Allow", "POST"));
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return Some(Response::error(400, "the body must be UTF-8 text"));
        };
        // `send_counted` waits for the hub: a send that reached nobody is
        // reported, not lost silently.
        let answer = match hub.send_counted(Target::All, Message::text(text)) {
            Ok(recipients) => serde_json::json!({ "message": text, "recipients": recipients }),
            Err(closed) => return Some(Response::error(503, &closed.to_string())),
        };
        Some(Response::json(200, &answer))
    }

    // Messages from clients are simply shown on the server's terminal.
    fn on_message(&self, client: &Client, message: Message) {
        println!("client {} says {message}", client.id());
    }
}

/// Starts the server (the tests call this with port 0).
pub fn start(config: Config) -> Result<Server, StartError> {
    Server::start(config, Notifier)
}

fn main() -> ExitCode {
    common::serve(start, |addr| {
        format!("clients: ws://{addr}   push: curl -d 'hello' http://{addr}/notify")
    })
}
