//! The catalog's reaction to encoding: each attempt started, finished or failed moves the
//! video's media to PROCESSING, COMPLETED (with the master playlist) or ERROR.
//!
//! It reads the encoding job topic in its own consumer group and commits what it has done once a
//! second.
//! Commands carry ids derived from the event id, so an event met again (a restart before the
//! commit, a replay) is recognised by the command store and changes nothing. A report about
//! media the slot no longer holds (a newer upload replaced it) is stale and ignored.

use std::sync::Arc;
use std::time::Duration;

use codeflix_consumer::commits::{COMMIT_EVERY, GroupCommits};
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
use rdkafka::message::Message;
use uuid::Uuid;

use crate::metrics::EncoderMetrics;
use crate::worker::WorkerError;

/// Names the reaction's consumer group.
pub const NAME: &str = "encoding-reaction";

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
    let topic = event_topic(&config.topics.prefix, AggregateType::EncodingJob);
    let consumer: StreamConsumer = codeflix_consumer::consumer(
        &config,
        &format!("codeflix-{NAME}"),
        std::slice::from_ref(&topic),
        membership,
    )?;
    let decoder = dlq::Decoder::new(&config.schema_registry_url)?;
    let mut commits = GroupCommits::default();
    let mut committing = tokio::time::interval(COMMIT_EVERY);
    tokio::pin!(shutdown);
    loop {
        let message = tokio::select! {
            () = &mut shutdown => {
                commits.commit(&consumer);
                return Ok(());
            }
            _ = committing.tick() => {
                commits.commit(&consumer);
                continue;
            }
            message = consumer.recv() => message.map_err(WorkerError::Kafka)?,
        };
        let raw = RawRecord::from_message(&message);
        let mut pause = Duration::from_millis(200);
        loop {
            match react(&log, &decoder, &raw, &metrics).await {
                Ok(()) => break,
                Err(reason) => {
                    tracing::warn!(%reason, offset = raw.offset, "reacting to an encoding event; retrying");
                    tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
        commits.note(message.topic(), message.partition(), message.offset() + 1);
    }
}

/// Applies one encoding event to its video; `Err` when the infrastructure failed.
async fn react(
    log: &EventLog,
    decoder: &dlq::Decoder,
    raw: &RawRecord,
    metrics: &EncoderMetrics,
) -> Result<(), String> {
    let envelope = match decoder.decode_patiently(raw, NAME).await {
        Ok(envelope) => envelope,
        Err(reason) => {
            tracing::error!(%reason, offset = raw.offset, "skipping an encoding event that does not decode");
            return Ok(());
        }
    };
    let AnyEvent::EncodingJob(event) = envelope.event else {
        return Ok(());
    };
    let id: EncodingJobId = envelope
        .metadata
        .aggregate_id
        .parse()
        .map_err(|e| format!("job id: {e}"))?;
    let job = log
        .load::<EncodingJob>(&id)
        .await
        .map_err(|e| Report(&e).to_string())?;
    let Some((video, media_id, slot)) = job.state().video() else {
        return Err(format!("job {id} has no history in the command store yet"));
    };
    let command: VideoCommand = match event {
        EncodingJobEvent::EncodingStarted(_) => StartMediaProcessing { slot, media_id }.into(),
        EncodingJobEvent::EncodingFinished(finished) => CompleteMediaProcessing {
            slot,
            media_id,
            encoded_location: StorageLocation::parse(&finished.hls_manifest_location)
                .map_err(|e| e.to_string())?,
        }
        .into(),
        EncodingJobEvent::EncodingFailed(failed) => FailMediaProcessing {
            slot,
            media_id,
            reason: Reason::parse(&failed.reason).map_err(|e| e.to_string())?,
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
        Err(error) => return Err(Report(&error).to_string()),
    }
    Ok(())
}
