//! Static files: the built-in page is served with no files on disk (its
//! WebSocket path filled in from --ws-path), and --static-dir serves a
//! folder instead, with a Content-Type per extension, index.html for
//! folders, HEAD, and a Content-Length on every answer.

mod common;

use std::fs;

use common::http::*;
use common::*;
use wshub::Config;

#[test]
fn the_built_in_page_needs_no_files() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(config());
    let addr = server.local_addr();

    let page = get(addr, "/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        page.header("Content-Length"),
        Some(page.body.len().to_string().as_str())
    );
    let html = page.text();
    for id in ["status", "error", "log", "input", "send", "me"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "the page has #{id}");
    }
    assert!(html.contains(r#"data-ws-path="/""#));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    assert_eq!(get(addr, "/index.html").body, page.body);

    let script = get(addr, "/app.js");
    assert_eq!(
        script.header("Content-Type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.text().contains("new WebSocket("));
    let style = get(addr, "/style.css");
    assert_eq!(
        style.header("Content-Type"),
        Some("text/css; charset=utf-8")
    );

    let head = request(addr, "HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), page.header("Content-Length"));
    assert!(head.body.is_empty());

    assert_eq!(get(addr, "/favicon.ico").status, 200);
    get(addr, "/no-such-file.png").assert_error(404);
    server.shutdown();
}

#[test]
fn the_page_connects_to_the_ws_path() {
    let _watchdog = watchdog(DEADLINE * 2);
    let server = start(Config {
        ws_path: Some("/ws".into()),
        ..config()
    });
    assert!(get(server.local_addr(), "/")
        .text()
        .contains(r#"data-ws-path="/ws""#));
    server.shutdown();
}

#[test]
fn a_static_dir_is_served_instead() {
    let _watchdog = watchdog(DEADLINE * 2);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("index.html"), "<h1>mine</h1>").unwrap();
    fs::create_dir(root.join("docs")).unwrap();
    fs::write(root.join("docs/index.html"), "docs home").unwrap();
    let png = b"\x89PNG\r\n\x1a\nnot really".to_vec();
    fs::write(root.join("docs/logo.png"), &png).unwrap();
    fs::write(root.join("a b.txt"), "spaced").unwrap();
    fs::write(root.join("data.json"), "{}").unwrap();
    fs::write(root.join("app.mjs"), "export {}").unwrap();
    fs::write(root.join("blob"), [0u8, 1, 2]).unwrap();
    fs::write(root.join("empty.css"), "").unwrap();

    let server = start(Config {
        static_dir: Some(root.to_path_buf()),
        ..config()
    });
    let addr = server.local_addr();
    let cases = [
        ("/", "text/html; charset=utf-8", b"<h1>mine</h1>".to_vec()),
        (
            "/index.html",
            "text/html; charset=utf-8",
            b"<h1>mine</h1>".to_vec(),
        ),
        ("/docs/", "text/html; charset=utf-8", b"docs home".to_vec()),
        ("/docs", "text/html; charset=utf-8", b"docs home".to_vec()),
        ("/docs/logo.png", "image/png", png.clone()),
        (
            "/a%20b.txt",
            "text/plain; charset=utf-8",
            b"spaced".to_vec(),
        ),
        ("/data.json?v=2", "application/json", b"{}".to_vec()),
        (
            "/app.mjs",
            "text/javascript; charset=utf-8",
            b"export {}".to_vec(),
        ),
        ("/blob", "application/octet-stream", vec![0, 1, 2]),
        ("/empty.css", "text/css; charset=utf-8", Vec::new()),
    ];
    let mut conn = HttpConn::open(addr);
    for (path, content_type, body) in cases {
        let answer = conn.request("GET", path, &[], b"");
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("Content-Type"), Some(content_type), "{path}");
        assert_eq!(
            answer.header("Content-Length"),
            Some(body.len().to_string().as_str()),
            "{path}"
        );
        assert_eq!(answer.body, body, "{path}");
        let head = conn.request("HEAD", path, &[], b"");
        assert_eq!(head.status, 200, "HEAD {path}");
        assert_eq!(
            head.header("Content-Length"),
            Some(body.len().to_string().as_str()),
            "HEAD {path}"
        );
    }
    // The built-in page is not mixed in.
    get(addr, "/app.js").assert_error(404);
    server.shutdown();
}

#[test]
fn a_static_dir_that_does_not_exist_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let config = Config {
        static_dir: Some(missing),
        ..config()
    };
    let err = wshub::Server::start(config, wshub::Echo::default()).unwrap_err();
    assert!(matches!(err, wshub::StartError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("static-dir"), "{err}");
}
