//! Clients nobody here wrote round-trip with `--deflate`: Python
//! `websockets` with `compression="deflate"` and Node `ws` with
//! `perMessageDeflate` both negotiate it and get their messages echoed.
//! Ignored in plain `cargo test` (they need the packages); `.ci/run`
//! installs them and runs `cargo test --test deflate_interop -- --ignored`.

mod common;

use std::process::{Command, Output, Stdio};

use common::*;
use wshub::Config;

/// Runs `command` to its end, failing the test after [`DEADLINE`].
fn run(mut command: Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = rx
        .recv_timeout(DEADLINE * 3)
        .expect("the client finishes in time")
        .expect("the client runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}\n{errors}");
    output
}

fn echo_server() -> wshub::Server {
    start_echo(Config {
        deflate: true,
        ..config()
    })
}

const PYTHON: &str = r#"
import json, sys
from websockets.sync.client import connect
large = json.dumps([{"id": i, "text": f"message {i}"} for i in range(100)])
with connect(sys.argv[1], compression="deflate", proxy=None, max_size=None,
             open_timeout=10, close_timeout=10) as ws:
    print("extensions:", ws.response.headers.get("Sec-WebSocket-Extensions"))
    for message in [large, "small", large.encode()]:
        ws.send(message)
        assert ws.recv(timeout=10) == message
print("ok")
"#;

#[test]
#[ignore = "needs Python websockets (pip install websockets): cargo test --test deflate_interop -- --ignored"]
fn python_websockets_round_trips_with_compression() {
    let _watchdog = watchdog(DEADLINE * 4);
    let server = echo_server();
    let mut python = Command::new("python3");
    python
        .args(["-c", PYTHON])
        .arg(format!("ws://{}/", server.local_addr()));
    let output = run(python);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("extensions: permessage-deflate"), "{text}");
    assert!(text.trim_end().ends_with("ok"), "{text}");
    server.shutdown();
}

#[test]
#[ignore = "needs Node ws (cd examples/node && npm ci): cargo test --test deflate_interop -- --ignored"]
fn node_ws_round_trips_with_per_message_deflate() {
    let _watchdog = watchdog(DEADLINE * 4);
    let server = echo_server();
    let mut node = Command::new("node");
    node.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/node"))
        .arg("deflate_client.mjs")
        .arg(format!("ws://{}/", server.local_addr()));
    let output = run(node);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("extensions: permessage-deflate"), "{text}");
    assert!(text.trim_end().ends_with("ok"), "{text}");
    server.shutdown();
}
