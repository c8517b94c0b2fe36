//! Genres: create, update, activate, deactivate, delete.

use axum::extract::State;
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::catalog::category::{Category, CategoryId};
use codeflix_domain::catalog::genre::{
    ActivateGenre, CreateGenre, DeactivateGenre, DeleteGenre, Genre, GenreError, GenreId,
    GenreName, UpdateGenre,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::command::{Command, Create, Resource};
use crate::input::{Fields, JsonObject};
use crate::problem::Problem;
use crate::write::{DomainProblem, gone, reference_problem, references, state_conflict};

/// A new genre.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct CreateGenreRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Drama"
    )]
    name: String,
    /// Default true.
    #[schema(default = true)]
    is_active: Option<bool>,
    /// Active categories the genre belongs to.
    #[schema(nullable)]
    categories: Option<Vec<Uuid>>,
}

/// A genre's new name and categories.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct UpdateGenreRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Drama"
    )]
    name: String,
    #[schema(nullable)]
    categories: Option<Vec<Uuid>>,
}

impl DomainProblem for GenreError {
    fn problem(&self) -> Problem {
        match self {
            GenreError::NotFound => Problem::not_found(self.to_string()),
            GenreError::Deleted => gone(self.to_string()),
            GenreError::AlreadyExists => state_conflict(self.to_string()),
            GenreError::UnknownCategory(_) | GenreError::InactiveCategory(_) => {
                reference_problem("categories", self.to_string())
            }
        }
    }
}

/// Reads `name` and `categories` (and `is_active` for creates).
async fn read(
    state: &AppState,
    body: JsonObject,
    create: bool,
) -> Result<(GenreName, bool, Vec<codeflix_domain::Reference<CategoryId>>), Problem> {
    let mut fields = Fields::new(body);
    let name = fields.text("name", GenreName::MAX_CHARS, GenreName::parse);
    let active = if create {
        fields.boolean("is_active", true)
    } else {
        Some(true)
    };
    let categories = fields.ids("categories");
    fields.finish()?;
    let (Some(name), Some(active), Some(categories)) = (name, active, categories) else {
        return Err(Problem::bad_request("invalid body"));
    };
    let categories = references::<Category, _>(
        state,
        &categories,
        CategoryId::new,
        Category::reference_status,
    )
    .await?;
    Ok((name, active, categories))
}

/// Create a genre
#[utoipa::path(post, path = "/genres", tag = "genres",
    request_body = CreateGenreRequest,
    responses((status = 201, description = "Created", body = crate::write::Written)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    create: Create<Genre>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let create = create.with_body(&body);
    let (name, active, categories) = read(&state, body, true).await?;
    let command = CreateGenre {
        name,
        active,
        categories,
    };
    create.run(&state, "/genres", command.into()).await
}

/// Replace a genre's name and categories
#[utoipa::path(put, path = "/genres/{id}", tag = "genres",
    params(("id" = uuid::Uuid, Path, description = "The genre")),
    request_body = UpdateGenreRequest,
    responses((status = 200, description = "Updated", body = crate::write::Written)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    request: Command<Genre>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let request = request.with_body(&body);
    let (name, _, categories) = read(&state, body, false).await?;
    let command = UpdateGenre { name, categories };
    request.run(&state, command.into()).await
}

/// Activate a genre
#[utoipa::path(post, path = "/genres/{id}/activate", tag = "genres",
    params(("id" = uuid::Uuid, Path, description = "The genre")),
    responses((status = 200, description = "Active", body = crate::write::Written)))]
pub(crate) async fn activate(
    State(state): State<AppState>,
    request: Command<Genre>,
) -> Result<Response, Problem> {
    request.run(&state, ActivateGenre.into()).await
}

/// Deactivate a genre
#[utoipa::path(post, path = "/genres/{id}/deactivate", tag = "genres",
    params(("id" = uuid::Uuid, Path, description = "The genre")),
    responses((status = 200, description = "Inactive", body = crate::write::Written)))]
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    request: Command<Genre>,
) -> Result<Response, Problem> {
    request.run(&state, DeactivateGenre.into()).await
}

/// Delete a genre (softly)
#[utoipa::path(delete, path = "/genres/{id}", tag = "genres",
    params(("id" = uuid::Uuid, Path, description = "The genre")),
    responses((status = 200, description = "Deleted (or already deleted)", body = crate::write::Written)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    request: Command<Genre>,
) -> Result<Response, Problem> {
    request.run(&state, DeleteGenre.into()).await
}

impl Resource for Genre {
    const ROLE: Role = Role::Genres;

    fn id(id: Uuid) -> GenreId {
        GenreId::new(id)
    }
}
