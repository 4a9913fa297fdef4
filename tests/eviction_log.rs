//! An eviction is logged as the server's doing: the evicted client's
//! disconnect line says "closed by the server (1008, slow consumer)", not
//! that the connection dropped, whatever its reader saw of the close.

mod common;

use common::http::*;
use common::*;

#[test]
fn an_evicted_client_is_logged_as_closed_by_the_server() {
    let _watchdog = watchdog(DEADLINE * 3);
    let binary = Binary::start(&[
        "--mode",
        "broadcast",
        "--welcome",
        "",
        "--max-queue",
        "1000",
        "--max-body",
        "40000000",
    ]);
    let addr = binary.addr;
    let _never_reads = connect(addr);
    binary.wait_for_log("client 1 connected");
    // A message far larger than the socket buffers stays "being written";
    // the next one is a backlog over --max-queue.
    let plug = "x".repeat(32 << 20);
    assert_eq!(post_text(addr, "/clients/1/messages", &plug).status, 200);
    assert_eq!(
        post_text(addr, "/clients/1/messages", &"y".repeat(2000)).status,
        200
    );
    let line = binary.wait_for_log("disconnected");
    assert!(
        line.contains("disconnected: closed by the server (1008, slow consumer)"),
        "{line}"
    );
}
