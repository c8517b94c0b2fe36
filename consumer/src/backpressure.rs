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

    /// After taking or finishing a record, with `pending` records taken and not yet finished:
    /// pauses at the high mark, resumes at the low one. A change the client refused (no
    /// assignment yet, a rebalance under way) is logged and tried again on the next call.
    pub fn settle<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, pending: usize) {
        if let Some(change) = self.wanted(pending)
            && apply(consumer, change)
        {
            self.paused = change == Change::Pause;
        }
    }

    fn wanted(&self, pending: usize) -> Option<Change> {
        if !self.paused && pending >= self.high {
            Some(Change::Pause)
        } else if self.paused && pending <= self.low {
            Some(Change::Resume)
        } else {
            None
        }
    }
}

/// Pauses or resumes every assigned partition; whether the client did.
fn apply<C: ConsumerContext, K: Consumer<C>>(consumer: &K, change: Change) -> bool {
    let done = consumer.assignment().and_then(|assignment| match change {
        Change::Pause => consumer.pause(&assignment),
        Change::Resume => consumer.resume(&assignment),
    });
    if let Err(error) = &done {
        tracing::warn!(?change, %error, "back-pressure could not change the consumer");
    }
    done.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_pauses_at_the_high_mark_and_resumes_at_the_low_one() {
        let mut pressure = Backpressure::new(3, 1);
        assert_eq!(pressure.wanted(2), None);
        assert_eq!(pressure.wanted(3), Some(Change::Pause));
        // Refused by the client: still wanted on the next record.
        assert_eq!(pressure.wanted(4), Some(Change::Pause));
        pressure.paused = true;
        assert!(pressure.is_paused());
        // Records already fetched still arrive while paused: no second pause.
        assert_eq!(pressure.wanted(5), None);
        assert_eq!(pressure.wanted(2), None);
        assert_eq!(pressure.wanted(1), Some(Change::Resume));
        assert_eq!(pressure.wanted(0), Some(Change::Resume));
        pressure.paused = false;
        assert_eq!(pressure.wanted(0), None);
        assert_eq!(pressure.wanted(3), Some(Change::Pause));
    }
}
