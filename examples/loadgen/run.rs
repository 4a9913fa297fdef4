//! One load run: connect the subscribers, let the publishers send through
//! a warm-up and the measured window, drain, and count what arrived.
//!
//! Everything runs as tasks on one thread (a current-thread tokio runtime),
//! so the load generator takes at most one core from the machine it shares
//! with the server, and its counters need no atomics.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::histogram::Histogram;
use crate::procfs::{self, Sample};
use crate::proto::{self, Frame, Masker, Stamp, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    pub subscribers: usize,
    pub publishers: usize,
    pub size: usize,
    /// Messages per second per publisher; 0 sends as fast as `window` allows.
    pub rate: f64,
    /// At rate 0: messages in flight (sent but not yet received by every
    /// subscriber), across all publishers.
    pub window: u64,
    pub warmup: Duration,
    pub duration: Duration,
    /// After the window, how long to wait for the rest once nothing arrives.
    pub drain: Duration,
    pub connect_concurrency: usize,
    pub connect_timeout: Duration,
    /// Pause between the last connect and the memory sample.
    pub settle: Duration,
    pub pid: Option<u32>,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    pub connected: usize,
    pub connect_errors: usize,
    pub first_connect_error: Option<String>,
    pub connect_time: Duration,
    pub publishers: usize,
    pub sent: u64,
    pub sent_per_publisher: Vec<u64>,
    pub sent_in_window: u64,
    pub delivered: u64,
    pub delivered_in_window: u64,
    /// Sequence gaps plus what had not arrived when the drain ended.
    pub lost: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub closed_by_server: u64,
    pub protocol_errors: u64,
    pub latency: Histogram,
    /// Server samples: before connecting, once connected, at the window's
    /// start and end.
    pub server: Option<[Sample; 4]>,
    /// This process, at the window's start and end.
    pub client: [Sample; 2],
    /// This process's RSS before connecting and once connected, in KiB:
    /// the load generator's own share of the machine's memory.
    pub client_rss_kib: [u64; 2],
    /// The machine's `MemAvailable` before connecting and once connected,
    /// in KiB: what the connections cost everything on it (server, kernel,
    /// and this load generator).
    pub mem_available_kib: Option<[u64; 2]>,
    /// Wall time between the window samples.
    pub window_time: Duration,
    /// CPU time the whole machine spent busy in the window (every core,
    /// every process): what the server and we did not use was other work.
    pub machine_busy_ns: Option<u64>,
}

/// Where to connect.
#[derive(Debug, Clone)]
struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> io::Result<Target> {
        let invalid =
            |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {why}"));
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| invalid("only ws:// URLs are supported"))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let with_port = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        let addr = with_port
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| invalid("host has no address"))?;
        Ok(Target {
            addr,
            host: host.to_string(),
            path: path.to_string(),
        })
    }
}

/// What every task of the run shares (one thread: cells, no locks).
struct Shared {
    base: Instant,
    /// The measured window, in ns since `base`; empty until publishing.
    window: Cell<(u64, u64)>,
    /// One read buffer for every subscriber: only partial frames are kept
    /// per subscriber, so 10,000 of them cost little memory.
    scratch: RefCell<Vec<u8>>,
    /// Next sequence number of each publisher (= messages it sent).
    sent: Vec<Cell<u64>>,
    sent_total: Cell<u64>,
    sent_in_window: Cell<u64>,
    /// Benchmark messages received, by all subscribers together.
    delivered: Cell<u64>,
    /// Subscribers connected (the fan-out of every message).
    fan_out: Cell<u64>,
    stopping: Cell<bool>,
    /// Publishers waiting for room in the window sleep here.
    progress: Notify,
    publisher_waiting: Cell<bool>,
    counts: RefCell<Counts>,
}

#[derive(Default)]
struct Counts {
    latency: Histogram,
    delivered_in_window: u64,
    gaps: u64,
    duplicates: u64,
    closed_by_server: u64,
    protocol_errors: u64,
}

impl Shared {
    fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    fn in_window(&self, t: u64) -> bool {
        let (start, end) = self.window.get();
        start <= t && t < end
    }

    /// Handles the whole frames at the start of `buf`, received at `now`:
    /// returns how many bytes they took, and false once the connection is
    /// over (a close frame, or bytes no server may send).
    fn take_frames(
        &self,
        sub: &Subscriber,
        buf: &[u8],
        now: u64,
        replies: &mut Vec<u8>,
        masker: &mut Masker,
    ) -> (usize, bool) {
        let in_window = self.in_window(now);
        let mut counts = self.counts.borrow_mut();
        let mut expected = sub.expected.borrow_mut();
        let mut used = 0;
        let mut delivered = 0;
        let mut open = true;
        loop {
            let (opcode, payload, len) = match proto::parse(&buf[used..]) {
                Frame::Whole {
                    opcode,
                    payload,
                    len,
                } => (opcode, payload, len),
                Frame::Partial => break,
                Frame::Invalid => {
                    counts.protocol_errors += 1;
                    open = false;
                    break;
                }
            };
            used += len;
            match opcode {
                OP_BINARY => {
                    let Some(stamp) = Stamp::read(payload) else {
                        continue; // Not one of ours.
                    };
                    delivered += 1;
                    if in_window {
                        counts.delivered_in_window += 1;
                        counts.latency.record(now.saturating_sub(stamp.sent_ns));
                    }
                    if let Some(next) = expected.get_mut(stamp.publisher as usize) {
                        if stamp.seq >= *next {
                            counts.gaps += stamp.seq - *next;
                            *next = stamp.seq + 1;
                        } else {
                            counts.duplicates += 1;
                        }
                    }
                }
                OP_PING => masker.frame(replies, OP_PONG, payload),
                OP_CLOSE => {
                    counts.closed_by_server += 1;
                    open = false;
                    break;
                }
                _ => {} // Text (a welcome), pong, fragments: not ours.
            }
        }
        // A gap is only ever found with a delivery, so this wakes a waiting
        // publisher for both.
        if delivered > 0 {
            self.delivered.set(self.delivered.get() + delivered);
            if self.publisher_waiting.get() {
                self.progress.notify_waiters();
            }
        }
        (used, open)
    }

    /// Messages a publisher at full speed may still send now: deliveries
    /// neither made nor known lost (a sequence gap) count as in flight.
    fn room(&self, window: u64) -> u64 {
        let fan_out = self.fan_out.get().max(1);
        let settled = self.delivered.get() + self.counts.borrow().gaps;
        let outstanding = (self.sent_total.get() * fan_out).saturating_sub(settled);
        window.saturating_sub(outstanding.div_ceil(fan_out))
    }
}

/// One subscriber connection (a publisher writes on it too).
struct Subscriber {
    stream: TcpStream,
    /// Next sequence number expected from each publisher.
    expected: RefCell<Vec<u64>>,
    open: Cell<bool>,
}

/// Runs the load described by `opts`.
pub async fn run(opts: &Options) -> io::Result<Outcome> {
    let target = Target::parse(&opts.url)?;
    let pid = opts.pid.map(|p| p.to_string());
    let server_sample = || pid.as_deref().and_then(procfs::sample).unwrap_or_default();
    let shared = Rc::new(Shared {
        base: Instant::now(),
        window: Cell::new((u64::MAX, u64::MAX)),
        scratch: RefCell::new(vec![0; 256 * 1024]),
        sent: (0..opts.publishers).map(|_| Cell::new(0)).collect(),
        sent_total: Cell::new(0),
        sent_in_window: Cell::new(0),
        delivered: Cell::new(0),
        fan_out: Cell::new(0),
        stopping: Cell::new(false),
        progress: Notify::new(),
        publisher_waiting: Cell::new(false),
        counts: RefCell::new(Counts::default()),
    });
    let mut out = Outcome::default();
    let before = server_sample();
    let client_before = procfs::sample("self").unwrap_or_default().rss_kib;
    let available_before = procfs::mem_available_kib();

    // Connect, a bounded number at a time (a burst of 10,000 SYNs would
    // overflow the server's listen queue and measure TCP retries instead).
    let started = Instant::now();
    let subscribers = connect_all(&shared, &target, opts, &mut out).await;
    out.connect_time = started.elapsed();
    out.connected = subscribers.len();
    shared.fan_out.set(subscribers.len() as u64);
    tokio::time::sleep(opts.settle).await;
    let connected = server_sample();
    let client_connected = procfs::sample("self").unwrap_or_default().rss_kib;
    out.client_rss_kib = [client_before, client_connected];
    out.mem_available_kib = available_before
        .zip(procfs::mem_available_kib())
        .map(|(a, b)| [a, b]);

    // Publish: the first subscribers double as publishers.
    let now = shared.now();
    let start = now + opts.warmup.as_nanos() as u64;
    let end = start + opts.duration.as_nanos() as u64;
    shared.window.set((start, end));
    out.publishers = opts.publishers.min(subscribers.len());
    let publishers: Vec<JoinHandle<()>> = subscribers[..out.publishers]
        .iter()
        .enumerate()
        .map(|(p, sub)| {
            tokio::task::spawn_local(publish(shared.clone(), sub.clone(), p, opts.clone()))
        })
        .collect();
    tokio::time::sleep_until((shared.base + Duration::from_nanos(start)).into()).await;
    let (server_a, client_a, machine_a, wall_a) = (
        server_sample(),
        procfs::sample("self").unwrap_or_default(),
        procfs::machine_busy_ns(),
        Instant::now(),
    );
    tokio::time::sleep_until((shared.base + Duration::from_nanos(end)).into()).await;
    let (server_b, client_b, machine_b) = (
        server_sample(),
        procfs::sample("self").unwrap_or_default(),
        procfs::machine_busy_ns(),
    );
    out.window_time = wall_a.elapsed();
    out.machine_busy_ns = machine_b.zip(machine_a).map(|(b, a)| b.saturating_sub(a));
    shared.stopping.set(true);
    shared.progress.notify_waiters();
    for publisher in publishers {
        let _ = publisher.await;
    }

    // Drain: wait for what is still on its way, for as long as messages
    // keep arriving (a slow server is slow, not lossy) but no longer than
    // `opts.drain` without progress.
    let mut progress = (shared.delivered.get(), Instant::now());
    while missing(&shared, &subscribers, true) > 0 && progress.1.elapsed() < opts.drain {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if shared.delivered.get() != progress.0 {
            progress = (shared.delivered.get(), Instant::now());
        }
    }

    let counts = shared.counts.take();
    out.sent = shared.sent_total.get();
    out.sent_per_publisher = shared.sent.iter().map(Cell::get).collect();
    out.sent_in_window = shared.sent_in_window.get();
    out.delivered = shared.delivered.get();
    out.delivered_in_window = counts.delivered_in_window;
    out.gaps = counts.gaps;
    out.lost = counts.gaps + missing(&shared, &subscribers, false);
    out.duplicates = counts.duplicates;
    out.closed_by_server = counts.closed_by_server;
    out.protocol_errors = counts.protocol_errors;
    out.latency = counts.latency;
    out.server = opts.pid.map(|_| [before, connected, server_a, server_b]);
    out.client = [client_a, client_b];
    Ok(out)
}

/// Messages sent but not (yet) received, summed over subscribers (only
/// the open ones if `open_only`).
fn missing(shared: &Shared, subscribers: &[Rc<Subscriber>], open_only: bool) -> u64 {
    subscribers
        .iter()
        .filter(|sub| !open_only || sub.open.get())
        .map(|sub| {
            let expected = sub.expected.borrow();
            shared
                .sent
                .iter()
                .zip(expected.iter())
                .map(|(sent, next)| sent.get().saturating_sub(*next))
                .sum::<u64>()
        })
        .sum()
}

/// Connects `opts.subscribers` clients with at most
/// `opts.connect_concurrency` handshakes in progress, starting a reader
/// task for each; returns them in connection order.
async fn connect_all(
    shared: &Rc<Shared>,
    target: &Target,
    opts: &Options,
    out: &mut Outcome,
) -> Vec<Rc<Subscriber>> {
    let next = Rc::new(Cell::new(0usize));
    let done = Rc::new(RefCell::new(Vec::new()));
    let errors = Rc::new(RefCell::new(Vec::new()));
    let workers: Vec<JoinHandle<()>> = (0..opts.connect_concurrency.max(1))
        .map(|w| {
            let (shared, target, opts) = (shared.clone(), target.clone(), opts.clone());
            let (next, done, errors) = (next.clone(), done.clone(), errors.clone());
            tokio::task::spawn_local(async move {
                let mut masker = Masker::new(0x9E37_79B9_7F4A_7C15 ^ w as u64);
                loop {
                    let i = next.get();
                    if i >= opts.subscribers {
                        break;
                    }
                    next.set(i + 1);
                    let connected =
                        tokio::time::timeout(opts.connect_timeout, connect(&target, &mut masker))
                            .await;
                    match connected {
                        Ok(Ok((stream, early))) => {
                            let sub = Rc::new(Subscriber {
                                stream,
                                expected: RefCell::new(vec![0; opts.publishers]),
                                open: Cell::new(true),
                            });
                            tokio::task::spawn_local(read_loop(
                                shared.clone(),
                                sub.clone(),
                                early,
                                i as u64,
                            ));
                            done.borrow_mut().push(sub);
                        }
                        Ok(Err(err)) => errors.borrow_mut().push(err.to_string()),
                        Err(_) => errors.borrow_mut().push("connect timed out".to_string()),
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let errors = errors.take();
    out.connect_errors = errors.len();
    out.first_connect_error = errors.into_iter().next();
    done.take()
}

async fn connect(target: &Target, masker: &mut Masker) -> io::Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let early = proto::handshake(&mut stream, &target.host, &target.path, masker).await?;
    Ok((stream, early))
}

/// Reads one subscriber's frames until the connection ends.
async fn read_loop(shared: Rc<Shared>, sub: Rc<Subscriber>, mut pending: Vec<u8>, seed: u64) {
    let mut masker = Masker::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut replies = Vec::new();
    let (used, mut open) =
        shared.take_frames(&sub, &pending, shared.now(), &mut replies, &mut masker);
    pending.drain(..used);
    while open {
        if sub.stream.readable().await.is_err() {
            break;
        }
        open = match receive(&shared, &sub, &mut pending, &mut replies, &mut masker) {
            Ok(open) => open,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => true,
            Err(_) => false,
        };
        if !replies.is_empty() {
            let _ = write_all(&sub.stream, &replies).await;
            replies.clear();
        }
    }
    sub.open.set(false);
}

/// Reads what is waiting on `sub` and handles its whole frames; false
/// once the connection is over.
fn receive(
    shared: &Shared,
    sub: &Subscriber,
    pending: &mut Vec<u8>,
    replies: &mut Vec<u8>,
    masker: &mut Masker,
) -> io::Result<bool> {
    let now = shared.now();
    let mut scratch = shared.scratch.borrow_mut();
    let n = sub.stream.try_read(&mut scratch)?;
    if n == 0 {
        return Ok(false);
    }
    // Parse straight from the shared buffer; keep only a partial frame.
    let open = if pending.is_empty() {
        let (used, open) = shared.take_frames(sub, &scratch[..n], now, replies, masker);
        pending.extend_from_slice(&scratch[used..n]);
        open
    } else {
        pending.extend_from_slice(&scratch[..n]);
        let (used, open) = shared.take_frames(sub, pending, now, replies, masker);
        pending.drain(..used);
        open
    };
    Ok(open)
}

/// Sends publisher `p`'s messages on `sub`'s connection until the window ends.
async fn publish(shared: Rc<Shared>, sub: Rc<Subscriber>, p: usize, opts: Options) {
    let mut masker = Masker::new(0xD1B5_4A32_D192_ED03 ^ p as u64);
    let mut buf = Vec::new();
    // Paced publishers start spread over one period, as people in a chat
    // room do not all type at the same instant.
    let mut ticks = (opts.rate > 0.0).then(|| {
        let period = Duration::from_secs_f64(1.0 / opts.rate);
        let offset = period.mul_f64(p as f64 / opts.publishers.max(1) as f64);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
        ticks
    });
    while !shared.stopping.get() {
        let batch = match &mut ticks {
            Some(ticks) => {
                ticks.tick().await;
                1
            }
            None => {
                let room = shared.room(opts.window);
                if room == 0 {
                    let notified = shared.progress.notified();
                    let mut notified = std::pin::pin!(notified);
                    notified.as_mut().enable();
                    shared.publisher_waiting.set(true);
                    // The timeout only guards against a subscriber that
                    // vanished; progress wakes us in the normal case.
                    let _ = tokio::time::timeout(Duration::from_millis(10), notified).await;
                    shared.publisher_waiting.set(false);
                    continue;
                }
                room.min(64)
            }
        };
        if shared.stopping.get() {
            break;
        }
        let now = shared.now();
        buf.clear();
        let seq = &shared.sent[p];
        for _ in 0..batch {
            let stamp = Stamp {
                publisher: p as u32,
                seq: seq.get(),
                sent_ns: now,
            };
            masker.message(&mut buf, opts.size, stamp);
            seq.set(seq.get() + 1);
        }
        shared.sent_total.set(shared.sent_total.get() + batch);
        if shared.in_window(now) {
            shared
                .sent_in_window
                .set(shared.sent_in_window.get() + batch);
        }
        if write_all(&sub.stream, &buf).await.is_err() {
            break;
        }
    }
}

async fn write_all(stream: &TcpStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        stream.writable().await?;
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The counting, against real servers on 127.0.0.1 port 0: wshub, a
    //! wshub handler that drops messages on purpose, and the raw ceiling.
    //! Counts only: no timing is asserted.

    use super::*;
    use crate::raw;
    use wshub::{Broadcast, Client, Config, Message, Server, Target};

    const SUBSCRIBERS: usize = 20;

    fn options(url: String) -> Options {
        Options {
            url,
            subscribers: SUBSCRIBERS,
            publishers: 2,
            size: 64,
            rate: 0.0,
            window: 16,
            warmup: Duration::from_millis(100),
            duration: Duration::from_millis(300),
            drain: Duration::from_secs(10),
            connect_concurrency: 4,
            connect_timeout: Duration::from_secs(10),
            settle: Duration::ZERO,
            pid: None,
        }
    }

    /// Runs the load; the whole run has a deadline so a hang fails.
    fn load(opts: &Options) -> Outcome {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let run = async { tokio::time::timeout(Duration::from_secs(60), run(opts)).await };
        tokio::task::LocalSet::new()
            .block_on(&runtime, run)
            .expect("the run ends within 60 s")
            .expect("the run starts")
    }

    #[test]
    fn every_message_reaches_every_subscriber_of_wshub() {
        // The welcome text is not a benchmark message: it must be ignored.
        let config = Config {
            port: 0,
            ..Config::default()
        };
        let greeting = Broadcast {
            welcome: "connected".into(),
            ..Broadcast::default()
        };
        let server = Server::start(config, greeting).unwrap();
        let out = load(&options(format!("ws://{}/", server.local_addr())));
        server.shutdown();
        assert_eq!((out.connected, out.connect_errors), (SUBSCRIBERS, 0));
        assert!(out.sent > 0 && out.delivered_in_window > 0);
        assert_eq!(out.delivered, out.sent * SUBSCRIBERS as u64);
        assert_eq!((out.lost, out.gaps, out.duplicates), (0, 0, 0));
        assert_eq!(out.latency.count(), out.delivered_in_window);
    }

    #[test]
    fn messages_a_server_drops_are_counted_lost() {
        // Publisher 0's messages 2, 7, 12 and 17 never reach anyone.
        let dropped = |stamp: Stamp| stamp.publisher == 0 && stamp.seq < 20 && stamp.seq % 5 == 2;
        let lossy = move |client: &Client, message: Message| {
            if let Message::Binary(data) = &message {
                if Stamp::read(data).is_some_and(dropped) {
                    return;
                }
            }
            let _ = client.hub().send(Target::All, message);
        };
        let config = Config {
            port: 0,
            ..Config::default()
        };
        let server = Server::start(config, lossy).unwrap();
        let mut opts = options(format!("ws://{}/", server.local_addr()));
        opts.rate = 200.0;
        let out = load(&opts);
        server.shutdown();
        let lost_each = (0..out.sent_per_publisher[0])
            .filter(|&seq| {
                dropped(Stamp {
                    publisher: 0,
                    seq,
                    sent_ns: 0,
                })
            })
            .count() as u64;
        assert!(lost_each > 0, "publisher 0 sent only {out:?}");
        assert_eq!(out.lost, lost_each * SUBSCRIBERS as u64);
        assert_eq!(out.delivered + out.lost, out.sent * SUBSCRIBERS as u64);
        assert_eq!(out.duplicates, 0);
    }

    #[test]
    fn the_raw_ceiling_delivers_everything() {
        let listener = raw::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        // The ceiling serves until the process ends, as it does in a benchmark.
        std::thread::spawn(move || raw::serve(listener));
        let out = load(&options(format!("ws://{addr}/")));
        assert_eq!((out.connected, out.connect_errors), (SUBSCRIBERS, 0));
        assert!(out.sent > 0);
        assert_eq!(out.delivered, out.sent * SUBSCRIBERS as u64);
        assert_eq!(out.lost, 0);
    }
}
