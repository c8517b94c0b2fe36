//! The HTTP endpoints, under the issuer URL's path as Keycloak lays them out:
//! `/.well-known/openid-configuration` and `/protocol/openid-connect/{certs, auth,
//! registrations, token, userinfo, logout}`. The sign-in and registration pages are in
//! [`signin`](super::signin); the endpoints applications call (token, userinfo, logout) here.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::flows;
use super::grants;
use super::pages;
use super::params::Params;
use super::signin::{authorize, register, registration, sign_in};
use super::users::unix;
use super::{DevIssuer, DevIssuerError, report, url_path};

pub(super) type Issuer = State<Arc<DevIssuer>>;

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

pub(super) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn fault(error: &dyn std::error::Error) -> Response {
    tracing::error!(error = %report(error), "development issuer");
    pages::fault().into_response()
}

pub(super) fn query_params(query: Option<String>) -> Params {
    Params::parse(query.unwrap_or_default().as_bytes())
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
        grants::token(&issuer, &params, authorization, SystemTime::now()).await
    } else {
        Err(grants::OAuthError {
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
