//! What the event log's broker benches share.

use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// Reads `count` records of `partition` from `offset` with a fresh consumer built from `config`
/// (which names the broker); answers the time from assignment to the last record, or how many
/// had arrived when no record came for `stall`.
pub(crate) async fn read(
    mut config: ClientConfig,
    topic: &str,
    partition: i32,
    offset: i64,
    count: usize,
    stall: Duration,
) -> Result<Duration, String> {
    let consumer: StreamConsumer = config
        .set("group.id", "bench-reader")
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| format!("✗ {e}"))?;
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(offset))
        .map_err(|e| format!("✗ {e}"))?;
    let started = Instant::now();
    consumer.assign(&assignment).map_err(|e| format!("✗ {e}"))?;
    for read in 0..count {
        match tokio::time::timeout(stall, consumer.recv()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("✗ {e}")),
            Err(_) => return Err(format!("✗ stalled after {read} of {count} records")),
        }
    }
    Ok(started.elapsed())
}
