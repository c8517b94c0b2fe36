//! The HTTP surface, shaped as Confluent's: `application/vnd.schemaregistry.v1+json` bodies and
//! `{"error_code", "message"}` errors. Query strings are parsed leniently because real clients
//! send `normalize=False` and `limit=-1`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::compat::Level;
use crate::store::{Deleted, Mode, Registry, RegistryError, Selector, SubjectVersion};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

fn reply(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

fn ok(body: Value) -> Response {
    reply(StatusCode::OK, body)
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let (status, code) = self.codes();
        if status >= 500 {
            tracing::error!(error = %self, "schema registry failed");
        }
        reply(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            json!({"error_code": code, "message": self.to_string()}),
        )
    }
}

type Result<T> = std::result::Result<T, RegistryError>;

/// The `schema` of a request body; `schemaType` must be AVRO when present.
fn schema_text(body: &Bytes) -> Result<String> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| RegistryError::InvalidSchema(format!("the request body is not JSON: {e}")))?;
    match body.get("schemaType").and_then(Value::as_str) {
        None | Some("AVRO") => {}
        Some(other) => {
            return Err(RegistryError::InvalidSchema(format!(
                "schemaType {other} is not supported: this registry holds Avro schemas"
            )));
        }
    }
    if body
        .get("references")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty())
    {
        return Err(RegistryError::InvalidSchema(
            "schema references are not supported: send self-contained schemas".into(),
        ));
    }
    body.get("schema")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| RegistryError::InvalidSchema("the request has no \"schema\" string".into()))
}

fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `?deleted=true`: include soft-deleted versions.
fn deleted(query: &HashMap<String, String>) -> Deleted {
    if flag(query, "deleted") {
        Deleted::Shown
    } else {
        Deleted::Hidden
    }
}

fn version_json(v: &SubjectVersion) -> Value {
    json!({
        "subject": v.subject,
        "version": v.version,
        "id": v.id,
        "schemaType": "AVRO",
        "schema": v.schema,
        "references": [],
    })
}

/// The media types a write must declare: what registry clients send. A browser page on another
/// site can only send a cross-site POST without a preflight as `text/plain`, a form or
/// multipart, so requiring these keeps such pages from writing (and nothing answers a preflight).
const WRITE_TYPES: [&str; 3] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
];

/// Who may change the registry.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The registry listens on loopback only: writes must then name a loopback `Host` (a page
    /// whose host name was re-pointed at 127.0.0.1, DNS rebinding, names its own host).
    pub loopback: bool,
    /// When set, changes (registering, deleting, levels, mode) need this token, as a bearer
    /// token or as the password of HTTP Basic authentication (what registry clients send for
    /// `user:password@` in the registry URL). Reads stay open: every decoder needs them.
    pub token: Option<String>,
}

/// Whether a request changes the registry: lookups and compatibility tests are POSTs that
/// change nothing.
fn changes(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    match *method {
        Method::PUT | Method::DELETE => true,
        Method::POST => path.starts_with("/subjects/") && path.ends_with("/versions"),
        _ => false,
    }
}

/// The secret a request presents: a bearer token, or Basic authentication's password.
fn presented(request: &axum::extract::Request) -> Option<String> {
    use base64::Engine as _;
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, credentials) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        return decoded
            .split_once(':')
            .map(|(_, password)| password.to_owned());
    }
    None
}

/// Compares without stopping at the first difference, so timing does not reveal a prefix.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Guards writes: a registry media type on bodies, a loopback `Host` on a loopback listener,
/// and the token on changes when one is configured.
async fn guard_writes(
    State(access): State<Arc<Access>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    // A DELETE has no body, and no page on another site can send one without a preflight.
    if method != axum::http::Method::DELETE
        && !declared
            .as_deref()
            .is_some_and(|declared| WRITE_TYPES.contains(&declared))
    {
        return reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"error_code": 415, "message": format!(
                "a write must be sent as {}", WRITE_TYPES.join(" or ")
            )}),
        );
    }
    if access.loopback {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_loopback_host(host) {
            return reply(
                StatusCode::FORBIDDEN,
                json!({"error_code": 40301, "message": format!(
                    "this registry listens on loopback and takes writes for loopback host names only, not {host:?}"
                )}),
            );
        }
    }
    if let Some(token) = &access.token
        && changes(&method, request.uri().path())
        && !presented(&request).is_some_and(|given| same_secret(&given, token))
    {
        let mut response = reply(
            StatusCode::UNAUTHORIZED,
            json!({"error_code": 40101, "message":
                "changing this registry needs its token: a bearer token, or the password of \
                 Basic authentication (user:token@ in the registry URL)"}),
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"codeflix schema registry\""),
        );
        return response;
    }
    next.run(request).await
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The registry's routes, changes allowed as `access` says.
pub fn router(registry: Registry, access: Access) -> Router {
    Router::new()
        .route("/", get(|| async { ok(json!({})) }))
        .route("/schemas/types", get(|| async { ok(json!(["AVRO"])) }))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/versions", get(schema_uses))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(raw_version),
        )
        .route("/config", get(global_config).put(set_global_config))
        .route("/mode", get(global_mode).put(set_global_mode))
        .route(
            "/config/{subject}",
            get(subject_config).put(set_subject_config),
        )
        .route("/compatibility/subjects/{subject}/versions", post(test_all))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(test_one),
        )
        .route(
            "/associations/resources/{namespace}/{resource}",
            get(|| async { ok(json!([])) }),
        )
        .with_state(registry)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(access),
            guard_writes,
        ))
}

fn id(text: &str) -> Result<i64> {
    text.parse().map_err(|_| RegistryError::SchemaNotFound)
}

async fn schema_by_id(State(r): State<Registry>, Path(raw): Path<String>) -> Result<Response> {
    let schema = r.schema(id(&raw)?).await?;
    Ok(ok(json!({"schemaType": "AVRO", "schema": schema})))
}

async fn raw_schema_by_id(State(r): State<Registry>, Path(raw): Path<String>) -> Result<Response> {
    let schema = r.schema(id(&raw)?).await?;
    let parsed: Value = serde_json::from_str(&schema).unwrap_or(Value::String(schema));
    Ok(ok(parsed))
}

async fn schema_uses(
    State(r): State<Registry>,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let uses = r.uses(id(&raw)?, deleted(&query)).await?;
    Ok(ok(Value::Array(
        uses.into_iter()
            .map(|(subject, version)| json!({"subject": subject, "version": version}))
            .collect(),
    )))
}

async fn subjects(
    State(r): State<Registry>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let prefix = query.get("subjectPrefix").cloned().unwrap_or_default();
    let subjects: Vec<String> = r
        .subjects(deleted(&query))
        .await?
        .into_iter()
        .filter(|s| s.starts_with(&prefix))
        .collect();
    Ok(ok(json!(subjects)))
}

async fn versions(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    Ok(ok(json!(r.versions(&subject, deleted(&query)).await?)))
}

async fn register(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let text = schema_text(&body)?;
    let id = r.register(&subject, &text).await?;
    Ok(ok(json!({"id": id})))
}

async fn lookup(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response> {
    let text = schema_text(&body)?;
    Ok(ok(version_json(
        &r.lookup(&subject, &text, deleted(&query)).await?,
    )))
}

async fn delete_subject(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let deleted = r
        .delete_subject(&subject, flag(&query, "permanent"))
        .await?;
    Ok(ok(json!(deleted)))
}

async fn delete_version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let deleted = r
        .delete_version(
            &subject,
            Selector::parse(&version)?,
            flag(&query, "permanent"),
        )
        .await?;
    Ok(ok(json!(deleted)))
}

async fn version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let found = r
        .version(&subject, Selector::parse(&version)?, deleted(&query))
        .await?;
    Ok(ok(version_json(&found)))
}

async fn raw_version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let found = r
        .version(&subject, Selector::parse(&version)?, deleted(&query))
        .await?;
    let parsed: Value = serde_json::from_str(&found.schema).unwrap_or(Value::String(found.schema));
    Ok(ok(parsed))
}

async fn global_config(State(r): State<Registry>) -> Result<Response> {
    Ok(ok(
        json!({"compatibilityLevel": r.level(None).await?.as_str()}),
    ))
}

async fn subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
) -> Result<Response> {
    Ok(ok(
        json!({"compatibilityLevel": r.level(Some(&subject)).await?.as_str()}),
    ))
}

async fn global_mode(State(r): State<Registry>) -> Result<Response> {
    Ok(ok(json!({"mode": r.mode().await?.as_str()})))
}

async fn set_global_mode(State(r): State<Registry>, body: Bytes) -> Result<Response> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| RegistryError::InvalidMode(format!("the request body is not JSON: {e}")))?;
    let mode: Mode = body
        .get("mode")
        .and_then(Value::as_str)
        .ok_or_else(|| RegistryError::InvalidMode("the request has no \"mode\"".into()))?
        .parse()?;
    r.set_mode(mode).await?;
    Ok(ok(json!({"mode": mode.as_str()})))
}

fn level_from(body: &Bytes) -> Result<Level> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| RegistryError::InvalidLevel(format!("the request body is not JSON: {e}")))?;
    body.get("compatibility")
        .or_else(|| body.get("compatibilityLevel"))
        .and_then(Value::as_str)
        .ok_or_else(|| RegistryError::InvalidLevel("the request has no \"compatibility\"".into()))?
        .parse()
        .map_err(RegistryError::InvalidLevel)
}

async fn set_global_config(State(r): State<Registry>, body: Bytes) -> Result<Response> {
    let level = level_from(&body)?;
    r.set_level(None, level).await?;
    Ok(ok(json!({"compatibility": level.as_str()})))
}

async fn set_subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let level = level_from(&body)?;
    r.set_level(Some(&subject), level).await?;
    Ok(ok(json!({"compatibility": level.as_str()})))
}

fn compatibility(problems: Vec<String>, verbose: bool) -> Response {
    let mut body = json!({"is_compatible": problems.is_empty()});
    if verbose {
        body["messages"] = json!(problems);
    }
    ok(body)
}

async fn test_all(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response> {
    let problems = r.test(&subject, None, &schema_text(&body)?).await?;
    Ok(compatibility(problems, flag(&query, "verbose")))
}

async fn test_one(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response> {
    let selector = Selector::parse(&version)?;
    let problems = r
        .test(&subject, Some(selector), &schema_text(&body)?)
        .await?;
    Ok(compatibility(problems, flag(&query, "verbose")))
}
