//! 200 clients each receive 100 broadcasts, all of them, in the order they
//! were sent.

mod common;

use common::*;
use tungstenite::Message;
use wshub::Target;

#[test]
fn two_hundred_clients_get_a_hundred_messages_in_order() {
    let _watchdog = watchdog(DEADLINE * 6);
    let server = start(config());
    let clients = connect_many(&server, 200);
    let hub = server.hub();
    for i in 0..100 {
        hub.send(Target::All, Message::text(format!("message {i}")))
            .unwrap();
    }
    // Read every client on its own thread, so that no client's socket
    // buffer fills while another is being read.
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            std::thread::spawn(move || (0..100).map(|_| recv_text(&mut ws)).collect::<Vec<_>>())
        })
        .collect();
    let expected: Vec<String> = (0..100).map(|i| format!("message {i}")).collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), expected);
    }
    assert_eq!(server.hub().stats().messages_out, 200 * 100);
    assert_eq!(server.hub().stats().evictions, 0);
    server.shutdown();
}
