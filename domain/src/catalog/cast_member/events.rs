use super::CastMemberType;
use crate::macros::event_enum;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastMemberCreated {
    pub name: String,
    pub kind: CastMemberType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastMemberUpdated {
    pub name: String,
    pub kind: CastMemberType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CastMemberDeleted;

event_enum! {
    /// Everything that can happen to a cast member.
    pub enum CastMemberEvent {
        CastMemberCreated,
        CastMemberUpdated,
        CastMemberDeleted,
    }
}
