//! The ceiling: a raw TCP fan-out that does the least a broadcast server
//! can do, so that wshub's throughput can be read as a fraction of it.
//!
//! One thread, one epoll set. It answers the WebSocket handshake (with
//! wshub's own request parser and `101` answer), reads the frames clients
//! send, unmasks them into server frames, and after each epoll turn writes
//! everything that turn produced to every client with one plain blocking
//! `write` — the same frame bytes to the same sockets as wshub, with no
//! hub, no channel, no per-client queue, no WebSocket library.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rustix::buffer::spare_capacity;
use rustix::event::epoll;
use rustix::io::Errno;
use rustix::net::RecvFlags;

const LISTENER: u64 = u64::MAX;

/// One upgraded connection.
struct Client {
    stream: TcpStream,
    /// The start of a frame whose end has not arrived yet.
    pending: Vec<u8>,
}

/// Listens on `addr` (port 0 picks a free port).
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    eprintln!("raw fan-out listening on ws://{}", listener.local_addr()?);
    Ok(listener)
}

/// Serves the raw fan-out on `listener` until the process ends.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let poll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
    epoll::add(
        &poll,
        &listener,
        epoll::EventData::new_u64(LISTENER),
        epoll::EventFlags::IN,
    )?;
    let mut clients: Vec<Option<Client>> = Vec::new();
    let mut events = Vec::with_capacity(1024);
    let mut scratch = vec![0u8; 256 * 1024];
    let mut out = Vec::new();
    loop {
        events.clear();
        match epoll::wait(&poll, spare_capacity(&mut events), None) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(err) => return Err(err.into()),
        }
        for event in &events {
            let key = event.data.u64();
            if key == LISTENER {
                if let Some(client) = accept(&listener, &mut out) {
                    let slot = clients.iter().position(Option::is_none).unwrap_or_else(|| {
                        clients.push(None);
                        clients.len() - 1
                    });
                    epoll::add(
                        &poll,
                        &client.stream,
                        epoll::EventData::new_u64(slot as u64),
                        epoll::EventFlags::IN,
                    )?;
                    clients[slot] = Some(client);
                }
                continue;
            }
            let slot = key as usize;
            if let Some(client) = &mut clients[slot] {
                if !read(client, &mut scratch, &mut out) {
                    clients[slot] = None; // Dropping the stream closes it and leaves the epoll set.
                }
            }
        }
        if !out.is_empty() {
            for slot in clients.iter_mut() {
                if let Some(client) = slot {
                    if (&client.stream).write_all(&out).is_err() {
                        *slot = None;
                    }
                }
            }
            out.clear();
        }
    }
}

/// Accepts one connection and completes its handshake (blocking, for at
/// most two seconds: connections arrive before the load starts).
fn accept(listener: &TcpListener, out: &mut Vec<u8>) -> Option<Client> {
    let (stream, _) = listener.accept().ok()?;
    stream.set_nodelay(true).ok()?;
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    let request = wshub::http::read_head(&stream, &mut buf, deadline).ok()?;
    let answer = wshub::upgrade::accept(&request).ok()?;
    (&stream).write_all(&answer).ok()?;
    stream.set_read_timeout(None).ok()?;
    let mut client = Client {
        stream,
        pending: Vec::new(),
    };
    // Frames sent right behind the request head.
    forward(&mut client, &buf, out).then_some(client)
}

/// Reads what a client sent without blocking; false once it is gone.
fn read(client: &mut Client, scratch: &mut [u8], out: &mut Vec<u8>) -> bool {
    match rustix::net::recv(&client.stream, &mut *scratch, RecvFlags::DONTWAIT) {
        Ok((0, _)) => false,
        Ok((n, _)) => forward(client, &scratch[..n], out),
        Err(Errno::AGAIN | Errno::INTR) => true,
        Err(_) => false,
    }
}

/// Turns each whole client frame in `pending` + `bytes` into a server frame
/// in `out`; false on a close frame or a frame no client may send.
fn forward(client: &mut Client, bytes: &[u8], out: &mut Vec<u8>) -> bool {
    client.pending.extend_from_slice(bytes);
    let buf = &client.pending;
    let mut used = 0;
    let open = loop {
        let rest = &buf[used..];
        let [b0, b1, ..] = *rest else { break true };
        if b1 & 0x80 == 0 {
            break false; // Client frames must be masked.
        }
        let (start, len) = match b1 & 0x7F {
            126 if rest.len() >= 4 => (4, u16::from_be_bytes([rest[2], rest[3]]) as usize),
            127 if rest.len() >= 10 => (
                10,
                u64::from_be_bytes(rest[2..10].try_into().unwrap()) as usize,
            ),
            126 | 127 => break true,
            n => (2, n as usize),
        };
        let Some(masked) = rest.get(start + 4..start + 4 + len) else {
            break true;
        };
        let mask = &rest[start..start + 4];
        used += start + 4 + len;
        match b0 & 0x0F {
            0x8 => break false,
            0x9 | 0xA => {} // Pings and pongs: nothing to fan out.
            _ => {
                out.push(b0);
                out.push(b1 & 0x7F);
                out.extend_from_slice(&rest[2..start]);
                out.extend(masked.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
            }
        }
    };
    client.pending.drain(..used);
    open
}
