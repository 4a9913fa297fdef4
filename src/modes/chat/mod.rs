//! `chat` mode: the JSON protocol of [`protocol`] as an ordinary
//! [`Handler`], built only on the hub's public API.
//!
//! Each request is decoded on the sender's connection thread. Names and
//! each client's rooms live in [`state`], behind one lock; rooms
//! themselves live in the hub, which delivers a room message to the
//! members of the moment. Refusals come back as `error` messages and the
//! connection stays open.

pub mod protocol;
mod state;

use std::sync::{Mutex, MutexGuard};

use log::debug;
use tungstenite::Message;

use crate::handler::{Client, Handler};
use crate::hub::{Hub, HubClosed, Target};
use protocol::{now_ms, ChatError, ErrorCode, Request, ServerMessage};
use state::{ChatState, Sent};

/// `chat` mode: ids, names, rooms, direct messages and acknowledgements.
///
/// ```
/// use wshub::{Chat, Config, Server};
///
/// # fn main() -> Result<(), wshub::StartError> {
/// let chat = Chat::default().max_text(4096);
/// let server = Server::start(Config { port: 0, ..Config::default() }, chat)?;
/// server.shutdown();
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Chat {
    max_text: usize,
    state: Mutex<ChatState>,
}

impl Chat {
    /// The default text limit: 16 KiB, plenty for chat and small enough
    /// that a burst of the longest messages stays far below `--max-queue`.
    pub const DEFAULT_MAX_TEXT: usize = 16 * 1024;

    /// Sets the longest `text` a message may carry, in bytes (default
    /// [`Chat::DEFAULT_MAX_TEXT`]); a longer one is refused with
    /// `too_long` and the connection stays open. Frames over
    /// `--max-message` never reach the handler: they close the connection
    /// with 1009 first, so keep this below that.
    pub fn max_text(mut self, bytes: usize) -> Self {
        self.max_text = bytes;
        self
    }

    fn state(&self) -> MutexGuard<'_, ChatState> {
        // A panic while the lock was held left the state as it was at
        // some message boundary: carry on rather than fail every client.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Carries out a decoded request and says what to answer: an `ack`,
    /// an `error`, or nothing.
    fn carry_out(
        &self,
        client: &Client,
        request: Request,
    ) -> Result<Option<ServerMessage>, HubClosed> {
        let hub = client.hub();
        // The lock covers the state change and the sends it causes; the
        // wait for the hub's count comes after it.
        let sent = self.state().command(hub, client.id(), request.command)?;
        let recipients = match sent {
            Ok(Sent::Nothing) => Ok(0),
            Ok(Sent::ToRoom(receipt)) => Ok(receipt.recipients()?),
            Ok(Sent::Direct { to, receipt }) => match receipt.recipients()? {
                0 => Err(ChatError::new(
                    ErrorCode::NoSuchClient,
                    format!("no client {to} is connected"),
                )),
                n => Ok(n),
            },
            Err(refusal) => Err(refusal),
        };
        Ok(match recipients {
            Ok(recipients) => request
                .ack
                .map(|ack| ServerMessage::Ack { ack, recipients }),
            Err(refusal) => Some(ServerMessage::Error(refusal.with_ack(request.ack))),
        })
    }
}

impl Default for Chat {
    fn default() -> Self {
        Chat {
            max_text: Self::DEFAULT_MAX_TEXT,
            state: Mutex::default(),
        }
    }
}

impl Handler for Chat {
    fn name(&self) -> &str {
        "chat mode"
    }

    fn on_connect(&self, client: &Client) {
        let hub = client.hub();
        // Asked before taking the lock: the hub answers in its own time.
        let Ok(clients) = hub.connected() else { return };
        // A client that logged in with a JWT is named by it.
        let login_name = client.identity().map(str::to_string);
        let _ = self.state().enter(hub, client.id(), login_name, clients);
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
            Ok(request) => match self.carry_out(client, request) {
                Ok(answer) => answer,
                Err(HubClosed) => return,
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

    fn on_disconnect(&self, client: &Client) {
        let _ = self.state().exit(client.hub(), client.id());
    }

    /// Wraps the server's own messages as `message`s with `from` and
    /// `name` `null`, and `room` the room they go to (`null` when they go
    /// to everyone or to one client).
    fn announce(&self, hub: &Hub, target: Target, text: &str) -> Result<usize, HubClosed> {
        let room = match &target {
            Target::Room(room) | Target::RoomExcept(room, _) => Some(room.to_string()),
            _ => None,
        };
        let message = ServerMessage::Message {
            from: None,
            name: None,
            room,
            text: text.into(),
            ts: now_ms(),
        };
        hub.send_counted(target, Message::text(message.to_json()))
    }
}
