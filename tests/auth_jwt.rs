//! `--jwt-secret`: a valid HS256 JWT opens a WebSocket from any of the
//! three places and names the client (`sub`, else `name`) to the handler;
//! an expired, not-yet-valid, badly signed, unsigned or malformed token
//! gets 401 with the reason, before any upgrade.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tungstenite::Message;
use wshub::auth::{Auth, Secret};
use wshub::{Client, Config, Handler};

const KEY: &str = "a-32-byte-key-for-hs256-signing!";
/// `{"alg":"none","typ":"JWT"}` in base64url: an unsigned token's header.
const ALG_NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

/// Greets each client with the identity the server established for it.
struct WhoAmI;

impl Handler for WhoAmI {
    fn on_connect(&self, client: &Client) {
        let _ = client.reply(Message::text(client.identity().unwrap_or("<none>")));
    }

    fn on_message(&self, _client: &Client, _message: Message) {}
}

fn server() -> wshub::Server {
    let config = Config {
        auth: Auth {
            jwt_secret: Some(Secret::new(KEY)),
            ..Auth::default()
        },
        ..config()
    };
    start_with(config, WhoAmI)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sign_with(algorithm: Algorithm, key: &str, claims: &Value) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("token signed")
}

fn sign(claims: &Value) -> String {
    sign_with(Algorithm::HS256, KEY, claims)
}

/// Connects with `jwt` in the query and returns the greeting (the identity).
fn identity_for(server: &wshub::Server, jwt: &str) -> String {
    let mut ws = try_connect(server.local_addr(), &format!("/?token={jwt}"), &[])
        .unwrap_or_else(|status| panic!("refused with {status}"));
    recv_text(&mut ws)
}

/// How a client sends its credential: a label, the path, extra headers.
type Way<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

#[test]
fn a_valid_jwt_is_accepted_in_each_place_and_names_the_client() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let addr = server.local_addr();
    let jwt = sign(&json!({ "sub": "alice", "name": "Alice A.", "exp": now() + 600 }));
    let bearer = format!("Bearer {jwt}");
    let cookie = format!("wshub_token={jwt}");
    let ways: [Way; 3] = [
        ("query", format!("/?token={jwt}"), vec![]),
        (
            "bearer header",
            "/".into(),
            vec![("Authorization", bearer.as_str())],
        ),
        ("cookie", "/".into(), vec![("Cookie", cookie.as_str())]),
    ];
    for (how, path, headers) in ways {
        let mut ws = try_connect(addr, &path, &headers)
            .unwrap_or_else(|status| panic!("JWT in {how}: refused with {status}"));
        assert_eq!(recv_text(&mut ws), "alice", "JWT in {how}");
    }
    server.shutdown();
}

#[test]
fn the_name_claim_names_the_client_when_there_is_no_sub() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = server();
    let named = sign(&json!({ "name": "Bob", "exp": now() + 600 }));
    assert_eq!(identity_for(&server, &named), "Bob");
    let anonymous = sign(&json!({ "exp": now() + 600, "role": "viewer" }));
    assert_eq!(identity_for(&server, &anonymous), "<none>");
    // A token already valid (nbf in the past) with an audience we do not
    // check is fine too.
    let nbf_past =
        sign(&json!({ "sub": "carol", "nbf": now() - 10, "exp": now() + 600, "aud": "x" }));
    assert_eq!(identity_for(&server, &nbf_past), "carol");
    server.shutdown();
}

/// `jwt` with the first character of its signature changed.
fn altered_signature(jwt: &str) -> String {
    let at = jwt.rfind('.').unwrap() + 1;
    let first = if jwt[at..].starts_with('A') { "B" } else { "A" };
    format!("{}{first}{}", &jwt[..at], &jwt[at + 1..])
}

#[test]
fn bad_tokens_get_401_with_the_reason() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = server();
    let addr = server.local_addr();
    let valid = sign(&json!({ "sub": "alice", "exp": now() + 600 }));
    let claims_part = valid.split('.').nth(1).unwrap();
    let cases = [
        (
            "expired an hour ago",
            sign(&json!({ "sub": "alice", "exp": now() - 3600 })),
            "token expired",
        ),
        (
            "valid only in an hour",
            sign(&json!({ "sub": "alice", "nbf": now() + 3600, "exp": now() + 7200 })),
            "token not valid yet",
        ),
        (
            "signed with another key",
            sign_with(
                Algorithm::HS256,
                "another-key-another-key-another!",
                &json!({ "sub": "alice", "exp": now() + 600 }),
            ),
            "token signature does not verify",
        ),
        (
            "signature altered",
            altered_signature(&valid),
            "token signature does not verify",
        ),
        (
            "HS512 with the same key",
            sign_with(
                Algorithm::HS512,
                KEY,
                &json!({ "sub": "alice", "exp": now() + 600 }),
            ),
            "token must be signed with HS256",
        ),
        (
            "unsigned (alg none)",
            format!("{ALG_NONE_HEADER}.{claims_part}."),
            "malformed token",
        ),
        (
            "no exp claim",
            sign(&json!({ "sub": "alice" })),
            "token has no exp claim",
        ),
        ("not a JWT", "hello".to_string(), "malformed token"),
        ("the key itself", KEY.to_string(), "malformed token"),
    ];
    for (what, jwt, expected) in cases {
        assert_ne!(
            jwt, valid,
            "{what}: the case must differ from the valid token"
        );
        let bearer = format!("Authorization: Bearer {jwt}\r\n");
        let answer = http_exchange(addr, upgrade_head("/", &bearer).as_bytes());
        assert!(answer.starts_with("HTTP/1.1 401 "), "{what}: {answer}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let json: Value = serde_json::from_str(body).expect("JSON body");
        let reason = json["error"].as_str().expect("an error string");
        assert!(reason.starts_with(expected), "{what}: {reason}");
        assert!(!body.contains(KEY), "{what}: the body leaks the key");
    }
    assert_eq!(try_connect(addr, "/?token=hello", &[]).err(), Some(401));
    assert_eq!(server.hub().stats().clients_total, 0, "nobody ever joined");
    server.shutdown();
}
