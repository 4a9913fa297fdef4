//! Names are unique among connected clients (regardless of case), follow
//! the 1–32 printable characters rule, appear on what their holder sends,
//! and are free again once their holder renames or leaves.

mod common;

use common::*;
use serde_json::{json, Value};

fn name(ws: &mut Ws, name: &str) -> Value {
    chat_request(ws, json!({"type": "name", "name": name}), name).0
}

#[test]
fn a_name_held_by_another_client_is_refused() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, _) = chat_connect(server.local_addr());
    let (mut b, _) = chat_connect(server.local_addr());
    assert_eq!(name(&mut a, "alice")["type"], "ack");
    for taken in ["alice", "ALICE", "Alice"] {
        let error = name(&mut b, taken);
        assert_eq!(
            (&error["code"], &error["field"]),
            (&json!("name_taken"), &json!("name")),
            "{taken}: {error}"
        );
    }
    // Its holder may change its case or keep it.
    assert_eq!(name(&mut a, "Alice")["type"], "ack");
    assert_eq!(name(&mut a, "Alice")["type"], "ack");
    // Renamed, the old name is free.
    assert_eq!(name(&mut a, "ann")["type"], "ack");
    assert_eq!(name(&mut b, "alice")["type"], "ack");
    // Gone, its name is free.
    b.close(None).unwrap();
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    assert_eq!(name(&mut a, "alice")["type"], "ack");
    server.shutdown();
}

#[test]
fn names_break_no_rule() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, _) = chat_connect(server.local_addr());
    let too_long = "n".repeat(33);
    for bad in ["", too_long.as_str(), "tab\there", " alice", "alice "] {
        let error = name(&mut a, bad);
        assert_eq!(
            (&error["code"], &error["field"]),
            (&json!("invalid_field"), &json!("name")),
            "{bad:?}: {error}"
        );
    }
    for good in ["n".repeat(32).as_str(), "Zoë Ångström", "🦀"] {
        assert_eq!(name(&mut a, good)["type"], "ack", "{good}");
    }
    server.shutdown();
}

#[test]
fn messages_carry_the_senders_current_name() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, ida) = chat_connect(server.local_addr());
    let (mut b, _) = chat_connect(server.local_addr());
    let say = |ws: &mut Ws, text: &str| {
        let (ack, before) = chat_request(ws, json!({"type": "message", "text": text}), text);
        assert_eq!(ack["recipients"], 2);
        before.into_iter().find(|m| m["type"] == "message").unwrap()
    };
    assert_eq!(say(&mut a, "anonymous")["name"], json!(null));
    name(&mut a, "alice");
    let message = say(&mut a, "named");
    assert_eq!(
        (&message["from"], &message["name"]),
        (&json!(ida), &json!("alice"))
    );
    // The other client saw the rename between the two messages.
    let seen: Vec<Value> = (0..3).map(|_| recv_json(&mut b)).collect();
    assert_eq!(
        seen.iter()
            .map(|m| m["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["message", "presence", "message"]
    );
    assert_eq!(
        (&seen[1]["event"], &seen[1]["name"]),
        (&json!("renamed"), &json!("alice"))
    );
    assert_eq!(seen[2]["name"], "alice");
    server.shutdown();
}
