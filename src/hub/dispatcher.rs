//! The hub thread's loop: events in, bytes out, never waiting for a socket.
//!
//! Each turn drains every event already waiting, builds the bytes due to
//! each client, and then gives each client all of them in one vectored
//! send. Consecutive messages to the same target — everyone, or one room —
//! are merged into one buffer first (a *run*), so a burst of small messages
//! costs each client one reference-counted buffer and one system call.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use log::{debug, info, warn};

use super::credit;
use super::deflate::Deflated;
use super::frame;
use super::info::{ClientInfo, ShutdownSummary};
use super::outbox::Outbox;
use super::rooms::Rooms;
use super::socket::Socket;
use super::target::{ClientId, Room, Target};
use super::{Event, HubLimits, Shared};
use crate::plural::plural;

/// How often the hub retries clients that have a backlog. With no backlog
/// anywhere it sleeps until the next event and costs no CPU.
const RETRY_TICK: Duration = Duration::from_millis(2);
/// At most this many events are handled before the hub writes what they
/// produced, so that a flood of events cannot delay every write.
const MAX_BATCH: usize = 4096;
/// Runs are cut at this size, and larger frames skip the run.
const MAX_RUN: usize = 64 * 1024;

/// A client as the hub thread sees it.
struct Entry {
    socket: Arc<dyn Socket>,
    peer: SocketAddr,
    connected_at: SystemTime,
    name: Option<String>,
    outbox: Outbox,
    /// A close frame is queued: nothing more may follow it.
    closing: bool,
    /// Receives messages to everyone: set once its `on_connect` hook has
    /// run, so that such a message can never arrive before the welcome.
    open: bool,
    /// End the TCP connection once the outbox is written (server-initiated close).
    hang_up_when_sent: bool,
    /// Already in the list of clients to write this turn.
    dirty: bool,
    /// The window size of its permessage-deflate agreement, if any.
    deflate: Option<u8>,
    /// Since when its backlog has been above the flow-control mark
    /// ([`Dispatcher::readers_behind`]).
    behind_since: Option<Instant>,
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

/// Who a run of merged messages goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RunTarget {
    All,
    Room(Room),
}

/// Consecutive messages to one target, merged into one buffer.
struct Run {
    target: RunTarget,
    bytes: BytesMut,
    /// Clients the run reaches, counted when it started: who is open and
    /// who is in a room cannot change inside a run, because every other
    /// event pushes the run first.
    recipients: usize,
}

/// A shutdown in progress.
struct ShuttingDown {
    deadline: Instant,
    summary: ShutdownSummary,
    done: Sender<ShutdownSummary>,
}

/// The state the hub thread owns. Dropping it (the hub thread ends) lets
/// every waiting publisher go.
pub(super) struct Dispatcher {
    rx: Receiver<Event>,
    shared: Arc<Shared>,
    limits: HubLimits,
    clients: HashMap<ClientId, Entry>,
    rooms: Rooms,
    /// Clients with something new to write this turn (unless `all_dirty`).
    dirty: Vec<ClientId>,
    all_dirty: bool,
    run: Run,
    shutting_down: Option<ShuttingDown>,
    /// Clients whose `on_connect` has run: the published client count.
    open_clients: usize,
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.shared.flow.close();
    }
}

impl Dispatcher {
    pub(super) fn new(rx: Receiver<Event>, shared: Arc<Shared>, limits: HubLimits) -> Self {
        Dispatcher {
            rx,
            shared,
            limits,
            clients: HashMap::new(),
            rooms: Rooms::default(),
            dirty: Vec::new(),
            all_dirty: false,
            run: Run {
                target: RunTarget::All,
                bytes: BytesMut::new(),
                recipients: 0,
            },
            shutting_down: None,
            open_clients: 0,
        }
    }

    /// The hub thread: turns until shut down, or until every [`crate::Hub`]
    /// handle is gone.
    pub(super) fn run(mut self) {
        loop {
            let first = if self.has_backlog() {
                match self.rx.recv_timeout(RETRY_TICK) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match self.rx.recv() {
                    Ok(event) => Some(event),
                    Err(_) => return, // Every handle is gone: nobody can send.
                }
            };
            if self.turn(first) {
                return;
            }
        }
    }

    /// One turn: handles `first` and every event already waiting (up to
    /// [`MAX_BATCH`]), writes what they produced, retrying every backlog,
    /// and returns true once a shutdown has finished.
    fn turn(&mut self, first: Option<Event>) -> bool {
        let retry = self.has_backlog();
        if let Some(event) = first {
            self.handle(event);
        }
        for _ in 1..MAX_BATCH {
            let Ok(event) = self.rx.try_recv() else { break };
            self.handle(event);
        }
        self.push_run();
        if retry {
            self.all_dirty = true;
        }
        self.write_dirty();
        let behind = self.readers_behind();
        self.shared.flow.set_readers_behind(behind);
        self.shutdown_finished()
    }

    /// Whether publishers should wait: some reader's backlog is above a
    /// quarter of `--max-queue`, and has not been for longer than
    /// [`credit::STALL`] (a reader that long behind is stalled, not slow:
    /// it is left to `--max-queue`, and publishers go on).
    fn readers_behind(&mut self) -> bool {
        let mark = self.limits.max_queue / 4;
        let mut now = None;
        let mut behind = false;
        for client in self.clients.values_mut() {
            if client.outbox.waiting_bytes() <= mark {
                client.behind_since = None;
                continue;
            }
            let now = *now.get_or_insert_with(Instant::now);
            let since = *client.behind_since.get_or_insert(now);
            behind |= now.duration_since(since) < credit::STALL;
        }
        behind
    }

    /// True while some client has bytes the kernel did not take, or a
    /// shutdown is waiting for them: the hub then wakes on a tick.
    fn has_backlog(&self) -> bool {
        self.shutting_down.is_some() || self.clients.values().any(|c| !c.outbox.is_empty())
    }

    fn handle(&mut self, event: Event) {
        match event {
            // A publisher's credit (`_credit`) is given back at the end of
            // the arm, once its bytes are in the run or the outboxes.
            Event::Send {
                target: target @ (Target::All | Target::Room(_)),
                bytes,
                deflated: None,
                counted,
                credit: _credit,
            } if bytes.len() <= MAX_RUN => {
                let target = match target {
                    Target::Room(room) => RunTarget::Room(room),
                    _ => RunTarget::All,
                };
                let recipients = self.add_to_run(target, &bytes);
                if let Some(counted) = counted {
                    let _ = counted.send(recipients);
                }
            }
            Event::Send {
                target,
                bytes,
                deflated,
                counted,
                credit: _credit,
            } => {
                // Compressed messages skip runs: clients get different bytes.
                self.push_run();
                let recipients = self.send(&target, bytes, deflated.as_ref());
                if let Some(counted) = counted {
                    let _ = counted.send(recipients);
                }
            }
            Event::Join {
                id,
                socket,
                peer,
                deflate,
            } => {
                self.push_run();
                self.join(id, socket, peer, deflate);
            }
            Event::Open { id } => {
                self.push_run();
                if let Some(client) = self.clients.get_mut(&id) {
                    if !client.open {
                        client.open = true;
                        self.open_clients += 1;
                        self.publish_count();
                    }
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
            Event::JoinRoom { id, room } => {
                self.push_run();
                // Not if it left before its handler got this far.
                if self.clients.contains_key(&id) && self.rooms.join(id, room.clone()) {
                    debug!("client {id} joined room {room:?}");
                }
            }
            Event::LeaveRoom { id, room } => {
                self.push_run();
                if self.rooms.leave(id, &room) {
                    debug!("client {id} left room {room:?}");
                }
            }
            Event::Name { id, name } => {
                if let Some(client) = self.clients.get_mut(&id) {
                    client.name = name;
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
                        name: c.name.clone(),
                        rooms: self.rooms.rooms_of(id).to_vec(),
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Event::Count { reply } => {
                let _ = reply.send(self.clients.len());
            }
            Event::Rooms { reply } => {
                let _ = reply.send(self.rooms.list());
            }
            Event::Shutdown { timeout, done } => {
                self.push_run();
                info!(
                    "shutting down: closing {}",
                    plural(self.clients.len(), "client")
                );
                self.shared.shutting_down.store(true, Ordering::SeqCst);
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

    /// Appends `bytes` to the run for `target` (starting a new run if the
    /// current one goes elsewhere or is full); returns the recipients.
    fn add_to_run(&mut self, target: RunTarget, bytes: &Bytes) -> usize {
        if self.run.target != target || self.run.bytes.len() + bytes.len() > MAX_RUN {
            self.push_run();
        }
        if self.run.bytes.is_empty() {
            // Walk the clients once per run, not once per message.
            self.run.recipients = match &target {
                RunTarget::All => self
                    .clients
                    .values()
                    .filter(|c| c.open && !c.closing)
                    .count(),
                RunTarget::Room(room) => self
                    .rooms
                    .members(room)
                    .filter(|id| self.clients.get(id).is_some_and(|c| !c.closing))
                    .count(),
            };
            self.run.target = target;
        }
        self.run.bytes.extend_from_slice(bytes);
        let recipients = self.run.recipients;
        self.count_out(bytes.len(), recipients, &self.run.target);
        recipients
    }

    /// Hands the merged run to every client it goes to.
    fn push_run(&mut self) {
        if self.run.bytes.is_empty() {
            return;
        }
        let run = self.run.bytes.split().freeze();
        match &self.run.target {
            RunTarget::All => {
                for client in self.clients.values_mut().filter(|c| c.open) {
                    client.queue(run.clone());
                }
                self.all_dirty = true;
            }
            RunTarget::Room(room) => {
                for id in self.rooms.members(room) {
                    queue_for(&mut self.clients, &mut self.dirty, id, &run, None);
                }
            }
        }
    }

    fn join(
        &mut self,
        id: ClientId,
        socket: Arc<dyn Socket>,
        peer: SocketAddr,
        deflate: Option<u8>,
    ) {
        let mut client = Entry {
            socket,
            peer,
            connected_at: SystemTime::now(),
            name: None,
            outbox: Outbox::default(),
            closing: false,
            hang_up_when_sent: false,
            open: false,
            dirty: false,
            deflate,
            behind_since: None,
        };
        if self.shutting_down.is_some() {
            client.queue(frame::close(1001, "server shutting down"));
            client.hang_up_when_sent = true;
            mark_dirty(&mut self.dirty, id, &mut client);
        }
        self.clients.insert(id, client);
        self.shared.clients_total.fetch_add(1, Ordering::Relaxed);
    }

    /// The client's reader has ended: write what we still can (a close
    /// reply, typically) and let the socket close.
    fn leave(&mut self, id: ClientId) {
        if let Some(mut client) = self.remove(id) {
            if let Ok(n) = client.outbox.write_to(&*client.socket) {
                self.shared.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
            }
            if let Some(shutdown) = &mut self.shutting_down {
                count_drained(&mut shutdown.summary, &client);
            }
        }
    }

    /// Takes a client out of the list and out of its rooms.
    fn remove(&mut self, id: ClientId) -> Option<Entry> {
        let client = self.clients.remove(&id)?;
        self.rooms.remove_client(id);
        if client.open {
            self.open_clients -= 1;
            self.publish_count();
        }
        Some(client)
    }

    /// Queues `bytes` for a target outside a run (one client, all but one,
    /// a room but one, a frame too large for a run, or a message with
    /// compressed frames, which go to the clients that agreed on their
    /// window size) and returns how many clients took them.
    fn send(&mut self, target: &Target, bytes: Bytes, deflated: Option<&Deflated>) -> usize {
        let (clients, dirty) = (&mut self.clients, &mut self.dirty);
        let recipients = match target {
            Target::One(id) => usize::from(queue_for(clients, dirty, *id, &bytes, deflated)),
            Target::All | Target::AllExcept(_) => {
                let except = match target {
                    Target::AllExcept(id) => Some(*id),
                    _ => None,
                };
                let mut recipients = 0;
                for (&id, client) in clients.iter_mut() {
                    if client.open
                        && Some(id) != except
                        && client.queue(pick(client, &bytes, deflated))
                    {
                        recipients += 1;
                        mark_dirty(dirty, id, client);
                    }
                }
                recipients
            }
            Target::Room(room) | Target::RoomExcept(room, _) => {
                let except = match target {
                    Target::RoomExcept(_, id) => Some(*id),
                    _ => None,
                };
                self.rooms
                    .members(room)
                    .filter(|&id| {
                        Some(id) != except && queue_for(clients, dirty, id, &bytes, deflated)
                    })
                    .count()
            }
        };
        if !frame::is_control(&bytes) {
            let run_target = match target {
                Target::Room(room) | Target::RoomExcept(room, _) => RunTarget::Room(room.clone()),
                _ => RunTarget::All,
            };
            self.count_out(bytes.len(), recipients, &run_target);
        }
        recipients
    }

    /// Counts and logs one data message queued for `recipients` clients.
    fn count_out(&self, len: usize, recipients: usize, to: &RunTarget) {
        self.shared
            .messages_out
            .fetch_add(recipients as u64, Ordering::Relaxed);
        match to {
            RunTarget::All => debug!(
                "sent {} to {recipients} of {}",
                plural(len, "byte"),
                plural(self.clients.len(), "client")
            ),
            RunTarget::Room(room) => debug!(
                "sent {} to {recipients} in room {room:?}",
                plural(len, "byte")
            ),
        }
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
        match client.outbox.write_to(&*client.socket) {
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
            client.socket.shut(Shutdown::Write);
            client.hang_up_when_sent = false;
        }
    }

    /// Closes a client whose backlog overflowed: 1008 "slow consumer" (best
    /// effort: its buffer is full), then the TCP connection is shut down.
    fn evict(&mut self, id: ClientId) {
        let Some(mut client) = self.remove(id) else {
            return;
        };
        warn!(
            "client {id} ({}) evicted: slow consumer, {} bytes waiting (max-queue {})",
            client.peer,
            client.outbox.waiting_bytes(),
            self.limits.max_queue
        );
        self.shared.evictions.fetch_add(1, Ordering::Relaxed);
        self.shared.evicted.update(|evicted| evicted.insert(id));
        client.outbox.discard_unstarted();
        client.closing = false;
        client.queue(frame::close(1008, "slow consumer"));
        let _ = client.outbox.write_to(&*client.socket);
        client.socket.shut(Shutdown::Both);
    }

    /// Forgets a client whose socket failed, waking its reader.
    fn drop_client(&mut self, id: ClientId) {
        if let Some(client) = self.remove(id) {
            client.socket.shut(Shutdown::Both);
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
        for (id, client) in self.clients.drain() {
            count_drained(&mut shutdown.summary, &client);
            client.socket.shut(Shutdown::Both);
            self.rooms.remove_client(id);
        }
        let _ = shutdown.done.send(shutdown.summary);
        self.shutting_down = None;
        self.open_clients = 0;
        self.publish_count();
        true
    }

    /// Publishes how many clients are open (their `on_connect` has run, so
    /// they receive messages to everyone): a test or tool that waits for
    /// N clients can then broadcast to all N.
    fn publish_count(&self) {
        let n = self.open_clients;
        self.shared.count.update(|count| *count = n);
    }
}

/// Counts a client that left during a shutdown: drained if everything
/// queued for it was written.
fn count_drained(summary: &mut ShutdownSummary, client: &Entry) {
    if client.outbox.is_empty() {
        summary.drained += 1;
    } else {
        summary.cut_off += 1;
    }
}

/// Queues `bytes` for client `id`; false if it is gone or closing.
fn queue_for(
    clients: &mut HashMap<ClientId, Entry>,
    dirty: &mut Vec<ClientId>,
    id: ClientId,
    bytes: &Bytes,
    deflated: Option<&Deflated>,
) -> bool {
    let Some(client) = clients.get_mut(&id) else {
        return false;
    };
    let took = client.queue(pick(client, bytes, deflated));
    if took {
        mark_dirty(dirty, id, client);
    }
    took
}

/// The frame `client` gets: the compressed one for its window size if
/// there is one, else the plain one.
fn pick(client: &Entry, plain: &Bytes, deflated: Option<&Deflated>) -> Bytes {
    client
        .deflate
        .zip(deflated)
        .and_then(|(bits, deflated)| deflated.frame_for(bits))
        .unwrap_or(plain)
        .clone()
}

fn mark_dirty(dirty: &mut Vec<ClientId>, id: ClientId, client: &mut Entry) {
    if !client.dirty {
        client.dirty = true;
        dirty.push(id);
    }
}

#[cfg(test)]
mod tests {
    //! The dispatcher driven event by event, with sockets that take as much
    //! as each test says: no network, no threads, no timing.

    use std::io::{self, IoSlice};
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::sync::Mutex;

    use crossbeam_channel::Sender;

    use super::*;
    use crate::hub::frame::Opcode;

    /// What a fake socket was given.
    #[derive(Debug, Default)]
    struct Written {
        bytes: Vec<u8>,
        /// `send_now` calls that wrote something.
        sends: usize,
        shut: Vec<Shutdown>,
    }

    /// A socket that takes up to `room` bytes in all, then would block.
    struct FakeSocket {
        room: usize,
        written: Mutex<Written>,
    }

    impl FakeSocket {
        fn taking(room: usize) -> Arc<FakeSocket> {
            Arc::new(FakeSocket {
                room,
                written: Mutex::default(),
            })
        }

        fn written(&self) -> std::sync::MutexGuard<'_, Written> {
            self.written.lock().unwrap()
        }

        /// The payloads of the text frames written, in order.
        fn texts(&self) -> Vec<String> {
            let written = self.written();
            let mut rest = &written.bytes[..];
            let mut texts = Vec::new();
            while !rest.is_empty() {
                let (len, header) = match rest[1] {
                    126 => (u16::from_be_bytes([rest[2], rest[3]]) as usize, 4),
                    len => (len as usize, 2),
                };
                if rest[0] & 0x0F == Opcode::Text as u8 {
                    texts.push(String::from_utf8(rest[header..header + len].to_vec()).unwrap());
                }
                rest = &rest[header + len..];
            }
            texts
        }
    }

    impl Socket for FakeSocket {
        fn send_now(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut written = self.written();
            let room = self.room - written.bytes.len();
            if room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            let n = all.len().min(room);
            written.bytes.extend_from_slice(&all[..n]);
            written.sends += 1;
            Ok(n)
        }

        fn shut(&self, how: Shutdown) {
            self.written().shut.push(how);
        }
    }

    struct Harness {
        tx: Sender<Event>,
        dispatcher: Dispatcher,
        shared: Arc<Shared>,
    }

    impl Harness {
        fn new(max_queue: usize) -> Harness {
            let (tx, rx) = crossbeam_channel::unbounded();
            let shared = Arc::new(Shared::default());
            let dispatcher = Dispatcher::new(
                rx,
                shared.clone(),
                HubLimits {
                    max_queue,
                    deflate_threshold: 1024,
                },
            );
            Harness {
                tx,
                dispatcher,
                shared,
            }
        }

        fn event(&self, event: Event) {
            self.tx.send(event).unwrap();
        }

        /// A client whose socket takes `room` bytes; `open` as after its
        /// `on_connect` hook.
        fn client(&self, id: u64, room: usize, open: bool) -> Arc<FakeSocket> {
            let socket = FakeSocket::taking(room);
            let peer = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 40_000 + id as u16).into();
            let id = ClientId(id);
            self.event(Event::Join {
                id,
                socket: socket.clone(),
                peer,
                deflate: None,
            });
            if open {
                self.event(Event::Open { id });
            }
            socket
        }

        /// Sends a text message to `target`; the receiver learns the
        /// recipients once the dispatcher has handled it.
        fn send(&self, target: Target, text: &str) -> Receiver<usize> {
            let (counted, recipients) = crossbeam_channel::bounded(1);
            self.event(Event::Send {
                target,
                bytes: frame::encode(Opcode::Text, text.as_bytes()),
                deflated: None,
                counted: Some(counted),
                credit: None,
            });
            recipients
        }

        fn turn(&mut self) -> bool {
            self.dispatcher.turn(None)
        }
    }

    fn ops() -> Room {
        Room::from("ops")
    }

    #[test]
    fn consecutive_messages_to_one_target_reach_a_client_in_one_send() {
        let mut hub = Harness::new(1 << 20);
        let a = hub.client(1, usize::MAX, true);
        hub.event(Event::JoinRoom {
            id: ClientId(1),
            room: ops(),
        });
        hub.turn();
        let counts = [
            hub.send(Target::All, "one"),
            hub.send(Target::All, "two"),
            hub.send(Target::All, "three"),
        ];
        hub.turn();
        assert_eq!(a.texts(), ["one", "two", "three"]);
        assert_eq!(a.written().sends, 1, "one run, one send");
        assert!(counts.iter().all(|c| c.try_recv() == Ok(1)));

        let counts = [
            hub.send(Target::Room(ops()), "r1"),
            hub.send(Target::Room(ops()), "r2"),
        ];
        hub.turn();
        assert_eq!(a.texts()[3..], ["r1", "r2"]);
        assert_eq!(a.written().sends, 2, "a room's run is one send too");
        assert!(counts.iter().all(|c| c.try_recv() == Ok(1)));
    }

    #[test]
    fn a_message_to_everyone_never_arrives_before_the_welcome() {
        let mut hub = Harness::new(1 << 20);
        let a = hub.client(1, usize::MAX, false);
        let early = hub.send(Target::All, "early");
        hub.send(Target::One(ClientId(1)), "welcome");
        hub.event(Event::Open { id: ClientId(1) });
        hub.send(Target::All, "after");
        hub.turn();
        assert_eq!(early.try_recv(), Ok(0));
        assert_eq!(a.texts(), ["welcome", "after"]);
    }

    #[test]
    fn room_messages_reach_the_members_of_the_moment() {
        let mut hub = Harness::new(1 << 20);
        let (a, b) = (
            hub.client(1, usize::MAX, true),
            hub.client(2, usize::MAX, true),
        );
        let (id_a, id_b) = (ClientId(1), ClientId(2));
        hub.event(Event::JoinRoom {
            id: id_a,
            room: ops(),
        });
        let first = hub.send(Target::Room(ops()), "to a");
        hub.event(Event::JoinRoom {
            id: id_b,
            room: ops(),
        });
        let second = hub.send(Target::RoomExcept(ops(), id_a), "to b");
        hub.event(Event::LeaveRoom {
            id: id_a,
            room: ops(),
        });
        let third = hub.send(Target::Room(ops()), "b again");
        hub.event(Event::Leave { id: id_b });
        let fourth = hub.send(Target::Room(ops()), "nobody");
        hub.turn();
        assert_eq!(a.texts(), ["to a"]);
        assert_eq!(b.texts(), ["to b", "b again"]);
        let counts: Vec<_> = [first, second, third, fourth]
            .iter()
            .map(|c| c.try_recv().unwrap())
            .collect();
        assert_eq!(counts, [1, 1, 1, 0]);
        assert!(
            hub.dispatcher.rooms.list().is_empty(),
            "the room went with its last member"
        );
    }

    #[test]
    fn a_client_is_evicted_one_byte_over_max_queue_and_not_before() {
        // Frames of 3-byte payloads are 5 bytes; the frame being written
        // (the first) does not count towards the backlog.
        let mut hub = Harness::new(11);
        let a = hub.client(1, 0, true);
        for text in ["xxx", "yyy", "zzz"] {
            hub.send(Target::All, text);
            hub.turn();
        }
        assert_eq!(
            hub.dispatcher.clients[&ClientId(1)].outbox.waiting_bytes(),
            10
        );
        assert_eq!(hub.shared.evictions.load(Ordering::Relaxed), 0);
        hub.send(Target::All, ""); // 2 more bytes: 12 > 11.
        hub.turn();
        assert_eq!(hub.shared.evictions.load(Ordering::Relaxed), 1);
        assert!(hub.dispatcher.clients.is_empty());
        assert_eq!(*hub.shared.count.lock(), 0);
        assert_eq!(a.written().shut, [Shutdown::Both]);
    }

    #[test]
    fn the_shutdown_summary_counts_drained_and_cut_off_clients() {
        let mut hub = Harness::new(1 << 20);
        let (reader, stuck) = (hub.client(1, usize::MAX, true), hub.client(2, 0, true));
        hub.event(Event::JoinRoom {
            id: ClientId(2),
            room: ops(),
        });
        let (done, summary) = crossbeam_channel::bounded(1);
        hub.event(Event::Shutdown {
            timeout: Duration::ZERO,
            done,
        });
        assert!(hub.turn(), "a zero timeout finishes in one turn");
        let summary = summary.try_recv().unwrap();
        assert_eq!((summary.drained, summary.cut_off), (1, 1));
        assert_eq!(reader.written().shut, [Shutdown::Write, Shutdown::Both]);
        assert_eq!(stuck.written().shut, [Shutdown::Both]);
        assert!(hub.dispatcher.clients.is_empty() && hub.dispatcher.rooms.list().is_empty());
    }
}
