//! The pages of a sign-in: the authorization endpoint's sign-in page and the registration
//! page, their forms bound to the pending request and to the browser that opened them, and the
//! attempts they take limited.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::flows::{self, Pending, Refusal};
use super::key::random_secret;
use super::limits::Limiter;
use super::pages::{self, FormContext, Page, Typed};
use super::params::Params;
use super::routes::{Issuer, fault, query_params, redirect};
use super::rules::{self, Broken, Field, Password, Rule};
use super::tokens::digest;
use super::users::User;
use super::{AddUserError, DevIssuer, DevIssuerError, url_path};
use crate::VIEWER_ROLE;

/// The cookie that binds a sign-in page to the browser it was shown to.
const COOKIE: &str = "CODEFLIX_SIGN_IN";

/// The client's address (its IP), when the server tells it (`ConnectInfo`).
pub(super) struct Address(String);

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
pub(super) async fn authorize(
    State(issuer): Issuer,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    start(&issuer, &query_params(query), &headers, Screen::SignIn)
}

/// `GET …/registrations`: the registration page, for a pending sign-in (`request_id`, the
/// sign-in page's link) or a new authorization request (as Keycloak takes it).
pub(super) async fn registration(
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

fn limited(issuer: &DevIssuer, keys: &[(&Limiter, &str)], what: &str) -> Option<Response> {
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
pub(super) async fn sign_in(
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
pub(super) async fn register(
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
