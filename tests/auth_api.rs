//! With `--token`, the HTTP API needs the token too (401 without it, in any
//! of the three places with it); the page, static files and /healthz stay
//! open, and a listed-out Origin is refused (403) on the API as well.

mod common;

use common::http::*;
use common::*;
use tungstenite::Message;
use wshub::auth::{Auth, Secret};
use wshub::Config;

const TOKEN: &str = "api-token-0123456789abcdef";

fn server(allowed_origins: Vec<String>) -> wshub::Server {
    let auth = Auth {
        token: Some(Secret::new(TOKEN)),
        allowed_origins,
        ..Auth::default()
    };
    start(Config { auth, ..config() })
}

/// Every API route and a method it allows.
const API: [(&str, &str); 6] = [
    ("POST", "/broadcast"),
    ("GET", "/broadcast/hello"),
    ("POST", "/broadcast/hello"),
    ("POST", "/clients/1/messages"),
    ("GET", "/clients"),
    ("GET", "/stats"),
];

#[test]
fn the_api_needs_the_token_and_the_page_does_not() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server(Vec::new());
    let addr = server.local_addr();
    for (method, path) in API {
        let refused = request(addr, method, path, &[], b"hi");
        assert_eq!(refused.status, 401, "{method} {path} without the token");
        assert!(!refused.text().contains(TOKEN));
        let wrong = request(
            addr,
            method,
            path,
            &[("Authorization", "Bearer nope")],
            b"hi",
        );
        assert_eq!(wrong.status, 401, "{method} {path} with a wrong token");
    }
    let bearer = format!("Bearer {TOKEN}");
    let cookie = format!("wshub_token={TOKEN}");
    for (method, path) in API {
        let with_header = request(addr, method, path, &[("Authorization", &bearer)], b"hi");
        assert_ne!(
            with_header.status, 401,
            "{method} {path} with a bearer token"
        );
        let with_query = request(addr, method, &format!("{path}?token={TOKEN}"), &[], b"hi");
        assert_ne!(with_query.status, 401, "{method} {path} with ?token=");
        let with_cookie = request(addr, method, path, &[("Cookie", &cookie)], b"hi");
        assert_ne!(with_cookie.status, 401, "{method} {path} with the cookie");
    }
    assert_eq!(get(addr, "/healthz").status, 200);
    assert_eq!(get(addr, "/").status, 200);
    server.shutdown();
}

#[test]
fn an_authorised_broadcast_reaches_the_clients() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server(Vec::new());
    let addr = server.local_addr();
    let bearer = format!("Bearer {TOKEN}");
    let mut ws = try_connect(addr, "/", &[("Authorization", &bearer)]).expect("token accepted");
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    let refused = post_text(addr, "/broadcast", "not without the token");
    assert_eq!(refused.status, 401);
    let sent = request(
        addr,
        "POST",
        "/broadcast",
        &[("Authorization", &bearer)],
        b"with it",
    );
    assert_eq!(sent.status, 200);
    assert_eq!(sent.json()["recipients"], 1);
    // Only the authorised message arrives.
    assert_eq!(recv(&mut ws), Message::text("with it"));
    server.shutdown();
}

#[test]
fn a_listed_out_origin_is_refused_on_the_api() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server(vec!["http://good.example".into()]);
    let addr = server.local_addr();
    let bearer = format!("Bearer {TOKEN}");
    let evil = request(
        addr,
        "POST",
        "/broadcast",
        &[
            ("Authorization", &bearer),
            ("Origin", "http://evil.example"),
        ],
        b"x",
    );
    assert_eq!(evil.status, 403);
    let good = request(
        addr,
        "POST",
        "/broadcast",
        &[
            ("Authorization", &bearer),
            ("Origin", "http://good.example"),
        ],
        b"x",
    );
    assert_eq!(good.status, 200);
    server.shutdown();
}
