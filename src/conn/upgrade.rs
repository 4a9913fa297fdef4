//! The WebSocket opening handshake (RFC 6455, 4.2): checking an upgrade
//! request and the `101 Switching Protocols` answer.

use tungstenite::handshake::derive_accept_key;

use crate::http::{Request, Response};

/// True when the client asks for a WebSocket (`Upgrade: websocket`); such
/// a request is either upgraded or refused, never routed as plain HTTP.
pub fn wants_websocket(request: &Request) -> bool {
    request.header_has_token("Upgrade", "websocket")
}

/// Checks an upgrade request and returns the `101` answer to write, or the
/// error response that explains what is wrong with it.
///
/// # Errors
///
/// `400` for a request RFC 6455 does not allow (wrong method, missing
/// `Connection: upgrade` or a bad `Sec-WebSocket-Key`), `426` with
/// `Sec-WebSocket-Version: 13` for another protocol version.
pub fn accept(request: &Request) -> Result<Vec<u8>, Response> {
    if request.method != "GET" {
        return Err(Response::error(400, "a WebSocket upgrade must use GET"));
    }
    if request.version < 1 {
        return Err(Response::error(400, "a WebSocket upgrade needs HTTP/1.1"));
    }
    if !request.header_has_token("Connection", "upgrade") {
        return Err(Response::error(400, "missing \"Connection: upgrade\""));
    }
    if request.header("Sec-WebSocket-Version").map(str::trim) != Some("13") {
        return Err(
            Response::error(426, "only WebSocket version 13 is supported")
                .with_header("Sec-WebSocket-Version", "13"),
        );
    }
    let key = request
        .header("Sec-WebSocket-Key")
        .map(str::trim)
        .unwrap_or("");
    if !is_valid_key(key) {
        return Err(Response::error(
            400,
            "missing or malformed Sec-WebSocket-Key",
        ));
    }
    Ok(format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    )
    .into_bytes())
}

/// A key is 16 random bytes in base64: 24 characters ending in `==`.
fn is_valid_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_head;

    fn request(text: &str) -> Request {
        parse_head(&mut text.as_bytes().to_vec()).unwrap().unwrap()
    }

    const GOOD: &str = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn the_rfc_example_is_accepted() {
        let answer = String::from_utf8(accept(&request(GOOD)).unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 101"));
        assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    }

    #[test]
    fn each_broken_requirement_is_refused() {
        let cases = [
            (GOOD.replace("GET", "POST"), 400),
            (
                GOOD.replace("Connection: Upgrade", "Connection: keep-alive"),
                400,
            ),
            (GOOD.replace("Version: 13", "Version: 8"), 426),
            (GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "short"), 400),
            (
                GOOD.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
                400,
            ),
        ];
        for (text, status) in cases {
            let refused = accept(&request(&text)).unwrap_err();
            assert_eq!(refused.status, status, "{text}");
        }
        let refused = accept(&request(&GOOD.replace("Version: 13", "Version: 8"))).unwrap_err();
        assert!(refused
            .headers
            .contains(&("Sec-WebSocket-Version".into(), "13".into())));
    }
}
