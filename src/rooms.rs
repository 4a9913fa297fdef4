//! Chat mode's rooms and names, kept by the hub thread.
//!
//! Only the hub thread touches [`Rooms`], so membership changes, name
//! claims and the messages they cause happen in one order that every
//! client sees: a client that joins a room gets its own `joined` before any
//! message sent to the room after it, and nobody can slip into a room
//! between a sender's membership check and its fan-out. No lock is shared
//! with connection threads; they ask through [`crate::Hub`] and wait for the
//! answer.
//!
//! Each outgoing message is encoded once and handed to every recipient
//! through `post`, the hub's "queue these bytes for this client" (it says
//! whether the client took them).

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use log::debug;

use crate::frame::{self, Opcode};
use crate::hub::ClientId;
use crate::protocol::{
    check_label, now_ms, ChatError, Command, ErrorCode, PresenceEvent, ServerMessage, LOBBY,
    MAX_ROOMS_PER_CLIENT,
};

/// The hub's "queue these bytes for this client": false if the client is
/// gone or closing.
pub(crate) type Post<'a> = dyn FnMut(ClientId, &Bytes) -> bool + 'a;

/// A chat client as the hub sees it.
#[derive(Debug, Default)]
struct Member {
    name: Option<String>,
    /// The name came from the client's login (a JWT's `sub` or `name`):
    /// the client may not change it, so nobody can pose as someone else.
    name_from_login: bool,
    /// The rooms it is in, in the order it joined them.
    rooms: Vec<String>,
}

/// Every chat client's name and rooms.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    members: HashMap<ClientId, Member>,
    /// Room name → members. A room exists while it has members.
    rooms: HashMap<String, BTreeSet<ClientId>>,
    /// Names in use, lower-cased → holder, so names stay unique regardless
    /// of case.
    names: HashMap<String, ClientId>,
}

impl Rooms {
    /// A client enters chat: it gets its `welcome`, then joins the lobby
    /// (whose members, itself included, see it join). `clients` is how
    /// many clients are connected.
    pub(crate) fn enter(
        &mut self,
        id: ClientId,
        login_name: Option<String>,
        clients: usize,
        post: &mut Post<'_>,
    ) {
        if self.members.contains_key(&id) {
            return;
        }
        self.members.insert(id, Member::default());
        // A login name that breaks the naming rules, or that another
        // connection (the same user in a second tab, say) already holds,
        // is not given: the client enters unnamed, as everyone else does.
        let mut name = None;
        if let Some(login_name) = login_name.filter(|n| check_label(n).is_ok()) {
            if self.rename(id, login_name.clone(), post).is_ok() {
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
        post(id, &encode(&welcome));
        self.join(id, LOBBY, post);
    }

    /// A client has left the hub: its rooms' remaining members see it
    /// leave, and its name is free again.
    pub(crate) fn exit(&mut self, id: ClientId, post: &mut Post<'_>) {
        let Some(member) = self.members.remove(&id) else {
            return;
        };
        if let Some(name) = &member.name {
            self.names.remove(&name.to_lowercase());
        }
        for room in member.rooms {
            let left = presence(PresenceEvent::Left, id, &member.name, &room);
            self.remove_from_room(id, &room);
            self.to_room(&room, &left, post);
        }
    }

    /// Carries out one client's command; returns how many clients the
    /// message went to (0 for join, leave and name).
    ///
    /// # Errors
    ///
    /// Why the command was refused.
    pub(crate) fn command(
        &mut self,
        id: ClientId,
        command: Command,
        post: &mut Post<'_>,
    ) -> Result<usize, ChatError> {
        let Some(member) = self.members.get(&id) else {
            // Evicted or dropped while the request was on its way: there is
            // nobody left to answer.
            return Ok(0);
        };
        let in_room = |room: &str| member.rooms.iter().any(|r| r == room);
        match command {
            Command::Message { text, room } => {
                if !in_room(&room) {
                    return Err(not_in_room(&room));
                }
                let message = encode(&ServerMessage::Message {
                    from: Some(id),
                    name: member.name.clone(),
                    room: Some(room.clone()),
                    text,
                    ts: now_ms(),
                });
                let reached = self.to_room(&room, &message, post);
                debug!("client {id}: message to {room:?} reached {reached}");
                Ok(reached)
            }
            Command::Direct { to, text } => {
                let message = encode(&ServerMessage::Direct {
                    from: id,
                    name: member.name.clone(),
                    text,
                    ts: now_ms(),
                });
                if !post(to, &message) {
                    return Err(ChatError::new(
                        ErrorCode::NoSuchClient,
                        format!("no client {to} is connected"),
                    ));
                }
                debug!("client {id}: direct message to {to}");
                Ok(1)
            }
            Command::Join { room } => {
                if in_room(&room) {
                    return Ok(0); // Joining twice changes nothing.
                }
                if member.rooms.len() >= MAX_ROOMS_PER_CLIENT {
                    return Err(ChatError::about(
                        ErrorCode::TooManyRooms,
                        "room",
                        format!("a client may be in at most {MAX_ROOMS_PER_CLIENT} rooms"),
                    ));
                }
                self.join(id, &room, post);
                Ok(0)
            }
            Command::Leave { room } => {
                if !in_room(&room) {
                    return Err(not_in_room(&room));
                }
                // Sent before the removal: the leaver sees it too.
                let left = presence(PresenceEvent::Left, id, &member.name, &room);
                self.to_room(&room, &left, post);
                self.remove_from_room(id, &room);
                if let Some(member) = self.members.get_mut(&id) {
                    member.rooms.retain(|r| *r != room);
                }
                Ok(0)
            }
            Command::Name { name } => {
                if self.members.get(&id).is_some_and(|m| m.name_from_login) {
                    return Err(ChatError::about(
                        ErrorCode::InvalidField,
                        "name",
                        "your name comes from your login token and cannot be changed",
                    ));
                }
                self.rename(id, name, post)?;
                Ok(0)
            }
        }
    }

    /// Gives `id` the name `name` if no other client holds it; the members
    /// of its rooms see the change. The one place a name is claimed.
    fn rename(&mut self, id: ClientId, name: String, post: &mut Post<'_>) -> Result<(), ChatError> {
        let key = name.to_lowercase();
        if self.names.get(&key).is_some_and(|&holder| holder != id) {
            return Err(ChatError::about(
                ErrorCode::NameTaken,
                "name",
                format!("the name {name:?} is taken"),
            ));
        }
        let Some(member) = self.members.get_mut(&id) else {
            return Ok(());
        };
        if member.name.as_deref() == Some(name.as_str()) {
            return Ok(());
        }
        if let Some(old) = member.name.replace(name) {
            self.names.remove(&old.to_lowercase());
        }
        self.names.insert(key, id);
        let Some(member) = self.members.get(&id) else {
            return Ok(());
        };
        for room in &member.rooms {
            let renamed = presence(PresenceEvent::Renamed, id, &member.name, room);
            self.to_room(room, &renamed, post);
        }
        Ok(())
    }

    /// Adds `id` to `room` (creating the room); its members, `id`
    /// included, see it join.
    fn join(&mut self, id: ClientId, room: &str, post: &mut Post<'_>) {
        let Some(member) = self.members.get_mut(&id) else {
            return;
        };
        member.rooms.push(room.into());
        let joined = presence(PresenceEvent::Joined, id, &member.name, room);
        self.rooms.entry(room.into()).or_default().insert(id);
        self.to_room(room, &joined, post);
    }

    /// Removes `id` from `room`'s members; an empty room disappears.
    fn remove_from_room(&mut self, id: ClientId, room: &str) {
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(&id);
            if members.is_empty() {
                self.rooms.remove(room);
            }
        }
    }

    /// Posts `message` to every member of `room`; returns how many took it.
    fn to_room(&self, room: &str, message: &Bytes, post: &mut Post<'_>) -> usize {
        self.rooms.get(room).map_or(0, |members| {
            members.iter().filter(|&&id| post(id, message)).count()
        })
    }
}

/// A server message as one text frame, encoded once for all recipients.
fn encode(message: &ServerMessage) -> Bytes {
    frame::encode(Opcode::Text, message.to_json().as_bytes())
}

fn presence(event: PresenceEvent, id: ClientId, name: &Option<String>, room: &str) -> Bytes {
    encode(&ServerMessage::Presence {
        event,
        id,
        name: name.clone(),
        room: room.into(),
    })
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
    use super::*;

    /// Stands in for the hub's queues: records who was sent something;
    /// the clients in `connected` take what they are sent.
    struct Outbox {
        connected: Vec<ClientId>,
        sent: Vec<ClientId>,
    }

    impl Outbox {
        fn post(&mut self) -> impl FnMut(ClientId, &Bytes) -> bool + '_ {
            |id, _| {
                self.sent.push(id);
                self.connected.contains(&id)
            }
        }
    }

    /// Clients `a` and `b`, connected and entered (both in the lobby).
    fn two_in_the_lobby(a: ClientId, b: ClientId) -> (Rooms, Outbox) {
        let mut out = Outbox {
            connected: vec![a, b],
            sent: vec![],
        };
        let mut rooms = Rooms::default();
        rooms.enter(a, None, 2, &mut out.post());
        rooms.enter(b, None, 2, &mut out.post());
        (rooms, out)
    }

    fn room(name: &str) -> Command {
        Command::Join { room: name.into() }
    }

    #[test]
    fn a_room_disappears_with_its_last_member() {
        let (a, b) = (ClientId(1), ClientId(2));
        let (mut rooms, mut out) = two_in_the_lobby(a, b);
        rooms.command(a, room("ops"), &mut out.post()).unwrap();
        rooms.command(b, room("ops"), &mut out.post()).unwrap();
        assert_eq!(rooms.rooms.len(), 2);
        let leave = Command::Leave { room: "ops".into() };
        rooms.command(a, leave, &mut out.post()).unwrap();
        assert_eq!(rooms.rooms["ops"].len(), 1);
        rooms.exit(b, &mut out.post());
        assert!(!rooms.rooms.contains_key("ops"));
        rooms.exit(a, &mut out.post());
        assert!(rooms.rooms.is_empty() && rooms.members.is_empty() && rooms.names.is_empty());
    }

    #[test]
    fn a_name_is_free_again_once_its_holder_exits_or_renames() {
        let (a, b) = (ClientId(1), ClientId(2));
        let (mut rooms, mut out) = two_in_the_lobby(a, b);
        let name = |n: &str| Command::Name { name: n.into() };
        rooms.command(a, name("Alice"), &mut out.post()).unwrap();
        let taken = rooms.command(b, name("alice"), &mut out.post());
        assert_eq!(taken.unwrap_err().code, ErrorCode::NameTaken);
        rooms.command(a, name("Ann"), &mut out.post()).unwrap();
        rooms.command(b, name("alice"), &mut out.post()).unwrap();
        rooms.exit(b, &mut out.post());
        rooms.command(a, name("ALICE"), &mut out.post()).unwrap();
        assert_eq!(rooms.names.len(), 1);
    }

    #[test]
    fn a_client_that_never_entered_changes_nothing() {
        let mut out = Outbox {
            connected: vec![],
            sent: vec![],
        };
        let mut rooms = Rooms::default();
        let reached = rooms.command(ClientId(9), room("ops"), &mut out.post());
        assert_eq!(reached, Ok(0));
        rooms.exit(ClientId(9), &mut out.post());
        assert!(rooms.rooms.is_empty() && out.sent.is_empty());
    }
}
