//! The HTTP endpoints, under the issuer URL's path as Keycloak lays them out:
//! `/.well-known/openid-configuration` and `/protocol/openid-connect/{certs, auth,
//! registrations, token, userinfo, logout}`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::flows::{self, Pending, Refusal};
use super::key::random_secret;
use super::pages::{self, FormContext, Page, Typed};
use super::params::Params;
use super::rules::{self, Broken, Field, Password, Rule};
use super::tokens::digest;
use super::users::{User, unix};
use super::{AddUserError, DevIssuer, DevIssuerError, report, url_path};
use crate::VIEWER_ROLE;

type Issuer = State<Arc<DevIssuer>>;

/// The cookie that binds a sign-in page to the browser it was shown to.
const COOKIE: &str = "CODEFLIX_SIGN_IN";

pub(super) fn router(issuer: Arc<DevIssuer>) -> Router {
    let path = url_path(&issuer.issuer);
    let oidc = format!("{path}/protocol/openid-connect");
    let allowed = Arc::clone(&issuer);
    // Browser apps on the web client's origins call these from scripts.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin.to_str().is_ok_and(|origin| {
                allowed
                    .web_client()
                    .is_some_and(|client| client.accepts_origin(origin))
            })
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    let scripts = Router::new()
        .route(
            &format!("{path}/.well-known/openid-configuration"),
            get(|State(issuer): Issuer| async move { axum::Json(issuer.discovery()) }),
        )
        .route(
            &format!("{oidc}/certs"),
            get(|State(issuer): Issuer| async move { axum::Json(issuer.jwks()) }),
        )
        .route(&format!("{oidc}/token"), post(token))
        .route(&format!("{oidc}/userinfo"), get(userinfo).post(userinfo))
        .layer(cors);
    let pages = Router::new()
        .route(&format!("{oidc}/auth"), get(authorize).post(sign_in))
        .route(
            &format!("{oidc}/registrations"),
            get(registration).post(register),
        )
        .route(
            &format!("{oidc}/logout"),
            get(logout_query).post(logout_form),
        );
    scripts.merge(pages).with_state(issuer)
}

/// The client's address (its IP), when the server tells it (`ConnectInfo`).
struct Address(String);

impl<S: Send + Sync> FromRequestParts<S> for Address {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Address, Infallible> {
        Ok(Address(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string()),
        ))
    }
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn fault(error: &dyn std::error::Error) -> Response {
    tracing::error!(error = %report(error), "development issuer");
    pages::fault().into_response()
}

fn query_params(query: Option<String>) -> Params {
    Params::parse(query.unwrap_or_default().as_bytes())
}

/// The sign-in cookie the browser holds, if well-formed.
fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| {
            value.len() == 43
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

impl DevIssuer {
    fn oidc_path(&self, endpoint: &str) -> String {
        format!(
            "{}/protocol/openid-connect/{endpoint}",
            url_path(&self.issuer)
        )
    }

    fn cookie(&self, value: &str) -> String {
        let secure = if self.issuer.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{COOKIE}={value}; Path={}; HttpOnly; SameSite=Strict{secure}",
            self.oidc_path("")
        )
    }
}

/// Which page a pending sign-in shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    SignIn,
    Register,
}

/// The page of `pending` (id `id`), blank.
fn show(issuer: &DevIssuer, id: &str, pending: &Pending, screen: Screen) -> Page {
    match screen {
        Screen::SignIn => sign_in_page(issuer, id, pending, "", None),
        Screen::Register => {
            register_page(issuer, id, pending, Typed::default(), &Broken::default())
        }
    }
}

fn form_target(pending: &Pending) -> Option<String> {
    url::Url::parse(&pending.request.redirect_uri)
        .ok()
        .map(|url| url.origin().ascii_serialization())
}

fn sign_in_page(
    issuer: &DevIssuer,
    id: &str,
    pending: &Pending,
    email: &str,
    error: Option<&str>,
) -> Page {
    let action = issuer.oidc_path("auth");
    let form = FormContext {
        action: &action,
        request_id: id,
        csrf_token: &pending.csrf_token,
    };
    let registration = flows::redirect_with_path(&issuer.oidc_path("registrations"), id);
    pages::sign_in(&form, &registration, email, error).with_form_target(form_target(pending))
}

fn register_page(
    issuer: &DevIssuer,
    id: &str,
    pending: &Pending,
    typed: Typed<'_>,
    broken: &Broken,
) -> Page {
    let action = issuer.oidc_path("registrations");
    let form = FormContext {
        action: &action,
        request_id: id,
        csrf_token: &pending.csrf_token,
    };
    let sign_in = flows::redirect_with_path(&issuer.oidc_path("auth"), id);
    pages::register(&form, &sign_in, typed, broken).with_form_target(form_target(pending))
}

/// Checks a new authorization request and shows `screen` for it.
fn start(issuer: &DevIssuer, params: &Params, headers: &HeaderMap, screen: Screen) -> Response {
    match flows::authorization_request(issuer, params) {
        Err(Refusal::Page(reason)) => pages::refused(&reason).into_response(),
        Err(Refusal::Redirect(location)) => redirect(&location),
        Ok(request) => {
            let browser = browser_cookie(headers).unwrap_or_else(random_secret);
            let (id, pending) = issuer.pending.insert(request, &browser, Instant::now());
            show(issuer, &id, &pending, screen)
                .with_cookie(issuer.cookie(&browser))
                .into_response()
        }
    }
}

/// `GET …/auth`: the authorization endpoint shows the sign-in page.
async fn authorize(
    State(issuer): Issuer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    start(&issuer, &query_params(query), &headers, Screen::SignIn)
}

/// `GET …/registrations`: the registration page, for a pending sign-in (`request_id`, the
/// sign-in page's link) or a new authorization request (as Keycloak takes it).
async fn registration(
    State(issuer): Issuer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = query_params(query);
    match params.get("request_id") {
        Some(id) => match pending_of(&issuer, id, &headers) {
            Ok(pending) => show(&issuer, id, &pending, Screen::Register).into_response(),
            Err(page) => page.into_response(),
        },
        None => start(&issuer, &params, &headers, Screen::Register),
    }
}

/// The pending sign-in `id` if the browser asking is the one it was shown to.
fn pending_of(issuer: &DevIssuer, id: &str, headers: &HeaderMap) -> Result<Pending, Page> {
    let pending = issuer
        .pending
        .get(id, Instant::now())
        .ok_or_else(|| pages::stale("This sign-in page has expired."))?;
    let cookie = browser_cookie(headers).unwrap_or_default();
    if digest(&cookie) != digest(&pending.browser) {
        return Err(pages::stale(
            "This page was opened in another browser, or cookies are blocked for this site.",
        ));
    }
    Ok(pending)
}

/// The pending sign-in a form was sent for, if it carries the page's token from the browser
/// the page was shown to (the sign-in cookie is `SameSite=Strict`: other sites' forms lack it).
fn posted(
    issuer: &DevIssuer,
    form: &Params,
    headers: &HeaderMap,
) -> Result<(String, Pending), Page> {
    let id = form
        .get("request_id")
        .ok_or_else(|| pages::stale("The form does not say which sign-in it belongs to."))?;
    let pending = pending_of(issuer, id, headers)?;
    let token = form.get("csrf_token").unwrap_or_default();
    if digest(token) != digest(&pending.csrf_token) {
        return Err(pages::stale(
            "This form was not sent from the page it belongs to.",
        ));
    }
    Ok((id.to_owned(), pending))
}

fn limited(
    issuer: &DevIssuer,
    keys: &[(&super::limits::Limiter, &str)],
    what: &str,
) -> Option<Response> {
    let now = Instant::now();
    let wait = keys
        .iter()
        .filter_map(|(limiter, key)| limiter.check(key, now).err())
        .max()?;
    tracing::warn!(issuer = %issuer.issuer, what, "attempts limited");
    Some(pages::too_many(wait, what).into_response())
}

/// `POST …/auth`: the sign-in form. Attempts are limited per account and per address
/// whether the account exists or not; the answer to a wrong email and a wrong password is the
/// same, and takes as long.
async fn sign_in(
    State(issuer): Issuer,
    Address(address): Address,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::parse(&body);
    let (id, pending) = match posted(&issuer, &form, &headers) {
        Ok(found) => found,
        Err(page) => return page.into_response(),
    };
    let email = form.get("email").unwrap_or_default().trim();
    let password = Password::new(form.get("password").unwrap_or_default());
    let account = format!("account:{}", rules::email_key(email));
    let address = format!("address:{address}");
    let keys = [
        (&issuer.failures_by_account, account.as_str()),
        (&issuer.failures_by_address, address.as_str()),
    ];
    if let Some(answer) = limited(&issuer, &keys, "failed sign-ins") {
        return answer;
    }
    match check_password(&issuer, email, &password).await {
        Ok(Some(user)) => {
            issuer.failures_by_account.clear(&account);
            finish(&issuer, &id, &pending, &user).await
        }
        Ok(None) => {
            let now = Instant::now();
            for (limiter, key) in keys {
                limiter.record(key, now);
            }
            sign_in_page(
                &issuer,
                &id,
                &pending,
                email,
                Some("The email or password is wrong."),
            )
            .into_response()
        }
        Err(error) => fault(&error),
    }
}

/// The account of `email` if `password` is its password.
async fn check_password(
    issuer: &DevIssuer,
    email: &str,
    password: &Password,
) -> Result<Option<User>, DevIssuerError> {
    if email.is_empty() || password.expose().chars().count() > rules::PASSWORD_MAX_CHARS {
        return Ok(None);
    }
    let account = issuer.store().await?.account_by_email(email).await?;
    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    let matches = issuer.hasher.verify(password, hash).await?;
    Ok(account.filter(|_| matches).map(|a| a.user))
}

/// Ends the pending sign-in and sends the browser back with a code.
async fn finish(issuer: &DevIssuer, id: &str, pending: &Pending, user: &User) -> Response {
    issuer.pending.remove(id);
    match flows::issue_code(issuer, &pending.request, user, SystemTime::now()).await {
        Ok(location) => {
            tracing::info!(subject = %user.subject, client = %pending.request.client_id, "signed in");
            redirect(&location)
        }
        Err(error) => fault(&error),
    }
}

/// `POST …/registrations`: makes an account with the customers' role and signs it in.
async fn register(
    State(issuer): Issuer,
    Address(address): Address,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::parse(&body);
    let (id, pending) = match posted(&issuer, &form, &headers) {
        Ok(found) => found,
        Err(page) => return page.into_response(),
    };
    let typed = Typed {
        email: form.get("email").unwrap_or_default(),
        name: form.get("name").unwrap_or_default(),
    };
    let password = Password::new(form.get("password").unwrap_or_default());
    let confirmed = form.get("password_confirmation").unwrap_or_default() == password.expose();
    let checked = rules::check(typed.email, typed.name, &password);
    let fields = match (checked, confirmed) {
        (Ok(fields), true) => fields,
        (checked, confirmed) => {
            let mut broken = checked.err().unwrap_or_default();
            if !confirmed && broken.on(Field::Password).is_none() {
                broken
                    .0
                    .push((Field::PasswordConfirmation, Rule::ConfirmationDiffers));
            }
            return register_page(&issuer, &id, &pending, typed, &broken).into_response();
        }
    };
    let address = format!("address:{address}");
    let keys = [(&issuer.registrations_by_address, address.as_str())];
    if let Some(answer) = limited(&issuer, &keys, "registrations") {
        return answer;
    }
    issuer
        .registrations_by_address
        .record(&address, Instant::now());
    match issuer
        .create_user(fields, vec![VIEWER_ROLE.to_owned()], SystemTime::now())
        .await
    {
        Ok(user) => {
            tracing::info!(subject = %user.subject, "registered");
            finish(&issuer, &id, &pending, &user).await
        }
        Err(AddUserError::EmailTaken(_)) => {
            let broken = Broken(vec![(Field::Email, Rule::EmailTaken)]);
            register_page(&issuer, &id, &pending, typed, &broken).into_response()
        }
        Err(error) => fault(&error),
    }
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `POST …/token` (RFC 6749 §3.2): JSON answers, errors per §5.2.
async fn token(State(issuer): Issuer, headers: HeaderMap, body: Bytes) -> Response {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let answer = if form_encoded {
        let params = Params::parse(&body);
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        flows::token(&issuer, &params, authorization, SystemTime::now()).await
    } else {
        Err(flows::OAuthError {
            status: 400,
            error: "invalid_request",
            description: "the body must be application/x-www-form-urlencoded".into(),
        })
    };
    match answer {
        Ok(body) => json_answer(StatusCode::OK, &body),
        Err(error) => {
            let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = json_answer(status, &error.body());
            if status == StatusCode::UNAUTHORIZED {
                let challenge = format!("Basic realm=\"{}\"", issuer.issuer);
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
            }
            response
        }
    }
}

/// A 401 for a missing or refused bearer token (RFC 6750 §3).
fn bearer_refused(issuer: &DevIssuer, error: Option<&str>) -> Response {
    let mut challenge = format!("Bearer realm=\"{}\"", issuer.issuer);
    if let Some(error) = error {
        challenge.push_str(&format!(
            ", error=\"invalid_token\", error_description=\"{error}\""
        ));
    }
    let body = json!({ "error": "invalid_token", "error_description": error.unwrap_or("no bearer token") });
    let mut response = json_answer(StatusCode::UNAUTHORIZED, &body);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `GET|POST …/userinfo`: the account an access token is about, while its session lasts.
async fn userinfo(State(issuer): Issuer, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = token else {
        return bearer_refused(&issuer, None);
    };
    let Some(claims) = issuer
        .decode_own(token, false)
        .filter(|c| c["typ"] == "Bearer")
    else {
        return bearer_refused(
            &issuer,
            Some("the token is not a valid access token of this issuer"),
        );
    };
    let sub = claims["sub"].as_str().unwrap_or_default();
    let Some(sid) = claims["sid"].as_str() else {
        // A service account's token: no account, no session.
        return json_answer(
            StatusCode::OK,
            &json!({ "sub": sub, "preferred_username": claims["preferred_username"] }),
        );
    };
    let found = async {
        let store = issuer.store().await?;
        if store
            .active_session(sid, unix(SystemTime::now()))
            .await?
            .is_none()
        {
            return Ok(None);
        }
        Ok::<_, DevIssuerError>(store.user(sub).await?)
    };
    match found.await {
        Ok(Some(user)) => json_answer(
            StatusCode::OK,
            &json!({
                "sub": user.subject,
                "email": user.email,
                "email_verified": false,
                "name": user.name,
                "preferred_username": user.email.to_lowercase(),
            }),
        ),
        Ok(None) => bearer_refused(&issuer, Some("the session has ended")),
        Err(error) => fault(&error),
    }
}

async fn logout_query(State(issuer): Issuer, RawQuery(query): RawQuery) -> Response {
    logout(&issuer, &query_params(query)).await
}

async fn logout_form(State(issuer): Issuer, body: Bytes) -> Response {
    logout(&issuer, &Params::parse(&body)).await
}

/// `…/logout` (OpenID Connect RP-Initiated Logout): ends the session the `id_token_hint` names
/// and revokes its refresh tokens, then sends the browser to `post_logout_redirect_uri` if it
/// is registered for the client.
async fn logout(issuer: &DevIssuer, params: &Params) -> Response {
    if let Some(name) = params.repeated() {
        return pages::refused(&format!("{name} is given more than once")).into_response();
    }
    let claims = match params.get("id_token_hint") {
        Some(hint) => match issuer.decode_own(hint, true).filter(|c| c["typ"] == "ID") {
            Some(claims) => Some(claims),
            None => {
                return pages::refused("id_token_hint is not an ID token of this issuer")
                    .into_response();
            }
        },
        None => None,
    };
    let hinted = claims.as_ref().and_then(|c| c["aud"].as_str());
    let client_id = match (hinted, params.get("client_id")) {
        (Some(hinted), Some(named)) if hinted != named => {
            return pages::refused("client_id is not the audience of id_token_hint")
                .into_response();
        }
        (hinted, named) => hinted.or(named),
    };
    let back = params.get("post_logout_redirect_uri");
    if let Some(uri) = back {
        let Some(client) = client_id.and_then(|id| issuer.client(id)) else {
            return pages::refused("post_logout_redirect_uri needs id_token_hint or client_id")
                .into_response();
        };
        if !client.accepts_redirect(uri) {
            return pages::refused(&format!(
                "{uri} is not an address registered for {}",
                client.id
            ))
            .into_response();
        }
    }
    let mut ended = false;
    if let Some(sid) = claims.as_ref().and_then(|c| c["sid"].as_str()) {
        let now = unix(SystemTime::now());
        let result =
            async { Ok::<_, DevIssuerError>(issuer.store().await?.end_session(sid, now).await?) };
        match result.await {
            Ok(was_active) => ended = was_active,
            Err(error) => return fault(&error),
        }
        tracing::info!(session = sid, ended, "logout");
    }
    match back {
        Some(uri) => {
            let state: Vec<(&str, &str)> = params
                .get("state")
                .map(|s| ("state", s))
                .into_iter()
                .collect();
            redirect(&flows::redirect_with(uri, &state))
        }
        None => pages::signed_out(ended || claims.is_some()).into_response(),
    }
}
