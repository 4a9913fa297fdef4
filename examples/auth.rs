//! Tutorial step 11: authenticate during the upgrade. A client must connect
//! with `?token=...`; without the right one it gets `401` and never becomes
//! a WebSocket, as with the `verifyClient` / `upgrade` handling of `ws`.
//!
//! Run it with `TOKEN=opensesame cargo run --example auth`, then:
//!
//! ```sh
//! npx wscat -c ws://127.0.0.1:3000                  # error: 401
//! npx wscat -c 'ws://127.0.0.1:3000/?token=opensesame'  # connected
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
            .find_map(|pair| pair.strip_prefix("token="));
        if given == Some(self.token.as_str()) {
            Ok(())
        } else {
            Err(Response::error(401, "connect with ?token=..."))
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
