//! Who gets a connection slot: `--max-clients` shared fairly between peer
//! addresses.
//!
//! Every connection holds a thread, so slots are precious: one script that
//! opens `--max-clients` sockets and sends nothing would otherwise lock
//! everybody else out until its head deadline, and keep doing it by
//! reconnecting. So, besides the overall cap:
//!
//! - one peer address holds at most its share of the slots
//!   (`--max-clients-per-peer`, by default half of `--max-clients`);
//! - connections that have not completed a request head yet (the cheap
//!   way to hold a slot) are capped lower still: a quarter of the slots
//!   per peer, half overall;
//! - while the server is near its cap (three quarters full), a request head
//!   must arrive within [`SHORT_HEAD_TIMEOUT`] instead of the usual 10 s.
//!
//! Connections from a `--trusted-proxy` address are not limited by that
//! address (every client behind the proxy shares it): once their request
//! head names the client (`X-Forwarded-For`, `Forwarded`), that address
//! is the peer whose share is counted. Every refusal is counted
//! (`turned_away` in `/stats`).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::Config;

/// The head deadline while the server is near its cap: long enough for any
/// real client on a LAN, short enough that idle sockets free their slots
/// quickly.
pub(crate) const SHORT_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a connection gets no slot; its text is the body of the `503`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every slot is taken (`--max-clients`).
    Full(usize),
    /// This peer holds its share already (`--max-clients-per-peer`).
    PeerShare(usize),
    /// This peer holds its share of connections without a request head.
    PeerUnfinished(usize),
    /// Too many connections overall have not sent a request head yet.
    Unfinished(usize),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Full(n) => write!(f, "server full ({n} connections): try again later"),
            Refusal::PeerShare(n) => write!(
                f,
                "too many connections from your address ({n}, max-clients-per-peer): try again later"
            ),
            Refusal::PeerUnfinished(n) => write!(
                f,
                "too many connections from your address without a request ({n}): try again later"
            ),
            Refusal::Unfinished(n) => write!(
                f,
                "server busy ({n} connections without a request): try again later"
            ),
        }
    }
}

/// The caps, derived once from the [`Config`].
#[derive(Debug, Clone, Copy)]
struct Caps {
    total: usize,
    /// `usize::MAX` when per-peer limits are off.
    per_peer: usize,
    unfinished_per_peer: usize,
    unfinished_total: usize,
    /// Open connections from which on heads get [`SHORT_HEAD_TIMEOUT`].
    near_full: usize,
}

impl Caps {
    fn new(config: &Config) -> Caps {
        let total = config.max_clients;
        let (per_peer, unfinished_per_peer) = match config.max_clients_per_peer {
            Some(0) => (usize::MAX, usize::MAX),
            Some(n) => (n, (n / 2).max(1)),
            None => ((total / 2).max(1), (total / 4).max(1)),
        };
        Caps {
            total,
            per_peer,
            unfinished_per_peer,
            unfinished_total: (total / 2).max(1),
            near_full: total - total / 4,
        }
    }
}

/// Slots held by one peer address.
#[derive(Debug, Default, Clone, Copy)]
struct Held {
    open: usize,
    unfinished: usize,
}

#[derive(Debug, Default)]
struct Table {
    peers: HashMap<IpAddr, Held>,
    open: usize,
    unfinished: usize,
}

/// The slot table, shared by the accept thread (which admits) and the
/// connection threads (whose [`Slot`]s give their slots back).
#[derive(Debug)]
pub(crate) struct Admission {
    caps: Caps,
    trusted: Vec<IpAddr>,
    table: Mutex<Table>,
    turned_away: AtomicU64,
}

impl Admission {
    /// The slot table for `config`'s caps and trusted proxies.
    pub(crate) fn new(config: &Config) -> Arc<Admission> {
        Arc::new(Admission {
            caps: Caps::new(config),
            trusted: config.trusted_proxies.clone(),
            table: Mutex::default(),
            turned_away: AtomicU64::new(0),
        })
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // The table holds counts only: valid whatever a panic interrupted.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether connections from `ip` carry their client's address in
    /// forwarding headers (`--trusted-proxy`).
    pub(crate) fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.contains(&ip)
    }

    /// The trusted proxy addresses.
    pub(crate) fn trusted(&self) -> &[IpAddr] {
        &self.trusted
    }

    /// A slot for a new connection from `ip`, or why there is none (the
    /// refusal is counted).
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let caps = self.caps;
        let trusted = self.is_trusted(ip);
        let mut table = self.table();
        let held = table.peers.get(&ip).copied().unwrap_or_default();
        let refusal = if table.open >= caps.total {
            Some(Refusal::Full(caps.total))
        } else if table.unfinished >= caps.unfinished_total {
            Some(Refusal::Unfinished(caps.unfinished_total))
        } else if !trusted && held.open >= caps.per_peer {
            Some(Refusal::PeerShare(caps.per_peer))
        } else if !trusted && held.unfinished >= caps.unfinished_per_peer {
            Some(Refusal::PeerUnfinished(caps.unfinished_per_peer))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            drop(table);
            self.turned_away.fetch_add(1, Ordering::Relaxed);
            return Err(refusal);
        }
        table.open += 1;
        table.unfinished += 1;
        // A proxy's own address is not a peer: its clients are counted by
        // their forwarded addresses once their heads arrive.
        let counted = (!trusted).then_some(ip);
        if let Some(ip) = counted {
            let held = table.peers.entry(ip).or_default();
            held.open += 1;
            held.unfinished += 1;
        }
        Ok(Slot {
            admission: self.clone(),
            peer: counted,
            unfinished: true,
        })
    }

    /// How long the next request head may take: [`SHORT_HEAD_TIMEOUT`]
    /// (or `normal`, if shorter) while the server is near its cap.
    pub(crate) fn head_timeout(&self, normal: Duration) -> Duration {
        if self.table().open >= self.caps.near_full {
            normal.min(SHORT_HEAD_TIMEOUT)
        } else {
            normal
        }
    }

    /// Connections refused a slot since the server started.
    pub(crate) fn turned_away(&self) -> u64 {
        self.turned_away.load(Ordering::Relaxed)
    }

    /// Counts a refusal made after admission (a forwarded client over its
    /// share).
    fn count_refusal(&self) {
        self.turned_away.fetch_add(1, Ordering::Relaxed);
    }
}

/// One connection's slot: given back when dropped, however its thread ends.
#[derive(Debug)]
pub(crate) struct Slot {
    admission: Arc<Admission>,
    /// The address whose share this slot counts against, if any.
    peer: Option<IpAddr>,
    /// No request head has arrived yet.
    unfinished: bool,
}

impl Slot {
    /// A request head has arrived: the slot no longer counts as unfinished.
    pub(crate) fn head_arrived(&mut self) {
        if !self.unfinished {
            return;
        }
        self.unfinished = false;
        let mut table = self.admission.table();
        table.unfinished -= 1;
        if let Some(held) = self.peer.and_then(|ip| table.peers.get_mut(&ip)) {
            held.unfinished -= 1;
        }
    }

    /// A trusted proxy's request names its client `ip`: from now on the
    /// slot counts against that address's share. A client over its share
    /// is refused (and counted); the slot then stays as it was.
    pub(crate) fn forwarded_for(&mut self, ip: IpAddr) -> Result<(), Refusal> {
        if self.peer == Some(ip) {
            return Ok(());
        }
        let per_peer = self.admission.caps.per_peer;
        let mut table = self.admission.table();
        let held = table.peers.get(&ip).copied().unwrap_or_default();
        if held.open >= per_peer {
            drop(table);
            self.admission.count_refusal();
            return Err(Refusal::PeerShare(per_peer));
        }
        release(&mut table, self.peer, self.unfinished);
        let held = table.peers.entry(ip).or_default();
        held.open += 1;
        held.unfinished += usize::from(self.unfinished);
        self.peer = Some(ip);
        Ok(())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut table = self.admission.table();
        release(&mut table, self.peer, self.unfinished);
        table.open -= 1;
        table.unfinished -= usize::from(self.unfinished);
    }
}

/// Takes one slot off `peer`'s count, forgetting peers that hold none.
fn release(table: &mut Table, peer: Option<IpAddr>, unfinished: bool) {
    let Some(ip) = peer else { return };
    if let Some(held) = table.peers.get_mut(&ip) {
        held.open -= 1;
        held.unfinished -= usize::from(unfinished);
        if held.open == 0 {
            table.peers.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn admission(
        max_clients: usize,
        per_peer: Option<usize>,
        trusted: &[IpAddr],
    ) -> Arc<Admission> {
        Admission::new(&Config {
            max_clients,
            max_clients_per_peer: per_peer,
            trusted_proxies: trusted.to_vec(),
            ..Config::default()
        })
    }

    #[test]
    fn one_peer_gets_a_quarter_unfinished_and_half_in_all() {
        let adm = admission(8, None, &[]);
        let mut slots: Vec<Slot> = (0..2).map(|_| adm.admit(ip(1)).unwrap()).collect();
        assert_eq!(adm.admit(ip(1)).unwrap_err(), Refusal::PeerUnfinished(2));
        for slot in &mut slots {
            slot.head_arrived();
        }
        slots.extend((0..2).map(|_| adm.admit(ip(1)).unwrap()));
        assert_eq!(adm.admit(ip(1)).unwrap_err(), Refusal::PeerShare(4));
        // Another address still gets in.
        let other = adm.admit(ip(2)).unwrap();
        assert_eq!(adm.turned_away(), 2);
        drop(slots);
        drop(other);
        let table = adm.table();
        assert!(table.peers.is_empty());
        assert_eq!((table.open, table.unfinished), (0, 0));
    }

    #[test]
    fn the_overall_caps_hold_across_addresses() {
        let adm = admission(4, Some(0), &[]);
        let mut unfinished: Vec<Slot> = (1..=2).map(|n| adm.admit(ip(n)).unwrap()).collect();
        assert_eq!(adm.admit(ip(3)).unwrap_err(), Refusal::Unfinished(2));
        unfinished.iter_mut().for_each(Slot::head_arrived);
        let _more: Vec<Slot> = (3..=4).map(|n| adm.admit(ip(n)).unwrap()).collect();
        assert_eq!(adm.admit(ip(5)).unwrap_err(), Refusal::Full(4));
        assert_eq!(
            adm.head_timeout(Duration::from_secs(10)),
            SHORT_HEAD_TIMEOUT
        );
    }

    #[test]
    fn a_trusted_proxy_is_counted_by_its_forwarded_clients() {
        let proxy = ip(100);
        let adm = admission(8, None, &[proxy]);
        let mut slots: Vec<Slot> = (0..4).map(|_| adm.admit(proxy).unwrap()).collect();
        for slot in &mut slots {
            slot.head_arrived();
            slot.forwarded_for(ip(7)).unwrap();
        }
        let mut fifth = adm.admit(proxy).unwrap();
        fifth.head_arrived();
        assert_eq!(fifth.forwarded_for(ip(7)), Err(Refusal::PeerShare(4)));
        fifth.forwarded_for(ip(8)).unwrap();
        drop(slots);
        drop(fifth);
        assert!(adm.table().peers.is_empty());
    }
}
