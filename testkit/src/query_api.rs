//! The query API on real HTTP, built as the binary builds it, over read models that real
//! projectors built from the sample catalog.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use codeflix_auth::{DevIssuer, VerifierConfig};
use codeflix_projectors::ProjectionSpec;
use codeflix_query_api::{Application, QueryApiConfig};
use codeflix_readmodel::{Stores, ViewsConfig};
use prometheus_client::registry::Registry;
use reqwest::StatusCode;
use serde_json::Value;

use crate::sample::{self, Catalog};
use crate::{Answer, Client, Running, Stack, caught_up};

/// A query API on port 0 over the sample catalog, projected into the embedded read models (the
/// catalog, search and billing projections keep running), and a development issuer on a port of
/// its own.
pub struct QueryApi {
    pub client: Client,
    /// Its base URL.
    pub url: String,
    /// The client's HTTP client, for requests the helpers do not cover.
    pub http: reqwest::Client,
    pub issuer: Arc<DevIssuer>,
    pub catalog: Catalog,
    pub stores: Stores,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _projections: (Running, Running, Running, Running),
    pub stack: Stack,
}

impl QueryApi {
    /// `consistency_wait` bounds how long reads with consistency tokens wait.
    pub async fn start(consistency_wait: Duration) -> QueryApi {
        let stack = Stack::start().await;
        let catalog = sample::build(&stack).await;
        let views = ViewsConfig {
            dir: stack.path("views"),
            scylla_url: None,
            elasticsearch_url: None,
        };
        let stores = Stores::open(&views, true).await.unwrap();
        let projections = (
            stack.project(ProjectionSpec::catalog(), stores.catalog.clone()),
            stack.project(ProjectionSpec::search(), stores.search.clone()),
            stack.project(ProjectionSpec::billing(), stores.billing.clone()),
            stack.project(
                ProjectionSpec::notifications(),
                stores.notifications.clone(),
            ),
        );
        let prefix = stack.config().topics.prefix;
        let catalog_topics = ProjectionSpec::catalog().topics(&prefix);
        let search_topics = ProjectionSpec::search().topics(&prefix);
        caught_up(&stack.config(), stores.catalog.as_ref(), &catalog_topics).await;
        caught_up(&stack.config(), stores.search.as_ref(), &search_topics).await;

        let issuer_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer_url = format!(
            "http://{}/realms/codeflix",
            issuer_listener.local_addr().unwrap()
        );
        let issuer = Arc::new(DevIssuer::open(&stack.path("issuer-key.pem"), &issuer_url).unwrap());
        let issuer_router = issuer.clone().router();
        let issuer_task = tokio::spawn(async move {
            codeflix_http::serve(issuer_listener, issuer_router, std::future::pending())
                .await
                .unwrap();
        });

        let app = Application::build_with(
            QueryApiConfig {
                readiness: None,
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                views,
                catalog_topics,
                search_topics,
                billing_topics: ProjectionSpec::billing().topics(&prefix),
                notifications_topics: ProjectionSpec::notifications().topics(&prefix),
                consistency_wait,
                verifier: VerifierConfig::new(&issuer_url),
                media: None,
                entitlements: "jdbc:sqlite:playback/entitlements.db".to_owned(),
                entitlements_base: stack.path(""),
            },
            &stores,
            Registry::default(),
        )
        .await
        .unwrap();
        let client = Client::new(&app.url());
        let api_task = tokio::spawn(async move {
            app.run_until_stopped(std::future::pending()).await.unwrap();
        });
        QueryApi {
            url: client.base.clone(),
            http: client.http.clone(),
            client,
            issuer,
            catalog,
            stores,
            tasks: vec![issuer_task, api_task],
            _projections: projections,
            stack,
        }
    }

    /// A token for "admin-1" with `roles`, valid for an hour.
    pub fn token(&self, roles: &[&str]) -> String {
        crate::token(&self.issuer, "admin-1", roles)
    }

    /// Waits until the billing projection has applied everything written so far.
    pub async fn billing_caught_up(&self) {
        let config = self.stack.config();
        caught_up(
            &config,
            self.stores.billing.as_ref(),
            &ProjectionSpec::billing().topics(&config.topics.prefix),
        )
        .await;
    }

    /// Waits until the delivery log's projection has applied everything written so far.
    pub async fn notifications_caught_up(&self) {
        let config = self.stack.config();
        caught_up(
            &config,
            self.stores.notifications.as_ref(),
            &ProjectionSpec::notifications().topics(&config.topics.prefix),
        )
        .await;
    }

    /// An anonymous GET: its status and JSON body (`Null` when not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(path, None).await
    }

    /// A GET with `token` when given.
    pub async fn get_as(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let answer: Answer = self.client.get(path, token).await;
        (answer.status, answer.body)
    }
}

impl Drop for QueryApi {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
