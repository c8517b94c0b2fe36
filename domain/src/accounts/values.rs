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

/// A phone number for SMS, in E.164 form: `+`, then 7 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        crate::notifications::PhoneNumber::parse(input)
            .map(|p| Phone(p.as_str().to_owned()))
            .map_err(|_| TextError::Format {
                field: "phone",
                rule: "must be an E.164 phone number such as +5511912345678",
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The language messages are written in: a BCP 47 tag such as `en` or `pt-BR` — a 2 or 3
/// letter language, then subtags of 2 to 8 letters or digits; at most 35 characters. Stored as
/// conventionally cased (`pt-BR`, `zh-Hant-TW`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locale(String);

impl Locale {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        const RULE: TextError = TextError::Format {
            field: "locale",
            rule: "must be a language tag such as en or pt-BR",
        };
        let tag = crate::text::bounded(input, "locale", 35, false)?.replace('_', "-");
        let mut parts = tag.split('-');
        let language = parts.next().unwrap_or_default();
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(RULE);
        }
        let mut canonical = language.to_ascii_lowercase();
        for part in parts {
            if !(2..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(RULE);
            }
            canonical.push('-');
            // Regions upper case, scripts title case, the rest lower case (RFC 5646 §2.1.1).
            if part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
                canonical.push_str(&part.to_ascii_uppercase());
            } else if part.len() == 4 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
                canonical.push_str(&part[..1].to_ascii_uppercase());
                canonical.push_str(&part[1..].to_ascii_lowercase());
            } else {
                canonical.push_str(&part.to_ascii_lowercase());
            }
        }
        Ok(Locale(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A kind of message a customer may opt out of. Critical messages (billing, security) are not
/// among them: they are sent whatever the customer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptOutCategory {
    /// About the recipient's own account or work (e.g. "your video is ready").
    Account,
    /// News and offers.
    Marketing,
}

impl OptOutCategory {
    pub const ALL: [OptOutCategory; 2] = [OptOutCategory::Account, OptOutCategory::Marketing];

    pub fn as_str(self) -> &'static str {
        match self {
            OptOutCategory::Account => "account",
            OptOutCategory::Marketing => "marketing",
        }
    }

    pub fn parse(input: &str) -> Result<Self, TextError> {
        OptOutCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == input)
            .ok_or(TextError::Format {
                field: "category",
                rule: "must be account or marketing",
            })
    }
}

impl fmt::Display for OptOutCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
