//! Tutorial step 1: an echo server. Every message a client sends comes
//! straight back to it, text as text and binary as binary.
//!
//! Run it with `cargo run --example echo`, then connect with
//! `npx wscat -c ws://127.0.0.1:3000` and type something.

use wshub::{Client, Config, Message, Server};

/// Starts the echo server (the tests call this with port 0).
pub fn start(config: Config) -> std::io::Result<Server> {
    // Node: `ws.on('message', (data) => ws.send(data))`. Here the closure is
    // the message handler, and `reply` sends to the client that spoke.
    let echo = |client: &Client, message: Message| {
        println!("client {} sent {message}", client.id());
        let _ = client.reply(message);
    };
    Server::start(config, echo)
}

fn main() -> std::io::Result<()> {
    simple_logger::SimpleLogger::new()
        .with_level(log::LevelFilter::Info)
        .init()
        .ok();
    let server = start(Config::default())?;
    println!(
        "echo server on ws://{}  (Ctrl-C to stop)",
        server.local_addr()
    );
    // The server runs on its own threads; this one only waits.
    loop {
        std::thread::park();
    }
}
