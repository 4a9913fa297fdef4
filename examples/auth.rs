//! Tutorial step 11: authenticate during the upgrade. A client must connect
//! with `?token=...` (or `?access_token=...`, the name in the `ws` notes,
//! whose server listens on port 8080); without the right one it gets `401`
//! and never becomes a WebSocket, as with the `verifyClient` / `upgrade`
//! handling of `ws`.
//!
//! Run it with `cargo run --example auth -- --port 8080` (the token is
//! `opensesame`, or `TOKEN=...`), then:
//!
//! ```sh
//! npx wscat -c ws://localhost:8080                           # error: 401
//! npx wscat -c 'ws://localhost:8080/?access_token=opensesame'  # connected
//! ```
//!
//! (The binary has this built in: `wshub --token SECRET`, or
//! `--jwt-secret` for signed tokens. This example shows the hook.)

mod common;

use std::process::ExitCode;

use wshub::http::{Request, Response};
use wshub::{Client, Config, Handler, Message, Server, StartError};

struct TokenGate {
    token: String,
}

impl Handler for TokenGate {
    // Runs before the `101 Switching Protocols`: the request's path, query
    // and headers are here, the WebSocket does not exist yet.
    fn on_upgrade(&self, request: &Request) -> Result<(), Response> {
        let given = request
            .query()
            .unwrap_or("")
            .split('&')
            // `access_token` is the name in ws's documentation.
            .find_map(|pair| {
                pair.strip_prefix("token=")
                    .or_else(|| pair.strip_prefix("access_token="))
            });
        if given == Some(self.token.as_str()) {
            Ok(())
        } else {
            Err(Response::error(
                401,
                "connect with ?token=... or ?access_token=...",
            ))
        }
    }

    fn on_connect(&self, client: &Client) {
        let _ = client.reply(Message::text("you are in"));
    }

    fn on_message(&self, client: &Client, message: Message) {
        let _ = client.reply(message);
    }
}

/// Starts the server with the token clients must present (the tests call
/// this with port 0).
pub fn start(config: Config, token: &str) -> Result<Server, StartError> {
    Server::start(
        config,
        TokenGate {
            token: token.into(),
        },
    )
}

fn main() -> ExitCode {
    let token = std::env::var("TOKEN").unwrap_or_else(|_| "opensesame".into());
    common::serve(
        |config| start(config, &token),
        |addr| format!("ws://{addr}/?token={token}"),
    )
}
