//! The binary's log reads well for a learner: at `debug` every received
//! message with its client id (control characters escaped), a shutdown
//! logged per client as the server's doing with correct plurals, and a
//! port in use named with its address and a hint to use `--port`.

mod common;

use common::*;
use tungstenite::Message;

#[test]
fn debug_logs_every_received_message_with_its_client_id() {
    let _watchdog = watchdog(DEADLINE * 2);
    let binary = Binary::start(&["--mode", "echo", "--log-level", "debug"]);
    let mut ws = connect(binary.addr);
    binary.wait_for_log("client 1 connected");
    ws.send(Message::text("hi\nthere")).unwrap();
    let line = binary.wait_for_log("client 1 sent");
    assert!(
        line.ends_with(r"client 1 sent 8 bytes: hi\nthere"),
        "{line}"
    );
    ws.send(Message::text("x")).unwrap();
    binary.wait_for_log("client 1 sent 1 byte: x");
    ws.send(Message::binary(vec![1, 2, 3])).unwrap();
    binary.wait_for_log("client 1 sent 3 bytes of binary");
}

#[test]
fn a_shutdown_is_logged_as_the_server_closing_each_client() {
    let _watchdog = watchdog(DEADLINE * 2);
    let binary = Binary::start(&["--mode", "broadcast"]);
    let mut ws = connect(binary.addr);
    binary.wait_for_log("client 1 connected");
    binary.signal("TERM");
    let (_, close) = recv_until_close(&mut ws);
    assert_eq!(close.map(|c| u16::from(c.code)), Some(1001));
    drop(ws);
    let (status, log) = binary.wait_exit();
    assert!(status.success());
    let closing = log
        .iter()
        .find(|line| line.contains("shutting down: closing"));
    assert!(
        closing.is_some_and(|line| line.ends_with("closing 1 client")),
        "{log:?}"
    );
    let log = log.join("\n");
    assert!(
        log.contains("client 1 (")
            && log.contains("disconnected: closed by the server (1001, shutting down)"),
        "{log}"
    );
    assert!(!log.contains("without a close frame"), "{log}");
    assert!(log.contains("shut down: 1 client drained"), "{log}");
}

#[test]
fn a_port_in_use_is_named_with_a_hint_to_use_port() {
    let _watchdog = watchdog(DEADLINE * 2);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wshub"))
        .args(["--bind", "127.0.0.1", "--port", &port])
        .env_remove("RUST_LOG")
        .output()
        .expect("wshub runs");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{said}"
    );
    assert!(said.contains("in use") && said.contains("--port"), "{said}");
}
