//! The accept loop and the [`Server`] handle.
//!
//! The main (accept) thread takes each connection from a std
//! [`TcpListener`] and gives it a thread of its own with a small stack; the
//! hub thread does every WebSocket write. [`Server`] starts all of that and
//! stops it again.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use log::{error, info, warn};

use crate::config::Config;
use crate::connection::{self, Context};
use crate::handler::Handler;
use crate::hub::{Event, Hub, HubLimits, ShutdownSummary};
use crate::static_files::StaticFiles;
use crate::turn_away::TurnAway;

/// Stack size of a connection thread. Only the pages a thread touches
/// count towards memory, so this is a ceiling, not a cost; it leaves room
/// for JSON parsing and logging on top of tungstenite's read path.
const CONNECTION_STACK: usize = 256 * 1024;
/// How long [`Server::shutdown`] waits for connection threads to end after
/// their sockets are shut down.
const THREAD_EXIT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running server: its address, its hub, and the way to stop it.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    hub: Hub,
    listener: Arc<TcpListener>,
    stopping: Arc<AtomicBool>,
    connections: Arc<Connections>,
    accept_thread: Option<JoinHandle<()>>,
    hub_thread: Option<JoinHandle<()>>,
    shutdown_timeout: Duration,
}

impl Server {
    /// Binds `config.addr()` and serves the built-in mode `config.mode`.
    ///
    /// # Errors
    ///
    /// The address cannot be bound, the config is invalid
    /// ([`io::ErrorKind::InvalidInput`]) or a thread cannot be started.
    pub fn bind(config: Config) -> io::Result<Server> {
        let handler = config.mode_handler();
        let behaviour = format!("{:?} mode", config.mode).to_lowercase();
        Server::start_arc(config, handler, &behaviour)
    }

    /// Binds `config.addr()` and serves every client with `handler`.
    ///
    /// # Errors
    ///
    /// As for [`Server::bind`].
    pub fn start(config: Config, handler: impl Handler) -> io::Result<Server> {
        Server::start_arc(config, Arc::new(handler), "a custom handler")
    }

    /// Starts the server; `behaviour` names the handler in the start-up log.
    fn start_arc(config: Config, handler: Arc<dyn Handler>, behaviour: &str) -> io::Result<Server> {
        config
            .validate()
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
        let files = StaticFiles::new(&config)?;
        let listener = Arc::new(TcpListener::bind(config.addr())?);
        let local_addr = listener.local_addr()?;
        // Tests and scripts read the real address from this first line.
        info!(
            "wshub listening on ws://{local_addr} with {behaviour} (max-message {} B, max-queue {} B, max-clients {})",
            config.max_message, config.max_queue, config.max_clients,
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
        })?;
        let shutdown_timeout = config.shutdown_timeout;
        let stopping = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Connections::default());
        let ctx = Arc::new(Context {
            files,
            config,
            hub: hub.clone(),
            handler,
            next_id: AtomicU64::new(1),
            started: Instant::now(),
        });
        let turn_away = TurnAway::start(ctx.config.max_clients)?;
        let accept_thread = {
            let (listener, stopping, connections) =
                (listener.clone(), stopping.clone(), connections.clone());
            std::thread::Builder::new()
                .name("wshub-accept".into())
                .spawn(move || {
                    accept_loop(&listener, &stopping, &connections, &ctx, &turn_away);
                    turn_away.finish();
                })?
        };
        Ok(Server {
            local_addr,
            hub,
            listener,
            stopping,
            connections,
            accept_thread: Some(accept_thread),
            hub_thread: Some(hub_thread),
            shutdown_timeout,
        })
    }

    /// The address the server listens on (with the real port when the
    /// config asked for port 0).
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
        self.connections.lock().len()
    }

    /// Waits until `pred(open connections)` holds or `timeout` passes;
    /// returns whether it held. A connection counts until its thread has
    /// ended, so once this sees a count below the cap, the next connection
    /// is served.
    pub fn wait_for_connections(&self, timeout: Duration, pred: impl Fn(usize) -> bool) -> bool {
        let open = self.connections.lock();
        let (open, _) = self
            .connections
            .changed
            .wait_timeout_while(open, timeout, |open| !pred(open.len()))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pred(open.len())
    }

    /// Stops accepting, closes every client with 1001 "going away" after
    /// what is already queued for it (waiting at most the configured
    /// shutdown timeout), and joins the server's threads.
    pub fn shutdown(mut self) -> ShutdownSummary {
        self.stopping.store(true, Ordering::SeqCst);
        // Shutting a listening socket down makes a blocked accept() return
        // at once (EINVAL on Linux), so the accept thread sees `stopping`.
        let _ = rustix::net::shutdown(&*self.listener, rustix::net::Shutdown::Read);
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
            "shut down: {} clients drained, {} cut off",
            summary.drained, summary.cut_off
        );
        summary
    }
}

/// Every open connection (HTTP or WebSocket), so that shutdown can wake
/// their threads and wait for them.
#[derive(Debug, Default)]
struct Connections {
    open: Mutex<HashMap<u64, Arc<TcpStream>>>,
    changed: Condvar,
    next: AtomicU64,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<TcpStream>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn add(&self, stream: Arc<TcpStream>) -> u64 {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(key, stream);
        self.changed.notify_all();
        key
    }

    fn remove(&self, key: u64) {
        self.lock().remove(&key);
        self.changed.notify_all();
    }

    /// Shuts every open socket down and waits up to `timeout` for their
    /// threads to finish; returns how many are still running.
    fn close_all_and_wait(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut open = self.lock();
        for stream in open.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        while !open.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            open = self
                .changed
                .wait_timeout(open, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        open.len()
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
    listener: &TcpListener,
    stopping: &AtomicBool,
    connections: &Arc<Connections>,
    ctx: &Arc<Context>,
    turn_away: &TurnAway,
) {
    loop {
        let accepted = listener.accept();
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
        // Only this thread adds connections, so the count cannot grow
        // between this check and the `add` below.
        let open = connections.lock().len();
        if open >= ctx.config.max_clients {
            turn_away.reject(stream, peer, open);
            continue;
        }
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
                connection::serve(stream, peer, &ctx);
            });
        if let Err(err) = spawned {
            error!("cannot start a thread for {peer}: {err}");
            connections.remove(key);
        }
    }
}
