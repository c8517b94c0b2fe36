//! Subscriptions: a signed-in customer subscribes to an active plan — charged for the first
//! period at once unless the plan has a trial —, cancels, takes a cancellation back, changes the
//! payment method and pays what is due. Admins holding `billing-subscriptions` may act for a
//! customer; anyone else is told the subscription does not exist.
//!
//! Charges go through the payment port with idempotency keys derived from the subscription
//! (and, for a payment asked for by the customer, from the request's command id), so that a
//! request retried with its `Idempotency-Key` never charges twice.

use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::accounts::AccountId;
use codeflix_domain::subscriptions::PaymentMethod;
use codeflix_domain::subscriptions::plan::{Plan, PlanId};
use codeflix_domain::subscriptions::subscription::{
    CancelSubscription, ChangePaymentMethod, FirstPayment, RenewSubscription, StartSubscription,
    Subscription, SubscriptionCommand, SubscriptionError, SubscriptionId, SubscriptionStatus,
    UncancelSubscription,
};
use codeflix_domain::{ExpectedVersion, Reason, Reference, ReferenceStatus, Timestamp, Version};
use codeflix_payments::{Charge, ChargeRecord, Outcome, PaymentError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::command::{Resource, path_ids};
use crate::input::{Fields, JsonObject};
use crate::problem::{FieldError, Problem};
use crate::write::{
    Caller, DomainProblem, Write, field_rule, reference_problem, respond, state_conflict,
};

/// A subscription to a plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct SubscribeRequest {
    /// An active plan.
    plan_id: Uuid,
    /// The payment provider's token of the card renewals are charged to (the development
    /// provider's: `card_` and a test card number, e.g. `card_4242424242424242`).
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[!-~]+$",
        example = "card_4242424242424242"
    )]
    payment_method: String,
}

/// Another payment method for renewals and retries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct PaymentMethodRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[!-~]+$",
        example = "card_5555555555554444"
    )]
    payment_method: String,
}

/// What came of charging a payment method.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PaymentOutcome {
    /// `APPROVED` or `DECLINED`.
    outcome: &'static str,
    /// The payment provider's id of the charge.
    charge_id: Option<String>,
    /// Why it was declined: the provider's code (`card_declined`, `insufficient_funds`, …).
    decline_code: Option<String>,
    /// Why it was declined, for the customer.
    message: Option<String>,
}

/// A subscription started: what it is now, and what came of its first charge when it had one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Subscribed {
    pub id: Uuid,
    pub version: u64,
    pub event_ids: Vec<Uuid>,
    pub consistency_token: Option<String>,
    /// `TRIALING`, `ACTIVE`, or `INCOMPLETE` when the first payment was declined (pay within
    /// 23 hours with `POST /subscriptions/{id}/pay`, after changing the payment method if need
    /// be).
    status: &'static str,
    payment: Option<PaymentOutcome>,
}

/// What a start adds beside the written body.
#[derive(Serialize)]
struct StartAnswer {
    status: &'static str,
    payment: Option<PaymentOutcome>,
}

impl DomainProblem for SubscriptionError {
    fn problem(&self) -> Problem {
        match self {
            SubscriptionError::NotFound => Problem::not_found(self.to_string()),
            SubscriptionError::UnknownPlan(_) | SubscriptionError::InactivePlan(_) => {
                reference_problem("plan_id", self.to_string())
            }
            SubscriptionError::AlreadyExists
            | SubscriptionError::PaymentRequired
            | SubscriptionError::PaymentNotDue
            | SubscriptionError::InvalidTransition { .. }
            | SubscriptionError::TooEarlyToExpire { .. }
            | SubscriptionError::TooEarlyToRetry { .. }
            | SubscriptionError::NoAttemptsLeft
            | SubscriptionError::AccessEnded { .. }
            | SubscriptionError::Expired
            | SubscriptionError::NotTrialing
            | SubscriptionError::TooEarlyForTrialNotice { .. }
            | SubscriptionError::DateOutOfRange => state_conflict(self.to_string()),
        }
    }
}

impl Resource for Subscription {
    const ROLE: Role = Role::Subscriptions;

    fn id(id: Uuid) -> SubscriptionId {
        SubscriptionId::new(id)
    }
}

/// A payment method member, as text: whether a provider can charge it is asked once the body
/// is read ([`chargeable`]).
fn payment_method(fields: &mut Fields) -> Option<PaymentMethod> {
    fields.text(
        "payment_method",
        PaymentMethod::MAX_CHARS,
        PaymentMethod::parse,
    )
}

/// Whether the provider can charge `method`: one it does not know is a reference to nothing
/// (409 naming `payment_method`), as a missing plan is.
fn chargeable(state: &AppState, method: &PaymentMethod) -> Result<(), Problem> {
    state
        .payments()
        .describe_method(method.as_str())
        .map(drop)
        .map_err(|error| reference_problem("payment_method", error.to_string()))
}

/// The problem a payment provider's failure is for the client.
fn payment_problem(error: PaymentError) -> Problem {
    match error {
        PaymentError::KeyReused { .. } => field_rule(
            "Idempotency-Key",
            "was already used for this operation with a different body",
        ),
        PaymentError::UnknownMethod(rule) => field_rule("payment_method", rule),
        PaymentError::Unavailable(_) => Problem::fault("charging the payment method", &error),
    }
}

fn outcome(record: &ChargeRecord) -> PaymentOutcome {
    match &record.outcome {
        Outcome::Approved => PaymentOutcome {
            outcome: "APPROVED",
            charge_id: Some(record.charge_id.clone()),
            decline_code: None,
            message: None,
        },
        Outcome::Declined { code, message } => PaymentOutcome {
            outcome: "DECLINED",
            charge_id: Some(record.charge_id.clone()),
            decline_code: Some(code.clone()),
            message: Some(message.clone()),
        },
    }
}

/// A decline's reason as the domain keeps it: the provider's message and code, within the
/// rules of a reason.
fn reason(code: &str, message: &str) -> Reason {
    let text: String = format!("{message} ({code})")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(1000)
        .collect();
    Reason::parse(&text)
        .or_else(|_| Reason::parse("the payment was declined"))
        .expect("a fixed, valid reason")
}

/// Subscribe to a plan
///
/// The caller (the token's subject) subscribes. A plan with a trial starts TRIALING and is
/// charged when the trial ends; one without is charged now: ACTIVE when approved, INCOMPLETE
/// (no access yet) when declined. Send an `Idempotency-Key` so that a retry never charges twice.
#[utoipa::path(post, path = "/subscriptions", tag = "subscriptions",
    request_body = SubscribeRequest,
    responses((status = 201, description = "Started (see status and payment)", body = Subscribed)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Response, Problem> {
    let write = Write::from_headers(&caller, &headers, "POST /subscriptions")?.for_body(&body);
    let mut fields = Fields::new(body);
    let plan_id = fields.id("plan_id");
    let method = payment_method(&mut fields);
    let account = AccountId::parse(&caller.principal.subject)
        .map_err(|e| Problem::bad_request(format!("the token's subject: {e}")))?;
    fields.finish()?;
    let (Some(plan_id), Some(method)) = (plan_id, method) else {
        return Err(Problem::bad_request("invalid body"));
    };
    chargeable(&state, &method)?;
    super::accounts::ensure_account(&state, &caller).await?;
    let id = write.new_id();
    // A retried start answers what the first one did, whatever the plan is now, with the
    // subscription's status now.
    if let Some(accepted) = state
        .earlier::<Subscription>(&write, &SubscriptionId::new(id))
        .await?
    {
        let subscription = state
            .log()
            .load::<Subscription>(&SubscriptionId::new(id))
            .await
            .map_err(|e| Problem::fault("loading the subscription", &e))?;
        let status = subscription
            .state()
            .status()
            .map(SubscriptionStatus::as_str);
        return Ok(respond(
            id,
            accepted,
            Some(format!("/subscriptions/{id}")),
            StartAnswer {
                status: status.unwrap_or("UNKNOWN"),
                payment: None,
            },
        ));
    }
    let plan_id = PlanId::new(plan_id);
    let plan = state
        .log()
        .load::<Plan>(&plan_id)
        .await
        .map_err(|e| Problem::fault("loading the plan", &e))?;
    let plan = plan.state();
    // Nothing is charged for a plan that cannot be subscribed to: the domain would refuse it
    // after the charge.
    let terms = match (plan.reference_status(), plan.terms()) {
        (ReferenceStatus::Active, Some(terms)) => terms,
        (ReferenceStatus::Inactive, _) => {
            return Err(SubscriptionError::InactivePlan(plan_id).problem());
        }
        _ => return Err(SubscriptionError::UnknownPlan(plan_id).problem()),
    };
    let now = write.ctx.now;
    let charged = if terms.trial_days.get() > 0 {
        None
    } else if terms.price.amount_minor() == 0 {
        Some((
            FirstPayment::Approved {
                paid_at: now,
                charge_id: None,
            },
            None,
        ))
    } else {
        let record = state
            .payments()
            .charge(&Charge {
                idempotency_key: format!("subscription/{id}/period/1/attempt/1"),
                customer: account.to_string(),
                payment_method: method.to_string(),
                amount_minor: terms.price.amount_minor(),
                currency: terms.price.currency().to_string(),
                description: "Codeflix subscription".to_owned(),
                requested_at: now,
            })
            .await
            .map_err(payment_problem)?;
        let first = match &record.outcome {
            Outcome::Approved => FirstPayment::Approved {
                paid_at: record.created_at,
                charge_id: Some(record.charge_id.clone()),
            },
            Outcome::Declined { code, message } => FirstPayment::Declined {
                failed_at: record.created_at,
                reason: reason(code, message),
            },
        };
        Some((first, Some(outcome(&record))))
    };
    let status = match &charged {
        None => SubscriptionStatus::Trialing,
        Some((FirstPayment::Approved { .. }, _)) => SubscriptionStatus::Active,
        Some((FirstPayment::Declined { .. }, _)) => SubscriptionStatus::Incomplete,
    };
    let (payment, answer) = match charged {
        Some((first, answer)) => (Some(first), answer),
        None => (None, None),
    };
    let command = StartSubscription {
        account_id: account,
        plan: Reference::active(plan_id),
        terms,
        started_at: now,
        payment_method: method,
        payment,
    };
    let accepted = state
        .decide::<Subscription>(
            &write,
            &SubscriptionId::new(id),
            ExpectedVersion::Exactly(Version::INITIAL),
            command.into(),
        )
        .await?;
    Ok(respond(
        id,
        accepted,
        Some(format!("/subscriptions/{id}")),
        StartAnswer {
            status: status.as_str(),
            payment: answer,
        },
    ))
}

/// A command to the subscription named by the path, by its owner or a billing admin: the
/// subscription as it is, and the write. One the caller may not act on is as missing as an
/// unknown one.
pub(crate) struct Owned {
    id: Uuid,
    write: Write,
    subscription: Subscription,
}

impl FromRequestParts<AppState> for Owned {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let (ids, target) = path_ids(parts, state).await?;
        let id = ids
            .into_iter()
            .find_map(|(name, id)| (name == "id").then_some(id))
            .ok_or_else(|| Problem::bad_request("the route names no id"))?;
        let write = Write::from_headers(&caller, &parts.headers, &target)?;
        let loaded = state
            .log()
            .load::<Subscription>(&SubscriptionId::new(id))
            .await
            .map_err(|e| Problem::fault("loading the subscription", &e))?;
        let subscription = loaded.state().clone();
        let mine = subscription.account_id() == Some(caller.principal.subject.as_str());
        if !mine && !caller.principal.may(Role::Subscriptions) {
            return Err(SubscriptionError::NotFound.problem());
        }
        Ok(Owned {
            id,
            write,
            subscription,
        })
    }
}

impl Owned {
    async fn run(
        self,
        state: &AppState,
        command: SubscriptionCommand,
    ) -> Result<Response, Problem> {
        state
            .execute::<Subscription>(
                self.write,
                self.id,
                &SubscriptionId::new(self.id),
                command,
                None,
            )
            .await
    }
}

/// Cancel a subscription
///
/// Access lasts until the end of the period paid for (trialing: of the trial); a past-due or
/// incomplete subscription ends at once. Taken back with `uncancel` until then.
#[utoipa::path(post, path = "/subscriptions/{id}/cancel", tag = "subscriptions",
    params(("id" = uuid::Uuid, Path, description = "The subscription")),
    responses((status = 200, description = "Canceled", body = crate::write::Written)))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    owned: Owned,
) -> Result<Response, Problem> {
    let at = owned.write.ctx.now;
    owned
        .run(
            &state,
            CancelSubscription {
                canceled_at: at,
                reason: None,
            }
            .into(),
        )
        .await
}

/// Take a cancellation back
#[utoipa::path(post, path = "/subscriptions/{id}/uncancel", tag = "subscriptions",
    params(("id" = uuid::Uuid, Path, description = "The subscription")),
    responses((status = 200, description = "Renewing again", body = crate::write::Written)))]
pub(crate) async fn uncancel(
    State(state): State<AppState>,
    owned: Owned,
) -> Result<Response, Problem> {
    let at = owned.write.ctx.now;
    owned.run(&state, UncancelSubscription { at }.into()).await
}

/// Change the payment method renewals and retries are charged to
#[utoipa::path(put, path = "/subscriptions/{id}/payment-method", tag = "subscriptions",
    params(("id" = uuid::Uuid, Path, description = "The subscription")),
    request_body = PaymentMethodRequest,
    responses((status = 200, description = "Changed", body = crate::write::Written)))]
pub(crate) async fn change_payment_method(
    State(state): State<AppState>,
    mut owned: Owned,
    body: JsonObject,
) -> Result<Response, Problem> {
    owned.write = owned.write.for_body(&body);
    let mut fields = Fields::new(body);
    let method = payment_method(&mut fields);
    fields.finish()?;
    let Some(method) = method else {
        return Err(Problem::bad_request("invalid body"));
    };
    chargeable(&state, &method)?;
    let at = owned.write.ctx.now;
    owned
        .run(
            &state,
            ChangePaymentMethod {
                payment_method: method,
                at,
            }
            .into(),
        )
        .await
}

/// Pay what is due now
///
/// Charges the subscription's payment method for what an INCOMPLETE subscription's first
/// period or a PAST_DUE one's period costs: approved, the subscription is ACTIVE again;
/// declined, 402 and nothing changes (a past-due subscription keeps its retry schedule).
#[utoipa::path(post, path = "/subscriptions/{id}/pay", tag = "subscriptions",
    params(("id" = uuid::Uuid, Path, description = "The subscription")),
    responses(
        (status = 200, description = "Paid", body = crate::write::Written),
        (status = 402, description = "Declined: the problem says why",
            content_type = "application/problem+json", body = crate::problem::ProblemDetails)))]
pub(crate) async fn pay(State(state): State<AppState>, owned: Owned) -> Result<Response, Problem> {
    // A retried payment answers what the first one did, whatever the subscription is now.
    if let Some(accepted) = state
        .earlier::<Subscription>(&owned.write, &SubscriptionId::new(owned.id))
        .await?
    {
        return Ok(respond(owned.id, accepted, None, ()));
    }
    let subscription = &owned.subscription;
    let status = subscription
        .status()
        .ok_or_else(|| SubscriptionError::NotFound.problem())?;
    if !matches!(
        status,
        SubscriptionStatus::Incomplete | SubscriptionStatus::PastDue
    ) {
        return Err(state_conflict(format!(
            "a {status} subscription has nothing due; payments are taken when a period is due"
        )));
    }
    let (Some(method), Some((amount, currency)), Some(account)) = (
        subscription.payment_method(),
        subscription.price(),
        subscription.account_id(),
    ) else {
        return Err(field_rule(
            "payment_method",
            "the subscription has none: set one with PUT /subscriptions/{id}/payment-method",
        ));
    };
    let now: Timestamp = owned.write.ctx.now;
    let record = state
        .payments()
        .charge(&Charge {
            idempotency_key: format!(
                "subscription/{}/period/{}/request/{}",
                owned.id,
                subscription.renewals() + 2,
                owned.write.ctx.command_id
            ),
            customer: account.to_owned(),
            payment_method: method.to_owned(),
            amount_minor: amount,
            currency: currency.to_owned(),
            description: "Codeflix subscription".to_owned(),
            requested_at: now,
        })
        .await
        .map_err(payment_problem)?;
    match &record.outcome {
        Outcome::Approved => {
            owned
                .run(
                    &state,
                    RenewSubscription {
                        paid_at: record.created_at,
                        charge_id: Some(record.charge_id.clone()),
                    }
                    .into(),
                )
                .await
        }
        Outcome::Declined { code, message } => {
            let mut problem = Problem::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment-declined",
                "The payment was declined",
                format!("{message} Change the payment method and pay again."),
            );
            problem.0.errors = vec![FieldError::new(
                "payment_method",
                format!("declined: {code}"),
            )];
            Err(problem)
        }
    }
}
