//! `--allowed-origin`: an upgrade from a listed origin (or with no Origin
//! header at all) connects; one from any other origin gets 403 before any
//! upgrade, checked before the credential.

mod common;

use common::*;
use wshub::auth::{Auth, Secret};
use wshub::Config;

const PAGE: &str = "http://192.168.1.20:3000";

fn server(token: Option<&str>) -> wshub::Server {
    start(Config {
        auth: Auth {
            token: token.map(Secret::new),
            // A trailing slash in the setting is tolerated.
            allowed_origins: vec![PAGE.into(), "https://board.example/".into()],
            ..Auth::default()
        },
        ..config()
    })
}

#[test]
fn listed_origins_and_no_origin_connect() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server(None);
    let addr = server.local_addr();
    for origin in [PAGE, "https://board.example", "HTTP://192.168.1.20:3000"] {
        assert!(
            try_connect(addr, "/", &[("Origin", origin)]).is_ok(),
            "{origin}"
        );
    }
    // wscat and scripts send no Origin: nothing to protect against there.
    assert!(try_connect(addr, "/", &[]).is_ok());
    server.shutdown();
}

#[test]
fn other_origins_get_403() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server(None);
    let addr = server.local_addr();
    for origin in [
        "http://evil.example",
        "http://192.168.1.20:3001",
        "https://192.168.1.20:3000",
        "http://192.168.1.20",
        "null",
        "",
    ] {
        let answer = http_exchange(
            addr,
            upgrade_head("/", &format!("Origin: {origin}\r\n")).as_bytes(),
        );
        assert!(answer.starts_with("HTTP/1.1 403 "), "{origin}: {answer}");
        assert!(
            answer.contains(r#"{"error":"origin "#),
            "{origin}: {answer}"
        );
        assert_eq!(
            try_connect(addr, "/", &[("Origin", origin)]).err(),
            Some(403),
            "{origin}"
        );
    }
    assert_eq!(server.hub().stats().clients_total, 0, "nobody ever joined");
    server.shutdown();
}

#[test]
fn the_origin_is_checked_before_the_token() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server(Some("t0ken"));
    let addr = server.local_addr();
    let foreign = [("Origin", "http://evil.example")];
    assert_eq!(
        try_connect(addr, "/?token=t0ken", &foreign).err(),
        Some(403)
    );
    let listed = [("Origin", PAGE)];
    assert_eq!(try_connect(addr, "/", &listed).err(), Some(401));
    assert!(try_connect(addr, "/?token=t0ken", &listed).is_ok());
    server.shutdown();
}
