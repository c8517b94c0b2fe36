//! The accounts bounded context: one account per identity-provider subject.
//!
//! Accounts are keyed by the `sub` claim of the identity provider's tokens, so the same person is
//! the same account whichever service sees them first.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;
mod unsubscribe;
mod values;

use std::collections::BTreeSet;

pub use commands::*;
pub use error::AccountError;
pub use events::*;
pub use unsubscribe::{BadToken, UnsubscribeKey};
pub use values::{AccountId, DisplayName, Email, Locale, OptOutCategory, Phone, Role};

use crate::{Aggregate, AggregateType, InvariantViolation};

/// The account aggregate; [`Default`] is an account not registered yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    state: Option<AccountState>,
}

#[derive(Debug, Clone, PartialEq)]
struct AccountState {
    email: String,
    display_name: String,
    roles: BTreeSet<String>,
    phone: Option<String>,
    locale: Option<String>,
    opted_out: BTreeSet<String>,
}

impl Account {
    pub fn email(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.email.as_str())
    }

    pub fn phone(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.phone.as_deref())
    }

    pub fn locale(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.locale.as_deref())
    }

    /// The categories of messages the account opted out of.
    pub fn opted_out(&self) -> impl Iterator<Item = &str> {
        self.state
            .iter()
            .flat_map(|s| s.opted_out.iter().map(String::as_str))
    }

    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.state
            .iter()
            .flat_map(|s| s.roles.iter().map(String::as_str))
    }
}

/// The event that makes `opted_out` the account's opt-outs; none when they are already.
fn opt_outs(s: &AccountState, opted_out: BTreeSet<String>) -> Vec<AccountEvent> {
    if opted_out == s.opted_out {
        vec![]
    } else {
        vec![
            AccountOptOutsChanged {
                opted_out: opted_out.into_iter().collect(),
            }
            .into(),
        ]
    }
}

fn role_names(roles: BTreeSet<Role>) -> Vec<String> {
    roles.into_iter().map(Role::into_string).collect()
}

impl Aggregate for Account {
    const TYPE: AggregateType = AggregateType::Account;
    type Id = AccountId;
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;

    fn handle(&self, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        match (command, &self.state) {
            (AccountCommand::RegisterAccount(_), Some(_)) => Err(AccountError::AlreadyRegistered),
            (AccountCommand::RegisterAccount(r), None) => Ok(vec![
                AccountRegistered {
                    email: r.email.into_string(),
                    display_name: r.display_name.into_string(),
                    roles: role_names(r.roles),
                    phone: r.phone.map(Phone::into_string),
                    locale: r.locale.map(Locale::into_string),
                }
                .into(),
            ]),
            (_, None) => Err(AccountError::NotFound),
            (AccountCommand::UpdateProfile(u), Some(s)) => {
                let email = u.email.into_string();
                let display_name = u.display_name.into_string();
                let phone = u.phone.map(Phone::into_string);
                let locale = u.locale.map(Locale::into_string);
                if email == s.email
                    && display_name == s.display_name
                    && phone == s.phone
                    && locale == s.locale
                {
                    Ok(vec![])
                } else {
                    Ok(vec![
                        AccountProfileUpdated {
                            email,
                            display_name,
                            phone,
                            locale,
                        }
                        .into(),
                    ])
                }
            }
            (AccountCommand::SetOptOuts(c), Some(s)) => Ok(opt_outs(
                s,
                c.opted_out.iter().map(|c| c.as_str().to_owned()).collect(),
            )),
            (AccountCommand::OptOut(c), Some(s)) => {
                let mut opted_out = s.opted_out.clone();
                opted_out.insert(c.category.as_str().to_owned());
                Ok(opt_outs(s, opted_out))
            }
            (AccountCommand::ChangeRoles(c), Some(s)) => {
                let roles = role_names(c.roles);
                if roles.iter().eq(s.roles.iter()) {
                    Ok(vec![])
                } else {
                    Ok(vec![AccountRolesChanged { roles }.into()])
                }
            }
        }
    }

    fn apply(&mut self, event: &AccountEvent) {
        match event {
            AccountEvent::AccountRegistered(e) => {
                self.state = Some(AccountState {
                    email: e.email.clone(),
                    display_name: e.display_name.clone(),
                    roles: e.roles.iter().cloned().collect(),
                    phone: e.phone.clone(),
                    locale: e.locale.clone(),
                    opted_out: BTreeSet::new(),
                });
            }
            AccountEvent::AccountProfileUpdated(e) => {
                if let Some(s) = &mut self.state {
                    s.email.clone_from(&e.email);
                    s.display_name.clone_from(&e.display_name);
                    s.phone.clone_from(&e.phone);
                    s.locale.clone_from(&e.locale);
                }
            }
            AccountEvent::AccountRolesChanged(e) => {
                if let Some(s) = &mut self.state {
                    s.roles = e.roles.iter().cloned().collect();
                }
            }
            AccountEvent::AccountOptOutsChanged(e) => {
                if let Some(s) = &mut self.state {
                    s.opted_out = e.opted_out.iter().cloned().collect();
                }
            }
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(Email::parse(&s.email).is_ok(), || {
            format!("email {:?} is invalid", s.email)
        })?;
        InvariantViolation::ensure(s.roles.iter().all(|r| Role::parse(r).is_ok()), || {
            format!("invalid role among {:?}", s.roles)
        })?;
        InvariantViolation::ensure(
            s.opted_out.iter().all(|c| OptOutCategory::parse(c).is_ok()),
            || format!("invalid category among {:?}", s.opted_out),
        )?;
        InvariantViolation::ensure(s.phone.iter().all(|p| Phone::parse(p).is_ok()), || {
            format!("phone {:?} is invalid", s.phone)
        })?;
        InvariantViolation::ensure(s.locale.iter().all(|l| Locale::parse(l).is_ok()), || {
            format!("locale {:?} is invalid", s.locale)
        })
    }
}
