//! Without --ws-path every path upgrades to WebSocket, as `ws` does; with
//! it, only that path upgrades (other upgrade requests get 404), a plain
//! request to it gets 426, and every other path is plain HTTP.

mod common;

use common::http::*;
use common::*;
use tungstenite::Message;
use wshub::Config;

fn echo(ws_path: Option<&str>) -> wshub::Server {
    start_echo(Config {
        ws_path: ws_path.map(String::from),
        ..config()
    })
}

#[test]
fn by_default_any_path_upgrades() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo(None);
    for path in ["/", "/ws", "/any/thing?x=1"] {
        let mut ws = connect_path(server.local_addr(), path);
        ws.send(Message::text(path)).unwrap();
        assert_eq!(recv_text(&mut ws), path);
    }
    // The same paths without an upgrade are plain HTTP.
    assert_eq!(get(server.local_addr(), "/").status, 200);
    get(server.local_addr(), "/ws").assert_error(404);
    server.shutdown();
}

#[test]
fn a_ws_path_restricts_upgrades_to_it() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo(Some("/ws"));
    let addr = server.local_addr();
    let mut ws = connect_path(addr, "/ws");
    ws.send(Message::text("on /ws")).unwrap();
    assert_eq!(recv_text(&mut ws), "on /ws");

    for path in ["/", "/ws/", "/other"] {
        match tungstenite::connect(format!("ws://{addr}{path}")) {
            Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404, "{path}"),
            other => panic!("{path}: expected a 404, got {other:?}"),
        }
    }
    let plain = get(addr, "/ws");
    plain.assert_error(426);
    assert_eq!(plain.header("Upgrade"), Some("websocket"));
    assert_eq!(get(addr, "/").status, 200);
    assert_eq!(get(addr, "/healthz").text(), "ok\n");
    server.shutdown();
}

#[test]
fn a_ws_path_must_be_a_plain_path() {
    for bad in ["ws", "/ws?x", "/a b", "/\"x\""] {
        let config = Config {
            ws_path: Some(bad.into()),
            ..config()
        };
        let err = wshub::Server::start(config, wshub::Echo::default()).unwrap_err();
        assert!(err.to_string().contains("ws-path"), "{bad}: {err}");
    }
}
