//! Server settings, with the defaults a newcomer and a LAN both want.
//! What a mode does with messages is its handler's business: the handlers
//! hold their own settings ([`crate::Broadcast::welcome`],
//! [`crate::Chat::max_text`]).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::Auth;

/// Everything a [`crate::Server`] needs to know. Build it with struct
/// update syntax from [`Config::default`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on. Default `None`: localhost, as `ws` is
    /// reached, on 127.0.0.1 and (where the machine has IPv6) ::1, so only
    /// this machine can connect and `ws://localhost:PORT` works whichever
    /// address the client tries first. `Some(0.0.0.0)` serves your LAN;
    /// `Some(addr)` listens on that one address only.
    pub bind: Option<IpAddr>,
    /// Port to listen on. Default 3000; 0 picks a free port (tests do).
    pub port: u16,
    /// Largest message or frame a client may send, in bytes; a larger one
    /// closes the connection with 1009. Default 1 MiB.
    pub max_message: usize,
    /// Bytes a client's backlog may hold behind the message being written;
    /// a client that falls further behind is closed with 1008 "slow
    /// consumer". Default 1 MiB: big enough for bursts, small enough that
    /// a stuck client cannot swell the server.
    pub max_queue: usize,
    /// A client silent this long is pinged, and closed after twice as long.
    /// Default 30 s.
    pub ping_interval: Duration,
    /// How long [`crate::Server::shutdown`] waits for clients to receive
    /// what is queued and their close frame. Default 5 s.
    pub shutdown_timeout: Duration,
    /// A request head must arrive within this time (else 408). Default 10 s.
    /// A request body gets as long again after its head, and an idle
    /// keep-alive connection is closed after this long.
    pub head_timeout: Duration,
    /// The one path that accepts WebSocket upgrades (`--ws-path`), such as
    /// `/ws`; `None` (the default) upgrades on any path, as `ws` does.
    pub ws_path: Option<String>,
    /// A folder served instead of the built-in browser page
    /// (`--static-dir`); its `index.html` answers `/`. Default `None`.
    pub static_dir: Option<PathBuf>,
    /// Largest HTTP request body, in bytes (`--max-body`); a larger one gets
    /// 413. Default 1 MiB, the same as `max_message`.
    pub max_body: usize,
    /// Open connections (HTTP or WebSocket: each holds a thread) the server
    /// serves at once; one more is answered `503` with `Retry-After` and
    /// closed, without a thread of its own. Default 10,000.
    pub max_clients: usize,
    /// Negotiate permessage-deflate (RFC 7692) with clients that offer it
    /// (`--deflate`). Default off, as in `ws`: it saves bandwidth on slow
    /// links and costs CPU (docs/compression.md).
    pub deflate: bool,
    /// With `deflate`, data messages of at least this many bytes are sent
    /// compressed; smaller ones gain little (`--deflate-threshold`).
    /// Default 1024, as in `ws`.
    pub deflate_threshold: usize,
    /// Slots one peer address may hold (`--max-clients-per-peer`), so that
    /// one machine cannot lock everybody else out. `None` (the default):
    /// half of `max_clients`; `Some(0)`: no per-peer limit. Connections
    /// that have not sent a request head yet are capped at half of this.
    pub max_clients_per_peer: Option<usize>,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name
    /// the real client (`--trusted-proxy`): for their connections that
    /// address is the peer, for the limits and the logs. Default: none.
    pub trusted_proxies: Vec<IpAddr>,
    /// Who may connect: `--token`, `--jwt-secret`, `--allowed-origin`.
    /// Default: everyone, from any origin.
    pub auth: Auth,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: None,
            port: 3000,
            max_message: 1 << 20,
            max_queue: 1 << 20,
            ping_interval: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(5),
            head_timeout: Duration::from_secs(10),
            ws_path: None,
            static_dir: None,
            max_body: 1 << 20,
            max_clients: 10_000,
            deflate: false,
            deflate_threshold: 1024,
            max_clients_per_peer: None,
            trusted_proxies: Vec::new(),
            auth: Auth::default(),
        }
    }
}

impl Config {
    /// Checks the settings that would make the server misbehave.
    ///
    /// # Errors
    ///
    /// A message naming the setting that is out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_message < 125 {
            return Err("max-message must be at least 125 bytes".into());
        }
        if self.max_queue == 0 {
            return Err("max-queue must be at least 1 byte".into());
        }
        if self.ping_interval.is_zero() {
            return Err("ping-interval must be above zero".into());
        }
        if self.head_timeout.is_zero() {
            return Err("head-timeout must be above zero".into());
        }
        if let Some(path) = &self.ws_path {
            // The path is written into the built-in page's HTML, so it
            // must not need escaping there.
            let plain = path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-._~!$()*+,;=:@%".contains(&b));
            if !path.starts_with('/') || !plain {
                return Err(
                    "ws-path must start with / and hold only URL path characters (no query)".into(),
                );
            }
        }
        if let Some(dir) = &self.static_dir {
            if !dir.is_dir() {
                return Err(format!("static-dir {} is not a folder", dir.display()));
            }
        }
        if self.max_clients == 0 {
            return Err("max-clients must be at least 1".into());
        }
        self.auth.validate()?;
        Ok(())
    }
}
