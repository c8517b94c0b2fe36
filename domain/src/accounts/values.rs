use std::fmt;
use std::str::FromStr;

use crate::TextError;
use crate::macros::bounded_text;

/// An account's id: the identity provider's subject (`sub` claim), at most 255 characters,
/// without whitespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    pub fn parse(subject: &str) -> Result<Self, TextError> {
        let subject = crate::text::bounded(subject, "subject", 255, false)?;
        if subject.chars().any(char::is_whitespace) {
            return Err(TextError::Format {
                field: "subject",
                rule: "must not contain whitespace",
            });
        }
        Ok(AccountId(subject))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AccountId {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountId::parse(s)
    }
}

impl crate::AggregateId for AccountId {}

/// An email address: one `@`, a local part, a domain with a dot, at most 254 characters, no
/// whitespace. Deliverability is the mail provider's business.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        const RULE: TextError = TextError::Format {
            field: "email",
            rule: "must be an address such as ana@example.com",
        };
        let email = crate::text::bounded(input, "email", 254, false)?;
        let (local, domain) = email.split_once('@').ok_or(RULE)?;
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(char::is_whitespace);
        if well_formed {
            Ok(Email(email))
        } else {
            Err(RULE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

bounded_text!(
    /// The name an account shows: at most 100 characters.
    DisplayName, field = "display_name", max = 100, multiline = false
);

/// A role granted by the identity provider, e.g. `catalog-admin`: 1 to 64 characters of letters,
/// digits and `_ . : -`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Role(String);

impl Role {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let role = crate::text::bounded(input, "role", 64, false)?;
        if role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
        {
            Ok(Role(role))
        } else {
            Err(TextError::Format {
                field: "role",
                rule: "may hold only letters, digits and _ . : -",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}
