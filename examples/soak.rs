//! Soak: the real `wshub` binary under a mixed load for N minutes, its
//! RSS, threads and file descriptors reported over time, and a verdict.
//!
//! ```sh
//! cargo build --release --bin wshub --example soak
//! target/release/examples/soak --minutes 30
//! ```
//!
//! The load: subscribers that only read, publishers that send numbered
//! messages at a steady rate (and read what others send), clients that
//! connect and leave all the time (WebSocket churn), and `POST /broadcast`
//! and `GET /stats` calls. Every subscriber checks that it gets every
//! publisher's and the API's messages, each in order, without a gap.
//!
//! It fails (exit code 1) if a message was lost, if threads or file
//! descriptors do not come back, once every client has left, to the
//! server's count with only the subscribers less one each (a leak), or if RSS at the end is more than 10 % above RSS after the
//! warm-up (a quarter of the run, at least 30 s).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tungstenite::Message;

/// The settings, from `--name value` pairs.
struct Options {
    minutes: f64,
    wshub: String,
    subscribers: usize,
    publishers: usize,
    /// Messages per second per publisher, and API posts per second.
    rate: u64,
    /// Churn connections per second.
    churn: u64,
    /// Seconds between report lines.
    every: u64,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut options = Options {
            minutes: 2.0,
            wshub: "target/release/wshub".into(),
            subscribers: 100,
            publishers: 4,
            rate: 50,
            churn: 10,
            every: 10,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        for pair in args.chunks(2) {
            let [name, value] = pair else {
                return Err(format!("{} needs a value", pair[0]));
            };
            let bad = || format!("bad value for {name}: {value}");
            match name.as_str() {
                "--minutes" => options.minutes = value.parse().map_err(|_| bad())?,
                "--wshub" => options.wshub = value.clone(),
                "--subscribers" => options.subscribers = value.parse().map_err(|_| bad())?,
                "--publishers" => options.publishers = value.parse().map_err(|_| bad())?,
                "--rate" => options.rate = value.parse().map_err(|_| bad())?,
                "--churn" => options.churn = value.parse().map_err(|_| bad())?,
                "--every" => options.every = value.parse().map_err(|_| bad())?,
                _ => return Err(format!("unknown flag {name}")),
            }
        }
        Ok(options)
    }
}

/// What every load thread shares.
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    delivered: AtomicU64,
    /// Messages a subscriber found missing or out of order, and
    /// subscribers whose connection failed.
    lost: AtomicU64,
    churned: AtomicU64,
    api_calls: AtomicU64,
}

/// A field of /proc/PID/status (kB or a count).
fn status(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// Starts the server and reads its address from its first log line; the
/// rest of its log is drained on a thread.
fn start_server(path: &str) -> Result<(Child, SocketAddr), String> {
    let mut child = Command::new(path)
        .args(["--port", "0", "--mode", "broadcast", "--welcome", ""])
        // One load generator is one peer address.
        .args(["--max-clients-per-peer", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {path}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .ok_or("wshub exited")?
            .map_err(|e| e.to_string())?;
        if let Some(rest) = line.split("listening on ws://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            break addr
                .parse()
                .map_err(|_| format!("no address in {line:?}"))?;
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, addr))
}

fn connect(addr: SocketAddr) -> Option<tungstenite::WebSocket<TcpStream>> {
    let stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    tungstenite::client(format!("ws://{addr}/"), stream)
        .ok()
        .map(|(ws, _)| ws)
}

/// Reads everything; checks every source's numbers run without a gap.
/// Messages look like `SOURCE:SEQ`; `SOURCE:end:COUNT` closes a source.
fn subscriber(addr: SocketAddr, sources: usize, shared: &Shared) {
    let Some(mut ws) = connect(addr) else {
        shared.lost.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let mut next: HashMap<String, u64> = HashMap::new();
    let mut ended = 0;
    while ended < sources {
        let text = match ws.read() {
            Ok(Message::Text(text)) => text,
            Ok(_) => continue,
            Err(err) => {
                eprintln!("a subscriber lost its connection: {err}");
                shared.lost.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let mut parts = text.split(':');
        let (Some(source), Some(seq)) = (parts.next(), parts.next()) else {
            continue; // Churn clients' hellos.
        };
        let expected = next.entry(source.to_string()).or_default();
        if seq == "end" {
            let count: u64 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
            shared
                .lost
                .fetch_add(count.saturating_sub(*expected), Ordering::Relaxed);
            ended += 1;
        } else if seq.parse() == Ok(*expected) {
            *expected += 1;
            shared.delivered.fetch_add(1, Ordering::Relaxed);
        } else {
            shared.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A raw WebSocket client: the handshake, then masked text frames.
fn raw_client(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(
        b"GET / HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    Ok(stream)
}

/// A masked text frame (a zero key: the payload stays as it is).
fn text_frame(text: &str) -> Vec<u8> {
    let mut frame = vec![0x81];
    match text.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(text.as_bytes());
    frame
}

/// Sends `source:seq` `rate` times a second until stopped, then the end.
fn publisher(addr: SocketAddr, source: String, rate: u64, shared: &Shared) -> std::io::Result<()> {
    let mut stream = raw_client(addr)?;
    // It receives what the others send: read it, or it would be a stalled
    // reader and be evicted.
    let mut reader = stream.try_clone()?;
    let reading = std::thread::spawn(move || {
        let mut sink = [0u8; 16 * 1024];
        while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
    });
    let mut seq = 0u64;
    let started = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        stream.write_all(&text_frame(&format!("{source}:{seq}")))?;
        seq += 1;
        pace(started, seq, rate);
    }
    stream.write_all(&text_frame(&format!("{source}:end:{seq}")))?;
    // FIN after the last frame: the server leaves, and closes the socket,
    // which ends the reading thread.
    stream.shutdown(std::net::Shutdown::Write)?;
    let _ = reading.join();
    Ok(())
}

/// Sleeps until message `sent` is due at `rate` a second.
fn pace(started: Instant, sent: u64, rate: u64) {
    let due = started + Duration::from_secs_f64(sent as f64 / rate as f64);
    if let Some(wait) = due.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
}

/// One HTTP request on its own connection; true on a 200.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

/// API posts (a numbered source of their own) and stats reads.
fn api(addr: SocketAddr, rate: u64, shared: &Shared) {
    let (mut seq, started) = (0u64, Instant::now());
    while !shared.stop.load(Ordering::Relaxed) {
        if http(addr, "POST", "/broadcast", &format!("api:{seq}")) {
            seq += 1;
        }
        http(addr, "GET", "/stats", "");
        shared.api_calls.fetch_add(2, Ordering::Relaxed);
        pace(started, seq, rate);
    }
    while !http(addr, "POST", "/broadcast", &format!("api:end:{seq}")) {}
}

/// Clients that connect, say hello, and leave, `rate` a second.
fn churn(addr: SocketAddr, rate: u64, shared: &Shared) {
    let (mut n, started) = (0u64, Instant::now());
    while !shared.stop.load(Ordering::Relaxed) {
        if let Some(mut ws) = connect(addr) {
            let _ = ws.send(Message::text("hello"));
            let _ = ws.close(None);
            // Read until the server's close reply, so the close is clean.
            while ws.read().is_ok() {}
        }
        n += 1;
        shared.churned.fetch_add(1, Ordering::Relaxed);
        pace(started, n, rate);
    }
}

fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("soak: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (mut child, addr) = match start_server(&options.wshub) {
        Ok(started) => started,
        Err(err) => {
            eprintln!("soak: {err}");
            return ExitCode::FAILURE;
        }
    };
    let pid = child.id();
    let verdict = soak(&options, addr, pid);
    let _ = child.kill();
    let _ = child.wait();
    match verdict {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("soak FAILED: {why}");
            ExitCode::FAILURE
        }
    }
}

fn soak(options: &Options, addr: SocketAddr, pid: u32) -> Result<(), String> {
    let shared = Arc::new(Shared::default());
    let sources = options.publishers + 1; // The API is a source too.
    let mut load = Vec::new();
    for _ in 0..options.subscribers {
        let shared = shared.clone();
        load.push(std::thread::spawn(move || {
            subscriber(addr, sources, &shared)
        }));
    }
    // Subscribers first, so that they see every message from its first.
    let connected = |n: usize| {
        http_stats(addr)
            .and_then(|s| s["clients"].as_u64())
            .is_some_and(|c| c >= n as u64)
    };
    wait_until(Duration::from_secs(60), || connected(options.subscribers))
        .map_err(|_| "the subscribers never all connected")?;
    // The server with only the subscribers: without them, this is what
    // every thread and descriptor must come back to at the end.
    let subscribers = options.subscribers as u64;
    let threads0 = status(pid, "Threads:").saturating_sub(subscribers);
    let fds0 = fds(pid).saturating_sub(subscribers);
    for p in 0..options.publishers {
        let (shared, rate) = (shared.clone(), options.rate);
        load.push(std::thread::spawn(move || {
            if let Err(err) = publisher(addr, format!("pub{p}"), rate, &shared) {
                eprintln!("publisher {p} failed: {err}");
                shared.lost.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let (shared_api, rate) = (shared.clone(), options.rate);
    load.push(std::thread::spawn(move || api(addr, rate, &shared_api)));
    let (shared_churn, rate) = (shared.clone(), options.churn);
    let churner = std::thread::spawn(move || churn(addr, rate, &shared_churn));

    let total = Duration::from_secs_f64(options.minutes * 60.0);
    let warm_up = (total / 4).max(Duration::from_secs(30)).min(total);
    let started = Instant::now();
    let mut rss_warm = None;
    let mut rss_end = 0;
    println!("   time  RSS MiB  threads    fds  delivered   lost  churned  api calls");
    while started.elapsed() < total {
        let left = total.saturating_sub(started.elapsed());
        std::thread::sleep(Duration::from_secs(options.every).min(left));
        let rss = status(pid, "VmRSS:");
        if rss_warm.is_none() && started.elapsed() >= warm_up {
            rss_warm = Some(rss);
        }
        rss_end = rss;
        println!(
            "{:>6.0}s {:>8.1} {:>8} {:>6} {:>10} {:>6} {:>8} {:>10}",
            started.elapsed().as_secs_f64(),
            rss as f64 / 1024.0,
            status(pid, "Threads:"),
            fds(pid),
            shared.delivered.load(Ordering::Relaxed),
            shared.lost.load(Ordering::Relaxed),
            shared.churned.load(Ordering::Relaxed),
            shared.api_calls.load(Ordering::Relaxed),
        );
    }
    shared.stop.store(true, Ordering::Relaxed);
    let _ = churner.join();
    for thread in load {
        let _ = thread.join();
    }
    let lost = shared.lost.load(Ordering::Relaxed);
    // Every client has left; the server ends their threads on its own time.
    let back = wait_until(Duration::from_secs(20), || {
        status(pid, "Threads:") <= threads0 && fds(pid) <= fds0
    });
    let (threads, fds_now) = (status(pid, "Threads:"), fds(pid));
    let rss_warm = rss_warm.unwrap_or(rss_end);
    let growth = (rss_end as f64 / rss_warm.max(1) as f64 - 1.0) * 100.0;
    println!(
        "summary: {} delivered, {lost} lost; threads {threads0} without clients, {threads} after; \
         fds {fds0} without clients, {fds_now} after; RSS {:.1} MiB after warm-up, {:.1} MiB at \
         the end ({growth:+.1} %)",
        shared.delivered.load(Ordering::Relaxed),
        rss_warm as f64 / 1024.0,
        rss_end as f64 / 1024.0,
    );
    if lost > 0 {
        return Err(format!("{lost} messages lost"));
    }
    if back.is_err() {
        return Err(format!(
            "leak: threads {threads0} -> {threads}, fds {fds0} -> {fds_now}"
        ));
    }
    if growth > 10.0 {
        return Err(format!("RSS grew {growth:.1} % after warm-up"));
    }
    Ok(())
}

/// `GET /stats`, parsed.
fn http_stats(addr: SocketAddr) -> Option<serde_json::Value> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    serde_json::from_str(response.split("\r\n\r\n").nth(1)?).ok()
}

/// Checks `done` every 100 ms (the server is another process: there is
/// nothing to wait on) until it holds or `limit` passes.
fn wait_until(limit: Duration, done: impl Fn() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
