//! Nothing outside --static-dir is ever served: `..` in every spelling
//! (plain, percent-encoded, mixed case, double-encoded, with backslashes),
//! absolute paths, hidden files, and symlinks that lead out of the folder
//! all get 404; a symlink that stays inside still works.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::http::*;
use common::*;
use wshub::Config;

const SECRET: &str = "SECRET-OUTSIDE-THE-FOLDER";

#[test]
fn paths_that_leave_the_folder_get_404() {
    let _watchdog = watchdog(DEADLINE * 2);
    // outer/secret.txt must never be served from outer/public.
    let outer = tempfile::tempdir().unwrap();
    let public = outer.path().join("public");
    fs::create_dir_all(public.join("sub")).unwrap();
    fs::write(outer.path().join("secret.txt"), SECRET).unwrap();
    fs::write(public.join("index.html"), "public page").unwrap();
    fs::write(public.join("sub/inner.txt"), "inner").unwrap();
    fs::write(public.join(".env"), SECRET).unwrap();
    symlink("../secret.txt", public.join("link-out.txt")).unwrap();
    symlink("..", public.join("dir-out")).unwrap();
    symlink(
        outer.path().join("secret.txt"),
        public.join("absolute-link.txt"),
    )
    .unwrap();
    symlink("sub/inner.txt", public.join("link-in.txt")).unwrap();

    let server = start(Config {
        static_dir: Some(public.clone()),
        ..config()
    });
    let addr = server.local_addr();
    let attempts = [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/%252e%252e/secret.txt", // double-encoded: decoded once, it is a name
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/sub\\..\\..\\secret.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/C:/secret.txt",
        "/.env",
        "/%2eenv",
        "/secret.txt%00.html",
        "/link-out.txt",
        "/dir-out/secret.txt",
        "/absolute-link.txt",
        "/%zz",
        "*",
        "../secret.txt",
    ];
    let mut conn = HttpConn::open(addr);
    for path in attempts {
        let answer = conn.request("GET", path, &[], b"");
        assert_eq!(
            answer.status,
            404,
            "{path} answered {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert!(
            !String::from_utf8_lossy(&answer.body).contains(SECRET),
            "{path}"
        );
    }
    // The folder itself is served, symlinks that stay inside included.
    assert_eq!(conn.request("GET", "/", &[], b"").text(), "public page");
    assert_eq!(
        conn.request("GET", "/sub/inner.txt", &[], b"").text(),
        "inner"
    );
    assert_eq!(
        conn.request("GET", "/link-in.txt", &[], b"").text(),
        "inner"
    );
    server.shutdown();
}
