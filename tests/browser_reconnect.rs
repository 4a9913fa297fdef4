//! The built-in page in headless Chromium reconnects by itself when the
//! server restarts on the same port: it shows "closed, reconnecting in N
//! s", then "open", and works again.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test
//! browser_reconnect -- --ignored`, as `.ci/run` does.

mod common;

use common::browser::*;
use common::*;
use wshub::Config;

#[test]
#[ignore = "needs Chromium: run by .ci/run"]
fn the_page_reconnects_after_a_restart() {
    let _watchdog = watchdog(DEADLINE * 6);
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
    assert!(
        eval(&tab, "document.getElementById('send').disabled") == true,
        "Send is disabled while closed"
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

    // The new connection works both ways.
    let mut ws = connect(addr);
    assert!(second.hub().wait_for_count(DEADLINE, |n| n == 2));
    type_and_send(&tab, "back again", SendWith::Click);
    assert_eq!(recv_text(&mut ws), "back again");
    wait_for_log(&tab, "back again");

    screenshot(&tab, "browser-reconnect");
    drop(tab);
    second.shutdown();
}
