//! `--ping-interval`: a client that stops reading and answering is pinged
//! after one silent interval and closed after two (1001, then FIN), while
//! a client that answers pings stays, however little it says.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::*;
use tungstenite::Message;
use wshub::{Config, Target};

#[test]
fn a_silent_peer_is_pinged_then_dropped_and_a_live_one_stays() {
    let _watchdog = watchdog(DEADLINE * 2);
    let interval = Duration::from_millis(300);
    let server = start(Config {
        ping_interval: interval,
        ..config()
    });
    let addr = server.local_addr();

    // A live client never sends a data message, but it reads, so its
    // tungstenite answers every ping.
    let mut live = connect(addr);
    let live = std::thread::spawn(move || recv_text(&mut live));

    // The silent one completes the handshake, then neither reads nor writes.
    let started = Instant::now();
    let mut silent = raw_handshake(addr);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 2));
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    let gone_after = started.elapsed();
    assert!(
        gone_after >= interval * 2,
        "dropped too early: {gone_after:?}"
    );
    // Two intervals, plus up to one more for where the read timeouts fall,
    // plus generous slack for a loaded machine.
    assert!(
        gone_after < interval * 3 + Duration::from_secs(2),
        "{gone_after:?}"
    );

    // What the silent peer was sent: a ping, a close frame, then EOF.
    let mut got = Vec::new();
    silent
        .read_to_end(&mut got)
        .expect("FIN after the close frame");
    assert_eq!(&got[..2], &[0x89, 0x00], "a ping first: {got:?}");
    assert_eq!(got[2], 0x88, "then a close frame: {got:?}");
    assert_eq!(u16::from_be_bytes([got[4], got[5]]), 1001);
    assert_eq!(got.len(), 4 + usize::from(got[3]), "nothing after it");

    // The live client was just as quiet for as long, and is still served.
    let reached = server
        .hub()
        .send_counted(Target::All, Message::text("still here"));
    assert_eq!(reached, Ok(1));
    assert_eq!(live.join().unwrap(), "still here");
    server.shutdown();
}
