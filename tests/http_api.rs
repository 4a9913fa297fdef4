//! The HTTP API answers with the right status, headers and JSON: /healthz,
//! /stats, /clients, POST /broadcast (text and JSON bodies),
//! /broadcast/:message and /clients/:id/messages, and each refusal (400,
//! 404, 405 with Allow) as a JSON error.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::http::*;
use common::*;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::Message;
use wshub::Config;

fn broadcast_server() -> wshub::Server {
    start(Config { ..config() })
}

fn local_addr(ws: &Ws) -> std::net::SocketAddr {
    match ws.get_ref() {
        MaybeTlsStream::Plain(stream) => stream.local_addr().unwrap(),
        _ => unreachable!("plain TCP in tests"),
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn healthz_says_ok_and_head_sends_no_body() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let mut conn = HttpConn::open(server.local_addr());
    let ok = conn.request("GET", "/healthz", &[], b"");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert_eq!(ok.header("Content-Length"), Some("3"));
    assert_eq!(ok.text(), "ok\n");
    // HEAD: the same headers and no body; the next response on the same
    // connection would not parse if a body had been sent.
    let head = conn.request("HEAD", "/healthz", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("3"));
    assert_eq!(conn.request("GET", "/healthz", &[], b"").text(), "ok\n");
    server.shutdown();
}

#[test]
fn stats_has_exactly_the_documented_fields() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    let mut a = connect(addr);
    let _b = connect(addr);
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 2));
    a.send(Message::text("one")).unwrap();
    // Counted in (before the handler runs) and out (when queued) by now.
    assert_eq!(recv_text(&mut a), "one");

    let stats = get(addr, "/stats");
    assert_eq!(stats.status, 200);
    assert_eq!(stats.header("Content-Type"), Some("application/json"));
    let stats = stats.json();
    let mut names: Vec<&str> = stats
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "bytes_out",
            "clients",
            "clients_total",
            "evictions",
            "messages_in",
            "messages_out",
            "publishers_paused",
            "turned_away",
            "uptime_secs"
        ]
    );
    assert_eq!(stats["clients"], 2);
    assert_eq!(stats["clients_total"], 2);
    assert_eq!(stats["messages_in"], 1);
    assert_eq!(stats["messages_out"], 2);
    assert_eq!(stats["evictions"], 0);
    assert_eq!(stats["turned_away"], 0);
    assert!(stats["publishers_paused"].is_u64());
    // The hub adds the bytes it wrote after the write, so a client may read
    // them before they are counted: only the type is certain here.
    assert!(stats["bytes_out"].is_u64());
    assert!(stats["uptime_secs"].is_u64());
    server.shutdown();
}

#[test]
fn clients_lists_id_peer_connection_time_name_and_rooms() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    assert_eq!(get(addr, "/clients").json(), json!([]));

    let before = unix_ms();
    let clients = connect_many(&server, 2);
    let after = unix_ms();
    let list = get(addr, "/clients").json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let ids: Vec<u64> = list.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert!(ids[0] < ids[1], "in id order: {ids:?}");
    let mut peers: Vec<String> = list
        .iter()
        .map(|c| c["peer"].as_str().unwrap().to_string())
        .collect();
    let mut expected: Vec<String> = clients
        .iter()
        .map(|ws| local_addr(ws).to_string())
        .collect();
    peers.sort();
    expected.sort();
    assert_eq!(peers, expected);
    for client in list {
        let at = client["connected_at"].as_u64().unwrap();
        assert!(
            (before..=after).contains(&at),
            "{at} not in {before}..={after}"
        );
        // No name and no rooms: broadcast mode gives neither.
        assert_eq!(client["name"], serde_json::Value::Null, "{client}");
        assert_eq!(client["rooms"], serde_json::json!([]), "{client}");
        assert_eq!(client.as_object().unwrap().len(), 5, "{client}");
    }
    server.shutdown();
}

#[test]
fn broadcast_takes_text_or_json_and_reports_recipients() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 2);

    let answer = post_text(addr, "/broadcast", "plain text ü");
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"message": "plain text ü", "recipients": 2})
    );
    let answer = post_json(
        addr,
        "/broadcast",
        &json!({"message": "from JSON", "other": 1}),
    );
    assert_eq!(
        answer.json(),
        json!({"message": "from JSON", "recipients": 2})
    );
    // A JSON content type with parameters is still JSON.
    let answer = request(
        addr,
        "POST",
        "/broadcast",
        &[("Content-Type", "application/json; charset=utf-8")],
        br#"{"message":"with charset"}"#,
    );
    assert_eq!(answer.json()["message"], "with charset");
    // Without a JSON content type, JSON-looking text is sent as it is.
    let answer = request(addr, "POST", "/broadcast", &[], br#"{"message":"raw"}"#);
    assert_eq!(answer.json()["message"], r#"{"message":"raw"}"#);

    for ws in &mut clients {
        assert_eq!(recv_text(ws), "plain text ü");
        assert_eq!(recv_text(ws), "from JSON");
        assert_eq!(recv_text(ws), "with charset");
        assert_eq!(recv_text(ws), r#"{"message":"raw"}"#);
    }
    server.shutdown();
}

#[test]
fn broadcast_in_the_path_is_percent_decoded() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    let mut ws = connect_many(&server, 1).remove(0);

    let answer = get(addr, "/broadcast/hello%20world%2F%C3%BC+1");
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"message": "hello world/ü+1", "recipients": 1})
    );
    assert_eq!(recv_text(&mut ws), "hello world/ü+1");
    let answer = request(addr, "POST", "/broadcast/posted", &[], b"");
    assert_eq!(answer.json()["message"], "posted");
    assert_eq!(recv_text(&mut ws), "posted");

    get(addr, "/broadcast/%zz").assert_error(400);
    get(addr, "/broadcast/%FF").assert_error(400); // not UTF-8
    get(addr, "/broadcast/").assert_error(400); // empty
    get(addr, "/broadcast/a/b").assert_error(404);
    server.shutdown();
}

#[test]
fn a_message_to_one_client_reaches_only_that_client() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 2);
    // Which socket is which client: match on the peer address.
    let list = get(addr, "/clients").json();
    let first_peer = local_addr(&clients[0]).to_string();
    let target = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["peer"] == first_peer.as_str())
        .unwrap()["id"]
        .as_u64()
        .unwrap();

    let answer = post_json(
        addr,
        &format!("/clients/{target}/messages"),
        &json!({"message": "just you"}),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"message": "just you", "recipients": 1})
    );
    // Then a broadcast: the other client's next message is the broadcast,
    // so the direct message never reached it.
    post_text(addr, "/broadcast", "everyone");
    assert_eq!(recv_text(&mut clients[0]), "just you");
    assert_eq!(recv_text(&mut clients[0]), "everyone");
    assert_eq!(recv_text(&mut clients[1]), "everyone");

    post_text(addr, "/clients/999999/messages", "nobody").assert_error(404);
    post_text(addr, "/clients/abc/messages", "nobody").assert_error(404);
    server.shutdown();
}

#[test]
fn bad_bodies_get_400_with_a_reason() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    let json = [("Content-Type", "application/json")];
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Headers, &[u8], &str); 4] = [
        (&json, b"{not json", "invalid JSON"),
        (&json, br#"{"message": ""}"#, "empty message"),
        (&[], b"", "empty message"),
        (&[], b"\xff\xfe", "UTF-8"),
    ];
    for (headers, body, why) in cases {
        let answer = request(addr, "POST", "/broadcast", headers, body);
        answer.assert_error(400);
        let error = answer.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(why), "{error:?} should say {why:?}");
    }
    server.shutdown();
}

#[test]
fn unknown_paths_get_404_and_wrong_methods_405_with_allow() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = broadcast_server();
    let addr = server.local_addr();
    get(addr, "/no-such-thing").assert_error(404);
    request(addr, "POST", "/no-such-thing", &[], b"x").assert_error(404);

    let cases = [
        ("GET", "/broadcast", "POST"),
        ("PUT", "/broadcast", "POST"),
        ("HEAD", "/broadcast/x", "GET, POST"),
        ("DELETE", "/broadcast/x", "GET, POST"),
        ("POST", "/stats", "GET, HEAD"),
        ("DELETE", "/clients", "GET, HEAD"),
        ("PUT", "/healthz", "GET, HEAD"),
        ("GET", "/clients/1/messages", "POST"),
        ("POST", "/", "GET, HEAD"),
        ("DELETE", "/app.js", "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let answer = request(addr, method, path, &[], b"");
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.header("Allow"), Some(allow), "{method} {path}");
        if method != "HEAD" {
            answer.assert_error(405);
        }
    }
    // A refused HEAD /broadcast/x broadcast nothing.
    assert_eq!(get(addr, "/stats").json()["messages_out"], Value::from(0));
    server.shutdown();
}
