//! The `wshub` binary: flags → [`wshub::Config`] and the handler of
//! `--mode`, a logger, and a server that runs until SIGINT or SIGTERM.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use log::{error, info};
use wshub::auth::{Auth, Secret};
use wshub::{Broadcast, Chat, Config, Echo, Recipients, Server};

/// A WebSocket server on plain threads: echo, broadcast and chat, as in the
/// Node.js tutorials.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (0.0.0.0 to reach it from your LAN). Default:
    /// localhost, on both 127.0.0.1 and ::1 (where the machine has IPv6),
    /// as Node's ws is reached.
    #[arg(long)]
    bind: Option<IpAddr>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// What the server does with each message.
    #[arg(long, value_enum, default_value_t = ModeArg::Chat)]
    mode: ModeArg,
    /// In broadcast mode, leave the sender out of its own broadcasts.
    #[arg(long)]
    exclude_sender: bool,
    /// Text sent to each client on connect ('' sends nothing). Default:
    /// "connected to WebSocket server" in broadcast mode, nothing in echo mode
    /// (chat mode always sends its JSON welcome).
    #[arg(long)]
    welcome: Option<String>,
    /// Largest message or frame a client may send, in bytes (larger closes
    /// with 1009).
    #[arg(long, default_value_t = 1 << 20)]
    max_message: usize,
    /// In chat mode, the longest message text, in bytes (longer gets a
    /// too_long error; the connection stays open).
    #[arg(long, default_value_t = Chat::DEFAULT_MAX_TEXT as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_text: u64,
    /// Bytes a client may fall behind before it is closed with 1008 "slow
    /// consumer".
    #[arg(long, default_value_t = 1 << 20)]
    max_queue: usize,
    /// Seconds of silence before a client is pinged; twice that closes it.
    #[arg(long, default_value_t = 30)]
    ping_interval: u64,
    /// Seconds to wait on shutdown for clients to receive what is queued.
    #[arg(long, default_value_t = 5)]
    shutdown_timeout: u64,
    /// Accept WebSocket upgrades on this path only (such as /ws); by
    /// default any path upgrades.
    #[arg(long, value_name = "PATH")]
    ws_path: Option<String>,
    /// Serve this folder (index.html for /) instead of the built-in page.
    #[arg(long, value_name = "DIR")]
    static_dir: Option<std::path::PathBuf>,
    /// Largest HTTP request body, in bytes (larger gets 413).
    #[arg(long, default_value_t = 1 << 20)]
    max_body: usize,
    /// Open connections (HTTP or WebSocket) served at once; one more gets
    /// 503 with Retry-After.
    #[arg(long, default_value_t = 10_000)]
    max_clients: usize,
    /// Connections one peer address may hold (0: no limit). Default: half
    /// of --max-clients; those without a request head yet, half of this.
    #[arg(long, value_name = "N")]
    max_clients_per_peer: Option<usize>,
    /// A reverse proxy whose X-Forwarded-For / Forwarded header names the
    /// real client, for the limits and the logs (repeatable).
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    trusted_proxies: Vec<IpAddr>,
    /// Require this shared token on every WebSocket upgrade: as ?token=,
    /// "Authorization: Bearer" or a wshub_token cookie. Prefer the
    /// environment variable: command lines are visible to other users.
    #[arg(long, env = "WSHUB_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Require an HS256 JWT signed with this key instead (same three places;
    /// exp required, nbf honoured; its sub or name claim names the client).
    #[arg(long, env = "WSHUB_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Refuse (403) upgrades whose Origin header is present and not one of
    /// these (repeatable), e.g. http://192.168.1.20:3000. Set it when
    /// browsers hold a wshub_token cookie.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Negotiate permessage-deflate with clients that offer it (browsers
    /// do): less bandwidth, more CPU.
    #[arg(long)]
    deflate: bool,
    /// With --deflate, compress data messages of at least this many bytes.
    #[arg(long, default_value_t = 1024)]
    deflate_threshold: usize,
    /// Log level: error, warn, info, debug or trace. Default: RUST_LOG, else info.
    #[arg(long)]
    log_level: Option<log::LevelFilter>,
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Every message back to its sender.
    Echo,
    /// Every message to every client.
    Broadcast,
    /// The JSON chat protocol: names, rooms, direct messages, acks.
    Chat,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let level = args
        .log_level
        .or_else(|| std::env::var("RUST_LOG").ok()?.parse().ok())
        .unwrap_or(log::LevelFilter::Info);
    // Only fails if a logger is already set, which cannot happen here.
    let _ = simple_logger::SimpleLogger::new().with_level(level).init();
    raise_fd_limit();

    let config = Config {
        bind: args.bind,
        port: args.port,
        max_message: args.max_message,
        max_queue: args.max_queue,
        ping_interval: Duration::from_secs(args.ping_interval),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        ws_path: args.ws_path,
        static_dir: args.static_dir,
        max_body: args.max_body,
        max_clients: args.max_clients,
        deflate: args.deflate,
        deflate_threshold: args.deflate_threshold,
        max_clients_per_peer: args.max_clients_per_peer,
        trusted_proxies: args.trusted_proxies,
        auth: Auth {
            token: args.token.map(Secret::new),
            jwt_secret: args.jwt_secret.map(Secret::new),
            allowed_origins: args.allowed_origins,
        },
        ..Config::default()
    };
    let welcome = args.welcome;
    let started = match args.mode {
        ModeArg::Echo => Server::start(
            config,
            Echo {
                welcome: welcome.unwrap_or_default(),
            },
        ),
        ModeArg::Broadcast => Server::start(
            config,
            Broadcast {
                welcome: welcome.unwrap_or_else(|| Broadcast::DEFAULT_WELCOME.into()),
                recipients: if args.exclude_sender {
                    Recipients::Others
                } else {
                    Recipients::Everyone
                },
            },
        ),
        ModeArg::Chat => Server::start(config, Chat::default().max_text(args.max_text as usize)),
    };
    let server = match started {
        Ok(server) => server,
        Err(err) => {
            error!("cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match server.wait() {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            error!("cannot listen for signals: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Every client holds one file descriptor, and a shell's default soft limit
/// (often 1,024) would refuse connections long before memory runs out:
/// raise the soft limit to the hard one, as the README's Performance
/// section says (10,000 clients need 10,000 descriptors).
fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current >= limit.maximum {
        return;
    }
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => info!(
            "open-file limit raised from {} to {}",
            limit.current.map_or("unlimited".into(), |n| n.to_string()),
            limit.maximum.map_or("unlimited".into(), |n| n.to_string())
        ),
        Err(err) => log::warn!("cannot raise the open-file limit: {err}"),
    }
}
