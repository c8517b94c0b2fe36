//! Categories: create, update, activate, deactivate, delete.

use axum::extract::State;
use axum::response::Response;
use codeflix_auth::Role;
use codeflix_domain::catalog::category::{
    ActivateCategory, Category, CategoryDescription, CategoryError, CategoryId, CategoryName,
    CreateCategory, DeactivateCategory, DeleteCategory, UpdateCategory,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::command::{Command, Create, Resource};
use crate::input::{Fields, JsonObject};
use crate::problem::Problem;
use crate::write::{DomainProblem, gone, state_conflict};

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct CreateCategoryRequest {
    /// 1 to 255 characters, no line breaks.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Movies"
    )]
    name: String,
    /// Up to 4000 characters.
    #[schema(
        max_length = 4000,
        nullable,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]([^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)?$"
    )]
    description: Option<String>,
    /// Whether videos and genres may refer to it (default true).
    #[schema(default = true)]
    is_active: Option<bool>,
}

/// A category's new name and description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct UpdateCategoryRequest {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]([^\x00-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        example = "Feature films"
    )]
    name: String,
    #[schema(
        max_length = 4000,
        nullable,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]([^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F])?[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)?$"
    )]
    description: Option<String>,
}

impl DomainProblem for CategoryError {
    fn problem(&self) -> Problem {
        match self {
            CategoryError::NotFound => Problem::not_found(self.to_string()),
            CategoryError::Deleted => gone(self.to_string()),
            CategoryError::AlreadyExists => state_conflict(self.to_string()),
        }
    }
}

/// Create a category
#[utoipa::path(post, path = "/categories", tag = "categories",
    request_body = CreateCategoryRequest,
    responses((status = 201, description = "Created", body = crate::write::Written)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    create: Create<Category>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let create = create.with_body(&body);
    let mut fields = Fields::new(body);
    let name = fields.text("name", CategoryName::MAX_CHARS, CategoryName::parse);
    let description = fields.optional_text(
        "description",
        CategoryDescription::MAX_CHARS,
        CategoryDescription::parse,
    );
    let active = fields.boolean("is_active", true);
    fields.finish()?;
    let (Some(name), Some(description), Some(active)) = (name, description, active) else {
        return Err(Problem::bad_request("invalid body"));
    };
    let command = CreateCategory {
        name,
        description,
        active,
    };
    create.run(&state, "/categories", command.into()).await
}

/// Replace a category's name and description
#[utoipa::path(put, path = "/categories/{id}", tag = "categories",
    params(("id" = uuid::Uuid, Path, description = "The category")),
    request_body = UpdateCategoryRequest,
    responses((status = 200, description = "Updated", body = crate::write::Written)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    request: Command<Category>,
    body: JsonObject,
) -> Result<Response, Problem> {
    let request = request.with_body(&body);
    let mut fields = Fields::new(body);
    let name = fields.text("name", CategoryName::MAX_CHARS, CategoryName::parse);
    let description = fields.optional_text(
        "description",
        CategoryDescription::MAX_CHARS,
        CategoryDescription::parse,
    );
    fields.finish()?;
    let (Some(name), Some(description)) = (name, description) else {
        return Err(Problem::bad_request("invalid body"));
    };
    let command = UpdateCategory { name, description };
    request.run(&state, command.into()).await
}

/// Activate a category: videos and genres may refer to it again
#[utoipa::path(post, path = "/categories/{id}/activate", tag = "categories",
    params(("id" = uuid::Uuid, Path, description = "The category")),
    responses((status = 200, description = "Active", body = crate::write::Written)))]
pub(crate) async fn activate(
    State(state): State<AppState>,
    request: Command<Category>,
) -> Result<Response, Problem> {
    request.run(&state, ActivateCategory.into()).await
}

/// Deactivate a category: it stays, but nothing new may refer to it
#[utoipa::path(post, path = "/categories/{id}/deactivate", tag = "categories",
    params(("id" = uuid::Uuid, Path, description = "The category")),
    responses((status = 200, description = "Inactive", body = crate::write::Written)))]
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    request: Command<Category>,
) -> Result<Response, Problem> {
    request.run(&state, DeactivateCategory.into()).await
}

/// Delete a category (softly: its history stays in the log)
#[utoipa::path(delete, path = "/categories/{id}", tag = "categories",
    params(("id" = uuid::Uuid, Path, description = "The category")),
    responses((status = 200, description = "Deleted (or already deleted)", body = crate::write::Written)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    request: Command<Category>,
) -> Result<Response, Problem> {
    request.run(&state, DeleteCategory.into()).await
}

impl Resource for Category {
    const ROLE: Role = Role::Categories;

    fn id(id: Uuid) -> CategoryId {
        CategoryId::new(id)
    }
}
