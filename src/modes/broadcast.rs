//! `broadcast` mode: every message to every open client, as in the
//! tutorials' broadcast server.

use tungstenite::Message;

use crate::handler::{Client, Handler};
use crate::hub::Target;

/// Who receives a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Recipients {
    /// Every open client, the sender included.
    #[default]
    Everyone,
    /// Every open client but the sender (`--exclude-sender`).
    Others,
}

/// `broadcast` mode: every message to every open client.
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// Sent on connect; empty sends nothing. Default
    /// [`Broadcast::DEFAULT_WELCOME`].
    pub welcome: String,
    /// Whether the sender gets its own message back. Default
    /// [`Recipients::Everyone`].
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
    fn name(&self) -> &str {
        "broadcast mode"
    }

    fn on_connect(&self, client: &Client) {
        super::greet(client, &self.welcome);
    }

    fn on_message(&self, client: &Client, message: Message) {
        let target = match self.recipients {
            Recipients::Everyone => Target::All,
            Recipients::Others => Target::AllExcept(client.id()),
        };
        let _ = client.hub().send(target, message);
    }
}
