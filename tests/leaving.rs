//! A client leaves the hub at once however it goes: a close handshake, a
//! dropped socket, or a reset.

mod common;

use std::net::TcpStream;

use common::*;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::Message;
use wshub::Target;

#[test]
fn a_client_that_closes_normally_leaves_and_gets_a_close_reply() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let mut clients = connect_many(&server, 2);
    let mut leaving = clients.pop().unwrap();
    leaving
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .unwrap();
    // The server answers the close handshake with the same code...
    let (_, reply) = recv_until_close(&mut leaving);
    assert_eq!(reply.map(|f| f.code), Some(CloseCode::Normal));
    // ...and the client is gone from the hub.
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    // The others are unaffected.
    let reached = server
        .hub()
        .send_counted(Target::All, Message::text("still here"));
    assert_eq!(reached, Ok(1));
    assert_eq!(recv_text(&mut clients[0]), "still here");
    server.shutdown();
}

#[test]
fn a_client_that_just_drops_its_socket_leaves() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let clients = connect_many(&server, 3);
    drop(clients); // No close frame: the TCP connections simply end.
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 0));
    assert!(server.hub().clients().unwrap().is_empty());
    server.shutdown();
}

#[test]
fn a_client_whose_connection_is_reset_leaves() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let mut ws = connect(server.local_addr());
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    // Unread data at close makes the kernel send a reset instead of FIN.
    server
        .hub()
        .send(Target::All, Message::text("unread"))
        .unwrap();
    let stream: &TcpStream = match ws.get_mut() {
        tungstenite::stream::MaybeTlsStream::Plain(s) => s,
        _ => unreachable!(),
    };
    // Wait until the message is in our receive buffer, unread.
    let mut peek = [0u8; 1];
    stream.peek(&mut peek).unwrap();
    drop(ws);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 0));
    server.shutdown();
}

#[test]
fn ids_are_unique_and_listed_with_peers() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let _clients = connect_many(&server, 4);
    let list = server.hub().clients().unwrap();
    assert_eq!(list.len(), 4);
    let mut ids: Vec<u64> = list.iter().map(|c| c.id.0).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "ids are sorted and unique: {ids:?}");
    assert!(list.iter().all(|c| c.peer.ip().is_loopback()));
    server.shutdown();
}
