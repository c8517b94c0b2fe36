//! The command API on real HTTP, built as the binary builds it, over the embedded stack.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use codeflix_auth::DevIssuer;
use codeflix_command_api::{Application, AuthConfig, CommandApiConfig, KnownConsumer};
use codeflix_domain::AggregateType;
use codeflix_eventlog::embedded::EmbeddedStack;
use codeflix_eventlog::reader::{DecodedRecord, decode_all, read_snapshot};
use codeflix_eventlog::topics::event_topic;
use codeflix_eventlog::{EventLog, EventLogConfig};
use codeflix_payments::DevelopmentPayments;
use codeflix_storage::MediaStore;
use reqwest::Method;
use serde_json::Value;

use crate::faults::HttpFault;
use crate::{Answer, Client};

/// The consumers a test command API shows dead letters of (the binary lists every consumer it
/// runs); tests dead-letter into them with `consumer::dlq::Sender`.
pub(crate) const TEST_CONSUMERS: [(&str, &str); 2] = [
    (
        "catalog",
        "The catalog projection: events it cannot decode or apply.",
    ),
    (
        "encoder",
        "The encoder: uploads whose encoding failed every attempt.",
    ),
];

/// A command API on port 0 with the development issuer, its media in the scratch directory.
pub struct CommandApi {
    pub client: Client,
    /// The client's HTTP client, for requests the helpers do not cover.
    pub http: reqwest::Client,
    pub issuer: Arc<DevIssuer>,
    /// The development payment provider the API charges through (its ledger in the scratch
    /// directory).
    pub payments: DevelopmentPayments,
    pub log: Arc<EventLog>,
    config: EventLogConfig,
    task: tokio::task::JoinHandle<()>,
    pub embedded: EmbeddedStack,
    /// Dropped last, once nothing writes into it.
    pub dir: tempfile::TempDir,
}

impl CommandApi {
    pub async fn start() -> CommandApi {
        let dir = tempfile::tempdir().unwrap();
        let embedded = EmbeddedStack::start(dir.path()).await.unwrap();
        let config = embedded.config();
        CommandApi::start_on(dir, embedded, config).await
    }

    /// One whose event log reaches the schema registry through an [`HttpFault`], healthy at
    /// first, with credentials in the registry's URL (`codeflix:hunter2@`, which no answer or
    /// log line may show).
    pub async fn start_with_faulty_registry() -> (CommandApi, HttpFault) {
        let dir = tempfile::tempdir().unwrap();
        let embedded = EmbeddedStack::start(dir.path()).await.unwrap();
        let registry = HttpFault::start(embedded.registry_url()).await;
        let mut config = embedded.config();
        config.schema_registry_url =
            registry
                .url()
                .replacen("http://", "http://codeflix:hunter2@", 1);
        (CommandApi::start_on(dir, embedded, config).await, registry)
    }

    async fn start_on(
        dir: tempfile::TempDir,
        embedded: EmbeddedStack,
        mut config: EventLogConfig,
    ) -> CommandApi {
        config.ack_timeout = Duration::from_secs(20);
        let payments = DevelopmentPayments::open(
            &dir.path().join("payments.db"),
            DevelopmentPayments::default_rules(),
        )
        .await
        .unwrap();
        let app = Application::build(CommandApiConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            event_log: config.clone(),
            auth: AuthConfig::development(dir.path().join("dev-issuer.pem")),
            media: MediaStore::local(&dir.path().join("media")).unwrap(),
            upload_expiry: Duration::from_secs(24 * 3600),
            sweep_every: Duration::from_secs(600),
            payments: Arc::new(payments.clone()),
            unsubscribe_key: codeflix_domain::accounts::UnsubscribeKey::new(
                crate::UNSUBSCRIBE_SECRET.as_bytes(),
            ),
            consumers: TEST_CONSUMERS
                .iter()
                .map(|(name, description)| KnownConsumer {
                    name: (*name).to_owned(),
                    description: (*description).to_owned(),
                })
                .collect(),
        })
        .await
        .unwrap();
        let client = Client::new(app.url());
        let issuer = Arc::clone(app.dev_issuer().expect("the development issuer"));
        let log = app.log();
        let task = tokio::spawn(async move {
            app.run_until_stopped(std::future::pending()).await.unwrap();
        });
        CommandApi {
            http: client.http.clone(),
            client,
            issuer,
            payments,
            log,
            dir,
            embedded,
            config,
            task,
        }
    }

    /// Its base URL.
    pub fn base(&self) -> &str {
        &self.client.base
    }

    /// The event log configuration it was built with.
    pub fn config(&self) -> &EventLogConfig {
        &self.config
    }

    pub fn bootstrap(&self) -> String {
        self.config.bootstrap_servers.clone()
    }

    /// A token for "admin-1" with `roles`, valid for an hour.
    pub fn token(&self, roles: &[&str]) -> String {
        crate::token(&self.issuer, "admin-1", roles)
    }

    /// A catalog admin's token.
    pub fn admin(&self) -> String {
        self.token(&["catalog-admin"])
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        self.client.send(method, path, token, headers, body).await
    }

    /// A catalog admin's request with a JSON body.
    pub async fn admin_send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let token = self.admin();
        self.send(method, path, Some(&token), &[], body).await
    }

    /// Every event of one aggregate type in Kafka, decoded, in offset order per partition.
    pub async fn events(&self, aggregate: AggregateType) -> Vec<DecodedRecord> {
        let topic = event_topic(&self.config.topics.prefix, aggregate);
        let raw = read_snapshot(&self.config, &[topic]).await.unwrap();
        decode_all(self.log.codec(), raw).await.unwrap()
    }

    /// `(event type, version)` of one aggregate's events in Kafka.
    pub async fn history(&self, aggregate: AggregateType, id: &str) -> Vec<(String, u64)> {
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

impl Drop for CommandApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}
