//! `echo` mode: every message back to its sender, the Autobahn conformance
//! target and the tutorials' first step.

use tungstenite::Message;

use crate::handler::{Client, Handler};

/// `echo` mode: every text or binary message back to its sender, unchanged.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    /// Sent on connect; empty (the default) sends nothing, since a greeting
    /// would confuse conformance clients.
    pub welcome: String,
}

impl Handler for Echo {
    fn name(&self) -> &str {
        "echo mode"
    }

    fn on_connect(&self, client: &Client) {
        super::greet(client, &self.welcome);
    }

    fn on_message(&self, client: &Client, message: Message) {
        let _ = client.reply(message);
    }
}
