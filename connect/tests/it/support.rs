//! The runtime on the embedded broker and registry, and what the tests do around it: topics,
//! Avro records in the Confluent wire format, reading topics and SQLite files back.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use apache_avro::Schema as Avro;
use apache_avro::types::Value as AvroValue;
use apache_avro::writer::datum::GenericDatumWriter;
use codeflix_connect::metrics::ConnectMetrics;
use codeflix_connect::record::Raw;
use codeflix_connect::runtime::Runtime;
use codeflix_connect::task::WorkerConfig;
use codeflix_eventlog::EventLogConfig;
use codeflix_testkit::Stack;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{Value as Json, json};

/// The runtime serving its REST API on a free port.
pub struct Connect {
    pub runtime: Runtime,
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Connect {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Connect {
    /// Starts on `config`'s cluster and registry, keeping its files in `data`.
    pub async fn start(kafka: EventLogConfig, data: &Path) -> Connect {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let worker = WorkerConfig {
            defaults: WorkerConfig::embedded_defaults(&kafka.schema_registry_url),
            kafka,
            data_dir: data.to_owned(),
            worker_id: address.to_string(),
            discovery: Duration::from_millis(500),
            variables: Default::default(),
        };
        let runtime = Runtime::start(worker, ConnectMetrics::default())
            .await
            .unwrap();
        let router = codeflix_connect::rest::router(runtime.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Connect {
            runtime,
            url: format!("http://{address}"),
            server,
        }
    }

    /// On `stack`, its files under the stack's directory.
    pub async fn on(stack: &Stack) -> Connect {
        Connect::start(stack.config(), &stack.path("connect-data")).await
    }

    /// `method path` with `body`: the status and the JSON answer.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Json>,
    ) -> (u16, Json) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Json::Null))
    }

    /// Creates `name` through the REST API; panics unless it is accepted.
    pub async fn create(&self, name: &str, config: Json) {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/connectors",
                Some(json!({"name": name, "config": config})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// `name`'s status as Connect shows it.
    pub async fn status(&self, name: &str) -> Json {
        self.call(
            reqwest::Method::GET,
            &format!("/connectors/{name}/status"),
            None,
        )
        .await
        .1
    }
}

/// Waits (a minute at most) until `check` returns something.
pub async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates `topic` with `partitions`.
pub async fn create_topic(kafka: &EventLogConfig, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = kafka.client(&[]).create().unwrap();
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = admin
        .create_topics(
            [&new],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .unwrap();
    for result in results {
        result.unwrap();
    }
}

/// A record to produce.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub partition: Option<i32>,
    pub timestamp: Option<i64>,
}

/// Produces `messages` to `topic` in order, each acknowledged.
pub async fn produce(kafka: &EventLogConfig, topic: &str, messages: &[Message]) {
    let producer: FutureProducer = kafka
        .client(&[
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", "2"),
        ])
        .create()
        .unwrap();
    let mut deliveries = Vec::new();
    for m in messages {
        let mut headers = OwnedHeaders::new();
        for (key, value) in &m.headers {
            headers = headers.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        let mut record = FutureRecord::<[u8], [u8]>::to(topic).headers(headers);
        if let Some(key) = &m.key {
            record = record.key(key);
        }
        if let Some(value) = &m.value {
            record = record.payload(value);
        }
        if let Some(partition) = m.partition {
            record = record.partition(partition);
        }
        if let Some(timestamp) = m.timestamp {
            record = record.timestamp(timestamp);
        }
        deliveries.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
    }
    for delivery in deliveries {
        delivery.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
}

/// Every record `topic` holds now, by partition then offset, byte for byte.
pub async fn read_all(kafka: &EventLogConfig, topic: &str) -> Vec<Raw> {
    let kafka = kafka.clone();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = kafka.reader("codeflix-connect-tests").create().unwrap();
        let metadata = consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .unwrap();
        let mut ends = BTreeMap::new();
        let mut assignment = TopicPartitionList::new();
        for partition in metadata.topics().iter().flat_map(|t| t.partitions()) {
            let (_, high) = consumer
                .fetch_watermarks(&topic, partition.id(), Duration::from_secs(10))
                .unwrap();
            if high > 0 {
                ends.insert(partition.id(), high);
                assignment
                    .add_partition_offset(&topic, partition.id(), Offset::Beginning)
                    .unwrap();
            }
        }
        let mut records = Vec::new();
        if ends.is_empty() {
            return records;
        }
        consumer.assign(&assignment).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut done: BTreeMap<i32, i64> = BTreeMap::new();
        while ends
            .iter()
            .any(|(p, end)| done.get(p).copied().unwrap_or(0) < *end)
        {
            assert!(Instant::now() < deadline, "reading {topic} to its end");
            if let Some(message) = consumer.poll(Duration::from_millis(200)) {
                let raw = Raw::from_message(&message.unwrap());
                done.insert(raw.partition, raw.offset + 1);
                records.push(raw);
            }
        }
        records.sort_by_key(|r| (r.partition, r.offset));
        records
    })
    .await
    .unwrap()
}

/// Registers `schema` under `subject` in the registry at `url`; its id.
pub async fn register(url: &str, subject: &str, schema: &str) -> u32 {
    let response: Json = reqwest::Client::new()
        .post(format!("{url}/subjects/{subject}/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .json(&json!({"schema": schema}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    u32::try_from(
        response["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("registered: {response}")),
    )
    .unwrap()
}

/// `value` written with `schema`, framed as Confluent's serializers frame it.
pub fn framed(id: u32, schema: &Avro, value: AvroValue) -> Vec<u8> {
    let body = GenericDatumWriter::builder(schema)
        .build()
        .unwrap()
        .write_value_to_vec(value)
        .unwrap();
    let mut bytes = vec![0];
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend(body);
    bytes
}

/// The rows `sql` selects from the SQLite file at `path`, each column as text (NULL as None).
pub async fn rows(path: &Path, sql: &str) -> Vec<Vec<Option<String>>> {
    if !path.exists() {
        return Vec::new();
    }
    let db = libsql::Builder::new_local(path).build().await.unwrap();
    let conn = db.connect().unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut rows = match conn.query(sql, ()).await {
        Ok(rows) => rows,
        // The table is not there yet.
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        let mut columns = Vec::new();
        for i in 0..row.column_count() {
            columns.push(match row.get_value(i).unwrap() {
                libsql::Value::Null => None,
                libsql::Value::Integer(n) => Some(n.to_string()),
                libsql::Value::Real(f) => Some(f.to_string()),
                libsql::Value::Text(t) => Some(t),
                libsql::Value::Blob(b) => Some(format!("{b:?}")),
            });
        }
        out.push(columns);
    }
    out
}

/// `rows` as plain text cells, `NULL` for nulls, for comparisons.
pub fn cells(rows: &[Vec<Option<String>>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|c| c.clone().unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}
