//! The server's logs never contain a token, a JWT or a JWT key, at any
//! level, whether the credential was accepted or refused; refusals are
//! still logged at warn with their reason.

mod common;

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use jsonwebtoken::{encode, EncodingKey, Header};
use log::{Level, LevelFilter, Log, Metadata, Record};
use serde_json::json;
use wshub::auth::{Auth, Secret};
use wshub::Config;

const TOKEN: &str = "tok-9f8e7d6c5b4a";
const KEY: &str = "jwt-key-0123456789abcdef01234567";

/// Every log record written on a server thread, formatted.
static LINES: Mutex<Vec<(Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }

    fn log(&self, record: &Record) {
        // Only the server's threads: the test's own tungstenite client logs
        // the URL it connects to, query token included.
        let thread = std::thread::current();
        let name = thread.name().unwrap_or_default();
        if name.starts_with("wshub") {
            let line = format!(
                "{} {name} {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
            LINES.lock().unwrap().push((record.level(), line));
        }
    }

    fn flush(&self) {}
}

/// Tries each place a credential can be, with `good` and with a bad one.
fn knock(server: &wshub::Server, good: &str, bad: &str) {
    let addr = server.local_addr();
    for credential in [good, bad] {
        let bearer = format!("Bearer {credential}");
        let cookie = format!("wshub_token={credential}");
        let _ = try_connect(addr, &format!("/?token={credential}"), &[]);
        let _ = try_connect(addr, "/", &[("Authorization", &bearer)]);
        let _ = try_connect(addr, "/", &[("Cookie", &cookie)]);
    }
    // And with a refused origin, carrying the good credential.
    let _ = try_connect(
        addr,
        &format!("/?token={good}"),
        &[("Origin", "http://evil.example")],
    );
}

#[test]
fn no_secret_reaches_the_logs() {
    let _watchdog = watchdog(DEADLINE * 3);
    log::set_logger(&Capture).expect("the only logger of this test binary");
    log::set_max_level(LevelFilter::Trace);
    let origins = vec!["http://lan.example".to_string()];

    let server = start_echo(Config {
        auth: Auth {
            token: Some(Secret::new(TOKEN)),
            allowed_origins: origins.clone(),
            ..Auth::default()
        },
        ..config()
    });
    knock(&server, TOKEN, "tok-wrong");
    server.shutdown();

    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let jwt = encode(
        &Header::default(),
        &json!({ "sub": "alice", "exp": exp }),
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .unwrap();
    let server = start_echo(Config {
        auth: Auth {
            jwt_secret: Some(Secret::new(KEY)),
            allowed_origins: origins,
            ..Auth::default()
        },
        ..config()
    });
    knock(&server, &jwt, "e30.e30.e30");
    server.shutdown();

    let lines = LINES.lock().unwrap();
    for (_, line) in lines.iter() {
        for secret in [TOKEN, KEY, jwt.as_str()] {
            assert!(!line.contains(secret), "a log line leaks a secret: {line}");
        }
        // Not even the JWT's signature alone.
        assert!(!line.contains(jwt.rsplit('.').next().unwrap()), "{line}");
    }
    // The logs were really captured: refusals at warn with their reason,
    // and the JWT's client by name.
    let warned = |what: &str| {
        lines
            .iter()
            .any(|(level, line)| *level == Level::Warn && line.contains(what))
    };
    assert!(warned("invalid token"), "{lines:#?}");
    assert!(warned("malformed token"), "{lines:#?}");
    assert!(
        warned("origin http://evil.example is not allowed"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|(_, line)| line.contains("connected from") && line.contains("\"alice\"")),
        "{lines:#?}"
    );
}
