use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::TextError;
use crate::accounts::Email;

/// How a notification travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "EMAIL",
            Channel::Sms => "SMS",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(TextError::Format {
                field: "channel",
                rule: "must be EMAIL or SMS",
            })
    }
}

/// A phone number in E.164 form: `+`, then 7 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let digits = input.trim().strip_prefix('+').unwrap_or_default();
        let valid = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(PhoneNumber(format!("+{digits}")))
        } else {
            Err(TextError::Format {
                field: "recipient",
                rule: "must be an E.164 phone number such as +5511912345678",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who receives a notification; the channel follows from the kind of address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Email(Email),
    Phone(PhoneNumber),
}

impl Recipient {
    /// Parses `address` as the kind of recipient `channel` needs.
    pub fn parse(channel: Channel, address: &str) -> Result<Self, TextError> {
        match channel {
            Channel::Email => {
                Email::parse(address)
                    .map(Recipient::Email)
                    .map_err(|_| TextError::Format {
                        field: "recipient",
                        rule: "must be an email address for the EMAIL channel",
                    })
            }
            Channel::Sms => PhoneNumber::parse(address).map(Recipient::Phone),
        }
    }

    pub fn channel(&self) -> Channel {
        match self {
            Recipient::Email(_) => Channel::Email,
            Recipient::Phone(_) => Channel::Sms,
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Email(email) => f.write_str(email.as_str()),
            Recipient::Phone(phone) => f.write_str(phone.as_str()),
        }
    }
}

/// A template's name, e.g. `subscription.started`: 1 to 64 of `a-z 0-9 _ . -`, starting with a
/// letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TemplateName(String);

impl TemplateName {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let name = crate::text::bounded(input, "template", 64, false)?;
        let valid = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
            && name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if valid {
            Ok(TemplateName(name))
        } else {
            Err(TextError::Format {
                field: "template",
                rule: "may hold only a-z, 0-9 and _ . - and starts with a letter or digit",
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

/// The values a template is rendered with: at most 50 entries, keys 1 to 64 characters, values
/// at most 4000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplateData(BTreeMap<String, String>);

impl TemplateData {
    pub const MAX_ENTRIES: usize = 50;

    pub fn parse(data: BTreeMap<String, String>) -> Result<Self, TextError> {
        if data.len() > Self::MAX_ENTRIES {
            return Err(TextError::TooLong {
                field: "data",
                len: data.len(),
                max: Self::MAX_ENTRIES,
            });
        }
        for (key, value) in &data {
            crate::text::bounded(key, "data key", 64, false)?;
            if value.chars().count() > 4000 {
                return Err(TextError::TooLong {
                    field: "data value",
                    len: value.chars().count(),
                    max: 4000,
                });
            }
        }
        Ok(TemplateData(data))
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}
