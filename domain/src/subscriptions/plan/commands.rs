use super::{PlanDescription, PlanName, PlanTerms};
use crate::macros::command_enum;

#[derive(Debug, Clone, PartialEq)]
pub struct CreatePlan {
    pub name: PlanName,
    pub description: Option<PlanDescription>,
    pub terms: PlanTerms,
    pub active: bool,
}

/// Changes a plan's name, description, price or trial for new subscriptions; existing
/// subscriptions keep the price they started with. The billing period cannot change.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatePlan {
    pub name: PlanName,
    pub description: Option<PlanDescription>,
    pub terms: PlanTerms,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivatePlan;

/// Stops new subscriptions to a plan; existing ones go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeactivatePlan;

command_enum! {
    /// Everything an admin can ask of a plan.
    pub enum PlanCommand {
        CreatePlan,
        UpdatePlan,
        ActivatePlan,
        DeactivatePlan,
    }
}
