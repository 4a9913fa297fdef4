//! The upgrade checks on arbitrary request heads: `Auth::check` under each
//! kind of setting, then `upgrade::accept`. Never panics; every answer is
//! a well-formed response.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wshub::auth::{Auth, Identity, Secret};
use wshub::http::{parse_head, Response};
use wshub::upgrade;

fn settings() -> &'static [Auth; 3] {
    static SETTINGS: OnceLock<[Auth; 3]> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        [
            Auth {
                token: Some(Secret::new("s3cret+/=")),
                ..Auth::default()
            },
            Auth {
                jwt_secret: Some(Secret::new("fuzz-key")),
                ..Auth::default()
            },
            Auth {
                allowed_origins: vec!["http://192.168.1.20:3000".into()],
                ..Auth::default()
            },
        ]
    })
}

fn check_refusal(response: &Response) {
    assert!(matches!(response.status, 400..=499), "{}", response.status);
    let mut bytes = Vec::new();
    response
        .write_to(&mut bytes, false)
        .expect("writes to a Vec");
}

fuzz_target!(|data: &[u8]| {
    let mut buf = data.to_vec();
    let Ok(Some(request)) = parse_head(&mut buf) else {
        return;
    };
    for auth in settings() {
        match auth.check(&request) {
            Ok(Identity::TokenHolder) => assert!(auth.token.is_some()),
            Ok(Identity::Jwt { .. }) => assert!(auth.jwt_secret.is_some()),
            Ok(Identity::Anonymous) => {
                assert!(auth.token.is_none() && auth.jwt_secret.is_none())
            }
            Err(response) => check_refusal(&response),
        }
    }
    let _ = upgrade::wants_websocket(&request);
    match upgrade::accept(&request) {
        Ok(answer) => {
            assert!(answer.starts_with(b"HTTP/1.1 101 "));
            assert!(answer.ends_with(b"\r\n\r\n"));
        }
        Err(response) => check_refusal(&response),
    }
});
