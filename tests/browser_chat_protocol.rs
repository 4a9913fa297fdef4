//! The built-in page in headless Chromium speaks the chat protocol (issue
//! 4) when the server greets it with `{"type":"welcome","id":...}`: it
//! shows its id in #me, sends `{"type":"message","text":...,"room":"lobby"}`,
//! and renders messages with names and server time stamps, presence
//! events, errors in #error, and server messages from POST /broadcast.
//!
//! The server side here is `MiniChat`, a few lines that speak the
//! protocol's wire format, because chat mode is built on another branch;
//! once it is merged this test should run against `Mode::Chat`.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test
//! browser_chat_protocol -- --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::http::post_text;
use common::*;
use serde_json::{json, Value};
use wshub::{Client, Handler, Hub, HubClosed, Message, Target};

/// Every message carries this server time stamp, so the test can tell
/// that the page shows the server's time, not its own.
const TS: u64 = 1_700_000_000_123;
const TS_ISO: &str = "2023-11-14T22:13:20.123Z";

/// Speaks just enough of the chat protocol for the page: welcome,
/// presence on join, room messages, errors, and server announcements.
struct MiniChat;

impl Handler for MiniChat {
    fn on_connect(&self, client: &Client) {
        let id = client.id().0;
        let welcome = json!({"type": "welcome", "id": id, "name": null,
            "rooms": ["lobby"], "clients": client.hub().client_count()});
        let _ = client.reply(Message::text(welcome.to_string()));
        let joined = json!({"type": "presence", "event": "joined", "id": id,
            "name": null, "room": "lobby"});
        let _ = client.hub().send(
            Target::AllExcept(client.id()),
            Message::text(joined.to_string()),
        );
    }

    fn on_message(&self, client: &Client, message: Message) {
        let Message::Text(text) = message else { return };
        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let reply = match (&parsed["type"], &parsed["text"], &parsed["room"]) {
            (Value::String(t), Value::String(text), Value::String(room))
                if t == "message" && room == "lobby" =>
            {
                let out = json!({"type": "message", "from": client.id().0, "name": null,
                    "room": "lobby", "text": text, "ts": TS});
                let _ = client
                    .hub()
                    .send(Target::All, Message::text(out.to_string()));
                return;
            }
            _ => {
                json!({"type": "error", "code": "unknown_type", "message": format!("MiniChat got {text}")})
            }
        };
        let _ = client.reply(Message::text(reply.to_string()));
    }

    fn announce(&self, hub: &Hub, target: Target, text: &str) -> Result<usize, HubClosed> {
        let out = json!({"type": "message", "from": null, "name": null, "room": null,
            "text": text, "ts": TS});
        hub.send_counted(target, Message::text(out.to_string()))
    }
}

#[test]
#[ignore = "needs Chromium: run by .ci/run"]
fn the_page_speaks_the_chat_protocol() {
    let _watchdog = watchdog(DEADLINE * 6);
    let server = start_with(config(), MiniChat);
    let addr = server.local_addr();
    let url = format!("http://{addr}/");
    let browser = launch();

    let alice = open(&browser, &url);
    wait_for_status(&alice, "open");
    wait_until(
        &alice,
        "document.getElementById('me').textContent === 'you are #1'",
    );
    assert!(!is_hidden(&alice, "me"));
    wait_for_log(&alice, "connected as #1 in lobby;");

    let bob = open(&browser, &url);
    wait_for_status(&bob, "open");
    wait_until(
        &bob,
        "document.getElementById('me').textContent === 'you are #2'",
    );
    wait_for_log(&alice, "#2 joined lobby");

    // A message typed by one page reaches the other with the sender's id
    // and the server's time stamp.
    type_and_send(&alice, "hello bob");
    for tab in [&bob, &alice] {
        wait_for_log(tab, "hello bob");
        let line = eval(
            tab,
            "(() => { const li = Array.from(document.querySelectorAll('#log li')).find(li => li.textContent.includes('hello bob')); \
             return JSON.stringify({ who: li.querySelector('b').textContent, time: li.querySelector('time').dateTime, mine: li.classList.contains('mine') }); })()",
        );
        let line: Value = serde_json::from_str(line.as_str().unwrap()).unwrap();
        assert_eq!(line["who"], "#1");
        assert_eq!(line["time"], TS_ISO);
        assert_eq!(
            line["mine"],
            std::ptr::eq(tab, &alice),
            "only the sender marks it as its own"
        );
    }
    assert!(
        is_hidden(&alice, "error"),
        "MiniChat accepted what the page sent"
    );

    // A message from the HTTP API shows as coming from the server.
    assert_eq!(
        post_text(addr, "/broadcast", "server notice").json()["recipients"],
        2
    );
    wait_until(
        &bob,
        "Array.from(document.querySelectorAll('#log li')).some(li => li.querySelector('b')?.textContent === 'server' && li.textContent.endsWith('server notice'))",
    );

    // "/name" becomes a name message; MiniChat refuses it, and the page
    // shows the error.
    type_and_send(&bob, "/name bob");
    wait_until(&bob, "!document.getElementById('error').hidden");
    let error = text_of(&bob, "error");
    assert!(error.starts_with("unknown_type: "), "{error}");
    assert!(
        error.contains(r#""type":"name""#) && error.contains(r#""name":"bob""#),
        "{error}"
    );

    screenshot(&alice, "browser-chat");
    drop((alice, bob));
    server.shutdown();
}
