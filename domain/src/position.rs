//! A place in the event log: the one type for where an event landed, how far a reader has read,
//! and the consistency token a write hands to its reader.

use std::fmt;
use std::str::FromStr;

/// A place in one partition of an event topic: the record at `offset`.
///
/// Two uses, one meaning. Where an event landed is the position of its record; the command API
/// returns it as the consistency token of the write (`topic:partition:offset`, the [`Display`]
/// form). How far a reader has read is the position of the next record it will read, as a Kafka
/// consumer group's committed offset is; so a reader at `p` has applied the event at `e` when
/// [`Position::covers`] says so (`p.offset > e.offset`).
///
/// [`Display`]: fmt::Display
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl Position {
    /// The pattern of the text form ([`FromStr`] accepts exactly it).
    pub const PATTERN: &'static str = "[A-Za-z0-9._-]+:[0-9]{1,9}:[0-9]{1,18}";

    pub fn new(topic: impl Into<String>, partition: i32, offset: i64) -> Position {
        Position {
            topic: topic.into(),
            partition,
            offset,
        }
    }

    /// Whether a reader that has read up to `self` (the next record it will read) has applied
    /// the record at `event`.
    pub fn covers(&self, event: &Position) -> bool {
        self.topic == event.topic && self.partition == event.partition && self.offset > event.offset
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.topic, self.partition, self.offset)
    }
}

/// Text that is not `topic:partition:offset`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a position: topic:partition:offset, the topic of letters, digits, '.', '_' or '-'"
)]
pub struct InvalidPosition(pub String);

fn digits(text: &str, max: usize) -> Option<&str> {
    (!text.is_empty() && text.len() <= max && text.bytes().all(|b| b.is_ascii_digit()))
        .then_some(text)
}

impl FromStr for Position {
    type Err = InvalidPosition;

    fn from_str(text: &str) -> Result<Position, InvalidPosition> {
        let parse = || {
            let mut parts = text.rsplitn(3, ':');
            let offset = digits(parts.next()?, 18)?.parse().ok()?;
            let partition = digits(parts.next()?, 9)?.parse().ok()?;
            let topic = parts.next().filter(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            })?;
            Some(Position::new(topic, partition, offset))
        };
        parse().ok_or_else(|| InvalidPosition(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_what_they_print() {
        let position = Position::new("codeflix.catalog.video.events", 2, 41);
        assert_eq!(position.to_string(), "codeflix.catalog.video.events:2:41");
        assert_eq!(position.to_string().parse::<Position>(), Ok(position));
        for bad in [
            "", "topic:1", ":1:2", "t:-1:2", "t:1:x", " t:1:2", "t/x:1:2", "t:1:2:",
        ] {
            assert!(bad.parse::<Position>().is_err(), "{bad:?}");
        }
        assert!("t:1234567890:2".parse::<Position>().is_err());
    }

    #[test]
    fn a_reader_covers_the_records_before_its_next_one() {
        let reader = Position::new("t", 1, 5);
        assert!(reader.covers(&Position::new("t", 1, 4)));
        assert!(!reader.covers(&Position::new("t", 1, 5)));
        assert!(!reader.covers(&Position::new("t", 0, 4)));
        assert!(!reader.covers(&Position::new("u", 1, 4)));
    }
}
