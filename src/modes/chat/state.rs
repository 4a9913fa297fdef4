//! Chat mode's own state: every client's name and the rooms it has joined,
//! and the messages that changing them sends.
//!
//! The hub keeps the room membership that messages are delivered by; this
//! keeps what the chat protocol adds on top (names, unique regardless of
//! case; who may write to which room; presence). The chat handler holds it
//! behind one lock and sends to the hub while holding it, so the hub sees
//! joins, leaves, renames and messages in the order the state changed: a
//! client that joins a room gets its own `joined` before any message sent
//! to the room after it. Waiting for the hub's count (for an `ack`) happens
//! after the lock is released, through a [`Receipt`].

use std::collections::HashMap;

use tungstenite::Message;

use super::protocol::{
    check_label, now_ms, ChatError, Command, ErrorCode, PresenceEvent, ServerMessage, LOBBY,
    MAX_ROOMS_PER_CLIENT,
};
use crate::hub::{ClientId, Hub, HubClosed, Receipt, Room, Target};

/// A chat client's name and rooms.
#[derive(Debug, Default)]
struct Member {
    name: Option<String>,
    /// The name came from the client's login (a JWT's `sub` or `name`):
    /// the client may not change it, so nobody can pose as someone else.
    name_from_login: bool,
    /// The rooms it is in, in the order it joined them.
    rooms: Vec<String>,
}

/// What a command sent, for its `ack`.
#[derive(Debug)]
pub(super) enum Sent {
    /// Nothing to count (join, leave, name): the ack says 0.
    Nothing,
    /// A room message: the receipt counts its recipients.
    ToRoom(Receipt),
    /// A direct message: no recipient means no such client.
    Direct { to: ClientId, receipt: Receipt },
}

/// Every chat client's name and rooms.
#[derive(Debug, Default)]
pub(super) struct ChatState {
    members: HashMap<ClientId, Member>,
    /// Names in use, lower-cased → holder, so names stay unique regardless
    /// of case.
    names: HashMap<String, ClientId>,
}

impl ChatState {
    /// A client enters chat: it gets its `welcome` (`clients` connected,
    /// itself included), then joins the lobby, whose members, itself
    /// included, see it join. A login name that breaks the naming rules or
    /// that another connection (the same user in a second tab) holds is
    /// not given: the client enters unnamed, as everyone else does.
    pub(super) fn enter(
        &mut self,
        hub: &Hub,
        id: ClientId,
        login_name: Option<String>,
        clients: usize,
    ) -> Result<(), HubClosed> {
        if self.members.contains_key(&id) {
            return Ok(());
        }
        self.members.insert(id, Member::default());
        let mut name = None;
        if let Some(login_name) = login_name.filter(|n| check_label(n).is_ok()) {
            if self.rename(hub, id, login_name.clone())?.is_ok() {
                if let Some(member) = self.members.get_mut(&id) {
                    member.name_from_login = true;
                }
                name = Some(login_name);
            }
        }
        let welcome = ServerMessage::Welcome {
            id,
            name,
            rooms: vec![LOBBY.into()],
            clients,
        };
        send(hub, Target::One(id), &welcome)?;
        self.join(hub, id, LOBBY)
    }

    /// A client has left the hub (which already took it out of its rooms):
    /// the remaining members see it leave, and its name is free again.
    pub(super) fn exit(&mut self, hub: &Hub, id: ClientId) -> Result<(), HubClosed> {
        let Some(member) = self.members.remove(&id) else {
            return Ok(());
        };
        if let Some(name) = &member.name {
            self.names.remove(&name.to_lowercase());
        }
        for room in &member.rooms {
            send(
                hub,
                to_room(room),
                &presence(PresenceEvent::Left, id, &member.name, room),
            )?;
        }
        Ok(())
    }

    /// Carries out one client's command.
    ///
    /// # Errors
    ///
    /// The outer error: the hub has shut down. The inner one: why the
    /// command was refused.
    pub(super) fn command(
        &mut self,
        hub: &Hub,
        id: ClientId,
        command: Command,
    ) -> Result<Result<Sent, ChatError>, HubClosed> {
        let Some(member) = self.members.get_mut(&id) else {
            // Gone while the request was on its way: nobody to answer.
            return Ok(Ok(Sent::Nothing));
        };
        let in_room = |room: &str| member.rooms.iter().any(|r| r == room);
        Ok(match command {
            Command::Message { text, room } => {
                if !in_room(&room) {
                    return Ok(Err(not_in_room(&room)));
                }
                let message = ServerMessage::Message {
                    from: Some(id),
                    name: member.name.clone(),
                    room: Some(room.clone()),
                    text,
                    ts: now_ms(),
                };
                let receipt = hub.send_with_receipt(to_room(&room), text_of(&message))?;
                Ok(Sent::ToRoom(receipt))
            }
            Command::Direct { to, text } => {
                let message = ServerMessage::Direct {
                    from: id,
                    name: member.name.clone(),
                    text,
                    ts: now_ms(),
                };
                let receipt = hub.send_with_receipt(Target::One(to), text_of(&message))?;
                Ok(Sent::Direct { to, receipt })
            }
            Command::Join { room } if in_room(&room) => Ok(Sent::Nothing), // Changes nothing.
            Command::Join { .. } if member.rooms.len() >= MAX_ROOMS_PER_CLIENT => {
                Err(ChatError::about(
                    ErrorCode::TooManyRooms,
                    "room",
                    format!("a client may be in at most {MAX_ROOMS_PER_CLIENT} rooms"),
                ))
            }
            Command::Join { room } => {
                self.join(hub, id, &room)?;
                Ok(Sent::Nothing)
            }
            Command::Leave { room } => {
                if !in_room(&room) {
                    return Ok(Err(not_in_room(&room)));
                }
                // Sent before the leave: the leaver sees it too.
                let left = presence(PresenceEvent::Left, id, &member.name, &room);
                send(hub, to_room(&room), &left)?;
                hub.leave(id, room.as_str())?;
                member.rooms.retain(|r| *r != room);
                Ok(Sent::Nothing)
            }
            Command::Name { .. } if member.name_from_login => Err(ChatError::about(
                ErrorCode::InvalidField,
                "name",
                "your name comes from your login token and cannot be changed",
            )),
            Command::Name { name } => self.rename(hub, id, name)?.map(|()| Sent::Nothing),
        })
    }

    /// Gives `id` the name `name` if no other client holds it; the members
    /// of its rooms see the change. The one place a name is claimed.
    fn rename(
        &mut self,
        hub: &Hub,
        id: ClientId,
        name: String,
    ) -> Result<Result<(), ChatError>, HubClosed> {
        let key = name.to_lowercase();
        if self.names.get(&key).is_some_and(|&holder| holder != id) {
            return Ok(Err(ChatError::about(
                ErrorCode::NameTaken,
                "name",
                format!("the name {name:?} is taken"),
            )));
        }
        let Some(member) = self.members.get_mut(&id) else {
            return Ok(Ok(()));
        };
        if member.name.as_deref() == Some(name.as_str()) {
            return Ok(Ok(()));
        }
        if let Some(old) = member.name.replace(name.clone()) {
            self.names.remove(&old.to_lowercase());
        }
        self.names.insert(key, id);
        hub.set_name(id, Some(name))?;
        for room in &member.rooms {
            let renamed = presence(PresenceEvent::Renamed, id, &member.name, room);
            send(hub, to_room(room), &renamed)?;
        }
        Ok(Ok(()))
    }

    /// Puts `id` in `room`; its members, `id` included, see it join.
    fn join(&mut self, hub: &Hub, id: ClientId, room: &str) -> Result<(), HubClosed> {
        let Some(member) = self.members.get_mut(&id) else {
            return Ok(());
        };
        member.rooms.push(room.into());
        hub.join(id, room)?;
        send(
            hub,
            to_room(room),
            &presence(PresenceEvent::Joined, id, &member.name, room),
        )
    }
}

fn to_room(room: &str) -> Target {
    Target::Room(Room::from(room))
}

fn text_of(message: &ServerMessage) -> Message {
    Message::text(message.to_json())
}

fn send(hub: &Hub, target: Target, message: &ServerMessage) -> Result<(), HubClosed> {
    hub.send(target, text_of(message))
}

fn presence(
    event: PresenceEvent,
    id: ClientId,
    name: &Option<String>,
    room: &str,
) -> ServerMessage {
    ServerMessage::Presence {
        event,
        id,
        name: name.clone(),
        room: room.into(),
    }
}

fn not_in_room(room: &str) -> ChatError {
    ChatError::about(
        ErrorCode::NotInRoom,
        "room",
        format!("you are not in the room {room:?}"),
    )
}

#[cfg(test)]
mod tests {
    //! The bookkeeping, against a real hub thread with no clients: every
    //! send reaches nobody, so only the state is checked here (what the
    //! clients receive is tested over real sockets in `tests/chat_*.rs`).

    use super::*;
    use crate::hub::HubLimits;

    fn hub() -> Hub {
        Hub::start(HubLimits {
            max_queue: 1 << 20,
            deflate_threshold: 1024,
        })
        .unwrap()
        .0
    }

    /// Clients `a` and `b`, entered (both in the lobby).
    fn two_in_the_lobby(hub: &Hub, a: ClientId, b: ClientId) -> ChatState {
        let mut state = ChatState::default();
        state.enter(hub, a, None, 2).unwrap();
        state.enter(hub, b, None, 2).unwrap();
        state
    }

    fn room(name: &str) -> Command {
        Command::Join { room: name.into() }
    }

    #[test]
    fn leaving_and_exiting_forget_a_clients_rooms_and_name() {
        let (hub, a, b) = (hub(), ClientId(1), ClientId(2));
        let mut state = two_in_the_lobby(&hub, a, b);
        state.command(&hub, a, room("ops")).unwrap().unwrap();
        assert_eq!(state.members[&a].rooms, ["lobby", "ops"]);
        let leave = Command::Leave { room: "ops".into() };
        state.command(&hub, a, leave.clone()).unwrap().unwrap();
        assert_eq!(state.members[&a].rooms, ["lobby"]);
        let again = state.command(&hub, a, leave).unwrap();
        assert_eq!(again.unwrap_err().code, ErrorCode::NotInRoom);
        state.exit(&hub, a).unwrap();
        state.exit(&hub, b).unwrap();
        assert!(state.members.is_empty() && state.names.is_empty());
    }

    #[test]
    fn a_name_is_free_again_once_its_holder_exits_or_renames() {
        let (hub, a, b) = (hub(), ClientId(1), ClientId(2));
        let mut state = two_in_the_lobby(&hub, a, b);
        let name = |n: &str| Command::Name { name: n.into() };
        state.command(&hub, a, name("Alice")).unwrap().unwrap();
        let taken = state.command(&hub, b, name("alice")).unwrap();
        assert_eq!(taken.unwrap_err().code, ErrorCode::NameTaken);
        state.command(&hub, a, name("Ann")).unwrap().unwrap();
        state.command(&hub, b, name("alice")).unwrap().unwrap();
        state.exit(&hub, b).unwrap();
        state.command(&hub, a, name("ALICE")).unwrap().unwrap();
        assert_eq!(state.names.len(), 1);
    }

    #[test]
    fn a_client_that_never_entered_changes_nothing() {
        let hub = hub();
        let mut state = ChatState::default();
        let sent = state.command(&hub, ClientId(9), room("ops")).unwrap();
        assert!(matches!(sent, Ok(Sent::Nothing)));
        state.exit(&hub, ClientId(9)).unwrap();
        assert!(state.members.is_empty());
    }
}
