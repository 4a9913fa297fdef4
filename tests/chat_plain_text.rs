//! Chat mode takes a text frame that is not JSON at all (wscat's or a
//! browser console's first "hello") as a message to the lobby, and answers
//! malformed JSON with an `invalid_json` error that shows the right shape.

mod common;

use common::*;
use serde_json::Value;
use tungstenite::Message;

#[test]
fn plain_text_reaches_the_lobby_as_a_message() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut alice, alice_id) = chat_connect(server.local_addr());
    let (mut bob, _) = chat_connect(server.local_addr());
    let _bob_joined = recv_json(&mut alice);

    alice.send(Message::text("hello from wscat")).unwrap();
    for ws in [&mut alice, &mut bob] {
        let message = recv_json(ws);
        assert_eq!(message["type"], "message", "{message}");
        assert_eq!(message["from"], alice_id);
        assert_eq!(message["room"], "lobby");
        assert_eq!(message["text"], "hello from wscat");
    }
    server.shutdown();
}

#[test]
fn malformed_json_gets_an_error_naming_the_expected_shape() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut ws, _) = chat_connect(server.local_addr());
    ws.send(Message::text("{not json")).unwrap();
    let error: Value = recv_json(&mut ws);
    assert_eq!(error["code"], "invalid_json", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(r#"{"type":"message","text":"hi"}"#) && message.contains("plain text"),
        "{message}"
    );
    server.shutdown();
}
