//! Reading event topics for the encoder's long-running work: where to start, and which offsets
//! may be committed while jobs finish out of order.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use codeflix_eventlog::EventLogConfig;
use codeflix_projectors::Membership;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::worker::WorkerError;

fn kafka(e: impl std::fmt::Display) -> WorkerError {
    WorkerError::Kafka(e.to_string())
}

/// A consumer of `topics` for `group`, starting where the group committed (the beginning when
/// it never did). With [`Membership::AllPartitions`] it reads every partition by assignment:
/// the embedded broker never evicts a member that died without leaving the group, so a
/// restarted worker would otherwise wait for its partitions forever.
pub(crate) fn consumer(
    config: &EventLogConfig,
    group: &str,
    topics: &[String],
    membership: Membership,
) -> Result<StreamConsumer, WorkerError> {
    let consumer: StreamConsumer = config
        .client(&[
            ("group.id", group),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "1000"),
        ])
        .create()
        .map_err(kafka)?;
    match membership {
        Membership::ConsumerGroup => {
            let names: Vec<&str> = topics.iter().map(String::as_str).collect();
            consumer.subscribe(&names).map_err(kafka)?;
        }
        Membership::AllPartitions => {
            let metadata = consumer
                .fetch_metadata(None, Duration::from_secs(30))
                .map_err(kafka)?;
            let mut assignment = TopicPartitionList::new();
            for topic in metadata
                .topics()
                .iter()
                .filter(|t| topics.iter().any(|n| n == t.name()))
            {
                for partition in topic.partitions() {
                    assignment
                        .add_partition_offset(topic.name(), partition.id(), Offset::Stored)
                        .map_err(kafka)?;
                }
            }
            consumer.assign(&assignment).map_err(kafka)?;
        }
    }
    Ok(consumer)
}

/// Records taken per partition, in offset order, and whether each is done. A partition's
/// committable offset only passes records that are all done, so a restart never skips a job
/// that was still running when a later one finished.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    partitions: HashMap<(String, i32), BTreeMap<i64, bool>>,
}

impl Tracker {
    pub(crate) fn taken(&mut self, topic: &str, partition: i32, offset: i64) {
        self.partitions
            .entry((topic.to_owned(), partition))
            .or_default()
            .insert(offset, false);
    }

    /// Marks a record done; answers the partition's new committable offset if it moved.
    pub(crate) fn done(&mut self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
        let records = self.partitions.get_mut(&(topic.to_owned(), partition))?;
        if let Some(done) = records.get_mut(&offset) {
            *done = true;
        }
        let mut next = None;
        while let Some(entry) = records.first_entry() {
            if !*entry.get() {
                break;
            }
            next = Some(*entry.key() + 1);
            entry.remove();
        }
        next
    }

    /// Records taken and not done.
    pub(crate) fn pending(&self) -> usize {
        self.partitions
            .values()
            .map(|records| records.values().filter(|done| !**done).count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_past_records_that_are_all_done() {
        let mut tracker = Tracker::default();
        for offset in [4, 5, 6] {
            tracker.taken("t", 0, offset);
        }
        assert_eq!(tracker.done("t", 0, 5), None, "4 still runs");
        assert_eq!(tracker.pending(), 2);
        assert_eq!(tracker.done("t", 0, 4), Some(6), "4 and 5 are done");
        assert_eq!(tracker.done("t", 0, 6), Some(7));
        assert_eq!(tracker.pending(), 0);
        assert_eq!(tracker.done("t", 1, 0), None, "a partition never taken");
    }
}
