use super::SubscriptionStatus;
use crate::Timestamp;
use crate::macros::event_enum;
use crate::subscriptions::BillingPeriod;
use crate::subscriptions::plan::PlanId;

/// An account subscribed to a plan: TRIALING until `trial_ends_at`, ACTIVE with the first period
/// paid until `due_date`, or INCOMPLETE (the first payment failed: `payment_failure` says why)
/// with `due_date` the deadline to pay before it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionStarted {
    pub account_id: String,
    pub plan_id: PlanId,
    pub amount_minor: i64,
    pub currency: String,
    pub billing_period: BillingPeriod,
    pub status: SubscriptionStatus,
    pub started_at: Timestamp,
    pub trial_ends_at: Option<Timestamp>,
    pub due_date: Timestamp,
    pub payment_failure: Option<String>,
    /// What renewals are charged to (none in events from before payment methods were kept).
    pub payment_method: Option<String>,
    /// The provider's id of the first period's charge, when it was paid at the start.
    pub charge_id: Option<String>,
}

/// An INCOMPLETE subscription's first payment succeeded: ACTIVE, its periods counted from
/// `period_start` (the payment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionActivated {
    pub paid_at: Timestamp,
    pub amount_minor: i64,
    pub currency: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub charge_id: Option<String>,
}

/// The `renewal`-th period was paid: access runs until `period_end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRenewed {
    pub renewal: u32,
    pub paid_at: Timestamp,
    pub amount_minor: i64,
    pub currency: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub charge_id: Option<String>,
}

/// The payment due failed (attempt 1): PAST_DUE, retried at `next_attempt_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionPastDue {
    pub failed_at: Timestamp,
    pub reason: String,
    pub attempt: u32,
    pub next_attempt_at: Option<Timestamp>,
}

/// A retry of a past-due payment failed too; the next at `next_attempt_at`, or none left (the
/// subscription expires when the grace period ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionPaymentRetryFailed {
    pub attempt: u32,
    pub failed_at: Timestamp,
    pub reason: String,
    pub next_attempt_at: Option<Timestamp>,
}

/// Canceled at `canceled_at`; access ends at `ends_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionCanceled {
    pub canceled_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: Option<String>,
}

/// A cancellation was taken back before access ended: back to `status` (TRIALING or ACTIVE),
/// renewing as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionUncanceled {
    pub uncanceled_at: Timestamp,
    pub status: SubscriptionStatus,
}

/// The trial ends at `trial_ends_at`, soon: noted once, a few days before, so that the customer
/// can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionTrialEnding {
    pub noted_at: Timestamp,
    pub trial_ends_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionExpired {
    pub expired_at: Timestamp,
}

/// Renewals and retries are charged to `payment_method` from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionPaymentMethodChanged {
    pub payment_method: String,
    pub changed_at: Timestamp,
}

event_enum! {
    /// Everything that can happen to a subscription.
    pub enum SubscriptionEvent {
        SubscriptionStarted,
        SubscriptionActivated,
        SubscriptionRenewed,
        SubscriptionPastDue,
        SubscriptionPaymentRetryFailed,
        SubscriptionCanceled,
        SubscriptionUncanceled,
        SubscriptionTrialEnding,
        SubscriptionExpired,
        SubscriptionPaymentMethodChanged,
    }
}
