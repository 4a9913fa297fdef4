//! Headless Chromium for the browser tests: Debian's `chromium` package at
//! /usr/bin/chromium (`.ci/run` installs it), driven over the DevTools
//! protocol by the `headless_chrome` crate. Waits on the page are
//! event-driven (a MutationObserver inside the page) with [`DEADLINE`].

use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

use super::DEADLINE;

/// Where Debian's `chromium` package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Starts headless Chromium with nothing running in the background that
/// would reach the internet.
pub fn launch() -> Browser {
    let args: Vec<&OsStr> = [
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    .into_iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .sandbox(false) // CI runs as root, where Chromium's sandbox refuses to start.
        .window_size(Some((900, 640)))
        .idle_browser_timeout(Duration::from_secs(120))
        .args(args)
        .build()
        .expect("launch options");
    Browser::new(options).expect("Chromium starts (apt-get install chromium)")
}

/// Opens `url` in a new tab and waits for it to load.
pub fn open(browser: &Browser, url: &str) -> Arc<Tab> {
    let tab = browser.new_tab().expect("a new tab");
    // DevTools calls may take a while on a loaded machine; the page-side
    // waits below have their own deadline.
    tab.set_default_timeout(DEADLINE * 3);
    tab.navigate_to(url).expect("navigates");
    tab.wait_until_navigated().expect("the page loads");
    tab
}

/// Evaluates a JavaScript expression and returns its value.
pub fn eval(tab: &Tab, expression: &str) -> Value {
    tab.evaluate(expression, false)
        .unwrap_or_else(|e| panic!("evaluating `{expression}`: {e}"))
        .value
        .unwrap_or(Value::Null)
}

/// Evaluates a JavaScript expression that yields a promise, and returns
/// what it resolves to (the expression must settle within its own
/// deadline).
pub fn eval_awaited(tab: &Tab, expression: &str) -> Value {
    // DevTools never returns an awaited promise of a background tab.
    tab.activate().expect("the tab comes to the front");
    tab.evaluate(expression, true)
        .unwrap_or_else(|e| panic!("evaluating `{expression}`: {e}"))
        .value
        .unwrap_or(Value::Null)
}

/// Waits until the JavaScript `condition` holds on the page: it is checked
/// at once and after every DOM change, for at most [`DEADLINE`]. On
/// timeout, panics with what the page shows.
pub fn wait_until(tab: &Tab, condition: &str) {
    let script = format!(
        r#"new Promise((resolve) => {{
            const holds = () => {{ try {{ return Boolean({condition}); }} catch (_) {{ return false; }} }};
            if (holds()) {{ resolve("ok"); return; }}
            const observer = new MutationObserver(() => {{
                if (holds()) {{ observer.disconnect(); clearTimeout(timer); resolve("ok"); }}
            }});
            observer.observe(document.documentElement,
                {{ subtree: true, childList: true, characterData: true, attributes: true }});
            const timer = setTimeout(() => {{ observer.disconnect(); resolve("timeout"); }}, {ms});
        }})"#,
        ms = DEADLINE.as_millis()
    );
    // In a tab in the background, DevTools never returns an awaited
    // promise (the page itself works): bring the tab to the front first.
    tab.activate().expect("the tab comes to the front");
    let result = tab
        .evaluate(&script, true)
        .unwrap_or_else(|e| panic!("waiting for `{condition}`: {e}"));
    if result.value != Some(Value::from("ok")) {
        panic!(
            "timed out waiting for `{condition}`; the page shows {}",
            page_state(tab)
        );
    }
}

/// Waits until `#status` reads exactly `text`.
pub fn wait_for_status(tab: &Tab, text: &str) {
    wait_until(
        tab,
        &format!("document.getElementById('status').textContent === {text:?}"),
    );
}

/// Waits until some line of `#log` contains `text`.
pub fn wait_for_log(tab: &Tab, text: &str) {
    wait_until(
        tab,
        &format!("Array.from(document.querySelectorAll('#log li')).some(li => li.textContent.includes({text:?}))"),
    );
}

/// The text of the element with this id.
pub fn text_of(tab: &Tab, id: &str) -> String {
    let value = eval(tab, &format!("document.getElementById({id:?}).textContent"));
    value.as_str().unwrap_or_default().to_string()
}

/// Whether the element with this id is hidden.
pub fn is_hidden(tab: &Tab, id: &str) -> bool {
    eval(tab, &format!("document.getElementById({id:?}).hidden")) == Value::Bool(true)
}

/// The lines of `#log`, oldest first.
pub fn log_lines(tab: &Tab) -> Vec<String> {
    let value = eval(
        tab,
        "JSON.stringify(Array.from(document.querySelectorAll('#log li')).map(li => li.textContent))",
    );
    serde_json::from_str(value.as_str().unwrap_or("[]")).unwrap_or_default()
}

/// How a message is sent from the page.
#[derive(Debug, Clone, Copy)]
pub enum SendWith {
    /// The Enter key in `#input`.
    Enter,
    /// A click on the `#send` button.
    Click,
}

/// Enters `text` into `#input` as real input events (as an input method
/// does: one event for the text, which keeps a loaded machine from
/// spending seconds on per-key round trips), then sends it.
pub fn type_and_send(tab: &Tab, text: &str, with: SendWith) {
    tab.activate().expect("the tab comes to the front");
    tab.find_element("#input")
        .expect("#input")
        .click()
        .expect("focus #input");
    tab.send_character(text).expect("text input");
    match with {
        SendWith::Enter => {
            tab.press_key("Enter").expect("Enter");
        }
        SendWith::Click => {
            tab.find_element("#send")
                .expect("#send")
                .click()
                .expect("click #send");
        }
    }
}

/// Saves a PNG screenshot of the page as `target/tmp/NAME.png` and returns
/// its path.
pub fn screenshot(tab: &Tab, name: &str) -> PathBuf {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is a PNG"
    );
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
    std::fs::write(&path, png).expect("screenshot saved");
    eprintln!("screenshot: {}", path.display());
    path
}

/// What the page shows in its contract elements, for failure messages.
fn page_state(tab: &Tab) -> String {
    let state = tab.evaluate(
        "JSON.stringify({ status: document.getElementById('status')?.textContent, \
         error: document.getElementById('error')?.textContent, \
         me: document.getElementById('me')?.textContent, \
         log: Array.from(document.querySelectorAll('#log li')).map(li => li.textContent) })",
        false,
    );
    match state {
        Ok(object) => object.value.map(|v| v.to_string()).unwrap_or_default(),
        Err(e) => format!("(page state unavailable: {e})"),
    }
}
