//! Tutorial step 2: a broadcast server. Every message a client sends goes
//! to every connected client; with `--others`, to everyone but the sender.
//! Each client is greeted when it connects.
//!
//! Run it with `cargo run --example broadcast` (or `-- --others`), open two
//! terminals with `npx wscat -c ws://127.0.0.1:3000`, and type in one.

use wshub::{Broadcast, Config, Recipients, Server};

fn main() -> std::io::Result<()> {
    simple_logger::SimpleLogger::new()
        .with_level(log::LevelFilter::Info)
        .init()
        .ok();

    // The Node version loops over `wss.clients` and sends to each open one
    // (skipping the sender for "everyone else"). Here the hub does the loop;
    // we only say who should get the message.
    let recipients = if std::env::args().any(|a| a == "--others") {
        Recipients::Others
    } else {
        Recipients::Everyone
    };
    let handler = Broadcast {
        welcome: "welcome to the broadcast".into(),
        recipients,
    };
    let server = Server::start(Config::default(), handler)?;
    println!(
        "broadcast server on ws://{}  (Ctrl-C to stop)",
        server.local_addr()
    );
    loop {
        std::thread::park();
    }
}
