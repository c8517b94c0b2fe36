use super::SubscriptionStatus;
use crate::Timestamp;
use crate::subscriptions::plan::PlanId;

/// A subscription command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    #[error("subscription already exists")]
    AlreadyExists,
    #[error("subscription does not exist")]
    NotFound,
    #[error("plan {0} does not exist")]
    UnknownPlan(PlanId),
    #[error("plan {0} is inactive and takes no new subscriptions")]
    InactivePlan(PlanId),
    #[error("a plan without a trial is charged when the subscription starts")]
    PaymentRequired,
    #[error("a plan with a trial is not charged before the trial ends")]
    PaymentNotDue,
    #[error("a {from} subscription cannot become {to}")]
    InvalidTransition {
        from: SubscriptionStatus,
        to: SubscriptionStatus,
    },
    #[error("the subscription cannot expire before {until}")]
    TooEarlyToExpire { until: Timestamp },
    #[error("the next payment attempt is due at {until}, not before")]
    TooEarlyToRetry { until: Timestamp },
    #[error("every payment attempt has been made; the subscription expires after the grace period")]
    NoAttemptsLeft,
    #[error("access ended at {ended_at}: subscribe again instead")]
    AccessEnded { ended_at: Timestamp },
    #[error("the subscription has expired: subscribe again instead")]
    Expired,
    #[error("only a trialing subscription has a trial that ends")]
    NotTrialing,
    #[error("the trial ends at {trial_ends_at}: its notice is due from {from}")]
    TooEarlyForTrialNotice {
        from: Timestamp,
        trial_ends_at: Timestamp,
    },
    #[error("the resulting date is out of range")]
    DateOutOfRange,
}
