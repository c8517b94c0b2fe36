//! A customer's subscription to a plan.
//!
//! ```text
//! start ─▶ TRIALING ─┐        renew          cancel             expire (at ≥ ends_at)
//!       └▶ ACTIVE ◀──┴──────────────┐  ──▶ CANCELED ──────────────────────▶ EXPIRED
//!            │ payment failure       │ renew                                   ▲
//!            ▼                       │                                         │
//!          PAST_DUE ─────────────────┘ ── expire (at ≥ due date + grace) ──────┘
//! ```
//!
//! A subscription keeps the price it started with; renewals move the due date one billing period
//! on. Cancelling keeps access until the end of the paid period (at once when past due).

mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

use std::fmt;

pub use commands::*;
pub use error::SubscriptionError;
pub use events::*;

use crate::macros::uuid_id;
use crate::subscriptions::BillingPeriod;
use crate::subscriptions::plan::PlanId;
use crate::{Aggregate, AggregateType, InvariantViolation, ReferenceStatus, Timestamp};

uuid_id!(
    /// Identifies a subscription.
    SubscriptionId
);

/// Days a past-due subscription keeps access before it may expire.
pub const GRACE_DAYS: u32 = 7;

/// Where a subscription is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Canceled,
    Expired,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 5] = [
        SubscriptionStatus::Trialing,
        SubscriptionStatus::Active,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "TRIALING",
            SubscriptionStatus::Active => "ACTIVE",
            SubscriptionStatus::PastDue => "PAST_DUE",
            SubscriptionStatus::Canceled => "CANCELED",
            SubscriptionStatus::Expired => "EXPIRED",
        }
    }

    /// Whether the customer may watch: trialing, active, past due within grace, canceled until
    /// the end of the paid period. (Time-dependent parts are the playback policy's.)
    pub const fn grants_access(self) -> bool {
        !matches!(self, SubscriptionStatus::Expired)
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The subscription aggregate; [`Default`] is one not started yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subscription {
    state: Option<SubscriptionState>,
}

#[derive(Debug, Clone, PartialEq)]
struct SubscriptionState {
    account_id: String,
    plan_id: PlanId,
    amount_minor: i64,
    currency: String,
    billing_period: BillingPeriod,
    status: SubscriptionStatus,
    started_at: Timestamp,
    trial_ends_at: Option<Timestamp>,
    due_date: Timestamp,
    renewals: u32,
    canceled_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
}

impl Subscription {
    pub fn status(&self) -> Option<SubscriptionStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    /// The end of the period paid for (or of the trial).
    pub fn due_date(&self) -> Option<Timestamp> {
        self.state.as_ref().map(|s| s.due_date)
    }

    pub fn renewals(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.renewals)
    }

    pub fn account_id(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.account_id.as_str())
    }
}

fn after_months(from: Timestamp, period: BillingPeriod) -> Result<Timestamp, SubscriptionError> {
    from.checked_add_months(period.months())
        .ok_or(SubscriptionError::DateOutOfRange)
}

fn start(command: StartSubscription) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    match command.plan.status {
        ReferenceStatus::Active => {}
        ReferenceStatus::Inactive => return Err(SubscriptionError::InactivePlan(command.plan.id)),
        ReferenceStatus::Missing => return Err(SubscriptionError::UnknownPlan(command.plan.id)),
    }
    let terms = command.terms;
    let trial_days = u32::from(terms.trial_days.get());
    let (status, trial_ends_at, due_date) = if trial_days > 0 {
        let trial_end = command
            .started_at
            .checked_add_days(trial_days)
            .ok_or(SubscriptionError::DateOutOfRange)?;
        (SubscriptionStatus::Trialing, Some(trial_end), trial_end)
    } else {
        let due = after_months(command.started_at, terms.billing_period)?;
        (SubscriptionStatus::Active, None, due)
    };
    Ok(vec![
        SubscriptionStarted {
            account_id: command.account_id.into_string(),
            plan_id: command.plan.id,
            amount_minor: terms.price.amount_minor(),
            currency: terms.price.currency().to_string(),
            billing_period: terms.billing_period,
            status,
            started_at: command.started_at,
            trial_ends_at,
            due_date,
        }
        .into(),
    ])
}

impl Aggregate for Subscription {
    const TYPE: AggregateType = AggregateType::Subscription;
    type Id = SubscriptionId;
    type Command = SubscriptionCommand;
    type Event = SubscriptionEvent;
    type Error = SubscriptionError;

    fn handle(
        &self,
        command: SubscriptionCommand,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        use SubscriptionStatus::{Active, Canceled, Expired, PastDue, Trialing};
        let s = match (command, &self.state) {
            (SubscriptionCommand::StartSubscription(_), Some(_)) => {
                return Err(SubscriptionError::AlreadyExists);
            }
            (SubscriptionCommand::StartSubscription(c), None) => return start(c),
            (_, None) => return Err(SubscriptionError::NotFound),
            (command, Some(s)) => (command, s),
        };
        let (command, s) = s;
        let invalid = |to| SubscriptionError::InvalidTransition { from: s.status, to };
        let events = match command {
            SubscriptionCommand::StartSubscription(_) => unreachable!("handled above"),
            SubscriptionCommand::RenewSubscription(r) => match s.status {
                Trialing | Active | PastDue => vec![
                    SubscriptionRenewed {
                        renewal: s.renewals + 1,
                        paid_at: r.paid_at,
                        amount_minor: s.amount_minor,
                        currency: s.currency.clone(),
                        period_start: s.due_date,
                        period_end: after_months(s.due_date, s.billing_period)?,
                    }
                    .into(),
                ],
                Canceled | Expired => return Err(invalid(Active)),
            },
            SubscriptionCommand::RecordPaymentFailure(f) => match s.status {
                Trialing | Active => vec![
                    SubscriptionPastDue {
                        failed_at: f.failed_at,
                        reason: f.reason.into_string(),
                    }
                    .into(),
                ],
                PastDue => vec![],
                Canceled | Expired => return Err(invalid(PastDue)),
            },
            SubscriptionCommand::CancelSubscription(c) => {
                let ends_at = match s.status {
                    Trialing | Active => s.due_date.max(c.canceled_at),
                    PastDue => c.canceled_at,
                    Canceled => return Ok(vec![]),
                    Expired => return Err(invalid(Canceled)),
                };
                vec![
                    SubscriptionCanceled {
                        canceled_at: c.canceled_at,
                        ends_at,
                        reason: c.reason.map(crate::Reason::into_string),
                    }
                    .into(),
                ]
            }
            SubscriptionCommand::ExpireSubscription(e) => {
                let until = match (s.status, s.ends_at) {
                    (Canceled, Some(ends_at)) => ends_at,
                    (PastDue, _) => s
                        .due_date
                        .checked_add_days(GRACE_DAYS)
                        .ok_or(SubscriptionError::DateOutOfRange)?,
                    (Expired, _) => return Ok(vec![]),
                    _ => return Err(invalid(Expired)),
                };
                if e.at < until {
                    return Err(SubscriptionError::TooEarlyToExpire { until });
                }
                vec![SubscriptionExpired { expired_at: e.at }.into()]
            }
        };
        Ok(events)
    }

    fn apply(&mut self, event: &SubscriptionEvent) {
        if let SubscriptionEvent::SubscriptionStarted(e) = event {
            self.state = Some(SubscriptionState {
                account_id: e.account_id.clone(),
                plan_id: e.plan_id,
                amount_minor: e.amount_minor,
                currency: e.currency.clone(),
                billing_period: e.billing_period,
                status: e.status,
                started_at: e.started_at,
                trial_ends_at: e.trial_ends_at,
                due_date: e.due_date,
                renewals: 0,
                canceled_at: None,
                ends_at: None,
            });
            return;
        }
        let Some(s) = &mut self.state else { return };
        match event {
            SubscriptionEvent::SubscriptionStarted(_) => {}
            SubscriptionEvent::SubscriptionRenewed(e) => {
                s.status = SubscriptionStatus::Active;
                s.renewals = e.renewal;
                s.due_date = e.period_end;
            }
            SubscriptionEvent::SubscriptionPastDue(_) => s.status = SubscriptionStatus::PastDue,
            SubscriptionEvent::SubscriptionCanceled(e) => {
                s.status = SubscriptionStatus::Canceled;
                s.canceled_at = Some(e.canceled_at);
                s.ends_at = Some(e.ends_at);
            }
            SubscriptionEvent::SubscriptionExpired(_) => s.status = SubscriptionStatus::Expired,
        }
    }

    fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let Some(s) = &self.state else { return Ok(()) };
        InvariantViolation::ensure(s.due_date > s.started_at, || {
            format!(
                "due date {} is not after the start {}",
                s.due_date, s.started_at
            )
        })?;
        InvariantViolation::ensure(s.amount_minor >= 0, || {
            format!("negative price {}", s.amount_minor)
        })?;
        InvariantViolation::ensure(
            s.status != SubscriptionStatus::Trialing
                || (s.trial_ends_at == Some(s.due_date) && s.renewals == 0),
            || "trialing past the trial or after a renewal".to_owned(),
        )?;
        InvariantViolation::ensure(
            s.status != SubscriptionStatus::Canceled
                || matches!((s.canceled_at, s.ends_at), (Some(c), Some(e)) if e >= c),
            || format!("canceled at {:?} ending {:?}", s.canceled_at, s.ends_at),
        )?;
        InvariantViolation::ensure(!s.account_id.is_empty(), || "no account".to_owned())
    }
}
