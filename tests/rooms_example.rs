//! A custom handler puts clients in rooms through the public API (the
//! rooms example): a room's messages reach its members only, a client that
//! moves stops hearing its old room, server code and `POST
//! /rooms/:room/messages` reach one room, and `GET /rooms` counts members.

mod common;

use std::io::Cursor;

use common::http::*;
use common::*;
use serde_json::json;
use tungstenite::Message;

#[allow(dead_code)] // Its `main` is not called here.
#[path = "../examples/rooms.rs"]
mod rooms;

/// Connects to `/rooms/NAME` and reads the handler's confirmation.
fn enter(server: &wshub::Server, room: &str) -> Ws {
    let mut ws = connect_path(server.local_addr(), &format!("/rooms/{room}"));
    assert_eq!(recv_text(&mut ws), format!("you are in room {room}"));
    ws
}

#[test]
fn room_messages_reach_the_members_of_that_room_only() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = rooms::start(config()).unwrap();
    let addr = server.local_addr();
    let (mut cook, mut guest) = (enter(&server, "kitchen"), enter(&server, "kitchen"));
    let mut gardener = enter(&server, "garden");
    assert_eq!(
        get(addr, "/rooms").json(),
        json!([{"room": "garden", "members": 1}, {"room": "kitchen", "members": 2}])
    );

    cook.send(Message::text("soup is on")).unwrap();
    for ws in [&mut cook, &mut guest] {
        assert_eq!(recv_text(ws), "soup is on");
    }
    // The gardener's first message is its own room's, not the kitchen's.
    gardener.send(Message::text("roses")).unwrap();
    assert_eq!(recv_text(&mut gardener), "roses");

    // Moving: the guest leaves the kitchen for the garden.
    guest.send(Message::text("/room garden")).unwrap();
    assert_eq!(recv_text(&mut guest), "you are in room garden");
    cook.send(Message::text("anyone?")).unwrap();
    assert_eq!(recv_text(&mut cook), "anyone?");
    gardener.send(Message::text("welcome, guest")).unwrap();
    assert_eq!(recv_text(&mut guest), "welcome, guest", "not the kitchen's");
    assert_eq!(recv_text(&mut gardener), "welcome, guest");

    // Server code, then the HTTP route, to one room.
    let reached = rooms::announce_lines(&server.hub(), Cursor::new("garden: rain tonight\n"));
    assert_eq!(reached, [2]);
    let answer = post_text(addr, "/rooms/kitchen/messages", "pots to wash");
    assert_eq!(
        answer.json(),
        json!({"message": "pots to wash", "room": "kitchen", "recipients": 1})
    );
    assert_eq!(recv_text(&mut cook), "pots to wash");
    for ws in [&mut guest, &mut gardener] {
        assert_eq!(recv_text(ws), "[server] rain tonight");
    }

    // A room disappears with its last member.
    drop(cook);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 2));
    assert_eq!(
        get(addr, "/rooms").json(),
        json!([{"room": "garden", "members": 2}])
    );
    post_text(addr, "/rooms/kitchen/messages", "hello?").assert_error(404);
    server.shutdown();
}
