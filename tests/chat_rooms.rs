//! Three chat clients in two rooms each see exactly the messages of the
//! rooms they are in, and sending to a room you are not in is refused.

mod common;

use common::*;
use serde_json::{json, Value};
use wshub::{Chat, ClientId, Handler, Target};

/// Chat clients, and every message each has received so far.
struct Clients {
    ws: Vec<Ws>,
    ids: Vec<u64>,
    seen: Vec<Vec<Value>>,
}

impl Clients {
    /// Client `k` sends `request` and waits for its answer, which it
    /// returns; what arrived before the answer is kept in `seen`.
    fn request(&mut self, k: usize, request: Value) -> Value {
        let token = format!("{k}-{}", self.seen[k].len());
        let (answer, before) = chat_request(&mut self.ws[k], request, &token);
        self.seen[k].extend(before);
        answer
    }

    /// The room messages client `k` received, as (sender, room, text), up
    /// to the server's "end" marker.
    fn room_messages(&mut self, k: usize) -> Vec<(u64, String, String)> {
        loop {
            let message = recv_json(&mut self.ws[k]);
            if message["from"].is_null() && message["text"] == "end" {
                break;
            }
            self.seen[k].push(message);
        }
        let mut messages = Vec::new();
        for message in &self.seen[k] {
            match message["type"].as_str() {
                Some("message") => messages.push((
                    message["from"].as_u64().unwrap(),
                    message["room"].as_str().unwrap().to_string(),
                    message["text"].as_str().unwrap().to_string(),
                )),
                Some("presence") => {}
                _ => panic!("client {k} got {message}"),
            }
        }
        messages
    }
}

#[test]
fn three_clients_in_two_rooms_see_exactly_their_rooms() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, mut ids) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (client, id) = chat_connect(server.local_addr());
        ws.push(client);
        ids.push(id);
    }
    let mut clients = Clients {
        ws,
        ids: ids.clone(),
        seen: vec![Vec::new(); 3],
    };
    // Client 0: lobby and ops; client 1: lobby only; client 2: ops only.
    for (k, request) in [
        (0, json!({"type": "join", "room": "ops"})),
        (2, json!({"type": "join", "room": "ops"})),
        (2, json!({"type": "leave", "room": "lobby"})),
    ] {
        assert_eq!(clients.request(k, request)["type"], "ack");
    }

    // Each send waits for its ack, so every client sees one global order.
    let sends = [
        (0, "lobby", "0 to lobby"),
        (0, "ops", "0 to ops"),
        (1, "lobby", "1 to lobby"),
        (2, "ops", "2 to ops"),
        (1, "lobby", "1 again"),
    ];
    for (k, room, text) in sends {
        let answer = clients.request(k, json!({"type": "message", "room": room, "text": text}));
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    // Rooms the sender is not in are refused, and nothing is sent.
    for (k, room) in [(1, "ops"), (2, "lobby"), (0, "nowhere")] {
        let answer = clients.request(
            k,
            json!({"type": "message", "room": room, "text": "sneaky"}),
        );
        assert_eq!(
            (&answer["code"], &answer["field"]),
            (&json!("not_in_room"), &json!("room"))
        );
    }

    let hub = server.hub();
    for &id in &clients.ids {
        Chat::default()
            .announce(&hub, Target::One(ClientId(id)), "end")
            .unwrap();
    }
    let m = |k: usize, room: &str, text: &str| (ids[k], room.to_string(), text.to_string());
    assert_eq!(
        clients.room_messages(0),
        [
            m(0, "lobby", "0 to lobby"),
            m(0, "ops", "0 to ops"),
            m(1, "lobby", "1 to lobby"),
            m(2, "ops", "2 to ops"),
            m(1, "lobby", "1 again"),
        ]
    );
    assert_eq!(
        clients.room_messages(1),
        [
            m(0, "lobby", "0 to lobby"),
            m(1, "lobby", "1 to lobby"),
            m(1, "lobby", "1 again"),
        ]
    );
    assert_eq!(
        clients.room_messages(2),
        [m(0, "ops", "0 to ops"), m(2, "ops", "2 to ops")]
    );
    server.shutdown();
}

#[test]
fn a_message_without_a_room_goes_to_the_lobby() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, ida) = chat_connect(server.local_addr());
    let (mut b, _) = chat_connect(server.local_addr());
    send_json(&mut a, json!({"type": "message", "text": "hello"}));
    let message: Value = loop {
        let message = recv_json(&mut b);
        if message["type"] == "message" {
            break message;
        }
    };
    assert_eq!(
        (message["from"].as_u64(), &message["room"]),
        (Some(ida), &json!("lobby"))
    );
    server.shutdown();
}
