//! HTTP/1.1 request heads and responses: what a connection thread reads
//! before it knows whether the client wants a WebSocket.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// Largest request head we accept; a longer one gets 431.
pub const MAX_HEAD: usize = 16 * 1024;
/// Most headers in one request head.
const MAX_HEADERS: usize = 64;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The request target as sent: path and query, still percent-encoded.
    pub target: String,
    /// HTTP minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// Header names and values in the order sent (values decoded lossily
    /// as UTF-8).
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True when header `name` holds `token` in its comma-separated list
    /// (case-insensitive), as `Connection: keep-alive, Upgrade` does.
    pub fn header_has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The path part of the target (before any `?`).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query part of the target (after the first `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }
}

/// Why no request head could be read.
#[derive(Debug)]
pub enum HeadError {
    /// The peer closed the connection before sending a whole head (or any
    /// byte at all, between keep-alive requests): nothing to answer.
    Closed,
    /// The head is longer than [`MAX_HEAD`]: answer 431.
    TooLarge,
    /// The head did not arrive before the deadline: answer 408.
    Timeout,
    /// The bytes are not an HTTP/1.x request head: answer 400.
    Malformed(String),
    /// The socket failed.
    Io(io::Error),
}

/// Reads one request head from `stream`, which must be complete by
/// `deadline`. `buf` holds bytes already read (left over from a previous
/// request); on success the head is removed from it and what follows it
/// (a body, the next request, WebSocket frames) stays.
///
/// # Errors
///
/// See [`HeadError`].
pub fn read_head(
    mut stream: &TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<Request, HeadError> {
    loop {
        if let Some(request) = parse_head(buf)? {
            return Ok(request);
        }
        if buf.len() >= MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Timeout);
        }
        stream.set_read_timeout(Some(left)).map_err(HeadError::Io)?;
        let mut chunk = [0u8; 4096];
        let want = chunk.len().min(MAX_HEAD + 1 - buf.len());
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(HeadError::Io(e)),
        }
    }
}

/// Parses a complete head at the start of `buf` and removes it; `None`
/// when more bytes are needed.
///
/// # Errors
///
/// [`HeadError::Malformed`] or [`HeadError::TooLarge`].
pub fn parse_head(buf: &mut Vec<u8>) -> Result<Option<Request>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(e) => return Err(HeadError::Malformed(e.to_string())),
    };
    if len > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let request = Request {
        method: parsed.method.unwrap_or_default().to_string(),
        target: parsed.path.unwrap_or_default().to_string(),
        version: parsed.version.unwrap_or(1),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    };
    buf.drain(..len);
    Ok(Some(request))
}

/// An HTTP response, written whole with a `Content-Length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers (`Content-Length` is added when writing).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body of the given content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A JSON error: `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Self {
        let body = serde_json::json!({ "error": message }).to_string();
        Response::new(status, "application/json", body)
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Writes the status line, headers and (unless `head_only`) the body.
    ///
    /// # Errors
    ///
    /// The socket's write error.
    pub fn write_to(&self, mut out: impl Write, head_only: bool) -> io::Result<()> {
        let mut bytes = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            bytes.push_str(&format!("{name}: {value}\r\n"));
        }
        bytes.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = bytes.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&self.body);
        }
        out.write_all(&bytes)?;
        out.flush()
    }
}

/// The reason phrase for the status codes we send.
fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_parsed_and_what_follows_is_kept() {
        let mut buf =
            b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\nrest"
                .to_vec();
        let req = parse_head(&mut buf).unwrap().unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.path(), "/a");
        assert_eq!(req.query(), Some("b=1"));
        assert_eq!(req.header("host"), Some("x"));
        assert!(req.header_has_token("connection", "upgrade"));
        assert_eq!(buf, b"rest");
    }

    #[test]
    fn partial_and_malformed_heads() {
        assert!(parse_head(&mut b"GET / HTTP/1.1\r\nHost".to_vec())
            .unwrap()
            .is_none());
        assert!(matches!(
            parse_head(&mut b"\x00\x01 nonsense\r\n\r\n".to_vec()),
            Err(HeadError::Malformed(_))
        ));
    }
}
