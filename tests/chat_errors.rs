//! Every error code of chat mode, and every malformed request shape, gets
//! an `error` reply naming the code (and field), and the connection keeps
//! working; only a frame over `--max-message` closes it (1009).

mod common;

use common::*;
use serde_json::{json, Value};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::Message;
use wshub::protocol::MAX_ROOMS_PER_CLIENT;
use wshub::{Chat, Config};

/// Reads the next message, which must be an error with `code` (and
/// `field`), then proves the connection still works with a request that
/// must be acknowledged.
fn expect_error_then_alive(ws: &mut Ws, what: &str, code: &str, field: Option<&str>) {
    let error = recv_json(ws);
    assert_eq!(error["type"], "error", "{what}: {error}");
    assert_eq!(error["code"], code, "{what}: {error}");
    assert_eq!(error["field"], json!(field), "{what}: {error}");
    assert!(!error["message"].as_str().unwrap().is_empty());
    let (ack, _) = chat_request(ws, json!({"type": "join", "room": "lobby"}), "alive");
    assert_eq!(ack["type"], "ack", "after {what}: {ack}");
}

#[test]
fn every_malformed_request_gets_its_error_and_the_connection_lives_on() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, _) = chat_connect(server.local_addr());
    let cases: &[(&str, &str, Option<&str>)] = &[
        // Plain text is a lobby message (tests/chat_plain_text.rs); the
        // empty one has no text.
        ("", "invalid_field", Some("text")),
        ("{", "invalid_json", None),
        ("[1,2]", "invalid_json", None),
        ("[\"a string\"]", "invalid_json", None),
        (&"[".repeat(1000), "invalid_json", None),
        (r#"{}"#, "missing_field", Some("type")),
        (r#"{"type":null}"#, "invalid_field", Some("type")),
        (r#"{"type":["message"]}"#, "invalid_field", Some("type")),
        (r#"{"type":"shout"}"#, "unknown_type", Some("type")),
        (
            r#"{"type":"MESSAGE","text":"hi"}"#,
            "unknown_type",
            Some("type"),
        ),
        (r#"{"type":"message"}"#, "missing_field", Some("text")),
        (
            r#"{"type":"message","text":null}"#,
            "invalid_field",
            Some("text"),
        ),
        (
            r#"{"type":"message","text":42}"#,
            "invalid_field",
            Some("text"),
        ),
        (
            r#"{"type":"message","text":""}"#,
            "invalid_field",
            Some("text"),
        ),
        (
            r#"{"type":"message","text":"hi","room":{}}"#,
            "invalid_field",
            Some("room"),
        ),
        (
            r#"{"type":"message","text":"hi","room":""}"#,
            "invalid_field",
            Some("room"),
        ),
        (
            r#"{"type":"direct","text":"hi"}"#,
            "missing_field",
            Some("to"),
        ),
        (
            r#"{"type":"direct","to":"1","text":"hi"}"#,
            "invalid_field",
            Some("to"),
        ),
        (
            r#"{"type":"direct","to":-3,"text":"hi"}"#,
            "invalid_field",
            Some("to"),
        ),
        (
            r#"{"type":"direct","to":0.5,"text":"hi"}"#,
            "invalid_field",
            Some("to"),
        ),
        (r#"{"type":"direct","to":1}"#, "missing_field", Some("text")),
        (r#"{"type":"join"}"#, "missing_field", Some("room")),
        (
            r#"{"type":"join","room":true}"#,
            "invalid_field",
            Some("room"),
        ),
        (r#"{"type":"leave"}"#, "missing_field", Some("room")),
        (r#"{"type":"name"}"#, "missing_field", Some("name")),
        (r#"{"type":"name","name":7}"#, "invalid_field", Some("name")),
        (
            r#"{"type":"join","room":"x","ack":false}"#,
            "invalid_field",
            Some("ack"),
        ),
        (
            r#"{"type":"join","room":"x","ack":[1]}"#,
            "invalid_field",
            Some("ack"),
        ),
    ];
    for &(text, code, field) in cases {
        ws.send(Message::text(text)).unwrap();
        expect_error_then_alive(&mut ws, text, code, field);
    }
    server.shutdown();
}

#[test]
fn refusals_about_rooms_clients_and_names() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, _) = chat_connect(server.local_addr());
    let (mut other, _) = chat_connect(server.local_addr());
    let (ack, _) = chat_request(&mut other, json!({"type": "name", "name": "taken"}), "n");
    assert_eq!(ack["type"], "ack");

    let requests: [(Value, &str, Option<&str>); 5] = [
        (
            json!({"type": "message", "room": "ops", "text": "hi"}),
            "not_in_room",
            Some("room"),
        ),
        (
            json!({"type": "leave", "room": "ops"}),
            "not_in_room",
            Some("room"),
        ),
        (
            json!({"type": "direct", "to": 987654, "text": "hi"}),
            "no_such_client",
            None,
        ),
        (
            json!({"type": "name", "name": "TAKEN"}),
            "name_taken",
            Some("name"),
        ),
        (
            json!({"type": "name", "name": "x".repeat(33)}),
            "invalid_field",
            Some("name"),
        ),
    ];
    for (request, code, field) in requests {
        // The presence messages `other` causes are read past first.
        let (error, _) = chat_request(&mut ws, request.clone(), "e");
        assert_eq!(error["code"], code, "{request}: {error}");
        assert_eq!(error["field"], json!(field), "{request}: {error}");
        let (ack, _) = chat_request(&mut ws, json!({"type": "join", "room": "lobby"}), "alive");
        assert_eq!(ack["type"], "ack");
    }
    server.shutdown();
}

#[test]
fn a_client_may_be_in_a_bounded_number_of_rooms() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, _) = chat_connect(server.local_addr());
    // The lobby is the first.
    for i in 1..MAX_ROOMS_PER_CLIENT {
        let (ack, _) = chat_request(
            &mut ws,
            json!({"type": "join", "room": format!("r{i}")}),
            "j",
        );
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    send_json(&mut ws, json!({"type": "join", "room": "one too many"}));
    expect_error_then_alive(&mut ws, "room 33", "too_many_rooms", Some("room"));
    // Leaving one makes room for another.
    let (ack, _) = chat_request(&mut ws, json!({"type": "leave", "room": "r1"}), "l");
    assert_eq!(ack["type"], "ack");
    let (ack, _) = chat_request(
        &mut ws,
        json!({"type": "join", "room": "one too many"}),
        "j",
    );
    assert_eq!(ack["type"], "ack");
    server.shutdown();
}

#[test]
fn binary_frames_are_refused_not_disconnected() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, _) = chat_connect(server.local_addr());
    for payload in [vec![], b"{\"type\":\"message\",\"text\":\"hi\"}".to_vec()] {
        ws.send(Message::binary(payload)).unwrap();
        expect_error_then_alive(&mut ws, "binary", "binary_not_supported", None);
    }
    server.shutdown();
}

#[test]
fn text_over_max_text_is_too_long_and_frames_over_max_message_close() {
    let _watchdog = watchdog(DEADLINE * 2);
    let config = Config {
        max_message: 4000,
        ..config()
    };
    let server = start_with(config, Chat::default().max_text(1000));
    let (mut ws, _) = chat_connect(server.local_addr());
    let message = |text: String| json!({"type": "message", "text": text});

    let (ack, _) = chat_request(&mut ws, message("x".repeat(1000)), "at the limit");
    assert_eq!(ack["recipients"], 1);
    send_json(&mut ws, message("x".repeat(1001)));
    expect_error_then_alive(&mut ws, "1001 bytes", "too_long", Some("text"));
    // Multi-byte characters count in bytes: 334 × 3 = 1002.
    send_json(&mut ws, message("€".repeat(334)));
    expect_error_then_alive(&mut ws, "1002 bytes", "too_long", Some("text"));

    // A frame over --max-message never reaches chat mode: 1009.
    send_json(&mut ws, message("x".repeat(4000)));
    let (before, close) = recv_until_close(&mut ws);
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(close.map(|c| c.code), Some(CloseCode::Size));
    server.shutdown();
}

#[test]
fn deeply_nested_json_is_read_or_refused_without_harm() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, _) = chat_connect(server.local_addr());
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Within serde_json's nesting limit: parsed on the connection thread's
    // small stack, the unknown field ignored.
    let deep = format!(
        r#"{{"type":"join","room":"lobby","ack":"deep","junk":{}}}"#,
        nested(120)
    );
    ws.send(Message::text(deep)).unwrap();
    assert_eq!(
        recv_json(&mut ws),
        json!({"type": "ack", "ack": "deep", "recipients": 0})
    );
    // Beyond it: refused, and the connection lives on.
    let deeper = format!(
        r#"{{"type":"join","room":"lobby","junk":{}}}"#,
        nested(5000)
    );
    ws.send(Message::text(deeper)).unwrap();
    expect_error_then_alive(&mut ws, "5000 levels", "invalid_json", None);
    server.shutdown();
}
