use super::{CastMemberName, CastMemberType};
use crate::macros::command_enum;

#[derive(Debug, Clone, PartialEq)]
pub struct CreateCastMember {
    pub name: CastMemberName,
    pub kind: CastMemberType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateCastMember {
    pub name: CastMemberName,
    pub kind: CastMemberType,
}

/// Deletes a cast member softly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteCastMember;

command_enum! {
    /// Everything an admin can ask of a cast member.
    pub enum CastMemberCommand {
        CreateCastMember,
        UpdateCastMember,
        DeleteCastMember,
    }
}
