//! A plan customers subscribe to: name, price, billing period, trial length, active flag.

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

pub use commands::*;
pub use error::PlanError;
pub use events::*;

use super::{BillingPeriod, Currency, Money};
use crate::macros::{bounded_text, uuid_id};
use crate::range::in_range;
use crate::{Aggregate, AggregateType, InvariantViolation, RangeError, ReferenceStatus};

uuid_id!(
    /// Identifies a plan.
    PlanId
);

bounded_text!(
    /// A plan's name: at most 100 characters.
    PlanName, field = "name", max = 100, multiline = false
);

bounded_text!(
    /// A plan's description: at most 1000 characters.
    PlanDescription, field = "description", max = 1000, multiline = true
);

/// Days of free trial a new subscription gets: 0 to 90.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TrialDays(u16);

impl TrialDays {
    pub const MAX: i64 = 90;

    pub fn parse(days: i64) -> Result<Self, RangeError> {
        in_range("trial_days", days, 0, Self::MAX).map(|d| TrialDays(d as u16))
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

/// What a subscription started today on this plan would be charged: read by the edge and
/// carried into [`crate::subscriptions::subscription::StartSubscription`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanTerms {
    pub price: Money,
    pub billing_period: BillingPeriod,
    pub trial_days: TrialDays,
}

/// The plan aggregate; [`Default`] is a plan that does not exist yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    state: Option<PlanState>,
}

#[derive(Debug, Clone, PartialEq)]
struct PlanState {
    name: String,
    description: Option<String>,
    amount_minor: i64,
    currency: String,
    billing_period: BillingPeriod,
    trial_days: u16,
    active: bool,
}

impl Plan {
    pub fn reference_status(&self) -> ReferenceStatus {
        match &self.state {
            Some(s) if s.active => ReferenceStatus::Active,
            Some(_) => ReferenceStatus::Inactive,
            None => ReferenceStatus::Missing,
        }
    }

    /// The terms a subscription started now would get.
    pub fn terms(&self) -> Option<PlanTerms> {
        let s = self.state.as_ref()?;
        let currency = Currency::parse(&s.currency).ok()?;
        Some(PlanTerms {
            price: Money::new(s.amount_minor, currency).ok()?,
            billing_period: s.billing_period,
            trial_days: TrialDays(s.trial_days),
        })
    }
}

impl Aggregate for Plan {
    const TYPE: AggregateType = AggregateType::Plan;
    type Id = PlanId;
    type Command = PlanCommand;
    type Event = PlanEvent;
    type Error = PlanError;

    fn handle(&self, command: PlanCommand) -> Result<Vec<PlanEvent>, PlanError> {
        match (command, &self.state) {
            (PlanCommand::CreatePlan(_), Some(_)) => Err(PlanError::AlreadyExists),
            (PlanCommand::CreatePlan(c), None) => Ok(vec![
                PlanCreated {
                    name: c.name.into_string(),
                    description: c.description.map(PlanDescription::into_string),
                    amount_minor: c.terms.price.amount_minor(),
                    currency: c.terms.price.currency().to_string(),
                    billing_period: c.terms.billing_period,
                    trial_days: c.terms.trial_days.get(),
                    active: c.active,
                }
                .into(),
            ]),
            (_, None) => Err(PlanError::NotFound),
            (PlanCommand::UpdatePlan(u), Some(s)) => {
                if u.terms.billing_period != s.billing_period {
                    return Err(PlanError::BillingPeriodChange {
                        from: s.billing_period,
                        to: u.terms.billing_period,
                    });
                }
                let updated = PlanUpdated {
                    name: u.name.into_string(),
                    description: u.description.map(PlanDescription::into_string),
                    amount_minor: u.terms.price.amount_minor(),
                    currency: u.terms.price.currency().to_string(),
                    trial_days: u.terms.trial_days.get(),
                };
                let unchanged = updated.name == s.name
                    && updated.description == s.description
                    && updated.amount_minor == s.amount_minor
                    && updated.currency == s.currency
                    && updated.trial_days == s.trial_days;
                Ok(if unchanged {
                    vec![]
                } else {
                    vec![updated.into()]
                })
            }
            (PlanCommand::ActivatePlan(_), Some(s)) if s.active => Ok(vec![]),
            (PlanCommand::ActivatePlan(_), Some(_)) => Ok(vec![PlanActivated.into()]),
            (PlanCommand::DeactivatePlan(_), Some(s)) if !s.active => Ok(vec![]),
            (PlanCommand::DeactivatePlan(_), Some(_)) => Ok(vec![PlanDeactivated.into()]),
        }
    }

    fn apply(&mut self, event: &PlanEvent) {
        match event {
            PlanEvent::PlanCreated(e) => {
                self.state = Some(PlanState {
                    name: e.name.clone(),
                    description: e.description.clone(),
                    amount_minor: e.amount_minor,
                    currency: e.currency.clone(),
                    billing_period: e.billing_period,
                    trial_days: e.trial_days,
                    active: e.active,
                });
            }
            PlanEvent::PlanUpdated(e) => {
                if let Some(s) = &mut self.state {
                    s.name.clone_from(&e.name);
                    s.description.clone_from(&e.description);
                    s.amount_minor = e.amount_minor;
                    s.currency.clone_from(&e.currency);
                    s.trial_days = e.trial_days;
                }
            }
            PlanEvent::PlanActivated(_) => {
                if let Some(s) = &mut self.state {
                    s.active = true;
                }
            }
            PlanEvent::PlanDeactivated(_) => {
                if let Some(s) = &mut self.state {
                    s.active = false;
                }
            }
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(PlanName::parse(&s.name).is_ok(), || {
            format!("plan name {:?} is invalid", s.name)
        })?;
        InvariantViolation::ensure(self.terms().is_some(), || {
            format!("price {} {} is invalid", s.amount_minor, s.currency)
        })
    }
}
