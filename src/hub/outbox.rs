//! One client's outgoing bytes: the backlog the kernel has not taken yet,
//! written without ever blocking the hub.
//!
//! The hub is the only writer of every socket. It must never wait for one
//! slow client, so it writes through [`Socket::send_now`], which never
//! blocks. Whatever the kernel does not take stays here, in order, and is
//! retried when the hub next writes.

use std::collections::VecDeque;
use std::io::{self, IoSlice};

use bytes::Bytes;

use super::socket::Socket;

/// At most this many buffers go into one `sendmsg` (Linux allows 1024).
const MAX_IOV: usize = 64;

/// Frames waiting to be written to one socket, oldest first.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    queue: VecDeque<Bytes>,
    /// How much of the front buffer the kernel has already taken.
    offset: usize,
    /// Unsent bytes in the whole queue.
    pending: usize,
}

impl Outbox {
    /// Appends a frame (or a run of frames) behind everything already queued.
    pub(super) fn push(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.pending += bytes.len();
            self.queue.push_back(bytes);
        }
    }

    /// True when everything queued has reached the kernel.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Unsent bytes queued behind the buffer being written: the figure that
    /// `--max-queue` bounds. The buffer in progress is left out so that a
    /// single message as large as `--max-message` never counts as a backlog.
    pub(super) fn waiting_bytes(&self) -> usize {
        match self.queue.front() {
            Some(front) => self.pending - (front.len() - self.offset),
            None => 0,
        }
    }

    /// Drops everything not yet started, keeping only a partly written
    /// buffer (cutting that one would corrupt the frame on the wire).
    pub(super) fn discard_unstarted(&mut self) {
        let keep = usize::from(self.offset > 0);
        while self.queue.len() > keep {
            if let Some(dropped) = self.queue.pop_back() {
                self.pending -= dropped.len();
            }
        }
    }

    /// Writes as much as the kernel takes right now, in one vectored send
    /// per [`MAX_IOV`] buffers, and returns the number of bytes written.
    ///
    /// # Errors
    ///
    /// Any error but "would block" or "interrupted": the connection is
    /// broken and the client should be dropped.
    pub(super) fn write_to(&mut self, socket: &dyn Socket) -> io::Result<usize> {
        let mut written = 0;
        while !self.queue.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut count = 0;
            let mut offered = 0;
            for (i, buf) in self.queue.iter().take(MAX_IOV).enumerate() {
                let part = if i == 0 {
                    &buf[self.offset..]
                } else {
                    &buf[..]
                };
                iov[i] = IoSlice::new(part);
                offered += part.len();
                count += 1;
            }
            match socket.send_now(&iov[..count]) {
                Ok(n) => {
                    self.consume(n);
                    written += n;
                    if n < offered {
                        break; // The kernel's buffer is full: retry later.
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(written)
    }

    /// Forgets `n` bytes the kernel has taken.
    fn consume(&mut self, mut n: usize) {
        self.pending -= n;
        while n > 0 {
            let Some(front) = self.queue.front() else {
                break;
            };
            let left = front.len() - self.offset;
            if n < left {
                self.offset += n;
                return;
            }
            n -= left;
            self.offset = 0;
            self.queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (server, client)
    }

    #[test]
    fn writes_everything_in_order() {
        let (server, mut client) = pair();
        let mut outbox = Outbox::default();
        for part in [&b"ab"[..], b"", b"cde", b"f"] {
            outbox.push(Bytes::copy_from_slice(part));
        }
        assert_eq!(outbox.write_to(&server).unwrap(), 6);
        assert!(outbox.is_empty());
        let mut got = [0; 6];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"abcdef");
    }

    #[test]
    fn keeps_what_the_kernel_refuses_and_never_blocks() {
        let (server, mut client) = pair();
        let mut outbox = Outbox::default();
        let chunk = Bytes::from(vec![7u8; 1 << 20]);
        for _ in 0..64 {
            outbox.push(chunk.clone());
        }
        // 64 MiB is far beyond any socket buffer: the call must return with
        // a backlog instead of waiting for the reader.
        let first = outbox.write_to(&server).unwrap();
        assert!(first < 64 << 20);
        assert!(!outbox.is_empty());
        assert!(outbox.waiting_bytes() < 64 << 20);

        // Drain from the other side while the outbox retries: every byte
        // arrives exactly once.
        let reader = std::thread::spawn(move || {
            let mut total = 0usize;
            let mut buf = vec![0; 1 << 16];
            while total < 64 << 20 {
                let n = client.read(&mut buf).unwrap();
                assert!(buf[..n].iter().all(|&b| b == 7));
                total += n;
            }
            total
        });
        let mut sent = first;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !outbox.is_empty() {
            assert!(std::time::Instant::now() < deadline, "outbox never drained");
            sent += outbox.write_to(&server).unwrap();
            std::thread::yield_now();
        }
        assert_eq!(sent, 64 << 20);
        assert_eq!(reader.join().unwrap(), 64 << 20);
    }

    #[test]
    fn discarding_keeps_a_partly_written_front() {
        let mut outbox = Outbox::default();
        outbox.push(Bytes::from_static(b"hello"));
        outbox.push(Bytes::from_static(b"world"));
        outbox.consume(2);
        assert_eq!(outbox.waiting_bytes(), 5);
        outbox.discard_unstarted();
        assert_eq!(outbox.pending, 3);
        assert_eq!(outbox.waiting_bytes(), 0);
    }
}
