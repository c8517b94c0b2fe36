//! Offsets committed to a consumer group at most once a second, as Kafka's own auto-commit does
//! (every five): each commit is a write at the broker, and a consumer committing per record or
//! per small batch wrote as often as the platform appended.
//!
//! Only offsets past finished work are noted, so a crash re-reads at most a second of records;
//! every consumer here tolerates that (projections by their stored positions, the encoder and
//! its reaction by ids derived from the events).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

/// How often noted offsets are committed, at most.
pub const COMMIT_EVERY: Duration = Duration::from_secs(1);

/// The next offsets to commit per partition, and when the group last heard of them.
#[derive(Debug)]
pub struct GroupCommits {
    pending: BTreeMap<(String, i32), i64>,
    last: Instant,
}

impl Default for GroupCommits {
    fn default() -> Self {
        GroupCommits {
            pending: BTreeMap::new(),
            last: Instant::now(),
        }
    }
}

impl GroupCommits {
    /// Notes that everything below `next` in `topic`/`partition` is done.
    pub fn note(&mut self, topic: &str, partition: i32, next: i64) {
        let entry = self
            .pending
            .entry((topic.to_owned(), partition))
            .or_insert(next);
        *entry = (*entry).max(next);
    }

    /// Commits what is noted if a second has passed since the last commit.
    pub fn commit_if_due<C: ConsumerContext + 'static>(&mut self, consumer: &StreamConsumer<C>) {
        if self.last.elapsed() >= COMMIT_EVERY {
            self.commit(consumer);
        }
    }

    /// Commits what is noted now, without waiting for the broker's answer.
    pub fn commit<C: ConsumerContext + 'static>(&mut self, consumer: &StreamConsumer<C>) {
        self.last = Instant::now();
        if self.pending.is_empty() {
            return;
        }
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), next) in std::mem::take(&mut self.pending) {
            if let Err(error) =
                offsets.add_partition_offset(&topic, partition, Offset::Offset(next))
            {
                tracing::warn!(%error, topic, partition, next, "noting an offset to commit");
            }
        }
        if let Err(error) = consumer.commit(&offsets, CommitMode::Async) {
            tracing::warn!(%error, "committing offsets to the group");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_the_furthest_offset_per_partition() {
        let mut commits = GroupCommits::default();
        commits.note("t", 0, 5);
        commits.note("t", 0, 3);
        commits.note("t", 1, 7);
        commits.note("t", 0, 9);
        assert_eq!(
            commits.pending,
            BTreeMap::from([(("t".to_owned(), 0), 9), (("t".to_owned(), 1), 7)])
        );
    }
}
