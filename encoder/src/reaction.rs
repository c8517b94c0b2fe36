//! The catalog's reaction to encoding: each attempt started, finished or failed moves the
//! video's media to PROCESSING, COMPLETED (with the master playlist) or ERROR.
//!
//! It reads the encoding job topic (and its redrive topic) in its own consumer group and commits
//! what it has done once a second.
//! Commands carry ids derived from the event id, so an event met again (a restart before the
//! commit, a replay, a redrive) is recognised by the command store and changes nothing. A report
//! about media the slot no longer holds (a newer upload replaced it) is stale and ignored.
//!
//! The projectors' dead-letter rules hold: an event that cannot apply (it does not decode, names
//! a job the command store does not know, or what no video can take) goes to `<prefix>.projector.encoding-reaction.dlq` at once; a
//! failure of the event log is retried with backoff, and one that lasts [`ATTEMPTS`] attempts
//! is dead-lettered too, so that it cannot hold every later encoding event back.
//! `codeflix dlq redrive --projection encoding-reaction` sends them back.

use std::sync::Arc;

use codeflix_consumer::react::{Failure, Reactor};
use codeflix_consumer::{Membership, dlq};
use codeflix_domain::catalog::video::{
    CompleteMediaProcessing, FailMediaProcessing, StartMediaProcessing, StorageLocation, Video,
    VideoCommand,
};
use codeflix_domain::encoding::{EncodingJob, EncodingJobEvent, EncodingJobId};
use codeflix_domain::{AggregateType, AnyEvent, CommandContext, ExpectedVersion, Reason, Report};
use codeflix_eventlog::reader::RawRecord;
use codeflix_eventlog::topics::event_topic;
use codeflix_eventlog::{EventLog, ExecuteError};
use rdkafka::consumer::StreamConsumer;
use uuid::Uuid;

use crate::metrics::EncoderMetrics;
use crate::worker::WorkerError;

/// Names the reaction's consumer group, dead-letter and redrive topics.
pub const NAME: &str = "encoding-reaction";

/// Attempts at an event whose failure is the infrastructure's before it is dead-lettered
/// (about four minutes with the backoff).
pub const ATTEMPTS: u32 = 12;

/// Namespace of the command ids derived from event ids.
const COMMANDS: Uuid = Uuid::from_u128(0x61f0_2c8e_7d4b_4a91_b3e6_0f5d_2a7c_84e1);

/// Runs the reaction until `shutdown` resolves.
pub async fn run(
    log: Arc<EventLog>,
    membership: Membership,
    metrics: EncoderMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<(), WorkerError> {
    let config = log.config().clone();
    let source = event_topic(&config.topics.prefix, AggregateType::EncodingJob);
    let topics = dlq::consumed_topics(&config, NAME, source).await?;
    let consumer: StreamConsumer =
        codeflix_consumer::consumer(&config, &format!("codeflix-{NAME}"), &topics, membership)?;
    let decoder = dlq::Decoder::new(&config.schema_registry_url)?;
    let dead_letters = dlq::Sender::new(&config, NAME)?;
    Reactor {
        name: NAME,
        what: "encoding events",
        attempts: ATTEMPTS,
    }
    .run(
        &consumer,
        &dead_letters,
        |raw| react(&log, &decoder, raw, &metrics),
        |_, _| metrics.reaction("dead_lettered"),
        shutdown,
    )
    .await;
    Ok(())
}

/// Applies one encoding event to its video.
async fn react(
    log: &EventLog,
    decoder: &dlq::Decoder,
    raw: RawRecord,
    metrics: &EncoderMetrics,
) -> Result<(), Failure> {
    let envelope = decoder
        .decode_patiently(&raw, NAME)
        .await
        .map_err(Failure::Record)?;
    let AnyEvent::EncodingJob(event) = envelope.event else {
        return Ok(());
    };
    let id: EncodingJobId = envelope
        .metadata
        .aggregate_id
        .parse()
        .map_err(|e| Failure::Record(format!("job id: {e}")))?;
    let job = log
        .load::<EncodingJob>(&id)
        .await
        .map_err(|e| Failure::Transient(Report(&e).to_string()))?;
    let Some((video, media_id, slot)) = job.state().video() else {
        // The relay publishes only what the store holds, so an event in the topic whose job
        // the store does not know came from elsewhere (another store, a copy): it never clears.
        return Err(Failure::Record(format!(
            "job {id} has no history in the command store"
        )));
    };
    let command: VideoCommand = match event {
        EncodingJobEvent::EncodingStarted(_) => StartMediaProcessing { slot, media_id }.into(),
        EncodingJobEvent::EncodingFinished(finished) => CompleteMediaProcessing {
            slot,
            media_id,
            encoded_location: StorageLocation::parse(&finished.hls_manifest_location)
                .map_err(|e| Failure::Record(format!("hls_manifest_location: {e}")))?,
        }
        .into(),
        EncodingJobEvent::EncodingFailed(failed) => FailMediaProcessing {
            slot,
            media_id,
            reason: Reason::parse(&failed.reason)
                .map_err(|e| Failure::Record(format!("reason: {e}")))?,
        }
        .into(),
        EncodingJobEvent::EncodingRequested(_) | EncodingJobEvent::EncodingProgressed(_) => {
            return Ok(());
        }
    };
    let ctx = CommandContext {
        command_id: Uuid::new_v5(&COMMANDS, envelope.metadata.event_id.0.as_bytes()),
        correlation_id: envelope.metadata.correlation_id,
        actor: "encoder".to_owned(),
        now: codeflix_eventlog::now(),
    };
    match log
        .execute::<Video>(&ctx, &video, ExpectedVersion::Any, command)
        .await
    {
        Ok(_) => metrics.reaction("applied"),
        Err(ExecuteError::Rejected(error)) => {
            tracing::info!(%video, %media_id, %error, "encoding report no longer applies");
            metrics.reaction("stale");
        }
        Err(error) => return Err(Failure::Transient(Report(&error).to_string())),
    }
    Ok(())
}
