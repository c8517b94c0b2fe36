//! The development issuer as an OpenID Connect provider, driven as a browser and an
//! application would drive it: pages fetched, their forms' hidden fields read and sent back,
//! redirects read rather than followed, codes exchanged at the token endpoint.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codeflix_auth::{
    AttemptLimits, DevIssuer, DevIssuerOptions, Limit, NewUser, Role, Verifier, VerifierConfig,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:41234/callback";
const PASSWORD: &str = "pale blue dot 1990";

/// A development issuer served on port 0, with the client address passed to its handlers as
/// the command API passes it.
struct Provider {
    issuer: Arc<DevIssuer>,
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

async fn start() -> Provider {
    start_with(DevIssuerOptions::default()).await
}

async fn start_with(options: DevIssuerOptions) -> Provider {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/realms/codeflix", listener.local_addr().unwrap());
    let issuer =
        Arc::new(DevIssuer::open_with(&dir.path().join("signing-key.pem"), &url, options).unwrap());
    let router = Arc::clone(&issuer).router();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Provider {
        issuer,
        url,
        http,
        _dir: dir,
        _task: task,
    }
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes().repeat(2));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A page's form: where it posts, its hidden fields, and the browser's sign-in cookie.
#[derive(Debug, Clone)]
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
    cookie: String,
}

/// The value of the attribute `name` in `tag`.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(
        tag[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}

/// Reads the form of `html` as a browser would.
fn form_of(html: &str, cookie: &str) -> Form {
    let form_tag = html.split("<form").nth(1).expect("a form");
    let action = attribute(form_tag, "action").expect("an action");
    let hidden = html
        .split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .map(|tag| {
            (
                attribute(tag, "name").unwrap(),
                attribute(tag, "value").unwrap(),
            )
        })
        .collect();
    Form {
        action,
        hidden,
        cookie: cookie.to_owned(),
    }
}

/// The `name=value` of a `Set-Cookie` header.
fn cookie_of(response: &reqwest::Response) -> String {
    let set = response
        .headers()
        .get("set-cookie")
        .expect("a sign-in cookie")
        .to_str()
        .unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

/// The query parameters of a redirect's `Location`.
fn location(response: &reqwest::Response) -> (String, HashMap<String, String>) {
    assert_eq!(response.status(), StatusCode::FOUND, "{response:?}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    let params = url.query_pairs().into_owned().collect();
    let base = format!("{}{}", url.origin().ascii_serialization(), url.path());
    (base, params)
}

impl Provider {
    fn endpoint(&self, name: &str) -> String {
        format!("{}/protocol/openid-connect/{name}", self.url)
    }

    fn origin(&self) -> String {
        self.url.trim_end_matches("/realms/codeflix").to_owned()
    }

    async fn add(&self, email: &str, roles: &[&str]) -> codeflix_auth::User {
        self.issuer
            .add_user(NewUser {
                email: email.into(),
                name: format!("Name of {email}"),
                password: PASSWORD.into(),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            })
            .await
            .unwrap()
    }

    /// `GET …/auth` with `params`.
    async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .get(self.endpoint("auth"))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    /// Opens the sign-in page for a valid request with `challenge`.
    async fn sign_in_page(&self, challenge: &str) -> (Form, String) {
        let page = self
            .authorize(&[
                ("client_id", "codeflix-web"),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", "openid profile email"),
                ("state", "state-1"),
                ("nonce", "nonce-1"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(
            policy.contains("form-action 'self' http://127.0.0.1:41234"),
            "{policy}"
        );
        let cookie = cookie_of(&page);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("<label for=\"email\">Email</label>"),
            "{html}"
        );
        assert!(
            html.contains("<label for=\"password\">Password</label>"),
            "{html}"
        );
        (form_of(&html, &cookie), html)
    }

    /// Posts `form` with `fields` added, as the browser holding its cookie.
    async fn submit(&self, form: &Form, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut body: Vec<(&str, &str)> = form
            .hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        body.extend_from_slice(fields);
        self.http
            .post(format!("{}{}", self.origin(), form.action))
            .header("cookie", &form.cookie)
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    /// Signs `email` in and answers the redirect's parameters.
    async fn sign_in(&self, email: &str, challenge: &str) -> HashMap<String, String> {
        let (form, _) = self.sign_in_page(challenge).await;
        let answer = self
            .submit(&form, &[("email", email), ("password", PASSWORD)])
            .await;
        let (base, params) = location(&answer);
        assert_eq!(base, REDIRECT);
        params
    }

    /// `POST …/token` with `params`.
    async fn token(&self, params: &[(&str, &str)]) -> (StatusCode, Value) {
        let answer = self
            .http
            .post(self.endpoint("token"))
            .form(params)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        assert_eq!(answer.headers()["cache-control"], "no-store");
        (status, answer.json().await.unwrap())
    }

    async fn exchange(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", "codeflix-web"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", "codeflix-web"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Signs `email` in and exchanges the code: the token endpoint's answer.
    async fn tokens(&self, email: &str) -> Value {
        let (verifier, challenge) = pkce();
        let params = self.sign_in(email, &challenge).await;
        let (status, tokens) = self.exchange(&params["code"], &verifier).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(VerifierConfig::new(&self.url))
    }

    async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.http
            .get(self.endpoint("userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }
}

/// A JWT's claims, unverified (the test reads what the issuer wrote).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn signs_in_with_a_code_and_pkce_and_the_access_token_verifies() {
    let provider = start().await;
    let ana = provider
        .add("Ana@Example.com", &[Role::Videos.as_str()])
        .await;
    let (verifier, challenge) = pkce();
    let params = provider.sign_in("ana@example.com", &challenge).await;
    assert_eq!(params["state"], "state-1");
    assert_eq!(params["iss"], provider.url);
    let (status, tokens) = provider.exchange(&params["code"], &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(tokens["refresh_expires_in"], 1800);
    assert_eq!(tokens["scope"], "openid profile email");

    let access = tokens["access_token"].as_str().unwrap();
    let principal = provider.verifier().verify(access).await.unwrap();
    assert_eq!(principal.subject, ana.subject);
    assert_eq!(principal.email.as_deref(), Some("Ana@Example.com"));
    assert_eq!(principal.name.as_deref(), Some("Name of Ana@Example.com"));
    assert_eq!(principal.username.as_deref(), Some("ana@example.com"));
    assert!(principal.may(Role::Videos));
    assert!(!principal.may(Role::Plans));
    let access_claims = claims(access);
    assert_eq!(access_claims["azp"], "codeflix-web");
    assert_eq!(access_claims["aud"], serde_json::json!(["codeflix-admin"]));
    assert!(access_claims["sid"].is_string());

    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], "codeflix-web");
    assert_eq!(id["nonce"], "nonce-1");
    assert_eq!(id["sub"], ana.subject.as_str());
    assert_eq!(id["email"], "Ana@Example.com");
    assert_eq!(id["name"], "Name of Ana@Example.com");
    assert_eq!(id["sid"], access_claims["sid"]);
    // An ID token is not an access token for the APIs.
    assert!(
        provider
            .verifier()
            .verify(tokens["id_token"].as_str().unwrap())
            .await
            .is_err()
    );

    let info = provider.userinfo(access).await;
    assert_eq!(info.status(), StatusCode::OK);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["sub"], ana.subject.as_str());
    assert_eq!(info["email"], "Ana@Example.com");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family() {
    let provider = start().await;
    provider.add("bea@example.com", &["viewer"]).await;
    let first = provider.tokens("bea@example.com").await;
    let r1 = first["refresh_token"].as_str().unwrap();

    let (status, second) = provider.refresh(r1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated");
    assert!(
        provider
            .verifier()
            .verify(second["access_token"].as_str().unwrap())
            .await
            .is_ok()
    );
    assert!(second["id_token"].is_string());

    // The rotated token again: refused, and the family with it.
    let (status, reused) = provider.refresh(r1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reused["error"], "invalid_grant", "{reused}");
    let (status, after) = provider.refresh(r2).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(after["error"], "invalid_grant", "{after}");
    // Its session is over: userinfo refuses the access token it issued.
    let info = provider
        .userinfo(second["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
    assert!(
        info.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_its_refresh_tokens() {
    let provider = start().await;
    provider.add("cid@example.com", &["viewer"]).await;
    let tokens = provider.tokens("cid@example.com").await;
    let other = provider.tokens("cid@example.com").await;

    let answer = provider
        .http
        .get(provider.endpoint("logout"))
        .query(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "http://127.0.0.1:41234/bye"),
            ("state", "s-9"),
        ])
        .send()
        .await
        .unwrap();
    let (base, params) = location(&answer);
    assert_eq!(base, "http://127.0.0.1:41234/bye");
    assert_eq!(params["state"], "s-9");

    let (status, refused) = provider
        .refresh(tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["error"], "invalid_grant");
    let info = provider
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
    // Another session of the same account goes on.
    let (status, _) = provider
        .refresh(other["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);

    // A way back that is not registered is refused on a page, not followed.
    let answer = provider
        .http
        .get(provider.endpoint("logout"))
        .query(&[
            ("id_token_hint", other["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "https://evil.example/bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer.headers().get("location").is_none());
    let (status, _) = provider
        .refresh(other["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "its refresh token was rotated above"
    );
}

#[tokio::test]
async fn registration_creates_a_viewer_and_signs_them_in() {
    let provider = start().await;
    let (verifier, challenge) = pkce();
    let (sign_in_form, html) = provider.sign_in_page(&challenge).await;
    let link = html
        .split("<a href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert!(
        link.contains("/protocol/openid-connect/registrations?request_id="),
        "{link}"
    );
    // The registration page, opened from the sign-in page in the same browser.
    let page = provider
        .http
        .get(format!("{}{link}", provider.origin()))
        .header("cookie", &sign_in_form.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for label in ["Email", "Name", "Password", "Password again"] {
        assert!(html.contains(&format!(">{label}</label>")), "{html}");
    }
    let form = form_of(&html, &sign_in_form.cookie);

    // Every broken rule is said beside its field.
    let broken = provider
        .submit(
            &form,
            &[
                ("email", "not-an-email"),
                ("name", ""),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
        )
        .await;
    assert_eq!(broken.status(), StatusCode::OK);
    let html = broken.text().await.unwrap();
    assert!(
        html.contains("id=\"email-error\">Enter an email address"),
        "{html}"
    );
    assert!(
        html.contains("id=\"name-error\">Enter the name to show"),
        "{html}"
    );
    assert!(
        html.contains("id=\"password-error\">The password is 5 characters, at least 8 needed"),
        "{html}"
    );
    assert!(
        html.contains("value=\"not-an-email\""),
        "typed values are kept: {html}"
    );
    let differs = provider
        .submit(
            &form,
            &[
                ("email", "dan@example.com"),
                ("name", "Dan"),
                ("password", PASSWORD),
                ("password_confirmation", "something else"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        differs.contains("id=\"password_confirmation-error\">The two passwords differ"),
        "{differs}"
    );
    assert!(!differs.contains(PASSWORD), "passwords are never echoed");

    // Roles cannot be asked for: registration grants the customers' role only.
    let created = provider
        .submit(
            &form,
            &[
                ("email", "dan@example.com"),
                ("name", "Dan"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
                ("roles", "catalog-admin"),
            ],
        )
        .await;
    let (base, params) = location(&created);
    assert_eq!(base, REDIRECT);
    let (status, tokens) = provider.exchange(&params["code"], &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let principal = provider
        .verifier()
        .verify(tokens["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        principal.roles.iter().collect::<Vec<_>>(),
        [codeflix_auth::VIEWER_ROLE]
    );
    assert_eq!(principal.name.as_deref(), Some("Dan"));
    let dan = provider
        .issuer
        .user_by_email("DAN@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dan.subject, principal.subject);
    assert_eq!(dan.roles, [codeflix_auth::VIEWER_ROLE]);

    // The same email again, in any case: an account exists.
    let (form, _) = provider.sign_in_page(&challenge).await;
    let again = provider
        .http
        .get(format!(
            "{}?request_id={}",
            provider.endpoint("registrations"),
            form.hidden[0].1
        ))
        .header("cookie", &form.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = form_of(&again, &form.cookie);
    let taken = provider
        .submit(
            &form,
            &[
                ("email", "Dan@Example.com"),
                ("name", "Dan"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        taken.contains("An account with this email address exists"),
        "{taken}"
    );
}

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let provider = start().await;
    provider.add("eve@example.com", &[]).await;
    let (_, challenge) = pkce();
    let params = provider.sign_in("eve@example.com", &challenge).await;
    let (other_verifier, _) = pkce();
    let (status, answer) = provider.exchange(&params["code"], &other_verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "invalid_grant", "{answer}");
    assert!(answer["access_token"].is_null());
}

#[tokio::test]
async fn a_code_used_twice_fails_and_revokes_what_it_issued() {
    let provider = start().await;
    provider.add("fay@example.com", &[]).await;
    let (verifier, challenge) = pkce();
    let params = provider.sign_in("fay@example.com", &challenge).await;
    let (status, first) = provider.exchange(&params["code"], &verifier).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = provider.exchange(&params["code"], &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(second["error"], "invalid_grant", "{second}");
    let (status, refused) = provider
        .refresh(first["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unregistered_client_or_redirect_uri_gets_a_page_never_a_redirect() {
    let provider = start().await;
    let (_, challenge) = pkce();
    for (client, redirect) in [
        ("codeflix-web", "https://evil.example/callback"),
        ("codeflix-web", "http://localhost:41234/callback"),
        ("someone-else", REDIRECT),
        ("codeflix-admin", REDIRECT),
    ] {
        let answer = provider
            .authorize(&[
                ("client_id", client),
                ("redirect_uri", redirect),
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        assert_eq!(
            answer.status(),
            StatusCode::BAD_REQUEST,
            "{client} {redirect}"
        );
        assert!(answer.headers().get("location").is_none());
        let html = answer.text().await.unwrap();
        assert!(html.contains("This sign-in link is not valid"), "{html}");
        assert!(!html.contains("<form"), "{html}");
    }
}

#[tokio::test]
async fn pkce_is_required_and_plain_is_refused() {
    let provider = start().await;
    let (verifier, challenge) = pkce();
    for (method, value) in [
        (Some("plain"), verifier.as_str()),
        (None, challenge.as_str()),
        (Some("S256"), "too-short"),
    ] {
        let mut params = vec![
            ("client_id", "codeflix-web"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "st"),
            ("code_challenge", value),
        ];
        if let Some(method) = method {
            params.push(("code_challenge_method", method));
        }
        let answer = provider.authorize(&params).await;
        let (base, back) = location(&answer);
        assert_eq!(base, REDIRECT);
        assert_eq!(back["error"], "invalid_request", "{back:?}");
        assert_eq!(back["state"], "st");
        assert!(!back.contains_key("code"));
    }
    let answer = provider
        .authorize(&[
            ("client_id", "codeflix-web"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ])
        .await;
    let (_, back) = location(&answer);
    assert!(
        back["error_description"].contains("code_challenge"),
        "{back:?}"
    );
}

#[tokio::test]
async fn wrong_passwords_hit_429_after_the_limit_without_telling_accounts_apart() {
    let provider = start().await;
    provider.add("gus@example.com", &[]).await;
    let (_, challenge) = pkce();
    let (form, _) = provider.sign_in_page(&challenge).await;
    let mut answers = Vec::new();
    for email in ["gus@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            let answer = provider
                .submit(&form, &[("email", email), ("password", "not the password")])
                .await;
            assert_eq!(answer.status(), StatusCode::OK);
            let html = answer.text().await.unwrap();
            assert!(html.contains("The email or password is wrong."), "{html}");
            answers.push(html.replace(email, "EMAIL"));
        }
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "an unknown account is answered as a known one"
    );
    for email in ["gus@example.com", "nobody@example.com"] {
        // Even the right password waits now.
        let answer = provider
            .submit(&form, &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = answer.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        let html = answer.text().await.unwrap();
        assert!(html.contains("Try again in 15 minutes"), "{html}");
    }
    // Other accounts are not locked out by these.
    provider.add("hal@example.com", &[]).await;
    let answer = provider
        .submit(
            &form,
            &[("email", "hal@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn sign_ins_are_limited_per_address_too() {
    let limits = AttemptLimits {
        sign_in_per_address: Limit {
            max: 3,
            window: Duration::from_secs(60),
        },
        ..AttemptLimits::default()
    };
    let provider = start_with(DevIssuerOptions {
        limits,
        ..DevIssuerOptions::default()
    })
    .await;
    let (_, challenge) = pkce();
    let (form, _) = provider.sign_in_page(&challenge).await;
    for i in 0..3 {
        let email = format!("n{i}@example.com");
        let answer = provider
            .submit(&form, &[("email", &email), ("password", "wrong password")])
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let answer = provider
        .submit(
            &form,
            &[("email", "n9@example.com"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers()["retry-after"], "60");
}

#[tokio::test]
async fn a_form_without_its_pages_token_or_cookie_is_refused() {
    let provider = start().await;
    provider.add("ivy@example.com", &[]).await;
    let (_, challenge) = pkce();
    let (form, _) = provider.sign_in_page(&challenge).await;
    let credentials = [("email", "ivy@example.com"), ("password", PASSWORD)];

    let mut no_cookie = form.clone();
    no_cookie.cookie = "CODEFLIX_SIGN_IN=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    let answer = provider.submit(&no_cookie, &credentials).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer.text().await.unwrap().contains("another browser"));

    let mut forged = form.clone();
    for (name, value) in &mut forged.hidden {
        if name == "csrf_token" {
            *value = "forged".into();
        }
    }
    let answer = provider.submit(&forged, &credentials).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);

    // The genuine form signs in, once: its page cannot be sent again.
    let answer = provider.submit(&form, &credentials).await;
    assert_eq!(answer.status(), StatusCode::FOUND);
    let again = provider.submit(&form, &credentials).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes_only() {
    let provider = start().await;
    let secret = "a password found nowhere on disk";
    provider
        .issuer
        .add_user(NewUser {
            email: "jo@example.com".into(),
            name: "Jo".into(),
            password: secret.into(),
            roles: vec![],
        })
        .await
        .unwrap();
    let path = provider.issuer.users_db().to_owned();
    let db = libsql::Builder::new_local(&path).build().await.unwrap();
    let conn = db.connect().unwrap();
    let mut rows = conn
        .query("SELECT password_hash FROM users", ())
        .await
        .unwrap();
    let hash: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    drop(rows);
    drop(conn);
    let mut files = 0;
    for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let file = entry.unwrap().path();
        if file.to_string_lossy().contains("users.db") {
            files += 1;
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds the password",
                file.display()
            );
        }
    }
    assert!(files >= 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn the_admin_client_gets_service_tokens_with_its_secret() {
    let provider = start().await;
    let secret = provider.issuer.admin_client_secret().await.unwrap();
    let answer = provider
        .http
        .post(provider.endpoint("token"))
        .basic_auth("codeflix-admin", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let tokens: Value = answer.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let principal = provider
        .verifier()
        .verify(tokens["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert!(principal.may(Role::Categories));
    assert_eq!(
        principal.username.as_deref(),
        Some("service-account-codeflix-admin")
    );

    let (status, wrong) = provider
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "codeflix-admin"),
            ("client_secret", "not-the-secret"),
        ])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong["error"], "invalid_client");
    let (status, public) = provider
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "codeflix-web"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(public["error"], "unauthorized_client");
    let (status, unknown) = provider
        .token(&[("grant_type", "password"), ("client_id", "codeflix-web")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown["error"], "unsupported_grant_type");
    let (status, missing) = provider
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", "codeflix-web"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(missing["error"], "invalid_request");
}

#[tokio::test]
async fn discovery_names_every_endpoint_and_they_answer() {
    let provider = start().await;
    let discovery: Value = provider
        .http
        .get(format!("{}/.well-known/openid-configuration", provider.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], provider.url);
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        discovery["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    for (field, name) in [
        ("authorization_endpoint", "auth"),
        ("token_endpoint", "token"),
        ("userinfo_endpoint", "userinfo"),
        ("end_session_endpoint", "logout"),
        ("jwks_uri", "certs"),
    ] {
        assert_eq!(discovery[field], provider.endpoint(name), "{field}");
        let answer = provider
            .http
            .get(discovery[field].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_ne!(answer.status(), StatusCode::NOT_FOUND, "{field}");
    }
    // Browser apps on a registered origin may call the token endpoint from scripts.
    let preflight = provider
        .http
        .request(reqwest::Method::OPTIONS, provider.endpoint("token"))
        .header("origin", "http://127.0.0.1:8082")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://127.0.0.1:8082"
    );
    let foreign = provider
        .http
        .request(reqwest::Method::OPTIONS, provider.endpoint("token"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn registrations_take_an_authorization_request_and_are_limited_per_address() {
    let limits = AttemptLimits {
        registrations_per_address: Limit {
            max: 1,
            window: Duration::from_secs(3600),
        },
        ..AttemptLimits::default()
    };
    let provider = start_with(DevIssuerOptions {
        limits,
        ..DevIssuerOptions::default()
    })
    .await;
    let (_, challenge) = pkce();
    // As Keycloak takes it: the registrations endpoint with the authorization request's
    // parameters, checked as the authorization endpoint checks them.
    let request = |redirect: &'static str| {
        let challenge = challenge.clone();
        let provider = &provider;
        async move {
            provider
                .http
                .get(provider.endpoint("registrations"))
                .query(&[
                    ("client_id", "codeflix-web"),
                    ("redirect_uri", redirect),
                    ("response_type", "code"),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = request("https://evil.example/cb").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.headers().get("location").is_none());
    let mut forms = Vec::new();
    for _ in 0..2 {
        let page = request(REDIRECT).await;
        assert_eq!(page.status(), StatusCode::OK);
        let cookie = cookie_of(&page);
        let html = page.text().await.unwrap();
        assert!(html.contains("Create your Codeflix account"), "{html}");
        forms.push(form_of(&html, &cookie));
    }
    let fields = |email: &'static str| {
        [
            ("email", email),
            ("name", "Kim"),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ]
    };
    let first = provider.submit(&forms[0], &fields("kim@example.com")).await;
    assert_eq!(first.status(), StatusCode::FOUND);
    let second = provider.submit(&forms[1], &fields("lee@example.com")).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().contains_key("retry-after"));
    assert!(
        provider
            .issuer
            .user_by_email("lee@example.com")
            .await
            .unwrap()
            .is_none()
    );
}
