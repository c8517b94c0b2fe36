use crate::macros::event_enum;

/// An account was registered; `roles` is sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRegistered {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProfileUpdated {
    pub email: String,
    pub display_name: String,
}

/// The account's roles are now exactly `roles` (sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRolesChanged {
    pub roles: Vec<String>,
}

event_enum! {
    /// Everything that can happen to an account.
    pub enum AccountEvent {
        AccountRegistered,
        AccountProfileUpdated,
        AccountRolesChanged,
    }
}
