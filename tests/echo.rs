//! Echo mode sends every message back to its sender unchanged: text stays
//! text, binary stays binary, whatever the size or fragmentation.

mod common;

use common::*;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::Message;

fn echo_server() -> wshub::Server {
    start_echo(config())
}

#[test]
fn text_and_binary_come_back_unchanged() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server();
    let mut ws = connect(server.local_addr());
    ws.send(Message::text("hello")).unwrap();
    assert_eq!(recv(&mut ws), Message::text("hello"));
    ws.send(Message::binary(vec![0u8, 1, 2, 255])).unwrap();
    assert_eq!(recv(&mut ws), Message::binary(vec![0u8, 1, 2, 255]));
    server.shutdown();
}

#[test]
fn a_one_mebibyte_message_comes_back_whole() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server();
    let mut ws = connect(server.local_addr());
    // Exactly the default --max-message: the largest message allowed.
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    ws.send(Message::binary(payload.clone())).unwrap();
    assert_eq!(recv(&mut ws), Message::binary(payload));
    server.shutdown();
}

#[test]
fn a_fragmented_message_comes_back_as_one() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo_server();
    let mut ws = connect(server.local_addr());
    let parts = ["frag", "men", "ted"];
    for (i, part) in parts.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = i == parts.len() - 1;
        ws.write(Message::Frame(Frame::message(
            part.as_bytes().to_vec(),
            opcode,
            last,
        )))
        .unwrap();
    }
    ws.flush().unwrap();
    assert_eq!(recv(&mut ws), Message::text("fragmented"));
    server.shutdown();
}

#[test]
fn echo_mode_sends_no_welcome_by_default() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_echo(config());
    let mut ws = connect(server.local_addr());
    ws.send(Message::text("first")).unwrap();
    // The first thing to arrive is the echo, not a greeting.
    assert_eq!(recv(&mut ws), Message::text("first"));
    server.shutdown();
}
