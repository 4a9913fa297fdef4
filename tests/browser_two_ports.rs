//! Tutorial step 14, the `ws` demo's two ports, in headless Chromium: our
//! page in examples/two_ports, served on one port, talks to a broadcast
//! server on another; it says so when the server is up, when nothing
//! answers, and when a server answers but refuses the WebSocket.
//!
//! Needs Chromium (/usr/bin/chromium): `cargo test --test
//! browser_two_ports -- --ignored`, as `.ci/run` does.

mod common;

use std::path::PathBuf;

use common::browser::*;
use common::*;
use headless_chrome::Browser;
use wshub::auth::Auth;
use wshub::{Broadcast, Config, Echo, Server};

/// Serves examples/two_ports as the tutorial's `http-server --port 1920`
/// does (here on a free port).
fn page_server() -> Server {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/two_ports");
    start_with(
        Config {
            static_dir: Some(folder),
            ..config()
        },
        Echo::default(),
    )
}

fn open_page(
    browser: &Browser,
    page: &Server,
    ws_url: &str,
) -> std::sync::Arc<headless_chrome::Tab> {
    open(
        browser,
        &format!("http://{}/?server={ws_url}", page.local_addr()),
    )
}

fn wait_for_text(tab: &headless_chrome::Tab, id: &str, text: &str) {
    wait_until(
        tab,
        &format!("document.getElementById({id:?}).textContent.includes({text:?})"),
    );
}

#[test]
#[ignore = "needs Chromium: cargo test --test browser_two_ports -- --ignored"]
fn the_two_port_page_shows_up_down_and_refused() {
    let _watchdog = watchdog(DEADLINE * 8);
    let page = page_server();
    let browser = launch();

    // Up: the tutorial's broadcast server, greeting and all.
    let server = start_with(config(), Broadcast::default());
    let tab = open_page(&browser, &page, &format!("ws://{}", server.local_addr()));
    wait_for_text(&tab, "status", "The WebSocket is open.");
    wait_for_text(&tab, "received", "connected to WebSocket server");
    tab.find_element("#input").unwrap().click().unwrap();
    tab.send_character("hello from 1920").unwrap();
    tab.press_key("Enter").unwrap();
    wait_for_text(&tab, "received", "hello from 1920");
    screenshot(&tab, "browser-two-ports");

    // Down: the server stops; the page says it is closed, and a reload
    // says nothing answers.
    let addr = server.local_addr();
    server.shutdown();
    wait_for_text(&tab, "status", "The WebSocket is closed.");
    drop(tab);
    let tab = open_page(&browser, &page, &format!("ws://{addr}"));
    wait_for_text(&tab, "error", "Nothing answers at");
    drop(tab);

    // Refused: the server lists only another origin.
    let picky = start_with(
        Config {
            auth: Auth {
                allowed_origins: vec!["http://example.invalid".into()],
                ..Auth::default()
            },
            ..config()
        },
        Broadcast::default(),
    );
    let tab = open_page(&browser, &page, &format!("ws://{}", picky.local_addr()));
    wait_for_text(&tab, "error", "answered but refused the WebSocket");
    drop(tab);
    picky.shutdown();
    page.shutdown();
}
