//! One connection's thread: read request heads and answer them (keeping
//! the connection alive between requests) until one upgrades, then read
//! WebSocket messages until the client leaves.
//!
//! The thread never writes a WebSocket frame itself once the client has
//! joined the hub: messages go to the [`Handler`], and the pong and close
//! frames tungstenite produces while reading are handed to the hub as bytes,
//! so that the hub stays the one writer of the socket.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use log::{debug, info, warn};
use tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

use crate::auth::Identity;
use crate::config::Config;
use crate::frame;
use crate::handler::{Client, Handler};
use crate::http::{self, BodyError, HeadError, Request, Response};
use crate::hub::{ClientId, Event, Hub};
use crate::routes;
use crate::static_files::StaticFiles;
use crate::upgrade;

/// tungstenite's read buffer. Its default (128 KiB, zero-filled on the
/// first read) would cost every idle client 128 KiB of memory.
const READ_BUFFER: usize = 4 * 1024;

/// What every connection thread shares.
pub(crate) struct Context {
    pub config: Config,
    pub hub: Hub,
    pub handler: Arc<dyn Handler>,
    /// The next WebSocket client id.
    pub next_id: AtomicU64,
    /// The browser page or the `--static-dir` folder.
    pub files: StaticFiles,
    /// When the server started (`uptime_secs` in `/stats`).
    pub started: Instant,
}

/// Serves one accepted connection to its end: plain HTTP requests one
/// after another while the client keeps the connection alive, until one
/// of them upgrades to WebSocket.
pub(crate) fn serve(stream: Arc<TcpStream>, peer: SocketAddr, ctx: &Context) {
    // A client that stops reading cannot hold a response write forever.
    let _ = stream.set_write_timeout(Some(ctx.config.head_timeout));
    // Bytes read but not yet used: the rest of a body, the next pipelined
    // request, or the first WebSocket frames.
    let mut buf = Vec::new();
    let mut served = 0u64;
    loop {
        let deadline = Instant::now() + ctx.config.head_timeout;
        let request = match http::read_head(&stream, &mut buf, deadline) {
            Ok(request) => request,
            Err(HeadError::Closed | HeadError::Io(_)) => return,
            // An idle keep-alive connection simply ends.
            Err(HeadError::Timeout) if served > 0 && buf.is_empty() => return,
            Err(HeadError::TooLarge) => {
                return refuse(
                    &stream,
                    peer,
                    Response::error(431, "request head too large"),
                )
            }
            Err(HeadError::Timeout) => {
                let response = Response::error(408, "request head not received in time");
                return refuse(&stream, peer, response);
            }
            Err(HeadError::Malformed(why)) => {
                let response = Response::error(400, &format!("malformed request: {why}"));
                return refuse(&stream, peer, response);
            }
        };
        served += 1;
        if upgrade::wants_websocket(&request) {
            return upgrade(stream, peer, &request, buf, ctx);
        }
        if !exchange(&stream, peer, &request, &mut buf, ctx) {
            return;
        }
    }
}

/// Reads the body of a plain HTTP request, answers it, and returns
/// whether the connection stays open for another request.
fn exchange(
    stream: &TcpStream,
    peer: SocketAddr,
    request: &Request,
    buf: &mut Vec<u8>,
    ctx: &Context,
) -> bool {
    let deadline = Instant::now() + ctx.config.head_timeout;
    let body = match http::read_body(stream, buf, request, ctx.config.max_body, deadline) {
        Ok(body) => body,
        Err(BodyError::Closed | BodyError::Io(_)) => return false,
        Err(err) => {
            let response = match err {
                BodyError::TooLarge => Response::error(
                    413,
                    &format!("body larger than {} bytes", ctx.config.max_body),
                ),
                BodyError::Timeout => Response::error(408, "request body not received in time"),
                BodyError::Malformed(why) => {
                    Response::error(400, &format!("malformed body: {why}"))
                }
                BodyError::Unsupported(why) => Response::error(501, &why),
                BodyError::Closed | BodyError::Io(_) => unreachable!("handled above"),
            };
            // Where the body ends is unknown now: the connection cannot
            // carry another request.
            refuse(stream, peer, response);
            return false;
        }
    };
    let response = routes::respond(ctx, request, &body);
    debug!(
        "{peer}: {} {} -> {}",
        request.method, request.target, response.status
    );
    let head_only = request.method == "HEAD";
    if !request.keep_alive() {
        respond_and_close(stream, &response, head_only);
        return false;
    }
    let response = if request.version == 0 {
        response.with_header("Connection", "keep-alive")
    } else {
        response
    };
    response.write_to(stream, head_only).is_ok()
}

/// Answers a WebSocket upgrade request: 101 and the read loop, or the
/// reason it is refused.
fn upgrade(
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    request: &Request,
    early: Vec<u8>,
    ctx: &Context,
) {
    if let Some(ws_path) = &ctx.config.ws_path {
        if request.path() != ws_path {
            let why = format!("WebSocket connections are accepted on {ws_path} only");
            return refuse(&stream, peer, Response::error(404, &why));
        }
    }
    // Who the client is (401/403 if it may not connect), whether the
    // handler takes it, then the handshake.
    let accepted = ctx.config.auth.check(request).and_then(|identity| {
        ctx.handler.on_upgrade(request)?;
        let answer = upgrade::accept(request)?;
        Ok((identity, answer))
    });
    match accepted {
        Ok((identity, answer)) => {
            // The 101 goes out before the client joins the hub, so no
            // broadcast can reach the socket ahead of it.
            if (&*stream).write_all(&answer).is_ok() {
                websocket(stream, peer, early, identity, ctx);
            }
        }
        Err(response) => refuse(&stream, peer, response),
    }
}

/// Answers a request that is refused (a handshake or a malformed request),
/// logs why, and closes the connection.
fn refuse(stream: &TcpStream, peer: SocketAddr, response: Response) {
    warn!(
        "{peer}: refused with {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    respond_and_close(stream, &response, false);
}

/// Writes a final response, then closes without turning unread request
/// bytes into a reset that would destroy the response in flight.
fn respond_and_close(stream: &TcpStream, response: &Response, head_only: bool) {
    let _ = response
        .clone()
        .with_header("Connection", "close")
        .write_to(stream, head_only);
    linger(stream);
}

/// Sends FIN, then reads and discards what the peer still sends, so that
/// closing does not reset the connection.
fn linger(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    discard_until_closed(stream);
}

/// Reads and discards what the peer sends until it closes or falls quiet
/// for 200 ms, for at most a second.
fn discard_until_closed(mut stream: &TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// The socket as tungstenite sees it: reads come from the TCP stream,
/// writes (only ever pong and close replies) are collected for the hub.
struct Socket {
    stream: Arc<TcpStream>,
    replies: Vec<u8>,
    /// When the peer last sent us any byte: the heartbeat's clock.
    last_heard: Instant,
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&*self.stream).read(buf)?;
        if n > 0 {
            self.last_heard = Instant::now();
        }
        Ok(n)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.replies.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why a client's read loop ended.
enum Ending {
    /// The close handshake completed or the peer went away.
    Closed(&'static str),
    /// We close the connection with this code and reason.
    Failed(u16, String),
}

/// Runs an upgraded connection: join the hub, read messages, leave.
fn websocket(
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    early: Vec<u8>,
    identity: Identity,
    ctx: &Context,
) {
    let id = ClientId(ctx.next_id.fetch_add(1, Ordering::Relaxed));
    let interval = ctx.config.ping_interval;
    if stream.set_read_timeout(Some(interval)).is_err() {
        return;
    }
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(usize::MAX)
        .max_message_size(Some(ctx.config.max_message))
        .max_frame_size(Some(ctx.config.max_message));
    let socket = Socket {
        stream: stream.clone(),
        replies: Vec::new(),
        last_heard: Instant::now(),
    };
    // Frames the client sent right behind its request head are not lost.
    let mut ws = WebSocket::from_partially_read(socket, early, Role::Server, Some(ws_config));

    let hub = &ctx.hub;
    if hub.event(Event::Join { id, stream, peer }).is_err() {
        return; // Shutting down.
    }
    let member = Member { hub, id };
    match identity.name() {
        Some(name) => info!("client {id} connected from {peer} as {name:?}"),
        None => info!("client {id} connected from {peer}"),
    }
    let client = Client::new(id, peer, hub.clone()).with_identity(identity.name());
    ctx.handler.on_connect(&client);
    // Only now do broadcasts reach it, so its welcome always comes first.
    let _ = hub.event(Event::Open { id });

    let ending = loop {
        let result = ws.read();
        let ending = match result {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                hub.count_message_in();
                ctx.handler.on_message(&client, message);
                None
            }
            Ok(_) => None, // Ping, pong, close: tungstenite has queued the reply.
            Err(WsError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                heartbeat(&client, ws.get_ref().last_heard, interval)
            }
            Err(err) => Some(ending_for(err)),
        };
        // Hand tungstenite's replies to the hub. `flush` makes it produce a
        // pending pong now rather than at the start of the next read.
        let _ = ws.flush();
        let replies = std::mem::take(&mut ws.get_mut().replies);
        if !replies.is_empty() {
            let _ = hub.send_bytes(id, Bytes::from(replies));
        }
        if let Some(ending) = ending {
            break ending;
        }
    };

    let reason = match ending {
        Ending::Closed(reason) => reason.to_string(),
        Ending::Failed(code, reason) => {
            // The hub sends the close frame, then FIN. Meanwhile discard
            // what the client still sends (the rest of an oversize message,
            // say): closing with bytes unread would reset the connection,
            // and the reset could destroy the close frame before it is read.
            let _ = hub.close(id, code, &reason);
            discard_until_closed(&ws.get_ref().stream);
            format!("closed with {code} ({reason})")
        }
    };
    drop(member);
    info!("client {id} ({peer}) disconnected: {reason}");
    ctx.handler.on_disconnect(&client);
}

/// A client's membership of the hub: dropping it sends `Leave`, however
/// the thread ends. If a handler panics, the unwinding thread still takes
/// its client out of the hub (after a 1011 close frame), so the hub keeps
/// no dead client and its socket is closed; other clients never notice.
struct Member<'a> {
    hub: &'a Hub,
    id: ClientId,
}

impl Drop for Member<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            warn!("client {}: handler panicked; closing with 1011", self.id);
            let _ = self
                .hub
                .send_bytes(self.id, frame::close(1011, "internal server error"));
        }
        let _ = self.hub.event(Event::Leave { id: self.id });
    }
}

/// A read timed out: ping a client silent for one interval, give up on one
/// silent for two.
fn heartbeat(client: &Client, last_heard: Instant, interval: Duration) -> Option<Ending> {
    let silent = last_heard.elapsed();
    if silent >= interval * 2 {
        return Some(Ending::Failed(1001, "ping timeout".into()));
    }
    if silent >= interval {
        let _ = client.reply(Message::Ping(Bytes::new()));
    }
    None
}

/// Maps a tungstenite read error to how the connection ends; protocol
/// violations get the close code RFC 6455 names for them.
fn ending_for(err: WsError) -> Ending {
    match err {
        WsError::ConnectionClosed | WsError::AlreadyClosed => Ending::Closed("closed"),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            Ending::Closed("connection dropped without a close frame")
        }
        WsError::Io(_) => Ending::Closed("connection reset"),
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            Ending::Failed(1009, format!("message of {size} bytes exceeds {max_size}"))
        }
        WsError::Capacity(e) => Ending::Failed(1009, e.to_string()),
        WsError::Utf8(_) => Ending::Failed(1007, "invalid UTF-8 in a text message".into()),
        WsError::Protocol(e) => Ending::Failed(1002, e.to_string()),
        e => Ending::Failed(1011, e.to_string()),
    }
}
