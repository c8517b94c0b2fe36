//! The accounts bounded context: one account per identity-provider subject.
//!
//! Accounts are keyed by the `sub` claim of the identity provider's tokens, so the same person is
//! the same account whichever service sees them first.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeSet;

pub use commands::*;
pub use error::AccountError;
pub use events::*;
pub use values::{AccountId, DisplayName, Email, Role};

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
}

impl Account {
    pub fn email(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.email.as_str())
    }

    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.state
            .iter()
            .flat_map(|s| s.roles.iter().map(String::as_str))
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
                }
                .into(),
            ]),
            (_, None) => Err(AccountError::NotFound),
            (AccountCommand::UpdateProfile(u), Some(s)) => {
                let email = u.email.into_string();
                let display_name = u.display_name.into_string();
                if email == s.email && display_name == s.display_name {
                    Ok(vec![])
                } else {
                    Ok(vec![
                        AccountProfileUpdated {
                            email,
                            display_name,
                        }
                        .into(),
                    ])
                }
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
                });
            }
            AccountEvent::AccountProfileUpdated(e) => {
                if let Some(s) = &mut self.state {
                    s.email.clone_from(&e.email);
                    s.display_name.clone_from(&e.display_name);
                }
            }
            AccountEvent::AccountRolesChanged(e) => {
                if let Some(s) = &mut self.state {
                    s.roles = e.roles.iter().cloned().collect();
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
        })
    }
}
