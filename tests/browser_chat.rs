//! The built-in page in headless Chromium speaks chat mode's protocol: two
//! pages set names and see each other's messages with those names and the
//! server's time stamps, presence events, a refused name in #error, and a
//! message from POST /broadcast as coming from the server.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test browser_chat --
//! --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::http::post_text;
use common::*;
use headless_chrome::Tab;
use serde_json::Value;

/// Waits for the page's welcome, sets `name`, and returns the page's id.
fn join_as(tab: &Tab, name: &str) -> u64 {
    wait_for_status(tab, "open");
    wait_until(
        tab,
        "/^you are #[0-9]+$/.test(document.getElementById('me').textContent)",
    );
    let id: u64 = text_of(tab, "me")["you are #".len()..].parse().unwrap();
    type_and_send(tab, &format!("/name {name}"), SendWith::Enter);
    wait_until(
        tab,
        &format!("document.getElementById('me').textContent === 'you are {name} (#{id})'"),
    );
    id
}

/// The line of `#log` that contains `text`: who sent it, its time stamp
/// (ms since the epoch) and its class.
fn line_with(tab: &Tab, text: &str) -> Value {
    wait_for_log(tab, text);
    let line = eval(
        tab,
        &format!(
            "(() => {{ const li = Array.from(document.querySelectorAll('#log li')).find(li => li.textContent.includes({text:?})); \
             return JSON.stringify({{ who: li.querySelector('b')?.textContent, ts: Date.parse(li.querySelector('time').dateTime), class: li.className }}); }})()"
        ),
    );
    serde_json::from_str(line.as_str().unwrap()).unwrap()
}

#[test]
#[ignore = "needs Chromium: cargo test --test browser_chat -- --ignored"]
fn two_pages_chat_with_names() {
    let _watchdog = watchdog(DEADLINE * 8);
    let server = start_chat(config());
    let addr = server.local_addr();
    let url = format!("http://{addr}/");
    let browser = launch();

    let alice = open(&browser, &url);
    let alice_id = join_as(&alice, "alice");
    let bob = open(&browser, &url);
    let bob_id = join_as(&bob, "bob");
    wait_for_log(&alice, &format!("#{bob_id} joined lobby"));
    wait_for_log(&alice, &format!("#{bob_id} is now called bob"));

    // A plain client in the lobby sees the same message the pages render.
    let mut watcher = connect(addr);
    let welcome: Value = serde_json::from_str(&recv_text(&mut watcher)).unwrap();
    assert_eq!(welcome["type"], "welcome");

    type_and_send(&alice, "hello bob", SendWith::Enter);
    let sent: Value = loop {
        let message: Value = serde_json::from_str(&recv_text(&mut watcher)).unwrap();
        if message["type"] == "message" {
            break message;
        }
    };
    assert_eq!(sent["from"], alice_id);
    assert_eq!(sent["name"], "alice");
    assert_eq!(sent["room"], "lobby");
    assert_eq!(sent["text"], "hello bob");
    for (tab, class) in [(&bob, "message"), (&alice, "message mine")] {
        let line = line_with(tab, "hello bob");
        assert_eq!(line["who"], format!("alice (#{alice_id})"));
        assert_eq!(
            line["ts"], sent["ts"],
            "the page shows the server's time stamp"
        );
        assert_eq!(line["class"], class);
    }
    assert!(is_hidden(&alice, "error") && is_hidden(&bob, "error"));

    // A name already taken is refused, and the page says why.
    type_and_send(&bob, "/name ALICE", SendWith::Enter);
    wait_until(&bob, "!document.getElementById('error').hidden");
    assert!(
        text_of(&bob, "error").starts_with("name_taken: "),
        "{}",
        text_of(&bob, "error")
    );
    assert_eq!(text_of(&bob, "me"), format!("you are bob (#{bob_id})"));

    // The HTTP API's messages come from the server.
    assert_eq!(
        post_text(addr, "/broadcast", "server notice").json()["recipients"],
        3
    );
    for tab in [&alice, &bob] {
        assert_eq!(line_with(tab, "server notice")["who"], "server");
    }

    screenshot(&bob, "browser-chat");
    drop((alice, bob));
    server.shutdown();
}
