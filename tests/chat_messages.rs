//! Chat mode is the default, and every kind of server message arrives on
//! the wire exactly as the README documents it, `type` first.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{json, Value};
use tungstenite::Message;
use wshub::{Chat, ClientId, Handler, Target};

/// Reads one message, checks that its JSON starts with `"type"`, and
/// returns it parsed.
fn recv_raw(ws: &mut Ws) -> Value {
    let text = recv_text(ws);
    assert!(text.starts_with(r#"{"type":"#), "type is not first: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Removes `ts` after checking it is the server's time in ms (within a
/// minute of ours).
fn take_ts(message: &mut Value) {
    let ts = message
        .as_object_mut()
        .unwrap()
        .remove("ts")
        .and_then(|ts| ts.as_u64())
        .unwrap_or_else(|| panic!("no ts in {message}"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(now.abs_diff(ts) < 60_000, "ts {ts} is not near {now}");
}

#[test]
fn chat_is_the_binarys_default_mode() {
    let _watchdog = watchdog(DEADLINE * 2);
    let binary = Binary::start(&[]);
    let mut ws = connect(binary.addr);
    assert_eq!(recv_raw(&mut ws)["type"], "welcome");
}

#[test]
fn every_server_message_has_its_documented_shape() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());

    // welcome, then the newcomer's own `joined`.
    let mut alice = connect(server.local_addr());
    let welcome = recv_raw(&mut alice);
    let a = welcome["id"].as_u64().unwrap();
    assert_eq!(
        welcome,
        json!({"type": "welcome", "id": a, "name": null, "rooms": ["lobby"], "clients": 1})
    );
    let joined =
        json!({"type": "presence", "event": "joined", "id": a, "name": null, "room": "lobby"});
    assert_eq!(recv_raw(&mut alice), joined);

    let mut bob = connect(server.local_addr());
    let b = recv_raw(&mut bob)["id"].as_u64().unwrap();
    assert_ne!(a, b);
    let bob_joined =
        json!({"type": "presence", "event": "joined", "id": b, "name": null, "room": "lobby"});
    assert_eq!(recv_raw(&mut bob), bob_joined);
    assert_eq!(recv_raw(&mut alice), bob_joined);

    // presence: renamed.
    send_json(&mut alice, json!({"type": "name", "name": "alice"}));
    let renamed =
        json!({"type": "presence", "event": "renamed", "id": a, "name": "alice", "room": "lobby"});
    assert_eq!(recv_raw(&mut alice), renamed);
    assert_eq!(recv_raw(&mut bob), renamed);

    // message: to the room, the sender included.
    send_json(
        &mut alice,
        json!({"type": "message", "text": "hi", "room": "lobby"}),
    );
    for ws in [&mut alice, &mut bob] {
        let mut message = recv_raw(ws);
        take_ts(&mut message);
        assert_eq!(
            message,
            json!({"type": "message", "from": a, "name": "alice", "room": "lobby", "text": "hi"})
        );
    }

    // direct: only the target.
    send_json(&mut bob, json!({"type": "direct", "to": a, "text": "psst"}));
    let mut direct = recv_raw(&mut alice);
    take_ts(&mut direct);
    assert_eq!(
        direct,
        json!({"type": "direct", "from": b, "name": null, "text": "psst"})
    );

    // ack, and error with its field and ack.
    send_json(&mut bob, json!({"type": "join", "room": "ops", "ack": 1}));
    let bob_in_ops =
        json!({"type": "presence", "event": "joined", "id": b, "name": null, "room": "ops"});
    assert_eq!(recv_raw(&mut bob), bob_in_ops);
    assert_eq!(
        recv_raw(&mut bob),
        json!({"type": "ack", "ack": 1, "recipients": 0})
    );
    send_json(&mut bob, json!({"type": "direct", "text": "x", "ack": "q"}));
    assert_eq!(
        recv_raw(&mut bob),
        json!({"type": "error", "code": "missing_field", "message": "missing field \"to\"",
               "field": "to", "ack": "q"})
    );

    // presence: left, on a leave and on a disconnect.
    send_json(&mut bob, json!({"type": "leave", "room": "ops"}));
    assert_eq!(
        recv_raw(&mut bob),
        json!({"type": "presence", "event": "left", "id": b, "name": null, "room": "ops"})
    );
    drop(bob);
    assert_eq!(
        recv_raw(&mut alice),
        json!({"type": "presence", "event": "left", "id": b, "name": null, "room": "lobby"})
    );
    server.shutdown();
}

#[test]
fn messages_from_the_server_itself_have_no_sender() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut first, first_id) = chat_connect(server.local_addr());
    let (mut second, _) = chat_connect(server.local_addr());
    assert_eq!(recv_json(&mut first)["event"], "joined"); // The second client.

    // What the HTTP API's POST /broadcast does in chat mode.
    let reached = Chat::default().announce(&server.hub(), Target::All, "server notice");
    assert_eq!(reached, Ok(2));
    for ws in [&mut first, &mut second] {
        let mut message = recv_raw(ws);
        take_ts(&mut message);
        assert_eq!(
            message,
            json!({"type": "message", "from": null, "name": null, "room": null,
                   "text": "server notice"})
        );
    }
    // And to one client (POST /clients/:id/messages).
    let reached = Chat::default().announce(&server.hub(), Target::One(ClientId(first_id)), "you");
    assert_eq!(reached, Ok(1));
    assert_eq!(recv_raw(&mut first)["text"], "you");
    // The second client got nothing more: its next message is this one.
    second
        .send(Message::text(r#"{"type":"message","text":"next"}"#))
        .unwrap();
    assert_eq!(recv_raw(&mut second)["text"], "next");
    server.shutdown();
}
