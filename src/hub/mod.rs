//! The hub: one dispatcher thread that owns the client list and the rooms,
//! and does every write to every WebSocket.
//!
//! Connection threads only read. Whatever should reach a client — a
//! message to everyone, to a room or to one client, the pong or close frame
//! that tungstenite produced while reading — becomes an [`Event`] on one
//! crossbeam channel, and the hub thread ([`dispatcher`]) turns events into
//! bytes in each client's [`outbox`]. Because there is one writer per
//! socket, frames never interleave and no socket needs a lock; because the
//! hub writes without waiting, a client that stops reading only grows its
//! own backlog, and is evicted when that backlog exceeds `--max-queue`.
//!
//! The hub knows clients, rooms and targets, and no application protocol:
//! handlers (the modes, your own) build theirs on the [`Hub`] handle.

pub(crate) mod credit;
mod deflate;
mod dispatcher;
pub(crate) mod frame;
mod info;
mod outbox;
mod rooms;
mod socket;
mod target;

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use tungstenite::Message;

use crate::watched::Watched;
use credit::{Credit, Flow, Publisher};
use deflate::Deflated;
pub(crate) use deflate::WindowCounts;
pub use info::{ClientInfo, RoomInfo, ShutdownSummary, Stats};
pub(crate) use socket::Socket;
pub use target::{ClientId, Room, Target};

/// The hub is gone (the server has shut down), so nothing can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubClosed;

impl fmt::Display for HubClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the hub has shut down")
    }
}

impl std::error::Error for HubClosed {}

/// The hub's answer to [`Hub::send_with_receipt`]: how many clients the
/// message reached, once the hub has queued it.
#[derive(Debug)]
#[must_use = "a receipt tells how many clients a message reached"]
pub struct Receipt(Receiver<usize>);

impl Receipt {
    /// Waits for the hub to queue the message (never long: the hub never
    /// blocks on a socket) and returns how many clients it went to.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] if the server shut down first.
    pub fn recipients(self) -> Result<usize, HubClosed> {
        self.0.recv().map_err(|_| HubClosed)
    }
}

/// A message to the hub thread.
pub(crate) enum Event {
    /// A client finished its handshake; the 101 answer is already written.
    Join {
        id: ClientId,
        socket: Arc<dyn Socket>,
        peer: SocketAddr,
        /// The window size (bits) of its permessage-deflate agreement.
        deflate: Option<u8>,
    },
    /// The client's `on_connect` hook has run (its welcome is queued):
    /// from now on it receives messages to everyone too.
    Open { id: ClientId },
    /// A client's connection thread is ending.
    Leave { id: ClientId },
    /// Encoded frame bytes for `target`, and compressed frames for the
    /// clients that agreed on permessage-deflate; `counted` learns how many
    /// clients the bytes were queued for.
    Send {
        target: Target,
        bytes: Bytes,
        deflated: Option<Deflated>,
        counted: Option<Sender<usize>>,
        /// The sending publisher's bytes, given back once this is handled.
        credit: Option<Credit>,
    },
    /// Send a close frame to one client, then end its TCP connection.
    Close { id: ClientId, bytes: Bytes },
    /// Put a client in a room.
    JoinRoom { id: ClientId, room: Room },
    /// Take a client out of a room.
    LeaveRoom { id: ClientId, room: Room },
    /// Give a client a display name (or take it away).
    Name { id: ClientId, name: Option<String> },
    /// Report the client list.
    Clients { reply: Sender<Vec<ClientInfo>> },
    /// Report how many clients are connected.
    Count { reply: Sender<usize> },
    /// Report the rooms.
    Rooms { reply: Sender<Vec<RoomInfo>> },
    /// Close every client with 1001 after what is queued, then stop.
    Shutdown {
        timeout: Duration,
        done: Sender<ShutdownSummary>,
    },
}

/// State shared by every [`Hub`] handle and the hub thread.
#[derive(Debug, Default)]
struct Shared {
    clients_total: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_out: AtomicU64,
    evictions: AtomicU64,
    /// Connected clients per permessage-deflate window size: which
    /// compressed frames a message needs. Connection threads count their
    /// own client before it joins, so its first reply is compressed too.
    windows: WindowCounts,
    /// Clients connected now whose `on_connect` has run, published by the
    /// hub thread.
    count: Watched<usize>,
    /// Set by the hub thread when it starts closing every client, so that
    /// their connection threads log the end as the server's doing.
    shutting_down: AtomicBool,
    /// Clients the hub evicted, until their connection threads have
    /// logged it: an eviction is the server's doing, whatever the reader
    /// saw of it.
    evicted: Watched<HashSet<ClientId>>,
    /// Publisher flow control: readers behind, waiting publishers.
    flow: Arc<Flow>,
}

/// A handle to the hub: cheap to clone, usable from any thread.
///
/// Every method only queues an event for the hub thread; the ones that
/// return something wait for the hub's answer, which never takes long
/// because the hub never blocks on a socket. This is the tutorials'
/// `broadcastMessage()`, their `clients` map and Socket.IO's rooms in one:
///
/// ```
/// use wshub::{Broadcast, Config, Message, Server, Target};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::start(Config { port: 0, ..Config::default() }, Broadcast::default())?;
/// let hub = server.hub(); // Clone it into any thread.
///
/// // Fire and forget: to everyone, to all but one, to one, to a room.
/// hub.send(Target::All, Message::text("to everyone"))?;
/// hub.send(Target::Room("kitchen".into()), Message::text("dinner is ready"))?;
/// // Or learn how many clients it reached (none are connected here).
/// let reached = hub.send_counted(Target::All, Message::text("anyone?"))?;
/// assert_eq!(reached, 0);
///
/// for client in hub.clients()? {
///     hub.join(client.id, "everyone-so-far")?;
///     hub.send(Target::One(client.id), Message::text("just for you"))?;
/// }
/// assert_eq!(hub.client_count(), 0);
/// server.shutdown();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Hub {
    tx: Sender<Event>,
    shared: Arc<Shared>,
    deflate_threshold: usize,
    /// Set on the handles given to a connection's handler: what it sends
    /// counts against that connection's window ([`credit`]).
    publisher: Option<Arc<Publisher>>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub").field("stats", &self.stats()).finish()
    }
}

/// Limits the hub enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HubLimits {
    /// Bytes a client's backlog may hold behind the frame being written.
    pub max_queue: usize,
    /// Data messages of at least this many bytes are compressed for the
    /// clients that agreed on permessage-deflate.
    pub deflate_threshold: usize,
}

impl Hub {
    /// Starts the hub thread.
    pub(crate) fn start(limits: HubLimits) -> std::io::Result<(Hub, JoinHandle<()>)> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared::default());
        let hub = Hub {
            tx,
            shared: shared.clone(),
            deflate_threshold: limits.deflate_threshold,
            publisher: None,
        };
        let dispatcher = dispatcher::Dispatcher::new(rx, shared, limits);
        let thread = std::thread::Builder::new()
            .name("wshub-hub".into())
            .spawn(move || dispatcher.run())?;
        Ok((hub, thread))
    }

    /// Whether the server has begun shutting down: every client is being
    /// closed with 1001, by the server.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shared.shutting_down.load(Ordering::SeqCst)
    }

    /// Whether the hub evicted client `id` (as a slow consumer); forgets
    /// it, since each client's connection thread asks once, as it ends.
    pub(crate) fn take_eviction(&self, id: ClientId) -> bool {
        self.shared.evicted.update(|evicted| evicted.remove(&id))
    }

    /// Sends `message` to `target`, encoded once whatever the number of
    /// recipients. Returns at once; a target that is not connected (or an
    /// empty room) is silently skipped: use [`Hub::send_counted`] to learn
    /// how many clients it reached.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn send(&self, target: Target, message: Message) -> Result<(), HubClosed> {
        self.send_message(target, &message, None)
    }

    /// Like [`Hub::send`], then waits until the hub has written the message
    /// to every recipient or queued it in their backlogs, and returns how
    /// many recipients there were.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn send_counted(&self, target: Target, message: Message) -> Result<usize, HubClosed> {
        self.send_with_receipt(target, message)?.recipients()
    }

    /// Like [`Hub::send`], returning a [`Receipt`] to learn later how many
    /// clients the message reached. Handlers that keep state of their own
    /// send under their lock and wait after releasing it, so that their
    /// messages reach the hub in the order of their state changes without
    /// holding the lock for the hub's answer.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn send_with_receipt(
        &self,
        target: Target,
        message: Message,
    ) -> Result<Receipt, HubClosed> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.send_message(target, &message, Some(reply))?;
        Ok(Receipt(answer))
    }

    /// Puts client `id` in `room`, creating the room. Messages to the room
    /// sent after this call reach the client; joining twice changes
    /// nothing. Clients leave their rooms by themselves when they
    /// disconnect, however that happens.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn join(&self, id: ClientId, room: impl Into<Room>) -> Result<(), HubClosed> {
        let room = room.into();
        self.event(Event::JoinRoom { id, room })
    }

    /// Takes client `id` out of `room`; messages to the room sent after
    /// this call no longer reach it. The room disappears with its last
    /// member.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn leave(&self, id: ClientId, room: impl Into<Room>) -> Result<(), HubClosed> {
        let room = room.into();
        self.event(Event::LeaveRoom { id, room })
    }

    /// Gives client `id` a display name, shown by [`Hub::clients`] (and
    /// `GET /clients`); `None` takes it away. The hub does not check names:
    /// that is the handler's business (chat mode keeps them unique).
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn set_name(&self, id: ClientId, name: Option<String>) -> Result<(), HubClosed> {
        self.event(Event::Name { id, name })
    }

    /// Closes one client's connection with a close frame carrying `code`
    /// and `reason`, after everything already queued for it.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn close(&self, id: ClientId, code: u16, reason: &str) -> Result<(), HubClosed> {
        self.event(Event::Close {
            id,
            bytes: frame::close(code, reason),
        })
    }

    /// The clients connected now, in id order.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn clients(&self) -> Result<Vec<ClientInfo>, HubClosed> {
        let mut clients = self.ask(|reply| Event::Clients { reply })?;
        clients.sort_by_key(|c| c.id);
        Ok(clients)
    }

    /// The rooms that have members now, in name order.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn rooms(&self) -> Result<Vec<RoomInfo>, HubClosed> {
        self.ask(|reply| Event::Rooms { reply })
    }

    /// Asks the hub thread how many clients are connected. Unlike
    /// [`Hub::client_count`], which reads the figure the hub last
    /// published, this counts every client whose connection thread joined
    /// the hub before this call: from a handler's `on_connect`, the client
    /// itself included.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn connected(&self) -> Result<usize, HubClosed> {
        self.ask(|reply| Event::Count { reply })
    }

    /// The number of clients connected now whose `on_connect` has run
    /// (those that messages to everyone reach), as the hub last published
    /// it.
    pub fn client_count(&self) -> usize {
        *self.shared.count.lock()
    }

    /// Waits until `pred(client count)` holds or `timeout` passes; returns
    /// whether it held. Tests and tools use this instead of sleeping.
    pub fn wait_for_count(&self, timeout: Duration, pred: impl Fn(usize) -> bool) -> bool {
        self.shared.count.wait_until(timeout, |&n| pred(n))
    }

    /// The hub's counters.
    pub fn stats(&self) -> Stats {
        let s = &self.shared;
        Stats {
            clients: self.client_count() as u64,
            clients_total: s.clients_total.load(Ordering::Relaxed),
            messages_in: s.messages_in.load(Ordering::Relaxed),
            messages_out: s.messages_out.load(Ordering::Relaxed),
            bytes_out: s.bytes_out.load(Ordering::Relaxed),
            evictions: s.evictions.load(Ordering::Relaxed),
            publishers_paused: s.flow.paused(),
        }
    }

    /// Clients per permessage-deflate window size, which each connection
    /// thread keeps up to date for its own client.
    pub(crate) fn deflate_windows(&self) -> &WindowCounts {
        &self.shared.windows
    }

    /// A handle whose sends count against a new publisher's window, and
    /// that publisher: its connection thread calls
    /// [`Publisher::wait_for_turn`] before reading the next message.
    pub(crate) fn for_publisher(&self) -> (Hub, Arc<Publisher>) {
        let publisher = Publisher::new(self.shared.flow.clone());
        let hub = Hub {
            publisher: Some(publisher.clone()),
            ..self.clone()
        };
        (hub, publisher)
    }

    /// Counts a data message received from a client.
    pub(crate) fn count_message_in(&self) {
        self.shared.messages_in.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues raw frame bytes for one client (the connection thread uses
    /// this for tungstenite's pong and close replies).
    pub(crate) fn send_bytes(&self, id: ClientId, bytes: Bytes) -> Result<(), HubClosed> {
        self.send_frame(Target::One(id), bytes, None)
    }

    fn send_frame(
        &self,
        target: Target,
        bytes: Bytes,
        counted: Option<Sender<usize>>,
    ) -> Result<(), HubClosed> {
        let credit = self.publisher.as_ref().map(|p| p.credit(bytes.len()));
        self.event(Event::Send {
            target,
            bytes,
            deflated: None,
            counted,
            credit,
        })
    }

    /// Encodes `message` once, and compresses it here on the sending
    /// thread (never on the hub's) once per window size that connected
    /// clients agreed on.
    fn send_message(
        &self,
        target: Target,
        message: &Message,
        counted: Option<Sender<usize>>,
    ) -> Result<(), HubClosed> {
        let threshold = self.deflate_threshold;
        let bytes = frame::from_message(message);
        let credit = self.publisher.as_ref().map(|p| p.credit(bytes.len()));
        self.event(Event::Send {
            target,
            bytes,
            deflated: Deflated::build(message, &self.shared.windows, threshold),
            counted,
            credit,
        })
    }

    /// Sends the event that `make` builds around a reply channel, and waits
    /// for the hub's answer.
    fn ask<T>(&self, make: impl FnOnce(Sender<T>) -> Event) -> Result<T, HubClosed> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.event(make(reply))?;
        answer.recv().map_err(|_| HubClosed)
    }

    pub(crate) fn event(&self, event: Event) -> Result<(), HubClosed> {
        self.tx.send(event).map_err(|_| HubClosed)
    }
}
