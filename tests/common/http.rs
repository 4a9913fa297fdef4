//! A raw HTTP/1.1 client for the route tests. It writes exactly the bytes
//! it is given, so tests can send malformed, oversize and pipelined
//! requests as easily as ordinary ones; every read has [`super::DEADLINE`].

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::Value;

use super::DEADLINE;

/// A response as read off the wire.
#[derive(Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (empty for a HEAD request).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "a JSON body ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts a JSON error body (`{"error": "..."}`) with this status.
    pub fn assert_error(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("Content-Type"), Some("application/json"));
        assert!(self.json()["error"].is_string(), "{:?}", self.json());
    }
}

/// One client connection that can carry several requests (keep-alive).
pub struct HttpConn {
    /// The socket; tests may write to it directly.
    pub stream: TcpStream,
    /// Bytes read past the end of the last response.
    buf: Vec<u8>,
}

impl HttpConn {
    /// Connects to `addr`.
    pub fn open(addr: SocketAddr) -> HttpConn {
        let stream = TcpStream::connect(addr).expect("connects");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        HttpConn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Writes raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("request written");
    }

    /// Sends a request with a `Host` header, the given headers, and a
    /// `Content-Length` when there is a body; returns the response.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        self.send(&request_bytes(method, path, headers, body));
        self.read_response(method == "HEAD")
    }

    /// Reads one response; `head_only` for the answer to a HEAD request,
    /// whose Content-Length announces a body that is not sent.
    pub fn read_response(&mut self, head_only: bool) -> HttpResponse {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(len) =
                parsed.parse(&self.buf).expect("a valid response head")
            {
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let status = parsed.code.expect("a status");
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
                    .map(|(_, v)| v.parse().expect("a numeric Content-Length"))
                    .expect("every response has a Content-Length");
                let length = if head_only { 0 } else { length };
                self.buf.drain(..len);
                while self.buf.len() < length {
                    self.fill();
                }
                let body = self.buf.drain(..length).collect();
                return HttpResponse {
                    status,
                    headers,
                    body,
                };
            }
            self.fill();
        }
    }

    /// True when the server has closed the connection (reads end of
    /// stream, or a reset) and nothing more was sent.
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => true,
            Err(e) => panic!("waiting for the server to close: {e}"),
        }
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 8192];
        let n = self
            .stream
            .read(&mut chunk)
            .expect("response bytes before the deadline");
        assert!(n > 0, "the server closed the connection mid-response");
        self.buf.extend_from_slice(&chunk[..n]);
    }
}

/// The bytes of a request: `Host`, the given headers, and `Content-Length`
/// when there is a body.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    HttpConn::open(addr).request(method, path, headers, body)
}

/// `GET path`.
pub fn get(addr: SocketAddr, path: &str) -> HttpResponse {
    request(addr, "GET", path, &[], b"")
}

/// `POST path` with a text body.
pub fn post_text(addr: SocketAddr, path: &str, body: &str) -> HttpResponse {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "text/plain")],
        body.as_bytes(),
    )
}

/// `POST path` with a JSON body.
pub fn post_json(addr: SocketAddr, path: &str, body: &Value) -> HttpResponse {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}
