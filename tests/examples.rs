//! Each tutorial example behaves as its step teaches: the example's own
//! `start` function is compiled in here and run on port 0.
// Every example has its own copy of examples/common (each is a crate of its
// own when run); compiled together here, they load it once each.
#![allow(clippy::duplicate_mod)]

mod common;

use common::http::*;
use common::*;
use tungstenite::Message;

// The examples' `main` functions are not called here.
#[allow(dead_code)]
#[path = "../examples/auth.rs"]
mod auth;
#[allow(dead_code)]
#[path = "../examples/broadcast.rs"]
mod broadcast;
#[allow(dead_code)]
#[path = "../examples/direct.rs"]
mod direct;
#[allow(dead_code)]
#[path = "../examples/echo.rs"]
mod echo;
#[allow(dead_code)]
#[path = "../examples/http_broadcast.rs"]
mod http_broadcast;
#[allow(dead_code)]
#[path = "../examples/welcome.rs"]
mod welcome;

#[test]
fn echo_example_echoes() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = echo::start(config()).unwrap();
    let mut ws = connect(server.local_addr());
    ws.send(Message::text("ping?")).unwrap();
    assert_eq!(recv_text(&mut ws), "ping?");
    server.shutdown();
}

#[test]
fn broadcast_example_reaches_everyone_or_only_the_others() {
    let _watchdog = watchdog(DEADLINE * 2);
    for others_only in [false, true] {
        let server = broadcast::start(config(), others_only).unwrap();
        let mut clients = connect_many(&server, 3);
        clients[0].send(Message::text("hi all")).unwrap();
        for ws in &mut clients[1..] {
            assert_eq!(recv_text(ws), "hi all");
        }
        // Client 1's answer is the next thing client 0 sees only if client
        // 0 was left out of its own broadcast.
        clients[1].send(Message::text("answer")).unwrap();
        let first = recv_text(&mut clients[0]);
        assert_eq!(first, if others_only { "answer" } else { "hi all" });
        server.shutdown();
    }
}

#[test]
fn welcome_example_greets_and_announces() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = welcome::start(config()).unwrap();
    let mut first = connect(server.local_addr());
    let greeting = recv_text(&mut first);
    assert!(
        greeting.starts_with("Welcome! You are client "),
        "{greeting}"
    );
    let mut second = connect(server.local_addr());
    let second_id = recv_text(&mut second)
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(recv_text(&mut first), format!("client {second_id} joined"));
    drop(second);
    assert_eq!(recv_text(&mut first), format!("client {second_id} left"));
    server.shutdown();
}

#[test]
fn direct_example_reaches_one_client_by_id() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = direct::start(config()).unwrap();
    let mut clients = connect_many(&server, 3);
    let ids: Vec<String> = clients
        .iter_mut()
        .map(|ws| recv_text(ws).trim_start_matches("your id is ").to_string())
        .collect();
    clients[0]
        .send(Message::text(format!("@{} psst", ids[2])))
        .unwrap();
    assert_eq!(recv_text(&mut clients[2]), format!("from {}: psst", ids[0]));
    clients[0].send(Message::text("@999 anyone?")).unwrap();
    assert_eq!(recv_text(&mut clients[0]), "error: no client 999");
    // Client 1 got nothing direct: its next message is a broadcast.
    clients[0].send(Message::text("to everyone")).unwrap();
    assert_eq!(recv_text(&mut clients[1]), "to everyone");
    server.shutdown();
}

#[test]
fn http_broadcast_example_pushes_from_its_own_route() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = http_broadcast::start(config()).unwrap();
    let addr = server.local_addr();
    let mut clients = connect_many(&server, 2);
    let answer = post_text(addr, "/notify", "dinner is ready");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["recipients"], 2);
    for ws in &mut clients {
        assert_eq!(recv_text(ws), "dinner is ready");
    }
    assert_eq!(get(addr, "/notify").status, 405);
    // Other paths are left to the built-in routes.
    assert_eq!(get(addr, "/healthz").status, 200);
    server.shutdown();
}

#[test]
fn auth_example_refuses_an_upgrade_without_the_token() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = auth::start(config(), "opensesame").unwrap();
    let addr = server.local_addr();
    assert_eq!(try_connect(addr, "/", &[]).err(), Some(401));
    assert_eq!(try_connect(addr, "/?token=wrong", &[]).err(), Some(401));
    let mut ws = try_connect(addr, "/?token=opensesame", &[]).expect("the right token");
    assert_eq!(recv_text(&mut ws), "you are in");
    // ws's documentation names it access_token; step 11 uses that.
    let mut ws2 = try_connect(addr, "/?access_token=opensesame", &[]).expect("the right token");
    assert_eq!(recv_text(&mut ws2), "you are in");
    assert_eq!(server.hub().stats().clients_total, 2);
    server.shutdown();
}
