//! The built-in page in headless Chromium with `--deflate`: Chromium
//! offers permessage-deflate and the server accepts; the page's long
//! messages arrive inflated at a plain client, and a long broadcast
//! reaches the page compressed (fewer bytes on the wire than the text).
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test browser_deflate
//! -- --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::*;
use wshub::{Broadcast, Config, Message, Target};

#[test]
#[ignore = "needs Chromium: cargo test --test browser_deflate -- --ignored"]
fn the_page_works_with_compression_negotiated() {
    let _watchdog = watchdog(DEADLINE * 6);
    let quiet = Broadcast {
        welcome: String::new(),
        ..Broadcast::default()
    };
    let config = Config {
        deflate: true,
        ..config()
    };
    let server = start_with(config, quiet);
    let addr = server.local_addr();
    let browser = launch();
    let tab = open(&browser, &format!("http://{addr}/"));
    wait_for_status(&tab, "open");

    // What Chromium agreed to, seen from a socket of the page's origin.
    eval(
        &tab,
        "(() => { const s = new WebSocket(location.href.replace('http', 'ws'));
                 s.onopen = () => { window.agreed = s.extensions; s.close(); }; })()",
    );
    wait_until(&tab, "typeof window.agreed === 'string'");
    let agreed = eval(&tab, "window.agreed");
    let agreed = agreed.as_str().unwrap_or_default();
    assert!(agreed.starts_with("permessage-deflate"), "{agreed:?}");
    assert!(agreed.contains("server_no_context_takeover"), "{agreed:?}");
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));

    let mut ws = connect(addr);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 2));

    // A long message typed in the page: Chromium compresses it.
    let typed = "the page compresses what it sends ".repeat(40);
    type_and_send(&tab, &typed, SendWith::Enter);
    assert_eq!(recv_text(&mut ws), typed);
    wait_for_log(&tab, "the page compresses");

    // A long broadcast: plain for the tungstenite client, compressed for
    // the page, so the hub writes far fewer than twice its length.
    let text = format!("broadcast {}", "0123456789".repeat(500));
    let before = server.hub().stats().bytes_out;
    let reached = server
        .hub()
        .send_counted(Target::All, Message::text(text.clone()))
        .unwrap();
    assert_eq!(reached, 2);
    assert_eq!(recv_text(&mut ws), text);
    wait_for_log(&tab, "broadcast 0123456789");
    let written = server.hub().stats().bytes_out - before;
    assert!(
        written < text.len() as u64 + 1000,
        "{written} bytes written for two copies of {} bytes",
        text.len()
    );

    screenshot(&tab, "browser-deflate");
    drop(tab);
    server.shutdown();
}
