//! A hand-made permessage-deflate client: the handshake with an offer,
//! masked client frames (RSV1 set by hand, which tungstenite's client
//! cannot do), and server frames read and inflated with flate2.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

use super::DEADLINE;

/// Connects with `offer` in `Sec-WebSocket-Extensions` (none if empty)
/// and returns the stream and the server's 101 head.
pub fn connect_offering(addr: SocketAddr, offer: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(addr).expect("client connects");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let extension = if offer.is_empty() {
        String::new()
    } else {
        format!("Sec-WebSocket-Extensions: {offer}\r\n")
    };
    let head = super::upgrade_head("/", &extension);
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream
            .read_exact(&mut byte)
            .expect("the 101 answer arrives");
        answer.push(byte[0]);
    }
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    (stream, answer)
}

/// A masked client frame with first byte `first` (FIN, RSV bits, opcode).
pub fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0xa1, 0xb2, 0xc3, 0xd4];
    let mut out = vec![first];
    match payload.len() {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i & 3]));
    out
}

/// `data` compressed as one message (sync flush, tail cut off).
pub fn compress(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() + 64);
    c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
    out.truncate(out.len() - 4);
    out
}

/// `data` inflated as one message compressed without context.
pub fn inflate(data: &[u8]) -> Vec<u8> {
    let mut d = Decompress::new(false);
    let input = [data, &[0, 0, 0xff, 0xff]].concat();
    let mut out = Vec::new();
    while (d.total_in() as usize) < input.len() || out.len() == out.capacity() {
        out.reserve(64 * 1024);
        let rest = &input[d.total_in() as usize..];
        d.decompress_vec(rest, &mut out, FlushDecompress::Sync)
            .expect("the server's compressed frames inflate");
    }
    out
}

/// The next server frame: its first byte and its (unmasked) payload.
pub fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).expect("a frame header");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] {
        126 => {
            let mut n = [0u8; 2];
            stream.read_exact(&mut n).unwrap();
            u16::from_be_bytes(n) as usize
        }
        127 => {
            let mut n = [0u8; 8];
            stream.read_exact(&mut n).unwrap();
            u64::from_be_bytes(n) as usize
        }
        len => len as usize,
    };
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload).expect("a frame payload");
    (head[0], payload)
}

/// The next data message: whether it came compressed, and its bytes.
pub fn read_message(stream: &mut TcpStream) -> (bool, Vec<u8>) {
    loop {
        let (first, payload) = read_frame(stream);
        match first & 0x0f {
            0x1 | 0x2 if first & 0x40 != 0 => return (true, inflate(&payload)),
            0x1 | 0x2 => return (false, payload),
            0x9 | 0xa => continue,
            op => panic!("expected a data frame, got opcode {op:#x}: {payload:?}"),
        }
    }
}

/// Reads frames until the close frame and returns its code.
pub fn read_close_code(stream: &mut TcpStream) -> u16 {
    loop {
        let (first, payload) = read_frame(stream);
        if first & 0x0f == 0x8 {
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}
