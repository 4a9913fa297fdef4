//! Turning connections away when [`super::admission`] gives them no slot
//! (`--max-clients`, a peer's share).
//!
//! A connection refused a slot gets no thread of its own. The accept thread
//! writes it a `503 Service Unavailable` with `Retry-After` at once (the
//! send buffer of a new socket is empty, so a non-blocking send of a few
//! hundred bytes is taken whole), sends FIN, and hands the socket to one
//! helper thread shared by every rejected connection. That thread reads and
//! discards whatever the peer sends until the peer closes, or a short
//! deadline passes, and only then closes the socket: closing a socket whose
//! request bytes were never read makes the kernel answer with a reset, and
//! a reset can destroy the 503 before the client has read it.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use log::{error, warn};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::SendFlags;

use super::Refusal;
use crate::http::Response;

/// What a turned-away client is told to wait before trying again.
const RETRY_AFTER_SECS: u32 = 2;
/// How long a rejected socket may stay open waiting for its peer to close.
const LINGER: Duration = Duration::from_secs(2);
/// Rejected sockets held open at most; under a flood the oldest (which
/// already have their 503) are closed first, so a flood costs bounded
/// file descriptors.
const MAX_LINGERING: usize = 1024;
/// How often the helper looks for newly rejected sockets while it is
/// waiting on others.
const TICK: Duration = Duration::from_millis(50);

/// The accept thread's side: rejects connections and hands them to the
/// helper thread.
#[derive(Debug)]
pub(crate) struct TurnAway {
    tx: Sender<TcpStream>,
    thread: JoinHandle<()>,
}

impl TurnAway {
    /// Starts the helper thread.
    pub(crate) fn start() -> io::Result<TurnAway> {
        let (tx, rx) = crossbeam_channel::bounded(MAX_LINGERING);
        let thread = std::thread::Builder::new()
            .name("wshub-turn-away".into())
            .stack_size(64 * 1024)
            .spawn(move || linger_loop(&rx))?;
        Ok(TurnAway { tx, thread })
    }

    /// The `503` that says why, with `Retry-After`.
    pub(crate) fn response(refusal: &Refusal) -> Response {
        Response::error(503, &refusal.to_string())
            .with_header("Retry-After", &RETRY_AFTER_SECS.to_string())
    }

    /// Answers `stream` with the 503 and leaves it to the helper thread.
    /// Never blocks.
    pub(crate) fn reject(&self, stream: TcpStream, peer: SocketAddr, refusal: &Refusal) {
        warn!("{peer}: turned away with 503: {refusal}");
        let mut response = Vec::new();
        let written = TurnAway::response(refusal)
            .with_header("Connection", "close")
            .write_to(&mut response, false);
        let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
        if written.is_err() || rustix::net::send(&stream, &response, flags).is_err() {
            return; // The peer is already gone: just close.
        }
        let _ = stream.shutdown(Shutdown::Write);
        // The socket is ours alone now, so making it non-blocking affects
        // nobody else. If the helper is swamped, close at once.
        if stream.set_nonblocking(true).is_ok() {
            let _ = self.tx.try_send(stream);
        }
    }

    /// Stops the helper thread (closing what it still holds) and waits for it.
    pub(crate) fn finish(self) {
        drop(self.tx);
        if self.thread.join().is_err() {
            error!("the turn-away thread panicked");
        }
    }
}

/// The helper thread: waits for every rejected socket to be closed by its
/// peer (or its deadline), reading and discarding what arrives.
fn linger_loop(rx: &Receiver<TcpStream>) {
    let mut lingering: VecDeque<(TcpStream, Instant)> = VecDeque::new();
    loop {
        if lingering.is_empty() {
            match rx.recv() {
                Ok(stream) => lingering.push_back((stream, Instant::now() + LINGER)),
                Err(_) => return, // The server has stopped.
            }
        }
        loop {
            match rx.try_recv() {
                Ok(stream) => {
                    if lingering.len() == MAX_LINGERING {
                        lingering.pop_front();
                    }
                    lingering.push_back((stream, Instant::now() + LINGER));
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let now = Instant::now();
        lingering.retain(|(_, deadline)| *deadline > now);
        // Oldest first, so the front has the nearest deadline.
        let Some((_, nearest)) = lingering.front() else {
            continue;
        };
        let wait = nearest.saturating_duration_since(now).min(TICK);
        let mut fds: Vec<PollFd<'_>> = lingering
            .iter()
            .map(|(stream, _)| PollFd::new(stream, PollFlags::IN))
            .collect();
        // `wait` is at most TICK, well under a second.
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: wait.subsec_nanos().into(),
        };
        let polled = rustix::event::poll(&mut fds, Some(&timeout));
        let ready: Vec<bool> = fds.iter().map(|fd| !fd.revents().is_empty()).collect();
        drop(fds);
        if polled.is_err() {
            continue; // EINTR: look again.
        }
        let mut index = 0;
        lingering.retain(|(stream, _)| {
            let keep = !ready[index] || still_open(stream);
            index += 1;
            keep
        });
    }
}

/// Reads and discards what has arrived; false once the peer has closed (or
/// the socket failed), when the socket can be closed without a reset.
fn still_open(mut stream: &TcpStream) -> bool {
    let mut sink = [0u8; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}
