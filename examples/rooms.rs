//! Tutorial step 13: rooms. A client that connects to
//! `ws://127.0.0.1:3000/rooms/kitchen` is in the room "kitchen" (the plain
//! `ws://127.0.0.1:3000` puts it in "lobby"); whatever it sends reaches
//! everyone in its room, itself included, and nobody else. Typing
//! `/room garden` moves it. Lines typed into the server's terminal as
//! `kitchen: dinner is ready` go to one room from server code, and
//! `curl -d 'hi' http://127.0.0.1:3000/rooms/kitchen/messages` does the same
//! over HTTP (`curl http://127.0.0.1:3000/rooms` lists the rooms).
//!
//! Socket.IO writes this as `socket.join('kitchen')` and
//! `io.to('kitchen').emit(...)`; here they are `Hub::join` and
//! `Target::Room`. The hub keeps who is in which room and drops a client
//! from its rooms when it disconnects; this handler only remembers each
//! client's current room, to move it. Rooms are Socket.IO's (the
//! Socket.IO tutorial's server, on port 3000); `ws` has none.
//!
//! Run it with `cargo run --example rooms`, then
//! `npx wscat -c ws://127.0.0.1:3000/rooms/kitchen` in two terminals and
//! `npx wscat -c ws://127.0.0.1:3000/rooms/garden` in a third.

mod common;

use std::collections::HashMap;
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Mutex;

use wshub::{Client, ClientId, Config, Handler, Hub, Message, Room, Server, StartError, Target};

/// Each client's current room.
#[derive(Default)]
struct Rooms {
    current: Mutex<HashMap<ClientId, Room>>,
}

impl Rooms {
    /// Moves `client` into `room`, out of the one it was in.
    fn enter(&self, client: &Client, room: Room) {
        let hub = client.hub();
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.insert(client.id(), room.clone()) {
            let _ = hub.leave(client.id(), old);
        }
        let _ = hub.join(client.id(), room.clone());
        let _ = client.reply(Message::text(format!("you are in room {room}")));
    }

    fn room_of(&self, id: ClientId) -> Option<Room> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.get(&id).cloned()
    }
}

impl Handler for Rooms {
    fn on_connect(&self, client: &Client) {
        let room = client.path().strip_prefix("/rooms/").unwrap_or("lobby");
        self.enter(client, Room::from(room));
    }

    fn on_message(&self, client: &Client, message: Message) {
        if let Message::Text(text) = &message {
            if let Some(room) = text.strip_prefix("/room ") {
                return self.enter(client, Room::from(room.trim()));
            }
        }
        if let Some(room) = self.room_of(client.id()) {
            let _ = client.hub().send(Target::Room(room), message);
        }
    }

    fn on_disconnect(&self, client: &Client) {
        // The hub has already taken the client out of its room.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.remove(&client.id());
    }
}

/// Starts the rooms server (the tests call this with port 0).
pub fn start(config: Config) -> Result<Server, StartError> {
    Server::start(config, Rooms::default())
}

/// Sends `room: text` lines to their room from server code; returns how
/// many clients each line reached.
pub fn announce_lines(hub: &Hub, input: impl BufRead) -> Vec<usize> {
    let mut reached = Vec::new();
    for line in input.lines().map_while(Result::ok) {
        let Some((room, text)) = line.split_once(':') else {
            eprintln!("type `room: text`");
            continue;
        };
        let target = Target::Room(Room::from(room.trim()));
        let message = Message::text(format!("[server] {}", text.trim()));
        reached.push(hub.send_counted(target, message).unwrap_or(0));
    }
    reached
}

fn main() -> ExitCode {
    common::serve_reading_terminal(
        start,
        |addr| {
            format!("rooms server on ws://{addr}/rooms/NAME: type `room: text` to send to a room")
        },
        announce_lines,
    )
}
