//! The built-in modes, each a [`Handler`]: `echo` and `broadcast` here,
//! `chat` in [`crate::chat`].

use log::debug;
use tungstenite::Message;

use crate::handler::{Client, Handler};
use crate::hub::Target;

/// Which server behaviour `--mode` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every message goes back to its sender: the Autobahn conformance target.
    Echo,
    /// Every message goes to every open client, as in the tutorials.
    Broadcast,
    /// The JSON chat protocol: names, rooms, direct messages, acks.
    #[default]
    Chat,
}

/// Who receives a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recipients {
    /// Every open client, the sender included.
    #[default]
    Everyone,
    /// Every open client but the sender.
    Others,
}

/// Sends `welcome` (unless it is empty) to a client that just connected.
fn greet(client: &Client, welcome: &str) {
    if !welcome.is_empty() {
        let _ = client.reply(Message::text(welcome));
    }
}

/// `echo` mode: every text or binary message back to its sender, unchanged.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    /// Sent on connect; empty (the default) sends nothing, since a greeting
    /// would confuse conformance clients.
    pub welcome: String,
}

impl Handler for Echo {
    fn on_connect(&self, client: &Client) {
        greet(client, &self.welcome);
    }

    fn on_message(&self, client: &Client, message: Message) {
        let _ = client.reply(message);
    }
}

/// `broadcast` mode: every message to every open client.
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// Sent on connect; empty sends nothing.
    pub welcome: String,
    /// Whether the sender gets its own message back.
    pub recipients: Recipients,
}

impl Broadcast {
    /// The tutorial's greeting, the default for broadcast mode.
    pub const DEFAULT_WELCOME: &'static str = "connected to WebSocket server";
}

impl Default for Broadcast {
    fn default() -> Self {
        Broadcast {
            welcome: Self::DEFAULT_WELCOME.into(),
            recipients: Recipients::Everyone,
        }
    }
}

impl Handler for Broadcast {
    fn on_connect(&self, client: &Client) {
        greet(client, &self.welcome);
    }

    fn on_message(&self, client: &Client, message: Message) {
        let target = match self.recipients {
            Recipients::Everyone => Target::All,
            Recipients::Others => Target::AllExcept(client.id()),
        };
        debug!("client {} sent {} bytes", client.id(), message.len());
        let _ = client.hub().send(target, message);
    }
}
