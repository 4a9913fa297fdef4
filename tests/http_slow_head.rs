//! A request head that never completes (silence, half a head, or a head
//! trickling in a byte at a time) gets 408 once the head timeout has
//! passed, and the connection closes; meanwhile other HTTP and WebSocket
//! clients are served as usual.

mod common;

use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::http::*;
use common::*;
use tungstenite::Message;
use wshub::Config;

/// The three kinds of slow client.
struct SlowClients {
    silent: HttpConn,
    half: HttpConn,
    trickle: HttpConn,
    stop: Arc<AtomicBool>,
    trickler: JoinHandle<()>,
}

fn slow_clients(addr: SocketAddr) -> SlowClients {
    let silent = HttpConn::open(addr);
    let mut half = HttpConn::open(addr);
    half.send(b"GET / HTTP/1.1\r\nHost: x\r\n");
    let mut trickle = HttpConn::open(addr);
    trickle.send(b"GET / HTTP/1.1\r\nX-Slow: ");
    let stop = Arc::new(AtomicBool::new(false));
    // A byte every 50 ms: each read succeeds, but the head never ends.
    let trickler = {
        let (mut stream, stop) = (trickle.stream.try_clone().unwrap(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) && stream.write_all(b"a").is_ok() {
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    SlowClients {
        silent,
        half,
        trickle,
        stop,
        trickler,
    }
}

impl SlowClients {
    /// Each gets a 408 JSON error and the end of its connection.
    fn expect_408(mut self) {
        for conn in [&mut self.silent, &mut self.half, &mut self.trickle] {
            let answer = conn.read_response(false);
            answer.assert_error(408);
            assert_eq!(answer.header("Connection"), Some("close"));
        }
        self.stop.store(true, Ordering::Relaxed);
        self.trickler.join().unwrap();
        assert!(self.silent.is_closed() && self.half.is_closed());
    }

    /// None of them has been answered yet.
    fn none_answered(&self) -> bool {
        [&self.silent, &self.half, &self.trickle].iter().all(|conn| {
            conn.stream.set_nonblocking(true).unwrap();
            let mut byte = [0u8; 1];
            let nothing = matches!(conn.stream.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
            conn.stream.set_nonblocking(false).unwrap();
            nothing
        })
    }
}

#[test]
fn an_unfinished_head_gets_408_after_the_head_timeout() {
    let _watchdog = watchdog(DEADLINE * 2);
    let head_timeout = Duration::from_millis(300);
    let server = start(Config {
        head_timeout,
        ..config()
    });
    let started = Instant::now();
    slow_clients(server.local_addr()).expect_408();
    assert!(
        started.elapsed() >= head_timeout,
        "not answered before the timeout"
    );
    server.shutdown();
}

#[test]
fn other_clients_are_served_while_heads_are_slow() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = start_echo(Config {
        head_timeout: Duration::from_secs(5),
        ..config()
    });
    let addr = server.local_addr();
    let slow = slow_clients(addr);

    let mut conn = HttpConn::open(addr);
    for _ in 0..5 {
        assert_eq!(conn.request("GET", "/healthz", &[], b"").text(), "ok\n");
    }
    let mut ws = connect(addr);
    ws.send(Message::text("still here")).unwrap();
    assert_eq!(recv_text(&mut ws), "still here");
    // The others were served while the slow heads were still pending.
    assert!(slow.none_answered());

    slow.expect_408();
    server.shutdown();
}
