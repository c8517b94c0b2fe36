use crate::macros::event_enum;

/// An account was registered; `roles` is sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRegistered {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    /// E.164, for SMS.
    pub phone: Option<String>,
    /// The language of messages (a BCP 47 tag); none: the default.
    pub locale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProfileUpdated {
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub locale: Option<String>,
}

/// The account now opts out of exactly `opted_out` (category names, sorted): messages of those
/// categories are not sent to it (critical ones are, whatever it chose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOptOutsChanged {
    pub opted_out: Vec<String>,
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
        AccountOptOutsChanged,
    }
}
