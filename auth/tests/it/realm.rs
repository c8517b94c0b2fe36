//! Keycloak's realm (compose/keycloak/codeflix-realm.json) is the development issuer's twin:
//! the roles the code checks, the clients it names, PKCE, the audience the APIs need, and the
//! same password and attempt rules.

use std::collections::BTreeSet;

use codeflix_auth::{DEFAULT_CLIENT_ID, Role, VIEWER_ROLE, WEB_CLIENT_ID};
use serde_json::Value;

fn realm() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../compose/keycloak/codeflix-realm.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn client<'a>(realm: &'a Value, id: &str) -> &'a Value {
    realm["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clientId"] == id)
        .unwrap_or_else(|| panic!("no client {id}"))
}

#[test]
fn the_realm_has_exactly_the_roles_the_code_checks() {
    let realm = realm();
    assert_eq!(realm["realm"], "codeflix");
    let default_role = realm["defaultRole"]["name"].as_str().unwrap();
    let names: BTreeSet<&str> = realm["roles"]["realm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .filter(|name| *name != default_role)
        .collect();
    let mut expected: BTreeSet<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    expected.insert(VIEWER_ROLE);
    assert_eq!(names, expected);
    // Registration grants the customers' role, and nothing else.
    let defaults = realm["roles"]["realm"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == default_role)
        .unwrap();
    assert_eq!(
        defaults["composites"]["realm"],
        serde_json::json!([VIEWER_ROLE])
    );
    assert_eq!(realm["registrationAllowed"], true);
}

#[test]
fn the_web_client_is_public_with_pkce_and_names_the_apis_audience() {
    let realm = realm();
    let web = client(&realm, WEB_CLIENT_ID);
    assert_eq!(web["publicClient"], true);
    assert_eq!(web["standardFlowEnabled"], true);
    assert_eq!(web["implicitFlowEnabled"], false);
    assert_eq!(web["directAccessGrantsEnabled"], false);
    assert_eq!(web["attributes"]["pkce.code.challenge.method"], "S256");
    let audience = web["protocolMappers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["protocolMapper"] == "oidc-audience-mapper")
        .expect("an audience mapper");
    assert_eq!(
        audience["config"]["included.client.audience"],
        DEFAULT_CLIENT_ID
    );
    assert_eq!(audience["config"]["access.token.claim"], "true");
    let redirects: Vec<&str> = web["redirectUris"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    for api in ["http://localhost:8080/*", "http://localhost:8082/*"] {
        assert!(redirects.contains(&api), "{redirects:?}");
    }
}

#[test]
fn the_admin_client_is_confidential_with_a_service_account() {
    let realm = realm();
    let admin = client(&realm, DEFAULT_CLIENT_ID);
    assert_eq!(admin["publicClient"], false);
    assert_eq!(admin["serviceAccountsEnabled"], true);
    assert_eq!(admin["standardFlowEnabled"], false);
    assert!(
        admin["secret"].as_str().unwrap().starts_with("${"),
        "the secret comes from the environment, never the repository"
    );
    let account = realm["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["serviceAccountClientId"] == DEFAULT_CLIENT_ID)
        .expect("the service account");
    assert_eq!(
        account["realmRoles"],
        serde_json::json!([Role::CatalogAdmin.as_str()])
    );
}

#[test]
fn passwords_and_attempts_follow_the_development_issuers_rules() {
    let realm = realm();
    let policy = realm["passwordPolicy"].as_str().unwrap();
    for rule in ["length(8)", "maxLength(1024)", "notEmail(undefined)"] {
        assert!(policy.contains(rule), "{policy}");
    }
    assert_eq!(realm["bruteForceProtected"], true);
    assert_eq!(realm["failureFactor"], 5);
    assert_eq!(realm["maxDeltaTimeSeconds"], 900);
    assert_eq!(realm["accessTokenLifespan"], 300);
    assert_eq!(realm["accessCodeLifespan"], 60);
    assert_eq!(realm["revokeRefreshToken"], true);
}
