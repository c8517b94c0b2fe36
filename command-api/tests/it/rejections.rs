//! Bad input of every kind gets the right status and a useful problem, and appends nothing.

use codeflix_domain::AggregateType;
use reqwest::{Method, StatusCode};
use serde_json::json;

use codeflix_testkit::CommandApi as Api;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_every_broken_rule_and_nothing_is_appended() {
    let api = Api::start().await;
    let token = api.admin();

    let invalid = api
        .admin_send(
            Method::POST,
            "/videos",
            Some(json!({
                "title": "x".repeat(256),
                "description": "  ",
                "launch_year": 1700,
                "duration": 1.5,
                "rating": "21",
                "opened": "yes",
                "categories": ["not-an-id"],
                "colour": "red",
            })),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        invalid.header("content-type"),
        Some("application/problem+json")
    );
    let fields: Vec<String> = invalid.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "title",
            "description",
            "launch_year",
            "duration",
            "rating",
            "opened",
            "categories[0]",
            "colour"
        ]
    );
    assert!(
        invalid.field_errors()[0].1.contains("at most 255"),
        "{:?}",
        invalid.body
    );

    // References to categories that do not exist.
    let missing = uuid::Uuid::new_v4();
    let unknown = api
        .admin_send(
            Method::POST,
            "/videos",
            Some(json!({
                "title": "Up", "description": "Balloons.", "launch_year": 2009,
                "duration": 96, "rating": "L", "categories": [missing],
            })),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::CONFLICT);
    assert_eq!(unknown.body["type"], "urn:codeflix:problem:reference");
    assert_eq!(unknown.field_errors()[0].0, "categories");
    assert!(unknown.field_errors()[0].1.contains(&missing.to_string()));

    // Not JSON, broken JSON, not an object, a bad path id, a bad If-Match.
    let text = api
        .send(
            Method::POST,
            "/categories",
            Some(&token),
            &[("content-type", "text/plain")],
            None,
        )
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = api
        .http
        .post(format!("{}/categories", api.base()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(broken.headers()["content-type"], "application/problem+json");
    let array = api
        .admin_send(Method::POST, "/categories", Some(json!(["Movies"])))
        .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    let bad_id = api
        .admin_send(
            Method::PUT,
            "/categories/42",
            Some(json!({"name": "Movies"})),
        )
        .await;
    assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_id.field_errors()[0].0, "id");
    let bad_link = api
        .admin_send(Method::PUT, "/videos/42/categories/x", None)
        .await;
    assert_eq!(bad_link.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad_link
        .field_errors()
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["id", "category_id"]);
    let bad_if_match = api
        .send(
            Method::POST,
            "/categories",
            Some(&token),
            &[("if-match", "3")],
            Some(json!({"name": "Movies"})),
        )
        .await;
    assert_eq!(bad_if_match.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_if_match.field_errors()[0].0, "If-Match");
    let too_large = api
        .admin_send(
            Method::POST,
            "/categories",
            Some(json!({"name": "x".repeat(300 * 1024)})),
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Unknown aggregates and routes.
    let unknown_category = api
        .admin_send(
            Method::PUT,
            &format!("/categories/{}", uuid::Uuid::new_v4()),
            Some(json!({"name": "Movies"})),
        )
        .await;
    assert_eq!(unknown_category.status, StatusCode::NOT_FOUND);
    assert_eq!(
        api.admin_send(Method::GET, "/nowhere", None).await.status,
        StatusCode::NOT_FOUND
    );

    for aggregate in [AggregateType::Category, AggregateType::Video] {
        assert!(
            api.events(aggregate).await.is_empty(),
            "{aggregate} events were appended"
        );
    }
}
