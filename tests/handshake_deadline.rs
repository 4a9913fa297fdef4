//! A WebSocket handshake that stalls is answered 408 and dropped once the
//! request-head deadline passes, and its connection slot is freed; a
//! client dripping its request a byte at a time does not extend the
//! deadline.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use wshub::Config;

const HEAD_TIMEOUT: Duration = Duration::from_millis(300);

fn server() -> wshub::Server {
    start(Config {
        head_timeout: HEAD_TIMEOUT,
        ..config()
    })
}

#[test]
fn a_stalled_handshake_gets_408_and_is_dropped_after_the_deadline() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    // Half an upgrade request, then nothing.
    stream
        .write_all(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
        .unwrap();
    assert!(server.wait_for_connections(DEADLINE, |n| n == 1));
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("a 408, then EOF");
    assert!(started.elapsed() >= HEAD_TIMEOUT);
    assert!(response.starts_with("HTTP/1.1 408 "), "{response}");
    // Its thread is gone and its slot free; it never joined the hub.
    assert!(server.wait_for_connections(DEADLINE, |n| n == 0));
    assert_eq!(server.hub().stats().clients_total, 0);
    server.shutdown();
}

#[test]
fn dripping_the_request_does_not_extend_the_deadline() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let addr = server.local_addr();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    // A byte every 25 ms: the whole request would take about four seconds,
    // each byte well within the deadline of the one before.
    let request = upgrade_request(addr).into_bytes();
    let stop = Arc::new(AtomicBool::new(false));
    let dripper = {
        let (mut stream, stop) = (stream.try_clone().unwrap(), stop.clone());
        std::thread::spawn(move || {
            for byte in request {
                if stop.load(Ordering::SeqCst) || stream.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        })
    };
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("a 408, then EOF");
    stop.store(true, Ordering::SeqCst);
    dripper.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 408 "), "{response}");
    assert!(server.wait_for_connections(DEADLINE, |n| n == 0));
    assert_eq!(server.hub().stats().clients_total, 0);
    server.shutdown();
}
