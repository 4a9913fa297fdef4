//! permessage-deflate (RFC 7692), when the server runs with `--deflate`.
//!
//! - [`negotiate`]: the handshake, choosing among the client's offers;
//! - [`reader`]: the layer beneath tungstenite that inflates what clients
//!   send ([`inflate`] does the inflating, within `--max-message`);
//! - [`compress`]: compressing an outgoing message once per window size.
//!
//! The server always promises `server_no_context_takeover`, so it keeps no
//! compression state per client: a broadcast is compressed once for all
//! the clients that agreed on the same window size (`crate::hub` picks
//! each client's frame). What a client sends is inflated on its own
//! connection thread, with state kept between messages only if the client
//! did not promise `client_no_context_takeover`.

pub(crate) mod compress;
pub(crate) mod inflate;
pub(crate) mod negotiate;
pub(crate) mod reader;

pub(crate) use negotiate::Agreement;

use crate::http::Request;

/// The agreement for this upgrade request, if the client offered
/// permessage-deflate in a form the server can honour.
pub(crate) fn agree(request: &Request) -> Option<Agreement> {
    let offers = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
        .map(|(_, value)| value.as_str());
    negotiate::negotiate(offers)
}

/// Adds the `Sec-WebSocket-Extensions` answer to a `101` response head.
pub(crate) fn with_answer(mut head: Vec<u8>, agreement: &Agreement) -> Vec<u8> {
    // The head ends with the blank line: put the header before it.
    head.truncate(head.len().saturating_sub(2));
    head.extend_from_slice(
        format!("Sec-WebSocket-Extensions: {}\r\n\r\n", agreement.response()).as_bytes(),
    );
    head
}
