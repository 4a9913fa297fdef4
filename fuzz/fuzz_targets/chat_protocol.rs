//! The chat-protocol decoder on arbitrary text: never panics; whatever it
//! accepts re-encodes to JSON that decodes to the same request, and every
//! refusal can be sent back as an `error` message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wshub::protocol::{Request, ServerMessage};

const MAX_TEXT: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Request::decode(&text, MAX_TEXT) {
        Ok(request) => {
            let again = serde_json::to_string(&request).expect("requests serialize");
            assert_eq!(Request::decode(&again, MAX_TEXT).as_ref(), Ok(&request));
        }
        Err(refusal) => {
            let _ = ServerMessage::Error(refusal).to_json();
        }
    }
});
