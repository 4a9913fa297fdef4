//! Listening on localhost the way `ws` is reached: by default the server
//! accepts on 127.0.0.1 and on ::1 (where the machine has IPv6), on the
//! same port, so `ws://localhost:PORT` works whichever address the client
//! tries first; `--bind` (`Config::bind`) listens on that one address.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};

use common::*;
use tungstenite::Message;
use wshub::{Config, Server, StartError};

/// Whether this machine can listen on ::1 at all.
fn has_ipv6() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

fn v6(port: u16) -> SocketAddr {
    SocketAddr::new("::1".parse().unwrap(), port)
}

#[test]
fn by_default_both_loopback_addresses_answer_on_one_port() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let v4 = server.local_addr();
    assert_eq!(v4.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    let mut clients = vec![connect(v4)];
    if has_ipv6() {
        clients.push(connect(v6(v4.port())));
    } else {
        eprintln!("no IPv6 on this machine: checked 127.0.0.1 only");
    }
    let n = clients.len();
    assert!(server.hub().wait_for_count(DEADLINE, |c| c == n));
    clients[0].send(Message::text("over v4")).unwrap();
    for ws in &mut clients {
        assert_eq!(recv_text(ws), "over v4");
    }
    // localhost, as a browser or wscat resolves it, reaches the server
    // whichever address comes first.
    let mut by_name = connect_path_on_host("localhost", v4.port());
    assert!(server.hub().wait_for_count(DEADLINE, |c| c == n + 1));
    by_name.send(Message::text("by name")).unwrap();
    assert_eq!(recv_text(&mut clients[0]), "by name");
    server.shutdown();
}

fn connect_path_on_host(host: &str, port: u16) -> Ws {
    let (ws, _) =
        tungstenite::connect(format!("ws://{host}:{port}/")).expect("client connects by name");
    ws
}

#[test]
fn bind_listens_on_that_one_address_only() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(Config {
        bind: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ..config()
    });
    let port = server.local_addr().port();
    let _ws = connect(server.local_addr());
    if has_ipv6() {
        assert!(TcpStream::connect(v6(port)).is_err(), "::1 is not served");
    }
    server.shutdown();
}

#[test]
fn a_port_held_on_ipv6_by_another_program_is_an_error_naming_it() {
    if !has_ipv6() {
        eprintln!("no IPv6 on this machine: nothing to check");
        return;
    }
    let _watchdog = watchdog(DEADLINE * 2);
    // Find a port free on 127.0.0.1 but held on ::1.
    let held = TcpListener::bind("[::1]:0").unwrap();
    let port = held.local_addr().unwrap().port();
    if TcpListener::bind(("127.0.0.1", port)).is_err() {
        eprintln!("port {port} is busy on 127.0.0.1 too: nothing to check");
        return;
    }
    let err = Server::start(
        Config {
            port,
            ..Config::default()
        },
        wshub::Echo::default(),
    )
    .expect_err("the port is not ours on ::1");
    match &err {
        StartError::Bind { addr, .. } => assert_eq!(*addr, v6(port)),
        other => panic!("expected a bind error, got {other:?}"),
    }
    assert!(err.to_string().contains("--port"), "{err}");
}
