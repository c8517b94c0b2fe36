//! The OpenAPI 3.1 document, generated from the handlers' annotations.
//!
//! Responses every write shares (problems, the pending answer) are added to each operation here,
//! so that the document lists every status the API can answer with.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{cast_members, categories, genres, videos};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Codeflix command API",
        description = "Catalog administration: every accepted write appends domain events to Kafka \
            and answers with the new version (ETag), the event ids and a consistency token. \
            Send `If-Match` to write only over the version you read, and `Idempotency-Key` to make \
            retries safe. Errors are RFC 9457 problem details."
    ),
    paths(
        categories::create, categories::update, categories::activate, categories::deactivate,
        categories::delete,
        genres::create, genres::update, genres::activate, genres::deactivate, genres::delete,
        cast_members::create, cast_members::update, cast_members::delete,
        videos::create, videos::update, videos::delete, videos::publish, videos::unpublish,
        videos::attach_category, videos::detach_category, videos::attach_genre,
        videos::detach_genre, videos::attach_cast_member, videos::detach_cast_member,
    ),
    components(schemas(crate::problem::ProblemDetails, crate::problem::FieldError,
        crate::write::Written, crate::write::Pending)),
    modifiers(&Conventions),
    tags(
        (name = "categories"), (name = "genres"), (name = "cast members"), (name = "videos"),
    )
)]
pub(crate) struct ApiDoc;

struct Conventions;

const PROBLEMS: [(&str, &str); 10] = [
    (
        "400",
        "The request cannot be read (not JSON, bad header syntax)",
    ),
    ("401", "No valid bearer token"),
    ("403", "The token lacks the role this operation needs"),
    ("404", "No such resource"),
    (
        "409",
        "Version conflict (If-Match) or a state that forbids the operation",
    ),
    ("410", "The resource was deleted"),
    ("413", "The body is too large"),
    ("415", "The body is not of an accepted media type"),
    (
        "422",
        "Fields break their rules; every broken rule is listed",
    ),
    (
        "503",
        "A dependency is unavailable; retry with the same Idempotency-Key",
    ),
];

fn add_responses(operation: &mut Operation) {
    for (status, description) in PROBLEMS {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        crate::problem::PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build()
                    .into()
            });
    }
    operation
        .responses
        .responses
        .entry("202".to_owned())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description("Accepted and stored, not yet confirmed in Kafka")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Pending")))
                        .build(),
                )
                .build()
                .into()
        });
    operation.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT from the OIDC issuer (`codeflix token` on embedded defaults)",
                    ))
                    .build(),
            ),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_responses(operation);
            }
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
