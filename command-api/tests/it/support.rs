//! The command API on real HTTP, with a real embedded broker and schema registry underneath.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codeflix_auth::{DevIssuer, TokenRequest, Verifier, VerifierConfig};
use codeflix_command_api::AppState;
use codeflix_domain::AggregateType;
use codeflix_eventlog::broker::{EmbeddedBroker, free_port};
use codeflix_eventlog::reader::{DecodedRecord, decode_all, read_snapshot};
use codeflix_eventlog::topics::event_topic;
use codeflix_eventlog::{EventLog, EventLogConfig};
use codeflix_registry::{Level, Registry};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) issuer: Arc<DevIssuer>,
    pub(crate) http: reqwest::Client,
    pub(crate) log: Arc<EventLog>,
    config: EventLogConfig,
    pub(crate) dir: tempfile::TempDir,
    broker: Option<EmbeddedBroker>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// An answer, with its body parsed when it is JSON.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("an id in the body")
            .to_owned()
    }

    /// `(field, rule)` of every field error of a problem.
    pub(crate) fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["rule"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Api {
    pub(crate) async fn start() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let broker_addr: SocketAddr = format!("127.0.0.1:{}", free_port().unwrap())
            .parse()
            .unwrap();
        let broker = EmbeddedBroker::start(&dir.path().join("broker"), broker_addr)
            .await
            .unwrap();
        let registry = Registry::open(&dir.path().join("registry.db"), Level::BackwardTransitive)
            .await
            .unwrap();
        let registry_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let registry_url = format!("http://{}", registry_listener.local_addr().unwrap());
        let registry_task = tokio::spawn(async move {
            codeflix_registry::serve(registry_listener, registry)
                .await
                .unwrap();
        });
        let mut config = EventLogConfig::new(
            &broker.bootstrap(),
            &registry_url,
            dir.path().join("command-store.db"),
        );
        config.topics.retention_ms = codeflix_eventlog::broker::EMBEDDED_RETENTION_MS;
        config.ack_timeout = Duration::from_secs(20);
        let log = Arc::new(EventLog::connect(config.clone()).await.unwrap());

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer_url = format!("{base}/realms/codeflix");
        let issuer =
            Arc::new(DevIssuer::open(&dir.path().join("dev-issuer.pem"), &issuer_url).unwrap());
        let verifier = Arc::new(Verifier::new(VerifierConfig::new(&issuer_url)));
        let router = codeflix_command_api::router(
            AppState::new(
                log.clone(),
                verifier,
                codeflix_command_api::media::MediaStore::local(&dir.path().join("media")).unwrap(),
            ),
            Some(issuer.clone()),
        );
        let api_task = tokio::spawn(async move {
            codeflix_command_api::serve(listener, router, std::future::pending())
                .await
                .unwrap();
        });
        Api {
            base,
            issuer,
            http: reqwest::Client::new(),
            log,
            config,
            dir,
            broker: Some(broker),
            tasks: vec![registry_task, api_task],
        }
    }

    pub(crate) fn config(&self) -> &EventLogConfig {
        &self.config
    }

    #[allow(dead_code)] // by the benchmark, which shares this file
    pub(crate) fn bootstrap(&self) -> String {
        self.config.bootstrap_servers.clone()
    }

    /// A token with `roles`, valid for an hour.
    pub(crate) fn token(&self, roles: &[&str]) -> String {
        self.issuer
            .mint(
                &TokenRequest {
                    subject: "admin-1".into(),
                    username: None,
                    roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                    client_roles: Vec::new(),
                    lifetime: Duration::from_secs(3600),
                    audience: None,
                },
                SystemTime::now(),
            )
            .unwrap()
    }

    pub(crate) fn admin(&self) -> String {
        self.token(&["catalog-admin"])
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// An admin request with a JSON body.
    pub(crate) async fn admin_send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let token = self.admin();
        self.send(method, path, Some(&token), &[], body).await
    }

    /// Every event of one aggregate type in Kafka, decoded, in offset order per partition.
    pub(crate) async fn events(&self, aggregate: AggregateType) -> Vec<DecodedRecord> {
        let topic = event_topic("codeflix", aggregate);
        let raw = read_snapshot(self.config(), &[topic]).await.unwrap();
        decode_all(self.log.codec(), raw).await.unwrap()
    }

    /// `(event type, version)` of one aggregate's events in Kafka.
    pub(crate) async fn history(&self, aggregate: AggregateType, id: &str) -> Vec<(String, u64)> {
        self.events(aggregate)
            .await
            .into_iter()
            .filter(|r| r.envelope.metadata.aggregate_id == id)
            .map(|r| {
                (
                    r.envelope.event.event_type().to_owned(),
                    r.envelope.metadata.aggregate_version.get(),
                )
            })
            .collect()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(broker) = self.broker.take() {
            broker.stop();
        }
    }
}
