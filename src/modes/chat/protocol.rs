//! Chat mode's messages: one JSON object per text frame, `type` first.
//!
//! A client sends [`Request`]s (a [`Command`] and an optional [`Ack`]); the
//! server sends [`ServerMessage`]s. The README's "Chat protocol" section is
//! a table of these types.
//!
//! Requests are decoded by hand ([`Request::decode`]) rather than with a
//! derived `Deserialize`, so that every refusal names its reason and field
//! ([`ErrorCode::MissingField`] "to", [`ErrorCode::InvalidField`] "room")
//! and keeps the request's `ack`. Unknown fields are ignored. Server
//! messages derive both `Serialize` and `Deserialize`, so a Rust client can
//! read them with `serde_json::from_str::<ServerMessage>`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::hub::ClientId;

/// The room every client joins on connect, and the room of a `message`
/// that names none.
pub const LOBBY: &str = "lobby";
/// Longest name or room name, in characters.
pub const MAX_LABEL_CHARS: usize = 32;
/// Most rooms one client may be in at once, the lobby included.
pub const MAX_ROOMS_PER_CLIENT: usize = 32;

/// A token the client attaches to a request to have it confirmed: a JSON
/// string or number, sent back unchanged in the `ack` or `error` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ack {
    /// A string token.
    Text(String),
    /// A number token (kept exactly as sent: 7, -1, 2.5).
    Number(Number),
}

/// What a client asks the server to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// `{"type":"message","text":"hi","room":"lobby"}`: to every member of
    /// the room, the sender included (`room` defaults to the lobby).
    Message {
        /// What to say.
        text: String,
        /// A room the sender is in.
        room: String,
    },
    /// `{"type":"direct","to":42,"text":"hi"}`: to one client only.
    Direct {
        /// The recipient's id.
        to: ClientId,
        /// What to say.
        text: String,
    },
    /// `{"type":"join","room":"ops"}`
    Join {
        /// The room to join (created if nobody is in it).
        room: String,
    },
    /// `{"type":"leave","room":"ops"}`
    Leave {
        /// The room to leave (gone once nobody is in it).
        room: String,
    },
    /// `{"type":"name","name":"alice"}`: set the display name.
    Name {
        /// 1–32 printable characters, unique among connected clients
        /// (compared without regard to case).
        name: String,
    },
}

/// One message from a client: a command, and the ack token if it wants an
/// answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// What to do.
    #[serde(flatten)]
    pub command: Command,
    /// If present, the server answers with an `ack` (or an `error`)
    /// carrying this token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<Ack>,
}

/// What happened to a member of a room, in a `presence` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceEvent {
    /// The client entered the room (on connect, for the lobby).
    Joined,
    /// The client left the room, or disconnected.
    Left,
    /// The client took a new name.
    Renamed,
}

/// Everything the server sends in chat mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The first message on every connection.
    Welcome {
        /// The client's own id: what others use in `direct`.
        id: ClientId,
        /// Its name (`null` until it sets one).
        name: Option<String>,
        /// The rooms it is in: the lobby.
        rooms: Vec<String>,
        /// How many clients are connected, this one included.
        clients: usize,
    },
    /// A message to a room, or from the server itself.
    Message {
        /// The sender's id; `null` when the server sent it (the HTTP API).
        from: Option<ClientId>,
        /// The sender's name, if it has one.
        name: Option<String>,
        /// The room it was sent to; `null` when the server sent it.
        room: Option<String>,
        /// What was said.
        text: String,
        /// Server time when it was sent, in ms since the Unix epoch.
        ts: u64,
    },
    /// A direct message to this client alone.
    Direct {
        /// The sender's id.
        from: ClientId,
        /// The sender's name, if it has one.
        name: Option<String>,
        /// What was said.
        text: String,
        /// Server time when it was sent, in ms since the Unix epoch.
        ts: u64,
    },
    /// A member of one of this client's rooms joined, left or was renamed.
    Presence {
        /// What happened.
        event: PresenceEvent,
        /// Who it happened to.
        id: ClientId,
        /// Their name (the new one, for `renamed`).
        name: Option<String>,
        /// The room.
        room: String,
    },
    /// A request carrying `ack` was carried out.
    Ack {
        /// The request's token.
        ack: Ack,
        /// How many clients the message went to (the sender included for
        /// room messages; 0 for join, leave and name).
        recipients: usize,
    },
    /// A request was refused; the connection stays open.
    Error(ChatError),
}

impl ServerMessage {
    /// The message as JSON text, `type` first.
    pub fn to_json(&self) -> String {
        // Cannot fail: every field is a string, number, list or null.
        serde_json::to_string(self).expect("server messages always serialize")
    }
}

/// Why a request was refused: the `code`, a human-readable `message`, and
/// the `field` at fault, if one is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatError {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request's ack token, when it had a readable one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<Ack>,
}

impl ChatError {
    /// An error with no field and no ack.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ChatError {
            code,
            message: message.into(),
            field: None,
            ack: None,
        }
    }

    /// An error about one request field.
    pub(crate) fn about(code: ErrorCode, field: &str, message: impl Into<String>) -> Self {
        ChatError {
            field: Some(field.into()),
            ..ChatError::new(code, message)
        }
    }

    /// The same error, answering the request that carried `ack`.
    pub fn with_ack(self, ack: Option<Ack>) -> Self {
        ChatError { ack, ..self }
    }
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ChatError {}

/// The `code` of an `error` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text frame is not JSON, or not a JSON object.
    InvalidJson,
    /// `type` names no request.
    UnknownType,
    /// A required field is absent (`field` names it).
    MissingField,
    /// A field has the wrong type or an unacceptable value (`field` names it).
    InvalidField,
    /// `direct` to an id that is not connected.
    NoSuchClient,
    /// `message` to, or `leave` of, a room the client is not in.
    NotInRoom,
    /// Another connected client has that name.
    NameTaken,
    /// `text` is longer than the server's chat text limit (`--max-text`).
    TooLong,
    /// A binary frame: chat mode speaks JSON in text frames only.
    BinaryNotSupported,
    /// `join` beyond [`MAX_ROOMS_PER_CLIENT`] rooms.
    TooManyRooms,
}

impl Request {
    /// Decodes one text frame. `max_text` bounds the `text` of `message`
    /// and `direct`, in bytes.
    ///
    /// # Errors
    ///
    /// A [`ChatError`] saying what is wrong and with which field, carrying
    /// the request's `ack` whenever that could be read.
    pub fn decode(json: &str, max_text: usize) -> Result<Request, ChatError> {
        let map = if is_plain_text(json) {
            // wscat and a browser console send plain text first: take it
            // as what they mean, a message to the lobby, checked like one.
            let mut map = Map::new();
            map.insert("type".into(), "message".into());
            map.insert("text".into(), json.into());
            map
        } else {
            match serde_json::from_str(json) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    return Err(ChatError::new(
                        ErrorCode::InvalidJson,
                        format!("expected a JSON object, {EXPECTED_SHAPE}"),
                    ))
                }
                Err(err) => {
                    return Err(ChatError::new(
                        ErrorCode::InvalidJson,
                        format!("not valid JSON ({err}): send an object, {EXPECTED_SHAPE}"),
                    ))
                }
            }
        };
        let fields = Fields {
            map: &map,
            max_text,
        };
        let ack = fields.ack()?;
        match fields.command() {
            Ok(command) => Ok(Request { command, ack }),
            Err(err) => Err(err.with_ack(ack)),
        }
    }
}

/// What an `invalid_json` error tells the client to send instead.
const EXPECTED_SHAPE: &str =
    r#"such as {"type":"message","text":"hi"}, or plain text for a message to the lobby"#;

/// A frame that does not even try to be JSON: it does not start (after
/// white space) with `{` or `[`. Chat mode takes it as a lobby message.
fn is_plain_text(frame: &str) -> bool {
    !frame.trim_start().starts_with(['{', '['])
}

/// The fields of one request, read with errors that name them.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    max_text: usize,
}

impl Fields<'_> {
    /// `ack`: absent or null for none, else a string or a number.
    fn ack(&self) -> Result<Option<Ack>, ChatError> {
        match self.map.get("ack") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(Ack::Text(s.clone()))),
            Some(Value::Number(n)) => Ok(Some(Ack::Number(n.clone()))),
            Some(_) => Err(invalid("ack", "must be a string or a number")),
        }
    }

    fn command(&self) -> Result<Command, ChatError> {
        Ok(match self.string("type")? {
            "message" => Command::Message {
                text: self.text()?,
                room: match self.map.get("room") {
                    None | Some(Value::Null) => LOBBY.into(),
                    Some(_) => self.label("room")?,
                },
            },
            "direct" => Command::Direct {
                to: self.id("to")?,
                text: self.text()?,
            },
            "join" => Command::Join {
                room: self.label("room")?,
            },
            "leave" => Command::Leave {
                room: self.label("room")?,
            },
            "name" => Command::Name {
                name: self.label("name")?,
            },
            other => {
                return Err(ChatError::about(
                    ErrorCode::UnknownType,
                    "type",
                    format!(
                        "unknown type {other:?}: expected message, direct, join, leave or name"
                    ),
                ))
            }
        })
    }

    fn get(&self, field: &str) -> Result<&Value, ChatError> {
        self.map.get(field).ok_or_else(|| {
            ChatError::about(
                ErrorCode::MissingField,
                field,
                format!("missing field {field:?}"),
            )
        })
    }

    fn string(&self, field: &str) -> Result<&str, ChatError> {
        self.get(field)?
            .as_str()
            .ok_or_else(|| invalid(field, "must be a string"))
    }

    /// `text`: a non-empty string of at most `max_text` bytes.
    fn text(&self) -> Result<String, ChatError> {
        let text = self.string("text")?;
        if text.is_empty() {
            return Err(invalid("text", "must not be empty"));
        }
        if text.len() > self.max_text {
            return Err(ChatError::about(
                ErrorCode::TooLong,
                "text",
                format!(
                    "text is {} bytes; the limit is {} bytes",
                    text.len(),
                    self.max_text
                ),
            ));
        }
        Ok(text.into())
    }

    /// A client id: a non-negative integer.
    fn id(&self, field: &str) -> Result<ClientId, ChatError> {
        self.get(field)?
            .as_u64()
            .map(ClientId)
            .ok_or_else(|| invalid(field, "must be a client id (a non-negative integer)"))
    }

    /// A name or a room name, checked by [`check_label`].
    fn label(&self, field: &str) -> Result<String, ChatError> {
        let value = self.string(field)?;
        check_label(value).map_err(|why| invalid(field, why))?;
        Ok(value.into())
    }
}

fn invalid(field: &str, why: &str) -> ChatError {
    ChatError::about(ErrorCode::InvalidField, field, format!("{field} {why}"))
}

/// Server time for `ts`: milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The rule for names and room names: 1–32 characters, no control
/// characters, no leading or trailing whitespace (so that "alice " cannot
/// pass for "alice").
///
/// # Errors
///
/// Which part of the rule `label` breaks.
pub fn check_label(label: &str) -> Result<(), &'static str> {
    let chars = label.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS {
        Err("must be 1 to 32 characters")
    } else if label.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else if label.trim() != label {
        Err("must not start or end with whitespace")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 100;

    fn decode(json: &str) -> Result<Request, ChatError> {
        Request::decode(json, MAX)
    }

    #[test]
    fn every_request_round_trips_through_the_decoder() {
        let commands = [
            Command::Message {
                text: "hi".into(),
                room: "ops".into(),
            },
            Command::Direct {
                to: ClientId(42),
                text: "psst".into(),
            },
            Command::Join { room: "ops".into() },
            Command::Leave { room: "ops".into() },
            Command::Name {
                name: "Zoë".into()
            },
        ];
        let acks = [
            None,
            Some(Ack::Text("a-1".into())),
            Some(Ack::Number(7.into())),
            Some(Ack::Number(Number::from_f64(2.5).unwrap())),
        ];
        for command in commands {
            for ack in acks.clone() {
                let request = Request {
                    command: command.clone(),
                    ack,
                };
                let json = serde_json::to_string(&request).unwrap();
                assert!(json.starts_with("{\"type\":"), "{json}");
                assert_eq!(decode(&json), Ok(request), "{json}");
            }
        }
    }

    #[test]
    fn every_server_message_round_trips_with_type_first() {
        let messages = [
            ServerMessage::Welcome {
                id: ClientId(7),
                name: None,
                rooms: vec![LOBBY.into()],
                clients: 3,
            },
            ServerMessage::Message {
                from: Some(ClientId(7)),
                name: Some("alice".into()),
                room: Some(LOBBY.into()),
                text: "hi".into(),
                ts: 1_700_000_000_123,
            },
            ServerMessage::Message {
                from: None,
                name: None,
                room: None,
                text: "from the server".into(),
                ts: 1,
            },
            ServerMessage::Direct {
                from: ClientId(7),
                name: None,
                text: "psst".into(),
                ts: 2,
            },
            ServerMessage::Presence {
                event: PresenceEvent::Renamed,
                id: ClientId(7),
                name: Some("alice".into()),
                room: "ops".into(),
            },
            ServerMessage::Ack {
                ack: Ack::Text("x".into()),
                recipients: 3,
            },
            ServerMessage::Error(ChatError::about(ErrorCode::InvalidField, "to", "bad")),
            ServerMessage::Error(
                ChatError::new(ErrorCode::NotInRoom, "no").with_ack(Some(Ack::Number(1.into()))),
            ),
        ];
        for message in messages {
            let json = message.to_json();
            assert!(json.starts_with("{\"type\":"), "{json}");
            let back: ServerMessage = serde_json::from_str(&json).unwrap();
            assert_eq!(back, message, "{json}");
        }
    }

    #[test]
    fn the_wire_format_is_the_documented_one() {
        let welcome = ServerMessage::Welcome {
            id: ClientId(7),
            name: None,
            rooms: vec![LOBBY.into()],
            clients: 3,
        };
        assert_eq!(
            welcome.to_json(),
            r#"{"type":"welcome","id":7,"name":null,"rooms":["lobby"],"clients":3}"#
        );
        let error = ServerMessage::Error(
            ChatError::about(ErrorCode::MissingField, "to", "missing field \"to\"")
                .with_ack(Some(Ack::Text("a".into()))),
        );
        assert_eq!(
            error.to_json(),
            r#"{"type":"error","code":"missing_field","message":"missing field \"to\"","field":"to","ack":"a"}"#
        );
    }

    #[test]
    fn plain_text_is_a_message_to_the_lobby() {
        for text in ["hello", "hi {there}", "null", "42"] {
            let request = decode(text).unwrap();
            assert_eq!(
                request.command,
                Command::Message {
                    text: text.into(),
                    room: LOBBY.into()
                }
            );
            assert_eq!(request.ack, None);
        }
        // Checked like any message: the empty text is refused.
        assert_eq!(decode("").unwrap_err().field.as_deref(), Some("text"));
    }

    #[test]
    fn invalid_json_names_the_expected_shape() {
        for frame in ["{", "[1,2]", "{\"type\":\"message\",}"] {
            let err = decode(frame).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidJson);
            assert!(
                err.message.contains(r#"{"type":"message","text":"hi"}"#),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn room_defaults_to_the_lobby_and_unknown_fields_are_ignored() {
        let request = decode(r#"{"text":"hi","extra":[1,2],"type":"message"}"#).unwrap();
        assert_eq!(
            request.command,
            Command::Message {
                text: "hi".into(),
                room: LOBBY.into()
            }
        );
        let request = decode(r#"{"type":"message","text":"hi","room":null}"#).unwrap();
        assert!(matches!(request.command, Command::Message { room, .. } if room == LOBBY));
    }

    /// Each malformed request, the code and field it must be refused with.
    #[test]
    fn malformed_requests_name_their_code_and_field() {
        use ErrorCode::*;
        let cases: &[(&str, ErrorCode, Option<&str>)] = &[
            ("{", InvalidJson, None),
            ("[1,2]", InvalidJson, None),
            ("[", InvalidJson, None),
            (" {\"type\"", InvalidJson, None),
            (r#"{"to":1e400}"#, InvalidJson, None),
            (r#"{}"#, MissingField, Some("type")),
            (r#"{"type":5}"#, InvalidField, Some("type")),
            (r#"{"type":"shout"}"#, UnknownType, Some("type")),
            (r#"{"type":"message"}"#, MissingField, Some("text")),
            (r#"{"type":"message","text":5}"#, InvalidField, Some("text")),
            (
                r#"{"type":"message","text":""}"#,
                InvalidField,
                Some("text"),
            ),
            (
                r#"{"type":"message","text":"hi","room":7}"#,
                InvalidField,
                Some("room"),
            ),
            (r#"{"type":"direct","text":"hi"}"#, MissingField, Some("to")),
            (
                r#"{"type":"direct","to":"7","text":"hi"}"#,
                InvalidField,
                Some("to"),
            ),
            (
                r#"{"type":"direct","to":-1,"text":"hi"}"#,
                InvalidField,
                Some("to"),
            ),
            (
                r#"{"type":"direct","to":1.5,"text":"hi"}"#,
                InvalidField,
                Some("to"),
            ),
            (r#"{"type":"direct","to":1}"#, MissingField, Some("text")),
            (r#"{"type":"join"}"#, MissingField, Some("room")),
            (r#"{"type":"join","room":""}"#, InvalidField, Some("room")),
            (
                r#"{"type":"leave","room":["ops"]}"#,
                InvalidField,
                Some("room"),
            ),
            (r#"{"type":"name"}"#, MissingField, Some("name")),
            (
                r#"{"type":"name","name":" alice"}"#,
                InvalidField,
                Some("name"),
            ),
            (
                r#"{"type":"name","name":"a\u0007b"}"#,
                InvalidField,
                Some("name"),
            ),
            (
                r#"{"type":"message","text":"hi","ack":true}"#,
                InvalidField,
                Some("ack"),
            ),
            (
                r#"{"type":"message","text":"hi","ack":{}}"#,
                InvalidField,
                Some("ack"),
            ),
        ];
        for &(json, code, field) in cases {
            let err = decode(json).expect_err(json);
            assert_eq!(
                (err.code, err.field.as_deref()),
                (code, field),
                "{json}: {err}"
            );
        }
    }

    #[test]
    fn refusals_keep_the_ack_once_it_was_read() {
        let err = decode(r#"{"type":"shout","ack":"a-9"}"#).unwrap_err();
        assert_eq!(err.ack, Some(Ack::Text("a-9".into())));
        let err = decode(r#"{"type":"direct","to":"x","ack":3}"#).unwrap_err();
        assert_eq!(err.ack, Some(Ack::Number(3.into())));
        // An unreadable ack cannot be echoed.
        let err = decode(r#"{"type":"join","room":"x","ack":[1]}"#).unwrap_err();
        assert_eq!(err.ack, None);
    }

    #[test]
    fn text_may_reach_the_limit_but_not_pass_it() {
        let at = format!(r#"{{"type":"message","text":"{}"}}"#, "é".repeat(MAX / 2));
        assert!(decode(&at).is_ok());
        let over = format!(r#"{{"type":"message","text":"{}x"}}"#, "é".repeat(MAX / 2));
        let err = decode(&over).unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::TooLong, Some("text"))
        );
    }

    #[test]
    fn labels_are_one_to_thirty_two_printable_characters() {
        assert!(check_label("a").is_ok());
        assert!(check_label(&"ü".repeat(32)).is_ok());
        assert!(check_label("two words").is_ok());
        assert!(check_label("").is_err());
        assert!(check_label(&"x".repeat(33)).is_err());
        assert!(check_label("tab\there").is_err());
        assert!(check_label("alice ").is_err());
        assert!(check_label("   ").is_err());
    }
}
