//! Every route refuses missing, expired, foreign and forged tokens (401) and wrong roles (403),
//! but the one the OpenAPI document declares public: unsubscribe links, whose signed token is the
//! proof.

use std::time::{Duration, SystemTime};

use codeflix_auth::{DevIssuer, TokenRequest};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use codeflix_testkit::CommandApi as Api;

/// Every operation of the OpenAPI document that needs a bearer token: method, concrete path,
/// whether it takes a body.
async fn operations(api: &Api) -> Vec<(Method, String, bool)> {
    let document = api
        .send(Method::GET, "/openapi.json", None, &[], None)
        .await;
    assert_eq!(document.status, StatusCode::OK);
    let mut operations = Vec::new();
    let mut public = Vec::new();
    for (template, item) in document.body["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if operation["security"].as_array().is_some_and(Vec::is_empty) {
                public.push(format!("{method} {template}"));
                continue;
            }
            let path = template
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        segment.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            operations.push((method, path, operation.get("requestBody").is_some()));
        }
    }
    assert!(operations.len() >= 29, "{operations:?}");
    assert_eq!(public, ["GET /unsubscribe", "POST /unsubscribe"]);
    operations
}

fn mint(issuer: &DevIssuer, roles: &[&str], issued: SystemTime) -> String {
    issuer
        .mint(
            &TokenRequest {
                subject: "someone".into(),
                username: None,
                email: None,
                name: None,
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                client_roles: Vec::new(),
                lifetime: Duration::from_secs(600),
                audience: None,
            },
            issued,
        )
        .unwrap()
}

/// The role a path needs; none where any signed-in customer may ask (for their own).
fn role_of(path: &str) -> Option<&'static str> {
    match path.split('/').nth(1) {
        Some("categories") => Some("catalog-categories"),
        Some("genres") => Some("catalog-genres"),
        Some("cast-members") => Some("catalog-cast-members"),
        Some("videos" | "uploads") => Some("catalog-videos"),
        Some("plans") => Some("billing-plans"),
        Some("accounts") => Some("accounts-admin"),
        Some("admin") => Some("operations"),
        Some("subscriptions" | "me") => None,
        other => panic!("no role known for {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_bad_credentials_and_wrong_roles() {
    let api = Api::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other.pem");
    let forger = DevIssuer::open(&key, api.issuer.issuer()).unwrap();
    let foreign = DevIssuer::open(&key, "http://elsewhere/realms/codeflix").unwrap();
    let now = SystemTime::now();

    let expired = mint(
        &api.issuer,
        &["catalog-admin"],
        now - Duration::from_secs(7200),
    );
    let wrong_issuer = mint(&foreign, &["catalog-admin"], now);
    // A token by another key, presented under the real key's id.
    let genuine = mint(&api.issuer, &["catalog-admin"], now);
    let forged = mint(&forger, &["catalog-admin"], now);
    let forged = format!(
        "{}.{}",
        genuine.split('.').next().unwrap(),
        forged.split_once('.').unwrap().1
    );

    for (method, path, has_body) in operations(&api).await {
        let body: Option<Value> = has_body.then(|| json!({}));
        let none = api
            .send(method.clone(), &path, None, &[], body.clone())
            .await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert!(
            none.header("www-authenticate")
                .is_some_and(|c| c.starts_with("Bearer")),
            "{method} {path}"
        );
        for (what, token) in [
            ("expired", &expired),
            ("wrong issuer", &wrong_issuer),
            ("forged", &forged),
        ] {
            let answer = api
                .send(method.clone(), &path, Some(token), &[], body.clone())
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{what} token on {method} {path}: {:?}",
                answer.body
            );
        }
        let Some(needed) = role_of(&path) else {
            let customer = api
                .send(
                    method.clone(),
                    &path,
                    Some(&mint(&api.issuer, &[], now)),
                    &[],
                    body,
                )
                .await;
            assert!(
                ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&customer.status),
                "{method} {path} as a customer: {:?}",
                customer.status
            );
            continue;
        };
        let other = if needed == "catalog-videos" {
            "catalog-genres"
        } else {
            "catalog-videos"
        };
        let wrong_role = api
            .send(
                method.clone(),
                &path,
                Some(&mint(&api.issuer, &[other, "viewer"], now)),
                &[],
                body.clone(),
            )
            .await;
        assert_eq!(wrong_role.status, StatusCode::FORBIDDEN, "{method} {path}");
        if method != Method::HEAD {
            assert!(
                wrong_role.body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(needed)),
                "{method} {path}: {:?}",
                wrong_role.body
            );
        }
        let right_role = api
            .send(
                method.clone(),
                &path,
                Some(&mint(&api.issuer, &[needed], now)),
                &[],
                body,
            )
            .await;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&right_role.status),
            "{method} {path} with {needed}: {:?}",
            right_role.status
        );
    }
}

/// The development issuer mints any role for whoever reads its key: it refuses to serve a
/// network unless forced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_issuer_refuses_to_listen_beyond_loopback_unless_forced() {
    use codeflix_command_api::{Application, AuthConfig, BuildError, CommandApiConfig};
    let dir = tempfile::tempdir().unwrap();
    let stack = codeflix_eventlog::embedded::EmbeddedStack::start(dir.path())
        .await
        .unwrap();
    let payments: std::sync::Arc<dyn codeflix_payments::PaymentProvider> = std::sync::Arc::new(
        codeflix_payments::DevelopmentPayments::open(&dir.path().join("payments.db"), Vec::new())
            .await
            .unwrap(),
    );
    let config = |force: bool| {
        let mut auth = AuthConfig::development(dir.path().join("dev-issuer.pem"));
        auth.dev_issuer_off_loopback = force;
        CommandApiConfig {
            listen: "0.0.0.0:0".parse().unwrap(),
            public_url: None,
            event_log: stack.config(),
            auth,
            media: codeflix_storage::MediaStore::local(&dir.path().join("media")).unwrap(),
            upload_expiry: std::time::Duration::from_secs(3600),
            sweep_every: std::time::Duration::from_secs(600),
            payments: payments.clone(),
            unsubscribe_key: None,
            consumers: Vec::new(),
        }
    };
    let refused = Application::build(config(false)).await;
    assert!(
        matches!(refused, Err(BuildError::DevIssuerOffLoopback { .. })),
        "{:?}",
        refused.map(|app| app.url().to_owned())
    );
    let forced = Application::build(config(true)).await.unwrap();
    assert!(forced.dev_issuer().is_some());
}
