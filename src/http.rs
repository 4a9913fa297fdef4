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
        self.tokens(name).any(|t| t.eq_ignore_ascii_case(token))
    }

    /// Every comma-separated item of every header called `name`, trimmed,
    /// empty items left out.
    fn tokens<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// Whether the connection stays open after this request: in HTTP/1.1
    /// unless the client sent `Connection: close`, in HTTP/1.0 only if it
    /// sent `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        if self.version >= 1 {
            !self.header_has_token("Connection", "close")
        } else {
            self.header_has_token("Connection", "keep-alive")
        }
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
    stream: &TcpStream,
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
        match fill(stream, buf, MAX_HEAD + 1 - buf.len(), deadline) {
            Ok(()) => {}
            Err(Fill::Closed) => return Err(HeadError::Closed),
            Err(Fill::Timeout) => return Err(HeadError::Timeout),
            Err(Fill::Io(e)) => return Err(HeadError::Io(e)),
        }
    }
}

/// Why [`fill`] read nothing.
enum Fill {
    Closed,
    Timeout,
    Io(io::Error),
}

/// Reads at least one byte (at most `max`) from `stream` onto the end of
/// `buf`, waiting no later than `deadline`.
fn fill(stream: &TcpStream, buf: &mut Vec<u8>, max: usize, deadline: Instant) -> Result<(), Fill> {
    let mut chunk = [0u8; 4096];
    let want = chunk.len().min(max);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Fill::Timeout);
        }
        stream.set_read_timeout(Some(left)).map_err(Fill::Io)?;
        match (&*stream).read(&mut chunk[..want]) {
            Ok(0) => return Err(Fill::Closed),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Fill::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Fill::Io(e)),
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

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than the limit (`--max-body`): answer 413.
    TooLarge,
    /// The body did not arrive before the deadline: answer 408.
    Timeout,
    /// A bad `Content-Length`, both `Content-Length` and
    /// `Transfer-Encoding`, or broken chunked framing: answer 400.
    Malformed(String),
    /// A transfer coding other than `chunked`: answer 501.
    Unsupported(String),
    /// The peer closed the connection in the middle of the body.
    Closed,
    /// The socket failed.
    Io(io::Error),
}

impl From<Fill> for BodyError {
    fn from(fill: Fill) -> Self {
        match fill {
            Fill::Closed => BodyError::Closed,
            Fill::Timeout => BodyError::Timeout,
            Fill::Io(e) => BodyError::Io(e),
        }
    }
}

/// Longest chunk-size line we accept in a chunked body.
const MAX_CHUNK_LINE: usize = 4096;

/// How a request body is delimited (RFC 9112, section 6.3).
enum Framing {
    /// No `Content-Length` and no `Transfer-Encoding`: no body.
    Empty,
    Length(u64),
    Chunked,
}

impl Request {
    fn framing(&self) -> Result<Framing, BodyError> {
        let codings: Vec<&str> = self.tokens("Transfer-Encoding").collect();
        let lengths: Vec<&str> = self.tokens("Content-Length").collect();
        if !codings.is_empty() {
            // Both at once is how requests are smuggled past proxies.
            if !lengths.is_empty() {
                return Err(BodyError::Malformed(
                    "both Content-Length and Transfer-Encoding".into(),
                ));
            }
            return match codings[..] {
                [coding] if coding.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
                _ => Err(BodyError::Unsupported(format!(
                    "transfer coding \"{}\" (only chunked is supported)",
                    codings.join(", ")
                ))),
            };
        }
        let Some((first, rest)) = lengths.split_first() else {
            return Ok(Framing::Empty);
        };
        if rest.iter().any(|other| other != first) {
            return Err(BodyError::Malformed("conflicting Content-Length".into()));
        }
        if !first.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BodyError::Malformed(
                "Content-Length is not a number".into(),
            ));
        }
        // All digits: the only way to fail is a number beyond u64.
        first
            .parse()
            .map(Framing::Length)
            .map_err(|_| BodyError::TooLarge)
    }
}

/// Reads the body of `request` (by `Content-Length`, or `chunked`
/// transfer coding) from `buf` and then `stream`, by `deadline`. Bytes
/// after the body (a pipelined request) stay in `buf`.
///
/// A client that sent `Expect: 100-continue` (curl does for bodies over
/// 1 KiB) waits for `100 Continue` before it sends the body: it gets that
/// once the body's announced size is known to be acceptable.
///
/// # Errors
///
/// See [`BodyError`]; a body over `limit` bytes is refused before it is
/// read, or as soon as the chunks received pass the limit.
pub fn read_body(
    stream: &TcpStream,
    buf: &mut Vec<u8>,
    request: &Request,
    limit: usize,
    deadline: Instant,
) -> Result<Vec<u8>, BodyError> {
    let len = match request.framing()? {
        Framing::Empty => return Ok(Vec::new()),
        Framing::Length(len) => Some(
            usize::try_from(len)
                .ok()
                .filter(|&len| len <= limit)
                .ok_or(BodyError::TooLarge)?,
        ),
        Framing::Chunked => None,
    };
    if request.version >= 1 && request.header_has_token("Expect", "100-continue") {
        (&*stream)
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(BodyError::Io)?;
    }
    let Some(len) = len else {
        return read_chunked(stream, buf, limit, deadline);
    };
    while buf.len() < len {
        fill(stream, buf, len - buf.len(), deadline)?;
    }
    Ok(buf.drain(..len).collect())
}

/// Decodes a `chunked` body: hex size lines (extensions ignored), chunk
/// data, a zero-size chunk, then trailer fields (ignored) and an empty line.
fn read_chunked(
    stream: &TcpStream,
    buf: &mut Vec<u8>,
    limit: usize,
    deadline: Instant,
) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(stream, buf, deadline)?;
        let size = line.split(|&b| b == b';').next().unwrap_or_default();
        let size = std::str::from_utf8(size)
            .map(|s| s.trim_matches([' ', '\t']))
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| BodyError::Malformed("bad chunk size".into()))?;
        // All hex digits: the only way to fail is a size beyond usize.
        let size = usize::from_str_radix(size, 16).map_err(|_| BodyError::TooLarge)?;
        if size == 0 {
            let mut trailers = 0;
            loop {
                let line = read_line(stream, buf, deadline)?;
                if line.is_empty() {
                    return Ok(body);
                }
                trailers += line.len();
                if trailers > MAX_HEAD {
                    return Err(BodyError::Malformed("trailer fields too large".into()));
                }
            }
        }
        if size > limit - body.len() {
            return Err(BodyError::TooLarge);
        }
        while buf.len() < size + 2 {
            fill(stream, buf, size + 2 - buf.len(), deadline)?;
        }
        if &buf[size..size + 2] != b"\r\n" {
            return Err(BodyError::Malformed(
                "chunk data not followed by CRLF".into(),
            ));
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

/// Takes one CRLF-terminated line off the front of `buf` (reading more
/// from `stream` as needed) and returns it without the CRLF.
fn read_line(
    stream: &TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<Vec<u8>, BodyError> {
    let mut searched = 0;
    loop {
        if let Some(at) = buf[searched..].windows(2).position(|w| w == b"\r\n") {
            let end = searched + at;
            let line = buf[..end].to_vec();
            buf.drain(..end + 2);
            return Ok(line);
        }
        if buf.len() > MAX_CHUNK_LINE {
            return Err(BodyError::Malformed("chunk line too long".into()));
        }
        // A CR at the very end may be half of the CRLF: search it again.
        searched = buf.len().saturating_sub(1);
        fill(stream, buf, MAX_CHUNK_LINE, deadline)?;
    }
}

/// Decodes the `%XX` escapes of a request path; `None` when an escape is
/// broken or the result is not UTF-8. A `+` stays a `+` (it means a space
/// only in form-encoded query strings).
pub fn percent_decode(text: &str) -> Option<String> {
    let (bytes, all_valid) = decode_escapes(text);
    all_valid.then(|| String::from_utf8(bytes).ok())?
}

/// Decodes `%XX` escapes into bytes, keeping a `%` not followed by two hex
/// digits as it is; `+` stays `+`. For credentials, so that a base64 token
/// pasted into a URL unencoded still matches.
pub fn percent_decode_lenient(text: &str) -> Vec<u8> {
    decode_escapes(text).0
}

/// The one percent-decoder: the bytes, and whether every `%` began a valid
/// escape (a broken one is copied as it is).
fn decode_escapes(text: &str) -> (Vec<u8>, bool) {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut all_valid = true;
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                all_valid &= bytes[i] != b'%';
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    (out, all_valid)
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
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
        Response::json(status, &serde_json::json!({ "error": message }))
    }

    /// A JSON body, ending in a newline so that `curl` leaves the prompt
    /// on a line of its own.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Response::new(status, "application/json", format!("{value}\n"))
    }

    /// A plain text body in UTF-8, ending in a newline (added if missing)
    /// for the same reason.
    pub fn text(status: u16, text: &str) -> Self {
        let body = if text.ends_with('\n') {
            text.to_string()
        } else {
            format!("{text}\n")
        };
        Response::new(status, "text/plain; charset=utf-8", body)
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
        501 => "Not Implemented",
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
    fn keep_alive_follows_the_version_and_connection_header() {
        let keep = |text: &str| request(text).keep_alive();
        assert!(keep("GET / HTTP/1.1\r\n\r\n"));
        assert!(!keep("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
        assert!(!keep("GET / HTTP/1.0\r\n\r\n"));
        assert!(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    }

    #[test]
    fn body_framing_is_read_from_the_head() {
        let framing = |text: &str| request(text).framing();
        assert!(matches!(
            framing("POST / HTTP/1.1\r\n\r\n"),
            Ok(Framing::Empty)
        ));
        assert!(matches!(
            framing("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            Ok(Framing::Length(12))
        ));
        assert!(matches!(
            framing("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"),
            Ok(Framing::Length(5))
        ));
        assert!(matches!(
            framing("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            Ok(Framing::Chunked)
        ));
        assert!(matches!(
            framing("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            framing("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Err(BodyError::Unsupported(_))
        ));
    }

    #[test]
    fn percent_escapes_are_decoded_once() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(percent_decode("%C3%BC%2f").as_deref(), Some("ü/"));
        assert_eq!(percent_decode("%252e").as_deref(), Some("%2e"));
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%g0"), None);
        assert_eq!(percent_decode("%ff"), None); // not UTF-8
    }

    fn request(text: &str) -> Request {
        parse_head(&mut text.as_bytes().to_vec()).unwrap().unwrap()
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
