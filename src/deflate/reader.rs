//! A reading layer beneath tungstenite that inflates compressed messages.
//!
//! tungstenite refuses frames with RSV1 set, so a connection that agreed on
//! permessage-deflate reads through [`FrameInflater`]: it parses the
//! client's frames, replaces each fragment of a compressed message by a
//! plain frame carrying the inflated bytes (masked with a zero key, so
//! tungstenite's unmasking leaves them as they are), and passes every
//! other frame through untouched. tungstenite still checks all of them —
//! opcodes, fragmentation, control frames interleaved with fragments,
//! UTF-8, sizes — so a frame this layer does not recognise as part of a
//! compressed message (RSV1 on a control frame or a continuation, an
//! unmasked frame) reaches it unchanged and is refused there, as before.

use std::io::{self, Read};

use super::inflate::{InflateError, Inflater};

/// Bytes asked of the socket at a time.
const READ_CHUNK: usize = 4 * 1024;
/// Buffers grown past this by a large message are given back afterwards.
const KEEP_CAPACITY: usize = 16 * 1024;

/// Why the layer ended the connection, and the close code to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// 1009 for a message too large, 1007 for a broken DEFLATE stream.
    pub code: u16,
    /// The close reason.
    pub reason: String,
}

/// A client frame's header, as RFC 6455 (5.2) lays it out.
#[derive(Debug, Clone, Copy)]
struct Header {
    fin: bool,
    rsv1: bool,
    other_rsv: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
    len: u64,
    /// Bytes the header itself takes.
    size: usize,
}

/// Reads client frames from a socket and hands tungstenite plain ones.
pub(crate) struct FrameInflater {
    inflater: Inflater,
    max_message: usize,
    /// Bytes read from the socket and not yet handled, from `start`.
    input: Vec<u8>,
    start: usize,
    /// Frames ready for tungstenite, from `out_start`.
    output: Vec<u8>,
    out_start: usize,
    /// Inflated bytes of the fragment being handled.
    scratch: Vec<u8>,
    /// Payload bytes of a passed-through frame still to forward.
    pass: u64,
    /// Inside a fragmented compressed message: continuations are inflated.
    in_compressed: bool,
    failure: Option<Failure>,
}

impl FrameInflater {
    /// A layer for a client that may keep its compression context between
    /// messages (`keep_context`). `early` holds frames the client sent
    /// along with its request head.
    pub(crate) fn new(max_message: usize, keep_context: bool, early: Vec<u8>) -> FrameInflater {
        FrameInflater {
            inflater: Inflater::new(max_message, keep_context),
            max_message,
            input: early,
            start: 0,
            output: Vec::new(),
            out_start: 0,
            scratch: Vec::new(),
            pass: 0,
            in_compressed: false,
            failure: None,
        }
    }

    /// Why the layer ended the connection, once it has.
    pub(crate) fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    /// Reads from `socket` into `buf` as [`Read::read`] would, with every
    /// compressed message inflated. Resumable: a read timeout from the
    /// socket comes back as an error and loses nothing.
    ///
    /// # Errors
    ///
    /// The socket's errors; `InvalidData` once [`FrameInflater::failure`]
    /// is set.
    pub(crate) fn read(&mut self, socket: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.out_start < self.output.len() {
                let ready = &self.output[self.out_start..];
                let n = ready.len().min(buf.len());
                buf[..n].copy_from_slice(&ready[..n]);
                self.out_start += n;
                if self.out_start == self.output.len() {
                    self.out_start = 0;
                    clear(&mut self.output);
                }
                return Ok(n);
            }
            if self.pass > 0 {
                return self.forward(socket, buf);
            }
            if let Some(failure) = &self.failure {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    failure.reason.clone(),
                ));
            }
            let Some(header) = parse_header(&self.input[self.start..]) else {
                if self.fill(socket, 14)? {
                    continue;
                }
                return Ok(0); // The peer closed: tungstenite sees the end.
            };
            if !self.is_compressed(&header) {
                // Everything else goes to tungstenite as it came.
                let end = self.start + header.size;
                self.output.extend_from_slice(&self.input[self.start..end]);
                self.start = end;
                self.pass = header.len;
                continue;
            }
            if header.len > self.max_message as u64 {
                self.fail(InflateError::TooLarge {
                    max_message: self.max_message,
                });
                continue;
            }
            let total = header.size + header.len as usize;
            if self.input.len() - self.start < total {
                if self.fill(socket, total)? {
                    continue;
                }
                return Ok(0);
            }
            self.inflate_frame(header);
        }
    }

    /// True for a frame that carries (part of) a compressed message: a
    /// masked text or binary frame with RSV1 alone set, or a plain
    /// continuation of such a message.
    fn is_compressed(&self, h: &Header) -> bool {
        let masked_plain = h.mask.is_some() && !h.other_rsv;
        match h.opcode {
            0x1 | 0x2 => masked_plain && h.rsv1 && !self.in_compressed,
            0x0 => masked_plain && !h.rsv1 && self.in_compressed,
            _ => false,
        }
    }

    /// Inflates one whole compressed frame (in `input`) and queues the
    /// plain frame that replaces it.
    fn inflate_frame(&mut self, header: Header) {
        let begin = self.start + header.size;
        let end = begin + header.len as usize;
        self.start = end;
        let payload = &mut self.input[begin..end];
        if let Some(mask) = header.mask {
            for (i, byte) in payload.iter_mut().enumerate() {
                *byte ^= mask[i & 3];
            }
        }
        self.scratch.clear();
        if let Err(err) = self
            .inflater
            .inflate(payload, header.fin, &mut self.scratch)
        {
            return self.fail(err);
        }
        self.in_compressed = !header.fin;
        write_plain_header(
            &mut self.output,
            header.fin,
            header.opcode,
            self.scratch.len(),
        );
        self.output.extend_from_slice(&self.scratch);
        clear(&mut self.scratch);
        if self.start == self.input.len() {
            self.start = 0;
            clear(&mut self.input);
        }
    }

    fn fail(&mut self, err: InflateError) {
        self.failure = Some(match err {
            InflateError::TooLarge { max_message } => Failure {
                code: 1009,
                reason: format!("compressed message inflates past {max_message} bytes"),
            },
            InflateError::Corrupt => Failure {
                code: 1007,
                reason: "invalid compressed data".into(),
            },
        });
    }

    /// Forwards payload bytes of a passed-through frame: first what is
    /// buffered, then straight from the socket into tungstenite's buffer.
    fn forward(&mut self, socket: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.pass.min(buf.len() as u64)) as usize;
        let buffered = &self.input[self.start..];
        let n = if buffered.is_empty() {
            socket.read(&mut buf[..want])?
        } else {
            let n = want.min(buffered.len());
            buf[..n].copy_from_slice(&buffered[..n]);
            self.start += n;
            if self.start == self.input.len() {
                self.start = 0;
                clear(&mut self.input);
            }
            n
        };
        self.pass -= n as u64;
        Ok(n)
    }

    /// Reads more from the socket, aiming at `want` unhandled bytes in all;
    /// false at the end of the stream.
    fn fill(&mut self, socket: &mut impl Read, want: usize) -> io::Result<bool> {
        if self.start > 0 {
            self.input.drain(..self.start);
            self.start = 0;
        }
        let have = self.input.len();
        let chunk = want
            .saturating_sub(have)
            .clamp(READ_CHUNK, 4 * KEEP_CAPACITY);
        self.input.resize(have + chunk, 0);
        let read = socket.read(&mut self.input[have..]);
        let n = *read.as_ref().unwrap_or(&0);
        self.input.truncate(have + n);
        Ok(read? > 0)
    }
}

/// Empties a buffer, giving back the memory a large message took.
fn clear(buf: &mut Vec<u8>) {
    buf.clear();
    if buf.capacity() > KEEP_CAPACITY {
        *buf = Vec::new();
    }
}

/// Parses a frame header at the start of `bytes`, or `None` if it is not
/// all there yet.
fn parse_header(bytes: &[u8]) -> Option<Header> {
    let (&first, rest) = bytes.split_first()?;
    let &second = rest.first()?;
    let masked = second & 0x80 != 0;
    let (len, mut size) = match second & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
        len => (u64::from(len), 2),
    };
    let mask = if masked {
        let key = bytes.get(size..size + 4)?.try_into().ok()?;
        size += 4;
        Some(key)
    } else {
        None
    };
    Some(Header {
        fin: first & 0x80 != 0,
        rsv1: first & 0x40 != 0,
        other_rsv: first & 0x30 != 0,
        opcode: first & 0x0f,
        mask,
        len,
        size,
    })
}

/// Appends the header of a plain masked frame (mask key zero) carrying
/// `len` bytes.
fn write_plain_header(out: &mut Vec<u8>, fin: bool, opcode: u8, len: usize) {
    out.push(u8::from(fin) << 7 | opcode);
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&[0; 4]);
}

#[cfg(test)]
mod tests {
    //! The layer between byte slices: frames in, frames out, no sockets.

    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    const MASK: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

    /// A masked client frame.
    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![first];
        match payload.len() {
            len @ 0..=125 => out.push(0x80 | len as u8),
            len => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i & 3]));
        out
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        out.truncate(out.len() - 4);
        out
    }

    /// Everything the layer makes of `input`, read `step` bytes at a time
    /// from a socket that hands over at most 7 bytes per read.
    fn through(input: &[u8], max_message: usize, step: usize) -> (Vec<u8>, Option<Failure>) {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut socket = Trickle(input);
        let mut layer = FrameInflater::new(max_message, false, Vec::new());
        let mut out = Vec::new();
        let mut buf = vec![0; step];
        loop {
            match layer.read(&mut socket, &mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => return (out, layer.failure().cloned()),
            }
        }
    }

    /// The payloads of the (zero-masked or masked) frames in `bytes`, with
    /// their first byte.
    fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut found = Vec::new();
        while let Some(h) = parse_header(bytes) {
            let body = &bytes[h.size..h.size + h.len as usize];
            let mask = h.mask.unwrap();
            let plain = body.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]);
            found.push((bytes[0], plain.collect()));
            bytes = &bytes[h.size + h.len as usize..];
        }
        found
    }

    #[test]
    fn a_compressed_message_becomes_a_plain_frame() {
        let text = b"{\"json\":\"like\"}".repeat(20);
        let input = frame(0xC1, &deflate(&text));
        for step in [1, 5, 4096] {
            let (out, failure) = through(&input, 1 << 20, step);
            assert_eq!(failure, None);
            assert_eq!(frames(&out), [(0x81, text.clone())]);
        }
    }

    #[test]
    fn fragments_inflate_in_turn_with_pings_between_and_plain_frames_pass() {
        let text = b"fragmented and compressed ".repeat(10);
        let packed = deflate(&text);
        let (a, b) = packed.split_at(packed.len() / 2);
        let mut input = frame(0x41, a); // RSV1, text, not final
        input.extend(frame(0x89, b"ping"));
        input.extend(frame(0x80, b)); // final continuation
        input.extend(frame(0x82, b"plain binary"));
        input.extend(frame(0x01, b"plain "));
        input.extend(frame(0x80, b"fragments"));
        let (out, failure) = through(&input, 1 << 20, 3);
        assert_eq!(failure, None);
        let found = frames(&out);
        assert_eq!(found[0].0, 0x01);
        assert_eq!(found[1], (0x89, b"ping".to_vec()));
        assert_eq!(found[2].0, 0x80);
        assert_eq!([&found[0].1[..], &found[2].1[..]].concat(), text);
        assert_eq!(
            found[3..],
            [
                (0x82, b"plain binary".to_vec()),
                (0x01, b"plain ".to_vec()),
                (0x80, b"fragments".to_vec()),
            ]
        );
    }

    #[test]
    fn what_is_not_a_compressed_message_passes_unchanged() {
        let packed = deflate(b"x");
        let mut input = frame(0xC9, &packed); // RSV1 on a ping
        input.extend(frame(0xE1, &packed)); // RSV1 and RSV2
        let mut unmasked = vec![0xC1, packed.len() as u8];
        unmasked.extend_from_slice(&packed);
        input.extend(&unmasked);
        input.extend(frame(0xC0, &packed)); // RSV1 on a continuation
        let (out, failure) = through(&input, 1 << 20, 4096);
        assert_eq!(failure, None);
        assert_eq!(out, input);
    }

    #[test]
    fn a_bomb_fails_with_1009_and_garbage_with_1007() {
        let bomb = frame(0xC2, &deflate(&vec![0; 100_000]));
        let (out, failure) = through(&bomb, 10_000, 4096);
        assert!(out.is_empty());
        assert_eq!(failure.unwrap().code, 1009);
        let big = frame(0xC2, &vec![0; 20_000]);
        assert_eq!(through(&big, 10_000, 4096).1.unwrap().code, 1009);
        let garbage = frame(0xC1, &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(through(&garbage, 10_000, 4096).1.unwrap().code, 1007);
    }
}
