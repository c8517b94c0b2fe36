use crate::subscriptions::BillingPeriod;

/// A plan command breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("plan already exists")]
    AlreadyExists,
    #[error("plan does not exist")]
    NotFound,
    #[error("a plan's billing period cannot change from {from} to {to}: create another plan")]
    BillingPeriodChange {
        from: BillingPeriod,
        to: BillingPeriod,
    },
}
