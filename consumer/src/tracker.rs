//! Which offsets may be committed while work on records finishes out of order (the encoder runs
//! several jobs at once): a partition's committable offset only passes records that are all done.

use std::collections::{BTreeMap, HashMap};

/// Records taken per partition, in offset order, and whether each is done. A partition's
/// committable offset only passes records that are all done, so a restart never skips a job
/// that was still running when a later one finished.
#[derive(Debug, Default)]
pub struct Tracker {
    partitions: HashMap<(String, i32), BTreeMap<i64, bool>>,
}

impl Tracker {
    pub fn taken(&mut self, topic: &str, partition: i32, offset: i64) {
        self.partitions
            .entry((topic.to_owned(), partition))
            .or_default()
            .insert(offset, false);
    }

    /// Marks a record done; answers the partition's new committable offset if it moved.
    pub fn done(&mut self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
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
    pub fn pending(&self) -> usize {
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
