//! `POST /broadcast` takes any JSON body, as a tutorial's
//! `broadcastMessage({ hello: 'world' })` sends one: an object with a
//! string `message` sends that string, any other JSON goes out as its JSON
//! text.

mod common;

use common::http::post_json;
use common::*;
use serde_json::json;

#[test]
fn json_without_a_string_message_is_sent_as_its_json_text() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let addr = server.local_addr();
    let mut ws = connect(addr);
    // Its own broadcast coming back shows it receives broadcasts now.
    ws.send(tungstenite::Message::text("ready")).unwrap();
    assert_eq!(recv_text(&mut ws), "ready");

    let cases = [
        (json!({"message": "dinner is ready"}), "dinner is ready"),
        (json!({"hello": "world"}), r#"{"hello":"world"}"#),
        (json!({"message": 5}), r#"{"message":5}"#),
        (json!([1, 2, 3]), "[1,2,3]"),
        (json!("just a string"), r#""just a string""#),
    ];
    for (body, sent) in cases {
        let answer = post_json(addr, "/broadcast", &body);
        assert_eq!(answer.status, 200, "{body}: {}", answer.text());
        assert_eq!(answer.json(), json!({"message": sent, "recipients": 1}));
        assert_eq!(recv_text(&mut ws), sent, "{body}");
    }
    server.shutdown();
}
