//! The catalog lifecycle through the API, checked against what reached Kafka.

use codeflix_domain::AggregateType;
use reqwest::{Method, StatusCode};
use serde_json::json;

use codeflix_testkit::CommandApi as Api;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_builds_the_catalog_and_kafka_holds_every_event_once_in_order() {
    let api = Api::start().await;

    let category = api
        .admin_send(
            Method::POST,
            "/categories",
            Some(json!({"name": "Movies", "description": "Feature films"})),
        )
        .await;
    assert_eq!(category.status, StatusCode::CREATED, "{:?}", category.body);
    let category_id = category.id();
    assert_eq!(category.header("etag"), Some("\"1\""));
    assert_eq!(
        category.header("location"),
        Some(format!("/categories/{category_id}").as_str())
    );
    let token = category.body["consistency_token"].as_str().unwrap();
    assert!(
        token.starts_with("codeflix.catalog.category.events:"),
        "{token}"
    );
    assert_eq!(category.header("codeflix-consistency-token"), Some(token));

    let genre = api
        .admin_send(
            Method::POST,
            "/genres",
            Some(json!({"name": "Drama", "categories": [category_id]})),
        )
        .await;
    assert_eq!(genre.status, StatusCode::CREATED, "{:?}", genre.body);
    let cast = api
        .admin_send(
            Method::POST,
            "/cast-members",
            Some(json!({"name": "Fernanda Montenegro", "type": "ACTOR"})),
        )
        .await;
    assert_eq!(cast.status, StatusCode::CREATED, "{:?}", cast.body);

    let video = api
        .admin_send(
            Method::POST,
            "/videos",
            Some(json!({
                "title": "Central do Brasil",
                "description": "A letter writer and a boy cross Brazil.",
                "launch_year": 1998,
                "duration": 113,
                "rating": "14",
                "categories": [category_id],
                "genres": [genre.id()],
                "cast_members": [cast.id()],
            })),
        )
        .await;
    assert_eq!(video.status, StatusCode::CREATED, "{:?}", video.body);
    let video_id = video.id();
    let version = video.body["version"].as_u64().unwrap();

    // An update over the version just read.
    let token = api.admin();
    let updated = api
        .send(
            Method::PUT,
            &format!("/videos/{video_id}"),
            Some(&token),
            &[("if-match", &format!("\"{version}\""))],
            Some(json!({
                "title": "Central Station",
                "description": "A letter writer and a boy cross Brazil.",
                "launch_year": 1998,
                "duration": 113,
                "rating": "14",
                "opened": true,
            })),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["version"].as_u64(), Some(version + 1));

    // Detach and re-attach the category; deactivating it then forbids attaching it again.
    let path = format!("/videos/{video_id}/categories/{category_id}");
    assert_eq!(
        api.admin_send(Method::DELETE, &path, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.admin_send(Method::PUT, &path, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.admin_send(Method::DELETE, &path, None).await.status,
        StatusCode::OK
    );
    let deactivated = api
        .admin_send(
            Method::POST,
            &format!("/categories/{category_id}/deactivate"),
            None,
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK);
    let refused = api.admin_send(Method::PUT, &path, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["type"], "urn:codeflix:problem:reference");
    assert_eq!(refused.field_errors()[0].0, "categories");

    // Publishing needs an encoded VIDEO media.
    let publish = api
        .admin_send(Method::POST, &format!("/videos/{video_id}/publish"), None)
        .await;
    assert_eq!(publish.status, StatusCode::CONFLICT, "{:?}", publish.body);
    assert_eq!(publish.body["type"], "urn:codeflix:problem:state-conflict");

    // Deleting twice is fine; afterwards the video is gone.
    for _ in 0..2 {
        let deleted = api
            .admin_send(Method::DELETE, &format!("/videos/{video_id}"), None)
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    }
    let gone = api
        .admin_send(Method::POST, &format!("/videos/{video_id}/unpublish"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["type"], "urn:codeflix:problem:deleted");

    assert_eq!(
        api.history(AggregateType::Category, &category_id).await,
        [
            ("CategoryCreated".into(), 1),
            ("CategoryDeactivated".into(), 2)
        ]
    );
    let history = api.history(AggregateType::Video, &video_id).await;
    let types: Vec<&str> = history.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "VideoCreated",
            "VideoUpdated",
            "VideoCategoryDetached",
            "VideoCategoryAttached",
            "VideoCategoryDetached",
            "VideoDeleted",
        ]
    );
    let versions: Vec<u64> = history.iter().map(|(_, v)| *v).collect();
    assert_eq!(versions, (1..=6).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_with_the_same_idempotency_key_is_applied_once() {
    let api = Api::start().await;
    let token = api.admin();
    let headers = [("idempotency-key", "create-movies-1")];
    let body = json!({"name": "Movies"});
    let first = api
        .send(
            Method::POST,
            "/categories",
            Some(&token),
            &headers,
            Some(body.clone()),
        )
        .await;
    let second = api
        .send(
            Method::POST,
            "/categories",
            Some(&token),
            &headers,
            Some(body),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(
        first.body, second.body,
        "the retry answers the first result"
    );
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        api.history(AggregateType::Category, &first.id()).await,
        [("CategoryCreated".into(), 1)]
    );

    // The same key on another operation is refused rather than answered with the wrong result.
    let id = first.id();
    let reused = api
        .send(
            Method::PUT,
            &format!("/categories/{id}"),
            Some(&token),
            &headers,
            Some(json!({"name": "Films"})),
        )
        .await;
    assert_eq!(
        reused.status,
        StatusCode::OK,
        "keys are scoped per operation"
    );
    let again = api
        .send(
            Method::PUT,
            &format!("/categories/{id}"),
            Some(&token),
            &headers,
            Some(json!({"name": "Films"})),
        )
        .await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // The same key with a different body is a client bug, not a retry: refused, nothing appended.
    let different = api
        .send(
            Method::PUT,
            &format!("/categories/{id}"),
            Some(&token),
            &headers,
            Some(json!({"name": "Cinema"})),
        )
        .await;
    assert_eq!(
        different.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        different.body
    );
    assert_eq!(different.field_errors()[0].0, "Idempotency-Key");
    // Formatting and member order do not make a body different.
    let reordered = api
        .http
        .post(format!("{}/categories", api.base()))
        .bearer_auth(&token)
        .header("idempotency-key", "create-movies-1")
        .header("content-type", "application/json")
        .body("{ \"name\" :   \"Movies\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(reordered.status(), StatusCode::CREATED);
    assert_eq!(reordered.headers()["idempotent-replayed"], "true");
    assert_eq!(
        api.history(AggregateType::Category, &id).await,
        [("CategoryCreated".into(), 1), ("CategoryUpdated".into(), 2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_a_conflict_naming_the_current_version_and_appends_nothing() {
    let api = Api::start().await;
    let token = api.admin();
    let created = api
        .admin_send(Method::POST, "/categories", Some(json!({"name": "Movies"})))
        .await;
    let id = created.id();
    let rename = |name: &str| json!({"name": name});
    let first = api
        .send(
            Method::PUT,
            &format!("/categories/{id}"),
            Some(&token),
            &[("if-match", "\"1\"")],
            Some(rename("Films")),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let stale = api
        .send(
            Method::PUT,
            &format!("/categories/{id}"),
            Some(&token),
            &[("if-match", "\"1\"")],
            Some(rename("Cinema")),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{:?}", stale.body);
    assert_eq!(stale.body["type"], "urn:codeflix:problem:version-conflict");
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(stale.header("etag"), Some("\"2\""));
    assert_eq!(
        stale.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        api.history(AggregateType::Category, &id).await,
        [("CategoryCreated".into(), 1), ("CategoryUpdated".into(), 2)]
    );
}

/// A registry outage while an event type is first written fails those commands with 503 for
/// as long as it lasts, and not one request longer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_recover_as_soon_as_the_registry_answers_again() {
    let (api, registry) = Api::start_with_faulty_registry().await;
    // Each round writes an event type the log has not registered yet.
    let create = json!({"name": "Movies"});
    let rename = json!({"name": "Films"});
    let mut category = String::new();
    for (status, round) in [(500, &create), (429, &rename)] {
        let (method, path) = if category.is_empty() {
            (Method::POST, "/categories".to_owned())
        } else {
            (Method::PUT, format!("/categories/{category}"))
        };
        let send = || api.admin_send(method.clone(), &path, Some(round.clone()));
        registry.fail_with(status);
        let during = send().await;
        assert_eq!(
            during.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{status}: {:?}",
            during.body
        );
        registry.heal();
        let after = send().await;
        assert!(
            after.status.is_success(),
            "{status}: the registry's failure outlived it: {} {:?}",
            after.status,
            after.body
        );
        if category.is_empty() {
            category = after.id();
        }
    }
    let history = api.history(AggregateType::Category, &category).await;
    assert_eq!(history.len(), 2, "{history:?}");
}
