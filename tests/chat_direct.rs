//! A direct message reaches its target only (the sender gets no copy), and
//! one to an id that is not connected is refused with `no_such_client`.

mod common;

use common::*;
use serde_json::json;

#[test]
fn a_direct_message_reaches_only_its_target() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, ida) = chat_connect(server.local_addr());
    let (mut b, idb) = chat_connect(server.local_addr());
    let (mut c, _) = chat_connect(server.local_addr());
    // Everyone has seen everyone join before the direct message is sent.
    for _ in 0..2 {
        assert_eq!(recv_json(&mut a)["event"], "joined");
    }
    assert_eq!(recv_json(&mut b)["event"], "joined");

    let (ack, before) = chat_request(
        &mut a,
        json!({"type": "direct", "to": idb, "text": "for b only"}),
        "d1",
    );
    assert_eq!(ack, json!({"type": "ack", "ack": "d1", "recipients": 1}));
    assert!(before.is_empty(), "the sender got a copy: {before:?}");
    let direct = recv_json(&mut b);
    assert_eq!(
        (&direct["type"], &direct["from"], &direct["text"]),
        (&json!("direct"), &json!(ida), &json!("for b only"))
    );
    // Neither the sender nor the third client got it: the next thing each
    // receives is this lobby message.
    send_json(&mut b, json!({"type": "message", "text": "marker"}));
    for ws in [&mut a, &mut c] {
        assert_eq!(recv_json(ws)["text"], "marker");
    }
    server.shutdown();
}

#[test]
fn a_direct_message_to_an_unknown_id_is_refused() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_chat(config());
    let (mut a, _) = chat_connect(server.local_addr());
    let (mut gone, gone_id) = chat_connect(server.local_addr());
    assert_eq!(recv_json(&mut a)["event"], "joined");
    gone.close(None).unwrap();
    assert_eq!(recv_json(&mut a)["event"], "left");
    for to in [gone_id, 999_999] {
        let (error, _) = chat_request(
            &mut a,
            json!({"type": "direct", "to": to, "text": "hello?"}),
            "n",
        );
        assert_eq!(
            (&error["type"], &error["code"]),
            (&json!("error"), &json!("no_such_client")),
            "{error}"
        );
    }
    server.shutdown();
}
