//! Plans: create, update, activate, deactivate. Customers subscribe to active plans; a change
//! applies to new subscriptions only (existing ones keep their price).

use axum::extract::State;
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::range::in_range;
use codeflix_domain::subscriptions::plan::{
    ActivatePlan, CreatePlan, DeactivatePlan, Plan, PlanDescription, PlanError, PlanId, PlanName,
    PlanTerms, TrialDays, UpdatePlan,
};
use codeflix_domain::subscriptions::{BillingPeriod, Currency, Money};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::command::{Command, Create, Resource};
use crate::input::{Fields, JsonObject};
use crate::problem::{FieldError, Problem};
use crate::write::{DomainProblem, field_rule, state_conflict};

/// How often a plan charges.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub(crate) enum BillingPeriodName {
    Monthly,
    Yearly,
}

/// A new plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct CreatePlanRequest {
    /// 1 to 100 characters, no line breaks.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Premium"
    )]
    name: String,
    /// Up to 1000 characters.
    #[schema(
        max_length = 1000,
        nullable,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]([^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)?$"
    )]
    description: Option<String>,
    /// The price in minor units of `currency` (cents): 2990 is 29.90.
    #[schema(minimum = 0, maximum = 1_000_000_000, example = 2990)]
    amount_minor: i64,
    /// ISO 4217 code.
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = r"^[A-Za-z]{3}$",
        example = "BRL"
    )]
    currency: String,
    billing_period: BillingPeriodName,
    /// Days of free trial for new subscriptions, 0 to 90 (default 0).
    #[schema(minimum = 0, maximum = 90, default = 0)]
    trial_days: Option<i64>,
    /// Whether customers may subscribe (default true).
    #[schema(default = true)]
    is_active: Option<bool>,
}

/// A plan's new name, description, price and trial; the billing period cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct UpdatePlanRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Premium"
    )]
    name: String,
    #[schema(
        max_length = 1000,
        nullable,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]([^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)?$"
    )]
    description: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000, example = 3490)]
    amount_minor: i64,
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = r"^[A-Za-z]{3}$",
        example = "BRL"
    )]
    currency: String,
    /// The plan's period, as it was created.
    billing_period: BillingPeriodName,
    #[schema(minimum = 0, maximum = 90, default = 0)]
    trial_days: Option<i64>,
}

impl DomainProblem for PlanError {
    fn problem(&self) -> Problem {
        match self {
            PlanError::NotFound => Problem::not_found(self.to_string()),
            PlanError::AlreadyExists => state_conflict(self.to_string()),
            // Well-formed, but the plan's state forbids it: 409 naming the field.
            PlanError::BillingPeriodChange { .. } => {
                let mut problem = state_conflict(self.to_string());
                problem.0.errors = vec![FieldError::new("billing_period", self.to_string())];
                problem
            }
        }
    }
}

/// What a plan's body says.
struct PlanBody {
    name: PlanName,
    description: Option<PlanDescription>,
    terms: PlanTerms,
    active: bool,
}

/// Reads a plan's body (`is_active` for creates only).
fn read(body: JsonObject, create: bool) -> Result<PlanBody, Problem> {
    let mut fields = Fields::new(body);
    let name = fields.text("name", PlanName::MAX_CHARS, PlanName::parse);
    let description = fields.optional_text(
        "description",
        PlanDescription::MAX_CHARS,
        PlanDescription::parse,
    );
    let amount = fields.integer("amount_minor", |v| {
        in_range("amount_minor", v, 0, Money::MAX_MINOR)
    });
    let currency = fields.text("currency", 3, Currency::parse);
    let billing_period = fields.symbol::<BillingPeriod>("billing_period");
    let trial_days = fields.integer_or("trial_days", 0, TrialDays::parse);
    let active = if create {
        fields.boolean("is_active", true)
    } else {
        Some(true)
    };
    fields.finish()?;
    let (
        Some(name),
        Some(description),
        Some(amount),
        Some(currency),
        Some(billing_period),
        Some(trial_days),
        Some(active),
    ) = (
        name,
        description,
        amount,
        currency,
        billing_period,
        trial_days,
        active,
    )
    else {
        return Err(Problem::bad_request("invalid body"));
    };
    let price =
        Money::new(amount, currency).map_err(|e| field_rule("amount_minor", e.to_string()))?;
    Ok(PlanBody {
        name,
        description,
        terms: PlanTerms {
            price,
            billing_period,
            trial_days,
        },
        active,
    })
}

/// Create a plan
#[utoipa::path(post, path = "/plans", tag = "plans",
    request_body = CreatePlanRequest,
    responses((status = 201, description = "Created", body = crate::write::Written)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    create: Create<Plan>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let create = create.with_body(&body);
    let plan = read(body, true)?;
    let command = CreatePlan {
        name: plan.name,
        description: plan.description,
        terms: plan.terms,
        active: plan.active,
    };
    create.run(&state, "/plans", command.into()).await
}

/// Replace a plan's name, description, price and trial (for new subscriptions)
#[utoipa::path(put, path = "/plans/{id}", tag = "plans",
    params(("id" = uuid::Uuid, Path, description = "The plan")),
    request_body = UpdatePlanRequest,
    responses((status = 200, description = "Updated", body = crate::write::Written)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    request: Command<Plan>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let request = request.with_body(&body);
    let plan = read(body, false)?;
    let command = UpdatePlan {
        name: plan.name,
        description: plan.description,
        terms: plan.terms,
    };
    request.run(&state, command.into()).await
}

/// Open a plan to new subscriptions
#[utoipa::path(post, path = "/plans/{id}/activate", tag = "plans",
    params(("id" = uuid::Uuid, Path, description = "The plan")),
    responses((status = 200, description = "Active", body = crate::write::Written)))]
pub(crate) async fn activate(
    State(state): State<AppState>,
    request: Command<Plan>,
) -> Result<Response, Problem> {
    request.run(&state, ActivatePlan.into()).await
}

/// Retire a plan: no new subscriptions; existing ones go on
#[utoipa::path(post, path = "/plans/{id}/deactivate", tag = "plans",
    params(("id" = uuid::Uuid, Path, description = "The plan")),
    responses((status = 200, description = "Inactive", body = crate::write::Written)))]
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    request: Command<Plan>,
) -> Result<Response, Problem> {
    request.run(&state, DeactivatePlan.into()).await
}

impl Resource for Plan {
    const ROLE: Role = Role::Plans;

    fn id(id: Uuid) -> PlanId {
        PlanId::new(id)
    }
}
