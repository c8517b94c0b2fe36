use crate::macros::event_enum;
use crate::subscriptions::BillingPeriod;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCreated {
    pub name: String,
    pub description: Option<String>,
    /// Price in minor units of `currency`.
    pub amount_minor: i64,
    pub currency: String,
    pub billing_period: BillingPeriod,
    pub trial_days: u16,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanUpdated {
    pub name: String,
    pub description: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub trial_days: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanActivated;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanDeactivated;

event_enum! {
    /// Everything that can happen to a plan.
    pub enum PlanEvent {
        PlanCreated,
        PlanUpdated,
        PlanActivated,
        PlanDeactivated,
    }
}
