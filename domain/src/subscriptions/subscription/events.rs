use super::SubscriptionStatus;
use crate::Timestamp;
use crate::macros::event_enum;
use crate::subscriptions::BillingPeriod;
use crate::subscriptions::plan::PlanId;

/// An account subscribed to a plan: TRIALING until `trial_ends_at`, or ACTIVE with the first
/// period paid until `due_date`.
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionPastDue {
    pub failed_at: Timestamp,
    pub reason: String,
}

/// Canceled at `canceled_at`; access ends at `ends_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionCanceled {
    pub canceled_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionExpired {
    pub expired_at: Timestamp,
}

event_enum! {
    /// Everything that can happen to a subscription.
    pub enum SubscriptionEvent {
        SubscriptionStarted,
        SubscriptionRenewed,
        SubscriptionPastDue,
        SubscriptionCanceled,
        SubscriptionExpired,
    }
}
