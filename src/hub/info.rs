//! What the hub reports: its clients, its rooms, its counters, and how a
//! shutdown went.

use std::net::SocketAddr;
use std::time::SystemTime;

use super::target::{ClientId, Room};

/// A connected client, as [`crate::Hub::clients`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientInfo {
    /// The client's id.
    pub id: ClientId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// When the WebSocket handshake completed.
    pub connected_at: SystemTime,
    /// The name a handler gave it with [`crate::Hub::set_name`] (chat
    /// mode: the name the client chose), if any.
    pub name: Option<String>,
    /// The rooms it is in, in the order it joined them.
    pub rooms: Vec<Room>,
}

/// A room, as [`crate::Hub::rooms`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoomInfo {
    /// The room's name.
    pub room: Room,
    /// How many clients are in it (at least one: empty rooms disappear).
    pub members: usize,
}

/// Counters kept by the hub, as [`crate::Hub::stats`] reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Clients connected now whose `on_connect` has run.
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
    /// Times a publishing client (or HTTP API request) waited before its
    /// next message was read, because it ran ahead of the hub or readers
    /// were behind: flow control at work, not an error.
    pub publishers_paused: u64,
}

/// What happened to the clients when the hub shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ShutdownSummary {
    /// Clients that were sent everything queued for them and their close frame.
    pub drained: usize,
    /// Clients still holding a backlog when the shutdown timeout ran out.
    pub cut_off: usize,
}
