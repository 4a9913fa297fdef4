//! `--token`: the shared token opens a WebSocket from any of its three
//! places (query as `token` or `access_token`, bearer header, cookie); a missing or wrong token gets 401
//! with a JSON reason before any upgrade, and the client never joins.

mod common;

use common::*;
use tungstenite::Message;
use wshub::auth::{Auth, Secret};
use wshub::Config;

/// Characters that need percent-encoding in a URL, and a `+` that must
/// not turn into a space.
const TOKEN: &str = "s3cret+/=~ok";
const TOKEN_IN_URL: &str = "s3cret%2B%2F%3D~ok";

fn server() -> wshub::Server {
    start_echo(Config {
        auth: Auth {
            token: Some(Secret::new(TOKEN)),
            ..Auth::default()
        },
        ..config()
    })
}

fn assert_echoes(mut ws: Ws) {
    ws.send(Message::text("ping?")).unwrap();
    assert_eq!(recv(&mut ws), Message::text("ping?"));
}

/// How a client sends its credential: a label, the path, extra headers.
type Way<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

#[test]
fn the_token_is_accepted_in_each_of_its_three_places() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let addr = server.local_addr();
    let bearer = format!("Bearer {TOKEN}");
    let cookie = format!("theme=dark; wshub_token={TOKEN}; lang=en");
    let quoted_cookie = format!("wshub_token=\"{TOKEN}\"");
    let ways: [Way; 7] = [
        (
            "query, percent-encoded",
            format!("/?token={TOKEN_IN_URL}"),
            vec![],
        ),
        (
            "query as access_token, as ws's documentation names it",
            format!("/?access_token={TOKEN_IN_URL}"),
            vec![],
        ),
        (
            "query among others",
            format!("/chat?room=a&token={TOKEN_IN_URL}&x"),
            vec![],
        ),
        (
            "query, + and / unencoded",
            "/?token=s3cret+/%3D~ok".into(),
            vec![],
        ),
        (
            "bearer header",
            "/".into(),
            vec![("Authorization", bearer.as_str())],
        ),
        ("cookie", "/".into(), vec![("Cookie", cookie.as_str())]),
        (
            "quoted cookie",
            "/".into(),
            vec![("Cookie", quoted_cookie.as_str())],
        ),
    ];
    for (how, path, headers) in ways {
        match try_connect(addr, &path, &headers) {
            Ok(ws) => assert_echoes(ws),
            Err(status) => panic!("token in {how}: refused with {status}"),
        }
    }
    server.shutdown();
}

#[test]
fn a_missing_or_wrong_token_gets_401_and_no_upgrade() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = server();
    let addr = server.local_addr();
    let prefix = &TOKEN[..TOKEN.len() - 1];
    const MISSING: &str = "credentials required";
    const WRONG: &str = "invalid token";
    let cases: Vec<(&str, String, String, &str)> = vec![
        ("nothing", "/".into(), String::new(), MISSING),
        (
            "wrong query token",
            "/?token=guess".into(),
            String::new(),
            WRONG,
        ),
        (
            "a prefix of the token",
            format!("/?token={prefix}"),
            String::new(),
            WRONG,
        ),
        (
            "the token and more",
            format!("/?token={TOKEN_IN_URL}x"),
            String::new(),
            WRONG,
        ),
        ("empty query token", "/?token=".into(), String::new(), WRONG),
        (
            "other query name",
            format!("/?tokens={TOKEN_IN_URL}"),
            String::new(),
            MISSING,
        ),
        (
            "wrong bearer",
            "/".into(),
            "Authorization: Bearer guess\r\n".into(),
            WRONG,
        ),
        (
            "basic scheme",
            "/".into(),
            format!("Authorization: Basic {TOKEN}\r\n"),
            MISSING,
        ),
        (
            "wrong cookie",
            "/".into(),
            "Cookie: wshub_token=guess\r\n".into(),
            WRONG,
        ),
        (
            "other cookie",
            "/".into(),
            format!("Cookie: token={TOKEN}\r\n"),
            MISSING,
        ),
    ];
    for (what, target, headers, expected) in cases {
        let answer = http_exchange(addr, upgrade_head(&target, &headers).as_bytes());
        assert!(answer.starts_with("HTTP/1.1 401 "), "{what}: {answer}");
        assert!(!answer.contains("101"), "{what}: {answer}");
        assert!(
            answer.contains("WWW-Authenticate: Bearer"),
            "{what}: {answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        let reason = json["error"].as_str().expect("an error string");
        assert!(reason.starts_with(expected), "{what}: {reason}");
        assert!(!body.contains(TOKEN), "{what}: the body leaks the token");
    }
    // And through a real client: the handshake fails with 401.
    assert_eq!(try_connect(addr, "/?token=guess", &[]).err(), Some(401));
    assert_eq!(server.client_count(), 0);
    assert_eq!(server.hub().stats().clients_total, 0, "nobody ever joined");
    server.shutdown();
}

#[test]
fn a_wrong_credential_does_not_hide_a_right_one_elsewhere() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let stale_cookie = "wshub_token=stale";
    let ws = try_connect(
        server.local_addr(),
        &format!("/?token={TOKEN_IN_URL}"),
        &[("Cookie", stale_cookie)],
    )
    .expect("the query token opens the connection");
    assert_echoes(ws);
    server.shutdown();
}
