//! wshub: a WebSocket broadcast hub on plain blocking threads.
//!
//! Blocking, because it keeps the code a direct translation of the
//! tutorials it mirrors, and because at LAN scale threads are cheap when
//! their stacks and buffers are small:
//!
//! ```text
//! accept thread      TcpListener::accept ─► spawn a thread (small stack)
//! connection thread  read the request head ─► plain HTTP: answer it
//! (one per socket)                         └► WebSocket: 101, join the hub,
//!                                             then only read; messages go to
//!                                             the Handler, tungstenite's
//!                                             pong/close replies go to the hub
//! hub thread (one)   owns the client list and does every write, never
//!                    blocking: MSG_DONTWAIT sends, a bounded backlog per
//!                    client, one encode per broadcast, one vectored send
//!                    per client per turn
//! ```
//!
//! Start a server with [`Server::bind`] (a built-in [`Mode`]) or
//! [`Server::start`] (your own [`Handler`]); reach its clients from any
//! thread through the [`Hub`]. The default mode, [`Chat`], speaks the JSON
//! protocol of [`protocol`]: names, rooms, direct messages, acks.
//!
//! ```
//! use wshub::{Config, Message, Mode, Server, Target};
//!
//! # fn main() -> std::io::Result<()> {
//! let server = Server::bind(Config { port: 0, mode: Mode::Broadcast, ..Config::default() })?;
//! println!("connect to ws://{}", server.local_addr());
//! // From any thread: push a message to every client.
//! let _ = server.hub().send(Target::All, Message::text("hello, everyone"));
//! server.shutdown();
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod auth;
mod chat;
mod config;
mod connection;
mod frame;
mod handler;
pub mod http;
mod hub;
mod modes;
mod outbox;
pub mod protocol;
mod rooms;
mod routes;
mod server;
mod static_files;
mod turn_away;
pub mod upgrade;

pub use chat::Chat;
pub use config::Config;
pub use handler::{Client, Handler};
pub use hub::{ClientId, ClientInfo, Hub, HubClosed, ShutdownSummary, Stats, Target};
pub use modes::{Broadcast, Echo, Mode, Recipients};
pub use server::Server;
pub use tungstenite::Message;
