//! Tutorial step 1: an echo server. Every message a client sends comes
//! straight back to it, text as text and binary as binary.
//!
//! Run it with `cargo run --example echo`, then connect:
//! `npx wscat -c ws://127.0.0.1:3000` and type something.

use wshub::{Client, Config, Message, Server};

fn main() -> std::io::Result<()> {
    simple_logger::SimpleLogger::new()
        .with_level(log::LevelFilter::Info)
        .init()
        .ok();

    // Where the Node version writes `ws.on('message', data => ws.send(data))`,
    // we give the server a closure with the same job.
    let echo = |client: &Client, message: Message| {
        let _ = client.reply(message);
    };
    let server = Server::start(Config::default(), echo)?;
    println!(
        "echo server on ws://{}  (Ctrl-C to stop)",
        server.local_addr()
    );

    // The server runs on its own threads; this one just waits.
    loop {
        std::thread::park();
    }
}
