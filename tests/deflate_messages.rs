//! With permessage-deflate agreed, compressed client messages (whole, or
//! fragmented with a ping between the fragments) are inflated; messages of
//! at least --deflate-threshold bytes reach deflate clients compressed,
//! smaller ones plain; a client without deflate on the same hub gets
//! every message plain.

mod common;

use std::io::Write;

use common::deflate::*;
use common::*;
use wshub::{Config, Message, Target};

const OFFER: &str = "permessage-deflate; client_max_window_bits";

fn json(len: usize) -> Vec<u8> {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < len {
        text.push_str(&format!("{{\"id\":{i},\"text\":\"message number {i}\"}},"));
        i += 1;
    }
    text.truncate(len);
    text.into_bytes()
}

#[test]
fn compressed_messages_are_inflated_and_large_replies_compressed() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_echo(Config {
        deflate: true,
        ..config()
    });
    let (mut stream, _) = connect_offering(server.local_addr(), OFFER);

    // Whole: 2000 bytes, so the echo comes back compressed.
    let big = json(2000);
    stream
        .write_all(&client_frame(0xC1, &compress(&big)))
        .unwrap();
    assert_eq!(read_message(&mut stream), (true, big.clone()));

    // Small: compressed by the client, echoed plain (below the threshold).
    let small = json(100);
    stream
        .write_all(&client_frame(0xC1, &compress(&small)))
        .unwrap();
    assert_eq!(read_message(&mut stream), (false, small));

    // Fragmented, with a ping between the fragments: the pong comes first.
    let packed = compress(&big);
    let (a, b) = packed.split_at(packed.len() / 2);
    let mut frames = client_frame(0x41, a);
    frames.extend(client_frame(0x89, b"ping!"));
    frames.extend(client_frame(0x80, b));
    stream.write_all(&frames).unwrap();
    let (first, pong) = read_frame(&mut stream);
    assert_eq!((first, &pong[..]), (0x8A, &b"ping!"[..]));
    assert_eq!(read_message(&mut stream), (true, big));

    // Plain messages still work, binary too.
    stream.write_all(&client_frame(0x82, &[1, 2, 3])).unwrap();
    assert_eq!(read_message(&mut stream), (false, vec![1, 2, 3]));
    server.shutdown();
}

#[test]
fn a_broadcast_is_compressed_for_deflate_clients_only() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(Config {
        deflate: true,
        ..config()
    });
    let (mut deflating, _) = connect_offering(server.local_addr(), OFFER);
    let (mut small_window, _) = connect_offering(
        server.local_addr(),
        "permessage-deflate; server_max_window_bits=9",
    );
    let (mut tiny_window, _) = connect_offering(
        server.local_addr(),
        "permessage-deflate; server_max_window_bits=8",
    );
    let mut plain = connect(server.local_addr());
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 4));

    let text = String::from_utf8(json(5000)).unwrap();
    let reached = server
        .hub()
        .send_counted(Target::All, Message::text(text.clone()))
        .unwrap();
    assert_eq!(reached, 4);
    assert_eq!(
        read_message(&mut deflating),
        (true, text.clone().into_bytes())
    );
    assert_eq!(
        read_message(&mut small_window),
        (true, text.clone().into_bytes())
    );
    // zlib has no 256-byte window: that client gets it plain.
    assert_eq!(
        read_message(&mut tiny_window),
        (false, text.clone().into_bytes())
    );
    assert_eq!(recv_text(&mut plain), text);
    server.shutdown();
}
