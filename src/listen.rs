//! The listening sockets: one address (`--bind`), or localhost the way
//! Node's `ws` is reached, on 127.0.0.1 and ::1 with the same port.
//!
//! Why both: `ws://localhost:3000` resolves to ::1 first on many machines
//! (browsers and Node try it first), so a server on 127.0.0.1 alone would
//! be "connection refused" for them. A machine without IPv6 gets
//! 127.0.0.1 only. The accept thread waits on every listener at once with
//! `poll`, so there is still one accept thread, and so one place that
//! counts connections against `--max-clients`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};

use log::debug;
use rustix::event::{PollFd, PollFlags};

use crate::config::Config;
use crate::start_error::StartError;

/// With port 0, ::1 gets the port 127.0.0.1 was given; should another
/// program hold that port on ::1, this many fresh ports are tried.
const PORT_ATTEMPTS: usize = 8;

/// The server's listening sockets, all on one port.
#[derive(Debug)]
pub(crate) struct Listeners {
    all: Vec<TcpListener>,
    /// Where the next search for a ready listener starts, so a busy one
    /// cannot keep the others waiting.
    next: AtomicUsize,
}

impl Listeners {
    /// Binds `config.bind` on `config.port`, or 127.0.0.1 and ::1 when
    /// `bind` is `None`.
    ///
    /// # Errors
    ///
    /// [`StartError::Bind`] naming the address that could not be bound.
    pub(crate) fn bind(config: &Config) -> Result<Listeners, StartError> {
        let all = match config.bind {
            Some(ip) => vec![bind_one(SocketAddr::new(ip, config.port))?],
            None => bind_localhost(config.port)?,
        };
        for listener in &all {
            // Polled before each accept: a connection that is reset before
            // it is accepted must not block the accept thread.
            listener.set_nonblocking(true)?;
        }
        Ok(Listeners {
            all,
            next: AtomicUsize::new(0),
        })
    }

    /// Every address listened on, the IPv4 one first.
    pub(crate) fn local_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        self.all.iter().map(TcpListener::local_addr).collect()
    }

    /// Waits for the next connection on any listener. After [`wake`] it
    /// returns an error at once (the caller checks why it was woken).
    ///
    /// [`wake`]: Listeners::wake
    pub(crate) fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        loop {
            let mut fds: Vec<PollFd<'_>> = self
                .all
                .iter()
                .map(|listener| PollFd::new(listener, PollFlags::IN))
                .collect();
            match rustix::event::poll(&mut fds, None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(err) => return Err(err.into()),
            }
            let ready: Vec<bool> = fds.iter().map(|fd| !fd.revents().is_empty()).collect();
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            for offset in 0..self.all.len() {
                let index = (start + offset) % self.all.len();
                if !ready[index] {
                    continue;
                }
                match self.all[index].accept() {
                    // Accepted sockets do not inherit O_NONBLOCK on Linux:
                    // connection threads read with blocking calls.
                    Ok(accepted) => return Ok(accepted),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) => return Err(err),
                }
            }
        }
    }

    /// Makes a blocked [`Listeners::accept`] return: shutting a listening
    /// socket down wakes `poll` (POLLHUP) and fails `accept` (EINVAL).
    pub(crate) fn wake(&self) {
        for listener in &self.all {
            let _ = rustix::net::shutdown(listener, rustix::net::Shutdown::Read);
        }
    }
}

fn bind_one(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })
}

/// 127.0.0.1 and, where the machine has IPv6, ::1 on the same port.
fn bind_localhost(asked: u16) -> Result<Vec<TcpListener>, StartError> {
    let mut attempts = 0;
    loop {
        let v4 = bind_one(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), asked))?;
        let port = v4.local_addr()?.port();
        let v6_addr = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
        match TcpListener::bind(v6_addr) {
            Ok(v6) => return Ok(vec![v4, v6]),
            Err(err) if no_ipv6(&err) => {
                debug!("no IPv6 loopback here ({err}): listening on 127.0.0.1 only");
                return Ok(vec![v4]);
            }
            Err(err) if err.kind() == io::ErrorKind::AddrInUse && attempts < PORT_ATTEMPTS => {
                // Only with port 0 is another port as good (dropping `v4`
                // frees its port); a port asked for must be ours on both,
                // or `localhost` could reach another program.
                if asked == 0 {
                    attempts += 1;
                    continue;
                }
                return Err(StartError::Bind {
                    addr: v6_addr,
                    source: err,
                });
            }
            Err(source) => {
                return Err(StartError::Bind {
                    addr: v6_addr,
                    source,
                })
            }
        }
    }
}

/// The errors a machine without IPv6 (or without its loopback address)
/// answers a bind to ::1 with.
fn no_ipv6(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(code) if code == rustix::io::Errno::AFNOSUPPORT.raw_os_error()
            || code == rustix::io::Errno::ADDRNOTAVAIL.raw_os_error()
    )
}
