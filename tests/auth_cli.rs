//! The binary's authentication flags: `WSHUB_TOKEN` / `--token`,
//! `WSHUB_JWT_SECRET`, repeatable `--allowed-origin`, refusal of
//! conflicting settings, and no secret in `--help` or in its log.

mod common;

use std::process::Command;

use common::*;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

const TOKEN: &str = "cli-token-5d41402abc4b2a76";

#[test]
fn the_token_from_the_environment_and_the_origins_apply() {
    let _watchdog = watchdog(DEADLINE * 2);
    let binary = Binary::start_with_env(
        &[
            "--allowed-origin",
            "http://a.example",
            "--allowed-origin",
            "http://b.example",
        ],
        &[("WSHUB_TOKEN", TOKEN)],
    );
    let addr = binary.addr;
    assert_eq!(try_connect(addr, "/", &[]).err(), Some(401));
    assert_eq!(try_connect(addr, "/?token=nope", &[]).err(), Some(401));
    let with_token = format!("/?token={TOKEN}");
    assert!(try_connect(addr, &with_token, &[]).is_ok());
    assert!(try_connect(addr, &with_token, &[("Origin", "http://b.example")]).is_ok());
    assert_eq!(
        try_connect(addr, &with_token, &[("Origin", "http://c.example")]).err(),
        Some(403)
    );
    // Stop it and read everything it logged.
    let log = binary.kill_and_log();
    assert!(
        log.iter()
            .any(|l| l.contains("WARN") && l.contains("invalid token")),
        "{log:#?}"
    );
    assert!(log.iter().all(|l| !l.contains(TOKEN)), "{log:#?}");
}

#[test]
fn the_command_line_token_works_too() {
    let _watchdog = watchdog(DEADLINE * 2);
    let binary = Binary::start_with_env(&["--token", TOKEN], &[]);
    let bearer = format!("Bearer {TOKEN}");
    assert!(try_connect(binary.addr, "/", &[("Authorization", &bearer)]).is_ok());
    assert_eq!(try_connect(binary.addr, "/", &[]).err(), Some(401));
}

#[test]
fn the_jwt_key_from_the_environment_names_the_client() {
    let _watchdog = watchdog(DEADLINE * 2);
    let key = "cli-jwt-key-0123456789abcdef0123";
    let binary = Binary::start_with_env(&["--mode", "echo"], &[("WSHUB_JWT_SECRET", key)]);
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let jwt = encode(
        &Header::default(),
        &json!({ "sub": "dora", "exp": exp }),
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap();
    assert!(try_connect(binary.addr, &format!("/?token={jwt}"), &[]).is_ok());
    assert_eq!(try_connect(binary.addr, "/", &[]).err(), Some(401));
    // The connect line is written after the 101: wait for it, then stop
    // the server and read the rest of what it logged.
    let mut log = binary.log_until("as \"dora\"");
    assert!(log.last().unwrap().contains("connected from"), "{log:#?}");
    log.extend(binary.kill_and_log());
    assert!(
        log.iter().all(|l| !l.contains(key) && !l.contains(&jwt)),
        "{log:#?}"
    );
}

#[test]
fn help_does_not_show_secret_values() {
    let _watchdog = watchdog(DEADLINE);
    let output = Command::new(env!("CARGO_BIN_EXE_wshub"))
        .arg("--help")
        .env("WSHUB_TOKEN", TOKEN)
        .output()
        .expect("wshub --help runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--token"), "{help}");
    assert!(help.contains("WSHUB_TOKEN"), "{help}");
    assert!(!help.contains(TOKEN), "{help}");
}

#[test]
fn bad_settings_are_refused_at_start_up() {
    // A setting wrongly accepted would leave the server running: a hang.
    let _watchdog = watchdog(DEADLINE);
    for (args, why) in [
        (&["--token", "a", "--jwt-secret", "b"][..], "alternatives"),
        (&["--token", ""][..], "token must not be empty"),
        (
            &["--allowed-origin", "http://x.example/page"][..],
            "is not an origin",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_wshub"))
            .args(["--port", "0"])
            .args(args)
            .output()
            .expect("wshub runs");
        assert!(!output.status.success(), "{args:?}");
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(out.contains(why), "{args:?}: {out}");
    }
}
