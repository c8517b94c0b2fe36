use crate::accounts::AccountId;
use crate::macros::command_enum;
use crate::subscriptions::plan::{PlanId, PlanTerms};
use crate::{Reason, Reference, Timestamp};

/// Subscribes an account to a plan on the terms the plan had when the command was built.
#[derive(Debug, Clone, PartialEq)]
pub struct StartSubscription {
    pub account_id: AccountId,
    pub plan: Reference<PlanId>,
    pub terms: PlanTerms,
    pub started_at: Timestamp,
}

/// A payment for the next period succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewSubscription {
    pub paid_at: Timestamp,
}

/// A payment failed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPaymentFailure {
    pub failed_at: Timestamp,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CancelSubscription {
    pub canceled_at: Timestamp,
    pub reason: Option<Reason>,
}

/// Ends access for good; a scheduler sends it when a canceled or past-due subscription runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpireSubscription {
    pub at: Timestamp,
}

command_enum! {
    /// Everything customers, billing and the scheduler can ask of a subscription.
    pub enum SubscriptionCommand {
        StartSubscription,
        RenewSubscription,
        RecordPaymentFailure,
        CancelSubscription,
        ExpireSubscription,
    }
}
