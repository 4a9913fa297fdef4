//! The built-in modes, each an ordinary [`crate::Handler`] built on the
//! hub's public API: [`Echo`], [`Broadcast`] and [`Chat`]. `--mode` picks
//! one; your own handler can stand in for any of them.

mod broadcast;
pub mod chat;
mod echo;

pub use broadcast::{Broadcast, Recipients};
pub use chat::Chat;
pub use echo::Echo;

use tungstenite::Message;

use crate::handler::Client;

/// Sends `welcome` (unless it is empty) to a client that just connected.
fn greet(client: &Client, welcome: &str) {
    if !welcome.is_empty() {
        let _ = client.reply(Message::text(welcome));
    }
}
