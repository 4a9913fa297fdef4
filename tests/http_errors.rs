//! Requests the server cannot serve get a clear status and a JSON error,
//! then the connection closes: an oversize head 431, a malformed head or
//! body framing 400, a body over --max-body 413 (by Content-Length or by
//! chunks), a transfer coding other than chunked 501. The server keeps
//! serving everyone else.

mod common;

use common::http::*;
use common::*;
use wshub::Config;

const MAX_BODY: usize = 1000;

fn server() -> wshub::Server {
    start(Config {
        max_body: MAX_BODY,
        ..config()
    })
}

/// Sends `raw`, expects a JSON error with `status`, then the end of the
/// connection; and checks the server still answers a new one.
fn refused(server: &wshub::Server, raw: &[u8], status: u16) -> String {
    let mut conn = HttpConn::open(server.local_addr());
    conn.send(raw);
    let answer = conn.read_response(false);
    answer.assert_error(status);
    assert_eq!(answer.header("Connection"), Some("close"));
    assert!(conn.is_closed(), "the connection ends after {status}");
    assert_eq!(get(server.local_addr(), "/healthz").status, 200);
    answer.json()["error"].as_str().unwrap().to_string()
}

#[test]
fn a_head_over_16_kib_gets_431() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    refused(&server, big.as_bytes(), 431);
    // Too many small headers count as too large as well.
    let many: String = (0..100).map(|i| format!("X-{i}: y\r\n")).collect();
    refused(
        &server,
        format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(),
        431,
    );
    // A head just under the limit is fine.
    let fits = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(15 * 1024)
    );
    let mut conn = HttpConn::open(server.local_addr());
    conn.send(fits.as_bytes());
    assert_eq!(conn.read_response(false).status, 200);
    server.shutdown();
}

#[test]
fn malformed_requests_get_400() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let cases: [&[u8]; 8] = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", // TLS to a plain port
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"POST /broadcast HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"POST /broadcast HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /broadcast HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"POST /broadcast HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /broadcast HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    ];
    for raw in cases {
        refused(&server, raw, 400);
    }
    // Chunk data longer than its size line says.
    let why = refused(
        &server,
        b"POST /broadcast HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        400,
    );
    assert!(why.contains("CRLF"), "{why}");
    server.shutdown();
}

#[test]
fn a_body_over_the_limit_gets_413_before_it_is_read() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    // Only the head is sent: the 413 must not wait for a body.
    let head = format!(
        "POST /broadcast HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY + 1
    );
    let why = refused(&server, head.as_bytes(), 413);
    assert!(why.contains(&MAX_BODY.to_string()), "{why}");
    // A length beyond any integer is just as much too large.
    refused(
        &server,
        b"POST /broadcast HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        413,
    );
    // Exactly the limit is accepted.
    let body = "x".repeat(MAX_BODY);
    assert_eq!(
        post_text(server.local_addr(), "/broadcast", &body).status,
        200
    );
    server.shutdown();
}

#[test]
fn chunks_adding_up_past_the_limit_get_413() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let chunk = format!("{:x}\r\n{}\r\n", 600, "y".repeat(600));
    let raw = format!(
        "POST /broadcast HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}{chunk}0\r\n\r\n"
    );
    refused(&server, raw.as_bytes(), 413);
    server.shutdown();
}

#[test]
fn a_transfer_coding_other_than_chunked_gets_501() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let why = refused(
        &server,
        b"POST /broadcast HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    );
    assert!(why.contains("gzip"), "{why}");
    server.shutdown();
}
