//! A compressed message is held to --max-message by its inflated size: a
//! compression bomb closes the connection with 1009 (the server stops
//! inflating at the limit), a broken DEFLATE stream with 1007, and RSV1
//! where RFC 7692 does not allow it with 1002.

mod common;

use std::io::Write;

use common::deflate::*;
use common::*;
use wshub::Config;

const LIMIT: usize = 10_000;

fn server() -> wshub::Server {
    start_echo(Config {
        deflate: true,
        max_message: LIMIT,
        ..config()
    })
}

#[test]
fn a_compression_bomb_closes_with_1009_and_the_limit_itself_is_served() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let (mut stream, _) = connect_offering(server.local_addr(), "permessage-deflate");
    let exact = vec![b'a'; LIMIT];
    stream
        .write_all(&client_frame(0xC1, &compress(&exact)))
        .unwrap();
    assert_eq!(read_message(&mut stream), (true, exact));
    // 4 MiB of zeros in about 4 KiB.
    let bomb = compress(&vec![0u8; 4 << 20]);
    assert!(bomb.len() < LIMIT);
    let _ = stream.write_all(&client_frame(0xC2, &bomb));
    assert_eq!(read_close_code(&mut stream), 1009);
    server.shutdown();
}

#[test]
fn broken_streams_close_with_1007_and_misplaced_rsv1_with_1002() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let addr = server.local_addr();
    let cases: [(Vec<u8>, u16); 3] = [
        (client_frame(0xC1, &[0xff, 0xff, 0xff, 0xff]), 1007),
        (client_frame(0xC9, b"ping"), 1002),
        (
            [client_frame(0x01, b"plain "), client_frame(0xC0, b"x")].concat(),
            1002,
        ),
    ];
    for (frames, code) in cases {
        let (mut stream, _) = connect_offering(addr, "permessage-deflate");
        stream.write_all(&frames).unwrap();
        assert_eq!(read_close_code(&mut stream), code, "{frames:02x?}");
    }
    server.shutdown();
}
