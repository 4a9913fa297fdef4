//! `POST /broadcast` in a tight loop, from several connections, cannot
//! grow the server's memory without bound or get a reader evicted that
//! keeps reading, slowly: the requests wait for their answer while the
//! readers are behind (`publishers_paused` in `/stats` counts it).

mod common;

use std::time::{Duration, Instant};

use common::http::{get, post_text, HttpConn};
use common::*;
use crossbeam_channel::Sender;
use tungstenite::Message;

const POSTERS: usize = 4;
const BODY: usize = 16 * 1024;
const POSTING: Duration = Duration::from_secs(3);

/// Counts text messages until "end", reading each after `pause`.
fn read_all(mut ws: Ws, pause: Duration, report: Sender<Result<u64, String>>) {
    let mut count = 0;
    loop {
        match ws.read() {
            Ok(Message::Text(text)) if text.as_str() == "end" => {
                let _ = report.send(Ok(count));
                return;
            }
            Ok(Message::Text(_)) => count += 1,
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(other) => return drop(report.send(Err(format!("unexpected {other:?}")))),
            Err(err) => return drop(report.send(Err(format!("after {count}: {err}")))),
        }
        // A reader that keeps reading, slower than the posters post.
        std::thread::sleep(pause);
    }
}

fn stats(addr: std::net::SocketAddr) -> serde_json::Value {
    get(addr, "/stats").json()
}

#[test]
fn posting_in_a_loop_waits_for_slow_readers_instead_of_evicting_them() {
    let _watchdog = watchdog(Duration::from_secs(120));
    let wshub = Binary::start(&["--mode", "broadcast", "--welcome", ""]);
    let addr = wshub.addr;
    let (report, reports) = crossbeam_channel::unbounded();
    let readers = [Duration::from_millis(10), Duration::ZERO, Duration::ZERO];
    for pause in readers {
        let (ws, report) = (connect(addr), report.clone());
        std::thread::spawn(move || read_all(ws, pause, report));
    }
    for _ in readers {
        wshub.wait_for_log(" connected from ");
    }

    let posters: Vec<_> = (0..POSTERS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = HttpConn::open(addr);
                let body = vec![b'p'; BODY];
                let started = Instant::now();
                let mut posted = 0u64;
                while started.elapsed() < POSTING {
                    let response = conn.request("POST", "/broadcast", &[], &body);
                    assert_eq!(response.status, 200, "{}", response.text());
                    posted += 1;
                }
                posted
            })
        })
        .collect();
    let posted: u64 = posters.into_iter().map(|p| p.join().unwrap()).sum();
    assert_eq!(post_text(addr, "/broadcast", "end").status, 200);
    for _ in readers {
        match reports.recv_timeout(DEADLINE * 3) {
            Ok(Ok(count)) => assert_eq!(count, posted, "every post reached every reader"),
            Ok(Err(why)) => panic!("a reader failed: {why}"),
            Err(_) => panic!("the posts were not all delivered"),
        }
    }
    let stats = stats(addr);
    let peak_mib = peak_rss_kib(wshub.pid()) / 1024;
    eprintln!(
        "{posted} posts of {BODY} bytes; publishers paused {}; server peak RSS {peak_mib} MiB",
        stats["publishers_paused"]
    );
    assert_eq!(stats["evictions"], 0);
    assert!(stats["publishers_paused"].as_u64().unwrap() > 0);
    // Generous: readers' backlogs stay near a quarter of --max-queue (1 MiB).
    assert!(peak_mib < 100, "server peak RSS {peak_mib} MiB");
}

/// Peak RSS of process `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
