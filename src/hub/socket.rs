//! The two things the hub does to a socket: write without waiting, and
//! shut it down. A trait, so that the dispatcher can be tested without a
//! network (its tests give it sockets that take as much as a test says).

use std::io::{self, IoSlice};
use std::net::{Shutdown, TcpStream};

use rustix::net::{SendAncillaryBuffer, SendFlags};

/// A client's socket, as the hub thread writes it.
pub(crate) trait Socket: Send + Sync + 'static {
    /// Writes as much of `bufs`, in order, as the kernel takes right now and
    /// returns how many bytes that was; never waits. A full buffer is
    /// [`io::ErrorKind::WouldBlock`]; any other error means the connection
    /// is broken.
    fn send_now(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    /// Shuts the connection down; ending the read side wakes the client's
    /// connection thread from its blocking read.
    fn shut(&self, how: Shutdown);
}

impl Socket for TcpStream {
    /// `MSG_DONTWAIT` per call rather than `O_NONBLOCK` on the socket: the
    /// socket is shared with the reading thread, whose reads must stay
    /// blocking. `MSG_NOSIGNAL`: a vanished peer gives `EPIPE`, not a
    /// process-killing `SIGPIPE`.
    fn send_now(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
        let sent = match bufs {
            [one] => rustix::net::send(self, one, flags),
            _ => rustix::net::sendmsg(self, bufs, &mut SendAncillaryBuffer::default(), flags),
        };
        sent.map_err(io::Error::from)
    }

    fn shut(&self, how: Shutdown) {
        let _ = self.shutdown(how);
    }
}
