//! A cast member: a person who acts in or directs videos.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use commands::*;
pub use error::CastMemberError;
pub use events::*;

use crate::macros::{bounded_text, uuid_id};
use crate::{Aggregate, AggregateType, InvariantViolation, ReferenceStatus, TextError};

uuid_id!(
    /// Identifies a cast member.
    CastMemberId
);

bounded_text!(
    /// A cast member's name: at most 255 characters.
    CastMemberName, field = "name", max = 255, multiline = false
);

/// What a cast member does in a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CastMemberType {
    Actor,
    Director,
}

impl CastMemberType {
    pub const ALL: [CastMemberType; 2] = [CastMemberType::Actor, CastMemberType::Director];

    /// The wire symbol: `ACTOR` or `DIRECTOR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CastMemberType::Actor => "ACTOR",
            CastMemberType::Director => "DIRECTOR",
        }
    }
}

impl fmt::Display for CastMemberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CastMemberType {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CastMemberType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(TextError::Format {
                field: "type",
                rule: "must be ACTOR or DIRECTOR",
            })
    }
}

/// The cast member aggregate; [`Default`] is one that does not exist yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CastMember {
    state: Option<CastMemberState>,
}

#[derive(Debug, Clone, PartialEq)]
struct CastMemberState {
    name: String,
    kind: CastMemberType,
    deleted: bool,
}

impl CastMember {
    pub fn exists(&self) -> bool {
        self.state.as_ref().is_some_and(|s| !s.deleted)
    }

    /// Cast members have no active flag: they are referable while they exist.
    pub fn reference_status(&self) -> ReferenceStatus {
        if self.exists() {
            ReferenceStatus::Active
        } else {
            ReferenceStatus::Missing
        }
    }
}

impl Aggregate for CastMember {
    const TYPE: AggregateType = AggregateType::CastMember;
    type Id = CastMemberId;
    type Command = CastMemberCommand;
    type Event = CastMemberEvent;
    type Error = CastMemberError;

    fn handle(&self, command: CastMemberCommand) -> Result<Vec<CastMemberEvent>, CastMemberError> {
        match (command, &self.state) {
            (CastMemberCommand::CreateCastMember(_), Some(_)) => {
                Err(CastMemberError::AlreadyExists)
            }
            (CastMemberCommand::CreateCastMember(c), None) => Ok(vec![
                CastMemberCreated {
                    name: c.name.into_string(),
                    kind: c.kind,
                }
                .into(),
            ]),
            (_, None) => Err(CastMemberError::NotFound),
            (CastMemberCommand::DeleteCastMember(_), Some(s)) if s.deleted => Ok(vec![]),
            (_, Some(s)) if s.deleted => Err(CastMemberError::Deleted),
            (CastMemberCommand::UpdateCastMember(u), Some(s)) => {
                let name = u.name.into_string();
                if name == s.name && u.kind == s.kind {
                    Ok(vec![])
                } else {
                    Ok(vec![CastMemberUpdated { name, kind: u.kind }.into()])
                }
            }
            (CastMemberCommand::DeleteCastMember(_), Some(_)) => Ok(vec![CastMemberDeleted.into()]),
        }
    }

    fn apply(&mut self, event: &CastMemberEvent) {
        match event {
            CastMemberEvent::CastMemberCreated(e) => {
                self.state = Some(CastMemberState {
                    name: e.name.clone(),
                    kind: e.kind,
                    deleted: false,
                });
            }
            CastMemberEvent::CastMemberUpdated(e) => {
                if let Some(s) = &mut self.state {
                    s.name.clone_from(&e.name);
                    s.kind = e.kind;
                }
            }
            CastMemberEvent::CastMemberDeleted(_) => {
                if let Some(s) = &mut self.state {
                    s.deleted = true;
                }
            }
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(CastMemberName::parse(&s.name).is_ok(), || {
            format!("name {:?} is not a valid cast member name", s.name)
        })
    }
}
