//! Cast members: create, update, delete.

use axum::extract::State;
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::catalog::cast_member::{
    CastMember, CastMemberError, CastMemberId, CastMemberName, CastMemberType, CreateCastMember,
    DeleteCastMember, UpdateCastMember,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::command::{Command, Create, Resource};
use crate::input::{Fields, JsonObject};
use crate::problem::Problem;
use crate::write::{DomainProblem, gone, state_conflict};

/// An actor or director.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct CastMemberRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Fernanda Montenegro"
    )]
    name: String,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    kind: CastMemberKind,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)]
pub(crate) enum CastMemberKind {
    ACTOR,
    DIRECTOR,
}

impl DomainProblem for CastMemberError {
    fn problem(&self) -> Problem {
        match self {
            CastMemberError::NotFound => Problem::not_found(self.to_string()),
            CastMemberError::Deleted => gone(self.to_string()),
            CastMemberError::AlreadyExists => state_conflict(self.to_string()),
        }
    }
}

fn read(body: JsonObject) -> Result<(CastMemberName, CastMemberType), Problem> {
    let mut fields = Fields::new(body);
    let name = fields.text("name", CastMemberName::MAX_CHARS, CastMemberName::parse);
    let kind = fields.symbol::<CastMemberType>("type");
    fields.finish()?;
    name.zip(kind)
        .ok_or_else(|| Problem::bad_request("invalid body"))
}

/// Create a cast member
#[utoipa::path(post, path = "/cast-members", tag = "cast members",
    request_body = CastMemberRequest,
    responses((status = 201, description = "Created", body = crate::write::Written)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    create: Create<CastMember>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let create = create.with_body(&body);
    let (name, kind) = read(body)?;
    create
        .run(
            &state,
            "/cast-members",
            CreateCastMember { name, kind }.into(),
        )
        .await
}

/// Replace a cast member's name and type
#[utoipa::path(put, path = "/cast-members/{id}", tag = "cast members",
    params(("id" = uuid::Uuid, Path, description = "The cast member")),
    request_body = CastMemberRequest,
    responses((status = 200, description = "Updated", body = crate::write::Written)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    request: Command<CastMember>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let request = request.with_body(&body);
    let (name, kind) = read(body)?;
    request
        .run(&state, UpdateCastMember { name, kind }.into())
        .await
}

/// Delete a cast member (softly)
#[utoipa::path(delete, path = "/cast-members/{id}", tag = "cast members",
    params(("id" = uuid::Uuid, Path, description = "The cast member")),
    responses((status = 200, description = "Deleted (or already deleted)", body = crate::write::Written)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    request: Command<CastMember>,
) -> Result<Response, Problem> {
    request.run(&state, DeleteCastMember.into()).await
}

impl Resource for CastMember {
    const ROLE: Role = Role::CastMembers;

    fn id(id: Uuid) -> CastMemberId {
        CastMemberId::new(id)
    }
}
