//! What `curl` and a browser see besides the API's content: every answer
//! ends with a newline (the shell prompt stays on its own line), and
//! `/favicon.ico` is a small icon of ours, with or without `--static-dir`,
//! so a page load logs no 404.

mod common;

use common::http::{get, post_text};
use common::*;
use wshub::Config;

#[test]
fn http_answers_end_with_a_newline() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let addr = server.local_addr();
    for answer in [
        get(addr, "/healthz"),
        get(addr, "/stats"),
        get(addr, "/clients"),
        get(addr, "/no-such-file"),
        post_text(addr, "/broadcast", "hi"),
        post_text(addr, "/broadcast", ""),
    ] {
        assert!(answer.text().ends_with('\n'), "{:?}", answer.text());
    }
    server.shutdown();
}

#[test]
fn favicon_ico_is_served_with_or_without_a_static_dir() {
    let _watchdog = watchdog(DEADLINE * 2);
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("index.html"), "mine").unwrap();
    let plain = start(config());
    let with_dir = start(Config {
        static_dir: Some(folder.path().into()),
        ..config()
    });
    for server in [&plain, &with_dir] {
        let icon = get(server.local_addr(), "/favicon.ico");
        assert_eq!(icon.status, 200);
        assert_eq!(icon.header("Content-Type"), Some("image/x-icon"));
        assert!(icon.body.starts_with(&[0, 0, 1, 0]), "an ICO file");
    }
    // The folder's own icon wins.
    std::fs::write(folder.path().join("favicon.ico"), "their icon").unwrap();
    assert_eq!(
        get(with_dir.local_addr(), "/favicon.ico").body,
        b"their icon"
    );
}
