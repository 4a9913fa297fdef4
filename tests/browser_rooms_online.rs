//! The built-in page in headless Chromium, chat mode: it lists who is
//! online in its rooms (names and ids, kept up to date by presence), joins
//! and leaves rooms with `/join ROOM` and `/leave ROOM`, sends each message
//! to the room picked in `#room`, and after a server restart sets its name
//! and rooms again by itself.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test
//! browser_rooms_online -- --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::http::get;
use common::*;
use headless_chrome::Tab;
use serde_json::json;
use wshub::Config;

/// Waits for the page's welcome, sets `name`, and returns the page's id.
fn join_as(tab: &Tab, name: &str) -> u64 {
    wait_for_status(tab, "open");
    wait_until(
        tab,
        "/^you are #[0-9]+$/.test(document.getElementById('me').textContent)",
    );
    let id: u64 = text_of(tab, "me")["you are #".len()..].parse().unwrap();
    type_and_send(tab, &format!("/name {name}"), SendWith::Enter);
    wait_for_me(tab, &format!("you are {name} (#{id})"));
    id
}

fn wait_for_me(tab: &Tab, text: &str) {
    wait_until(
        tab,
        &format!("document.getElementById('me').textContent === {text:?}"),
    );
}

/// Waits until `#people` lists exactly `entries`, in order.
fn wait_for_people(tab: &Tab, entries: &[String]) {
    let expected = serde_json::to_string(entries).unwrap();
    wait_until(
        tab,
        &format!(
            "JSON.stringify(Array.from(document.querySelectorAll('#people li')).map(li => li.textContent)) === {expected:?}"
        ),
    );
}

/// Waits until `#room` offers exactly `rooms` and has `picked` selected.
fn wait_for_rooms(tab: &Tab, rooms: &[&str], picked: &str) {
    let expected = serde_json::to_string(rooms).unwrap();
    wait_until(
        tab,
        &format!(
            "JSON.stringify(Array.from(document.getElementById('room').options).map(o => o.value)) === {expected:?} \
             && document.getElementById('room').value === {picked:?}"
        ),
    );
}

#[test]
#[ignore = "needs Chromium: cargo test --test browser_rooms_online -- --ignored"]
fn the_page_lists_who_is_online_and_keeps_it_current() {
    let _watchdog = watchdog(DEADLINE * 8);
    let server = start_chat(config());
    let addr = server.local_addr();
    // Someone already here before the page loads.
    let (mut carol, carol_id) = chat_connect(addr);
    let (ack, _) = chat_request(&mut carol, json!({"type": "name", "name": "carol"}), "n");
    assert_eq!(ack["type"], "ack");

    let browser = launch();
    let alice = open(&browser, &format!("http://{addr}/"));
    let alice_id = join_as(&alice, "alice");
    wait_for_people(
        &alice,
        &[
            format!("alice (#{alice_id}) (you)"),
            format!("carol (#{carol_id})"),
        ],
    );

    // A newcomer appears, renames itself, and disappears when it goes.
    let (mut dave, dave_id) = chat_connect(addr);
    wait_for_people(
        &alice,
        &[
            format!("alice (#{alice_id}) (you)"),
            format!("carol (#{carol_id})"),
            format!("#{dave_id}"),
        ],
    );
    chat_request(&mut dave, json!({"type": "name", "name": "dave"}), "n");
    wait_for_people(
        &alice,
        &[
            format!("alice (#{alice_id}) (you)"),
            format!("carol (#{carol_id})"),
            format!("dave (#{dave_id})"),
        ],
    );
    dave.close(None).unwrap();
    wait_for_people(
        &alice,
        &[
            format!("alice (#{alice_id}) (you)"),
            format!("carol (#{carol_id})"),
        ],
    );
    screenshot(&alice, "browser-online");
    drop(alice);
    server.shutdown();
}

#[test]
#[ignore = "needs Chromium: cargo test --test browser_rooms_online -- --ignored"]
fn rooms_are_joined_picked_and_left_and_survive_a_restart_with_the_name() {
    let _watchdog = watchdog(DEADLINE * 10);
    let config = config();
    let first = start_chat(config.clone());
    let addr = first.local_addr();
    let browser = launch();
    let tab = open(&browser, &format!("http://{addr}/"));
    let id = join_as(&tab, "alice");
    wait_for_rooms(&tab, &["lobby"], "lobby");

    // A client in the kitchen, and one only in the lobby.
    let (mut cook, _) = chat_connect(addr);
    chat_request(&mut cook, json!({"type": "join", "room": "kitchen"}), "j");
    let (mut lounger, _) = chat_connect(addr);

    // /join picks the room it joins; a message goes to the room picked.
    type_and_send(&tab, "/join kitchen", SendWith::Enter);
    wait_for_rooms(&tab, &["lobby", "kitchen"], "kitchen");
    type_and_send(&tab, "dinner is ready", SendWith::Enter);
    let dinner = loop {
        let message = recv_json(&mut cook);
        if message["type"] == "message" {
            break message;
        }
    };
    assert_eq!(dinner["room"], "kitchen");
    assert_eq!(dinner["text"], "dinner is ready");
    assert_eq!(dinner["from"], id);

    // Picked back to the lobby: the lounger's first message is this one,
    // so the kitchen's never reached it.
    eval(
        &tab,
        "(() => { const r = document.getElementById('room'); r.value = 'lobby'; r.dispatchEvent(new Event('change')); })()",
    );
    type_and_send(&tab, "hello lobby", SendWith::Enter);
    let hello = loop {
        let message = recv_json(&mut lounger);
        if message["type"] == "message" {
            break message;
        }
    };
    assert_eq!(hello["room"], "lobby");
    assert_eq!(hello["text"], "hello lobby");

    // The server restarts: the page comes back as alice, in the kitchen.
    drop((cook, lounger));
    first.shutdown();
    wait_until(
        &tab,
        "document.getElementById('status').textContent !== 'open'",
    );
    let second = start_chat(Config {
        port: addr.port(),
        ..config
    });
    wait_for_status(&tab, "open");
    wait_for_me(&tab, "you are alice (#1)");
    wait_for_rooms(&tab, &["lobby", "kitchen"], "lobby");
    let clients = get(addr, "/clients").json();
    assert_eq!(clients[0]["name"], "alice", "{clients}");
    assert_eq!(
        clients[0]["rooms"],
        json!(["lobby", "kitchen"]),
        "{clients}"
    );

    // /leave takes the room out of the picker.
    type_and_send(&tab, "/leave kitchen", SendWith::Enter);
    wait_for_rooms(&tab, &["lobby"], "lobby");
    screenshot(&tab, "browser-rooms");
    drop(tab);
    second.shutdown();
}
