//! Plans through the API: what admins may create and change, what they may not, and what
//! reached Kafka.

use codeflix_domain::subscriptions::plan::PlanEvent;
use codeflix_domain::{AggregateType, AnyEvent};
use reqwest::{Method, StatusCode};
use serde_json::json;

use codeflix_testkit::CommandApi as Api;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_changes_and_retires_a_plan() {
    let api = Api::start().await;
    let created = api
        .admin_send(
            Method::POST,
            "/plans",
            Some(json!({
                "name": "Premium",
                "description": "Every video, in 4K",
                "amount_minor": 2990,
                "currency": "brl",
                "billing_period": "MONTHLY",
                "trial_days": 7,
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("/plans/{id}").as_str())
    );
    let path = format!("/plans/{id}");

    // A new price for new subscriptions; the period stays.
    let changed = api
        .admin_send(
            Method::PUT,
            &path,
            Some(json!({
                "name": "Premium",
                "amount_minor": 3490,
                "currency": "BRL",
                "billing_period": "MONTHLY",
            })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let period = api
        .admin_send(
            Method::PUT,
            &path,
            Some(json!({
                "name": "Premium",
                "amount_minor": 3490,
                "currency": "BRL",
                "billing_period": "YEARLY",
            })),
        )
        .await;
    assert_eq!(period.status, StatusCode::CONFLICT);
    assert_eq!(period.body["type"], "urn:codeflix:problem:state-conflict");
    assert_eq!(period.field_errors()[0].0, "billing_period");

    let retired = api
        .admin_send(Method::POST, &format!("{path}/deactivate"), None)
        .await;
    assert_eq!(retired.status, StatusCode::OK);
    let again = api
        .admin_send(Method::POST, &format!("{path}/deactivate"), None)
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "retiring twice changes nothing"
    );
    let unknown = api
        .admin_send(
            Method::POST,
            "/plans/00000000-0000-4000-8000-000000000001/activate",
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let history = api.history(AggregateType::Plan, &id).await;
    assert_eq!(
        history,
        [
            ("PlanCreated".into(), 1),
            ("PlanUpdated".into(), 2),
            ("PlanDeactivated".into(), 3),
        ]
    );
    let events = api.events(AggregateType::Plan).await;
    let created = events
        .iter()
        .find_map(|e| match &e.envelope.event {
            AnyEvent::Plan(PlanEvent::PlanCreated(created)) => Some(created),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (
            created.amount_minor,
            created.currency.as_str(),
            created.trial_days
        ),
        (2990, "BRL", 7)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_plan_names_every_broken_rule_and_changes_nothing() {
    let api = Api::start().await;
    let refused = api
        .admin_send(
            Method::POST,
            "/plans",
            Some(json!({
                "name": " ",
                "amount_minor": -1,
                "currency": "R$",
                "billing_period": "WEEKLY",
                "trial_days": 91,
                "color": "gold",
            })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<String> = refused.field_errors().into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "amount_minor",
            "billing_period",
            "color",
            "currency",
            "name",
            "trial_days"
        ]
    );
    let too_dear = api
        .admin_send(
            Method::POST,
            "/plans",
            Some(json!({
                "name": "Gold",
                "amount_minor": 1_000_000_001,
                "currency": "BRL",
                "billing_period": "YEARLY",
            })),
        )
        .await;
    assert_eq!(too_dear.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_dear.field_errors()[0].0, "amount_minor");
    assert!(api.events(AggregateType::Plan).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_need_the_billing_role() {
    let api = Api::start().await;
    let body = json!({
        "name": "Basic",
        "amount_minor": 990,
        "currency": "BRL",
        "billing_period": "MONTHLY",
    });
    let videos = api.token(&["catalog-videos"]);
    let refused = api
        .send(
            Method::POST,
            "/plans",
            Some(&videos),
            &[],
            Some(body.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let billing = api.token(&["billing-plans"]);
    let accepted = api
        .send(Method::POST, "/plans", Some(&billing), &[], Some(body))
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{:?}", accepted.body);
}
