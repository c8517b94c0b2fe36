//! The OpenAPI 3.1 document, generated from the handlers' annotations.
//!
//! Responses every write shares (problems, the pending answer) are added to each operation here,
//! so that the document lists every status the API can answer with.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    accounts, cast_members, categories, dead_letters, genres, media, plans, subscriptions,
    unsubscribe, videos,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Codeflix command API",
        description = "Catalog and plan administration, and customers' subscriptions: every accepted write appends domain events to Kafka \
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
        media::upload, media::tus::create_upload, media::tus::upload_status, media::tus::upload_chunk,
        media::tus::delete_upload,
        plans::create, plans::update, plans::activate, plans::deactivate,
        subscriptions::create, subscriptions::cancel, subscriptions::uncancel,
        subscriptions::change_payment_method, subscriptions::pay,
        accounts::put_me, accounts::put_roles, accounts::put_opt_outs,
        unsubscribe::show, unsubscribe::confirm,
        dead_letters::list_consumers, dead_letters::list_letters, dead_letters::redrive,
    ),
    components(schemas(crate::problem::ProblemDetails, crate::problem::FieldError,
        crate::write::Written, crate::write::Pending, media::SlotName)),
    modifiers(&Conventions),
    tags(
        (name = "categories"), (name = "genres"), (name = "cast members"), (name = "videos"),
        (name = "media", description = "Uploads: one request, or resumable with tus 1.0"),
        (name = "plans", description = "What customers subscribe to; a change applies to new \
            subscriptions only"),
        (name = "accounts", description = "The caller's own account, registered from the token \
            on first use; admins holding accounts-admin change an account's roles"),
        (name = "subscriptions", description = "Customers subscribe, cancel, take a \
            cancellation back, change the payment method and pay what is due; admins holding \
            billing-subscriptions may act for them"),
        (name = "operations", description = "What the consumers set aside as dead letters, and \
            sending them back; needs the operations role"),
    )
)]
pub(crate) struct ApiDoc;

struct Conventions;

const PROBLEMS: [(&str, &str); 9] = [
    (
        "400",
        "The request cannot be read (not JSON, bad header syntax)",
    ),
    ("401", "No valid bearer token"),
    ("403", "The token lacks the role this operation needs"),
    (
        "404",
        "No such resource, or it was deleted (problem type `deleted`)",
    ),
    (
        "409",
        "Version conflict (If-Match) or a state that forbids the operation",
    ),
    ("413", "The body is too large"),
    ("415", "The body is not of an accepted media type"),
    (
        "422",
        "Fields break their rules; every broken rule is listed",
    ),
    (
        "503",
        "A dependency is unavailable, or the server is at its limit of requests in flight \
         (type overloaded); retry after Retry-After with the same Idempotency-Key",
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
        let mut ids = Vec::new();
        for (path, item) in openapi.paths.paths.iter_mut() {
            if let Some(head) = item.head.as_mut() {
                head.operation_id = Some(operation_id("head", path));
                head.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
            for (method, operation) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ] {
                if let Some(operation) = operation {
                    let id = operation_id(method, path);
                    operation.operation_id = Some(id.clone());
                    add_responses(operation);
                    if path == "/unsubscribe" {
                        // The signed token is the proof: no sign-in, no JSON body.
                        operation.security = Some(Vec::new());
                        for status in ["202", "401", "409", "413", "415", "422"] {
                            operation.responses.responses.remove(status);
                        }
                        if let Some(RefOr::T(forged)) = operation.responses.responses.get_mut("403")
                        {
                            "The link is shaped right but not signed by this Codeflix"
                                .clone_into(&mut forged.description);
                        }
                    }
                    if path.starts_with("/admin/dead-letters") {
                        // Reads of the consumers' topics and a redrive: no body, no version,
                        // nothing stored for later.
                        let kept: &[&str] = if path.ends_with("/redrive") {
                            &["200", "401", "403", "404", "503"]
                        } else if path.contains('{') {
                            &["200", "400", "401", "403", "404", "503"]
                        } else {
                            &["200", "401", "403", "503"]
                        };
                        operation
                            .responses
                            .responses
                            .retain(|status, _| kept.contains(&status.as_str()));
                        if let Some(RefOr::T(unavailable)) =
                            operation.responses.responses.get_mut("503")
                        {
                            "Kafka is unavailable, or the server is at its limit of requests in \
                             flight; retry after Retry-After"
                                .clone_into(&mut unavailable.description);
                        }
                    }
                    ids.push((path.clone(), id));
                }
            }
        }
        link_creates(openapi, &ids);
    }
}

/// A unique operation id such as `put_categories_id` (handlers share names across modules).
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_matches(|c| c == '{' || c == '}').replace('-', "_"))
        .collect();
    format!("{method}_{}", words.join("_"))
}

/// Links each create's answer to the operations on what it created (`{id}` from the body), so
/// that clients and stateful testers (schemathesis) can follow them.
fn link_creates(openapi: &mut utoipa::openapi::OpenApi, ids: &[(String, String)]) {
    for item in openapi.paths.paths.iter_mut() {
        let (collection, item) = item;
        let Some(create) = item.post.as_mut() else {
            continue;
        };
        let prefix = format!("{collection}/{{id}}");
        let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") else {
            continue;
        };
        for (path, id) in ids {
            if path.starts_with(&prefix) {
                created.links.insert(
                    id.clone(),
                    RefOr::T(
                        LinkBuilder::new()
                            .operation_id(id.clone())
                            .parameter("id", "$response.body#/id")
                            .build(),
                    ),
                );
            }
        }
    }
}

/// The document, as served at `/openapi.json`.
pub fn document() -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    fix_link_keys(&mut document);
    document
}

/// utoipa 5 serialises Link objects' fields in snake case (`operation_id`); OpenAPI spells them
/// in camel case, and tools (schemathesis, code generators) ignore links without it.
fn fix_link_keys(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut() {
                    if let serde_json::Value::Object(link) = link {
                        for (from, to) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(v) = link.remove(from) {
                                link.insert(to.to_owned(), v);
                            }
                        }
                    }
                }
            }
            map.values_mut().for_each(fix_link_keys);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(fix_link_keys),
        _ => {}
    }
}
