//! A value that other threads can wait on: a mutex and its condvar in one.
//!
//! The hub publishes its client count this way and the server its open
//! connections, so that tests and shutdown wait for a condition with a
//! deadline instead of sleeping and polling.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// A `T` behind a mutex, with a condvar signalled on every [`Watched::update`].
#[derive(Debug, Default)]
pub(crate) struct Watched<T> {
    value: Mutex<T>,
    changed: Condvar,
}

impl<T> Watched<T> {
    /// Locks the value, carrying on if a panicking thread poisoned the
    /// mutex: what we keep behind it (counts, a map of sockets) is valid
    /// whatever the panic interrupted.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.value
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the value and wakes every waiter.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        let result = change(&mut self.lock());
        self.changed.notify_all();
        result
    }

    /// Waits until `pred` holds or `timeout` passes; returns whether it held.
    pub(crate) fn wait_until(&self, timeout: Duration, pred: impl Fn(&T) -> bool) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |value| !pred(value))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pred(&guard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_waiter_wakes_when_another_thread_makes_the_condition_true() {
        let count = Arc::new(Watched::<usize>::default());
        let writer = {
            let count = count.clone();
            std::thread::spawn(move || (0..5).for_each(|_| count.update(|n| *n += 1)))
        };
        assert!(count.wait_until(Duration::from_secs(10), |&n| n == 5));
        writer.join().unwrap();
        assert!(!count.wait_until(Duration::from_millis(1), |&n| n > 5));
    }
}
