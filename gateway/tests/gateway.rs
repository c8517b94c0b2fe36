//! The gateway over real HTTP: an upstream on loopback behind each prefix, the apps, the probes.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use axum::routing::any;
use codeflix_gateway::{AppConfig, GatewayConfig};

/// An upstream that answers what it was asked: path and query, the forwarding headers, the
/// body's length.
async fn echo_upstream() -> SocketAddr {
    async fn echo(uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<serde_json::Value> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        axum::Json(serde_json::json!({
            "path": uri.path_and_query().map(|p| p.as_str().to_owned()),
            "prefix": header("x-forwarded-prefix"),
            "authorization": header("authorization"),
            "host": header("host"),
            "forwarded_host": header("x-forwarded-host"),
            "length": body.len(),
        }))
    }
    let router = Router::new()
        .route("/", any(echo))
        .route("/{*rest}", any(echo))
        .layer(axum::extract::DefaultBodyLimit::disable());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// The JSON a request is answered with.
async fn answer(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// A loopback address nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

async fn gateway(command: SocketAddr, query: SocketAddr) -> String {
    let mut app = AppConfig::behind_gateway(
        "http://127.0.0.1:8080/realms/codeflix".into(),
        "codeflix-web".into(),
    );
    app.theme.insert("accent".into(), "#0a84ff".into());
    let router = codeflix_gateway::router(GatewayConfig {
        app,
        command_api: format!("http://{command}"),
        query_api: format!("http://{query}"),
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(codeflix_http::serve(
        listener,
        router,
        std::future::pending(),
    ));
    format!("http://{address}")
}

#[tokio::test]
async fn apis_are_served_behind_their_prefixes() {
    let command = echo_upstream().await;
    let query = echo_upstream().await;
    let base = gateway(command, query).await;
    let client = reqwest::Client::new();

    let seen = answer(
        client
            .get(format!("{base}/api/query/videos?category=a&sort=-title"))
            .header("authorization", "Bearer t"),
    )
    .await;
    assert_eq!(seen["path"], "/videos?category=a&sort=-title");
    assert_eq!(seen["prefix"], "/api/query");
    assert_eq!(seen["authorization"], "Bearer t");
    assert_eq!(seen["host"], query.to_string());
    assert_eq!(seen["forwarded_host"], base.trim_start_matches("http://"));

    // A large body goes through whole (streamed, not cut at a buffer's size).
    let body = vec![7_u8; 5 * 1024 * 1024 + 3];
    let seen = answer(
        client
            .patch(format!("{base}/api/command/uploads/abc"))
            .body(body.clone()),
    )
    .await;
    assert_eq!(seen["path"], "/uploads/abc");
    assert_eq!(seen["prefix"], "/api/command");
    assert_eq!(seen["length"], body.len());

    // The prefix alone is the upstream's root; a client's own X-Forwarded-Prefix is replaced.
    let seen = answer(
        client
            .get(format!("{base}/api/command"))
            .header("x-forwarded-prefix", "/elsewhere"),
    )
    .await;
    assert_eq!(seen["path"], "/");
    assert_eq!(seen["prefix"], "/api/command");
}

/// A client (or a load balancer) speaking HTTP/2 without TLS reaches the HTTP/1.1 upstreams, with
/// its authority forwarded as the host.
#[tokio::test]
async fn http2_requests_are_forwarded_over_http1() {
    let command = echo_upstream().await;
    let query = echo_upstream().await;
    let base = gateway(command, query).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = client
        .get(format!("{base}/api/query/videos?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen["path"], "/videos?limit=1");
    assert_eq!(seen["host"], query.to_string());
    assert_eq!(seen["forwarded_host"], base.trim_start_matches("http://"));
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_is_a_502_problem_and_not_ready() {
    let command = echo_upstream().await;
    let query = closed_port().await;
    let base = gateway(command, query).await;
    let client = reqwest::Client::new();

    let response = client
        .get(format!("{base}/api/query/videos"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("/api/query"),
        "{problem}"
    );

    let response = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let ready: serde_json::Value = response.json().await.unwrap();
    assert_eq!(ready["command_api"], "up");
    assert_eq!(ready["query_api"], "not answering");

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "liveness is the gateway's own");
}

#[tokio::test]
async fn the_apps_and_their_settings_are_served() {
    let command = echo_upstream().await;
    let query = echo_upstream().await;
    let base = gateway(command, query).await;
    let client = reqwest::Client::new();

    let config = answer(client.get(format!("{base}/config.json"))).await;
    assert_eq!(
        config,
        serde_json::json!({
            "issuer": "http://127.0.0.1:8080/realms/codeflix",
            "client_id": "codeflix-web",
            "command_api": "/api/command",
            "query_api": "/api/query",
            "theme": {"accent": "#0a84ff"},
        })
    );

    let page = |path: &'static str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let response = client.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    // Pages may not be framed, and load and call only this origin and the issuer's.
    let page_response = client.get(format!("{base}/")).send().await.unwrap();
    let policy = page_response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(
        policy.contains("connect-src 'self' http://127.0.0.1:8080;"),
        "{policy}"
    );
    assert_eq!(page_response.headers()["x-frame-options"], "DENY");
    // A path under /api that no API serves is not a page of the viewer app.
    assert_eq!(page("/api/comand/videos").await.0, 404);

    if codeflix_gateway::assets::built() {
        // Pages of each app, deep links included, are the app's own index.
        let (status, viewer) = page("/videos/4f1c").await;
        assert_eq!(status, 200);
        assert!(viewer.contains("<title>Codeflix</title>"), "{viewer}");
        let (status, console) = page("/admin/videos/new").await;
        assert_eq!(status, 200);
        assert!(console.contains("Codeflix console"), "{console}");
        assert_eq!(page("/admin").await.1, console);
        // A file that is not there is a 404, not a page the browser would run as a script.
        assert_eq!(page("/assets/missing.js").await.0, 404);
        // Hashed assets are cached for good; pages are revalidated.
        let script = viewer
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        let response = client.get(format!("{base}{script}")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/javascript");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let etag = response.headers()["etag"].clone();
        let again = client
            .get(format!("{base}{script}"))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    } else {
        // Without the apps the pages say how to build them; the APIs still work.
        let (status, text) = page("/").await;
        assert_eq!(status, 503);
        assert!(text.contains("npm ci &amp;&amp; npm run build"), "{text}");
        assert_eq!(page("/admin/videos").await.0, 503);
    }
}
