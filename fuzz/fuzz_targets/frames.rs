//! Frame decoding as the server runs it: a real wshub (echo mode, small
//! --max-message) on 127.0.0.1, and for each input a real TCP client that
//! completes a valid handshake, sends the input as its WebSocket bytes,
//! closes its side and reads until the server closes. A panic on any
//! server thread aborts the process (libFuzzer reports it); a server that
//! never closes the connection fails the read deadline.
#![no_main]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use wshub::{Config, Echo, Server};

const HANDSHAKE: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
/// Longer than any wait the server itself makes for these inputs.
const DEADLINE: Duration = Duration::from_secs(10);

fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        let config = Config {
            port: 0,
            // Small enough that the fuzzer reaches the 1009 paths.
            max_message: 1024,
            ..Config::default()
        };
        let server = Server::start(config, Echo::default()).expect("server starts");
        let addr = server.local_addr();
        // The server lives as long as the fuzzing process.
        std::mem::forget(server);
        addr
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks whether the frames ride in the same write as
    // the handshake (the server's "early bytes" path) or follow the 101.
    let Some((&how, frames)) = data.split_first() else {
        return;
    };
    let mut stream = TcpStream::connect(server()).expect("the server accepts");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    if how & 1 == 1 {
        let _ = stream.write_all(&[HANDSHAKE, frames].concat());
    } else {
        stream.write_all(HANDSHAKE).expect("handshake sent");
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                other => panic!("no 101 from the server: {other:?}"),
            }
        }
        assert!(head.starts_with(b"HTTP/1.1 101 "));
        // The server may already have closed on a bad frame: ignore errors.
        let _ = stream.write_all(frames);
    }
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
