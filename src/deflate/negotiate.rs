//! The permessage-deflate handshake (RFC 7692, section 7.1): reading the
//! client's offers in `Sec-WebSocket-Extensions` and choosing the answer.
//!
//! The server always answers with `server_no_context_takeover`: every
//! message it sends is compressed on its own, so one compressed broadcast
//! serves every client with the same window size. An offer the server
//! cannot honour (an unknown or repeated parameter, a bad value) is
//! declined, and the next one considered; with none left the connection
//! proceeds uncompressed.

/// What the server and one client agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Agreement {
    /// The client promised to compress every message on its own, so its
    /// connection thread keeps no inflate state between messages.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window (as a power of two, 8..=15) the server may
    /// use when compressing for this client.
    pub server_window_bits: u8,
}

impl Agreement {
    /// The `Sec-WebSocket-Extensions` value that accepts the offer.
    pub(crate) fn response(&self) -> String {
        let mut answer = String::from("permessage-deflate; server_no_context_takeover");
        if self.client_no_context_takeover {
            answer.push_str("; client_no_context_takeover");
        }
        if self.server_window_bits < 15 {
            // The offer asked for it: the answer must repeat it (7.1.2.1).
            answer.push_str(&format!(
                "; server_max_window_bits={}",
                self.server_window_bits
            ));
        }
        answer
    }
}

/// Chooses the first permessage-deflate offer the server can honour among
/// `values` (each a `Sec-WebSocket-Extensions` header value), or `None`.
pub(crate) fn negotiate<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Agreement> {
    values
        .into_iter()
        .flat_map(|value| value.split(','))
        .find_map(accept_offer)
}

/// One offer: `permessage-deflate; param[=value]; ...`.
fn accept_offer(offer: &str) -> Option<Agreement> {
    let mut parts = offer.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
        return None;
    }
    let mut agreement = Agreement {
        client_no_context_takeover: false,
        server_window_bits: 15,
    };
    let mut seen: Vec<String> = Vec::new();
    for part in parts {
        let (name, value) = match part.split_once('=') {
            Some((name, value)) => (name.trim(), Some(unquote(value.trim())?)),
            None => (part, None),
        };
        let name = name.to_ascii_lowercase();
        // "An offer containing multiple instances of a parameter" must be
        // declined (7.1).
        if seen.contains(&name) {
            return None;
        }
        match (name.as_str(), value) {
            ("server_no_context_takeover", None) => {}
            ("client_no_context_takeover", None) => agreement.client_no_context_takeover = true,
            ("server_max_window_bits", Some(bits)) => {
                agreement.server_window_bits = window_bits(bits)?;
            }
            // We inflate with the largest window, so whatever window the
            // client uses is fine and the answer need not mention it.
            ("client_max_window_bits", None) => {}
            ("client_max_window_bits", Some(bits)) => {
                window_bits(bits)?;
            }
            _ => return None,
        }
        seen.push(name);
    }
    Some(agreement)
}

/// A window size: a decimal 8..=15 without leading zeros (7.1.2).
fn window_bits(value: &str) -> Option<u8> {
    if value.starts_with('0') || value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|bits| (8..=15).contains(bits))
}

/// A parameter value may be a token or a quoted string (RFC 6455, 9.1).
fn unquote(value: &str) -> Option<&str> {
    match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"'),
        None => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreed(ctx: bool, bits: u8) -> Option<Agreement> {
        Some(Agreement {
            client_no_context_takeover: ctx,
            server_window_bits: bits,
        })
    }

    #[test]
    fn offers_are_accepted_or_declined_as_rfc_7692_says() {
        let cases: &[(&str, Option<Agreement>)] = &[
            ("permessage-deflate", agreed(false, 15)),
            // What Chromium offers.
            (
                "permessage-deflate; client_max_window_bits",
                agreed(false, 15),
            ),
            (
                "permessage-deflate; client_no_context_takeover",
                agreed(true, 15),
            ),
            (
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
                agreed(false, 10),
            ),
            (
                "permessage-deflate; server_max_window_bits=\"8\"",
                agreed(false, 8),
            ),
            (
                "permessage-deflate; client_max_window_bits=9",
                agreed(false, 15),
            ),
            (
                "PerMessage-Deflate; Client_No_Context_Takeover",
                agreed(true, 15),
            ),
            // Declined offers, then a good one.
            (
                "permessage-deflate; server_max_window_bits=7, permessage-deflate",
                agreed(false, 15),
            ),
            (
                "x-webkit-deflate-frame, permessage-deflate",
                agreed(false, 15),
            ),
            // Declined: nothing acceptable.
            ("x-webkit-deflate-frame", None),
            ("", None),
            ("permessage-deflate; server_max_window_bits=16", None),
            ("permessage-deflate; server_max_window_bits=09", None),
            ("permessage-deflate; server_max_window_bits", None),
            ("permessage-deflate; server_max_window_bits=1x", None),
            ("permessage-deflate; server_max_window_bits=\"10", None),
            ("permessage-deflate; client_max_window_bits=0", None),
            ("permessage-deflate; server_no_context_takeover=1", None),
            ("permessage-deflate; client_no_context_takeover=\"\"", None),
            (
                "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                None,
            ),
            ("permessage-deflate; mystery", None),
        ];
        for (offer, expected) in cases {
            assert_eq!(negotiate([*offer]), *expected, "{offer}");
        }
    }

    #[test]
    fn offers_spread_over_several_headers_are_read_in_order() {
        let found = negotiate(["foo", "permessage-deflate; server_max_window_bits=12"]);
        assert_eq!(found, agreed(false, 12));
    }

    #[test]
    fn the_answer_names_what_the_server_promises() {
        let plain = agreed(false, 15).unwrap().response();
        assert_eq!(plain, "permessage-deflate; server_no_context_takeover");
        let all = agreed(true, 9).unwrap().response();
        assert_eq!(
            all,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9"
        );
    }
}
