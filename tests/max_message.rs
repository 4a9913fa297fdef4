//! `--max-message` bounds what a client may send: a message (whole or in
//! fragments) of exactly the limit is served; one byte more closes the
//! connection with 1009, and the client really receives that close frame.

mod common;

use common::*;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::Message;
use wshub::Config;

const LIMIT: usize = 1000;

fn echo_server(max_message: usize) -> wshub::Server {
    start_echo(Config {
        max_message,
        ..config()
    })
}

/// Sends one text message split into frames of the given sizes.
fn send_fragmented(ws: &mut Ws, sizes: &[usize]) {
    for (i, &size) in sizes.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = i == sizes.len() - 1;
        ws.write(Message::Frame(Frame::message(
            vec![b'f'; size],
            opcode,
            last,
        )))
        .unwrap();
    }
    ws.flush().unwrap();
}

/// Reads until the server's close frame and returns its code.
fn close_code(ws: &mut Ws) -> u16 {
    let (before, close) = recv_until_close(ws);
    assert!(before.is_empty(), "nothing echoed before the close");
    u16::from(close.expect("a close frame with a code").code)
}

#[test]
fn messages_of_exactly_the_limit_are_served() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server(LIMIT);
    let mut ws = connect(server.local_addr());
    let text = "t".repeat(LIMIT);
    ws.send(Message::text(text.clone())).unwrap();
    assert_eq!(recv(&mut ws), Message::text(text));
    ws.send(Message::binary(vec![7u8; LIMIT])).unwrap();
    assert_eq!(recv(&mut ws), Message::binary(vec![7u8; LIMIT]));
    send_fragmented(&mut ws, &[250, 250, 250, 250]);
    assert_eq!(recv(&mut ws), Message::text("f".repeat(LIMIT)));
    server.shutdown();
}

#[test]
fn one_byte_over_in_one_frame_closes_with_1009() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server(LIMIT);
    let mut ws = connect(server.local_addr());
    ws.send(Message::binary(vec![7u8; LIMIT + 1])).unwrap();
    assert_eq!(close_code(&mut ws), 1009);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 0));
    server.shutdown();
}

#[test]
fn one_byte_over_in_fragments_closes_with_1009() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server(LIMIT);
    let mut ws = connect(server.local_addr());
    // Every frame is well under the limit; the message is one byte over.
    send_fragmented(&mut ws, &[250, 250, 250, 251]);
    assert_eq!(close_code(&mut ws), 1009);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 0));
    server.shutdown();
}

#[test]
fn one_byte_over_the_default_mebibyte_closes_with_1009() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server(Config::default().max_message);
    let mut ws = connect(server.local_addr());
    // The server refuses the frame from its header and never reads the
    // mebibyte behind it: it must discard it rather than close with it
    // unread, which would reset the connection under the client's feet.
    ws.send(Message::binary(vec![7u8; (1 << 20) + 1])).unwrap();
    assert_eq!(close_code(&mut ws), 1009);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 0));
    server.shutdown();
}
