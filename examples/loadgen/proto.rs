//! The bytes on the wire: the benchmark message, the few client frames the
//! load generator sends, the server frames it parses, and the opening
//! handshake.
//!
//! The client reads only what it needs — the frame header and the first 24
//! payload bytes — so that its own CPU cost stays small next to the
//! server's (both share the same cores).

use std::io;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Every benchmark message starts with these bytes; other frames (a
/// server's welcome, say) are ignored.
pub const MAGIC: [u8; 4] = *b"WSHB";
/// Magic, publisher id (u32), sequence number (u64), send time in ns (u64).
pub const HEADER: usize = 24;

/// The fields a benchmark message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub publisher: u32,
    pub seq: u64,
    pub sent_ns: u64,
}

impl Stamp {
    /// Reads a stamp from a binary message's payload; `None` if the
    /// payload is not a benchmark message.
    pub fn read(payload: &[u8]) -> Option<Stamp> {
        if payload.len() < HEADER || payload[..4] != MAGIC {
            return None;
        }
        let u64_at = |at: usize| u64::from_le_bytes(payload[at..at + 8].try_into().unwrap());
        Some(Stamp {
            publisher: u32::from_le_bytes(payload[4..8].try_into().unwrap()),
            seq: u64_at(8),
            sent_ns: u64_at(16),
        })
    }
}

/// Masking keys for client frames: a client must mask (RFC 6455, 5.3),
/// and a cheap xorshift is random enough for a benchmark.
#[derive(Debug)]
pub struct Masker(u64);

impl Masker {
    pub fn new(seed: u64) -> Self {
        Masker(seed | 1)
    }

    fn next(&mut self) -> [u8; 4] {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 as u32).to_le_bytes()
    }

    /// Appends one masked, final client frame carrying `payload`.
    pub fn frame(&mut self, out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
        let mask = self.next();
        out.push(0x80 | opcode);
        match payload.len() {
            n @ 0..=125 => out.push(0x80 | n as u8),
            n @ 126..=0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    }

    /// Appends one benchmark message of `size` payload bytes (at least
    /// [`HEADER`]) as a masked binary frame.
    pub fn message(&mut self, out: &mut Vec<u8>, size: usize, stamp: Stamp) {
        let mut payload = [0u8; 256];
        let payload: &mut [u8] = if size <= payload.len() {
            &mut payload[..size]
        } else {
            return self.large_message(out, size, stamp);
        };
        write_stamp(payload, stamp);
        self.frame(out, OP_BINARY, payload);
    }

    fn large_message(&mut self, out: &mut Vec<u8>, size: usize, stamp: Stamp) {
        let mut payload = vec![0u8; size];
        write_stamp(&mut payload, stamp);
        self.frame(out, OP_BINARY, &payload);
    }
}

fn write_stamp(payload: &mut [u8], stamp: Stamp) {
    payload[..4].copy_from_slice(&MAGIC);
    payload[4..8].copy_from_slice(&stamp.publisher.to_le_bytes());
    payload[8..16].copy_from_slice(&stamp.seq.to_le_bytes());
    payload[16..24].copy_from_slice(&stamp.sent_ns.to_le_bytes());
}

pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// One frame at the start of a buffer.
#[derive(Debug)]
pub enum Frame<'a> {
    /// A whole frame: its opcode, its payload and how many bytes it took.
    Whole {
        opcode: u8,
        payload: &'a [u8],
        len: usize,
    },
    /// More bytes are needed.
    Partial,
    /// Not a frame a server may send (a masked frame).
    Invalid,
}

/// Parses the frame at the start of `buf`. Server frames are unmasked.
pub fn parse(buf: &[u8]) -> Frame<'_> {
    let [b0, b1, ..] = *buf else {
        return Frame::Partial;
    };
    if b1 & 0x80 != 0 {
        return Frame::Invalid;
    }
    let (start, len) = match b1 & 0x7F {
        126 if buf.len() >= 4 => (4, u16::from_be_bytes([buf[2], buf[3]]) as usize),
        127 if buf.len() >= 10 => (
            10,
            u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
        ),
        126 | 127 => return Frame::Partial,
        n => (2, n as usize),
    };
    match buf.get(start..start + len) {
        Some(payload) => Frame::Whole {
            opcode: b0 & 0x0F,
            payload,
            len: start + len,
        },
        None => Frame::Partial,
    }
}

/// Opens a WebSocket: sends the upgrade request, checks the `101` answer
/// and its `Sec-WebSocket-Accept`, and returns the stream with any bytes
/// that arrived right behind the answer (frames already sent to us).
pub async fn handshake(
    stream: &mut TcpStream,
    host: &str,
    path: &str,
    masker: &mut Masker,
) -> io::Result<Vec<u8>> {
    let key = websocket_key(masker);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(512);
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > 8192 {
            return Err(bad("response head too long"));
        }
        stream.readable().await?;
        let mut chunk = [0u8; 1024];
        match stream.try_read(&mut chunk) {
            Ok(0) => return Err(bad("closed during the handshake")),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    if !head.starts_with("HTTP/1.1 101") {
        let status = head.lines().next().unwrap_or("").to_string();
        return Err(bad(&format!("handshake refused: {status}")));
    }
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let accepted = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("sec-websocket-accept") && value.trim() == accept
        })
    });
    if !accepted {
        return Err(bad("wrong or missing Sec-WebSocket-Accept"));
    }
    Ok(buf.split_off(end))
}

/// A `Sec-WebSocket-Key`: 16 random bytes in base64 (the last character
/// before `==` carries only two bits, so it is one of `AQgw`).
fn websocket_key(masker: &mut Masker) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut key = String::with_capacity(24);
    for _ in 0..21 {
        key.push(B64[masker.next()[0] as usize % 64] as char);
    }
    key.push(b"AQgw"[masker.next()[0] as usize % 4] as char);
    key.push_str("==");
    key
}

fn bad(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_through_masking() {
        let mut masker = Masker::new(42);
        let stamp = Stamp {
            publisher: 3,
            seq: 7,
            sent_ns: 99,
        };
        let mut out = Vec::new();
        masker.message(&mut out, 64, stamp);
        assert_eq!(out.len(), 2 + 4 + 64);
        let mask: [u8; 4] = out[2..6].try_into().unwrap();
        let payload: Vec<u8> = out[6..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ mask[i % 4])
            .collect();
        assert_eq!(Stamp::read(&payload), Some(stamp));
    }

    #[test]
    fn server_frames_parse_in_pieces() {
        let mut frame = vec![0x82, 126, 0x01, 0x00];
        frame.extend(std::iter::repeat_n(5u8, 256));
        for cut in 0..frame.len() {
            assert!(matches!(parse(&frame[..cut]), Frame::Partial), "{cut}");
        }
        match parse(&frame) {
            Frame::Whole {
                opcode,
                payload,
                len,
            } => {
                assert_eq!((opcode, payload.len(), len), (OP_BINARY, 256, 260));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(&[0x81, 0x85, 0, 0]), Frame::Invalid));
    }

    #[test]
    fn keys_are_valid_base64_of_16_bytes() {
        let mut masker = Masker::new(1);
        for _ in 0..100 {
            let key = websocket_key(&mut masker);
            assert_eq!(key.len(), 24);
            assert!(key.ends_with("==") && "AQgw".contains(&key[21..22]));
        }
    }
}
