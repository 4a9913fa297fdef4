//! `http::parse_head` on arbitrary bytes: never panics, and on success
//! removes exactly the head, leaving what follows it untouched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wshub::http::{parse_head, MAX_HEAD};

fuzz_target!(|data: &[u8]| {
    let mut buf = data.to_vec();
    if let Ok(Some(request)) = parse_head(&mut buf) {
        assert!(data.ends_with(&buf), "only the head is consumed");
        assert!(data.len() - buf.len() <= MAX_HEAD, "head within the cap");
        // The accessors the router and the upgrade use.
        let _ = (request.path(), request.query(), request.header("host"));
        let _ = request.header_has_token("connection", "upgrade");
    }
});
