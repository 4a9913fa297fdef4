//! wshub: a WebSocket hub on plain blocking threads.
//!
//! Blocking, because it keeps the code a direct translation of the
//! tutorials it mirrors, and because at LAN scale threads are cheap when
//! their stacks and buffers are small. The source tree has the shape of
//! the threads:
//!
//! ```text
//! accept thread      server.rs: accept ─► a thread per socket (listen.rs:
//!                    127.0.0.1 and ::1, or --bind); no slot (conn/admission.rs):
//!                    conn/turn_away.rs answers 503
//! connection thread  conn/: read the request head (http.rs)
//! (one per socket)   ├─ plain HTTP ─► conn/routes.rs (the API), else
//!                    │                conn/static_files.rs (the page)
//!                    └─ WebSocket ──► conn/upgrade.rs (auth.rs checks),
//!                                     101, join the hub, then only read
//!                                     (conn/websocket.rs): messages go to
//!                                     the Handler (handler.rs, modes/),
//!                                     pong/close replies go to the hub
//! hub thread (one)   hub/: owns the clients and the rooms and does every
//!                    write, never blocking (hub/dispatcher.rs): one encode
//!                    per message, merged runs, one vectored send per
//!                    client per turn, a bounded backlog (hub/outbox.rs);
//!                    a publisher ahead of it waits (hub/credit.rs)
//! ```
//!
//! Start a server with [`Server::start`] and a [`Handler`]: a built-in
//! mode ([`Echo`], [`Broadcast`], [`Chat`]) or your own. Reach its clients
//! and rooms from any thread through the [`Hub`]. The hub knows clients,
//! rooms and [`Target`]s, and no application protocol: [`Chat`] builds its
//! JSON protocol ([`protocol`]: names, presence, direct messages, acks) on
//! the same public API your handler uses.
//!
//! ```
//! use wshub::{Broadcast, Config, Message, Server, Target};
//!
//! # fn main() -> Result<(), wshub::StartError> {
//! let server = Server::start(Config { port: 0, ..Config::default() }, Broadcast::default())?;
//! println!("connect to ws://{}", server.local_addr());
//! // From any thread: push a message to every client, or to a room.
//! let _ = server.hub().send(Target::All, Message::text("hello, everyone"));
//! let _ = server.hub().send(Target::Room("kitchen".into()), Message::text("dinner!"));
//! server.shutdown();
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
mod config;
mod conn;
mod deflate;
mod handler;
pub mod http;
mod hub;
mod listen;
mod modes;
mod plural;
mod server;
mod start_error;
mod watched;

pub use config::Config;
pub use conn::upgrade;
pub use handler::{Client, Handler};
pub use hub::{
    ClientId, ClientInfo, Hub, HubClosed, Receipt, Room, RoomInfo, ShutdownSummary, Stats, Target,
};
pub use modes::chat::protocol;
pub use modes::{Broadcast, Chat, Echo, Recipients};
pub use server::Server;
pub use start_error::StartError;
pub use tungstenite::Message;
