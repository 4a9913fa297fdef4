//! Compressed frames of one message, one per window size in use.
//!
//! The sending thread compresses (the hub thread never does): before a
//! data message becomes an event, [`Deflated::build`] compresses it once
//! for each window size that some connected client agreed on, as
//! [`WindowCounts`] tells, and the hub gives each client the frame for its
//! window, or the plain one. A client that joins in between simply gets
//! the plain frame, which is always allowed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tungstenite::Message;

use super::frame::{self, Opcode};
use crate::deflate::compress::compress;

/// The RSV1 bit: "this message is compressed" (RFC 7692, 6).
const RSV1: u8 = 0x40;

/// How many connected clients agreed on each window size (8..=15 bits).
#[derive(Debug, Default)]
pub(crate) struct WindowCounts([AtomicUsize; 8]);

impl WindowCounts {
    /// A client with this window size joined.
    pub(crate) fn add(&self, bits: u8) {
        if let Some(count) = self.slot(bits) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A client with this window size left.
    pub(crate) fn remove(&self, bits: u8) {
        if let Some(count) = self.slot(bits) {
            count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn slot(&self, bits: u8) -> Option<&AtomicUsize> {
        self.0.get(usize::from(bits.checked_sub(8)?))
    }

    /// The window sizes some client uses now.
    fn in_use(&self) -> impl Iterator<Item = u8> + '_ {
        (8..=15).filter(|&bits| {
            self.slot(bits)
                .is_some_and(|c| c.load(Ordering::Relaxed) > 0)
        })
    }
}

/// A data message compressed once per window size in use: `(bits, frame)`.
#[derive(Debug, Clone)]
pub(crate) struct Deflated(Arc<[(u8, Bytes)]>);

impl Deflated {
    /// Compresses `message` for every window size in use, if it is a text
    /// or binary message of at least `threshold` bytes and compressing
    /// makes it smaller; `None` when every client gets the plain frame.
    pub(crate) fn build(
        message: &Message,
        windows: &WindowCounts,
        threshold: usize,
    ) -> Option<Self> {
        let (opcode, payload) = match message {
            Message::Text(text) => (Opcode::Text, text.as_bytes()),
            Message::Binary(data) => (Opcode::Binary, &data[..]),
            _ => return None,
        };
        if payload.len() < threshold {
            return None;
        }
        let frames: Arc<[(u8, Bytes)]> = windows
            .in_use()
            .filter_map(|bits| {
                let packed = compress(payload, bits)?;
                let mut out = BytesMut::new();
                frame::encode_into(&mut out, opcode, &packed);
                out[0] |= RSV1;
                Some((bits, out.freeze()))
            })
            .collect();
        (!frames.is_empty()).then_some(Deflated(frames))
    }

    /// The compressed frame for a client with this window size, if any.
    pub(crate) fn frame_for(&self, bits: u8) -> Option<&Bytes> {
        self.0.iter().find(|(b, _)| *b == bits).map(|(_, f)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_window_sizes_in_use_are_compressed_and_small_messages_never() {
        let windows = WindowCounts::default();
        let big = Message::text("hello, everyone! ".repeat(100));
        assert!(
            Deflated::build(&big, &windows, 1024).is_none(),
            "nobody uses it"
        );
        windows.add(15);
        windows.add(10);
        windows.add(8);
        let deflated = Deflated::build(&big, &windows, 1024).unwrap();
        let frame = deflated.frame_for(15).unwrap();
        assert_eq!(frame[0], 0xC1, "FIN, RSV1, text");
        assert!(frame.len() < 200);
        assert!(deflated.frame_for(10).is_some());
        assert!(
            deflated.frame_for(8).is_none(),
            "zlib has no 8-bit raw window"
        );
        assert!(deflated.frame_for(12).is_none());
        windows.remove(10);
        let deflated = Deflated::build(&big, &windows, 1024).unwrap();
        assert!(deflated.frame_for(10).is_none());
        let small = Message::text("hi");
        assert!(Deflated::build(&small, &windows, 1024).is_none());
        assert!(Deflated::build(&Message::Ping(Bytes::new()), &windows, 0).is_none());
    }
}
