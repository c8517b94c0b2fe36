//! What every write shares: who asks, which version they expect, retries, and the answer.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codeflix_auth::{Principal, Role};
use codeflix_domain::{
    Aggregate, CommandContext, ExpectedVersion, Reference, ReferenceStatus, Version,
};
use codeflix_eventlog::{Appended, ExecuteError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::problem::{FieldError, Problem};

/// The header that carries the consistency token of a write.
pub const CONSISTENCY_TOKEN: &str = "codeflix-consistency-token";
/// The header that marks an answer as the stored result of an earlier, identical request.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
pub use codeflix_http::{CORRELATION_ID, CorrelationId};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub correlation_id: Uuid,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let principal = codeflix_http::auth::authenticate(state.verifier(), &parts.headers).await?;
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map_or_else(Uuid::new_v4, |c| c.0);
        Ok(Caller {
            principal,
            correlation_id,
        })
    }
}

impl Caller {
    /// 403 unless the caller holds `role` (or is a catalog admin).
    pub fn require(&self, role: Role) -> Result<(), Problem> {
        codeflix_http::auth::require(&self.principal, role)
    }
}

/// How a write is identified and which version it expects, read from its headers.
#[derive(Debug, Clone)]
pub struct Write {
    pub ctx: CommandContext,
    pub expected: ExpectedVersion,
    /// Whether the command id came from an `Idempotency-Key`.
    pub keyed: bool,
    /// The digest of the request's body, when keyed: the same key with another body is refused.
    pub digest: Option<String>,
}

/// Namespace of command ids derived from idempotency keys.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x5d1c_6a1e_2f0b_4c8e_9a57_0c3f_8e21_b4d6);

impl Write {
    /// Reads `If-Match` (the expected version) and `Idempotency-Key` (which makes the command id
    /// stable across retries: the key is scoped to the caller and the target path).
    pub fn from_headers(
        caller: &Caller,
        headers: &HeaderMap,
        target: &str,
    ) -> Result<Write, Problem> {
        let mut errors = Vec::new();
        let expected = match headers.get(header::IF_MATCH) {
            None => ExpectedVersion::Any,
            Some(value) => match value.to_str().ok().and_then(parse_etag) {
                Some(expected) => expected,
                None if value.as_bytes().starts_with(b"W/") => {
                    errors.push(FieldError::new(
                        "If-Match",
                        "must be a strong ETag like \"3\": a weak one (W/\"3\") never matches \
                         (RFC 9110 strong comparison)",
                    ));
                    ExpectedVersion::Any
                }
                None => {
                    errors.push(FieldError::new(
                        "If-Match",
                        "must be the ETag of a version, like \"3\", or *",
                    ));
                    ExpectedVersion::Any
                }
            },
        };
        let command_id = match headers.get("idempotency-key") {
            None => Uuid::new_v4(),
            Some(value) => match value.to_str() {
                Ok(key) if valid_idempotency_key(key) => {
                    let name = format!("{}\n{target}\n{key}", caller.principal.subject);
                    Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, name.as_bytes())
                }
                _ => {
                    errors.push(FieldError::new(
                        "Idempotency-Key",
                        "must be 1 to 255 visible ASCII characters",
                    ));
                    Uuid::nil()
                }
            },
        };
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let mut write = Write::with_command_id(caller, command_id, expected);
        write.keyed = headers.contains_key("idempotency-key");
        Ok(write)
    }

    /// Remembers the body's digest when the write is keyed.
    pub fn for_body(mut self, body: &crate::input::JsonObject) -> Write {
        if self.keyed {
            self.digest = Some(body.digest());
        }
        self
    }

    /// A write whose command id is fixed by the caller (e.g. derived from an upload), so that
    /// running it again replays it.
    pub fn with_command_id(caller: &Caller, command_id: Uuid, expected: ExpectedVersion) -> Write {
        Write {
            ctx: CommandContext {
                command_id,
                correlation_id: caller.correlation_id,
                actor: caller.principal.subject.clone(),
                now: codeflix_eventlog::now(),
            },
            expected,
            keyed: false,
            digest: None,
        }
    }

    /// The id of an aggregate this write creates: derived from the command id, so that a retried
    /// create (same `Idempotency-Key`) names the same aggregate and is recognised as a replay.
    pub fn new_id(&self) -> Uuid {
        Uuid::new_v5(&self.ctx.command_id, b"created-aggregate-id")
    }
}

fn valid_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

/// `"3"` → exactly version 3; `*` → any; a weak `W/"3"` is no match (`None`).
fn parse_etag(value: &str) -> Option<ExpectedVersion> {
    let value = value.trim();
    if value == "*" {
        return Some(ExpectedVersion::Any);
    }
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak ETag matches nothing.
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    inner
        .parse::<u64>()
        .ok()
        .map(|n| ExpectedVersion::Exactly(Version::new(n)))
}

/// What an accepted write answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Written {
    /// The aggregate written to.
    pub id: Uuid,
    /// Its version after the write (also the `ETag`); send it as `If-Match` to write again.
    pub version: u64,
    /// The events the write appended, in order (empty when nothing changed).
    pub event_ids: Vec<Uuid>,
    /// The log position of the last event (`topic:partition:offset`): pass it to the query API
    /// to read this write. Absent when nothing was appended.
    pub consistency_token: Option<String>,
}

/// Answer of a write accepted but not yet confirmed in Kafka.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pending {
    pub id: Uuid,
    pub version: u64,
    /// Repeat the request with the same `Idempotency-Key` to get its consistency token.
    pub detail: String,
}

/// Turns a domain error into the problem a client can act on.
pub trait DomainProblem {
    fn problem(&self) -> Problem;
}

/// A rejected command because the aggregate's state does not allow it (409).
pub fn state_conflict(detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "state-conflict",
        "The resource's state does not allow this",
        detail,
    )
}

/// A deleted resource: 404 like an unknown one (its history stays in the log), with its own
/// problem type so that clients can tell the two apart.
pub fn gone(detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "deleted",
        "The resource was deleted",
        detail,
    )
}

/// A rule about one field, judged by the domain.
pub fn field_rule(field: &str, rule: impl Into<String>) -> Problem {
    Problem::validation(vec![FieldError::new(field, rule)])
}

/// A referenced aggregate is missing or inactive (409): the request is well-formed, but the
/// state of what it refers to does not allow it. `field` names the reference.
pub fn reference_problem(field: &str, detail: impl Into<String>) -> Problem {
    let detail = detail.into();
    let mut problem = Problem::new(
        StatusCode::CONFLICT,
        "reference",
        "A referenced resource is missing or inactive",
        detail.clone(),
    );
    problem.0.errors = vec![FieldError::new(field, detail)];
    problem
}

/// What came of an accepted command.
#[derive(Debug)]
pub enum Accepted {
    /// Appended and confirmed in Kafka (or a replay of such a write).
    Appended(Appended),
    /// Stored, not yet confirmed in Kafka: repeat it with the same `Idempotency-Key`.
    Unconfirmed(Version),
}

impl AppState {
    /// Decides and appends `command`, answering as HTTP: 200/201 with the new version, or the
    /// problem; `location` is set for creates.
    pub async fn execute<A>(
        &self,
        write: Write,
        id: Uuid,
        aggregate_id: &A::Id,
        command: A::Command,
        location: Option<String>,
    ) -> Result<Response, Problem>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Error: DomainProblem,
    {
        let expected = if location.is_some() {
            ExpectedVersion::Exactly(Version::INITIAL)
        } else {
            write.expected
        };
        let accepted = self
            .decide::<A>(&write, aggregate_id, expected, command)
            .await?;
        Ok(respond(id, accepted, location, ()))
    }

    /// Decides and appends `command` expecting `expected`, counting the outcome; a rejection
    /// is the problem a client can act on.
    pub async fn decide<A>(
        &self,
        write: &Write,
        aggregate_id: &A::Id,
        expected: ExpectedVersion,
        command: A::Command,
    ) -> Result<Accepted, Problem>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Error: DomainProblem,
    {
        let aggregate = A::TYPE.as_str();
        let result = self
            .log()
            .execute_request::<A>(
                &write.ctx,
                aggregate_id,
                expected,
                command,
                write.digest.as_deref(),
            )
            .await;
        let outcome = match &result {
            Ok(a) if a.replayed => "replayed",
            Ok(_) => "accepted",
            Err(ExecuteError::Rejected(_)) => "rejected",
            Err(ExecuteError::Conflict { .. }) => "conflict",
            Err(ExecuteError::CommandIdReused { .. } | ExecuteError::DifferentRequest { .. }) => {
                "rejected"
            }
            Err(ExecuteError::Unconfirmed { .. }) => "unconfirmed",
            Err(ExecuteError::Unavailable(_)) => "unavailable",
        };
        self.metrics().command(aggregate, outcome);
        accept(result)
    }

    /// The answer to the command `write` names if it ran before on aggregate `id` (a retry
    /// with the same `Idempotency-Key`); none if it did not. Asked before acting outside the
    /// event log (charging a card), so that a retry only repeats the answer.
    pub async fn earlier<A>(
        &self,
        write: &Write,
        aggregate_id: &A::Id,
    ) -> Result<Option<Accepted>, Problem>
    where
        A: Aggregate + Send + Sync + 'static,
        A::Error: DomainProblem,
    {
        if !write.keyed {
            return Ok(None);
        }
        match self
            .log()
            .earlier::<A>(&write.ctx, aggregate_id, write.digest.as_deref())
            .await
        {
            Ok(None) => Ok(None),
            Ok(Some(appended)) => accept::<A::Error>(Ok(appended)).map(Some),
            Err(error) => accept(Err(error)).map(Some),
        }
    }
}

/// What an event log's answer is for the client.
fn accept<E: DomainProblem>(
    result: Result<Appended, ExecuteError<E>>,
) -> Result<Accepted, Problem> {
    match result {
        Ok(appended) => Ok(Accepted::Appended(appended)),
        Err(ExecuteError::Rejected(error)) => Err(error.problem()),
        Err(ExecuteError::Conflict { expected, current }) => Err(Problem::new(
            StatusCode::CONFLICT,
            "version-conflict",
            "The resource changed since you read it",
            format!(
                "If-Match expected version {expected} but it is at version {current}; \
                     re-read it and decide again"
            ),
        )
        .with_current_version(current.get())),
        Err(ExecuteError::DifferentRequest { .. }) => Err(field_rule(
            "Idempotency-Key",
            "was already used for this operation with a different body",
        )),
        Err(ExecuteError::CommandIdReused { .. }) => Err(field_rule(
            "Idempotency-Key",
            "was already used for another resource or operation",
        )),
        Err(ExecuteError::Unconfirmed { version }) => Ok(Accepted::Unconfirmed(version)),
        Err(ExecuteError::Unavailable(error)) => {
            Err(Problem::fault("appending to the event log", &error))
        }
    }
}

/// The answer to an accepted write: 200, or 201 with `location` for creates, the [`Written`]
/// body with `extra`'s fields beside it; 202 [`Pending`] when Kafka has not confirmed it yet.
pub fn respond(
    id: Uuid,
    accepted: Accepted,
    location: Option<String>,
    extra: impl Serialize,
) -> Response {
    match accepted {
        Accepted::Appended(appended) => written(id, appended, location, extra),
        Accepted::Unconfirmed(version) => {
            let body = Pending {
                id,
                version: version.get(),
                detail: "accepted and stored; its events are not confirmed in Kafka yet".into(),
            };
            (StatusCode::ACCEPTED, etag(version.get()), axum::Json(body)).into_response()
        }
    }
}

fn etag(version: u64) -> [(axum::http::HeaderName, HeaderValue); 1] {
    [(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("")),
    )]
}

/// A [`Written`] body with more fields beside its own.
#[derive(Serialize)]
struct WrittenWith<T> {
    #[serde(flatten)]
    written: Written,
    #[serde(flatten)]
    extra: T,
}

fn written(
    id: Uuid,
    appended: Appended,
    location: Option<String>,
    extra: impl Serialize,
) -> Response {
    let token = appended.positions.last().map(ToString::to_string);
    let version = appended.aggregate_version.get();
    let body = WrittenWith {
        written: Written {
            id,
            version,
            event_ids: appended.event_ids.iter().map(|e| e.0).collect(),
            consistency_token: token.clone(),
        },
        extra,
    };
    let status = if location.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, etag(version), axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(token) = token.and_then(|t| HeaderValue::from_str(&t).ok()) {
        headers.insert(CONSISTENCY_TOKEN, token);
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    if appended.replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// Looks up each referenced aggregate's status (ADR 0004: the edge finds, the domain judges).
pub async fn references<A, Id>(
    state: &AppState,
    ids: &[Uuid],
    make: fn(Uuid) -> Id,
    status: fn(&A) -> ReferenceStatus,
) -> Result<Vec<Reference<Id>>, Problem>
where
    A: Aggregate<Id = Id> + Send + Sync + 'static,
{
    let mut references = Vec::with_capacity(ids.len());
    for &raw in ids {
        let id = make(raw);
        let aggregate = state
            .log()
            .load::<A>(&id)
            .await
            .map_err(|e| Problem::fault("loading a referenced aggregate", &e))?;
        references.push(Reference {
            id,
            status: status(aggregate.state()),
        });
    }
    Ok(references)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_etags() {
        assert_eq!(
            parse_etag("\"3\""),
            Some(ExpectedVersion::Exactly(Version::new(3)))
        );
        assert_eq!(parse_etag("W/\"0\""), None, "weak ETags never match");
        assert_eq!(parse_etag("*"), Some(ExpectedVersion::Any));
        assert_eq!(parse_etag("3"), None);
        assert_eq!(parse_etag("\"x\""), None);
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(valid_idempotency_key("order-42 retry"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key(&"k".repeat(256)));
        assert!(!valid_idempotency_key("tab\there"));
    }
}
