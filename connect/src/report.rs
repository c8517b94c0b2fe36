//! Error handling as Connect does it (`errors.tolerance`, `errors.log.enable`,
//! `errors.deadletterqueue.*`): with tolerance `none` a failed record fails the task; with `all`
//! it is logged if asked, copied to the dead-letter topic (original key, value, timestamp and
//! headers, plus Connect's `__connect.errors.*` context headers if enabled) and skipped.
//!
//! A dead letter is confirmed by the broker before the task moves past its record, so the
//! offsets committed after a batch never cover a record that is neither written nor
//! dead-lettered.

use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::{Config, defs, value};
use crate::errors::{Exception, Failure, TaskFailed};
use crate::record::Raw;

/// Connect's dead-letter context headers (`DeadLetterQueueReporter`).
pub mod headers {
    pub const TOPIC: &str = "__connect.errors.topic";
    pub const PARTITION: &str = "__connect.errors.partition";
    pub const OFFSET: &str = "__connect.errors.offset";
    pub const CONNECTOR_NAME: &str = "__connect.errors.connector.name";
    pub const TASK_ID: &str = "__connect.errors.task.id";
    pub const STAGE: &str = "__connect.errors.stage";
    pub const CLASS_NAME: &str = "__connect.errors.class.name";
    pub const EXCEPTION_CLASS_NAME: &str = "__connect.errors.exception.class.name";
    pub const EXCEPTION_MESSAGE: &str = "__connect.errors.exception.message";
    pub const EXCEPTION_STACKTRACE: &str = "__connect.errors.exception.stacktrace";
}

/// What a task does with a failed record.
pub struct ErrorHandler {
    connector: String,
    task: u32,
    tolerate: bool,
    log: bool,
    log_messages: bool,
    dead_letters: Option<DeadLetters>,
}

struct DeadLetters {
    topic: String,
    context_headers: bool,
    producer: FutureProducer,
}

impl std::fmt::Debug for ErrorHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorHandler")
            .field("connector", &self.connector)
            .field("tolerate", &self.tolerate)
            .field(
                "dead_letters",
                &self.dead_letters.as_ref().map(|d| &d.topic),
            )
            .finish()
    }
}

/// What became of a tolerated failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    DeadLettered,
    Skipped,
}

impl ErrorHandler {
    /// The handler `config` describes (a sink's may have a dead-letter topic, created if
    /// missing with one partition, as Connect creates it).
    pub async fn new(
        connector: &str,
        config: &Config,
        kind: defs::ConnectorType,
        kafka: &EventLogConfig,
    ) -> Result<ErrorHandler, Exception> {
        let defs = defs::common(kind);
        let get = |key: &str| {
            value(config, &defs, key)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let tolerate = get("errors.tolerance").eq_ignore_ascii_case("all");
        let topic = get("errors.deadletterqueue.topic.name");
        let dead_letters = if tolerate && kind == defs::ConnectorType::Sink && !topic.is_empty() {
            let replication: i32 = get("errors.deadletterqueue.topic.replication.factor")
                .parse()
                .unwrap_or(3);
            create_topic(kafka, &topic, replication).await?;
            let mut producer = kafka.client(&[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                // Never give up on a dead letter: the task waits rather than lose it.
                ("message.timeout.ms", "0"),
                ("linger.ms", "5"),
            ]);
            producer.set("client.id", format!("connector-dlq-producer-{connector}-0"));
            Some(DeadLetters {
                topic,
                context_headers: get("errors.deadletterqueue.context.headers.enable")
                    .eq_ignore_ascii_case("true"),
                producer: producer.create().map_err(|e| {
                    Exception::connect(format!("creating the dead-letter producer: {e}"))
                })?,
            })
        } else {
            None
        };
        Ok(ErrorHandler {
            connector: connector.to_owned(),
            task: 0,
            tolerate,
            log: get("errors.log.enable").eq_ignore_ascii_case("true"),
            log_messages: get("errors.log.include.messages").eq_ignore_ascii_case("true"),
            dead_letters,
        })
    }

    /// Whether failed records are skipped (`errors.tolerance=all`) rather than failing the task.
    pub fn tolerates(&self) -> bool {
        self.tolerate
    }

    /// Tolerates `failure` of `raw` (logged, dead-lettered) or fails the task.
    pub async fn handle(&self, raw: &Raw, failure: Failure) -> Result<Handled, TaskFailed> {
        if !self.tolerate {
            tracing::error!(
                connector = %self.connector,
                topic = %raw.topic,
                partition = raw.partition,
                offset = raw.offset,
                stage = failure.stage.name(),
                class = %failure.executing_class,
                error = %failure.error,
                "a record failed and errors.tolerance=none: the task fails"
            );
            return Err(TaskFailed::from(failure));
        }
        if self.log {
            if self.log_messages {
                tracing::error!(
                    connector = %self.connector,
                    topic = %raw.topic,
                    partition = raw.partition,
                    offset = raw.offset,
                    stage = failure.stage.name(),
                    class = %failure.executing_class,
                    error = %failure.error,
                    key = ?raw.key.as_deref().map(String::from_utf8_lossy),
                    value = ?raw.value.as_deref().map(String::from_utf8_lossy),
                    "error encountered in task; executing stage failed"
                );
            } else {
                tracing::error!(
                    connector = %self.connector,
                    topic = %raw.topic,
                    partition = raw.partition,
                    offset = raw.offset,
                    stage = failure.stage.name(),
                    class = %failure.executing_class,
                    error = %failure.error,
                    "error encountered in task; executing stage failed"
                );
            }
        }
        let Some(dead_letters) = &self.dead_letters else {
            return Ok(Handled::Skipped);
        };
        let mut headers = OwnedHeaders::new();
        for (key, value) in &raw.headers {
            headers = headers.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        if dead_letters.context_headers {
            for (key, value) in context_headers(&self.connector, self.task, raw, &failure) {
                headers = headers.insert(Header {
                    key,
                    value: Some(value.as_bytes()),
                });
            }
        }
        let mut message = FutureRecord::<[u8], [u8]>::to(&dead_letters.topic).headers(headers);
        if let Some(key) = &raw.key {
            message = message.key(key);
        }
        if let Some(value) = &raw.value {
            message = message.payload(value);
        }
        if let Some(timestamp) = raw.timestamp {
            message = message.timestamp(timestamp);
        }
        dead_letters
            .producer
            .send(message, Duration::from_secs(60))
            .await
            .map_err(|(e, _)| {
                TaskFailed::from_exception(&Exception::connect(format!(
                    "could not produce the message to the dead letter queue topic {}: {e}",
                    dead_letters.topic
                )))
            })?;
        Ok(Handled::DeadLettered)
    }
}

/// Connect's context headers for a failed record.
pub fn context_headers(
    connector: &str,
    task: u32,
    raw: &Raw,
    failure: &Failure,
) -> Vec<(&'static str, String)> {
    vec![
        (headers::TOPIC, raw.topic.clone()),
        (headers::PARTITION, raw.partition.to_string()),
        (headers::OFFSET, raw.offset.to_string()),
        (headers::CONNECTOR_NAME, connector.to_owned()),
        (headers::TASK_ID, task.to_string()),
        (headers::STAGE, failure.stage.name().to_owned()),
        (headers::CLASS_NAME, failure.executing_class.clone()),
        (
            headers::EXCEPTION_CLASS_NAME,
            failure.error.class.to_owned(),
        ),
        (headers::EXCEPTION_MESSAGE, failure.error.message.clone()),
        (headers::EXCEPTION_STACKTRACE, failure.stacktrace()),
    ]
}

/// Creates `topic` with one partition if it does not exist (the replication factor no larger
/// than the brokers there are).
pub async fn create_topic(
    kafka: &EventLogConfig,
    topic: &str,
    replication: i32,
) -> Result<(), Exception> {
    let admin: AdminClient<DefaultClientContext> = kafka
        .client(&[])
        .create()
        .map_err(|e| Exception::connect(format!("creating an admin client: {e}")))?;
    create_topic_with(&admin, topic, 1, replication).await
}

/// Creates `topic` with `partitions` if it does not exist.
pub async fn create_topic_with(
    admin: &AdminClient<DefaultClientContext>,
    topic: &str,
    partitions: i32,
    replication: i32,
) -> Result<(), Exception> {
    let topic_name = topic.to_owned();
    let metadata = {
        let inner = admin.inner();
        inner
            .fetch_metadata(None, Duration::from_secs(30))
            .map_err(|e| Exception::connect(format!("reading the cluster's metadata: {e}")))?
    };
    if metadata
        .topics()
        .iter()
        .any(|t| t.name() == topic_name && !t.partitions().is_empty())
    {
        return Ok(());
    }
    let brokers = i32::try_from(metadata.brokers().len()).unwrap_or(1).max(1);
    let new = NewTopic::new(
        topic,
        partitions,
        TopicReplication::Fixed(replication.clamp(1, brokers)),
    );
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics([&new], &options)
        .await
        .map_err(|e| Exception::connect(format!("creating topic {topic}: {e}")))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(Exception::connect(format!("creating topic {name}: {code}")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::Stage;

    #[test]
    fn context_headers_carry_connects_names_and_the_failure() {
        let raw = Raw {
            topic: "codeflix.billing.plan.state".into(),
            partition: 2,
            offset: 17,
            timestamp: Some(1),
            key: Some(b"p1".to_vec()),
            value: Some(b"garbage".to_vec()),
            headers: vec![],
        };
        let failure = Failure::new(
            Stage::ValueConverter,
            defs::AVRO_CONVERTER,
            Exception::data(
                "Failed to deserialize data for topic codeflix.billing.plan.state to Avro: Unknown magic byte!",
            ),
        );
        let headers = context_headers("plans-copy", 0, &raw, &failure);
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("__connect.errors.topic"),
            Some("codeflix.billing.plan.state")
        );
        assert_eq!(get("__connect.errors.partition"), Some("2"));
        assert_eq!(get("__connect.errors.offset"), Some("17"));
        assert_eq!(get("__connect.errors.connector.name"), Some("plans-copy"));
        assert_eq!(get("__connect.errors.task.id"), Some("0"));
        assert_eq!(get("__connect.errors.stage"), Some("VALUE_CONVERTER"));
        assert_eq!(
            get("__connect.errors.class.name"),
            Some("io.confluent.connect.avro.AvroConverter")
        );
        assert_eq!(
            get("__connect.errors.exception.class.name"),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        assert!(
            get("__connect.errors.exception.message")
                .unwrap()
                .ends_with("Unknown magic byte!")
        );
        assert!(
            get("__connect.errors.exception.stacktrace")
                .unwrap()
                .starts_with("org.apache.kafka.connect.errors.DataException: ")
        );
        assert_eq!(headers.len(), 10);
    }
}
