//! The connection side: one thread per accepted socket. It reads request
//! heads and answers them (keeping the connection alive between requests)
//! until one upgrades, then reads WebSocket messages until the client
//! leaves.
//!
//! - [`routes`]: what answers a plain HTTP request (the API), else
//!   [`static_files`] (the browser page or `--static-dir`);
//! - [`upgrade`]: the checks and the 101 answer of a WebSocket handshake;
//! - [`websocket`]: the read loop of an upgraded connection, and its
//!   heartbeat; [`received_log`]: its `debug` line for each message;
//! - [`admission`]: who gets a slot (`--max-clients`, shared fairly between
//!   peer addresses; [`forwarded`] names the client behind a trusted proxy);
//! - [`turn_away`]: the `503` for connections refused a slot.
//!
//! The thread never writes a WebSocket frame itself once the client has
//! joined the hub: messages go to the [`Handler`], and the pong and close
//! frames tungstenite produces while reading are handed to the hub as bytes,
//! so that the hub stays the one writer of the socket.

mod admission;
mod forwarded;
mod received_log;
mod routes;
mod static_files;
mod turn_away;
pub mod upgrade;
mod websocket;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{debug, warn};

use crate::config::Config;
use crate::deflate;
use crate::handler::Handler;
use crate::http::{self, BodyError, HeadError, Request, Response};
use crate::hub::Hub;
pub(crate) use admission::{Admission, Refusal, Slot};
pub(crate) use static_files::StaticFiles;
pub(crate) use turn_away::TurnAway;

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
    /// The slot table (`turned_away` in `/stats`).
    pub admission: Arc<Admission>,
}

/// Serves one accepted connection to its end: plain HTTP requests one
/// after another while the client keeps the connection alive, until one
/// of them upgrades to WebSocket.
pub(crate) fn serve(stream: Arc<TcpStream>, tcp_peer: SocketAddr, mut slot: Slot, ctx: &Context) {
    // The client's address for the limits and the logs: behind a trusted
    // proxy, the one its request head names.
    let mut peer = tcp_peer;
    let behind_proxy = ctx.admission.is_trusted(tcp_peer.ip());
    // A client that stops reading cannot hold a response write forever.
    let _ = stream.set_write_timeout(Some(ctx.config.head_timeout));
    // Bytes read but not yet used: the rest of a body, the next pipelined
    // request, or the first WebSocket frames.
    let mut buf = Vec::new();
    let mut served = 0u64;
    loop {
        let head_timeout = ctx.admission.head_timeout(ctx.config.head_timeout);
        let request = match http::read_head(&stream, &mut buf, Instant::now() + head_timeout) {
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
        slot.head_arrived();
        if behind_proxy {
            // A proxy may carry another client's request on the same
            // connection: look again at every head.
            let client = forwarded::client_addr(&request, ctx.admission.trusted());
            peer = client.unwrap_or(tcp_peer);
            if let Err(refusal) = slot.forwarded_for(peer.ip()) {
                warn!("{peer} (through proxy {tcp_peer}): turned away with 503: {refusal}");
                return respond_and_close(&stream, &TurnAway::response(&refusal), false);
            }
        }
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
    // An API request that sends is a publisher too: its answer waits while
    // readers are behind, so a client posting in a loop is slowed down
    // (a request that sends nothing does not wait).
    let (hub, publisher) = ctx.hub.for_publisher();
    let response = routes::respond(ctx, &hub, request, &body);
    publisher.wait_for_turn();
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
            let deflate = ctx
                .config
                .deflate
                .then(|| deflate::agree(request))
                .flatten();
            let answer = match &deflate {
                Some(agreement) => deflate::with_answer(answer, agreement),
                None => answer,
            };
            // The 101 goes out before the client joins the hub, so no
            // broadcast can reach the socket ahead of it.
            if (&*stream).write_all(&answer).is_ok() {
                let path = request.path();
                websocket::run(stream, peer, path, early, identity, deflate, ctx);
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
pub(crate) fn discard_until_closed(mut stream: &TcpStream) {
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
