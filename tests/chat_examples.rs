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
    assert_eq!(
        output,
        format!("connected to {url} (Ctrl-D to quit)\n< plain text\n< {{\"x\":1}}\nclosed\n")
    );
    server.shutdown();
}

/// Terminal input: the lines the test sends, until it drops the sender.
struct Typed(crossbeam_channel::Receiver<String>);

impl std::io::Read for Typed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.recv() {
            // Lines are short: one fits the BufReader's buffer.
            Ok(line) => {
                let bytes = format!("{line}\n").into_bytes();
                buf[..bytes.len()].copy_from_slice(&bytes);
                Ok(bytes.len())
            }
            Err(_) => Ok(0),
        }
    }
}

/// The client's terminal: each complete line it prints, as it prints it.
struct Printed(crossbeam_channel::Sender<String>, Vec<u8>);

impl std::io::Write for Printed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        while let Some(end) = self.1.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.1.drain(..=end).collect();
            let _ = self
                .0
                .send(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_client_says_it_is_connected_and_reconnects_quietly_after_a_restart() {
    let _watchdog = watchdog(DEADLINE * 4);
    let server = chat::start(config()).unwrap();
    let addr = server.local_addr();
    let url = format!("ws://{addr}");
    let (typing, typed) = crossbeam_channel::unbounded();
    let (printing, printed) = crossbeam_channel::unbounded();
    let client = {
        let url = url.clone();
        std::thread::spawn(move || {
            let input = std::io::BufReader::new(Typed(typed));
            client::run(&url, false, input, &mut Printed(printing, Vec::new()))
        })
    };
    let next = || {
        printed
            .recv_timeout(DEADLINE)
            .expect("the client prints a line")
    };
    assert_eq!(next(), format!("connected to {url} (Ctrl-D to quit)"));
    assert!(next().starts_with("< {\"type\":\"welcome\""));
    server.shutdown();

    // The server is gone: a plain listener on its port sees the client's
    // tries (and fails each of them), so two failed tries are observed.
    let mut lines = Vec::new();
    let listener = std::net::TcpListener::bind(addr).expect("the port is free again");
    for _ in 0..2 {
        let (socket, _) = listener.accept().unwrap();
        drop(socket);
    }
    drop(listener);
    let second = chat::start(wshub::Config {
        port: addr.port(),
        ..config()
    })
    .unwrap();
    loop {
        let line = next();
        let connected = line.starts_with("connected to");
        lines.push(line);
        if connected {
            break;
        }
    }
    assert_eq!(
        lines,
        [
            "< {\"type\":\"presence\",\"event\":\"joined\",\"id\":1,\"name\":null,\"room\":\"lobby\"}"
                .to_string(),
            "closed: 1001 \"server shutting down\"".into(),
            "disconnected; reconnecting".into(),
            format!("connected to {url} (Ctrl-D to quit)"),
        ],
        "one line for the reconnect, none per failed try"
    );
    // The new connection works: plain text is a lobby message.
    assert!(next().starts_with("< {\"type\":\"welcome\""));
    next(); // Its own "joined".
    typing.send("back".into()).unwrap();
    let message: Value = serde_json::from_str(next().strip_prefix("< ").unwrap()).unwrap();
    assert_eq!(message["text"], "back");
    drop(typing);
    client.join().unwrap().unwrap();
    second.shutdown();
}
