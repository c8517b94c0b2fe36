//! Where event topics end: what a catch-up reads up to and what lag is measured against.

use std::time::Duration;

use codeflix_domain::Position;
use codeflix_eventlog::EventLogConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::{ConsumerError, kafka};

/// The end of every non-empty partition of `topics`: the offset the next message will take.
pub async fn ends(
    config: &EventLogConfig,
    topics: &[String],
) -> Result<Vec<Position>, ConsumerError> {
    let client: BaseConsumer = config.reader("codeflix-ends").create().map_err(kafka)?;
    let topics = topics.to_vec();
    let highs = tokio::task::spawn_blocking(move || watermarks(&client, &topics))
        .await
        .map_err(ConsumerError::Task)??;
    Ok(highs.into_iter().filter(|end| end.offset > 0).collect())
}

/// The high watermark of every partition of `topics`, asked of the broker now (blocking).
pub fn watermarks(
    client: &BaseConsumer,
    topics: &[String],
) -> Result<Vec<Position>, ConsumerError> {
    let timeout = Duration::from_secs(10);
    let metadata = client.fetch_metadata(None, timeout).map_err(kafka)?;
    let mut highs = Vec::new();
    for topic in metadata
        .topics()
        .iter()
        .filter(|t| topics.iter().any(|n| n == t.name()))
    {
        for partition in topic.partitions() {
            let (_, high) = client
                .fetch_watermarks(topic.name(), partition.id(), timeout)
                .map_err(kafka)?;
            highs.push(Position::new(topic.name(), partition.id(), high));
        }
    }
    Ok(highs)
}
