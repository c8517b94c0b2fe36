//! Back-pressure for roles that take records faster than they finish them: a consumer's
//! partitions are paused while too much taken work is unfinished, and resumed once it has
//! drained, so that reading ahead never holds more than a bounded number of records in memory.

use rdkafka::consumer::{Consumer, ConsumerContext};

/// Pauses a consumer's assignment at `high` unfinished records and resumes it at `low`.
#[derive(Debug)]
pub struct Backpressure {
    high: usize,
    low: usize,
    paused: bool,
}

/// What the consumer should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Pause,
    Resume,
}

impl Backpressure {
    /// Pauses at `high` unfinished records, resumes at `low` (below `high`).
    pub fn new(high: usize, low: usize) -> Backpressure {
        assert!(low < high, "resume below the pause mark");
        Backpressure {
            high,
            low,
            paused: false,
        }
    }

    /// Whether the consumer is paused now.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// After taking a record, with `pending` records taken and not yet finished.
    pub fn taken<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, pending: usize) {
        if let Some(change) = self.after_taken(pending) {
            apply(consumer, change);
        }
    }

    /// After finishing a record, with `pending` records taken and not yet finished.
    pub fn finished<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, pending: usize) {
        if let Some(change) = self.after_finished(pending) {
            apply(consumer, change);
        }
    }

    fn after_taken(&mut self, pending: usize) -> Option<Change> {
        (!self.paused && pending >= self.high).then(|| {
            self.paused = true;
            Change::Pause
        })
    }

    fn after_finished(&mut self, pending: usize) -> Option<Change> {
        (self.paused && pending <= self.low).then(|| {
            self.paused = false;
            Change::Resume
        })
    }
}

/// Pauses or resumes every assigned partition; a failure (no assignment yet, a rebalance under
/// way) is logged and left to the next record.
fn apply<C: ConsumerContext, K: Consumer<C>>(consumer: &K, change: Change) {
    let done = consumer.assignment().and_then(|assignment| match change {
        Change::Pause => consumer.pause(&assignment),
        Change::Resume => consumer.resume(&assignment),
    });
    if let Err(error) = done {
        tracing::warn!(?change, %error, "back-pressure could not change the consumer");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_pauses_at_the_high_mark_and_resumes_at_the_low_one_once_each() {
        let mut pressure = Backpressure::new(3, 1);
        assert_eq!(pressure.after_taken(2), None);
        assert_eq!(pressure.after_taken(3), Some(Change::Pause));
        assert!(pressure.is_paused());
        // Records already fetched still arrive while paused: no second pause.
        assert_eq!(pressure.after_taken(4), None);
        assert_eq!(pressure.after_finished(2), None);
        assert_eq!(pressure.after_finished(1), Some(Change::Resume));
        assert!(!pressure.is_paused());
        assert_eq!(pressure.after_finished(0), None);
        assert_eq!(pressure.after_taken(3), Some(Change::Pause));
    }
}
