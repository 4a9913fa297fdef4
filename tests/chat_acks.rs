//! An `ack` token gets an answer carrying it back: `recipients` counts the
//! clients the message went to (the sender included for room messages, 0
//! for join, leave and name), and a refusal carries the token too.

mod common;

use common::*;
use serde_json::{json, Value};

/// Sends `request` with `ack` (any JSON) and returns the answer to it,
/// skipping what arrives before.
fn answer(ws: &mut Ws, mut request: Value, ack: Value) -> Value {
    request["ack"] = ack.clone();
    send_json(ws, request);
    loop {
        let message = recv_json(ws);
        if matches!(message["type"].as_str(), Some("ack" | "error")) {
            assert_eq!(message["ack"], ack, "{message}");
            return message;
        }
    }
}

#[test]
fn acks_count_the_recipients() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, _) = chat_connect(server.local_addr());
    let (mut b, idb) = chat_connect(server.local_addr());
    let (_c, _) = chat_connect(server.local_addr());
    let _ = answer(
        &mut b,
        json!({"type": "join", "room": "ops"}),
        json!("setup"),
    );

    let cases = [
        (json!({"type": "message", "text": "all three"}), 3),
        (json!({"type": "join", "room": "ops"}), 0),
        (
            json!({"type": "message", "room": "ops", "text": "a and b"}),
            2,
        ),
        (json!({"type": "direct", "to": idb, "text": "b"}), 1),
        (json!({"type": "name", "name": "alice"}), 0),
        (json!({"type": "leave", "room": "ops"}), 0),
        (
            json!({"type": "message", "room": "lobby", "text": "still three"}),
            3,
        ),
    ];
    for (i, (request, recipients)) in cases.into_iter().enumerate() {
        let ack = answer(&mut a, request.clone(), json!(i));
        assert_eq!(
            ack,
            json!({"type": "ack", "ack": i, "recipients": recipients}),
            "{request}"
        );
    }
    server.shutdown();
}

#[test]
fn tokens_come_back_exactly_as_sent() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, _) = chat_connect(server.local_addr());
    let join = json!({"type": "join", "room": "r"});
    for token in [
        json!("text"),
        json!(""),
        json!(0),
        json!(-7),
        json!(2.5),
        json!(u64::MAX),
    ] {
        let ack = answer(&mut a, join.clone(), token.clone());
        assert_eq!(ack["type"], "ack");
    }
    // No token, no answer: the next answer is to the request after it.
    send_json(&mut a, join.clone());
    assert_eq!(answer(&mut a, join, json!("next"))["type"], "ack");
    server.shutdown();
}

#[test]
fn refusals_carry_the_token() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, _) = chat_connect(server.local_addr());
    // Refused while decoding, and refused by the hub.
    for (request, code) in [
        (json!({"type": "shout"}), "unknown_type"),
        (json!({"type": "message", "text": 1}), "invalid_field"),
        (
            json!({"type": "message", "room": "ops", "text": "x"}),
            "not_in_room",
        ),
        (
            json!({"type": "direct", "to": 123456, "text": "x"}),
            "no_such_client",
        ),
    ] {
        let error = answer(&mut a, request, json!("t"));
        assert_eq!(
            (&error["type"], &error["code"]),
            (&json!("error"), &json!(code))
        );
    }
    server.shutdown();
}
