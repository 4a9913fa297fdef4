//! `--deflate` negotiates permessage-deflate: an offer the server can
//! honour is answered (always with server_no_context_takeover), one it
//! cannot is declined and the connection proceeds uncompressed, and
//! without the flag nothing is negotiated.

mod common;

use common::deflate::*;
use common::*;
use wshub::Config;

fn extensions(head: &str) -> Option<&str> {
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("Sec-WebSocket-Extensions")
            .then(|| value.trim())
    })
}

#[test]
fn offers_are_answered_as_rfc_7692_allows() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_echo(Config {
        deflate: true,
        ..config()
    });
    let addr = server.local_addr();
    let cases = [
        (
            "permessage-deflate; client_max_window_bits",
            Some("permessage-deflate; server_no_context_takeover"),
        ),
        (
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=10",
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"),
        ),
        (
            "permessage-deflate; server_max_window_bits=20, permessage-deflate",
            Some("permessage-deflate; server_no_context_takeover"),
        ),
        ("permessage-deflate; unknown_parameter", None),
        ("x-webkit-deflate-frame", None),
        ("", None),
    ];
    for (offer, answer) in cases {
        let (mut stream, head) = connect_offering(addr, offer);
        assert_eq!(extensions(&head), answer, "{offer}");
        // Either way the connection works.
        let text = b"a plain message".to_vec();
        use std::io::Write;
        stream.write_all(&client_frame(0x81, &text)).unwrap();
        assert_eq!(read_message(&mut stream), (false, text));
    }
    server.shutdown();
}

#[test]
fn without_the_flag_nothing_is_negotiated() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start_echo(config());
    let (_stream, head) = connect_offering(server.local_addr(), "permessage-deflate");
    assert_eq!(extensions(&head), None);
    server.shutdown();
}
