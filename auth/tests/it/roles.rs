//! The contract every `RoleAdmin` keeps, run against the development issuer always and against
//! Keycloak when `CODEFLIX_TEST_KEYCLOAK_URL` (a realm URL, e.g.
//! `http://127.0.0.1:8180/realms/codeflix`) and `CODEFLIX_TEST_KEYCLOAK_SECRET` (the
//! `codeflix-admin` client's secret) are set.

use codeflix_auth::{DevIssuer, KeycloakRoles, NewUser, RoleAdmin, RoleAdminError};
use serde_json::{Value, json};

/// Runs the contract on `subject`, an account that exists at `admin`'s identity provider.
async fn contract(admin: &dyn RoleAdmin, subject: &str) {
    let set = |roles: &[&str]| roles.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>();
    admin
        .set_roles(subject, &set(&["viewer", "billing-plans"]))
        .await
        .unwrap();
    assert_eq!(
        admin.roles(subject).await.unwrap(),
        ["billing-plans", "viewer"]
    );
    admin.set_roles(subject, &set(&["viewer"])).await.unwrap();
    assert_eq!(admin.roles(subject).await.unwrap(), ["viewer"]);
    admin.set_roles(subject, &set(&["viewer"])).await.unwrap();
    assert_eq!(
        admin.roles(subject).await.unwrap(),
        ["viewer"],
        "idempotent"
    );
    admin.set_roles(subject, &[]).await.unwrap();
    assert!(admin.roles(subject).await.unwrap().is_empty());
    assert!(matches!(
        admin.set_roles(subject, &set(&["no-such-role"])).await,
        Err(RoleAdminError::UnknownRole(role)) if role == "no-such-role"
    ));
    assert!(matches!(
        admin
            .set_roles("00000000-0000-0000-0000-000000000000", &set(&["viewer"]))
            .await,
        Err(RoleAdminError::UnknownSubject(_))
    ));
}

#[tokio::test]
async fn the_development_issuer_keeps_the_role_admin_contract() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = DevIssuer::open(
        &dir.path().join("signing-key.pem"),
        "http://127.0.0.1:9/realms/codeflix",
    )
    .unwrap();
    let user = issuer
        .add_user(NewUser {
            email: "rae@example.com".into(),
            name: "Rae".into(),
            password: "a long walk to the sea".into(),
            roles: vec!["viewer".into(), "beta-tester".into()],
        })
        .await
        .unwrap();
    contract(&issuer, &user.subject).await;
    // Roles Codeflix does not manage are left as they were.
    let stored = issuer.user(&user.subject).await.unwrap().unwrap();
    assert_eq!(stored.roles, ["beta-tester"]);
}

#[tokio::test]
async fn keycloak_keeps_the_role_admin_contract() {
    let (Ok(realm), Ok(secret)) = (
        std::env::var("CODEFLIX_TEST_KEYCLOAK_URL"),
        std::env::var("CODEFLIX_TEST_KEYCLOAK_SECRET"),
    ) else {
        println!(
            "skipped: set CODEFLIX_TEST_KEYCLOAK_URL and CODEFLIX_TEST_KEYCLOAK_SECRET to run \
             the contract against Keycloak (compose/ starts one)"
        );
        return;
    };
    let admin = KeycloakRoles::new(&realm, "codeflix-admin", &secret).unwrap();
    // A user of its own, made through the same admin API.
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{realm}/protocol/openid-connect/token"))
        .basic_auth("codeflix-admin", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let users = realm.replacen("/realms/", "/admin/realms/", 1) + "/users";
    let name = format!("contract-{}", std::process::id());
    let created = http
        .post(&users)
        .bearer_auth(token)
        .json(&json!({ "username": name, "email": format!("{name}@example.com"), "enabled": true }))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    let subject = created.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    contract(&admin, &subject).await;
    http.delete(format!("{users}/{subject}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
}
