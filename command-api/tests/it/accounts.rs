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
            Some(
                json!({ "display_name": "Bo Silva", "email": "bo.silva@example.com",
                "phone": "+5511912345678", "locale": "pt_br" }),
            ),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let bad = api
        .send(
            Method::PUT,
            "/me",
            Some(&token),
            &[],
            Some(
                json!({ "display_name": "", "email": "not-an-address", "avatar": 1,
                "phone": "11 91234-5678", "locale": "Portuguese" }),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        ["display_name", "email", "phone", "locale", "avatar"],
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
    let events = account_events(&api, "bo-1").await;
    let AccountEvent::AccountProfileUpdated(updated) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(updated.phone.as_deref(), Some("+5511912345678"));
    assert_eq!(updated.locale.as_deref(), Some("pt-BR"));
}

/// An HTML request to the unsubscribe page: (status, content type, body).
async fn unsubscribe(
    api: &Api,
    method: Method,
    query: &str,
    html: bool,
) -> (StatusCode, String, String) {
    let mut request = api
        .http
        .request(method.clone(), format!("{}/unsubscribe{query}", api.base()));
    if html {
        request = request.header("accept", "text/html,application/xhtml+xml");
    }
    if method == Method::POST {
        // As a mail client's RFC 8058 one-click request.
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click");
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let kind = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opt_outs_are_set_by_the_customer_and_by_a_signed_link_without_signing_in() {
    use codeflix_domain::accounts::{AccountId, OptOutCategory, UnsubscribeKey};
    let api = Api::start().await;
    let token = codeflix_testkit::customer_token(&api.issuer, "cy-1", "cy@example.com");
    // The settings register the account from the token when it has none yet.
    let set = api
        .send(
            Method::PUT,
            "/me/notification-preferences",
            Some(&token),
            &[],
            Some(json!({ "opted_out": ["marketing"] })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let refused = api
        .send(
            Method::PUT,
            "/me/notification-preferences",
            Some(&token),
            &[],
            Some(json!({ "opted_out": ["marketing", "critical"] })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_errors()[0].0,
        "opted_out[1]",
        "{:?}",
        refused.body
    );

    let key = UnsubscribeKey::new(codeflix_testkit::UNSUBSCRIBE_SECRET.as_bytes()).unwrap();
    let link = key.token(&AccountId::parse("cy-1").unwrap(), OptOutCategory::Account);
    let query = format!("?token={link}");
    // Looking is not unsubscribing (mail scanners follow links).
    let (status, kind, page) = unsubscribe(&api, Method::GET, &query, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        page.contains("Unsubscribe?") && page.contains("c••@example.com"),
        "{page}"
    );
    assert!(page.contains("method=\"post\""), "{page}");
    let before = account_events(&api, "cy-1").await.len();
    assert_eq!(before, 2, "registered, opted out of marketing");
    // One click, twice: one change.
    for _ in 0..2 {
        let (status, _, page) = unsubscribe(&api, Method::POST, &query, false).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("You are unsubscribed"), "{page}");
    }
    let events = api
        .events(AggregateType::Account)
        .await
        .into_iter()
        .filter(|r| r.envelope.metadata.aggregate_id == "cy-1")
        .collect::<Vec<_>>();
    assert_eq!(events.len(), 3, "{events:?}");
    let last = &events[2].envelope;
    assert_eq!(last.metadata.actor, "unsubscribe-link");
    let AnyEvent::Account(AccountEvent::AccountOptOutsChanged(changed)) = &last.event else {
        panic!("{last:?}")
    };
    assert_eq!(changed.opted_out, ["account", "marketing"]);
    let (_, _, page) = unsubscribe(&api, Method::GET, &query, true).await;
    assert!(page.contains("You are unsubscribed"), "{page}");
    // In the customer's language once they chose one.
    let portuguese = api
        .send(
            Method::PUT,
            "/me",
            Some(&token),
            &[],
            Some(json!({ "display_name": "Cy", "locale": "pt-BR" })),
        )
        .await;
    assert_eq!(portuguese.status, StatusCode::OK, "{:?}", portuguese.body);
    let (_, _, page) = unsubscribe(&api, Method::GET, &query, true).await;
    assert!(
        page.contains("lang=\"pt-BR\"")
            && page.contains("Inscrição cancelada")
            && page.contains("Não enviaremos mais emails sobre a sua conta"),
        "{page}"
    );

    // A link signed with another secret, or altered, changes nothing and says why.
    let forged = UnsubscribeKey::new(b"someone-else's-secret")
        .unwrap()
        .token(
            &AccountId::parse("cy-1").unwrap(),
            OptOutCategory::Marketing,
        );
    for (query, refused) in [
        (format!("?token={forged}"), StatusCode::FORBIDDEN),
        ("?token=v1.garbage".to_owned(), StatusCode::BAD_REQUEST),
        (String::new(), StatusCode::BAD_REQUEST),
    ] {
        let (status, kind, body) = unsubscribe(&api, Method::POST, &query, false).await;
        assert_eq!(status, refused, "{query}: {body}");
        assert!(kind.starts_with("application/problem+json"), "{kind}");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["errors"][0]["field"], "token", "{problem}");
        let (status, kind, page) = unsubscribe(&api, Method::GET, &query, true).await;
        assert_eq!(status, refused);
        assert!(
            kind.starts_with("text/html") && page.contains("does not work"),
            "{page}"
        );
    }
    // A valid link to an account that does not exist.
    let nobody = key.token(
        &AccountId::parse("nobody").unwrap(),
        OptOutCategory::Account,
    );
    let (status, _, _) = unsubscribe(&api, Method::POST, &format!("?token={nobody}"), false).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(account_events(&api, "cy-1").await.len(), 4);
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
