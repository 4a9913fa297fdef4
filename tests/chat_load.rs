//! 50 chat clients each send 50 messages to the lobby at once: every
//! client receives all 2,500, each sender's in the order it sent them,
//! nothing lost.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::json;

const CLIENTS: usize = 50;
const MESSAGES: u64 = 50;

#[test]
fn fifty_clients_times_fifty_messages_in_one_room() {
    let _watchdog = watchdog(DEADLINE * 6);
    let server = start_chat(config());
    // chat_connect returns once the client is in the lobby, so every client
    // is a member before anyone sends.
    let clients: Vec<(Ws, u64)> = (0..CLIENTS)
        .map(|_| chat_connect(server.local_addr()))
        .collect();
    let ids: Vec<u64> = clients.iter().map(|(_, id)| *id).collect();

    let threads: Vec<_> = clients
        .into_iter()
        .map(|(mut ws, _)| {
            std::thread::spawn(move || {
                for i in 0..MESSAGES {
                    send_json(&mut ws, json!({"type": "message", "text": i.to_string()}));
                }
                // Next expected message number from each sender.
                let mut next: HashMap<u64, u64> = HashMap::new();
                let mut received = 0;
                while received < CLIENTS as u64 * MESSAGES {
                    let message = recv_json(&mut ws);
                    if message["type"] != "message" {
                        assert_eq!(message["type"], "presence", "{message}");
                        continue;
                    }
                    let from = message["from"].as_u64().unwrap();
                    let n: u64 = message["text"].as_str().unwrap().parse().unwrap();
                    let expected = next.entry(from).or_insert(0);
                    assert_eq!(n, *expected, "from {from}: out of order or lost");
                    *expected += 1;
                    received += 1;
                }
                next
            })
        })
        .collect();
    for thread in threads {
        let next = thread.join().expect("a client thread failed");
        assert_eq!(next.len(), CLIENTS);
        for id in &ids {
            assert_eq!(next.get(id), Some(&MESSAGES), "from {id}");
        }
    }
    let stats = server.hub().stats();
    assert_eq!(stats.evictions, 0);
    server.shutdown();
}
