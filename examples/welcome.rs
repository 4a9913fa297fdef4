//! Tutorial step 5: greet each client when it connects, and tell the others
//! who came and went. Messages are still broadcast to everyone. It follows
//! the Socket.IO tutorial ("Websockets in Node JS"), on its port 3000.
//!
//! Run it with `cargo run --example welcome` and connect a few times with
//! `npx wscat -c ws://localhost:3000`.

mod common;

use std::process::ExitCode;

use wshub::{Client, Config, Handler, Message, Server, StartError, Target};

/// A handler with all three hooks, like Socket.IO's `connection`,
/// `message` and `disconnect` events.
struct Welcome;

impl Handler for Welcome {
    fn on_connect(&self, client: &Client) {
        let _ = client.reply(Message::text(format!(
            "Welcome! You are client {}",
            client.id()
        )));
        let news = format!("client {} joined", client.id());
        let _ = client
            .hub()
            .send(Target::AllExcept(client.id()), Message::text(news));
    }

    fn on_message(&self, client: &Client, message: Message) {
        let _ = client.hub().send(Target::All, message);
    }

    fn on_disconnect(&self, client: &Client) {
        let news = format!("client {} left", client.id());
        let _ = client.hub().send(Target::All, Message::text(news));
    }
}

/// Starts the server (the tests call this with port 0).
pub fn start(config: Config) -> Result<Server, StartError> {
    Server::start(config, Welcome)
}

fn main() -> ExitCode {
    common::serve(start, |addr| format!("welcome server on ws://{addr}"))
}
