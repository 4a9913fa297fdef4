//! The inflate path as the server runs it: a real wshub (echo mode,
//! --deflate, small --max-message) on 127.0.0.1. Each input picks the
//! permessage-deflate offer (well-formed with fuzzed parameters, or
//! fuzzed text: bad parameters), then a list of client frames whose first
//! byte (FIN, RSV bits, opcode) and payload (compressed data: bombs,
//! broken streams) come from the input; the target masks them. The client
//! then closes its side and reads until the server closes. A panic on any
//! server thread aborts the process; a server that never closes fails the
//! read deadline.
#![no_main]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use wshub::{Config, Echo, Server};

/// Longer than any wait the server itself makes for these inputs.
const DEADLINE: Duration = Duration::from_secs(10);

fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        let config = Config {
            port: 0,
            deflate: true,
            // Small enough that the fuzzer reaches the 1009 paths, and
            // a threshold that makes some echoes compressed.
            max_message: 4096,
            deflate_threshold: 64,
            ..Config::default()
        };
        let server = Server::start(config, Echo::default()).expect("server starts");
        let addr = server.local_addr();
        // The server lives as long as the fuzzing process.
        std::mem::forget(server);
        addr
    })
}

/// The offer: byte 0 bit 7 set takes the next `data[1]` bytes as its text
/// (CR and LF dropped, so the head stays one header); otherwise bits 0–3
/// pick the parameters of a well-formed offer.
fn offer(data: &[u8]) -> (String, &[u8]) {
    let Some((&how, rest)) = data.split_first() else {
        return (String::new(), data);
    };
    if how & 0x80 != 0 {
        let Some((&len, rest)) = rest.split_first() else {
            return (String::new(), rest);
        };
        let (text, rest) = rest.split_at((len as usize).min(rest.len()));
        let text = String::from_utf8_lossy(text).replace(['\r', '\n'], "");
        return (text, rest);
    }
    let mut offer = String::from("permessage-deflate");
    if how & 1 != 0 {
        offer.push_str("; client_no_context_takeover");
    }
    if how & 2 != 0 {
        offer.push_str("; client_max_window_bits");
    }
    let bits = (how >> 2) & 0x0f;
    if bits != 0 {
        offer.push_str(&format!("; server_max_window_bits={}", 7 + bits));
    }
    (offer, rest)
}

/// Client frames from `[first byte][length][payload]...` (lengths taken
/// modulo 126, so every frame has a 7-bit length), masked.
fn frames(mut data: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = Vec::new();
    while let [first, len, rest @ ..] = data {
        let len = (*len as usize % 126).min(rest.len());
        let (payload, next) = rest.split_at(len);
        out.extend_from_slice(&[*first, 0x80 | len as u8]);
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i & 3]));
        data = next;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (offer, rest) = offer(data);
    let mut stream = TcpStream::connect(server()).expect("the server accepts");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: {offer}\r\n\r\n"
    );
    let _ = stream.write_all(&[head.as_bytes(), &frames(rest)].concat());
    let _ = stream.shutdown(Shutdown::Write);
    let mut sink = [0u8; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            // libFuzzer's SIGALRM (its -timeout watch) interrupts reads.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
});
