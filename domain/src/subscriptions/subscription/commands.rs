use crate::accounts::AccountId;
use crate::macros::command_enum;
use crate::subscriptions::PaymentMethod;
use crate::subscriptions::plan::{PlanId, PlanTerms};
use crate::{Reason, Reference, Timestamp};

/// What came of charging the first period when a subscription without a trial starts.
#[derive(Debug, Clone, PartialEq)]
pub enum FirstPayment {
    Approved {
        paid_at: Timestamp,
        /// The payment provider's id of the charge, for receipts.
        charge_id: Option<String>,
    },
    Declined {
        failed_at: Timestamp,
        reason: Reason,
    },
}

/// Subscribes an account to a plan on the terms the plan had when the command was built. A plan
/// with a trial is not charged at the start (`payment` is `None`); one without carries the
/// outcome of charging the first period.
#[derive(Debug, Clone, PartialEq)]
pub struct StartSubscription {
    pub account_id: AccountId,
    pub plan: Reference<PlanId>,
    pub terms: PlanTerms,
    pub started_at: Timestamp,
    /// What renewals are charged to.
    pub payment_method: PaymentMethod,
    pub payment: Option<FirstPayment>,
}

/// A payment for the next period succeeded (for an INCOMPLETE subscription, the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewSubscription {
    pub paid_at: Timestamp,
    /// The payment provider's id of the charge, for receipts.
    pub charge_id: Option<String>,
}

/// A payment failed: the one due, or a retry of it while past due.
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

/// Takes a cancellation back while access lasts (Stripe's "cancel at period end" undone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UncancelSubscription {
    pub at: Timestamp,
}

/// Notes that a trial ends soon; a scheduler sends it [`super::TRIAL_NOTICE_DAYS`] before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteTrialEnding {
    pub at: Timestamp,
}

/// Ends access for good; a scheduler sends it when a canceled, past-due or incomplete
/// subscription runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpireSubscription {
    pub at: Timestamp,
}

/// Renewals and retries are charged to `payment_method` from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePaymentMethod {
    pub payment_method: PaymentMethod,
    pub at: Timestamp,
}

command_enum! {
    /// Everything customers, billing and the scheduler can ask of a subscription.
    pub enum SubscriptionCommand {
        StartSubscription,
        RenewSubscription,
        RecordPaymentFailure,
        CancelSubscription,
        UncancelSubscription,
        NoteTrialEnding,
        ExpireSubscription,
        ChangePaymentMethod,
    }
}
