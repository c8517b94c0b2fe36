//! The request preamble every command shares, as extractors: who asks and whether they hold the
//! resource's role, the ids in the path, and the write's identity (`If-Match`, and an
//! `Idempotency-Key` scoped to the caller and the request target). A handler is then the parsing
//! of its body plus one call.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams};
use axum::http::request::Parts;
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::Aggregate;
use uuid::Uuid;

use crate::AppState;
use crate::input::JsonObject;
use crate::problem::{FieldError, Problem};
use crate::write::{Caller, DomainProblem, Write};

/// An aggregate the command API writes: the role its commands need and how its id is made.
pub trait Resource: Aggregate<Error: DomainProblem> + Send + Sync + 'static {
    /// The role a caller needs (catalog admins hold every role).
    const ROLE: Role;

    fn id(id: Uuid) -> Self::Id;
}

/// A command to an existing `R`, the one named by the path's `id`.
#[derive(Debug)]
pub struct Command<R> {
    pub caller: Caller,
    /// The path's `id`.
    pub id: Uuid,
    /// The path's other ids (`/videos/{id}/genres/{genre_id}`), by parameter name.
    pub others: Vec<(String, Uuid)>,
    pub write: Write,
    resource: PhantomData<R>,
}

/// A command that creates an `R` (a collection's `POST`).
#[derive(Debug)]
pub struct Create<R> {
    pub caller: Caller,
    pub write: Write,
    resource: PhantomData<R>,
}

/// Who asks, checked for `R`'s role; the path's ids; the request target with the ids as parsed.
async fn preamble<R: Resource>(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Caller, Vec<(String, Uuid)>, String), Problem> {
    let caller = Caller::from_request_parts(parts, state).await?;
    caller.require(R::ROLE)?;
    let (ids, target) = path_ids(parts, state).await?;
    Ok((caller, ids, target))
}

/// The path's ids by parameter name, each checked to be a UUID, and the request target
/// (`POST /videos/<id>/publish`) with the ids as parsed: what idempotency keys are scoped to.
pub(crate) async fn path_ids(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Vec<(String, Uuid)>, String), Problem> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| Problem::bad_request(e.body_text()))?;
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in &params {
        match Uuid::parse_str(value) {
            Ok(id) => ids.push((name.to_owned(), id)),
            Err(_) => errors.push(FieldError::new(name, "must be an id (UUID)")),
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut path = parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    for (name, id) in &ids {
        path = path.replace(&format!("{{{name}}}"), &id.to_string());
    }
    Ok((ids, format!("{} {path}", parts.method)))
}

impl<R: Resource> FromRequestParts<AppState> for Command<R> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let (caller, mut others, target) = preamble::<R>(parts, state).await?;
        let at = others
            .iter()
            .position(|(name, _)| name == "id")
            .ok_or_else(|| Problem::bad_request("the route names no id"))?;
        let (_, id) = others.remove(at);
        let write = Write::from_headers(&caller, &parts.headers, &target)?;
        Ok(Command {
            caller,
            id,
            others,
            write,
            resource: PhantomData,
        })
    }
}

impl<R: Resource> FromRequestParts<AppState> for Create<R> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let (caller, _, target) = preamble::<R>(parts, state).await?;
        let write = Write::from_headers(&caller, &parts.headers, &target)?;
        Ok(Create {
            caller,
            write,
            resource: PhantomData,
        })
    }
}

impl<R: Resource> Command<R> {
    /// Remembers the body's digest, so that a keyed retry with another body is refused.
    pub fn with_body(mut self, body: &JsonObject) -> Self {
        self.write = self.write.for_body(body);
        self
    }

    /// The path's id named `name` (besides `id`).
    pub fn other(&self, name: &str) -> Option<Uuid> {
        self.others
            .iter()
            .find_map(|(n, id)| (n == name).then_some(*id))
    }

    /// Decides and appends `command` on the resource, answering as HTTP.
    pub async fn run(self, state: &AppState, command: R::Command) -> Result<Response, Problem> {
        state
            .execute::<R>(self.write, self.id, &R::id(self.id), command, None)
            .await
    }
}

impl<R: Resource> Create<R> {
    /// Remembers the body's digest, so that a keyed retry with another body is refused.
    pub fn with_body(mut self, body: &JsonObject) -> Self {
        self.write = self.write.for_body(body);
        self
    }

    /// The id of the resource this write creates (derived from the command id, so a retried
    /// create names the same resource).
    pub fn new_id(&self) -> Uuid {
        self.write.new_id()
    }

    /// Decides and appends the create `command`, answering 201 with the resource's location
    /// under `collection` (`/categories`).
    pub async fn run(
        self,
        state: &AppState,
        collection: &str,
        command: R::Command,
    ) -> Result<Response, Problem> {
        let id = self.write.new_id();
        state
            .execute::<R>(
                self.write,
                id,
                &R::id(id),
                command,
                Some(format!("{collection}/{id}")),
            )
            .await
    }
}
