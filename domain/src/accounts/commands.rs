use std::collections::BTreeSet;

use super::{DisplayName, Email, Locale, OptOutCategory, Phone, Role};
use crate::macros::command_enum;

/// Registers the account of a subject seen for the first time.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterAccount {
    pub email: Email,
    pub display_name: DisplayName,
    pub roles: BTreeSet<Role>,
    pub phone: Option<Phone>,
    pub locale: Option<Locale>,
}

/// Replaces the profile: what is absent is cleared.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateProfile {
    pub email: Email,
    pub display_name: DisplayName,
    pub phone: Option<Phone>,
    pub locale: Option<Locale>,
}

/// The account opts out of exactly `opted_out` from now on (the customer's settings).
#[derive(Debug, Clone, PartialEq)]
pub struct SetOptOuts {
    pub opted_out: BTreeSet<OptOutCategory>,
}

/// The account opts out of `category` too (an unsubscribe link).
#[derive(Debug, Clone, PartialEq)]
pub struct OptOut {
    pub category: OptOutCategory,
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
        SetOptOuts,
        OptOut,
    }
}
