//! Compressing one outgoing message for every client that agreed on the
//! same window size.
//!
//! We promised every client `server_no_context_takeover`, so a message is
//! compressed on its own and the result is the same for every client with
//! the same window: the hub compresses a broadcast once, not once per
//! client. Compressors are expensive to create (hundreds of KiB of tables
//! each), so finished ones wait in a small pool for the next message.

use std::sync::Mutex;

use flate2::{Compress, Compression, FlushCompress};

/// Window sizes we can compress with: zlib makes no raw stream with a
/// 256-byte window (8 bits), so clients that asked for one get every
/// message uncompressed, which RFC 7692 always allows.
const MIN_BITS: u8 = 9;
/// Idle compressors kept per window size: about one per thread that
/// compresses at the same moment on a small machine.
const POOL_SIZE: usize = 4;

/// Idle compressors by window size (index `bits - MIN_BITS`).
static POOLS: [Mutex<Vec<Compress>>; 7] = [const { Mutex::new(Vec::new()) }; 7];

/// `payload` compressed as one message with a window of `2^bits` bytes,
/// without the final `00 00 ff ff` (RFC 7692, 7.2.1); `None` if this
/// window is too small for zlib.
pub(crate) fn compress(payload: &[u8], bits: u8) -> Option<Vec<u8>> {
    let pool = POOLS.get(usize::from(bits.checked_sub(MIN_BITS)?))?;
    let taken = pool.lock().ok().and_then(|mut idle| idle.pop());
    // Level 1: for chatty JSON about 20 % larger than level 6 and two to
    // three times as fast (docs/compression.md has the figures).
    let mut compressor =
        taken.unwrap_or_else(|| Compress::new_with_window_bits(Compression::fast(), false, bits));
    let packed = run(&mut compressor, payload);
    compressor.reset();
    if let Ok(mut idle) = pool.lock() {
        if idle.len() < POOL_SIZE {
            idle.push(compressor);
        }
    }
    packed
}

/// Compresses `input` and ends with a sync flush, whose last four bytes
/// are cut off.
fn run(compressor: &mut Compress, input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let start = compressor.total_in();
    loop {
        let consumed = (compressor.total_in() - start) as usize;
        if consumed == input.len() && out.len() < out.capacity() && out.ends_with(&TAIL) {
            break;
        }
        out.reserve(input.len() / 4 + 64);
        let before = (compressor.total_in(), out.len());
        compressor
            .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
            .ok()?;
        if (compressor.total_in(), out.len()) == before {
            return None; // No progress: never loop for ever.
        }
    }
    out.truncate(out.len() - TAIL.len());
    Some(out)
}

/// The end of a sync flush.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::inflate::Inflater;

    #[test]
    fn every_window_size_round_trips_and_8_bits_is_left_uncompressed() {
        let json = br#"{"type":"message","from":"ana","text":"see you at eight"}"#.repeat(40);
        for bits in 9..=15 {
            let packed = compress(&json, bits).unwrap();
            assert!(packed.len() < json.len() / 4, "{bits}: {}", packed.len());
            let mut out = Vec::new();
            Inflater::new(1 << 20, false)
                .inflate(&packed, true, &mut out)
                .unwrap();
            assert_eq!(out, json);
        }
        assert_eq!(compress(&json, 8), None);
        assert_eq!(compress(&json, 16), None);
    }
}
