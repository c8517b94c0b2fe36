//! References from one aggregate to another, resolved by the edge before a command is decided.
//!
//! An aggregate only sees its own history, so a command that refers to another aggregate (a video
//! to its categories, a subscription to its plan) carries what the edge found about the referenced
//! aggregate when it built the command. The rule about what may be referenced stays here, in the
//! domain; how the edge finds the status is in docs/adr/0004-cross-aggregate-references.md.

/// What the edge found about a referenced aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceStatus {
    /// Exists, is not deleted, and is active (or has no notion of active).
    Active,
    /// Exists and is not deleted, but is deactivated.
    Inactive,
    /// Was never created, or was deleted.
    Missing,
}

/// A referenced aggregate's id with its status when the command was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reference<Id> {
    pub id: Id,
    pub status: ReferenceStatus,
}

impl<Id> Reference<Id> {
    pub fn active(id: Id) -> Self {
        Self {
            id,
            status: ReferenceStatus::Active,
        }
    }

    pub fn inactive(id: Id) -> Self {
        Self {
            id,
            status: ReferenceStatus::Inactive,
        }
    }

    pub fn missing(id: Id) -> Self {
        Self {
            id,
            status: ReferenceStatus::Missing,
        }
    }
}
