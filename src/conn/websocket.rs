//! An upgraded connection's thread: join the hub, read messages and hand
//! them to the [`Handler`], keep the heartbeat, leave.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use log::{info, warn};
use tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

use super::{discard_until_closed, received_log, Context};
use crate::auth::Identity;
use crate::deflate::reader::FrameInflater;
use crate::deflate::Agreement;
use crate::handler::Client;
use crate::hub::{frame, ClientId, Event, Hub};

/// tungstenite's read buffer. Its default (128 KiB, zero-filled on the
/// first read) would cost every idle client 128 KiB of memory.
const READ_BUFFER: usize = 4 * 1024;

/// The socket as tungstenite sees it: reads come from the TCP stream
/// (through the inflating layer if the client agreed on permessage-deflate),
/// writes (only ever pong and close replies) are collected for the hub.
struct ReadSide {
    stream: Arc<TcpStream>,
    replies: Vec<u8>,
    /// When the peer last sent us any byte: the heartbeat's clock.
    last_heard: Instant,
    inflate: Option<FrameInflater>,
}

impl Read for ReadSide {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut socket = Heard {
            stream: &self.stream,
            last_heard: &mut self.last_heard,
        };
        match &mut self.inflate {
            Some(inflate) => inflate.read(&mut socket, buf),
            None => socket.read(buf),
        }
    }
}

/// The TCP stream, noting when bytes arrive.
struct Heard<'a> {
    stream: &'a TcpStream,
    last_heard: &'a mut Instant,
}

impl Read for Heard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        if n > 0 {
            *self.last_heard = Instant::now();
        }
        Ok(n)
    }
}

impl Write for ReadSide {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.replies.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why a client's read loop ended.
#[derive(Debug, Clone)]
enum Ending {
    /// The close handshake completed or the peer went away.
    Closed(&'static str),
    /// We close the connection with this code and reason.
    Failed(u16, String),
}

/// Runs an upgraded connection: join the hub, read messages, leave.
pub(super) fn run(
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    path: &str,
    early: Vec<u8>,
    identity: Identity,
    deflate: Option<Agreement>,
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
    // With deflate, early frames go through the inflating layer too.
    let (inflate, early) = match deflate {
        Some(agreed) => {
            let keep_context = !agreed.client_no_context_takeover;
            let layer = FrameInflater::new(ctx.config.max_message, keep_context, early);
            (Some(layer), Vec::new())
        }
        None => (None, early),
    };
    let socket = ReadSide {
        stream: stream.clone(),
        replies: Vec::new(),
        last_heard: Instant::now(),
        inflate,
    };
    // Frames the client sent right behind its request head are not lost.
    let mut ws = WebSocket::from_partially_read(socket, early, Role::Server, Some(ws_config));

    // What this client's messages make the handler send counts against its
    // window: past it, or while readers are behind, we stop reading it.
    let (hub, publisher) = ctx.hub.for_publisher();
    let hub = &hub;
    let socket = stream.clone();
    let deflate = deflate.map(|agreed| agreed.server_window_bits);
    let member = Member { hub, id, deflate };
    if let Some(bits) = deflate {
        hub.deflate_windows().add(bits);
    }
    if hub
        .event(Event::Join {
            id,
            socket,
            peer,
            deflate,
        })
        .is_err()
    {
        return; // Shutting down.
    }
    match identity.name() {
        Some(name) => info!("client {id} connected from {peer} as {name:?}"),
        None => info!("client {id} connected from {peer}"),
    }
    let client = Client::new(id, peer, hub.clone(), path).with_identity(identity.name());
    let connected = guarded(id, "on_connect", || ctx.handler.on_connect(&client));
    // Only now do broadcasts reach it, so its welcome always comes first.
    let _ = hub.event(Event::Open { id });

    let ending = loop {
        if let Err(panicked) = &connected {
            break panicked.clone();
        }
        let result = ws.read();
        let ending = match result {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                hub.count_message_in();
                received_log::log_received(id, &message);
                let ending = guarded(id, "on_message", || {
                    ctx.handler.on_message(&client, message)
                })
                .err();
                // Flow control: TCP backpressure slows the client while we
                // wait here instead of reading.
                publisher.wait_for_turn();
                ending
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
            Err(err) => Some(
                match ws.get_ref().inflate.as_ref().and_then(|i| i.failure()) {
                    Some(failure) => Ending::Failed(failure.code, failure.reason.clone()),
                    None => ending_for(err),
                },
            ),
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
        // The hub sent 1001 and hung up: whatever the reader saw of that
        // (the client's close reply, or only the end of the stream), the
        // server ended it.
        Ending::Closed(_) if hub.is_shutting_down() => {
            "closed by the server (1001, shutting down)".to_string()
        }
        // Evicted: the hub sent 1008 (if it fitted) and shut the socket.
        Ending::Closed(_) if hub.take_eviction(id) => {
            "closed by the server (1008, slow consumer)".to_string()
        }
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
    let _ = guarded(id, "on_disconnect", || ctx.handler.on_disconnect(&client));
}

/// Runs one handler hook, catching a panic: the panicking client's
/// connection ends with 1011, and its `on_disconnect` still runs, so a
/// handler's own state (chat names, say) is cleaned up; other clients never
/// notice.
fn guarded(id: ClientId, hook: &str, call: impl FnOnce()) -> Result<(), Ending> {
    panic::catch_unwind(AssertUnwindSafe(call)).map_err(|_| {
        warn!("client {id}: handler panicked in {hook}; closing with 1011");
        Ending::Failed(1011, "internal server error".into())
    })
}

/// A client's membership of the hub: dropping it sends `Leave`, however
/// the thread ends. Should the thread itself panic (handler panics are
/// caught before that), the unwinding thread still takes its client out of
/// the hub after a 1011 close frame, so the hub keeps no dead client.
struct Member<'a> {
    hub: &'a Hub,
    id: ClientId,
    /// Its permessage-deflate window size, counted while it is a member.
    deflate: Option<u8>,
}

impl Drop for Member<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            warn!(
                "client {}: connection thread panicked; closing with 1011",
                self.id
            );
            let _ = self
                .hub
                .send_bytes(self.id, frame::close(1011, "internal server error"));
        }
        let _ = self.hub.event(Event::Leave { id: self.id });
        if let Some(bits) = self.deflate {
            self.hub.deflate_windows().remove(bits);
        }
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
