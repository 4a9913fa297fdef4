//! Chat mode with `--jwt-secret`: the JWT's `sub` becomes the client's
//! name in its welcome and its messages, and cannot be changed; a second
//! connection of the same user enters unnamed.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;
use wshub::auth::{Auth, Secret};
use wshub::Config;

const KEY: &str = "a-32-byte-key-for-hs256-signing!";

fn token_for(sub: &str) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = json!({ "sub": sub, "exp": exp });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .unwrap()
}

fn login(addr: std::net::SocketAddr, sub: &str) -> (Ws, serde_json::Value) {
    let mut ws = try_connect(addr, &format!("/?token={}", token_for(sub)), &[])
        .expect("a valid JWT is accepted");
    let welcome = recv_json(&mut ws);
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let joined = recv_json(&mut ws);
    assert_eq!(joined["event"], "joined", "{joined}");
    (ws, welcome)
}

#[test]
fn the_login_names_the_client_and_the_name_is_kept() {
    let _watchdog = watchdog(DEADLINE * 2);
    let auth = Auth {
        jwt_secret: Some(Secret::new(KEY)),
        ..Auth::default()
    };
    let server = start_chat(Config { auth, ..config() });
    let addr = server.local_addr();

    let (mut alice, welcome) = login(addr, "alice");
    assert_eq!(welcome["name"], "alice");

    let (answer, _) = chat_request(&mut alice, json!({"type": "name", "name": "mallory"}), "r1");
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["code"], "invalid_field");
    assert_eq!(answer["field"], "name");

    let (answer, before) = chat_request(&mut alice, json!({"type": "message", "text": "hi"}), "m1");
    assert_eq!(answer["type"], "ack", "{answer}");
    assert_eq!(before[0]["name"], "alice", "{before:?}");

    // The same user in a second tab: the name is held, so it enters
    // unnamed, and it may pick another name.
    let (mut second, welcome) = login(addr, "alice");
    assert_eq!(welcome["name"], serde_json::Value::Null);
    let (answer, _) = chat_request(
        &mut second,
        json!({"type": "name", "name": "alice-2"}),
        "r2",
    );
    assert_eq!(answer["type"], "ack", "{answer}");
    server.shutdown();
}
