//! The built-in page in headless Chromium against a broadcast server: it
//! loads from the server, connects, sends what a tungstenite client
//! receives, and shows what arrives through POST /broadcast.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test browser_page --
//! --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::http::post_text;
use common::*;
use wshub::Broadcast;

#[test]
#[ignore = "needs Chromium: cargo test --test browser_page -- --ignored"]
fn the_page_sends_and_shows_messages() {
    let _watchdog = watchdog(DEADLINE * 6);
    // The tutorial's broadcast server, greeting and all.
    let server = start_with(config(), Broadcast::default());
    let addr = server.local_addr();
    let browser = launch();
    let tab = open(&browser, &format!("http://{addr}/"));

    wait_for_status(&tab, "open");
    wait_for_log(&tab, "connected to WebSocket server");
    assert_eq!(eval(&tab, "document.title"), "wshub");
    assert!(is_hidden(&tab, "me"), "no id is shown in broadcast mode");
    assert!(is_hidden(&tab, "error"));

    let mut ws = connect(addr);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 2));
    assert_eq!(recv_text(&mut ws), "connected to WebSocket server");

    // Typed in the page: raw text reaches the other client, and the page
    // shows its own message as the server broadcasts it back.
    type_and_send(&tab, "hello from chromium", SendWith::Enter);
    assert_eq!(recv_text(&mut ws), "hello from chromium");
    wait_for_log(&tab, "hello from chromium");
    assert_eq!(
        eval(&tab, "document.getElementById('input').value"),
        "",
        "the input is cleared after sending"
    );

    // Sent over HTTP: both the page and the client get it.
    let answer = post_text(addr, "/broadcast", "hello from the HTTP API");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["recipients"], 2);
    assert_eq!(recv_text(&mut ws), "hello from the HTTP API");
    wait_for_log(&tab, "hello from the HTTP API");

    // Every log line starts with a time stamp, the message after it.
    let lines = log_lines(&tab);
    let last = lines.last().expect("log lines");
    assert!(last.ends_with("hello from the HTTP API"), "{lines:?}");
    assert!(
        last.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "{lines:?}"
    );

    screenshot(&tab, "browser-page");
    drop(tab);
    server.shutdown();
}

/// The README's console snippet, exactly as printed there.
const README_SNIPPET: &str = r#"const ws = new WebSocket(`ws://${location.host}`);
ws.onmessage = (e) => console.log("got", e.data);
ws.onopen = () => ws.send("hello from the browser");"#;

#[test]
#[ignore = "needs Chromium: cargo test --test browser_page -- --ignored"]
fn the_readme_console_snippet_works_from_the_servers_page_in_chat_mode() {
    let _watchdog = watchdog(DEADLINE * 6);
    let server = start_chat(config());
    let browser = launch();
    let tab = open(&browser, &format!("http://{}/", server.local_addr()));
    wait_for_status(&tab, "open");
    // What the snippet logs, collected; plain text becomes a lobby message.
    let logged = eval_awaited(
        &tab,
        &format!(
            "new Promise((resolve) => {{ const got = []; \
               console.log = (...args) => {{ got.push(args.join(' ')); \
                 if (got.some((line) => line.includes('hello from the browser'))) resolve(JSON.stringify(got)); }}; \
               setTimeout(() => resolve(JSON.stringify(got)), {ms}); \
               {README_SNIPPET} }})",
            ms = DEADLINE.as_millis()
        ),
    );
    let logged = logged.as_str().unwrap_or_default().to_string();
    assert!(
        logged.contains(r#"\"type\":\"message\""#) && logged.contains("hello from the browser"),
        "{logged}"
    );
    // The page itself got no 404 for its icon.
    assert_eq!(
        eval_awaited(&tab, "fetch('/favicon.ico').then((r) => r.status)"),
        200
    );
    drop(tab);
    server.shutdown();
}
