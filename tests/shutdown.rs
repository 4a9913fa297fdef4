//! `Server::shutdown` closes every client with 1001 after what was queued
//! for it, and returns within a deadline.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tungstenite::Message;
use wshub::Target;

#[test]
fn shutdown_sends_queued_messages_then_1001_to_everyone() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let mut clients = connect_many(&server, 10);
    for i in 0..20 {
        server
            .hub()
            .send(Target::All, Message::text(format!("m{i}")))
            .unwrap();
    }
    let started = Instant::now();
    let summary = server.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(summary.drained, 10);
    assert_eq!(summary.cut_off, 0);
    let expected: Vec<Message> = (0..20).map(|i| Message::text(format!("m{i}"))).collect();
    for ws in &mut clients {
        let (before, close) = recv_until_close(ws);
        assert_eq!(before, expected);
        assert_eq!(close.map(|f| u16::from(f.code)), Some(1001));
    }
}

#[test]
fn shutdown_with_no_clients_is_quick_and_frees_the_port() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let addr = server.local_addr();
    let summary = server.shutdown();
    assert_eq!(summary, wshub::ShutdownSummary::default());
    // Nothing listens any more.
    assert!(std::net::TcpStream::connect(addr).is_err());
}
