//! The HTTP surface, shaped as Confluent's: `application/vnd.schemaregistry.v1+json` bodies and
//! `{"error_code", "message"}` errors. Query strings are parsed leniently because real clients
//! send `normalize=False` and `limit=-1`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::compat::Level;
use crate::store::{Registry, RegistryError, Selector, SubjectVersion};

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

/// The registry's routes.
pub fn router(registry: Registry) -> Router {
    Router::new()
        .route("/", get(|| async { ok(json!({})) }))
        .route("/schemas/types", get(|| async { ok(json!(["AVRO"])) }))
        .route("/schemas/ids/{id}", get(schema_by_id))
        .route("/schemas/ids/{id}/schema", get(raw_schema_by_id))
        .route("/schemas/ids/{id}/versions", get(schema_uses))
        .route("/subjects", get(subjects))
        .route("/subjects/{subject}", post(lookup))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route("/subjects/{subject}/versions/{version}", get(version))
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(raw_version),
        )
        .route("/config", get(global_config).put(set_global_config))
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

async fn schema_uses(State(r): State<Registry>, Path(raw): Path<String>) -> Result<Response> {
    let uses = r.uses(id(&raw)?).await?;
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
        .subjects()
        .await?
        .into_iter()
        .filter(|s| s.starts_with(&prefix))
        .collect();
    Ok(ok(json!(subjects)))
}

async fn versions(State(r): State<Registry>, Path(subject): Path<String>) -> Result<Response> {
    Ok(ok(json!(r.versions(&subject).await?)))
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
    body: Bytes,
) -> Result<Response> {
    let text = schema_text(&body)?;
    Ok(ok(version_json(&r.lookup(&subject, &text).await?)))
}

async fn version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
) -> Result<Response> {
    let found = r.version(&subject, Selector::parse(&version)?).await?;
    Ok(ok(version_json(&found)))
}

async fn raw_version(
    State(r): State<Registry>,
    Path((subject, version)): Path<(String, String)>,
) -> Result<Response> {
    let found = r.version(&subject, Selector::parse(&version)?).await?;
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
