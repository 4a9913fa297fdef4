//! Server-to-client WebSocket frames, encoded once into shared bytes.
//!
//! Frames a server sends are never masked (RFC 6455, 5.1), so a broadcast
//! frame is the very same bytes for every recipient: we encode it once into a
//! [`Bytes`] and the hub hands clones of that (a reference-count increment,
//! not a copy) to every client's backlog.

use bytes::{BufMut, Bytes, BytesMut};
use tungstenite::Message;

/// Opcode of a data frame (text or binary) or a control frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opcode {
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// Encodes a tungstenite [`Message`] as one server frame.
pub(crate) fn from_message(message: &Message) -> Bytes {
    match message {
        Message::Text(text) => encode(Opcode::Text, text.as_bytes()),
        Message::Binary(data) => encode(Opcode::Binary, data),
        Message::Ping(data) => encode(Opcode::Ping, data),
        Message::Pong(data) => encode(Opcode::Pong, data),
        Message::Close(None) => encode(Opcode::Close, &[]),
        Message::Close(Some(close)) => self::close(close.code.into(), &close.reason),
        Message::Frame(frame) => {
            let mut out = Vec::with_capacity(frame.len());
            frame
                .clone()
                .format(&mut out)
                .expect("writing to a Vec cannot fail");
            Bytes::from(out)
        }
    }
}

/// Encodes one final (unfragmented) frame with `payload`.
pub(crate) fn encode(opcode: Opcode, payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(header_len(payload.len()) + payload.len());
    encode_into(&mut out, opcode, payload);
    out.freeze()
}

/// Appends one final frame to `out`; the hub uses this to build a run of
/// broadcast frames in one buffer.
pub(crate) fn encode_into(out: &mut BytesMut, opcode: Opcode, payload: &[u8]) {
    out.reserve(header_len(payload.len()) + payload.len());
    out.put_u8(0x80 | opcode as u8); // FIN bit set: we never fragment.
    match payload.len() {
        len @ 0..=125 => out.put_u8(len as u8),
        len @ 126..=0xFFFF => {
            out.put_u8(126);
            out.put_u16(len as u16);
        }
        len => {
            out.put_u8(127);
            out.put_u64(len as u64);
        }
    }
    out.put_slice(payload);
}

/// True when `bytes` starts with a control frame (ping, pong or close),
/// which the hub does not count as a message.
pub(crate) fn is_control(bytes: &[u8]) -> bool {
    bytes.first().is_some_and(|b| b & 0x08 != 0)
}

/// Encodes a close frame with a status code and a reason (truncated so the
/// payload stays within the 125 bytes a control frame may carry).
pub(crate) fn close(code: u16, reason: &str) -> Bytes {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.to_be_bytes());
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    encode(Opcode::Close, &payload)
}

/// True when `bytes` starts with a close frame; the hub sends a client
/// nothing after one.
pub(crate) fn is_close(bytes: &[u8]) -> bool {
    bytes
        .first()
        .is_some_and(|b| b & 0x0F == Opcode::Close as u8)
}

fn header_len(payload_len: usize) -> usize {
    match payload_len {
        0..=125 => 2,
        126..=0xFFFF => 4,
        _ => 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_shortest_form() {
        assert_eq!(&encode(Opcode::Text, b"hi")[..], b"\x81\x02hi");
        let medium = encode(Opcode::Binary, &[7; 300]);
        assert_eq!(&medium[..4], &[0x82, 126, 0x01, 0x2C]);
        assert_eq!(medium.len(), 304);
        let large = encode(Opcode::Binary, &vec![0; 70_000]);
        assert_eq!(&large[..10], &[0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
    }

    #[test]
    fn close_reason_is_cut_at_a_char_boundary() {
        let frame = close(1001, &"é".repeat(100));
        assert!(is_close(&frame));
        assert_eq!(frame[1] as usize, frame.len() - 2);
        assert!(frame.len() - 2 <= 125);
        assert!(std::str::from_utf8(&frame[4..]).is_ok());
    }
}
