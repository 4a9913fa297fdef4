//! A client receives broadcasts only once its `on_connect` hook has run, so
//! its welcome always arrives before anything broadcast to everyone.

mod common;

use std::sync::Mutex;

use common::*;
use crossbeam_channel::{Receiver, Sender};
use tungstenite::Message;
use wshub::{Client, Handler, Target};

/// Greets, then holds `on_connect` open until the test says so.
struct SlowGreeter {
    entered: Sender<()>,
    release: Mutex<Receiver<()>>,
}

impl Handler for SlowGreeter {
    fn on_connect(&self, client: &Client) {
        let _ = client.reply(Message::text("welcome"));
        self.entered.send(()).unwrap();
        let _ = self.release.lock().unwrap().recv_timeout(DEADLINE);
    }

    fn on_message(&self, _: &Client, _: Message) {}
}

#[test]
fn a_broadcast_during_on_connect_does_not_overtake_the_welcome() {
    let _watchdog = watchdog(DEADLINE * 2);
    let (entered, entered_rx) = crossbeam_channel::bounded(1);
    let (release_tx, release) = crossbeam_channel::bounded(1);
    let server = start_with(
        config(),
        SlowGreeter {
            entered,
            release: Mutex::new(release),
        },
    );
    let addr = server.local_addr();
    let client = std::thread::spawn(move || {
        let mut ws = connect(addr);
        (recv_text(&mut ws), ws)
    });
    entered_rx.recv_timeout(DEADLINE).expect("on_connect ran");
    // The client has joined the hub but its hook is still running: a
    // broadcast now is not for it.
    let hub = server.hub();
    assert_eq!(
        hub.send_counted(Target::All, Message::text("too early")),
        Ok(0)
    );
    release_tx.send(()).unwrap();
    let (first, mut ws) = client.join().unwrap();
    assert_eq!(first, "welcome");
    // Once the hook has returned, broadcasts reach it.
    assert!(hub.wait_for_count(DEADLINE, |n| n == 1));
    let reached = loop {
        // `Open` follows the hook's return by one event: retry until the
        // hub has processed it (each try is answered by the hub, no sleep).
        match hub.send_counted(Target::All, Message::text("now")) {
            Ok(0) => continue,
            other => break other,
        }
    };
    assert_eq!(reached, Ok(1));
    assert_eq!(recv_text(&mut ws), "now");
    server.shutdown();
}
