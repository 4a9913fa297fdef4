//! Publisher flow control: a client that sends faster than the hub and the
//! readers can go is slowed down, instead of the server buffering without
//! limit or evicting readers that do read.
//!
//! Two rules, both checked by the publisher's own connection thread before
//! it reads the client's next message (so TCP backpressure slows the
//! client; the hub thread never waits for anybody):
//!
//! - **a window per publisher**: the bytes of a publisher's messages that
//!   the hub has not handled yet are bounded ([`WINDOW`]). Each
//!   [`Event::Send`](super::Event::Send) from a publisher carries a
//!   [`Credit`] for its bytes, given back when the hub drops the event;
//!   the event channel thus holds at most a window (plus one message) per
//!   publisher, whatever clients send.
//! - **readers behind**: while some reader's backlog is above a quarter of
//!   `--max-queue`, publishers wait. A reader that keeps reading drains
//!   below that quickly, and is never pushed to `--max-queue` by a fast
//!   publisher. A reader that stays above it for [`STALL`] is stalled: it
//!   no longer holds publishers back, its backlog grows, and it is evicted
//!   at `--max-queue` as before.
//!
//! The hub only stores atomics, and wakes waiting publishers through a
//! condvar whose mutex nobody holds for more than a check of two atomics.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Bytes of one publisher's messages the hub may have waiting in its
/// channel before the publisher's connection thread stops reading. Large
/// enough that the hub always has work batched, small next to
/// `--max-queue`.
pub(crate) const WINDOW: usize = 64 * 1024;
/// How long a reader may stay behind before it counts as stalled and no
/// longer holds publishers back (it is then left to `--max-queue`).
pub(crate) const STALL: Duration = Duration::from_secs(2);
/// Waiting publishers look again this often even without a wake-up, as a
/// safety net.
const RECHECK: Duration = Duration::from_millis(100);

/// The hub-wide half: whether readers are behind, and the waiting room.
#[derive(Debug, Default)]
pub(crate) struct Flow {
    readers_behind: AtomicBool,
    closed: AtomicBool,
    /// Publishers inside [`Publisher::wait_for_turn`].
    waiting: AtomicUsize,
    /// Times a publisher had to wait (`publishers_paused` in the stats).
    paused: AtomicU64,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Flow {
    /// The hub's verdict after a turn: some reader is behind (or not).
    pub(crate) fn set_readers_behind(&self, behind: bool) {
        let was = self.readers_behind.swap(behind, Ordering::SeqCst);
        if was && !behind {
            self.wake_waiters();
        }
    }

    /// The hub has stopped: nobody waits any more.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake_waiters();
    }

    /// How many times a publisher had to wait.
    pub(crate) fn paused(&self) -> u64 {
        self.paused.load(Ordering::Relaxed)
    }

    fn wake_waiters(&self) {
        if self.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        // Taking the lock orders this wake-up after any waiter's check, so
        // none can miss it.
        drop(self.lock.lock().unwrap_or_else(|p| p.into_inner()));
        self.wake.notify_all();
    }
}

/// One client (or HTTP connection) that sends through the hub.
#[derive(Debug)]
pub(crate) struct Publisher {
    flow: Arc<Flow>,
    /// Bytes sent to the hub and not yet handled by it.
    in_flight: AtomicUsize,
    /// Whether it has sent anything at all: one that has not (a request
    /// for the page, say) never waits.
    sent: AtomicBool,
}

impl Publisher {
    /// A publisher on the hub whose flow is `flow`.
    pub(crate) fn new(flow: Arc<Flow>) -> Arc<Publisher> {
        Arc::new(Publisher {
            flow,
            in_flight: AtomicUsize::new(0),
            sent: AtomicBool::new(false),
        })
    }

    /// Counts `bytes` as in flight until the returned credit is dropped.
    pub(crate) fn credit(self: &Arc<Self>, bytes: usize) -> Credit {
        self.in_flight.fetch_add(bytes, Ordering::SeqCst);
        self.sent.store(true, Ordering::Relaxed);
        Credit {
            publisher: self.clone(),
            bytes,
        }
    }

    fn may_go(&self) -> bool {
        let flow = &self.flow;
        flow.closed.load(Ordering::SeqCst)
            || (self.in_flight.load(Ordering::SeqCst) < WINDOW
                && !flow.readers_behind.load(Ordering::SeqCst))
    }

    /// Waits (the caller's thread, never the hub's) until this publisher is
    /// within its window and no reader is behind, or the hub has stopped.
    /// Returns at once if it never sent anything.
    pub(crate) fn wait_for_turn(&self) {
        if !self.sent.load(Ordering::Relaxed) || self.may_go() {
            return;
        }
        let flow = &self.flow;
        flow.paused.fetch_add(1, Ordering::Relaxed);
        flow.waiting.fetch_add(1, Ordering::SeqCst);
        let mut guard = flow.lock.lock().unwrap_or_else(|p| p.into_inner());
        while !self.may_go() {
            guard = match flow.wake.wait_timeout(guard, RECHECK) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        drop(guard);
        flow.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A publisher's bytes in the hub's channel: dropping it (the hub has
/// handled the event) gives them back, waking the publisher if it waits.
#[derive(Debug)]
pub(crate) struct Credit {
    publisher: Arc<Publisher>,
    bytes: usize,
}

impl Drop for Credit {
    fn drop(&mut self) {
        let before = self
            .publisher
            .in_flight
            .fetch_sub(self.bytes, Ordering::SeqCst);
        if before >= WINDOW && before - self.bytes < WINDOW {
            self.publisher.flow.wake_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publisher_past_its_window_waits_until_the_hub_handles_its_bytes() {
        let flow = Arc::new(Flow::default());
        let publisher = Publisher::new(flow.clone());
        let credits: Vec<Credit> = (0..4).map(|_| publisher.credit(WINDOW / 4)).collect();
        assert!(!publisher.may_go());
        let waiter = {
            let publisher = publisher.clone();
            std::thread::spawn(move || publisher.wait_for_turn())
        };
        // The "hub" handles the events on its own thread.
        std::thread::spawn(move || drop(credits)).join().unwrap();
        waiter.join().unwrap();
        assert!(publisher.may_go());
        assert_eq!(publisher.in_flight.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn publishers_wait_while_readers_are_behind_and_not_after_close() {
        let flow = Arc::new(Flow::default());
        let publisher = Publisher::new(flow.clone());
        flow.set_readers_behind(true);
        publisher.wait_for_turn(); // Returns at once: it sent nothing yet.
        drop(publisher.credit(1));
        assert!(!publisher.may_go());
        let waiter = {
            let publisher = publisher.clone();
            std::thread::spawn(move || publisher.wait_for_turn())
        };
        flow.set_readers_behind(false);
        waiter.join().unwrap();
        flow.set_readers_behind(true);
        flow.close();
        publisher.wait_for_turn(); // Returns at once: the hub is gone.
    }
}
