//! The loop of a consumer that reacts to records one at a time (the encoder's reaction, the
//! notifier): a record whose own fault makes it fail goes to the dead-letter topic at once; a
//! failure that may pass is retried with backoff, and one that lasts the given attempts is
//! dead-lettered too, so that it cannot hold every later record back. A dead letter is confirmed
//! before the position moves past its record, and positions are committed once a second.

use std::time::Duration;

use codeflix_domain::Report;
use codeflix_eventlog::reader::RawRecord;
use rdkafka::consumer::StreamConsumer;
use rdkafka::message::Message;

use crate::commits::{COMMIT_EVERY, GroupCommits};
use crate::dlq;

/// Why a record did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The record's own fault: trying again cannot help.
    Record(String),
    /// The infrastructure's, or the world's: trying again may.
    Transient(String),
}

/// Who reacts, and how hard it tries.
#[derive(Debug, Clone, Copy)]
pub struct Reactor<'a> {
    /// Names the dead-letter and redrive topics.
    pub name: &'a str,
    /// What the records are, for the logs ("encoding events", "facts").
    pub what: &'a str,
    /// Attempts at a record whose failures are transient before it is dead-lettered.
    pub attempts: u32,
}

impl Reactor<'_> {
    /// Reads `consumer` until `shutdown` resolves, handing each record to `handle` (again, for
    /// transient failures); `dead_lettered` hears of each record set aside.
    pub async fn run<H, Fut>(
        &self,
        consumer: &StreamConsumer,
        dead_letters: &dlq::Sender,
        mut handle: H,
        mut dead_lettered: impl FnMut(&RawRecord, &str),
        shutdown: impl Future<Output = ()>,
    ) where
        H: FnMut(RawRecord) -> Fut,
        Fut: Future<Output = Result<(), Failure>>,
    {
        let what = self.what;
        let mut commits = GroupCommits::default();
        let mut committing = tokio::time::interval(COMMIT_EVERY);
        tokio::pin!(shutdown);
        loop {
            crate::supervise::beat();
            let message = tokio::select! {
                () = &mut shutdown => {
                    commits.commit(consumer);
                    return;
                }
                _ = committing.tick() => {
                    commits.commit(consumer);
                    continue;
                }
                message = consumer.recv() => match message {
                    Ok(message) => message,
                    // A consumer error (a broker restarting) passes: the client reconnects.
                    Err(error) => {
                        tracing::warn!(%error, "reading {what}; going on");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                },
            };
            let raw = RawRecord::from_message(&message);
            let mut pause = Duration::from_millis(200);
            let mut attempt = 1;
            let letter = loop {
                match handle(raw.clone()).await {
                    Ok(()) => break None,
                    Err(Failure::Record(reason)) => break Some(reason),
                    Err(Failure::Transient(reason)) if attempt >= self.attempts => {
                        break Some(format!("attempt {attempt} failed, giving up: {reason}"));
                    }
                    Err(Failure::Transient(reason)) => {
                        tracing::warn!(%reason, attempt, offset = raw.offset, "handling {what}; retrying");
                        if !back_off(&mut pause, &mut shutdown).await {
                            commits.commit(consumer);
                            return;
                        }
                        attempt += 1;
                    }
                }
            };
            if let Some(reason) = letter {
                let mut pause = Duration::from_millis(500);
                while let Err(error) = dead_letters
                    .send(
                        self.name,
                        vec![dlq::DeadLetter::new(raw.clone(), reason.clone())],
                    )
                    .await
                {
                    tracing::warn!(error = %Report(&error), "sending a dead letter; retrying");
                    if !back_off(&mut pause, &mut shutdown).await {
                        commits.commit(consumer);
                        return;
                    }
                }
                tracing::warn!(%reason, offset = raw.offset, "{what} dead-lettered");
                dead_lettered(&raw, &reason);
            }
            commits.note(message.topic(), message.partition(), message.offset() + 1);
        }
    }
}

/// Waits `pause` (then doubles it, up to 30 s) unless `shutdown` comes first; `false` then.
async fn back_off<F: Future<Output = ()>>(
    pause: &mut Duration,
    shutdown: &mut std::pin::Pin<&mut F>,
) -> bool {
    tokio::select! {
        () = shutdown.as_mut() => return false,
        () = tokio::time::sleep(*pause) => {}
    }
    // Retrying is going round: the loop is waiting on purpose, not stuck.
    crate::supervise::beat();
    *pause = (*pause * 2).min(Duration::from_secs(30));
    true
}
