//! Tutorial step 5: greet each client when it connects, and tell the others
//! who came and went. Messages are still broadcast to everyone.
//!
//! Run it with `cargo run --example welcome` and connect a few times with
//! `npx wscat -c ws://127.0.0.1:3000`.

use wshub::{Client, Config, Handler, Message, Server, Target};

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
pub fn start(config: Config) -> std::io::Result<Server> {
    Server::start(config, Welcome)
}

fn main() -> std::io::Result<()> {
    simple_logger::SimpleLogger::new()
        .with_level(log::LevelFilter::Info)
        .init()
        .ok();
    let server = start(Config::default())?;
    println!(
        "welcome server on ws://{}  (Ctrl-C to stop)",
        server.local_addr()
    );
    loop {
        std::thread::park();
    }
}
