//! A message sent over HTTP reaches every one of N WebSocket clients, in
//! the order the requests were answered, and goes out through the
//! handler's `announce`, so a mode wraps it in its own format (chat mode:
//! a `message` with `"from": null`).

mod common;

use common::http::*;
use common::*;
use serde_json::{json, Value};
use wshub::{Client, Config, Handler, Hub, HubClosed, Message, Target};

const CLIENTS: usize = 50;

#[test]
fn a_broadcast_over_http_reaches_every_client() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = start(Config { ..config() });
    let addr = server.local_addr();
    let mut clients = connect_many(&server, CLIENTS);

    let mut conn = HttpConn::open(addr);
    for i in 0..10 {
        let answer = conn.request("POST", "/broadcast", &[], format!("news {i}").as_bytes());
        assert_eq!(
            answer.json(),
            json!({"message": format!("news {i}"), "recipients": CLIENTS})
        );
    }
    assert_eq!(get(addr, "/broadcast/extra").json()["recipients"], CLIENTS);
    for ws in &mut clients {
        for i in 0..10 {
            assert_eq!(recv_text(ws), format!("news {i}"));
        }
        assert_eq!(recv_text(ws), "extra");
    }
    let stats = get(addr, "/stats").json();
    assert_eq!(stats["messages_out"], 11 * CLIENTS);
    server.shutdown();
}

/// Wraps what the server announces, as chat mode wraps it in JSON.
struct Wrapping;

impl Handler for Wrapping {
    fn on_message(&self, _: &Client, _: Message) {}

    fn announce(&self, hub: &Hub, target: Target, text: &str) -> Result<usize, HubClosed> {
        hub.send_counted(target, Message::text(format!("[server] {text}")))
    }
}

#[test]
fn http_messages_go_through_the_handlers_announce() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_with(config(), Wrapping);
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 3);
    assert_eq!(
        post_text(addr, "/broadcast", "hello").json()["recipients"],
        3
    );
    let id = get(addr, "/clients").json()[0]["id"].as_u64().unwrap();
    assert_eq!(
        post_text(addr, &format!("/clients/{id}/messages"), "one").json()["recipients"],
        1
    );
    let mut got_direct = 0;
    for ws in &mut clients {
        assert_eq!(recv_text(ws), "[server] hello");
    }
    // Only the addressed client gets the direct message; a final
    // broadcast marks the end of what each client was sent.
    post_text(addr, "/broadcast", "end");
    for ws in &mut clients {
        match recv_text(ws).as_str() {
            "[server] one" => {
                got_direct += 1;
                assert_eq!(recv_text(ws), "[server] end");
            }
            other => assert_eq!(other, "[server] end"),
        }
    }
    assert_eq!(got_direct, 1);
    server.shutdown();
}

#[test]
fn in_chat_mode_http_messages_arrive_as_server_messages() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 2);
    for ws in &mut clients {
        assert_eq!(chat_json(ws)["type"], "welcome");
    }
    assert_eq!(
        post_text(addr, "/broadcast", "from HTTP").json()["recipients"],
        2
    );
    for ws in &mut clients {
        // Presence events of the other client may come first.
        let message = loop {
            let message = chat_json(ws);
            if message["type"] != "presence" {
                break message;
            }
        };
        assert_eq!(message["type"], "message");
        assert_eq!(message["from"], Value::Null);
        assert_eq!(message["room"], Value::Null);
        assert_eq!(message["text"], "from HTTP");
        assert!(message["ts"].is_u64());
    }
    server.shutdown();
}

fn chat_json(ws: &mut Ws) -> Value {
    serde_json::from_str(&recv_text(ws)).expect("chat mode sends JSON")
}
