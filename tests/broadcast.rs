//! Broadcast mode: every message reaches every open client, with or without
//! the sender, after the welcome message.

mod common;

use common::*;
use tungstenite::Message;
use wshub::{Broadcast, Recipients};

fn broadcast_server(recipients: Recipients) -> wshub::Server {
    start_with(
        config(),
        Broadcast {
            welcome: String::new(),
            recipients,
        },
    )
}

#[test]
fn every_client_gets_every_message_sender_included() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server(Recipients::Everyone);
    let mut clients = connect_many(&server, 5);
    clients[2].send(Message::text("from client 2")).unwrap();
    clients[4].send(Message::binary(vec![1u8, 2, 3])).unwrap();
    for ws in &mut clients {
        // Two different senders: each client sees both, in some order.
        let mut got = vec![recv(ws), recv(ws)];
        got.sort_by_key(|m| m.is_binary());
        assert_eq!(
            got,
            [
                Message::text("from client 2"),
                Message::binary(vec![1u8, 2, 3])
            ]
        );
    }
    server.shutdown();
}

#[test]
fn exclude_sender_leaves_only_the_sender_out() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server(Recipients::Others);
    let mut clients = connect_many(&server, 4);
    clients[0].send(Message::text("not for me")).unwrap();
    for ws in &mut clients[1..] {
        assert_eq!(recv_text(ws), "not for me");
    }
    // The sender's next message proves nothing else was queued for it: the
    // first thing it receives is the reply to a message from client 1.
    clients[1].send(Message::text("for client 0")).unwrap();
    assert_eq!(recv_text(&mut clients[0]), "for client 0");
    server.shutdown();
}

#[test]
fn a_new_client_is_welcomed_first() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_with(config(), Broadcast::default());
    let mut ws = connect(server.local_addr());
    assert_eq!(recv_text(&mut ws), "connected to WebSocket server");
    ws.send(Message::text("after the welcome")).unwrap();
    assert_eq!(recv_text(&mut ws), "after the welcome");

    let custom = start_with(
        config(),
        Broadcast {
            welcome: "hi there".into(),
            ..Broadcast::default()
        },
    );
    let mut ws = connect(custom.local_addr());
    assert_eq!(recv_text(&mut ws), "hi there");
    server.shutdown();
    custom.shutdown();
}

#[test]
fn the_hub_handle_reaches_clients_from_any_thread() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server(Recipients::Everyone);
    let mut clients = connect_many(&server, 3);
    let hub = server.hub();
    let reached = std::thread::spawn(move || {
        hub.send_counted(wshub::Target::All, Message::text("from another thread"))
    })
    .join()
    .unwrap();
    assert_eq!(reached, Ok(3));
    for ws in &mut clients {
        assert_eq!(recv_text(ws), "from another thread");
    }
    server.shutdown();
}
