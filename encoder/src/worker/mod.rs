//! The encoder worker: every `VideoUploaded` of a video or trailer becomes an encoding job, run
//! here from the stored upload to a ladder in the same object store.
//!
//! One job per upload (its id is the media id). The job aggregate is the worker's ledger and
//! its fence: a worker starts an attempt at the version it read, and every later report of the
//! attempt expects the version its previous report produced, so a worker that was taken over
//! (after it was presumed dead) cannot finish a job another attempt owns.
//!
//! - A job already finished, or failed for good, is not run again (redelivery, replay, restart).
//! - A job left running by a worker that died is taken over by the next worker that meets its
//!   upload: a new attempt, in a fresh directory (`…/encoded/<attempt>/`). Objects of attempts
//!   that never finished are deleted first; none of them is named by any event, so a half
//!   output is never visible.
//! - A failure another attempt may fix (ffmpeg crashed, storage unreachable) is retried with
//!   backoff up to `max_attempts`; the last failure is final and the upload goes to the
//!   dead-letter topic `<prefix>.projector.encoder.dlq`. A file that is not a video fails at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codeflix_consumer::commits::{COMMIT_EVERY, GroupCommits};
use codeflix_consumer::{Backpressure, Membership, Tracker, dlq};
use codeflix_domain::catalog::video::{StorageLocation, VideoEvent, VideoUploaded};
use codeflix_domain::encoding::{
    EncodingCommand, EncodingError, EncodingJob, EncodingJobId, FailEncoding, FinishEncoding,
    Percent, Rendition, ReportEncodingProgress, RequestEncoding, StartEncoding, WorkerName,
};
use codeflix_domain::{
    AggregateType, AnyEvent, CommandContext, EventMetadata, ExpectedVersion, Reason, Report,
    Version, catalog::video::Checksum,
};
use codeflix_eventlog::reader::RawRecord;
use codeflix_eventlog::topics::event_topic;
use codeflix_eventlog::{EventLog, EventLogError, ExecuteError};
use codeflix_storage::MediaStore;
use rdkafka::message::Message;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::metrics::EncoderMetrics;
use crate::policy::{self, Next};

mod attempt;

use crate::{EncodeError, Encoded, EncoderConfig};
use attempt::{AttemptError, Fence, Paths};

/// Names the worker's consumer group, dead-letter and redrive topics.
pub const NAME: &str = "encoder";

/// Something the worker cannot carry on without.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("kafka")]
    Kafka(#[source] rdkafka::error::KafkaError),
    #[error(transparent)]
    EventLog(#[from] EventLogError),
    #[error(transparent)]
    Consumer(#[from] codeflix_consumer::ConsumerError),
    #[error("{0}")]
    Config(String),
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub encoder: EncoderConfig,
    /// Recorded in `EncodingStarted` (host or pod name).
    pub name: String,
    /// Encodings running at once, at most.
    pub concurrency: usize,
    /// Attempts per job before it fails for good and is dead-lettered.
    pub max_attempts: u32,
    /// The pause before attempt n+1 is n times this.
    pub retry_backoff: Duration,
    /// Progress is reported at most this often.
    pub progress_interval: Duration,
    /// Local scratch space for sources and outputs while they are encoded.
    pub work_dir: PathBuf,
    pub membership: Membership,
    /// The consumer group whose offsets say which uploads were handled (`codeflix-encoder`);
    /// another group re-reads every upload, and finished jobs are recognised and skipped.
    pub group: String,
}

impl WorkerSettings {
    pub fn new(work_dir: PathBuf) -> WorkerSettings {
        WorkerSettings {
            encoder: EncoderConfig::default(),
            name: default_worker_name(),
            concurrency: 1,
            max_attempts: 3,
            retry_backoff: Duration::from_secs(5),
            progress_interval: Duration::from_secs(2),
            work_dir,
            membership: Membership::default(),
            group: format!("codeflix-{NAME}"),
        }
    }
}

/// The host name and process id, e.g. `encoder-7f9c/4242`.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}/{}", std::process::id())
}

/// Records queued (taken and not done) before the worker stops fetching more.
const QUEUE_HIGH: usize = 1000;
const QUEUE_LOW: usize = 500;

/// Namespace of the command ids the worker derives (one request per upload).
const COMMANDS: Uuid = Uuid::from_u128(0x0e7c_95d6_3b1a_4f0e_8d2c_6a4b_1f3e_9c70);

/// Runs the worker until `shutdown` resolves. Running attempts are abandoned at shutdown (their
/// ffmpeg is killed); the next worker takes them over.
pub async fn run(
    log: Arc<EventLog>,
    media: MediaStore,
    settings: WorkerSettings,
    metrics: EncoderMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<(), WorkerError> {
    let config = log.config().clone();
    let source = event_topic(&config.topics.prefix, AggregateType::Video);
    let topics = dlq::consumed_topics(&config, NAME, source).await?;
    WorkerName::parse(&settings.name)
        .map_err(|e| WorkerError::Config(format!("encoder worker name: {e}")))?;
    std::fs::create_dir_all(&settings.work_dir)
        .map_err(|e| WorkerError::Config(format!("{}: {e}", settings.work_dir.display())))?;
    let consumer =
        codeflix_consumer::consumer(&config, &settings.group, &topics, settings.membership)?;
    let worker = Arc::new(Worker {
        decoder: dlq::Decoder::new(&config.schema_registry_url)?,
        dead_letters: dlq::Sender::new(&config, NAME)?,
        slots: Semaphore::new(settings.concurrency.max(1)),
        running: std::sync::Mutex::new(std::collections::HashSet::new()),
        log,
        media,
        settings,
        metrics,
    });
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, i32, i64)>();
    let mut tracker = Tracker::default();
    let mut jobs = JoinSet::new();
    let mut pressure = Backpressure::new(QUEUE_HIGH, QUEUE_LOW);
    let mut commits = GroupCommits::default();
    let mut committing = tokio::time::interval(COMMIT_EVERY);
    tokio::pin!(shutdown);
    loop {
        codeflix_consumer::supervise::beat();
        tokio::select! {
            () = &mut shutdown => break,
            _ = committing.tick() => commits.commit(&consumer),
            Some((topic, partition, offset)) = done_rx.recv() => {
                if let Some(next) = tracker.done(&topic, partition, offset) {
                    commits.note(&topic, partition, next);
                }
                pressure.settle(&consumer, tracker.pending());
            }
            message = consumer.recv() => {
                // A consumer error (a broker restarting) is not worth killing running encodes.
                let message = match message {
                    Ok(message) => message,
                    Err(error) => {
                        tracing::warn!(%error, "reading uploads");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                let raw = RawRecord::from_message(&message);
                tracker.taken(message.topic(), message.partition(), message.offset());
                let worker = Arc::clone(&worker);
                let done = done_tx.clone();
                jobs.spawn(async move {
                    let at = (raw.topic.clone(), raw.partition, raw.offset);
                    worker.handle(raw).await;
                    let _ = done.send(at);
                });
                pressure.settle(&consumer, tracker.pending());
            }
            Some(joined) = jobs.join_next(), if !jobs.is_empty() => {
                if let Err(error) = joined
                    && error.is_panic()
                {
                    tracing::error!(%error, "an encoding job panicked");
                }
            }
        }
    }
    jobs.shutdown().await;
    commits.commit(&consumer);
    Ok(())
}

struct Worker {
    log: Arc<EventLog>,
    media: MediaStore,
    settings: WorkerSettings,
    metrics: EncoderMetrics,
    decoder: dlq::Decoder,
    dead_letters: dlq::Sender,
    slots: Semaphore,
    /// Jobs this process is running now: a duplicate record of an upload must not take over
    /// its own live attempt.
    running: std::sync::Mutex<std::collections::HashSet<EncodingJobId>>,
}

/// Marks a job as running in this process until dropped.
struct Running<'a> {
    jobs: &'a std::sync::Mutex<std::collections::HashSet<EncodingJobId>>,
    id: EncodingJobId,
}

impl<'a> Running<'a> {
    fn claim(
        jobs: &'a std::sync::Mutex<std::collections::HashSet<EncodingJobId>>,
        id: EncodingJobId,
    ) -> Option<Running<'a>> {
        let mut set = jobs.lock().unwrap_or_else(|e| e.into_inner());
        set.insert(id).then_some(Running { jobs, id })
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut set = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&self.id);
    }
}

/// Whether the worker named `name` (`<host>/<pid>`, the default) is a process that is gone.
/// Only a worker on this host can be known dead; one elsewhere is presumed alive.
fn dead_here(name: &str) -> bool {
    let Some((host, pid)) = name.rsplit_once('/') else {
        return false;
    };
    let this_host = default_worker_name()
        .rsplit_once('/')
        .map(|(h, _)| h.to_owned())
        .unwrap_or_default();
    host == this_host
        && pid.parse::<u32>().is_ok()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// `text` as a failure reason: control characters (but newlines) replaced, at most 1000
/// characters, never blank.
fn reason(text: &str) -> Reason {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .take(1000)
        .collect();
    Reason::parse(&cleaned)
        .or_else(|_| Reason::parse("the encoder failed without a readable reason"))
        .expect("a fixed reason is valid")
}

/// A failure that is nobody's fault but the infrastructure's: the job is tried again later,
/// without counting an attempt.
#[derive(Debug)]
struct Unavailable(String);

impl<E: std::error::Error + 'static> From<ExecuteError<E>> for Unavailable {
    fn from(error: ExecuteError<E>) -> Self {
        Unavailable(Report(&error).to_string())
    }
}

impl From<EventLogError> for Unavailable {
    fn from(error: EventLogError) -> Self {
        Unavailable(Report(&error).to_string())
    }
}

/// What became of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    Finished,
    Failed,
    DeadLettered,
    Skipped,
}

impl Worker {
    /// Handles one record; infrastructure failures are waited out.
    async fn handle(&self, raw: RawRecord) {
        // Only uploads matter: other events are passed over by their type header, undecoded.
        if codeflix_eventlog::headers::header(&raw.headers, "ce_type")
            .is_some_and(|event_type| !event_type.ends_with(".VideoUploaded"))
        {
            return;
        }
        let envelope = match self.decoder.decode_patiently(&raw, NAME).await {
            Ok(envelope) => envelope,
            Err(reason) => {
                self.dead_letter(&raw, reason).await;
                return;
            }
        };
        let AnyEvent::Video(VideoEvent::VideoUploaded(upload)) = envelope.event else {
            return;
        };
        if !upload.slot.is_encoded() {
            return;
        }
        let mut pause = Duration::from_millis(500);
        loop {
            match self.job(&raw, &envelope.metadata, &upload).await {
                Ok(Handled::Finished) => self.metrics.job("finished"),
                Ok(Handled::Failed) => self.metrics.job("failed"),
                Ok(Handled::Skipped) => self.metrics.job("skipped"),
                Ok(Handled::DeadLettered) => self.metrics.job("dead_lettered"),
                Err(Unavailable(reason)) => {
                    tracing::warn!(media = %upload.media_id, %reason, "encoder cannot proceed; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
            return;
        }
    }

    async fn dead_letter(&self, raw: &RawRecord, reason: String) {
        let mut pause = Duration::from_millis(500);
        loop {
            let letter = dlq::DeadLetter::new(raw.clone(), reason.clone());
            match self.dead_letters.send(NAME, vec![letter]).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(error = %Report(&error), "sending a dead letter; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    fn context(&self, command_id: Uuid, cause: &EventMetadata) -> CommandContext {
        CommandContext {
            command_id,
            correlation_id: cause.correlation_id,
            actor: format!("encoder:{}", self.settings.name),
            now: codeflix_eventlog::now(),
        }
    }

    /// What the upload asks of the encoding context; `Err` when the event cannot be turned into
    /// a request (it never will be: dead-lettered, not retried).
    fn request(cause: &EventMetadata, upload: &VideoUploaded) -> Result<RequestEncoding, String> {
        Ok(RequestEncoding {
            video_id: cause
                .aggregate_id
                .parse()
                .map_err(|e| format!("video id {}: {e}", cause.aggregate_id))?,
            media_id: upload.media_id,
            slot: upload.slot,
            source_location: StorageLocation::parse(&upload.raw_location)
                .map_err(|e| format!("location {}: {e}", upload.raw_location))?,
            checksum: Checksum::parse(&upload.checksum).map_err(|e| format!("checksum: {e}"))?,
        })
    }

    /// Executes a job command, waiting out the log's outages with the same command id (so a
    /// command stored before an outage is replayed, not repeated); answers the job's version.
    async fn execute(
        &self,
        ctx: &CommandContext,
        id: &EncodingJobId,
        expected: Version,
        command: EncodingCommand,
    ) -> Result<Version, ExecuteError<EncodingError>> {
        let mut pause = Duration::from_millis(200);
        loop {
            match self
                .log
                .execute::<EncodingJob>(
                    ctx,
                    id,
                    ExpectedVersion::Exactly(expected),
                    command.clone(),
                )
                .await
            {
                Ok(appended) => return Ok(appended.aggregate_version),
                // Stored, and will reach Kafka: as good as appended for the fence.
                Err(ExecuteError::Unconfirmed { version }) => return Ok(version),
                Err(ExecuteError::Unavailable(error)) => {
                    tracing::warn!(job = %id, error = %Report(&error), "the event log is unavailable; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Runs the upload's job to an end: finished, failed, or not this worker's to run.
    async fn job(
        &self,
        raw: &RawRecord,
        cause: &EventMetadata,
        upload: &VideoUploaded,
    ) -> Result<Handled, Unavailable> {
        let id = EncodingJobId::new(upload.media_id.as_uuid());
        let redriven = raw.topic.ends_with(".redrive");
        let request = match Self::request(cause, upload) {
            Ok(request) => request,
            Err(why) => {
                self.dead_letter(raw, format!("the upload cannot be encoded: {why}"))
                    .await;
                return Ok(Handled::DeadLettered);
            }
        };
        let max = self.settings.max_attempts;
        loop {
            let job = self.log.load::<EncodingJob>(&id).await?;
            let version = job.version();
            let state = job.state();
            let seen = policy::Seen {
                status: state.status(),
                retryable: job_retryable(state),
                attempts: state.attempts(),
                redriven,
            };
            match policy::next(seen, max, || self.owner_may_be_alive(&id, state)) {
                Next::Request => {
                    let ctx = self.context(
                        Uuid::new_v5(&COMMANDS, format!("request/{id}").as_bytes()),
                        cause,
                    );
                    match self
                        .execute(&ctx, &id, version, request.clone().into())
                        .await
                    {
                        Ok(_)
                        | Err(ExecuteError::Conflict { .. })
                        | Err(ExecuteError::Rejected(EncodingError::AlreadyRequested)) => continue,
                        Err(error) => return Err(error.into()),
                    }
                }
                Next::Skip => return Ok(Handled::Skipped),
                Next::Wait => {
                    tokio::time::sleep(self.settings.progress_interval.max(Duration::from_secs(1)))
                        .await;
                    continue;
                }
                Next::Run { backoff_steps: 0 } => {}
                Next::Run { backoff_steps } => {
                    tokio::time::sleep(self.settings.retry_backoff * backoff_steps).await;
                }
            }
            let _slot = self
                .slots
                .acquire()
                .await
                .map_err(|e| Unavailable(e.to_string()))?;
            let Some(_running) = Running::claim(&self.running, id) else {
                continue;
            };
            // Another worker may have moved the job while this one waited for a slot.
            let job = self.log.load::<EncodingJob>(&id).await?;
            if job.version() != version {
                continue;
            }
            let attempt = job.state().attempts() + 1;
            let start = StartEncoding {
                worker: WorkerName::parse(&self.settings.name)
                    .map_err(|e| Unavailable(e.to_string()))?,
            };
            let ctx = self.context(
                Uuid::new_v5(
                    &COMMANDS,
                    format!("{id}/{attempt}/{}/start", self.settings.name).as_bytes(),
                ),
                cause,
            );
            let started = match self.execute(&ctx, &id, version, start.into()).await {
                Ok(version) => version,
                Err(ExecuteError::Conflict { .. }) => continue,
                Err(ExecuteError::Rejected(error)) => {
                    tracing::info!(job = %id, %error, "not starting the job");
                    return Ok(Handled::Skipped);
                }
                Err(error) => return Err(error.into()),
            };
            tracing::info!(job = %id, video = %request.video_id, slot = %upload.slot, attempt, "encoding");
            let paths = Paths::new(&self.settings.work_dir, request.video_id, upload, attempt);
            self.metrics.running().inc();
            let began = Instant::now();
            let mut fence = Fence {
                worker: self,
                id,
                attempt,
                reports: 0,
                version: started,
                ctx: self.context(Uuid::nil(), cause),
            };
            let outcome = self.attempt(&paths, upload, &mut fence).await;
            self.metrics.running().dec();
            self.metrics.attempt_took(began.elapsed().as_secs_f64());
            let _ = tokio::fs::remove_dir_all(&paths.local).await;
            let (reason, retryable) = match outcome {
                Ok(()) => return Ok(Handled::Finished),
                Err(AttemptError::TakenOver) => {
                    tracing::warn!(job = %id, attempt, "another attempt took the job over");
                    self.discard(&paths.prefix).await;
                    return Ok(Handled::Skipped);
                }
                Err(AttemptError::Failed { reason, retryable }) => (reason, retryable),
            };
            // Nothing names this attempt's objects: the failure report comes first.
            self.discard(&paths.prefix).await;
            let policy::Failure {
                reason,
                retry,
                dead_letter,
            } = policy::failed(attempt, max, &reason, retryable);
            tracing::warn!(job = %id, attempt, %reason, "encoding failed");
            if dead_letter {
                // Dead-lettered before the failure is recorded: a crash in between repeats the
                // letter (listed once), never loses it.
                self.dead_letter(raw, format!("encoding failed {attempt} times: {reason}"))
                    .await;
            }
            // An exhausted job stays retryable: the cause may pass, and a redrive may try again;
            // the attempt budget is the worker's policy, not the job's.
            let fail = FailEncoding {
                reason: self::reason(&reason),
                retryable,
            };
            match fence.report(fail.into()).await {
                Ok(()) if retry => {
                    self.metrics.job("retried");
                    continue;
                }
                Ok(()) if retryable => return Ok(Handled::DeadLettered),
                Ok(()) => return Ok(Handled::Failed),
                Err(_) => return Ok(Handled::Skipped),
            }
        }
    }

    /// Whether the worker running `job` might still be at it. This process knows its own jobs;
    /// a worker of the same name is this worker's previous life; one on this host can be seen
    /// dead; in a consumer group, holding the upload's partition means its previous holder lost
    /// it. Anything else is presumed alive.
    fn owner_may_be_alive(&self, id: &EncodingJobId, job: &EncodingJob) -> bool {
        if self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(id)
        {
            return true;
        }
        let owner = job.worker().unwrap_or_default();
        self.settings.membership == Membership::AllPartitions
            && owner != self.settings.name
            && !dead_here(owner)
    }
}

fn job_retryable(job: &EncodingJob) -> bool {
    job.last_failure_retryable().unwrap_or(false)
}
