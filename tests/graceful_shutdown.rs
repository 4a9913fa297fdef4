//! The `wshub` binary shuts down gracefully on SIGTERM and SIGINT: every
//! message broadcast before the signal reaches every client before its
//! 1001 close frame, even from a backlog the kernel had not taken yet; a
//! summary is logged and the exit code is 0.

mod common;

use common::*;
use tungstenite::Message;

const CLIENTS: usize = 5;
/// 6 MiB per client: more than loopback buffers hold, so at the signal
/// most of it still waits in the hub's backlogs.
const MESSAGES: usize = 384;
const SIZE: usize = 16 * 1024;

fn message(index: usize) -> Message {
    let mut payload = vec![b'.'; SIZE];
    payload[..8].copy_from_slice(&(index as u64).to_le_bytes());
    Message::binary(payload)
}

fn shuts_down_gracefully_on(signal: &str) {
    let _watchdog = watchdog(DEADLINE * 3);
    let wshub = Binary::start(&[
        "--mode",
        "broadcast",
        "--welcome",
        "",
        "--max-queue",
        "67108864",
        // Ample time for the readers to drain 6 MiB each on a busy machine.
        "--shutdown-timeout",
        "20",
    ]);
    let mut clients: Vec<Ws> = (0..CLIENTS).map(|_| connect(wshub.addr)).collect();
    for _ in 0..CLIENTS {
        wshub.wait_for_log(" connected from ");
    }

    // Client 0 broadcasts; it gets its own messages back, so once it has
    // the last one, the server has queued all of them for everyone. The
    // other clients have not read a byte yet.
    let expected: Vec<Message> = (0..MESSAGES).map(message).collect();
    for m in &expected {
        clients[0].send(m.clone()).unwrap();
    }
    for m in &expected {
        assert_eq!(&recv(&mut clients[0]), m);
    }

    wshub.signal(signal);
    let readers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| std::thread::spawn(move || (i, recv_until_close(&mut ws))))
        .collect();
    for reader in readers {
        let (i, (before, close)) = reader.join().unwrap();
        let expected_before = if i == 0 { &[][..] } else { &expected[..] };
        assert_eq!(before.len(), expected_before.len(), "client {i}");
        assert!(
            before == expected_before,
            "client {i}: messages out of order"
        );
        assert_eq!(close.map(|f| u16::from(f.code)), Some(1001), "client {i}");
    }

    let (status, log) = wshub.wait_exit();
    assert!(status.success(), "{status:?}");
    let summary = format!("shut down: {CLIENTS} clients drained, 0 cut off");
    assert!(
        log.iter().any(|line| line.contains(&summary)),
        "no {summary:?} in {log:#?}"
    );
}

#[test]
fn sigterm() {
    shuts_down_gracefully_on("TERM");
}

#[test]
fn sigint() {
    shuts_down_gracefully_on("INT");
}
