//! 10,000 idle clients fit in the real `wshub` binary (the default
//! `--max-clients`) and are all still served; prints the server's RSS per
//! idle client, the figure in the README. Memory is printed, never
//! asserted. Ignored by plain `cargo test` (it needs about 10,100 open files
//! in each process, and is best run in release): `.ci/run` runs it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

const CLIENTS: usize = 10_000;

/// A field of /proc/PID/status, in kB or as a count.
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The soft limit on open files, from /proc/self/limits.
fn open_files_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

#[test]
#[ignore = "needs 10,100 open files and release: (ulimit -n $(ulimit -Hn); cargo test --release --test idle_memory -- --ignored --nocapture)"]
fn ten_thousand_idle_clients_fit_and_are_served() {
    let _watchdog = watchdog(Duration::from_secs(300));
    assert!(
        open_files_limit() > CLIENTS as u64 + 100,
        "needs more than {} open files: raise `ulimit -n`",
        CLIENTS + 100
    );
    // Every client comes from 127.0.0.1: no per-peer share.
    let wshub = Binary::start(&[
        "--mode",
        "broadcast",
        "--welcome",
        "",
        "--max-clients-per-peer",
        "0",
    ]);
    let pid = wshub.pid();
    let rss_before = status_field(pid, "VmRSS:");

    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| raw_handshake(wshub.addr)).collect();
    for _ in 0..CLIENTS {
        wshub.wait_for_log(" connected from ");
    }
    let rss_after = status_field(pid, "VmRSS:");
    let threads = status_field(pid, "Threads:");

    // Every one of them is still served: one broadcast reaches all.
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | 5];
    frame.extend_from_slice(&mask);
    frame.extend(b"hello".iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    clients[0].write_all(&frame).unwrap();
    for client in &mut clients {
        let mut got = [0u8; 7];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"\x81\x05hello");
    }
    assert!(threads >= CLIENTS as u64, "one thread per client");

    let per_client = (rss_after - rss_before) as f64 / CLIENTS as f64;
    eprintln!(
        "idle clients: {CLIENTS}; server RSS {rss_before} kB before, {rss_after} kB after \
         ({per_client:.1} kB per idle client); {threads} threads"
    );

    wshub.signal("TERM");
    let (status, _) = wshub.wait_exit();
    assert!(status.success(), "{status:?}");
}
