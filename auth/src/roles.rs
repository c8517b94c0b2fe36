//! The roles Codeflix's admins hold, and the caller a verified token describes.

use std::collections::BTreeSet;
use std::fmt;

/// A role an admin can hold. [`Role::CatalogAdmin`] grants every catalog resource; the others
/// grant one resource each, as Codeflix's admin console split them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    CatalogAdmin,
    Categories,
    Genres,
    CastMembers,
    Videos,
    /// Billing: plans.
    Plans,
    /// Billing: customers' subscriptions (acting for a customer).
    Subscriptions,
    /// Accounts: which roles each holds.
    Accounts,
    /// Operations: the consumers' dead letters, and sending them back (a failed encoding
    /// among them).
    Operations,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::CatalogAdmin,
        Role::Categories,
        Role::Genres,
        Role::CastMembers,
        Role::Videos,
        Role::Plans,
        Role::Subscriptions,
        Role::Accounts,
        Role::Operations,
    ];

    /// The role's name in the identity provider.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::CatalogAdmin => "catalog-admin",
            Role::Categories => "catalog-categories",
            Role::Genres => "catalog-genres",
            Role::CastMembers => "catalog-cast-members",
            Role::Videos => "catalog-videos",
            Role::Plans => "billing-plans",
            Role::Subscriptions => "billing-subscriptions",
            Role::Accounts => "accounts-admin",
            Role::Operations => "operations",
        }
    }
}

/// The realm role of customers: every account made by registration holds it, and nothing else.
/// Whether a customer has paid is the subscriptions context's fact, not a role in their token
/// (ADR 0021). Admins' roles ([`Role`]) are never self-granted.
pub const VIEWER_ROLE: &str = "viewer";

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The caller, as a verified token describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: stable per user at the identity provider.
    pub subject: String,
    /// `preferred_username`, when the token has one.
    pub username: Option<String>,
    /// `email`, when the token has one (OIDC's `email` scope; not necessarily verified).
    pub email: Option<String>,
    /// `name`, the display name, when the token has one (OIDC's `profile` scope).
    pub name: Option<String>,
    /// Every role name found in the token (realm and client roles).
    pub roles: BTreeSet<String>,
}

impl Principal {
    /// Whether the caller may act on a resource guarded by `role`: they hold it, or they are a
    /// catalog admin.
    pub fn may(&self, role: Role) -> bool {
        self.roles.contains(role.as_str()) || self.roles.contains(Role::CatalogAdmin.as_str())
    }
}
