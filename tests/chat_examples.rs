//! The chat example and the terminal client do what their tutorial step
//! says: the example's own `start` and `announce_lines`, and the client's
//! own `run`, are compiled in here and run against servers on port 0.

mod common;

use std::io::Cursor;

use common::*;
use serde_json::{json, Value};

// The examples' `main` functions are not called here.
#[allow(dead_code)]
#[path = "../examples/chat.rs"]
mod chat;
#[allow(dead_code)]
#[path = "../examples/client.rs"]
mod client;

/// The JSON messages the client printed, in order.
fn printed_json(output: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(output)
        .lines()
        .filter_map(|line| line.strip_prefix("< "))
        .map(|json| serde_json::from_str(json).unwrap())
        .collect()
}

#[test]
fn the_chat_example_serves_chat_and_announces_typed_lines() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = chat::start(config()).unwrap();
    let (mut ws, _) = chat_connect(server.local_addr());
    let (ack, _) = chat_request(&mut ws, json!({"type": "message", "text": "hi"}), "1");
    assert_eq!(ack, json!({"type": "ack", "ack": "1", "recipients": 1}));
    chat::announce_lines(&server.hub(), Cursor::new("first notice\nsecond\n"));
    for text in ["first notice", "second"] {
        let message = recv_json(&mut ws);
        assert_eq!(
            (&message["from"], &message["text"]),
            (&json!(null), &json!(text))
        );
    }
    server.shutdown();
}

#[test]
fn the_client_sends_lines_as_chat_messages_and_prints_what_arrives() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = chat::start(config()).unwrap();
    let (mut watcher, _) = chat_connect(server.local_addr());
    let url = format!("ws://{}", server.local_addr());
    let typed = "hello there\n{\"type\":\"name\",\"name\":\"cli\"}\n";
    let mut output = Vec::new();
    client::run(&url, true, Cursor::new(typed), &mut output).unwrap();

    // The client saw its welcome, its own joined, its message, its rename.
    let printed = printed_json(&output);
    let kinds: Vec<&str> = printed
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["welcome", "presence", "message", "presence"],
        "{printed:?}"
    );
    let id = printed[0]["id"].clone();
    assert_eq!(printed[2]["text"], "hello there");
    assert_eq!(
        (&printed[3]["event"], &printed[3]["name"]),
        (&json!("renamed"), &json!("cli"))
    );
    // It closed politely when its input ended, and the server answered
    // (echoing the client's close frame, which has no code).
    let last = String::from_utf8_lossy(&output)
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert_eq!(last, "closed");

    // Another client saw the same, then the client leave.
    let seen: Vec<Value> = (0..4).map(|_| recv_json(&mut watcher)).collect();
    assert_eq!(seen[0]["event"], "joined");
    assert_eq!(
        (&seen[1]["from"], &seen[1]["text"]),
        (&id, &json!("hello there"))
    );
    assert_eq!(seen[2]["event"], "renamed");
    assert_eq!(
        (&seen[3]["event"], &seen[3]["name"]),
        (&json!("left"), &json!("cli"))
    );
    server.shutdown();
}

#[test]
fn without_json_the_client_sends_lines_as_they_are() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_echo(config());
    let url = format!("ws://{}", server.local_addr());
    let mut output = Vec::new();
    client::run(
        &url,
        false,
        Cursor::new("plain text\n{\"x\":1}\n"),
        &mut output,
    )
    .unwrap();
    let output = String::from_utf8(output).unwrap();
    assert_eq!(output, "< plain text\n< {\"x\":1}\nclosed\n");
    server.shutdown();
}

/// Terminal input that stays open until the test lets it end.
struct HeldOpen(crossbeam_channel::Receiver<()>);

impl std::io::Read for HeldOpen {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        let _ = self.0.recv(); // Blocks until the sender is dropped.
        Ok(0)
    }
}

#[test]
fn the_client_reports_a_close_from_the_server() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = chat::start(config()).unwrap();
    let url = format!("ws://{}", server.local_addr());
    let (release, held) = crossbeam_channel::bounded(0);
    let client = std::thread::spawn(move || {
        let mut output = Vec::new();
        let input = std::io::BufReader::new(HeldOpen(held));
        client::run(&url, true, input, &mut output).map(|()| output)
    });
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    server.shutdown();
    let output = String::from_utf8(client.join().unwrap().unwrap()).unwrap();
    drop(release);
    assert!(
        output.ends_with("closed: 1001 \"server shutting down\"\n"),
        "{output}"
    );
}
