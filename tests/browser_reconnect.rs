//! The built-in page in headless Chromium reconnects by itself when the
//! server restarts on the same port: it shows "closed, reconnecting in N
//! s" with one "reconnecting" line in its log however many tries fail,
//! says so when a message cannot be sent while closed (keeping the text),
//! then shows "open" and works again.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test
//! browser_reconnect -- --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::*;
use wshub::Config;

#[test]
#[ignore = "needs Chromium: cargo test --test browser_reconnect -- --ignored"]
fn the_page_reconnects_after_a_restart() {
    let _watchdog = watchdog(DEADLINE * 8);
    let config = config();
    let first = start(config.clone());
    let addr = first.local_addr();
    let browser = launch();
    let tab = open(&browser, &format!("http://{addr}/"));
    wait_for_status(&tab, "open");

    first.shutdown();
    wait_until(
        &tab,
        "/^closed, reconnecting in [0-9]+ s$/.test(document.getElementById('status').textContent)",
    );

    // Typed while closed: the page says why nothing was sent, and keeps it.
    type_and_send(&tab, "back again", SendWith::Enter);
    wait_until(&tab, "!document.getElementById('error').hidden");
    assert!(
        text_of(&tab, "error").contains("connection is closed"),
        "{}",
        text_of(&tab, "error")
    );
    assert_eq!(
        eval(&tab, "document.getElementById('input').value"),
        "back again"
    );

    // The wait doubles after each failed try: 4 s means two tries failed.
    wait_for_status(&tab, "closed, reconnecting in 4 s");
    let reconnecting: Vec<String> = log_lines(&tab)
        .into_iter()
        .filter(|line| line.contains("reconnecting"))
        .collect();
    assert_eq!(
        reconnecting.len(),
        1,
        "one line, not one per try: {reconnecting:?}"
    );
    assert!(
        reconnecting[0].contains("connection closed"),
        "{reconnecting:?}"
    );

    // The same port again. std's TcpListener sets SO_REUSEADDR on Unix, so
    // the old server's connections in TIME_WAIT do not block the bind.
    let second = start(Config {
        port: addr.port(),
        ..config
    });
    assert_eq!(second.local_addr(), addr);
    wait_for_status(&tab, "open");
    assert!(second.hub().wait_for_count(DEADLINE, |n| n == 1));
    assert!(is_hidden(&tab, "error"), "the error goes once connected");

    // The new connection works both ways: the kept text is sent now.
    let mut ws = connect(addr);
    assert!(second.hub().wait_for_count(DEADLINE, |n| n == 2));
    tab.find_element("#send")
        .expect("#send")
        .click()
        .expect("click #send");
    assert_eq!(recv_text(&mut ws), "back again");
    wait_for_log(&tab, "back again");

    screenshot(&tab, "browser-reconnect");
    drop(tab);
    second.shutdown();
}
