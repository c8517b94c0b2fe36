//! The operational surface: OpenAPI document, docs UI, probes, metrics, issuer endpoints.

use reqwest::{Method, StatusCode};
use serde_json::json;

use codeflix_testkit::CommandApi as Api;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_itself_and_reports_its_health_and_metrics() {
    let api = Api::start().await;

    let document = api
        .send(Method::GET, "/openapi.json", None, &[], None)
        .await;
    assert_eq!(document.status, StatusCode::OK);
    assert!(
        document.body["openapi"]
            .as_str()
            .unwrap()
            .starts_with("3.1")
    );
    let create = &document.body["paths"]["/videos"]["post"];
    for status in ["201", "401", "403", "409", "422", "503"] {
        assert!(
            create["responses"].get(status).is_some(),
            "POST /videos documents no {status}"
        );
    }
    assert!(document.body["components"]["securitySchemes"]["bearer"].is_object());

    codeflix_testkit::assert_docs_offline(api.base()).await;

    assert_eq!(
        api.send(Method::GET, "/healthz", None, &[], None)
            .await
            .status,
        StatusCode::OK
    );
    let ready = api.send(Method::GET, "/readyz", None, &[], None).await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.body);
    assert_eq!(ready.body["checks"]["schema_registry"], "ok");

    let discovery = api
        .send(
            Method::GET,
            "/realms/codeflix/.well-known/openid-configuration",
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(discovery.body["issuer"], api.issuer.issuer());

    // A correlation id sent is echoed; one not sent is made up.
    let correlation = uuid::Uuid::new_v4().to_string();
    let created = api
        .send(
            Method::POST,
            "/categories",
            Some(&api.admin()),
            &[("x-correlation-id", &correlation)],
            Some(json!({"name": "Movies"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.header("x-correlation-id"),
        Some(correlation.as_str())
    );
    api.admin_send(Method::POST, "/categories", Some(json!({"name": ""})))
        .await;
    // A method a route does not take: 405 as problem details, like every other refusal.
    let wrong = api
        .send(Method::PATCH, "/categories", None, &[], None)
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        wrong.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        wrong.body["type"],
        "urn:codeflix:problem:method-not-allowed"
    );
    // Invented methods from anyone: one label between them, however many there are.
    for n in 0..20 {
        let method = Method::from_bytes(format!("INVENTED{n}").as_bytes()).unwrap();
        api.send(method, "/categories", None, &[], None).await;
    }

    let metrics = api
        .http
        .get(format!("{}/metrics", api.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"codeflix_command_api_http_requests_total{method="POST",route="/categories",status="201"} 1"#,
        r#"codeflix_command_api_http_requests_total{method="POST",route="/categories",status="422"} 1"#,
        r#"codeflix_command_api_commands_total{aggregate="catalog.category",outcome="accepted"} 1"#,
        "codeflix_command_api_relay_foreign_records_total 0",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(!metrics.contains("INVENTED"), "{metrics}");
    assert!(
        metrics.contains(
            r#"codeflix_command_api_http_requests_total{method="OTHER",route="/categories","#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("codeflix_command_api_http_request_duration_seconds_bucket"));
}

/// Readiness asks Kafka and the registry at most once a second, however many probes arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_its_dependencies_at_most_once_a_second() {
    let (api, registry) = codeflix_testkit::CommandApi::start_with_faulty_registry().await;
    let ready = api.send(Method::GET, "/readyz", None, &[], None).await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.body);
    registry.fail_with(500);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let probes = futures::future::join_all(
        (0..100).map(|_| api.send(Method::GET, "/readyz", None, &[], None)),
    )
    .await;
    assert!(
        probes
            .iter()
            .all(|probe| probe.status == StatusCode::SERVICE_UNAVAILABLE),
        "the registry's failure is reported"
    );
    let asked = registry.failed_requests();
    assert!(asked <= 2, "100 probes asked the registry {asked} times");
    // Anyone may probe: the registry's credentials are not in the answer.
    let text = probes[0].body.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("codeflix:<redacted>@"), "{text}");
}

/// A fault's causes go to the log, not to whoever sent the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dependency_fault_answers_503_without_its_causes() {
    let (api, registry) = codeflix_testkit::CommandApi::start_with_faulty_registry().await;
    registry.fail_with(500);
    let failed = api
        .admin_send(Method::POST, "/categories", Some(json!({"name": "Movies"})))
        .await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    let detail = failed.body["detail"].as_str().unwrap();
    assert!(
        !detail.contains("injected") && !detail.contains("hunter2") && !detail.contains("500"),
        "{detail}"
    );
    assert!(detail.contains("X-Correlation-Id"), "{detail}");
    assert!(failed.header("x-correlation-id").is_some());
}
