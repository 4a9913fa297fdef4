//! `--max-clients` caps open connections, HTTP or WebSocket: one more is
//! answered 503 with Retry-After (really received, not reset), gets no
//! connection thread, leaves the clients already in alone, and a freed slot
//! is usable at once.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use tungstenite::Message;
use wshub::Config;

/// Connection threads alive in this process (the server runs in it).
fn connection_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("wshub-conn-"))
        .count()
}

#[test]
fn over_the_cap_gets_a_503_without_a_thread_and_a_freed_slot_is_reused() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = start(Config {
        max_clients: 3,
        // Every client here comes from 127.0.0.1: only the overall cap.
        max_clients_per_peer: Some(0),
        ..config()
    });
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 2);
    // A plain HTTP connection counts too: half a request head holds the
    // third slot.
    let mut half_sent = TcpStream::connect(addr).unwrap();
    half_sent.write_all(b"GET /stats HTTP/1.1\r\n").unwrap();
    assert!(server.wait_for_connections(DEADLINE, |n| n == 3));

    // A WebSocket client over the cap gets the 503 and its Retry-After.
    match tungstenite::connect(format!("ws://{addr}/")) {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            let retry_after = response.headers().get("Retry-After").expect("Retry-After");
            let seconds: u32 = retry_after.to_str().unwrap().parse().unwrap();
            assert!(seconds >= 1);
        }
        other => panic!("expected a 503, got {other:?}"),
    }

    // A client that sends a large request and reads the answer only
    // afterwards still receives the whole 503, then EOF: the server reads
    // the request before it closes, so its close is no reset. Meanwhile
    // the rejected connection is open, and has no thread.
    let mut big_head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n");
    for i in 0..200 {
        big_head.push_str(&format!("X-Filler-{i}: {}\r\n", "y".repeat(60)));
    }
    big_head.push_str("\r\n");
    let mut lingering = TcpStream::connect(addr).unwrap();
    let mut slow_reader = TcpStream::connect(addr).unwrap();
    slow_reader.set_read_timeout(Some(DEADLINE)).unwrap();
    slow_reader.write_all(big_head.as_bytes()).unwrap();
    // A client on a busy machine may read its answer late: long after the
    // server has sent it, and after a careless server has closed (and, with
    // the request unread, reset) the connection.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut response = String::new();
    slow_reader
        .read_to_string(&mut response)
        .expect("the whole 503, then EOF, not a reset");
    assert!(
        response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{response}"
    );
    assert!(response.contains("\r\nRetry-After: "), "{response}");
    assert!(response.contains("server full"), "{response}");
    lingering.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    // Three connection threads at most (the third may still be starting).
    assert!(connection_threads() <= 3);
    assert_eq!(server.connection_count(), 3);
    assert_eq!(server.client_count(), 2);

    // The clients already in are served as before.
    clients[0].send(Message::text("still served")).unwrap();
    for ws in &mut clients {
        assert_eq!(recv_text(ws), "still served");
    }

    // Free a slot: the next client is served at once.
    drop(half_sent);
    assert!(server.wait_for_connections(DEADLINE, |n| n == 2));
    let mut third = connect(addr);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 3));
    clients[1].send(Message::text("welcome in")).unwrap();
    assert_eq!(recv_text(&mut third), "welcome in");
    drop(lingering);
    server.shutdown();
}
