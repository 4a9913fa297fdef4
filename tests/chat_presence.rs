//! Presence events reach the members of the room concerned, in the order
//! the changes happened: joined, renamed, left, and left on disconnect.

mod common;

use common::*;
use serde_json::{json, Value};

fn presence(event: &str, id: u64, name: Value, room: &str) -> Value {
    json!({"type": "presence", "event": event, "id": id, "name": name, "room": room})
}

#[test]
fn presence_events_arrive_in_order_to_the_rooms_members() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut watcher, _) = chat_connect(server.local_addr());
    let (mut mover, id) = chat_connect(server.local_addr());

    // Each request waits for its ack, so the order is the mover's own.
    let steps = [
        json!({"type": "name", "name": "mo"}),
        json!({"type": "join", "room": "ops"}),
        json!({"type": "name", "name": "moe"}),
        json!({"type": "leave", "room": "lobby"}),
        json!({"type": "join", "room": "lobby"}),
        json!({"type": "join", "room": "lobby"}), // Already in: no event.
    ];
    let mut mover_saw = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let (ack, before) = chat_request(&mut mover, step, &i.to_string());
        assert_eq!(ack["recipients"], 0, "{ack}");
        mover_saw.extend(before);
    }
    drop(mover); // Disconnects without a close frame.

    // The watcher is in the lobby only: it sees nothing about ops.
    let watcher_expects = [
        presence("joined", id, json!(null), "lobby"),
        presence("renamed", id, json!("mo"), "lobby"),
        presence("renamed", id, json!("moe"), "lobby"),
        presence("left", id, json!("moe"), "lobby"),
        presence("joined", id, json!("moe"), "lobby"),
        presence("left", id, json!("moe"), "lobby"),
    ];
    for expected in watcher_expects {
        assert_eq!(recv_json(&mut watcher), expected);
    }
    // The mover saw every change in each room it was in, its own included.
    assert_eq!(
        mover_saw,
        [
            presence("renamed", id, json!("mo"), "lobby"),
            presence("joined", id, json!("mo"), "ops"),
            presence("renamed", id, json!("moe"), "lobby"),
            presence("renamed", id, json!("moe"), "ops"),
            presence("left", id, json!("moe"), "lobby"),
            presence("joined", id, json!("moe"), "lobby"),
        ]
    );
    server.shutdown();
}
