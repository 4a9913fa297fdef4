//! Room membership, kept by the hub thread next to the client list.
//!
//! Only the hub thread touches [`Rooms`], so joins, leaves and the messages
//! sent to a room happen in the one order in which the hub receives them: a
//! message sent after a join reaches the joiner, one sent after a leave
//! does not, with no lock shared with connection threads.

use std::collections::{BTreeSet, HashMap};

use super::info::RoomInfo;
use super::target::{ClientId, Room};

/// Who is in which room, both ways round.
#[derive(Debug, Default)]
pub(super) struct Rooms {
    /// Room → members, in id order. A room exists while it has members.
    members: HashMap<Room, BTreeSet<ClientId>>,
    /// Client → its rooms, in the order it joined them.
    joined: HashMap<ClientId, Vec<Room>>,
}

impl Rooms {
    /// Puts `id` in `room` (creating the room); false if it was in already.
    pub(super) fn join(&mut self, id: ClientId, room: Room) -> bool {
        if !self.members.entry(room.clone()).or_default().insert(id) {
            return false;
        }
        self.joined.entry(id).or_default().push(room);
        true
    }

    /// Takes `id` out of `room`; an empty room disappears. False if it was
    /// not in it.
    pub(super) fn leave(&mut self, id: ClientId, room: &Room) -> bool {
        let Some(members) = self.members.get_mut(room) else {
            return false;
        };
        if !members.remove(&id) {
            return false;
        }
        if members.is_empty() {
            self.members.remove(room);
        }
        if let Some(rooms) = self.joined.get_mut(&id) {
            rooms.retain(|r| r != room);
            if rooms.is_empty() {
                self.joined.remove(&id);
            }
        }
        true
    }

    /// Takes a departing client out of every room it is in.
    pub(super) fn remove_client(&mut self, id: ClientId) {
        for room in self.joined.remove(&id).unwrap_or_default() {
            if let Some(members) = self.members.get_mut(&room) {
                members.remove(&id);
                if members.is_empty() {
                    self.members.remove(&room);
                }
            }
        }
    }

    /// The members of `room`, in id order (none if it does not exist).
    pub(super) fn members(&self, room: &Room) -> impl Iterator<Item = ClientId> + '_ {
        self.members.get(room).into_iter().flatten().copied()
    }

    /// The rooms `id` is in, in the order it joined them.
    pub(super) fn rooms_of(&self, id: ClientId) -> &[Room] {
        self.joined.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Every room with its member count, in name order.
    pub(super) fn list(&self) -> Vec<RoomInfo> {
        let mut list: Vec<RoomInfo> = self
            .members
            .iter()
            .map(|(room, members)| RoomInfo {
                room: room.clone(),
                members: members.len(),
            })
            .collect();
        list.sort_by(|a, b| a.room.cmp(&b.room));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_lives_from_its_first_join_to_its_last_leave() {
        let (a, b, ops) = (ClientId(1), ClientId(2), Room::from("ops"));
        let mut rooms = Rooms::default();
        assert!(rooms.join(a, ops.clone()));
        assert!(!rooms.join(a, ops.clone()), "joining twice changes nothing");
        assert!(rooms.join(b, ops.clone()));
        assert_eq!(rooms.members(&ops).collect::<Vec<_>>(), [a, b]);
        assert!(rooms.leave(a, &ops));
        assert!(!rooms.leave(a, &ops));
        assert_eq!(rooms.list().len(), 1);
        assert!(rooms.leave(b, &ops));
        assert!(rooms.list().is_empty());
        assert!(rooms.members.is_empty() && rooms.joined.is_empty());
    }

    #[test]
    fn a_departing_client_leaves_every_room_and_empty_ones_disappear() {
        let (a, b) = (ClientId(1), ClientId(2));
        let mut rooms = Rooms::default();
        for room in ["lobby", "ops", "dev"] {
            rooms.join(a, room.into());
        }
        rooms.join(b, "lobby".into());
        assert_eq!(
            rooms.rooms_of(a),
            [Room::from("lobby"), "ops".into(), "dev".into()]
        );
        rooms.remove_client(a);
        assert!(rooms.rooms_of(a).is_empty());
        let list = rooms.list();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].room.as_str(), list[0].members), ("lobby", 1));
    }
}
