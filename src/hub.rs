//! The hub: one dispatcher thread that owns the client list and does every
//! write to every WebSocket.
//!
//! Connection threads only read. Whatever should reach a client — a
//! broadcast, a reply, the pong or close frame that tungstenite produced
//! while reading — becomes an [`Event`] on one crossbeam channel, and the hub
//! thread turns events into bytes in each client's [`Outbox`]. Because there
//! is one writer per socket, frames never interleave and no socket needs a
//! lock; because the hub writes with `MSG_DONTWAIT`, a client that stops
//! reading only grows its own backlog, and is evicted when that backlog
//! exceeds `--max-queue`.
//!
//! Each turn of the loop drains every event already waiting, builds the
//! bytes due to each client, and then gives each client all of them in one
//! vectored send. Consecutive broadcasts to everyone are merged into one
//! buffer first, so a burst of small messages costs each client one
//! reference-counted buffer and one system call.
//!
//! In chat mode the hub also keeps every client's name and rooms
//! ([`Rooms`]), so that room messages, joins and renames happen in one
//! order without a lock shared with connection threads.

use std::collections::HashMap;
use std::fmt;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use log::{debug, info, warn};
use tungstenite::Message;

use crate::frame;
use crate::outbox::Outbox;
use crate::protocol::{ChatError, Command};
use crate::rooms::{Post, Rooms};

/// How often the hub retries clients that have a backlog. With no backlog
/// anywhere it sleeps until the next event and costs no CPU.
const RETRY_TICK: Duration = Duration::from_millis(2);
/// At most this many events are handled before the hub writes what they
/// produced, so that a flood of events cannot delay every write.
const MAX_BATCH: usize = 4096;
/// Broadcast runs are cut at this size, and larger frames skip the run.
const MAX_RUN: usize = 64 * 1024;

/// A connection's id: unique for the life of the server, never reused.
/// In JSON it is a plain number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ClientId(pub u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every open client.
    All,
    /// Every open client but one (usually the sender).
    AllExcept(ClientId),
    /// One client.
    One(ClientId),
}

/// A connected client, as [`Hub::clients`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's id.
    pub id: ClientId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// When the WebSocket handshake completed.
    pub connected_at: SystemTime,
}

/// Counters kept by the hub, as [`Hub::stats`] reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Clients connected now.
    pub clients: u64,
    /// Clients that ever connected.
    pub clients_total: u64,
    /// Data messages received from clients.
    pub messages_in: u64,
    /// Data messages queued to clients (one per recipient).
    pub messages_out: u64,
    /// Bytes the kernel accepted for sending.
    pub bytes_out: u64,
    /// Clients closed because their backlog exceeded `--max-queue`.
    pub evictions: u64,
}

/// The hub is gone (the server has shut down), so nothing can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubClosed;

impl fmt::Display for HubClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the hub has shut down")
    }
}

impl std::error::Error for HubClosed {}

/// What happened to the clients when the hub shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutdownSummary {
    /// Clients that were sent everything queued for them and their close frame.
    pub drained: usize,
    /// Clients still holding a backlog when the shutdown timeout ran out.
    pub cut_off: usize,
}

impl ShutdownSummary {
    fn count(&mut self, client: &Entry) {
        if client.outbox.is_empty() {
            self.drained += 1;
        } else {
            self.cut_off += 1;
        }
    }
}

/// A message to the hub thread.
pub(crate) enum Event {
    /// A client finished its handshake; the 101 answer is already written.
    Join {
        id: ClientId,
        stream: Arc<TcpStream>,
        peer: SocketAddr,
    },
    /// The client's `on_connect` hook has run (its welcome is queued):
    /// from now on it receives broadcasts too.
    Open { id: ClientId },
    /// A client's connection thread is ending.
    Leave { id: ClientId },
    /// Encoded frame bytes for `target`; `counted` learns how many clients
    /// the bytes were queued for.
    Send {
        target: Target,
        bytes: Bytes,
        counted: Option<Sender<usize>>,
    },
    /// Send a close frame to one client, then end its TCP connection.
    Close { id: ClientId, bytes: Bytes },
    /// Report the client list.
    Clients { reply: Sender<Vec<ClientInfo>> },
    /// Chat mode: welcome a client and put it in the lobby.
    ChatEnter {
        id: ClientId,
        login_name: Option<String>,
    },
    /// Chat mode: carry out a client's command; `done` learns how many
    /// clients the message went to, or why it was refused.
    Chat {
        id: ClientId,
        command: Command,
        done: Sender<Result<usize, ChatError>>,
    },
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
    /// Clients connected now; a condvar lets callers wait for a count.
    count: Mutex<usize>,
    count_changed: Condvar,
}

/// A handle to the hub: cheap to clone, usable from any thread.
///
/// Every method only queues an event for the hub thread; the ones that
/// return something wait for the hub's answer, which never takes long
/// because the hub never blocks on a socket. This is the tutorials'
/// `broadcastMessage()` and their `clients` map in one:
///
/// ```
/// use wshub::{Config, Message, Server, Target};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::bind(Config { port: 0, ..Config::default() })?;
/// let hub = server.hub(); // Clone it into any thread.
///
/// // Fire and forget: to everyone, to all but one, to one.
/// hub.send(Target::All, Message::text("to everyone"))?;
/// // Or learn how many clients it reached (none are connected here).
/// let reached = hub.send_counted(Target::All, Message::text("anyone?"))?;
/// assert_eq!(reached, 0);
///
/// for client in hub.clients()? {
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
}

impl Hub {
    /// Starts the hub thread.
    pub(crate) fn start(limits: HubLimits) -> std::io::Result<(Hub, JoinHandle<()>)> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared::default());
        let hub = Hub {
            tx,
            shared: shared.clone(),
        };
        let dispatcher = Dispatcher::new(rx, shared, limits);
        let thread = std::thread::Builder::new()
            .name("wshub-hub".into())
            .spawn(move || dispatcher.run())?;
        Ok((hub, thread))
    }

    /// Sends `message` to `target`, encoded once whatever the number of
    /// recipients. Returns at once; a target that is not connected is
    /// silently skipped (use [`Hub::send_counted`] to learn how many clients
    /// it reached).
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn send(&self, target: Target, message: Message) -> Result<(), HubClosed> {
        let bytes = frame::from_message(&message);
        self.event(Event::Send {
            target,
            bytes,
            counted: None,
        })
    }

    /// Like [`Hub::send`], then waits until the hub has written the message
    /// to every recipient or queued it in their backlogs, and returns how
    /// many recipients there were.
    ///
    /// # Errors
    ///
    /// [`HubClosed`] once the server has shut down.
    pub fn send_counted(&self, target: Target, message: Message) -> Result<usize, HubClosed> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        let bytes = frame::from_message(&message);
        self.event(Event::Send {
            target,
            bytes,
            counted: Some(reply),
        })?;
        answer.recv().map_err(|_| HubClosed)
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
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.event(Event::Clients { reply })?;
        let mut clients = answer.recv().map_err(|_| HubClosed)?;
        clients.sort_by_key(|c| c.id);
        Ok(clients)
    }

    /// Chat mode: the hub sends `id` its `welcome` and puts it in the
    /// lobby, named `login_name` when its login (a JWT) names it. Call it
    /// once, on connect, before any [`Hub::chat`].
    pub(crate) fn chat_enter(
        &self,
        id: ClientId,
        login_name: Option<String>,
    ) -> Result<(), HubClosed> {
        self.event(Event::ChatEnter { id, login_name })
    }

    /// Chat mode: carries out `command` for client `id` in the hub thread,
    /// where rooms and names live, and waits for the outcome: how many
    /// clients the message was written to or queued for, or why the command
    /// was refused.
    pub(crate) fn chat(
        &self,
        id: ClientId,
        command: Command,
    ) -> Result<Result<usize, ChatError>, HubClosed> {
        let (done, outcome) = crossbeam_channel::bounded(1);
        self.event(Event::Chat { id, command, done })?;
        outcome.recv().map_err(|_| HubClosed)
    }

    /// The number of clients connected now.
    pub fn client_count(&self) -> usize {
        *lock(&self.shared.count)
    }

    /// Waits until `pred(client count)` holds or `timeout` passes; returns
    /// whether it held. Tests and tools use this instead of sleeping.
    pub fn wait_for_count(&self, timeout: Duration, pred: impl Fn(usize) -> bool) -> bool {
        let guard = lock(&self.shared.count);
        let (guard, _) = self
            .shared
            .count_changed
            .wait_timeout_while(guard, timeout, |n| !pred(*n))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pred(*guard)
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
        }
    }

    /// Counts a data message received from a client.
    pub(crate) fn count_message_in(&self) {
        self.shared.messages_in.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues raw frame bytes for one client (the connection thread uses
    /// this for tungstenite's pong and close replies).
    pub(crate) fn send_bytes(&self, id: ClientId, bytes: Bytes) -> Result<(), HubClosed> {
        self.event(Event::Send {
            target: Target::One(id),
            bytes,
            counted: None,
        })
    }

    pub(crate) fn event(&self, event: Event) -> Result<(), HubClosed> {
        self.tx.send(event).map_err(|_| HubClosed)
    }
}

/// Locks a mutex, carrying on if a panicking thread poisoned it: the data
/// behind our mutexes (counts) is valid whatever the panic interrupted.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A client as the hub thread sees it.
struct Entry {
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    connected_at: SystemTime,
    outbox: Outbox,
    /// A close frame is queued: nothing more may follow it.
    closing: bool,
    /// Receives broadcasts: set once its `on_connect` hook has run, so that
    /// a broadcast can never arrive before the welcome.
    open: bool,
    /// End the TCP connection once the outbox is written (server-initiated close).
    hang_up_when_sent: bool,
    /// Already in the list of clients to write this turn.
    dirty: bool,
}

impl Entry {
    /// Queues bytes unless a close frame went before them; returns whether
    /// they were queued.
    fn queue(&mut self, bytes: Bytes) -> bool {
        if self.closing {
            return false;
        }
        self.closing = frame::is_close(&bytes);
        self.outbox.push(bytes);
        true
    }
}

/// The state the hub thread owns.
struct Dispatcher {
    rx: Receiver<Event>,
    shared: Arc<Shared>,
    limits: HubLimits,
    clients: HashMap<ClientId, Entry>,
    /// Chat mode's names and rooms (empty in other modes).
    rooms: Rooms,
    /// Clients with something new to write this turn (unless `all_dirty`).
    dirty: Vec<ClientId>,
    all_dirty: bool,
    /// Consecutive broadcasts to everyone, merged into one buffer.
    run: BytesMut,
    /// Open clients when the run started: what every message in it reaches.
    run_recipients: usize,
    shutting_down: Option<ShuttingDown>,
}

/// A shutdown in progress.
struct ShuttingDown {
    deadline: Instant,
    summary: ShutdownSummary,
    done: Sender<ShutdownSummary>,
}

impl Dispatcher {
    fn new(rx: Receiver<Event>, shared: Arc<Shared>, limits: HubLimits) -> Self {
        Dispatcher {
            rx,
            shared,
            limits,
            clients: HashMap::new(),
            rooms: Rooms::default(),
            dirty: Vec::new(),
            all_dirty: false,
            run: BytesMut::new(),
            run_recipients: 0,
            shutting_down: None,
        }
    }

    fn run(mut self) {
        loop {
            let waiting =
                self.shutting_down.is_some() || self.clients.values().any(|c| !c.outbox.is_empty());
            let first = if waiting {
                match self.rx.recv_timeout(RETRY_TICK) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match self.rx.recv() {
                    Ok(event) => Some(event),
                    Err(_) => break, // Every handle is gone: nobody can send.
                }
            };
            if let Some(event) = first {
                self.handle(event);
                for _ in 1..MAX_BATCH {
                    let Ok(event) = self.rx.try_recv() else { break };
                    self.handle(event);
                }
            }
            self.push_run();
            if waiting {
                self.all_dirty = true; // Retry every backlog on each tick.
            }
            self.write_dirty();
            if self.shutdown_finished() {
                break;
            }
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Send {
                target: Target::All,
                bytes,
                counted,
            } if bytes.len() <= MAX_RUN => {
                if self.run.len() + bytes.len() > MAX_RUN {
                    self.push_run();
                }
                if self.run.is_empty() {
                    // Who is open cannot change inside a run (every other
                    // event pushes the run first), so walk the clients once
                    // per run, not once per message.
                    self.run_recipients = self
                        .clients
                        .values()
                        .filter(|c| c.open && !c.closing)
                        .count();
                }
                self.run.extend_from_slice(&bytes);
                let recipients = self.run_recipients;
                self.count_out(bytes.len(), recipients, self.clients.len());
                if let Some(counted) = counted {
                    let _ = counted.send(recipients);
                }
            }
            Event::Send {
                target,
                bytes,
                counted,
            } => {
                self.push_run();
                let recipients = self.send(target, bytes);
                if let Some(counted) = counted {
                    let _ = counted.send(recipients);
                }
            }
            Event::Join { id, stream, peer } => {
                self.push_run();
                self.join(id, stream, peer);
            }
            Event::Open { id } => {
                self.push_run();
                if let Some(client) = self.clients.get_mut(&id) {
                    client.open = true;
                }
            }
            Event::Leave { id } => {
                self.push_run();
                self.leave(id);
            }
            Event::Close { id, bytes } => {
                self.push_run();
                if let Some(client) = self.clients.get_mut(&id) {
                    client.queue(bytes);
                    client.hang_up_when_sent = true;
                    mark_dirty(&mut self.dirty, id, client);
                }
            }
            Event::Clients { reply } => {
                let list = self
                    .clients
                    .iter()
                    .map(|(&id, c)| ClientInfo {
                        id,
                        peer: c.peer,
                        connected_at: c.connected_at,
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Event::ChatEnter { id, login_name } => {
                // Not if it was dropped before its handler got this far.
                if self.clients.contains_key(&id) {
                    let clients = self.clients.len();
                    self.with_rooms(|rooms, post| rooms.enter(id, login_name, clients, post));
                }
            }
            Event::Chat { id, command, done } => {
                let outcome = self.with_rooms(|rooms, post| rooms.command(id, command, post));
                let _ = done.send(outcome);
            }
            Event::Shutdown { timeout, done } => {
                self.push_run();
                info!("shutting down: closing {} clients", self.clients.len());
                for (&id, client) in &mut self.clients {
                    client.queue(frame::close(1001, "server shutting down"));
                    client.hang_up_when_sent = true;
                    mark_dirty(&mut self.dirty, id, client);
                }
                self.shutting_down = Some(ShuttingDown {
                    deadline: Instant::now() + timeout,
                    summary: ShutdownSummary::default(),
                    done,
                });
            }
        }
    }

    fn join(&mut self, id: ClientId, stream: Arc<TcpStream>, peer: SocketAddr) {
        let mut client = Entry {
            stream,
            peer,
            connected_at: SystemTime::now(),
            outbox: Outbox::default(),
            closing: false,
            hang_up_when_sent: false,
            open: false,
            dirty: false,
        };
        if self.shutting_down.is_some() {
            client.queue(frame::close(1001, "server shutting down"));
            client.hang_up_when_sent = true;
            mark_dirty(&mut self.dirty, id, &mut client);
        }
        self.clients.insert(id, client);
        self.shared.clients_total.fetch_add(1, Ordering::Relaxed);
        self.publish_count();
    }

    /// The client's reader has ended: write what we still can (a close
    /// reply, typically) and let the socket close.
    fn leave(&mut self, id: ClientId) {
        if let Some(mut client) = self.clients.remove(&id) {
            if let Ok(n) = client.outbox.write_to(&client.stream) {
                self.shared.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
            }
            if let Some(shutdown) = &mut self.shutting_down {
                shutdown.summary.count(&client);
            }
            self.publish_count();
            self.with_rooms(|rooms, post| rooms.exit(id, post));
        }
    }

    /// Queues `bytes` for `target` and returns how many clients took them.
    fn send(&mut self, target: Target, bytes: Bytes) -> usize {
        let mut recipients = 0;
        let data = !frame::is_control(&bytes);
        match target {
            Target::One(id) => {
                recipients = usize::from(queue_for(&mut self.clients, &mut self.dirty, id, &bytes));
            }
            Target::All | Target::AllExcept(_) => {
                let except = match target {
                    Target::AllExcept(id) => Some(id),
                    _ => None,
                };
                for (&id, client) in &mut self.clients {
                    if client.open && Some(id) != except && client.queue(bytes.clone()) {
                        recipients += 1;
                        mark_dirty(&mut self.dirty, id, client);
                    }
                }
            }
        }
        if data {
            self.count_out(bytes.len(), recipients, self.clients.len());
        }
        recipients
    }

    /// Counts and logs one data message queued for `recipients` clients.
    fn count_out(&self, len: usize, recipients: usize, of: usize) {
        self.shared
            .messages_out
            .fetch_add(recipients as u64, Ordering::Relaxed);
        debug!("broadcast {len} bytes to {recipients} of {of} clients");
    }

    /// Runs a [`Rooms`] operation with `post`, which queues bytes for one
    /// client (saying whether it took them), and counts what was queued.
    fn with_rooms<R>(&mut self, op: impl FnOnce(&mut Rooms, &mut Post<'_>) -> R) -> R {
        self.push_run(); // Earlier broadcasts go first.
        let (clients, dirty) = (&mut self.clients, &mut self.dirty);
        let mut queued = 0;
        let mut post = |id, bytes: &Bytes| {
            let took = queue_for(clients, dirty, id, bytes);
            queued += u64::from(took);
            took
        };
        let result = op(&mut self.rooms, &mut post);
        self.shared
            .messages_out
            .fetch_add(queued, Ordering::Relaxed);
        result
    }

    /// Hands the merged run of broadcasts to every open client.
    fn push_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let run = self.run.split().freeze();
        for client in self.clients.values_mut().filter(|c| c.open) {
            client.queue(run.clone());
        }
        self.all_dirty = true;
    }

    /// Writes every client with something new, then applies the limits.
    fn write_dirty(&mut self) {
        let ids: Vec<ClientId> = if self.all_dirty {
            for client in self.clients.values_mut() {
                client.dirty = false;
            }
            self.dirty.clear();
            self.clients.keys().copied().collect()
        } else {
            std::mem::take(&mut self.dirty)
        };
        self.all_dirty = false;
        for id in ids {
            self.write_client(id);
        }
    }

    fn write_client(&mut self, id: ClientId) {
        let Some(client) = self.clients.get_mut(&id) else {
            return;
        };
        client.dirty = false;
        match client.outbox.write_to(&client.stream) {
            Ok(n) => {
                self.shared.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(err) => {
                debug!("client {id}: write failed ({err}); dropping it");
                self.drop_client(id);
                return;
            }
        }
        if client.outbox.waiting_bytes() > self.limits.max_queue {
            self.evict(id);
        } else if client.hang_up_when_sent && client.outbox.is_empty() {
            // Our close frame is out: send FIN. The reader sees the peer's
            // close reply or EOF, and leaves.
            let _ = client.stream.shutdown(Shutdown::Write);
            client.hang_up_when_sent = false;
        }
    }

    /// Closes a client whose backlog overflowed: 1008 "slow consumer" (best
    /// effort: its buffer is full), then the TCP connection is shut down.
    fn evict(&mut self, id: ClientId) {
        let Some(mut client) = self.clients.remove(&id) else {
            return;
        };
        warn!(
            "client {id} ({}) evicted: slow consumer, {} bytes waiting (max-queue {})",
            client.peer,
            client.outbox.waiting_bytes(),
            self.limits.max_queue
        );
        self.shared.evictions.fetch_add(1, Ordering::Relaxed);
        client.outbox.discard_unstarted();
        client.closing = false;
        client.queue(frame::close(1008, "slow consumer"));
        let _ = client.outbox.write_to(&client.stream);
        let _ = client.stream.shutdown(Shutdown::Both);
        self.publish_count();
        self.with_rooms(|rooms, post| rooms.exit(id, post));
    }

    /// Forgets a client whose socket failed, waking its reader.
    fn drop_client(&mut self, id: ClientId) {
        if let Some(client) = self.clients.remove(&id) {
            let _ = client.stream.shutdown(Shutdown::Both);
            self.publish_count();
            self.with_rooms(|rooms, post| rooms.exit(id, post));
        }
    }

    /// During shutdown: true once every client has been sent everything
    /// queued for it and its close frame, or the timeout has passed; then
    /// every socket is shut down (waking its reader) and the summary is sent.
    fn shutdown_finished(&mut self) -> bool {
        let Some(shutdown) = &mut self.shutting_down else {
            return false;
        };
        let all_sent = self
            .clients
            .values()
            .all(|c| c.outbox.is_empty() && !c.hang_up_when_sent);
        if !all_sent && Instant::now() < shutdown.deadline {
            return false;
        }
        for (_, client) in self.clients.drain() {
            shutdown.summary.count(&client);
            let _ = client.stream.shutdown(Shutdown::Both);
        }
        let _ = shutdown.done.send(shutdown.summary);
        self.shutting_down = None;
        self.publish_count();
        true
    }

    fn publish_count(&self) {
        *lock(&self.shared.count) = self.clients.len();
        self.shared.count_changed.notify_all();
    }
}

/// Queues `bytes` for client `id`; false if it is gone or closing.
fn queue_for(
    clients: &mut HashMap<ClientId, Entry>,
    dirty: &mut Vec<ClientId>,
    id: ClientId,
    bytes: &Bytes,
) -> bool {
    let Some(client) = clients.get_mut(&id) else {
        return false;
    };
    let took = client.queue(bytes.clone());
    if took {
        mark_dirty(dirty, id, client);
    }
    took
}

fn mark_dirty(dirty: &mut Vec<ClientId>, id: ClientId, client: &mut Entry) {
    if !client.dirty {
        client.dirty = true;
        dirty.push(id);
    }
}
