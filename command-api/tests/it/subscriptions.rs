//! Customers' subscriptions through the API: what is charged (counted in the development
//! provider's ledger), what reached Kafka, and who may do what.

use codeflix_domain::subscriptions::subscription::SubscriptionEvent;
use codeflix_domain::{AggregateType, AnyEvent, DomainEvent};
use codeflix_payments::Outcome;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use codeflix_testkit::{Answer, CommandApi as Api};

/// A plan created by an admin: `trial_days` free, 29.90 BRL a month.
async fn plan(api: &Api, trial_days: i64) -> String {
    let created = api
        .admin_send(
            Method::POST,
            "/plans",
            Some(json!({
                "name": "Premium",
                "amount_minor": 2990,
                "currency": "BRL",
                "billing_period": "MONTHLY",
                "trial_days": trial_days,
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.id()
}

fn customer(api: &Api, subject: &str) -> String {
    codeflix_testkit::token(&api.issuer, subject, &[])
}

async fn as_customer(
    api: &Api,
    subject: &str,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let token = customer(api, subject);
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    api.send(method, path, Some(&token), &headers, body).await
}

/// The subscription's events in Kafka, by type.
async fn events(api: &Api, id: &str) -> Vec<SubscriptionEvent> {
    api.events(AggregateType::Subscription)
        .await
        .into_iter()
        .filter(|r| r.envelope.metadata.aggregate_id == id)
        .filter_map(|r| match r.envelope.event {
            AnyEvent::Subscription(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_start_is_charged_once_however_often_it_is_retried() {
    let api = Api::start().await;
    let plan = plan(&api, 0).await;
    let body = json!({ "plan_id": plan, "payment_method": "card_4242424242424242" });
    let first = as_customer(
        &api,
        "ana",
        Method::POST,
        "/subscriptions",
        Some("subscribe-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["status"], "ACTIVE");
    assert_eq!(first.body["payment"]["outcome"], "APPROVED");
    let id = first.id();
    assert_eq!(
        first.header("location"),
        Some(format!("/subscriptions/{id}").as_str())
    );
    let again = as_customer(
        &api,
        "ana",
        Method::POST,
        "/subscriptions",
        Some("subscribe-1"),
        Some(body),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_eq!(again.id(), id);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["status"], "ACTIVE");

    let ledger = api.payments.ledger(Some("ana")).await.unwrap();
    assert_eq!(ledger.len(), 1, "one charge: {ledger:?}");
    assert_eq!(ledger[0].record.amount_minor, 2990);
    assert_eq!(ledger[0].record.outcome, Outcome::Approved);
    let events = events(&api, &id).await;
    let [SubscriptionEvent::SubscriptionStarted(started)] = events.as_slice() else {
        panic!("one start: {events:?}");
    };
    assert_eq!(started.account_id, "ana");
    assert_eq!(
        started.payment_method.as_deref(),
        Some("card_4242424242424242")
    );
    assert_eq!(
        started.charge_id.as_ref(),
        Some(&ledger[0].record.charge_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_start_is_incomplete_until_a_new_card_pays() {
    let api = Api::start().await;
    let plan = plan(&api, 0).await;
    let started = as_customer(
        &api,
        "bo",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({ "plan_id": plan, "payment_method": "card_4000000000009995" })),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    assert_eq!(started.body["status"], "INCOMPLETE");
    assert_eq!(
        started.body["payment"]["decline_code"],
        "insufficient_funds"
    );
    let id = started.id();

    // Paying again with the same card is declined and changes nothing.
    let declined = as_customer(
        &api,
        "bo",
        Method::POST,
        &format!("/subscriptions/{id}/pay"),
        None,
        None,
    )
    .await;
    assert_eq!(
        declined.status,
        StatusCode::PAYMENT_REQUIRED,
        "{:?}",
        declined.body
    );
    assert_eq!(
        declined.body["type"],
        "urn:codeflix:problem:payment-declined"
    );
    assert_eq!(declined.field_errors()[0].0, "payment_method");

    let changed = as_customer(
        &api,
        "bo",
        Method::PUT,
        &format!("/subscriptions/{id}/payment-method"),
        None,
        Some(json!({ "payment_method": "card_5555555555554444" })),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let paid = as_customer(
        &api,
        "bo",
        Method::POST,
        &format!("/subscriptions/{id}/pay"),
        Some("pay-1"),
        None,
    )
    .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    let retried = as_customer(
        &api,
        "bo",
        Method::POST,
        &format!("/subscriptions/{id}/pay"),
        Some("pay-1"),
        None,
    )
    .await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    assert_eq!(retried.header("idempotent-replayed"), Some("true"));

    let charges = api.payments.ledger(Some("bo")).await.unwrap();
    let outcomes: Vec<bool> = charges
        .iter()
        .map(|c| c.record.outcome == Outcome::Approved)
        .collect();
    assert_eq!(outcomes, [false, false, true], "{charges:?}");
    let types: Vec<&str> = events(&api, &id)
        .await
        .iter()
        .map(|e| e.event_type())
        .collect();
    assert_eq!(
        types,
        [
            "SubscriptionStarted",
            "SubscriptionPaymentMethodChanged",
            "SubscriptionActivated"
        ]
    );
    let now_active = as_customer(
        &api,
        "bo",
        Method::POST,
        &format!("/subscriptions/{id}/pay"),
        None,
        None,
    )
    .await;
    assert_eq!(now_active.status, StatusCode::CONFLICT, "nothing is due");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_is_not_charged_and_only_its_owner_or_billing_may_cancel() {
    let api = Api::start().await;
    let plan = plan(&api, 7).await;
    let started = as_customer(
        &api,
        "cy",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({ "plan_id": plan, "payment_method": "card_4242424242424242" })),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    assert_eq!(started.body["status"], "TRIALING");
    assert_eq!(started.body["payment"], Value::Null);
    assert!(api.payments.ledger(None).await.unwrap().is_empty());
    let id = started.id();
    let cancel = format!("/subscriptions/{id}/cancel");

    let stranger = as_customer(&api, "mallory", Method::POST, &cancel, None, None).await;
    assert_eq!(
        stranger.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        stranger.body
    );
    let anonymous = api.send(Method::POST, &cancel, None, &[], None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let canceled = as_customer(&api, "cy", Method::POST, &cancel, None, None).await;
    assert_eq!(canceled.status, StatusCode::OK, "{:?}", canceled.body);
    let uncancel = format!("/subscriptions/{id}/uncancel");
    let back = as_customer(&api, "cy", Method::POST, &uncancel, None, None).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    let billing = api.token(&["billing-subscriptions"]);
    let by_admin = api
        .send(Method::POST, &cancel, Some(&billing), &[], None)
        .await;
    assert_eq!(by_admin.status, StatusCode::OK, "{:?}", by_admin.body);
    let types: Vec<&str> = events(&api, &id)
        .await
        .iter()
        .map(|e| e.event_type())
        .collect();
    assert_eq!(
        types,
        [
            "SubscriptionStarted",
            "SubscriptionCanceled",
            "SubscriptionUncanceled",
            "SubscriptionCanceled"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_are_refused_before_anything_is_charged() {
    let api = Api::start().await;
    let plan = plan(&api, 0).await;
    let empty = as_customer(
        &api,
        "di",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = empty.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["plan_id", "payment_method"]);

    let unknown_field = as_customer(
        &api,
        "di",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({ "plan_id": plan, "payment_method": "card_4242424242424242", "coupon": "x" })),
    )
    .await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_field.field_errors()[0].0, "coupon");
    // Well-formed, but no card the provider knows: a reference to nothing, as a missing plan.
    let not_a_card = as_customer(
        &api,
        "di",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({ "plan_id": plan, "payment_method": "pm_1Nq2xY" })),
    )
    .await;
    assert_eq!(
        not_a_card.status,
        StatusCode::CONFLICT,
        "{:?}",
        not_a_card.body
    );
    assert_eq!(not_a_card.field_errors()[0].0, "payment_method");

    let unknown = as_customer(
        &api,
        "di",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({
            "plan_id": "00000000-0000-0000-0000-000000000001",
            "payment_method": "card_4242424242424242"
        })),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::CONFLICT, "{:?}", unknown.body);
    assert_eq!(unknown.field_errors()[0].0, "plan_id");

    let retired = api
        .admin_send(Method::POST, &format!("/plans/{plan}/deactivate"), None)
        .await;
    assert_eq!(retired.status, StatusCode::OK);
    let inactive = as_customer(
        &api,
        "di",
        Method::POST,
        "/subscriptions",
        None,
        Some(json!({ "plan_id": plan, "payment_method": "card_4242424242424242" })),
    )
    .await;
    assert_eq!(inactive.status, StatusCode::CONFLICT, "{:?}", inactive.body);
    assert_eq!(inactive.field_errors()[0].0, "plan_id");

    assert!(
        api.payments.ledger(None).await.unwrap().is_empty(),
        "nothing was charged"
    );
    assert!(
        api.events(AggregateType::Subscription).await.is_empty(),
        "nothing was appended"
    );
}
