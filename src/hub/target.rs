//! Who a message goes to: client ids, room names, and [`Target`].

use std::fmt;
use std::sync::Arc;

/// A connection's id: unique for the life of the server, never reused.
/// In JSON it is a plain number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ClientId(pub u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A room's name. Rooms are created by the first join and disappear with
/// their last member; a name is any string the handler chooses. Cheap to
/// clone (a shared string), since every message to a room carries it.
///
/// ```
/// use wshub::Room;
///
/// let kitchen = Room::from("kitchen");
/// assert_eq!(kitchen.as_str(), "kitchen");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Room(Arc<str>);

impl Room {
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Room {
    fn from(name: &str) -> Self {
        Room(name.into())
    }
}

impl From<String> for Room {
    fn from(name: String) -> Self {
        Room(name.into())
    }
}

impl fmt::Display for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a message goes to.
///
/// `All` and `AllExcept` reach clients whose [`crate::Handler::on_connect`]
/// has returned, so a client's welcome always comes first. `One` and the
/// room targets reach a client as soon as it is in the hub or the room: a
/// handler that puts a client in a room in `on_connect` decides itself what
/// the client is sent first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Every open client.
    All,
    /// Every open client but one (usually the sender).
    AllExcept(ClientId),
    /// One client.
    One(ClientId),
    /// Every member of a room.
    Room(Room),
    /// Every member of a room but one (usually the sender).
    RoomExcept(Room, ClientId),
}
