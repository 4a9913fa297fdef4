//! Inflating one client's compressed messages, never past `--max-message`.
//!
//! A compressed message is a raw DEFLATE stream cut at a sync flush, with
//! the flush's last four bytes (`00 00 ff ff`) left off (RFC 7692, 7.2.2).
//! We inflate it fragment by fragment into bounded chunks, counting what
//! comes out, and stop as soon as the message would pass the limit: a
//! compression bomb costs at most `max_message` bytes of output.

use flate2::{Decompress, FlushDecompress, Status};

/// The four bytes a sender strips from the end of every message.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// Output is produced in chunks of at most this many bytes, so that the
/// buffer grows with what really comes out rather than with the limit.
const MAX_CHUNK: usize = 256 * 1024;

/// Why a compressed message could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// It inflates to more than `max_message` bytes (close with 1009).
    TooLarge { max_message: usize },
    /// It is not a valid DEFLATE stream (close with 1007).
    Corrupt,
}

/// One client's inflate state.
pub(crate) struct Inflater {
    /// Created on the first compressed message; kept between messages only
    /// when the client may refer back to earlier ones (context takeover).
    decompress: Option<Decompress>,
    keep_context: bool,
    max_message: usize,
    /// Bytes the current message has inflated to so far.
    produced: usize,
}

impl Inflater {
    /// An inflater for a client that keeps its compression context
    /// between messages (`keep_context`) or not.
    pub(crate) fn new(max_message: usize, keep_context: bool) -> Inflater {
        Inflater {
            decompress: None,
            keep_context,
            max_message,
            produced: 0,
        }
    }

    /// Inflates one fragment of the current message, appending the output
    /// to `out`; `last` marks the message's final fragment.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), InflateError> {
        let decompress = self
            .decompress
            .get_or_insert_with(|| Decompress::new(false));
        let result =
            feed(decompress, input, out, &mut self.produced, self.max_message).and_then(|()| {
                if last {
                    feed(decompress, &TAIL, out, &mut self.produced, self.max_message)
                } else {
                    Ok(())
                }
            });
        if last || result.is_err() {
            self.produced = 0;
            if !self.keep_context || result.is_err() {
                // Nothing is kept between messages: no memory either.
                self.decompress = None;
            }
        }
        result
    }
}

/// Runs `input` through the decompressor, appending at most
/// `max - *produced` bytes (one more shows that the limit is passed).
fn feed(
    decompress: &mut Decompress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    produced: &mut usize,
    max: usize,
) -> Result<(), InflateError> {
    loop {
        let allowed = max - *produced;
        let room = (allowed + 1).min(MAX_CHUNK.min(input.len().max(1024) * 4));
        let start = out.len();
        out.resize(start + room, 0);
        let (in_before, out_before) = (decompress.total_in(), decompress.total_out());
        let status = decompress.decompress(input, &mut out[start..], FlushDecompress::Sync);
        let consumed = (decompress.total_in() - in_before) as usize;
        let made = (decompress.total_out() - out_before) as usize;
        out.truncate(start + made);
        let status = status.map_err(|_| InflateError::Corrupt)?;
        input = &input[consumed..];
        *produced += made;
        if *produced > max {
            return Err(InflateError::TooLarge { max_message: max });
        }
        if status == Status::StreamEnd {
            // The sender ended its stream (BFINAL): what follows, if
            // anything, starts a new one.
            decompress.reset(false);
        }
        if input.is_empty() && made < room {
            return Ok(()); // Everything in, everything out.
        }
        if consumed == 0 && made == 0 && status != Status::StreamEnd {
            return Err(InflateError::Corrupt); // No progress possible.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// `data` compressed as a client would, with or without the context
    /// of what `compressor` compressed before.
    fn deflate(compressor: &mut Compress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 64);
        compressor
            .compress_vec(data, &mut out, FlushCompress::Sync)
            .unwrap();
        assert!(out.ends_with(&TAIL));
        out.truncate(out.len() - 4);
        out
    }

    #[test]
    fn messages_inflate_whole_or_fragment_by_fragment() {
        let mut c = Compress::new(Compression::default(), false);
        let text = b"hello hello hello hello".repeat(100);
        let packed = deflate(&mut c, &text);
        let mut inflater = Inflater::new(1 << 20, false);
        let mut out = Vec::new();
        inflater.inflate(&packed, true, &mut out).unwrap();
        assert_eq!(out, text);

        c.reset();
        let packed = deflate(&mut c, &text);
        let mut out = Vec::new();
        for (i, piece) in packed.chunks(3).enumerate() {
            let last = (i + 1) * 3 >= packed.len();
            inflater.inflate(piece, last, &mut out).unwrap();
        }
        assert_eq!(out, text);
    }

    #[test]
    fn context_takeover_refers_back_to_earlier_messages() {
        let mut c = Compress::new(Compression::default(), false);
        let mut inflater = Inflater::new(1 << 20, true);
        for _ in 0..3 {
            let packed = deflate(&mut c, b"the same sentence, again and again");
            let mut out = Vec::new();
            inflater.inflate(&packed, true, &mut out).unwrap();
            assert_eq!(out, b"the same sentence, again and again");
        }
    }

    #[test]
    fn a_bomb_stops_one_byte_past_the_limit() {
        let mut c = Compress::new(Compression::best(), false);
        let zeros = vec![0u8; 10 << 20];
        let packed = deflate(&mut c, &zeros);
        assert!(packed.len() < 20_000);
        let mut inflater = Inflater::new(1000, false);
        let mut out = Vec::new();
        let err = inflater.inflate(&packed, true, &mut out).unwrap_err();
        assert_eq!(err, InflateError::TooLarge { max_message: 1000 });
        assert_eq!(out.len(), 1001);
        // Exactly at the limit is fine.
        let mut c = Compress::new(Compression::best(), false);
        let packed = deflate(&mut c, &zeros[..1000]);
        let mut out = Vec::new();
        inflater.inflate(&packed, true, &mut out).unwrap();
        assert_eq!(out.len(), 1000);
    }

    #[test]
    fn broken_streams_are_refused() {
        for garbage in [&[0xff, 0xff, 0xff][..], &[0x07], &[0x02, 0xff, 0x00, 0x00]] {
            let mut inflater = Inflater::new(1 << 20, true);
            let mut out = Vec::new();
            let result = inflater.inflate(garbage, true, &mut out);
            assert_eq!(result, Err(InflateError::Corrupt), "{garbage:?}");
        }
    }
}
