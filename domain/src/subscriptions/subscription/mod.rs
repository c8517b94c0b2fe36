//! A customer's subscription to a plan, after Stripe Billing's lifecycle.
//!
//! ```text
//!          ┌▶ TRIALING ─┐                 cancel ⇄ uncancel
//! start ───┼▶ ACTIVE ◀──┴── renew ──┐    TRIALING/ACTIVE ─▶ CANCELED ── expire (≥ ends_at) ─┐
//!          └▶ INCOMPLETE ─ renew ─▶ │    (access until the paid period ends)                │
//!              │ expire (≥ 23 h)    │ payment failure                                        ▼
//!              └────────────────────┼──────────▶ PAST_DUE ── retries at +1, +3, +5 days ─▶ EXPIRED
//!                                   └─ renew ◀──────┘        expire (≥ due date + 7 days)
//! ```
//!
//! A subscription keeps the price it started with. Periods run from a billing anchor (the start,
//! the trial's end, or the first payment of an incomplete subscription) in whole calendar
//! months, so Jan 31 renews on Feb 28, then Mar 31. A late payment while past due pays the period
//! that was due, not one starting at the payment. Cancelling keeps access until the end of the
//! paid period (at once when past due or incomplete), and can be taken back until then.

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

/// Days after the due date at which a failed payment is tried again (Stripe's smart retries
/// replaced by a fixed schedule): attempt 1 on the due date, then one per entry.
pub const RETRY_DAYS: [u32; 3] = [1, 3, 5];

/// Hours an INCOMPLETE subscription has to be paid before it expires (Stripe: 23).
pub const INCOMPLETE_HOURS: u32 = 23;

/// Days before a trial ends from which its notice may be noted.
pub const TRIAL_NOTICE_DAYS: u32 = 3;

/// Where a subscription is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Canceled,
    Expired,
    Incomplete,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 6] = [
        SubscriptionStatus::Trialing,
        SubscriptionStatus::Active,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Expired,
        SubscriptionStatus::Incomplete,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "TRIALING",
            SubscriptionStatus::Active => "ACTIVE",
            SubscriptionStatus::PastDue => "PAST_DUE",
            SubscriptionStatus::Canceled => "CANCELED",
            SubscriptionStatus::Expired => "EXPIRED",
            SubscriptionStatus::Incomplete => "INCOMPLETE",
        }
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
    /// The end of the period paid for or of the trial; for INCOMPLETE, the deadline to pay.
    due_date: Timestamp,
    /// Where periods are counted from; none while INCOMPLETE.
    anchor: Option<Timestamp>,
    /// Periods paid since the anchor.
    periods_paid: u32,
    renewals: u32,
    /// Failed attempts at the payment due, while PAST_DUE.
    attempts: u32,
    next_attempt_at: Option<Timestamp>,
    trial_notice: bool,
    /// What a cancellation would be taken back to.
    canceled_from: Option<SubscriptionStatus>,
    canceled_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
    payment_method: Option<String>,
}

/// A subscription's dates and counters, without who holds it or what it costs: what decides
/// when access ends and what is due next. The aggregate and the read models' subscription view
/// both derive one, so these rules are written once, here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    pub status: SubscriptionStatus,
    /// The end of the period paid for or of the trial; for INCOMPLETE, the deadline to pay.
    pub due_date: Timestamp,
    pub trial_ends_at: Option<Timestamp>,
    /// Whether the trial's end has been noted.
    pub trial_noticed: bool,
    /// Periods paid after the first one.
    pub renewals: u32,
    /// Failed attempts at the payment due, while PAST_DUE.
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    /// When a canceled subscription's access ends.
    pub ends_at: Option<Timestamp>,
}

/// What the scheduler is to do to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Note that the trial ends soon ([`NoteTrialEnding`]).
    NoteTrialEnding,
    /// Charge period `renewal + 1` (attempt `attempt` at it), then renew or record the failure.
    Charge { renewal: u32, attempt: u32 },
    /// End access for good ([`ExpireSubscription`]).
    Expire,
}

impl Step {
    /// A stable name, for command ids and logs.
    pub fn name(self) -> String {
        match self {
            Step::NoteTrialEnding => "trial-ending".to_owned(),
            Step::Charge { renewal, attempt } => format!("charge-{renewal}-{attempt}"),
            Step::Expire => "expire".to_owned(),
        }
    }
}

/// A step and the instant from which it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Due {
    pub step: Step,
    pub at: Timestamp,
}

impl Timeline {
    /// When access ends for good unless something is paid or taken back: a cancellation's end,
    /// a past-due subscription's grace, an incomplete one's deadline.
    pub fn access_ends_at(&self) -> Option<Timestamp> {
        match self.status {
            SubscriptionStatus::Canceled => self.ends_at,
            SubscriptionStatus::PastDue => self.due_date.checked_add_days(GRACE_DAYS),
            SubscriptionStatus::Incomplete => Some(self.due_date),
            SubscriptionStatus::Trialing
            | SubscriptionStatus::Active
            | SubscriptionStatus::Expired => None,
        }
    }

    /// Whether the customer may watch at `now`: trialing or active (renewal is the scheduler's
    /// to attempt), past due within the grace period, canceled before the paid period ends.
    /// Never when incomplete or expired.
    pub fn grants_access_at(&self, now: Timestamp) -> bool {
        match self.status {
            SubscriptionStatus::Trialing | SubscriptionStatus::Active => true,
            SubscriptionStatus::PastDue | SubscriptionStatus::Canceled => {
                self.access_ends_at().is_some_and(|end| now < end)
            }
            SubscriptionStatus::Incomplete | SubscriptionStatus::Expired => false,
        }
    }

    /// The next thing time makes due, and from when: the trial's notice
    /// ([`TRIAL_NOTICE_DAYS`] before it ends), the charge at the due date or at the next
    /// retry, or expiry (a cancellation's end, the grace after the last retry, an incomplete
    /// subscription's deadline). None once expired.
    pub fn next_due(&self) -> Option<Due> {
        let charge = |attempt| Step::Charge {
            renewal: self.renewals + 1,
            attempt,
        };
        let (step, at) = match self.status {
            SubscriptionStatus::Trialing => match self.trial_ends_at {
                Some(end) if !self.trial_noticed => (
                    Step::NoteTrialEnding,
                    end.checked_sub_days(TRIAL_NOTICE_DAYS).unwrap_or(end),
                ),
                _ => (charge(1), self.due_date),
            },
            SubscriptionStatus::Active => (charge(1), self.due_date),
            SubscriptionStatus::PastDue => match self.next_attempt_at {
                Some(next) => (charge(self.attempts + 1), next),
                None => (Step::Expire, self.access_ends_at()?),
            },
            SubscriptionStatus::Canceled | SubscriptionStatus::Incomplete => {
                (Step::Expire, self.access_ends_at()?)
            }
            SubscriptionStatus::Expired => return None,
        };
        Some(Due { step, at })
    }
}

impl Subscription {
    pub fn status(&self) -> Option<SubscriptionStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    /// The end of the period paid for (or of the trial; for INCOMPLETE, the deadline to pay).
    pub fn due_date(&self) -> Option<Timestamp> {
        self.state.as_ref().map(|s| s.due_date)
    }

    pub fn renewals(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.renewals)
    }

    pub fn account_id(&self) -> Option<&str> {
        self.state.as_ref().map(|s| s.account_id.as_str())
    }

    /// When the next retry of a past-due payment is due, if one is left.
    pub fn next_attempt_at(&self) -> Option<Timestamp> {
        self.state.as_ref().and_then(|s| s.next_attempt_at)
    }

    /// The dates and counters that decide access and what is due next.
    pub fn timeline(&self) -> Option<Timeline> {
        self.state.as_ref().map(|s| Timeline {
            status: s.status,
            due_date: s.due_date,
            trial_ends_at: s.trial_ends_at,
            trial_noticed: s.trial_notice,
            renewals: s.renewals,
            attempts: s.attempts,
            next_attempt_at: s.next_attempt_at,
            ends_at: s.ends_at,
        })
    }

    /// What renewals are charged to, when the subscription has a payment method.
    pub fn payment_method(&self) -> Option<&str> {
        self.state
            .as_ref()
            .and_then(|s| s.payment_method.as_deref())
    }

    /// The price each period is charged.
    pub fn price(&self) -> Option<(i64, &str)> {
        self.state
            .as_ref()
            .map(|s| (s.amount_minor, s.currency.as_str()))
    }

    /// See [`Timeline::access_ends_at`].
    pub fn access_ends_at(&self) -> Option<Timestamp> {
        self.timeline()?.access_ends_at()
    }

    /// See [`Timeline::grants_access_at`].
    pub fn grants_access_at(&self, now: Timestamp) -> bool {
        self.timeline().is_some_and(|t| t.grants_access_at(now))
    }
}

fn after_months(
    from: Timestamp,
    period: BillingPeriod,
    count: u32,
) -> Result<Timestamp, SubscriptionError> {
    period
        .months()
        .checked_mul(count)
        .and_then(|months| from.checked_add_months(months))
        .ok_or(SubscriptionError::DateOutOfRange)
}

fn add_days(from: Timestamp, days: u32) -> Result<Timestamp, SubscriptionError> {
    from.checked_add_days(days)
        .ok_or(SubscriptionError::DateOutOfRange)
}

/// When attempt `attempt + 1` at a payment due at `due` is made, if there is one.
fn next_attempt(due: Timestamp, attempt: u32) -> Result<Option<Timestamp>, SubscriptionError> {
    match RETRY_DAYS.get(attempt as usize - 1) {
        Some(&days) => add_days(due, days).map(Some),
        None => Ok(None),
    }
}

fn start(command: StartSubscription) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    match command.plan.status {
        ReferenceStatus::Active => {}
        ReferenceStatus::Inactive => return Err(SubscriptionError::InactivePlan(command.plan.id)),
        ReferenceStatus::Missing => return Err(SubscriptionError::UnknownPlan(command.plan.id)),
    }
    let terms = command.terms;
    let trial_days = u32::from(terms.trial_days.get());
    let mut charge_id = None;
    let (status, trial_ends_at, due_date, payment_failure) = match (trial_days, command.payment) {
        (0, None) => return Err(SubscriptionError::PaymentRequired),
        (1.., Some(_)) => return Err(SubscriptionError::PaymentNotDue),
        (1.., None) => {
            let trial_end = add_days(command.started_at, trial_days)?;
            (
                SubscriptionStatus::Trialing,
                Some(trial_end),
                trial_end,
                None,
            )
        }
        (0, Some(FirstPayment::Approved { charge_id: id, .. })) => {
            charge_id = id;
            let due = after_months(command.started_at, terms.billing_period, 1)?;
            (SubscriptionStatus::Active, None, due, None)
        }
        (0, Some(FirstPayment::Declined { reason, .. })) => {
            let deadline = command
                .started_at
                .checked_add_hours(INCOMPLETE_HOURS)
                .ok_or(SubscriptionError::DateOutOfRange)?;
            (
                SubscriptionStatus::Incomplete,
                None,
                deadline,
                Some(reason.into_string()),
            )
        }
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
            payment_failure,
            payment_method: Some(command.payment_method.into_string()),
            charge_id,
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
        let s = match (command, &self.state) {
            (SubscriptionCommand::StartSubscription(_), Some(_)) => {
                return Err(SubscriptionError::AlreadyExists);
            }
            (SubscriptionCommand::StartSubscription(c), None) => return start(c),
            (_, None) => return Err(SubscriptionError::NotFound),
            (command, Some(s)) => (command, s),
        };
        let (command, s) = s;
        match command {
            SubscriptionCommand::StartSubscription(_) => unreachable!("handled above"),
            SubscriptionCommand::RenewSubscription(r) => renew(s, r),
            SubscriptionCommand::RecordPaymentFailure(f) => payment_failed(s, f),
            SubscriptionCommand::CancelSubscription(c) => cancel(s, c),
            SubscriptionCommand::UncancelSubscription(u) => uncancel(s, u),
            SubscriptionCommand::NoteTrialEnding(n) => note_trial_ending(s, n),
            SubscriptionCommand::ExpireSubscription(e) => expire(self, s, e),
            SubscriptionCommand::ChangePaymentMethod(c) => change_payment_method(s, c),
        }
    }

    fn apply(&mut self, event: &SubscriptionEvent) {
        if let SubscriptionEvent::SubscriptionStarted(e) = event {
            let (anchor, periods_paid) = match e.status {
                SubscriptionStatus::Trialing => (e.trial_ends_at, 0),
                SubscriptionStatus::Incomplete => (None, 0),
                _ => (Some(e.started_at), 1),
            };
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
                anchor,
                periods_paid,
                renewals: 0,
                attempts: 0,
                next_attempt_at: None,
                trial_notice: false,
                canceled_from: None,
                canceled_at: None,
                ends_at: None,
                payment_method: e.payment_method.clone(),
            });
            return;
        }
        let Some(s) = &mut self.state else { return };
        match event {
            SubscriptionEvent::SubscriptionStarted(_) => {}
            SubscriptionEvent::SubscriptionActivated(e) => {
                s.status = SubscriptionStatus::Active;
                s.anchor = Some(e.period_start);
                s.periods_paid = 1;
                s.due_date = e.period_end;
            }
            SubscriptionEvent::SubscriptionRenewed(e) => {
                s.status = SubscriptionStatus::Active;
                s.renewals = e.renewal;
                s.periods_paid += 1;
                s.due_date = e.period_end;
                s.attempts = 0;
                s.next_attempt_at = None;
            }
            SubscriptionEvent::SubscriptionPastDue(e) => {
                s.status = SubscriptionStatus::PastDue;
                s.attempts = e.attempt;
                s.next_attempt_at = e.next_attempt_at;
            }
            SubscriptionEvent::SubscriptionPaymentRetryFailed(e) => {
                s.attempts = e.attempt;
                s.next_attempt_at = e.next_attempt_at;
            }
            SubscriptionEvent::SubscriptionCanceled(e) => {
                s.canceled_from = Some(s.status);
                s.status = SubscriptionStatus::Canceled;
                s.canceled_at = Some(e.canceled_at);
                s.ends_at = Some(e.ends_at);
            }
            SubscriptionEvent::SubscriptionUncanceled(e) => {
                s.status = e.status;
                s.canceled_from = None;
                s.canceled_at = None;
                s.ends_at = None;
            }
            SubscriptionEvent::SubscriptionTrialEnding(_) => s.trial_notice = true,
            SubscriptionEvent::SubscriptionExpired(_) => s.status = SubscriptionStatus::Expired,
            SubscriptionEvent::SubscriptionPaymentMethodChanged(e) => {
                s.payment_method = Some(e.payment_method.clone());
            }
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
        InvariantViolation::ensure(
            match s.anchor {
                Some(_) => s.status != SubscriptionStatus::Incomplete,
                None => matches!(
                    (s.status, s.canceled_from),
                    (
                        SubscriptionStatus::Incomplete | SubscriptionStatus::Expired,
                        _
                    ) | (
                        SubscriptionStatus::Canceled,
                        Some(SubscriptionStatus::Incomplete)
                    )
                ),
            },
            || format!("{} with billing anchor {:?}", s.status, s.anchor),
        )?;
        InvariantViolation::ensure(
            s.status == SubscriptionStatus::PastDue
                || (s.status == SubscriptionStatus::Canceled
                    && s.canceled_from == Some(SubscriptionStatus::PastDue))
                || s.status == SubscriptionStatus::Expired
                || s.attempts == 0,
            || format!("{} after {} failed attempts", s.status, s.attempts),
        )?;
        InvariantViolation::ensure(s.attempts as usize <= RETRY_DAYS.len() + 1, || {
            format!("{} payment attempts", s.attempts)
        })?;
        InvariantViolation::ensure(!s.account_id.is_empty(), || "no account".to_owned())
    }
}

/// Pays the next period: the first of an INCOMPLETE subscription, the one due otherwise.
fn renew(
    s: &SubscriptionState,
    r: RenewSubscription,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    use SubscriptionStatus::{Active, Canceled, Expired, Incomplete, PastDue, Trialing};
    match (s.status, s.anchor) {
        (Incomplete, _) => {
            // A payment timestamped before the start (a skewed clock) starts the periods then.
            let period_start = r.paid_at.max(s.started_at);
            Ok(vec![
                SubscriptionActivated {
                    paid_at: r.paid_at,
                    amount_minor: s.amount_minor,
                    currency: s.currency.clone(),
                    period_start,
                    period_end: after_months(period_start, s.billing_period, 1)?,
                    charge_id: r.charge_id,
                }
                .into(),
            ])
        }
        (Trialing | Active | PastDue, Some(anchor)) => Ok(vec![
            SubscriptionRenewed {
                renewal: s.renewals + 1,
                paid_at: r.paid_at,
                amount_minor: s.amount_minor,
                currency: s.currency.clone(),
                period_start: s.due_date,
                period_end: after_months(anchor, s.billing_period, s.periods_paid + 1)?,
                charge_id: r.charge_id,
            }
            .into(),
        ]),
        (from @ (Canceled | Expired | Trialing | Active | PastDue), _) => {
            Err(SubscriptionError::InvalidTransition { from, to: Active })
        }
    }
}

/// The payment due failed (PAST_DUE, attempt 1), or a retry of it did.
fn payment_failed(
    s: &SubscriptionState,
    f: RecordPaymentFailure,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    use SubscriptionStatus::{Active, Canceled, Expired, Incomplete, PastDue, Trialing};
    match s.status {
        Trialing | Active => Ok(vec![
            SubscriptionPastDue {
                failed_at: f.failed_at,
                reason: f.reason.into_string(),
                attempt: 1,
                next_attempt_at: next_attempt(s.due_date, 1)?,
            }
            .into(),
        ]),
        PastDue => {
            let Some(until) = s.next_attempt_at else {
                return Err(SubscriptionError::NoAttemptsLeft);
            };
            if f.failed_at < until {
                return Err(SubscriptionError::TooEarlyToRetry { until });
            }
            let attempt = s.attempts + 1;
            Ok(vec![
                SubscriptionPaymentRetryFailed {
                    attempt,
                    failed_at: f.failed_at,
                    reason: f.reason.into_string(),
                    next_attempt_at: next_attempt(s.due_date, attempt)?,
                }
                .into(),
            ])
        }
        // A customer's further attempt at a first payment changes nothing: still incomplete.
        Incomplete => Ok(vec![]),
        from @ (Canceled | Expired) => {
            Err(SubscriptionError::InvalidTransition { from, to: PastDue })
        }
    }
}

fn cancel(
    s: &SubscriptionState,
    c: CancelSubscription,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    use SubscriptionStatus::{Active, Canceled, Expired, Incomplete, PastDue, Trialing};
    let ends_at = match s.status {
        Trialing | Active => s.due_date.max(c.canceled_at),
        PastDue | Incomplete => c.canceled_at,
        Canceled => return Ok(vec![]),
        Expired => {
            return Err(SubscriptionError::InvalidTransition {
                from: Expired,
                to: Canceled,
            });
        }
    };
    Ok(vec![
        SubscriptionCanceled {
            canceled_at: c.canceled_at,
            ends_at,
            reason: c.reason.map(crate::Reason::into_string),
        }
        .into(),
    ])
}

fn uncancel(
    s: &SubscriptionState,
    u: UncancelSubscription,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    use SubscriptionStatus::{Active, Canceled, Trialing};
    match (s.status, s.canceled_from, s.ends_at) {
        (Trialing | Active, _, _) => Ok(vec![]),
        (Canceled, Some(from @ (Trialing | Active)), Some(ends_at)) if u.at < ends_at => Ok(vec![
            SubscriptionUncanceled {
                uncanceled_at: u.at,
                status: from,
            }
            .into(),
        ]),
        (Canceled, _, Some(ended_at)) => Err(SubscriptionError::AccessEnded { ended_at }),
        (from, _, _) => Err(SubscriptionError::InvalidTransition { from, to: Active }),
    }
}

fn note_trial_ending(
    s: &SubscriptionState,
    n: NoteTrialEnding,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    let (SubscriptionStatus::Trialing, Some(trial_ends_at)) = (s.status, s.trial_ends_at) else {
        return Err(SubscriptionError::NotTrialing);
    };
    if s.trial_notice {
        return Ok(vec![]);
    }
    let from = trial_ends_at
        .checked_sub_days(TRIAL_NOTICE_DAYS)
        .ok_or(SubscriptionError::DateOutOfRange)?;
    if n.at < from {
        return Err(SubscriptionError::TooEarlyForTrialNotice {
            from,
            trial_ends_at,
        });
    }
    Ok(vec![
        SubscriptionTrialEnding {
            noted_at: n.at,
            trial_ends_at,
        }
        .into(),
    ])
}

fn expire(
    subscription: &Subscription,
    s: &SubscriptionState,
    e: ExpireSubscription,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    use SubscriptionStatus::{Active, Canceled, Expired, Incomplete, PastDue, Trialing};
    match s.status {
        Expired => return Ok(vec![]),
        from @ (Trialing | Active) => {
            return Err(SubscriptionError::InvalidTransition { from, to: Expired });
        }
        Canceled | PastDue | Incomplete => {}
    }
    let until = subscription
        .access_ends_at()
        .ok_or(SubscriptionError::DateOutOfRange)?;
    if e.at < until {
        return Err(SubscriptionError::TooEarlyToExpire { until });
    }
    Ok(vec![SubscriptionExpired { expired_at: e.at }.into()])
}

fn change_payment_method(
    s: &SubscriptionState,
    c: ChangePaymentMethod,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    if s.status == SubscriptionStatus::Expired {
        return Err(SubscriptionError::Expired);
    }
    if s.payment_method.as_deref() == Some(c.payment_method.as_str()) {
        return Ok(vec![]);
    }
    Ok(vec![
        SubscriptionPaymentMethodChanged {
            payment_method: c.payment_method.into_string(),
            changed_at: c.at,
        }
        .into(),
    ])
}
