use std::collections::BTreeSet;

use super::{DisplayName, Email, Role};
use crate::macros::command_enum;

/// Registers the account of a subject seen for the first time.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterAccount {
    pub email: Email,
    pub display_name: DisplayName,
    pub roles: BTreeSet<Role>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateProfile {
    pub email: Email,
    pub display_name: DisplayName,
}

/// Replaces the roles, as the identity provider reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRoles {
    pub roles: BTreeSet<Role>,
}

command_enum! {
    /// Everything that can be asked of an account.
    pub enum AccountCommand {
        RegisterAccount,
        UpdateProfile,
        ChangeRoles,
    }
}
