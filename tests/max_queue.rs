//! `--max-queue` bounds a client's backlog behind the message being
//! written: a backlog of exactly the limit is kept, one byte more evicts
//! the client (1008 "slow consumer" if it still fits, else EOF), counted in
//! the stats; the other client is untouched.

mod common;

use common::*;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::Message;
use wshub::{Config, Hub, Target};

const LIMIT: usize = 1000;
/// Far more than loopback socket buffers take from a client that does not
/// read, so this message stays "being written" while the test queues
/// exactly counted bytes behind it.
const PLUG: usize = 32 << 20;

/// A client that accepts the plug (tungstenite's own limits are 16 MiB).
fn connect_unlimited(addr: std::net::SocketAddr) -> Ws {
    let config = WebSocketConfig::default()
        .max_frame_size(None)
        .max_message_size(None);
    let (ws, _) =
        tungstenite::client::connect_with_config(format!("ws://{addr}/"), Some(config), 3)
            .expect("client connects");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = ws.get_ref() {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
    }
    ws
}

/// Returns once the hub has finished a whole turn after every event sent
/// so far, limits applied: the first request is answered during a turn,
/// the second only in a later one.
fn settle(hub: &Hub) {
    hub.clients().unwrap();
    hub.clients().unwrap();
}

/// A binary message whose frame is `frame_len` bytes (a 4-byte header).
fn frame_of(frame_len: usize) -> Message {
    Message::binary(vec![1u8; frame_len - 4])
}

#[test]
fn a_backlog_of_the_limit_is_kept_and_one_byte_more_evicts() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = start(Config {
        max_queue: LIMIT,
        ..config()
    });
    let hub = server.hub();
    let mut at_limit = connect_unlimited(server.local_addr());
    let mut over = connect_unlimited(server.local_addr());
    assert!(hub.wait_for_count(DEADLINE, |n| n == 2));
    let ids: Vec<_> = hub.clients().unwrap().iter().map(|c| c.id).collect();
    let (at_limit_id, over_id) = (ids[0], ids[1]);

    // Neither client reads: each gets the plug, then counted bytes behind it.
    hub.send(Target::All, Message::binary(vec![0u8; PLUG]))
        .unwrap();
    hub.send(Target::One(at_limit_id), frame_of(LIMIT)).unwrap();
    hub.send(Target::One(over_id), frame_of(LIMIT + 1)).unwrap();
    settle(&hub);

    assert_eq!(hub.client_count(), 1);
    assert_eq!(hub.clients().unwrap()[0].id, at_limit_id);
    assert_eq!(hub.stats().evictions, 1);

    // The evicted client's connection ends: its buffer was full, so a close
    // frame (1008) is best effort and EOF is what it usually sees.
    loop {
        match over.read() {
            Ok(Message::Close(frame)) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1008));
                break;
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(other) => panic!("the plug never arrives whole, got {} bytes", other.len()),
            Err(_) => break,
        }
    }

    // The client at the limit keeps everything, in order, and stays.
    assert_eq!(recv(&mut at_limit).len(), PLUG);
    assert_eq!(recv(&mut at_limit), frame_of(LIMIT));
    hub.send(Target::All, Message::text("still here")).unwrap();
    assert_eq!(recv_text(&mut at_limit), "still here");
    assert_eq!(hub.stats().evictions, 1);
    server.shutdown();
}
