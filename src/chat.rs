//! `chat` mode: the JSON protocol of [`crate::protocol`] as a [`Handler`].
//!
//! Each request is decoded on the sender's connection thread; what needs
//! the rooms and names (who is in which room, who has which name) is done by
//! the hub thread, which answers when it has queued the message for every
//! recipient. Refusals come back as `error` messages and the connection
//! stays open.

use log::debug;
use tungstenite::Message;

use crate::handler::{Client, Handler};
use crate::hub::{Hub, HubClosed, Target};
use crate::protocol::{now_ms, ChatError, ErrorCode, Request, ServerMessage};

/// `chat` mode: ids, names, rooms, direct messages and acknowledgements.
#[derive(Debug, Clone)]
pub struct Chat {
    /// Longest `text` a message may carry, in bytes; a longer one is refused
    /// with `too_long`. Frames over `--max-message` never reach the handler:
    /// tungstenite closes the connection with 1009 first, so this limit is
    /// the one a chat client meets. Default [`Chat::DEFAULT_MAX_TEXT`].
    pub max_text: usize,
}

impl Chat {
    /// The default text limit: 16 KiB, plenty for chat and small enough
    /// that a burst of the longest messages stays far below `--max-queue`.
    pub const DEFAULT_MAX_TEXT: usize = 16 * 1024;
}

impl Default for Chat {
    fn default() -> Self {
        Chat {
            max_text: Self::DEFAULT_MAX_TEXT,
        }
    }
}

impl Handler for Chat {
    fn on_connect(&self, client: &Client) {
        let _ = client.hub().chat_enter(client.id());
    }

    fn on_message(&self, client: &Client, message: Message) {
        let request = match &message {
            Message::Text(text) => Request::decode(text.as_str(), self.max_text),
            _ => Err(ChatError::new(
                ErrorCode::BinaryNotSupported,
                "chat mode speaks JSON in text frames; binary frames are not supported",
            )),
        };
        let answer = match request {
            Ok(request) => match client.hub().chat(client.id(), request.command) {
                Err(HubClosed) => return,
                Ok(Ok(recipients)) => request
                    .ack
                    .map(|ack| ServerMessage::Ack { ack, recipients }),
                Ok(Err(refusal)) => Some(ServerMessage::Error(refusal.with_ack(request.ack))),
            },
            Err(refusal) => Some(ServerMessage::Error(refusal)),
        };
        if let Some(answer) = answer {
            if let ServerMessage::Error(err) = &answer {
                debug!("client {}: refused: {err}", client.id());
            }
            let _ = client.reply(Message::text(answer.to_json()));
        }
    }

    /// Wraps the server's own messages as `message`s with `from`, `name`
    /// and `room` all `null`.
    fn announce(&self, hub: &Hub, target: Target, text: &str) -> Result<usize, HubClosed> {
        let message = ServerMessage::Message {
            from: None,
            name: None,
            room: None,
            text: text.into(),
            ts: now_ms(),
        };
        hub.send_counted(target, Message::text(message.to_json()))
    }
}
