//! Accounts: registered from the token's claims on first use, edited by their owner, their
//! roles following the token's.

use codeflix_domain::accounts::AccountEvent;
use codeflix_domain::{AggregateType, AnyEvent};
use reqwest::{Method, StatusCode};
use serde_json::json;

use codeflix_testkit::CommandApi as Api;

async fn account_events(api: &Api, subject: &str) -> Vec<AccountEvent> {
    api.events(AggregateType::Account)
        .await
        .into_iter()
        .filter(|r| r.envelope.metadata.aggregate_id == subject)
        .filter_map(|r| match r.envelope.event {
            AnyEvent::Account(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_first_subscription_registers_their_account_from_the_token() {
    let api = Api::start().await;
    let plan = api
        .admin_send(
            Method::POST,
            "/plans",
            Some(
                json!({"name": "Basic", "amount_minor": 1990, "currency": "BRL",
                "billing_period": "MONTHLY", "trial_days": 7}),
            ),
        )
        .await
        .id();
    let token = codeflix_testkit::customer_token(&api.issuer, "ana-1", "ana@example.com");
    for key in ["first", "second"] {
        let started = api
            .send(
                Method::POST,
                "/subscriptions",
                Some(&token),
                &[("idempotency-key", key)],
                Some(json!({ "plan_id": plan, "payment_method": "card_4242424242424242" })),
            )
            .await;
        assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    }
    let events = account_events(&api, "ana-1").await;
    let [AccountEvent::AccountRegistered(registered)] = events.as_slice() else {
        panic!("registered once: {events:?}");
    };
    assert_eq!(registered.email, "ana@example.com");
    assert_eq!(registered.display_name, "Customer ana-1");
    assert_eq!(registered.roles, ["viewer"]);

    // A script's token without an email registers nothing.
    let script = api.token(&["billing-subscriptions"]);
    let by_script = api
        .send(
            Method::POST,
            "/subscriptions",
            Some(&script),
            &[],
            Some(json!({ "plan_id": plan, "payment_method": "card_4242424242424242" })),
        )
        .await;
    assert_eq!(
        by_script.status,
        StatusCode::CREATED,
        "{:?}",
        by_script.body
    );
    assert!(account_events(&api, "admin-1").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_is_registered_then_edited_with_every_broken_rule_named() {
    let api = Api::start().await;
    let token = codeflix_testkit::customer_token(&api.issuer, "bo-1", "bo@example.com");
    let registered = api
        .send(
            Method::PUT,
            "/me",
            Some(&token),
            &[],
            Some(json!({ "display_name": "Bo" })),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );
    assert_eq!(registered.body["subject"], "bo-1");
    let edited = api
        .send(
            Method::PUT,
            "/me",
            Some(&token),
            &[],
            Some(json!({ "display_name": "Bo Silva", "email": "bo.silva@example.com" })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let bad = api
        .send(
            Method::PUT,
            "/me",
            Some(&token),
            &[],
            Some(json!({ "display_name": "", "email": "not-an-address", "avatar": 1 })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        ["display_name", "email", "avatar"],
        "{:?}",
        bad.body
    );
    // Without an email in the token, the body must name one.
    let script = api.token(&[]);
    let no_email = api
        .send(
            Method::PUT,
            "/me",
            Some(&script),
            &[],
            Some(json!({ "display_name": "Script" })),
        )
        .await;
    assert_eq!(no_email.status, StatusCode::CONFLICT, "{:?}", no_email.body);
    assert_eq!(no_email.field_errors()[0].0, "email");

    let types: Vec<&str> = account_events(&api, "bo-1")
        .await
        .iter()
        .map(|e| codeflix_domain::DomainEvent::event_type(e))
        .collect();
    assert_eq!(types, ["AccountRegistered", "AccountProfileUpdated"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_admin_changes_roles_at_the_identity_provider_and_in_the_log() {
    let api = Api::start().await;
    let user = api
        .issuer
        .add_user(codeflix_auth::NewUser {
            email: "cy@example.com".into(),
            name: "Cy".into(),
            password: "a long walk to the sea".into(),
            roles: vec!["viewer".into()],
        })
        .await
        .unwrap();
    let subject = user.subject.clone();
    let own = codeflix_testkit::customer_token(&api.issuer, &subject, "cy@example.com");
    let registered = api
        .send(
            Method::PUT,
            "/me",
            Some(&own),
            &[],
            Some(json!({ "display_name": "Cy" })),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );
    let path = format!("/accounts/{subject}/roles");
    let admin = api.token(&["accounts-admin"]);

    let changed = api
        .send(
            Method::PUT,
            &path,
            Some(&admin),
            &[],
            Some(json!({ "roles": ["viewer", "billing-plans"] })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let at_issuer = api.issuer.user(&subject).await.unwrap().unwrap();
    assert_eq!(at_issuer.roles, ["billing-plans", "viewer"]);
    let events = account_events(&api, &subject).await;
    let Some(AccountEvent::AccountRolesChanged(last)) = events.last() else {
        panic!("{events:?}");
    };
    assert_eq!(last.roles, ["billing-plans", "viewer"]);

    let bad = api
        .send(
            Method::PUT,
            &path,
            Some(&admin),
            &[],
            Some(json!({ "roles": ["viewer", "root"] })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["roles[1]"], "{:?}", bad.body);
    let not_allowed = api
        .send(
            Method::PUT,
            &path,
            Some(&api.token(&["billing-subscriptions"])),
            &[],
            Some(json!({ "roles": [] })),
        )
        .await;
    assert_eq!(not_allowed.status, StatusCode::FORBIDDEN);
    let nobody = api
        .send(
            Method::PUT,
            "/accounts/nobody/roles",
            Some(&admin),
            &[],
            Some(json!({ "roles": [] })),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND, "{:?}", nobody.body);
    assert_eq!(
        api.issuer.user(&subject).await.unwrap().unwrap().roles,
        ["billing-plans", "viewer"],
        "refused changes change nothing"
    );
}
