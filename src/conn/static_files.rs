//! Static files: the browser chat page compiled into the binary, or a
//! folder on disk (`--static-dir`) in its place; `/favicon.ico` is ours
//! unless the folder has one.
//!
//! Nothing outside the folder is ever served. A request path is
//! percent-decoded once, split on `/`, and refused (404) if any segment
//! starts with a dot (`..`, `.`, hidden files such as `.git`), holds a
//! backslash, a colon or a NUL byte. What is left is joined onto the
//! folder, and the result, with every symlink resolved, must still lie
//! inside the folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::http::{percent_decode, Request, Response};

/// The built-in page: its HTML, script and style sheet.
const PAGE_HTML: &str = include_str!("../assets/index.html");
const PAGE_JS: &[u8] = include_bytes!("../assets/app.js");
const PAGE_CSS: &[u8] = include_bytes!("../assets/style.css");
/// Our 16×16 icon. Browsers ask every server for `/favicon.ico`; without
/// one, each page load logs a 404 in the developer console.
const FAVICON: &[u8] = include_bytes!("../assets/favicon.ico");
/// The attribute of the page's `<html>` element that tells the script
/// which path to open its WebSocket on; filled in from `--ws-path`.
const WS_PATH_ATTRIBUTE: &str = "data-ws-path=\"\"";

/// Where static files come from.
#[derive(Debug)]
pub(crate) enum StaticFiles {
    /// The page compiled into the binary, by file name.
    Embedded(Vec<(&'static str, Vec<u8>)>),
    /// A folder, as an absolute path with symlinks resolved.
    Dir(PathBuf),
}

impl StaticFiles {
    /// The files `config` asks for: its `static_dir`, or the built-in page.
    ///
    /// # Errors
    ///
    /// The folder cannot be resolved (it does not exist, say).
    pub(crate) fn new(config: &Config) -> io::Result<StaticFiles> {
        if let Some(dir) = &config.static_dir {
            return Ok(StaticFiles::Dir(fs::canonicalize(dir)?));
        }
        let ws_path = config.ws_path.as_deref().unwrap_or("/");
        // Config::validate allows only characters that need no escaping
        // in an HTML attribute.
        let html = PAGE_HTML.replacen(WS_PATH_ATTRIBUTE, &format!("data-ws-path=\"{ws_path}\""), 1);
        Ok(StaticFiles::Embedded(vec![
            ("index.html", html.into_bytes()),
            ("app.js", PAGE_JS.to_vec()),
            ("style.css", PAGE_CSS.to_vec()),
            ("favicon.ico", FAVICON.to_vec()),
        ]))
    }

    /// Answers a request for a file: 200 with the file, 404 when there is
    /// no such file (or the path tries to leave the folder), 405 for a
    /// method other than GET or HEAD on a file that exists.
    pub(crate) fn serve(&self, request: &Request) -> Response {
        let Some(name) = safe_relative_path(request.path()) else {
            return not_found();
        };
        let found = match self {
            StaticFiles::Embedded(files) => files
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(file, bytes)| (content_type(file), bytes.clone())),
            // A folder without an icon of its own gets ours.
            StaticFiles::Dir(root) => read_inside(root, &name).or_else(|| {
                (name == "favicon.ico").then(|| (content_type(&name), FAVICON.to_vec()))
            }),
        };
        let Some((content_type, body)) = found else {
            return not_found();
        };
        if request.method != "GET" && request.method != "HEAD" {
            return Response::error(405, "files can only be read: use GET or HEAD")
                .with_header("Allow", "GET, HEAD");
        }
        // Revalidate on every load, so an edited page shows at once.
        Response::new(200, content_type, body).with_header("Cache-Control", "no-cache")
    }
}

fn not_found() -> Response {
    Response::error(404, "not found")
}

/// The request path as a relative file path with `/` separators
/// (`index.html` for a path that ends in `/`), or `None` if it is not a
/// plain path below the root.
fn safe_relative_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None; // `*`, or an absolute URL: nothing we serve.
    }
    let decoded = percent_decode(path)?;
    let mut segments = Vec::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', ':', '\0']) {
            return None;
        }
        segments.push(segment);
    }
    if decoded.ends_with('/') {
        segments.push("index.html");
    }
    Some(segments.join("/"))
}

/// Reads `root/name` if it resolves (symlinks followed) to a file inside
/// `root`; a folder gives its `index.html`, checked the same way.
fn read_inside(root: &Path, name: &str) -> Option<(&'static str, Vec<u8>)> {
    let mut path = fs::canonicalize(root.join(name)).ok()?;
    if path.is_dir() {
        path = fs::canonicalize(path.join("index.html")).ok()?;
    }
    if !path.starts_with(root) || !path.is_file() {
        return None;
    }
    let body = fs::read(&path).ok()?;
    let file_name = path.file_name()?.to_str()?;
    Some((content_type(file_name), body))
}

/// The Content-Type for a file name, by its extension.
fn content_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_map_to_files() {
        assert_eq!(safe_relative_path("/").as_deref(), Some("index.html"));
        assert_eq!(safe_relative_path("/app.js").as_deref(), Some("app.js"));
        assert_eq!(
            safe_relative_path("/img/a%20b.png").as_deref(),
            Some("img/a b.png")
        );
        assert_eq!(
            safe_relative_path("/docs/").as_deref(),
            Some("docs/index.html")
        );
    }

    #[test]
    fn paths_that_could_leave_the_folder_are_refused() {
        for path in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2e%2Fetc",
            "/..%5cwindows",
            "/a\\..\\b",
            "/C:/windows",
            "/.git/config",
            "/a%00.html",
            "/%zz",
            "*",
            "http://example.com/",
        ] {
            assert_eq!(safe_relative_path(path), None, "{path}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("index.HTML"), "text/html; charset=utf-8");
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("README"), "application/octet-stream");
    }
}
