//! One client that never reads, among 50 that receive a stream of
//! broadcasts: the 50 get every message in order, the slow one is evicted
//! (1008 "slow consumer", or EOF when even that does not fit) and counted in
//! the stats, so its backlog never grows past `--max-queue`.

mod common;

use std::time::Duration;

use common::*;
use crossbeam_channel::Receiver;
use tungstenite::Message;
use wshub::{Config, Target};

const READERS: usize = 50;
/// Messages per batch; the test waits for every reader between batches,
/// as a stream paced for its readers would, so only the slow one falls
/// behind.
const BATCH: u64 = 32;
const SIZE: usize = 4096;
const MAX_QUEUE: usize = 256 * 1024;
/// Batches still sent once the slow client is gone.
const BATCHES_AFTER: u64 = 8;
/// Far more than loopback buffers and the backlog can hold: a slow client
/// still connected after this much was never evicted.
const GIVE_UP_BYTES: u64 = 256 << 20;

fn message(index: u64) -> Message {
    let mut payload = vec![b'.'; SIZE];
    payload[..8].copy_from_slice(&index.to_le_bytes());
    Message::binary(payload)
}

fn index_of(message: &Message) -> u64 {
    let Message::Binary(data) = message else {
        panic!("expected a numbered binary message, got {message:?}");
    };
    u64::from_le_bytes(data[..8].try_into().unwrap())
}

/// Reads numbered messages until "end", checking their order; reports each
/// completed batch on `progress`; returns how many it got, and the
/// client, still connected.
fn read_stream(mut ws: Ws, progress: crossbeam_channel::Sender<()>) -> (u64, Ws) {
    let mut next = 0;
    loop {
        let message = recv(&mut ws);
        if message == Message::text("end") {
            return (next, ws);
        }
        assert_eq!(index_of(&message), next, "messages arrive in order");
        next += 1;
        if next % BATCH == 0 {
            progress.send(()).unwrap();
        }
    }
}

fn wait_for_batch(progress: &Receiver<()>) {
    for _ in 0..READERS {
        progress
            .recv_timeout(DEADLINE)
            .expect("every reader receives the whole batch");
    }
}

#[test]
fn a_reader_that_stops_is_evicted_and_the_others_get_everything() {
    let _watchdog = watchdog(Duration::from_secs(120));
    let server = start(Config {
        max_queue: MAX_QUEUE,
        ..config()
    });
    let hub = server.hub();
    let mut slow = connect(server.local_addr());
    let readers = connect_many(&server, READERS);
    assert!(hub.wait_for_count(DEADLINE, |n| n == READERS + 1));
    let (progress_tx, progress) = crossbeam_channel::unbounded();
    let readers: Vec<_> = readers
        .into_iter()
        .map(|ws| {
            let progress_tx = progress_tx.clone();
            std::thread::spawn(move || read_stream(ws, progress_tx))
        })
        .collect();

    let mut sent = 0;
    let mut batches_after = 0;
    while batches_after < BATCHES_AFTER {
        for _ in 0..BATCH {
            hub.send(Target::All, message(sent)).unwrap();
            sent += 1;
        }
        wait_for_batch(&progress);
        if hub.stats().evictions > 0 {
            batches_after += 1;
        }
        assert!(
            sent * (SIZE as u64) < GIVE_UP_BYTES,
            "the slow client was never evicted"
        );
    }
    hub.send(Target::All, Message::text("end")).unwrap();
    let mut still_connected = Vec::new();
    for reader in readers {
        let (got, ws) = reader.join().unwrap();
        assert_eq!(got, sent, "a reader missed messages");
        still_connected.push(ws);
    }
    assert_eq!(hub.stats().evictions, 1);
    assert_eq!(hub.client_count(), READERS);

    // The slow client now reads what reached it: a prefix of the stream,
    // in order, then the end of its connection.
    let mut got = 0;
    loop {
        match slow.read() {
            Ok(message @ Message::Binary(_)) => {
                assert_eq!(index_of(&message), got);
                got += 1;
            }
            Ok(Message::Close(frame)) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1008));
                break;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => break, // EOF or a cut-off frame: evicted with a full buffer.
        }
    }
    assert!(got < sent, "the slow client got {got} of {sent}");
    eprintln!(
        "slow consumer evicted: it got {got} of {sent} messages of {SIZE} bytes (max-queue {MAX_QUEUE})"
    );
    server.shutdown();
}
