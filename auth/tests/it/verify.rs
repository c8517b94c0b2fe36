//! The verifier against issuers served over real HTTP.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::get;
use codeflix_auth::{AuthError, DevIssuer, Role, TokenRequest, Verifier, VerifierConfig};
use jsonwebtoken::jwk::JwkSet;

struct Served {
    base: String,
    jwks: Arc<Mutex<JwkSet>>,
    _task: tokio::task::JoinHandle<()>,
}

/// Serves discovery plus a JWKS the test can swap, at `{base}/realms/codeflix`.
async fn serve(initial: JwkSet) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let jwks = Arc::new(Mutex::new(initial));
    let issuer = format!("{base}/realms/codeflix");
    let served = jwks.clone();
    let app = Router::new()
        .route(
            "/realms/codeflix/.well-known/openid-configuration",
            get(move || {
                let issuer = issuer.clone();
                async move {
                    axum::Json(serde_json::json!({
                        "issuer": issuer,
                        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
                    }))
                }
            }),
        )
        .route(
            "/realms/codeflix/protocol/openid-connect/certs",
            get(move || {
                let set = served.lock().unwrap().clone();
                async move { axum::Json(set) }
            }),
        );
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Served {
        base,
        jwks,
        _task: task,
    }
}

fn admin(lifetime: Duration) -> TokenRequest {
    TokenRequest {
        subject: "user-1".into(),
        username: Some("ana".into()),
        email: None,
        name: None,
        roles: vec![Role::Videos.as_str().into()],
        client_roles: Vec::new(),
        lifetime,
        audience: None,
    }
}

fn config(base: &str) -> VerifierConfig {
    let mut config = VerifierConfig::new(&format!("{base}/realms/codeflix"));
    config.min_refresh_interval = Duration::ZERO;
    config.leeway = Duration::ZERO;
    config
}

#[tokio::test]
async fn accepts_a_valid_token_and_reads_its_roles() {
    let dir = tempfile::tempdir().unwrap();
    let placeholder = DevIssuer::open(&dir.path().join("k"), "http://x/realms/codeflix").unwrap();
    let served = serve(placeholder.jwks()).await;
    let issuer = DevIssuer::open(
        &dir.path().join("k"),
        &format!("{}/realms/codeflix", served.base),
    )
    .unwrap();
    let verifier = Verifier::new(config(&served.base));
    let token = issuer
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    let principal = verifier
        .verify_header(Some(&format!("Bearer {token}")))
        .await
        .unwrap();
    assert_eq!(principal.subject, "user-1");
    assert_eq!(principal.username.as_deref(), Some("ana"));
    assert_eq!(principal.email, None, "minted tokens carry no email");
    assert_eq!(principal.name, None);
    assert!(principal.may(Role::Videos));
    assert!(!principal.may(Role::Categories));
}

#[tokio::test]
async fn reads_client_roles_of_its_own_client_only() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(JwkSet { keys: vec![] }).await;
    let issuer = DevIssuer::open(
        &dir.path().join("k"),
        &format!("{}/realms/codeflix", served.base),
    )
    .unwrap();
    *served.jwks.lock().unwrap() = issuer.jwks();
    let verifier = Verifier::new(config(&served.base));
    let mut request = admin(Duration::from_secs(60));
    request.roles = vec![];
    request.client_roles = vec![
        ("codeflix-admin".into(), Role::Genres.as_str().into()),
        ("another-app".into(), Role::CatalogAdmin.as_str().into()),
    ];
    let token = issuer.mint(&request, SystemTime::now()).unwrap();
    let principal = verifier.verify(&token).await.unwrap();
    assert!(principal.may(Role::Genres));
    assert!(
        !principal.may(Role::Videos),
        "another client's catalog-admin role must not count"
    );
}

#[tokio::test]
async fn refuses_missing_expired_foreign_and_forged_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(JwkSet { keys: vec![] }).await;
    let issuer_url = format!("{}/realms/codeflix", served.base);
    let issuer = DevIssuer::open(&dir.path().join("good"), &issuer_url).unwrap();
    *served.jwks.lock().unwrap() = issuer.jwks();
    let verifier = Verifier::new(config(&served.base));

    assert_eq!(verifier.verify_header(None).await, Err(AuthError::Missing));
    assert_eq!(
        verifier.verify_header(Some("Basic YTpi")).await,
        Err(AuthError::Missing)
    );
    assert!(matches!(
        verifier.verify("not.a.token").await,
        Err(AuthError::Malformed(_))
    ));

    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let expired = issuer
        .mint(&admin(Duration::from_secs(60)), an_hour_ago)
        .unwrap();
    assert_eq!(verifier.verify(&expired).await, Err(AuthError::Expired));

    // Same key, another issuer in `iss`.
    let other = DevIssuer::open(&dir.path().join("good"), "http://evil/realms/codeflix").unwrap();
    let foreign = other
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    assert_eq!(verifier.verify(&foreign).await, Err(AuthError::WrongIssuer));

    // Another key claiming the published key's id: the signature does not verify.
    let forger = DevIssuer::open(&dir.path().join("forger"), &issuer_url).unwrap();
    let forged = forger
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    let (header, rest) = forged.split_once('.').unwrap();
    let good = issuer
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    let (good_header, _) = good.split_once('.').unwrap();
    assert_ne!(header, good_header, "the two keys have different ids");
    let spliced = format!("{good_header}.{rest}");
    assert_eq!(
        verifier.verify(&spliced).await,
        Err(AuthError::BadSignature)
    );
    // Unspliced, its key id is simply unknown.
    assert!(matches!(
        verifier.verify(&forged).await,
        Err(AuthError::UnknownKey(_))
    ));

    // A valid token of the realm, but issued to another of its clients (azp codeflix-admin)
    // and not naming this service's: not for this service.
    let mut elsewhere = config(&served.base);
    elsewhere.client_id = "billing-service".into();
    let billing = Verifier::new(elsewhere);
    assert_eq!(billing.verify(&good).await, Err(AuthError::WrongAudience));
    // Naming it among its audiences is enough.
    let mut addressed = admin(Duration::from_secs(60));
    addressed.audience = Some("billing-service".into());
    let addressed = issuer.mint(&addressed, SystemTime::now()).unwrap();
    assert!(billing.verify(&addressed).await.is_ok());
}

#[tokio::test]
async fn picks_up_a_rotated_key_by_its_kid() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(JwkSet { keys: vec![] }).await;
    let issuer_url = format!("{}/realms/codeflix", served.base);
    let old = DevIssuer::open(&dir.path().join("old"), &issuer_url).unwrap();
    *served.jwks.lock().unwrap() = old.jwks();
    let verifier = Verifier::new(config(&served.base));
    let token = old
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    verifier.verify(&token).await.unwrap();

    let new = DevIssuer::open(&dir.path().join("new"), &issuer_url).unwrap();
    let mut both = old.jwks();
    both.keys.extend(new.jwks().keys);
    *served.jwks.lock().unwrap() = both;
    let rotated = new
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    assert_eq!(verifier.verify(&rotated).await.unwrap().subject, "user-1");
    assert_eq!(verifier.verify(&token).await.unwrap().subject, "user-1");
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_unauthorized() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let issuer =
        DevIssuer::open(&dir.path().join("k"), &format!("{base}/realms/codeflix")).unwrap();
    let token = issuer
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    let verifier = Verifier::new(config(&base));
    assert!(matches!(
        verifier.verify(&token).await,
        Err(AuthError::IssuerUnavailable(_))
    ));
}

#[tokio::test]
async fn the_key_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = DevIssuer::open(&dir.path().join("k"), "http://a/realms/r").unwrap();
    let second = DevIssuer::open(&dir.path().join("k"), "http://a/realms/r").unwrap();
    assert_eq!(first.kid(), second.kid());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("k"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// A token verified once is recognised by its bytes afterwards, until it expires; a withdrawn
/// key's tokens stop working once the keys are fetched again.
#[tokio::test]
async fn a_verified_token_is_remembered_until_it_expires_or_its_key_goes() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(JwkSet { keys: vec![] }).await;
    let issuer_url = format!("{}/realms/codeflix", served.base);
    let old = DevIssuer::open(&dir.path().join("old"), &issuer_url).unwrap();
    *served.jwks.lock().unwrap() = old.jwks();
    let verifier = Verifier::new(config(&served.base));

    let short = old
        .mint(&admin(Duration::from_secs(1)), SystemTime::now())
        .unwrap();
    assert_eq!(verifier.verify(&short).await.unwrap().subject, "user-1");
    assert_eq!(verifier.verify(&short).await.unwrap().subject, "user-1");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(verifier.verify(&short).await, Err(AuthError::Expired));

    let long = old
        .mint(&admin(Duration::from_secs(60)), SystemTime::now())
        .unwrap();
    verifier.verify(&long).await.unwrap();
    let new = DevIssuer::open(&dir.path().join("new"), &issuer_url).unwrap();
    *served.jwks.lock().unwrap() = new.jwks();
    verifier.refresh().await.unwrap();
    assert!(matches!(
        verifier.verify(&long).await,
        Err(AuthError::UnknownKey(_))
    ));
}
