//! The `debug` line for every message a client sends, as the tutorials'
//! `console.log('received: %s', message)`: the client id, the size and the
//! first [`PREVIEW_CHARS`] characters, with control characters escaped so
//! one message is always one log line.

use log::{debug, log_enabled, Level};
use tungstenite::Message;

use crate::hub::ClientId;
use crate::plural::plural;

/// How many characters of a text message the log shows.
const PREVIEW_CHARS: usize = 200;

/// Logs `message` from client `id` at `debug` (and does no work at all
/// when `debug` is off: this runs for every message).
pub(super) fn log_received(id: ClientId, message: &Message) {
    if !log_enabled!(Level::Debug) {
        return;
    }
    match message {
        Message::Text(text) => debug!(
            "client {id} sent {}: {}",
            plural(text.len(), "byte"),
            preview(text.as_str())
        ),
        Message::Binary(data) => {
            debug!("client {id} sent {} of binary", plural(data.len(), "byte"))
        }
        _ => {}
    }
}

/// The first [`PREVIEW_CHARS`] characters of `text`, control characters
/// escaped (`\n`, `\u{1b}`), and `…` if there was more.
fn preview(text: &str) -> String {
    let mut shown = String::new();
    let mut chars = text.chars();
    for c in chars.by_ref().take(PREVIEW_CHARS) {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_texts_cut() {
        assert_eq!(preview("hi\nthere\t\u{1b}[31m"), "hi\\nthere\\t\\u{1b}[31m");
        assert_eq!(preview("héllo \"x\""), "héllo \"x\"");
        let long = "é".repeat(PREVIEW_CHARS + 1);
        assert_eq!(preview(&long), format!("{}…", "é".repeat(PREVIEW_CHARS)));
        assert_eq!(
            preview(&long[..2 * PREVIEW_CHARS]),
            "é".repeat(PREVIEW_CHARS)
        );
    }
}
