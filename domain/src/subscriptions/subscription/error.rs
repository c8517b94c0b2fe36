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
    #[error("a {from} subscription cannot become {to}")]
    InvalidTransition {
        from: SubscriptionStatus,
        to: SubscriptionStatus,
    },
    #[error("the subscription cannot expire before {until}")]
    TooEarlyToExpire { until: Timestamp },
    #[error("the resulting date is out of range")]
    DateOutOfRange,
}
