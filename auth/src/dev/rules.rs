//! What an account's fields must be: the rules registration and
//! [`DevIssuer::add_user`](crate::DevIssuer::add_user) share, each broken rule with its field.

use std::fmt;

/// Display names are at most this many characters.
pub(crate) const NAME_MAX_CHARS: usize = 100;
/// Passwords are at least this many characters.
pub(crate) const PASSWORD_MIN_CHARS: usize = 8;
/// Passwords are at most this many characters (hashing a megabyte per attempt would be a cheap
/// way to load the issuer).
pub(crate) const PASSWORD_MAX_CHARS: usize = 1024;
/// Email addresses are at most this many characters (RFC 5321's path limit).
pub(crate) const EMAIL_MAX_CHARS: usize = 254;

/// A password: never shown by `Debug`, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Password {
        Password::new(text)
    }
}

/// The field a broken rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Email,
    Name,
    Password,
    PasswordConfirmation,
}

impl Field {
    /// The form field's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Name => "name",
            Field::Password => "password",
            Field::PasswordConfirmation => "password_confirmation",
        }
    }
}

/// A rule an account's field breaks, said so that the person typing it can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("enter an email address such as name@example.com")]
    EmailShape,
    #[error("the email address is {len} characters, at most {EMAIL_MAX_CHARS} allowed")]
    EmailTooLong { len: usize },
    #[error("enter the name to show, at most {NAME_MAX_CHARS} characters")]
    NameEmpty,
    #[error("the name is {len} characters, at most {NAME_MAX_CHARS} allowed")]
    NameTooLong { len: usize },
    #[error("the name may not contain control characters")]
    NameControl,
    #[error("the password is {len} characters, at least {PASSWORD_MIN_CHARS} needed")]
    PasswordTooShort { len: usize },
    #[error("the password is {len} characters, at most {PASSWORD_MAX_CHARS} allowed")]
    PasswordTooLong { len: usize },
    #[error("the password may not be the email address")]
    PasswordIsEmail,
    #[error("the two passwords differ")]
    ConfirmationDiffers,
    #[error("an account with this email address exists already: sign in instead")]
    EmailTaken,
}

/// The rules broken, each with its field, in the form's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Broken(pub Vec<(Field, Rule)>);

impl Broken {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first rule broken on `field`.
    pub fn on(&self, field: Field) -> Option<&Rule> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, r)| r)
    }

    fn push(&mut self, field: Field, rule: Option<Rule>) {
        if let Some(rule) = rule {
            self.0.push((field, rule));
        }
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, rule)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {rule}", field.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for Broken {}

/// An account's fields as typed, surrounding whitespace of the email and name trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountFields {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) password: Password,
}

/// Checks every rule, collecting all that are broken.
pub(crate) fn check(email: &str, name: &str, password: &Password) -> Result<AccountFields, Broken> {
    let email = email.trim();
    let name = name.trim();
    let mut broken = Broken::default();
    broken.push(Field::Email, email_rule(email));
    broken.push(Field::Name, name_rule(name));
    broken.push(Field::Password, password_rule(password.expose(), email));
    if broken.is_empty() {
        Ok(AccountFields {
            email: email.to_owned(),
            name: name.to_owned(),
            password: password.clone(),
        })
    } else {
        Err(broken)
    }
}

/// The key an email address is unique by: emails are compared case-insensitively.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn email_rule(email: &str) -> Option<Rule> {
    let len = email.chars().count();
    if len > EMAIL_MAX_CHARS {
        return Some(Rule::EmailTooLong { len });
    }
    let shaped = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
    }) && !email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','));
    (!shaped).then_some(Rule::EmailShape)
}

fn name_rule(name: &str) -> Option<Rule> {
    let len = name.chars().count();
    if len == 0 {
        Some(Rule::NameEmpty)
    } else if len > NAME_MAX_CHARS {
        Some(Rule::NameTooLong { len })
    } else if name.chars().any(char::is_control) {
        Some(Rule::NameControl)
    } else {
        None
    }
}

fn password_rule(password: &str, email: &str) -> Option<Rule> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_CHARS {
        Some(Rule::PasswordTooShort { len })
    } else if len > PASSWORD_MAX_CHARS {
        Some(Rule::PasswordTooLong { len })
    } else if !email.is_empty() && password.trim().to_lowercase() == email_key(email) {
        Some(Rule::PasswordIsEmail)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_account_passes_trimmed() {
        let fields = check(" Ana@Example.com ", " Ana ", &"correct horse".into()).unwrap();
        assert_eq!(fields.email, "Ana@Example.com");
        assert_eq!(fields.name, "Ana");
        assert_eq!(email_key(&fields.email), "ana@example.com");
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_field() {
        let broken = check("not-an-email", "", &"short".into()).unwrap_err();
        assert_eq!(broken.on(Field::Email), Some(&Rule::EmailShape));
        assert_eq!(broken.on(Field::Name), Some(&Rule::NameEmpty));
        assert_eq!(
            broken.on(Field::Password),
            Some(&Rule::PasswordTooShort { len: 5 })
        );
        let long_name = "n".repeat(101);
        let long_password = "p".repeat(1025);
        let broken = check("a@b.c", &long_name, &long_password.as_str().into()).unwrap_err();
        assert_eq!(
            broken.on(Field::Name),
            Some(&Rule::NameTooLong { len: 101 })
        );
        assert_eq!(
            broken.on(Field::Password),
            Some(&Rule::PasswordTooLong { len: 1025 })
        );
        let broken = check("ana@example.com", "Ana", &"ANA@example.com".into()).unwrap_err();
        assert_eq!(broken.on(Field::Password), Some(&Rule::PasswordIsEmail));
        assert!(check("a@b.c", &"n".repeat(100), &"p".repeat(1024).as_str().into()).is_ok());
        for bad in ["@b.c", "a@", "a@b", "a@b..c", "a b@c.d", "a@b@c.d"] {
            assert_eq!(
                check(bad, "A", &"long enough".into())
                    .unwrap_err()
                    .on(Field::Email),
                Some(&Rule::EmailShape),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_password_never_shows_in_debug() {
        let fields = check("a@b.c", "A", &"hunter2hunter2".into()).unwrap();
        assert!(!format!("{fields:?}").contains("hunter2"));
    }
}
