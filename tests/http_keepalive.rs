//! One connection carries many requests: HTTP/1.1 keeps it alive (bodies
//! by Content-Length or chunks, `Expect: 100-continue` answered before the
//! body is sent, HEAD, errors such as 404 in between),
//! pipelined requests are answered in order, `Connection: close` and
//! HTTP/1.0 end it, and a WebSocket upgrade may follow plain requests,
//! with frames sent right behind the upgrade head not lost.

mod common;

use std::io::Write;

use common::http::*;
use common::*;
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};
use wshub::Config;

#[test]
fn one_connection_serves_request_after_request() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let mut conn = HttpConn::open(server.local_addr());
    for _ in 0..3 {
        let page = conn.request("GET", "/", &[], b"");
        assert_eq!(page.status, 200);
        assert_eq!(
            page.header("Connection"),
            None,
            "HTTP/1.1 keeps alive by default"
        );
        assert_eq!(conn.request("HEAD", "/app.js", &[], b"").status, 200);
        assert_eq!(conn.request("GET", "/missing", &[], b"").status, 404);
        let posted = conn.request("POST", "/broadcast", &[], b"kept alive");
        assert_eq!(posted.json()["message"], "kept alive");
        let chunked = b"POST /broadcast HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                        5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        conn.send(chunked);
        assert_eq!(conn.read_response(false).json()["message"], "hello world");
    }
    server.shutdown();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let mut conn = HttpConn::open(server.local_addr());
    let mut all = Vec::new();
    all.extend(request_bytes("POST", "/broadcast", &[], b"first"));
    all.extend(request_bytes("GET", "/healthz", &[], b""));
    all.extend(request_bytes("POST", "/broadcast/second", &[], b""));
    conn.send(&all); // one write: the server reads them all at once
    assert_eq!(conn.read_response(false).json()["message"], "first");
    assert_eq!(conn.read_response(false).text(), "ok\n");
    assert_eq!(conn.read_response(false).json()["message"], "second");
    server.shutdown();
}

#[test]
fn connection_close_and_http_1_0_end_the_connection() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let addr = server.local_addr();

    let mut conn = HttpConn::open(addr);
    let answer = conn.request("GET", "/healthz", &[("Connection", "close")], b"");
    assert_eq!(answer.header("Connection"), Some("close"));
    assert!(conn.is_closed());

    let mut conn = HttpConn::open(addr);
    conn.send(b"GET /healthz HTTP/1.0\r\n\r\n");
    let answer = conn.read_response(false);
    assert_eq!(answer.text(), "ok\n");
    assert_eq!(answer.header("Connection"), Some("close"));
    assert!(conn.is_closed());

    // HTTP/1.0 that asks for keep-alive gets it, and says so.
    let mut conn = HttpConn::open(addr);
    for _ in 0..2 {
        conn.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let answer = conn.read_response(false);
        assert_eq!(answer.text(), "ok\n");
        assert_eq!(answer.header("Connection"), Some("keep-alive"));
    }
    server.shutdown();
}

#[test]
fn an_upgrade_after_plain_requests_keeps_the_frames_sent_behind_it() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_echo(Config { ..config() });
    let mut conn = HttpConn::open(server.local_addr());
    assert_eq!(conn.request("GET", "/healthz", &[], b"").status, 200);

    // The upgrade head and a masked text frame "hi" in one write.
    let mut bytes = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                      Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .to_vec();
    let mask = [1u8, 2, 3, 4];
    bytes.extend([0x81, 0x80 | 2]);
    bytes.extend(mask);
    bytes.extend(b"hi".iter().zip(mask).map(|(b, m)| b ^ m));
    conn.stream.write_all(&bytes).unwrap();

    // The 101 head, then the echo as a WebSocket frame.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        std::io::Read::read_exact(&mut conn.stream, &mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(
        head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );
    let mut ws = WebSocket::from_raw_socket(conn.stream, Role::Client, None);
    assert_eq!(ws.read().unwrap(), Message::text("hi"));
    server.shutdown();
}

#[test]
fn a_client_that_expects_100_continue_gets_it_before_sending_the_body() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(Config {
        max_body: 100,
        ..config()
    });
    let mut conn = HttpConn::open(server.local_addr());
    for _ in 0..2 {
        conn.send(b"POST /broadcast HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        let mut interim = [0u8; 25];
        std::io::Read::read_exact(&mut conn.stream, &mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        conn.send(b"hello");
        assert_eq!(conn.read_response(false).json()["message"], "hello");
    }
    // Too large: the final answer comes at once, with no 100 before it.
    conn.send(b"POST /broadcast HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n");
    conn.read_response(false).assert_error(413);
    server.shutdown();
}
