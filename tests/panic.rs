//! A panic in one connection's handler ends that connection only: its
//! client gets close code 1011 and leaves the hub; the hub, the accept loop
//! and every other client carry on.

mod common;

use common::*;
use tungstenite::Message;
use wshub::{Client, Target};

/// Broadcasts every message, except that "panic" makes it panic (on the
/// sender's connection thread, as a buggy handler would).
fn fragile(client: &Client, message: Message) {
    if message == Message::text("panic") {
        panic!("this test handler panics on purpose");
    }
    let _ = client.hub().send(Target::All, message);
}

#[test]
fn a_panicking_handler_ends_only_its_own_connection() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_with(config(), fragile);
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 3);
    let mut doomed = clients.pop().unwrap();

    doomed.send(Message::text("panic")).unwrap();
    let (before, close) = recv_until_close(&mut doomed);
    assert!(before.is_empty());
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1011));
    // The unwinding thread took its client out of the hub, and ended.
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 2));
    assert!(server.wait_for_connections(DEADLINE, |n| n == 2));

    // The others carry on.
    clients[0].send(Message::text("after the panic")).unwrap();
    for ws in &mut clients {
        assert_eq!(recv_text(ws), "after the panic");
    }
    // The accept loop too.
    let mut newcomer = connect(addr);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 3));
    clients[1].send(Message::text("hello, newcomer")).unwrap();
    assert_eq!(recv_text(&mut newcomer), "hello, newcomer");

    let summary = server.shutdown();
    assert_eq!(summary.drained, 3);
}
