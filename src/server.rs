//! The accept loop and the [`Server`] handle.
//!
//! The accept thread takes each connection from a std [`TcpListener`] and
//! gives it a thread of its own with a small stack ([`crate::conn`]); the
//! hub thread does every WebSocket write. [`Server`] starts all of that and
//! stops it again, when told to or when dropped.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use log::{error, info, warn};

use crate::config::Config;
use crate::conn::{self, Admission, Context, StaticFiles, TurnAway};
use crate::handler::Handler;
use crate::hub::{Event, Hub, HubLimits, ShutdownSummary};
use crate::listen::Listeners;
use crate::plural::plural;
use crate::start_error::StartError;
use crate::watched::Watched;

/// Stack size of a connection thread. Only the pages a thread touches
/// count towards memory, so this is a ceiling, not a cost; it leaves room
/// for JSON parsing and logging on top of tungstenite's read path.
const CONNECTION_STACK: usize = 256 * 1024;
/// How long [`Server::shutdown`] waits for connection threads to end after
/// their sockets are shut down.
const THREAD_EXIT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running server: its address, its hub, and the way to stop it.
///
/// Dropping it stops it as [`Server::shutdown`] does, so no thread or port
/// outlives it.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    hub: Hub,
    listeners: Arc<Listeners>,
    stopping: Arc<AtomicBool>,
    connections: Arc<Connections>,
    accept_thread: Option<JoinHandle<()>>,
    hub_thread: Option<JoinHandle<()>>,
    shutdown_timeout: Duration,
}

impl Server {
    /// Binds `config.bind` (or localhost: 127.0.0.1 and ::1) on
    /// `config.port` and serves every client with `handler`: one
    /// of the built-in modes ([`crate::Echo`], [`crate::Broadcast`],
    /// [`crate::Chat`]) or your own.
    ///
    /// # Errors
    ///
    /// [`StartError::Config`] for a setting out of range,
    /// [`StartError::Bind`] if the address cannot be listened on,
    /// [`StartError::Os`] if a thread cannot be started.
    pub fn start(config: Config, handler: impl Handler) -> Result<Server, StartError> {
        config.validate().map_err(StartError::Config)?;
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let files = StaticFiles::new(&config)?;
        let listeners = Arc::new(Listeners::bind(&config)?);
        let addrs = listeners.local_addrs()?;
        let local_addr = addrs[0];
        let urls: Vec<String> = addrs.iter().map(|addr| format!("ws://{addr}")).collect();
        // Tests and scripts read the real address from this first line
        // (the first URL in it).
        info!(
            "wshub listening on {} with {} (max-message {} B, max-queue {} B, max-clients {})",
            urls.join(" and "),
            handler.name(),
            config.max_message,
            config.max_queue,
            config.max_clients,
        );
        info!(
            "{} and the HTTP API on http://{local_addr}/ (WebSocket upgrades on {})",
            match &config.static_dir {
                Some(dir) => format!("files of {}", dir.display()),
                None => "the browser page".into(),
            },
            config.ws_path.as_deref().unwrap_or("any path"),
        );
        let (hub, hub_thread) = Hub::start(HubLimits {
            max_queue: config.max_queue,
            deflate_threshold: config.deflate_threshold,
        })?;
        let shutdown_timeout = config.shutdown_timeout;
        let stopping = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Connections::default());
        let admission = Admission::new(&config);
        let ctx = Arc::new(Context {
            files,
            config,
            hub: hub.clone(),
            handler,
            next_id: AtomicU64::new(1),
            started: Instant::now(),
            admission,
        });
        let turn_away = TurnAway::start()?;
        let accept_thread = {
            let (listeners, stopping, connections) =
                (listeners.clone(), stopping.clone(), connections.clone());
            std::thread::Builder::new()
                .name("wshub-accept".into())
                .spawn(move || {
                    accept_loop(&listeners, &stopping, &connections, &ctx, &turn_away);
                    turn_away.finish();
                })?
        };
        Ok(Server {
            local_addr,
            hub,
            listeners,
            stopping,
            connections,
            accept_thread: Some(accept_thread),
            hub_thread: Some(hub_thread),
            shutdown_timeout,
        })
    }

    /// The address the server listens on (with the real port when the
    /// config asked for port 0); for localhost, the IPv4 one (the same
    /// port is open on ::1).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to the hub, to send to clients from any thread.
    pub fn hub(&self) -> Hub {
        self.hub.clone()
    }

    /// The number of WebSocket clients connected now.
    pub fn client_count(&self) -> usize {
        self.hub.client_count()
    }

    /// The number of open connections (HTTP or WebSocket, handshakes in
    /// progress included): the figure `--max-clients` caps.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Waits until `pred(open connections)` holds or `timeout` passes;
    /// returns whether it held. A connection counts until its thread has
    /// ended, so once this sees a count below the cap, the next connection
    /// is served.
    pub fn wait_for_connections(&self, timeout: Duration, pred: impl Fn(usize) -> bool) -> bool {
        self.connections
            .open
            .wait_until(timeout, |open| pred(open.len()))
    }

    /// Serves until the process gets SIGINT (Ctrl-C) or SIGTERM, then
    /// shuts down as [`Server::shutdown`] does. A program's `main` ends
    /// with this.
    ///
    /// # Errors
    ///
    /// The signal handlers cannot be installed; the server is shut down.
    pub fn wait(self) -> io::Result<ShutdownSummary> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        if let Some(signal) = signals.forever().next() {
            info!("signal {signal}: shutting down");
        }
        Ok(self.shutdown())
    }

    /// Stops accepting, closes every client with 1001 "going away" after
    /// what is already queued for it (waiting at most the configured
    /// shutdown timeout), and joins the server's threads.
    pub fn shutdown(mut self) -> ShutdownSummary {
        self.stop()
    }

    /// The shutdown itself, for [`Server::shutdown`] and for `drop`: does
    /// nothing the second time.
    fn stop(&mut self) -> ShutdownSummary {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return ShutdownSummary::default();
        }
        // Wakes the accept thread, which then sees `stopping`.
        self.listeners.wake();
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
        let (done, summary) = crossbeam_channel::bounded(1);
        let timeout = self.shutdown_timeout;
        let summary = match self.hub.event(Event::Shutdown { timeout, done }) {
            Ok(()) => summary.recv().unwrap_or_default(),
            Err(_) => ShutdownSummary::default(),
        };
        if let Some(thread) = self.hub_thread.take() {
            let _ = thread.join();
        }
        // Plain HTTP connections and handshakes in progress are not in the
        // hub: wake their threads too, and wait for every thread to end.
        let left = self.connections.close_all_and_wait(THREAD_EXIT_TIMEOUT);
        if left > 0 {
            warn!("{left} connection threads still running after shutdown");
        }
        info!(
            "shut down: {} drained, {} cut off",
            plural(summary.drained, "client"),
            summary.cut_off
        );
        summary
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every open connection (HTTP or WebSocket), so that shutdown can wake
/// their threads and wait for them.
#[derive(Debug, Default)]
struct Connections {
    open: Watched<HashMap<u64, Arc<TcpStream>>>,
    next: AtomicU64,
}

impl Connections {
    fn len(&self) -> usize {
        self.open.lock().len()
    }

    fn add(&self, stream: Arc<TcpStream>) -> u64 {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        self.open.update(|open| open.insert(key, stream));
        key
    }

    fn remove(&self, key: u64) {
        self.open.update(|open| open.remove(&key));
    }

    /// Shuts every open socket down and waits up to `timeout` for their
    /// threads to finish; returns how many are still running.
    fn close_all_and_wait(&self, timeout: Duration) -> usize {
        for stream in self.open.lock().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.open.wait_until(timeout, HashMap::is_empty);
        self.len()
    }
}

/// Removes a connection from [`Connections`] when its thread ends, however
/// it ends (a panic included).
struct Registered<'a> {
    connections: &'a Connections,
    key: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.connections.remove(self.key);
    }
}

fn accept_loop(
    listeners: &Listeners,
    stopping: &AtomicBool,
    connections: &Arc<Connections>,
    ctx: &Arc<Context>,
    turn_away: &TurnAway,
) {
    loop {
        let accepted = listeners.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // Out of file descriptors, say: wait a moment rather than spin.
                error!("accept failed: {err}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let slot = match ctx.admission.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                turn_away.reject(stream, peer, &refusal);
                continue;
            }
        };
        let stream = Arc::new(stream);
        let key = connections.add(stream.clone());
        let (connections_for_thread, ctx) = (connections.clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("wshub-conn-{key}"))
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let _registered = Registered {
                    connections: &connections_for_thread,
                    key,
                };
                conn::serve(stream, peer, slot, &ctx);
            });
        if let Err(err) = spawned {
            error!("cannot start a thread for {peer}: {err}");
            connections.remove(key);
        }
    }
}
