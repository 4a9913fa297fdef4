//! The HTTP API reaches rooms: `GET /rooms` lists them with their member
//! counts, `POST /rooms/:room/messages` sends to one room in the mode's
//! format (chat: a `message` from the server with its `room`), an unknown
//! room is `404`, and `GET /clients` shows each client's name and rooms.

mod common;

use common::http::*;
use common::*;
use serde_json::{json, Value};

#[test]
fn chat_rooms_over_http() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let addr = server.local_addr();
    let (mut alice, alice_id) = chat_connect(addr);
    let (mut bob, bob_id) = chat_connect(addr);
    chat_request(&mut alice, json!({"type": "name", "name": "alice"}), "n");
    chat_request(&mut alice, json!({"type": "join", "room": "ops team"}), "j");
    assert_eq!(
        get(addr, "/rooms").json(),
        json!([{"room": "lobby", "members": 2}, {"room": "ops team", "members": 1}])
    );
    let clients = get(addr, "/clients").json();
    let who: Vec<(Value, Value, Value)> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].clone(), c["name"].clone(), c["rooms"].clone()))
        .collect();
    assert_eq!(
        who,
        [
            (
                json!(alice_id),
                json!("alice"),
                json!(["lobby", "ops team"])
            ),
            (json!(bob_id), Value::Null, json!(["lobby"])),
        ]
    );

    let answer = post_json(
        addr,
        "/rooms/ops%20team/messages",
        &json!({"message": "deploy at noon"}),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"message": "deploy at noon", "room": "ops team", "recipients": 1})
    );
    let message = loop {
        let message = recv_json(&mut alice);
        if message["type"] == "message" {
            break message;
        }
    };
    assert_eq!(
        (&message["from"], &message["room"], &message["text"]),
        (&Value::Null, &json!("ops team"), &json!("deploy at noon"))
    );

    post_text(addr, "/rooms/nobody-here/messages", "hello?").assert_error(404);
    post_text(addr, "/rooms/ops%ZZ/messages", "hello?").assert_error(400);
    assert_eq!(get(addr, "/rooms/ops%20team/messages").status, 405);

    // Bob, in the lobby only, got nothing from the ops room: his next
    // message is the lobby's.
    post_text(addr, "/rooms/lobby/messages", "lunch");
    loop {
        let message = recv_json(&mut bob);
        if message["type"] == "message" {
            assert_eq!(message["text"], "lunch");
            break;
        }
    }
    server.shutdown();
}
