//! One peer address cannot take every slot: a peer holding `--max-clients`
//! idle sockets leaves room for a client from another address (127.0.0.2
//! is a different peer on loopback), and behind a `--trusted-proxy` the
//! forwarded client address is the peer whose share counts. Every refusal
//! is a `503`, counted as `turned_away` in `/stats`.

mod common;

use std::net::{IpAddr, SocketAddr, TcpStream};

use common::*;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use wshub::Config;

/// A TCP connection to `server` from the loopback address `from`.
fn connect_from(from: [u8; 4], server: SocketAddr) -> TcpStream {
    use rustix::net::{AddressFamily, SocketType};
    let fd = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    rustix::net::bind(&fd, &SocketAddr::from((from, 0))).unwrap();
    rustix::net::connect(&fd, &server).unwrap();
    let stream = TcpStream::from(fd);
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream
}

/// A WebSocket handshake from `from` with extra request headers; the
/// client, or the HTTP status it was refused with.
fn upgrade_from(
    from: [u8; 4],
    server: SocketAddr,
    headers: &[(&'static str, &str)],
) -> Result<tungstenite::WebSocket<TcpStream>, u16> {
    let mut request = format!("ws://{server}/").into_client_request().unwrap();
    for (name, value) in headers {
        let value = HeaderValue::from_str(value).unwrap();
        request.headers_mut().insert(*name, value);
    }
    match tungstenite::client(request, connect_from(from, server)) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            Err(response.status().as_u16())
        }
        Err(err) => panic!("handshake failed: {err}"),
    }
}

/// `turned_away` from `GET /stats`, asked from 127.0.0.3.
fn turned_away(server: SocketAddr) -> u64 {
    use std::io::{Read, Write};
    let mut stream = connect_from([127, 0, 0, 3], server);
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).expect("a body");
    let stats: serde_json::Value = serde_json::from_str(body).unwrap();
    stats["turned_away"]
        .as_u64()
        .expect("turned_away in /stats")
}

#[test]
fn a_peer_holding_every_slot_idle_leaves_room_for_another_address() {
    let _watchdog = watchdog(DEADLINE * 3);
    let server = start(Config {
        max_clients: 8,
        ..config()
    });
    let addr = server.local_addr();
    // Eight idle sockets from one address, as many as --max-clients: only
    // a quarter of the slots may wait for a request head from one peer.
    let idle: Vec<TcpStream> = (0..8).map(|_| connect_from([127, 0, 0, 1], addr)).collect();
    // Accepted in order, so these come after every idle socket was judged.
    let mut other = upgrade_from([127, 0, 0, 2], addr, &[]).expect("another address gets in");
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 1));
    assert_eq!(
        server.connection_count(),
        3,
        "two idle sockets and the client"
    );
    assert_eq!(turned_away(addr), 6);

    // Once it does send requests, a peer may hold half of the slots.
    drop(idle);
    assert!(server.wait_for_connections(DEADLINE, |n| n == 1));
    let mut clients: Vec<_> = (0..4)
        .map(|_| upgrade_from([127, 0, 0, 1], addr, &[]).expect("within its share"))
        .collect();
    assert_eq!(upgrade_from([127, 0, 0, 1], addr, &[]).err(), Some(503));
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 5));
    other.send(tungstenite::Message::text("hi")).unwrap();
    for ws in &mut clients {
        match ws.read() {
            Ok(message) => assert_eq!(message.into_text().unwrap(), "hi"),
            Err(err) => panic!("{err}"),
        }
    }
    server.shutdown();
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_address_is_the_peer() {
    let _watchdog = watchdog(DEADLINE * 3);
    let proxy = IpAddr::from([127, 0, 0, 1]);
    let server = start(Config {
        max_clients: 8,
        trusted_proxies: vec![proxy],
        ..config()
    });
    let addr = server.local_addr();
    let xff = [("X-Forwarded-For", "198.51.100.7")];
    // Every client comes from the proxy's address, yet one client behind it
    // gets only its own share (half of 8).
    let _held: Vec<_> = (0..4)
        .map(|_| upgrade_from([127, 0, 0, 1], addr, &xff).expect("within its share"))
        .collect();
    assert_eq!(upgrade_from([127, 0, 0, 1], addr, &xff).err(), Some(503));
    let forwarded = [("Forwarded", "for=\"198.51.100.8:4711\";proto=http")];
    let _second = upgrade_from([127, 0, 0, 1], addr, &forwarded).expect("another client");
    // Not a trusted proxy: its header is ignored.
    let spoofed = [("X-Forwarded-For", "198.51.100.9")];
    let _direct = upgrade_from([127, 0, 0, 2], addr, &spoofed).expect("a direct client");
    assert!(server.hub().wait_for_count(DEADLINE, |n| n == 6));

    let mut peers: Vec<String> = server
        .hub()
        .clients()
        .unwrap()
        .iter()
        .map(|c| c.peer.ip().to_string())
        .collect();
    peers.sort();
    peers.dedup();
    assert_eq!(peers, ["127.0.0.2", "198.51.100.7", "198.51.100.8"]);
    assert_eq!(turned_away(addr), 1);
    server.shutdown();
}
